# generated from network lenet5_1998 by derive — do not edit; regenerate with `make`.
r"""LeNet-5 as published (LeCun, Bottou, Bengio and Haffner 1998, section II-B): trainable subsampling, C3's connection table, squashing 1.7159 tanh(2a/3), Euclidean RBF outputs, the loss of the paper's equation (9).

Layers (input (N, 1, 32, 32)):
    C1: convolution 5x5 -> 6 maps: (N, 6, 28, 28)
    c1_f: (N, 6, 28, 28)
    S2: trainable subsampling 2x2: (N, 6, 14, 14)
    s2_f: (N, 6, 14, 14)
    C3: convolution 5x5 through the connection table -> 16 maps: (N, 16, 10, 10)
    c3_f: (N, 16, 10, 10)
    S4: trainable subsampling 2x2: (N, 16, 5, 5)
    s4_f: (N, 16, 5, 5)
    C5: convolution 5x5 -> 120 maps: (N, 120, 1, 1)
    c5_f: (N, 120, 1, 1)
    120 maps of 1x1 as 120 units: (N, 120)
    F6: 84 units: (N, 84)
    f6_f: (N, 84)
    OUTPUT: 10 Euclidean RBF units: (N, 10)

Lowered as one module by `derive.netlower` from each rule's forward expression and its derived
gradients: activations stored batch-last, (C, H, W, N) and (J, N), the input transposed once; window sums as one matrix product each; the backward pass reads
exactly the forward arrays its formulas name (SAVED). Heads: paper.
"""
import numpy as np

from ._runtime import _matmul_split, _pad, _span, Workspace

PARAMS = {
    "c1_w": (6, 1, 5, 5),
    "c1_b": (6,),
    "s2_w": (6,),
    "s2_b": (6,),
    "c3_w": (16, 6, 5, 5),
    "c3_b": (16,),
    "s4_w": (16,),
    "s4_b": (16,),
    "c5_w": (120, 16, 5, 5),
    "c5_b": (120,),
    "f6_w": (84, 120),
    "f6_b": (84,),
}
LOSSES = ("paper", )
INPUT_SHAPE = (1, 32, 32)
CLASSES = 10
FAN_IN = {"c1_w": 25, "c3_w": 150, "c5_w": 400, "f6_w": 120, }
# per layer with parameters or constants: (layer, output shape, trainable parameters,
# connections), counted by derive from the layers' derived kernels (derive/lowering/counts.py)
SUMMARY = (
    ("C1: convolution 5x5 -> 6 maps", (6, 28, 28), 156, 122304),
    ("S2: trainable subsampling 2x2", (6, 14, 14), 12, 5880),
    ("C3: convolution 5x5 through the connection table -> 16 maps", (16, 10, 10), 1516, 151600),
    ("S4: trainable subsampling 2x2", (16, 5, 5), 32, 2000),
    ("C5: convolution 5x5 -> 120 maps", (120, 1, 1), 48120, 48120),
    ("F6: 84 units", (84,), 10164, 10164),
    ("OUTPUT: 10 Euclidean RBF units", (10,), 0, 840),
)
# the fan-in of the units each parameter's output maps hold (its first axis)
UNIT_FAN_IN = {
    "c1_w": 25,
    "c1_b": 25,
    "s2_w": 4,
    "s2_b": 4,
    "c3_w": [75, 75, 75, 75, 75, 75, 100, 100, 100, 100, 100, 100, 100, 100, 100, 150],
    "c3_b": [75, 75, 75, 75, 75, 75, 100, 100, 100, 100, 100, 100, 100, 100, 100, 150],
    "s4_w": 4,
    "s4_b": 4,
    "c5_w": 400,
    "c5_b": 400,
    "f6_w": 120,
    "f6_b": 120,
}
# fixed values that come with the layers (not trained)
CONSTANTS = {
    "c3_t": np.array(((1, 1, 1, 0, 0, 0), (0, 1, 1, 1, 0, 0), (0, 0, 1, 1, 1, 0), (0, 0, 0, 1, 1, 1), (1, 0, 0, 0, 1, 1), (1, 1, 0, 0, 0, 1), (1, 1, 1, 1, 0, 0), (0, 1, 1, 1, 1, 0), (0, 0, 1, 1, 1, 1), (1, 0, 0, 1, 1, 1), (1, 1, 0, 0, 1, 1), (1, 1, 1, 0, 0, 1), (1, 1, 0, 1, 1, 0), (0, 1, 1, 0, 1, 1), (1, 0, 1, 1, 0, 1), (1, 1, 1, 1, 1, 1))),  # (16, 6)
    "out_w": np.array(((-1, -1, 1, 1, 1, -1, -1, -1, 1, -1, -1, -1, 1, -1, 1, -1, -1, -1, -1, -1, 1, 1, -1, -1, -1, -1, -1, 1, 1, -1, -1, -1, -1, -1, 1, 1, -1, -1, -1, -1, -1, 1, 1, -1, -1, -1, -1, -1, 1, 1, -1, -1, -1, -1, -1, 1, -1, 1, -1, -1, -1, 1, -1, -1, -1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1), (-1, -1, -1, 1, -1, -1, -1, -1, -1, 1, 1, -1, -1, -1, -1, 1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1), (-1, 1, 1, 1, 1, -1, -1, 1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1), (-1, 1, 1, 1, 1, -1, -1, 1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, 1, -1, -1, -1, -1, 1, -1, -1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1), (-1, -1, -1, -1, 1, -1, -1, -1, -1, -1, 1, 1, -1, -1, -1, -1, 1, -1, 1, -1, -1, -1, 1, -1, -1, 1, -1, -1, 1, -1, -1, -1, 1, -1, -1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1), (1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, 1, -1, -1, -1, -1, 1, -1, -1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1), (-1, -1, 1, 1, 1, -1, -1, -1, 1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, 1, 1, 1, -1, -1, 1, 1, -1, -1, -1, 1, -1, 1, -1, -1, -1, -1, 1, -1, 1, -1, -1, -1, -1, 1, -1, -1, 1, -1, -1, 1, -1, -1, -1, -1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1), (1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1), (-1, 1, 1, 1, -1, -1, -1, 1, -1, -1, -1, 1, -1, -1, 1, -1, -1, -1, 1, -1, -1, 1, -1, -1, -1, 1, -1, -1, -1, 1, 1, 1, -1, -1, -1, 1, -1, -1, -1, 1, -1, -1, 1, -1, -1, -1, 1, -1, -1, 1, -1, -1, -1, 1, -1, -1, 1, -1, -1, -1, 1, -1, -1, -1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1), (-1, 1, 1, 1, -1, -1, -1, 1, -1, -1, -1, 1, -1, -1, 1, -1, -1, -1, 1, -1, -1, 1, -1, -1, -1, 1, -1, -1, -1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1))),  # (10, 84)
}
# the forward arrays the derived backward formulas read
SAVED = ("h1", "h3", "h5", "h7", "h9", "h10", "h12", "h3_cols", "h7_cols", "x_cols", )


class LeNet5Paper:
    """LeNet-5 as published (LeCun, Bottou, Bengio and Haffner 1998, section II-B): trainable subsampling, C3's connection table, squashing 1.7159 tanh(2a/3), Euclidean RBF outputs, the loss of the paper's equation (9).

    params: dict of arrays keyed like PARAMS. Weights start uniform in +-sqrt(3 / fan_in)
    (LeCun's rule for tanh units), biases at zero, from `np.random.default_rng(seed)`.
    """

    def __init__(self, seed=0, dtype="float32", loss="paper"):
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"LeNet5Paper: dtype must be float32 or float64, got {dtype!r}")
        if loss not in LOSSES:
            raise ValueError(f"LeNet5Paper: loss must be one of {LOSSES}, got {loss!r}")
        self.loss = loss
        self._workspace = Workspace()  # arrays reused from step to step
        self.constants = {key: value.astype(self.dtype) for key, value in CONSTANTS.items()}
        rng = np.random.default_rng(seed)
        self.params = {}
        for key, shape in PARAMS.items():
            # every trainable entry uniform in +-2.4/F, F the fan-in of its unit (LeCun et al. 1998)
            fan = np.asarray(UNIT_FAN_IN[key], dtype=float).reshape((-1,) + (1,) * (len(shape) - 1))
            self.params[key] = (rng.uniform(-1.0, 1.0, shape) * 2.4 / fan).astype(self.dtype)

    def _input(self, x):
        x = np.asarray(x)
        if x.ndim != 4 or x.shape[1:] != INPUT_SHAPE:
            raise ValueError(f"LeNet5Paper: x must have shape (N, 1, 32, 32), got {x.shape}")
        if len(x) == 0:
            raise ValueError("LeNet5Paper: x holds no images")
        if x.dtype.kind != "f":
            raise ValueError(f"LeNet5Paper: x must be a float array, got {x.dtype}")
        return x.astype(self.dtype, copy=False)

    def _onehot(self, y, n):
        y = np.asarray(y)
        if y.shape != (n,) or y.dtype.kind not in "iu":
            raise ValueError(f"LeNet5Paper: y must be {n} integer labels, got {y.dtype} {y.shape}")
        if n and (y.min() < 0 or y.max() >= CLASSES):
            raise ValueError(f"LeNet5Paper: labels must lie in 0..{CLASSES - 1}")
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
        c3_t = self.constants["c3_t"]
        c3_w = p["c3_w"]
        c5_b = p["c5_b"]
        c5_w = p["c5_w"]
        f6_b = p["f6_b"]
        f6_w = p["f6_w"]
        out_w = self.constants["out_w"]
        s2_b = p["s2_b"]
        s2_w = p["s2_w"]
        s4_b = p["s4_b"]
        s4_w = p["s4_w"]
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

        # c1_f — rule scaled_tanh: (N, 6, 28, 28)
        # a[n,j] = A*tanh(S*z[n, j])
        np.multiply(h0, 2/3, out=h0)
        np.tanh(h0, out=h0)
        np.multiply(h0, 17159/10000, out=h0)
        h1 = h0  # in place

        # S2: trainable subsampling 2x2 — rule subsample2d: (N, 6, 14, 14)
        # z[n,c,i,j] = b[c] + w[c]*Σ_{u,v}(a[n, c, i*s + u, j*s + v])
        s2_f0 = ws.zeros("s2_f0", (6, 14, 14, N), np.result_type(h1))
        for u in range(2):
            for v in range(2):
                s2_f0 += (h1[:, u:u + 27:2, v:v + 27:2])
        np.multiply(s2_f0, s2_w[:, None, None, None], out=s2_f0)
        np.add(s2_f0, s2_b[:, None, None, None], out=s2_f0)
        h2 = s2_f0  # in place

        # s2_f — rule scaled_tanh: (N, 6, 14, 14)
        # a[n,j] = A*tanh(S*z[n, j])
        np.multiply(h2, 2/3, out=h2)
        np.tanh(h2, out=h2)
        np.multiply(h2, 17159/10000, out=h2)
        h3 = h2  # in place

        # C3: convolution 5x5 through the connection table -> 16 maps — rule conv2d_table: (N, 16, 10, 10)
        # z[n,o,i,j] = b[o] + Σ_{c,u,v}(T[o, c]*a[n, c, i + u, j + v]*w[o, c, u, v])
        c3_f1 = c3_t[:, :, None, None]*c3_w  # (16, 6, 5, 5)
        h3_cols = ws.empty("h3_cols", (6, 5, 5, 10, 10, N), h3.dtype)
        for u in range(5):
            for v in range(5):
                h3_cols[:, u, v] = h3[:, u:u + 10, v:v + 10]
        c3_f0 = np.matmul(c3_f1.reshape(16, 150), h3_cols.reshape(150, 100*N), out=ws.empty("c3_f0", (16, 100*N), np.result_type(c3_f1, h3_cols))).reshape(16, 10, 10, N)
        np.add(c3_f0, c3_b[:, None, None, None], out=c3_f0)
        h4 = c3_f0  # in place

        # c3_f — rule scaled_tanh: (N, 16, 10, 10)
        # a[n,j] = A*tanh(S*z[n, j])
        np.multiply(h4, 2/3, out=h4)
        np.tanh(h4, out=h4)
        np.multiply(h4, 17159/10000, out=h4)
        h5 = h4  # in place

        # S4: trainable subsampling 2x2 — rule subsample2d: (N, 16, 5, 5)
        # z[n,c,i,j] = b[c] + w[c]*Σ_{u,v}(a[n, c, i*s + u, j*s + v])
        s4_f0 = ws.zeros("s4_f0", (16, 5, 5, N), np.result_type(h5))
        for u in range(2):
            for v in range(2):
                s4_f0 += (h5[:, u:u + 9:2, v:v + 9:2])
        np.multiply(s4_f0, s4_w[:, None, None, None], out=s4_f0)
        np.add(s4_f0, s4_b[:, None, None, None], out=s4_f0)
        h6 = s4_f0  # in place

        # s4_f — rule scaled_tanh: (N, 16, 5, 5)
        # a[n,j] = A*tanh(S*z[n, j])
        np.multiply(h6, 2/3, out=h6)
        np.tanh(h6, out=h6)
        np.multiply(h6, 17159/10000, out=h6)
        h7 = h6  # in place

        # C5: convolution 5x5 -> 120 maps — rule conv2d: (N, 120, 1, 1)
        # z[n,o,i,j] = b[o] + Σ_{c,u,v}(a[n, c, -P + i*s + u, -P + j*s + v]*w[o, c, u, v])
        h7_cols = ws.empty("h7_cols", (16, 1, 1, 5, 5, N), h7.dtype)
        for i in range(1):
            for j in range(1):
                h7_cols[:, i, j] = h7[:, i:i + 5, j:j + 5]
        c5_f0 = np.tensordot(c5_w, h7_cols, axes=([1, 2, 3], [0, 3, 4]))
        np.add(c5_f0, c5_b[:, None, None, None], out=c5_f0)
        h8 = c5_f0  # in place

        # c5_f — rule scaled_tanh: (N, 120, 1, 1)
        # a[n,j] = A*tanh(S*z[n, j])
        np.multiply(h8, 2/3, out=h8)
        np.tanh(h8, out=h8)
        np.multiply(h8, 17159/10000, out=h8)
        h9 = h8  # in place

        # 120 maps of 1x1 as 120 units — rule flatten: (N, 120)
        # z[n,c,y,x] = a[n, c, y, x]
        h10 = h9  # (120, 1, 1, N)
        h10 = h10.reshape(120, N)  # stored (120, N)

        # F6: 84 units — rule dense: (N, 84)
        # z[n,j] = b[j] + Σ_{i}(W[j, i]*a[n, i])
        f6_f0 = f6_w @ h10  # (84, N)
        np.add(f6_f0, f6_b[:, None], out=f6_f0)
        h11 = f6_f0  # in place

        # f6_f — rule scaled_tanh: (N, 84)
        # a[n,j] = A*tanh(S*z[n, j])
        np.multiply(h11, 2/3, out=h11)
        np.tanh(h11, out=h11)
        np.multiply(h11, 17159/10000, out=h11)
        h12 = h11  # in place

        # OUTPUT: 10 Euclidean RBF units — rule rbf: (N, 10)
        # y[n,k] = Σ_{j}((-w[k, j] + x[n, j])**2)
        h13 = ((h12.T - out_w[:, None, :])**2).sum(axis=2)  # (10, N)
        return h13, {"h1": h1, "h3": h3, "h5": h5, "h7": h7, "h9": h9, "h10": h10, "h12": h12, "h3_cols": h3_cols, "h7_cols": h7_cols, "x_cols": x_cols}

    def forward(self, x):
        """Class scores (N, 10): the output layer before the loss head."""
        scores, _ = self._forward(self._input(x))
        return scores.T.copy()

    def predict(self, x):
        """The class with the highest score, (N,) int."""
        return np.argmin(self.forward(x), axis=1)

    def loss_and_grads(self, x, y):
        """The batch loss and its gradient for every parameter, keyed like `params`."""
        x = self._input(x)
        N = x.shape[0]
        onehot = self._onehot(y, N)
        h13, saved = self._forward(x)
        h1 = saved["h1"]
        h3 = saved["h3"]
        h5 = saved["h5"]
        h7 = saved["h7"]
        h9 = saved["h9"]
        h10 = saved["h10"]
        h12 = saved["h12"]
        h3_cols = saved["h3_cols"]
        h7_cols = saved["h7_cols"]
        x_cols = saved["x_cols"]
        p = self.params
        ws = self._workspace
        c3_t = self.constants["c3_t"]
        c3_w = p["c3_w"]
        c5_w = p["c5_w"]
        f6_w = p["f6_w"]
        out_w = self.constants["out_w"]
        s2_w = p["s2_w"]
        s4_w = p["s4_w"]
        if self.loss == "paper":
            # rbf_map_loss: the 1998 paper's loss (its equation 9): the correct class's RBF output plus log(e^-j + Σ_i e^-y_i)
            # E = Σ_{n}(log(Σ_{m}(exp(-y[n, m])) + exp(-j0)) + Σ_{k}(t[n, k]*y[n, k]))/N
            paper0_f0 = np.einsum('kn,kn->n', h13, onehot)  # (N,)
            paper0_f1 = (-h13.T).max(axis=1)  # (N,)
            paper0_f2 = (np.exp(-h13.T - paper0_f1[:, None])).sum(axis=1)  # (N,)
            paper0_f3 = (paper0_f0 + np.log(paper0_f2*np.exp(paper0_f1) + np.exp(-1))).sum()  # ()
            loss = paper0_f3/N  # ()
            # dJ/dy[n',k'] = g*(t[n', k'] - exp(-y[n', k'])/(Σ_{m}(exp(-y[n', m])) + exp(-j0)))/N
            paper0_dy0 = (-h13.T).max(axis=1)  # (N,)
            paper0_dy1 = (np.exp(-h13.T - paper0_dy0[:, None])).sum(axis=1)  # (N,)
            g_h13_1 = ws.empty("g_h13_1", (10, N), np.result_type(h13, onehot))
            np.multiply(h13, -1, out=g_h13_1)
            np.exp(g_h13_1, out=g_h13_1)
            np.multiply(g_h13_1, 1/(paper0_dy1*np.exp(paper0_dy0) + np.exp(-1)), out=g_h13_1)
            np.subtract(onehot, g_h13_1, out=h13)
            np.multiply(h13, 1/N, out=h13)
            g_h13 = h13  # in place
        else:
            raise ValueError(f"LeNet5Paper: unknown loss {self.loss!r}")

        # OUTPUT: 10 Euclidean RBF units — rule rbf
        # dJ/dx[n',j'] = 2*Σ_{k}((-w[k, j'] + x[n', j'])*g[n', k])
        out_dx0 = np.einsum('jnk,nk->jn', h12[:, :, None] - out_w.T[:, None, :], g_h13.T)  # (84, N)
        np.multiply(out_dx0, 2, out=out_dx0)
        g_h12 = out_dx0  # in place

        # f6_f — rule scaled_tanh
        # dJ/dz[n',j'] = S*(A**2 - a[n', j']**2)*g[n', j']/A
        np.multiply(h12, h12, out=h12)
        np.subtract(294431281/100000000, h12, out=h12)
        np.multiply(h12, g_h12, out=h12)
        np.multiply(h12, 20000/51477, out=h12)
        g_h11 = h12  # in place

        # F6: 84 units — rule dense
        # dJ/da[n',i'] = Σ_{j}(W[j, i']*g[n', j])
        g_h10 = f6_w.T @ g_h11  # (120, N)
        # dJ/dW[j',i'] = Σ_{n}(a[n, i']*g[n, j'])
        grad_f6_w = g_h11 @ h10.T  # (84, 120)
        # dJ/db[j'] = Σ_{n}(g[n, j'])
        grad_f6_b = g_h11.sum(axis=1)  # (84,)

        # 120 maps of 1x1 as 120 units — rule flatten
        # dJ/da[n',c',y',x'] = g[n', c', y', x']
        g_h10 = g_h10.reshape(120, 1, 1, N)
        g_h9 = g_h10  # (120, 1, 1, N)

        # c5_f — rule scaled_tanh
        # dJ/dz[n',j'] = S*(A**2 - a[n', j']**2)*g[n', j']/A
        g_h8 = ws.empty("g_h8", (120, 1, 1, N), np.result_type(g_h9, h9))
        np.multiply(h9, h9, out=g_h8)
        np.subtract(294431281/100000000, g_h8, out=g_h8)
        np.multiply(g_h8, g_h9, out=g_h8)
        np.multiply(g_h8, 20000/51477, out=g_h8)

        # C5: convolution 5x5 -> 120 maps — rule conv2d
        # dJ/da[n',c',p,q] = Σ_{o,u,v}(Piecewise((g[n', o, (P + p - u)/s, (P + q - v)/s]*w[o, c', u, v], Eq(Mod(P + p - u, s), 0) & Eq(Mod(P + q - v, s), 0)), (0, True)))
        g_h8_padded = _pad(g_h8, ((0, 0), (4, 4), (4, 4), (0, 0),))
        g_h8_cols = ws.empty("g_h8_cols", (120, 5, 5, 5, 5, N), g_h8.dtype)
        for p in range(5):
            for q in range(5):
                g_h8_cols[:, p, q] = g_h8_padded[:, _span(p + 4, -1, 5), _span(q + 4, -1, 5)]
        c5_da0 = np.tensordot(c5_w, g_h8_cols, axes=([0, 2, 3], [0, 3, 4]))
        g_h7 = c5_da0  # (16, 5, 5, N)
        # dJ/dw[o',c',u',v'] = Σ_{n,i,j}(a[n, c', -P + i*s + u', -P + j*s + v']*g[n, o', i, j])
        c5_dw0 = np.tensordot(g_h8, h7_cols, axes=([1, 2, 3], [1, 2, 5]))
        grad_c5_w = c5_dw0  # (120, 16, 5, 5)
        # dJ/db[o'] = Σ_{n,i,j}(g[n, o', i, j])
        grad_c5_b = g_h8.sum(axis=(3, 1, 2))  # (120,)

        # s4_f — rule scaled_tanh
        # dJ/dz[n',j'] = S*(A**2 - a[n', j']**2)*g[n', j']/A
        np.multiply(h7, h7, out=h7)
        np.subtract(294431281/100000000, h7, out=h7)
        np.multiply(h7, g_h7, out=h7)
        np.multiply(h7, 20000/51477, out=h7)
        g_h6 = h7  # in place

        # S4: trainable subsampling 2x2 — rule subsample2d
        # dJ/da[n',c',p,q] = Σ_{u,v}(Piecewise((g[n', c', (p - u)/s, (q - v)/s]*w[c'], Eq(Mod(p - u, s), 0) & Eq(Mod(q - v, s), 0)), (0, True)))
        s4_da0 = ws.empty("s4_da0", (16, 10, 10, N), np.result_type(g_h6))
        for u in range(2):
            for v in range(2):
                s4_da0[:, u:u + 9:2, v:v + 9:2] = g_h6
        np.multiply(s4_da0, s4_w[:, None, None, None], out=s4_da0)
        g_h5 = s4_da0  # in place
        # dJ/dw[c'] = Σ_{n,i,j}(g[n, c', i, j]*Σ_{u,v}(a[n, c', i*s + u, j*s + v]))
        s4_dw0 = ws.zeros("s4_dw0", (16, 5, 5, N), np.result_type(h5))
        for u in range(2):
            for v in range(2):
                s4_dw0 += (h5[:, u:u + 9:2, v:v + 9:2])
        grad_s4_w = np.einsum('cijn,cijn->c', g_h6, s4_dw0)  # (16,)
        # dJ/db[c'] = Σ_{n,i,j}(g[n, c', i, j])
        grad_s4_b = g_h6.sum(axis=(3, 1, 2))  # (16,)

        # c3_f — rule scaled_tanh
        # dJ/dz[n',j'] = S*(A**2 - a[n', j']**2)*g[n', j']/A
        np.multiply(h5, h5, out=h5)
        np.subtract(294431281/100000000, h5, out=h5)
        np.multiply(h5, g_h5, out=h5)
        np.multiply(h5, 20000/51477, out=h5)
        g_h4 = h5  # in place

        # C3: convolution 5x5 through the connection table -> 16 maps — rule conv2d_table
        # dJ/da[n',c',p,q] = Σ_{o,u,v}(T[o, c']*g[n', o, p - u, q - v]*w[o, c', u, v])
        c3_da0_cols = np.einsum('oc,ocuv,oabn->cuvabn', c3_t, c3_w, g_h4, optimize=True)
        c3_da0 = ws.zeros("c3_da0", (6, 14, 14, N), np.result_type(c3_t, c3_w, g_h4))
        for u in range(5):
            for v in range(5):
                c3_da0[:, u:u + 10, v:v + 10] += c3_da0_cols[:, u, v]
        g_h3 = c3_da0  # (6, 14, 14, N)
        # dJ/dw[o',c',u',v'] = T[o', c']*Σ_{n,i,j}(a[n, c', i + u', j + v']*g[n, o', i, j])
        c3_dw0 = _matmul_split(g_h4.reshape(16, 100*N), h3_cols.reshape(150, 100*N).T, 4096).reshape(16, 6, 5, 5)
        grad_c3_w = c3_dw0*c3_t[:, :, None, None]  # (16, 6, 5, 5)
        # dJ/db[o'] = Σ_{n,i,j}(g[n, o', i, j])
        grad_c3_b = g_h4.sum(axis=(3, 1, 2))  # (16,)

        # s2_f — rule scaled_tanh
        # dJ/dz[n',j'] = S*(A**2 - a[n', j']**2)*g[n', j']/A
        np.multiply(h3, h3, out=h3)
        np.subtract(294431281/100000000, h3, out=h3)
        np.multiply(h3, g_h3, out=h3)
        np.multiply(h3, 20000/51477, out=h3)
        g_h2 = h3  # in place

        # S2: trainable subsampling 2x2 — rule subsample2d
        # dJ/da[n',c',p,q] = Σ_{u,v}(Piecewise((g[n', c', (p - u)/s, (q - v)/s]*w[c'], Eq(Mod(p - u, s), 0) & Eq(Mod(q - v, s), 0)), (0, True)))
        s2_da0 = ws.empty("s2_da0", (6, 28, 28, N), np.result_type(g_h2))
        for u in range(2):
            for v in range(2):
                s2_da0[:, u:u + 27:2, v:v + 27:2] = g_h2
        np.multiply(s2_da0, s2_w[:, None, None, None], out=s2_da0)
        g_h1 = s2_da0  # in place
        # dJ/dw[c'] = Σ_{n,i,j}(g[n, c', i, j]*Σ_{u,v}(a[n, c', i*s + u, j*s + v]))
        s2_dw0 = ws.zeros("s2_dw0", (6, 14, 14, N), np.result_type(h1))
        for u in range(2):
            for v in range(2):
                s2_dw0 += (h1[:, u:u + 27:2, v:v + 27:2])
        grad_s2_w = np.einsum('cijn,cijn->c', g_h2, s2_dw0)  # (6,)
        # dJ/db[c'] = Σ_{n,i,j}(g[n, c', i, j])
        grad_s2_b = g_h2.sum(axis=(3, 1, 2))  # (6,)

        # c1_f — rule scaled_tanh
        # dJ/dz[n',j'] = S*(A**2 - a[n', j']**2)*g[n', j']/A
        np.multiply(h1, h1, out=h1)
        np.subtract(294431281/100000000, h1, out=h1)
        np.multiply(h1, g_h1, out=h1)
        np.multiply(h1, 20000/51477, out=h1)
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
            "s2_w": grad_s2_w,
            "s2_b": grad_s2_b,
            "c3_w": grad_c3_w,
            "c3_b": grad_c3_b,
            "s4_w": grad_s4_w,
            "s4_b": grad_s4_b,
            "c5_w": grad_c5_w,
            "c5_b": grad_c5_b,
            "f6_w": grad_f6_w,
            "f6_b": grad_f6_b,
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
            raise ValueError(f"{path}: not a LeNet5Paper file (no __meta__ entry)")
        dtype, loss = (str(v) for v in stored.pop("__meta__"))
        missing, extra = sorted(set(PARAMS) - set(stored)), sorted(set(stored) - set(PARAMS))
        if missing or extra:
            raise ValueError(f"{path}: parameters do not match LeNet5Paper: "
                             f"missing {missing}, unexpected {extra}")
        for key, shape in PARAMS.items():
            if stored[key].shape != shape:
                raise ValueError(f"{path}: parameter {key!r} has shape {stored[key].shape}, "
                                 f"LeNet5Paper needs {shape}")
        net = cls(dtype=dtype, loss=loss)
        net.params = {key: stored[key].astype(net.dtype) for key in PARAMS}
        return net
