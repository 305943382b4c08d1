"""deploy/: two replicas behind nginx keep each page on its replica, and a lost replica's pages come back on the
other one with their runs (benchmarks.replicas, with the ten pages the issue asks for)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from benchmarks import replicas

OUT = Path(__file__).resolve().parents[1] / "test-output"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

pytestmark = pytest.mark.browser


def test_ten_pages_stay_on_their_replica_and_a_lost_replicas_pages_resume_on_the_other():
    for need, what in ((replicas.CHROMIUM, "Chromium"), (shutil.which("nginx"), "nginx")):
        if not need or not Path(need).exists():
            if IN_CI:
                pytest.fail(f"{what} is needed (CI=true: these tests must run)")
            pytest.skip(f"{what} not found")
    pupils, victim, _ = replicas.run(sessions=10, train_seconds=8, log_dir=OUT, limit=60)
    assert all(s.replica is not None for s in pupils), "a run's replica could not be told from its owner"
    assert all(s.stayed for s in pupils), "a page changed replica while both were up"
    for k, s in enumerate(pupils):
        if s.replica == victim:
            assert s.resumed_at is not None, f"page {k + 1} of the lost replica did not come back with its run"
            assert s.moved_to not in (None, victim), f"page {k + 1} is not held by the other replica"
        else:
            assert s.resumed_at is None and s.moved_to == s.replica, f"page {k + 1} was disturbed"
        assert s.trains_on, f"page {k + 1} does not train on"
