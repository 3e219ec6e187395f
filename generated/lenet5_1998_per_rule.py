# generated from network lenet5_1998 by derive — do not edit; regenerate with `make`.
r"""LeNet-5 as published (LeCun, Bottou, Bengio and Haffner 1998, section II-B): trainable subsampling, C3's connection table, squashing 1.7159 tanh(2a/3), Euclidean RBF outputs, the loss of the paper's equation (9): the per-rule path.

Each layer is a call of its rule's generated kernel, in the kernels' (N, C, H, W) layout: the
reference the whole-network lowering (`lenet5_1998.py`) is tested against.

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

Built from the generated kernels; each backward call passes exactly the arrays that kernel's
derived gradient reads (its BACKWARD_ARGS). Heads: paper.
"""
import numpy as np

from . import conv2d, conv2d_table, dense, flatten, rbf, rbf_map_loss, scaled_tanh, subsample2d

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


class LeNet5PaperPerRule:
    """LeNet-5 as published (LeCun, Bottou, Bengio and Haffner 1998, section II-B): trainable subsampling, C3's connection table, squashing 1.7159 tanh(2a/3), Euclidean RBF outputs, the loss of the paper's equation (9).

    params: dict of arrays keyed like PARAMS. Weights start uniform in +-sqrt(3 / fan_in)
    (LeCun's rule for tanh units), biases at zero, from `np.random.default_rng(seed)`.
    """

    def __init__(self, seed=0, dtype="float32", loss="paper"):
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"LeNet5PaperPerRule: dtype must be float32 or float64, got {dtype!r}")
        if loss not in LOSSES:
            raise ValueError(f"LeNet5PaperPerRule: loss must be one of {LOSSES}, got {loss!r}")
        self.loss = loss
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
            raise ValueError(f"LeNet5PaperPerRule: x must have shape (N, 1, 32, 32), got {x.shape}")
        if len(x) == 0:
            raise ValueError("LeNet5PaperPerRule: x holds no images")
        if x.dtype.kind != "f":
            raise ValueError(f"LeNet5PaperPerRule: x must be a float array, got {x.dtype}")
        return x.astype(self.dtype, copy=False)

    def _onehot(self, y, n):
        y = np.asarray(y)
        if y.shape != (n,) or y.dtype.kind not in "iu":
            raise ValueError(f"LeNet5PaperPerRule: y must be {n} integer labels, got {y.dtype} {y.shape}")
        if n and (y.min() < 0 or y.max() >= CLASSES):
            raise ValueError(f"LeNet5PaperPerRule: labels must lie in 0..{CLASSES - 1}")
        onehot = np.zeros((n, CLASSES), dtype=self.dtype)  # (N, CLASSES)
        onehot[np.arange(n), y] = 1
        return onehot

    def _forward(self, x):
        p = self.params
        h0 = conv2d.forward(x, p["c1_w"], p["c1_b"])  # C1: convolution 5x5 -> 6 maps: (N, 6, 28, 28)
        h1 = scaled_tanh.forward(h0.reshape(len(x), -1)).reshape(h0.shape)  # c1_f: (N, 6, 28, 28)
        h2 = subsample2d.forward(h1, p["s2_w"], p["s2_b"], size=2, stride=2)  # S2: trainable subsampling 2x2: (N, 6, 14, 14)
        h3 = scaled_tanh.forward(h2.reshape(len(x), -1)).reshape(h2.shape)  # s2_f: (N, 6, 14, 14)
        h4 = conv2d_table.forward(h3, p["c3_w"], p["c3_b"], self.constants["c3_t"])  # C3: convolution 5x5 through the connection table -> 16 maps: (N, 16, 10, 10)
        h5 = scaled_tanh.forward(h4.reshape(len(x), -1)).reshape(h4.shape)  # c3_f: (N, 16, 10, 10)
        h6 = subsample2d.forward(h5, p["s4_w"], p["s4_b"], size=2, stride=2)  # S4: trainable subsampling 2x2: (N, 16, 5, 5)
        h7 = scaled_tanh.forward(h6.reshape(len(x), -1)).reshape(h6.shape)  # s4_f: (N, 16, 5, 5)
        h8 = conv2d.forward(h7, p["c5_w"], p["c5_b"])  # C5: convolution 5x5 -> 120 maps: (N, 120, 1, 1)
        h9 = scaled_tanh.forward(h8.reshape(len(x), -1)).reshape(h8.shape)  # c5_f: (N, 120, 1, 1)
        h10 = flatten.forward(h9)  # 120 maps of 1x1 as 120 units: (N, 120)
        h11 = dense.forward(h10, p["f6_w"], p["f6_b"])  # F6: 84 units: (N, 84)
        h12 = scaled_tanh.forward(h11)  # f6_f: (N, 84)
        h13 = rbf.forward(h12, self.constants["out_w"])  # OUTPUT: 10 Euclidean RBF units: (N, 10)
        return {"h0": h0, "h1": h1, "h2": h2, "h3": h3, "h4": h4, "h5": h5, "h6": h6, "h7": h7, "h8": h8, "h9": h9, "h10": h10, "h11": h11, "h12": h12, "h13": h13}

    def forward(self, x):
        """Class scores (N, 10): the output layer before the loss head."""
        return self._forward(self._input(x))["h13"]

    def predict(self, x):
        """The class with the highest score, (N,) int."""
        return np.argmin(self.forward(x), axis=1)

    def loss_and_grads(self, x, y):
        """The batch loss and its gradient for every parameter, keyed like `params`."""
        x = self._input(x)
        onehot = self._onehot(y, len(x))
        h = self._forward(x)
        h["x"] = x
        p = self.params
        grads = {}
        if self.loss == "paper":
            loss = rbf_map_loss.forward(h["h13"], onehot)
            g = rbf_map_loss.backward(1.0, h["h13"], onehot)["y"]
        # OUTPUT: 10 Euclidean RBF units
        d = rbf.backward(g, h["h12"], self.constants["out_w"], wrt=("x", ))
        g = d["x"]
        # f6_f
        d = scaled_tanh.backward(g, h["h12"], wrt=("z", ))
        g = d["z"]
        # F6: 84 units
        d = dense.backward(g, h["h10"], p["f6_w"], wrt=("W", "b", "a", ))
        grads["f6_w"] = d["W"]
        grads["f6_b"] = d["b"]
        g = d["a"]
        # 120 maps of 1x1 as 120 units
        d = flatten.backward(g, h["h9"], wrt=("a", ))
        g = d["a"]
        # c5_f
        d = scaled_tanh.backward(g.reshape(len(x), -1), h["h9"].reshape(len(x), -1), wrt=("z", ))
        d = {key: value.reshape(h["h8"].shape) for key, value in d.items()}
        g = d["z"]
        # C5: convolution 5x5 -> 120 maps
        d = conv2d.backward(g, h["h7"], p["c5_w"], wrt=("w", "b", "a", ))
        grads["c5_w"] = d["w"]
        grads["c5_b"] = d["b"]
        g = d["a"]
        # s4_f
        d = scaled_tanh.backward(g.reshape(len(x), -1), h["h7"].reshape(len(x), -1), wrt=("z", ))
        d = {key: value.reshape(h["h6"].shape) for key, value in d.items()}
        g = d["z"]
        # S4: trainable subsampling 2x2
        d = subsample2d.backward(g, h["h5"], p["s4_w"], size=2, stride=2, wrt=("w", "b", "a", ))
        grads["s4_w"] = d["w"]
        grads["s4_b"] = d["b"]
        g = d["a"]
        # c3_f
        d = scaled_tanh.backward(g.reshape(len(x), -1), h["h5"].reshape(len(x), -1), wrt=("z", ))
        d = {key: value.reshape(h["h4"].shape) for key, value in d.items()}
        g = d["z"]
        # C3: convolution 5x5 through the connection table -> 16 maps
        d = conv2d_table.backward(g, h["h3"], p["c3_w"], self.constants["c3_t"], wrt=("w", "b", "a", ))
        grads["c3_w"] = d["w"]
        grads["c3_b"] = d["b"]
        g = d["a"]
        # s2_f
        d = scaled_tanh.backward(g.reshape(len(x), -1), h["h3"].reshape(len(x), -1), wrt=("z", ))
        d = {key: value.reshape(h["h2"].shape) for key, value in d.items()}
        g = d["z"]
        # S2: trainable subsampling 2x2
        d = subsample2d.backward(g, h["h1"], p["s2_w"], size=2, stride=2, wrt=("w", "b", "a", ))
        grads["s2_w"] = d["w"]
        grads["s2_b"] = d["b"]
        g = d["a"]
        # c1_f
        d = scaled_tanh.backward(g.reshape(len(x), -1), h["h1"].reshape(len(x), -1), wrt=("z", ))
        d = {key: value.reshape(h["h0"].shape) for key, value in d.items()}
        g = d["z"]
        # C1: convolution 5x5 -> 6 maps
        d = conv2d.backward(g, h["x"], p["c1_w"], wrt=("w", "b", ))
        grads["c1_w"] = d["w"]
        grads["c1_b"] = d["b"]
        return float(loss), grads

    def gauss_newton_diagonal(self, x, y):
        """The Gauss-Newton diagonal of the batch-mean loss for every parameter, keyed like
        `params`: each kernel's derived gauss_newton(h, ...) in reverse, h starting at the loss's
        second derivative (LeCun et al. 1998, appendix C: squared Jacobians, each layer's
        diagonal only, a layer's own second derivative where it reads no input); the gradient g
        runs beside it for the layers that need it."""
        x = self._input(x)
        onehot = self._onehot(y, len(x))
        h = self._forward(x)
        h["x"] = x
        p = self.params
        diagonal = {}
        if self.loss == "paper":
            loss = rbf_map_loss.forward(h["h13"], onehot)
            hh = rbf_map_loss.gauss_newton(1.0, h["h13"])["y"]
            g = rbf_map_loss.backward(1.0, h["h13"], onehot)["y"]
        # OUTPUT: 10 Euclidean RBF units
        d = rbf.gauss_newton(hh, g, h["h12"], self.constants["out_w"], wrt=("x", ))
        hh = d["x"]
        g = rbf.backward(g, h["h12"], self.constants["out_w"], wrt=("x",))["x"]
        # f6_f
        d = scaled_tanh.gauss_newton(hh, h["h12"], wrt=("z", ))
        hh = d["z"]
        g = scaled_tanh.backward(g, h["h12"], wrt=("z",))["z"]
        # F6: 84 units
        d = dense.gauss_newton(hh, h["h10"], p["f6_w"], wrt=("W", "b", "a", ))
        diagonal["f6_w"] = d["W"]
        diagonal["f6_b"] = d["b"]
        hh = d["a"]
        g = dense.backward(g, h["h10"], p["f6_w"], wrt=("a",))["a"]
        # 120 maps of 1x1 as 120 units
        d = flatten.gauss_newton(hh, h["h9"], wrt=("a", ))
        hh = d["a"]
        g = flatten.backward(g, h["h9"], wrt=("a",))["a"]
        # c5_f
        d = scaled_tanh.gauss_newton(hh.reshape(len(x), -1), h["h9"].reshape(len(x), -1), wrt=("z", ))
        d = {key: value.reshape(h["h8"].shape) for key, value in d.items()}
        hh = d["z"]
        g = scaled_tanh.backward(g.reshape(len(x), -1), h["h9"].reshape(len(x), -1), wrt=("z",))["z"].reshape(h["h8"].shape)
        # C5: convolution 5x5 -> 120 maps
        d = conv2d.gauss_newton(hh, h["h7"], p["c5_w"], wrt=("w", "b", "a", ))
        diagonal["c5_w"] = d["w"]
        diagonal["c5_b"] = d["b"]
        hh = d["a"]
        g = conv2d.backward(g, h["h7"], p["c5_w"], wrt=("a",))["a"]
        # s4_f
        d = scaled_tanh.gauss_newton(hh.reshape(len(x), -1), h["h7"].reshape(len(x), -1), wrt=("z", ))
        d = {key: value.reshape(h["h6"].shape) for key, value in d.items()}
        hh = d["z"]
        g = scaled_tanh.backward(g.reshape(len(x), -1), h["h7"].reshape(len(x), -1), wrt=("z",))["z"].reshape(h["h6"].shape)
        # S4: trainable subsampling 2x2
        d = subsample2d.gauss_newton(hh, h["h5"], p["s4_w"], size=2, stride=2, wrt=("w", "b", "a", ))
        diagonal["s4_w"] = d["w"]
        diagonal["s4_b"] = d["b"]
        hh = d["a"]
        g = subsample2d.backward(g, h["h5"], p["s4_w"], size=2, stride=2, wrt=("a",))["a"]
        # c3_f
        d = scaled_tanh.gauss_newton(hh.reshape(len(x), -1), h["h5"].reshape(len(x), -1), wrt=("z", ))
        d = {key: value.reshape(h["h4"].shape) for key, value in d.items()}
        hh = d["z"]
        g = scaled_tanh.backward(g.reshape(len(x), -1), h["h5"].reshape(len(x), -1), wrt=("z",))["z"].reshape(h["h4"].shape)
        # C3: convolution 5x5 through the connection table -> 16 maps
        d = conv2d_table.gauss_newton(hh, h["h3"], p["c3_w"], self.constants["c3_t"], wrt=("w", "b", "a", ))
        diagonal["c3_w"] = d["w"]
        diagonal["c3_b"] = d["b"]
        hh = d["a"]
        g = conv2d_table.backward(g, h["h3"], p["c3_w"], self.constants["c3_t"], wrt=("a",))["a"]
        # s2_f
        d = scaled_tanh.gauss_newton(hh.reshape(len(x), -1), h["h3"].reshape(len(x), -1), wrt=("z", ))
        d = {key: value.reshape(h["h2"].shape) for key, value in d.items()}
        hh = d["z"]
        g = scaled_tanh.backward(g.reshape(len(x), -1), h["h3"].reshape(len(x), -1), wrt=("z",))["z"].reshape(h["h2"].shape)
        # S2: trainable subsampling 2x2
        d = subsample2d.gauss_newton(hh, h["h1"], p["s2_w"], size=2, stride=2, wrt=("w", "b", "a", ))
        diagonal["s2_w"] = d["w"]
        diagonal["s2_b"] = d["b"]
        hh = d["a"]
        g = subsample2d.backward(g, h["h1"], p["s2_w"], size=2, stride=2, wrt=("a",))["a"]
        # c1_f
        d = scaled_tanh.gauss_newton(hh.reshape(len(x), -1), h["h1"].reshape(len(x), -1), wrt=("z", ))
        d = {key: value.reshape(h["h0"].shape) for key, value in d.items()}
        hh = d["z"]
        g = scaled_tanh.backward(g.reshape(len(x), -1), h["h1"].reshape(len(x), -1), wrt=("z",))["z"].reshape(h["h0"].shape)
        # C1: convolution 5x5 -> 6 maps
        d = conv2d.gauss_newton(hh, h["x"], p["c1_w"], wrt=("w", "b", ))
        diagonal["c1_w"] = d["w"]
        diagonal["c1_b"] = d["b"]
        return diagonal

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
            raise ValueError(f"{path}: not a LeNet5PaperPerRule file (no __meta__ entry)")
        dtype, loss = (str(v) for v in stored.pop("__meta__"))
        missing, extra = sorted(set(PARAMS) - set(stored)), sorted(set(stored) - set(PARAMS))
        if missing or extra:
            raise ValueError(f"{path}: parameters do not match LeNet5PaperPerRule: "
                             f"missing {missing}, unexpected {extra}")
        for key, shape in PARAMS.items():
            if stored[key].shape != shape:
                raise ValueError(f"{path}: parameter {key!r} has shape {stored[key].shape}, "
                                 f"LeNet5PaperPerRule needs {shape}")
        net = cls(dtype=dtype, loss=loss)
        net.params = {key: stored[key].astype(net.dtype) for key in PARAMS}
        return net
