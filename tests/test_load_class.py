"""A small class measured as benchmarks/load_class.py measures one (issue 18): 10 simulated students over
Streamlit's WebSocket protocol and 2 Chromium pages on one real server, all training while they ask.
`python -m benchmarks.load_class --students 40` runs the full class."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from benchmarks import load, load_class, students

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def test_every_student_and_question_is_different():
    asked = [students.question(k, j) for k in range(300) for j in range(students.QUESTIONS)]
    assert len({q for q, _ in asked}) == len(asked)  # an answer received can be told apart from any other's
    for q, total in asked:
        a, b = q.split("+")
        assert len(a) <= 3 and len(b) <= 3 and int(total) == int(a) + int(b)  # the addition task's questions


def test_widget_keys_are_read_from_element_ids():
    assert students.widget_key("$$ID-81dad48af004ab321fc8b52ea0e08f7e-train_start") == "train_start"
    assert students.widget_key("$$ID-e96bb790b78bd93741593a19a5626ec1-train_live") == "train_live"
    assert students.widget_key("") is None


@pytest.mark.browser
def test_ten_students_and_two_browsers_train_and_ask_without_errors_or_cross_talk():
    missing = [why for ok, why in (
        (Path(load.CHROMIUM).exists() or shutil.which("chromium"), "Chromium is not installed"),
        (Path("/proc/self/status").exists(), "needs Linux's /proc to watch the server"),
    ) if not ok]
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright is not installed")
    if missing:
        if IN_CI:
            pytest.fail("; ".join(missing) + " (CI=true: browser tests must run)")
        pytest.skip("; ".join(missing))
    f = load_class.run(10, browsers=2, ttl=5)
    print("\n" + load_class.table(f))
    assert f["errors"] == [] and f["crosstalk"] == [] and f["unanswered"] == [] and f["browser_errors"] == []
    assert f["answers"] == f["questions"] == 10 * students.QUESTIONS
    assert f["browser_answers"] == 2 * load.QUESTIONS
    # every answer is the element the server drew for that student's own question, and it is the sum
    assert f["wrong_answers"] == 0
    assert len(f["answered"]) == f["answers"]
    for q, _, got in f["answered"]:
        a, b = q.split("+")
        assert got == str(int(a) + int(b)), (q, got)
    assert f["examples_per_second"] > 0 and len(f["student_examples_per_s"]) == 10
    assert all(r > 0 for r in f["student_examples_per_s"])
    assert f["training_threads_peak"] >= 12 and f["training_threads_after"] == 0
    # a simulated student costs a small fraction of a browser page's CPU
    assert f["client_cpu_s"]["simulated students"] / 10 < 0.25 * f["client_cpu_s"]["browsers"] / 2
    problems = [p for p in load_class.check(f) if "95th percentile" not in p]  # timings: printed, not asserted
    assert problems == []
