"""Both lessons walked in a real browser in presentation mode, every step (the short version of
benchmarks/lesson_walk.py: train and race steps start, show a first evaluation and pause)."""

from __future__ import annotations

import pytest
from test_browser import browser, server, server_process  # noqa: F401  (fixtures)

from benchmarks.lesson_walk import walk
from ui.lessons import LESSONS

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("chapter", "lang"), [("ch7", "en"), ("ch8", "ja"), ("ch85", "en")])
def test_every_step_opens_its_page_and_the_way_back_keeps_the_chapter_and_step(server, browser, chapter, lang):  # noqa: F811
    records = walk(server, browser, chapter, lang, quick=True)
    assert [r["step"] for r in records] == list(range(1, len(LESSONS[chapter].steps) + 1))
    for r, step in zip(records, LESSONS[chapter].steps, strict=True):
        assert r["page"] == step.page
        if step.page == "try":
            assert r["seen"].startswith("answer tiles with")
        if step.intervention:  # the changed answer shown beside the unchanged one
            assert r["seen"].startswith("intervened answer"), r
