# generated from network lenet5 by derive — do not edit; regenerate with `make`.
r"""LeNet-5 (LeCun et al. 1998), the article's variant: full C3, average pooling, tanh.

Layers (input (N, 1, 32, 32)):
    C1: convolution 5x5 -> 6 maps: (N, 6, 28, 28)
    c1_tanh: (N, 6, 28, 28)
    S2: average pooling 2x2: (N, 6, 14, 14)
    C3: convolution 5x5 -> 16 maps: (N, 16, 10, 10)
    c3_tanh: (N, 16, 10, 10)
    S4: average pooling 2x2: (N, 16, 5, 5)
    flatten 16x5x5 -> 400: (N, 400)
    C5: dense 120: (N, 120)
    c5_tanh: (N, 120)
    F6: dense 84: (N, 84)
    f6_tanh: (N, 84)
    OUTPUT: dense 10: (N, 10)

Lowered as one module by `derive.netlower` from each rule's forward expression and its derived
gradients: activations stored batch-last, (C, H, W, N) and (J, N), the input transposed once; window sums as one matrix product each; the backward pass reads
exactly the forward arrays its formulas name (SAVED). Heads: cross_entropy, mse.
"""
import numpy as np

from ._runtime import _matmul_split, Workspace

PARAMS = {
    "c1_w": (6, 1, 5, 5),
    "c1_b": (6,),
    "c3_w": (16, 6, 5, 5),
    "c3_b": (16,),
    "c5_w": (120, 400),
    "c5_b": (120,),
    "f6_w": (84, 120),
    "f6_b": (84,),
    "out_w": (10, 84),
    "out_b": (10,),
}
LOSSES = ("cross_entropy", "mse", )
INPUT_SHAPE = (1, 32, 32)
CLASSES = 10
FAN_IN = {"c1_w": 25, "c3_w": 150, "c5_w": 400, "f6_w": 120, "out_w": 84, }
# per layer with parameters or constants: (layer, output shape, trainable parameters,
# connections), counted by derive from the layers' derived kernels (derive/lowering/counts.py)
SUMMARY = (
    ("C1: convolution 5x5 -> 6 maps", (6, 28, 28), 156, 122304),
    ("C3: convolution 5x5 -> 16 maps", (16, 10, 10), 2416, 241600),
    ("C5: dense 120", (120,), 48120, 48120),
    ("F6: dense 84", (84,), 10164, 10164),
    ("OUTPUT: dense 10", (10,), 850, 850),
)
# the forward arrays the derived backward formulas read
SAVED = ("h1", "h4", "h6", "h8", "h10", "h2_cols", "x_cols", )


class LeNet5:
    """LeNet-5 (LeCun et al. 1998), the article's variant: full C3, average pooling, tanh.

    params: dict of arrays keyed like PARAMS. Weights start uniform in +-sqrt(3 / fan_in)
    (LeCun's rule for tanh units), biases at zero, from `np.random.default_rng(seed)`.
    """

    def __new__(cls, *args, variant="article", **kwargs):
        """`variant` names another generated network to build instead ("1998")."""
        if variant == "1998":
            from .lenet5_1998 import LeNet5Paper

            return LeNet5Paper(*args, **kwargs)
        if variant != "article":
            raise ValueError(f"LeNet5: variant must be one of ['article', '1998'], got {variant!r}")
        return super().__new__(cls)

    def __init__(self, seed=0, dtype="float32", loss="cross_entropy", variant="article"):
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"LeNet5: dtype must be float32 or float64, got {dtype!r}")
        if loss not in LOSSES:
            raise ValueError(f"LeNet5: loss must be one of {LOSSES}, got {loss!r}")
        self.loss = loss
        self._workspace = Workspace()  # arrays reused from step to step
        rng = np.random.default_rng(seed)
        self.params = {}
        for key, shape in PARAMS.items():
            if key in FAN_IN:
                limit = np.sqrt(3.0 / FAN_IN[key])
                self.params[key] = rng.uniform(-limit, limit, shape).astype(self.dtype)
            else:
                self.params[key] = np.zeros(shape, dtype=self.dtype)

    def _input(self, x):
        x = np.asarray(x)
        if x.ndim != 4 or x.shape[1:] != INPUT_SHAPE:
            raise ValueError(f"LeNet5: x must have shape (N, 1, 32, 32), got {x.shape}")
        if len(x) == 0:
            raise ValueError("LeNet5: x holds no images")
        if x.dtype.kind != "f":
            raise ValueError(f"LeNet5: x must be a float array, got {x.dtype}")
        return x.astype(self.dtype, copy=False)

    def _onehot(self, y, n):
        y = np.asarray(y)
        if y.shape != (n,) or y.dtype.kind not in "iu":
            raise ValueError(f"LeNet5: y must be {n} integer labels, got {y.dtype} {y.shape}")
        if n and (y.min() < 0 or y.max() >= CLASSES):
            raise ValueError(f"LeNet5: labels must lie in 0..{CLASSES - 1}")
        onehot = np.zeros((CLASSES, n), dtype=self.dtype)  # (CLASSES, N)
        onehot[y, np.arange(n)] = 1
        return onehot

    def _forward(self, x):
        """The class scores (CLASSES, N) and the arrays SAVED for the backward pass."""
        p = self.params
        ws = self._workspace
        c1_b = p["c1_b"]
        c1_w = p["c1_w"]
        c3_b = p["c3_b"]
        c3_w = p["c3_w"]
        c5_b = p["c5_b"]
        c5_w = p["c5_w"]
        f6_b = p["f6_b"]
        f6_w = p["f6_w"]
        out_b = p["out_b"]
        out_w = p["out_w"]
        N = x.shape[0]
        x = np.ascontiguousarray(x.transpose(1, 2, 3, 0))  # (1, 32, 32, N)

        # C1: convolution 5x5 -> 6 maps — rule conv2d: (N, 6, 28, 28)
        # z[n,o,i,j] = b[o] + Σ_{c,u,v}(a[n, c, -P + i*s + u, -P + j*s + v]*w[o, c, u, v])
        x_cols = ws.empty("x_cols", (1, 5, 5, 28, 28, N), x.dtype)
        for u in range(5):
            for v in range(5):
                x_cols[:, u, v] = x[:, u:u + 28, v:v + 28]
        c1_f0 = np.matmul(c1_w.reshape(6, 25), x_cols.reshape(25, 784*N), out=ws.empty("c1_f0", (6, 784*N), np.result_type(c1_w, x_cols))).reshape(6, 28, 28, N)
        np.add(c1_f0, c1_b[:, None, None, None], out=c1_f0)
        h0 = c1_f0  # in place

        # c1_tanh — rule tanh: (N, 6, 28, 28)
        # a[n,j] = tanh(z[n, j])
        np.tanh(h0, out=h0)
        h1 = h0  # in place

        # S2: average pooling 2x2 — rule avgpool2d: (N, 6, 14, 14)
        # z[n,c,i,j] = Σ_{u,v}(a[n, c, i*s + u, j*s + v])/k**2
        s2_f0 = ws.zeros("s2_f0", (6, 14, 14, N), np.result_type(h1))
        for u in range(2):
            for v in range(2):
                s2_f0 += (h1[:, u:u + 27:2, v:v + 27:2])
        np.multiply(s2_f0, 1/4, out=s2_f0)
        h2 = s2_f0  # in place

        # C3: convolution 5x5 -> 16 maps — rule conv2d: (N, 16, 10, 10)
        # z[n,o,i,j] = b[o] + Σ_{c,u,v}(a[n, c, -P + i*s + u, -P + j*s + v]*w[o, c, u, v])
        h2_cols = ws.empty("h2_cols", (6, 5, 5, 10, 10, N), h2.dtype)
        for u in range(5):
            for v in range(5):
                h2_cols[:, u, v] = h2[:, u:u + 10, v:v + 10]
        c3_f0 = np.matmul(c3_w.reshape(16, 150), h2_cols.reshape(150, 100*N), out=ws.empty("c3_f0", (16, 100*N), np.result_type(c3_w, h2_cols))).reshape(16, 10, 10, N)
        np.add(c3_f0, c3_b[:, None, None, None], out=c3_f0)
        h3 = c3_f0  # in place

        # c3_tanh — rule tanh: (N, 16, 10, 10)
        # a[n,j] = tanh(z[n, j])
        np.tanh(h3, out=h3)
        h4 = h3  # in place

        # S4: average pooling 2x2 — rule avgpool2d: (N, 16, 5, 5)
        # z[n,c,i,j] = Σ_{u,v}(a[n, c, i*s + u, j*s + v])/k**2
        s4_f0 = ws.zeros("s4_f0", (16, 5, 5, N), np.result_type(h4))
        for u in range(2):
            for v in range(2):
                s4_f0 += (h4[:, u:u + 9:2, v:v + 9:2])
        np.multiply(s4_f0, 1/4, out=s4_f0)
        h5 = s4_f0  # in place

        # flatten 16x5x5 -> 400 — rule flatten: (N, 400)
        # z[n,c,y,x] = a[n, c, y, x]
        h6 = h5  # (16, 5, 5, N)
        h6 = h6.reshape(400, N)  # stored (400, N)

        # C5: dense 120 — rule dense: (N, 120)
        # z[n,j] = b[j] + Σ_{i}(W[j, i]*a[n, i])
        c5_f0 = c5_w @ h6  # (120, N)
        np.add(c5_f0, c5_b[:, None], out=c5_f0)
        h7 = c5_f0  # in place

        # c5_tanh — rule tanh: (N, 120)
        # a[n,j] = tanh(z[n, j])
        np.tanh(h7, out=h7)
        h8 = h7  # in place

        # F6: dense 84 — rule dense: (N, 84)
        # z[n,j] = b[j] + Σ_{i}(W[j, i]*a[n, i])
        f6_f0 = f6_w @ h8  # (84, N)
        np.add(f6_f0, f6_b[:, None], out=f6_f0)
        h9 = f6_f0  # in place

        # f6_tanh — rule tanh: (N, 84)
        # a[n,j] = tanh(z[n, j])
        np.tanh(h9, out=h9)
        h10 = h9  # in place

        # OUTPUT: dense 10 — rule dense: (N, 10)
        # z[n,j] = b[j] + Σ_{i}(W[j, i]*a[n, i])
        out_f0 = out_w @ h10  # (10, N)
        np.add(out_f0, out_b[:, None], out=out_f0)
        h11 = out_f0  # in place
        return h11, {"h1": h1, "h4": h4, "h6": h6, "h8": h8, "h10": h10, "h2_cols": h2_cols, "x_cols": x_cols}

    def forward(self, x):
        """Class scores (N, 10): the output layer before the loss head."""
        scores, _ = self._forward(self._input(x))
        return scores.T.copy()

    def predict(self, x):
        """The class with the highest score, (N,) int."""
        return np.argmax(self.forward(x), axis=1)

    def loss_and_grads(self, x, y):
        """The batch loss and its gradient for every parameter, keyed like `params`."""
        x = self._input(x)
        N = x.shape[0]
        onehot = self._onehot(y, N)
        h11, saved = self._forward(x)
        h1 = saved["h1"]
        h4 = saved["h4"]
        h6 = saved["h6"]
        h8 = saved["h8"]
        h10 = saved["h10"]
        h2_cols = saved["h2_cols"]
        x_cols = saved["x_cols"]
        p = self.params
        ws = self._workspace
        c3_w = p["c3_w"]
        c5_w = p["c5_w"]
        f6_w = p["f6_w"]
        out_w = p["out_w"]
        if self.loss == "cross_entropy":
            # softmax_cross_entropy: cross-entropy of softmax(z) against a one-hot label, on logits
            # J = Σ_{n}(-Σ_{k}(log(exp(z[n, k])/Σ_{m}(exp(z[n, m])))*y[n, k]))/N
            cross_entropy0_f0 = h11.max(axis=0)  # (N,)
            cross_entropy0_f1 = (np.exp(-cross_entropy0_f0 + h11)).sum(axis=0)  # (N,)
            cross_entropy0_f2 = -((np.einsum('nk,nk->n', -cross_entropy0_f0[:, None] + h11.T - np.log(cross_entropy0_f1[:, None]), onehot.T)).sum())  # ()
            loss = cross_entropy0_f2/N  # ()
            # dJ/dz[n',m'] = g*(exp(z[n', m'])/Σ_{m}(exp(z[n', m])) - y[n', m'])/N
            cross_entropy0_dz0 = h11.max(axis=0)  # (N,)
            cross_entropy0_dz1 = (np.exp(-cross_entropy0_dz0[:, None] + h11.T)).sum(axis=1)  # (N,)
            np.add(h11, -cross_entropy0_dz0, out=h11)
            np.exp(h11, out=h11)
            np.multiply(h11, 1/cross_entropy0_dz1, out=h11)
            np.subtract(h11, onehot, out=h11)
            np.multiply(h11, 1/N, out=h11)
            g_h11 = h11  # in place
        elif self.loss == "mse":
            # tanh: hyperbolic tangent
            # a[n,j] = tanh(z[n, j])
            np.tanh(h11, out=h11)
            mse_a = h11  # in place
            # mse: mean squared error, averaged over the batch
            # J = Σ_{n}(Σ_{k}((-a[n, k] + y[n, k])**2)/2)/N
            mse1_f0 = (1/2) * (((-mse_a + onehot)**2).sum(axis=0)).sum()  # ()
            loss = mse1_f0/N  # ()
            # dJ/da[n',k'] = g*(a[n', k'] - y[n', k'])/N
            g_mse_a = ws.empty("g_mse_a", (10, N), np.result_type(mse_a, onehot))
            np.subtract(mse_a, onehot, out=g_mse_a)
            np.multiply(g_mse_a, 1/N, out=g_mse_a)
            # dJ/dz[n',j'] = (1 - a[n', j']**2)*g[n', j']
            np.multiply(mse_a, mse_a, out=mse_a)
            np.subtract(1, mse_a, out=mse_a)
            np.multiply(mse_a, g_mse_a, out=mse_a)
            g_h11 = mse_a  # in place
        else:
            raise ValueError(f"LeNet5: unknown loss {self.loss!r}")

        # OUTPUT: dense 10 — rule dense
        # dJ/da[n',i'] = Σ_{j}(W[j, i']*g[n', j])
        g_h10 = out_w.T @ g_h11  # (84, N)
        # dJ/dW[j',i'] = Σ_{n}(a[n, i']*g[n, j'])
        grad_out_w = g_h11 @ h10.T  # (10, 84)
        # dJ/db[j'] = Σ_{n}(g[n, j'])
        grad_out_b = g_h11.sum(axis=1)  # (10,)

        # f6_tanh — rule tanh
        # dJ/dz[n',j'] = (1 - a[n', j']**2)*g[n', j']
        np.multiply(h10, h10, out=h10)
        np.subtract(1, h10, out=h10)
        np.multiply(h10, g_h10, out=h10)
        g_h9 = h10  # in place

        # F6: dense 84 — rule dense
        # dJ/da[n',i'] = Σ_{j}(W[j, i']*g[n', j])
        g_h8 = f6_w.T @ g_h9  # (120, N)
        # dJ/dW[j',i'] = Σ_{n}(a[n, i']*g[n, j'])
        grad_f6_w = g_h9 @ h8.T  # (84, 120)
        # dJ/db[j'] = Σ_{n}(g[n, j'])
        grad_f6_b = g_h9.sum(axis=1)  # (84,)

        # c5_tanh — rule tanh
        # dJ/dz[n',j'] = (1 - a[n', j']**2)*g[n', j']
        np.multiply(h8, h8, out=h8)
        np.subtract(1, h8, out=h8)
        np.multiply(h8, g_h8, out=h8)
        g_h7 = h8  # in place

        # C5: dense 120 — rule dense
        # dJ/da[n',i'] = Σ_{j}(W[j, i']*g[n', j])
        g_h6 = c5_w.T @ g_h7  # (400, N)
        # dJ/dW[j',i'] = Σ_{n}(a[n, i']*g[n, j'])
        grad_c5_w = g_h7 @ h6.T  # (120, 400)
        # dJ/db[j'] = Σ_{n}(g[n, j'])
        grad_c5_b = g_h7.sum(axis=1)  # (120,)

        # flatten 16x5x5 -> 400 — rule flatten
        # dJ/da[n',c',y',x'] = g[n', c', y', x']
        g_h6 = g_h6.reshape(16, 5, 5, N)
        g_h5 = g_h6  # (16, 5, 5, N)

        # S4: average pooling 2x2 — rule avgpool2d
        # dJ/da[n',c',p,q] = Σ_{u,v}(Piecewise((g[n', c', (p - u)/s, (q - v)/s]/k**2, Eq(Mod(p - u, s), 0) & Eq(Mod(q - v, s), 0)), (0, True)))
        s4_da0_cols = 1/4 * g_h5
        s4_da0 = ws.empty("s4_da0", (16, 10, 10, N), np.result_type(g_h5))
        for u in range(2):
            for v in range(2):
                s4_da0[:, u:u + 9:2, v:v + 9:2] = s4_da0_cols
        g_h4 = s4_da0  # (16, 10, 10, N)

        # c3_tanh — rule tanh
        # dJ/dz[n',j'] = (1 - a[n', j']**2)*g[n', j']
        np.multiply(h4, h4, out=h4)
        np.subtract(1, h4, out=h4)
        np.multiply(h4, g_h4, out=h4)
        g_h3 = h4  # in place

        # C3: convolution 5x5 -> 16 maps — rule conv2d
        # dJ/da[n',c',p,q] = Σ_{o,u,v}(Piecewise((g[n', o, (P + p - u)/s, (P + q - v)/s]*w[o, c', u, v], Eq(Mod(P + p - u, s), 0) & Eq(Mod(P + q - v, s), 0)), (0, True)))
        c3_da0_cols = np.matmul(c3_w.reshape(16, 150).T, g_h3.reshape(16, 100*N), out=ws.empty("c3_da0_cols", (150, 100*N), np.result_type(c3_w, g_h3))).reshape(6, 5, 5, 10, 10, N)
        c3_da0 = ws.zeros("c3_da0", (6, 14, 14, N), np.result_type(c3_w, g_h3))
        for u in range(5):
            for v in range(5):
                c3_da0[:, u:u + 10, v:v + 10] += c3_da0_cols[:, u, v]
        g_h2 = c3_da0  # (6, 14, 14, N)
        # dJ/dw[o',c',u',v'] = Σ_{n,i,j}(a[n, c', -P + i*s + u', -P + j*s + v']*g[n, o', i, j])
        c3_dw0 = _matmul_split(g_h3.reshape(16, 100*N), h2_cols.reshape(150, 100*N).T, 4096).reshape(16, 6, 5, 5)
        grad_c3_w = c3_dw0  # (16, 6, 5, 5)
        # dJ/db[o'] = Σ_{n,i,j}(g[n, o', i, j])
        grad_c3_b = g_h3.sum(axis=(3, 1, 2))  # (16,)

        # S2: average pooling 2x2 — rule avgpool2d
        # dJ/da[n',c',p,q] = Σ_{u,v}(Piecewise((g[n', c', (p - u)/s, (q - v)/s]/k**2, Eq(Mod(p - u, s), 0) & Eq(Mod(q - v, s), 0)), (0, True)))
        s2_da0_cols = 1/4 * g_h2
        s2_da0 = ws.empty("s2_da0", (6, 28, 28, N), np.result_type(g_h2))
        for u in range(2):
            for v in range(2):
                s2_da0[:, u:u + 27:2, v:v + 27:2] = s2_da0_cols
        g_h1 = s2_da0  # (6, 28, 28, N)

        # c1_tanh — rule tanh
        # dJ/dz[n',j'] = (1 - a[n', j']**2)*g[n', j']
        np.multiply(h1, h1, out=h1)
        np.subtract(1, h1, out=h1)
        np.multiply(h1, g_h1, out=h1)
        g_h0 = h1  # in place

        # C1: convolution 5x5 -> 6 maps — rule conv2d
        # dJ/dw[o',c',u',v'] = Σ_{n,i,j}(a[n, c', -P + i*s + u', -P + j*s + v']*g[n, o', i, j])
        c1_dw0 = _matmul_split(g_h0.reshape(6, 784*N), x_cols.reshape(25, 784*N).T, 4096).reshape(6, 1, 5, 5)
        grad_c1_w = c1_dw0  # (6, 1, 5, 5)
        # dJ/db[o'] = Σ_{n,i,j}(g[n, o', i, j])
        grad_c1_b = g_h0.sum(axis=(3, 1, 2))  # (6,)
        grads = {
            "c1_w": grad_c1_w,
            "c1_b": grad_c1_b,
            "c3_w": grad_c3_w,
            "c3_b": grad_c3_b,
            "c5_w": grad_c5_w,
            "c5_b": grad_c5_b,
            "f6_w": grad_f6_w,
            "f6_b": grad_f6_b,
            "out_w": grad_out_w,
            "out_b": grad_out_b,
        }
        return float(loss), grads

    def summary(self, echo=print):
        """The layers as LeCun et al. (1998) count them: output shape, trainable parameters (a
        shared weight once), connections (a shared weight once per use); returns the rows."""
        rows = [("layer", "output", "parameters", "connections")]
        rows += [(title, "x".join(map(str, shape)), f"{params:,}", f"{links:,}")
                 for title, shape, params, links in SUMMARY]
        rows.append(("total", "", f"{sum(r[2] for r in SUMMARY):,}",
                     f"{sum(r[3] for r in SUMMARY):,}"))
        width = max(len(r[0]) for r in rows)
        for title, shape, params, links in rows:
            echo(f"{title:{width}s}  {shape:>10s}  {params:>10s}  {links:>11s}")
        return SUMMARY

    def save(self, path):
        """Write the parameters, dtype and loss head to an .npz file."""
        meta = np.array([str(self.dtype), self.loss])
        np.savez(path, __meta__=meta, **self.params)

    @classmethod
    def load(cls, path):
        """A network from `save`'s file; refuses names or shapes that do not match PARAMS."""
        with np.load(path, allow_pickle=False) as f:
            stored = {k: f[k] for k in f.files}
        if "__meta__" not in stored:
            raise ValueError(f"{path}: not a LeNet5 file (no __meta__ entry)")
        dtype, loss = (str(v) for v in stored.pop("__meta__"))
        missing, extra = sorted(set(PARAMS) - set(stored)), sorted(set(stored) - set(PARAMS))
        if missing or extra:
            raise ValueError(f"{path}: parameters do not match LeNet5: "
                             f"missing {missing}, unexpected {extra}")
        for key, shape in PARAMS.items():
            if stored[key].shape != shape:
                raise ValueError(f"{path}: parameter {key!r} has shape {stored[key].shape}, "
                                 f"LeNet5 needs {shape}")
        net = cls(dtype=dtype, loss=loss)
        net.params = {key: stored[key].astype(net.dtype) for key in PARAMS}
        return net
