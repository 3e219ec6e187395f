"""Shared helpers: sample inputs for a rule, call a generated module, finite differences."""
from __future__ import annotations

import importlib
import importlib.util
import sys
import tempfile
from pathlib import Path

import numpy as np
import sympy as sp

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def kernel_module(name: str, folder: Path | None = None):
    """The generated module of rule `name`, from generated/ or from `folder`."""
    if folder is None:
        return importlib.import_module(f"generated.{name}")
    from derive.render import load_generated

    return load_generated(folder, name)


_STRATEGY_DIRS: dict = {}


def strategy_module(name: str, window: str):
    """The kernel of rule `name` generated with another window strategy (`derive.strategy`),
    rendered once per test session into a folder of its own."""
    from derive.render import render_kernel, write
    from derive.rules import RULES
    from derive.lowering.strategy import Strategy

    if window == "default":
        return kernel_module(name)
    folder = _STRATEGY_DIRS.setdefault(window, Path(tempfile.mkdtemp(prefix=f"kernels_{window}_")))
    path = folder / f"{name}.py"
    if not path.exists():
        write(path, render_kernel(RULES[name], Strategy(window=window)))
    return kernel_module(name, folder)


def option_values(rule, **given) -> dict:
    """The rule's options as symbol -> value: the defaults, or `given` by keyword."""
    return {sym: given.get(keyword, default) for sym, keyword, default in rule.options}


def size_values(rule, rng, low=2, high=5, options=None) -> dict:
    """Random sizes for the rule's symbols, drawn until every derived size is at least 1."""
    options = option_values(rule) if options is None else options
    defined = {s for s, _ in rule.derived}
    symbols = set()
    for t in (*rule.tensors, rule.output):
        for d in t.shape:
            symbols |= d.free_symbols - defined
    for _ in range(1000):
        sizes = {s: int(rng.integers(low, high + 1)) for s in sorted(symbols, key=str)}
        sizes.update(options)
        if all(int(d.subs(sizes)) >= 1 for _, d in rule.derived):
            return sizes
    raise AssertionError(f"no valid sizes for {rule.name}")


def shape_of(tensor, sizes, rule=None) -> tuple[int, ...]:
    defs = dict(rule.derived) if rule else {}
    return tuple(int(sp.sympify(d).subs(defs).subs(sizes)) for d in tensor.shape)


def sample_inputs(rule, rng, sizes=None, dtype=np.float64) -> dict[str, np.ndarray]:
    """Random float inputs for every tensor of `rule`; labels are one-hot rows."""
    sizes = sizes or size_values(rule, rng)
    inputs = {}
    for t in rule.tensors:
        shape = shape_of(t, sizes, rule)
        if t.role == "label":
            y = np.zeros(shape, dtype=dtype)
            y[np.arange(shape[0]), rng.integers(0, shape[-1], shape[0])] = 1
            inputs[t.name] = y
        else:
            inputs[t.name] = rng.standard_normal(shape).astype(dtype)
    return inputs


REFERENCE_KEYWORDS = {"size": "k"}  # the reference's name for an option, where it differs


def reference_options(options: dict) -> dict:
    return {REFERENCE_KEYWORDS.get(k, k): v for k, v in options.items()}


def upstream_for(rule, out, rng):
    if rule.output.rank == 0:
        return 1.0
    return rng.standard_normal(np.shape(out)).astype(np.asarray(out).dtype)


def call_forward(module, inputs, **options):
    return module.forward(*[inputs[name] for name in module.INPUTS], **options)


def call_backward(module, g, inputs, out, **options):
    env = dict(inputs)
    env[module.OUTPUT] = out
    return module.backward(g, *[env[name] for name in module.BACKWARD_ARGS], **options)


def finite_difference(module, inputs, g, name, eps=1e-6, **options) -> np.ndarray:
    """Central differences of sum(g * forward) with respect to input `name`."""
    x = inputs[name]
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        values = []
        for step in (eps, -eps):
            shifted = dict(inputs)
            shifted[name] = x.copy()
            shifted[name][idx] += step
            values.append(np.asarray(call_forward(module, shifted, **options)))
        grad[idx] = np.sum(np.asarray(g) * (values[0] - values[1])) / (2 * eps)
    return grad


def relative_error(got, want) -> float:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    scale = max(np.linalg.norm(want), np.linalg.norm(got), 1e-300)
    return float(np.linalg.norm(got - want) / scale)
