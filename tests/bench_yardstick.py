"""The yardstick of `make bench`: the fastest LeNet-5 training step written by hand in NumPy.

Written from the formulas, independently of `derive`, with every trick the generated code is
allowed and one more it is not (the pooling adjoint and tanh' in one pass): activations stored
(C, H, W, N), each convolution one GEMM over a patch matrix kept for the weight gradient, the
input gradient as a GEMM followed by col2im, buffers reused from step to step, elementwise work
in place, weight gradients summed over blocks of the batch. Parameters are keyed like the
generated `LeNet5.params`; `loss_and_grads` has the same contract.
"""
from __future__ import annotations

import numpy as np


class HandLeNet5:
    def __init__(self, params: dict, dtype="float32"):
        self.dtype = np.dtype(dtype)
        self.params = {k: v.astype(self.dtype).copy() for k, v in params.items()}
        self.buffers: dict = {}

    def _buf(self, name, shape):
        b = self.buffers.get(name)
        if b is None or b.shape != shape:
            b = self.buffers[name] = np.empty(shape, self.dtype)
        return b

    def _patches(self, name, a, k):
        c, h, w, n = a.shape
        oh, ow = h - k + 1, w - k + 1
        cols = self._buf(name, (c, k, k, oh, ow, n))
        for u in range(k):
            for v in range(k):
                cols[:, u, v] = a[:, u:u + oh, v:v + ow]
        return cols.reshape(c * k * k, oh * ow * n)

    @staticmethod
    def _weight_grad(g, cols, block=4096):
        out = g[:, :block] @ cols[:, :block].T
        for s in range(block, g.shape[1], block):
            out += g[:, s:s + block] @ cols[:, s:s + block].T
        return out

    def _conv(self, name, a, w, b):
        o, c, k, _ = w.shape
        cols = self._patches(name + "_cols", a, k)
        oh, ow, n = a.shape[1] - k + 1, a.shape[2] - k + 1, a.shape[3]
        z = np.matmul(w.reshape(o, -1), cols, out=self._buf(name, (o, oh * ow * n)))
        z += b[:, None]
        np.tanh(z, out=z)
        return cols, z.reshape(o, oh, ow, n)

    def _pool(self, name, a):
        c, h, w, n = a.shape
        s = self._buf(name, (c, h // 2, w // 2, n))
        np.add(a[:, 0::2, 0::2], a[:, 1::2, 0::2], out=s)
        s += a[:, 0::2, 1::2]
        s += a[:, 1::2, 1::2]
        s *= 0.25
        return s

    def _unpool_tanh(self, name, gp, a):
        """g[c, 2i+u, 2j+v, n] = gp[c, i, j, n] / 4 * (1 - a²): the pooling adjoint and tanh'."""
        g = self._buf(name, a.shape)
        np.multiply(a, a, out=g)
        np.subtract(1, g, out=g)
        gp = gp * 0.25
        for u in range(2):
            for v in range(2):
                g[:, u::2, v::2] *= gp
        return g

    def loss_and_grads(self, x, y):
        p, n = self.params, len(x)
        x = np.ascontiguousarray(x.astype(self.dtype, copy=False).transpose(1, 2, 3, 0))
        cols1, a1 = self._conv("c1", x, p["c1_w"], p["c1_b"])
        s2 = self._pool("s2", a1)
        cols3, a3 = self._conv("c3", s2, p["c3_w"], p["c3_b"])
        s4 = self._pool("s4", a3)
        f = s4.reshape(400, n)
        h5 = p["c5_w"] @ f
        h5 += p["c5_b"][:, None]
        np.tanh(h5, out=h5)
        h6 = p["f6_w"] @ h5
        h6 += p["f6_b"][:, None]
        np.tanh(h6, out=h6)
        z = p["out_w"] @ h6
        z += p["out_b"][:, None]
        z -= z.max(0)
        e = np.exp(z)
        total = e.sum(0)
        loss = float(np.mean(np.log(total) - z[y, np.arange(n)]))
        g = e / total
        g[y, np.arange(n)] -= 1
        g /= n
        grads = {"out_w": g @ h6.T, "out_b": g.sum(1)}
        g = p["out_w"].T @ g
        g *= 1 - h6 * h6
        grads["f6_w"], grads["f6_b"] = g @ h5.T, g.sum(1)
        g = p["f6_w"].T @ g
        g *= 1 - h5 * h5
        grads["c5_w"], grads["c5_b"] = g @ f.T, g.sum(1)
        g = (p["c5_w"].T @ g).reshape(16, 5, 5, n)
        g3 = self._unpool_tanh("g3", g, a3).reshape(16, -1)
        grads["c3_w"] = self._weight_grad(g3, cols3).reshape(16, 6, 5, 5)
        grads["c3_b"] = g3.sum(1)
        dcols = np.matmul(p["c3_w"].reshape(16, 150).T, g3, out=self._buf("dcols", (150, 100 * n)))
        d6 = dcols.reshape(6, 5, 5, 10, 10, n)
        ds2 = self._buf("ds2", (6, 14, 14, n))
        ds2.fill(0)
        for u in range(5):
            for v in range(5):
                ds2[:, u:u + 10, v:v + 10] += d6[:, u, v]
        g1 = self._unpool_tanh("g1", ds2, a1).reshape(6, -1)
        grads["c1_w"] = self._weight_grad(g1, cols1).reshape(6, 1, 5, 5)
        grads["c1_b"] = g1.sum(1)
        return loss, grads
