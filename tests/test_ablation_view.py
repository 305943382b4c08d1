"""AppTest of the Inside page's ablation scan (ui.ablation_view): Scan shows the ranking s2s.ablation computes,
by a property too, its top encoder units open in the neuron view, in Japanese and English; the Transformer is
refused in words."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from s2s.ablation import scan
from s2s.checkpoint import load_checkpoint
from s2s.data import make_split
from s2s.presets import ABLATION_SEED
from ui import ablation_view, keys

ROOT = Path(__file__).resolve().parents[1]
N = 150  # questions scanned here (the app scans s2s.presets.ABLATION_SIZE): the same code, less waiting


@pytest.fixture(autouse=True)
def fewer_questions(monkeypatch):
    monkeypatch.setattr(ablation_view, "ABLATION_SIZE", N)


@pytest.fixture(scope="module")
def expected():
    """The scans of the shipped addition model, as s2s.ablation computes them on the same questions."""
    ck = load_checkpoint(ROOT / "weights" / "addition_peeky.npz")
    _, data = make_split("addition", 0, N, ABLATION_SEED)
    return {side: scan(ck.model, data, "addition", side) for side in ("encoder", "decoder")}


def inside(lang: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("app_pages/inside.py").run()
    at.text_input(key="query").set_value("16+75").run()
    assert not at.exception, at.exception
    return at


def cost_chart(at: AppTest):
    """(spec, frame) of the ablation chart: the chart whose data has a cost column."""
    for c in at.get("vega_lite_chart"):
        ds = c.proto.datasets
        frame = pa.ipc.open_stream(ds[0].data.data).read_all().to_pandas() if len(ds) else None
        if frame is not None and "cost" in frame:
            return json.loads(c.proto.spec), frame, c.proto
    return None


@pytest.mark.parametrize("lang,scan_label,title_word", [
    ("en", "Scan units (Encoder)", "Top 20 encoder units"),
    ("ja", "ユニットを調べる (エンコーダ)", "エンコーダのユニット上位 20")])
def test_scan_shows_the_units_s2s_ablation_ranks_and_links_the_top_one(expected, lang, scan_label, title_word):
    at = inside(lang)
    assert cost_chart(at) is None  # nothing is scanned until asked
    button = at.button(key="ablation_scan")
    assert button.label == scan_label
    button.click().run()
    assert not at.exception, at.exception
    spec, frame, proto = cost_chart(at)
    want = expected["encoder"]
    top = [f"#{j}" for j in want.ranking[:20]]
    assert list(frame["label"]) == top
    assert frame["cost"].to_numpy() == pytest.approx(want.cost[want.ranking[:20]])
    assert title_word in json.dumps(spec, ensure_ascii=False)
    assert top[0] in proto.alt  # the text alternative names the units, the most costly first
    assert not any(b.key == "ablation_scan" for b in at.button)  # kept for this model version: no second scan
    # the top unit opens in the neuron view
    first = int(want.ranking[0])
    at.button(key=f"ablation_open_{first}").click().run()
    assert not at.exception, at.exception
    assert at.number_input(key=keys.INSIDE_UNIT).value == first
    assert any(f"#{first}" in c.value for c in at.caption)


def test_the_ranking_by_a_property_is_the_groups(expected):
    at = inside("en")
    at.button(key="ablation_scan").click().run()
    at.selectbox(key=keys.ABLATION_PROP).set_value("carries").run()
    assert not at.exception, at.exception
    groups = expected["encoder"].groups["carries"]
    assert at.selectbox(key=keys.ABLATION_VALUE).options == [f"{g.value} ({g.n} questions)" for g in groups]
    g = groups[-1]
    at.selectbox(key=keys.ABLATION_VALUE).set_value(g.value).run()
    _, frame, _ = cost_chart(at)
    assert list(frame["label"]) == [f"#{j}" for j in g.ranking[:20]]
    assert any(f"carries = {g.value}" in m.value and f"of {g.n} questions" in m.value for m in at.markdown)
    # every value of the property, for the chart's units: each cell the group's cost
    heat = [c for c in at.get("vega_lite_chart") if "Heatmap of each unit's cost" in c.proto.alt]
    assert len(heat) == 1
    ds = heat[0].proto.datasets
    cells = pa.ipc.open_stream(ds[0].data.data).read_all().to_pandas()
    assert len(cells) == 10 * len(groups)
    j = int(g.ranking[0])
    cell = cells[(cells["x"] == f"#{j}") & (cells["y"] == str(g.value))]["value"].item()
    assert cell == pytest.approx(g.cost[j])


def test_the_decoder_side_is_scanned_on_its_own(expected):
    at = inside("en")
    at.segmented_control(key=keys.ABLATION_SIDE).set_value("decoder").run()
    at.button(key="ablation_scan").click().run()
    assert not at.exception, at.exception
    _, frame, _ = cost_chart(at)
    assert list(frame["label"]) == [f"#{j}" for j in expected["decoder"].ranking[:20]]
    assert not any(b.key.startswith("ablation_open_") for b in at.button if b.key)  # the neuron view is the encoder's
    # the encoder's scan is its own: still to be done
    at.segmented_control(key=keys.ABLATION_SIDE).set_value("encoder").run()
    assert cost_chart(at) is None and at.button(key="ablation_scan")


def test_the_transformer_is_refused_in_words():
    at = inside("en")
    at.selectbox(key="model_source").set_value("shipped:addition_transformer").run()
    assert not at.exception, at.exception
    assert any("Transformer has no LSTM or GRU units" in i.value for i in at.info)
    assert not any(b.key == "ablation_scan" for b in at.button)


def test_the_date_model_ranks_by_written_form_and_month():
    at = inside("en")
    at.selectbox(key="task").set_value("date").run()
    at.text_input(key="query").set_value("September 27, 1994").run()
    at.button(key="ablation_scan").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key=keys.ABLATION_PROP).options == ["all questions", "written form", "month"]
    for prop in ("format", "month"):
        at.selectbox(key=keys.ABLATION_PROP).set_value(prop).run()
        assert not at.exception, at.exception
        assert any("Heatmap of each unit's cost" in c.proto.alt for c in at.get("vega_lite_chart"))
    _, frame, _ = cost_chart(at)
    assert len(frame) == 20 and frame["label"].str.startswith("#").all()
