"""Altair chart builders. Each returns a chart whose spec depends only on the language, so
Streamlit swaps the data in place while training instead of re-embedding the chart."""

from __future__ import annotations

import functools
import html

import altair as alt
import numpy as np
import pandas as pd

MAX_POINTS = 800  # a chart half a 1280-pixel screen wide is about 600 pixels: more points only cost
# the server and every browser on each live refresh
# Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), darkened where needed so
# every series has 3:1 against the white page (WCAG 1.4.11): orange #E69F00 (2.25:1) became #B35900 (4.83:1),
# grey #999999 (2.85:1) became #767676 (4.54:1)
BLUE, ORANGE, GREEN, GREY = "#0072B2", "#B35900", "#009E73", "#767676"
TEXT = "#31333F"  # axis, legend and title text: 12.6:1 on white (Streamlit's theme draws #808495, 3.72:1)
LABEL_SIZE, TITLE_SIZE = 13, 14  # px: readable on a projector
DASHES = [[1, 0], [6, 3]]  # solid: exact match, dashed: per character
# the loss axes' ticks: 1-2-5 steps (1, 0.5, 0.2, 0.1, ...), not Vega's log ticks (3, 1, 0.2, 0.03)
LOG_TICKS = [m * 10.0**e for e in range(-4, 2) for m in (1, 2, 5)]
TRAIN_HEIGHT = 240  # the Train page's loss and accuracy charts: on a 1280x720 projector under the buttons


def styled(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Dark, projector-sized axis, legend and title text (>= 4.5:1 on white, labels 13 px, titles 14 px)."""
    text = {"labelColor": TEXT, "titleColor": TEXT, "labelFontSize": LABEL_SIZE, "titleFontSize": TITLE_SIZE}
    return (chart.configure_axis(**text, tickColor=TEXT, domainColor=TEXT)
            .configure_legend(**text, labelLimit=0, titleLimit=0)
            .configure_title(color=TEXT, fontSize=TITLE_SIZE))


def _log_axis(title: str) -> dict:
    return {"title": title, "scale": alt.Scale(type="log"), "axis": alt.Axis(values=LOG_TICKS, format="~g")}


def percent_change(values: list[float]) -> str:
    """'12.3 % → 91.0 %' from the first and last value (one value: '91.0 %')."""
    return " → ".join(f"{v:.1%}".replace("%", " %") for v in ([values[0], values[-1]] if len(values) > 1
                                                               else values))


def attention_pairs(weights: np.ndarray, xs: list[str], ys: list[str]) -> str:
    """'1:9 → 3:7, 2:1 → 2:6': each output label (row) with the input label (column) it weighs most."""
    return ", ".join(f"{y} → {xs[int(np.argmax(row))]}" for y, row in zip(ys, np.asarray(weights), strict=False))


def value_range(values) -> tuple[str, str]:
    """The lowest and highest value, two decimals."""
    v = np.asarray(values, np.float64)
    return (f"{np.nanmin(v):.2f}", f"{np.nanmax(v):.2f}") if v.size else ("–", "–")


def downsample(x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most max_points points: bucket means of x and y (keeps the shape of a noisy curve)."""
    n = len(x)
    if n <= max_points:
        return x, y
    edges = np.linspace(0, n, max_points + 1).astype(int)
    counts = np.diff(edges)
    return np.add.reduceat(x, edges[:-1]) / counts, np.add.reduceat(y, edges[:-1]) / counts


def loss_frame(losses: np.ndarray) -> pd.DataFrame:
    """(n, 3) iteration/loss/smoothed-loss history -> downsampled frame."""
    if len(losses) == 0:
        return pd.DataFrame({"iteration": [], "loss": [], "smoothed": []})
    it = losses[:, 0]
    x, y = downsample(it, losses[:, 1])
    _, s = downsample(it, losses[:, 2])
    return pd.DataFrame({"iteration": x, "loss": y, "smoothed": s})


def loss_chart(frame: pd.DataFrame, x_title: str, y_title: str, smooth_title: str) -> alt.Chart:
    """Per-batch loss (thin grey) with its smoothed line (blue), log-scaled y."""
    # whole iterations on x (after one step Vega wrote "1.000000")
    base = alt.Chart(frame).encode(x=alt.X("iteration:Q", title=x_title, axis=alt.Axis(format=",d", tickMinStep=1)))
    raw = base.mark_line(color=GREY, strokeWidth=1).encode(
        y=alt.Y("loss:Q", **_log_axis(y_title)),
        tooltip=[alt.Tooltip("iteration:Q", format=".0f"), alt.Tooltip("loss:Q", format=".4f")],
    )
    smooth = base.mark_line(color=BLUE, strokeWidth=3).encode(
        y="smoothed:Q", tooltip=[alt.Tooltip("smoothed:Q", title=smooth_title, format=".4f")])
    return styled((raw + smooth).properties(height=TRAIN_HEIGHT))


def _without_data(chart: alt.TopLevelMixin) -> dict:
    """A chart's Vega-Lite spec with its data removed (Streamlit sends the data separately)."""
    spec = chart.to_dict()
    spec.pop("data", None)
    spec.pop("datasets", None)
    return spec


@functools.lru_cache(maxsize=16)
def loss_spec(x_title: str, y_title: str, smooth_title: str) -> dict:
    """The loss chart's spec, built once per language: live updates then only send data, and skip
    Altair's validation on every tick (it costs the training thread time under the GIL)."""
    return _without_data(loss_chart(loss_frame(np.zeros((0, 3))), x_title, y_title, smooth_title))


@functools.lru_cache(maxsize=16)
def accuracy_spec(x_title: str, y_title: str, exact: str, per_char: str) -> dict:
    """The accuracy chart's spec, built once per language (see loss_spec)."""
    return _without_data(accuracy_chart(accuracy_frame(np.zeros((0, 4)), exact, per_char), x_title, y_title,
                                        exact, per_char))


def accuracy_frame(evals: np.ndarray, exact: str, per_char: str) -> pd.DataFrame:
    """(m, 4) iteration/epoch/accuracy/char-accuracy -> long frame for a two-line chart."""
    rows = []
    for it, ep, acc, cacc in evals:
        rows.append({"epoch": ep, "iteration": it, "accuracy": acc, "series": exact})
        rows.append({"epoch": ep, "iteration": it, "accuracy": cacc, "series": per_char})
    return pd.DataFrame(rows, columns=["epoch", "iteration", "accuracy", "series"])


def accuracy_chart(frame: pd.DataFrame, x_title: str, y_title: str, exact: str, per_char: str) -> alt.Chart:
    """Held-out exact-match and per-character accuracy over epochs, y fixed to 0..1. No legend: Vega's took
    half the height of a chart this small; the page names the lines above it (`series_key`)."""
    return styled(alt.Chart(frame).mark_line(point=True, strokeWidth=3).encode(
        x=alt.X("epoch:Q", title=x_title, scale=alt.Scale(domainMin=0), axis=alt.Axis(format=".2~f")),
        y=alt.Y("accuracy:Q", title=y_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("series:N", title=None,
                        scale=alt.Scale(domain=[exact, per_char], range=[BLUE, ORANGE]), legend=None),
        strokeDash=alt.StrokeDash("series:N", scale=alt.Scale(domain=[exact, per_char], range=DASHES),
                                  legend=None),
        tooltip=[alt.Tooltip("epoch:Q", format=".2f"), "series:N", alt.Tooltip("accuracy:Q", format=".2%")],
    ).properties(height=TRAIN_HEIGHT))


def series_key(exact: str, per_char: str, bars: bool = False) -> str:
    """HTML naming the two accuracy series in their colours, as lines (solid, dashed) or bars: the legend of
    the accuracy charts, which draw none (Vega's took half the height of a small chart)."""
    marks = ("■", "□") if bars else ("━", "╍")  # bars: per character drawn hollow (group_accuracy_chart)
    return (f'<span style="font-size:0.85em"><span style="white-space:nowrap">'
            f'<span style="color:{BLUE}" aria-hidden="true">{marks[0]}</span> {exact}</span>'
            f' &nbsp; <span style="white-space:nowrap">'
            f'<span style="color:{ORANGE}" aria-hidden="true">{marks[1]}</span> {per_char}</span></span>')


def matrix_frame(values: np.ndarray, xs: list[str], ys: list[str]) -> pd.DataFrame:
    """A (len(ys), len(xs)) matrix as the long frame `heatmap` draws (columns x, y, value)."""
    values = np.asarray(values, np.float64)
    return pd.DataFrame({"x": np.tile(xs, len(ys)), "y": np.repeat(ys, len(xs)), "value": values.ravel()})


def heatmap(frame: pd.DataFrame, x_title: str, y_title: str, value_title: str,
            diverging: bool = True, height: int | None = None, x_order: list[str] | None = None,
            y_order: list[str] | None = None) -> alt.Chart:
    """Rectangles (columns ``x`` (ordered labels), ``y`` (ordered labels), ``value``): a diverging
    colour scale centred on 0 for states, or a sequential one from 0 for weights; x_order / y_order: the
    labels' order (default: as they first appear). Every label is drawn
    (rows at least 16 px for 13 px labels); x labels turn upright past 12 columns, and past 40 (a strip of
    units) Vega drops the ones that would overlap."""
    x_order = x_order or (list(dict.fromkeys(frame["x"])) if len(frame) else [])
    y_order = y_order or (list(dict.fromkeys(frame["y"])) if len(frame) else [])
    scale = (alt.Scale(scheme="blueorange", domainMid=0, domain=[-1, 1], clamp=False) if diverging
             else alt.Scale(scheme="viridis", domain=[0, 1], reverse=True))  # the most ink on the largest value,
    # so viridis' light yellow (1.26:1 on white) is the weight 0 that fades into the page
    many = len(x_order) > 40
    # a step per row, not a height: Streamlit fits a fixed height to the whole chart, axes and legend
    # included, which squeezed a one-row strip to 10 px
    step = max(16, (height or 120) // max(len(y_order), 1))
    chart = alt.Chart(frame).mark_rect().encode(
        x=alt.X("x:N", title=x_title, sort=x_order,
                axis=alt.Axis(labelAngle=0 if len(x_order) <= 12 else -90, labelFontSize=14,
                              labelOverlap=True if many else False)),
        y=alt.Y("y:N", title=y_title or None, sort=y_order, axis=alt.Axis(labelOverlap=False)),
        color=alt.Color("value:Q", title=value_title, scale=scale, legend=alt.Legend(gradientLength=max(
            80, min(200, step * len(y_order))))),
        tooltip=[alt.Tooltip("x:N", title=x_title), alt.Tooltip("y:N", title=y_title),
                 alt.Tooltip("value:Q", title=value_title, format=".4f")],
    )
    return styled(chart.properties(height=alt.Step(step)))


def bars(frame: pd.DataFrame, x_title: str, y_title: str, domain_max: float | None = 1.0) -> alt.Chart:
    """Horizontal bars (columns ``label`` (ordered), ``value``, ``highlight`` bool), 24 px a bar. The labels
    are drawn as they are (a digit candidate "1" stays a label)."""
    order = list(dict.fromkeys(frame["label"])) if len(frame) else []
    x = alt.X("value:Q", title=x_title, scale=alt.Scale(domain=[0, domain_max]) if domain_max else alt.Undefined,
              axis=alt.Axis(format="%", tickCount=5) if domain_max == 1 else alt.Axis(tickCount=5))
    return styled(alt.Chart(frame).mark_bar().encode(
        x=x, y=alt.Y("label:N", title=y_title, sort=order, axis=alt.Axis(labelFontSize=14, labelOverlap=False)),
        color=alt.condition(alt.datum.highlight, alt.value(BLUE), alt.value(GREY)),
        tooltip=["label:N", alt.Tooltip("value:Q", format=".4f")],
    ).properties(height=alt.Step(24 if len(order) > 3 else 32)))  # a step per bar (see heatmap)


def paired_bars(frame: pd.DataFrame, x_title: str, y_title: str, run_title: str) -> alt.Chart:
    """Two horizontal bars a label (columns ``label`` (ordered), ``run`` (two names, in order), ``value`` 0-1): the
    first run blue and above, the second orange and below in every pair, so the pair is told apart by its place
    too, not by colour alone (the legend names them in that order)."""
    order = list(dict.fromkeys(frame["label"])) if len(frame) else []
    runs = list(dict.fromkeys(frame["run"])) if len(frame) else []
    return styled(alt.Chart(frame).mark_bar().encode(
        x=alt.X("value:Q", title=x_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%", tickCount=5)),
        y=alt.Y("label:N", title=y_title, sort=order, axis=alt.Axis(labelFontSize=14, labelOverlap=False)),
        yOffset=alt.YOffset("run:N", sort=runs),
        color=alt.Color("run:N", title=run_title, sort=runs, scale=alt.Scale(domain=runs, range=[BLUE, ORANGE]),
                        legend=alt.Legend(orient="bottom", direction="horizontal")),
        tooltip=["label:N", "run:N", alt.Tooltip("value:Q", format=".4f")],
    ).properties(height=alt.Step(14)))  # a step per bar of the pair


def pca_map(frame: pd.DataFrame, colour_title: str, quantitative: bool, x_title: str, y_title: str,
            question_title: str, answer_title: str) -> alt.LayerChart:
    """Scatter of encoder states (columns ``pc1``, ``pc2``, ``colour``, ``question``, ``answer``, ``mark``):
    held-out questions as dots coloured by a property, the typed question as a large labelled cross. Each dot
    has a dark outline, so the light end of a colour scheme (viridis yellow, 1.26:1) still shows on white."""
    colour = alt.Color("colour:Q" if quantitative else "colour:N", title=colour_title,
                       scale=alt.Scale(scheme="viridis") if quantitative else alt.Scale(scheme="tableau10"),
                       # two columns of categories: a Vega legend does not wrap, and a written form such as
                       # "D Month YYYY" takes about 120 px, so three or more ran off a 390 px phone
                       legend=alt.Legend(orient="bottom", direction="horizontal", columns=0 if quantitative else 2,
                                         gradientLength=240, labelLimit=0, titleLimit=0))
    tips = [alt.Tooltip("question:N", title=question_title), alt.Tooltip("answer:N", title=answer_title),
            alt.Tooltip("colour:Q" if quantitative else "colour:N", title=colour_title)]
    base = alt.Chart(frame).encode(x=alt.X("pc1:Q", title=x_title), y=alt.Y("pc2:Q", title=y_title))
    dots = base.transform_filter(alt.datum.mark == "held-out").mark_circle(
        size=45, opacity=0.9, stroke=TEXT, strokeWidth=0.7).encode(color=colour, tooltip=tips)
    typed = base.transform_filter(alt.datum.mark == "typed")
    # the typed question in black, a colour no property scale uses
    cross = typed.mark_point(shape="cross", size=600, color="#000000", filled=True, strokeWidth=1).encode(
        tooltip=tips)
    label = typed.mark_text(align="left", dx=14, dy=-12, fontSize=18, fontWeight="bold", color="#000000").encode(
        text="question:N")
    return styled((dots + cross + label).properties(height=460).interactive())


# Okabe-Ito, each >= 3:1 on white; the second is the darkened orange, the fifth a dark grey (3.0:1 pink aside,
# Okabe-Ito's light colours fail on white). Each variant also has its own dash and point shape.
VARIANT_COLOURS = [BLUE, ORANGE, GREEN, "#CC79A7", "#555555"]
VARIANT_DASHES = [[1, 0], [8, 4], [2, 3], [10, 3, 2, 3], [4, 2]]
VARIANT_SHAPES = ["circle", "square", "triangle-up", "diamond", "cross"]
_SHAPE_GLYPHS = {"circle": "●", "square": "■", "triangle-up": "▲", "diamond": "◆", "cross": "✚"}
_DASH_GLYPHS = ["━━", "╍╍", "┈┈", "━·", "╌╌"]


def variants_key(names: list[str]) -> str:
    """HTML naming the variants in their colours, dashes and point shapes: the one legend of the Compare charts,
    which draw none (Vega's took most of the height of a small chart and is clipped on a phone; this line wraps)."""
    # only the drawn sample takes the series colour (a graphic: 3:1 is enough); the name stays in the text colour,
    # since some series colours are below the 4.5:1 that text needs
    return " &nbsp; ".join(
        f'<span style="white-space:nowrap"><span style="color:{colour}" aria-hidden="true">'
        f'{dash}{_SHAPE_GLYPHS[shape]}{dash[0]}</span> {name}</span>'
        for name, colour, dash, shape in zip(names, VARIANT_COLOURS, _DASH_GLYPHS, VARIANT_SHAPES, strict=False))


def _variant_channels(names: list[str], title: str) -> dict:
    n = len(names)
    return {
        "color": alt.Color("variant:N", title=title, legend=None,
                           scale=alt.Scale(domain=names, range=VARIANT_COLOURS[:n])),
        "strokeDash": alt.StrokeDash("variant:N", legend=None, scale=alt.Scale(domain=names,
                                                                                range=VARIANT_DASHES[:n])),
    }


def compare_accuracy_chart(frame: pd.DataFrame, book: pd.DataFrame, names: list[str], x_title: str,
                           y_title: str, colour_title: str) -> alt.LayerChart:
    """Held-out accuracy per variant over epochs (a colour, dash and point shape each), with the book's final
    accuracies as thin rules."""
    channels = _variant_channels(names, colour_title)
    shape = alt.Shape("variant:N", legend=None, scale=alt.Scale(domain=names, range=VARIANT_SHAPES[:len(names)]))
    base = alt.Chart(frame).encode(
        x=alt.X("epoch:Q", title=x_title, scale=alt.Scale(domainMin=0), axis=alt.Axis(format=".2~f")),
        y=alt.Y("accuracy:Q", title=y_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=channels["color"], tooltip=["variant:N", alt.Tooltip("epoch:Q", format=".2f"),
                                          alt.Tooltip("accuracy:Q", format=".1%")])
    lines = base.mark_line(strokeWidth=3).encode(strokeDash=channels["strokeDash"])
    points = base.mark_point(size=70, filled=True, opacity=1).encode(shape=shape)
    rules = alt.Chart(book).mark_rule(strokeDash=[2, 6], strokeWidth=2).encode(  # sparse dots: no variant's dash
        y="accuracy:Q", color=channels["color"], tooltip=["variant:N", alt.Tooltip("accuracy:Q", format=".0%")])
    return styled((lines + points + rules).properties(height=240))


def compare_loss_chart(frame: pd.DataFrame, names: list[str], x_title: str, y_title: str,
                       colour_title: str) -> alt.Chart:
    """Smoothed loss per variant over iterations (log scale), a colour and dash each."""
    return styled(alt.Chart(frame).mark_line(strokeWidth=3).encode(
        x=alt.X("iteration:Q", title=x_title),
        y=alt.Y("smoothed:Q", **_log_axis(y_title)),
        **_variant_channels(names, colour_title),
        tooltip=["variant:N", alt.Tooltip("iteration:Q", format=".0f"), alt.Tooltip("smoothed:Q", format=".4f")],
    ).properties(height=240))


def group_accuracy_chart(frame: pd.DataFrame, x_title: str, y_title: str, exact: str, per_char: str,
                         count_title: str) -> alt.Chart:
    """Accuracy per group (columns ``group`` (ordered labels), ``series``, ``accuracy``, ``n``): exact
    match (solid bars) and per-character (hollow bars: a light fill in a dark outline) side by side, accuracy
    fixed to 0..1. Groups with long names (date forms) get horizontal bars, so every name can be read."""
    order = list(dict.fromkeys(frame["group"])) if len(frame) else []
    horizontal = max(map(len, order), default=0) > 4
    group = alt.X if not horizontal else alt.Y
    value = alt.Y if not horizontal else alt.X
    offset = alt.XOffset if not horizontal else alt.YOffset
    channels = {
        "x" if not horizontal else "y": group("group:N", title=x_title, sort=order,
                                            axis=alt.Axis(labelAngle=0, labelFontSize=13, labelLimit=260,
                                                          labelOverlap=False)),
        "xOffset" if not horizontal else "yOffset": offset("series:N", sort=[exact, per_char]),
        "y" if not horizontal else "x": value("accuracy:Q", title=y_title, scale=alt.Scale(domain=[0, 1]),
                                            axis=alt.Axis(format="%")),
    }
    series = alt.Scale(domain=[exact, per_char], range=[BLUE, ORANGE])
    return styled(alt.Chart(frame).mark_bar(strokeWidth=2).encode(
        **channels,
        color=alt.Color("series:N", title=None, scale=series, legend=None),  # the page shows the key (series_key)
        stroke=alt.Stroke("series:N", scale=series, legend=None),
        fillOpacity=alt.FillOpacity("series:N", scale=alt.Scale(domain=[exact, per_char], range=[1, 0.2]),
                                    legend=None),
        tooltip=[alt.Tooltip("group:N", title=x_title), "series:N",
                 alt.Tooltip("accuracy:Q", format=".1%"), alt.Tooltip("n:Q", title=count_title)],
    ).properties(height=90 + 36 * len(order) if horizontal else 240))  # axes included


PURPLE = "#882E72"  # a fifth series colour: 8.4:1 on white
RANGE_COLOURS = [BLUE, ORANGE, GREEN, PURPLE, GREY]
RANGE_SHAPES = ["circle", "square", "triangle-up", "diamond", "cross"]
RANGE_SYMBOLS = ["●", "■", "▲", "◆", "✚"]  # the shapes as characters, for range_key
# the training range's shading, behind the lines: a background (1.2:1 on white, like a table's striped row), not
# a mark to be seen; its edges are dashed rules in GREY (4.5:1), its name is written above it, and the table says
# which points are inside training
RANGE_BAND = "#E8E8E8"


def range_chart(frame: pd.DataFrame, x_title: str, y_title: str, band_title: str, count_title: str,
                model_title: str) -> alt.LayerChart:
    """Accuracy beyond the training range (s2s.generalise): columns ``group`` (ordered labels, e.g. digits),
    ``label`` (the axis label: the group and its number of questions, lines split at '|'), ``model``,
    ``accuracy`` (0..1), ``n``, ``inside`` (bool). One line with marked points per model, the groups inside
    the training range shaded and named; every point's n in its axis label and its tooltip. No Vega legend:
    the page shows range_key above the chart (a legend under it took a third of the height)."""
    order = list(dict.fromkeys(frame["label"])) if len(frame) else []
    models = list(dict.fromkeys(frame["model"])) if len(frame) else []
    # band scale without padding: neighbouring inside groups make one shaded block; the lines and points sit
    # at the middle of each group's band (bandPosition 0.5)
    x_scale = alt.Scale(paddingInner=0, paddingOuter=0)
    axis = alt.Axis(labelAngle=0, labelExpr="split(datum.label, '|')", labelLimit=0, labelOverlap=False,
                    labelPadding=6)
    inside = frame[frame["inside"]].drop_duplicates("label") if len(frame) else frame
    band = alt.Chart(inside).mark_rect(color=RANGE_BAND).encode(
        x=alt.X("label:N", sort=order, scale=x_scale, axis=axis, title=x_title),
        y=alt.value(0), y2=alt.value({"expr": "height"}))  # the whole height, in pixels (no y scale of its own)
    edges = [alt.Chart(part).mark_rule(color=GREY, strokeDash=[5, 3], strokeWidth=1.5).encode(
        x=alt.X("label:N", sort=order, scale=x_scale, bandPosition=at), y=alt.value(0),
        y2=alt.value({"expr": "height"})) for part, at in ((inside.head(1), 0), (inside.tail(1), 1))]
    # the band's name just above the plot, where no point can hide it
    band_name = alt.Chart(inside.head(1)).mark_text(align="left", baseline="bottom", dx=2, dy=-8,
                                                    fontSize=LABEL_SIZE, color=TEXT).encode(
        x=alt.X("label:N", sort=order, scale=x_scale, bandPosition=0), y=alt.value(0), text=alt.value(band_title))
    colour = alt.Color("model:N", title=model_title, sort=models,
                       scale=alt.Scale(domain=models, range=RANGE_COLOURS[:len(models)]), legend=None)
    shape = alt.Shape("model:N", title=model_title, sort=models,
                      scale=alt.Scale(domain=models, range=RANGE_SHAPES[:len(models)]), legend=None)
    base = alt.Chart(frame).encode(
        x=alt.X("label:N", sort=order, scale=x_scale, bandPosition=0.5, title=x_title, axis=axis),
        y=alt.Y("accuracy:Q", title=y_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=colour,
        tooltip=[alt.Tooltip("model:N", title=model_title), alt.Tooltip("group:N", title=x_title),
                 alt.Tooltip("accuracy:Q", title=y_title, format=".1%"), alt.Tooltip("n:Q", title=count_title)])
    lines = base.mark_line(strokeWidth=2.5)
    points = base.mark_point(size=90, filled=True, opacity=1).encode(shape=shape)
    # axes included in the height (autosize fit); room above the plot for the band's name
    return styled(alt.layer(band, *edges, band_name, lines, points).properties(
        height=320, padding={"left": 5, "top": 16, "right": 5, "bottom": 5}))


def range_key(models: list[str]) -> str:
    """HTML naming range_chart's models in their colours and point shapes (its legend); wraps on a phone."""
    return '<span style="font-size:0.85em">' + " &nbsp; ".join(
        f'<span style="white-space:nowrap"><span style="color:{colour}" aria-hidden="true">{symbol}</span> '
        f'{html.escape(model)}</span>'
        for model, colour, symbol in zip(models, RANGE_COLOURS, RANGE_SYMBOLS, strict=False)) + "</span>"


def cost_bars(frame: pd.DataFrame, title: str, subtitle: str, x_title: str, y_title: str) -> alt.Chart:
    """The ablation scan's units (columns ``label`` (ordered, the most costly first), ``cost`` (accuracy
    lost, negative when zeroing the unit helps), ``accuracy``): horizontal bars, blue for a loss and orange for
    a gain (both >= 4.5:1 on white), the cost written at each bar's end, so the chart reads without colour. The
    title is two short lines (title, subtitle): one long line was cut off on a 390 px phone."""
    order = list(dict.fromkeys(frame["label"])) if len(frame) else []
    base = alt.Chart(frame).encode(
        y=alt.Y("label:N", title=y_title, sort=order, axis=alt.Axis(labelFontSize=14, labelOverlap=False)),
        x=alt.X("cost:Q", title=x_title, axis=alt.Axis(format="%", tickCount=5)),
        tooltip=[alt.Tooltip("label:N", title=y_title), alt.Tooltip("cost:Q", title=x_title, format=".1%"),
                 alt.Tooltip("accuracy:Q", format=".1%")])
    bars = base.mark_bar().encode(color=alt.condition(alt.datum.cost >= 0, alt.value(BLUE), alt.value(ORANGE)))
    text = base.mark_text(align="left", dx=4, fontSize=LABEL_SIZE, color=TEXT).encode(
        text=alt.Text("cost:Q", format=".1%"))
    return styled((bars + text).properties(title=alt.TitleParams(text=title, subtitle=subtitle, anchor="start",
                                                                 subtitleColor=TEXT, subtitleFontSize=LABEL_SIZE),
                                           height=alt.Step(22)))


def cost_grid(frame: pd.DataFrame, x_title: str, value_title: str, limit: float) -> alt.Chart:
    """The ablation scan's units (columns ``x``, ordered) against the values of a property (rows ``y``,
    ordered): each cell the accuracy lost on those questions (``value``), on a diverging scale from -limit
    to limit (the largest cost: a scale to 100 % left costs of a few points white). The rows' labels are
    drawn whole and untitled (the section names the property), the legend sits below, so that the cells keep
    most of a 390 px phone's width."""
    x_order, y_order = list(dict.fromkeys(frame["x"])), list(dict.fromkeys(frame["y"]))
    chart = alt.Chart(frame).mark_rect().encode(
        x=alt.X("x:N", title=x_title, sort=x_order, axis=alt.Axis(labelAngle=-90, labelFontSize=14,
                                                                   labelOverlap=False)),
        y=alt.Y("y:N", title=None, sort=y_order, axis=alt.Axis(labelOverlap=False, labelLimit=0)),
        color=alt.Color("value:Q", title=value_title,
                        scale=alt.Scale(scheme="blueorange", domainMid=0, domain=[-limit, limit], clamp=True),
                        legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=160, format="%")),
        tooltip=[alt.Tooltip("x:N", title=x_title), alt.Tooltip("y:N"),
                 alt.Tooltip("value:Q", title=value_title, format=".1%")],
    )
    return styled(chart.properties(height=alt.Step(28)))
