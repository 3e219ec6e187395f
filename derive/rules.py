"""The rule table: one entry per layer, each only its forward expression.

Contract of an entry (see `rule.Rule`):
- `output[index] = expr`: the forward computation in index notation, with `IndexedBase` reads of the
  declared tensors, bounded `Sum`s and symbolic sizes. Nothing about the gradient is written here:
  `derive.differentiate` obtains every vector-Jacobian product from `expr` alone.
- tensors: `input` (activations, differentiated), `param` (trained, differentiated),
  `label` (data, not differentiated).
- `facts`: equations the math may use, with the free indices read as "for all".
- `constants`: symbols kept in the derivation, replaced by their value in the kernels.
- losses are scalars averaged over the batch (`1/N Σ_n`).
"""
from __future__ import annotations

import sympy as sp
from sympy import Eq, Piecewise, Rational, Sum, exp, log, tanh

from derive.symbolic.rule import Rule, Tensor, indices, sizes
from derive.symbolic.stable import ReduceMax

n, i, j, k, m, r = indices("n i j k m r")
y2, x2, y3, x3, x_ = indices("y2 x2 y3 x3 x")
c, o, u, v, y, x = indices("c o u v y x")
N, I, J, K = sizes("N I J K")
C, H, W, O, KH, KW = sizes("C H W O KH KW")
OH, OW = sizes("OH OW")
A, S = sp.symbols("A S", positive=True)
stride, window = sp.symbols("s k", integer=True, positive=True)
pad = sp.Symbol("P", integer=True, nonnegative=True)
eps = sp.Symbol("epsilon", positive=True)
j0 = sp.Symbol("j0", positive=True)  # the paper's positive constant j in its equation (9)
rate = sp.Symbol("p", real=True, nonnegative=True)  # a real option: the probability of dropping


def _activation(name: str, f, doc: str, constants=()) -> Rule:
    """An elementwise rule a[n, j] = f(z[n, j]); f maps a SymPy expression to one."""
    z = Tensor("z", (N, J))
    return Rule(name, Tensor("a", (N, J)), (n, j), f(z[n, j]), (z,), doc=doc,
                constants=tuple(constants))


def _table() -> dict[str, Rule]:
    a, W, b = Tensor("a", (N, I)), Tensor("W", (J, I), "param"), Tensor("b", (J,), "param")
    zk, ak, yk = Tensor("z", (N, K)), Tensor("a", (N, K)), Tensor("y", (N, K), "label")
    a2, mask = Tensor("a", (N, J)), Tensor("m", (N, J), "label")  # the mask: 1 keeps, 0 drops
    rules = [
        Rule("dense", Tensor("z", (N, J)), (n, j), Sum(W[j, i] * a[n, i], (i, 0, I - 1)) + b[j],
             (a, W, b), doc="fully connected layer"),
        _activation("tanh", tanh, "hyperbolic tangent"),
        _activation("scaled_tanh", lambda x: A * tanh(S * x), "LeCun's scaled tanh A tanh(S z)",
                    constants=((A, Rational("1.7159")), (S, Rational(2, 3)))),
        _activation("sigmoid", lambda x: 1 / (1 + exp(-x)), "logistic sigmoid"),
        _activation("relu", lambda x: Piecewise((x, x > 0), (0, True)),
                    "rectifier, with relu'(0) = 0 (the branch z > 0 is strict)"),
        _activation("identity", lambda x: x, "identity (a linear output layer)"),
        Rule("softmax", Tensor("s", (N, K)), (n, k),
             exp(zk[n, k]) / Sum(exp(zk[n, m]), (m, 0, K - 1)), (zk,),
             doc="softmax over the class axis"),
        Rule("mse", Tensor("J", ()), (),
             Sum(Rational(1, 2) * Sum((yk[n, k] - ak[n, k]) ** 2, (k, 0, K - 1)), (n, 0, N - 1)) / N,
             (ak, yk), doc="mean squared error, averaged over the batch"),
        Rule("softmax_cross_entropy", Tensor("J", ()), (),
             Sum(-Sum(yk[n, k] * log(exp(zk[n, k]) / Sum(exp(zk[n, m]), (m, 0, K - 1))),
                      (k, 0, K - 1)), (n, 0, N - 1)) / N,
             (zk, yk), doc="cross-entropy of softmax(z) against a one-hot label, on logits",
             facts=(Eq(Sum(yk[n, k], (k, 0, K - 1)), 1),)),
        Rule("dropout", Tensor("z", (N, J)), (n, j), a2[n, j] * mask[n, j] / (1 - rate),
             (a2, mask), doc="inverted dropout: the kept entries (mask 1) scaled by 1/(1 - p)",
             options=((rate, "p", 0.5),)),
    ]
    return {r.name: r for r in rules + _spatial() + _normalization() + _lenet1998()}


def _normalization() -> list[Rule]:
    """Batch normalization in training mode: statistics over the batch (and, for images, over
    the positions), a learnable scale and shift, a constant ε."""
    x, gamma, beta = Tensor("x", (N, J)), Tensor("gamma", (J,), "param"), Tensor("beta", (J,), "param")
    mean = Sum(x[m, j], (m, 0, N - 1)) / N
    var = Sum((x[r, j] - mean) ** 2, (r, 0, N - 1)) / N
    xi = Tensor("x", (N, C, H, W))
    gamma2, beta2 = Tensor("gamma", (C,), "param"), Tensor("beta", (C,), "param")
    count = N * H * W
    mean2 = Sum(xi[m, c, y2, x2], (m, 0, N - 1), (y2, 0, H - 1), (x2, 0, W - 1)) / count
    var2 = Sum((xi[r, c, y3, x3] - mean2) ** 2,
               (r, 0, N - 1), (y3, 0, H - 1), (x3, 0, W - 1)) / count
    return [
        Rule("batchnorm", Tensor("y", (N, J)), (n, j),
             gamma[j] * (x[n, j] - mean) / sp.sqrt(var + eps) + beta[j], (x, gamma, beta),
             doc="batch normalization of each feature over the batch (training mode)",
             constants=((eps, Rational(1, 100000)),)),
        Rule("batchnorm2d", Tensor("y", (N, C, H, W)), (n, c, y, x_),
             gamma2[c] * (xi[n, c, y, x_] - mean2) / sp.sqrt(var2 + eps) + beta2[c],
             (xi, gamma2, beta2),
             doc="batch normalization of each channel over the batch and the positions "
                 "(training mode)", constants=((eps, Rational(1, 100000)),)),
    ]


def _spatial() -> list[Rule]:
    a = Tensor("a", (N, C, H, W))
    conv_sizes = ((OH, sp.floor((H + 2 * pad - KH) / stride) + 1),
                  (OW, sp.floor((W + 2 * pad - KW) / stride) + 1))
    pool_sizes = ((OH, sp.floor((H - window) / stride) + 1), (OW, sp.floor((W - window) / stride) + 1))
    conv_in, w = Tensor("a", (N, C, H, W), padding=True), Tensor("w", (O, C, KH, KW), "param")
    dw = Tensor("w", (C, KH, KW), "param")
    return [
        Rule("conv2d", Tensor("z", (N, O, OH, OW)), (n, o, i, j),
             Sum(w[o, c, u, v] * conv_in[n, c, stride * i + u - pad, stride * j + v - pad],
                 (c, 0, C - 1), (u, 0, KH - 1), (v, 0, KW - 1)) + Tensor("b", (O,))[o],
             (conv_in, w, Tensor("b", (O,), "param")),
             doc="2-D convolution (cross-correlation) with stride s and zero padding P",
             options=((stride, "stride", 1), (pad, "padding", 0)), derived=conv_sizes),
        Rule("avgpool2d", Tensor("z", (N, C, OH, OW)), (n, c, i, j),
             Sum(a[n, c, stride * i + u, stride * j + v], (u, 0, window - 1), (v, 0, window - 1))
             / window ** 2, (a,),
             doc="average pooling over k x k windows with stride s",
             options=((window, "size", 2), (stride, "stride", 2)), derived=pool_sizes),
        Rule("maxpool2d", Tensor("z", (N, C, OH, OW)), (n, c, i, j),
             ReduceMax(a[n, c, stride * i + u, stride * j + v], (u, 0, window - 1),
                       (v, 0, window - 1)), (a,),
             doc="max pooling over k x k windows with stride s; the gradient goes to the entries "
                 "equal to their window's maximum (all of them where several tie)",
             options=((window, "size", 2), (stride, "stride", 2)), derived=pool_sizes),
        Rule("flatten", Tensor("z", (N, C, H, W), fused=((0,), (1, 2, 3))), (n, c, y, x),
             a[n, c, y, x], (a,),
             doc="flatten (N, C, H, W) to (N, C H W), row-major: z[n, c H W + y W + x] = a[n, c, y, x]"),
        Rule("depthwise_conv2d", Tensor("z", (N, C, OH, OW)), (n, c, i, j),
             Sum(dw[c, u, v] * a[n, c, i + u, j + v], (u, 0, KH - 1), (v, 0, KW - 1)), (a, dw),
             doc="depthwise 2-D convolution, one kernel per channel",
             derived=((OH, H - KH + 1), (OW, W - KW + 1))),
    ]


def _lenet1998() -> list[Rule]:
    """The pieces of LeCun, Bottou, Bengio and Haffner (1998), section II-B, that the article's
    LeNet-5 simplifies away: trainable subsampling, C3's connection table, Euclidean RBF output
    units and the loss of the paper's equation (9)."""
    a = Tensor("a", (N, C, H, W))
    pool_sizes = ((OH, sp.floor((H - window) / stride) + 1), (OW, sp.floor((W - window) / stride) + 1))
    coef, bias = Tensor("w", (C,), "param"), Tensor("b", (C,), "param")
    table = Tensor("T", (O, C), "constant")  # 1 where input map c feeds output map o
    w, b = Tensor("w", (O, C, KH, KW), "param"), Tensor("b", (O,), "param")
    x, proto = Tensor("x", (N, J)), Tensor("w", (K, J), "constant")
    y, t = Tensor("y", (N, K)), Tensor("t", (N, K), "label")
    return [
        Rule("subsample2d", Tensor("z", (N, C, OH, OW)), (n, c, i, j),
             coef[c] * Sum(a[n, c, stride * i + u, stride * j + v], (u, 0, window - 1),
                           (v, 0, window - 1)) + bias[c], (a, coef, bias),
             doc="trainable subsampling: each window's sum times a coefficient, plus a bias, "
                 "per map", options=((window, "size", 2), (stride, "stride", 2)),
             derived=pool_sizes),
        Rule("conv2d_table", Tensor("z", (N, O, OH, OW)), (n, o, i, j),
             Sum(table[o, c] * w[o, c, u, v] * a[n, c, i + u, j + v],
                 (c, 0, C - 1), (u, 0, KH - 1), (v, 0, KW - 1)) + b[o], (a, w, b, table),
             doc="convolution through a connection table T (output map o reads input map c "
                 "where T[o, c] = 1)", derived=((OH, H - KH + 1), (OW, W - KW + 1))),
        Rule("rbf", Tensor("y", (N, K)), (n, k), Sum((x[n, j] - proto[k, j]) ** 2, (j, 0, J - 1)),
             (x, proto), doc="Euclidean radial basis function units with fixed prototypes w"),
        Rule("rbf_map_loss", Tensor("E", ()), (),
             Sum(Sum(t[n, k] * y[n, k], (k, 0, K - 1))
                 + log(exp(-j0) + Sum(exp(-y[n, m]), (m, 0, K - 1))), (n, 0, N - 1)) / N,
             (y, t), doc="the 1998 paper's loss (its equation 9): the correct class's RBF output "
                         "plus log(e^-j + Σ_i e^-y_i)",
             facts=(Eq(Sum(t[n, k], (k, 0, K - 1)), 1),), constants=((j0, Rational(1)),)),
    ]


RULES: dict[str, Rule] = _table()


def get(name: str) -> Rule:
    try:
        return RULES[name]
    except KeyError:
        raise KeyError(f"no rule {name!r}; rules: {', '.join(sorted(RULES))}") from None

