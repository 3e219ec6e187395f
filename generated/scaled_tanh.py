# generated from rule scaled_tanh by derive — do not edit; regenerate with `make`.
r"""scaled_tanh: LeCun's scaled tanh A tanh(S z).

Forward:

    a_{nj} = A \tanh{\left(S z_{nj} \right)}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial z_{n', j'}} = \frac{S \left(A^{2} - a_{n', j'}^{2}\right) \delta^{a}_{n', j'}}{A}
"""
import numpy as np

from ._runtime import _bind

RULE = "scaled_tanh"
INPUTS = ("z", )
OUTPUT = "a"
GRADS = ("z", )
BACKWARD_ARGS = ("a", )
GN_ARGS = ("a", )  # what gauss_newton(h, ...) reads
GN_TAKES_G = False  # gauss_newton(h, g, ...): a second derivative of its own
OPTIONS = {}
A = 1.7159
S = 0.6666666666666666



def forward(z):
    r"""a_{nj} = A \tanh{\left(S z_{nj} \right)}"""
    sizes = {}
    _bind("scaled_tanh.forward", sizes, "z", z, ("N", "J", ))
    # A*tanh(S*z[n, j])
    a = A*np.tanh(S*z)  # (N, J)
    return a


def backward(g, a, *, wrt=GRADS):
    r"""Gradients of the loss with respect to z (those named in `wrt`), given g = dL/da."""
    sizes = {}
    _bind("scaled_tanh.backward", sizes, "a", a, ("N", "J", ))
    _bind("scaled_tanh.backward", sizes, "g", g, ("N", "J", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/dz[n',j'] = S*(A**2 - a[n', j']**2)*g[n', j']/A
    if "z" in wrt:
        grad_z = S*g*(A**2 - a**2)/A  # (N, J)
        grads["z"] = grad_z
    return grads


def gauss_newton(h, a, *, wrt=GRADS):
    r"""The Gauss-Newton diagonal for z (those named in `wrt`), given h, the same diagonal for a: h_X[p] = sum_out (da[out]/dX[p])^2 h[out]."""
    sizes = {}
    _bind("scaled_tanh.gauss_newton", sizes, "a", a, ("N", "J", ))
    _bind("scaled_tanh.gauss_newton", sizes, "h", h, ("N", "J", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.gauss_newton: wrt names {sorted(unknown)}; they are {GRADS}")
    diagonals = {}

    # h_z[n',j'] = S**2*(A**4 - 2*A**2*a[n', j']**2 + a[n', j']**4)*h[n', j']/A**2
    if "z" in wrt:
        gn_z = S**2*h*(A**4 - 2*A**2*a**2 + a**4)/A**2  # (N, J)
        diagonals["z"] = gn_z
    return diagonals
