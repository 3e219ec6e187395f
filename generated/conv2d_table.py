# generated from rule conv2d_table by derive — do not edit; regenerate with `make`.
r"""conv2d_table: convolution through a connection table T (output map o reads input map c where T[o, c] = 1).

Forward:

    z_{noij} = b_{o} + \sum_{\substack{0 \leq c \leq C - 1\\0 \leq u \leq KH - 1\\0 \leq v \leq KW - 1}} T_{oc} a_{n, c, i + u, j + v} w_{ocuv}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial a_{n', c', p, q}} = \sum_{\substack{0 \leq o \leq O - 1\\\max\left(0, - OH + p + 1\right) \leq u \leq \min\left(p, KH - 1\right)\\\max\left(0, - OW + q + 1\right) \leq v \leq \min\left(q, KW - 1\right)}} T_{o, c'} \delta^{z}_{n', o, p - u, q - v} w_{o, c', u, v}

    \frac{\partial \mathcal{L}}{\partial w_{o', c', u', v'}} = T_{o', c'} \sum_{\substack{0 \leq n \leq N - 1\\0 \leq i \leq OH - 1\\0 \leq j \leq OW - 1}} a_{n, c', i + u', j + v'} \delta^{z}_{n, o', i, j}

    \frac{\partial \mathcal{L}}{\partial b_{o'}} = \sum_{\substack{0 \leq n \leq N - 1\\0 \leq i \leq OH - 1\\0 \leq j \leq OW - 1}} \delta^{z}_{n, o', i, j}
"""
import numpy as np

from ._runtime import _bind, _fit, _span

RULE = "conv2d_table"
INPUTS = ("a", "w", "b", "T", )
OUTPUT = "z"
GRADS = ("a", "w", "b", )
BACKWARD_ARGS = ("a", "w", "T", )
GN_ARGS = ("a", "w", "T", )  # what gauss_newton(h, ...) reads
GN_TAKES_G = False  # gauss_newton(h, g, ...): a second derivative of its own
OPTIONS = {}



def forward(a, w, b, T):
    r"""z_{noij} = b_{o} + \sum_{\substack{0 \leq c \leq C - 1\\0 \leq u \leq KH - 1\\0 \leq v \leq KW - 1}} T_{oc} a_{n, c, i + u, j + v} w_{ocuv}"""
    sizes = {}
    _bind("conv2d_table.forward", sizes, "a", a, ("N", "C", "H", "W", ))
    _bind("conv2d_table.forward", sizes, "w", w, ("O", "C", "KH", "KW", ))
    _bind("conv2d_table.forward", sizes, "b", b, ("O", ))
    _bind("conv2d_table.forward", sizes, "T", T, ("O", "C", ))
    H = sizes["H"]
    KH = sizes["KH"]
    KW = sizes["KW"]
    N = sizes["N"]
    O = sizes["O"]
    W = sizes["W"]
    sizes["OH"] = OH = H - KH + 1
    if OH < 1:
        raise ValueError(f"conv2d_table.forward: argument 'a' {a.shape} and argument 'w' {w.shape} give OH = H - KH + 1 = {OH} < 1")
    sizes["OW"] = OW = -KW + W + 1
    if OW < 1:
        raise ValueError(f"conv2d_table.forward: argument 'a' {a.shape} and argument 'w' {w.shape} give OW = -KW + W + 1 = {OW} < 1")
    # b[o] + Σ_{c,u,v}(T[o, c]*a[n, c, i + u, j + v]*w[o, c, u, v])
    # Σ_{c,u,v}(T[o, c]*a[n, c, i + u, j + v]*w[o, c, u, v])  -> (N, O, OH, OW)
    f0 = np.zeros((N, O, OH, OW), dtype=np.result_type(T, a, w))
    for u in range(KH):
        for v in range(KW):
            f0 += np.einsum('oc,ncij,oc->noij', T, a[:, :, _span(u, 1, OH), _span(v, 1, OW)], w[:, :, u, v], optimize=True)
    z = b[:, None, None] + f0  # (N, O, OH, OW)
    return z


def backward(g, a, w, T, *, wrt=GRADS):
    r"""Gradients of the loss with respect to a, w, b (those named in `wrt`), given g = dL/dz."""
    sizes = {}
    _bind("conv2d_table.backward", sizes, "a", a, ("N", "C", "H", "W", ))
    _bind("conv2d_table.backward", sizes, "w", w, ("O", "C", "KH", "KW", ))
    _bind("conv2d_table.backward", sizes, "T", T, ("O", "C", ))
    C = sizes["C"]
    H = sizes["H"]
    KH = sizes["KH"]
    KW = sizes["KW"]
    N = sizes["N"]
    O = sizes["O"]
    W = sizes["W"]
    sizes["OH"] = OH = H - KH + 1
    if OH < 1:
        raise ValueError(f"conv2d_table.backward: argument 'a' {a.shape} and argument 'w' {w.shape} give OH = H - KH + 1 = {OH} < 1")
    sizes["OW"] = OW = -KW + W + 1
    if OW < 1:
        raise ValueError(f"conv2d_table.backward: argument 'a' {a.shape} and argument 'w' {w.shape} give OW = -KW + W + 1 = {OW} < 1")
    _bind("conv2d_table.backward", sizes, "g", g, ("N", "O", "OH", "OW", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/da[n',c',p,q] = Σ_{o,u,v}(T[o, c']*g[n', o, p - u, q - v]*w[o, c', u, v])
    if "a" in wrt:
        # Σ_{o,u,v}(T[o, c']*g[n', o, p - u, q - v]*w[o, c', u, v])  -> (N, C, H, W)
        t0_0 = np.zeros((N, C, H, W), dtype=np.result_type(T, g, w))
        for u in range(KH):
            for v in range(KW):
                p0, p1 = 0, H
                p0, p1 = _fit(p0, p1, 1, -u, OH)
                q0, q1 = 0, W
                q0, q1 = _fit(q0, q1, 1, -v, OW)
                if p0 >= p1:
                    continue
                if q0 >= q1:
                    continue
                t0_0[:, :, p0:p1, q0:q1] += np.einsum('oc,nopq,oc->ncpq', T, g[:, :, _span(p0 - u, 1, p1 - p0), _span(q0 - v, 1, q1 - q0)], w[:, :, u, v], optimize=True)
        grad_a = t0_0  # (N, C, H, W)
        grads["a"] = grad_a

    # dJ/dw[o',c',u',v'] = T[o', c']*Σ_{n,i,j}(a[n, c', i + u', j + v']*g[n, o', i, j])
    if "w" in wrt:
        # Σ_{n,i,j}(a[n, c', i + u', j + v']*g[n, o', i, j])  -> (O, C, KH, KW)
        t1_0 = np.zeros((O, C, KH, KW), dtype=np.result_type(a, g))
        for u_ in range(KH):
            for v_ in range(KW):
                t1_0[:, :, u_, v_] += np.transpose(np.tensordot(a[:, :, _span(u_, 1, OH), _span(v_, 1, OW)], g, axes=([0, 2, 3], [0, 2, 3])), (1, 0))
        grad_w = T[:, :, None, None]*t1_0  # (O, C, KH, KW)
        grads["w"] = grad_w

    # dJ/db[o'] = Σ_{n,i,j}(g[n, o', i, j])
    if "b" in wrt:
        grad_b = g.sum(axis=(0, 2, 3))  # (O,)
        grads["b"] = grad_b
    return grads


def gauss_newton(h, a, w, T, *, wrt=GRADS):
    r"""The Gauss-Newton diagonal for a, w, b (those named in `wrt`), given h, the same diagonal for z: h_X[p] = sum_out (dz[out]/dX[p])^2 h[out]."""
    sizes = {}
    _bind("conv2d_table.gauss_newton", sizes, "a", a, ("N", "C", "H", "W", ))
    _bind("conv2d_table.gauss_newton", sizes, "w", w, ("O", "C", "KH", "KW", ))
    _bind("conv2d_table.gauss_newton", sizes, "T", T, ("O", "C", ))
    C = sizes["C"]
    H = sizes["H"]
    KH = sizes["KH"]
    KW = sizes["KW"]
    N = sizes["N"]
    O = sizes["O"]
    W = sizes["W"]
    sizes["OH"] = OH = H - KH + 1
    if OH < 1:
        raise ValueError(f"conv2d_table.gauss_newton: argument 'a' {a.shape} and argument 'w' {w.shape} give OH = H - KH + 1 = {OH} < 1")
    sizes["OW"] = OW = -KW + W + 1
    if OW < 1:
        raise ValueError(f"conv2d_table.gauss_newton: argument 'a' {a.shape} and argument 'w' {w.shape} give OW = -KW + W + 1 = {OW} < 1")
    _bind("conv2d_table.gauss_newton", sizes, "h", h, ("N", "O", "OH", "OW", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.gauss_newton: wrt names {sorted(unknown)}; they are {GRADS}")
    diagonals = {}

    # h_a[n',c',p,q] = Σ_{o,u_,v_}(T[o, c']**2*h[n', o, p - u_, q - v_]*w[o, c', u_, v_]**2)
    if "a" in wrt:
        s0_0 = T.T**2  # (C, O)  T[o, c']**2
        s0_1 = np.transpose(w, (1, 0, 2, 3))**2  # (C, O, KH, KW)  w[o, c', u_, v_]**2
        # Σ_{o,u_,v_}(T[o, c']**2*h[n', o, p - u_, q - v_]*w[o, c', u_, v_]**2)  -> (N, C, H, W)
        s0_2 = np.zeros((N, C, H, W), dtype=np.result_type(h, s0_0, s0_1))
        for u_ in range(KH):
            for v_ in range(KW):
                p0, p1 = 0, H
                p0, p1 = _fit(p0, p1, 1, -u_, OH)
                q0, q1 = 0, W
                q0, q1 = _fit(q0, q1, 1, -v_, OW)
                if p0 >= p1:
                    continue
                if q0 >= q1:
                    continue
                s0_2[:, :, p0:p1, q0:q1] += np.einsum('co,nopq,co->ncpq', s0_0, h[:, :, _span(p0 - u_, 1, p1 - p0), _span(q0 - v_, 1, q1 - q0)], s0_1[:, :, u_, v_], optimize=True)
        gn_a = s0_2  # (N, C, H, W)
        diagonals["a"] = gn_a

    # h_w[o',c',u',v'] = T[o', c']**2*Σ_{n,i,j}(a[n, c', i + u', j + v']**2*h[n, o', i, j])
    if "w" in wrt:
        # Σ_{n,i,j}(a[n, c', i + u', j + v']**2*h[n, o', i, j])  -> (O, C, KH, KW)
        s1_0 = np.zeros((O, C, KH, KW), dtype=np.result_type(a, h))
        for u_ in range(KH):
            for v_ in range(KW):
                s1_0[:, :, u_, v_] += np.transpose(np.tensordot(a[:, :, _span(u_, 1, OH), _span(v_, 1, OW)]**2, h, axes=([0, 2, 3], [0, 2, 3])), (1, 0))
        gn_w = T[:, :, None, None]**2*s1_0  # (O, C, KH, KW)
        diagonals["w"] = gn_w

    # h_b[o'] = Σ_{n,i,j}(h[n, o', i, j])
    if "b" in wrt:
        gn_b = h.sum(axis=(0, 2, 3))  # (O,)
        diagonals["b"] = gn_b
    return diagonals
