"""Where generalisation ends (issue 20): accuracy beyond the training range for every shipped model.

    python -m benchmarks.generalise [--n 200] [--seed 0] [--repeats 3]

For each shipped addition model, the accuracy by the digits of the longer operand (1-5; trained up to 3),
and for each shipped date model by range of years (trained 1900-2099), with the number of questions of
each point (s2s.generalise, the report the Errors page draws), and the time one report takes on one core
(the median of --repeats; the Errors page computes a report as it draws only when it takes under ~1 s).
"""

from __future__ import annotations

import os

from s2s.fast.blas import one_blas_thread

os.environ.update(one_blas_thread())  # first: OpenBLAS reads its thread count once, when numpy loads it

import argparse
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from s2s.checkpoint import load_checkpoint
from s2s.generalise import N_PER_POINT, range_report

ROOT = Path(__file__).resolve().parents[1]
MODELS = {  # shipped checkpoint -> task (weights/README.md)
    "addition_book_baseline": "addition", "addition_book_reversed": "addition", "addition_book_peeky": "addition",
    "addition_attention": "addition", "addition_peeky": "addition", "addition_gru": "addition",
    "addition_transformer": "addition",
    "date_attention": "date", "date_gru": "date", "date_transformer": "date", "date_ja_attention": "date_ja",
}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=N_PER_POINT, help="questions per point")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3, help="reports timed per model (the median is printed)")
    args = ap.parse_args(argv)
    print(f"# {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {platform.processor() or platform.machine()}, "
          f"numpy {np.__version__}, n {args.n} per point, seed {args.seed}")
    for name, task in MODELS.items():
        path = ROOT / "weights" / f"{name}.npz"
        if not path.exists():
            print(f"{name}: missing")
            continue
        ck = load_checkpoint(path)
        seconds = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            report = range_report(ck.model, ck.codec, task, args.n, args.seed)
            seconds.append(time.perf_counter() - t0)
        cells = []
        for p in report.points:
            cell = f"{p.label}{'*' if p.inside_training else ''} {p.accuracy:6.1%} (n {p.n})"
            if p.month_day_accuracy is not None:
                cell += f" md {p.month_day_accuracy:.0%}"
            cells.append(cell)
        print(f"{name:24s} {statistics.median(seconds):5.2f} s | " + " | ".join(cells))
    print("# * inside the training range; md: month and day right, whatever the year")


if __name__ == "__main__":
    main()
