"""AppTest of Inside's interventions (ui.intervene_view): each kind on a shipped model shows the answer with the
change next to the unchanged one, the changed characters marked; bad input gets words, not a traceback; the
Transformer gets one line; the two lesson steps open Inside with their intervention on.

The expected answers are decoded here with the engine (s2s.inference.answer and s2s.intervene) on the shipped
checkpoints, not written down: the page must show what the model does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_app import open_page

from s2s.checkpoint import load_checkpoint
from s2s.inference import answer
from s2s.intervene import AttentionEdit, GateEdit, Intervention, UnitEdit
from ui.i18n import TEXTS
from ui.intervene_view import PRESETS, parse_units
from ui.lessons import LESSONS

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
FILES = {("addition", "shipped"): "addition_peeky", ("date", "shipped"): "date_attention",
         ("addition", "shipped:addition_gru"): "addition_gru", ("date", "shipped:date_transformer"): "date_transformer"}


def engine(task: str, source: str, question: str, iv: Intervention | None) -> str:
    """The answer the shipped model gives, decoded here without the page."""
    ck = load_checkpoint(WEIGHTS / f"{FILES[task, source]}.npz")
    return answer(ck.model, ck.codec, [question], intervention=iv)[0].text


def inside(task: str, query: str, source: str = "shipped", lang: str = "en") -> AppTest:
    at = open_page("inside", lang=lang)
    if task != "addition":
        at.selectbox(key="task").set_value(task).run()
    if source != "shipped":
        at.selectbox(key="model_source").set_value(source).run()
    at.text_input(key="query").set_value(query).run()
    assert not at.exception, at.exception
    return at


def shown(at: AppTest) -> dict:
    """The two answers the section shows (data-answer of each run) and the steps marked changed (1-based)."""
    out = {}
    for h in at.get("html"):
        body = h.proto.body
        for run in ("unchanged", "intervened"):
            m = re.search(rf'data-iv="{run}" data-answer="([^"]*)"', body)
            if m:
                out[run] = m.group(1)
                if run == "intervened":
                    spans = re.findall(r'<span class="iv-changed"[^>]*>([^<]*)<', body)
                    out["marked"] = spans
    return out


def changed_positions(a: str, b: str, width: int) -> list[int]:
    a, b = a.ljust(width), b.ljust(width)
    return [i + 1 for i in range(width) if a[i] != b[i]]


def check_shown(at: AppTest, question_answer: str, expected: str, width: int) -> None:
    """The page shows the unchanged and the changed answer, marks exactly the changed steps and says them."""
    assert not at.exception, at.exception
    assert not at.warning, [w.value for w in at.warning]
    got = shown(at)
    assert got.get("unchanged") == question_answer, got
    assert got.get("intervened") == expected, got
    steps = changed_positions(question_answer, expected, width)
    assert len(got["marked"]) == len(steps), (got, steps)
    said = "\n".join(m.value for m in at.markdown)
    if steps:
        for n in steps:
            assert f"step {n}: " in said, said  # the changed positions in words, not colour alone
    else:
        assert TEXTS["iv_same"]["en"] in said


def test_cut_peek_on_the_peeky_model():
    at = inside("addition", "16+75")
    at.segmented_control(key="iv_kind").set_value("peek").run()
    expected = engine("addition", "shipped", "16+75", Intervention(peek="zero"))
    assert expected != "91"  # the shipped model needs its peek
    check_shown(at, "91", expected, 4)


def test_unit_edits_zero_and_clamp_follow_the_engine():
    at = inside("addition", "16+75")
    at.segmented_control(key="iv_kind").set_value("units").run()
    at.segmented_control(key="iv_side").set_value("decoder").run()
    at.text_input(key="iv_units").set_value("0-63").run()
    at.multiselect(key="iv_steps_decoder").set_value([0]).run()
    iv = Intervention(units=(UnitEdit("decoder", range(64), "h", (0,), 0.0),))
    check_shown(at, "91", engine("addition", "shipped", "16+75", iv), 4)
    at.segmented_control(key="iv_state").set_value("c").run()
    at.segmented_control(key="iv_value_mode").set_value("clamp").run()
    at.number_input(key="iv_value").set_value(3.0).run()
    iv = Intervention(units=(UnitEdit("decoder", range(64), "c", (0,), 3.0),))
    expected = engine("addition", "shipped", "16+75", iv)
    check_shown(at, "91", expected, 4)


def test_all_encoder_units_zeroed_changes_the_answer():
    at = inside("addition", "16+75")
    at.segmented_control(key="iv_kind").set_value("units").run()  # empty unit list: every unit, every step
    expected = engine("addition", "shipped", "16+75", Intervention(units=(UnitEdit("encoder", range(128)),)))
    assert expected != "91"
    check_shown(at, "91", expected, 4)


def test_gate_held_shut_and_open_lstm_and_gru():
    at = inside("addition", "16+75")
    at.segmented_control(key="iv_kind").set_value("gate").run()
    gate_box = at.selectbox(key="iv_gate")
    assert list(gate_box.options) == [TEXTS[f"state_{g}"]["en"] for g in ("forget", "input", "output")]
    gate_box.set_value("output").run()
    at.segmented_control(key="iv_side").set_value("decoder").run()
    at.segmented_control(key="iv_gate_value").set_value("shut").run()
    iv = Intervention(gates=(GateEdit("decoder", "output", range(128), 0.0),))
    expected = engine("addition", "shipped", "16+75", iv)
    assert expected != "91"
    check_shown(at, "91", expected, 4)
    # a GRU: its two gates, and no cell state to edit
    at = inside("addition", "16+75", source="shipped:addition_gru")
    at.segmented_control(key="iv_kind").set_value("gate").run()
    assert list(at.selectbox(key="iv_gate").options) == [TEXTS[f"state_gru_{g}"]["en"] for g in ("update", "reset")]
    at.segmented_control(key="iv_gate_value").set_value("open").run()
    at.selectbox(key="iv_gate").set_value("update").run()
    hidden = load_checkpoint(WEIGHTS / "addition_gru.npz").model.config.hidden_size
    iv = Intervention(gates=(GateEdit("encoder", "update", range(hidden), 1.0),))
    check_shown(at, engine("addition", "shipped:addition_gru", "16+75", None),
                engine("addition", "shipped:addition_gru", "16+75", iv), 4)
    at.segmented_control(key="iv_kind").set_value("units").run()
    assert list(at.segmented_control(key="iv_state").options) == [TEXTS["state_h"]["en"]]


def test_hand_over_another_questions_state():
    at = inside("addition", "16+75")
    at.segmented_control(key="iv_kind").set_value("handover").run()
    at.text_input(key="iv_other_addition").set_value("52+607").run()
    ck = load_checkpoint(WEIGHTS / "addition_peeky.npz")
    final = answer(ck.model, ck.codec, ["52+607"])[0].trace.encoder.h[-1]
    expected = answer(ck.model, ck.codec, ["16+75"], intervention=Intervention(handover=final))[0].text
    assert expected != "91"
    check_shown(at, "91", expected, 4)
    at.text_input(key="iv_other_addition").set_value("52×607").run()  # validated as the question box is
    assert not at.exception
    assert [w.value for w in at.warning if w.value.startswith(TEXTS["iv_other_bad"]["en"].split(":")[0])], \
        [w.value for w in at.warning]
    assert "'×'" in at.warning[0].value and not shown(at)


def test_attention_edit_one_position_and_uniform():
    at = inside("date", "2/10/04")
    kinds = at.segmented_control(key="iv_kind")
    assert TEXTS["iv_kind_peek"]["en"] not in kinds.options  # no peek for an attention model
    kinds.set_value("attention").run()
    at.selectbox(key="iv_att_step").set_value(3).run()
    at.selectbox(key="iv_att_to").set_value(28).run()
    iv = Intervention(attention=(AttentionEdit(3, 28),))
    expected = engine("date", "shipped", "2/10/04", iv)
    check_shown(at, "2004-02-10", expected, 10)
    # the edited row is drawn: all of step 4's weight on position 29 in the changed run
    charts = [c for c in at.get("vega_lite_chart") if "yOffset" in c.proto.spec]
    assert len(charts) == 1
    at.selectbox(key="iv_att_step").set_value(0).run()
    at.selectbox(key="iv_att_to").set_value(-1).run()
    iv = Intervention(attention=(AttentionEdit(0, None),))
    check_shown(at, "2004-02-10", engine("date", "shipped", "2/10/04", iv), 10)


@pytest.mark.parametrize(("text", "words"), [("3, x", "'x'"), ("200", "0-127"), ("45-40", "'45-40'"),
                                             ("3; 4", "'3;'")])
def test_a_bad_unit_list_gets_a_specific_message(text, words):
    at = inside("addition", "16+75")
    at.segmented_control(key="iv_kind").set_value("units").run()
    at.text_input(key="iv_units").set_value(text).run()
    assert not at.exception, at.exception
    assert len(at.warning) == 1 and words in at.warning[0].value, [w.value for w in at.warning]
    assert not shown(at)  # no answer drawn from a list that was not understood


def test_parse_units():
    assert parse_units("3, 17, 40-42", 128) == (3, 17, 40, 41, 42)
    assert parse_units("", 8) == tuple(range(8))
    assert parse_units("１、２ ２", 8) == (1, 2)  # full-width digits and the ideographic comma, each unit once
    with pytest.raises(ValueError):
        parse_units("128", 128)


def test_the_transformer_says_so_in_one_line():
    at = inside("date", "2/10/04", source="shipped:date_transformer")
    assert TEXTS["iv_transformer"]["en"] in [c.value for c in at.caption]
    assert not [w for w in at.get("button_group") if w.key == "iv_kind"]  # nothing offered
    assert not shown(at)


LESSON_STEPS = [(key, i) for key, lesson in LESSONS.items() for i, s in enumerate(lesson.steps) if s.intervention]


def test_there_is_one_intervention_step_in_chapters_7_and_8():
    assert [(k, LESSONS[k].steps[i].intervention) for k, i in LESSON_STEPS] == [("ch7", "peek_cut"),
                                                                                 ("ch8", "attention_wrong")]
    assert all(LESSONS[k].steps[i].intervention in PRESETS for k, i in LESSON_STEPS)


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize(("key", "index"), LESSON_STEPS)
def test_lesson_set_up_opens_inside_with_the_intervention_on(key, index, lang):
    step = LESSONS[key].steps[index]
    at = open_page("lessons", lang=lang, lesson=key, step=str(index + 1))
    assert step.ask[lang] in "\n".join(i.value for i in at.info)
    at.button(key="lesson_go").click().run()
    assert not at.exception, at.exception
    assert TEXTS["inside_title"][lang] in [t.value for t in at.title]
    source = "shipped"
    ck = load_checkpoint(WEIGHTS / f"{FILES[step.task, source]}.npz")
    preset = PRESETS[step.intervention]
    iv = Intervention(peek="zero") if preset["iv_kind"] == "peek" else Intervention(
        attention=(AttentionEdit(preset["iv_att_step"], preset["iv_att_to"]),))
    before = answer(ck.model, ck.codec, [step.query])[0].text
    after = answer(ck.model, ck.codec, [step.query], intervention=iv)[0].text
    assert before != after
    got = shown(at)
    assert (got.get("unchanged"), got.get("intervened")) == (before, after), got
    assert got["marked"]
    # the lesson's text quotes what the class will see
    assert f"`{before}`" in step.text[lang] and f"`{after}`" in step.text[lang]


def test_an_inside_step_without_an_intervention_clears_the_last_one():
    at = open_page("lessons", lang="en", lesson="ch8", step="4")
    at.button(key="lesson_go").click().run()
    assert shown(at)
    at.switch_page("app_pages/lessons.py").run()
    at.button(key="lesson_prev").click().run()  # step 3: the attention weights, nothing changed
    at.button(key="lesson_go").click().run()
    assert not at.exception, at.exception
    assert at.session_state["iv_kind"] is None and not shown(at)


def test_an_intervention_on_the_sessions_own_model():
    at = open_page("train", lang="en")
    for _ in range(3):
        at.button(key="train_step").click().run()
    runner = at.session_state["runner"]
    at.switch_page("app_pages/inside.py").run()
    at.selectbox(key="model_source").set_value("session").run()
    at.text_input(key="query").set_value("16+75").run()
    at.segmented_control(key="iv_kind").set_value("units").run()
    at.text_input(key="iv_units").set_value("0-63").run()
    assert not at.exception, at.exception
    model, codec = runner.model, runner.codec  # paused after the steps by hand: what Inside decodes
    plain = answer(model, codec, ["16+75"])[0].text
    cut = answer(model, codec, ["16+75"], intervention=Intervention(units=(UnitEdit("encoder", range(64)),)))[0].text
    check_shown(at, plain, cut, 4)
