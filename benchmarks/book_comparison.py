"""Reproduce the book's comparisons (chapters 7-8) with the book's settings.

    python -m benchmarks.book_comparison            # all four variants (about 20 min on 2 cores)
    python -m benchmarks.book_comparison --only peeky_reversed --epochs 5

Settings as in the book: wordvec 16, hidden 128 (addition) / 256 (date), batch 128, Adam 0.001,
clip 5.0, 45,000 training examples; addition 25 epochs, date 10 epochs. The training data come
from this project's generators (never from the book's files); accuracy per epoch is measured on
5,000 generated held-out questions, and at the end also on every line of the book's file when
../shared/datasets is present. Prints one line per epoch and a Markdown table at the end.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from s2s.data import DatasetError, make_split, read_book_file
from s2s.models import ModelConfig, build_model
from s2s.trainer import TrainConfig, Trainer, evaluate

BOOK_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"

# name: (task, model kind, reverse, hidden, epochs, the book's result as read off its figures)
VARIANTS = {
    "baseline": ("addition", "seq2seq", False, 128, 25, "about 10 %"),
    "reversed": ("addition", "seq2seq", True, 128, 25, "about 50 %"),
    "peeky_reversed": ("addition", "peeky", True, 128, 25, "about 99 %"),
    "attention_date": ("date", "attention", True, 256, 10, "about 100 % (99.9 %)"),
}


def run(name: str, epochs: int | None, seed: int) -> dict:
    """Train one variant; print one JSON line per epoch; return its summary."""
    task, kind, reverse, hidden, default_epochs, book = VARIANTS[name]
    epochs = epochs or default_epochs
    train, val = make_split(task, 45000, 5000, seed)
    model = build_model(ModelConfig(kind, len(train.codec.vocab), 16, hidden, reverse),
                        np.random.default_rng([seed, 1]))
    trainer = Trainer(model, train, TrainConfig(batch_size=128, lr=0.001, clip=5.0, seed=seed, epochs=epochs))
    curve = []
    for _ in range(epochs):
        m = trainer.run_epoch()
        acc = evaluate(model, val)["accuracy"]
        curve.append(acc)
        print(json.dumps({"variant": name, "epoch": round(m["epoch"]), "loss": round(m["loss"], 5),
                          "val_accuracy": acc, "train_seconds": round(m["train_seconds"], 2)}), flush=True)
    book_acc = None
    path = BOOK_DATA / f"{task}.txt"
    if path.exists():
        try:
            book_acc = evaluate(model, read_book_file(path, train.codec))["accuracy"]
        except DatasetError as e:
            print(f"cannot score {path}: {e}", file=sys.stderr)
    return {"variant": name, "epochs": epochs, "final": curve[-1], "best": max(curve),
            "book_file": book_acc, "seconds": trainer.train_seconds, "book": book}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=sorted(VARIANTS), action="append", help="run only these variants")
    p.add_argument("--epochs", type=int, default=None, help="override the book's epoch counts")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    print(f"# machine: {platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()},"
          f" numpy {np.__version__}, {time.strftime('%Y-%m-%d')}")
    rows = [run(name, args.epochs, args.seed) for name in (args.only or VARIANTS)]
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
