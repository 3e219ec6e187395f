"""Convolution, pooling, flatten and depthwise kernels over a grid of shapes drawn by hypothesis,
against the hand-written loop reference (1e-10) and central finite differences (1e-6): the
committed kernels, and the same rules lowered with the window strategy the network uses ("gemm":
one matrix product per window sum, through patches or scattered back)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import reference
from conftest import (call_backward, call_forward, kernel_module, relative_error,
                      strategy_module)

SETTINGS = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def conv_case(draw):
    n, c, o = draw(st.integers(1, 4)), draw(st.integers(1, 6)), draw(st.integers(1, 6))
    h, w = draw(st.integers(5, 32)), draw(st.integers(5, 32))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    stride, padding = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    assume(h + 2 * padding >= kh and w + 2 * padding >= kw)
    return (n, c, h, w), (o, c, kh, kw), dict(stride=stride, padding=padding)


@st.composite
def pool_case(draw):
    shape = (draw(st.integers(1, 4)), draw(st.integers(1, 6)),
             draw(st.integers(5, 32)), draw(st.integers(5, 32)))
    return shape, dict(size=draw(st.integers(1, 5)), stride=draw(st.integers(1, 3)))


@st.composite
def depthwise_case(draw):
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 6))
    h, w = draw(st.integers(5, 32)), draw(st.integers(5, 32))
    return (n, c, h, w), (c, draw(st.integers(1, 5)), draw(st.integers(1, 5)))


def sampled_fd(module, inputs, g, name, rng, count=12, eps=1e-6, **options):
    """Central differences of sum(g * forward) at `count` random entries of input `name`."""
    x = inputs[name]
    picks = [tuple(int(rng.integers(0, s)) for s in x.shape) for _ in range(count)]
    out = []
    for idx in picks:
        values = []
        for step in (eps, -eps):
            shifted = dict(inputs, **{name: x.copy()})
            shifted[name][idx] += step
            values.append(call_forward(module, shifted, **options))
        # the outputs subtracted before they are summed: two sums of many terms would cancel
        out.append(np.sum(g * (values[0] - values[1])) / (2 * eps))
    return picks, np.array(out)


WINDOWS = pytest.mark.parametrize("window", ["default", "gemm"])


def check(name, inputs, options, ref_options, seed, window="default"):
    module = strategy_module(name, window)
    rng = np.random.default_rng(seed)
    out = call_forward(module, inputs, **options)
    want = getattr(reference, f"{name}_forward")(**inputs, **ref_options)
    assert out.shape == want.shape
    assert relative_error(out, want) < 1e-12
    g = rng.standard_normal(out.shape)
    got = call_backward(module, g, inputs, out, **options)
    ref = getattr(reference, f"{name}_backward")(g, **inputs, **ref_options)
    for key in ref:
        assert got[key].shape == inputs[key].shape, key
        assert relative_error(got[key], ref[key]) < 1e-10, key
        picks, fd = sampled_fd(module, inputs, g, key, rng, **options)
        analytic = np.array([got[key][idx] for idx in picks])
        assert np.max(np.abs(analytic - fd)) <= 1e-6 * max(1.0, np.max(np.abs(fd))), key


@WINDOWS
@SETTINGS
@given(conv_case(), st.integers(0, 2**16))
def test_conv2d(window, case, seed):
    a_shape, w_shape, options = case
    rng = np.random.default_rng(seed)
    inputs = {"a": rng.standard_normal(a_shape), "w": rng.standard_normal(w_shape),
              "b": rng.standard_normal(w_shape[0])}
    check("conv2d", inputs, options, options, seed, window)


@WINDOWS
@SETTINGS
@given(pool_case(), st.integers(0, 2**16))
def test_avgpool2d(window, case, seed):
    shape, options = case
    assume(options["size"] <= min(shape[2:]))
    inputs = {"a": np.random.default_rng(seed).standard_normal(shape)}
    check("avgpool2d", inputs, options, {"k": options["size"], "stride": options["stride"]}, seed,
          window)


@WINDOWS
@SETTINGS
@given(pool_case(), st.integers(0, 2**16))
def test_maxpool2d(window, case, seed):
    shape, options = case
    assume(options["size"] <= min(shape[2:]))
    inputs = {"a": np.random.default_rng(seed).standard_normal(shape)}
    check("maxpool2d", inputs, options, {"k": options["size"], "stride": options["stride"]}, seed,
          window)


@WINDOWS
@pytest.mark.parametrize("size, stride", [(2, 2), (3, 2), (2, 1)])
def test_maxpool2d_ties_all_receive_the_gradient(window, size, stride):
    """The convention for ties, stated in the rule: every entry equal to its window's maximum
    receives the window's upstream gradient (overlapping windows add)."""
    rng = np.random.default_rng(size * 10 + stride)
    a = rng.integers(0, 3, (2, 3, 7, 6)).astype(float)  # few values: many ties
    module = strategy_module("maxpool2d", window)
    z = module.forward(a, size=size, stride=stride)
    g = rng.standard_normal(z.shape)
    got = module.backward(g, a, z, size=size, stride=stride)["a"]
    want = reference.maxpool2d_backward(g, a, k=size, stride=stride)["a"]
    assert np.allclose(got, want, rtol=0, atol=1e-12)
    window_hits = (a[:, :, :size, :size] == z[:, :, :1, :1]).sum(axis=(2, 3))
    assert (window_hits > 1).any()  # the case is about ties


@SETTINGS
@given(pool_case(), st.integers(0, 2**16))
def test_flatten(case, seed):
    shape, _ = case
    inputs = {"a": np.random.default_rng(seed).standard_normal(shape)}
    check("flatten", inputs, {}, {}, seed)
    assert kernel_module("flatten").forward(inputs["a"]).shape == (shape[0], int(np.prod(shape[1:])))


@WINDOWS
@SETTINGS
@given(depthwise_case(), st.integers(0, 2**16))
def test_depthwise_conv2d(window, case, seed):
    a_shape, w_shape = case
    rng = np.random.default_rng(seed)
    inputs = {"a": rng.standard_normal(a_shape), "w": rng.standard_normal(w_shape)}
    check("depthwise_conv2d", inputs, {}, {}, seed, window)


def test_lenet_sizes():
    """C1 on 32x32 and S2 give the paper's 6@28x28 and 6@14x14."""
    conv, pool = kernel_module("conv2d"), kernel_module("avgpool2d")
    x = np.zeros((2, 1, 32, 32))
    c1 = conv.forward(x, np.zeros((6, 1, 5, 5)), np.zeros(6))
    assert c1.shape == (2, 6, 28, 28) and pool.forward(c1).shape == (2, 6, 14, 14)


class TestErrors:
    conv = staticmethod(lambda: kernel_module("conv2d"))

    def test_kernel_larger_than_padded_image(self):
        a, w, b = np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 7, 3)), np.zeros(1)
        with pytest.raises(ValueError, match=r"argument 'a' \(1, 1, 4, 4\) and argument 'w' "
                                             r"\(1, 1, 7, 3\) give OH = .* = 0 < 1.*padding=1"):
            self.conv().forward(a, w, b, padding=1)

    def test_stride_zero(self):
        a, w, b = np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)), np.zeros(1)
        with pytest.raises(ValueError, match=r"conv2d.forward: stride must be an integer >= 1, got 0"):
            self.conv().forward(a, w, b, stride=0)
        with pytest.raises(ValueError, match=r"conv2d.backward: padding must be an integer >= 0"):
            self.conv().backward(np.zeros((1, 1, 2, 2)), a, w, padding=-1)

    def test_channel_mismatch(self):
        a, w, b = np.zeros((1, 3, 8, 8)), np.zeros((4, 2, 3, 3)), np.zeros(4)
        with pytest.raises(ValueError, match=r"argument 'w' expected shape \(O, C, KH, KW\) = "
                                             r"\('O', 3, 'KH', 'KW'\), got \(4, 2, 3, 3\)"):
            self.conv().forward(a, w, b)

    def test_upstream_of_the_wrong_size(self):
        a, w = np.zeros((1, 1, 8, 8)), np.zeros((1, 1, 3, 3))
        with pytest.raises(ValueError, match=r"argument 'g' expected shape \(N, O, OH, OW\) = "
                                             r"\(1, 1, 6, 6\), got \(1, 1, 5, 5\)"):
            self.conv().backward(np.zeros((1, 1, 5, 5)), a, w)

    def test_pool_window_larger_than_image(self):
        with pytest.raises(ValueError, match=r"argument 'a' \(1, 1, 3, 3\) give OH = .* < 1, size=4"):
            kernel_module("avgpool2d").forward(np.zeros((1, 1, 3, 3)), size=4)

    def test_flatten_upstream_must_match(self):
        with pytest.raises(ValueError, match=r"argument 'g' expected shape \(N, C\*H\*W\) = "
                                             r"\(2, 12, \), got \(2, 13\)|argument 'g' expected"):
            kernel_module("flatten").backward(np.zeros((2, 13)), np.zeros((2, 3, 2, 2)))
