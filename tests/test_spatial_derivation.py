"""The article's equations (5) and (6), and the input gradient it leaves out, from the engine.

The expected forms are written here by hand from the article (stride 1, no padding), and the
strided, padded forms are checked for their folded bounds and divisibility conditions."""
from __future__ import annotations

import sympy as sp

from derive.symbolic.differentiate import gradient
from derive.rules import RULES

g, a, w = (sp.IndexedBase(x, real=True) for x in ("g", "a", "w"))
n, i, j, o, u, v = sp.symbols("n i j o u v", integer=True)
N, O, OH, OW, KH, KW = sp.symbols("N O OH OW KH KW", integer=True, positive=True)
s, k = sp.symbols("s k", integer=True, positive=True)
P = sp.Symbol("P", integer=True, nonnegative=True)
ARTICLE = {s: 1, P: 0}


def same(x, y):
    return sp.simplify(x - y) == 0


def test_eq6_weight_gradient_is_input_correlated_with_delta():
    gr = gradient(RULES["conv2d"], "w")
    oo, cc, x, y = gr.index
    want = sp.Sum(g[n, oo, i, j] * a[n, cc, i + x, j + y], (n, 0, N - 1), (i, 0, OH - 1), (j, 0, OW - 1))
    assert same(gr.gathered.subs(ARTICLE), want)
    strided = sp.Sum(g[n, oo, i, j] * a[n, cc, s * i + x - P, s * j + y - P],
                     (n, 0, N - 1), (i, 0, OH - 1), (j, 0, OW - 1))
    assert same(gr.gathered, strided)


def test_eq6_bias_gradient_is_sum_of_delta_image():
    gr = gradient(RULES["conv2d"], "b")
    (oo,) = gr.index
    assert same(gr.gathered, sp.Sum(g[n, oo, i, j], (n, 0, N - 1), (i, 0, OH - 1), (j, 0, OW - 1)))


def test_input_gradient_is_full_convolution_with_flipped_kernel():
    gr = gradient(RULES["conv2d"], "a")
    nn, cc, p, q = gr.index
    want = sp.Sum(g[nn, o, p - u, q - v] * w[o, cc, u, v], (o, 0, O - 1),
                  (u, sp.Max(0, p - OH + 1), sp.Min(KH - 1, p)),
                  (v, sp.Max(0, q - OW + 1), sp.Min(KW - 1, q)))
    assert same(gr.gathered.subs(ARTICLE), want)


def test_strided_input_gradient_has_folded_bounds_and_divisibility():
    gr = gradient(RULES["conv2d"], "a")
    nn, cc, p, q = gr.index
    (body, *limits) = gr.gathered.args
    bounds = {lim[0]: (lim[1], lim[2]) for lim in limits}
    assert same(bounds[u][0], sp.Max(0, p + P - s * (OH - 1)))
    assert same(bounds[u][1], sp.Min(KH - 1, p + P))
    assert isinstance(body, sp.Piecewise)
    value, cond = body.args[0]
    assert same(value, g[nn, o, (p + P - u) / s, (q + P - v) / s] * w[o, cc, u, v])
    mods = {sp.simplify(c.lhs) for c in cond.args}
    assert mods == {sp.Mod(p + P - u, s), sp.Mod(q + P - v, s)}


def _evaluate(expr, values):
    """expr with concrete sizes and indices, sums expanded."""
    return sp.simplify(expr.subs(values).doit())


def test_eq5_pooling_adjoint_stride_one():
    gr = gradient(RULES["avgpool2d"], "a")
    nn, cc, p, q = gr.index
    want = sp.Sum(g[nn, cc, p - u, q - v], (u, sp.Max(0, p - OH + 1), sp.Min(k - 1, p)),
                  (v, sp.Max(0, q - OW + 1), sp.Min(k - 1, q))) / k ** 2
    assert same(gr.gathered.subs({s: 1}), want)


def test_eq5_non_overlapping_windows_send_delta_over_mn():
    """LeNet-5's 2x2 windows with stride 2: δ^{l-1}_{pq} = δ^l_{p//2, q//2} / 4."""
    gr = gradient(RULES["avgpool2d"], "a")
    nn, cc, p, q = gr.index
    for pv in range(6):
        for qv in (0, 3):
            got = _evaluate(gr.gathered, {k: 2, s: 2, OH: 3, OW: 2, p: pv, q: qv})
            assert got == g[nn, cc, pv // 2, qv // 2] / 4, (pv, qv)


def test_overlapping_windows_sum_every_window():
    gr = gradient(RULES["avgpool2d"], "a")
    nn, cc, p, q = gr.index
    got = _evaluate(gr.gathered, {k: 3, s: 1, OH: 4, OW: 4, p: 2, q: 0})
    assert got == sum(g[nn, cc, i_, 0] for i_ in (0, 1, 2)) / 9
