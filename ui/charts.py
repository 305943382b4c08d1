"""Altair chart builders. Each returns a chart whose spec depends only on the language, so
Streamlit swaps the data in place while training instead of re-embedding the chart."""

from __future__ import annotations

import functools

import altair as alt
import numpy as np
import pandas as pd

MAX_POINTS = 800  # a chart half a 1280-pixel screen wide is about 600 pixels: more points only cost
# the server and every browser on each live refresh
# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, GREY = "#0072B2", "#E69F00", "#009E73", "#999999"
DASHES = [[1, 0], [6, 3]]  # solid: exact match, dashed: per character
TRAIN_HEIGHT = 240  # the Train page's loss and accuracy charts: on a 1280x720 projector under the buttons


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
    base = alt.Chart(frame).encode(x=alt.X("iteration:Q", title=x_title))
    raw = base.mark_line(color=GREY, strokeWidth=1, opacity=0.6).encode(
        y=alt.Y("loss:Q", title=y_title, scale=alt.Scale(type="log")),
        tooltip=[alt.Tooltip("iteration:Q", format=".0f"), alt.Tooltip("loss:Q", format=".4f")],
    )
    smooth = base.mark_line(color=BLUE, strokeWidth=3).encode(
        y="smoothed:Q", tooltip=[alt.Tooltip("smoothed:Q", title=smooth_title, format=".4f")])
    return (raw + smooth).properties(height=TRAIN_HEIGHT)


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
    return alt.Chart(frame).mark_line(point=True, strokeWidth=3).encode(
        x=alt.X("epoch:Q", title=x_title, scale=alt.Scale(domainMin=0), axis=alt.Axis(format=".2~f")),
        y=alt.Y("accuracy:Q", title=y_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("series:N", title=None,
                        scale=alt.Scale(domain=[exact, per_char], range=[BLUE, ORANGE]), legend=None),
        strokeDash=alt.StrokeDash("series:N", scale=alt.Scale(domain=[exact, per_char], range=DASHES),
                                  legend=None),
        tooltip=[alt.Tooltip("epoch:Q", format=".2f"), "series:N", alt.Tooltip("accuracy:Q", format=".2%")],
    ).properties(height=TRAIN_HEIGHT)


def series_key(exact: str, per_char: str, bars: bool = False) -> str:
    """HTML naming the two accuracy series in their colours, as lines (solid, dashed) or bars: the legend of
    the accuracy charts, which draw none (Vega's took half the height of a small chart)."""
    marks = ("■", "■") if bars else ("━", "╍")
    return (f'<span style="font-size:0.85em"><span style="color:{BLUE};white-space:nowrap">{marks[0]} {exact}</span>'
            f' &nbsp; <span style="color:{ORANGE};white-space:nowrap">{marks[1]} {per_char}</span></span>')


def matrix_frame(values: np.ndarray, xs: list[str], ys: list[str]) -> pd.DataFrame:
    """A (len(ys), len(xs)) matrix as the long frame `heatmap` draws (columns x, y, value)."""
    values = np.asarray(values, np.float64)
    return pd.DataFrame({"x": np.tile(xs, len(ys)), "y": np.repeat(ys, len(xs)), "value": values.ravel()})


def heatmap(frame: pd.DataFrame, x_title: str, y_title: str, value_title: str,
            diverging: bool = True, height: int | None = None) -> alt.Chart:
    """Rectangles (columns ``x`` (ordered labels), ``y`` (ordered labels), ``value``): a diverging
    colour scale centred on 0 for states, or a sequential one from 0 for weights."""
    x_order = list(dict.fromkeys(frame["x"])) if len(frame) else []
    y_order = list(dict.fromkeys(frame["y"])) if len(frame) else []
    scale = (alt.Scale(scheme="blueorange", domainMid=0, domain=[-1, 1], clamp=False) if diverging
             else alt.Scale(scheme="viridis", domain=[0, 1]))
    chart = alt.Chart(frame).mark_rect().encode(
        x=alt.X("x:N", title=x_title, sort=x_order, axis=alt.Axis(labelAngle=0, labelFontSize=14)),
        y=alt.Y("y:N", title=y_title, sort=y_order),
        color=alt.Color("value:Q", title=value_title, scale=scale),
        tooltip=[alt.Tooltip("x:N", title=x_title), alt.Tooltip("y:N", title=y_title),
                 alt.Tooltip("value:Q", title=value_title, format=".4f")],
    )
    return chart.properties(height=height or max(120, 14 * len(y_order)))


def bars(frame: pd.DataFrame, x_title: str, y_title: str, domain_max: float | None = 1.0) -> alt.Chart:
    """Horizontal bars (columns ``label`` (ordered), ``value``, ``highlight`` bool)."""
    order = list(dict.fromkeys(frame["label"])) if len(frame) else []
    x = alt.X("value:Q", title=x_title, scale=alt.Scale(domain=[0, domain_max]) if domain_max else alt.Undefined)
    return alt.Chart(frame).mark_bar().encode(
        x=x, y=alt.Y("label:N", title=y_title, sort=order, axis=alt.Axis(labelFontSize=14)),
        color=alt.condition(alt.datum.highlight, alt.value(BLUE), alt.value(GREY)),
        tooltip=["label:N", alt.Tooltip("value:Q", format=".4f")],
    ).properties(height=max(100, 22 * len(order)))


def pca_map(frame: pd.DataFrame, colour_title: str, quantitative: bool, x_title: str, y_title: str,
            question_title: str, answer_title: str) -> alt.LayerChart:
    """Scatter of encoder states (columns ``pc1``, ``pc2``, ``colour``, ``question``, ``answer``, ``mark``):
    held-out questions as dots coloured by a property, the typed question as a large labelled cross."""
    colour = alt.Color("colour:Q" if quantitative else "colour:N", title=colour_title,
                       scale=alt.Scale(scheme="viridis") if quantitative else alt.Scale(scheme="tableau10"))
    tips = [alt.Tooltip("question:N", title=question_title), alt.Tooltip("answer:N", title=answer_title),
            alt.Tooltip("colour:Q" if quantitative else "colour:N", title=colour_title)]
    base = alt.Chart(frame).encode(x=alt.X("pc1:Q", title=x_title), y=alt.Y("pc2:Q", title=y_title))
    dots = base.transform_filter(alt.datum.mark == "held-out").mark_circle(size=45, opacity=0.8).encode(
        color=colour, tooltip=tips)
    typed = base.transform_filter(alt.datum.mark == "typed")
    # the typed question in black, a colour no property scale uses
    cross = typed.mark_point(shape="cross", size=600, color="#000000", filled=True, strokeWidth=1).encode(
        tooltip=tips)
    label = typed.mark_text(align="left", dx=14, dy=-12, fontSize=18, fontWeight="bold", color="#000000").encode(
        text="question:N")
    return (dots + cross + label).properties(height=460).interactive()


VARIANT_COLOURS = [BLUE, ORANGE, GREEN, "#D55E00", "#CC79A7"]  # Okabe-Ito


def variants_key(names: list[str]) -> str:
    """HTML naming the variants in their colours: the one legend of the Compare charts, which draw none
    (Vega's took most of the height of a small chart and is clipped on a phone; this line wraps)."""
    return " &nbsp; ".join(f'<span style="color:{colour};white-space:nowrap">━ {name}</span>'
                           for name, colour in zip(names, VARIANT_COLOURS, strict=False))


def compare_accuracy_chart(frame: pd.DataFrame, book: pd.DataFrame, names: list[str], x_title: str,
                           y_title: str, colour_title: str) -> alt.LayerChart:
    """Held-out accuracy per variant over epochs, with the book's final accuracies as dashed rules."""
    colour = alt.Color("variant:N", title=colour_title, legend=None,
                       scale=alt.Scale(domain=names, range=VARIANT_COLOURS[:len(names)]))
    lines = alt.Chart(frame).mark_line(point=True, strokeWidth=3).encode(
        x=alt.X("epoch:Q", title=x_title, scale=alt.Scale(domainMin=0), axis=alt.Axis(format=".2~f")),
        y=alt.Y("accuracy:Q", title=y_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=colour, tooltip=["variant:N", alt.Tooltip("epoch:Q", format=".2f"),
                               alt.Tooltip("accuracy:Q", format=".1%")])
    rules = alt.Chart(book).mark_rule(strokeDash=[6, 4], strokeWidth=2).encode(
        y="accuracy:Q", color=colour, tooltip=["variant:N", alt.Tooltip("accuracy:Q", format=".0%")])
    return (lines + rules).properties(height=240)


def compare_loss_chart(frame: pd.DataFrame, names: list[str], x_title: str, y_title: str,
                       colour_title: str) -> alt.Chart:
    """Smoothed loss per variant over iterations (log scale)."""
    return alt.Chart(frame).mark_line(strokeWidth=3).encode(
        x=alt.X("iteration:Q", title=x_title),
        y=alt.Y("smoothed:Q", title=y_title, scale=alt.Scale(type="log")),
        color=alt.Color("variant:N", title=colour_title, legend=None,
                        scale=alt.Scale(domain=names, range=VARIANT_COLOURS[:len(names)])),
        tooltip=["variant:N", alt.Tooltip("iteration:Q", format=".0f"), alt.Tooltip("smoothed:Q", format=".4f")],
    ).properties(height=240)


def group_accuracy_chart(frame: pd.DataFrame, x_title: str, y_title: str, exact: str, per_char: str,
                         count_title: str) -> alt.Chart:
    """Accuracy per group (columns ``group`` (ordered labels), ``series``, ``accuracy``, ``n``): exact
    match and per-character bars side by side, accuracy fixed to 0..1. Groups with long names (date
    forms) get horizontal bars, so every name can be read."""
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
    return alt.Chart(frame).mark_bar().encode(
        **channels,
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=[exact, per_char], range=[BLUE, ORANGE]),
                        legend=None),  # the page shows the key once above the charts (series_key)
        tooltip=[alt.Tooltip("group:N", title=x_title), "series:N",
                 alt.Tooltip("accuracy:Q", format=".1%"), alt.Tooltip("n:Q", title=count_title)],
    ).properties(height=90 + 36 * len(order) if horizontal else 240)  # axes included
