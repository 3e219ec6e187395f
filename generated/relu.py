# generated from rule relu by derive — do not edit; regenerate with `make`.
r"""relu: rectifier, with relu'(0) = 0 (the branch z > 0 is strict).

Forward:

    a_{nj} = \begin{cases} z_{nj} & \text{for}\: z_{nj} > 0 \\0 & \text{otherwise} \end{cases}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial z_{n', j'}} = \begin{cases} \delta^{a}_{n', j'} & \text{for}\: z_{n', j'} > 0 \\0 & \text{otherwise} \end{cases}
"""
import numpy as np

from ._runtime import _bind

RULE = "relu"
INPUTS = ("z", )
OUTPUT = "a"
GRADS = ("z", )
BACKWARD_ARGS = ("z", )
OPTIONS = {}



def forward(z):
    r"""a_{nj} = \begin{cases} z_{nj} & \text{for}\: z_{nj} > 0 \\0 & \text{otherwise} \end{cases}"""
    sizes = {}
    _bind("relu.forward", sizes, "z", z, ("N", "J", ))
    # Piecewise((z[n, j], z[n, j] > 0), (0, True))
    a = np.where((z > 0), z, 0)  # (N, J)
    return a


def backward(g, z, *, wrt=GRADS):
    r"""Gradients of the loss with respect to z (those named in `wrt`), given g = dL/da."""
    sizes = {}
    _bind("relu.backward", sizes, "z", z, ("N", "J", ))
    _bind("relu.backward", sizes, "g", g, ("N", "J", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/dz[n',j'] = Piecewise((g[n', j'], z[n', j'] > 0), (0, True))
    if "z" in wrt:
        grad_z = np.where((z > 0), g, 0)  # (N, J)
        grads["z"] = grad_z
    return grads
