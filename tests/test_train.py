"""Training end to end on a few hundred MNIST images: the loss falls, checkpoints reload to the
same predictions, and a killed run resumed from its checkpoint ends where an uninterrupted one does."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from derive.lenet import mnist
from derive.lenet.train import Config, evaluate, load_checkpoint, train

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not mnist.default_dir().is_dir(),
                                reason=f"MNIST not found in {mnist.default_dir()}")


def small(out, **kw) -> Config:
    return Config(**{"epochs": 2, "limit": 320, "test_limit": 200, "batch_size": 32,
                     "out": str(out), "log_every": 5, **kw})


def quiet(_):
    pass


def test_loss_falls_and_checkpoint_reloads(tmp_path):
    summary = train(small(tmp_path, epochs=3), echo=quiet)
    losses = [h["train_loss"] for h in summary["history"]]
    assert losses[-1] < 0.7 * losses[0]
    assert summary["test_error"] < 0.5
    for name in ("checkpoint.npz", "model.npz", "summary.json", "training_curve.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    from generated.lenet5 import LeNet5

    model = LeNet5.load(tmp_path / "model.npz")
    params, _, state = load_checkpoint(tmp_path / "checkpoint.npz")
    assert state["epoch"] == 3
    x = (mnist.pad_and_scale(mnist.load("test")[0][:50]) - state["mean"]) / state["std"]
    twin = LeNet5()
    twin.params = params
    assert np.array_equal(model.predict(x), twin.predict(x))
    assert json.loads((tmp_path / "summary.json").read_text())["epochs"] == 3


def test_resume_continues_exactly(tmp_path):
    whole = train(small(tmp_path / "whole", epochs=3), echo=quiet)
    train(small(tmp_path / "part", epochs=1), echo=quiet)
    resumed = train(small(tmp_path / "part", epochs=3),
                    resume=str(tmp_path / "part" / "checkpoint.npz"), echo=quiet)
    a, _, _ = load_checkpoint(tmp_path / "whole" / "checkpoint.npz")
    b, _, _ = load_checkpoint(tmp_path / "part" / "checkpoint.npz")
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert whole["test_error"] == resumed["test_error"]


def test_resume_refuses_another_run(tmp_path):
    train(small(tmp_path, epochs=1), echo=quiet)
    with pytest.raises(ValueError, match="cannot resume with a different batch_size, lr"):
        train(small(tmp_path, epochs=2, batch_size=16, lr=0.1),
              resume=str(tmp_path / "checkpoint.npz"), echo=quiet)


def test_killed_run_resumes_to_the_same_parameters(tmp_path):
    args = ["--limit", "640", "--test-limit", "100", "--batch-size", "32", "--epochs", "6",
            "--log-every", "1000"]
    subprocess.run([sys.executable, "-m", "derive", "train", "--out", str(tmp_path / "whole"),
                    *args], cwd=ROOT, check=True, capture_output=True)
    run = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "derive", "train", "--out", str(run), *args],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not (run / "checkpoint.npz").exists():
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _, _, state = load_checkpoint(run / "checkpoint.npz")
    assert 1 <= state["epoch"] <= 6
    subprocess.run([sys.executable, "-m", "derive", "train", "--out", str(run), *args,
                    "--resume", str(run / "checkpoint.npz")], cwd=ROOT, check=True,
                   capture_output=True)
    a, _, _ = load_checkpoint(tmp_path / "whole" / "checkpoint.npz")
    b, _, state = load_checkpoint(run / "checkpoint.npz")
    assert state["epoch"] == 6
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_evaluate_writes_confusion_and_pictures(tmp_path):
    train(small(tmp_path, epochs=1), echo=quiet)
    lines = []
    result = evaluate(str(tmp_path / "checkpoint.npz"), Config(test_limit=300), echo=lines.append)
    confusion = np.array(result["confusion"])
    assert confusion.sum() == 300 and np.trace(confusion) == 300 - result["misclassified"]
    assert result["test_error"] == pytest.approx(result["misclassified"] / 300)
    assert any("confusion matrix" in line for line in lines)
    for name in ("confusion.png", "misclassified.png", "evaluation.json"):
        assert (tmp_path / name).stat().st_size > 0


def test_bad_checkpoint_is_a_clear_error(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable training checkpoint"):
        load_checkpoint(tmp_path / "junk.npz")
