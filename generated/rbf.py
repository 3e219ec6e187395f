# generated from rule rbf by derive — do not edit; regenerate with `make`.
r"""rbf: Euclidean radial basis function units with fixed prototypes w.

Forward:

    y_{nk} = \sum_{j=0}^{J - 1} \left(- w_{kj} + x_{nj}\right)^{2}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial x_{n', j'}} = 2 \sum_{k=0}^{K - 1} \left(- w_{k, j'} + x_{n', j'}\right) \delta^{y}_{n', k}
"""
import numpy as np

from ._runtime import _bind

RULE = "rbf"
INPUTS = ("x", "w", )
OUTPUT = "y"
GRADS = ("x", )
BACKWARD_ARGS = ("x", "w", )
GN_ARGS = ("x", "w", )  # what gauss_newton(h, ...) reads
GN_TAKES_G = True  # gauss_newton(h, g, ...): a second derivative of its own
OPTIONS = {}



def forward(x, w):
    r"""y_{nk} = \sum_{j=0}^{J - 1} \left(- w_{kj} + x_{nj}\right)^{2}"""
    sizes = {}
    _bind("rbf.forward", sizes, "x", x, ("N", "J", ))
    _bind("rbf.forward", sizes, "w", w, ("K", "J", ))
    # Σ_{j}((-w[k, j] + x[n, j])**2)
    y = ((-w + x[:, None, :])**2).sum(axis=2)  # (N, K)
    return y


def backward(g, x, w, *, wrt=GRADS):
    r"""Gradients of the loss with respect to x (those named in `wrt`), given g = dL/dy."""
    sizes = {}
    _bind("rbf.backward", sizes, "x", x, ("N", "J", ))
    _bind("rbf.backward", sizes, "w", w, ("K", "J", ))
    _bind("rbf.backward", sizes, "g", g, ("N", "K", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/dx[n',j'] = 2*Σ_{k}((-w[k, j'] + x[n', j'])*g[n', k])
    if "x" in wrt:
        t0 = np.einsum('njk,nk->nj', -w.T + x[:, :, None], g)  # (N, J)  Σ_{k}((-w[k, j'] + x[n', j'])*g[n', k])
        grad_x = 2*t0  # (N, J)
        grads["x"] = grad_x
    return grads


def gauss_newton(h, g, x, w, *, wrt=GRADS):
    r"""The Gauss-Newton diagonal for x (those named in `wrt`), given h, the same diagonal for y: h_X[p] = sum_out (dy[out]/dX[p])^2 h[out] + sum_out g[out] d^2y[out]/dX[p]^2 (the layer's own second derivative, which reads no input; g = dL/dy)."""
    sizes = {}
    _bind("rbf.gauss_newton", sizes, "x", x, ("N", "J", ))
    _bind("rbf.gauss_newton", sizes, "w", w, ("K", "J", ))
    _bind("rbf.gauss_newton", sizes, "h", h, ("N", "K", ))
    _bind("rbf.gauss_newton", sizes, "g", g, ("N", "K", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.gauss_newton: wrt names {sorted(unknown)}; they are {GRADS}")
    diagonals = {}

    # h_x[n',j'] = 2*(2*x[n', j']**2*Σ_{k}(h[n', k]) - 4*x[n', j']*Σ_{k}(h[n', k]*w[k, j']) + 2*Σ_{k}(h[n', k]*w[k, j']**2) + Σ_{k}(g[n', k]))
    if "x" in wrt:
        s0 = g.sum(axis=1)  # (N,)  Σ_{k}(g[n', k])
        s1 = h @ ((w.T**2).T)  # (N, J)  Σ_{k}(h[n', k]*w[k, j']**2)
        s2 = h @ w  # (N, J)  Σ_{k}(h[n', k]*w[k, j'])
        s3 = h.sum(axis=1)  # (N,)  Σ_{k}(h[n', k])
        gn_x = 2*s0[:, None] + 4*s1 - 8*s2*x + 4*s3[:, None]*x**2  # (N, J)
        diagonals["x"] = gn_x
    return diagonals
