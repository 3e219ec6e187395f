"""Interval reasoning over integer index expressions that are affine in the index variables.

`ranges` maps each index symbol to its inclusive bounds (lo, hi), which may be symbolic in sizes
and in other indices. Size symbols are positive integers, which is what makes `N - 1 >= 0` provable.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

Ranges = dict[sp.Symbol, tuple[sp.Expr, sp.Expr]]


def _affine_parts(expr: sp.Expr, variables) -> tuple[dict[sp.Symbol, sp.Expr], sp.Expr] | None:
    """expr = sum(c_v * v) + rest, or None when expr is not affine in `variables`."""
    expr = sp.expand(expr)
    coeffs = {}
    for v in variables:
        if not expr.has(v):
            continue
        c = expr.coeff(v)
        if c.has(*variables) or sp.expand(expr - c * v).has(v):
            return None
        coeffs[v] = c
        expr = sp.expand(expr - c * v)
    return coeffs, expr


def extreme(expr: sp.Expr, ranges: Ranges, upper: bool, depth: int = 8) -> sp.Expr | None:
    """The smallest (upper=False) or largest value of `expr` over `ranges`, or None if unknown."""
    parts = _affine_parts(expr, list(ranges))
    if parts is None:
        return None
    coeffs, rest = parts
    total = rest
    for v, c in coeffs.items():
        sign = sp.sign(c)
        if sign not in (1, -1):
            return None
        lo, hi = ranges[v]
        pick = hi if (sign > 0) == upper else lo
        total += c * pick
    if depth and total.free_symbols & set(ranges):
        return extreme(total, ranges, upper, depth - 1)
    return sp.expand(total)


def _without_rounding(expr: sp.Expr) -> sp.Expr:
    """A lower bound of `expr` free of floor/ceiling: each is replaced by the side that can only
    make `expr` smaller (floor(x) > x - 1, ceiling(x) < x + 1)."""
    expr = sp.expand(expr)
    for f in sorted(expr.atoms(sp.floor, sp.ceiling), key=sp.default_sort_key):
        c = expr.coeff(f)
        if c == 0 or c.has(f):
            continue
        x = f.args[0]
        if c.is_negative:
            bound = x if isinstance(f, sp.floor) else x + 1
        elif c.is_positive:
            bound = x - 1 if isinstance(f, sp.floor) else x
        else:
            continue
        expr = sp.expand(expr.subs(f, bound))
    return expr


def simplify(expr: sp.Expr) -> sp.Expr:
    """SymPy's simplify, or `expr` unchanged where simplify fails: it is known to raise on
    nested sums (sympy/sympy#14570, a bare StopIteration) and the engine never depends on it."""
    try:
        return sp.simplify(expr)
    except Exception:  # noqa: BLE001 — any failure of a simplification is a missed rewrite
        return expr


@lru_cache(maxsize=None)
def provably_nonneg(expr: sp.Expr) -> bool:
    expr = sp.expand(expr)
    if expr == 0 or expr.is_nonnegative:  # most index bounds: no simplify needed
        return True
    expr = simplify(expr)
    if bool(expr.is_nonnegative) or expr == 0:
        return True
    if expr.has(sp.floor, sp.ceiling):
        lower = simplify(_without_rounding(expr))
        return bool(lower.is_nonnegative) or lower == 0
    return False


def provably_le(a: sp.Expr, b: sp.Expr, ranges: Ranges) -> bool:
    """True when a <= b for every value of the indices in `ranges`."""
    worst = extreme(b - a, ranges, upper=False)
    return worst is not None and provably_nonneg(worst)


def index_range(expr: sp.Expr, ranges: Ranges) -> tuple[sp.Expr, sp.Expr] | None:
    lo, hi = extreme(expr, ranges, upper=False), extreme(expr, ranges, upper=True)
    return None if lo is None or hi is None else (lo, hi)
