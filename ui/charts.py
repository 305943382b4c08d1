"""Altair chart builders. Each returns a chart whose spec depends only on the language, so
Streamlit swaps the data in place while training instead of re-embedding the chart."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

MAX_POINTS = 2000
# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, GREY = "#0072B2", "#E69F00", "#009E73", "#999999"


def downsample(x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most max_points points: bucket means of x and y (keeps the shape of a noisy curve)."""
    n = len(x)
    if n <= max_points:
        return x, y
    edges = np.linspace(0, n, max_points + 1).astype(int)
    counts = np.diff(edges)
    return np.add.reduceat(x, edges[:-1]) / counts, np.add.reduceat(y, edges[:-1]) / counts


def ema(y: np.ndarray, alpha: float = 0.05) -> np.ndarray:
    """Exponential moving average with bias correction (the smoothed loss line)."""
    out = np.empty_like(y, dtype=np.float64)
    acc, weight = 0.0, 0.0
    for i, v in enumerate(y):
        acc = (1 - alpha) * acc + alpha * v
        weight = (1 - alpha) * weight + alpha
        out[i] = acc / weight
    return out


def loss_frame(losses: np.ndarray) -> pd.DataFrame:
    """(n, 2) iteration/loss history -> downsampled frame with the raw and smoothed loss."""
    if len(losses) == 0:
        return pd.DataFrame({"iteration": [], "loss": [], "smoothed": []})
    it, loss = losses[:, 0], losses[:, 1]
    smooth = ema(loss)
    x, y = downsample(it, loss)
    _, s = downsample(it, smooth)
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
    return (raw + smooth).properties(height=300)


def accuracy_frame(evals: np.ndarray, exact: str, per_char: str) -> pd.DataFrame:
    """(m, 4) iteration/epoch/accuracy/char-accuracy -> long frame for a two-line chart."""
    rows = []
    for it, ep, acc, cacc in evals:
        rows.append({"epoch": ep, "iteration": it, "accuracy": acc, "series": exact})
        rows.append({"epoch": ep, "iteration": it, "accuracy": cacc, "series": per_char})
    return pd.DataFrame(rows, columns=["epoch", "iteration", "accuracy", "series"])


def accuracy_chart(frame: pd.DataFrame, x_title: str, y_title: str, exact: str, per_char: str) -> alt.Chart:
    """Held-out exact-match and per-character accuracy over epochs, y fixed to 0..1."""
    return alt.Chart(frame).mark_line(point=True, strokeWidth=3).encode(
        x=alt.X("epoch:Q", title=x_title, scale=alt.Scale(domainMin=0), axis=alt.Axis(format=".2~f")),
        y=alt.Y("accuracy:Q", title=y_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("series:N", title=None,
                        scale=alt.Scale(domain=[exact, per_char], range=[BLUE, ORANGE]),
                        legend=alt.Legend(orient="bottom")),
        strokeDash=alt.StrokeDash("series:N", scale=alt.Scale(domain=[exact, per_char], range=[[1, 0], [6, 3]]),
                                  legend=None),
        tooltip=[alt.Tooltip("epoch:Q", format=".2f"), "series:N", alt.Tooltip("accuracy:Q", format=".2%")],
    ).properties(height=300)
