"""End to end in Debian's Chromium (Playwright for Python) against a real `streamlit run` server.

Screenshots go to test-output/ at projector (1280x720) and laptop (1440x900) sizes. Outside CI a
missing browser skips these tests; with CI=true it fails them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from benchmarks.load import family, proc_status, streamlit_server

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "test-output"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SIZES = {"projector": (1280, 720), "laptop": (1440, 900)}
# the Train and Compare pages' live status while running (Start stays enabled: it keeps the keyboard focus)
RUNNING = re.compile("Training|学習中")

pytestmark = pytest.mark.browser


def _require(condition: bool, why: str) -> None:
    if not condition:
        if IN_CI:
            pytest.fail(f"{why} (CI=true: browser tests must run)")
        pytest.skip(why)


def _start_server():
    """Start `streamlit run` on a free port (benchmarks/load.py); yields (url, pid) and stops it afterwards."""
    with streamlit_server(log_dir=OUT) as (url, proc):
        yield url, proc.pid


@pytest.fixture(scope="module")
def server_process():
    """(url, pid) of a streamlit server shared by this module's page tests."""
    yield from _start_server()


@pytest.fixture()
def own_server():
    """(url, pid) of a server for one test alone (its threads are counted)."""
    yield from _start_server()


@pytest.fixture(scope="module")
def server(server_process):
    return server_process[0]


@pytest.fixture(scope="module")
def browser():
    _require(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require(False, "playwright is not installed (pip install -r requirements-test.txt)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        yield b
        b.close()


def _open(browser, url: str, size: str):
    from playwright.sync_api import expect

    w, h = SIZES[size]
    page = browser.new_page(viewport={"width": w, "height": h})
    page.goto(url)
    page.wait_for_selector("[data-testid='stAppViewContainer']", state="attached", timeout=30000)
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=30000)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=30000)
    return page


def _no_errors(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator("[data-testid='stException']")).to_have_count(0)


@pytest.mark.parametrize("size", list(SIZES))
def test_try_page_answers_typed_question(server, browser, size):
    from playwright.sync_api import expect

    page = _open(browser, server + "/try", size)
    box = page.locator(".st-key-query input")
    expect(box).to_be_visible(timeout=30000)
    box.fill("52+607")
    box.press("Enter")
    answer = page.locator(".st-key-answer")
    expect(answer).to_contain_text("659", timeout=30000)
    expect(answer).to_contain_text("☑")
    _no_errors(page)
    page.screenshot(path=str(OUT / f"try_{size}.png"))
    box.fill("16+x5")
    box.press("Enter")
    expect(page.locator("[data-testid='stAlertContentWarning']")).to_contain_text("'x'", timeout=30000)
    page.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_train_page_trains_live_and_pauses(server, browser, size):
    from playwright.sync_api import expect

    page = _open(browser, server + "/train", size)
    page.locator(".st-key-train_start button").click()
    metrics = page.get_by_test_id("stMetricValue")
    expect(metrics.nth(1)).not_to_have_text("0", timeout=30000)

    def iteration() -> int:
        return int(metrics.nth(1).inner_text().replace(",", ""))

    first = iteration()
    deadline = time.monotonic() + 30
    while iteration() <= first and time.monotonic() < deadline:
        time.sleep(0.5)
    assert iteration() > first, "the iteration counter did not advance while training"
    # The loss chart has points: its line path has more than one segment.
    line = page.locator(".st-key-loss_chart .mark-line path").first
    expect(line).to_have_attribute("d", re.compile(r"L.*L"), timeout=30000)
    _no_errors(page)
    page.screenshot(path=str(OUT / f"train_{size}.png"))
    page.locator(".st-key-train_pause button").click()
    expect(page.locator(".st-key-train_live [role='status']")).not_to_contain_text(RUNNING, timeout=30000)
    paused_at = iteration()
    time.sleep(2)
    assert iteration() - paused_at <= 1, "training went on after Pause"
    page.close()


def _cpu_seconds(pid: int) -> float:
    """CPU time of the server and its training worker processes (s2s.fast.pool.StepPool)."""
    total = 0
    for p in family(pid):
        with contextlib.suppress(OSError):  # a worker may end while we look
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / os.sysconf("SC_CLK_TCK")


def _cpu_rate(pid: int, seconds: float = 2.0) -> float:
    c0 = _cpu_seconds(pid)
    time.sleep(seconds)
    return (_cpu_seconds(pid) - c0) / seconds


def test_closing_the_tab_ends_the_training_thread(own_server, browser):
    """The training thread of a session ends within seconds of its tab closing (Linux /proc): the
    server and its training workers stop using the CPU and its thread named s2s-trainer is gone."""
    from playwright.sync_api import expect

    url, pid = own_server
    _require(Path(f"/proc/{pid}/task").exists(), "needs /proc to watch the server")
    page = _open(browser, url + "/train", "projector")
    page.locator(".st-key-train_start button").click()
    expect(page.get_by_test_id("stMetricValue").nth(1)).not_to_have_text("0", timeout=30000)
    busy = _cpu_rate(pid)
    assert proc_status(pid)["Training"] == 1  # the session's training thread, by its system-level name
    assert busy > 0.5, f"the server and its workers used only {busy:.2f} CPU-seconds per second while training"
    page.close()
    deadline = time.monotonic() + 15
    rate = _cpu_rate(pid)
    while rate > 0.15 and time.monotonic() < deadline:
        rate = _cpu_rate(pid)
    assert rate <= 0.15, f"the server still uses {rate:.2f} CPU-seconds per second after the tab closed"
    assert proc_status(pid)["Training"] == 0, "the training thread did not end when the tab closed"


def _charts_rendered(page, minimum: int) -> None:
    """At least `minimum` Vega charts drew marks (SVG paths or a canvas)."""
    from playwright.sync_api import expect

    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts.nth(minimum - 1)).to_be_attached(timeout=30000)
    drawn = page.locator("[data-testid='stVegaLiteChart'] .marks, [data-testid='stVegaLiteChart'] canvas")
    expect(drawn.nth(minimum - 1)).to_be_attached(timeout=30000)


@pytest.mark.parametrize("size", list(SIZES))
def test_inside_page_draws_its_charts(server, browser, size):
    from playwright.sync_api import expect

    page = _open(browser, server + "/inside?task=date&q=September%2027,%201994", size)
    expect(page.locator(".st-key-attention_chart")).to_be_visible(timeout=30000)
    _charts_rendered(page, 5)  # two heatmaps, attention, step-through bars, the map
    _no_errors(page)
    page.screenshot(path=str(OUT / f"inside_{size}.png"))
    page.locator(".st-key-pca_chart").scroll_into_view_if_needed()
    page.screenshot(path=str(OUT / f"inside_map_{size}.png"))
    page.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_compare_page_races_the_variants(server, browser, size):
    from playwright.sync_api import expect

    page = _open(browser, server + "/compare", size)
    page.locator(".st-key-compare_step button").click()
    _charts_rendered(page, 2)
    page.locator(".st-key-compare_start button").click()
    expect(page.locator(".st-key-compare_pause button")).to_be_enabled(timeout=30000)
    time.sleep(4)
    _no_errors(page)
    page.screenshot(path=str(OUT / f"compare_{size}.png"))
    page.locator(".st-key-compare_pause button").click()
    expect(page.locator(".st-key-compare_live [role='status']")).not_to_contain_text(RUNNING, timeout=30000)
    page.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_lessons_set_up_a_step_in_presentation_mode(server, browser, size):
    from playwright.sync_api import expect

    page = _open(browser, server + "/lessons?lang=en&present=1", size)
    expect(page.locator(".st-key-lesson_go button")).to_be_visible(timeout=30000)
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    _no_errors(page)
    page.screenshot(path=str(OUT / f"lessons_{size}.png"))
    page.locator(".st-key-lesson_next button").first.click()
    expect(page.get_by_text("2. Plain Seq2seq struggles")).to_be_visible(timeout=30000)
    page.locator(".st-key-lesson_go button").first.click()
    page.wait_for_url("**/train*", timeout=30000)
    expect(page.locator(".st-key-train_start button")).to_be_visible(timeout=30000)
    expect(page.get_by_text("Back to the lesson")).to_be_visible()
    _no_errors(page)
    page.screenshot(path=str(OUT / f"lessons_train_{size}.png"))
    page.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_errors_page_and_what_if_on_try(server, browser, size):
    from playwright.sync_api import expect

    page = _open(browser, server + "/errors?lang=en", size)
    _charts_rendered(page, 5)  # four breakdowns and the first-digit grid
    _no_errors(page)
    page.screenshot(path=str(OUT / f"errors_{size}.png"))
    page.close()
    page = _open(browser, server + "/try?lang=en&task=addition&q=52%2B607", size)
    expect(page.locator(".st-key-answer")).to_contain_text("659", timeout=30000)
    page.get_by_text("What if: force another character").click()
    page.locator(".st-key-whatif_step button").first.click()
    page.locator(".st-key-whatif_char_1 button").first.click()
    expect(page.get_by_text("Answer after the change")).to_be_visible(timeout=30000)
    page.get_by_text("Compare with beam search").click()
    expect(page.locator(".st-key-beams table")).to_be_visible(timeout=30000)
    _no_errors(page)
    page.screenshot(path=str(OUT / f"whatif_{size}.png"))
    page.close()
