"""What the source article claims, for comparison only: nothing here feeds a derivation.

Each claim pairs a result the engine derives (a gradient, or two composed by the chain rule) with
the article's formula written in the project's index notation. `verdict` compares them
symbolically; the derivation document prints both and names a slip where they differ.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from .differentiate import compose, gradient, jacobian
from .rules import RULES

g = sp.IndexedBase("g")
n, j, k, m = sp.symbols("n j k m", integer=True)
N, J, K = sp.symbols("N J K", integer=True, positive=True)


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

    def verdict(self) -> tuple[sp.Expr, tuple, bool]:
        expr, index = self.derived()
        return expr, index, equivalent(expr, self.article(index))


def equivalent(a: sp.Expr, b: sp.Expr) -> bool:
    diff = sp.expand(sp.simplify(a - b))
    if diff == 0:
        return True
    terms = diff.replace(lambda e: isinstance(e, sp.Sum), lambda e: sp.Sum(sp.expand(e.function), *e.limits))
    return sp.simplify(terms) == 0


def _a(t):
    return sp.IndexedBase(t)


CLAIMS = [
    Claim("1 (1)", "tanh + MSE: the output delta",
          r"\delta^l_j = -(y_j - a^l_j)\,(1 - \tanh(z^l_j)^2)",
          lambda: _chain(("mse", "a"), ("tanh", "z"), True),
          lambda ix: -(_a("y")[ix] - _a("a")[ix]) * (1 - _a("a")[ix] ** 2) / N,
          "per sample in the article; here averaged over the batch (the $1/N$)"),
    Claim("1 (1)", "tanh + MSE: the weight gradient, element form",
          r"\Delta w^l_{ji} = \delta^l_j \, a^{l-1}_j",
          lambda: _plain("dense", "W"),
          lambda ix: sp.Sum(g[n, ix[0]] * _a("a")[n, ix[0]], (n, 0, N - 1)),
          "the article writes $a^{l-1}_j$; the derivation gives $a^{l-1}_i$ (matrix form $\\delta^{l} (a^{l-1})^T$)"),
    Claim("1 (2)", "softmax + cross-entropy: the logit delta",
          r"\frac{\partial J}{\partial z^l_j} = \mathrm{softmax}(z^l_j) - y_j",
          lambda: _loss("softmax_cross_entropy", "z"),
          lambda ix: (sp.exp(_a("z")[ix]) / sp.Sum(sp.exp(_a("z")[ix[0], m]), (m, 0, K - 1))
                      - _a("y")[ix]) / N,
          "the fact $\\sum_k y_k = 1$ of a one-hot label is what makes it exact"),
    Claim("1 (2)", "the softmax Jacobian",
          r"\frac{\partial s_i}{\partial z_j} = s_i (1 - s_j) \;(i = j), \quad -s_i s_j \;(i \ne j)",
          lambda: jacobian(RULES["softmax"], "z"),
          lambda ix: _a("s")[n, k] * (sp.KroneckerDelta(k, ix[1]) - _a("s")[n, ix[1]])
          * sp.KroneckerDelta(n, ix[0]),
          "$\\mathrm{diag}(s) - s s^T$; in its $i = j$ case the article differentiates by $z_j$ "
          "while $j$ also runs over the sum in the denominator, so its middle lines mix $i$ and $j$"),
    Claim("1 (3)", "fully connected layer: the delta of the previous layer",
          r"\delta^{l-1}_i = \Big(\sum_j \delta^l_j w^l_{ji}\Big) \tanh'(z^{l-1}_i)",
          lambda: _chain(("dense", "a"), ("tanh", "z"), False),
          lambda ix: sp.Sum(g[ix[0], j] * _a("W")[j, ix[1]], (j, 0, J - 1)) * (1 - _a("a")[ix] ** 2),
          "matrix form $((W^l)^T \\delta^l) \\odot \\tau'(z^{l-1})$, with $\\tanh' = 1 - a^2$ found by "
          "substitution"),
]
