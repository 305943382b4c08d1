"""Errors: where the current model goes wrong. Accuracy on held-out questions broken down by what
makes the task hard (carries, digits, answer length, a grid of first digits; date form and month),
exact match and per character side by side, and the worst examples next to the truth. Then beyond the
training range (s2s.generalise): accuracy by operand length past 3 digits, or by century outside the
trained years, for the picked model and the shipped ones side by side."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import streamlit as st

from s2s.analysis import ErrorReport, error_report
from s2s.data import make_split
from s2s.generalise import MAX_DIGITS, N_PER_POINT, RangeReport, range_report
from s2s.models import clone_model
from s2s.presets import ERRORS_SEED, ERRORS_SIZE
from s2s.tasks import ADDITION_DIGITS, DATE_YEARS, TASKS
from ui import charts, keys
from ui.i18n import t
from ui.state import for_model_version, get_runner, shipped_checkpoint
from ui.style import presenting
from ui.widgets import PickedModel, answers_table, compact_metrics, pick_model, source_label

# The shipped models "Beyond the training range" sets side by side, per task: (name in ui.state.BOOK_MODELS,
# "" for the task's shipped model; the label's key). Addition: the book's chapter 7 steps and attention, so the
# class sees what reversal, Peeky and attention change past the trained lengths.
BEYOND_MODELS: dict[str, tuple[tuple[str, str], ...]] = {
    "addition": (("addition_book_baseline", "variant_baseline"), ("addition_book_reversed", "variant_reversed"),
                 ("addition_book_peeky", "variant_peeky_reversed"), ("addition_attention", "variant_attention")),
    "date": (("", "variant_attention"), ("date_gru", "variant_attention_gru"),
             ("date_transformer", "variant_transformer")),
}
# Measured on one core (python -m benchmarks.generalise, benchmarks/README.md): a report of an addition model
# takes 0.04-0.38 s, of a date model 0.23-1.40 s. Addition is computed as the page draws; dates, past the ~1 s
# a page may take, when asked (a button, or the side-by-side box).
ON_DEMAND = ("date", "date_ja")


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


@st.cache_resource(show_spinner=False, max_entries=16)
def shipped_range_report(task: str, name: str = "") -> RangeReport | None:
    """The beyond-the-range report of a shipped model (``name`` as ui.state.shipped_checkpoint's), computed once
    per server: the questions are seeded, so every session would compute the same. Decodes a copy of the model
    (decoding writes layer caches; the checkpoint's model is shared)."""
    ck = shipped_checkpoint(task, name)
    return None if ck is None else range_report(clone_model(ck.model), ck.codec, task)


def range_report_for(picked: PickedModel) -> RangeReport | None:
    """The beyond-the-range report of the picked model, once per model version (per session); a shipped model's
    comes from the server's (shipped_range_report)."""
    if picked.source.startswith("shipped"):
        def build():
            return shipped_range_report(picked.task, picked.source.partition(":")[2])
    else:
        def build():
            return range_report(picked.model, picked.codec, picked.task)
    return for_model_version(keys.RANGE_REPORTS, picked.version, build)


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
    _beyond(picked)


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


def _beyond(picked: PickedModel) -> None:
    """Beyond the training range: accuracy by the longer operand's digits (addition) or by century (dates)."""
    task = picked.task
    if task not in ("addition", *ON_DEMAND):
        return
    box = st.container(key="errors_beyond")
    box.subheader(t("beyond_title"))
    if task == "addition":
        box.caption(t("beyond_intro_addition", top=MAX_DIGITS, n=N_PER_POINT, max=ADDITION_DIGITS))
    else:
        box.caption(t("beyond_intro_date", lo=DATE_YEARS[0], hi=DATE_YEARS[1], n=N_PER_POINT))
    others = [(name, label) for name, label in BEYOND_MODELS.get(task, ())
              if shipped_checkpoint(task, name) is not None and picked.source != ("shipped:" + name).rstrip(":")]
    side = bool(others) and box.checkbox(t(f"beyond_compare_{task}"), key="errors_beyond_side")
    done = picked.version in st.session_state.get(keys.RANGE_REPORTS, {})
    if task in ON_DEMAND and not done and not side:
        slot = box.empty()  # the button goes once pressed: the report is then kept for this model version
        if not slot.button(t("beyond_compute"), help=t("beyond_compute_help"), key="errors_beyond_go"):
            return
        slot.empty()
    with box:
        with st.spinner(t("beyond_title")):
            reports = [(source_label(picked.source), range_report_for(picked))]
            if side:
                reports += [(t(label), shipped_range_report(task, name)) for name, label in others]
        reports = [(label, r) for label, r in reports if r is not None]
        if reports:
            _beyond_chart(reports)


def _beyond_chart(reports: list[tuple[str, RangeReport]]) -> None:
    by = reports[0][1].by
    x_title = t("beyond_digits") if by == "digits" else t("beyond_years")
    exact, per_char, n_title, model_title = t("exact_match"), t("per_char"), t("errors_n"), t("beyond_model")
    # the axis label of a point: its group and its n on lines of their own; a range of years on two lines
    # ("1700", "-1799"), so that five of them fit side by side on a phone
    frame = pd.DataFrame([{"group": p.label, "label": f"{p.label.replace('-', '|-')}|n={p.n:,}", "model": label,
                           "accuracy": p.accuracy, "n": p.n, "inside": p.inside_training}
                          for label, r in reports for p in r.points])
    items = "; ".join(f"{label}: " + ", ".join(f"{p.label} {p.accuracy:.0%} (n {p.n})" for p in r.points)
                      for label, r in reports)
    chart = charts.range_chart(frame, x_title, f"{t('accuracy')} ({exact})", t("beyond_band"), n_title, model_title)
    st.html(charts.range_key([label for label, _ in reports]))
    st.altair_chart(chart, width="stretch", alt=t("beyond_alt", what=t("beyond_title"), by=x_title, items=items))
    with st.expander(t("numbers")):  # the chart's numbers, as a table (its text alternative)
        rows = []
        for label, r in reports:
            for p in r.points:
                row = {model_title: label, x_title: p.label,
                       t("beyond_inside"): t("beyond_yes") if p.inside_training else t("beyond_no"),
                       n_title: p.n, exact: round(p.accuracy, 4), per_char: round(p.char_accuracy, 4)}
                if p.month_day_accuracy is not None:
                    row[t("beyond_month_day")] = round(p.month_day_accuracy, 4)
                rows.append(row)
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        label, first = reports[0]
        if first.grid:  # addition: the same questions by the digits of each operand (the picked model)
            st.markdown(t("beyond_grid", model=label))
            digits = [str(d) for d in range(1, MAX_DIGITS + 1)]
            grid = pd.DataFrame("", index=pd.Index(digits, name="a \\ b"), columns=digits)
            for c in first.grid:
                grid.loc[str(c.digits_a), str(c.digits_b)] = f"{c.accuracy:.1%} ({c.n})"
            st.dataframe(grid, width="stretch")
