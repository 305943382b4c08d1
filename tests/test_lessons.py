"""AppTest of the Lessons page: every step sets up its page, both languages, presentation mode."""

from __future__ import annotations

import logging

import pytest
import streamlit.elements.lib.policies as policies
from test_app import open_page

from s2s.data import make_split
from s2s.presets import PRESETS
from s2s.trainer import evaluate
from ui.lessons import LESSONS
from ui.state import session_shipped_model

STEPS = [(key, i) for key, lesson in LESSONS.items() for i in range(len(lesson.steps))]


@pytest.fixture
def double_values(monkeypatch):
    """Streamlit's warnings that a widget got a default value and a value through the session state (logged
    only with a server running, once per process: both made to happen here)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    monkeypatch.setattr(policies.runtime, "exists", lambda: True)
    monkeypatch.setattr(policies, "_shown_default_value_warning", False)
    policies._LOGGER.addHandler(handler)
    yield records
    policies._LOGGER.removeHandler(handler)


def test_every_step_speaks_both_languages():
    for lesson in LESSONS.values():
        assert set(lesson.title) == {"ja", "en"}
        for step in lesson.steps:
            for part in (step.title, step.text, step.ask):
                assert set(part) == {"ja", "en"} and all(len(v) >= 5 for v in part.values())
            if step.page == "train":
                assert step.preset in PRESETS[step.task]


@pytest.mark.parametrize(("key", "index"), STEPS)
def test_set_up_opens_the_steps_page_with_its_settings(key, index, double_values):
    step = LESSONS[key].steps[index]
    at = open_page("lessons", lang="en")
    at.segmented_control(key="lesson").set_value(key).run()
    for _ in range(index):
        at.button(key="lesson_next").click().run()
    assert step.title["en"] in [s.value for s in at.header]
    assert step.ask["en"] in "\n".join(i.value for i in at.info)
    at.button(key="lesson_go").click().run()
    assert not at.exception, at.exception
    ss = at.session_state
    if step.page == "train":
        preset = PRESETS[step.task][step.preset]
        assert ss["train_task"] == step.task and ss["train_seed"] == 0
        assert (ss["train_model"], ss["train_hidden"], ss["train_epochs"]) == (preset.model, preset.hidden,
                                                                              preset.epochs)
        assert ss["runner"] is None and at.button(key="train_start")
    elif step.page == "compare":
        assert ss["compare_task"] == step.task and ss["compare_seed"] == 0 and at.button(key="compare_start")
    else:
        assert ss["task"] == step.task
        if step.query:
            assert at.text_input(key="query").value == step.query
    assert not [r.getMessage() for r in double_values]  # values set before the widgets, and only there
    if step.history:
        assert ss["train_history"] is True  # the answer history opens with the first step


FALLBACKS = [(key, i) for key, i in STEPS if LESSONS[key].steps[i].page == "train"]


@pytest.mark.parametrize(("key", "index"), FALLBACKS)
def test_fallback_opens_try_with_a_model_trained_the_steps_way(key, index):
    """Running late on a train step opens Try with a shipped model of the step's kind, trained with the
    step's preset, whose held-out accuracy is what the step would have shown."""
    step = LESSONS[key].steps[index]
    at = open_page("lessons", lang="en", lesson=key, step=str(index + 1))
    at.button(key="lesson_fallback").click().run()
    assert not at.exception, at.exception
    expected = f"shipped:{step.fallback}" if step.fallback else "shipped"
    assert at.session_state["model_source"] == expected and at.text_input(key="query")
    model = session_shipped_model(step.task, step.fallback)[0]
    preset = PRESETS[step.task][step.preset]
    if step.fallback:  # trained the step's way
        assert (model.config.kind, model.config.hidden_size, model.config.reverse) == (preset.model, preset.hidden,
                                                                                         preset.reverse)
        assert (model.config.cell, model.config.heads) == (preset.cell, preset.heads)
        accuracy = evaluate(model, make_split(step.task, 0, 1000, 5)[1])["accuracy"]
        book = {"book_baseline": 0.10, "book_reversed": 0.50, "book_peeky": 0.99}.get(step.preset)
        if book is None:  # beyond the book: the GRU's and the Transformer's presets learn the dates
            assert accuracy >= 0.95, accuracy
        else:
            assert abs(accuracy - book) < 0.07, accuracy  # about the book's epoch-25 figure
    else:  # the task's shipped model is of the step's kind
        assert model.config.kind == preset.model and model.config.reverse == preset.reverse


def test_presentation_mode_enlarges_type_and_keeps_a_way_back():
    at = open_page("lessons", lang="en", present="1")
    assert any("font-size: 125%" in h.proto.body for h in at.get("html"))
    assert not at.expander  # the list of all steps is hidden while presenting
    at.button(key="lesson_next").click().run()
    at.button(key="lesson_go").click().run()
    assert not at.exception, at.exception
    links = at.get("page_link")
    assert any("lessons" in link.proto.page for link in links)  # the way back, among the bar's links
    step = LESSONS["ch7"].steps[1]
    assert any(step.ask["en"] in m.value and step.title["en"] in m.value for m in at.markdown)  # the banner
    assert all("Save" not in e.proto.label for e in at.expander)  # no save/load while presenting
    plain = open_page("train", lang="en")
    assert not plain.get("page_link") and not any("font-size: 125%" in h.proto.body for h in plain.get("html"))
