"""`make bench`, part 2: whole LeNet-5 training steps, as ratios within one process.

Contenders, each in a process of its own, taking turns of about 0.2 s so that drift on a shared
machine hits all alike:
- `generated`: `generated.lenet5.LeNet5` (the whole-network lowering), loss_and_grads + SGD;
- `hand`: the hand-written NumPy yardstick (tests/bench_yardstick.py), the same step;
- `torch`: PyTorch eager on the CPU, when `torch` is installed (`pip install torch==2.13.0`);
- `jax`: `jax.jit` of the same step, when `jax` is installed.
All start from the same parameters and train on the same MNIST batches (../shared/data/mnist,
or random images where it is missing). Batches 1, 64 and 256, float32 and float64.

Then, at batch 64 in float32, the generated step block by block (a profiled rendering of the same
module): time, share of the step, GFLOP/s, and the block's bound — its formula's operations at the
measured float32 GEMM peak or its arrays' bytes at the measured copy bandwidth, whichever is
larger. Then the memory of a step at batch 256 (tracemalloc). Writes runs/bench/network.json and
runs/bench/network.png.
"""
from __future__ import annotations

import json
import multiprocessing
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_yardstick import HandLeNet5  # noqa: E402
from derive.lowering.netlower import BATCH, lower_network  # noqa: E402
from derive.lowering.network import LENET5  # noqa: E402
from derive.render import load_generated, render_network, write  # noqa: E402
from generated.lenet5 import SAVED, LeNet5  # noqa: E402

LR = 0.01
OUT = ROOT / "runs" / "bench"


def batches(n: int, dtype, count: int = 8):
    """`count` MNIST training batches of n images (padded to 32x32), or random ones offline."""
    try:
        from derive.lenet import mnist

        images, labels = mnist.load("train")
        x = mnist.pad_and_scale(images[: n * count], dtype=dtype)
        y = labels[: n * count].astype(np.int64)
    except Exception as error:  # noqa: BLE001 — the benchmark runs without the data too
        print(f"(MNIST not read: {error}; random images)")
        rng = np.random.default_rng(0)
        x = rng.standard_normal((n * count, 1, 32, 32)).astype(dtype)
        y = rng.integers(0, 10, n * count)
    return [(x[k * n:(k + 1) * n], y[k * n:(k + 1) * n]) for k in range(count)]


def numpy_step(net):
    def step(x, y):
        _, grads = net.loss_and_grads(x, y)
        for key, g in grads.items():
            net.params[key] -= LR * g
    return step


def torch_step(params: dict, dtype):
    try:
        import torch
    except ImportError:
        return None
    nn = torch.nn
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    model = nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5),
                          nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.Tanh(),
                          nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10)).to(tdtype)
    layers = [model[0], model[3], model[7], model[9], model[11]]
    with torch.no_grad():
        for layer, name in zip(layers, ("c1", "c3", "c5", "f6", "out")):
            layer.weight.copy_(torch.from_numpy(params[f"{name}_w"]))
            layer.bias.copy_(torch.from_numpy(params[f"{name}_b"]))
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss_fn(model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        opt.step()
    return step


def jax_step(params: dict, dtype):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    if dtype == np.float64:
        jax.config.update("jax_enable_x64", True)

    def conv(a, w, b):
        z = jax.lax.conv_general_dilated(a, w, (1, 1), "VALID")
        return jnp.tanh(z + b[None, :, None, None])

    def pool(a):
        n, c, h, w = a.shape
        return a.reshape(n, c, h // 2, 2, w // 2, 2).mean((3, 5))

    def loss(p, x, y):
        a = pool(conv(x, p["c1_w"], p["c1_b"]))
        a = pool(conv(a, p["c3_w"], p["c3_b"])).reshape(len(x), -1)
        a = jnp.tanh(a @ p["c5_w"].T + p["c5_b"])
        a = jnp.tanh(a @ p["f6_w"].T + p["f6_b"])
        z = a @ p["out_w"].T + p["out_b"]
        return -jnp.mean(jax.nn.log_softmax(z)[jnp.arange(len(x)), y])

    @jax.jit
    def update(p, x, y):
        grads = jax.grad(loss)(p, x, y)
        return {k: p[k] - LR * grads[k] for k in p}

    state = {"p": {k: jnp.asarray(v) for k, v in params.items()}}

    def step(x, y):
        state["p"] = update(state["p"], x, y)
        jax.block_until_ready(state["p"])
    return step


def alternate(contenders: dict, data, rounds: int, turn: int = 4) -> dict:
    """Median seconds per step of each contender (in this process), taking turns of `turn`
    timed steps, each turn after one untimed step."""
    for step in contenders.values():
        for x, y in data[:3]:
            step(x, y)
    times = {name: [] for name in contenders}
    for r in range(0, rounds, turn):
        for name, step in contenders.items():
            times[name] += _turn(step, data, r, turn)
    return {name: statistics.median(t) for name, t in times.items()}


def _turn(step, data, start: int, count: int) -> list[float]:
    step(*data[start % len(data)])
    times = []
    for k in range(count):
        x, y = data[(start + k) % len(data)]
        begin = time.perf_counter()
        step(x, y)
        times.append(time.perf_counter() - begin)
    return times


def make_step(kind: str, dtype, params: dict):
    if kind == "generated":
        net = LeNet5(seed=0, dtype=dtype)
        net.params = {k: v.copy() for k, v in params.items()}
        return numpy_step(net)
    if kind == "hand":
        return numpy_step(HandLeNet5(params, dtype))
    return {"torch": torch_step, "jax": jax_step}[kind](params, dtype)


def _worker(conn, kind: str, dtype_name: str, params: dict, data: list) -> None:
    """One contender in a process of its own: a turn of steps whenever the parent asks."""
    step = make_step(kind, np.dtype(dtype_name).type, params)
    conn.send(step is not None)
    if step is None:
        return
    for x, y in data[:3]:
        step(x, y)
    while (ask := conn.recv()) is not None:
        conn.send(_turn(step, data, *ask))


def race(kinds, dtype, n: int, turns: int = 8) -> dict:
    """Median seconds per step of each contender, each in its own process, taking turns of
    about 0.2 s: one library's idle threads (which spin for a while after each call) never
    run beside another's, as they would in one process."""
    ctx = multiprocessing.get_context("spawn")
    params = LeNet5(seed=0, dtype=dtype).params
    data = batches(n, dtype)
    workers = {}
    for kind in kinds:
        ours, theirs = ctx.Pipe()
        proc = ctx.Process(target=_worker, args=(theirs, kind, np.dtype(dtype).name, params, data))
        proc.start()
        if ours.recv():
            workers[kind] = (proc, ours)
        else:
            proc.join()
    count = {1: 100, 64: 20, 256: 6}.get(n, 10)
    times = {kind: [] for kind in workers}
    try:
        for r in range(turns):
            for kind, (_, conn) in workers.items():
                conn.send((r * count, count))
                times[kind] += conn.recv()
    finally:
        for proc, conn in workers.values():
            conn.send(None)
            proc.join()
    return {kind: statistics.median(t) for kind, t in times.items()}


def check_yardstick(dtype) -> float:
    """The yardstick computes the generated network's gradients (it must, to be a yardstick)."""
    net = LeNet5(seed=1, dtype=dtype)
    hand = HandLeNet5(net.params, dtype)
    x, y = batches(16, dtype, count=1)[0]
    _, ga = net.loss_and_grads(x, y)
    _, gb = hand.loss_and_grads(x, y)
    return max(float(np.abs(ga[k] - gb[k]).max() / np.abs(ga[k]).max()) for k in ga)


def machine_peaks() -> dict:
    """The float32 GEMM rate and the copy bandwidth this machine reaches now (medians)."""
    a = np.random.default_rng(0).standard_normal((1024, 1024)).astype(np.float32)
    gemm = statistics.median(_timed(lambda: a @ a) for _ in range(15))
    src = np.ones(16 * 2**20, np.float32)
    dst = np.empty_like(src)
    copy = statistics.median(_timed(lambda: np.copyto(dst, src)) for _ in range(15))
    return {"gemm_flops": 2 * 1024**3 / gemm, "copy_bytes": 2 * src.nbytes / copy}


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def kernel_table(peaks: dict, n: int = 64, steps: int = 40) -> dict:
    """Each block of the generated step: time against the bound of its formula."""
    blocks = {}
    data = lower_network(LENET5)
    for step in data["steps"]:
        for b in step.forward + step.backward:
            blocks[f"{step.name}: {b.title}"] = b
    for loss, head in data["heads"]:
        for step in head:
            for b in step.forward:
                blocks[f"{loss}: {b.title}"] = b
            for b in step.backward:
                blocks[f"{loss}: {step.rule} {b.title}"] = b
    with tempfile.TemporaryDirectory() as tmp:
        write(Path(tmp) / "lenet5_profiled.py", render_network(LENET5, profile=True))
        module = load_generated(Path(tmp), "lenet5_profiled")
        net = module.LeNet5(seed=0, dtype="float32")
        plain = LeNet5(seed=0, dtype="float32")
        data_ = batches(n, np.float32)
        walls = alternate({"profiled": numpy_step(net), "plain": numpy_step(plain)}, data_, steps)
        net.times.clear()
        step, total = numpy_step(net), 0.0
        for r in range(steps):
            begin = time.perf_counter()
            step(*data_[r % len(data_)])
            total += time.perf_counter() - begin
    rows = []
    itemsize = 4
    for key, seconds in sorted(net.times.items(), key=lambda kv: -kv[1]):
        b = blocks[key]
        flops = float(b.flops.subs(BATCH, n))
        moved = float(b.entries.subs(BATCH, n)) * itemsize
        bound = max(flops / peaks["gemm_flops"], moved / peaks["copy_bytes"])
        per_step = seconds / steps
        rows.append({"block": key, "ms": per_step * 1e3, "gflops": flops / per_step / 1e9,
                     "bound_ms": bound * 1e3, "bound_by": "flops" if flops / peaks["gemm_flops"]
                     > moved / peaks["copy_bytes"] else "bytes"})
    inside = sum(r["ms"] for r in rows)
    return {"rows": rows, "step_ms": walls["plain"] * 1e3, "profiled_step_ms": walls["profiled"] * 1e3,
            "mean_step_ms": total / steps * 1e3, "inside_ms": inside,
            "bound_ms": sum(r["bound_ms"] for r in rows)}


def memory(n: int = 256) -> dict:
    """tracemalloc peaks of a training step against what the backward pass reads."""
    net = LeNet5(seed=0, dtype="float32")
    x, y = batches(n, np.float32, count=1)[0]
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    net.loss_and_grads(x, y)
    _, first = tracemalloc.get_traced_memory()
    resident, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    net.loss_and_grads(x, y)
    _, steady = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    _, saved = net._forward(net._input(x))
    saved_bytes = sum(saved[k].nbytes for k in SAVED)
    params = sum(v.nbytes for v in net.params.values())
    arrays = net._workspace.arrays
    largest = max(arrays, key=lambda k: arrays[k].nbytes)
    return {"batch": n, "saved_bytes": saved_bytes, "param_bytes": params,
            "first_step_peak": first - base, "steady_step_peak": steady - resident,
            "workspace_bytes": sum(a.nbytes for a in arrays.values()),
            "largest_workspace": [largest, arrays[largest].nbytes],
            "saved": {k: saved[k].nbytes for k in SAVED}}


def chart(results: list, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib missing: no chart)")
        return
    dtypes = sorted({r["dtype"] for r in results})
    fig, axes = plt.subplots(1, len(dtypes), figsize=(5 * len(dtypes), 4), squeeze=False)
    for ax, dtype in zip(axes[0], dtypes):
        rows = [r for r in results if r["dtype"] == dtype]
        names = list(rows[0]["images_per_s"])
        width = 0.8 / len(names)
        for k, name in enumerate(names):
            ax.bar([i + k * width for i in range(len(rows))],
                   [r["images_per_s"][name] for r in rows], width, label=name)
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(rows))])
        ax.set_xticklabels([f"batch {r['batch']}" for r in rows])
        ax.set_ylabel("training images / s")
        ax.set_title(f"LeNet-5 training step, {dtype}")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    print("LeNet-5 training step (loss_and_grads + SGD), each contender in its own process, "
          "taking turns; medians; ratios against the generated step")
    for dtype in (np.float32, np.float64):
        error = check_yardstick(dtype)
        print(f"\n{np.dtype(dtype).name}: the yardstick's gradients match the generated ones "
              f"to {error:.1e} (relative)")
        for n in (1, 64, 256):
            medians = race(("generated", "hand", "torch", "jax"), dtype, n)
            rate = {name: n / t for name, t in medians.items()}
            results.append({"dtype": np.dtype(dtype).name, "batch": n, "turns": 8,
                            "seconds": medians, "images_per_s": rate})
            line = "  ".join(f"{name} {rate[name]:8.0f}/s" for name in rate)
            ratios = "  ".join(f"generated/{name} {rate['generated'] / rate[name]:.2f}x"
                               for name in rate if name != "generated")
            print(f"  batch {n:3d}: {line}   {ratios}")
    missing = [m for m in ("torch", "jax") if m not in results[0]["images_per_s"]]
    if missing:
        print(f"(not installed, not measured: {', '.join(missing)}; "
              f"`pip install torch==2.13.0` for PyTorch)")
    peaks = machine_peaks()
    print(f"\nmachine now: float32 GEMM {peaks['gemm_flops'] / 1e9:.0f} GFLOP/s, "
          f"copy {peaks['copy_bytes'] / 1e9:.1f} GB/s")
    table = kernel_table(peaks)
    print(f"generated step at batch 64, float32, block by block (median step "
          f"{table['step_ms']:.2f} ms, {table['profiled_step_ms']:.2f} ms profiled; over the "
          f"profiled steps {table['mean_step_ms']:.2f} ms a step on average, of which the blocks "
          f"take {table['inside_ms']:.2f} ms against a bound of {table['bound_ms']:.2f} ms; the "
          f"rest is argument checks, the input transpose, the SGD update and Python):")
    print(f"  {'block':34s} {'ms':>7s} {'share':>6s} {'GFLOP/s':>8s} {'bound ms':>9s} "
          f"{'x bound':>8s}")
    for r in table["rows"]:
        print(f"  {r['block']:34s} {r['ms']:7.3f} {r['ms'] / table['mean_step_ms']:6.1%} "
              f"{r['gflops']:8.1f} {r['bound_ms']:9.3f} {r['ms'] / max(r['bound_ms'], 1e-9):7.1f}x"
              f"  ({r['bound_by']})")
    mem = memory()
    print(f"\nmemory of a step at batch {mem['batch']}, float32 (tracemalloc): the backward "
          f"reads {mem['saved_bytes'] / 2**20:.1f} MiB of saved arrays "
          f"({', '.join(mem['saved'])}) and {mem['param_bytes'] / 2**20:.2f} MiB of parameters")
    print(f"  first step peak {mem['first_step_peak'] / 2**20:.1f} MiB "
          f"({mem['first_step_peak'] / mem['saved_bytes']:.1f}x saved; workspaces allocated: "
          f"{mem['workspace_bytes'] / 2**20:.1f} MiB, largest {mem['largest_workspace'][0]} "
          f"{mem['largest_workspace'][1] / 2**20:.1f} MiB)")
    print(f"  later steps peak {mem['steady_step_peak'] / 2**20:.1f} MiB above what they start "
          f"with ({mem['steady_step_peak'] / mem['saved_bytes']:.1f}x saved)")
    report = {"steps": results, "peaks": peaks, "kernels_batch64_float32": table, "memory": mem}
    (OUT / "network.json").write_text(json.dumps(report, indent=2, default=float))
    chart(results, OUT / "network.png")
    print(f"\nwrote {OUT / 'network.json'} and {OUT / 'network.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
