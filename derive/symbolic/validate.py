"""Checks run when a rule is defined: every name declared, every access inside its tensor's shape."""
from __future__ import annotations

import sympy as sp

from derive.errors import RuleError
from derive.symbolic.ranges import index_range, provably_le

ROLES = ("input", "param", "label", "constant")
FIXED = ("label", "constant")  # roles that are given, never differentiated


def _fail(rule, message: str):
    raise RuleError(f"rule {rule.name!r}: {message}")


def _walk_scopes(expr: sp.Expr, scope: dict):
    """Yield (node, ranges in scope) for every node, entering the limits of each Sum."""
    yield expr, scope
    if isinstance(expr, sp.Indexed):
        return
    if isinstance(expr, (sp.Sum, sp.Product)) or getattr(expr, "is_reduction", False):
        inner = dict(scope)
        for var, lo, hi in expr.limits:
            inner[var] = (lo, hi)
        yield from _walk_scopes(expr.function, inner)
        for _, lo, hi in expr.limits:
            yield from _walk_scopes(lo, scope)
            yield from _walk_scopes(hi, scope)
        return
    for arg in expr.args:
        if isinstance(arg, sp.Basic):
            yield from _walk_scopes(arg, scope)


def _check_expression(rule, expr: sp.Expr, ranges: dict, what: str):
    tensors = {t.name: t for t in rule.tensors}
    allowed = set(rule.index) | {c for c, _ in rule.constants} | {o for o, *_ in rule.options}
    for t in (*rule.tensors, rule.output):
        for size in t.shape:
            allowed |= size.free_symbols
    for node, scope in _walk_scopes(expr, ranges):
        if isinstance(node, sp.Indexed):
            name = str(node.base.label)
            if name not in tensors:
                _fail(rule, f"{what} reads {node}, but {name!r} is not one of its tensors "
                            f"({', '.join(sorted(tensors))})")
            t = tensors[name]
            if len(node.indices) != t.rank:
                _fail(rule, f"{what} reads {node} with {len(node.indices)} indices, "
                            f"but {name!r} has shape {t.shape}")
            plain = [ix for ix in node.indices if isinstance(ix, sp.Symbol)]
            if len(set(plain)) != len(plain):
                _fail(rule, f"{what} reads {node} with a repeated index; write the diagonal "
                            f"with a Kronecker delta instead")
            for axis, (ix, size) in enumerate(zip(node.indices, t.shape)):
                unknown = ix.free_symbols - set(scope) - allowed
                if unknown:
                    _fail(rule, f"{what} reads {node}: index {ix} uses undeclared "
                                f"{', '.join(sorted(map(str, unknown)))}")
                if t.padding:
                    continue
                defs = dict(rule.derived)
                bounds = index_range(ix, scope)
                if bounds is not None:
                    bounds = tuple(sp.expand(b.subs(defs)) for b in bounds)
                if bounds is None or not (provably_le(0, bounds[0], scope)
                                          and provably_le(bounds[1], (size - 1).subs(defs), scope)):
                    _fail(rule, f"{what} reads {node}: index {ix} ranges over "
                                f"{bounds[0] if bounds else '?'}..{bounds[1] if bounds else '?'} "
                                f"but axis {axis} of {name!r} has size {size}")
        elif isinstance(node, sp.Symbol) and node not in scope and node not in allowed:
            _fail(rule, f"{what} uses {node}, which is neither an output index, a summation "
                        f"index, a size nor a constant")


def validate_rule(rule) -> None:

    if not rule.name.isidentifier():
        _fail(rule, "the name must be a Python identifier")
    names = [t.name for t in (*rule.tensors, rule.output)]
    if len(set(names)) != len(names):
        _fail(rule, f"tensor names repeat: {names}")
    for t in rule.tensors:
        if t.role not in ROLES:
            _fail(rule, f"tensor {t.name!r} has role {t.role!r}; roles are {ROLES}")
    if not rule.differentiable:
        _fail(rule, "it has nothing to differentiate (every tensor is a label)")
    if len(rule.index) != rule.output.rank:
        _fail(rule, f"output {rule.output.name!r} has shape {rule.output.shape} "
                    f"but {len(rule.index)} indices {rule.index}")
    if len(set(rule.index)) != len(rule.index):
        _fail(rule, f"output indices repeat: {rule.index}")
    for t in (*rule.tensors, rule.output):
        if t.fused and sorted(a for group in t.fused for a in group) != list(range(t.rank)):
            _fail(rule, f"tensor {t.name!r}: fused groups {t.fused} must cover axes 0..{t.rank - 1}")
    for sym, keyword, default in rule.options:
        if not keyword.isidentifier():
            _fail(rule, f"option {sym} needs a keyword name, got {keyword!r}")
        if sym.is_integer and not isinstance(default, int):
            _fail(rule, f"option {sym} is an integer symbol and needs an integer default")
        if not sym.is_integer and not (sym.is_real and isinstance(default, (int, float))):
            _fail(rule, f"option {sym} needs an integer symbol, or a real one with a number "
                        f"default (sp.Symbol({str(sym)!r}, real=True)), got default {default!r}")
    if not isinstance(rule.expr, sp.Expr):
        _fail(rule, f"the forward expression must be a SymPy expression, not {type(rule.expr)}")
    ranges = rule.out_ranges
    _check_expression(rule, rule.expr, ranges, "the forward expression")
    tensors = {t.name: t for t in rule.tensors}
    for fact in rule.facts:
        if not isinstance(fact, sp.Eq):
            _fail(rule, f"fact {fact} is not an equation")
        scope = {}  # a fact's free indices mean "for every position along their axis"
        for read in fact.atoms(sp.Indexed):
            t = tensors.get(str(read.base.label))
            for ix, size in zip(read.indices, t.shape if t else ()):
                if isinstance(ix, sp.Symbol) and ix in fact.free_symbols:
                    scope.setdefault(ix, (sp.Integer(0), size - 1))
        _check_expression(rule, fact.lhs - fact.rhs, scope, f"fact {fact}")
