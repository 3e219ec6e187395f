# generated from rule conv2d by derive — do not edit; regenerate with `make`.
r"""conv2d: 2-D convolution (cross-correlation) with stride s and zero padding P.

Forward:

    z_{noij} = b_{o} + \sum_{\substack{0 \leq c \leq C - 1\\0 \leq u \leq KH - 1\\0 \leq v \leq KW - 1}} a_{n, c, - P + i s + u, - P + j s + v} w_{ocuv}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial a_{n', c', p, q}} = \sum_{\substack{0 \leq o \leq O - 1\\\max\left(0, - OH s + P + p + s\right) \leq u \leq \min\left(KH - 1, P + p\right)\\\max\left(0, - OW s + P + q + s\right) \leq v \leq \min\left(KW - 1, P + q\right)}} \begin{cases} \delta^{z}_{n', o, \frac{P + p - u}{s}, \frac{P + q - v}{s}} w_{o, c', u, v} & \text{for}\: \left(P + p - u\right) \bmod s = 0 \wedge \left(P + q - v\right) \bmod s = 0 \\0 & \text{otherwise} \end{cases}

    \frac{\partial \mathcal{L}}{\partial w_{o', c', u', v'}} = \sum_{\substack{0 \leq n \leq N - 1\\0 \leq i \leq OH - 1\\0 \leq j \leq OW - 1}} a_{n, c', - P + i s + u', - P + j s + v'} \delta^{z}_{n, o', i, j}

    \frac{\partial \mathcal{L}}{\partial b_{o'}} = \sum_{\substack{0 \leq n \leq N - 1\\0 \leq i \leq OH - 1\\0 \leq j \leq OW - 1}} \delta^{z}_{n, o', i, j}
"""
import numpy as np

from ._runtime import _bind, _option, _dilate, _fit, _pad, _span, _view

RULE = "conv2d"
INPUTS = ("a", "w", "b", )
OUTPUT = "z"
GRADS = ("a", "w", "b", )
BACKWARD_ARGS = ("a", "w", )
GN_ARGS = ("a", "w", )  # what gauss_newton(h, ...) reads
GN_TAKES_G = False  # gauss_newton(h, g, ...): a second derivative of its own
OPTIONS = {"stride": 1, "padding": 0}



def forward(a, w, b, *, stride=1, padding=0):
    r"""z_{noij} = b_{o} + \sum_{\substack{0 \leq c \leq C - 1\\0 \leq u \leq KH - 1\\0 \leq v \leq KW - 1}} a_{n, c, - P + i s + u, - P + j s + v} w_{ocuv}"""
    s = _option("conv2d.forward", "stride", stride, 1)
    P = _option("conv2d.forward", "padding", padding, 0)
    sizes = {}
    _bind("conv2d.forward", sizes, "a", a, ("N", "C", "H", "W", ))
    _bind("conv2d.forward", sizes, "w", w, ("O", "C", "KH", "KW", ))
    _bind("conv2d.forward", sizes, "b", b, ("O", ))
    H = sizes["H"]
    KH = sizes["KH"]
    KW = sizes["KW"]
    N = sizes["N"]
    O = sizes["O"]
    W = sizes["W"]
    sizes["OH"] = OH = (H - KH + 2*P) // (s) + 1
    if OH < 1:
        raise ValueError(f"conv2d.forward: argument 'a' {a.shape} and argument 'w' {w.shape} give OH = (H - KH + 2*P) // (s) + 1 = {OH} < 1, stride={stride}, padding={padding}")
    sizes["OW"] = OW = (-KW + 2*P + W) // (s) + 1
    if OW < 1:
        raise ValueError(f"conv2d.forward: argument 'a' {a.shape} and argument 'w' {w.shape} give OW = (-KW + 2*P + W) // (s) + 1 = {OW} < 1, stride={stride}, padding={padding}")
    # b[o] + Σ_{c,u,v}(a[n, c, -P + i*s + u, -P + j*s + v]*w[o, c, u, v])
    # Σ_{c,u,v}(a[n, c, -P + i*s + u, -P + j*s + v]*w[o, c, u, v])  -> (N, O, OH, OW)
    f0_a = _pad(a, ((0, 0), (0, 0), (P, max(0, -H + KH + OH*s - P - s)), (P, max(0, KW + OW*s - P - W - s)),))
    f0 = np.zeros((N, OH, OW, O), dtype=np.result_type(a, w))
    f0 += np.tensordot(_view(f0_a, (0, 0, 0, 0,), [(0, 1, f0_a.shape[0]), (1, 1, f0_a.shape[1]), (2, s, OH), (2, 1, KH), (3, s, OW), (3, 1, KW)]), w, axes=([1, 3, 5], [1, 2, 3]))
    f0 = np.transpose(f0, (0, 3, 1, 2))
    z = b[:, None, None] + f0  # (N, O, OH, OW)
    return z


def backward(g, a, w, *, stride=1, padding=0, wrt=GRADS):
    r"""Gradients of the loss with respect to a, w, b (those named in `wrt`), given g = dL/dz."""
    s = _option("conv2d.backward", "stride", stride, 1)
    P = _option("conv2d.backward", "padding", padding, 0)
    sizes = {}
    _bind("conv2d.backward", sizes, "a", a, ("N", "C", "H", "W", ))
    _bind("conv2d.backward", sizes, "w", w, ("O", "C", "KH", "KW", ))
    C = sizes["C"]
    H = sizes["H"]
    KH = sizes["KH"]
    KW = sizes["KW"]
    N = sizes["N"]
    O = sizes["O"]
    W = sizes["W"]
    sizes["OH"] = OH = (H - KH + 2*P) // (s) + 1
    if OH < 1:
        raise ValueError(f"conv2d.backward: argument 'a' {a.shape} and argument 'w' {w.shape} give OH = (H - KH + 2*P) // (s) + 1 = {OH} < 1, stride={stride}, padding={padding}")
    sizes["OW"] = OW = (-KW + 2*P + W) // (s) + 1
    if OW < 1:
        raise ValueError(f"conv2d.backward: argument 'a' {a.shape} and argument 'w' {w.shape} give OW = (-KW + 2*P + W) // (s) + 1 = {OW} < 1, stride={stride}, padding={padding}")
    _bind("conv2d.backward", sizes, "g", g, ("N", "O", "OH", "OW", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/da[n',c',p,q] = Σ_{o,u,v}(Piecewise((g[n', o, (P + p - u)/s, (P + q - v)/s]*w[o, c', u, v], Eq(Mod(P + p - u, s), 0) & Eq(Mod(P + q - v, s), 0)), (0, True)))
    if "a" in wrt:
        # Σ_{o,u,v}(g[n', o, (P + p - u)/s, (P + q - v)/s]*w[o, c', u, v])  -> (N, C, H, W)
        t0_0_g = _dilate(g, {2: s, 3: s})
        t0_0 = np.zeros((N, H, W, C), dtype=np.result_type(g, w))
        for u in range(KH):
            for v in range(KW):
                p0, p1 = 0, H
                p0, p1 = _fit(p0, p1, 1, P - u, s*(OH - 1) + 1)
                q0, q1 = 0, W
                q0, q1 = _fit(q0, q1, 1, P - v, s*(OW - 1) + 1)
                if p0 >= p1:
                    continue
                if q0 >= q1:
                    continue
                t0_0[:, p0:p1, q0:q1] += np.tensordot(t0_0_g[:, :, _span(P + p0 - u, 1, p1 - p0), _span(P + q0 - v, 1, q1 - q0)], w[:, :, u, v], axes=([1], [0]))
        t0_0 = np.transpose(t0_0, (0, 3, 1, 2))
        grad_a = t0_0  # (N, C, H, W)
        grads["a"] = grad_a

    # dJ/dw[o',c',u',v'] = Σ_{n,i,j}(a[n, c', -P + i*s + u', -P + j*s + v']*g[n, o', i, j])
    if "w" in wrt:
        # Σ_{n,i,j}(a[n, c', -P + i*s + u', -P + j*s + v']*g[n, o', i, j])  -> (O, C, KH, KW)
        t1_0 = np.zeros((O, C, KH, KW), dtype=np.result_type(a, g))
        for u_ in range(KH):
            for v_ in range(KW):
                i0, i1 = 0, OH
                i0, i1 = _fit(i0, i1, s, -P + u_, H)
                j0, j1 = 0, OW
                j0, j1 = _fit(j0, j1, s, -P + v_, W)
                if i0 >= i1:
                    continue
                if j0 >= j1:
                    continue
                t1_0[:, :, u_, v_] += np.transpose(np.tensordot(a[:, :, _span(-P + i0*s + u_, s, i1 - i0), _span(-P + j0*s + v_, s, j1 - j0)], g[:, :, _span(i0, 1, i1 - i0), _span(j0, 1, j1 - j0)], axes=([0, 2, 3], [0, 2, 3])), (1, 0))
        grad_w = t1_0  # (O, C, KH, KW)
        grads["w"] = grad_w

    # dJ/db[o'] = Σ_{n,i,j}(g[n, o', i, j])
    if "b" in wrt:
        grad_b = g.sum(axis=(0, 2, 3))  # (O,)
        grads["b"] = grad_b
    return grads


def gauss_newton(h, a, w, *, stride=1, padding=0, wrt=GRADS):
    r"""The Gauss-Newton diagonal for a, w, b (those named in `wrt`), given h, the same diagonal for z: h_X[p] = sum_out (dz[out]/dX[p])^2 h[out]."""
    s = _option("conv2d.gauss_newton", "stride", stride, 1)
    P = _option("conv2d.gauss_newton", "padding", padding, 0)
    sizes = {}
    _bind("conv2d.gauss_newton", sizes, "a", a, ("N", "C", "H", "W", ))
    _bind("conv2d.gauss_newton", sizes, "w", w, ("O", "C", "KH", "KW", ))
    C = sizes["C"]
    H = sizes["H"]
    KH = sizes["KH"]
    KW = sizes["KW"]
    N = sizes["N"]
    O = sizes["O"]
    W = sizes["W"]
    sizes["OH"] = OH = (H - KH + 2*P) // (s) + 1
    if OH < 1:
        raise ValueError(f"conv2d.gauss_newton: argument 'a' {a.shape} and argument 'w' {w.shape} give OH = (H - KH + 2*P) // (s) + 1 = {OH} < 1, stride={stride}, padding={padding}")
    sizes["OW"] = OW = (-KW + 2*P + W) // (s) + 1
    if OW < 1:
        raise ValueError(f"conv2d.gauss_newton: argument 'a' {a.shape} and argument 'w' {w.shape} give OW = (-KW + 2*P + W) // (s) + 1 = {OW} < 1, stride={stride}, padding={padding}")
    _bind("conv2d.gauss_newton", sizes, "h", h, ("N", "O", "OH", "OW", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.gauss_newton: wrt names {sorted(unknown)}; they are {GRADS}")
    diagonals = {}

    # h_a[n',c',p,q] = Σ_{o,u_,v_}(Piecewise((h[n', o, (P + p - u_)/s, (P + q - v_)/s]*w[o, c', u_, v_]**2, Eq(Mod(P + p - u_, s), 0) & Eq(Mod(P + q - v_, s), 0)), (0, True)))
    if "a" in wrt:
        s0_0 = np.transpose(w, (1, 0, 2, 3))**2  # (C, O, KH, KW)  w[o, c', u_, v_]**2
        # Σ_{o,u_,v_}(h[n', o, (P + p - u_)/s, (P + q - v_)/s]*w[o, c', u_, v_]**2)  -> (N, C, H, W)
        s0_1_h = _dilate(h, {2: s, 3: s})
        s0_1 = np.zeros((N, H, W, C), dtype=np.result_type(h, s0_0))
        for u_ in range(KH):
            for v_ in range(KW):
                p0, p1 = 0, H
                p0, p1 = _fit(p0, p1, 1, P - u_, s*(OH - 1) + 1)
                q0, q1 = 0, W
                q0, q1 = _fit(q0, q1, 1, P - v_, s*(OW - 1) + 1)
                if p0 >= p1:
                    continue
                if q0 >= q1:
                    continue
                s0_1[:, p0:p1, q0:q1] += np.tensordot(s0_1_h[:, :, _span(P + p0 - u_, 1, p1 - p0), _span(P + q0 - v_, 1, q1 - q0)], s0_0[:, :, u_, v_], axes=([1], [1]))
        s0_1 = np.transpose(s0_1, (0, 3, 1, 2))
        gn_a = s0_1  # (N, C, H, W)
        diagonals["a"] = gn_a

    # h_w[o',c',u',v'] = Σ_{n,i,j}(a[n, c', -P + i*s + u', -P + j*s + v']**2*h[n, o', i, j])
    if "w" in wrt:
        # Σ_{n,i,j}(a[n, c', -P + i*s + u', -P + j*s + v']**2*h[n, o', i, j])  -> (O, C, KH, KW)
        s1_0 = np.zeros((O, C, KH, KW), dtype=np.result_type(a, h))
        for u_ in range(KH):
            for v_ in range(KW):
                i0, i1 = 0, OH
                i0, i1 = _fit(i0, i1, s, -P + u_, H)
                j0, j1 = 0, OW
                j0, j1 = _fit(j0, j1, s, -P + v_, W)
                if i0 >= i1:
                    continue
                if j0 >= j1:
                    continue
                s1_0[:, :, u_, v_] += np.transpose(np.tensordot(a[:, :, _span(-P + i0*s + u_, s, i1 - i0), _span(-P + j0*s + v_, s, j1 - j0)]**2, h[:, :, _span(i0, 1, i1 - i0), _span(j0, 1, j1 - j0)], axes=([0, 2, 3], [0, 2, 3])), (1, 0))
        gn_w = s1_0  # (O, C, KH, KW)
        diagonals["w"] = gn_w

    # h_b[o'] = Σ_{n,i,j}(h[n, o', i, j])
    if "b" in wrt:
        gn_b = h.sum(axis=(0, 2, 3))  # (O,)
        diagonals["b"] = gn_b
    return diagonals
