"""The 1998 LeNet-5 as published: its summary counts the paper's parameters and connections (from
the derived kernels), its gradient matches finite differences, and its whole-network lowering the
per-rule path."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import relative_error
from generated.lenet5_1998 import CONSTANTS, UNIT_FAN_IN, LeNet5Paper
from generated.lenet5_1998_per_rule import LeNet5PaperPerRule

# LeCun et al. (1998), section II-B: (trainable parameters, connections) of each layer
PAPER = [(156, 122_304), (12, 5_880), (1_516, 151_600), (32, 2_000), (48_120, 48_120),
         (10_164, 10_164), (0, 840)]

# the paper's table: rows S2 maps, columns C3 maps
TABLE = """
X...XXX..XXXX.XX
XX...XXX..XXXX.X
XXX...XXX..X.XXX
.XXX..XXXX..X.XX
..XXX..XXXX.XX.X
...XXX..XXXX.XXX
"""


def test_the_summary_counts_the_papers_parameters_and_connections():
    rows = LeNet5Paper().summary(echo=lambda line: None)
    assert [(params, links) for _, _, params, links in rows] == PAPER
    assert sum(r[2] for r in rows) == 60_000 and sum(r[3] for r in rows) == 340_908
    assert [tuple(r[1]) for r in rows] == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5),
                                           (120, 1, 1), (84,), (10,)]


def test_c3_reads_through_the_papers_connection_table():
    want = np.array([[c == "X" for c in row] for row in TABLE.split()], dtype=float).T
    assert np.array_equal(CONSTANTS["c3_t"], want)  # (16 C3 maps, 6 S2 maps)
    net = LeNet5Paper(seed=0, dtype="float64")
    _, grads = net.loss_and_grads(*batch(3))
    unused = want == 0
    assert np.all(grads["c3_w"][unused] == 0) and np.all(grads["c3_w"][~unused] != 0)


def test_initialization_is_uniform_in_2_4_over_the_fan_in():
    net = LeNet5Paper(seed=3, dtype="float64")
    assert UNIT_FAN_IN["c1_w"] == 25 and UNIT_FAN_IN["s2_w"] == 4 and UNIT_FAN_IN["f6_w"] == 120
    fans = np.asarray(UNIT_FAN_IN["c3_w"])
    assert sorted(set(fans.tolist())) == [75, 100, 150]
    for o in range(16):
        assert np.abs(net.params["c3_w"][o]).max() <= 2.4 / fans[o]
    assert np.abs(net.params["c3_w"][15]).max() > 0.8 * 2.4 / 150


def batch(n, seed=0, dtype="float64"):
    rng = np.random.default_rng(seed)
    return rng.uniform(-0.1, 1.175, (n, 1, 32, 32)).astype(dtype), rng.integers(0, 10, n)


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 1e-5)])
def test_fast_path_agrees_with_the_per_rule_path(dtype, tol):
    fast, slow = LeNet5Paper(seed=2, dtype=dtype), LeNet5PaperPerRule(seed=2, dtype=dtype)
    for n in (3, 1, 7):
        x, y = batch(n, n, dtype)
        value, grads = fast.loss_and_grads(x, y)
        want_value, want = slow.loss_and_grads(x, y)
        assert abs(value - want_value) <= tol * abs(want_value)
        for key in want:
            assert relative_error(grads[key], want[key]) < tol, key
        assert relative_error(fast.forward(x), slow.forward(x)) < tol
        assert np.array_equal(fast.predict(x), np.argmin(fast.forward(x), axis=1))


def test_the_whole_network_gradient_matches_finite_differences():
    net = LeNet5Paper(seed=4, dtype="float64")
    x, y = batch(2, 5)
    _, grads = net.loss_and_grads(x, y)
    rng, eps = np.random.default_rng(6), 1e-6
    for key, param in net.params.items():
        for _ in range(2):
            idx = tuple(int(rng.integers(0, s)) for s in param.shape)
            if key == "c3_w" and CONSTANTS["c3_t"][idx[0], idx[1]] == 0:
                continue
            old = param[idx]
            param[idx] = old + eps
            up = net.loss_and_grads(x, y)[0]
            param[idx] = old - eps
            down = net.loss_and_grads(x, y)[0]
            param[idx] = old
            fd = (up - down) / (2 * eps)
            assert abs(grads[key][idx] - fd) <= 1e-6 * max(1.0, abs(fd)), (key, idx)


def test_network_gauss_newton_diagonal_matches_brute_force_where_it_is_exact():
    """For F6's weights every path to the RBF layer runs through one unit, so the diagonal
    backpropagated layer by layer is exact from there: Σ_n Σ_j (∂x[n,j]/∂θ)² h_x[n,j], with
    ∂x/∂θ from finite differences of F6's output and h_x what the RBF kernel derives."""
    from generated import rbf, rbf_map_loss

    net = LeNet5PaperPerRule(seed=7, dtype="float64")
    x, y = batch(2, 8)
    diagonal = net.gauss_newton_diagonal(x, y)
    assert all(np.all(np.isfinite(v)) for v in diagonal.values())
    assert all(np.all(v >= 0) for k, v in diagonal.items())
    inner = net._forward(net._input(x))
    f6, scores = inner["h12"], inner["h13"]
    onehot = net._onehot(y, len(x))
    h_y = rbf_map_loss.gauss_newton(1.0, scores)["y"]
    g_y = rbf_map_loss.backward(1.0, scores, onehot)["y"]
    h_x = rbf.gauss_newton(h_y, g_y, f6, net.constants["out_w"])["x"]
    assert h_x.min() > 0  # the RBF's own curvature: 2 Σ_k g_k, the target's pull
    rng, eps = np.random.default_rng(9), 1e-5
    for _ in range(4):
        idx = (int(rng.integers(0, 84)), int(rng.integers(0, 120)))
        param = net.params["f6_w"]
        old = param[idx]
        param[idx] = old + eps
        up = net._forward(net._input(x))["h12"]
        param[idx] = old - eps
        down = net._forward(net._input(x))["h12"]
        param[idx] = old
        want = float(np.sum(((up - down) / (2 * eps)) ** 2 * h_x))
        assert diagonal["f6_w"][idx] == pytest.approx(want, rel=1e-6), idx


def test_lenet5_builds_the_1998_variant_by_name():
    from generated.lenet5 import LeNet5

    assert type(LeNet5(variant="1998")) is LeNet5Paper
    assert type(LeNet5()) is LeNet5 and type(LeNet5(variant="article")) is LeNet5
    with pytest.raises(ValueError, match="variant must be one of"):
        LeNet5(variant="1989")
