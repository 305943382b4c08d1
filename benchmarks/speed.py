"""Engine speed and time to accuracy, against PyTorch when it is installed.

    python -m benchmarks.speed [--repeats 3] [--quick]

Prints the machine and library versions, then a Markdown table:
- the matrix-product rate of this machine (sgemm, float32) as the physical limit;
- seconds per epoch (45,000 examples, batch 128) of the book's Peeky setup on addition and of the
  book's attention setup on dates (hidden 256), ours and PyTorch's, measured interleaved in one run;
- achieved GFLOP/s of our training (matrix products counted analytically) against the sgemm rate, and the
  seconds those products alone take at the shapes our engine multiplies (a floor for this BLAS and split);
- time to 90 % held-out exact match: ours with the default preset, PyTorch with the book's settings;
- greedy decoding of one question with the full trace, and batched evaluation of 5,000 questions.
PyTorch is optional: without it the PyTorch columns say so and everything else still runs.
"""

from __future__ import annotations

import os

from s2s.fast.blas import one_blas_thread

# First, before numpy loads. Both engines get both cores: PyTorch its default intra-op threads (so only
# OpenBLAS's variable is set: OMP_NUM_THREADS would limit PyTorch too); ours splits each batch across 2
# processes (TrainConfig.workers, s2s/fast/parallel.py) with one BLAS thread each. A value you set wins.
os.environ.update(one_blas_thread(names=["OPENBLAS_NUM_THREADS"]))

import argparse
import platform
import statistics
import sys
import threading
import time

import numpy as np

from benchmarks import torch_peer
from s2s.checkpoint import load_checkpoint
from s2s.data import make_split
from s2s.fast.libc import keep_heap_reserve
from s2s.fast.parallel import data_parallel
from s2s.inference import answer
from s2s.models import build_model
from s2s.presets import LIVE_EVAL_SIZE, PRESETS, TEST_SEED, TEST_SIZE, Preset
from s2s.trainer import Trainer, evaluate

BATCHES_PER_EPOCH = 45000 // 128  # 351, as in the book
CORES = 2  # of the machines this project runs on: our worker processes, PyTorch's intra-op threads


def sgemm_gflops(n: int = 1024, repeats: int = 10, threads: int = CORES) -> float:
    """float32 matrix-product rate (GFLOP/s) of this machine: `threads` threads each multiplying their own
    n x n matrices at the same time (NumPy releases the GIL in products), best of `repeats` rounds."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    a @ a
    best = float("inf")
    for _ in range(repeats):
        products = [threading.Thread(target=np.matmul, args=(a, a)) for _ in range(threads)]
        t0 = time.perf_counter()
        for thread in products:
            thread.start()
        for thread in products:
            thread.join()
        best = min(best, time.perf_counter() - t0)
    return threads * 2 * n ** 3 / best / 1e9


def lstm_flops(N: int, T: int, D: int, H: int, extra_in: int = 0) -> float:
    """Matrix-product FLOPs of one LSTM's forward and backward over T steps (x@Wx, h@Wh and their
    gradients: three products of each kind)."""
    return 3 * 2 * N * T * (D + extra_in + H) * 4 * H


def model_flops(kind: str, V: int, Te: int, Td: int, H: int, D: int = 16, N: int = 128) -> float:
    """Matrix-product FLOPs of one training step of a model (forward and backward)."""
    f = lstm_flops(N, Te, D, H) + lstm_flops(N, Td, D, H, extra_in=H if kind == "peeky" else 0)
    affine_in = 2 * H if kind in ("peeky", "attention") else H
    f += 3 * 2 * N * Td * affine_in * V
    if kind == "attention":
        f += 3 * 2 * 2 * N * Td * Te * H  # scores and weighted sums
    return f


def products_seconds_per_epoch(kind: str, V: int, Te: int, Td: int, H: int, D: int = 16, batch: int = 128,
                               repeats: int = 5) -> float:
    """Seconds per epoch of the matrix products alone (the model_flops ones), at the shapes our engine
    multiplies: CORES threads at once, each doing one training step's products for its share of the batch
    (batch / CORES rows), the recurrent ones one step at a time. No element-wise work, no synchronisation:
    a floor under any implementation that uses this BLAS and this split. Best of `repeats`."""
    N = batch // CORES
    rng = np.random.default_rng(0)

    def rand(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    extra = H if kind == "peeky" else 0
    Wh, WhT, h, step_out, dh = rand(H, 4 * H), rand(4 * H, H), rand(N, H), rand(N, 4 * H), rand(N, H)
    affine_in = 2 * H if kind in ("peeky", "attention") else H
    W_aff, x_aff, d_aff = rand(affine_in, V), rand(N * Td, affine_in), rand(N * Td, V)
    enc, dec, a = rand(N, Te, H), rand(N, Td, H), rand(N, Td, Te)

    # per LSTM (encoder, decoder): its T, inputs, input weights, states and pre-activation gradients
    lstms = [(T, rand(N * T, Din), rand(Din, 4 * H), rand(N * T, H), rand(N * T, 4 * H))
             for T, Din in ((Te, D), (Td, D + extra))]

    def one_step():
        for T, xs, Wx, hs, dA in lstms:
            xs @ Wx  # the input projections of all steps, forward
            for _ in range(T):  # the recurrent products, forward and backward
                np.matmul(h, Wh, out=step_out)
                np.matmul(step_out, WhT, out=dh)
            xs.T @ dA, hs.T @ dA, dA @ Wx.T  # dWx, dWh (all steps at once), dxs
        x_aff @ W_aff, x_aff.T @ d_aff, d_aff @ W_aff.T
        if kind == "attention":
            for _ in range(3):  # scores and weighted sums, forward and backward
                dec @ enc.transpose(0, 2, 1), a @ enc

    def each_thread(times: list):
        for _ in range(repeats):
            t0 = time.perf_counter()
            one_step()
            times.append(time.perf_counter() - t0)

    one_step()
    runs = [[] for _ in range(CORES)]
    threads = [threading.Thread(target=each_thread, args=(r,)) for r in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return min(max(step) for step in zip(*runs, strict=True)) * BATCHES_PER_EPOCH


def ours_seconds_per_epoch(preset: Preset, batches: int, repeats: int) -> float:
    """Median seconds for `batches` training steps of a preset on CORES processes, scaled to one epoch."""
    train, _ = make_split(preset.task, preset.batch * batches, 10, 0)
    model = build_model(preset.model_config(len(train.codec.vocab)), np.random.default_rng(0))
    config = preset.train_config(workers=CORES)
    trainer = Trainer(model, train, config, backend=data_parallel(model, train, config))
    for _ in range(5):
        trainer.step()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(batches):
            trainer.step()
        times.append(time.perf_counter() - t0)
    trainer.close()
    return statistics.median(times) * BATCHES_PER_EPOCH / batches


def ours_time_to_accuracy(workers: int, target: float = 0.9, limit_seconds: float = 120) -> tuple[float | None, float]:
    """Training seconds until held-out exact match >= target with the default addition preset on `workers`
    processes, evaluating every preset.eval_every iterations on LIVE_EVAL_SIZE held-out questions (not counted)."""
    p = PRESETS["addition"]["default"]
    train, val = make_split("addition", p.train_size, LIVE_EVAL_SIZE, 0)
    model = build_model(p.model_config(len(train.codec.vocab)), np.random.default_rng([0, 1]))
    config = p.train_config(seed=0, workers=workers)
    trainer = Trainer(model, train, config, backend=data_parallel(model, train, config) if workers > 1 else None)
    reached = None
    for ev in trainer.fit(val, p.eval_every, until_accuracy=target):
        if ev.reached:
            reached = ev.cumulative_train_seconds
        if ev.cumulative_train_seconds >= limit_seconds:
            break
    trainer.close()
    return reached, trainer.epoch


def decode_ms(repeats: int = 200) -> float:
    """Median milliseconds to decode one question with the full trace (shipped addition model)."""
    ck = load_checkpoint("weights/addition_peeky.npz")
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        answer(ck.model, ck.codec, ["52+607"])
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def eval_seconds(repeats: int = 5) -> float:
    """Median seconds to evaluate TEST_SIZE (5,000) held-out questions in batches (shipped addition model)."""
    ck = load_checkpoint("weights/addition_peeky.npz")
    _, val = make_split("addition", 0, TEST_SIZE, TEST_SEED)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        evaluate(ck.model, val)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="fewer batches per measurement")
    args = ap.parse_args()
    keep_heap_reserve()  # as the command line and the worker processes do (s2s/fast/libc.py)
    has_torch = torch_peer.available()
    versions = f"numpy {np.__version__}" + (f", torch {torch_peer.torch.__version__} "
                                             f"({torch_peer.torch.get_num_threads()} threads)" if has_torch else
                                             ", torch not installed")
    print(f"# {platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}, {versions},"
          f" {time.strftime('%Y-%m-%d %H:%M')}")
    limit = sgemm_gflops()
    print(f"# sgemm rate (1024^3, float32, {CORES} threads at once, one BLAS thread each): {limit:.0f} GFLOP/s;"
          f" ours trains on {CORES} processes (TrainConfig.workers), PyTorch on {CORES} intra-op threads")
    rows = []
    # the book's set-ups; V, Te, Td: vocabulary, question and answer lengths of the task (PyTorch builds the same)
    for name, preset, V, Te, Td, batches in (
        ("Peeky + reversed, addition, hidden 128", PRESETS["addition"]["book_peeky"], 13, 7, 4,
         60 if args.quick else 150),
        ("attention, date, hidden 256", PRESETS["date"]["book_attention"], 59, 29, 10, 10 if args.quick else 25),
    ):
        kind, H = preset.model, preset.hidden
        ours, theirs = [], []
        for _ in range(args.repeats):  # interleaved, so a noisy neighbour hits both alike
            ours.append(ours_seconds_per_epoch(preset, batches, 1))
            if has_torch:
                theirs.append(torch_peer.seconds_per_epoch(kind, V, Te, Td, H, batches, repeats=1)
                              * BATCHES_PER_EPOCH / batches)
        o = statistics.median(ours)
        t = statistics.median(theirs) if theirs else None
        gflops = model_flops(kind, V, Te, Td, H) * BATCHES_PER_EPOCH / o / 1e9
        floor = model_flops(kind, V, Te, Td, H) * BATCHES_PER_EPOCH / limit / 1e9
        shaped = products_seconds_per_epoch(kind, V, Te, Td, H)
        each = "" if t is None else " (each repeat: " + ", ".join(
            f"{a / b:.2f}" for a, b in zip(ours, theirs, strict=True)) + ")"
        rows.append((f"s/epoch, {name}", f"{o:.2f}", "n/a" if t is None else f"{t:.2f}",
                     "n/a" if t is None else f"{o / t:.2f}{each}",
                     f"{gflops:.0f} GFLOP/s (the book's formulation's products) = {gflops / limit:.0%} of sgemm; "
                     f"those products alone at the sgemm rate: {floor:.2f} s, at the shapes we multiply "
                     f"(half a batch per core, one step at a time): {shaped:.2f} s"))
    torch_secs = torch_peer.time_to_accuracy() if has_torch else None
    for workers in (1, CORES):
        secs, epoch = ours_time_to_accuracy(workers)
        rows.append((f"s to 90 % held-out (addition), ours on {workers} core{'s' * (workers > 1)}",
                     "not reached" if secs is None else f"{secs:.1f} (default preset, epoch {epoch:.2f})",
                     "n/a" if torch_secs is None else f"{torch_secs[0]:.1f} (book settings, epoch {torch_secs[1]:.2f})",
                     "n/a" if secs is None or torch_secs is None else f"{secs / torch_secs[0]:.2f}",
                     "goal: at most 15 s"))
    rows.append(("decode 1 question with the full trace", f"{decode_ms():.2f} ms", "", "", "goal: under 2 ms"))
    rows.append(("evaluate 5,000 questions (batched)", f"{eval_seconds():.3f} s", "", "", "goal: under 0.5 s"))
    print(f"\n| measure (median of {args.repeats}, interleaved) | ours (NumPy) | PyTorch | ours / PyTorch | notes |")
    print("|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
