# generated from rule depthwise_conv2d by derive — do not edit; regenerate with `make`.
r"""depthwise_conv2d: depthwise 2-D convolution, one kernel per channel.

Forward:

    z_{ncij} = \sum_{\substack{0 \leq u \leq KH - 1\\0 \leq v \leq KW - 1}} a_{n, c, i + u, j + v} w_{cuv}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial a_{n', c', p, q}} = \sum_{\substack{\max\left(0, - OH + p + 1\right) \leq u \leq \min\left(p, KH - 1\right)\\\max\left(0, - OW + q + 1\right) \leq v \leq \min\left(q, KW - 1\right)}} \delta^{z}_{n', c', p - u, q - v} w_{c', u, v}

    \frac{\partial \mathcal{L}}{\partial w_{c', u', v'}} = \sum_{\substack{0 \leq n \leq N - 1\\0 \leq i \leq OH - 1\\0 \leq j \leq OW - 1}} a_{n, c', i + u', j + v'} \delta^{z}_{n, c', i, j}
"""
import numpy as np

from ._runtime import _bind, _pad, _span, _view

RULE = "depthwise_conv2d"
INPUTS = ("a", "w", )
OUTPUT = "z"
GRADS = ("a", "w", )
BACKWARD_ARGS = ("a", "w", )
OPTIONS = {}



def forward(a, w):
    r"""z_{ncij} = \sum_{\substack{0 \leq u \leq KH - 1\\0 \leq v \leq KW - 1}} a_{n, c, i + u, j + v} w_{cuv}"""
    sizes = {}
    _bind("depthwise_conv2d.forward", sizes, "a", a, ("N", "C", "H", "W", ))
    _bind("depthwise_conv2d.forward", sizes, "w", w, ("C", "KH", "KW", ))
    C = sizes["C"]
    H = sizes["H"]
    KH = sizes["KH"]
    KW = sizes["KW"]
    N = sizes["N"]
    W = sizes["W"]
    sizes["OH"] = OH = H - KH + 1
    if OH < 1:
        raise ValueError(f"depthwise_conv2d.forward: argument 'a' {a.shape} and argument 'w' {w.shape} give OH = H - KH + 1 = {OH} < 1")
    sizes["OW"] = OW = -KW + W + 1
    if OW < 1:
        raise ValueError(f"depthwise_conv2d.forward: argument 'a' {a.shape} and argument 'w' {w.shape} give OW = -KW + W + 1 = {OW} < 1")
    # Σ_{u,v}(a[n, c, i + u, j + v]*w[c, u, v])
    # Σ_{u,v}(a[n, c, i + u, j + v]*w[c, u, v])  -> (N, C, OH, OW)
    f0 = np.zeros((C, N, OH, OW), dtype=np.result_type(a, w))
    f0 += np.einsum('cuv,nciujv->cnij', w, _view(a, (0, 0, 0, 0,), [(0, 1, a.shape[0]), (1, 1, a.shape[1]), (2, 1, OH), (2, 1, KH), (3, 1, OW), (3, 1, KW)]))
    f0 = np.transpose(f0, (1, 0, 2, 3))
    z = f0  # (N, C, OH, OW)
    return z


def backward(g, a, w, *, wrt=GRADS):
    r"""Gradients of the loss with respect to a, w (those named in `wrt`), given g = dL/dz."""
    sizes = {}
    _bind("depthwise_conv2d.backward", sizes, "a", a, ("N", "C", "H", "W", ))
    _bind("depthwise_conv2d.backward", sizes, "w", w, ("C", "KH", "KW", ))
    C = sizes["C"]
    H = sizes["H"]
    KH = sizes["KH"]
    KW = sizes["KW"]
    N = sizes["N"]
    W = sizes["W"]
    sizes["OH"] = OH = H - KH + 1
    if OH < 1:
        raise ValueError(f"depthwise_conv2d.backward: argument 'a' {a.shape} and argument 'w' {w.shape} give OH = H - KH + 1 = {OH} < 1")
    sizes["OW"] = OW = -KW + W + 1
    if OW < 1:
        raise ValueError(f"depthwise_conv2d.backward: argument 'a' {a.shape} and argument 'w' {w.shape} give OW = -KW + W + 1 = {OW} < 1")
    _bind("depthwise_conv2d.backward", sizes, "g", g, ("N", "C", "OH", "OW", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/da[n',c',p,q] = Σ_{u,v}(g[n', c', p - u, q - v]*w[c', u, v])
    if "a" in wrt:
        # Σ_{u,v}(g[n', c', p - u, q - v]*w[c', u, v])  -> (N, C, H, W)
        t0_0_g = _pad(g, ((0, 0), (0, 0), (KH - 1, max(0, H - OH)), (KW - 1, max(0, -OW + W)),))
        t0_0 = np.zeros((C, N, H, W), dtype=np.result_type(g, w))
        t0_0 += np.einsum('cuv,ncpuqv->cnpq', w, _view(t0_0_g, (0, 0, KH - 1, KW - 1,), [(0, 1, t0_0_g.shape[0]), (1, 1, t0_0_g.shape[1]), (2, 1, H), (2, -1, KH), (3, 1, W), (3, -1, KW)]))
        t0_0 = np.transpose(t0_0, (1, 0, 2, 3))
        grad_a = t0_0  # (N, C, H, W)
        grads["a"] = grad_a

    # dJ/dw[c',u',v'] = Σ_{n,i,j}(a[n, c', i + u', j + v']*g[n, c', i, j])
    if "w" in wrt:
        # Σ_{n,i,j}(a[n, c', i + u', j + v']*g[n, c', i, j])  -> (C, KH, KW)
        t1_0 = np.zeros((C, KH, KW), dtype=np.result_type(a, g))
        for u_ in range(KH):
            for v_ in range(KW):
                t1_0[:, u_, v_] += np.einsum('ncij,ncij->c', a[:, :, _span(u_, 1, OH), _span(v_, 1, OW)], g)
        grad_w = t1_0  # (C, KH, KW)
        grads["w"] = grad_w
    return grads
