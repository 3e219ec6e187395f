"""Shared helpers: sample inputs for a rule, call a generated module, finite differences."""
from __future__ import annotations

import importlib
import importlib.util
import sys
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
    spec = importlib.util.spec_from_file_location(f"_kernel_{name}_{abs(hash(folder))}",
                                                  folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def size_values(rule, rng, low=2, high=5) -> dict:
    symbols = set()
    for t in (*rule.tensors, rule.output):
        for d in t.shape:
            symbols |= d.free_symbols
    return {s: int(rng.integers(low, high + 1)) for s in sorted(symbols, key=str)}


def shape_of(tensor, sizes) -> tuple[int, ...]:
    return tuple(int(sp.sympify(d).subs(sizes)) for d in tensor.shape)


def sample_inputs(rule, rng, sizes=None, dtype=np.float64) -> dict[str, np.ndarray]:
    """Random float inputs for every tensor of `rule`; labels are one-hot rows."""
    sizes = sizes or size_values(rule, rng)
    inputs = {}
    for t in rule.tensors:
        shape = shape_of(t, sizes)
        if t.role == "label":
            y = np.zeros(shape, dtype=dtype)
            y[np.arange(shape[0]), rng.integers(0, shape[-1], shape[0])] = 1
            inputs[t.name] = y
        else:
            inputs[t.name] = rng.standard_normal(shape).astype(dtype)
    return inputs


def upstream_for(rule, out, rng):
    if rule.output.rank == 0:
        return 1.0
    return rng.standard_normal(np.shape(out)).astype(np.asarray(out).dtype)


def call_backward(module, g, inputs, out):
    env = dict(inputs)
    env[module.OUTPUT] = out
    return module.backward(g, *[env[name] for name in module.BACKWARD_ARGS])


def finite_difference(module, inputs, g, name, eps=1e-6) -> np.ndarray:
    """Central differences of sum(g * forward) with respect to input `name`."""
    x = inputs[name]
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        values = []
        for step in (eps, -eps):
            shifted = dict(inputs)
            shifted[name] = x.copy()
            shifted[name][idx] += step
            values.append(np.sum(np.asarray(g) * module.forward(*[shifted[n] for n in module.INPUTS])))
        grad[idx] = (values[0] - values[1]) / (2 * eps)
    return grad


def relative_error(got, want) -> float:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    scale = max(np.linalg.norm(want), np.linalg.norm(got), 1e-300)
    return float(np.linalg.norm(got - want) / scale)
