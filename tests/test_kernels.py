"""Every generated kernel against the hand-written reference and against finite differences."""
from __future__ import annotations

import re

import numpy as np
import pytest

import reference
from conftest import (call_backward, finite_difference, kernel_module, relative_error,
                      sample_inputs, upstream_for)
from derive.rules import RULES

NAMES = sorted(RULES)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backward_matches_reference(name, seed):
    rule, module = RULES[name], kernel_module(name)
    rng = np.random.default_rng(seed)
    inputs = sample_inputs(rule, rng)
    out = module.forward(*[inputs[n] for n in module.INPUTS])
    want_out = getattr(reference, f"{name}_forward")(**inputs)
    assert relative_error(out, want_out) < 1e-12
    g = upstream_for(rule, out, rng)
    got = call_backward(module, g, inputs, out)
    want = getattr(reference, f"{name}_backward")(g, **inputs)
    assert sorted(got) == sorted(t.name for t in rule.differentiable)
    for key in got:
        assert got[key].shape == inputs[key].shape
        assert relative_error(got[key], want[key]) < 1e-10, key


@pytest.mark.parametrize("name", NAMES)
def test_backward_matches_finite_differences(name):
    rule, module = RULES[name], kernel_module(name)
    rng = np.random.default_rng(7)
    inputs = sample_inputs(rule, rng)
    out = module.forward(*[inputs[n] for n in module.INPUTS])
    g = upstream_for(rule, out, rng)
    got = call_backward(module, g, inputs, out)
    for t in rule.differentiable:
        fd = finite_difference(module, inputs, g, t.name)
        assert relative_error(got[t.name], fd) < 1e-6, t.name


@pytest.mark.parametrize("name", NAMES)
def test_float32_stays_float32(name):
    rule, module = RULES[name], kernel_module(name)
    rng = np.random.default_rng(3)
    inputs = sample_inputs(rule, rng, dtype=np.float32)
    out = module.forward(*[inputs[n] for n in module.INPUTS])
    g = upstream_for(rule, out, rng)
    grads = call_backward(module, g, inputs, out)
    for key, value in grads.items():
        assert value.dtype == np.float32, key
    want = getattr(reference, f"{name}_backward")(
        g, **{k: v.astype(np.float64) for k, v in inputs.items()})
    for key in grads:
        # float32 rounding, measured against the gradient's or the upstream's scale (a gradient
        # that is zero in exact arithmetic, batch norm's over two samples, is pure rounding)
        scale = max(float(np.abs(want[key]).max()), float(np.abs(np.asarray(g)).max()), 1.0)
        assert float(np.abs(grads[key] - want[key]).max()) <= 1e-4 * scale, key


def _grow_last(x):  # noqa: D103
    return np.zeros(x.shape[:-1] + (x.shape[-1] + 1,))


@pytest.mark.parametrize("name", NAMES)
def test_wrong_rank_names_the_argument(name):
    rule, module = RULES[name], kernel_module(name)
    inputs = sample_inputs(rule, np.random.default_rng(4))
    for victim in module.INPUTS:
        bad = dict(inputs, **{victim: np.zeros(inputs[victim].shape + (1,))})
        with pytest.raises(ValueError, match=rf"forward: argument '{victim}' expected shape"):
            module.forward(*[bad[n] for n in module.INPUTS])


def _shared_axis(rule):
    """An (input, axis) whose size another input also has, so a mismatch is detectable."""
    for t in reversed(rule.tensors):
        for axis, d in enumerate(t.shape):
            if d.is_Symbol and any(d in u.shape for u in rule.tensors if u is not t):
                return t.name, axis
    return None


@pytest.mark.parametrize("name", [n for n in NAMES if _shared_axis(RULES[n])])
def test_mismatched_sizes_name_the_argument(name):
    rule, module = RULES[name], kernel_module(name)
    inputs = sample_inputs(rule, np.random.default_rng(4))
    victim, axis = _shared_axis(rule)
    shape = list(inputs[victim].shape)
    shape[axis] += 1
    bad = dict(inputs, **{victim: np.zeros(shape)})
    dims = ", ".join(str(d) for d in rule.tensor(victim).shape)
    with pytest.raises(ValueError, match=rf"argument '{victim}' expected shape \({dims}\) = "
                                         rf".* got {re.escape(str(tuple(shape)))}"):
        module.forward(*[bad[n] for n in module.INPUTS])


@pytest.mark.parametrize("name", [n for n in NAMES  # a backward that reads only g has g's shape
                                  if RULES[n].output.rank and kernel_module(n).BACKWARD_ARGS])
def test_wrong_upstream_shape_names_g(name):
    rule, module = RULES[name], kernel_module(name)
    inputs = sample_inputs(rule, np.random.default_rng(4))
    out = module.forward(*[inputs[n] for n in module.INPUTS])
    with pytest.raises(ValueError, match=r"backward: argument 'g' expected shape"):
        call_backward(module, _grow_last(out), inputs, out)


@pytest.mark.parametrize("name", NAMES)
def test_non_float_dtype_is_refused(name):
    rule, module = RULES[name], kernel_module(name)
    inputs = sample_inputs(rule, np.random.default_rng(5))
    first = module.INPUTS[0]
    bad = dict(inputs, **{first: inputs[first].astype(np.int64)})
    with pytest.raises(ValueError, match=rf"argument '{first}' must have a float dtype, got int64"):
        module.forward(*[bad[n] for n in module.INPUTS])
    out = module.forward(*[inputs[n] for n in module.INPUTS])
    with pytest.raises(ValueError, match="argument 'g' must be"):
        call_backward(module, [[1, 2]] if rule.output.rank else "1", inputs, out)


def test_backward_checks_upstream_shape():
    module = kernel_module("dense")
    a, W, b = np.ones((3, 4)), np.ones((5, 4)), np.ones(5)
    with pytest.raises(ValueError, match=r"argument 'g' expected shape \(N, J\) = \(3, 5\), got \(3, 6\)"):
        module.backward(np.ones((3, 6)), a, W)


@pytest.mark.parametrize("scale", [1000.0, -1000.0])
def test_softmax_and_cross_entropy_are_stable(scale):
    z = np.array([[scale, 0.0, -scale], [0.5 * scale, scale, 0.0]])
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    ce = kernel_module("softmax_cross_entropy")
    loss = ce.forward(z, y)
    assert np.isfinite(loss)
    # exact: row losses are max(z) - z_y (the other terms underflow to 0 against e^{1000})
    want = np.mean([np.max(row) - row[np.argmax(lab)] for row, lab in zip(z, y)])
    assert loss == pytest.approx(want, rel=1e-12)
    grad = ce.backward(1.0, z, y)["z"]
    assert np.all(np.isfinite(grad))
    assert relative_error(grad, reference.softmax_cross_entropy_backward(1.0, z, y)["z"]) < 1e-12
    sm = kernel_module("softmax")
    s = sm.forward(z)
    assert np.all(np.isfinite(s)) and np.allclose(s.sum(axis=1), 1.0)
    assert np.all(np.isfinite(sm.backward(np.ones_like(z), s)["z"]))


def test_relu_derivative_at_zero_is_zero():
    module = kernel_module("relu")
    z = np.array([[-1.0, 0.0, 2.0]])
    assert module.backward(np.ones_like(z), z)["z"].tolist() == [[0.0, 0.0, 1.0]]


def test_a_fact_the_derivation_used_is_checked():
    module = kernel_module("softmax_cross_entropy")
    z, y = np.zeros((2, 3)), np.full((2, 3), 0.5)
    with pytest.raises(ValueError, match=r"argument 'y' must satisfy Σ_\{k\}\(y\[n, k\]\) = 1"):
        module.backward(1.0, z, y)


def test_backward_computes_only_what_is_asked():
    module = kernel_module("dense")
    a, W, g = np.ones((3, 4)), np.ones((5, 4)), np.ones((3, 5))
    assert sorted(module.backward(g, a, W, wrt=("W",))) == ["W"]
    assert sorted(module.backward(g, a, W, wrt="b")) == ["b"]
    with pytest.raises(ValueError, match=r"wrt names \['x'\]"):
        module.backward(g, a, W, wrt=("x",))
