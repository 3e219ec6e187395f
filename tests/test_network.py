"""The generated LeNet-5 against the hand-written whole-network reference and finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import reference
from conftest import relative_error
from generated.lenet5 import PARAMS, LeNet5


def batch(n=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 1, 32, 32)).astype(dtype), rng.integers(0, 10, n)


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_loss_and_grads_match_the_reference(loss):
    net = LeNet5(seed=1, dtype="float64", loss=loss)
    x, y = batch()
    value, grads = net.loss_and_grads(x, y)
    want_value, want = reference.lenet5_loss_and_grads(net.params, x, y, loss=loss)
    assert value == pytest.approx(want_value, rel=1e-12)
    assert sorted(grads) == sorted(PARAMS)
    for key in PARAMS:
        assert grads[key].shape == PARAMS[key]
        assert relative_error(grads[key], want[key]) < 1e-10, key
    assert relative_error(net.forward(x), reference.lenet5_forward(net.params, x)) < 1e-12


def forward_loss(net, x, y, loss):
    """The loss written here from `net.forward`'s scores: batch-mean cross-entropy or tanh + MSE."""
    z = net.forward(x)
    if loss == "cross_entropy":
        top = z.max(axis=1, keepdims=True)
        lse = top[:, 0] + np.log(np.exp(z - top).sum(axis=1))
        return float(np.mean(lse - z[np.arange(len(y)), y]))
    onehot = np.eye(10)[y]
    return float(np.mean(0.5 * np.sum((onehot - np.tanh(z)) ** 2, axis=1)))


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_loss_and_grads_match_finite_differences(loss):
    net = LeNet5(seed=2, dtype="float64", loss=loss)
    x, y = batch(seed=3)
    value, grads = net.loss_and_grads(x, y)
    assert value == pytest.approx(forward_loss(net, x, y, loss), rel=1e-12)
    rng = np.random.default_rng(4)
    eps = 1e-6
    for key, param in net.params.items():
        for _ in range(3):
            idx = tuple(int(rng.integers(0, s)) for s in param.shape)
            old = param[idx]
            param[idx] = old + eps
            up = forward_loss(net, x, y, loss)
            param[idx] = old - eps
            down = forward_loss(net, x, y, loss)
            param[idx] = old
            fd = (up - down) / (2 * eps)
            assert abs(grads[key][idx] - fd) <= 1e-6 * max(1.0, abs(fd)), (key, idx)


def test_float32_network():
    net = LeNet5(seed=0)
    x, y = batch(dtype=np.float32)
    value, grads = net.loss_and_grads(x, y)
    assert np.isfinite(value)
    assert all(g.dtype == np.float32 for g in grads.values())
    assert net.forward(x).dtype == np.float32 and net.predict(x).shape == (3,)


def test_same_seed_same_parameters():
    a, b = LeNet5(seed=5), LeNet5(seed=5)
    assert all(np.array_equal(a.params[k], b.params[k]) for k in PARAMS)
    assert not np.array_equal(a.params["c1_w"], LeNet5(seed=6).params["c1_w"])


def test_save_and_load_round_trip(tmp_path):
    net = LeNet5(seed=3, dtype="float64", loss="mse")
    path = tmp_path / "net.npz"
    net.save(path)
    back = LeNet5.load(path)
    assert back.loss == "mse" and back.dtype == np.float64
    assert all(np.array_equal(back.params[k], net.params[k]) for k in PARAMS)
    x, _ = batch()
    assert np.array_equal(back.forward(x), net.forward(x))


def test_load_refuses_mismatched_files(tmp_path):
    net = LeNet5()
    params = dict(net.params)
    params["c1_w"] = np.zeros((6, 1, 3, 3), dtype=np.float32)
    np.savez(tmp_path / "shape.npz", __meta__=np.array(["float32", "cross_entropy"]), **params)
    with pytest.raises(ValueError, match=r"parameter 'c1_w' has shape \(6, 1, 3, 3\), LeNet5 needs \(6, 1, 5, 5\)"):
        LeNet5.load(tmp_path / "shape.npz")
    params = dict(net.params)
    params.pop("out_b")
    params["extra"] = np.zeros(1)
    np.savez(tmp_path / "names.npz", __meta__=np.array(["float32", "cross_entropy"]), **params)
    with pytest.raises(ValueError, match=r"missing \['out_b'\], unexpected \['extra'\]"):
        LeNet5.load(tmp_path / "names.npz")
    np.savez(tmp_path / "other.npz", w=np.zeros(3))
    with pytest.raises(ValueError, match="not a LeNet5 file"):
        LeNet5.load(tmp_path / "other.npz")


def test_bad_arguments():
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        LeNet5(dtype="int32")
    with pytest.raises(ValueError, match="loss must be one of"):
        LeNet5(loss="hinge")
    net = LeNet5()
    with pytest.raises(ValueError, match=r"x must have shape \(N, 1, 32, 32\), got \(2, 1, 28, 28\)"):
        net.forward(np.zeros((2, 1, 28, 28), dtype=np.float32))
    with pytest.raises(ValueError, match="labels must lie in 0..9"):
        net.loss_and_grads(np.zeros((1, 1, 32, 32), dtype=np.float32), np.array([10]))
