"""The data a kernel module is rendered from: signatures, shape checks and lowered statements."""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .differentiate import Gradient, gradient
from .lower import Lowering, Statement
from .printing import latex, text
from .rule import Rule, Tensor
from .stable import stabilize
from .strategy import DEFAULT, Strategy


@dataclass
class Check:
    name: str
    dims: tuple[str, ...]


@dataclass
class Block:
    """One gradient: the formula it implements and the statements that compute it."""
    name: str
    target: str
    formula: str
    latex_lhs: str
    latex: str
    statements: list[Statement]


@dataclass
class Kernel:
    rule: Rule
    constants: list[tuple[str, str]]
    forward_args: list[str]
    forward_checks: list[Check]
    forward_sizes: list[str]
    forward: list[Statement]
    forward_latex: str
    forward_formula: str
    backward_args: list[str]
    backward_checks: list[Check]
    backward_sizes: list[str]
    blocks: list[Block]
    output: Tensor

    @property
    def grads(self) -> list[str]:
        return [b.name for b in self.blocks]

    @property
    def backward_signature(self) -> str:
        return ", ".join(["g", *self.backward_args])


def _dims(t: Tensor) -> tuple[str, ...]:
    return tuple(str(d) for d in t.shape)


def _sizes_used(statements, rule: Rule) -> list[str]:
    names = {str(s) for t in (*rule.tensors, rule.output) for d in t.shape for s in d.free_symbols}
    used = set()
    for st in statements:
        for token in _tokens(st.code):
            if token in names:
                used.add(token)
    return sorted(used)


def _tokens(code: str):
    word = ""
    for ch in code + " ":
        if ch.isalnum() or ch == "_":
            word += ch
        else:
            if word:
                yield word
            word = ""


def derivative_latex(gr: Gradient) -> str:
    read = gr.wrt[gr.index] if gr.wrt.rank else sp.Symbol(gr.wrt.name)
    return rf"\frac{{\partial \mathcal{{L}}}}{{\partial {latex(read)}}}"


def _prepare(expr: sp.Expr, rule: Rule) -> sp.Expr:
    return stabilize(expr)


def build(rule: Rule, strategy: Strategy = DEFAULT) -> Kernel:
    out = rule.output
    shapes = rule.shapes | {"g": out.shape}
    fwd = Lowering(shapes, strategy, prefix="f")
    fwd.assign(out.name, _prepare(rule.expr, rule), rule.index, out.shape)

    grads: list[Gradient] = [gradient(rule, t.name) for t in rule.differentiable]
    needed = set()
    blocks = []
    for k, gr in enumerate(grads):
        low = Lowering(shapes, strategy, prefix=f"t{k}_" if len(grads) > 1 else "t")
        low.assign(f"grad_{gr.wrt.name}", _prepare(gr.result, rule), gr.index, gr.wrt.shape)
        needed |= {str(x.base.label) for x in gr.result.atoms(sp.Indexed)}
        blocks.append(Block(gr.wrt.name, f"grad_{gr.wrt.name}",
                            f"dJ/d{gr.wrt.name}[{','.join(map(str, gr.index))}] = {text(gr.result)}",
                            derivative_latex(gr), latex(gr.result, out.name), low.statements))
    tensors = [t for t in rule.tensors if t.name in needed]
    if out.name in needed:
        tensors.append(out)
    backward_statements = [st for b in blocks for st in b.statements]
    return Kernel(
        rule=rule,
        constants=[(str(c), repr(float(v))) for c, v in rule.constants],
        forward_args=[t.name for t in rule.tensors],
        forward_checks=[Check(t.name, _dims(t)) for t in rule.tensors],
        forward_sizes=_sizes_used(fwd.statements, rule),
        forward=fwd.statements,
        forward_latex=latex(sp.Eq(out[rule.index] if out.rank else sp.Symbol(out.name),
                                  rule.expr, evaluate=False)),
        forward_formula=text(rule.expr),
        backward_args=[t.name for t in tensors],
        backward_checks=[Check(t.name, _dims(t)) for t in tensors]
        + ([Check("g", _dims(out))] if out.rank else []),
        backward_sizes=_sizes_used(backward_statements, rule),
        blocks=blocks,
        output=out,
    )
