"""How long the Inside page's ablation scan takes (the goal: under 10 s for a hidden-128 model).

    python -m benchmarks.ablation [--repeats 3] [--questions 1000]

For the shipped hidden-128 models (addition Peeky, date attention) and both sides, times
``s2s.ablation.scan`` over the held-out questions the app scans (s2s.presets.ABLATION_SIZE, ABLATION_SEED),
median of the repeats, one BLAS thread as the app's server has (s2s.fast.blas), and prints a table with the
seconds, the rows decoded per second and the five most costly units.
"""

from __future__ import annotations

import os

from s2s.fast.blas import one_blas_thread

os.environ.update(one_blas_thread())  # first: OpenBLAS reads its thread count once, when numpy loads it

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from s2s.ablation import scan
from s2s.checkpoint import load_checkpoint
from s2s.data import make_split
from s2s.fast.threads import on_every_core
from s2s.presets import ABLATION_SEED, ABLATION_SIZE

ROOT = Path(__file__).resolve().parents[1]
CASES = {"addition": "addition_peeky.npz", "date": "date_attention.npz"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--questions", type=int, default=ABLATION_SIZE)
    args = parser.parse_args(argv)
    print(f"# {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, numpy "
          f"{np.__version__}, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}, median of {args.repeats}, load average "
          f"{os.getloadavg()[0]:.1f} (a shared machine: more than 1 slows every figure)")
    print("| model | hidden | side | questions | seconds (median) | ablated rows / s | base | top 5 units (cost) |")
    print("|---|---|---|---|---|---|---|---|")
    for task, weights in CASES.items():
        ck = load_checkpoint(ROOT / "weights" / weights)
        _, data = make_split(task, 0, args.questions, ABLATION_SEED)
        H = ck.model.config.hidden_size
        for side in ("encoder", "decoder"):
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                s = scan(ck.model, data, task, side, map_batches=on_every_core)  # as the Inside page does
                times.append(time.perf_counter() - t0)
            seconds = statistics.median(times)
            top = ", ".join(f"#{j} {s.cost[j]:.1%}" for j in s.ranking[:5])
            print(f"| {weights} | {H} | {side} | {len(data)} | {seconds:.2f} (best {min(times):.2f}) "
                  f"| {H * len(data) / seconds:,.0f} | {s.base:.1%} | {top} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
