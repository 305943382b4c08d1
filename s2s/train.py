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
from dataclasses import replace
from pathlib import Path

import numpy as np

from s2s.checkpoint import save_checkpoint
from s2s.data import Dataset, DatasetError, make_split, read_book_file, split_dataset
from s2s.fast.libc import keep_heap_reserve
from s2s.fast.parallel import available_cores, data_parallel
from s2s.models import CELLS, MODEL_KINDS, build_model, count_parameters
from s2s.optim import OPTIMIZERS
from s2s.presets import BOOK, PRESETS, VAL_SIZE, Preset
from s2s.tasks import TASKS
from s2s.trainer import MAX_WORKERS, SCHEDULES, Evaluation, TrainConfig, Trainer, TrainingDiverged


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the README's help text)."""
    p = argparse.ArgumentParser(prog="python -m s2s.train", description="Train a Seq2seq model (NumPy).")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--task", choices=sorted(TASKS), help="generate the data of this task")
    src.add_argument("--data", metavar="FILE", help="train on a file in the book's 'question_answer' format")
    p.add_argument("--preset", metavar="NAME",
                   help="start from a named set-up of the task (default, book_baseline, book_reversed, book_peeky, "
                        "book_attention; see s2s/presets.py); options given explicitly override it")
    # Defaults are the book's (s2s.presets.BOOK); None means "not given", so that a preset can fill it.
    p.add_argument("--model", choices=MODEL_KINDS, default=None, help=f"default: {BOOK.model}")
    p.add_argument("--reverse", action=argparse.BooleanOptionalAction, default=None,
                   help="read the question reversed (book 7.5.1); default: no")
    p.add_argument("--wordvec", type=int, default=None, help=f"default: {BOOK.wordvec}")
    p.add_argument("--hidden", type=int, default=None, help=f"default: {BOOK.hidden}")
    p.add_argument("--forget-bias", type=float, default=None, metavar="B",
                   help=f"initial bias of every LSTM's forget gate (the book's: {BOOK.forget_bias:g}; 1.0 keeps "
                        "an LSTM's memory early in training); default: the preset's, else the book's")
    p.add_argument("--cell", choices=CELLS, default=None,
                   help=f"the recurrent layer: the book's LSTM or the GRU of its appendix C; default: {BOOK.cell}")
    p.add_argument("--layers", type=int, default=None,
                   help=f"a Transformer's layers per stack (--model transformer); default: {BOOK.layers}")
    p.add_argument("--heads", type=int, default=None,
                   help=f"a Transformer's attention heads, dividing --hidden; default: {BOOK.heads}")
    p.add_argument("--batch", type=int, default=None, help=f"default: {BOOK.batch}")
    p.add_argument("--epochs", type=float, default=None, help=f"may be fractional; default: {BOOK.epochs}")
    p.add_argument("--lr", type=float, default=None, help=f"default: {BOOK.lr}")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    p.add_argument("--schedule", choices=SCHEDULES, default=None,
                   help="learning-rate schedule; cosine decays to 5%% of --lr by the last epoch; "
                        f"default: {BOOK.schedule}")
    p.add_argument("--clip", type=float, default=None,
                   help=f"max global gradient norm; 0 turns clipping off; default: {BOOK.clip}")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-size", type=int, default=None,
                   help=f"generated training examples (with --task); default: {BOOK.train_size}")
    p.add_argument("--val-size", type=int, default=VAL_SIZE, help="held-out examples never trained on")
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

# the options that set a field of the Preset of the same name (None when not given)
PRESET_OPTIONS = ("model", "reverse", "wordvec", "hidden", "forget_bias", "cell", "layers", "heads", "batch",
                  "epochs", "lr", "schedule", "clip", "train_size", "eval_every")


class CommandError(Exception):
    """A problem with the input data, reported as one line (exit status 2)."""


def chosen_preset(args: argparse.Namespace) -> Preset:
    """The set-up to train: --preset of --task (without one, the book's settings), with the options given."""
    base = BOOK
    if args.preset is not None:
        presets = PRESETS.get(args.task or "", {})
        if args.preset not in presets:
            where = f"for --task {args.task}" if args.task else "with --data (presets belong to a --task)"
            raise ValueError(f"--preset {args.preset!r} does not exist {where}; "
                             f"choose one of: {', '.join(presets) or 'none'}")
        base = presets[args.preset]
    return replace(base, **{k: getattr(args, k) for k in PRESET_OPTIONS if getattr(args, k) is not None})


def checked_settings(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[Preset, TrainConfig]:
    """The preset and training configuration the arguments ask for; a usage error (exit 2) if they are wrong."""
    try:
        preset = chosen_preset(args)
    except ValueError as e:
        parser.error(str(e))
    for name in ("wordvec", "hidden", "layers", "heads", "batch", "train_size"):
        if getattr(preset, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.val_size < 1:
        parser.error("--val-size must be at least 1")
    if not (preset.epochs > 0 and math.isfinite(preset.epochs)):
        parser.error("--epochs must be a positive number")
    if not math.isfinite(preset.forget_bias):
        parser.error("--forget-bias must be a finite number")
    if preset.model == "transformer" and preset.hidden % preset.heads:
        parser.error(f"--heads {preset.heads} must divide --hidden {preset.hidden} (the Transformer's model width)")
    if args.until_accuracy is not None and not 0 < args.until_accuracy <= 1:
        parser.error("--until-accuracy must be in (0, 1]")
    if preset.eval_every < 0:
        parser.error("--eval-every must be 0 (once per epoch) or positive")
    out = Path(args.out)
    if out.is_dir() or not out.parent.is_dir():  # found now, not after the first epoch of training
        parser.error(f"--out {args.out}: " + ("is a folder" if out.is_dir() else f"no folder {out.parent}"))
    try:
        return preset, preset.train_config(optimizer=args.optimizer, seed=args.seed, workers=args.workers)
    except ValueError as e:
        parser.error(str(e))


def datasets(parser: argparse.ArgumentParser, args: argparse.Namespace,
             preset: Preset) -> tuple[Dataset, Dataset, str | None, str]:
    """Training and held-out data, the task (None for a file) and where the data came from."""
    if args.task:
        try:
            train, val = make_split(args.task, preset.train_size, args.val_size, args.seed)
        except ValueError as e:
            parser.error(f"--train-size {preset.train_size} / --val-size {args.val_size}: {e}")
        return train, val, args.task, f"generated:{args.task} (seed {args.seed}, {preset.train_size} examples)"
    try:
        data = read_book_file(args.data)
        if len(data) < 2:
            raise CommandError(f"{args.data}: at least 2 lines are needed (training and held-out)")
        train, val = split_dataset(data, min(0.1, args.val_size / len(data)), args.seed)
    except DatasetError as e:
        raise CommandError(str(e)) from None
    return train, val, None, data.source


class Checkpoints:
    """Writes the checkpoint after the last evaluation and at most every SAVE_EVERY seconds before it
    (compressing a checkpoint costs far more than a few batches), with a summary of the training."""

    def __init__(self, path: str, trainer: Trainer, val: Dataset, **info):
        self.path, self.trainer, self.info = path, trainer, info
        self.summary: dict = {"parameters": count_parameters(trainer.model), "train_size": len(trainer.data),
                              "val_size": len(val)}
        self.started, self.saved_at = time.time(), time.monotonic()

    def after(self, ev: Evaluation) -> None:
        """Record an evaluation; save if it is the last one or the last save is SAVE_EVERY seconds old."""
        self.summary.update(epochs=round(ev.epoch, 4), iterations=ev.iteration,
                            train_seconds=round(ev.cumulative_train_seconds, 3), val_accuracy=ev.accuracy,
                            val_char_accuracy=ev.char_accuracy, wall_seconds=round(time.time() - self.started, 1))
        if ev.reached or ev.done or time.monotonic() - self.saved_at >= SAVE_EVERY:
            save_checkpoint(self.path, self.trainer.model, self.trainer.data.codec, **self.info,
                            training=self.summary)
            self.saved_at = time.monotonic()


def json_line(ev: Evaluation) -> dict:
    """What --json prints for an evaluation (the keys the README lists)."""
    return {"epoch": round(ev.epoch, 4), "iteration": ev.iteration, "train_seconds": ev.train_seconds,
            "cumulative_train_seconds": ev.cumulative_train_seconds, "loss": ev.loss, "val_accuracy": ev.accuracy,
            "val_char_accuracy": ev.char_accuracy, "examples_per_second": ev.examples_per_second}


def train_and_report(args: argparse.Namespace, trainer: Trainer, val: Dataset, eval_every: int,
                     checkpoints: Checkpoints) -> int:
    """The command's training: prints each evaluation and saves checkpoints; returns the exit status."""
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=trainer.total_iterations, unit="batch", file=sys.stderr, dynamic_ncols=True)

    def show_step(m: dict) -> None:
        bar.update(1)
        bar.set_postfix(loss=f"{m['loss']:.3f}", refresh=False)

    try:
        for ev in trainer.fit(val, eval_every, args.until_accuracy,
                              on_step=show_step if bar is not None else None):
            if args.json:
                print(json.dumps(json_line(ev)), flush=True)
            elif bar is not None:
                bar.write(f"epoch {ev.epoch:.2f}  loss {ev.loss:.4f}  val acc {ev.accuracy:.4f}")
            checkpoints.after(ev)
    except TrainingDiverged as e:
        print(f"error: {e}. The last saved checkpoint (if any) is kept.", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("interrupted: the last saved checkpoint is kept", file=sys.stderr)
        return 130
    finally:
        trainer.close()
        if bar is not None:
            bar.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    keep_heap_reserve()  # a process that only trains: speed over a few megabytes (s2s/fast/libc.py)
    preset, config = checked_settings(parser, args)
    try:
        train, val, task, source = datasets(parser, args, preset)
    except CommandError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    model = build_model(preset.model_config(len(train.codec.vocab)), np.random.default_rng([args.seed, 1]))
    # more than one process: the worker processes start here and end with trainer.close()
    backend = data_parallel(model, train, config) if config.workers > 1 else None
    trainer = Trainer(model, train, config, backend=backend)
    command = "python -m s2s.train " + " ".join(argv if argv is not None else sys.argv[1:])
    checkpoints = Checkpoints(args.out, trainer, val, task=task, data_source=source, seed=args.seed,
                              train_config=config.to_dict(), command=command)
    return train_and_report(args, trainer, val, preset.eval_every, checkpoints)


if __name__ == "__main__":
    sys.exit(main())
