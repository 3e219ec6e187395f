# generated from rule dropout by derive — do not edit; regenerate with `make`.
r"""dropout: inverted dropout: the kept entries (mask 1) scaled by 1/(1 - p).

Forward:

    z_{nj} = \frac{a_{nj} m_{nj}}{1 - p}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial a_{n', j'}} = \frac{\delta^{z}_{n', j'} m_{n', j'}}{1 - p}
"""
import numpy as np

from ._runtime import _bind, _real_option

RULE = "dropout"
INPUTS = ("a", "m", )
OUTPUT = "z"
GRADS = ("a", )
BACKWARD_ARGS = ("m", )
OPTIONS = {"p": 0.5}



def forward(a, m, *, p=0.5):
    r"""z_{nj} = \frac{a_{nj} m_{nj}}{1 - p}"""
    p = _real_option("dropout.forward", "p", p, 0)
    if 1 - p == 0:
        raise ValueError(f"dropout.forward: p={p} makes 1 - p zero, and the formula divides by it")
    sizes = {}
    _bind("dropout.forward", sizes, "a", a, ("N", "J", ))
    _bind("dropout.forward", sizes, "m", m, ("N", "J", ))
    # a[n, j]*m[n, j]/(1 - p)
    z = a*m/(1 - p)  # (N, J)
    return z


def backward(g, m, *, p=0.5, wrt=GRADS):
    r"""Gradients of the loss with respect to a (those named in `wrt`), given g = dL/dz."""
    p = _real_option("dropout.backward", "p", p, 0)
    if 1 - p == 0:
        raise ValueError(f"dropout.backward: p={p} makes 1 - p zero, and the formula divides by it")
    sizes = {}
    _bind("dropout.backward", sizes, "m", m, ("N", "J", ))
    _bind("dropout.backward", sizes, "g", g, ("N", "J", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/da[n',j'] = g[n', j']*m[n', j']/(1 - p)
    if "a" in wrt:
        grad_a = g*m/(1 - p)  # (N, J)
        grads["a"] = grad_a
    return grads
