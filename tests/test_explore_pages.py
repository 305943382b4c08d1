"""AppTest of what the pages let a class explore beyond one answer: what-if decoding and beam search on Try,
the Errors page's breakdown, the Train page's answer history, and the Japanese date task with its eras."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from test_app import answer_text, open_page, set_query

from s2s.inference import answer, beam_search, decode_from
from ui.state import session_shipped_model


def test_what_if_forces_a_candidate_and_decodes_the_rest_greedily():
    at = open_page("try", lang="en")
    set_query(at, "52+607")
    assert "659" in answer_text(at)
    at.toggle(key="try_whatif").set_value(True).run()
    assert not at.exception, at.exception
    at.segmented_control(key="whatif_step").set_value(1).run()
    chars = next(p for p in at.get("button_group") if "whatif_char_1" in p.proto.id)
    options = [o.content for o in chars.proto.options]
    assert len(options) == 4 and "6" not in options  # the other four of the top five
    at.session_state["whatif_char_1"] = options[0]
    at.run()
    assert not at.exception, at.exception
    result = next(m.value for m in at.markdown if m.value.startswith("Answer after the change"))
    forced = re.search(r"`([^`]*)`", result).group(1)
    assert forced.startswith(options[0]) and forced != "659"
    model, codec, _ = session_shipped_model("addition")
    expected = "".join(s.char for s in decode_from(model, codec, "52+607", options[0])).rstrip()
    assert forced == expected
    assert any("dashed" in h.proto.body or "#000000" in h.proto.body for h in at.get("html"))


def test_beam_search_table_has_k_rows_best_first():
    at = open_page("try", lang="en")
    set_query(at, "999+1")
    at.toggle(key="try_beam").set_value(True).run()
    at.slider(key="beam_width").set_value(6).run()
    assert not at.exception, at.exception
    body = next(h.proto.body for h in at.get("html") if "st-stack" in h.proto.body)
    headers = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', body)
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", body)[1:]]
    table = pd.DataFrame(rows, columns=headers)
    assert len(table) == 6 and table["Rank"].tolist() == [str(i) for i in range(1, 7)]
    assert table["Answer"].iloc[0] == '<code class="st-nowrap">1000</code>' and table["Greedy answer"].iloc[0] == "☑"
    assert table["Log-probability"].astype(float).is_monotonic_decreasing
    model, codec, _ = session_shipped_model("addition")
    beams = beam_search(model, codec, "999+1", 6)
    assert table["Answer"].tolist() == [f'<code class="st-nowrap">{b.text}</code>' for b in beams]
    assert any("The best beam is the greedy answer" in c.value for c in at.caption)


def test_errors_page_breaks_accuracy_down_and_lists_the_worst():
    at = open_page("errors", lang="en")
    assert [m.label for m in at.metric] == ["Exact match", "Per character", "Wrong answers"]
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert len(charts) == 6  # carries, digits of a, digits of b, answer length, first-digit grid, beyond the range
    worst = next(h.proto.body for h in at.get("html") if "<table" in h.proto.body)
    assert worst.count("<tr>") == 21
    at.selectbox(key="task").set_value("date").run()
    assert not at.exception, at.exception
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert len(charts) == 2  # written form, month (beyond the trained years: when asked)


def test_japanese_dates_have_a_shipped_model_that_reads_them():
    at = open_page("try", lang="ja", task="date_ja")
    for question, iso in (("平成25年6月17日", "2013-06-17"), ("令和元年5月1日", "2019-05-01"),
                          ("2013年6月17日", "2013-06-17")):
        set_query(at, question)
        assert iso in answer_text(at), question
    set_query(at, "平成31年5月1日")  # not a day of 平成: no true answer to show, but no error either
    assert not at.exception
    assert np.all([w.value == "" for w in at.warning])


def test_train_history_scrubs_through_the_examples_answers():
    at = open_page("train", lang="en")
    for _ in range(3):
        at.button(key="train_step").click().run()
    at.toggle(key="train_history").set_value(True).run()
    assert not at.exception, at.exception
    runner = at.session_state["runner"]
    questions, _, snaps = runner.answer_history()
    assert questions[0] == "16+75" and len(snaps) >= 2
    slider = at.slider(key="history_at")
    assert slider.value == len(snaps) - 1
    first = next(m.value for m in at.markdown if m.value.startswith("Answer to"))
    assert f"`{snaps[-1].answers[0] or '␣'}`" in first
    slider.set_value(0).run()
    assert not at.exception, at.exception
    shown = next(m.value for m in at.markdown if m.value.startswith("Answer to"))
    assert "iteration 0 " in shown and f"`{snaps[0].answers[0] or '␣'}`" in shown
    assert any("role=\"group\"" in h.proto.body for h in at.get("html"))


def test_the_shipped_japanese_date_model_knows_the_era_boundaries():
    """Every day within 15 days of the first day of 大正, 昭和, 平成 and 令和, as 和暦 (元年 and 1年) and as
    西暦: 昭和元年 has seven days only, the hardest case for a model that learned from uniform dates."""
    import datetime

    from s2s.tasks import era_of, solve

    model, codec, _ = session_shipped_model("date_ja")
    starts = [datetime.date(1912, 7, 30), datetime.date(1926, 12, 25), datetime.date(1989, 1, 8),
              datetime.date(2019, 5, 1)]
    questions = set()
    for start in starts:
        for k in range(-15, 16):
            d = start + datetime.timedelta(days=k)
            era, year = era_of(d)
            for y in ({"元", "1"} if year == 1 else {str(year)}):
                questions.add(f"{era}{y}年{d.month}月{d.day}日")
            questions.add(f"{d.year}年{d.month}月{d.day}日")
    questions = sorted(questions)
    got = [a.text for a in answer(model, codec, questions)]
    wrong = [(q, g) for q, g in zip(questions, got, strict=True) if g != solve("date_ja", q)]
    assert len(questions) > 250 and wrong == []
