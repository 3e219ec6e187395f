# generated from rule softmax by derive — do not edit; regenerate with `make`.
r"""softmax: softmax over the class axis.

Forward:

    s_{nk} = \frac{e^{z_{nk}}}{\sum_{m=0}^{K - 1} e^{z_{nm}}}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial z_{n', m'}} = \left(\delta^{s}_{n', m'} - \sum_{k=0}^{K - 1} \delta^{s}_{n', k} s_{n', k}\right) s_{n', m'}
"""
import numpy as np

from ._runtime import _bind

RULE = "softmax"
INPUTS = ("z", )
OUTPUT = "s"
GRADS = ("z", )
BACKWARD_ARGS = ("s", )
OPTIONS = {}



def forward(z):
    r"""s_{nk} = \frac{e^{z_{nk}}}{\sum_{m=0}^{K - 1} e^{z_{nm}}}"""
    sizes = {}
    _bind("softmax.forward", sizes, "z", z, ("N", "K", ))
    # exp(z[n, k])/Σ_{m}(exp(z[n, m]))
    f0 = z.max(axis=1)  # (N,)  max_{m}(z[n, m])
    f1 = (np.exp(-f0[:, None] + z)).sum(axis=1)  # (N,)  Σ_{m}(exp(z[n, m] - max_{m}(z[n, m])))
    s = np.exp(-f0[:, None] + z)/f1[:, None]  # (N, K)
    return s


def backward(g, s, *, wrt=GRADS):
    r"""Gradients of the loss with respect to z (those named in `wrt`), given g = dL/ds."""
    sizes = {}
    _bind("softmax.backward", sizes, "s", s, ("N", "K", ))
    _bind("softmax.backward", sizes, "g", g, ("N", "K", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/dz[n',m'] = (g[n', m'] - Σ_{k}(g[n', k]*s[n', k]))*s[n', m']
    if "z" in wrt:
        t0 = np.einsum('nk,nk->n', g, s)  # (N,)  Σ_{k}(g[n', k]*s[n', k])
        grad_z = s*(g - t0[:, None])  # (N, K)
        grads["z"] = grad_z
    return grads
