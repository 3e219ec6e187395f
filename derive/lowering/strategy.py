"""The lowering's strategy choices, in one place.

Every decision the lowering makes about *how* a formula runs (not *what* it computes) reads this
object, so a faster layout or contraction scheme is a change here, measured by `make bench`.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class Strategy:
    # "blas": a two-operand contraction that is a matrix product is written as `@`;
    # "einsum": every contraction is an `np.einsum` call.
    contraction: str = "blas"
    # passed to np.einsum for three or more operands: let NumPy pick a BLAS-backed order (for
    # two it only adds the cost of searching).
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
    # the input); "gemm": one matrix product per window sum, through a patch array or scattered
    # back (`derive.gemm`), the one with the smaller temporary; "auto": `window_for` below.
    # `make bench` measures them.
    window: str = "auto"
    # where the batch axis of every activation is stored: "first", the kernels' (N, C, H, W) API,
    # or "last", (C, H, W, N), which the network lowering uses: a window slice then copies runs
    # of N contiguous entries, a flatten is a free reshape to (C H W, N), a convolution's output
    # comes out of its matrix product in place, and a dense layer is `W @ a`.
    batch: str = "first"
    # arrays whose size involves the batch come from a workspace the caller keeps (`ws`): a
    # training step reuses their memory instead of faulting in fresh pages every step.
    workspaces: bool = False
    # a matrix product whose result has a fixed size but whose inner dimension runs over the
    # batch (a weight gradient) is summed over blocks of this many columns: BLAS parallelizes a
    # short, wide product poorly (`make bench`: C1's weight gradient 3x faster); 0: one product.
    split_inner: int = 0

    def window_for(self, offsets_summed: bool, dilated: bool, operands: int,
                   costs: dict | None = None) -> str:
        """The window strategy for one sum, from the shape of its index expressions.

        Measured by `make bench` on LeNet's layers: im2col wins only a two-operand contraction
        (BLAS) whose kernel offsets are all summed over and which reads nothing dilated (a
        convolution's forward); the offset loop wins a weight gradient (offsets free), a
        gradient read through a dilation, and a single-operand window sum (pooling), and it
        stays within a few times its arguments' memory where im2col takes tens of times.
        With "gemm", `costs` holds the size of the temporary each matrix-product form needs
        (None where it does not apply): the smaller one wins, the offset loop when neither applies.
        """
        if self.window == "gemm":
            fits = {how: cost for how, cost in sorted((costs or {}).items()) if cost is not None}
            if not fits:
                return "offsets"
            return min(fits, key=lambda how: _order_key(fits, how, dilated))
        if self.window != "auto":
            return self.window
        return "im2col" if offsets_summed and not dilated and operands == 2 else "offsets"


def _order_key(fits: dict, how: str, dilated: bool):
    """Sizes compare as numbers when their ratio is one (the batch size cancels); with symbolic
    sizes a dilated read scatters and an undilated one builds patches."""
    others = [c for h, c in fits.items() if h != how]
    if others:
        ratio = sp.simplify(fits[how] / others[0])
        if ratio.is_number:
            return (0, float(ratio))
    return (1, 0 if (how == "scatter") == dilated else 1)


DEFAULT = Strategy()
# the network lowering's choices: one GEMM per window sum, batch axis last, workspaces
NETWORK = Strategy(window="gemm", batch="last", workspaces=True, split_inner=4096)
