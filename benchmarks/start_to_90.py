"""The teacher's "press Start": seconds from the click until the Train page shows 90 % held-out.

    python -m benchmarks.start_to_90              # 3 runs, each on a fresh server
    python -m benchmarks.start_to_90 --runs 1 --target 0.5

Each run starts `streamlit run app.py` on a free port (one session alone on the server, as a teacher's),
opens /train?lang=en in Debian's Chromium at 1280x720, waits for the page, and clicks Start with the
page's defaults (the addition task, its default preset, seed 0). In the page, a listener takes the time
of the click and a timer (every 20 ms) the first time the "Held-out accuracy" counter shows at least
the target: wall clock as the class sees it, including the first evaluation, the page's live refresh
and the browser's drawing. Prints one JSON line per run and the median.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time

from benchmarks.load import CHROMIUM_ARGS, streamlit_server

# In the page: the click's time, then the first time the accuracy counter reaches the target.
WATCH = """target => {
  window.__s2s = {clicked: null, reached: null, last: null};
  const button = document.querySelector('.st-key-train_start button');
  button.addEventListener('click', () => { window.__s2s.clicked = performance.now(); }, {capture: true});
  const timer = setInterval(() => {
    for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
      const label = m.querySelector('[data-testid="stMetricLabel"]');
      if (!label || !label.innerText.includes('Held-out accuracy')) continue;
      const text = m.querySelector('[data-testid="stMetricValue"]').innerText;
      window.__s2s.last = text;
      const value = parseFloat(text) / 100;
      if (window.__s2s.clicked !== null && value >= target) {
        window.__s2s.reached = performance.now();
        clearInterval(timer);
      }
    }
  }, 20);
}"""


def one_run(target: float, limit: float) -> dict:
    """One fresh server, one page, one Start."""
    from playwright.sync_api import expect, sync_playwright

    with streamlit_server() as (url, _proc), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url + "/train?lang=en")
        expect(page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']")).to_be_attached(
            timeout=60000)
        start = page.locator(".st-key-train_start button")
        expect(start).to_be_enabled(timeout=60000)
        page.evaluate(WATCH, target)
        start.click()
        page.wait_for_function("() => window.__s2s.reached !== null", timeout=limit * 1000, polling=100)
        s = page.evaluate("() => window.__s2s")
        page.screenshot(path="test-output/start_to_90.png")
        browser.close()
    return {"seconds": round((s["reached"] - s["clicked"]) / 1000, 2), "shown": s["last"]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--target", type=float, default=0.9)
    p.add_argument("--limit", type=float, default=120.0, help="seconds before a run counts as failed")
    args = p.parse_args(argv)
    print(f"# machine: {platform.machine()}, python {platform.python_version()}, {time.strftime('%Y-%m-%d')}",
          flush=True)
    seconds = []
    for k in range(args.runs):
        r = one_run(args.target, args.limit)
        seconds.append(r["seconds"])
        print(json.dumps({"run": k + 1, **r}), flush=True)
    print(f"Start -> {args.target:.0%} held-out in the page: median {statistics.median(seconds):.2f} s "
          f"(runs: {', '.join(f'{s:.2f}' for s in seconds)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
