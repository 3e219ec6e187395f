"""What the source article claims, for comparison only: nothing here feeds a derivation.

Each claim pairs a result the engine derives (a gradient, or two composed by the chain rule) with
the article's formula written in the project's index notation. `verdict` compares them
symbolically; the derivation document prints both and names a slip where they differ.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import sympy as sp

from derive.symbolic.differentiate import compose, gradient, jacobian
from derive import rules
from derive.rules import RULES

g = sp.IndexedBase("g", real=True)
n, j, k, m, i, u, v, o = sp.symbols("n j k m i u v o", integer=True)
N, J, K, H, W, C, O, OH, OW, KH, KW = sp.symbols("N J K H W C O OH OW KH KW", integer=True,
                                                 positive=True)
STRIDE, WINDOW, PAD = rules.stride, rules.window, rules.pad
ARTICLE_CASE = {STRIDE: 1, PAD: 0}  # the article's convolutions and windows: stride 1, no padding


def _loss(rule: str, name: str):
    gr = gradient(RULES[rule], name)
    return gr.result.subs(sp.Symbol("g"), 1), gr.index


def _chain(outer: tuple[str, str], inner: tuple[str, str], loss_outer: bool):
    if loss_outer:
        expr, index = _loss(*outer)
    else:
        gr = gradient(RULES[outer[0]], outer[1])
        expr, index = gr.result, gr.index
    inner_gr = gradient(RULES[inner[0]], inner[1])
    return compose(expr, index, inner_gr), inner_gr.index


def _plain(rule: str, name: str):
    gr = gradient(RULES[rule], name)
    return gr.result, gr.index


@dataclass(frozen=True)
class Claim:
    section: str
    title: str
    article_latex: str                      # as the article writes it
    derived: Callable[[], tuple[sp.Expr, tuple]]
    article: Callable[[tuple], sp.Expr]     # the article's form, in the derived result's indices
    remark: str = ""
    slip: str = ""                          # a slip in the article's text that no formula here has
    setting: dict = field(default_factory=dict)  # the article's special case (stride 1, no padding)
    rules: tuple[str, ...] = ()             # the rules the derived side comes from

    def verdict(self) -> tuple[sp.Expr, tuple, bool]:
        expr, index = self.derived()
        expr = expr.subs(self.setting)
        return expr, index, equivalent(expr, self.article(index))


def equivalent(a: sp.Expr, b: sp.Expr) -> bool:
    diff = sp.expand(sp.simplify(a - b))
    if diff == 0:
        return True
    terms = diff.replace(lambda e: isinstance(e, sp.Sum), lambda e: sp.Sum(sp.expand(e.function), *e.limits))
    return sp.simplify(terms) == 0


def _a(t):
    return sp.IndexedBase(t, real=True)


CLAIMS = [
    Claim("1 (1)", "tanh + MSE: the output delta",
          r"\delta^l_j = -(y_j - a^l_j)\,(1 - \tanh(z^l_j)^2)",
          lambda: _chain(("mse", "a"), ("tanh", "z"), True),
          lambda ix: -(_a("y")[ix] - _a("a")[ix]) * (1 - _a("a")[ix] ** 2) / N,
          "per sample in the article; here averaged over the batch (the $1/N$)",
          rules=('mse', 'tanh')),
    Claim("1 (1)", "tanh + MSE: the weight gradient, element form",
          r"\Delta w^l_{ji} = \delta^l_j \, a^{l-1}_j",
          lambda: _plain("dense", "W"),
          lambda ix: sp.Sum(g[n, ix[0]] * _a("a")[n, ix[0]], (n, 0, N - 1)),
          "the article writes $a^{l-1}_j$; the derivation gives $a^{l-1}_i$ (matrix form $\\delta^{l} (a^{l-1})^T$)",
          rules=('dense',)),
    Claim("1 (2)", "softmax + cross-entropy: the logit delta",
          r"\frac{\partial J}{\partial z^l_j} = \mathrm{softmax}(z^l_j) - y_j",
          lambda: _loss("softmax_cross_entropy", "z"),
          lambda ix: (sp.exp(_a("z")[ix]) / sp.Sum(sp.exp(_a("z")[ix[0], m]), (m, 0, K - 1))
                      - _a("y")[ix]) / N,
          "the fact $\\sum_k y_k = 1$ of a one-hot label is what makes it exact",
          rules=('softmax_cross_entropy',)),
    Claim("1 (2)", "the softmax Jacobian",
          r"\frac{\partial s_i}{\partial z_j} = s_i (1 - s_j) \;(i = j), \quad -s_i s_j \;(i \ne j)",
          lambda: jacobian(RULES["softmax"], "z"),
          lambda ix: _a("s")[n, k] * (sp.KroneckerDelta(k, ix[1]) - _a("s")[n, ix[1]])
          * sp.KroneckerDelta(n, ix[0]),
          "$\\mathrm{diag}(s) - s s^T$; in its $i = j$ case the article differentiates by $z_j$ "
          "while $j$ also runs over the sum in the denominator, so its middle lines mix $i$ and $j$",
          rules=('softmax',)),
    Claim("1 (3)", "fully connected layer: the delta of the previous layer",
          r"\delta^{l-1}_i = \Big(\sum_j \delta^l_j w^l_{ji}\Big) \tanh'(z^{l-1}_i)",
          lambda: _chain(("dense", "a"), ("tanh", "z"), False),
          lambda ix: sp.Sum(g[ix[0], j] * _a("W")[j, ix[1]], (j, 0, J - 1)) * (1 - _a("a")[ix] ** 2),
          "matrix form $((W^l)^T \\delta^l) \\odot \\tau'(z^{l-1})$, with $\\tanh' = 1 - a^2$ found by "
          "substitution",
          rules=('dense', 'tanh')),
    Claim("1 (4)", "pooling layer <- fully connected layer: flatten, then dense",
          r"\delta^{l-1}_i = \sum_j \delta^l_j w^l_{ji}",
          lambda: _chain(("dense", "a"), ("flatten", "a"), False),
          lambda ix: sp.Sum(g[ix[0], j] * _a("W")[j, ix[1] * H * W + ix[2] * W + ix[3]], (j, 0, J - 1)),
          "no $\\tau'$: the pooled maps have no activation; the row index of $W$ is the flattened "
          "position $cHW + yW + x$",
          slip="its matrix form writes $\\mathbf{z}^{l-1}$ on the left where "
               "$\\boldsymbol{\\delta}^{l-1}$ is meant",
          rules=('dense', 'flatten')),
    Claim("1 (5)", "convolutional layer <- average pooling: the pooling adjoint",
          r"\delta^{l-1}_{pq} = \frac{\delta^l_{ij}}{m n}",
          lambda: _plain("avgpool2d", "a"),
          lambda ix: sp.Sum(g[ix[0], ix[1], ix[2] - u, ix[3] - v],
                            (u, sp.Max(0, ix[2] - OH + 1), sp.Min(ix[2], WINDOW - 1)),
                            (v, sp.Max(0, ix[3] - OW + 1), sp.Min(ix[3], WINDOW - 1))) / WINDOW ** 2,
          "every window $(i, j) = (p - u, q - v)$ that holds $(p, q)$ sends it $\\delta/k^2$ "
          "(the article: one window, non-overlapping); with stride $s$ the folded bounds and "
          "$s \\mid p - u$ pick the windows",
          setting=ARTICLE_CASE,
          rules=('avgpool2d',)),
    Claim("1 (6)", "convolutional layer: the weight gradient",
          r"\frac{\partial J}{\partial w^l_{xy}} = \sum_{i,j} \delta^l_{ij} a^{l-1}_{i+x, j+y}",
          lambda: _plain("conv2d", "w"),
          lambda ix: sp.Sum(_a("a")[n, ix[1], i + ix[2], j + ix[3]] * g[n, ix[0], i, j],
                            (n, 0, N - 1), (i, 0, OH - 1), (j, 0, OW - 1)),
          "the input correlated with the delta image, summed over the batch; with stride and "
          "padding the read is $a_{n, c, s i + u - P, s j + v - P}$",
          setting=ARTICLE_CASE,
          rules=('conv2d',)),
    Claim("1 (6)", "convolutional layer: the bias gradient",
          r"\frac{\partial J}{\partial b^l} = \sum_{i,j} \delta^l_{ij}",
          lambda: _plain("conv2d", "b"),
          lambda ix: sp.Sum(g[n, ix[0], i, j], (n, 0, N - 1), (i, 0, OH - 1), (j, 0, OW - 1)),
          "the sum of the delta image", setting=ARTICLE_CASE,
          rules=('conv2d',)),
    Claim("left out", "convolutional layer: the input gradient",
          r"\frac{\partial J}{\partial a^{l-1}_{pq}} = \sum_{x,y} \delta^l_{p-x, q-y} w^l_{xy}",
          lambda: _plain("conv2d", "a"),
          lambda ix: sp.Sum(g[ix[0], o, ix[2] - u, ix[3] - v] * _a("w")[o, ix[1], u, v],
                            (o, 0, O - 1),
                            (u, sp.Max(0, ix[2] - OH + 1), sp.Min(KH - 1, ix[2])),
                            (v, sp.Max(0, ix[3] - OW + 1), sp.Min(KW - 1, ix[3]))),
          "the article leaves it out: a full convolution of the delta image with the flipped "
          "kernel, its bounds folded from the range conditions (scatter turned into gather)",
          setting=ARTICLE_CASE,
          rules=('conv2d',)),
]
