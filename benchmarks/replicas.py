"""Two replicas behind nginx (deploy/run-replicas.sh): sticky sessions, and a replica lost while a class trains.

    python -m benchmarks.replicas [--sessions 10] [--train-seconds 15]

Starts deploy/run-replicas.sh with 2 replicas on 127.0.0.1 (a fresh shared run folder, replicas not restarted),
opens `--sessions` Chromium pages through nginx, each in its own browser profile (its own cookie, as 40
laptops have), presses Start on each and lets them train. Which replica holds each run is read from its
save (the server named in it, whose heartbeat file holds its process id). It checks that every page stays on
its replica, SIGKILLs the replica holding the most runs, and times each of its pages coming back on the other
one with its run resumed (the note "Resumed at iteration ..."), while the other replica's pages train on
untouched. Prints a table per page and the worst times. tests/test_replicas.py runs it with 10 pages.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benchmarks.failover import ITERATION, Student, kill_server, wait_for_resumes
from benchmarks.load import free_port
from s2s.store import RunStore

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TOKEN = re.compile(r"[?&]run=([\w-]{32})")


@dataclass
class Deployment:
    url: str
    run_dir: Path
    state_dir: Path
    ports: list[int]

    def replica_pid(self, port: int) -> int:
        return int((self.run_dir / f"replica-{port}.pid").read_text())

    def replica_of(self, token: str) -> int | None:
        """The port of the replica that holds the run: its owner names the server (ui.persist.RunSaver), whose
        heartbeat file holds its process id."""
        owner = RunStore(self.state_dir, 2**40, 2**40, 1e9).owner(token) or ""
        try:
            pid = int((self.state_dir / "servers" / owner.split("-")[0]).read_text())
        except (OSError, ValueError):
            return None
        return next((p for p in self.ports if self.replica_pid(p) == pid), None)


def _healthy(url: str) -> bool:
    with contextlib.suppress(OSError), urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
        return r.read().strip() == b"ok"
    return False


@contextlib.contextmanager
def deployment(replicas: int = 2, log_dir: Path | None = None):
    """deploy/run-replicas.sh on a free block of ports of 127.0.0.1; yields a Deployment, stops it all after."""
    if shutil.which("nginx") is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx)")
    while True:  # a free port with `replicas` free ports after it
        port = free_port()
        if port + replicas < 65535 and all(_free(port + k) for k in range(1, replicas + 1)):
            break
    tmp = Path(tempfile.mkdtemp(prefix="s2s-replicas-"))
    env = {**os.environ, "S2S_STATE_DIR": str(tmp / "runs"), "RUN_DIR": str(tmp / "run"),
           "LISTEN_ADDRESS": "127.0.0.1", "RESTART_DELAY": "600"}
    log = open((log_dir or tmp) / f"replicas-{port}.log", "w")
    proc = subprocess.Popen(["bash", str(ROOT / "deploy" / "run-replicas.sh"), str(replicas), str(port)], cwd=ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    d = Deployment(f"http://127.0.0.1:{port}", tmp / "run", tmp / "runs", [port + k for k in range(1, replicas + 1)])
    try:
        started = time.monotonic()
        while not (_healthy(d.url) and all(_healthy(f"http://127.0.0.1:{p}") for p in d.ports)):
            if proc.poll() is not None or time.monotonic() - started > 90:
                raise RuntimeError(f"the replicas did not start; see {log.name}")
            time.sleep(0.5)
        yield d
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Pupil(Student):
    token: str = ""
    replica: int | None = None
    stayed: bool = True
    moved_to: int | None = None


def open_pupils(browser, url: str, n: int) -> list[Pupil]:
    from playwright.sync_api import expect

    pupils = []
    for _ in range(n):
        page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        page.goto(url + "/train?lang=en")
        page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=60000)
        page.locator(".st-key-train_start button").click()
        expect(page.locator(ITERATION)).not_to_have_text("0", timeout=60000)
        expect(page).to_have_url(TOKEN, timeout=30000)
        pupils.append(Pupil(page, token=TOKEN.search(page.url).group(1)))
    return pupils


def run(sessions: int, train_seconds: float, log_dir: Path | None = None, limit: float = 60.0):
    """The whole test; returns (pupils, the killed replica's port, the moment of the kill)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, deployment(2, log_dir) as d:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            pupils = open_pupils(browser, d.url, sessions)
            for s in pupils:
                s.replica = d.replica_of(s.token)
            started = time.monotonic()
            while time.monotonic() - started < train_seconds:
                for s in pupils:
                    s.look()
                time.sleep(0.5)
            for s in pupils:
                s.look()
                s.stayed = d.replica_of(s.token) == s.replica
            victim = Counter(s.replica for s in pupils).most_common(1)[0][0]
            killed = kill_server(d.replica_pid(victim))
            up = time.monotonic()
            moved = [s for s in pupils if s.replica == victim]
            wait_for_resumes(moved, up, limit)
            for s in pupils:
                s.moved_to = d.replica_of(s.token)
            for s in pupils:
                if s.replica != victim:
                    s.trains_on = s.iteration() > s.seen[-1][1]
            return pupils, victim, killed
        finally:
            browser.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--train-seconds", type=float, default=15.0)
    args = ap.parse_args()
    pupils, victim, killed = run(args.sessions, args.train_seconds, ROOT / "test-output")
    print(f"# {args.sessions} pages through nginx on 2 replicas; the replica on port {victim} was killed after "
          f"{args.train_seconds:.0f} s of training; {time.strftime('%Y-%m-%d %H:%M')}")
    print("\n| page | replica | stayed on it | resumed at | back after (s) | lost (s) | now on | trains on |")
    print("|---|---|---|---|---|---|---|---|")
    for k, s in enumerate(pupils):
        lost = s.lost_seconds(killed)
        print(f"| {k + 1} | {s.replica} | {'yes' if s.stayed else 'no'} | "
              f"{'-' if s.resumed_at is None else f'{s.resumed_at:,}'} | "
              f"{'-' if s.back_after is None else f'{s.back_after:.1f}'} | {'-' if lost is None else f'{lost:.1f}'} | "
              f"{s.moved_to} | {'yes' if s.trains_on else 'no'} |")
    moved = [s for s in pupils if s.replica == victim]
    back = [s.back_after for s in moved if s.back_after is not None]
    if back:
        print(f"\n{len(back)}/{len(moved)} pages of the lost replica came back; "
              f"median {statistics.median(back):.1f} s, worst {max(back):.1f} s")
    ok = len(back) == len(moved) and all(s.trains_on and s.stayed for s in pupils)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
