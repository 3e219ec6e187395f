# generated from rule depthwise_conv2d by derive — do not edit; regenerate with `make`.
r"""depthwise_conv2d: depthwise 2-D convolution, one kernel per channel.

Forward:

    z_{ncij} = \sum_{\substack{0 \leq u \leq KH - 1\\0 \leq v \leq KW - 1}} a_{n, c, i + u, j + v} w_{cuv}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial a_{n', c', p, q}} = \sum_{\substack{\max\left(0, - OH + p + 1\right) \leq u \leq \min\left(p, KH - 1\right)\\\max\left(0, - OW + q + 1\right) \leq v \leq \min\left(q, KW - 1\right)}} \delta^{z}_{n', c', p - u, q - v} w_{c', u, v}

    \frac{\partial \mathcal{L}}{\partial w_{c', u', v'}} = \sum_{\substack{0 \leq n \leq N - 1\\0 \leq i \leq OH - 1\\0 \leq j \leq OW - 1}} a_{n, c', i + u', j + v'} \delta^{z}_{n, c', i, j}
"""
import numpy as np

RULE = "depthwise_conv2d"
INPUTS = ("a", "w", )
OUTPUT = "z"
GRADS = ("a", "w", )
BACKWARD_ARGS = ("a", "w", )
OPTIONS = {}


def _bind(where, sizes, name, x, dims):
    """Check that `x` is a float array of shape `dims`, binding each size name on first sight."""
    if not isinstance(x, np.ndarray):
        raise ValueError(f"{where}: argument {name!r} must be a NumPy array, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise ValueError(f"{where}: argument {name!r} must have a float dtype, got {x.dtype}")
    expected = tuple(sizes.get(d, d) for d in dims)
    if x.ndim == len(dims):
        for d, got in zip(dims, x.shape):
            if sizes.setdefault(d, got) != got:
                break
        else:
            return
    shown = ", ".join(dims)
    raise ValueError(f"{where}: argument {name!r} expected shape ({shown}) = {expected}, "
                     f"got {x.shape}")


def _span(start, step, count):
    """The slice of `count` entries start, start + step, ... (step may be negative)."""
    stop = start + step * (count - 1)
    return slice(start, None if stop + (1 if step > 0 else -1) < 0 else stop + (1 if step > 0 else -1), step)


def _fit(first, stop, step, offset, extent):
    """Narrow first <= v < stop to the v for which 0 <= offset + step * v < extent."""
    if step > 0:
        low, high = -(offset // step), (extent - 1 - offset) // step
    else:
        low, high = -((extent - 1 - offset) // -step), offset // -step
    return max(first, low), min(stop, high + 1)


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
    f0 = np.zeros((N, C, OH, OW), dtype=np.result_type(a, w))
    for u in range(KH):
        for v in range(KW):
            f0 += np.einsum('c,ncij->ncij', w[:, u, v], a[:, :, _span(u, 1, OH), _span(v, 1, OW)], optimize=True)
    z = f0  # (N, C, OH, OW)

    return z


def backward(g, a, w):
    r"""Gradients of the loss with respect to a, w, given g = dL/dz."""
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


    # dJ/da[n',c',p,q] = Σ_{u,v}(g[n', c', p - u, q - v]*w[c', u, v])
    # Σ_{u,v}(g[n', c', p - u, q - v]*w[c', u, v])  -> (N, C, H, W)
    t0_0 = np.zeros((N, C, H, W), dtype=np.result_type(g, w))
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
            t0_0[:, :, p0:p1, q0:q1] += np.einsum('c,ncpq->ncpq', w[:, u, v], g[:, :, _span(p0 - u, 1, p1 - p0), _span(q0 - v, 1, q1 - q0)], optimize=True)
    grad_a = t0_0  # (N, C, H, W)


    # dJ/dw[c',u',v'] = Σ_{n,i,j}(a[n, c', i + u', j + v']*g[n, c', i, j])
    # Σ_{n,i,j}(a[n, c', i + u', j + v']*g[n, c', i, j])  -> (C, KH, KW)
    t1_0 = np.zeros((C, KH, KW), dtype=np.result_type(a, g))
    for u_ in range(KH):
        for v_ in range(KW):
            t1_0[:, u_, v_] += np.einsum('ncij,ncij->c', a[:, :, _span(u_, 1, OH), _span(v_, 1, OW)], g, optimize=True)
    grad_w = t1_0  # (C, KH, KW)

    return {"a": grad_a, "w": grad_w}
