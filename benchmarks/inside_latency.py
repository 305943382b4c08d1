"""How fast the Inside page answers a new question (the goal is under 300 ms, the PCA map excluded).

    python -m benchmarks.inside_latency

Measures, for the shipped addition and date models, medians over repeats:
1. the engine: greedy decoding of one question with the full trace (`s2s.inference.answer`);
2. the whole Inside page script under AppTest for a newly typed question, after the map was made
   once (what a user waits for before the browser draws; the browser's own drawing is not included).
"""

from __future__ import annotations

import os

from s2s.fast.blas import one_blas_thread

os.environ.update(one_blas_thread())  # first: OpenBLAS reads its thread count once, when numpy loads it

import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from s2s.checkpoint import load_checkpoint
from s2s.inference import answer

ROOT = Path(__file__).resolve().parents[1]
CASES = {"addition": ("addition_peeky.npz", ["16+75", "52+607", "999+1", "5+8", "345+678"]),
         "date": ("date_attention.npz", ["September 27, 1994", "2/10/93", "TUESDAY, SEPTEMBER 25, 1984",
                                         "27 September 1994", "june 5, 2008"])}


def engine_ms(weights: str, questions: list[str], repeats: int = 50) -> float:
    ck = load_checkpoint(ROOT / "weights" / weights)
    times = []
    for i in range(repeats):
        q = questions[i % len(questions)]
        t0 = time.perf_counter()
        answer(ck.model, ck.codec, [q])
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def page_ms(task: str, questions: list[str]) -> float:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("app_pages/inside.py").run()
    if task != "addition":
        at.selectbox(key="task").set_value(task).run()
    at.text_input(key="query").set_value(questions[0]).run()  # makes the map once
    times = []
    for q in questions[1:] * 2:
        t0 = time.perf_counter()
        at.text_input(key="query").set_value(q).run()
        times.append(time.perf_counter() - t0)
        assert not at.exception, at.exception
    return 1000 * statistics.median(times)


def main() -> int:
    print(f"# {platform.machine()}, python {platform.python_version()}, numpy {np.__version__}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    print("| model | decode with trace (ms) | whole Inside page script (ms) |")
    print("|---|---|---|")
    for task, (weights, questions) in CASES.items():
        print(f"| {weights} | {engine_ms(weights, questions):.2f} | {page_ms(task, questions):.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
