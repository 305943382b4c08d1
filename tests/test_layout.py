"""Issue 14, items 6 and 8: the Train page's scrub-back slider grows and can be moved while training runs
(AppTest), and each page's point is above the fold on a 1280x720 projector, in normal and presentation mode
(Chromium: bounding boxes of the answer tiles, the accuracy chart, the Errors charts)."""

from __future__ import annotations

import re
import time

import pytest
from test_app import open_page
from test_browser import OUT, _no_errors, _open, browser, server, server_process  # noqa: F401  (fixtures)

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
