"""Accessibility in Chromium (issue 16): axe-core (WCAG 2.0/2.1 A and AA) finds no serious or critical violation on
each page state in both languages, `<html lang>` follows the language, the answer and the training status sit in
live regions, and keyboard-only walks work: the language switch with Tab and Enter, a question typed and answered,
Start and Pause pressed with focus kept on the pressed button, and a focus indicator of at least 3:1 against the
unfocused look (screenshots of the control focused and blurred).

axe-core comes from the npm registry into node_modules/ at the repository root (.ci/run installs it; run alone, the
test installs it itself). As in the audit (shared notes, 2026-12), the window is made as tall as the page before
each axe run: Streamlit scrolls stMain inside the window, and axe checks the contrast only of what is in view.
SVG chart text is left to the chart-contrast check (axe reports it as "needs review", not as a violation).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import numpy as np
import pytest
from test_browser import OUT, ROOT, RUNNING, _no_errors, _open, _require, browser, server, server_process  # noqa: F401  (fixtures)

from ui.i18n import TEXTS

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LANGS = ["ja", "en"]


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core's script; installed with npm (`npm install --no-save axe-core@4`) when missing."""
    if not AXE.exists():
        npm = shutil.which("npm")
        _require(npm is not None, "npm not found: cannot install axe-core")
        done = subprocess.run([npm, "install", "--no-save", "--no-audit", "--no-fund", "axe-core@4"], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        _require(done.returncode == 0 and AXE.exists(), f"npm install axe-core failed: {done.stderr[-500:]}")
    return AXE.read_text()


@pytest.mark.parametrize(("lang", "label", "word"), [
    ("en", "Answer 92, step 2 wrong: expected 1", "wrong"), ("ja", "答え 92、ステップ 2 が違う: 正しくは 1", "違う")])
def test_a_wrong_step_is_marked_by_more_than_colour(lang, label, word):
    """✗ and the word in the wrong tile; the group's label (and the live region's text) says which step is wrong."""
    import streamlit as st

    from s2s.inference import Step
    from ui.widgets import answer_tiles

    st.session_state["lang"] = lang
    steps = [Step("9", 0.9, [("9", 0.9)]), Step("2", 0.6, [("2", 0.6), ("1", 0.4)]), Step(" ", 1.0, [(" ", 1.0)])]
    tiles = answer_tiles(steps, "91")
    assert f'aria-label="{label}"' in tiles and f'<span class="st-sr-only">{label}</span>' in tiles
    assert tiles.startswith('<div role="status" aria-live="polite"')
    assert tiles.count(f"✗ {word}") == 1  # the wrong step only
    right = answer_tiles(steps[:1] + [Step("1", 0.6, [("1", 0.6)])] + steps[2:], "91")
    assert "✗" not in right and f'aria-label="{label.split()[0]} 91"' in right


def _tall(page) -> None:
    """Make the window as tall as the page (Streamlit scrolls stMain inside the window)."""
    height = page.evaluate("""() => Math.max(...[...document.querySelectorAll(
        "[data-testid='stMain'], [data-testid='stMainBlockContainer'], [data-testid='stSidebarContent']")]
        .map(e => e.scrollHeight), window.innerHeight)""")
    page.set_viewport_size({"width": 1280, "height": min(int(height) + 40, 8000)})
    page.wait_for_timeout(800)  # charts redraw at the new size


def _axe(page, source: str) -> list[dict]:
    """The serious and critical axe violations on the page as it is, the window made as tall as the page."""
    _tall(page)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=source)
    result = page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 8).map(n => n.target.join(' ') + ' ' + n.html.slice(0, 160))}));
    }""", TAGS)
    page.set_viewport_size({"width": 1280, "height": 720})
    return [v for v in result if v["impact"] in ("serious", "critical")]


def _assert_clean(page, source: str, state: str, lang: str) -> None:
    assert page.evaluate("document.documentElement.lang") == lang, f"{state}: <html lang> is not {lang}"
    _no_errors(page)
    bad = _axe(page, source)
    page.screenshot(path=str(OUT / f"a11y_{state}_{lang}.png"))
    assert not bad, f"{state} ({lang}): axe found serious/critical violations:\n" + "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']}; {json.dumps(v['targets'], ensure_ascii=False)}" for v in bad)


def _metrics(page):
    return page.get_by_test_id("stMetricValue")


def _try_answer(page) -> None:
    from playwright.sync_api import expect

    box = page.locator(".st-key-query input")
    expect(box).to_be_visible(timeout=30000)
    box.fill("16+75")
    box.press("Enter")
    expect(page.locator(".st-key-answer")).to_contain_text("91", timeout=30000)


def _start(page, key: str) -> None:
    from playwright.sync_api import expect

    page.locator(f".st-key-{key}_start button").click()
    expect(page.locator(f".st-key-{key}_pause button")).to_be_enabled(timeout=30000)


def _pause(page, key: str) -> None:
    from playwright.sync_api import expect

    page.locator(f".st-key-{key}_pause button").click()
    expect(page.locator(f".st-key-{key}_live [role='status']")).not_to_contain_text(RUNNING, timeout=30000)


STATES = ["try_answer", "train_before", "train_running", "inside", "inside_intervene", "compare_racing", "errors",
          "lessons", "lessons_present"]


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("state", STATES)
def test_axe_finds_no_serious_violation(server, browser, axe_source, state, lang):  # noqa: F811
    from playwright.sync_api import expect

    path = {"try_answer": "/try", "train_before": "/train", "train_running": "/train", "inside": "/inside",
            "inside_intervene": "/lessons", "compare_racing": "/compare", "errors": "/errors", "lessons": "/lessons",
            "lessons_present": "/lessons"}[state]
    extra = {"lessons_present": "&present=1", "inside_intervene": "&lesson=ch8&step=4"}.get(state, "")
    page = _open(browser, f"{server}{path}?lang={lang}{extra}", "projector")
    racing = None
    try:
        if state == "try_answer":
            _try_answer(page)
            live = page.locator(".st-key-answer [role='status']")
            expect(live).to_have_attribute("aria-live", "polite")
            expect(live).to_contain_text("91")
        elif state in ("train_before", "train_running"):
            expect(page.locator(".st-key-train_start button")).to_be_visible(timeout=30000)
            if state == "train_running":
                _start(page, racing := "train")
                expect(_metrics(page).nth(1)).not_to_have_text("0", timeout=30000)
                status = page.locator(".st-key-train_live [role='status']")
                expect(status).to_contain_text(TEXTS["status_running"][lang], timeout=30000)
        elif state == "compare_racing":
            expect(page.locator(".st-key-compare_start button")).to_be_visible(timeout=30000)
            _start(page, racing := "compare")
            status = page.locator(".st-key-compare_live [role='status']")
            expect(status).to_contain_text(TEXTS["status_running"][lang], timeout=30000)
            page.wait_for_selector("[data-testid='stVegaLiteChart']", timeout=60000)
            page.wait_for_timeout(2000)
        elif state in ("inside", "errors"):
            page.wait_for_selector("[data-testid='stVegaLiteChart']", timeout=60000)
            page.wait_for_timeout(2500)
        elif state == "inside_intervene":  # the lesson's Set up: Inside with one step's attention edited
            page.locator(".st-key-lesson_go button").first.click()
            expect(page.locator(".st-key-iv_result [data-iv='intervened']")).to_be_attached(timeout=60000)
            page.wait_for_timeout(2500)
        else:
            expect(page.locator(".st-key-lesson_go button")).to_be_visible(timeout=30000)
        _assert_clean(page, axe_source, state, lang)
    finally:
        if racing:
            _pause(page, racing)
        page.close()


def _tab_to(page, selector: str, limit: int = 80) -> int:
    """Press Tab until the focused element is inside `selector`; the number of presses."""
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => !!document.activeElement && !!document.activeElement.closest(s)", selector):
            return n
    raise AssertionError(f"{selector} not reached with {limit} Tabs; focus on "
                         + page.evaluate("document.activeElement.outerHTML.slice(0, 200)"))


def _focus_in(page, selector: str) -> bool:
    return page.evaluate("(s) => document.activeElement !== document.body && !!document.activeElement.closest(s)",
                         selector)


@pytest.mark.browser
def test_keyboard_switches_the_language_with_tab_and_enter(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    page = _open(browser, server + "/try?lang=ja", "projector")
    try:
        expect(page.locator(".st-key-query input")).to_be_visible(timeout=30000)
        _tab_to(page, ".st-key-lang_en")
        page.keyboard.press("Enter")
        expect(page.locator(".st-key-query")).to_contain_text(TEXTS["query"]["en"], timeout=30000)
        page.wait_for_function("document.documentElement.lang === 'en'", timeout=10000)
        assert "lang=en" in page.url
        assert _focus_in(page, ".st-key-lang_en"), "focus left the pressed language button"
        page.keyboard.press("Shift+Tab")  # back to 日本語, and Space switches as well
        assert _focus_in(page, ".st-key-lang_ja")
        page.keyboard.press(" ")
        page.wait_for_function("document.documentElement.lang === 'ja'", timeout=30000)
        expect(page.locator(".st-key-query")).to_contain_text(TEXTS["query"]["ja"], timeout=30000)
    finally:
        page.close()


@pytest.mark.browser
def test_keyboard_types_a_question_and_the_answer_is_announced(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    page = _open(browser, server + "/try?lang=en", "projector")
    try:
        expect(page.locator(".st-key-query input")).to_be_visible(timeout=30000)
        _tab_to(page, ".st-key-query")
        page.keyboard.press("Control+A")
        page.keyboard.type("16+75")
        page.keyboard.press("Enter")
        live = page.locator(".st-key-answer [role='status']")
        expect(live).to_contain_text("Answer 91", timeout=30000)
        expect(page.locator(".st-key-answer")).to_contain_text("☑")
    finally:
        page.close()


@pytest.mark.browser
def test_keyboard_starts_and_pauses_training_keeping_the_focus(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    page = _open(browser, server + "/train?lang=en", "projector")
    try:
        expect(page.locator(".st-key-train_start button")).to_be_visible(timeout=30000)
        _tab_to(page, ".st-key-train_start")
        page.keyboard.press("Enter")
        expect(page.locator(".st-key-train_pause button")).to_be_enabled(timeout=30000)
        expect(_metrics(page).nth(1)).not_to_have_text("0", timeout=30000)
        assert _focus_in(page, ".st-key-train_start"), "focus left Start when training started"
        expect(page.locator(".st-key-train_live [role='status']")).to_contain_text("Training")
        page.keyboard.press("Tab")
        assert _focus_in(page, ".st-key-train_pause")
        page.keyboard.press(" ")
        expect(page.locator(".st-key-train_live [role='status']")).to_contain_text("Paused", timeout=30000)
        page.wait_for_timeout(1000)
        assert _focus_in(page, ".st-key-train_pause"), "focus left Pause when training paused"
    finally:
        page.locator(".st-key-train_pause button").click()
        page.close()


def _luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of sRGB colours (..., 3) in 0-255."""
    c = rgb[..., :3] / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return c @ np.array([0.2126, 0.7152, 0.0722])


def _contrast(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    la, lb = _luminance(a), _luminance(b)
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)


def _focus_contrast(page, selector: str) -> tuple[float, int]:
    """The contrast of the focus indicator against the unfocused look: screenshots of the area around the focused
    element and of the same area blurred; the best contrast among the changed pixels, and how many pixels reach
    3:1."""
    from PIL import Image

    box = page.evaluate("""(s) => { const r = document.activeElement.closest(s).getBoundingClientRect();
                                    return {x: r.x, y: r.y, width: r.width, height: r.height}; }""", selector)
    clip = {"x": max(box["x"] - 8, 0), "y": max(box["y"] - 8, 0), "width": box["width"] + 16,
            "height": box["height"] + 16}
    focused = np.asarray(Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB"), dtype=float)
    page.evaluate("document.activeElement.blur()")
    page.wait_for_timeout(300)
    blurred = np.asarray(Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB"), dtype=float)
    ratios = _contrast(focused, blurred)[(focused != blurred).any(axis=-1)]
    return (float(ratios.max()) if ratios.size else 1.0), int((ratios >= 3).sum())


@pytest.mark.browser
@pytest.mark.parametrize(("what", "path", "selector"), [
    ("nav_link", "/try", "[data-testid='stSidebarNav'] a"),
    ("button", "/train", ".st-key-train_start"),
    ("language", "/try", ".st-key-lang_en"),
])
def test_focus_indicator_has_3_to_1_against_the_unfocused_look(server, browser, what, path, selector):  # noqa: F811
    from playwright.sync_api import expect

    page = _open(browser, f"{server}{path}?lang=en", "projector")
    try:
        expect(page.locator(selector).first).to_be_visible(timeout=30000)
        page.wait_for_timeout(1000)
        _tab_to(page, selector)
        page.wait_for_timeout(300)
        page.screenshot(path=str(OUT / f"a11y_focus_{what}.png"))
        best, strong = _focus_contrast(page, selector)
        print(f"focus indicator on {what}: best {best:.2f}:1, {strong} pixels at 3:1 or more")
        assert best >= 3 and strong >= 40, (what, best, strong)
    finally:
        page.close()


@pytest.mark.browser
def test_select_boxes_switch_language_with_the_page(server, browser):  # noqa: F811
    """A select box shows its choice in the new language as soon as the language changes (Streamlit keeps the
    choice as its label in the browser, so ui.i18n stores the value again)."""
    from playwright.sync_api import expect

    page = _open(browser, server + "/try?lang=ja", "projector")
    try:
        task = page.locator(".st-key-task input[role='combobox']")  # the choice is the combobox's value
        expect(task).to_have_value(TEXTS["task_addition"]["ja"], timeout=30000)
        page.locator(".st-key-lang_en button").click()
        expect(page.locator(".st-key-query")).to_contain_text(TEXTS["query"]["en"], timeout=30000)
        expect(task).to_have_value(TEXTS["task_addition"]["en"], timeout=10000)
    finally:
        page.close()


@pytest.mark.browser
def test_example_questions_look_like_buttons_and_work_from_the_keyboard(server, browser):  # noqa: F811
    """Each example on Try has a border of 3:1 or more against the page and a fill of its own (a bare-text button
    reads as a label); Tab reaches one and Enter puts its question in the box."""
    from playwright.sync_api import expect

    page = _open(browser, server + "/try?lang=en", "projector")
    try:
        buttons = page.locator(".st-key-examples button")
        expect(buttons.first).to_be_visible(timeout=30000)
        looks = buttons.evaluate_all("""bs => bs.map(b => { const s = getComputedStyle(b);
            return {text: b.innerText, border: parseFloat(s.borderTopWidth), colour: s.borderTopColor,
                    fill: s.backgroundColor}; })""")
        page_fill = page.evaluate("getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")
        assert len(looks) >= 4, looks
        for b in looks:
            rgb = lambda c: np.array([float(v) for v in c[c.index("(") + 1:c.index(")")].split(",")[:3]])  # noqa: E731
            assert b["border"] >= 1 and _contrast(rgb(b["colour"]), rgb(page_fill)) >= 3, b
            assert b["fill"] not in (page_fill, "rgba(0, 0, 0, 0)"), b
        page.locator(".st-key-examples").screenshot(path=str(OUT / "a11y_example_buttons.png"))
        _tab_to(page, ".st-key-example_1")
        page.keyboard.press("Enter")
        expect(page.locator(".st-key-query input")).to_have_value(looks[1]["text"], timeout=30000)
        expect(page.locator(".st-key-answer [role='status']")).to_contain_text("Answer", timeout=30000)
    finally:
        page.close()


@pytest.mark.browser
def test_model_radio_keeps_its_choice_across_a_language_switch(server, browser):  # noqa: F811
    """The Model radio (a task with few models: Japanese dates) still shows its choice, in the new language, right
    after the language switch (Streamlit drops a radio's choice whose label changed unless ui.i18n stores the value
    again)."""
    from playwright.sync_api import expect

    page = _open(browser, server + "/try?lang=ja&task=date_ja", "projector")
    try:
        checked = page.locator(".st-key-model_source input[type='radio']:checked")
        expect(checked).to_have_count(1, timeout=30000)
        expect(page.locator(".st-key-model_source label:has(input:checked)")).to_contain_text(
            TEXTS["model_shipped"]["ja"])
        page.locator(".st-key-lang_en button").click()
        expect(page.locator(".st-key-query")).to_contain_text(TEXTS["query"]["en"], timeout=30000)
        page.wait_for_timeout(1000)  # a later rerun must not drop it either
        expect(checked).to_have_count(1, timeout=10000)
        expect(page.locator(".st-key-model_source label:has(input:checked)")).to_contain_text(
            TEXTS["model_shipped"]["en"])
    finally:
        page.close()


@pytest.mark.browser
def test_keyboard_steps_through_a_lesson_keeping_the_focus(server, browser):  # noqa: F811
    """On Lessons, with the keyboard alone: the arrow keys choose chapter 8 (the chapter control), Tab reaches Next,
    Enter walks every step to the last (focus stays on Next, also where it has no step left to go to), Shift+Tab
    reaches Back and Space goes one step back."""
    from playwright.sync_api import expect

    from ui.lessons import LESSONS

    lesson = LESSONS["ch8"]
    page = _open(browser, server + "/lessons?lang=en&lesson=ch7&step=1", "projector")
    try:
        page_heading = page.locator(".st-key-lesson_step h2")
        expect(page_heading).to_contain_text(LESSONS["ch7"].steps[0].title["en"], timeout=30000)
        _tab_to(page, ".st-key-lesson")
        page.keyboard.press("ArrowRight")
        if not page.evaluate("document.activeElement.getAttribute('aria-checked') === 'true'"):
            page.keyboard.press(" ")  # a button group moves the focus with the arrows and chooses with Space
        expect(page_heading).to_contain_text(lesson.steps[0].title["en"], timeout=30000)
        _tab_to(page, ".st-key-lesson_next")
        for step in lesson.steps[1:]:
            page.keyboard.press("Enter")
            expect(page_heading).to_contain_text(step.title["en"], timeout=30000)
            page.wait_for_timeout(300)
            assert _focus_in(page, ".st-key-lesson_next"), f"focus left Next at {step.title['en']}"
        page.keyboard.press("Enter")  # at the last step: nothing to go to, the focus stays
        page.wait_for_timeout(1000)
        expect(page_heading).to_contain_text(lesson.steps[-1].title["en"])
        assert _focus_in(page, ".st-key-lesson_next"), "focus left Next at the last step"
        page.keyboard.press("Shift+Tab")
        assert _focus_in(page, ".st-key-lesson_prev")
        page.keyboard.press(" ")
        expect(page_heading).to_contain_text(lesson.steps[-2].title["en"], timeout=30000)
        assert "lesson=ch8" in page.url and f"step={len(lesson.steps) - 1}" in page.url
    finally:
        page.close()
