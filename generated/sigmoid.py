# generated from rule sigmoid by derive — do not edit; regenerate with `make`.
r"""sigmoid: logistic sigmoid.

Forward:

    a_{nj} = \frac{1}{1 + e^{- z_{nj}}}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial z_{n', j'}} = \left(1 - a_{n', j'}\right) a_{n', j'} \delta^{a}_{n', j'}
"""
import numpy as np

from ._runtime import _bind

RULE = "sigmoid"
INPUTS = ("z", )
OUTPUT = "a"
GRADS = ("z", )
BACKWARD_ARGS = ("a", )
OPTIONS = {}



def forward(z):
    r"""a_{nj} = \frac{1}{1 + e^{- z_{nj}}}"""
    sizes = {}
    _bind("sigmoid.forward", sizes, "z", z, ("N", "J", ))
    # 1/(1 + exp(-z[n, j]))
    a = 1/(1 + np.exp(-z))  # (N, J)
    return a


def backward(g, a, *, wrt=GRADS):
    r"""Gradients of the loss with respect to z (those named in `wrt`), given g = dL/da."""
    sizes = {}
    _bind("sigmoid.backward", sizes, "a", a, ("N", "J", ))
    _bind("sigmoid.backward", sizes, "g", g, ("N", "J", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/dz[n',j'] = (1 - a[n', j'])*a[n', j']*g[n', j']
    if "z" in wrt:
        grad_z = a*g*(1 - a)  # (N, J)
        grads["z"] = grad_z
    return grads
