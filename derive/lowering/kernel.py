"""The data a kernel module is rendered from: signatures, shape checks and lowered statements."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp

from derive.errors import LoweringError
from derive.symbolic.differentiate import Gradient, gauss_newton, gradient, stored_index
from derive.lowering.lower import Lowering, Statement
from derive.symbolic.printing import latex, size_code, text
from derive.symbolic.rule import Rule, Tensor
from derive.symbolic.stable import stabilize
from derive.lowering.strategy import DEFAULT, Strategy


@dataclass
class Check:
    name: str
    dims: tuple[str, ...]


@dataclass
class Option:
    symbol: str
    keyword: str
    default: int | float
    minimum: int
    check: str = "_option"   # `_real_option` for a real-valued option (a dropout rate)
    nonzero: list[tuple[str, str]] = field(default_factory=list)  # (code, formula) divided by


@dataclass
class SizeRule:
    """A size computed from others, checked to be at least 1, naming what it depends on."""
    name: str
    code: str
    definition: str
    arguments: list[str]
    options: list[str]


@dataclass
class Prologue:
    checks: list[Check]
    derived: list[SizeRule]
    composite: list[tuple[str, str]]      # (dims label, code) for fused dims of g
    upstream: Check | None                  # g, checked after the sizes are known
    unfuse: str | None                      # code reshaping g to its logical shape
    early: list[str] = field(default_factory=list)  # sizes the arguments bind, as locals
    late: list[str] = field(default_factory=list)   # sizes only g binds
    also: Check | None = None                       # a second upstream (g, beside h)


@dataclass
class FactCheck:
    """A rule's fact, computed on the arguments and checked: the math used it."""
    statements: list[Statement]
    target: str
    formula: str
    tensors: list[str]


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
    options: list[Option]
    forward_args: list[str]
    forward_prologue: Prologue
    forward: list[Statement]
    forward_latex: str
    forward_formula: str
    fuse: str | None
    backward_args: list[str]
    backward_prologue: Prologue
    blocks: list[Block]
    output: Tensor
    helpers: list[str]
    facts: list[FactCheck]
    # the Gauss-Newton diagonal (second-order training), for the rules that ask for it
    gn_blocks: list[Block] = field(default_factory=list)
    gn_args: list[str] = field(default_factory=list)
    gn_prologue: Prologue | None = None

    @property
    def gn_signature(self) -> str:
        first = ["h", "g"] if self.gn_prologue and self.gn_prologue.also else ["h"]
        return ", ".join([*first, *self.gn_args]) + ", *" + self.keywords + ", wrt=GRADS"

    @property
    def forward_facts(self) -> list[FactCheck]:
        return [f for f in self.facts if set(f.tensors) <= set(self.forward_args)]

    @property
    def backward_facts(self) -> list[FactCheck]:
        return [f for f in self.facts if set(f.tensors) <= set(self.backward_args)]

    @property
    def grads(self) -> list[str]:
        return [b.name for b in self.blocks]

    @property
    def runtime(self) -> list[str]:
        """The helpers of the shared runtime module this kernel calls."""
        checks = sorted({o.check for o in self.options})
        return ["_bind", *checks, *self.helpers]

    @property
    def keywords(self) -> str:
        return "".join(f", {o.keyword}={o.default}" for o in self.options)

    @property
    def backward_signature(self) -> str:
        return ", ".join(["g", *self.backward_args]) + ", *" + self.keywords + ", wrt=GRADS"

    @property
    def forward_signature(self) -> str:
        return ", ".join(self.forward_args) + (", *" + self.keywords if self.options else "")


def _dims(shape) -> tuple[str, ...]:
    return tuple(str(d) for d in shape)


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


def _size_classes(rule: Rule) -> dict:
    classes = {}
    for sym, *_ in rule.options:
        classes[sym] = "option"
    for t in rule.tensors:
        for d in t.shape:
            for s in d.free_symbols:
                classes.setdefault(s, "param" if t.role == "param" else "input")
    return classes


def _prologue(rule: Rule, tensors: list[Tensor], codes: list[str], upstream: bool,
              name: str = "g") -> Prologue:
    """Binding of the arguments' sizes, the derived sizes, and the sizes the code reads."""
    options = {str(s) for s, *_ in rule.options}
    out = rule.output
    derived = []
    for sym, definition in rule.derived:
        involved = sorted(str(s) for s in definition.free_symbols)
        derived.append(SizeRule(
            str(sym), size_code(definition), f"{sym} = {size_code(definition)}",
            [t.name for t in tensors if {str(s) for d in t.shape for s in d.free_symbols}
             & set(involved)],
            [kw for s, kw, _ in rule.options if str(s) in involved]))
    composite = []
    if upstream and out.fused:
        composite = [(str(d), size_code(d)) for d in out.stored_shape if not d.is_Symbol]
    g_check = Check(name, _dims(out.stored_shape)) if upstream and out.rank else None
    unfuse = None
    if upstream and out.fused:
        unfuse = f"{name} = {name}.reshape({', '.join(size_code(d) for d in out.shape)})"
    text_all = " ".join(codes + [d.code for d in derived] + [c for _, c in composite]
                        + [unfuse or ""])
    known = {str(s) for t in (*rule.tensors, out) for d in t.shape for s in d.free_symbols}
    used = {tok for tok in _tokens(text_all) if tok in known} - options - {d.name for d in derived}
    by_args = {str(d) for t in tensors for d in t.shape if d.is_Symbol}
    return Prologue([Check(t.name, _dims(t.shape)) for t in tensors], derived, composite,
                    g_check, unfuse, sorted(used & by_args), sorted(used - by_args))


def _statement_code(statements: list[Statement]) -> list[str]:
    return [st.code or "" for st in statements] + [line for st in statements for line in st.lines]


def _needed_for_sizes(rule: Rule, reads: set[str], grads: list[Gradient]) -> list[Tensor]:
    """The tensors backward must receive: those its formulas read, then enough to know every
    size of the gradients, of g's logical shape and of the derived sizes."""
    chosen = [t for t in rule.tensors if t.name in reads]
    if rule.output.name in reads:
        chosen.append(rule.output)
    want = set()
    for gr in grads:
        for d in gr.wrt.shape:
            want |= d.free_symbols
    for d in rule.output.shape:
        want |= d.free_symbols
    defs = dict(rule.derived)
    for sym in list(want):
        if sym in defs:
            want |= defs[sym].free_symbols
    want -= {s for s, *_ in rule.options} | set(defs)

    def bound():
        have = {d for t in chosen for d in t.shape if d.is_Symbol}
        if rule.output.rank:
            have |= {d for d in rule.output.stored_shape if d.is_Symbol and d not in defs}
        return have

    for t in rule.tensors:
        if not want <= bound() and t not in chosen and {d for d in t.shape if d.is_Symbol} & (want - bound()):
            chosen.append(t)
    order = [*rule.tensors, rule.output]
    return sorted(chosen, key=order.index)


def _fact_checks(rule: Rule, lowering) -> list[FactCheck]:
    tensors = {t.name: t for t in rule.tensors}
    checks = []
    for k, fact in enumerate(rule.facts):
        free, sizes = [], []
        for read in sorted(fact.atoms(sp.Indexed), key=sp.default_sort_key):
            for ix, size in zip(read.indices, tensors[str(read.base.label)].shape):
                if isinstance(ix, sp.Symbol) and ix in fact.free_symbols and ix not in free:
                    free.append(ix)
                    sizes.append(size)
        low = lowering(f"c{k}_")
        low.assign(f"fact{k}", fact.lhs - fact.rhs, tuple(free), tuple(sizes))
        names = sorted({str(r.base.label) for r in fact.atoms(sp.Indexed)})
        formula = f"{text(fact.lhs)} = {text(fact.rhs)} for every {', '.join(map(str, free))}"
        checks.append(FactCheck(low.statements, f"fact{k}", formula, names))
    return checks


def _helpers(statements: list[Statement]) -> list[str]:
    code = " ".join(_statement_code(statements))
    return [h for h in ("_dilate", "_fit", "_matmul_split", "_pad", "_span", "_view")
            if h + "(" in code]


def _divisors(rule: Rule, option, exprs) -> list[tuple[str, str]]:
    """The denominators of the formulas that depend on the options alone (`1 - p`) and involve
    `option`: the kernels refuse option values that make them zero."""
    options = {s for s, *_ in rule.options}
    found = {}
    for expr in exprs:
        for node in sp.preorder_traversal(expr):
            if isinstance(node, sp.Pow) and node.exp.is_negative and node.base.free_symbols \
                    and node.base.free_symbols <= options and option in node.base.free_symbols \
                    and not node.base.is_nonzero:
                found[size_code(node.base)] = text(node.base)
    return sorted(found.items())


def _blocks(rule: Rule, derived: list[Gradient], lowering, prefix: str, target: str, lhs: str,
            what: str) -> tuple[list[Block], set[str]]:
    """One block per derived formula (a gradient, a Gauss-Newton diagonal), lowered, and the
    names of the arrays the formulas read."""
    reads, blocks = set(), []
    for k, gr in enumerate(derived):
        low = lowering(f"{prefix}{k}_" if len(derived) > 1 else prefix)
        name = f"{target}_{gr.wrt.name}"
        with lowering_step(rule, f"{what} {gr.wrt.name!r}", gr.lowered):
            low.assign(name, stabilize(gr.lowered), gr.index, gr.wrt.shape)
        reads |= {str(x.base.label) for x in gr.lowered.atoms(sp.Indexed)}
        blocks.append(Block(gr.wrt.name, name,
                            f"{lhs}{gr.wrt.name}[{','.join(map(str, gr.index))}] = {text(gr.result)}",
                            derivative_latex(gr), latex(gr.result, rule.output.name),
                            low.statements))
    return blocks, reads


@contextmanager
def lowering_step(rule: Rule, what: str, expr):
    """Any failure while lowering or printing `expr` as a `LoweringError` naming the rule, the
    formula, the step and the sub-expression the lowering met."""
    try:
        yield
    except Exception as err:  # noqa: BLE001 — SymPy and the lowering both raise many kinds
        step = "print" if "print" in type(err).__name__.lower() or isinstance(
            err, NotImplementedError) and "NumPy function" in str(err) else "lower"
        message = str(err)
        if "Unsupported by" in message:  # SymPy's printer: name the node, drop its advice
            node = message.split("\n")[0].rsplit(".", 1)[-1].strip("'>")
            message = f"no NumPy form for {node}"
        shown = sp.sstr(expr)
        shown = shown if len(shown) <= 300 else shown[:300] + " ..."
        raise LoweringError(f"rule {rule.name!r}, {what}: step {step!r}: {message} (formula: "
                            f"{shown})") from err


@lru_cache(maxsize=None)
def build(rule: Rule, strategy: Strategy = DEFAULT, second_order: bool = False) -> Kernel:
    """The kernel of `rule` (cached: a network asks again for each layer's backward arguments)."""
    out = rule.output
    shapes = rule.shapes | {"g": out.shape, "h": out.shape}
    classes = _size_classes(rule)
    derived = dict(rule.derived)

    def lowering(prefix):
        return Lowering(shapes, strategy, prefix=prefix, derived=derived, size_class=classes)

    fwd = lowering("f")
    with lowering_step(rule, "the forward pass", rule.expr):
        fwd.assign(out.name, stabilize(rule.expr), rule.index, out.shape)

    grads: list[Gradient] = [gradient(rule, t.name) for t in rule.differentiable]
    blocks, reads = _blocks(rule, grads, lowering, "t", "grad", "dJ/d", "the gradient with respect to")
    backward_tensors = _needed_for_sizes(rule, reads, grads)
    backward_statements = [st for b in blocks for st in b.statements]
    fuse = None
    if out.fused:
        fuse = f"{out.name} = {out.name}.reshape({', '.join(size_code(d) for d in out.stored_shape)})"
    gn_blocks, gn_tensors, gn_prologue = [], [], None
    if second_order:
        curvature = [gauss_newton(rule, t.name) for t in rule.differentiable]
        gn_blocks, reads = _blocks(rule, curvature, lowering, "s", "gn", "h_",
                                   "the Gauss-Newton diagonal for")
        gn_tensors = _needed_for_sizes(rule, reads - {"h"}, curvature)
        gn_prologue = _prologue(rule, gn_tensors,
                                _statement_code([st for b in gn_blocks for st in b.statements]),
                                True, name="h")
        if "g" in reads:  # a layer's own second derivative, times the gradient
            gn_prologue.also = Check("g", _dims(out.stored_shape))
        backward_statements += [st for b in gn_blocks for st in b.statements]
    options = [Option(str(s), kw, default, 1 if s.is_positive else 0,
                      "_option" if s.is_integer else "_real_option",
                      _divisors(rule, s, [rule.expr, *[gr.lowered for gr in grads]]))
               for s, kw, default in rule.options]
    return Kernel(
        rule=rule,
        constants=[(str(c), repr(float(v))) for c, v in rule.constants],
        options=options,
        forward_args=[t.name for t in rule.tensors],
        forward_prologue=_prologue(rule, list(rule.tensors),
                                   _statement_code(fwd.statements) + [fuse or ""], False),
        forward=fwd.statements,
        forward_latex=latex(sp.Eq(out[stored_index(out, rule.index)] if out.rank
                                  else sp.Symbol(out.name),
                                  rule.expr, evaluate=False)),
        forward_formula=text(rule.expr),
        fuse=fuse,
        backward_args=[t.name for t in backward_tensors],
        backward_prologue=_prologue(rule, backward_tensors,
                                    _statement_code(backward_statements), True),
        blocks=blocks,
        output=out,
        helpers=_helpers(fwd.statements + backward_statements),
        facts=_fact_checks(rule, lowering),
        gn_blocks=gn_blocks,
        gn_args=[t.name for t in gn_tensors],
        gn_prologue=gn_prologue,
    )
