"""AppTest of the Compare page: every variant advances together, reset, and the way to Inside."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def compare_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception, at.exception
    return at


def test_step_advances_every_variant_on_the_same_data():
    at = compare_page()
    at.button(key="compare_step").click().run()
    assert not at.exception
    compare = at.session_state["compare"]
    status, lanes = compare.snapshot()
    assert [lane.name for lane in lanes] == ["baseline", "reversed", "peeky_reversed"]
    assert [lane.iteration for lane in lanes] == [1, 1, 1]
    at.button(key="compare_step").click().run()
    status, lanes = compare.snapshot()
    assert [lane.iteration for lane in lanes] == [2, 2, 2] and status == "paused"
    # same data, same seed: the two plain models differ only in reading order, so their first losses differ
    assert lanes[0].losses[0, 1] != lanes[1].losses[0, 1]
    assert {lane.parameters for lane in lanes[:2]} == {150573} and lanes[2].parameters > 150573
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2
    assert "strokeDash" in charts[0].proto.spec  # the book's reference lines


def test_date_comparison_and_reset():
    at = compare_page()
    at.selectbox(key="compare_task").set_value("date").run()
    at.number_input(key="compare_hidden").set_value(16).run()
    at.button(key="compare_step").click().run()
    assert not at.exception
    status, lanes = at.session_state["compare"].snapshot()
    assert [lane.name for lane in lanes] == ["baseline", "attention"]
    assert all(lane.iteration == 1 for lane in lanes)
    at.button(key="compare_reset").click().run()
    assert at.session_state["compare"] is None and not at.exception


def test_a_variant_can_be_opened_on_the_inside_page():
    at = compare_page()
    at.button(key="compare_step").click().run()
    at.button(key="compare_inside_peeky_reversed").click().run()
    assert not at.exception
    assert at.title[0].value in ("ネットワークの中を見る", "Look inside the network")
    assert at.selectbox(key="model_source").value == "compare:peeky_reversed"
    at.switch_page("app_pages/inside.py")  # AppTest stays on the old page after st.switch_page
    at.text_input(key="query").set_value("16+75").run()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) >= 3  # heatmaps and the map of this variant
