# generated from rule batchnorm2d by derive — do not edit; regenerate with `make`.
r"""batchnorm2d: batch normalization of each channel over the batch and the positions (training mode).

Forward:

    y_{ncyx} = \beta_{c} + \frac{\left(x_{ncyx} - \frac{\sum_{\substack{0 \leq m \leq N - 1\\0 \leq y_{2} \leq H - 1\\0 \leq x_{2} \leq W - 1}} x_{m, c, y_{2}, x_{2}}}{H N W}\right) \gamma_{c}}{\sqrt{\epsilon + \frac{\sum_{\substack{0 \leq r \leq N - 1\\0 \leq y_{3} \leq H - 1\\0 \leq x_{3} \leq W - 1}} \left(x_{r, c, y_{3}, x_{3}} - \frac{\sum_{\substack{0 \leq m \leq N - 1\\0 \leq y_{2} \leq H - 1\\0 \leq x_{2} \leq W - 1}} x_{m, c, y_{2}, x_{2}}}{H N W}\right)^{2}}{H N W}}}

Gradients, derived from the forward expression by `derive`:

    \frac{\partial \mathcal{L}}{\partial x_{m', c', y2', x2'}} = \frac{\left(\delta^{y}_{m', c', y2', x2'} - \frac{\sum_{\substack{0 \leq n \leq N - 1\\0 \leq y \leq H - 1\\0 \leq x \leq W - 1}} \delta^{y}_{n, c', y, x}}{H N W} + \frac{\left(- x_{m', c', y2', x2'} + \frac{\sum_{\substack{0 \leq m \leq N - 1\\0 \leq y_{2} \leq H - 1\\0 \leq x_{2} \leq W - 1}} x_{m, c', y_{2}, x_{2}}}{H N W}\right) \sum_{\substack{0 \leq n \leq N - 1\\0 \leq y \leq H - 1\\0 \leq x \leq W - 1}} \left(x_{n, c', y, x} - \frac{\sum_{\substack{0 \leq m \leq N - 1\\0 \leq y_{2} \leq H - 1\\0 \leq x_{2} \leq W - 1}} x_{m, c', y_{2}, x_{2}}}{H N W}\right) \delta^{y}_{n, c', y, x}}{H N W \left(\epsilon + \frac{\sum_{\substack{0 \leq r \leq N - 1\\0 \leq y_{3} \leq H - 1\\0 \leq x_{3} \leq W - 1}} \left(x_{r, c', y_{3}, x_{3}} - \frac{\sum_{\substack{0 \leq m \leq N - 1\\0 \leq y_{2} \leq H - 1\\0 \leq x_{2} \leq W - 1}} x_{m, c', y_{2}, x_{2}}}{H N W}\right)^{2}}{H N W}\right)} + \frac{\left(\sum_{\substack{0 \leq r_{} \leq N - 1\\0 \leq y_{3 } \leq H - 1\\0 \leq x_{3 } \leq W - 1}} x_{r_{}, c', y_{3 }, x_{3 }} - \frac{\left(\sum_{\substack{0 \leq r_{} \leq N - 1\\0 \leq y_{3 } \leq H - 1\\0 \leq x_{3 } \leq W - 1}} 1\right) \sum_{\substack{0 \leq m \leq N - 1\\0 \leq y_{2} \leq H - 1\\0 \leq x_{2} \leq W - 1}} x_{m, c', y_{2}, x_{2}}}{H N W}\right) \sum_{\substack{0 \leq n \leq N - 1\\0 \leq y \leq H - 1\\0 \leq x \leq W - 1}} \left(x_{n, c', y, x} - \frac{\sum_{\substack{0 \leq m \leq N - 1\\0 \leq y_{2} \leq H - 1\\0 \leq x_{2} \leq W - 1}} x_{m, c', y_{2}, x_{2}}}{H N W}\right) \delta^{y}_{n, c', y, x}}{H^{2} N^{2} W^{2} \left(\epsilon + \frac{\sum_{\substack{0 \leq r \leq N - 1\\0 \leq y_{3} \leq H - 1\\0 \leq x_{3} \leq W - 1}} \left(x_{r, c', y_{3}, x_{3}} - \frac{\sum_{\substack{0 \leq m \leq N - 1\\0 \leq y_{2} \leq H - 1\\0 \leq x_{2} \leq W - 1}} x_{m, c', y_{2}, x_{2}}}{H N W}\right)^{2}}{H N W}\right)}\right) \gamma_{c'}}{\sqrt{\epsilon + \frac{\sum_{\substack{0 \leq r \leq N - 1\\0 \leq y_{3} \leq H - 1\\0 \leq x_{3} \leq W - 1}} \left(x_{r, c', y_{3}, x_{3}} - \frac{\sum_{\substack{0 \leq m \leq N - 1\\0 \leq y_{2} \leq H - 1\\0 \leq x_{2} \leq W - 1}} x_{m, c', y_{2}, x_{2}}}{H N W}\right)^{2}}{H N W}}}

    \frac{\partial \mathcal{L}}{\partial \gamma_{c'}} = \frac{\sum_{\substack{0 \leq n \leq N - 1\\0 \leq y \leq H - 1\\0 \leq x \leq W - 1}} \left(x_{n, c', y, x} - \frac{\sum_{\substack{0 \leq m \leq N - 1\\0 \leq y_{2} \leq H - 1\\0 \leq x_{2} \leq W - 1}} x_{m, c', y_{2}, x_{2}}}{H N W}\right) \delta^{y}_{n, c', y, x}}{\sqrt{\epsilon + \frac{\sum_{\substack{0 \leq r \leq N - 1\\0 \leq y_{3} \leq H - 1\\0 \leq x_{3} \leq W - 1}} \left(x_{r, c', y_{3}, x_{3}} - \frac{\sum_{\substack{0 \leq m \leq N - 1\\0 \leq y_{2} \leq H - 1\\0 \leq x_{2} \leq W - 1}} x_{m, c', y_{2}, x_{2}}}{H N W}\right)^{2}}{H N W}}}

    \frac{\partial \mathcal{L}}{\partial \beta_{c'}} = \sum_{\substack{0 \leq n \leq N - 1\\0 \leq y \leq H - 1\\0 \leq x \leq W - 1}} \delta^{y}_{n, c', y, x}
"""
import numpy as np

from ._runtime import _bind

RULE = "batchnorm2d"
INPUTS = ("x", "gamma", "beta", )
OUTPUT = "y"
GRADS = ("x", "gamma", "beta", )
BACKWARD_ARGS = ("x", "gamma", )
OPTIONS = {}
epsilon = 1e-05



def forward(x, gamma, beta):
    r"""y_{ncyx} = \beta_{c} + \frac{\left(x_{ncyx} - \frac{\sum_{\substack{0 \leq m \leq N - 1\\0 \leq y_{2} \leq H - 1\\0 \leq x_{2} \leq W - 1}} x_{m, c, y_{2}, x_{2}}}{H N W}\right) \gamma_{c}}{\sqrt{\epsilon + \frac{\sum_{\substack{0 \leq r \leq N - 1\\0 \leq y_{3} \leq H - 1\\0 \leq x_{3} \leq W - 1}} \left(x_{r, c, y_{3}, x_{3}} - \frac{\sum_{\substack{0 \leq m \leq N - 1\\0 \leq y_{2} \leq H - 1\\0 \leq x_{2} \leq W - 1}} x_{m, c, y_{2}, x_{2}}}{H N W}\right)^{2}}{H N W}}}"""
    sizes = {}
    _bind("batchnorm2d.forward", sizes, "x", x, ("N", "C", "H", "W", ))
    _bind("batchnorm2d.forward", sizes, "gamma", gamma, ("C", ))
    _bind("batchnorm2d.forward", sizes, "beta", beta, ("C", ))
    H = sizes["H"]
    N = sizes["N"]
    W = sizes["W"]
    # beta[c] + (x[n, c, y, x] - Σ_{m,y2,x2}(x[m, c, y2, x2])/(H*N*W))*gamma[c]/sqrt(epsilon + Σ_{r,y3,x3}((x[r, c, y3, x3] - Σ_{m,y2,x2}(x[m, c, y2, x2])/(H*N*W))**2)/(H*N*W))
    f0 = x.sum(axis=(0, 2, 3))  # (C,)  Σ_{m,y2,x2}(x[m, c, y2, x2])
    f1 = ((np.transpose(x, (1, 0, 2, 3)) - f0[:, None, None, None]/(H*N*W))**2).sum(axis=(1, 2, 3))  # (C,)  Σ_{r,y3,x3}((x[r, c, y3, x3] - Σ_{m,y2,x2}(x[m, c, y2, x2])/(H*N*W))**2)
    y = beta[:, None, None] + gamma[:, None, None]*(x - f0[:, None, None]/(H*N*W))/np.sqrt(epsilon + f1[:, None, None]/(H*N*W))  # (N, C, H, W)
    return y


def backward(g, x, gamma, *, wrt=GRADS):
    r"""Gradients of the loss with respect to x, gamma, beta (those named in `wrt`), given g = dL/dy."""
    sizes = {}
    _bind("batchnorm2d.backward", sizes, "x", x, ("N", "C", "H", "W", ))
    _bind("batchnorm2d.backward", sizes, "gamma", gamma, ("C", ))
    H = sizes["H"]
    N = sizes["N"]
    W = sizes["W"]
    _bind("batchnorm2d.backward", sizes, "g", g, ("N", "C", "H", "W", ))
    if isinstance(wrt, str):
        wrt = (wrt,)
    unknown = set(wrt) - set(GRADS)
    if unknown:
        raise ValueError(f"{RULE}.backward: wrt names {sorted(unknown)}; gradients are {GRADS}")
    grads = {}

    # dJ/dx[m',c',y2',x2'] = (g[m', c', y2', x2'] - Σ_{n,y,x}(g[n, c', y, x])/(H*N*W) + (-x[m', c', y2', x2'] + Σ_{m,y2,x2}(x[m, c', y2, x2])/(H*N*W))*Σ_{n,y,x}((x[n, c', y, x] - Σ_{m,y2,x2}(x[m, c', y2, x2])/(H*N*W))*g[n, c', y, x])/(H*N*W*(epsilon + Σ_{r,y3,x3}((x[r, c', y3, x3] - Σ_{m,y2,x2}(x[m, c', y2, x2])/(H*N*W))**2)/(H*N*W))) + (Σ_{r_,y3_,x3_}(x[r_, c', y3_, x3_]) - Σ_{r_,y3_,x3_}(1)*Σ_{m,y2,x2}(x[m, c', y2, x2])/(H*N*W))*Σ_{n,y,x}((x[n, c', y, x] - Σ_{m,y2,x2}(x[m, c', y2, x2])/(H*N*W))*g[n, c', y, x])/(H**2*N**2*W**2*(epsilon + Σ_{r,y3,x3}((x[r, c', y3, x3] - Σ_{m,y2,x2}(x[m, c', y2, x2])/(H*N*W))**2)/(H*N*W))))*gamma[c']/sqrt(epsilon + Σ_{r,y3,x3}((x[r, c', y3, x3] - Σ_{m,y2,x2}(x[m, c', y2, x2])/(H*N*W))**2)/(H*N*W))
    if "x" in wrt:
        t0_0 = x.sum(axis=(0, 2, 3))  # (C,)  Σ_{m,y2,x2}(x[m, c', y2, x2])
        t0_1 = ((np.transpose(x, (1, 0, 2, 3)) - t0_0[:, None, None, None]/(H*N*W))**2).sum(axis=(1, 2, 3))  # (C,)  Σ_{r,y3,x3}((x[r, c', y3, x3] - Σ_{m,y2,x2}(x[m, c', y2, x2])/(H*N*W))**2)
        t0_2 = g.sum(axis=(0, 2, 3))  # (C,)  Σ_{n,y,x}(g[n, c', y, x])
        t0_3 = H*N*W  # ()  Σ_{r_,y3_,x3_}(1)
        t0_4 = np.einsum('cngh,cngh->c', np.transpose(x, (1, 0, 2, 3)) - t0_0[:, None, None, None]/(H*N*W), np.transpose(g, (1, 0, 2, 3)))  # (C,)  Σ_{n,y,x}((x[n, c', y, x] - Σ_{m,y2,x2}(x[m, c', y2, x2])/(H*N*W))*g[n, c', y, x])
        grad_x = gamma[:, None, None]*(g - t0_2[:, None, None]/(H*N*W) - t0_4[:, None, None]*(x - t0_0[:, None, None]/(H*N*W))/(H*N*W*(epsilon + t0_1[:, None, None]/(H*N*W))) + t0_4[:, None, None]*(t0_0[:, None, None] - t0_0[:, None, None]*t0_3/(H*N*W))/(H**2*N**2*W**2*(epsilon + t0_1[:, None, None]/(H*N*W))))/np.sqrt(epsilon + t0_1[:, None, None]/(H*N*W))  # (N, C, H, W)
        grads["x"] = grad_x

    # dJ/dgamma[c'] = Σ_{n,y,x}((x[n, c', y, x] - Σ_{m,y2,x2}(x[m, c', y2, x2])/(H*N*W))*g[n, c', y, x])/sqrt(epsilon + Σ_{r,y3,x3}((x[r, c', y3, x3] - Σ_{m,y2,x2}(x[m, c', y2, x2])/(H*N*W))**2)/(H*N*W))
    if "gamma" in wrt:
        t1_0 = x.sum(axis=(0, 2, 3))  # (C,)  Σ_{m,y2,x2}(x[m, c', y2, x2])
        t1_1 = ((np.transpose(x, (1, 0, 2, 3)) - t1_0[:, None, None, None]/(H*N*W))**2).sum(axis=(1, 2, 3))  # (C,)  Σ_{r,y3,x3}((x[r, c', y3, x3] - Σ_{m,y2,x2}(x[m, c', y2, x2])/(H*N*W))**2)
        t1_2 = np.einsum('cnde,cnde->c', np.transpose(x, (1, 0, 2, 3)) - t1_0[:, None, None, None]/(H*N*W), np.transpose(g, (1, 0, 2, 3)))  # (C,)  Σ_{n,y,x}((x[n, c', y, x] - Σ_{m,y2,x2}(x[m, c', y2, x2])/(H*N*W))*g[n, c', y, x])
        grad_gamma = t1_2/np.sqrt(epsilon + t1_1/(H*N*W))  # (C,)
        grads["gamma"] = grad_gamma

    # dJ/dbeta[c'] = Σ_{n,y,x}(g[n, c', y, x])
    if "beta" in wrt:
        grad_beta = g.sum(axis=(0, 2, 3))  # (C,)
        grads["beta"] = grad_beta
    return grads
