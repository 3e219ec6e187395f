# generated from rule softmax_cross_entropy by derive — do not edit; regenerate with `make`.
r"""softmax_cross_entropy: cross-entropy of softmax(z) against a one-hot label, on logits.

Forward:

    J = \frac{\sum_{n=0}^{N - 1} - \sum_{k=0}^{K - 1} \left(\log{\left(\frac{e^{z_{nk}}}{\sum_{m=0}^{K - 1} e^{z_{nm}}} \right)}\right) y_{nk}}{N}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial z_{n', m'}} = \frac{\frac{\partial \mathcal{L}}{\partial J} \left(\frac{e^{z_{n', m'}}}{\sum_{m=0}^{K - 1} e^{z_{n', m}}} - y_{n', m'}\right)}{N}
"""
import numpy as np

from ._runtime import _bind

RULE = "softmax_cross_entropy"
INPUTS = ("z", "y", )
OUTPUT = "J"
GRADS = ("z", )
BACKWARD_ARGS = ("z", "y", )
OPTIONS = {}



def forward(z, y):
    r"""J = \frac{\sum_{n=0}^{N - 1} - \sum_{k=0}^{K - 1} \left(\log{\left(\frac{e^{z_{nk}}}{\sum_{m=0}^{K - 1} e^{z_{nm}}} \right)}\right) y_{nk}}{N}"""
    sizes = {}
    _bind("softmax_cross_entropy.forward", sizes, "z", z, ("N", "K", ))
    _bind("softmax_cross_entropy.forward", sizes, "y", y, ("N", "K", ))
    N = sizes["N"]
    c0_0 = y.sum(axis=1)  # (N,)  Σ_{k}(y[n, k])
    fact0 = c0_0 - 1  # (N,)
    if not np.allclose(fact0, 0, atol=1e-5):
        raise ValueError("softmax_cross_entropy.forward: argument 'y' must satisfy Σ_{k}(y[n, k]) = 1 for every n (the derivation uses it)")
    # Σ_{n}(-Σ_{k}(log(exp(z[n, k])/Σ_{m}(exp(z[n, m])))*y[n, k]))/N
    f0 = z.max(axis=1)  # (N,)  max_{m}(z[n, m])
    f1 = (np.exp(-f0[:, None] + z)).sum(axis=1)  # (N,)  Σ_{m}(exp(z[n, m] - max_{m}(z[n, m])))
    f2 = -((np.einsum('nk,nk->n', -f0[:, None] + z - np.log(f1[:, None]), y)).sum())  # ()  Σ_{n}(-Σ_{k}((-log(Σ_{m}(exp(z[n, m] - max_{m}(z[n, m])))) + z[n, k] - max_{m}(z[n, m]))*y[n, k]))
    J = f2/N  # ()
    return J


def backward(g, z, y, *, wrt=GRADS):
    r"""Gradients of the loss with respect to z (those named in `wrt`), given g = dL/dJ."""
    if not isinstance(g, (int, float, np.floating, np.ndarray)) or np.ndim(g) != 0:
        raise ValueError(f"{RULE}.backward: argument 'g' must be a real number (dL/d{OUTPUT}), "
                         f"got {type(g).__name__} of shape {np.shape(g)}")
    g = float(g)
    sizes = {}
    _bind("softmax_cross_entropy.backward", sizes, "z", z, ("N", "K", ))
    _bind("softmax_cross_entropy.backward", sizes, "y", y, ("N", "K", ))
    N = sizes["N"]
    c0_0 = y.sum(axis=1)  # (N,)  Σ_{k}(y[n, k])
    fact0 = c0_0 - 1  # (N,)
    if not np.allclose(fact0, 0, atol=1e-5):
        raise ValueError("softmax_cross_entropy.backward: argument 'y' must satisfy Σ_{k}(y[n, k]) = 1 for every n (the derivation uses it)")
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/dz[n',m'] = g*(exp(z[n', m'])/Σ_{m}(exp(z[n', m])) - y[n', m'])/N
    if "z" in wrt:
        t0 = z.max(axis=1)  # (N,)  max_{m}(z[n', m])
        t1 = (np.exp(-t0[:, None] + z)).sum(axis=1)  # (N,)  Σ_{m}(exp(z[n', m] - max_{m}(z[n', m])))
        grad_z = g*(-y + np.exp(-t0[:, None] + z)/t1[:, None])/N  # (N, K)
        grads["z"] = grad_z
    return grads
