# generated from network lenet5 by derive — do not edit; regenerate with `make`.
r"""LeNet-5 (LeCun et al. 1998), the article's variant: full C3, average pooling, tanh: the per-rule path.

Each layer is a call of its rule's generated kernel, in the kernels' (N, C, H, W) layout: the
reference the whole-network lowering (`lenet5.py`) is tested against.

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

Built from the generated kernels; each backward call passes exactly the arrays that kernel's
derived gradient reads (its BACKWARD_ARGS). Heads: cross_entropy, mse.
"""
import numpy as np

from . import avgpool2d, conv2d, dense, flatten, mse, softmax_cross_entropy, tanh

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


class LeNet5PerRule:
    """LeNet-5 (LeCun et al. 1998), the article's variant: full C3, average pooling, tanh.

    params: dict of arrays keyed like PARAMS. Weights start uniform in +-sqrt(3 / fan_in)
    (LeCun's rule for tanh units), biases at zero, from `np.random.default_rng(seed)`.
    """

    def __init__(self, seed=0, dtype="float32", loss="cross_entropy"):
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"LeNet5PerRule: dtype must be float32 or float64, got {dtype!r}")
        if loss not in LOSSES:
            raise ValueError(f"LeNet5PerRule: loss must be one of {LOSSES}, got {loss!r}")
        self.loss = loss
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
            raise ValueError(f"LeNet5PerRule: x must have shape (N, 1, 32, 32), got {x.shape}")
        if len(x) == 0:
            raise ValueError("LeNet5PerRule: x holds no images")
        if x.dtype.kind != "f":
            raise ValueError(f"LeNet5PerRule: x must be a float array, got {x.dtype}")
        return x.astype(self.dtype, copy=False)

    def _onehot(self, y, n):
        y = np.asarray(y)
        if y.shape != (n,) or y.dtype.kind not in "iu":
            raise ValueError(f"LeNet5PerRule: y must be {n} integer labels, got {y.dtype} {y.shape}")
        if n and (y.min() < 0 or y.max() >= CLASSES):
            raise ValueError(f"LeNet5PerRule: labels must lie in 0..{CLASSES - 1}")
        onehot = np.zeros((n, CLASSES), dtype=self.dtype)  # (N, CLASSES)
        onehot[np.arange(n), y] = 1
        return onehot

    def _forward(self, x):
        p = self.params
        h0 = conv2d.forward(x, p["c1_w"], p["c1_b"])  # C1: convolution 5x5 -> 6 maps: (N, 6, 28, 28)
        h1 = tanh.forward(h0.reshape(len(x), -1)).reshape(h0.shape)  # c1_tanh: (N, 6, 28, 28)
        h2 = avgpool2d.forward(h1, size=2, stride=2)  # S2: average pooling 2x2: (N, 6, 14, 14)
        h3 = conv2d.forward(h2, p["c3_w"], p["c3_b"])  # C3: convolution 5x5 -> 16 maps: (N, 16, 10, 10)
        h4 = tanh.forward(h3.reshape(len(x), -1)).reshape(h3.shape)  # c3_tanh: (N, 16, 10, 10)
        h5 = avgpool2d.forward(h4, size=2, stride=2)  # S4: average pooling 2x2: (N, 16, 5, 5)
        h6 = flatten.forward(h5)  # flatten 16x5x5 -> 400: (N, 400)
        h7 = dense.forward(h6, p["c5_w"], p["c5_b"])  # C5: dense 120: (N, 120)
        h8 = tanh.forward(h7)  # c5_tanh: (N, 120)
        h9 = dense.forward(h8, p["f6_w"], p["f6_b"])  # F6: dense 84: (N, 84)
        h10 = tanh.forward(h9)  # f6_tanh: (N, 84)
        h11 = dense.forward(h10, p["out_w"], p["out_b"])  # OUTPUT: dense 10: (N, 10)
        return {"h0": h0, "h1": h1, "h2": h2, "h3": h3, "h4": h4, "h5": h5, "h6": h6, "h7": h7, "h8": h8, "h9": h9, "h10": h10, "h11": h11}

    def forward(self, x):
        """Class scores (N, 10): the output layer before the loss head."""
        return self._forward(self._input(x))["h11"]

    def predict(self, x):
        """The class with the highest score, (N,) int."""
        return np.argmax(self.forward(x), axis=1)

    def loss_and_grads(self, x, y):
        """The batch loss and its gradient for every parameter, keyed like `params`."""
        x = self._input(x)
        onehot = self._onehot(y, len(x))
        h = self._forward(x)
        h["x"] = x
        p = self.params
        grads = {}
        if self.loss == "cross_entropy":
            loss = softmax_cross_entropy.forward(h["h11"], onehot)
            g = softmax_cross_entropy.backward(1.0, h["h11"], onehot)["z"]
        elif self.loss == "mse":
            mse_a = tanh.forward(h["h11"])
            loss = mse.forward(mse_a, onehot)
            g = mse.backward(1.0, mse_a, onehot)["a"]
            g = tanh.backward(g, mse_a)["z"]
        # OUTPUT: dense 10
        d = dense.backward(g, h["h10"], p["out_w"], wrt=("W", "b", "a", ))
        grads["out_w"] = d["W"]
        grads["out_b"] = d["b"]
        g = d["a"]
        # f6_tanh
        d = tanh.backward(g, h["h10"], wrt=("z", ))
        g = d["z"]
        # F6: dense 84
        d = dense.backward(g, h["h8"], p["f6_w"], wrt=("W", "b", "a", ))
        grads["f6_w"] = d["W"]
        grads["f6_b"] = d["b"]
        g = d["a"]
        # c5_tanh
        d = tanh.backward(g, h["h8"], wrt=("z", ))
        g = d["z"]
        # C5: dense 120
        d = dense.backward(g, h["h6"], p["c5_w"], wrt=("W", "b", "a", ))
        grads["c5_w"] = d["W"]
        grads["c5_b"] = d["b"]
        g = d["a"]
        # flatten 16x5x5 -> 400
        d = flatten.backward(g, h["h5"], wrt=("a", ))
        g = d["a"]
        # S4: average pooling 2x2
        d = avgpool2d.backward(g, h["h4"], size=2, stride=2, wrt=("a", ))
        g = d["a"]
        # c3_tanh
        d = tanh.backward(g.reshape(len(x), -1), h["h4"].reshape(len(x), -1), wrt=("z", ))
        d = {key: value.reshape(h["h3"].shape) for key, value in d.items()}
        g = d["z"]
        # C3: convolution 5x5 -> 16 maps
        d = conv2d.backward(g, h["h2"], p["c3_w"], wrt=("w", "b", "a", ))
        grads["c3_w"] = d["w"]
        grads["c3_b"] = d["b"]
        g = d["a"]
        # S2: average pooling 2x2
        d = avgpool2d.backward(g, h["h1"], size=2, stride=2, wrt=("a", ))
        g = d["a"]
        # c1_tanh
        d = tanh.backward(g.reshape(len(x), -1), h["h1"].reshape(len(x), -1), wrt=("z", ))
        d = {key: value.reshape(h["h0"].shape) for key, value in d.items()}
        g = d["z"]
        # C1: convolution 5x5 -> 6 maps
        d = conv2d.backward(g, h["x"], p["c1_w"], wrt=("w", "b", ))
        grads["c1_w"] = d["w"]
        grads["c1_b"] = d["b"]
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
            raise ValueError(f"{path}: not a LeNet5PerRule file (no __meta__ entry)")
        dtype, loss = (str(v) for v in stored.pop("__meta__"))
        missing, extra = sorted(set(PARAMS) - set(stored)), sorted(set(stored) - set(PARAMS))
        if missing or extra:
            raise ValueError(f"{path}: parameters do not match LeNet5PerRule: "
                             f"missing {missing}, unexpected {extra}")
        for key, shape in PARAMS.items():
            if stored[key].shape != shape:
                raise ValueError(f"{path}: parameter {key!r} has shape {stored[key].shape}, "
                                 f"LeNet5PerRule needs {shape}")
        net = cls(dtype=dtype, loss=loss)
        net.params = {key: stored[key].astype(net.dtype) for key in PARAMS}
        return net
