"""Training speed inside the app versus the command line, and how fast the first page answers.

    python -m benchmarks.app_throughput [--seconds 30]

1. The command line: `python -m s2s.train` with the app's default addition preset for a fixed number of
   iterations; examples per second over wall-clock time (evaluations included, as in the app).
2. The app: a real `streamlit run` server, Debian's Chromium opens /train, presses Start and watches the
   iteration counter for --seconds while the page polls as a user's would; same wall-clock measure.
3. First page: seconds from the server being ready (health check) until /try shows a decoded answer.

Prints a Markdown table with the ratio app / command line (the goal is at least 0.85).
"""

from __future__ import annotations

import argparse
import json
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

from s2s.presets import PRESETS

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def cli_speed(iterations: int) -> float:
    """Examples per wall-clock second of the command line on the default addition preset, measured
    between its first and last evaluation lines (start-up excluded, evaluations included)."""
    p = PRESETS["addition"]["default"]
    with tempfile.TemporaryDirectory() as d:
        cmd = [sys.executable, "-m", "s2s.train", "--task", "addition", "--preset", "default", "--val-size", "1000",
               "--epochs", str(iterations / (p.train_size // p.batch)), "--eval-every", str(iterations // 8),
               "--json", "--out", str(Path(d) / "m.npz")]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        seen = [(json.loads(line)["iteration"], time.perf_counter()) for line in proc.stdout]
        proc.wait()
    (i0, t0), (i1, t1) = seen[0], seen[-1]
    return (i1 - i0) * p.batch / (t1 - t0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_speed(seconds: float) -> tuple[float, float]:
    """(examples per wall-clock second in the app, seconds to the first decoded answer)."""
    from playwright.sync_api import expect, sync_playwright

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.1)
        ready = time.perf_counter()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(url + "/try?task=addition&q=16%2B75")
            expect(page.locator(".st-key-answer")).to_contain_text("91", timeout=60000)
            first_answer = time.perf_counter() - ready
            page.goto(url + "/train")
            page.locator(".st-key-train_start button").click()
            metric = page.get_by_test_id("stMetricValue").nth(1)
            expect(metric).not_to_have_text("0", timeout=60000)
            time.sleep(3)  # past start-up
            it0, t0 = int(metric.inner_text().replace(",", "")), time.perf_counter()
            time.sleep(seconds)
            it1, t1 = int(metric.inner_text().replace(",", "")), time.perf_counter()
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    return (it1 - it0) * PRESETS["addition"]["default"].batch / (t1 - t0), first_answer


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0, help="how long to watch the app train")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"# {platform.machine()}, python {platform.python_version()}, numpy {np.__version__}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    cli, app, first = [], [], []
    for _ in range(args.repeats):  # interleaved, so a noisy neighbour hits both alike
        speed = cli_speed(800)
        cli.append(speed)
        a, f = app_speed(args.seconds)
        app.append(a)
        first.append(f)
        print(json.dumps({"cli_examples_per_second": round(speed), "app_examples_per_second": round(a),
                          "first_answer_seconds": round(f, 2)}), flush=True)
    c, a = float(np.median(cli)), float(np.median(app))
    print(f"\n| measure (median of {args.repeats}) | value |")
    print("|---|---|")
    print(f"| command line, examples/s (wall clock) | {c:,.0f} |")
    print(f"| app, examples/s (wall clock, page polling) | {a:,.0f} |")
    print(f"| app / command line | {a / c:.2f} |")
    print(f"| first answer on /try after the server is ready | {float(np.median(first)):.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
