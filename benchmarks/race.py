"""How long the Compare page's races take, as the app runs them: one session alone on the server.

    python -m benchmarks.race                       # both tasks' lesson races
    python -m benchmarks.race --task addition --race book
    python -m benchmarks.race --quick               # a few seconds of each (the test suite)

Each race is the app's own ``BackgroundCompare`` (ui/background.py) with the settings of ``s2s.presets.RACES``,
trained in its background thread exactly as after Start on Compare (a session alone splits each batch
across both cores), while this process polls its snapshot every 0.5 s as the page would. Printed: the
wall-clock seconds until the race shows the book's story and keeps showing it at every evaluation after
(chapter 7: plain < reversed < Peeky + reversed with each at least 15 points above the one before;
chapter 8: attention at least 50 points ahead of the plain model), the seconds until the race ends,
and every variant's final accuracy (held-out, 1,000 questions). The page itself also draws charts in a
browser: benchmarks/lesson_walk.py times the races there.
"""

from __future__ import annotations

import os

from s2s.fast.blas import one_blas_thread

os.environ.update(one_blas_thread())  # first: OpenBLAS reads its thread count once, when numpy loads it

import argparse
import dataclasses
import json
import platform
import sys
import time

import numpy as np

from s2s.presets import COMPARISONS, RACES, Race, race_variants
from ui.background import BackgroundCompare as CompareRunner

GAP = {"addition": 0.15, "date": 0.50}  # what "clear" means for each chapter's race


BEYOND_DONE = 0.95  # the race beyond chapter 8 tells its story when every model has learnt the dates


def story_told(task: str, accuracies: dict[str, float], race: Race | None = None) -> bool:
    """Whether accuracies show the race's point: for the book's races its ordering with clear gaps (variants in
    COMPARISONS order), for the race beyond chapter 8 every variant past BEYOND_DONE."""
    if race is not None and race.variants:
        return all(accuracies[name] >= BEYOND_DONE for name in race_variants(task, race))
    values = [accuracies[name] for name in COMPARISONS[task]]
    return all(b - a >= GAP[task] for a, b in zip(values, values[1:], strict=False))


def run(task: str, race_name: str, limit: float, seed: int = 0, epochs: int | None = None) -> dict:
    """One race (`epochs`: stop it earlier than the race's own number); returns its figures."""
    race = RACES[task][race_name]
    if epochs is not None:
        race = dataclasses.replace(race, epochs=epochs)
    compare = CompareRunner.for_race(task, race, seed, budget_seconds=1e9)  # as the Compare page makes it
    started = time.monotonic()
    compare.start()
    told_since = None
    try:
        while compare.status == "running" and time.monotonic() - started < limit:
            time.sleep(0.5)
            status, lanes = compare.snapshot()
            now = {lane.name: float(lane.evals[-1, 2]) for lane in lanes}
            if story_told(task, now, race):
                told_since = told_since or time.monotonic() - started
            else:
                told_since = None
    finally:
        compare.close()
    status, lanes = compare.snapshot()
    return {"task": task, "race": race_name, "hidden": race.hidden, "epochs": race.epochs, "lr": race.lr,
            "finished": status == "finished", "told_after_s": None if told_since is None else round(told_since, 1),
            "seconds": round(time.monotonic() - started, 1),
            "epochs_done": {lane.name: round(lane.epoch, 2) for lane in lanes},
            "final": {lane.name: float(lane.evals[-1, 2]) for lane in lanes}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", choices=sorted(RACES), action="append", help="default: every task")
    p.add_argument("--race", choices=["lesson", "book", "beyond"], default="lesson",
                   help="beyond: beyond chapter 8 (dates only)")
    p.add_argument("--quick", action="store_true", help="stop each race after 5 s")
    args = p.parse_args(argv)
    print(f"# machine: {platform.machine()}, python {platform.python_version()}, numpy {np.__version__}, "
          f"{time.strftime('%Y-%m-%d')}", flush=True)
    rows = []
    for task in args.task or sorted(RACES):
        if args.race not in RACES[task]:
            continue
        rows.append(run(task, args.race, 5.0 if args.quick else 3600.0))
        print(json.dumps(rows[-1]), flush=True)
    print("\n| task | race | told the book's story after | whole race | final accuracy |")
    print("|---|---|---|---|---|")
    for r in rows:
        told = "never" if r["told_after_s"] is None else f"{r['told_after_s']:.0f} s"
        final = ", ".join(f"{k} {v:.1%}" for k, v in r["final"].items())
        print(f"| {r['task']} | {r['race']} ({r['epochs']} epochs, hidden {r['hidden']}, lr {r['lr']:g}) | {told} | "
              f"{r['seconds']:.0f} s{'' if r['finished'] else ' (stopped)'} | {final} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
