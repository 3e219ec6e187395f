"""The gradient check shipped with every kernel: generate it, run it on random float64 inputs,
and compare each gradient with central finite differences of its own forward pass.

`python -m derive gradcheck [--rules FILE] [RULE ...]` prints one line per gradient and exits
non-zero when one is off.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp

from derive.render import load_generated, render_kernel, write

TOLERANCE = 1e-6


@dataclass
class Check:
    rule: str
    tensor: str
    shape: tuple
    entries: int
    error: float

    @property
    def ok(self) -> bool:
        return self.error <= TOLERANCE


def sizes_for(rule, rng, low: int = 2, high: int = 5) -> dict:
    """Random sizes for the rule's size symbols and its options' defaults, redrawn until every
    derived size (an output height) is at least 1."""
    defined = {s for s, _ in rule.derived}
    symbols = sorted({s for t in (*rule.tensors, rule.output) for d in t.shape
                      for s in sp.sympify(d).free_symbols} - defined, key=str)
    options = {sym: default for sym, _, default in rule.options}
    for _ in range(1000):
        sizes = {s: int(rng.integers(low, high + 1)) for s in symbols} | options
        if all(int(sp.sympify(d).subs(sizes)) >= 1 for _, d in rule.derived):
            return sizes
    raise ValueError(f"rule {rule.name!r}: no sizes from {low} to {high} give every derived size >= 1")


def inputs_for(rule, sizes: dict, rng) -> dict:
    """float64 inputs: parameters and activations standard normal; labels one-hot rows when the
    rule states facts about them (a one-hot sum), else entries 0 or 1 (a mask)."""
    defs = {s: sp.sympify(d).subs(sizes) for s, d in rule.derived}
    inputs = {}
    for t in rule.tensors:
        shape = tuple(int(sp.sympify(d).subs(defs).subs(sizes)) for d in t.shape)
        if t.role in ("input", "param"):
            inputs[t.name] = rng.standard_normal(shape)
        elif t.role == "label" and rule.facts and shape:
            y = np.zeros(shape)
            y.reshape(-1, shape[-1])[np.arange(int(np.prod(shape[:-1]))),
                                     rng.integers(0, shape[-1], int(np.prod(shape[:-1])))] = 1
            inputs[t.name] = y
        else:
            inputs[t.name] = rng.integers(0, 2, shape).astype(np.float64)
    return inputs


def check_module(rule, module, rng, eps: float = 1e-6, most: int = 24) -> list[Check]:
    sizes = sizes_for(rule, rng)
    inputs = inputs_for(rule, sizes, rng)

    def forward(values):
        return module.forward(*[values[name] for name in module.INPUTS])

    out = forward(inputs)
    g = 1.0 if rule.output.rank == 0 else rng.standard_normal(np.shape(out))
    env = dict(inputs, **{module.OUTPUT: out})
    grads = module.backward(g, *[env[name] for name in module.BACKWARD_ARGS])
    checks = []
    for name in module.GRADS:
        x = inputs[name]
        picks = list(np.ndindex(x.shape))
        if len(picks) > most:
            picks = [picks[k] for k in rng.choice(len(picks), most, replace=False)]
        analytic, numeric = [], []
        for idx in picks:
            values = []
            for step in (eps, -eps):
                shifted = dict(inputs, **{name: x.copy()})
                shifted[name][idx] += step
                values.append(np.asarray(forward(shifted)))
            # subtracted before summing: two sums of many terms would cancel
            numeric.append(float(np.sum(np.asarray(g) * (values[0] - values[1]))) / (2 * eps))
            analytic.append(float(np.asarray(grads[name])[idx]))
        a, n = np.array(analytic), np.array(numeric)
        error = float(np.linalg.norm(a - n) / max(np.linalg.norm(n), np.linalg.norm(a), 1.0))
        checks.append(Check(rule.name, name, x.shape, len(picks), error))
    return checks


def gradcheck(rules, seed: int = 0, echo=print) -> list[Check]:
    """Generate, run and check each rule's kernel; one line per gradient through `echo`."""
    rng = np.random.default_rng(seed)
    results = []
    with tempfile.TemporaryDirectory(prefix="symprop_gradcheck_") as tmp:
        for rule in rules:
            write(Path(tmp) / f"{rule.name}.py", render_kernel(rule))
            module = load_generated(Path(tmp), rule.name)
            for c in check_module(rule, module, rng):
                results.append(c)
                echo(f"{c.rule:24s} d/d{c.tensor:8s} {str(c.shape):18s} {c.entries:3d} entries  "
                     f"relative error {c.error:.1e}  {'ok' if c.ok else 'FAILED'}")
    return results
