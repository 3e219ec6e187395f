# generated from rule subsample2d by derive — do not edit; regenerate with `make`.
r"""subsample2d: trainable subsampling: each window's sum times a coefficient, plus a bias, per map.

Forward:

    z_{ncij} = b_{c} + w_{c} \sum_{\substack{0 \leq u \leq k - 1\\0 \leq v \leq k - 1}} a_{n, c, i s + u, j s + v}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial a_{n', c', p, q}} = \sum_{\substack{\max\left(0, - OH s + p + s\right) \leq u \leq \min\left(p, k - 1\right)\\\max\left(0, - OW s + q + s\right) \leq v \leq \min\left(q, k - 1\right)}} \begin{cases} \delta^{z}_{n', c', \frac{p - u}{s}, \frac{q - v}{s}} w_{c'} & \text{for}\: \left(p - u\right) \bmod s = 0 \wedge \left(q - v\right) \bmod s = 0 \\0 & \text{otherwise} \end{cases}

    \frac{\partial \mathcal{L}}{\partial w_{c'}} = \sum_{\substack{0 \leq n \leq N - 1\\0 \leq i \leq OH - 1\\0 \leq j \leq OW - 1}} \delta^{z}_{n, c', i, j} \sum_{\substack{0 \leq u \leq k - 1\\0 \leq v \leq k - 1}} a_{n, c', i s + u, j s + v}

    \frac{\partial \mathcal{L}}{\partial b_{c'}} = \sum_{\substack{0 \leq n \leq N - 1\\0 \leq i \leq OH - 1\\0 \leq j \leq OW - 1}} \delta^{z}_{n, c', i, j}
"""
import numpy as np

from ._runtime import _bind, _option, _dilate, _fit, _span

RULE = "subsample2d"
INPUTS = ("a", "w", "b", )
OUTPUT = "z"
GRADS = ("a", "w", "b", )
BACKWARD_ARGS = ("a", "w", )
GN_ARGS = ("a", "w", )  # what gauss_newton(h, ...) reads
GN_TAKES_G = False  # gauss_newton(h, g, ...): a second derivative of its own
OPTIONS = {"size": 2, "stride": 2}



def forward(a, w, b, *, size=2, stride=2):
    r"""z_{ncij} = b_{c} + w_{c} \sum_{\substack{0 \leq u \leq k - 1\\0 \leq v \leq k - 1}} a_{n, c, i s + u, j s + v}"""
    k = _option("subsample2d.forward", "size", size, 1)
    s = _option("subsample2d.forward", "stride", stride, 1)
    sizes = {}
    _bind("subsample2d.forward", sizes, "a", a, ("N", "C", "H", "W", ))
    _bind("subsample2d.forward", sizes, "w", w, ("C", ))
    _bind("subsample2d.forward", sizes, "b", b, ("C", ))
    C = sizes["C"]
    H = sizes["H"]
    N = sizes["N"]
    W = sizes["W"]
    sizes["OH"] = OH = (H - k) // (s) + 1
    if OH < 1:
        raise ValueError(f"subsample2d.forward: argument 'a' {a.shape} give OH = (H - k) // (s) + 1 = {OH} < 1, size={size}, stride={stride}")
    sizes["OW"] = OW = (W - k) // (s) + 1
    if OW < 1:
        raise ValueError(f"subsample2d.forward: argument 'a' {a.shape} give OW = (W - k) // (s) + 1 = {OW} < 1, size={size}, stride={stride}")
    # b[c] + w[c]*Σ_{u,v}(a[n, c, i*s + u, j*s + v])
    # Σ_{u,v}(a[n, c, i*s + u, j*s + v])  -> (N, C, OH, OW)
    f0 = np.zeros((N, C, OH, OW), dtype=np.result_type(a))
    for u in range(k):
        for v in range(k):
            f0 += (a[:, :, _span(u, s, OH), _span(v, s, OW)])
    z = b[:, None, None] + f0*w[:, None, None]  # (N, C, OH, OW)
    return z


def backward(g, a, w, *, size=2, stride=2, wrt=GRADS):
    r"""Gradients of the loss with respect to a, w, b (those named in `wrt`), given g = dL/dz."""
    k = _option("subsample2d.backward", "size", size, 1)
    s = _option("subsample2d.backward", "stride", stride, 1)
    sizes = {}
    _bind("subsample2d.backward", sizes, "a", a, ("N", "C", "H", "W", ))
    _bind("subsample2d.backward", sizes, "w", w, ("C", ))
    C = sizes["C"]
    H = sizes["H"]
    N = sizes["N"]
    W = sizes["W"]
    sizes["OH"] = OH = (H - k) // (s) + 1
    if OH < 1:
        raise ValueError(f"subsample2d.backward: argument 'a' {a.shape} give OH = (H - k) // (s) + 1 = {OH} < 1, size={size}, stride={stride}")
    sizes["OW"] = OW = (W - k) // (s) + 1
    if OW < 1:
        raise ValueError(f"subsample2d.backward: argument 'a' {a.shape} give OW = (W - k) // (s) + 1 = {OW} < 1, size={size}, stride={stride}")
    _bind("subsample2d.backward", sizes, "g", g, ("N", "C", "OH", "OW", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/da[n',c',p,q] = Σ_{u,v}(Piecewise((g[n', c', (p - u)/s, (q - v)/s]*w[c'], Eq(Mod(p - u, s), 0) & Eq(Mod(q - v, s), 0)), (0, True)))
    if "a" in wrt:
        # Σ_{u,v}(g[n', c', (p - u)/s, (q - v)/s])  -> (N, C, H, W)
        t0_0_g = _dilate(g, {2: s, 3: s})
        t0_0 = np.zeros((N, C, H, W), dtype=np.result_type(g))
        for u in range(k):
            for v in range(k):
                p0, p1 = 0, H
                p0, p1 = _fit(p0, p1, 1, -u, s*(OH - 1) + 1)
                q0, q1 = 0, W
                q0, q1 = _fit(q0, q1, 1, -v, s*(OW - 1) + 1)
                if p0 >= p1:
                    continue
                if q0 >= q1:
                    continue
                t0_0[:, :, p0:p1, q0:q1] += (t0_0_g[:, :, _span(p0 - u, 1, p1 - p0), _span(q0 - v, 1, q1 - q0)])
        grad_a = t0_0*w[:, None, None]  # (N, C, H, W)
        grads["a"] = grad_a

    # dJ/dw[c'] = Σ_{n,i,j}(g[n, c', i, j]*Σ_{u,v}(a[n, c', i*s + u, j*s + v]))
    if "w" in wrt:
        # Σ_{u,v}(a[n, c', i*s + u, j*s + v])  -> (C, N, OH, OW)
        t1_0 = np.zeros((C, N, OH, OW), dtype=np.result_type(a))
        for u in range(k):
            for v in range(k):
                t1_0 += np.transpose((a[:, :, _span(u, s, OH), _span(v, s, OW)]), (1, 0, 2, 3))
        grad_w = np.einsum('cnij,cnij->c', np.transpose(g, (1, 0, 2, 3)), t1_0)  # (C,)
        grads["w"] = grad_w

    # dJ/db[c'] = Σ_{n,i,j}(g[n, c', i, j])
    if "b" in wrt:
        grad_b = g.sum(axis=(0, 2, 3))  # (C,)
        grads["b"] = grad_b
    return grads


def gauss_newton(h, a, w, *, size=2, stride=2, wrt=GRADS):
    r"""The Gauss-Newton diagonal for a, w, b (those named in `wrt`), given h, the same diagonal for z: h_X[p] = sum_out (dz[out]/dX[p])^2 h[out]."""
    k = _option("subsample2d.gauss_newton", "size", size, 1)
    s = _option("subsample2d.gauss_newton", "stride", stride, 1)
    sizes = {}
    _bind("subsample2d.gauss_newton", sizes, "a", a, ("N", "C", "H", "W", ))
    _bind("subsample2d.gauss_newton", sizes, "w", w, ("C", ))
    C = sizes["C"]
    H = sizes["H"]
    N = sizes["N"]
    W = sizes["W"]
    sizes["OH"] = OH = (H - k) // (s) + 1
    if OH < 1:
        raise ValueError(f"subsample2d.gauss_newton: argument 'a' {a.shape} give OH = (H - k) // (s) + 1 = {OH} < 1, size={size}, stride={stride}")
    sizes["OW"] = OW = (W - k) // (s) + 1
    if OW < 1:
        raise ValueError(f"subsample2d.gauss_newton: argument 'a' {a.shape} give OW = (W - k) // (s) + 1 = {OW} < 1, size={size}, stride={stride}")
    _bind("subsample2d.gauss_newton", sizes, "h", h, ("N", "C", "OH", "OW", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.gauss_newton: wrt names {sorted(unknown)}; they are {GRADS}")
    diagonals = {}

    # h_a[n',c',p,q] = Σ_{u_,v_}(Piecewise((h[n', c', (p - u_)/s, (q - v_)/s]*w[c']**2, Eq(Mod(p - u_, s), 0) & Eq(Mod(q - v_, s), 0)), (0, True)))
    if "a" in wrt:
        # Σ_{u_,v_}(h[n', c', (p - u_)/s, (q - v_)/s])  -> (N, C, H, W)
        s0_0_h = _dilate(h, {2: s, 3: s})
        s0_0 = np.zeros((N, C, H, W), dtype=np.result_type(h))
        for u_ in range(k):
            for v_ in range(k):
                p0, p1 = 0, H
                p0, p1 = _fit(p0, p1, 1, -u_, s*(OH - 1) + 1)
                q0, q1 = 0, W
                q0, q1 = _fit(q0, q1, 1, -v_, s*(OW - 1) + 1)
                if p0 >= p1:
                    continue
                if q0 >= q1:
                    continue
                s0_0[:, :, p0:p1, q0:q1] += (s0_0_h[:, :, _span(p0 - u_, 1, p1 - p0), _span(q0 - v_, 1, q1 - q0)])
        gn_a = s0_0*w[:, None, None]**2  # (N, C, H, W)
        diagonals["a"] = gn_a

    # h_w[c'] = Σ_{n,i,j}(h[n, c', i, j]*Σ_{u,v}(a[n, c', i*s + u, j*s + v])*Σ_{u_,v_}(a[n, c', i*s + u_, j*s + v_]))
    if "w" in wrt:
        # Σ_{u,v}(a[n, c', i*s + u, j*s + v])  -> (C, N, OH, OW)
        s1_0 = np.zeros((C, N, OH, OW), dtype=np.result_type(a))
        for u in range(k):
            for v in range(k):
                s1_0 += np.transpose((a[:, :, _span(u, s, OH), _span(v, s, OW)]), (1, 0, 2, 3))
        # Σ_{u_,v_}(a[n, c', i*s + u_, j*s + v_])  -> (C, N, OH, OW)
        s1_1 = np.zeros((C, N, OH, OW), dtype=np.result_type(a))
        for u_ in range(k):
            for v_ in range(k):
                s1_1 += np.transpose((a[:, :, _span(u_, s, OH), _span(v_, s, OW)]), (1, 0, 2, 3))
        gn_w = np.einsum('cnij,cnij,cnij->c', np.transpose(h, (1, 0, 2, 3)), s1_0, s1_1, optimize=True)  # (C,)
        diagonals["w"] = gn_w

    # h_b[c'] = Σ_{n,i,j}(h[n, c', i, j])
    if "b" in wrt:
        gn_b = h.sum(axis=(0, 2, 3))  # (C,)
        diagonals["b"] = gn_b
    return diagonals
