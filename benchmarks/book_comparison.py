"""Reproduce the book's comparisons (chapters 7-8) with the book's settings.

    python -m benchmarks.book_comparison            # the four variants the book reports (about 20 min)
    python -m benchmarks.book_comparison --only peeky_reversed --epochs 5

Settings as in the book (``s2s.presets.BOOK`` and ``BOOK_DATE``): wordvec 16, hidden 128 (addition) /
256 (date), batch 128, Adam 0.001, clip 5.0, 45,000 training examples; addition 25 epochs, date 10
epochs. The variants are the book's comparisons (``s2s.presets.COMPARISONS``); those the book reports a
final accuracy for run by default, the date task's plain seq2seq with ``--only baseline_date``. The
training data come from this project's generators (never from the book's files); accuracy per epoch is
measured on 5,000 generated held-out questions (``VAL_SIZE``), and at the end also on every line of
the book's file when ../shared/datasets is present. Prints one line per epoch and a Markdown table at
the end. Quickest check: ``--only baseline --epochs 1``.
"""

from __future__ import annotations

import os

from s2s.fast.blas import one_blas_thread

os.environ.update(one_blas_thread())  # first: OpenBLAS reads its thread count once, when numpy loads it

import argparse
import json
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from s2s.data import DatasetError, make_split, read_book_file
from s2s.models import build_model
from s2s.presets import COMPARISONS, RACES, VAL_SIZE, comparison_presets
from s2s.trainer import Trainer, evaluate

BOOK_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"

# name -> (task, variant of s2s.presets.COMPARISONS), each trained with the book's settings for its task
VARIANTS = {(name if task == "addition" else f"{name}_{task}"): (task, name)
            for task, variants in COMPARISONS.items() for name in variants}
# run unless --only says otherwise: the variants the book reports a final accuracy for
REPORTED = [n for n, (task, name) in VARIANTS.items() if COMPARISONS[task][name].book_accuracy is not None]


def run(name: str, epochs: int | None, seed: int) -> dict:
    """Train one variant; print one JSON line per epoch; return its summary."""
    task, variant = VARIANTS[name]
    preset = comparison_presets(task, RACES[task]["book"])[variant]
    preset = replace(preset, epochs=epochs or preset.epochs)
    train, val = make_split(task, preset.train_size, VAL_SIZE, seed)
    model = build_model(preset.model_config(len(train.codec.vocab)), np.random.default_rng([seed, 1]))
    trainer = Trainer(model, train, preset.train_config(seed=seed))
    curve = []
    for ev in trainer.fit(val):  # one evaluation per epoch
        curve.append(ev.accuracy)
        print(json.dumps({"variant": name, "epoch": round(ev.epoch), "loss": round(ev.loss, 5),
                          "val_accuracy": ev.accuracy, "train_seconds": round(ev.train_seconds, 2)}), flush=True)
    book_acc = None
    path = BOOK_DATA / f"{task}.txt"
    if path.exists():
        try:
            book_acc = evaluate(model, read_book_file(path, train.codec))["accuracy"]
        except DatasetError as e:
            print(f"cannot score {path}: {e}", file=sys.stderr)
    reported = COMPARISONS[task][variant].book_accuracy
    return {"variant": name, "epochs": preset.epochs, "final": curve[-1], "best": max(curve),
            "book_file": book_acc, "seconds": trainer.train_seconds,
            "book": "n/a" if reported is None else f"about {100 * reported:.0f} %"}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=sorted(VARIANTS), action="append",
                   help=f"run only these variants (default: {', '.join(REPORTED)})")
    p.add_argument("--epochs", type=int, default=None, help="override the book's epoch counts")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    print(f"# machine: {platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()},"
          f" numpy {np.__version__}, {time.strftime('%Y-%m-%d')}")
    rows = [run(name, args.epochs, args.seed) for name in (args.only or REPORTED)]
    print("\n| variant | epochs | held-out accuracy (final / best) | book's file, all 50,000 lines | "
          "train time | the book |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        bf = "n/a" if r["book_file"] is None else f"{r['book_file']:.2%}"
        print(f"| {r['variant']} | {r['epochs']} | {r['final']:.2%} / {r['best']:.2%} | {bf} | "
              f"{r['seconds']:.0f} s | {r['book']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
