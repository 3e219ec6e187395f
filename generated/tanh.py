# generated from rule tanh by derive — do not edit; regenerate with `make`.
r"""tanh: hyperbolic tangent.

Forward:

    a_{nj} = \tanh{\left(z_{nj} \right)}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial z_{n', j'}} = \left(1 - a_{n', j'}^{2}\right) \delta^{a}_{n', j'}
"""
import numpy as np

from ._runtime import _bind

RULE = "tanh"
INPUTS = ("z", )
OUTPUT = "a"
GRADS = ("z", )
BACKWARD_ARGS = ("a", )
OPTIONS = {}



def forward(z):
    r"""a_{nj} = \tanh{\left(z_{nj} \right)}"""
    sizes = {}
    _bind("tanh.forward", sizes, "z", z, ("N", "J", ))
    # tanh(z[n, j])
    a = np.tanh(z)  # (N, J)
    return a


def backward(g, a, *, wrt=GRADS):
    r"""Gradients of the loss with respect to z (those named in `wrt`), given g = dL/da."""
    sizes = {}
    _bind("tanh.backward", sizes, "a", a, ("N", "J", ))
    _bind("tanh.backward", sizes, "g", g, ("N", "J", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/dz[n',j'] = (1 - a[n', j']**2)*g[n', j']
    if "z" in wrt:
        grad_z = g*(1 - a**2)  # (N, J)
        grads["z"] = grad_z
    return grads
