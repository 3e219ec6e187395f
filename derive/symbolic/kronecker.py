"""Kronecker-delta elimination: the scatter in `Σ_out G[out] ∂F[out]/∂X[p]` turned into a gather.

An expression is split into terms `coeff · Π δ(·,·) · [conditions]` under a flat list of bounded
sums. Each delta whose difference is affine in a summation variable is solved for that variable;
the variable's bounds become conditions on the solution (and a divisibility condition when its
coefficient is not ±1). Conditions that hold over the whole index ranges are dropped; the rest are
folded into the bounds of the remaining sums (`derive.bounds`).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

import sympy as sp
from sympy import KroneckerDelta

from derive.symbolic.ranges import Ranges, provably_le


@dataclass(frozen=True)
class Term:
    coeff: sp.Expr = sp.Integer(1)
    deltas: tuple[KroneckerDelta, ...] = ()
    limits: tuple[tuple[sp.Symbol, sp.Expr, sp.Expr], ...] = ()
    conds: tuple[sp.Basic, ...] = field(default=())

    def times(self, other: "Term") -> "Term":
        return Term(self.coeff * other.coeff, self.deltas + other.deltas,
                    self.limits + other.limits, self.conds + other.conds)

    def symbols(self) -> set[sp.Symbol]:
        out = set(sp.Tuple(self.coeff, *self.deltas, *self.conds).atoms(sp.Symbol))
        for v, lo, hi in self.limits:
            out |= {v} | lo.free_symbols | hi.free_symbols
        return out


def _fresh(base: sp.Symbol, taken: set[sp.Symbol]) -> sp.Symbol:
    names = {s.name for s in taken}
    for tick in itertools.count(1):
        name = f"{base.name}{'_' * tick}" if tick < 2 else f"{base.name}_{tick}"
        if name not in names:
            return sp.Symbol(name, **base.assumptions0)


def _has_delta(expr: sp.Basic) -> bool:
    return expr.has(KroneckerDelta)


def _pull_piecewise(pw: sp.Piecewise) -> list[Term]:
    """Piecewise((D·x, c), (D·y, True)) with delta product D: D · Piecewise((x, c), (y, True)).
    A branch that is a sum of terms with the same deltas has them factored out first."""
    pw = sp.Piecewise(*[(sp.factor_terms(sp.expand(v)), c) for v, c in pw.args])
    common = None
    for value, _ in pw.args:
        if value == 0:
            continue
        ds = {f for f in sp.Mul.make_args(value) if isinstance(f, KroneckerDelta)}
        common = ds if common is None else common & ds
    common = common or set()
    if not common:
        raise NotImplementedError(f"cannot separate the deltas of {pw}")
    args = [(sp.Mul(*[f for f in sp.Mul.make_args(v) if f not in common]) if v != 0 else v, c)
            for v, c in pw.args]
    rest = sp.Piecewise(*args)
    if _has_delta(rest):
        raise NotImplementedError(f"cannot separate the deltas of {pw}")
    return [Term(rest, tuple(sorted(common, key=sp.default_sort_key)))]


def split_terms(expr: sp.Expr) -> list[Term]:
    """Expand `expr` into terms with their deltas and sums made explicit."""
    if not _has_delta(expr):
        return [Term(expr)]
    if isinstance(expr, sp.Add):
        return [t for arg in expr.args for t in split_terms(arg)]
    if isinstance(expr, KroneckerDelta):
        return [Term(deltas=(expr,))]
    if isinstance(expr, sp.Sum):
        out = []
        for t in split_terms(expr.function):
            limits, body = [], t
            for var, lo, hi in expr.limits:
                if var in {v for v, _, _ in body.limits}:  # an inner sum reuses the name
                    new = _fresh(var, body.symbols())
                    body = _subs_term(body, var, new)
                    var = new
                limits.append((var, lo, hi))
            out.append(replace(body, limits=tuple(limits) + body.limits))
        return out
    if isinstance(expr, sp.Mul):
        parts = [split_terms(f) for f in expr.args]
        out = []
        for combo in itertools.product(*parts):
            t = Term()
            for piece in combo:
                clash = {v for v, _, _ in piece.limits} & t.symbols()
                for v in sorted(clash, key=sp.default_sort_key):
                    piece = _subs_term(piece, v, _fresh(v, t.symbols() | piece.symbols()))
                t = t.times(piece)
            out.append(t)
        return out
    if isinstance(expr, sp.Piecewise):
        return _pull_piecewise(expr)
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer and expr.exp > 0:
        return split_terms(sp.Mul(*([expr.base] * int(expr.exp)), evaluate=False))
    raise NotImplementedError(f"a Kronecker delta inside {type(expr).__name__}: {expr}")


def _subs_term(t: Term, old: sp.Symbol, new: sp.Expr) -> Term:
    s = lambda e: e.subs(old, new)  # noqa: E731  (subs leaves bound variables alone)
    return Term(s(t.coeff), tuple(s(d) for d in t.deltas),
                tuple((v if v != old else new, s(lo), s(hi)) for v, lo, hi in t.limits),
                tuple(s(c) for c in t.conds))


def _pick(expr: sp.Expr, limits, prefer) -> tuple[sp.Symbol, sp.Expr] | None:
    """The summation variable to solve `expr = 0` for, and its coefficient: an output index first
    (the gather reads the upstream gradient at a solved position), then a unit coefficient."""
    options = []
    for rank, (v, _, _) in enumerate(limits):
        if not expr.has(v):
            continue
        c = sp.expand(expr).coeff(v)
        if c.has(*[w for w, _, _ in limits]) or not (c.is_integer and c.is_nonzero):
            continue  # only a nonzero integer coefficient free of summed indices can be divided by
        unit = c in (1, -1)
        options.append((0 if v in prefer else 1, not unit, rank, v, c))
    if not options:
        return None
    *_, v, c = min(options, key=lambda o: o[:3])
    return v, c


def eliminate(t: Term, prefer=()) -> Term:
    """Solve every delta that involves a summation variable; add the bound conditions."""
    while True:
        for d in t.deltas:
            diff = sp.expand(d.args[0] - d.args[1])
            choice = _pick(diff, t.limits, prefer)
            if choice is None:
                continue
            v, c = choice
            rest = sp.expand(diff - c * v)
            solution = sp.expand(-rest) if c == 1 else sp.expand(rest) if c == -1 else sp.together(-rest / c)
            lo, hi = next((lo, hi) for w, lo, hi in t.limits if w == v)
            conds = [sp.Le(lo, solution), sp.Le(solution, hi)]
            if c not in (1, -1):
                negative = c.could_extract_minus_sign()
                conds.append(sp.Eq(sp.Mod(sp.expand(rest if negative else -rest),
                                          -c if negative else c), 0))
            t = Term(t.coeff, tuple(x for x in t.deltas if x is not d),
                     tuple(x for x in t.limits if x[0] != v), t.conds + tuple(conds))
            t = _subs_term(t, v, solution)
            break
        else:
            return t


def simplify_conds(t: Term, ranges: Ranges) -> Term | None:
    """Drop conditions true over the ranges; None when one is false everywhere."""
    scope = dict(ranges)
    scope.update({v: (lo, hi) for v, lo, hi in t.limits})
    kept = []
    for c in t.conds:
        if c is sp.true:
            continue
        if c is sp.false or any(d == 0 for d in t.deltas):
            return None
        if isinstance(c, sp.Le):
            if provably_le(c.lhs, c.rhs, scope):
                continue
            if provably_le(c.rhs + 1, c.lhs, scope):
                return None
        kept.append(c)
    return replace(t, conds=tuple(kept))


def factor_out(body: sp.Expr, limits) -> sp.Expr:
    """Sum(c · f, limits) as c · Sum(f, limits) for the factors c free of the summed variables."""
    if not limits:
        return body
    bound = {v for v, _, _ in limits}
    inner, outer = [], []
    for f in sp.Mul.make_args(body):
        (inner if f.free_symbols & bound else outer).append(f)
    if not inner:
        count = sp.Mul(*[hi - lo + 1 for _, lo, hi in limits])
        return sp.Mul(*outer) * count
    return sp.Mul(*outer) * sp.Sum(sp.Mul(*inner), *limits)


def rebuild(t: Term) -> sp.Expr:
    body = t.coeff * sp.Mul(*t.deltas)
    if t.conds:
        body = sp.Piecewise((body, sp.And(*t.conds)), (0, True))
    return factor_out(body, t.limits)
