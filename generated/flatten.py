# generated from rule flatten by derive — do not edit; regenerate with `make`.
r"""flatten: flatten (N, C, H, W) to (N, C H W), row-major: z[n, c H W + y W + x] = a[n, c, y, x].

Forward:

    z_{n, H W c + W y + x} = a_{ncyx}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial a_{n', c', y', x'}} = \delta^{z}_{n', c', y', x'}
"""
import numpy as np

from ._runtime import _bind

RULE = "flatten"
INPUTS = ("a", )
OUTPUT = "z"
GRADS = ("a", )
BACKWARD_ARGS = ("a", )
GN_ARGS = ("a", )  # what gauss_newton(h, ...) reads
GN_TAKES_G = False  # gauss_newton(h, g, ...): a second derivative of its own
OPTIONS = {}



def forward(a):
    r"""z_{n, H W c + W y + x} = a_{ncyx}"""
    sizes = {}
    _bind("flatten.forward", sizes, "a", a, ("N", "C", "H", "W", ))
    C = sizes["C"]
    H = sizes["H"]
    N = sizes["N"]
    W = sizes["W"]
    # a[n, c, y, x]
    z = a  # (N, C, H, W)
    z = z.reshape(N, C*H*W)
    return z


def backward(g, a, *, wrt=GRADS):
    r"""Gradients of the loss with respect to a (those named in `wrt`), given g = dL/dz."""
    sizes = {}
    _bind("flatten.backward", sizes, "a", a, ("N", "C", "H", "W", ))
    C = sizes["C"]
    H = sizes["H"]
    N = sizes["N"]
    W = sizes["W"]
    sizes["C*H*W"] = C*H*W
    _bind("flatten.backward", sizes, "g", g, ("N", "C*H*W", ))
    g = g.reshape(N, C, H, W)
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/da[n',c',y',x'] = g[n', c', y', x']
    if "a" in wrt:
        grad_a = g  # (N, C, H, W)
        grads["a"] = grad_a
    return grads


def gauss_newton(h, a, *, wrt=GRADS):
    r"""The Gauss-Newton diagonal for a (those named in `wrt`), given h, the same diagonal for z: h_X[p] = sum_out (dz[out]/dX[p])^2 h[out]."""
    sizes = {}
    _bind("flatten.gauss_newton", sizes, "a", a, ("N", "C", "H", "W", ))
    C = sizes["C"]
    H = sizes["H"]
    N = sizes["N"]
    W = sizes["W"]
    sizes["C*H*W"] = C*H*W
    _bind("flatten.gauss_newton", sizes, "h", h, ("N", "C*H*W", ))
    h = h.reshape(N, C, H, W)
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.gauss_newton: wrt names {sorted(unknown)}; they are {GRADS}")
    diagonals = {}

    # h_a[n',c',y',x'] = h[n', c', y', x']
    if "a" in wrt:
        gn_a = h  # (N, C, H, W)
        diagonals["a"] = gn_a
    return diagonals
