"""Matrix forms of derived results, where one exists: `δ Wᵀ`, `(1 - a²) ⊙ δ`.

An index expression has a matrix form when each term is elementwise over reads at the result's own
indices (printed with ⊙), or a contraction of two reads of at most two axes over one index (a
matrix product with transposes), or a plain sum of one read over the batch (`1ᵀ δ`).
"""
from __future__ import annotations

import sympy as sp

from derive.symbolic.printing import DerivationPrinter


class _MatrixPrinter(DerivationPrinter):
    """Array reads print as bold names; products of arrays as ⊙."""

    def _print_Symbol(self, expr, style="plain"):
        if expr.name.startswith(("\\", "{")):
            return expr.name
        return super()._print_Symbol(expr, style)

    def _print_Mul(self, expr):
        arrays = [f for f in expr.args if _is_array(f)]
        if len(arrays) < 2:
            return super()._print_Mul(expr)
        scalars = sp.Mul(*[f for f in expr.args if not _is_array(f)])
        parts = [self.parenthesize(f, 60) if isinstance(f, sp.Add) else self._print(f)
                 for f in arrays]
        body = r" \odot ".join(parts)
        if scalars == 1:
            return body
        if scalars == -1:
            return "- " + body
        return f"{self._print(scalars)} \\left({body}\\right)"


def _is_array(f: sp.Expr) -> bool:
    return any(s.name.startswith(("\\mathbf", "{\\boldsymbol"))
               for s in f.free_symbols if isinstance(s, sp.Symbol))


def _bold(name: str, upstream: str) -> str:
    return rf"{{\boldsymbol{{\delta}}^{{{upstream}}}}}" if name == "g" else rf"\mathbf{{{name}}}"


def matrix_form(expr: sp.Expr, index: tuple, upstream: str) -> str | None:
    """LaTeX for `expr` (free indices `index`) without indices, or None."""
    printer = _MatrixPrinter(upstream)
    reads = expr.atoms(sp.Indexed)
    if not expr.has(sp.Sum):
        if any(r.indices != tuple(index) for r in reads):
            return None
        swap = {r: sp.Symbol(_bold(str(r.base.label), upstream)) for r in reads}
        return printer.doprint(expr.xreplace(swap))
    if not isinstance(expr, sp.Sum) or len(expr.limits) != 1:
        return None
    (k, *_), body = expr.limits[0], expr.function
    factors = [f for f in sp.Mul.make_args(body)]
    if not all(isinstance(f, sp.Indexed) and len(f.indices) <= 2 for f in factors):
        return None
    if len(factors) == 1 and len(index) == 1:
        (f,) = factors
        if f.indices == (k, index[0]):
            return rf"\mathbf{{1}}^{{T}} {_bold(str(f.base.label), upstream)}"
        return None
    if len(factors) != 2 or len(index) != 2:
        return None
    row, col = index
    left = next((f for f in factors if row in f.indices), None)
    right = next((f for f in factors if col in f.indices and f is not left), None)
    if left is None or right is None or set(left.indices) != {row, k} or set(right.indices) != {k, col}:
        return None
    lt = "" if left.indices == (row, k) else "^{T}"
    rt = "" if right.indices == (k, col) else "^{T}"
    return (f"{_bold(str(left.base.label), upstream)}{lt} "
            f"{_bold(str(right.base.label), upstream)}{rt}")
