# generated from rule mse by derive — do not edit; regenerate with `make`.
r"""mse: mean squared error, averaged over the batch.

Forward:

    J = \frac{\sum_{n=0}^{N - 1} \frac{\sum_{k=0}^{K - 1} \left(- a_{nk} + y_{nk}\right)^{2}}{2}}{N}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial a_{n', k'}} = \frac{\frac{\partial \mathcal{L}}{\partial J} \left(a_{n', k'} - y_{n', k'}\right)}{N}
"""
import numpy as np

from ._runtime import _bind

RULE = "mse"
INPUTS = ("a", "y", )
OUTPUT = "J"
GRADS = ("a", )
BACKWARD_ARGS = ("a", "y", )
OPTIONS = {}



def forward(a, y):
    r"""J = \frac{\sum_{n=0}^{N - 1} \frac{\sum_{k=0}^{K - 1} \left(- a_{nk} + y_{nk}\right)^{2}}{2}}{N}"""
    sizes = {}
    _bind("mse.forward", sizes, "a", a, ("N", "K", ))
    _bind("mse.forward", sizes, "y", y, ("N", "K", ))
    N = sizes["N"]
    # Σ_{n}(Σ_{k}((-a[n, k] + y[n, k])**2)/2)/N
    f0 = (1/2) * (((-a + y)**2).sum(axis=1)).sum()  # ()  Σ_{n}(Σ_{k}((-a[n, k] + y[n, k])**2)/2)
    J = f0/N  # ()
    return J


def backward(g, a, y, *, wrt=GRADS):
    r"""Gradients of the loss with respect to a (those named in `wrt`), given g = dL/dJ."""
    if not isinstance(g, (int, float, np.floating, np.ndarray)) or np.ndim(g) != 0:
        raise ValueError(f"{RULE}.backward: argument 'g' must be a real number (dL/d{OUTPUT}), "
                         f"got {type(g).__name__} of shape {np.shape(g)}")
    g = float(g)
    sizes = {}
    _bind("mse.backward", sizes, "a", a, ("N", "K", ))
    _bind("mse.backward", sizes, "y", y, ("N", "K", ))
    N = sizes["N"]
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/da[n',k'] = g*(a[n', k'] - y[n', k'])/N
    if "a" in wrt:
        grad_a = g*(a - y)/N  # (N, K)
        grads["a"] = grad_a
    return grads
