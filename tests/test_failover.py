"""A server killed while sessions train comes back with every run (the short version of benchmarks.failover)."""

from __future__ import annotations

import os
import time
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
        # resumed where the run had got to: the page shows its last refresh (0.5 s apart), so a save made just
        # before the kill may be up to a refresh ahead of the last iteration seen (2 s of the page's own rate)
        (t0, first), (t1, last) = s.seen[0], s.seen[-1]
        assert 0 < s.resumed_at <= last + 2.0 * (last - first) / (t1 - t0), (s.resumed_at, last)
        assert s.lost_seconds(killed) <= 10, f"page {k + 1} lost {s.lost_seconds(killed):.1f} s of training"
        assert s.said_lost <= 10
        assert s.trains_on, f"page {k + 1} did not train on after resuming"


def test_a_reloaded_page_gets_its_run_back_training_with_nothing_lost():
    if not Path(failover.CHROMIUM).exists():
        if IN_CI:
            pytest.fail("Chromium is needed (CI=true: browser tests must run)")
        pytest.skip("Chromium not found")
    from playwright.sync_api import expect, sync_playwright

    from benchmarks.load import streamlit_server

    with streamlit_server(log_dir=OUT) as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=failover.CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        (student,) = failover.open_students(browser, url, 1)
        while student.iteration() < 30:
            student.look()
        before = student.iteration()
        student.page.reload()
        note = student.page.get_by_text("Your run is back at iteration")
        expect(note).to_be_visible(timeout=30000)
        resumed = int(note.inner_text().split("iteration ")[1].split(" ")[0].replace(",", ""))
        assert resumed >= before, "the reload lost training the page had shown"
        expect(student.page.locator(".st-key-train_live [role='status']")).to_contain_text("Training", timeout=30000)
        deadline = time.monotonic() + 30
        while student.iteration() <= resumed:
            assert time.monotonic() < deadline, "the run did not train on after the reload"
        browser.close()
