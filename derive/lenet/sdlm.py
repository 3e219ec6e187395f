"""Training the 1998 LeNet-5 as the paper did: stochastic diagonal Levenberg-Marquardt.

LeCun, Bottou, Bengio and Haffner (1998), section II-B and appendix C: before each pass the
diagonal second derivative h_kk of the loss is estimated on 500 training samples (the generated
network's `gauss_newton_diagonal`: each layer's rule derived from its forward expression), and
every parameter moves by η / (μ + h_kk) times its gradient, with the global rate η 0.0005 for
passes 1-2, 0.0002 for 3-5, 0.0001 for 6-8, 0.00005 for 9-12 and 0.00001 after. The inputs are
scaled so that the background is -0.1 and the foreground 1.175.

μ is the paper's 0.02 by default. With the diagonals derived here the lower layers' h_kk are
10^-5 to 10^-3 at the paper's initialization, so their steps are η/μ and training diverges; with
μ = 1 it trains (the README has the measurements).

The paper updates after every sample; a mini-batch of B samples moves each parameter by
B η / (μ + h_kk) times the batch's mean gradient: the sum of the B per-sample steps, each taken at
the batch's starting point (`batch_size=1` is the paper's exact procedure).
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from derive.files import atomic_write
from derive.lenet import mnist
from derive.lenet.train import error_rate

SCHEDULE = ((2, 0.0005), (5, 0.0002), (8, 0.0001), (12, 0.00005), (None, 0.00001))
BACKGROUND, FOREGROUND = -0.1, 1.175


@dataclass
class SdlmConfig:
    epochs: int = 20
    batch_size: int = 16
    mu: float = 0.02
    hessian_samples: int = 500
    seed: int = 0
    dtype: str = "float32"
    limit: int = 0
    test_limit: int = 0
    data: str = ""
    out: str = "runs/lenet5_1998"
    log_every: int = 1000

    def check(self):
        if self.epochs < 1 or self.batch_size < 1 or self.hessian_samples < 1:
            raise ValueError("need epochs, batch_size and hessian_samples of at least 1")
        if not self.mu > 0 or self.dtype not in ("float32", "float64"):
            raise ValueError(f"need mu > 0 and dtype float32 or float64, got {self.mu}, "
                             f"{self.dtype!r}")


def rate(epoch: int) -> float:
    """The paper's global rate η for pass `epoch` (0-based)."""
    for last, eta in SCHEDULE:
        if last is None or epoch < last:
            return eta
    raise AssertionError("unreachable")


def paper_scale(images: np.ndarray, dtype) -> np.ndarray:
    """MNIST padded to 32x32, background -0.1 and foreground 1.175 (the paper's input range)."""
    unit = mnist.pad_and_scale(images, dtype=dtype)
    return (BACKGROUND + (FOREGROUND - BACKGROUND) * unit).astype(dtype)


def train_sdlm(config: SdlmConfig, echo=print) -> dict:
    """Train, writing the model and a summary (history, errors, time) into `config.out`."""
    from generated.lenet5_1998 import LeNet5Paper
    from generated.lenet5_1998_per_rule import LeNet5PaperPerRule

    config.check()
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    train_x, train_y = mnist.load("train", config.data or None)
    test_x, test_y = mnist.load("test", config.data or None)
    if config.limit:
        train_x, train_y = train_x[:config.limit], train_y[:config.limit]
    if config.test_limit:
        test_x, test_y = test_x[:config.test_limit], test_y[:config.test_limit]
    x, y = paper_scale(train_x, config.dtype), train_y.astype(np.int64)
    tx, ty = paper_scale(test_x, config.dtype), test_y.astype(np.int64)
    net = LeNet5Paper(seed=config.seed, dtype=config.dtype)
    curvature = LeNet5PaperPerRule(seed=config.seed, dtype=config.dtype)
    curvature.params = net.params  # one set of parameters: the same dict
    n, b = len(x), config.batch_size
    history = []
    echo(f"training the 1998 LeNet-5 by stochastic diagonal Levenberg-Marquardt on {n} images, "
         f"testing on {len(tx)}; batch {b}, mu {config.mu}, second derivatives from "
         f"{config.hessian_samples} samples before each pass")
    for epoch in range(config.epochs):
        rng = np.random.default_rng([config.seed, epoch])
        start = time.perf_counter()
        sample = rng.choice(n, size=min(config.hessian_samples, n), replace=False)
        diagonal = curvature.gauss_newton_diagonal(x[sample], y[sample])
        eta = rate(epoch)
        steps = {k: (b * eta / (config.mu + np.maximum(h, 0))).astype(net.dtype)
                 for k, h in diagonal.items()}
        order = rng.permutation(n)
        total = 0.0
        for k in range(0, n, b):
            idx = order[k:k + b]
            loss, grads = net.loss_and_grads(x[idx], y[idx])
            for key, g in grads.items():
                net.params[key] -= steps[key] * (len(idx) / b) * g
            total += loss * len(idx)
            if (k // b + 1) % config.log_every == 0:
                echo(f"pass {epoch + 1}/{config.epochs} sample {k + len(idx)}/{n}  "
                     f"{(k + len(idx)) / (time.perf_counter() - start):6.0f} images/s  "
                     f"loss {total / (k + len(idx)):.4f}")
        seconds = time.perf_counter() - start
        test_error, _ = error_rate(net, tx, ty)
        train_error, _ = error_rate(net, x[:10000], y[:10000])
        history.append({"epoch": epoch + 1, "eta": eta, "train_loss": total / n,
                        "test_error": test_error, "train_error_first_10000": train_error,
                        "seconds": seconds, "images_per_second": n / seconds,
                        "median_h": float(np.median(np.concatenate(
                            [v.ravel() for v in diagonal.values()])))})
        echo(f"pass {epoch + 1}: test error {100 * test_error:.2f}%, training error (first "
             f"10,000) {100 * train_error:.2f}%  ({seconds:.1f}s, eta {eta})")
        net.save(out / "model.npz")
    summary = {"config": asdict(config), "history": history,
               "test_error": history[-1]["test_error"],
               "best_test_error": min(h["test_error"] for h in history),
               "seconds": sum(h["seconds"] for h in history)}
    atomic_write(out / "summary.json", lambda tmp: Path(tmp).write_text(
        json.dumps(summary, indent=2, sort_keys=True) + "\n"))
    _curves(out / "training_curve.png", history, echo)
    echo(f"final test error {100 * summary['test_error']:.2f}% after {config.epochs} passes "
         f"({summary['seconds']:.0f}s); summary {out / 'summary.json'}")
    return summary


def _curves(path: Path, history: list, echo) -> None:
    """This run's test error per pass beside the article variant's (runs/lenet5), if there."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        echo("(matplotlib missing: no training curve)")
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([h["epoch"] for h in history], [100 * h["test_error"] for h in history], "o-",
            label="1998 network, SDLM")
    article = Path("runs/lenet5/summary.json")
    if article.exists():
        other = json.loads(article.read_text())["history"]
        ax.plot([h["epoch"] for h in other], [100 * h["test_error"] for h in other], "s-",
                label="article's network, SGD + momentum")
    ax.axhline(0.95, color="grey", linestyle=":", label="the paper's 0.95%")
    ax.set_xlabel("pass")
    ax.set_ylabel("test error (%)")
    ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
