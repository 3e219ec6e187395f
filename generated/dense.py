# generated from rule dense by derive — do not edit; regenerate with `make`.
r"""dense: fully connected layer.

Forward:

    z_{nj} = b_{j} + \sum_{i=0}^{I - 1} W_{ji} a_{ni}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial a_{n', i'}} = \sum_{j=0}^{J - 1} W_{j, i'} \delta^{z}_{n', j}

    \frac{\partial \mathcal{L}}{\partial W_{j', i'}} = \sum_{n=0}^{N - 1} a_{n, i'} \delta^{z}_{n, j'}

    \frac{\partial \mathcal{L}}{\partial b_{j'}} = \sum_{n=0}^{N - 1} \delta^{z}_{n, j'}
"""
import numpy as np

from ._runtime import _bind

RULE = "dense"
INPUTS = ("a", "W", "b", )
OUTPUT = "z"
GRADS = ("a", "W", "b", )
BACKWARD_ARGS = ("a", "W", )
GN_ARGS = ("a", "W", )  # what gauss_newton(h, ...) reads
GN_TAKES_G = False  # gauss_newton(h, g, ...): a second derivative of its own
OPTIONS = {}



def forward(a, W, b):
    r"""z_{nj} = b_{j} + \sum_{i=0}^{I - 1} W_{ji} a_{ni}"""
    sizes = {}
    _bind("dense.forward", sizes, "a", a, ("N", "I", ))
    _bind("dense.forward", sizes, "W", W, ("J", "I", ))
    _bind("dense.forward", sizes, "b", b, ("J", ))
    # b[j] + Σ_{i}(W[j, i]*a[n, i])
    f0 = a @ W.T  # (N, J)  Σ_{i}(W[j, i]*a[n, i])
    z = b + f0  # (N, J)
    return z


def backward(g, a, W, *, wrt=GRADS):
    r"""Gradients of the loss with respect to a, W, b (those named in `wrt`), given g = dL/dz."""
    sizes = {}
    _bind("dense.backward", sizes, "a", a, ("N", "I", ))
    _bind("dense.backward", sizes, "W", W, ("J", "I", ))
    _bind("dense.backward", sizes, "g", g, ("N", "J", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/da[n',i'] = Σ_{j}(W[j, i']*g[n', j])
    if "a" in wrt:
        grad_a = g @ W  # (N, I)
        grads["a"] = grad_a

    # dJ/dW[j',i'] = Σ_{n}(a[n, i']*g[n, j'])
    if "W" in wrt:
        grad_W = g.T @ a  # (J, I)
        grads["W"] = grad_W

    # dJ/db[j'] = Σ_{n}(g[n, j'])
    if "b" in wrt:
        grad_b = g.sum(axis=0)  # (J,)
        grads["b"] = grad_b
    return grads


def gauss_newton(h, a, W, *, wrt=GRADS):
    r"""The Gauss-Newton diagonal for a, W, b (those named in `wrt`), given h, the same diagonal for z: h_X[p] = sum_out (dz[out]/dX[p])^2 h[out]."""
    sizes = {}
    _bind("dense.gauss_newton", sizes, "a", a, ("N", "I", ))
    _bind("dense.gauss_newton", sizes, "W", W, ("J", "I", ))
    _bind("dense.gauss_newton", sizes, "h", h, ("N", "J", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.gauss_newton: wrt names {sorted(unknown)}; they are {GRADS}")
    diagonals = {}

    # h_a[n',i'] = Σ_{j}(W[j, i']**2*h[n', j])
    if "a" in wrt:
        gn_a = h @ ((W.T**2).T)  # (N, I)
        diagonals["a"] = gn_a

    # h_W[j',i'] = Σ_{n}(a[n, i']**2*h[n, j'])
    if "W" in wrt:
        gn_W = h.T @ ((a.T**2).T)  # (J, I)
        diagonals["W"] = gn_W

    # h_b[j'] = Σ_{n}(h[n, j'])
    if "b" in wrt:
        gn_b = h.sum(axis=0)  # (J,)
        diagonals["b"] = gn_b
    return diagonals
