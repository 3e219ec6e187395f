"""Layers the rule table does not have, written as a user writes them in a file of their own:
nested reductions over different axes, piecewise and non-smooth functions, an affine index with a
step (dilation), parameters shared across positions, scalar losses. `test_generality.py` loads
this file the way `--rules` does and checks every kernel against finite differences."""
import sympy as sp
from derive import Abs, Piecewise, Rational, Rule, Sum, Tensor, exp, indices, log, sizes, sqrt

n, i, j, k, m, c, o, u, h, w_ = indices("n i j k m c o u h w")
N, I, J, K, C, O, U, H, W, L = sizes("N I J K C O U H W L")
eps = sp.Symbol("epsilon", positive=True)

x = Tensor("x", (N, J))
layernorm = Rule("layernorm", Tensor("y", (N, J)), (n, j),
                 (x[n, j] - Sum(x[n, k], (k, 0, J - 1)) / J)
                 / sqrt(Sum((x[n, m] - Sum(x[n, k], (k, 0, J - 1)) / J) ** 2, (m, 0, J - 1)) / J + eps),
                 (x,), doc="layer normalization over features (nested sums)", constants=((eps, Rational(1, 1000)),))
l2norm = Rule("l2_normalize", Tensor("y", (N, J)), (n, j),
              x[n, j] / sqrt(Sum(x[n, k] ** 2, (k, 0, J - 1)) + eps), (x,),
              doc="rows scaled to unit length", constants=((eps, Rational(1, 1000)),))
z = Tensor("z", (N, J))
leaky = Rule("leaky_abs", Tensor("a", (N, J)), (n, j),
             Piecewise((z[n, j], z[n, j] > 0), (Rational(1, 10) * z[n, j], True)) + Abs(z[n, j]) / 4,
             (z,), doc="a leaky relu plus |z|/4 (piecewise, non-smooth)")
a1 = Tensor("a", (N, C, L), padding=True)
k1 = Tensor("k", (O, C, U), "param")
dilated = Rule("dilated_conv1d", Tensor("z", (N, O, L)), (n, o, i),
               Sum(k1[o, c, u] * a1[n, c, i + 2 * u - 2], (c, 0, C - 1), (u, 0, U - 1)), (a1, k1),
               doc="1-D convolution dilated by 2, padded (affine index with a step)")
img, gam, bet = Tensor("a", (N, C, H, W)), Tensor("gamma", (C,), "param"), Tensor("beta", (C,), "param")
affine = Rule("channel_affine", Tensor("z", (N, C, H, W)), (n, c, h, w_),
              gam[c] * img[n, c, h, w_] + bet[c] * img[n, c, h, w_] ** 2, (img, gam, bet),
              doc="per-channel parameters shared across positions")
pred, target = Tensor("p", (N, K)), Tensor("t", (N, K), "label")
logcosh = Rule("logcosh_loss", Tensor("J", ()), (),
               Sum(log(exp(pred[n, k] - target[n, k]) + exp(target[n, k] - pred[n, k])) - log(2),
                   (n, 0, N - 1), (k, 0, K - 1)) / N, (pred, target),
               doc="log-cosh regression loss (a scalar)")
hinge = Rule("hinge_loss", Tensor("J", ()), (),
             Sum(Piecewise((1 - pred[n, k] * target[n, k], pred[n, k] * target[n, k] < 1), (0, True)),
                 (n, 0, N - 1), (k, 0, K - 1)) / N, (pred, target),
             doc="hinge loss (piecewise scalar)")
pool = Tensor("a", (N, C, H, W))
gap = Rule("global_avg_softmax", Tensor("s", (N, C)), (n, c),
           exp(Sum(pool[n, c, h, w_], (h, 0, H - 1), (w_, 0, W - 1)) / (H * W))
           / Sum(exp(Sum(pool[n, m, h, w_], (h, 0, H - 1), (w_, 0, W - 1)) / (H * W)), (m, 0, C - 1)),
           (pool,), doc="global average pooling then softmax over channels (reductions over different axes)")
