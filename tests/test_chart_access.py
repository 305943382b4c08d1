"""Charts everyone can read (issue 16): text contrast, series colours, font sizes, meaning not by colour alone,
a text alternative and a table of numbers for every chart, and charts drawn whole at 390, 1280 and 1440 px.

The unit tests check the Vega-Lite specs the builders in ui/charts.py make; the AppTest ones the pages' charts;
the browser test measures the SVGs Chromium draws (screenshots in test-output/chart_access_*.png)."""

from __future__ import annotations

import json
import re
import time

import numpy as np
import pandas as pd
import pytest
from test_app import open_page
from test_browser import OUT, _no_errors, _open, browser, server, server_process  # noqa: F401  (fixtures)
from test_inside import inside

from ui import charts

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
WHITE = "#FFFFFF"


def luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of #rrggbb or rgb(r, g, b)."""
    if colour.startswith("rgb"):
        rgb = [int(float(v)) / 255 for v in re.findall(r"[\d.]+", colour)[:3]]
    else:
        rgb = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str = WHITE) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _walk(node, path=()):
    """(path, key, value) of every entry in a nested spec."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield path, k, v
            yield from _walk(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield path, i, v
            yield from _walk(v, (*path, i))


def _specs() -> dict[str, dict]:
    """Every kind of chart the app builds, with a little data."""
    rng = np.random.default_rng(0)
    losses = np.column_stack([np.arange(1, 51), np.linspace(2.6, 0.4, 50), np.linspace(2.5, 0.4, 50)])
    evals = np.array([[10, 0.5, 0.12, 0.5], [20, 1.0, 0.91, 0.97]])
    states = charts.matrix_frame(rng.uniform(-1, 1, (16, 7)), [f"{i} x" for i in range(7)],
                                 [f"#{u}" for u in range(16)])
    weights = charts.matrix_frame(rng.uniform(0, 1, (4, 7)), list("1234567"), list("abcd"))
    bar_frame = pd.DataFrame({"label": ["'1'", "'2'", "'3'", "'4'", "'5'"], "value": [0.9, 0.05, 0.03, 0.01, 0.01],
                              "highlight": [True, False, False, False, False]})
    pca = pd.DataFrame({"pc1": rng.normal(size=20), "pc2": rng.normal(size=20), "colour": rng.integers(0, 1998, 20),
                        "question": ["1+1"] * 20, "answer": ["2"] * 20, "mark": ["held-out"] * 19 + ["typed"]})
    names = ["a", "b", "c", "d", "e"]
    acc = pd.DataFrame([{"epoch": e, "iteration": e * 10, "accuracy": 0.1 * e, "variant": n}
                        for n in names for e in (1, 2)])
    book = pd.DataFrame([{"variant": "a", "accuracy": 0.9}])
    loss = pd.DataFrame([{"iteration": i, "smoothed": 2.0 / i, "variant": n} for n in names for i in (1, 2, 3)])
    groups = pd.DataFrame([{"group": g, "series": s, "accuracy": 0.5, "n": 10}
                           for g in ("0", "1", "2") for s in ("exact", "per char")])
    ranges = pd.DataFrame([{"group": str(d), "label": f"{d}|n=200", "model": m, "accuracy": 0.5, "n": 200,
                            "inside": d <= 3} for m in names for d in range(1, 6)])
    forms = groups.assign(group=groups["group"].map({"0": "September 27, 1994", "1": "9/27/94", "2": "平成6年"}))
    return {
        "loss": charts.loss_spec("iteration", "loss", "smoothed"),
        "accuracy": charts.accuracy_spec("epoch", "accuracy", "exact", "per char"),
        "states": charts.heatmap(states, "step", "unit", "value", diverging=True).to_dict(),
        "weights": charts.heatmap(weights, "input", "output", "weight", diverging=False, height=128).to_dict(),
        "peeky": charts.heatmap(states.head(7), "unit", "", "value", height=40).to_dict(),
        "bars": charts.bars(bar_frame, "probability", "candidate").to_dict(),
        "pca": charts.pca_map(pca, "sum", True, "pc1", "pc2", "question", "answer").to_dict(),
        "pca_nominal": charts.pca_map(pca.assign(colour=pca["colour"] % 3), "carries", False, "pc1", "pc2", "q",
                                      "a").to_dict(),
        "compare_acc": charts.compare_accuracy_chart(acc, book, names, "epoch", "accuracy", "variant").to_dict(),
        "compare_loss": charts.compare_loss_chart(loss, names, "iteration", "loss", "variant").to_dict(),
        "groups": charts.group_accuracy_chart(groups, "carries", "accuracy", "exact", "per char", "n").to_dict(),
        "forms": charts.group_accuracy_chart(forms, "form", "accuracy", "exact", "per char", "n").to_dict(),
        "range": charts.range_chart(ranges, "digits", "accuracy", "training range", "n", "model").to_dict(),
        "cost_bars": charts.cost_bars(pd.DataFrame({"label": ["#3", "#1", "#0"], "unit": [3, 1, 0],
                                                    "cost": [0.6, 0.1, -0.02], "accuracy": [0.4, 0.9, 1.0]}),
                                      "Top 3 encoder units", "accuracy lost", "accuracy lost", "unit").to_dict(),
        "cost_grid": charts.cost_grid(pd.DataFrame({"x": ["#3", "#1", "#3", "#1"], "y": ["0", "0", "1", "1"],
                                                    "value": [0.2, 0.0, 0.05, -0.01]}), "unit", "accuracy lost",
                                      0.2).to_dict(),
        "_losses": losses.tolist(), "_evals": evals.tolist(),
    }


SPECS = {k: v for k, v in _specs().items() if not k.startswith("_")}


@pytest.mark.parametrize("name", list(SPECS))
def test_chart_text_is_dark_and_projector_sized(name):
    config = SPECS[name]["config"]
    for part in ("axis", "legend"):
        for key in ("labelColor", "titleColor"):
            assert contrast(config[part][key]) >= 4.5, (name, part, key, config[part][key])
        assert config[part]["labelFontSize"] >= 13 and config[part]["titleFontSize"] >= 14, (name, part)
    assert contrast(config["title"]["color"]) >= 4.5
    for path, key, value in _walk(SPECS[name]):
        if key in ("labelFontSize", "titleFontSize", "fontSize"):
            assert value >= 13, (name, path, key, value)
        if key in ("labelColor", "titleColor") or (key == "color" and "title" in path):
            assert contrast(value) >= 4.5, (name, path, key, value)


@pytest.mark.parametrize("name", list(SPECS))
def test_every_series_colour_has_3_to_1_on_white(name):
    """Every colour a mark or a colour scale names, outside the text config (checked above)."""
    found = []
    for path, key, value in _walk({k: v for k, v in SPECS[name].items() if k != "config"}):
        if isinstance(value, str) and HEX.match(value):
            if value == charts.RANGE_BAND:
                continue  # a background shading, its edges drawn as GREY rules (ui.charts.RANGE_BAND)
            found.append(value)
            assert contrast(value) >= 3, (name, path, key, value)
        if key == "opacity" and "mark" in path:
            assert value >= 0.9, (name, path, value)  # a faded mark loses its contrast
    assert found or name in ("states", "weights", "peeky", "cost_grid"), name  # heatmaps: a colour scheme and a table


def test_colour_schemes_keep_their_light_end_off_the_marks():
    """Viridis' yellow is 1.26:1 on white: the PCA dots carry a dark outline; the weight heatmaps put the light end
    at weight 0 (reversed), where a cell is meant to fade into the page."""
    for name in ("pca", "pca_nominal"):
        dots = SPECS[name]["layer"][0]["mark"]
        assert contrast(dots["stroke"]) >= 4.5 and dots["strokeWidth"] > 0, dots
    assert SPECS["weights"]["encoding"]["color"]["scale"]["reverse"] is True
    assert contrast(charts.ORANGE) >= 4.5 and contrast(charts.GREY) >= 4.5


def test_loss_axes_use_round_log_ticks():
    for name in ("loss", "compare_loss"):
        specs = SPECS[name]["layer"] if "layer" in SPECS[name] else [SPECS[name]]
        axis = specs[0]["encoding"]["y"]["axis"]
        assert specs[0]["encoding"]["y"]["scale"]["type"] == "log"
        assert axis["format"] == "~g" and {1, 0.5, 0.2, 0.1, 0.01} <= {round(v, 6) for v in axis["values"]}
        assert all(round(v / 10 ** np.floor(np.log10(v)), 6) in (1, 2, 5) for v in axis["values"])


def test_compare_variants_and_error_series_differ_by_more_than_colour():
    layers = SPECS["compare_acc"]["layer"]
    dashes = layers[0]["encoding"]["strokeDash"]["scale"]["range"]
    shapes = layers[1]["encoding"]["shape"]["scale"]["range"]
    assert len({json.dumps(d) for d in dashes}) == 5 and len(set(shapes)) == 5
    assert layers[2]["mark"]["strokeDash"] not in dashes  # the book's rules look like no variant
    loss_dashes = SPECS["compare_loss"]["encoding"]["strokeDash"]["scale"]["range"]
    assert len({json.dumps(d) for d in loss_dashes}) == 5
    key = charts.variants_key(["a", "b", "c", "d", "e"])
    assert len(set(re.findall(r"[●■▲◆✚]", key))) == 5  # the key names each shape
    for name in ("groups", "forms"):
        enc = SPECS[name]["encoding"]
        assert enc["fillOpacity"]["scale"]["range"] == [1, 0.2]  # exact solid, per character hollow
        assert enc["stroke"]["scale"]["range"] == [charts.BLUE, charts.ORANGE]
    assert "□" in charts.series_key("exact", "per char", bars=True)


def test_colour_keys_write_their_names_in_the_text_colour():
    """A series colour may be under 4.5:1 (a graphic needs 3:1): in the keys above the charts only the drawn
    sample is coloured, hidden from screen readers, and the name is in the page's text colour (axe: Compare)."""
    for key in (charts.variants_key(["alpha", "beta", "gamma", "delta", "eps"]), charts.series_key("exact", "per")):
        coloured = re.findall(r'<span style="color:[^"]+"([^>]*)>([^<]*)</span>', key)
        assert coloured and all('aria-hidden="true"' in attrs for attrs, _ in coloured)
        assert not any(re.search(r"[a-z]", text) for _, text in coloured)  # no name inside a coloured span


def test_heatmaps_and_bars_label_every_row_and_size_by_step():
    for name in ("states", "weights", "peeky", "bars"):
        spec = SPECS[name]
        assert spec["encoding"]["y"]["axis"]["labelOverlap"] is False, name
        assert "step" in spec["height"], name  # a height would be shared with the axes (Streamlit fits it)
    assert SPECS["states"]["encoding"]["x"]["axis"]["labelOverlap"] is False
    assert SPECS["peeky"]["height"]["step"] >= 40 and SPECS["bars"]["height"]["step"] >= 24
    grid = charts.heatmap(pd.DataFrame({"x": ["3", "0"], "y": ["0", "3"], "value": [1, 0.5]}), "b", "a", "acc",
                          diverging=False, x_order=list("0123"), y_order=list("0123")).to_dict()
    assert grid["encoding"]["x"]["sort"] == list("0123") and grid["encoding"]["y"]["sort"] == list("0123")


def _alts(at) -> list[str]:
    return [c.proto.alt for c in at.get("vega_lite_chart")]


def test_errors_charts_have_text_alternatives_and_tables():
    at = open_page("errors", lang="en")
    alts = _alts(at)
    # carries, digits of a, digits of b, answer length, the first-digit grid, beyond the training range
    assert len(alts) == 6 and all(a and "Vega" not in a for a in alts), alts
    assert alts[0].startswith("Accuracy by number of carries: 0 ") and "%" in alts[0]
    assert alts[4].startswith("Accuracy by the first digit") and "lowest" in alts[4]
    assert alts[5].startswith("Beyond the training range by digits of the longer number") and "5 0% (n 200)" in alts[5]
    spec = json.loads(at.get("vega_lite_chart")[4].proto.spec)
    assert spec["layer" if "layer" in spec else "encoding"]["x"]["sort"][0] == "0"
    assert spec["encoding"]["y"]["sort"][0] == "0"
    expanders = [e.label for e in at.expander]
    assert expanders.count("Show the numbers as a table") >= 6, expanders


def test_inside_charts_have_text_alternatives():
    at = inside("addition", "16+75")
    alts = _alts(at)
    assert len(alts) >= 6 and all(a and "Vega" not in a for a in alts), alts
    assert any("'9' 100.0%" in a for a in alts), alts  # the next-character bars (Japanese by default)
    assert any("16+75" in a for a in alts)  # the map names the typed question


def test_train_chart_alternatives_say_what_they_show_now(monkeypatch):
    from ui.i18n import TEXTS
    from ui.pages import train_page

    monkeypatch.setattr(train_page, "t", lambda key, **kw: TEXTS[key]["en"].format(**kw))
    specs = _specs()
    losses, evals = np.array(specs["_losses"]), np.array(specs["_evals"])
    assert train_page._loss_alt(losses) == "loss 2.50 → 0.40 after 50 iterations"
    assert train_page._accuracy_alt(evals) == "held-out accuracy 12.0 % → 91.0 % (per character 97.0 %) at epoch 1.00"
    assert train_page._loss_alt(losses[:0]) == "Loss per batch: no values yet"


# -- in Chromium: what the browser draws ---------------------------------------------------------------------------

WIDTHS = (390, 1280, 1440)
GENERIC = {"", "vega visualization", "chart"}

MEASURE = """() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")].map(c => {
  const svg = c.querySelector('svg');
  if (!svg) return {missing: true};
  const box = svg.getBoundingClientRect(), holder = c.parentElement.getBoundingClientRect();
  const key = [...c.closest('[class*="st-key-"]')?.classList || []].find(k => k.startsWith('st-key-')) || '';
  const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => {
    const s = getComputedStyle(t);
    return {text: t.textContent.slice(0, 20), fill: s.fill, size: parseFloat(s.fontSize),
            bold: parseInt(s.fontWeight) >= 700, opacity: parseFloat(s.fillOpacity) * parseFloat(s.opacity)};
  });
  const outside = [...svg.querySelectorAll('g.role-mark > *')].map(m => m.getBoundingClientRect())
    .filter(r => r.width + r.height > 0)
    .filter(r => r.left < box.left - 2 || r.top < box.top - 2 || r.right > box.right + 2 || r.bottom > box.bottom + 2);
  const legend = [...svg.querySelectorAll('g.role-legend text, g.role-legend path')].map(m => m.getBoundingClientRect())
    .filter(r => r.width + r.height > 0)
    .filter(r => r.left < box.left - 2 || r.right > box.right + 2 || r.bottom > box.bottom + 2).length;
  const rects = [...svg.querySelectorAll('g.mark-rect > path')].map(m => m.getBoundingClientRect())
    .filter(r => r.width > 0.5 && r.height >= 10).length;
  return {key, name: c.getAttribute('aria-label') || svg.getAttribute('aria-label') || '', texts,
          width: box.width, height: box.height, holder: holder.width, view: window.innerWidth,
          outside: outside.length, legend, rects};
})"""


# the tick labels Vega drew (not hidden) on one axis ("X" or "Y") of the chart inside a selector, in drawing order
AXIS_LABELS = """([sel, side]) => [...document.querySelectorAll(sel + ' g.role-axis')]
  .filter(g => (g.getAttribute('aria-label') || '').startsWith(side))
  .flatMap(g => [...g.querySelectorAll('g.role-axis-label text')])
  .filter(t => parseFloat(getComputedStyle(t).opacity) > 0.05).map(t => t.textContent)"""


def _mantissa(label: str) -> float:
    value = float(label.replace(",", ""))
    return round(value / 10 ** np.floor(np.log10(value)), 6)


def _blend(fill: str, opacity: float) -> str:
    """The colour a fill with this opacity shows on white, as #rrggbb."""
    rgb = [int(float(v)) for v in re.findall(r"[\d.]+", fill)[:3]]
    return "#" + "".join(f"{round(c * opacity + 255 * (1 - opacity)):02x}" for c in rgb)


def _check_charts(page, where: str, expect_charts: int) -> list[dict]:
    charts_ = page.evaluate(MEASURE)
    assert len(charts_) >= expect_charts, (where, len(charts_))
    problems = []
    for i, c in enumerate(charts_):
        if c.get("missing"):
            problems.append((where, i, "no svg"))
            continue
        label = f"{where} chart {i} {c['key']}"
        if c["name"].strip().lower() in GENERIC or len(c["name"]) < 12:
            problems.append((label, "accessible name", c["name"]))
        for t in c["texts"]:
            if t["opacity"] < 0.05:
                continue  # a label Vega hid (it would overlap another)
            large = t["size"] >= 24 or (t["bold"] and t["size"] >= 18.66)
            ratio = contrast(_blend(t["fill"], t["opacity"]))
            if ratio < (3 if large else 4.5):
                problems.append((label, "text contrast", t, round(ratio, 2)))
            if t["size"] < 13:
                problems.append((label, "text size", t))
        if c["width"] > min(c["holder"], c["view"]) + 1:
            problems.append((label, "wider than its box", c["width"], c["holder"], c["view"]))
        if c["outside"]:
            problems.append((label, "marks outside the chart", c["outside"]))
        if c["legend"]:
            problems.append((label, "legend items cut off", c["legend"]))
        problems += [(label, "truncated text", t) for t in c["texts"] if t["text"].endswith("…")]
    assert not problems, problems[:8]
    return charts_


def _tall_screenshot(page, name: str, width: int) -> None:
    """The whole page: the window made as tall as the page (Streamlit scrolls inside stMain)."""
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(max(height, 720), 6000)})
    time.sleep(1.0)
    page.screenshot(path=str(OUT / f"chart_access_{name}_{width}.png"))


@pytest.mark.browser
def test_charts_have_contrast_names_and_fit_at_three_widths(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    started = time.monotonic()
    # Train: a few steps, then pause (the loss and accuracy charts, the scrub-back heatmap needs attention)
    page = _open(browser, server + "/train?lang=en", "projector")
    page.locator(".st-key-train_start button").click()
    expect(page.locator(".st-key-loss_chart .mark-line path").first).to_be_attached(timeout=30000)
    expect(page.get_by_test_id("stMetricValue").first).not_to_have_text("–", timeout=40000)  # an evaluation
    page.locator(".st-key-train_pause button").click()
    expect(page.locator(".st-key-train_start button")).to_be_enabled(timeout=30000)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        time.sleep(1.0)
        found = _check_charts(page, f"train {width}", 2)
        assert any(c["name"].startswith("loss ") and "iterations" in c["name"] for c in found), found
        assert any(c["name"].startswith("held-out accuracy ") for c in found), found
        y, x = (page.evaluate(AXIS_LABELS, [".st-key-loss_chart", side]) for side in ("Y", "X"))
        assert y and all(_mantissa(v) in (1, 2, 5) for v in y), y  # 1-2-5 log ticks, not 3, 1, 0.2, 0.03
        assert x and all(re.fullmatch(r"[\d,]+", v) for v in x), x  # whole iterations
    _no_errors(page)
    page.close()

    for route, name, least in (("/inside?task=addition&q=16%2B75&lang=en", "inside", 6),
                               ("/inside?task=date&q=September+27%2C+1994&lang=en", "inside_date", 7),
                               ("/errors?task=addition&lang=en", "errors", 6)):
        page = _open(browser, server + route, "projector")
        expect(page.locator("[data-testid='stVegaLiteChart'] svg")).to_have_count(least, timeout=60000)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            time.sleep(1.5)
            found = _check_charts(page, f"{name} {width}", least)
            if name == "errors":  # the first-digit grid: 0..9 in the same order on both axes, every row labelled
                for side in ("X", "Y"):
                    labels = page.evaluate(AXIS_LABELS, [".st-key-errors_grid", side])
                    assert labels == [str(d) for d in range(10)], (side, labels)
            if name == "inside":
                bars_ = [c for c in found if c["key"] == "st-key-next_char_chart"]
                assert bars_ and bars_[0]["rects"] >= 1, bars_  # the Next character chart draws its bars
                strip = next(c for c in found if c["key"] == "st-key-peeky_chart")
                assert strip["height"] >= 90, strip  # cells, units and legend: not a 10 px sliver
            _tall_screenshot(page, name, width)
        _no_errors(page)
        page.close()
    assert time.monotonic() - started < 120


TABLES = """(s) => [...document.querySelectorAll(s)].map(t => {
  const box = t.getBoundingClientRect(), holder = t.closest("[data-testid='stVerticalBlock']").getBoundingClientRect();
  const head = t.querySelector('thead'), headShown = head && head.getBoundingClientRect().width > 1;  // stacked: hidden
  const cells = [...t.querySelectorAll(headShown ? 'th, td' : 'td')].map(c => c.getBoundingClientRect())
    .filter(r => r.width > 0);
  return {left: box.left, right: box.right, holder: holder.right, view: window.innerWidth,
          page: document.documentElement.scrollWidth, rows: t.querySelectorAll('tbody tr').length,
          cellRight: Math.max(...cells.map(r => r.right)), cellLeft: Math.min(...cells.map(r => r.left))};
})"""


def _check_tables(page, selector: str, where: str, rows: int) -> None:
    found = page.evaluate(TABLES, selector)
    assert found, (where, "no table")
    for tb in found:
        edge = min(tb["holder"], tb["view"]) + 1
        assert tb["rows"] >= rows, (where, tb)
        assert tb["right"] <= edge and tb["cellRight"] <= edge and tb["left"] >= 0 and tb["cellLeft"] >= 0, (where, tb)
        assert tb["page"] <= tb["view"], (where, "the page scrolls sideways", tb)


@pytest.mark.browser
@pytest.mark.parametrize(("task", "query"), [("addition", "999%2B1"), ("date", "TUESDAY%2C+SEPTEMBER+25%2C+1984")])
def test_worst_answers_and_beam_tables_fit_at_three_widths(server, browser, task, query):  # noqa: F811
    """The Errors page's worst answers and the beam table on Try, with their every cell inside the table's box and
    the viewport at 390, 1280 and 1440 px (a data grid cut off its last columns on a phone)."""
    from playwright.sync_api import expect

    page = _open(browser, f"{server}/errors?task={task}&lang=en", "projector")
    expect(page.locator(".st-key-worst table")).to_be_visible(timeout=60000)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        time.sleep(1.0)
        _check_tables(page, ".st-key-worst table", f"errors {task} {width}", 20)
        page.locator(".st-key-worst").screenshot(path=str(OUT / f"chart_access_worst_{task}_{width}.png"))
    page.close()
    page = _open(browser, f"{server}/try?task={task}&q={query}&lang=en", "projector")
    expect(page.locator(".st-key-answer [role='group']")).to_be_visible(timeout=30000)
    page.locator(".st-key-try_beam label").click()
    expect(page.locator(".st-key-beams table")).to_be_visible(timeout=30000)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        time.sleep(1.0)
        _check_tables(page, ".st-key-beams table", f"beams {task} {width}", 3)
        page.locator(".st-key-beams").screenshot(path=str(OUT / f"chart_access_beams_{task}_{width}.png"))
    _no_errors(page)
    page.close()
