"""A small class on one real server (issue 6): benchmarks/load.py with N = 5 sessions training and
asking questions at once, checked against the issue's limits. `python -m benchmarks.load` runs 40."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from benchmarks import load

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

pytestmark = pytest.mark.browser


def test_five_sessions_train_and_answer_without_errors_leaks_or_cross_talk():
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
    figures = load.run(5, ttl=5)
    print("\n" + load.table(figures))
    assert figures["answers"] == 5 * load.QUESTIONS
    assert figures["examples_per_second"] > 0
    assert load.check(figures) == []
