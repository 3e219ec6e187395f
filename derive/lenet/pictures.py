"""Pictures of a training run (matplotlib, written as PNG without a display)."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def training_curve(path: Path, history: list[dict]) -> Path:
    plt = _pyplot()
    epochs = [h["epoch"] for h in history]
    fig, left = plt.subplots(figsize=(7, 4))
    left.plot(epochs, [h["train_loss"] for h in history], "o-", color="tab:blue")
    left.set_xlabel("epoch")
    left.set_ylabel("training loss", color="tab:blue")
    right = left.twinx()
    right.plot(epochs, [100 * h["test_error"] for h in history], "s-", color="tab:red")
    right.set_ylabel("test error (%)", color="tab:red")
    right.axhline(1.0, color="tab:red", linestyle=":", linewidth=1)
    left.set_title("LeNet-5 on MNIST, generated kernels")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def confusion_picture(path: Path, confusion: np.ndarray) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    off = confusion.astype(float).copy()
    np.fill_diagonal(off, 0)
    ax.imshow(off, cmap="Reds")
    for (i, j), count in np.ndenumerate(confusion):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                    color="black" if i != j else "tab:green")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("confusion (diagonal in green)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def misclassified_picture(path: Path, images, labels, predictions, limit=100) -> Path:
    plt = _pyplot()
    count = min(len(images), limit)
    cols = 10
    rows = max(1, (count + cols - 1) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.3))
    for k, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if k < count:
            ax.imshow(images[k], cmap="gray_r")
            ax.set_title(f"{labels[k]}→{predictions[k]}", fontsize=8)
    fig.suptitle(f"misclassified test digits (true→predicted), {count} of {len(images)}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
