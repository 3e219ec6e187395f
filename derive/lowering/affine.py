"""Affine index expressions of a window read: `(Σ c_v v + d) / m` per axis, how far it reaches
outside its array, and the zero padding that keeps it inside."""
from __future__ import annotations

import sympy as sp


def _affine(expr: sp.Expr, variables) -> tuple[dict, sp.Expr, sp.Expr]:
    """(coefficients, constant, denominator) of expr = (Σ c_v v + d) / m."""
    num, den = sp.fraction(sp.together(expr))
    num = sp.expand(num)
    coeffs = {}
    for v in variables:
        c = num.coeff(v)
        if c != 0:
            coeffs[v] = c
    rest = sp.expand(num - sum(c * v for v, c in coeffs.items()))
    if rest.has(*variables):
        raise ValueError(f"the index {expr} is not affine in {sorted(map(str, variables))}")
    return coeffs, rest, den


def _py(sym: sp.Symbol) -> str:
    return sym.name.replace("'", "_")


def _reach(low, coeffs, const, den, size):
    """(extent of the prepared axis, whether the index provably stays inside it, lo, hi)."""
    extent = den * (size - 1) + 1
    lo = low.index_extreme(coeffs, const, upper=False)
    hi = low.index_extreme(coeffs, const, upper=True)
    return extent, low.provable(0, lo) and low.provable(hi, extent - 1), lo, hi


def _pad_widths(low, read, axes) -> tuple[str, list]:
    """The zero padding a read needs to stay inside its (dilated) array: the `_pad` widths as
    code ("" when none is needed) and the padding before each axis."""
    pads = []
    for (coeffs, const, den), size in zip(axes, low.shapes[str(read.base.label)]):
        extent, _, lo, hi = _reach(low, coeffs, const, den, size)
        pad_lo = sp.Integer(0) if low.provable(0, lo) else sp.Max(0, -lo)
        pad_hi = sp.Integer(0) if low.provable(hi, extent - 1) else sp.Max(0, hi - (extent - 1))
        pads.append((pad_lo, pad_hi))
    if all(p == (0, 0) for p in pads):
        return "", [lo for lo, _ in pads]
    widths = ", ".join(f"({low.print_scalar(a)}, {low.print_scalar(b)})" for a, b in pads)
    return widths, [lo for lo, _ in pads]
