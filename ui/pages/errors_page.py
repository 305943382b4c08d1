"""Errors: where the current model goes wrong. Accuracy on held-out questions broken down by what
makes the task hard (carries, digits, answer length, a grid of first digits; date form and month),
exact match and per character side by side, and the worst examples next to the truth."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import streamlit as st

from s2s.analysis import ErrorReport, error_report
from s2s.data import make_split
from s2s.presets import ERRORS_SEED, ERRORS_SIZE
from s2s.tasks import TASKS
from ui import charts, keys
from ui.i18n import t
from ui.state import for_model_version, get_runner
from ui.style import presenting
from ui.widgets import PickedModel, answers_table, compact_metrics, pick_model


def report_for(picked: PickedModel) -> ErrorReport | None:
    """The report of the picked model, computed once per model version (per session)."""
    runner = get_runner()
    if picked.task not in TASKS and runner is None:
        return None

    def build() -> ErrorReport:
        if picked.task in TASKS:
            _, data = make_split(picked.task, 0, ERRORS_SIZE, ERRORS_SEED)  # generated, in no training set
        else:
            data = runner.val.subset(np.arange(min(ERRORS_SIZE, len(runner.val))))
        return error_report(picked.model, data, picked.task)

    return for_model_version(keys.ERROR_REPORTS, picked.version, build)


def render() -> None:
    """The Errors page."""
    st.title(t("errors_title"))
    intro = st.empty()  # says how many questions the report has, once it is known
    # task, model and the three totals in one row (the model a select box), the model's description and the
    # charts' key under it, so the first charts start high on a 1280x720 projector
    row = st.container(horizontal=True, key="errors_row", vertical_alignment="top", gap="medium")
    info = st.container(horizontal=True, gap="medium")
    task_box, model_box = row.container(width=300), row.container(width=300)
    picked = pick_model(task_box, model_box, select_over=0, info_box=info)
    if picked is None:
        return
    report = report_for(picked)
    if report is None or report.n == 0:
        st.info(t("model_none"))
        return
    if not presenting():  # presenting, the lesson's banner says what to look at
        intro.caption(t("errors_intro", n=f"{report.n:,}"))
    exact, per_char = t("exact_match"), t("per_char")
    compact_metrics("errors_row")
    row.metric(exact.capitalize(), f"{report.accuracy:.1%}", width="content")
    row.metric(per_char.capitalize(), f"{report.char_accuracy:.1%}", width="content")
    row.metric(t("errors_count"), f"{round(report.n * (1 - report.accuracy)):,} / {report.n:,}", width="content")
    info.html(charts.series_key(html.escape(exact), html.escape(per_char), bars=True), width="content")
    names = list(report.groups)
    for start in range(0, len(names), 2):
        row = st.columns(2)
        for col, name in zip(row, names[start:start + 2], strict=False):
            with col.container(key=f"errors_{name}"):
                st.markdown(f"**{t('errors_by', what=t(f'prop_{name}'))}**")
                frame = pd.DataFrame(
                    [{"group": str(g.value), "series": s, "accuracy": acc, "n": g.n}
                     for g in report.groups[name] for s, acc in ((exact, g.accuracy), (per_char, g.char_accuracy))])
                what = t("errors_by", what=t(f"prop_{name}"))
                items = ", ".join(f"{g.value} {g.accuracy:.1%} ({per_char} {g.char_accuracy:.1%})"
                                  for g in report.groups[name])
                st.altair_chart(charts.group_accuracy_chart(frame, t(f"prop_{name}"), t("accuracy"), exact, per_char,
                                                            t("errors_n")), width="stretch",
                                alt=t("alt_variants", what=what, items=items))
                with st.expander(t("numbers")):
                    st.dataframe(pd.DataFrame({
                        t(f"prop_{name}"): [str(g.value) for g in report.groups[name]],
                        exact: [round(g.accuracy, 4) for g in report.groups[name]],
                        per_char: [round(g.char_accuracy, 4) for g in report.groups[name]],
                        t("errors_n"): [g.n for g in report.groups[name]]}), hide_index=True, width="stretch")
    if report.first_digits is not None:
        _first_digits(report)
    _worst(report)


def _first_digits(report: ErrorReport) -> None:
    st.markdown(f"**{t('errors_grid')}**")
    rows = [{"x": str(b), "y": str(a), "value": report.first_digits[a, b]}
            for a in range(10) for b in range(10) if report.first_digits_n[a, b] > 0]
    digits = [str(d) for d in range(10)]  # 0 first on both axes
    chart = charts.heatmap(pd.DataFrame(rows), t("errors_first_b"), t("errors_first_a"), t("accuracy"),
                           diverging=False, height=340, x_order=digits, y_order=digits)
    seen = report.first_digits_n > 0
    grid = np.where(seen, report.first_digits, np.nan)
    a, b = np.unravel_index(np.nanargmin(grid), grid.shape)
    alt_text = t("alt_grid", what=t("errors_grid"), lo=f"{grid[a, b]:.1%}", a=a, b=b, hi=f"{np.nanmax(grid):.1%}")
    st.container(key="errors_grid").altair_chart(chart, width="stretch", alt=alt_text)
    with st.expander(t("numbers")):
        st.dataframe(pd.DataFrame(grid, index=pd.Index(digits, name=f"{t('errors_first_a')} \\ {t('errors_first_b')}"),
                                  columns=digits).round(4), width="stretch")


def _worst(report: ErrorReport) -> None:
    st.markdown(f"**{t('errors_worst', n=len(report.worst))}**")
    st.container(key="worst").html(answers_table([(e.question, e.truth, e.guess) for e in report.worst],
                                                 (t("errors_loss"), [f"{e.loss:.3f}" for e in report.worst])))
    st.caption(t("errors_loss_help"))
