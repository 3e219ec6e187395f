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

from derive.render import render_kernel, write  # noqa: E402
from derive.rules import RULES  # noqa: E402
from derive.strategy import Strategy  # noqa: E402

STRATEGIES = {"offsets": Strategy(window="offsets"), "im2col": Strategy(window="im2col")}


def load(folder: Path, name: str, strategy: Strategy):
    path = folder / f"{name}.py"
    write(path, render_kernel(RULES[name], strategy))
    spec = importlib.util.spec_from_file_location(f"bench_{path.parent.name}_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seconds(fn, repeat=7) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_bytes(fn) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - before


def main() -> int:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 6, 14, 14))
    w = rng.standard_normal((16, 6, 5, 5))
    b = rng.standard_normal(16)
    x = rng.standard_normal((64, 6, 28, 28))
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, strategy in STRATEGIES.items():
            folder = Path(tmp) / label
            conv, pool = load(folder, "conv2d", strategy), load(folder, "avgpool2d", strategy)
            z = conv.forward(a, w, b)
            g = rng.standard_normal(z.shape)
            pooled = pool.forward(x)
            gp = rng.standard_normal(pooled.shape)
            grads = conv.backward(g, a, w)
            largest = max(t.nbytes for t in (a, w, b, g, *grads.values()))
            rows[label] = {
                "conv2d forward": seconds(lambda: conv.forward(a, w, b)),
                "conv2d backward": seconds(lambda: conv.backward(g, a, w)),
                "avgpool2d forward": seconds(lambda: pool.forward(x)),
                "avgpool2d backward": seconds(lambda: pool.backward(gp, x)),
                "memory": peak_bytes(lambda: conv.backward(g, a, w)) / largest,
            }
    base = rows["offsets"]
    print("kernel timings (median of 7), LeNet C3-sized conv (64, 6, 14, 14) * 16 @ 5x5, "
          "pool on (64, 6, 28, 28)")
    print(f"{'':22s}{'offsets loop':>16s}{'im2col':>16s}{'im2col / offsets':>18s}")
    for key in ("conv2d forward", "conv2d backward", "avgpool2d forward", "avgpool2d backward"):
        print(f"{key:22s}{base[key] * 1e3:13.2f} ms{rows['im2col'][key] * 1e3:13.2f} ms"
              f"{rows['im2col'][key] / base[key]:17.2f}x")
    print("conv2d backward peak allocation / largest argument or result:")
    for label, row in rows.items():
        verdict = "within" if row["memory"] <= 4 else "OVER"
        print(f"  {label:10s} {row['memory']:5.2f}x  ({verdict} the 4x budget)")
    chosen = Strategy().window
    print(f"default strategy: window={chosen!r}")
    return 0 if rows[chosen]["memory"] <= 4 else 1


if __name__ == "__main__":
    sys.exit(main())
