"""A server killed while a class trains, then started again: does every page come back with its run?

    python -m benchmarks.failover [--sessions 5] [--train-seconds 20]

Starts the app with a fresh run folder, opens `--sessions` Chromium pages on Train, presses Start on each,
lets them train, then SIGKILLs the server and its training workers (no chance to save: as if the machine
died), starts it again on the same port with the same folder, and waits for each page to reconnect by
itself. Prints, per page and as the worst: the seconds from the server answering again to the page showing
its resumed run, the iteration it trained to before the kill and the one it resumed at, the training time
lost (from the page's own clock: when it showed the resumed iteration, to the kill), what the page said it
lost, and whether it trains on from there (its iteration counter passes the resumed one).
tests/test_failover.py runs a short version.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.load import family, free_port, streamlit_server

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
RESUMED = re.compile(r"Resumed at iteration ([\d,]+), saved (\d+) s before the server stopped")
ITERATION = ".st-key-train_counters [data-testid='stMetricValue'] >> nth=1"


@dataclass
class Student:
    """One page and what was seen on it."""

    page: object
    seen: list[tuple[float, int]] = field(default_factory=list)  # (time.monotonic(), iteration shown)
    back_after: float | None = None  # seconds from the server answering again to the resumed note
    resumed_at: int | None = None
    said_lost: int | None = None
    trains_on: bool = False

    def iteration(self) -> int:
        text = self.page.locator(ITERATION).inner_text(timeout=5000)
        return int(text.replace(",", ""))

    def look(self) -> None:
        self.seen.append((time.monotonic(), self.iteration()))

    def lost_seconds(self, killed: float) -> float | None:
        """Training time lost: from when the page first showed the resumed iteration (or more) to the kill."""
        if self.resumed_at is None:
            return None
        shown = [t for t, it in self.seen if it >= self.resumed_at and t <= killed]
        return killed - min(shown) if shown else 0.0


def open_students(browser, url: str, n: int) -> list[Student]:
    from playwright.sync_api import expect

    students = []
    for _ in range(n):
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url + "/train?lang=en")
        page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=60000)
        page.locator(".st-key-train_start button").click()
        expect(page.locator(ITERATION)).not_to_have_text("0", timeout=60000)
        expect(page).to_have_url(re.compile(r"[?&]run=[\w-]{32}"), timeout=30000)
        students.append(Student(page))
    return students


def kill_server(pid: int) -> float:
    """SIGKILL the server and its training workers at once; returns when."""
    victims = family(pid)
    killed = time.monotonic()
    for p in victims:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return killed


def wait_for_resumes(students: list[Student], up: float, limit: float) -> None:
    """Poll every page until it shows its resumed note and trains past it, or `limit` seconds."""
    while time.monotonic() - up < limit and not all(s.trains_on for s in students):
        for s in students:
            if s.trains_on:
                continue
            if s.resumed_at is None:
                note = s.page.get_by_text(RESUMED)
                if note.count():
                    m = RESUMED.search(note.first.inner_text())
                    s.back_after = time.monotonic() - up
                    s.resumed_at, s.said_lost = int(m.group(1).replace(",", "")), int(m.group(2))
            else:
                try:
                    s.trains_on = s.iteration() > s.resumed_at
                except Exception:  # the page is between two runs of its script
                    pass
        time.sleep(0.25)


def run(sessions: int, train_seconds: float, log_dir: Path, limit: float = 60.0) -> tuple[list[Student], float]:
    """The whole fault: train, kill, restart, wait. Returns the students and the moment of the kill."""
    from playwright.sync_api import sync_playwright

    state = tempfile.mkdtemp(prefix="s2s-failover-")
    env = {**os.environ, "S2S_STATE_DIR": state}
    port = free_port()
    with ExitStack() as stack:
        p = stack.enter_context(sync_playwright())
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        stack.callback(browser.close)
        first = stack.enter_context(streamlit_server(log_dir=log_dir, env=env, port=port))
        url, proc = first
        students = open_students(browser, url, sessions)
        started = time.monotonic()
        while time.monotonic() - started < train_seconds:
            for s in students:
                s.look()
            time.sleep(0.5)
        for s in students:
            s.look()
        killed = kill_server(proc.pid)
        proc.wait()
        time.sleep(1.0)  # the pages notice the lost connection
        stack.enter_context(streamlit_server(log_dir=log_dir, env=env, port=port))
        up = time.monotonic()
        wait_for_resumes(students, up, limit)
        shutil.rmtree(state, ignore_errors=True)
        return students, killed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=5)
    ap.add_argument("--train-seconds", type=float, default=20.0)
    args = ap.parse_args()
    students, killed = run(args.sessions, args.train_seconds, ROOT / "test-output")
    print(f"# {args.sessions} sessions trained {args.train_seconds:.0f} s, then the server was killed (SIGKILL) "
          f"and started again; {time.strftime('%Y-%m-%d %H:%M')}")
    print("\n| page | last iteration seen | resumed at | back after (s) | lost (s, page clock) | lost (s, said) "
          "| trains on |")
    print("|---|---|---|---|---|---|---|")
    for k, s in enumerate(students):
        lost = s.lost_seconds(killed)
        print(f"| {k + 1} | {s.seen[-1][1]:,} | {s.resumed_at if s.resumed_at is not None else 'no'} | "
              f"{'-' if s.back_after is None else f'{s.back_after:.1f}'} | {'-' if lost is None else f'{lost:.1f}'} | "
              f"{'-' if s.said_lost is None else s.said_lost} | {'yes' if s.trains_on else 'no'} |")
    back = [s.back_after for s in students if s.back_after is not None]
    lost = [x for x in (s.lost_seconds(killed) for s in students) if x is not None]
    if back:
        print(f"\nresumed {len(back)}/{len(students)}; back after median {statistics.median(back):.1f} s, "
              f"worst {max(back):.1f} s (goal 15 s); lost median {statistics.median(lost):.1f} s, worst "
              f"{max(lost):.1f} s (goal 10 s)")
    return 0 if len(back) == len(students) and all(s.trains_on for s in students) else 1


if __name__ == "__main__":
    sys.exit(main())
