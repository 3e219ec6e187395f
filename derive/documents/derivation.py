"""The derivations as documents: each rule's steps as LaTeX, in the order the article takes them.

forward definition → chain rule → Kronecker-delta form → solved (gathered) result →
in terms of the forward output (where the engine found one) → matrix form (where one exists).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from derive.documents.article import CLAIMS
from derive.symbolic.differentiate import gauss_newton, gradient, jacobian, stored_index
from derive.documents.matrix import matrix_form
from derive.symbolic.printing import latex
from derive.symbolic.rule import Rule


@dataclass
class Step:
    label: str
    tex: str


@dataclass
class GradientDoc:
    wrt: str
    lhs: str
    steps: list[Step]


@dataclass
class RuleDoc:
    name: str
    doc: str
    forward: str
    facts: list[str]
    constants: list[str]
    options: list[tuple[str, str, int]]
    sizes: list[str]
    jacobian: str | None
    gradients: list[GradientDoc]


@dataclass
class ClaimDoc:
    section: str
    title: str
    article: str
    derived: str
    agrees: bool
    slip: str
    remark: str


def _loss_display(expr: sp.Expr, rule: Rule, upstream: str = "g") -> sp.Expr:
    """For a loss, L = J, so the upstream gradient ∂L/∂J (and its second derivative) is 1."""
    return expr.subs(sp.Symbol(upstream), 1) if rule.output.rank == 0 else expr


@lru_cache(maxsize=None)
def rule_doc(rule: Rule, second_order: bool = False) -> RuleDoc:
    out = rule.output
    up = out.name
    head = out[stored_index(out, rule.index)] if out.rank else sp.Symbol(out.name)
    grads = []
    for t in rule.differentiable:
        gr = gradient(rule, t.name)
        show = lambda e: latex(_loss_display(e, rule), up)  # noqa: E731
        read = t[gr.index] if t.rank else sp.Symbol(t.name)
        top = "J" if out.rank == 0 else r"\mathcal{L}"
        lhs = rf"\frac{{\partial {top}}}{{\partial {latex(read)}}}"
        steps = [Step("chain rule", show(gr.chain)),
                 Step("Kronecker-delta form", show(gr.kronecker)),
                 Step("deltas solved", show(gr.gathered))]
        if gr.result != gr.gathered:
            steps.append(Step(f"in terms of the output {out.name}", show(gr.result)))
        mat = matrix_form(_loss_display(gr.result, rule), gr.index, up)
        if mat:
            steps.append(Step("matrix form", mat))
        grads.append(GradientDoc(t.name, lhs, steps))
    if second_order:
        for t in rule.differentiable:
            gr = gauss_newton(rule, t.name)
            read = t[gr.index] if t.rank else sp.Symbol(t.name)
            top = "J" if out.rank == 0 else r"\mathcal{L}"
            lhs = (rf"\frac{{\partial^2 {top}}}{{\partial {latex(read)}^2}}" if out.rank == 0
                   else rf"\frac{{\partial^2 {top}}}{{\partial {latex(read)}^2}} \approx")
            label = ("second derivative" if out.rank == 0
                     else "Gauss-Newton: the derivative squared, h = the same diagonal of the output")
            steps = [Step(label, latex(_loss_display(gr.chain, rule, "h"), out.name)),
                     Step("Kronecker-delta form", latex(_loss_display(gr.kronecker, rule, "h"), out.name)),
                     Step("deltas solved", latex(_loss_display(gr.result, rule, "h"), out.name))]
            grads.append(GradientDoc(f"{t.name} (second order)", lhs, steps))
    jac = None
    if out.rank and len(rule.differentiable) == 1:
        expr, index = jacobian(rule, rule.differentiable[0].name)
        if expr.has(sp.KroneckerDelta) and not expr.has(sp.Sum):
            x = rule.differentiable[0]
            jac = (rf"\frac{{\partial {latex(head)}}}{{\partial {latex(x[index])}}} = "
                   f"{latex(expr)}")
    return RuleDoc(
        name=rule.name, doc=rule.doc,
        forward=latex(sp.Eq(head, rule.expr, evaluate=False)),
        facts=[latex(f) for f in rule.facts],
        constants=[f"{latex(c)} = {latex(v)}" for c, v in rule.constants],
        options=[(latex(sym), kw, default) for sym, kw, default in rule.options],
        sizes=[latex(sp.Eq(sym, d, evaluate=False)) for sym, d in rule.derived],
        jacobian=jac, gradients=grads)


@lru_cache(maxsize=None)
def claim_docs(rules: frozenset[str] | None = None) -> list[ClaimDoc]:
    """The article's claims, all of them or those about `rules`."""
    docs = []
    for c in CLAIMS:
        if rules is not None and not set(c.rules) & rules:
            continue
        expr, index, agrees = c.verdict()
        slip = c.slip or ("" if agrees else "its formula differs from the derived one")
        docs.append(ClaimDoc(c.section, c.title, c.article_latex, latex(expr), agrees, slip,
                             c.remark))
    return docs
