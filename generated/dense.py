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
