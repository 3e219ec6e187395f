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
    # a window sum (an axis read at s*i + u) loops in Python over one of the two indices of each
    # such axis and contracts the rest with BLAS: the index whose extent comes first here
    # ("option": a rule option such as the pooling size, "param": a parameter's dimension such as
    # a kernel's height, "input": an input's dimension, "derived": an output size).
    loop_over: tuple[str, ...] = ("option", "param", "input", "derived")
    # "offsets": that Python loop over kernel offsets, each step a contraction of plain strided
    # slices (no temporary larger than an argument); "im2col": no loop, one contraction of an
    # `as_strided` view with an axis per index (BLAS on a copied patch matrix, kernel-area times
    # the input); "auto": `window_for` below. `make bench` measures all three.
    window: str = "auto"

    def window_for(self, offsets_summed: bool, dilated: bool, operands: int) -> str:
        """The window strategy for one sum, from the shape of its index expressions.

        Measured by `make bench` on LeNet's layers: im2col wins only a two-operand contraction
        (BLAS) whose kernel offsets are all summed over and which reads nothing dilated (a
        convolution's forward); the offset loop wins a weight gradient (offsets free), a
        gradient read through a dilation, and a single-operand window sum (pooling), and it
        stays within a few times its arguments' memory where im2col takes tens of times.
        """
        if self.window != "auto":
            return self.window
        return "im2col" if offsets_summed and not dilated and operands == 2 else "offsets"


DEFAULT = Strategy()
