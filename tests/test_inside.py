"""AppTest of the Inside page: heatmap data shapes, attention rows, map and neuron view."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def chart_frames(at: AppTest):
    """(spec, data frame) of every Vega-Lite chart on the page."""
    out = []
    for c in at.get("vega_lite_chart"):
        ds = c.proto.datasets
        frame = pa.ipc.open_stream(ds[0].data.data).read_all().to_pandas() if len(ds) else None
        out.append((json.loads(c.proto.spec), frame))
    return out


def inside(task: str, query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/inside.py").run()
    if task != "addition":
        at.selectbox(key="task").set_value(task).run()
    at.text_input(key="query").set_value(query).run()
    assert not at.exception, at.exception
    return at


def test_heatmaps_of_16_plus_75_are_hidden_size_by_7_steps():
    at = inside("addition", "16+75")
    at.slider(key="inside_k").set_value(128).run()
    assert not at.exception
    frames = chart_frames(at)
    encoder = frames[0][1]
    assert encoder.shape == (128 * 7, 3)
    assert encoder["x"].nunique() == 7 and encoder["y"].nunique() == 128
    assert np.abs(encoder["value"]).max() <= 1.0  # tanh-bounded hidden states
    # the steps are labelled with the characters as the (reversing) encoder reads them
    assert list(dict.fromkeys(encoder["x"]))[-5:] == ["3 5", "4 7", "5 +", "6 6", "7 1"]
    decoder = frames[1][1]
    assert decoder["x"].nunique() == 4 and decoder["y"].nunique() == 128


@pytest.mark.parametrize("kind", ["c", "forget", "candidate"])
def test_every_state_kind_can_be_shown(kind):
    at = inside("addition", "16+75")
    at.segmented_control(key="inside_state").set_value(kind).run()
    assert not at.exception
    enc = chart_frames(at)[0][1]
    values = enc["value"].to_numpy()
    if kind == "forget":
        assert values.min() >= 0 and values.max() <= 1  # a sigmoid gate
    assert len(values) == 32 * 7  # top 32 units by default


def test_attention_rows_sum_to_one_for_the_date_model():
    at = inside("date", "September 27, 1994")
    titles = ("出力の文字", "Output character")
    attention = [f for s, f in chart_frames(at) if s.get("encoding", {}).get("y", {}).get("title") in titles]
    assert len(attention) == 1
    frame = attention[0]
    matrix = frame.pivot(index="y", columns="x", values="value")
    assert matrix.shape == (10, 29)
    np.testing.assert_allclose(matrix.sum(axis=1).to_numpy(), 1.0, atol=1e-5)


def test_pca_map_marks_the_typed_question_and_sorting_by_correlation_works():
    at = inside("addition", "16+75")
    maps = [f for s, f in chart_frames(at) if f is not None and "pc1" in f.columns]
    assert len(maps) == 1
    frame = maps[0]
    assert (frame["mark"] == "typed").sum() == 1 and (frame["mark"] == "held-out").sum() == 500
    assert frame.loc[frame["mark"] == "typed", "question"].item() == "16+75"
    at.selectbox(key="inside_sort").set_value("correlation").run()
    at.selectbox(key="inside_prop").set_value("sum").run()
    assert not at.exception


def test_neuron_view_and_stepper():
    at = inside("date", "September 27, 1994")
    at.slider(key="inside_step").set_value(3).run()
    at.number_input(key="inside_unit").set_value(5).run()
    assert not at.exception
    html = " ".join(h.proto.body for h in at.get("html"))
    assert html.count("→") >= 10  # ten questions with their answers


def test_spaces_inside_a_sum_are_read_as_on_try():
    """Inside reads the question as Try does: `12 + 34` is the question 12+34, not refused for its spaces."""
    at = inside("addition", "12 + 34")
    assert not at.warning
    assert chart_frames(at)[0][1].equals(chart_frames(inside("addition", "12+34"))[0][1])  # the encoder heatmap
