"""Batch normalization and dropout: the kernels against the hand-written references and finite
differences over hypothesis-drawn shapes, and the batch-norm input gradient against its closed
form (Ioffe & Szegedy 2015), symbolically."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference
from conftest import call_backward, kernel_module, relative_error
from derive.rules import RULES
from derive.symbolic.differentiate import gradient

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def fd_check(module, inputs, g, rng, count=10, eps=1e-6, **options):
    out = module.forward(*[inputs[k] for k in module.INPUTS], **options)
    grads = call_backward(module, g, inputs, out, **options)
    for name in module.GRADS:
        x = inputs[name]
        for _ in range(count):
            idx = tuple(int(rng.integers(0, s)) for s in x.shape)
            values = []
            for step in (eps, -eps):
                shifted = dict(inputs, **{name: x.copy()})
                shifted[name][idx] += step
                values.append(module.forward(*[shifted[k] for k in module.INPUTS], **options))
            fd = np.sum(g * (values[0] - values[1])) / (2 * eps)
            assert abs(grads[name][idx] - fd) <= 1e-6 * max(1.0, abs(fd)), (name, idx)
    return out, grads


@SETTINGS
@given(st.sampled_from(["batchnorm", "batchnorm2d"]), st.integers(2, 6), st.integers(1, 5),
       st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**16))
def test_batchnorm(name, n, c, h, w, seed):
    rng = np.random.default_rng(seed)
    shape = (n, c) if name == "batchnorm" else (n, c, h, w)
    inputs = {"x": rng.standard_normal(shape) * rng.uniform(0.5, 3) + rng.uniform(-2, 2),
              "gamma": rng.standard_normal(c), "beta": rng.standard_normal(c)}
    module = kernel_module(name)
    g = rng.standard_normal(shape)
    out, grads = fd_check(module, inputs, g, rng)
    assert relative_error(out, reference.batchnorm_forward(**inputs)) < 1e-12
    want = reference.batchnorm_backward(g, **inputs)
    for key in want:
        assert relative_error(grads[key], want[key]) < 1e-10, key


@SETTINGS
@given(st.integers(1, 6), st.integers(1, 7), st.sampled_from([0.0, 0.2, 0.5, 0.9]),
       st.integers(0, 2**16))
def test_dropout(n, j, p, seed):
    rng = np.random.default_rng(seed)
    inputs = {"a": rng.standard_normal((n, j)), "m": (rng.random((n, j)) >= p).astype(float)}
    module = kernel_module("dropout")
    g = rng.standard_normal((n, j))
    out, grads = fd_check(module, inputs, g, rng, p=p)
    assert relative_error(out, reference.dropout_forward(**inputs, p=p)) < 1e-12
    assert relative_error(grads["a"], reference.dropout_backward(g, **inputs, p=p)["a"]) < 1e-12


def test_dropout_refuses_a_rate_of_one():
    module = kernel_module("dropout")
    with pytest.raises(ValueError, match=r"dropout.forward: p=1.0 makes 1 - p zero"):
        module.forward(np.ones((2, 2)), np.ones((2, 2)), p=1.0)
    with pytest.raises(ValueError, match=r"p must be a finite number >= 0"):
        module.forward(np.ones((2, 2)), np.ones((2, 2)), p=float("nan"))


def test_batchnorm_gradient_is_the_three_term_closed_form():
    """∂L/∂x[i] = γ/σ (g[i] - (1/N) Σ_n g[n] - x̂[i] (1/N) Σ_n g[n] x̂[n]), written here by hand,
    equals the derived result exactly (at N = 3, all sums written out)."""
    rule = RULES["batchnorm"]
    gr = gradient(rule, "x")
    i, j = gr.index
    x, g, gamma = (sp.IndexedBase(s, real=True) for s in ("x", "g", "gamma"))
    N = sp.Symbol("N", integer=True, positive=True)
    eps = sp.Symbol("epsilon", positive=True)
    n = sp.Symbol("n_", integer=True)
    mean = sp.Sum(x[n, j], (n, 0, N - 1)) / N
    sigma = sp.sqrt(sp.Sum((x[n, j] - mean) ** 2, (n, 0, N - 1)) / N + eps)

    def xhat(k):
        return (x[k, j] - mean) / sigma

    closed = gamma[j] / sigma * (g[i, j] - sp.Sum(g[n, j], (n, 0, N - 1)) / N
                                 - xhat(i) * sp.Sum(g[n, j] * xhat(n), (n, 0, N - 1)) / N)
    # three terms inside the derived parenthesis, as in the closed form
    inner = [f for f in sp.Mul.make_args(gr.result) if isinstance(f, sp.Add)]
    assert [len(f.args) for f in inner] == [3]
    at3 = {N: 3}
    derived = gr.result.subs(at3).doit()
    want = closed.subs(at3).doit()
    values = {s: sp.Rational(k + 2, 7) for k, s in enumerate(sorted(
        (derived - want).atoms(sp.Indexed), key=sp.default_sort_key))}
    assert sp.simplify((derived - want).subs(values).subs(i, 1)) == 0
    assert sp.simplify(derived - want) == 0
