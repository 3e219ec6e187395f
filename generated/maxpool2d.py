# generated from rule maxpool2d by derive — do not edit; regenerate with `make`.
r"""maxpool2d: max pooling over k x k windows with stride s; the gradient goes to the entries equal to their window's maximum (all of them where several tie).

Forward:

    z_{ncij} = \max_{u, v} a_{n, c, i s + u, j s + v}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial a_{n', c', p, q}} = \sum_{\substack{\max\left(0, - OH s + p + s\right) \leq u \leq \min\left(p, k - 1\right)\\\max\left(0, - OW s + q + s\right) \leq v \leq \min\left(q, k - 1\right)}} \begin{cases} \left[a_{n', c', p, q} = z_{n', c', \frac{p - u}{s}, \frac{q - v}{s}}\right] \delta^{z}_{n', c', \frac{p - u}{s}, \frac{q - v}{s}} & \text{for}\: \left(p - u\right) \bmod s = 0 \wedge \left(q - v\right) \bmod s = 0 \\0 & \text{otherwise} \end{cases}
"""
import numpy as np

from ._runtime import _bind, _option, _dilate, _fit, _span

RULE = "maxpool2d"
INPUTS = ("a", )
OUTPUT = "z"
GRADS = ("a", )
BACKWARD_ARGS = ("a", "z", )
OPTIONS = {"size": 2, "stride": 2}



def forward(a, *, size=2, stride=2):
    r"""z_{ncij} = \max_{u, v} a_{n, c, i s + u, j s + v}"""
    k = _option("maxpool2d.forward", "size", size, 1)
    s = _option("maxpool2d.forward", "stride", stride, 1)
    sizes = {}
    _bind("maxpool2d.forward", sizes, "a", a, ("N", "C", "H", "W", ))
    C = sizes["C"]
    H = sizes["H"]
    N = sizes["N"]
    W = sizes["W"]
    sizes["OH"] = OH = (H - k) // (s) + 1
    if OH < 1:
        raise ValueError(f"maxpool2d.forward: argument 'a' {a.shape} give OH = (H - k) // (s) + 1 = {OH} < 1, size={size}, stride={stride}")
    sizes["OW"] = OW = (W - k) // (s) + 1
    if OW < 1:
        raise ValueError(f"maxpool2d.forward: argument 'a' {a.shape} give OW = (W - k) // (s) + 1 = {OW} < 1, size={size}, stride={stride}")
    # max_{u,v}(a[n, c, i*s + u, j*s + v])
    # max_{u,v}(a[n, c, i*s + u, j*s + v])  -> (N, C, OH, OW)
    f0 = np.full((N, C, OH, OW), -np.inf, dtype=np.result_type(a))
    for u in range(k):
        for v in range(k):
            np.maximum(f0, (a[:, :, _span(u, s, OH), _span(v, s, OW)]), out=f0)
    z = f0  # (N, C, OH, OW)
    return z


def backward(g, a, z, *, size=2, stride=2, wrt=GRADS):
    r"""Gradients of the loss with respect to a (those named in `wrt`), given g = dL/dz."""
    k = _option("maxpool2d.backward", "size", size, 1)
    s = _option("maxpool2d.backward", "stride", stride, 1)
    sizes = {}
    _bind("maxpool2d.backward", sizes, "a", a, ("N", "C", "H", "W", ))
    _bind("maxpool2d.backward", sizes, "z", z, ("N", "C", "OH", "OW", ))
    C = sizes["C"]
    H = sizes["H"]
    N = sizes["N"]
    W = sizes["W"]
    sizes["OH"] = OH = (H - k) // (s) + 1
    if OH < 1:
        raise ValueError(f"maxpool2d.backward: argument 'a' {a.shape} give OH = (H - k) // (s) + 1 = {OH} < 1, size={size}, stride={stride}")
    sizes["OW"] = OW = (W - k) // (s) + 1
    if OW < 1:
        raise ValueError(f"maxpool2d.backward: argument 'a' {a.shape} give OW = (W - k) // (s) + 1 = {OW} < 1, size={size}, stride={stride}")
    _bind("maxpool2d.backward", sizes, "g", g, ("N", "C", "OH", "OW", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/da[n',c',p,q] = Σ_{u,v}(Piecewise(([a[n', c', p, q] == z[n', c', (p - u)/s, (q - v)/s]]*g[n', c', (p - u)/s, (q - v)/s], Eq(Mod(p - u, s), 0) & Eq(Mod(q - v, s), 0)), (0, True)))
    if "a" in wrt:
        # Σ_{u,v}([a[n', c', p, q] == z[n', c', (p - u)/s, (q - v)/s]]*g[n', c', (p - u)/s, (q - v)/s])  -> (N, C, H, W)
        t0_g = _dilate(g, {2: s, 3: s})
        t0_z = _dilate(z, {2: s, 3: s})
        t0 = np.zeros((N, C, H, W), dtype=np.result_type(a, g, z))
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
                t0[:, :, p0:p1, q0:q1] += (t0_g[:, :, _span(p0 - u, 1, p1 - p0), _span(q0 - v, 1, q1 - q0)])*((a[:, :, _span(p0, 1, p1 - p0), _span(q0, 1, q1 - q0)]) == (t0_z[:, :, _span(p0 - u, 1, p1 - p0), _span(q0 - v, 1, q1 - q0)]))
        grad_a = t0  # (N, C, H, W)
        grads["a"] = grad_a
    return grads
