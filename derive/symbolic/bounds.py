"""Folding the conditions left by delta elimination into the bounds of the remaining sums.

A condition `c·v + r >= 0` on a summation variable v (c a positive integer or size) becomes
`v >= ceiling(-r/c)`; with c negative, `v <= floor(r/|c|)`. Bounds already implied are not added.
What cannot be folded stays as a Piecewise factor, so the result is never silently wrong.
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp

from derive.symbolic.kronecker import Term, rebuild
from derive.symbolic.ranges import Ranges, provably_le


def relax(t: Term, shapes: dict) -> Term:
    """Drop the conditions that only say a read stays inside its array or lands on a multiple of
    a stride: the lowering reads such arrays zero-padded and dilated, which is the same sum."""
    reads = [(str(r.base.label), r.indices)
             for r in sorted(t.coeff.atoms(sp.Indexed), key=sp.default_sort_key)]

    def read_axis(expr):
        for name, idx in reads:
            for axis, ix in enumerate(idx):
                if sp.expand(ix - expr) == 0:
                    return shapes[name][axis]
        return None

    kept = []
    for cond in t.conds:
        if isinstance(cond, sp.Eq) and isinstance(cond.lhs, sp.Mod) and cond.rhs == 0:
            num, mod = cond.lhs.args
            if read_axis(num / mod) is not None:
                continue
        if isinstance(cond, sp.Le):
            if cond.lhs == 0 and read_axis(cond.rhs) is not None:
                continue
            size = read_axis(cond.lhs)
            if size is not None and sp.expand(cond.rhs - (size - 1)) == 0:
                continue
        kept.append(cond)
    return replace(t, conds=tuple(kept))


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
        num, den = sp.fraction(sp.together(e))
        if den != 1 and sp.sympify(den).is_positive:
            e = sp.expand(num)  # (p + P - u)/s >= 0  is  p + P - u >= 0
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
                bound = -r / c if c == 1 else sp.ceiling(-r / c)
                if not provably_le(bound, lo, scope):
                    lo = bound if lo == 0 and provably_le(0, bound, scope) else sp.Max(lo, bound)
            else:
                bound = r if c == -1 else sp.floor(r / -c)
                if not provably_le(hi, bound, scope):
                    hi = sp.Min(hi, bound)
            limits[pos] = (v, lo, hi)
            done = True
            break
        if not done:
            kept.append(cond)
    return rebuild(replace(t, limits=tuple(limits), conds=tuple(kept)))
