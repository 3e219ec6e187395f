# generated from rule identity by derive — do not edit; regenerate with `make`.
r"""identity: identity (a linear output layer).

Forward:

    a_{nj} = z_{nj}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial z_{n', j'}} = \delta^{a}_{n', j'}
"""
import numpy as np

from ._runtime import _bind

RULE = "identity"
INPUTS = ("z", )
OUTPUT = "a"
GRADS = ("z", )
BACKWARD_ARGS = ()
OPTIONS = {}



def forward(z):
    r"""a_{nj} = z_{nj}"""
    sizes = {}
    _bind("identity.forward", sizes, "z", z, ("N", "J", ))
    # z[n, j]
    a = z  # (N, J)
    return a


def backward(g, *, wrt=GRADS):
    r"""Gradients of the loss with respect to z (those named in `wrt`), given g = dL/da."""
    sizes = {}
    _bind("identity.backward", sizes, "g", g, ("N", "J", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/dz[n',j'] = g[n', j']
    if "z" in wrt:
        grad_z = g  # (N, J)
        grads["z"] = grad_z
    return grads
