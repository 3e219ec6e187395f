"""Benchmarks of the generated kernels (`make bench`): time and memory, as ratios within one run.

For each window strategy of `derive.strategy.Strategy` the spatial kernels are generated into a
temporary folder and timed on LeNet-sized inputs; the memory of a conv2d backward on a
(64, 6, 14, 14) input with 16 5x5 kernels is measured with tracemalloc: the peak allocated during
the call, above what was allocated before it, against the largest argument or result.
"""
from __future__ import annotations

import importlib.util
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derive.render import load_generated, render_kernel, write  # noqa: E402
from derive.rules import RULES  # noqa: E402
from derive.lowering.strategy import Strategy  # noqa: E402

STRATEGIES = {"auto": Strategy(window="auto"), "offsets": Strategy(window="offsets"),
              "im2col": Strategy(window="im2col"), "gemm": Strategy(window="gemm")}


def load(folder: Path, name: str, strategy: Strategy):
    path = folder / f"{name}.py"
    write(path, render_kernel(RULES[name], strategy))
    return load_generated(folder, name)


def peak_bytes(fn) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - before


def interleaved(calls: dict, repeat=15) -> dict:
    """Median seconds of each call, the calls taking turns so that drift hits all alike."""
    for fn in calls.values():
        fn()
    times = {label: [] for label in calls}
    for _ in range(repeat):
        for label, fn in calls.items():
            start = time.perf_counter()
            fn()
            times[label].append(time.perf_counter() - start)
    return {label: statistics.median(t) for label, t in times.items()}


def main() -> int:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 6, 14, 14))
    w = rng.standard_normal((16, 6, 5, 5))
    b = rng.standard_normal(16)
    x = rng.standard_normal((64, 6, 28, 28))
    z = g = gp = None
    calls = {key: {} for key in ("conv2d forward", "conv2d backward", "avgpool2d forward",
                                 "avgpool2d backward")}
    memory = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, strategy in STRATEGIES.items():
            folder = Path(tmp) / label
            conv, pool = load(folder, "conv2d", strategy), load(folder, "avgpool2d", strategy)
            if z is None:
                z = conv.forward(a, w, b)
                g = rng.standard_normal(z.shape)
                gp = rng.standard_normal(pool.forward(x).shape)
            grads = conv.backward(g, a, w)
            largest = max(t.nbytes for t in (a, w, b, g, *grads.values()))
            calls["conv2d forward"][label] = lambda conv=conv: conv.forward(a, w, b)
            calls["conv2d backward"][label] = lambda conv=conv: conv.backward(g, a, w)
            calls["avgpool2d forward"][label] = lambda pool=pool: pool.forward(x)
            calls["avgpool2d backward"][label] = lambda pool=pool: pool.backward(gp, x)
            memory[label] = peak_bytes(lambda: conv.backward(g, a, w)) / largest
        rows = {key: interleaved(fns) for key, fns in calls.items()}
    labels = list(STRATEGIES)
    print("kernel timings (median of 15, strategies interleaved), LeNet C3-sized conv "
          "(64, 6, 14, 14) * 16 @ 5x5, pool on (64, 6, 28, 28); ratios against window='auto'")
    print(f"{'':22s}" + "".join(f"{label:>12s}" for label in labels)
          + "".join(f"{label + '/auto':>14s}" for label in labels[1:]))
    for key, row in rows.items():
        print(f"{key:22s}" + "".join(f"{row[label] * 1e3:9.2f} ms" for label in labels)
              + "".join(f"{row[label] / row['auto']:13.2f}x" for label in labels[1:]))
    print("conv2d backward peak allocation / largest argument or result:")
    for label, ratio in memory.items():
        verdict = "within" if ratio <= 4 else "OVER"
        print(f"  {label:10s} {ratio:5.2f}x  ({verdict} the 4x budget)")
    chosen = Strategy().window
    print(f"default strategy: window={chosen!r}")
    return 0 if memory[chosen] <= 4 else 1


if __name__ == "__main__":
    sys.exit(main())
