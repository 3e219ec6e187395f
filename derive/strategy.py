"""The lowering's strategy choices, in one place.

Every decision the lowering makes about *how* a formula runs (not *what* it computes) reads this
object, so a faster layout or contraction scheme is a change here, measured by `make bench`.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Strategy:
    # "blas": a two-operand contraction that is a matrix product is written as `@`;
    # "einsum": every contraction is an `np.einsum` call.
    contraction: str = "blas"
    # passed to np.einsum: let NumPy pick a BLAS-backed order for multi-operand contractions.
    einsum_optimize: bool = True
    # a reduction computed twice in one kernel (same code) is bound to one temporary.
    share_temporaries: bool = True


DEFAULT = Strategy()
