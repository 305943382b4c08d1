"""Presentation mode a teacher can drive: the chosen chapter and step survive every page change
and the way back; a bar of links and the language switch above every page while presenting; the language and the
presentation mode kept in every page's address, so a typed, bookmarked or reloaded address keeps them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from test_app import open_page
from test_browser import OUT, _no_errors, _open, browser, server, server_process  # noqa: F401  (fixtures)

from ui.i18n import TEXTS
from ui.lessons import LESSONS

STEPS = [(key, i) for key, lesson in LESSONS.items() for i in range(len(lesson.steps))]
PAGES = {"lessons", "try", "train", "inside", "compare", "errors"}


def _presenting(at) -> bool:
    return any("font-size: 125%" in h.proto.body for h in at.get("html"))


def _links(at) -> dict[str, dict[str, list[str]]]:
    """The banner's page links: page name -> the query parameters of its address."""
    return {link.proto.page.rsplit("/", 1)[-1].removesuffix(".py"): parse_qs(link.proto.query_string)
            for link in at.get("page_link")}


def _follow(at, page: str):
    """Follow the banner's link to `page` as the browser does: its address, its page (AppTest cannot click links)."""
    at.query_params = {k: v[0] for k, v in _links(at)[page].items()}
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def _choose_step(at, key: str, index: int):
    at.segmented_control(key="lesson").set_value(key).run()
    for _ in range(index):
        at.button(key="lesson_next").click().run()
    assert not at.exception, at.exception
    return at


def _shows_step(at, key: str, index: int, language: str) -> None:
    lesson = LESSONS[key]
    assert at.segmented_control(key="lesson").value == key
    assert lesson.steps[index].title[language] in [s.value for s in at.header]
    progress = TEXTS["lesson_progress"][language].format(k=index + 1, n=len(lesson.steps))
    assert any(m.value.startswith(progress) for m in at.markdown)


@pytest.mark.parametrize(("key", "index"), STEPS)
def test_the_chapter_and_step_survive_set_up_other_pages_and_the_way_back(key, index):
    language = "ja" if key == "ch8" else "en"  # as the teacher did: English for chapter 7, Japanese for chapter 8
    at = _choose_step(open_page("lessons", lang=language, present="1"), key, index)
    step = LESSONS[key].steps[index]
    at.button(key="lesson_go").click().run()
    assert not at.exception, at.exception
    assert at.session_state["_lesson_now"] == step and set(_links(at)) == PAGES  # on the step's page, with the bar
    other = "inside" if step.page != "inside" else "try"
    _follow(at, other)  # another page on the way
    assert set(_links(at)) == PAGES
    _follow(at, "lessons")
    assert not at.get("page_link")  # back on the Lessons page
    _shows_step(at, key, index, language)
    assert _presenting(at) and at.session_state["lang"] == language
    assert (at.query_params["lesson"], at.query_params["step"]) == (key, str(index + 1))


def test_the_chapter_survives_the_sidebar_navigation_too():
    at = _choose_step(open_page("lessons", lang="en"), "ch8", 2)
    at.query_params = {}  # a page change may drop the address's parameters
    at.switch_page("app_pages/errors.py").run()
    at.switch_page("app_pages/lessons.py").run()
    assert not at.exception, at.exception
    _shows_step(at, "ch8", 2, "en")


def test_the_banner_links_every_page_and_switches_the_language():
    at = open_page("lessons", lang="en", present="1")
    at.button(key="lesson_go").click().run()
    links = _links(at)
    assert set(links) == PAGES
    assert all(q == {"lang": ["en"], "present": ["1"]} for q in links.values()), links
    labels = {link.proto.label for link in at.get("page_link")}
    assert TEXTS["lesson_back"]["en"] in labels and TEXTS["nav_inside"]["en"] in labels
    _follow(at, "try")  # (AppTest's next run would return to the page it last switched to itself)
    at.button(key="lang_bar_ja").click().run()
    assert not at.exception, at.exception
    assert at.session_state["lang"] == "ja" and _presenting(at)
    assert at.query_params["lang"] == "ja" and at.query_params["present"] == "1"
    assert TEXTS["lesson_back"]["ja"] in {link.proto.label for link in at.get("page_link")}
    assert all(q["lang"] == ["ja"] for q in _links(at).values())
    _follow(at, "inside")
    assert at.session_state["lang"] == "ja" and TEXTS["inside_title"]["ja"] in [t.value for t in at.title]


def test_language_and_presentation_stay_in_the_address_after_page_changes():
    at = open_page("try", lang="en", present="1")
    for page in ("inside", "train", "compare", "errors", "lessons", "try"):
        at.query_params = {}  # st.switch_page and page links without parameters clear the address
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, at.exception
        assert at.query_params.get("lang") == "en" and at.query_params.get("present") == "1", (page, at.query_params)
        assert _presenting(at) and at.session_state["lang"] == "en"
    plain = open_page("train", lang="en")
    assert plain.query_params.get("lang") == "en" and "present" not in plain.query_params


def test_a_new_session_from_a_typed_address_is_in_english_presentation_mode():
    at = open_page("inside", present="1", lang="en")
    assert _presenting(at) and at.session_state["lang"] == "en"
    assert TEXTS["inside_title"]["en"] in [t.value for t in at.title] and set(_links(at)) == PAGES
    at = open_page("lessons", present="1", lang="en", lesson="ch8", step="3")  # a bookmarked lesson
    _shows_step(at, "ch8", 2, "en")
    at = open_page("lessons", lang="en?present=1")  # '?present=1' added after '?lang=en' by hand
    assert _presenting(at) and at.session_state["lang"] == "en" and at.query_params["lang"] == "en"


def test_present_in_the_address_keeps_the_language_chosen_in_the_session():
    at = open_page("lessons")
    at.button(key="lang_en").click().run()  # the sidebar's switch
    assert at.query_params["lang"] == "en"
    at.query_params = {"present": "1"}
    at.run()
    assert _presenting(at) and at.session_state["lang"] == "en" and at.query_params["lang"] == "en"
    at.query_params = {"present": "0"}
    at.run()
    assert not _presenting(at) and at.session_state["lang"] == "en" and at.query_params["lang"] == "en"
    at.switch_page("app_pages/try.py").run()
    assert not _presenting(at) and at.session_state["lang"] == "en"


def test_the_lessons_page_switches_presentation_mode_and_language_as_its_text_says():
    at = open_page("lessons", lang="en")
    intro = [c.value for c in at.caption]
    assert TEXTS["lessons_intro"]["en"] in intro and "'Presentation mode'" in TEXTS["lessons_intro"]["en"]
    assert "「発表モード」" in TEXTS["lessons_intro"]["ja"]
    toggle = at.toggle(key="present_mode")
    assert toggle.label == "Presentation mode" and not toggle.value and not _presenting(at)
    toggle.set_value(True).run()
    assert _presenting(at) and at.query_params["present"] == "1" and at.query_params["lang"] == "en"
    assert at.button(key="lang_bar_en").label == "✓ English"  # the sidebar is hidden: the switch is on the page
    at.button(key="lang_bar_ja").click().run()
    assert at.session_state["lang"] == "ja" and TEXTS["lessons_title"]["ja"] in [t.value for t in at.title]
    assert at.toggle(key="present_mode").label == "発表モード"
    at.toggle(key="present_mode").set_value(False).run()
    assert not _presenting(at) and "present" not in at.query_params and at.query_params["lang"] == "ja"
    # "adding &present=1 to the address does the same": a new session from the address shown, plus present=1
    again = open_page("lessons", **{**at.query_params, "present": "1"})
    assert _presenting(again) and again.session_state["lang"] == "ja"


def test_the_try_page_link_still_fills_the_page():
    at = open_page("try", lang="en", present="1", task="addition", q="52+607")
    assert at.text_input(key="query").value == "52+607"
    assert at.query_params["q"] == "52+607" and at.query_params["task"] == "addition"


# ---- in the browser -------------------------------------------------------------------------------------------


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.evaluate("location.href")).query)  # (page.url lags behind pushState)


@pytest.mark.browser
def test_a_teacher_drives_presentation_mode_from_a_typed_address(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    lesson = LESSONS["ch8"]
    step = lesson.steps[2]
    page = _open(browser, server + "/lessons?present=1", "projector")  # typed: a new session, Japanese
    expect(page.locator(".st-key-lesson_go button")).to_be_visible(timeout=30000)
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    page.locator(".st-key-lang_bar_en button").click()
    expect(page.locator(".st-key-present_mode")).to_contain_text("Presentation mode", timeout=30000)
    page.locator(".st-key-lesson").get_by_role("radio", name=lesson.title["en"]).click()
    expect(page.get_by_text(lesson.steps[0].title["en"])).to_be_visible(timeout=30000)
    for k in (2, 3):
        page.locator(".st-key-lesson_next button").first.click()
        expect(page.get_by_text(f"Step {k} of {len(lesson.steps)}")).to_be_visible(timeout=30000)
    page.locator(".st-key-lesson_go button").first.click()
    page.wait_for_url(f"**/{step.page}?*", timeout=30000)
    nav = page.locator(".st-key-present_nav")
    expect(nav).to_be_visible(timeout=30000)
    expect(page.locator(".st-key-lesson_banner")).to_contain_text(step.ask["en"])
    for target, label in (("try", "Try"), ("inside", "Inside")):
        nav.get_by_role("link", name=label).click()
        page.wait_for_url(f"**/{target}?*", timeout=30000)
        expect(page.locator(".st-key-lesson_banner")).to_contain_text(step.ask["en"], timeout=30000)
        expect(page.get_by_test_id("stSidebar")).to_be_hidden()
        assert _query(page).get("lang") == ["en"] and _query(page).get("present") == ["1"], page.url
    _no_errors(page)
    page.wait_for_timeout(1500)  # the Inside page's charts
    box = nav.bounding_box()
    assert box is not None and box["height"] <= 60, box  # one row at 1280x720 with 125 % type
    page.screenshot(path=str(OUT / "present_nav_1280x720.png"))
    for w, h in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": w, "height": h})
        page.wait_for_timeout(1000)
        box = nav.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= w, box  # nothing clipped
        page.screenshot(path=str(OUT / f"present_nav_{w}x{h}.png"))
    page.set_viewport_size({"width": 1280, "height": 720})
    nav.get_by_role("link", name="Back to the lesson").click()
    page.wait_for_url("**/lessons?*", timeout=30000)
    expect(page.get_by_text(step.title["en"])).to_be_visible(timeout=30000)
    expect(page.get_by_text(f"Step 3 of {len(lesson.steps)}")).to_be_visible()
    expect(page.locator(".st-key-lesson").get_by_role("radio", name=lesson.title["en"])).to_be_checked()
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    q = _query(page)
    assert q.get("lang") == ["en"] and q.get("present") == ["1"] and q.get("lesson") == ["ch8"], page.url
    page.screenshot(path=str(OUT / "present_lessons_1280x720.png"))
    # Japanese from the banner, on another page, still presenting; the bar stays one row
    page.locator(".st-key-lesson_go button").first.click()
    page.wait_for_url(f"**/{step.page}?*", timeout=30000)
    nav.locator(".st-key-lang_bar_ja button").click()
    expect(nav).to_contain_text("授業に戻る", timeout=30000)
    page.wait_for_timeout(500)
    assert _query(page).get("lang") == ["ja"] and _query(page).get("present") == ["1"]
    box = nav.bounding_box()
    assert box is not None and box["height"] <= 60, box
    _no_errors(page)
    page.screenshot(path=str(OUT / "present_nav_ja_1280x720.png"))
    page.reload()  # a new session from the address: still Japanese, still presenting
    expect(page.locator(".st-key-present_nav")).to_contain_text("授業に戻る", timeout=30000)
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    page.close()
