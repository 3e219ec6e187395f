# generated from rule rbf_map_loss by derive — do not edit; regenerate with `make`.
r"""rbf_map_loss: the 1998 paper's loss (its equation 9): the correct class's RBF output plus log(e^-j + Σ_i e^-y_i).

Forward:

    E = \frac{\sum_{n=0}^{N - 1} \left(\log{\left(\sum_{m=0}^{K - 1} e^{- y_{nm}} + e^{- j_{0}} \right)} + \sum_{k=0}^{K - 1} t_{nk} y_{nk}\right)}{N}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial y_{n', k'}} = \frac{\frac{\partial \mathcal{L}}{\partial E} \left(t_{n', k'} - \frac{e^{- y_{n', k'}}}{\sum_{m=0}^{K - 1} e^{- y_{n', m}} + e^{- j_{0}}}\right)}{N}
"""
import numpy as np

from ._runtime import _bind

RULE = "rbf_map_loss"
INPUTS = ("y", "t", )
OUTPUT = "E"
GRADS = ("y", )
BACKWARD_ARGS = ("y", "t", )
GN_ARGS = ("y", )  # what gauss_newton(h, ...) reads
GN_TAKES_G = False  # gauss_newton(h, g, ...): a second derivative of its own
OPTIONS = {}
j0 = 1.0



def forward(y, t):
    r"""E = \frac{\sum_{n=0}^{N - 1} \left(\log{\left(\sum_{m=0}^{K - 1} e^{- y_{nm}} + e^{- j_{0}} \right)} + \sum_{k=0}^{K - 1} t_{nk} y_{nk}\right)}{N}"""
    sizes = {}
    _bind("rbf_map_loss.forward", sizes, "y", y, ("N", "K", ))
    _bind("rbf_map_loss.forward", sizes, "t", t, ("N", "K", ))
    N = sizes["N"]
    c0_0 = t.sum(axis=1)  # (N,)  Σ_{k}(t[n, k])
    fact0 = c0_0 - 1  # (N,)
    if not np.allclose(fact0, 0, atol=1e-5):
        raise ValueError("rbf_map_loss.forward: argument 't' must satisfy Σ_{k}(t[n, k]) = 1 for every n (the derivation uses it)")
    # Σ_{n}(log(Σ_{m}(exp(-y[n, m])) + exp(-j0)) + Σ_{k}(t[n, k]*y[n, k]))/N
    f0 = np.einsum('nk,nk->n', t, y)  # (N,)  Σ_{k}(t[n, k]*y[n, k])
    f1 = (-y).max(axis=1)  # (N,)  max_{m}(-y[n, m])
    f2 = (np.exp(-f1[:, None] - y)).sum(axis=1)  # (N,)  Σ_{m}(exp(-y[n, m] - max_{m}(-y[n, m])))
    f3 = (f0 + np.log(f2*np.exp(f1) + float(np.exp(-j0)))).sum()  # ()  Σ_{n}(log(exp(max_{m}(-y[n, m]))*Σ_{m}(exp(-y[n, m] - max_{m}(-y[n, m]))) + exp(-j0)) + Σ_{k}(t[n, k]*y[n, k]))
    E = f3/N  # ()
    return E


def backward(g, y, t, *, wrt=GRADS):
    r"""Gradients of the loss with respect to y (those named in `wrt`), given g = dL/dE."""
    if not isinstance(g, (int, float, np.floating, np.ndarray)) or np.ndim(g) != 0:
        raise ValueError(f"{RULE}.backward: argument 'g' must be a real number (dL/d{OUTPUT}), "
                         f"got {type(g).__name__} of shape {np.shape(g)}")
    g = float(g)
    sizes = {}
    _bind("rbf_map_loss.backward", sizes, "y", y, ("N", "K", ))
    _bind("rbf_map_loss.backward", sizes, "t", t, ("N", "K", ))
    N = sizes["N"]
    c0_0 = t.sum(axis=1)  # (N,)  Σ_{k}(t[n, k])
    fact0 = c0_0 - 1  # (N,)
    if not np.allclose(fact0, 0, atol=1e-5):
        raise ValueError("rbf_map_loss.backward: argument 't' must satisfy Σ_{k}(t[n, k]) = 1 for every n (the derivation uses it)")
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/dy[n',k'] = g*(t[n', k'] - exp(-y[n', k'])/(Σ_{m}(exp(-y[n', m])) + exp(-j0)))/N
    if "y" in wrt:
        t0 = (-y).max(axis=1)  # (N,)  max_{m}(-y[n', m])
        t1 = (np.exp(-t0[:, None] - y)).sum(axis=1)  # (N,)  Σ_{m}(exp(-y[n', m] - max_{m}(-y[n', m])))
        grad_y = g*(t - np.exp(-y)/(float(np.exp(-j0)) + t1[:, None]*np.exp(t0[:, None])))/N  # (N, K)
        grads["y"] = grad_y
    return grads


def gauss_newton(h, y, *, wrt=GRADS):
    r"""The Gauss-Newton diagonal for y (those named in `wrt`), given h, the same diagonal for E: h_X[p] = sum_out (dE[out]/dX[p])^2 h[out] (for this loss, its exact second derivative times h)."""
    if not isinstance(h, (int, float, np.floating, np.ndarray)) or np.ndim(h) != 0:
        raise ValueError(f"{RULE}.gauss_newton: argument 'h' must be a real number, "
                         f"got {type(h).__name__} of shape {np.shape(h)}")
    h = float(h)
    sizes = {}
    _bind("rbf_map_loss.gauss_newton", sizes, "y", y, ("N", "K", ))
    N = sizes["N"]
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.gauss_newton: wrt names {sorted(unknown)}; they are {GRADS}")
    diagonals = {}

    # h_y[n',k'] = h*(1 - exp(-y[n', k'])/(Σ_{m}(exp(-y[n', m])) + exp(-j0)))*exp(-y[n', k'])/(N*(Σ_{m}(exp(-y[n', m])) + exp(-j0)))
    if "y" in wrt:
        s0 = (-y).max(axis=1)  # (N,)  max_{m}(-y[n', m])
        s1 = (np.exp(-s0[:, None] - y)).sum(axis=1)  # (N,)  Σ_{m}(exp(-y[n', m] - max_{m}(-y[n', m])))
        gn_y = h*(1 - np.exp(-y)/(float(np.exp(-j0)) + s1[:, None]*np.exp(s0[:, None])))*np.exp(-y)/(N*(float(np.exp(-j0)) + s1[:, None]*np.exp(s0[:, None])))  # (N, K)
        diagonals["y"] = gn_y
    return diagonals
