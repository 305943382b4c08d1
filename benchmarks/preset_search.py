"""Search for the addition preset that reaches 90 % held-out exact match soonest.

    python -m benchmarks.preset_search               # the coordinate search, seeds 0-2 (30-50 min)
    python -m benchmarks.preset_search --quick       # two set-ups, seed 0, at most 300 iterations (a test)
    python -m benchmarks.preset_search --passes 1 --seeds 0 1

What it measures. Each candidate set-up of the addition task (the app's ``default`` preset with one or
more fields changed; the train size stays 45,000, the book's) is trained with the engine's own classes
(``s2s.data.make_split``, ``s2s.models.build_model``, ``s2s.trainer.Trainer``, ``evaluate``) once per seed,
until its held-out exact match reaches 90 % or it has trained on ``--max-examples`` (400,000, about 9
epochs; "cap"). Per run: examples to 90 % (iterations x batch), the training seconds measured in the run
(``Trainer``'s own clock, evaluation excluded) and the training thread's CPU seconds (``time.thread_time``),
per 1,000 examples too, and the time to evaluate 1,000 held-out questions (the app does that every quarter
epoch).

Seconds on a shared machine. Other sessions' work slows a run's wall time by up to 2x and even its CPU
time by up to 1.5x, in bursts, so the in-run seconds are reported but not compared. A step costs the same
for every seed, learning rate and schedule: it depends only on the model, its sizes and the batch. So
the cost per 1,000 examples of a shape is the least CPU time seen over any stretch between two
evaluations (25 batches of 128) of any run of that shape, the speed of an undisturbed core, and per
set-up: one-core seconds = median examples to 90 % x that cost; est. 2-core seconds = that / 1.8 (the
data-parallel speed-up measured for hidden 96: about 13,000 examples/s on one core and 20,000-24,000
on two; smaller models gain less, as each step's coordination weighs more). Neither includes the app's
evaluations or page refreshes.

Held-out: 5,000 questions (``make_split(..., 5000, seed)``, disjoint from the training set), for less
noise than the app's 1,000 (one standard deviation of an accuracy near 90 % is 0.4 point on 5,000 and
0.9 point on 1,000). To keep evaluation cheap, every evaluation scores the first 1,000 of them (the
app's count; where they cross 90 % is reported too, ``examples_1000``) and only when those reach 86 %
the other 4,000: the run's crossing is that of all 5,000. Evaluations are every 3,200 training
examples (25 batches of 128, 50 of 64, 13 of 256), so examples to 90 % are comparable across batch sizes.

The search is coordinate-wise from the current default: one axis at a time (``AXES``: cosine schedule
over 2 / 3 / 5 / 10 epochs or constant; learning rate 0.005-0.03; batch 64 / 128 / 256; hidden 64 / 96 /
128; Peeky or attention, both reversed; the forget gates' initial bias 0 / 1 / 2; clip 5 throughout),
keeping the value with the least median one-core seconds, and with ``--passes 2`` (the default) the axes
are walked again from the result; a set-up measured once is not run again. A candidate is pruned when it
cannot win: a run stops once it has cost 1.25 times the best median ("pruned"), and the seeds stop once
most of them were slower than the best. A run not reached counts as infinitely long in the medians.
Prints one JSON line per run (``{"setup", fields, "seed", "reached", "stopped", "iterations",
"examples", ...}``), one per set-up (``"summary": true``) and a Markdown table of every set-up tried, in
order, at the end (also after ``--budget`` minutes or Ctrl-C). Only one training process runs at a time:
this one, on one core with one BLAS thread.
"""

from __future__ import annotations

import os

from s2s.fast.blas import one_blas_thread

os.environ.update(one_blas_thread())  # first: OpenBLAS reads its thread count once, when numpy loads it

import argparse
import json
import math
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from s2s.data import Dataset, make_split
from s2s.fast.libc import keep_heap_reserve
from s2s.models import build_model
from s2s.presets import BOOK, LIVE_EVAL_SIZE, PRESETS, VAL_SIZE, Preset
from s2s.trainer import Trainer, TrainingDiverged, evaluate

TASK = "addition"
TRAIN_SIZE = BOOK.train_size  # the book's
SCREEN_SIZE = LIVE_EVAL_SIZE  # the app's held-out count; scored at every evaluation
SCREEN_MARGIN = 0.04  # when the first 1,000 reach the target less this, the other 4,000 are scored too
EVAL_EXAMPLES = 3200  # training examples between evaluations
MAX_EXAMPLES = 400_000
TWO_CORE_SPEEDUP = 1.8
PRUNE_FACTOR = 1.25  # a run is stopped once it has cost this many times the best set-up's median


def setup_name(p: Preset) -> str:
    """A short name of the fields the search varies."""
    sched = f"cos{p.epochs:g}" if p.schedule == "cosine" else "const"
    rev = " rev" if p.reverse else ""
    return f"{p.model}{rev} h{p.hidden} fb{p.forget_bias:g} b{p.batch} lr{p.lr:g} {sched}"


def setup_key(p: Preset) -> tuple:
    """What makes two set-ups the same (a constant schedule does not depend on the epoch count)."""
    return (p.model, p.reverse, p.wordvec, p.hidden, p.forget_bias, p.batch, p.lr, p.clip,
            p.epochs if p.schedule == "cosine" else 0, p.schedule)


def default_setup() -> Preset:
    return PRESETS[TASK]["default"]


# Axes of the coordinate search, in the order they are walked: each value is a change to the current set-up.
AXES: list[tuple[str, list[dict]]] = [
    ("schedule", [{"schedule": "cosine", "epochs": e} for e in (2, 3, 5, 10)] + [{"schedule": "constant"}]),
    ("lr", [{"lr": x} for x in (0.005, 0.01, 0.02, 0.03)]),
    ("batch", [{"batch": b} for b in (64, 128, 256)]),
    ("hidden", [{"hidden": h} for h in (64, 96, 128)]),
    ("model", [{"model": "peeky"}, {"model": "attention"}]),
    ("forget_bias", [{"forget_bias": b} for b in (0.0, 1.0, 2.0)]),
]


_splits: dict[int, tuple[Dataset, Dataset]] = {}


def split(seed: int) -> tuple[Dataset, Dataset]:
    """The training and held-out sets of a seed (the same as ``python -m s2s.train --seed S``)."""
    if seed not in _splits:
        _splits[seed] = make_split(TASK, TRAIN_SIZE, VAL_SIZE, seed)
    return _splits[seed]


def shape(setup: Preset) -> tuple:
    """What the cost of a training step depends on."""
    return setup.model, setup.reverse, setup.wordvec, setup.hidden, setup.batch


# shape -> the least CPU seconds per 1,000 examples seen over any stretch between two evaluations
COST: dict[tuple, float] = {}


@dataclass
class RunTally:
    """What one run has measured so far: CPU time, evaluations, and where it crossed the target."""

    cpu: float = 0.0
    burst_cpu: float = 0.0  # since the last evaluation
    burst_steps: int = 0
    eval_seconds: list[float] = field(default_factory=list)
    acc5000: float = 0.0
    acc1000: float = 0.0
    reached_at: int | None = None
    reached_1000_at: int | None = None

    def step(self, cpu: float) -> None:
        self.cpu, self.burst_cpu, self.burst_steps = self.cpu + cpu, self.burst_cpu + cpu, self.burst_steps + 1

    def evaluate(self, trainer: Trainer, setup: Preset, val: Dataset, target: float) -> None:
        """Record the cost of the steps since the last evaluation (COST), score the first SCREEN_SIZE
        held-out questions, and all of them once those are within SCREEN_MARGIN of the target."""
        per_1000 = 1000 * self.burst_cpu / (self.burst_steps * trainer.batch_size)
        COST[shape(setup)] = min(COST.get(shape(setup), math.inf), per_1000)
        self.burst_cpu, self.burst_steps = 0.0, 0
        screen, rest = val.subset(slice(0, SCREEN_SIZE)), val.subset(slice(SCREEN_SIZE, None))
        t0 = time.perf_counter()
        self.acc1000 = evaluate(trainer.model, screen)["accuracy"]
        self.eval_seconds.append(time.perf_counter() - t0)
        if self.acc1000 >= target and self.reached_1000_at is None:
            self.reached_1000_at = trainer.iteration
        if self.acc1000 >= target - SCREEN_MARGIN:
            acc_rest = evaluate(trainer.model, rest)["accuracy"]
            self.acc5000 = (self.acc1000 * len(screen) + acc_rest * len(rest)) / len(val)
            if self.acc5000 >= target:
                self.reached_at = trainer.iteration


def run(setup: Preset, seed: int, target: float, max_examples: int, max_iterations: int | None,
        max_seconds: float = math.inf) -> dict:
    """Train one set-up with one seed until the held-out exact match reaches `target` or a cap: `max_examples`,
    `max_iterations`, or `max_seconds` of one-core training at the set-up's least cost so far ("pruned")."""
    train, val = split(seed)
    model = build_model(setup.model_config(len(train.codec.vocab)), np.random.default_rng([seed, 1]))
    trainer = Trainer(model, train, setup.train_config(seed=seed))
    every = max(1, round(EVAL_EXAMPLES / trainer.batch_size))
    cap = max_examples // trainer.batch_size
    if max_iterations is not None:
        cap = min(cap, max_iterations)
    tally, stopped = RunTally(), "cap"
    while tally.reached_at is None and trainer.iteration < cap:
        if trainer.iteration * trainer.batch_size * COST.get(shape(setup), 0.0) / 1000 > max_seconds:
            stopped = "pruned"
            break
        c0 = time.thread_time()
        try:
            trainer.step()
        except TrainingDiverged:
            stopped = "diverged"
            break
        tally.step(time.thread_time() - c0)
        if trainer.iteration % every == 0 or trainer.iteration == cap:
            tally.evaluate(trainer, setup, val, target)
    trainer.close()
    return record(setup, seed, target, trainer, tally, stopped)


def record(setup: Preset, seed: int, target: float, trainer: Trainer, tally: RunTally, stopped: str) -> dict:
    """One run's JSON line."""
    iterations = tally.reached_at if tally.reached_at is not None else trainer.iteration
    examples = iterations * trainer.batch_size
    return {
        **asdict(setup), "setup": setup_name(setup), "seed": seed, "target": target,
        "reached": tally.reached_at is not None, "stopped": None if tally.reached_at is not None else stopped,
        "iterations": iterations, "examples": examples,
        "examples_1000": None if tally.reached_1000_at is None else tally.reached_1000_at * trainer.batch_size,
        "train_seconds": round(trainer.train_seconds, 3), "cpu_seconds": round(tally.cpu, 3),
        "train_seconds_per_1000": round(1000 * trainer.train_seconds / max(examples, 1), 4),
        "cpu_seconds_per_1000": round(1000 * tally.cpu / max(examples, 1), 4),
        "least_cpu_seconds_per_1000": round(COST.get(shape(setup), math.nan), 4),
        "eval_seconds_per_1000_questions": (round(statistics.median(tally.eval_seconds), 4) if tally.eval_seconds
                                            else None),
        "val_accuracy": round(tally.acc5000, 4), "val_accuracy_1000": round(tally.acc1000, 4),
    }


def _median(values: list[float]) -> float:
    """Median where a run that did not reach the target counts as infinitely long."""
    return statistics.median(values) if values else math.inf


def summarize(setup: Preset, runs: list[dict]) -> dict:
    """Medians over the seeds of one set-up (a run not reached counts as infinite). The one-core seconds are
    the median examples at the least cost per example measured for the set-up's step shape; the in-run
    train and CPU seconds are as measured (inflated when others use the machine)."""
    def med(field: str) -> float:
        return _median([r[field] if r["reached"] else math.inf for r in runs])

    examples = med("examples")
    cost = COST.get(shape(setup), math.nan)
    seconds = examples * cost / 1000 if not math.isinf(examples) else math.inf
    return {
        "summary": True, **asdict(setup), "setup": setup_name(setup), "seeds": [r["seed"] for r in runs],
        "reached": sum(r["reached"] for r in runs),
        "iterations": [r["iterations"] if r["reached"] else r["stopped"] for r in runs],
        "median_examples": examples, "median_examples_1000": _median(
            [math.inf if r["examples_1000"] is None else r["examples_1000"] for r in runs]),
        "median_run_train_seconds": med("train_seconds"), "median_run_cpu_seconds": med("cpu_seconds"),
        "seconds_per_1000": round(cost, 4), "median_seconds": seconds,
        "est_2core_seconds": seconds / TWO_CORE_SPEEDUP,
        "eval_seconds_per_1000_questions": statistics.median(
            [r["eval_seconds_per_1000_questions"] for r in runs if r["eval_seconds_per_1000_questions"]] or [0.0]),
    }


def _json(d: dict) -> str:
    return json.dumps({k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in d.items()})


def _fmt(x: float, spec: str) -> str:
    return "not reached" if math.isinf(x) else format(x, spec)


def table(rows: list[dict], best: dict | None) -> str:
    """The set-ups in the order tried, as Markdown."""
    lines = ["| # | axis | set-up | reached | median examples to 90 % | iterations per seed | "
             "1-core s per 1,000 ex. | median 1-core s | est. 2-core s | in-run train s (wall, CPU) | "
             "eval 1,000 questions s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for i, r in enumerate(rows, 1):
        mark = " **(best)**" if best is not None and r["setup"] == best["setup"] else ""
        its = ", ".join(str(n) for n in r["iterations"])
        lines.append(
            f"| {i} | {r['axis']} | {r['setup']}{mark} | {r['reached']}/{len(r['seeds'])} | "
            f"{_fmt(r['median_examples'], ',.0f')} | {its} | {r['seconds_per_1000']:.3f} | "
            f"{_fmt(r['median_seconds'], '.1f')} | {_fmt(r['est_2core_seconds'], '.1f')} | "
            f"{_fmt(r['median_run_train_seconds'], '.1f')}, {_fmt(r['median_run_cpu_seconds'], '.1f')} | "
            f"{r['eval_seconds_per_1000_questions']:.3f} |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.preset_search", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="two set-ups (the default and hidden 64), seed 0, at most 300 iterations")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--passes", type=int, default=2, help="walks over the axes (default 2)")
    p.add_argument("--target", type=float, default=0.9, help="held-out exact match to reach (default 0.9)")
    p.add_argument("--max-examples", type=int, default=MAX_EXAMPLES, help="cap per run, in training examples")
    p.add_argument("--max-iterations", type=int, default=None, help="cap per run, in iterations")
    p.add_argument("--budget", type=float, default=50.0, metavar="MINUTES",
                   help="start no new set-up after this many minutes (default 50); Ctrl-C also ends with the table")
    args = p.parse_args(argv)
    if args.quick:
        args.seeds = args.seeds[:1]
        args.max_iterations = args.max_iterations or 300
    return args


class Search:
    """The set-ups measured so far, in the order tried, and the coordinate walk over AXES."""

    def __init__(self, args: argparse.Namespace):
        self.args, self.started = args, time.time()
        self.measured: dict[tuple, tuple[Preset, str, list[dict]]] = {}

    def measure(self, setup: Preset, axis: str, best_seconds: float = math.inf) -> dict:
        """Runs of a set-up over the seeds (once: a set-up measured before is looked up); stops early when
        it cannot beat `best_seconds` any more: each run at PRUNE_FACTOR times it, and the seeds as soon as
        a majority of them is slower than it."""
        args = self.args
        if setup_key(setup) not in self.measured:
            if time.time() - self.started > 60 * args.budget:
                raise TimeoutError
            runs: list[dict] = []
            for seed in args.seeds:
                r = run(setup, seed, args.target, args.max_examples, args.max_iterations, PRUNE_FACTOR * best_seconds)
                print(_json(r), flush=True)
                runs.append(r)
                slower = sum(not x["reached"] or x["examples"] * COST[shape(setup)] / 1000 > best_seconds
                             for x in runs)
                if slower >= len(args.seeds) // 2 + 1 and len(runs) < len(args.seeds):
                    print(_json({"setup": setup_name(setup), "pruned": True, "seeds_run": len(runs)}), flush=True)
                    break
            self.measured[setup_key(setup)] = (setup, axis, runs)
            print(_json(summarize(setup, runs) | {"axis": axis}), flush=True)
        setup, axis, runs = self.measured[setup_key(setup)]
        return summarize(setup, runs) | {"axis": axis}

    def walk(self, best_setup: Preset) -> None:
        """The coordinate search from `best_setup`, --passes times over the axes."""
        best = self.measure(best_setup, "start")
        for n in range(self.args.passes):
            for axis, changes in AXES:
                for change in changes:
                    # the best again at the least costs seen so far, which fall as runs find quieter moments
                    best = self.measure(best_setup, "")
                    s = self.measure(replace(best_setup, **change), f"{axis} (pass {n + 1})", best["median_seconds"])
                    if s["median_seconds"] < best["median_seconds"]:
                        best, best_setup = s, replace(best_setup, **change)
                print(_json({"axis": axis, "pass": n + 1, "best": setup_name(best_setup),
                             "median_seconds": best["median_seconds"]}), flush=True)


def report(search: Search) -> None:
    """Every set-up measured, summarised again at the final (least) cost per example of each step shape."""
    args = search.args
    rows = [summarize(setup, runs) | {"axis": axis} for setup, axis, runs in search.measured.values()]
    best = min(rows, key=lambda r: (r["median_seconds"], r["median_examples"]))
    cap = f"cap {args.max_examples:,} examples" + (f" / {args.max_iterations} iterations" if args.max_iterations
                                                    else "")
    print(f"\n{len(rows)} set-ups, seeds {args.seeds}, target {args.target:.0%} held-out exact match on "
          f"{VAL_SIZE:,} questions, evaluated every {EVAL_EXAMPLES:,} examples, {cap}; 1-core s = median examples "
          f"x the least CPU s per 1,000 examples seen for the step's shape; est. 2-core s = 1-core s / "
          f"{TWO_CORE_SPEEDUP}; {time.time() - search.started:.0f} s in all; load average {os.getloadavg()[0]:.1f} "
          "at the end\n")
    print(table(rows, best if not math.isinf(best["median_seconds"]) else None))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    keep_heap_reserve()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# machine: {platform.machine()}, {platform.processor() or 'cpu'}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, numpy {np.__version__}, {time.strftime('%Y-%m-%d %H:%M')}, "
          f"load average {load:.1f} at start", flush=True)
    search = Search(args)
    if args.quick:
        for setup in (default_setup(), replace(default_setup(), hidden=64)):
            search.measure(setup, "quick")
    else:
        try:
            search.walk(default_setup())
        except TimeoutError:
            print(f"# budget of {args.budget:g} minutes spent: the search ends here", flush=True)
        except KeyboardInterrupt:
            print("# interrupted: the set-ups measured so far", flush=True)
    report(search)
    return 0


if __name__ == "__main__":
    sys.exit(main())
