"""The whole-network lowering (`derive.netlower`) against the per-rule path.

The per-rule path calls the committed kernels, each tested against hand-written references; the
network module lowers the same derived formulas with another layout, window strategy, saved
patches, workspaces and in-place chains. They must agree (1e-12 relative in float64, 1e-5 in
float32) on LeNet-5 and on a network written here with layers LeNet does not have.
"""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from conftest import relative_error
from derive.cli import generate
from derive.lowering.network import Layer, Network
from derive.render import load_generated, render_network, render_network_per_rule, write
from derive.rules import RULES
from generated.lenet5 import LeNet5
from generated.lenet5_per_rule import LeNet5PerRule

ODD = Network(
    "oddnet", "OddNet", "a network with strides, padding, overlapping max pools and depthwise kernels",
    (2, 13, 11), 3,
    (Layer("c1", "conv2d", (("w", (4, 2, 3, 3)), ("b", (4,))),
           options=(("stride", 2), ("padding", 1))),
     Layer("c1_relu", "relu"),
     Layer("p1", "maxpool2d", options=(("size", 3), ("stride", 2))),
     Layer("d1", "depthwise_conv2d", (("w", (4, 2, 2)),)),
     Layer("d1_act", "scaled_tanh"),
     Layer("flat", "flatten"),
     Layer("h", "dense", (("W", (5, 8)), ("b", (5,)))),
     Layer("h_act", "sigmoid"),
     Layer("out", "dense", (("W", (3, 5)), ("b", (3,))))),
    (("cross_entropy", ("softmax_cross_entropy",)), ("mse", ("sigmoid", "mse"))),
)


@pytest.fixture(scope="module")
def oddnet(tmp_path_factory):
    folder = tmp_path_factory.mktemp("oddnet")
    generate(folder, quiet=True)
    write(folder / "oddnet.py", render_network(ODD))
    write(folder / "oddnet_per_rule.py", render_network_per_rule(ODD))
    return (load_generated(folder, "oddnet").OddNet,
            load_generated(folder, "oddnet_per_rule").OddNetPerRule)


def agree(fast, slow, x, y, tol):
    value, grads = fast.loss_and_grads(x, y)
    want_value, want = slow.loss_and_grads(x, y)
    assert abs(value - want_value) <= tol * abs(want_value)
    assert sorted(grads) == sorted(want)
    for key in want:
        assert grads[key].shape == want[key].shape and grads[key].dtype == want[key].dtype, key
        assert relative_error(grads[key], want[key]) < tol, key
    assert relative_error(fast.forward(x), slow.forward(x)) < tol


def data(n, shape, classes, seed, dtype):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, *shape)).astype(dtype), rng.integers(0, classes, n)


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 1e-5)])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_lenet5_agrees_with_the_per_rule_path(loss, dtype, tol):
    fast, slow = LeNet5(seed=5, dtype=dtype, loss=loss), LeNet5PerRule(seed=5, dtype=dtype, loss=loss)
    for n in (5, 1, 64, 5):  # the workspaces are reallocated and reused as the batch changes
        agree(fast, slow, *data(n, (1, 32, 32), 10, n, dtype), tol)


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 1e-5)])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_a_network_lenet_is_not_agrees_with_the_per_rule_path(oddnet, loss, dtype, tol):
    fast_cls, slow_cls = oddnet
    fast, slow = fast_cls(seed=3, dtype=dtype, loss=loss), slow_cls(seed=3, dtype=dtype, loss=loss)
    for n in (4, 1, 9):
        agree(fast, slow, *data(n, (2, 13, 11), 3, n, dtype), tol)


def test_a_network_lenet_is_not_matches_finite_differences(oddnet):
    net = oddnet[0](seed=4, dtype="float64")
    x, y = data(3, (2, 13, 11), 3, 0, "float64")
    _, grads = net.loss_and_grads(x, y)
    rng, eps = np.random.default_rng(1), 1e-6
    for key, param in net.params.items():
        idx = tuple(int(rng.integers(0, s)) for s in param.shape)
        old = param[idx]
        param[idx] = old + eps
        up = net.loss_and_grads(x, y)[0]
        param[idx] = old - eps
        down = net.loss_and_grads(x, y)[0]
        param[idx] = old
        fd = (up - down) / (2 * eps)
        assert abs(grads[key][idx] - fd) <= 1e-6 * max(1.0, abs(fd)), key


def test_results_are_not_workspace_memory():
    """What a call returns survives the next call: scores and gradients are the caller's."""
    net = LeNet5(seed=0, dtype="float64")
    x, y = data(4, (1, 32, 32), 10, 0, "float64")
    scores = net.forward(x)
    _, grads = net.loss_and_grads(x, y)
    kept = scores.copy(), {k: v.copy() for k, v in grads.items()}
    x2, y2 = data(4, (1, 32, 32), 10, 1, "float64")
    net.forward(x2)
    net.loss_and_grads(x2, y2)
    assert np.array_equal(scores, kept[0])
    assert all(np.array_equal(grads[k], kept[1][k]) for k in grads)
    assert net.forward(x[:1]).flags.owndata


def test_the_input_is_never_written():
    net = LeNet5(seed=0, dtype="float32")
    for n in (1, 3):
        x, y = data(n, (1, 32, 32), 10, n, "float32")
        before = x.copy()
        net.loss_and_grads(x, y)
        net.forward(x)
        assert np.array_equal(x, before)


def test_saved_arrays_are_what_the_backward_reads():
    """The convolutions' patch arrays and the activations whose derivative is written in terms
    of the output (tanh' = 1 - a²) are kept; an array only the forward reads is not."""
    import generated.lenet5 as module

    assert {"x_cols", "h2_cols"} <= set(module.SAVED)
    assert {"h1", "h4", "h8", "h10"} <= set(module.SAVED)
    assert "h2" not in module.SAVED and "h0" not in module.SAVED


LOWERING = ["netlower.py", "gemm.py", "inplace.py", "lower.py", "windows.py", "strategy.py",
            "affine.py"]


@pytest.mark.parametrize("module", LOWERING)
def test_the_lowering_names_no_rule(module):
    """Choices follow from index expressions and the network's structure, never a rule's name."""
    source = (Path(__file__).resolve().parent.parent / "derive" / "lowering" / module).read_text()
    strings = {node.value for node in ast.walk(ast.parse(source))
               if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert not strings & set(RULES)
