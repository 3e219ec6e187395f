"""Folding the conditions left by delta elimination into the bounds of the remaining sums.

A condition `c·v + r >= 0` on a summation variable v (c a positive integer or size) becomes
`v >= ceiling(-r/c)`; with c negative, `v <= floor(r/|c|)`. Bounds already implied are not added.
What cannot be folded stays as a Piecewise factor, so the result is never silently wrong.
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp

from .kronecker import Term, rebuild
from .ranges import Ranges, provably_le


def _positive(c: sp.Expr) -> bool | None:
    if c.is_positive:
        return True
    if c.is_negative:
        return False
    return None


def fold(t: Term, ranges: Ranges) -> sp.Expr:
    limits = list(t.limits)
    kept = []
    for cond in t.conds:
        if not isinstance(cond, sp.Le):
            kept.append(cond)
            continue
        e = sp.expand(cond.rhs - cond.lhs)  # e >= 0
        done = False
        for pos in range(len(limits) - 1, -1, -1):
            v, lo, hi = limits[pos]
            c = e.coeff(v)
            if c == 0 or c.has(v) or _positive(c) is None:
                continue
            r = sp.expand(e - c * v)
            scope = dict(ranges)
            scope.update({w: (a, b) for w, a, b in limits if w != v})
            if _positive(c):
                bound = sp.ceiling(-r / c)
                if not provably_le(bound, lo, scope):
                    lo = bound if lo == 0 and provably_le(0, bound, scope) else sp.Max(lo, bound)
            else:
                bound = sp.floor(r / -c)
                if not provably_le(hi, bound, scope):
                    hi = sp.Min(hi, bound)
            limits[pos] = (v, lo, hi)
            done = True
            break
        if not done:
            kept.append(cond)
    return rebuild(replace(t, limits=tuple(limits), conds=tuple(kept)))
