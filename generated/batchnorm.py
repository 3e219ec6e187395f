# generated from rule batchnorm by derive — do not edit; regenerate with `make`.
r"""batchnorm: batch normalization of each feature over the batch (training mode).

Forward:

    y_{nj} = \beta_{j} + \frac{\left(x_{nj} - \frac{\sum_{m=0}^{N - 1} x_{mj}}{N}\right) \gamma_{j}}{\sqrt{\epsilon + \frac{\sum_{r=0}^{N - 1} \left(x_{rj} - \frac{\sum_{m=0}^{N - 1} x_{mj}}{N}\right)^{2}}{N}}}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial x_{m', j'}} = \frac{\left(\delta^{y}_{m', j'} - \frac{\sum_{n=0}^{N - 1} \delta^{y}_{n, j'}}{N} + \frac{\left(- x_{m', j'} + \frac{\sum_{m=0}^{N - 1} x_{m, j'}}{N}\right) \sum_{n=0}^{N - 1} \left(x_{n, j'} - \frac{\sum_{m=0}^{N - 1} x_{m, j'}}{N}\right) \delta^{y}_{n, j'}}{N \left(\epsilon + \frac{\sum_{r=0}^{N - 1} \left(x_{r, j'} - \frac{\sum_{m=0}^{N - 1} x_{m, j'}}{N}\right)^{2}}{N}\right)}\right) \gamma_{j'}}{\sqrt{\epsilon + \frac{\sum_{r=0}^{N - 1} \left(x_{r, j'} - \frac{\sum_{m=0}^{N - 1} x_{m, j'}}{N}\right)^{2}}{N}}}

    \frac{\partial \mathcal{L}}{\partial \gamma_{j'}} = \frac{\sum_{n=0}^{N - 1} \left(x_{n, j'} - \frac{\sum_{m=0}^{N - 1} x_{m, j'}}{N}\right) \delta^{y}_{n, j'}}{\sqrt{\epsilon + \frac{\sum_{r=0}^{N - 1} \left(x_{r, j'} - \frac{\sum_{m=0}^{N - 1} x_{m, j'}}{N}\right)^{2}}{N}}}

    \frac{\partial \mathcal{L}}{\partial \beta_{j'}} = \sum_{n=0}^{N - 1} \delta^{y}_{n, j'}
"""
import numpy as np

from ._runtime import _bind

RULE = "batchnorm"
INPUTS = ("x", "gamma", "beta", )
OUTPUT = "y"
GRADS = ("x", "gamma", "beta", )
BACKWARD_ARGS = ("x", "gamma", )
OPTIONS = {}
epsilon = 1e-05



def forward(x, gamma, beta):
    r"""y_{nj} = \beta_{j} + \frac{\left(x_{nj} - \frac{\sum_{m=0}^{N - 1} x_{mj}}{N}\right) \gamma_{j}}{\sqrt{\epsilon + \frac{\sum_{r=0}^{N - 1} \left(x_{rj} - \frac{\sum_{m=0}^{N - 1} x_{mj}}{N}\right)^{2}}{N}}}"""
    sizes = {}
    _bind("batchnorm.forward", sizes, "x", x, ("N", "J", ))
    _bind("batchnorm.forward", sizes, "gamma", gamma, ("J", ))
    _bind("batchnorm.forward", sizes, "beta", beta, ("J", ))
    N = sizes["N"]
    # beta[j] + (x[n, j] - Σ_{m}(x[m, j])/N)*gamma[j]/sqrt(epsilon + Σ_{r}((x[r, j] - Σ_{m}(x[m, j])/N)**2)/N)
    f0 = x.sum(axis=0)  # (J,)  Σ_{m}(x[m, j])
    f1 = ((x.T - f0[:, None]/N)**2).sum(axis=1)  # (J,)  Σ_{r}((x[r, j] - Σ_{m}(x[m, j])/N)**2)
    y = beta + gamma*(x - f0/N)/np.sqrt(epsilon + f1/N)  # (N, J)
    return y


def backward(g, x, gamma, *, wrt=GRADS):
    r"""Gradients of the loss with respect to x, gamma, beta (those named in `wrt`), given g = dL/dy."""
    sizes = {}
    _bind("batchnorm.backward", sizes, "x", x, ("N", "J", ))
    _bind("batchnorm.backward", sizes, "gamma", gamma, ("J", ))
    N = sizes["N"]
    _bind("batchnorm.backward", sizes, "g", g, ("N", "J", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/dx[m',j'] = (g[m', j'] - Σ_{n}(g[n, j'])/N + (-x[m', j'] + Σ_{m}(x[m, j'])/N)*Σ_{n}((x[n, j'] - Σ_{m}(x[m, j'])/N)*g[n, j'])/(N*(epsilon + Σ_{r}((x[r, j'] - Σ_{m}(x[m, j'])/N)**2)/N)))*gamma[j']/sqrt(epsilon + Σ_{r}((x[r, j'] - Σ_{m}(x[m, j'])/N)**2)/N)
    if "x" in wrt:
        t0_0 = x.sum(axis=0)  # (J,)  Σ_{m}(x[m, j'])
        t0_1 = ((x.T - t0_0[:, None]/N)**2).sum(axis=1)  # (J,)  Σ_{r}((x[r, j'] - Σ_{m}(x[m, j'])/N)**2)
        t0_2 = g.sum(axis=0)  # (J,)  Σ_{n}(g[n, j'])
        t0_3 = np.einsum('jn,jn->j', x.T - t0_0[:, None]/N, g.T)  # (J,)  Σ_{n}((x[n, j'] - Σ_{m}(x[m, j'])/N)*g[n, j'])
        grad_x = gamma*(g - t0_2/N - t0_3*(x - t0_0/N)/(N*(epsilon + t0_1/N)))/np.sqrt(epsilon + t0_1/N)  # (N, J)
        grads["x"] = grad_x

    # dJ/dgamma[j'] = Σ_{n}((x[n, j'] - Σ_{m}(x[m, j'])/N)*g[n, j'])/sqrt(epsilon + Σ_{r}((x[r, j'] - Σ_{m}(x[m, j'])/N)**2)/N)
    if "gamma" in wrt:
        t1_0 = x.sum(axis=0)  # (J,)  Σ_{m}(x[m, j'])
        t1_1 = ((x.T - t1_0[:, None]/N)**2).sum(axis=1)  # (J,)  Σ_{r}((x[r, j'] - Σ_{m}(x[m, j'])/N)**2)
        t1_2 = np.einsum('jn,jn->j', x.T - t1_0[:, None]/N, g.T)  # (J,)  Σ_{n}((x[n, j'] - Σ_{m}(x[m, j'])/N)*g[n, j'])
        grad_gamma = t1_2/np.sqrt(epsilon + t1_1/N)  # (J,)
        grads["gamma"] = grad_gamma

    # dJ/dbeta[j'] = Σ_{n}(g[n, j'])
    if "beta" in wrt:
        grad_beta = g.sum(axis=0)  # (J,)
        grads["beta"] = grad_beta
    return grads
