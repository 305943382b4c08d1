"""AppTest of the Errors page's "Beyond the training range": the lengths 1-5 with their number of questions,
in both languages, the shipped models side by side, and the date report computed when asked."""

from __future__ import annotations

import json

import pytest
from test_app import open_page

from s2s.generalise import MAX_DIGITS, N_PER_POINT, YEAR_BUCKETS
from ui.i18n import TEXTS


def _text(key: str, lang: str) -> str:
    return TEXTS[key][lang]


def _beyond_table(at, lang: str):
    """The section's numbers (the chart's text alternative): the table with an "inside training" column."""
    frames = [d.value for d in at.dataframe if _text("beyond_inside", lang) in d.value.columns]
    assert len(frames) == 1, len(frames)
    return frames[0]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_section_shows_lengths_one_to_five_with_their_counts(lang):
    at = open_page("errors", lang=lang)
    assert _text("beyond_title", lang) in [s.value for s in at.subheader]
    frame = _beyond_table(at, lang)
    digits, n = _text("beyond_digits", lang), _text("errors_n", lang)
    assert frame[digits].tolist() == [str(d) for d in range(1, MAX_DIGITS + 1)]
    assert frame[n].tolist() == [100] + [N_PER_POINT] * (MAX_DIGITS - 1)  # one-digit pairs: all 100 there are
    inside = [_text("beyond_yes", lang)] * 3 + [_text("beyond_no", lang)] * 2
    assert frame[_text("beyond_inside", lang)].tolist() == inside
    grid = at.dataframe[-1].value  # the (digits of a, digits of b) grid of the same questions
    assert grid.index.tolist() == grid.columns.tolist() == [str(d) for d in range(1, MAX_DIGITS + 1)]
    counts = [int(v.rsplit("(", 1)[1].rstrip(")")) for v in grid.to_numpy().ravel() if v]
    assert sum(counts) == 100 + N_PER_POINT * (MAX_DIGITS - 1)
    assert grid.loc["1", "1"] == "100.0% (100)"  # the shipped model on all one-digit pairs
    chart = at.get("vega_lite_chart")[-1]
    spec = json.dumps(json.loads(chart.proto.spec), ensure_ascii=False)
    assert _text("beyond_band", lang) in spec  # the training range is named on the chart
    assert chart.proto.alt.startswith(_text("beyond_title", lang))
    # each point's n is in its axis label, in the order of the x axis (split into two lines at '|': "5", "n=200")
    order = [f"{d}|n={100 if d == 1 else N_PER_POINT}" for d in range(1, MAX_DIGITS + 1)]
    assert json.dumps(order) in spec


def test_side_by_side_adds_the_shipped_addition_models():
    at = open_page("errors", lang="en")
    at.checkbox(key="errors_beyond_side").check().run()
    assert not at.exception, at.exception
    frame = _beyond_table(at, "en")
    models = list(dict.fromkeys(frame["Model"]))
    assert models[0] == "Shipped pretrained model"
    assert models[1:] == ["plain seq2seq", "reversed input", "Peeky + reversed", "attention"]
    assert all((frame["Model"] == m).sum() == MAX_DIGITS for m in models)
    plain = frame[frame["Model"] == "plain seq2seq"]
    assert plain["questions"].tolist() == [100] + [N_PER_POINT] * (MAX_DIGITS - 1)


def test_dates_are_computed_when_asked_by_year_bucket():
    at = open_page("errors", lang="en")
    at.selectbox(key="task").set_value("date").run()
    assert not at.exception, at.exception
    assert _text("beyond_title", "en") in [s.value for s in at.subheader]
    assert all(_text("beyond_inside", "en") not in d.value.columns for d in at.dataframe)  # not yet computed
    at.button(key="errors_beyond_go").click().run()
    assert not at.exception, at.exception
    frame = _beyond_table(at, "en")
    assert frame["years"].tolist() == [f"{a}-{b}" for a, b in YEAR_BUCKETS]
    assert frame["questions"].tolist() == [N_PER_POINT] * len(YEAR_BUCKETS)
    assert frame["inside training"].tolist() == ["no", "no", "yes", "no", "no"]
    assert frame["exact match"].iloc[2] > 0.9  # the shipped model on the years it learned
    at.run()  # computed once per model version: shown again without the button
    assert _beyond_table(at, "en")["questions"].tolist() == [N_PER_POINT] * len(YEAR_BUCKETS)
    assert not [b for b in at.button if b.key == "errors_beyond_go"]
