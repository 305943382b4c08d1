"""A server killed while sessions train comes back with every run (the short version of benchmarks.failover)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks import failover

OUT = Path(__file__).resolve().parents[1] / "test-output"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

pytestmark = pytest.mark.browser


def test_every_session_resumes_after_the_server_is_killed_and_restarted():
    if not Path(failover.CHROMIUM).exists():
        if IN_CI:
            pytest.fail("Chromium is needed (CI=true: browser tests must run)")
        pytest.skip("Chromium not found")
    students, killed = failover.run(sessions=2, train_seconds=10, log_dir=OUT)
    for k, s in enumerate(students):
        assert s.resumed_at is not None, f"page {k + 1} did not resume"
        assert s.back_after <= 15, f"page {k + 1} took {s.back_after:.1f} s to come back"
        assert s.resumed_at > 0 and s.resumed_at <= s.seen[-1][1]
        assert s.lost_seconds(killed) <= 10, f"page {k + 1} lost {s.lost_seconds(killed):.1f} s of training"
        assert s.said_lost <= 10
        assert s.trains_on, f"page {k + 1} did not train on after resuming"
