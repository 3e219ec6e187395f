"""The engine's derived results, compared symbolically with the article's (written here by hand)."""
from __future__ import annotations

import pytest
import sympy as sp

from derive.symbolic.differentiate import compose, gradient, jacobian
from derive.rules import RULES

g = sp.IndexedBase("g", real=True)
a, y, z, s, W = (sp.IndexedBase(x, real=True) for x in "ayzsW")
n, j, k, m = sp.symbols("n j k m", integer=True)
N, J, K = sp.symbols("N J K", integer=True, positive=True)


def same(x, y_):
    return sp.simplify(sp.expand(x - y_)) == 0


def loss_grad(rule, name):
    gr = gradient(RULES[rule], name)
    return gr.result.subs(sp.Symbol("g"), 1), gr.index


def test_tanh_mse_output_delta():
    """δ = -(y - a)(1 - a²), averaged over the batch."""
    dj_da, index = loss_grad("mse", "a")
    delta = compose(dj_da, index, gradient(RULES["tanh"], "z"))
    p, q = gradient(RULES["tanh"], "z").index
    assert same(delta, -(y[p, q] - a[p, q]) * (1 - a[p, q] ** 2) / N)


def test_tanh_derivative_found_in_terms_of_output():
    gr = gradient(RULES["tanh"], "z")
    assert not gr.result.has(sp.tanh) and gr.uses_output
    assert gr.gathered.has(sp.tanh)


def test_sigmoid_and_scaled_tanh_in_terms_of_output():
    p, q = gradient(RULES["sigmoid"], "z").index
    assert same(gradient(RULES["sigmoid"], "z").result, a[p, q] * (1 - a[p, q]) * g[p, q])
    A, S = sp.symbols("A S", positive=True)
    assert same(gradient(RULES["scaled_tanh"], "z").result, A * S * (1 - (a[p, q] / A) ** 2) * g[p, q])


def test_softmax_cross_entropy_delta():
    """δ = softmax(z) - y, using the fact Σ_k y_k = 1."""
    delta, (p, q) = loss_grad("softmax_cross_entropy", "z")
    softmax = sp.exp(z[p, q]) / sp.Sum(sp.exp(z[p, m]), (m, 0, K - 1))
    assert same(delta, (softmax - y[p, q]) / N)
    assert not delta.has(sp.Sum(y[p, k], (k, 0, K - 1)))


def test_softmax_cross_entropy_needs_the_fact():
    from dataclasses import replace

    rule = RULES["softmax_cross_entropy"]
    without = replace(rule, facts=())
    gr = gradient(without, "z")
    assert gr.gathered.has(sp.Sum) and any(
        isinstance(x, sp.Sum) and x.function.has(y) for x in sp.preorder_traversal(gr.gathered))


def test_softmax_jacobian_is_diag_minus_outer():
    jac, (p, q) = jacobian(RULES["softmax"], "z")
    # ∂s[n,k]/∂z[p,q] = δ_np (s[n,k] δ_kq - s[n,k] s[n,q])  i.e. diag(s) - s sᵀ per sample
    want = sp.KroneckerDelta(n, p) * (s[n, k] * sp.KroneckerDelta(k, q) - s[n, k] * s[n, q])
    assert same(jac, want)


def test_softmax_vjp():
    gr = gradient(RULES["softmax"], "z")
    p, q = gr.index
    want = s[p, q] * (g[p, q] - sp.Sum(g[p, k] * s[p, k], (k, 0, K - 1)))
    assert same(gr.result, want)


def test_dense_previous_delta_and_weight_gradient():
    """δ^{l-1} = (Wᵀ δ^l) ⊙ τ'(z^{l-1}) and ΔW = δ aᵀ."""
    grad_a = gradient(RULES["dense"], "a")
    tanh_z = gradient(RULES["tanh"], "z")
    p, q = tanh_z.index
    delta = compose(grad_a.result, grad_a.index, tanh_z)
    assert same(delta, sp.Sum(W[j, q] * g[p, j], (j, 0, J - 1)) * (1 - a[p, q] ** 2))
    grad_w = gradient(RULES["dense"], "W")
    r, c = grad_w.index
    assert same(grad_w.result, sp.Sum(g[n, r] * a[n, c], (n, 0, N - 1)))
    (b_index,) = gradient(RULES["dense"], "b").index
    assert same(gradient(RULES["dense"], "b").result, sp.Sum(g[n, b_index], (n, 0, N - 1)))


def test_relu_has_a_defined_derivative_at_zero():
    gr = gradient(RULES["relu"], "z")
    p, q = gr.index
    assert gr.result.subs(z[p, q], 0) == 0
    assert gr.result.subs(z[p, q], sp.Rational(1, 3)) == g[p, q]


def test_labels_are_not_differentiated():
    with pytest.raises(ValueError, match="'y' is a label"):
        gradient(RULES["mse"], "y")


def test_article_slip_detected():
    from derive.documents.article import CLAIMS

    verdicts = {c.title: c.verdict()[2] for c in CLAIMS}
    assert verdicts["tanh + MSE: the weight gradient, element form"] is False
    assert all(v for t, v in verdicts.items() if "element form" not in t)
    assert [c.title for c in CLAIMS if c.slip] == [
        "pooling layer <- fully connected layer: flatten, then dense"]
