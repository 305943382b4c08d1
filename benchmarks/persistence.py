"""What saving a run costs, and how long bringing it back takes (s2s.store, ui/persist.py).

    python -m benchmarks.persistence [--repeats 5]

For the Train page's default presets of addition and dates (45,000 examples), trained 200 steps: the size of a
save on disk, the time to copy the run's state (under the session's lock: the page waits that long at most),
the time to write it (in the training thread, outside the lock), and what that costs the training per step at
one save every ui.persist.SAVE_EVERY seconds of training; then the time to load the save and rebuild the run
(data regenerated from its seed). Medians of `--repeats`.
"""

from __future__ import annotations

import os

from s2s.fast.blas import one_blas_thread

os.environ.update(one_blas_thread())  # first, before numpy loads

import argparse
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

from s2s.data import task_codec
from s2s.presets import PRESETS
from s2s.session import TrainingRun, TrainSetup, setup_data
from s2s.store import RunStore, new_token

SAVE_EVERY = 8.0  # ui.persist.SAVE_EVERY (not imported: ui.persist needs Streamlit's runtime)


def measure(task: str, repeats: int, steps: int = 200) -> dict[str, float]:
    p = PRESETS[task]["default"]
    setup = TrainSetup(task=task, model=p.model_config(len(task_codec(task).vocab)), train=p.train_config(seed=0),
                       train_size=p.train_size)
    run = TrainingRun(setup, *setup_data(setup))
    t0 = time.perf_counter()
    for _ in range(steps):
        run.step()
    step_seconds = (time.perf_counter() - t0) / steps
    root = tempfile.mkdtemp(prefix="s2s-persistence-")
    runs, token = RunStore(root, 2**34, 2**32, 3600), new_token()
    copy, write, load, size = [], [], [], 0
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            meta, arrays = run.state()
            t1 = time.perf_counter()
            size = runs.save(token, meta, arrays)
            t2 = time.perf_counter()
            saved = runs.load(token)
            TrainingRun.restore(saved.meta, saved.arrays, *setup_data(setup))
            t3 = time.perf_counter()
            copy.append(t1 - t0)
            write.append(t2 - t1)
            load.append(t3 - t2)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    save = statistics.median(copy) + statistics.median(write)
    steps_per_save = SAVE_EVERY / step_seconds
    return {"size_mb": size / 2**20, "copy_ms": 1000 * statistics.median(copy),
            "write_ms": 1000 * statistics.median(write), "step_ms": 1000 * step_seconds,
            "per_step_ms": 1000 * save / steps_per_save, "share": save / SAVE_EVERY,
            "resume_s": statistics.median(load)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(f"# numpy {np.__version__}, {os.cpu_count()} cores, one BLAS thread; {time.strftime('%Y-%m-%d %H:%M')}; "
          f"a save every {SAVE_EVERY:g} s of training, medians of {args.repeats}")
    print("\n| default preset | save on disk | copy (under the lock) | write | one step | save cost per step "
          "| share of training time | load and rebuild (resume) |")
    print("|---|---|---|---|---|---|---|---|")
    for task in ("addition", "date"):
        m = measure(task, args.repeats)
        print(f"| {task} | {m['size_mb']:.1f} MB | {m['copy_ms']:.1f} ms | {m['write_ms']:.1f} ms | "
              f"{m['step_ms']:.1f} ms | {m['per_step_ms']:.3f} ms | {m['share']:.2%} | {m['resume_s']:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
