"""Command line: exact-match accuracy of a checkpoint on a file or on generated held-out data.

    python -m s2s.eval --weights weights/addition_peeky.npz --data addition.txt --json
    -> {"accuracy": A, "char_accuracy": C, "n": N}
"""

from __future__ import annotations

import os

from s2s.fast.blas import one_blas_thread

os.environ.update(one_blas_thread())  # first: OpenBLAS reads its thread count once, when numpy loads it

import argparse
import json
import sys

from s2s.checkpoint import CheckpointError, load_checkpoint
from s2s.data import DatasetError, make_split, read_book_file, task_codec
from s2s.presets import TEST_SEED, TEST_SIZE
from s2s.tasks import TASKS
from s2s.trainer import evaluate


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m s2s.eval", description="Accuracy of a checkpoint.")
    p.add_argument("--weights", required=True, metavar="FILE")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", metavar="FILE", help="a file in the book's format; every line is scored")
    src.add_argument("--task", choices=sorted(TASKS), help="generated held-out questions of this task")
    p.add_argument("--n", type=int, default=TEST_SIZE, help="held-out examples with --task")
    p.add_argument("--seed", type=int, default=TEST_SEED, help="generator seed with --task")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if args.n < 1:
        p.error("--n must be at least 1")
    try:
        ck = load_checkpoint(args.weights)
    except CheckpointError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.data:
        try:
            data = read_book_file(args.data, ck.codec)
        except DatasetError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    else:
        if ck.codec.to_dict() != task_codec(args.task).to_dict():
            print(f"error: {args.weights} was not trained for the task {args.task!r} "
                  f"(its task: {ck.meta.get('task')!r})", file=sys.stderr)
            return 2
        try:
            _, data = make_split(args.task, 0, args.n, args.seed)
        except ValueError as e:
            print(f"error: --n {args.n}: {e}", file=sys.stderr)
            return 2
    result = evaluate(ck.model, data)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"accuracy {result['accuracy']:.4%} ({result['n']} examples), "
              f"per character {result['char_accuracy']:.4%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
