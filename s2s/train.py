"""Command line: train a model and save a checkpoint.

    python -m s2s.train --task addition --model peeky --reverse --out weights/addition_peeky.npz

With ``--json``, one JSON line per evaluation on stdout (by default once per epoch):
``{"epoch", "iteration", "train_seconds", "cumulative_train_seconds", "loss", "val_accuracy",
"val_char_accuracy", "examples_per_second"}``; train seconds exclude evaluation. A progress bar
goes to stderr when it is a terminal. The checkpoint is written (atomically) after the last
evaluation and at most every 30 s before it, so an interrupted run leaves a recent evaluated model.
"""

from __future__ import annotations

import os

from s2s.fast.blas import one_blas_thread

os.environ.update(one_blas_thread())  # first: OpenBLAS reads its thread count once, when numpy loads it

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from s2s.checkpoint import save_checkpoint
from s2s.data import DatasetError, make_split, read_book_file, split_dataset
from s2s.fast.libc import keep_heap_reserve
from s2s.fast.parallel import available_cores, data_parallel
from s2s.models import MODEL_KINDS, ModelConfig, build_model, count_parameters
from s2s.optim import OPTIMIZERS
from s2s.presets import PRESETS
from s2s.tasks import TASKS
from s2s.trainer import MAX_WORKERS, SCHEDULES, TrainConfig, Trainer, TrainingDiverged, evaluate


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the README's help text)."""
    p = argparse.ArgumentParser(prog="python -m s2s.train", description="Train a Seq2seq model (NumPy).")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--task", choices=sorted(TASKS), help="generate the data of this task")
    src.add_argument("--data", metavar="FILE", help="train on a file in the book's 'question_answer' format")
    p.add_argument("--preset", metavar="NAME",
                   help="start from a named set-up of the task (default, book_baseline, book_reversed, book_peeky, "
                        "book_attention; see s2s/presets.py); options given explicitly override it")
    # Defaults are the book's; None means "not given", so that a preset can fill it.
    p.add_argument("--model", choices=MODEL_KINDS, default=None, help="default: seq2seq")
    p.add_argument("--reverse", action=argparse.BooleanOptionalAction, default=None,
                   help="read the question reversed (book 7.5.1); default: no")
    p.add_argument("--wordvec", type=int, default=None, help="default: 16")
    p.add_argument("--hidden", type=int, default=None, help="default: 128")
    p.add_argument("--batch", type=int, default=None, help="default: 128")
    p.add_argument("--epochs", type=float, default=None, help="may be fractional; default: 25")
    p.add_argument("--lr", type=float, default=None, help="default: 0.001")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    p.add_argument("--schedule", choices=SCHEDULES, default=None,
                   help="learning-rate schedule; cosine decays to 5%% of --lr by the last epoch; default: constant")
    p.add_argument("--clip", type=float, default=None, help="max global gradient norm; 0 turns clipping off; "
                                                             "default: 5.0")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-size", type=int, default=None, help="generated training examples (with --task); "
                                                                 "default: 45000")
    p.add_argument("--val-size", type=int, default=5000, help="held-out examples never trained on")
    p.add_argument("--eval-every", type=int, default=None, metavar="N",
                   help="evaluate every N iterations (default: once per epoch)")
    p.add_argument("--until-accuracy", type=float, default=None, metavar="A",
                   help="stop as soon as held-out exact match reaches A (0..1)")
    p.add_argument("--workers", type=workers_arg, default="auto", metavar="N",
                   help=f"split each batch across N processes, one core each (the same gradient, summed in "
                        f"another order; 1: all in this process); default: auto, the cores this process may "
                        f"use, at most {MAX_WORKERS}")
    p.add_argument("--json", action="store_true", help="print one JSON line per evaluation")
    p.add_argument("--out", required=True, metavar="FILE", help="checkpoint to write (.npz)")
    return p


def workers_arg(text: str) -> int:
    """--workers: a number of processes from 1 to MAX_WORKERS, or "auto" (the cores available)."""
    if text == "auto":
        return max(1, min(available_cores(), MAX_WORKERS))
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of processes or 'auto', not {text!r}") from None
    if not 1 <= n <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_WORKERS} (or auto), not {n}")
    return n


SAVE_EVERY = 30.0  # seconds between checkpoint writes while training (the last evaluation is always saved)

BOOK_DEFAULTS = {"model": "seq2seq", "reverse": False, "wordvec": 16, "hidden": 128, "batch": 128, "epochs": 25,
                 "lr": 0.001, "schedule": "constant", "clip": 5.0, "train_size": 45000, "eval_every": 0}


def _fill_defaults(args: argparse.Namespace) -> None:
    """Options not given come from --preset if there is one, else from the book's defaults."""
    base = dict(BOOK_DEFAULTS)
    if args.preset is not None:
        presets = PRESETS.get(args.task or "", {})
        if args.preset not in presets:
            where = f"for --task {args.task}" if args.task else "with --data (presets belong to a --task)"
            raise ValueError(f"--preset {args.preset!r} does not exist {where}; "
                             f"choose one of: {', '.join(presets) or 'none'}")
        preset = presets[args.preset]
        base.update({k: getattr(preset, k) for k in BOOK_DEFAULTS})
    for name, value in base.items():
        if getattr(args, name) is None:
            setattr(args, name, value)


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    keep_heap_reserve()  # a process that only trains: speed over a few megabytes (s2s/fast/libc.py)
    try:
        _fill_defaults(args)
    except ValueError as e:
        parser.error(str(e))
    for name in ("wordvec", "hidden", "batch", "train_size", "val_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not (args.epochs > 0 and math.isfinite(args.epochs)):
        parser.error("--epochs must be a positive number")
    if args.until_accuracy is not None and not 0 < args.until_accuracy <= 1:
        parser.error("--until-accuracy must be in (0, 1]")
    if args.eval_every < 0:
        parser.error("--eval-every must be 0 (once per epoch) or positive")
    out = Path(args.out)
    if out.is_dir() or not out.parent.is_dir():  # found now, not after the first epoch of training
        parser.error(f"--out {args.out}: " + ("is a folder" if out.is_dir() else f"no folder {out.parent}"))
    try:
        config = TrainConfig(args.batch, args.lr, args.optimizer, args.clip, args.seed, math.ceil(args.epochs),
                             args.schedule, workers=args.workers)
    except ValueError as e:
        parser.error(str(e))

    if args.task:
        try:
            train, val = make_split(args.task, args.train_size, args.val_size, args.seed)
        except ValueError as e:
            parser.error(f"--train-size {args.train_size} / --val-size {args.val_size}: {e}")
        task, source = args.task, f"generated:{args.task} (seed {args.seed}, {args.train_size} examples)"
    else:
        try:
            data = read_book_file(args.data)
        except DatasetError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        if len(data) < 2:
            print(f"error: {args.data}: at least 2 lines are needed (training and held-out)", file=sys.stderr)
            return 2
        try:
            train, val = split_dataset(data, min(0.1, args.val_size / len(data)), args.seed)
        except DatasetError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        task, source = None, data.source
    codec = train.codec
    model = build_model(ModelConfig(args.model, len(codec.vocab), args.wordvec, args.hidden, args.reverse),
                        np.random.default_rng([args.seed, 1]))
    iters_per_epoch = len(train) // min(args.batch, len(train))
    total_iters = max(1, round(args.epochs * iters_per_epoch))
    # more than one process: the worker processes start here and end with trainer.close()
    backend = data_parallel(model, train, config) if config.workers > 1 else None
    trainer = Trainer(model, train, config, total_iters, backend=backend)
    every = args.eval_every or trainer.iters_per_epoch

    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total_iters, unit="batch", file=sys.stderr, dynamic_ncols=True)
    summary: dict = {"parameters": count_parameters(model), "train_size": len(train), "val_size": len(val)}
    losses: list[float] = []
    window_seconds, status = 0.0, 0
    started, saved_at = time.time(), time.monotonic()
    command = "python -m s2s.train " + " ".join(argv if argv is not None else sys.argv[1:])
    try:
        while trainer.iteration < total_iters:
            try:
                m = trainer.step()
            except TrainingDiverged as e:
                print(f"error: {e}. The last saved checkpoint (if any) is kept.", file=sys.stderr)
                status = 3
                break
            losses.append(m["loss"])
            window_seconds += m["seconds"]
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{m['loss']:.3f}", refresh=False)
            if trainer.iteration % every and trainer.iteration != total_iters:
                continue
            acc = evaluate(model, val)
            line = {
                "epoch": round(trainer.epoch, 4),
                "iteration": trainer.iteration,
                "train_seconds": window_seconds,
                "cumulative_train_seconds": trainer.train_seconds,
                "loss": float(np.mean(losses)),
                "val_accuracy": acc["accuracy"],
                "val_char_accuracy": acc["char_accuracy"],
                "examples_per_second": len(losses) * trainer.batch_size / window_seconds,
            }
            losses, window_seconds = [], 0.0
            if args.json:
                print(json.dumps(line), flush=True)
            elif bar is not None:
                bar.write(f"epoch {line['epoch']:.2f}  loss {line['loss']:.4f}  val acc {acc['accuracy']:.4f}")
            summary.update(epochs=line["epoch"], iterations=trainer.iteration,
                           train_seconds=round(trainer.train_seconds, 3), val_accuracy=acc["accuracy"],
                           val_char_accuracy=acc["char_accuracy"], wall_seconds=round(time.time() - started, 1))
            reached = args.until_accuracy is not None and acc["accuracy"] >= args.until_accuracy
            last = reached or trainer.iteration >= total_iters
            # compressing a checkpoint costs far more than a few batches: at most every SAVE_EVERY s
            if last or time.monotonic() - saved_at >= SAVE_EVERY:
                save_checkpoint(args.out, model, codec, task=task, data_source=source, seed=args.seed,
                                train_config=config.to_dict(), training=summary, command=command)
                saved_at = time.monotonic()
            if reached:
                break
    except KeyboardInterrupt:
        print("interrupted: the last saved checkpoint is kept", file=sys.stderr)
        status = 130
    finally:
        trainer.close()
        if bar is not None:
            bar.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
