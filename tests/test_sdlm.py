"""Second-order training of the 1998 network: the paper's schedule and input range, and a short
run that learns (MNIST from ../shared/data/mnist)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from derive.lenet import mnist
from derive.lenet.sdlm import SdlmConfig, paper_scale, rate, train_sdlm


def test_the_papers_rate_schedule():
    assert [rate(e) for e in range(14)] == [0.0005] * 2 + [0.0002] * 3 + [0.0001] * 3 \
        + [0.00005] * 4 + [0.00001] * 2


def test_the_papers_input_range():
    images = np.zeros((1, 28, 28), dtype=np.uint8)
    images[0, 10, 10] = 255
    x = paper_scale(images, "float32")
    assert x.shape == (1, 1, 32, 32) and x.dtype == np.float32
    assert x.min() == pytest.approx(-0.1) and x.max() == pytest.approx(1.175)
    assert x[0, 0, 12, 12] == pytest.approx(1.175) and x[0, 0, 0, 0] == pytest.approx(-0.1)


def test_a_bad_configuration_is_refused():
    with pytest.raises(ValueError, match="mu > 0"):
        SdlmConfig(mu=0).check()


@pytest.mark.skipif(not mnist.default_dir().is_dir(), reason="MNIST not found")
def test_a_short_run_learns(tmp_path):
    config = SdlmConfig(epochs=1, limit=2000, test_limit=500, mu=1.0, out=str(tmp_path),
                        log_every=10**6)
    summary = train_sdlm(config, echo=lambda line: None)
    assert summary["test_error"] < 0.5  # from 0.9 (chance) in one pass over 2,000 images
    written = json.loads((tmp_path / "summary.json").read_text())
    assert written["history"][0]["eta"] == 0.0005 and (tmp_path / "model.npz").exists()
