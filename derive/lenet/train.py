"""Training and evaluating the generated LeNet-5 on MNIST with mini-batch SGD and momentum.

Deterministic: the order of epoch e is a permutation drawn from `default_rng([seed, e])`, so a
run resumed from the checkpoint of epoch e continues exactly as an uninterrupted one. Each epoch
writes `checkpoint.npz` atomically (parameters, velocities, history, normalisation, config).
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from derive.lenet import mnist
from derive.files import atomic_write

CHECKPOINT = "checkpoint.npz"
SAME_RUN = ("batch_size", "seed", "loss", "dtype", "lr", "momentum", "lr_decay", "limit")


@dataclass
class Config:
    epochs: int = 20
    lr: float = 0.05
    momentum: float = 0.9
    lr_decay: float = 0.85          # the learning rate of epoch e is lr * lr_decay**e
    batch_size: int = 64
    seed: int = 0
    loss: str = "cross_entropy"
    dtype: str = "float32"
    limit: int = 0                  # train on the first `limit` images (0: all)
    test_limit: int = 0
    data: str = ""                  # MNIST directory ("" : mnist.default_dir())
    out: str = "runs/lenet5"
    log_every: int = 100            # batches between progress lines

    def check(self):
        for name in ("epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not (self.lr > 0 and 0 <= self.momentum < 1 and 0 < self.lr_decay <= 1):
            raise ValueError("need lr > 0, 0 <= momentum < 1 and 0 < lr_decay <= 1")
        if self.limit < 0 or self.test_limit < 0 or self.log_every < 1:
            raise ValueError("need limit >= 0, test_limit >= 0 and log_every >= 1")
        from generated.lenet5 import LOSSES

        if self.loss not in LOSSES or self.dtype not in ("float32", "float64"):
            raise ValueError(f"loss must be one of {LOSSES} and dtype float32 or float64, "
                             f"got {self.loss!r}, {self.dtype!r}")


def _network_class():
    from generated.lenet5 import LeNet5

    return LeNet5


def load_data(config: Config, split: str):
    images, labels = mnist.load(split, config.data or None)
    limit = config.limit if split == "train" else config.test_limit
    if limit:
        images, labels = images[:limit], labels[:limit]
    return mnist.pad_and_scale(images, dtype=config.dtype), labels.astype(np.int64)


def save_checkpoint(path: Path, net, velocity, state: dict) -> None:
    arrays = {f"param/{k}": v for k, v in net.params.items()}
    arrays.update({f"velocity/{k}": v for k, v in velocity.items()})
    arrays["state"] = np.array(json.dumps(state, sort_keys=True))
    atomic_write(path, lambda tmp: np.savez(tmp, **arrays), suffix=".npz")


def load_checkpoint(path: Path):
    """(params, velocity, state) from a checkpoint, with a clear error for a foreign file."""
    try:
        with np.load(path, allow_pickle=False) as f:
            stored = {k: f[k] for k in f.files}
        state = json.loads(str(stored.pop("state")))
    except (OSError, ValueError, KeyError) as err:
        raise ValueError(f"{path}: not a readable training checkpoint ({err})") from None
    params = {k.split("/", 1)[1]: v for k, v in stored.items() if k.startswith("param/")}
    velocity = {k.split("/", 1)[1]: v for k, v in stored.items() if k.startswith("velocity/")}
    from generated.lenet5 import PARAMS

    wrong = [k for k in PARAMS if k not in params or params[k].shape != PARAMS[k]]
    missing = [k for k in ("epoch", "history", "mean", "std", "config") if k not in state]
    if wrong or missing or set(velocity) != set(params):
        raise ValueError(f"{path}: not a LeNet-5 training checkpoint (parameters {wrong or 'ok'}, "
                         f"state entries missing {missing or 'none'})")
    return params, velocity, state


def error_rate(net, images, labels, batch=1000) -> tuple[float, np.ndarray]:
    predictions = np.concatenate([net.predict(images[i:i + batch])
                                  for i in range(0, len(images), batch)])
    return float(np.mean(predictions != labels)), predictions


def train(config: Config, resume: str | None = None, echo=print) -> dict:
    """Train, writing a checkpoint each epoch; returns the summary (also written as JSON)."""
    config.check()
    LeNet5 = _network_class()
    out = Path(config.out)
    x_train, y_train = load_data(config, "train")
    x_test, y_test = load_data(config, "test")
    net = LeNet5(seed=config.seed, dtype=config.dtype, loss=config.loss)
    velocity = {k: np.zeros_like(v) for k, v in net.params.items()}
    mean, std = float(x_train.mean()), float(x_train.std())
    state = {"epoch": 0, "history": [], "mean": mean, "std": std, "config": asdict(config)}
    if resume:
        params, velocity, state = load_checkpoint(Path(resume))
        saved = state["config"]
        changed = [k for k in SAME_RUN if saved.get(k) != getattr(config, k)]
        if changed:
            was = ", ".join(f"{k}={saved.get(k)}" for k in changed)
            raise ValueError(f"{resume}: cannot resume with a different {', '.join(changed)} "
                             f"(checkpoint: {was})")
        net.params = {k: params[k].astype(net.dtype) for k in net.params}
        mean, std = state["mean"], state["std"]
        echo(f"resumed from {resume} after epoch {state['epoch']}")
    x_train = (x_train - mean) / std
    x_test = (x_test - mean) / std
    n = len(x_train)
    steps = (n + config.batch_size - 1) // config.batch_size
    echo(f"training LeNet-5 ({config.loss}, {config.dtype}) on {n} images, testing on "
         f"{len(x_test)}; batch {config.batch_size}, lr {config.lr}, momentum {config.momentum}")
    for epoch in range(state["epoch"], config.epochs):
        lr = config.lr * config.lr_decay ** epoch
        order = np.random.default_rng([config.seed, epoch]).permutation(n)
        start = time.perf_counter()
        seen = correct = sampled = 0
        total_loss = 0.0
        for step in range(steps):
            idx = order[step * config.batch_size:(step + 1) * config.batch_size]
            x, y = x_train[idx], y_train[idx]
            loss, grads = net.loss_and_grads(x, y)
            for k, g in grads.items():
                velocity[k] *= config.momentum
                velocity[k] -= lr * g
                net.params[k] += velocity[k]
            total_loss += loss * len(idx)
            seen += len(idx)
            if (step + 1) % config.log_every == 0 or step + 1 == steps:
                correct += int(np.sum(net.predict(x) == y))  # accuracy sampled at log steps
                sampled += len(y)
                rate = seen / (time.perf_counter() - start)
                echo(f"epoch {epoch + 1}/{config.epochs} step {step + 1}/{steps}  "
                     f"{rate:7.0f} images/s  loss {total_loss / seen:.4f}  "
                     f"running accuracy {correct / sampled:.3f}")
        seconds = time.perf_counter() - start
        test_error, _ = error_rate(net, x_test, y_test)
        state["history"].append({"epoch": epoch + 1, "lr": lr, "train_loss": total_loss / n,
                                 "test_error": test_error, "seconds": seconds,
                                 "images_per_second": n / seconds})
        state["epoch"] = epoch + 1
        save_checkpoint(out / CHECKPOINT, net, velocity, state)
        echo(f"epoch {epoch + 1}: test error {100 * test_error:.2f}%  ({seconds:.1f}s, "
             f"{n / seconds:.0f} images/s); checkpoint {out / CHECKPOINT}")
    net.save(out / "model.npz")
    summary = _summary(state)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    _plot(out, state["history"], echo)
    echo(f"final test error {100 * summary['test_error']:.2f}% after {summary['epochs']} epochs; "
         f"summary {out / 'summary.json'}")
    return summary


def _summary(state: dict) -> dict:
    history = state["history"]
    seconds = sum(h["seconds"] for h in history)
    images = sum(h["images_per_second"] * h["seconds"] for h in history)
    return {"epochs": state["epoch"], "test_error": history[-1]["test_error"] if history else None,
            "best_test_error": min((h["test_error"] for h in history), default=None),
            "train_seconds": seconds, "images_per_second": images / seconds if seconds else None,
            "normalisation": {"mean": state["mean"], "std": state["std"]},
            "config": state["config"], "history": history}


def _plot(out: Path, history: list, echo) -> None:
    from derive.lenet.pictures import training_curve

    if history:
        path = training_curve(out / "training_curve.png", history)
        echo(f"training curve {path}")


def evaluate(checkpoint: str, config: Config, echo=print) -> dict:
    """Test error, confusion matrix and a picture of the misclassified digits."""
    from derive.lenet.pictures import confusion_picture, misclassified_picture

    params, _, state = load_checkpoint(Path(checkpoint))
    saved = state["config"]
    net = _network_class()(dtype=saved["dtype"], loss=saved["loss"])
    net.params = {k: params[k] for k in net.params}
    images, labels = mnist.load("test", config.data or None)
    if config.test_limit:
        images, labels = images[:config.test_limit], labels[:config.test_limit]
    x = (mnist.pad_and_scale(images, dtype=saved["dtype"]) - state["mean"]) / state["std"]
    error, predictions = error_rate(net, x, labels.astype(np.int64))
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (labels, predictions), 1)
    out = Path(checkpoint).parent
    echo(f"test error {100 * error:.2f}% ({int(np.sum(predictions != labels))} of {len(labels)})")
    echo("confusion matrix (rows: true digit, columns: predicted):")
    echo("      " + "".join(f"{d:6d}" for d in range(10)))
    for d in range(10):
        echo(f"{d:6d}" + "".join(f"{c:6d}" for c in confusion[d]))
    wrong = np.flatnonzero(predictions != labels)
    pictures = [confusion_picture(out / "confusion.png", confusion),
                misclassified_picture(out / "misclassified.png", images[wrong], labels[wrong],
                                      predictions[wrong])]
    echo("pictures: " + ", ".join(map(str, pictures)))
    result = {"test_error": error, "confusion": confusion.tolist(), "misclassified": len(wrong)}
    (out / "evaluation.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def add_arguments(parser, only=None) -> None:
    defaults = Config()
    for f in fields(Config):
        if only is not None and f.name not in only:
            continue
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(getattr(defaults, f.name)),
                            default=getattr(defaults, f.name))


def config_from(args) -> Config:
    return Config(**{f.name: getattr(args, f.name) for f in fields(Config) if hasattr(args, f.name)})


def main_train(args) -> int:
    try:
        train(config_from(args), resume=args.resume, echo=lambda s: print(s, flush=True))
    except (ValueError, mnist.MnistError) as err:
        print(f"derive train: {err}", file=sys.stderr)
        return 2
    return 0


def main_evaluate(args) -> int:
    try:
        evaluate(args.checkpoint, config_from(args), echo=lambda s: print(s, flush=True))
    except (ValueError, mnist.MnistError) as err:
        print(f"derive evaluate: {err}", file=sys.stderr)
        return 2
    return 0
