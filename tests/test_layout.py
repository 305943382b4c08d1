"""The Train page's scrub-back slider grows and can be moved while training runs
(AppTest), and each page's point is above the fold on a 1280x720 projector, in normal and presentation mode
(Chromium: bounding boxes of the answer tiles, the accuracy chart, the Errors charts)."""

from __future__ import annotations

import re
import time

import pytest
from test_app import open_page
from test_browser import OUT, RUNNING, _no_errors, _open, browser, server, server_process  # noqa: F401  (fixtures)

from ui.pages.train_page import history_index


def _slider(at):
    return at.slider(key="history_at")


def _shown_iteration(at) -> int:
    """The iteration of the moment the history shows ("Answer to `16+75` at iteration 12 (epoch ...)")."""
    text = next(m.value for m in at.markdown if m.value.startswith("Answer to"))
    return int(re.search(r"iteration ([\d,]+) ", text).group(1).replace(",", ""))


def _history_page(steps: int = 2):
    at = open_page("train", lang="en")
    for _ in range(steps):
        at.button(key="train_step").click().run()
    at.toggle(key="train_history").set_value(True).run()
    assert not at.exception, at.exception
    return at, at.session_state["runner"]


def test_history_index_follows_the_newest_or_the_nearest_pinned_iteration():
    assert history_index([0, 10, 20, 30], None) == 3
    assert history_index([0, 10, 20, 30], 10) == 1
    assert history_index([0, 20, 40], 10) == 0  # 10 was thinned away: the nearest, the earlier on a tie
    assert history_index([0, 20, 40], 31) == 2
    assert history_index([], 5) == 0


def test_scrub_back_grows_follows_the_newest_and_stays_where_it_was_put():
    at, runner = _history_page(steps=2)
    assert _slider(at).max == 2 and _slider(at).value == 2  # moments at iterations 0, 1, 2; the newest shown
    at.button(key="train_step").click().run()
    assert _slider(at).max == 3 and _slider(at).value == 3 and _shown_iteration(at) == 3  # it follows
    _slider(at).set_value(1).run()
    assert _shown_iteration(at) == 1
    for _ in range(3):
        at.button(key="train_step").click().run()
    assert not at.exception, at.exception
    assert _slider(at).max == 6  # grown, but the user's moment is kept
    assert _slider(at).value == 1 and _shown_iteration(at) == 1
    _slider(at).set_value(6).run()  # back at the newest: it follows again
    at.button(key="train_step").click().run()
    assert _slider(at).max == 7 and _slider(at).value == 7 and _shown_iteration(at) == 7


def test_scrub_back_keeps_the_nearest_iteration_when_the_history_thins():
    at, runner = _history_page(steps=1)
    runner.history.every, runner.history.limit = 1, 6
    for _ in range(3):
        at.button(key="train_step").click().run()  # moments 0..4
    _slider(at).set_value(3).run()
    assert _shown_iteration(at) == 3
    for _ in range(2):  # the 7th moment overflows the limit: every other one is dropped (0, 2, 4, 6 stay)
        at.button(key="train_step").click().run()
    iterations = [s.iteration for s in runner.answer_history()[2]]
    assert 3 not in iterations and iterations[-1] == 6, iterations
    assert _shown_iteration(at) in (2, 4) and iterations[_slider(at).value] == _shown_iteration(at)


def test_scrub_back_grows_while_training_runs_and_moving_it_does_not_pause():
    at, runner = _history_page(steps=1)
    try:
        at.button(key="train_start").click().run()
        assert runner.status == "running"

        def grow_beyond(n: int) -> int:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                time.sleep(0.5)
                at.run()
                assert not at.exception, at.exception
                if _slider(at).max > n:
                    return _slider(at).max
            pytest.fail(f"the history slider stayed at {n} moments while training ran")

        first = grow_beyond(1)
        assert _slider(at).value == first  # following the newest
        _slider(at).set_value(1).run()
        pinned = _shown_iteration(at)
        assert runner.status == "running", "moving the slider paused training"
        grow_beyond(first)
        assert runner.status == "running"
        assert _shown_iteration(at) == pinned and _slider(at).value == 1
    finally:
        runner.close()


# -- in Chromium at 1280x720 -------------------------------------------------------------------------------------

FOLD = 720
MODES = [("normal", "en"), ("normal", "ja"), ("present", "en"), ("present", "ja")]


def _page(chromium, url: str, mode: str, lang: str, page: str, direct: str, step: int):
    """A page at 1280x720: in normal mode from its address, presenting the way a teacher gets there (the Lessons
    page's "Set up" of chapter 7's step `step`), so the banner carries the step's question line too."""
    if mode == "normal":
        return _open(chromium, f"{url}{direct}{'&' if '?' in direct else '?'}lang={lang}", "projector")
    p = _open(chromium, f"{url}/lessons?lesson=ch7&step={step}&present=1&lang={lang}", "projector")
    p.locator(".st-key-lesson_go button").first.click()
    p.wait_for_url(f"**/{page}*", timeout=30000)
    p.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=30000)
    return p


def _box(page, selector: str) -> dict:
    from playwright.sync_api import expect

    loc = page.locator(selector).first
    expect(loc).to_be_visible(timeout=60000)
    time.sleep(0.5)  # let the layout settle (fonts, charts sized)
    return loc.bounding_box()


@pytest.mark.browser
@pytest.mark.parametrize(("mode", "lang"), MODES)
def test_try_answer_tiles_are_above_the_fold(server, browser, mode, lang):  # noqa: F811
    from playwright.sync_api import expect

    page = _page(browser, server, mode, lang, "try", "/try?task=addition&q=16%2B75", 1)
    expect(page.locator(".st-key-answer")).to_contain_text("91", timeout=60000)
    tiles = _box(page, ".st-key-answer [role='group']")
    answer = _box(page, ".st-key-answer")
    _no_errors(page)
    page.screenshot(path=str(OUT / f"layout_try_1280x720_{mode}_{lang}.png"))
    page.close()
    assert answer["y"] + answer["height"] <= FOLD and tiles["y"] + tiles["height"] <= FOLD, (answer, tiles)


@pytest.mark.browser
@pytest.mark.parametrize(("mode", "lang"), MODES)
def test_train_accuracy_chart_is_above_the_fold(server, browser, mode, lang):  # noqa: F811
    from playwright.sync_api import expect

    page = _page(browser, server, mode, lang, "train", "/train", 2)
    page.locator(".st-key-train_start button").click()
    expect(page.locator(".st-key-train_pause button")).to_be_enabled(timeout=30000)
    expect(page.get_by_test_id("stMetricValue").nth(1)).not_to_have_text("0", timeout=30000)
    try:
        settings = page.locator("[data-testid='stExpander'] details").first
        expect(settings).not_to_have_attribute("open", "", timeout=30000)  # folded once training runs
        chart = _box(page, ".st-key-acc_chart [data-testid='stVegaLiteChart']")
        box = _box(page, ".st-key-acc_chart")
        _no_errors(page)
        page.screenshot(path=str(OUT / f"layout_train_1280x720_{mode}_{lang}.png"))
    finally:
        page.locator(".st-key-train_pause button").click()
        expect(page.locator(".st-key-train_live [role='status']")).not_to_contain_text(RUNNING, timeout=30000)
        page.close()
    assert box["y"] + box["height"] <= FOLD and chart["height"] >= 200, (box, chart)


@pytest.mark.browser
@pytest.mark.parametrize(("mode", "lang"), MODES)
def test_errors_first_charts_are_above_the_fold(server, browser, mode, lang):  # noqa: F811
    page = _page(browser, server, mode, lang, "errors", "/errors", 7)
    first = _box(page, "[data-testid='stVegaLiteChart']")
    second = _box(page, "[data-testid='stVegaLiteChart'] >> nth=1")
    _no_errors(page)
    page.screenshot(path=str(OUT / f"layout_errors_1280x720_{mode}_{lang}.png"))
    page.close()
    for chart in (first, second):  # the first row of charts: more than half of each on screen
        assert chart["y"] + chart["height"] / 2 < FOLD, chart


@pytest.mark.browser
def test_scrub_back_grows_while_training_runs_in_the_browser(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    page = _open(browser, server + "/train?lang=en", "projector")
    page.locator(".st-key-train_start button").click()
    expect(page.locator(".st-key-train_pause button")).to_be_enabled(timeout=30000)
    try:
        page.locator(".st-key-train_history").get_by_text("Scrub back through how the answers formed").first.click()
        # react-aria: a hidden range input; while the fragment reruns the page may hold its old copy for a moment
        sliders = page.locator(".st-key-history_at input[type='range']")
        slider = sliders.last
        expect(slider).to_be_attached(timeout=30000)

        def grown_beyond(n: int) -> int:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                m = max(sliders.evaluate_all("els => els.map(e => +e.max)"), default=0)
                if m > n:
                    return m
                time.sleep(0.5)
            pytest.fail(f"the history slider stayed at {n} while training ran")

        first = grown_beyond(1)
        later = grown_beyond(first)
        deadline = time.monotonic() + 30
        while (pair := slider.evaluate("e => [e.value, e.max]"))[0] != pair[1] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert pair[0] == pair[1], pair  # it follows the newest moment
        slider.focus()
        slider.press("Home")  # back to the first moment (iteration 0) while training goes on
        expect(slider).to_have_value("0", timeout=30000)
        expect(page.locator(".st-key-history")).to_contain_text("at iteration 0 ", timeout=30000)
        grown_beyond(later)
        expect(slider).to_have_value("0")
        expect(page.locator(".st-key-history")).to_contain_text("at iteration 0 ")
        expect(page.locator(".st-key-train_status")).to_contain_text("Training")  # not paused by the slider
        _no_errors(page)
        page.screenshot(path=str(OUT / "layout_history_1280x720.png"))
    finally:
        page.locator(".st-key-train_pause button").click()
        expect(page.locator(".st-key-train_live [role='status']")).not_to_contain_text(RUNNING, timeout=30000)
        page.close()


# -- on a phone (390 px) and around uploads ---------------------------------------------------------------------

@pytest.mark.browser
def test_train_counters_form_a_compact_grid_on_a_phone(server, browser):  # noqa: F811
    """At 390 px the status and five counters take two rows of three (they stacked into a column of about 350 px
    above the charts); at 1280 px they stay the narrow column beside the charts."""
    from playwright.sync_api import expect

    page = _open(browser, server + "/train?lang=ja", "projector")
    try:
        page.locator(".st-key-train_step button").click()
        expect(page.get_by_test_id("stMetricValue").nth(1)).to_have_text("1", timeout=30000)
        sizes = {}
        for width, height in ((390, 844), (1280, 720)):
            page.set_viewport_size({"width": width, "height": height})
            time.sleep(1.0)
            box = _box(page, ".st-key-train_counters")
            rows = {round(m.bounding_box()["y"]) for m in page.get_by_test_id("stMetric").all()}
            sizes[width] = (box["height"], len(rows))
            page.locator(".st-key-train_counters").screenshot(path=str(OUT / f"layout_train_counters_{width}.png"))
        assert sizes[390][0] <= 160 and sizes[390][1] <= 2, sizes
        assert sizes[1280][1] == 5, sizes  # one counter a line in the column beside the charts
    finally:
        page.close()


@pytest.mark.browser
def test_a_good_dataset_upload_with_a_model_present_leaves_its_success_line_in_view(server, browser, tmp_path):  # noqa: F811
    """With a model present (one Step), the "Save, load, data" expander stays open after a good upload and its
    success line is on screen."""
    from playwright.sync_api import expect

    from ui.i18n import TEXTS

    data = tmp_path / "mine.txt"
    data.write_text("".join(f"{a}+{b}".ljust(7) + "_" + str(a + b).ljust(4) + "\n"
                            for a, b in zip(range(100, 400), range(300), strict=True)))
    page = _open(browser, server + "/train?lang=en", "projector")
    try:
        page.locator(".st-key-train_step button").click()
        expect(page.get_by_test_id("stMetricValue").nth(1)).to_have_text("1", timeout=30000)
        page.get_by_text(TEXTS["save_load"]["en"]).click()
        page.locator(".st-key-train_data_upload input[type='file']").set_input_files(str(data))
        success = page.get_by_test_id("stAlertContentSuccess")
        expect(success).to_contain_text("mine.txt: read 300 examples", timeout=30000)
        time.sleep(1.0)  # a rerun after the upload must not fold the expander
        expect(page.locator("[data-testid='stExpander'] details").last).to_have_attribute("open", "")
        success.scroll_into_view_if_needed()
        expect(success).to_be_in_viewport()
        page.screenshot(path=str(OUT / "layout_upload_success.png"))
    finally:
        page.close()


@pytest.mark.browser
def test_lessons_set_up_compare_and_inside_without_widget_warnings(server_process, browser):  # noqa: F811
    """A lesson's Set up of Compare (chapters 7 and 8) and of Inside, and a language switch on Inside, log no
    "created with a default value but also had its value set via the Session State API" in the server's log."""
    from playwright.sync_api import expect

    url, _ = server_process
    log = OUT / f"load-server-{url.rsplit(':', 1)[1]}.log"
    for lesson, step, page_name in (("ch7", 6, "compare"), ("ch8", 5, "compare"), ("ch8", 3, "inside"),
                                    ("ch8", 4, "inside")):
        page = _open(browser, f"{url}/lessons?lesson={lesson}&step={step}&lang=en", "projector")
        try:
            page.locator(".st-key-lesson_go button").first.click()
            page.wait_for_url(f"**/{page_name}*", timeout=30000)
            expect(page.locator("[data-testid='stNumberInput'], [data-testid='stVegaLiteChart']").first).to_be_visible(
                timeout=60000)
            if page_name == "inside":
                page.locator(".st-key-lang_ja button").click()
                page.wait_for_function("document.documentElement.lang === 'ja'", timeout=30000)
                page.locator(".st-key-lang_en button").click()
                page.wait_for_function("document.documentElement.lang === 'en'", timeout=30000)
            time.sleep(1.0)
            _no_errors(page)
        finally:
            page.close()
    warnings = [line for line in log.read_text().splitlines() if "created with a default value" in line]
    assert not warnings, warnings


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_lesson_chapter_buttons_are_whole_on_a_phone(server, browser, lang):  # noqa: F811
    """At 390 px every chapter button is drawn whole inside the window (the group scrolled sideways and cut the
    second title)."""
    from playwright.sync_api import expect

    from ui.lessons import LESSONS

    page = _open(browser, f"{server}/lessons?lang={lang}", "projector")
    try:
        page.set_viewport_size({"width": 390, "height": 844})
        expect(page.locator(".st-key-lesson button").first).to_be_visible(timeout=30000)
        time.sleep(0.5)
        boxes = page.locator(".st-key-lesson button").evaluate_all(
            "bs => bs.map(b => { const r = b.getBoundingClientRect(), g = b.parentElement;"
            " return {left: r.left, right: r.right, scroll: g.scrollWidth, width: g.clientWidth,"
            " view: window.innerWidth}; })")
        page.locator(".st-key-lesson").screenshot(path=str(OUT / f"layout_lesson_chapters_390_{lang}.png"))
        assert len(boxes) == len(LESSONS), boxes
        for b in boxes:
            assert b["left"] >= 0 and b["right"] <= b["view"] and b["scroll"] <= b["width"] + 1, boxes
    finally:
        page.close()
