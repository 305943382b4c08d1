"""The Inside page's ablation scan: which units the model cannot do without (s2s.ablation), on demand.

The scan decodes every held-out question once per unit (128 x 1,000 decodings for the shipped models),
seconds of work, so it runs only when asked, with a progress bar, and is kept per model version and side.
The most costly encoder units open in the page's one-unit view (the neuron view, ``keys.INSIDE_UNIT``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from s2s.ablation import Scan, UnitGroup, rank, scan
from s2s.data import Dataset, make_split
from s2s.fast.threads import on_every_core
from s2s.intervene import SIDES
from s2s.presets import ABLATION_SEED, ABLATION_SIZE
from s2s.tasks import TASKS
from ui import charts, keys
from ui.i18n import labels, t
from ui.state import for_model_version, get_runner
from ui.widgets import PickedModel

TOP = 20  # units in the chart: the ranking's head; the table has them all
LINKS = 5  # top units with a button to the neuron view
GRID = 10  # top units against a property's values: ten columns of labels fit a 390 px phone, twenty overlapped
KEEP = {"persist_state": "session"}
ALL = "all"


@st.cache_resource(show_spinner=False, max_entries=8)
def _generated(task: str, n: int) -> Dataset:
    """The held-out questions a generated task's scan decodes (in no training set of the app): one object for
    every session (a resource, not pickled and copied as cached data are), which the scan only reads."""
    _, data = make_split(task, 0, n, ABLATION_SEED)
    return data


def questions(picked: PickedModel) -> Dataset | None:
    """What the scan decodes: generated held-out questions, or the first of the session's own held-out set
    for uploaded data (None without one)."""
    if picked.task in TASKS:
        return _generated(picked.task, ABLATION_SIZE)
    runner = get_runner()
    if runner is None or len(runner.val) == 0:
        return None
    return runner.val.subset(np.arange(min(ABLATION_SIZE, len(runner.val))))


def _open_unit(unit: int) -> None:
    """Button callback: the neuron view shows `unit` (it runs before the page, so the number box takes it)."""
    st.session_state[keys.INSIDE_UNIT] = st.session_state[keys.ABLATION_OPENED] = unit


def _mend(key: str, options: list, default) -> None:
    if st.session_state.get(key) not in options:
        st.session_state[key] = default


def render(picked: PickedModel) -> None:
    """The scan's section: side, a Scan button with progress, then the ranking as a chart, a table and links."""
    st.header(t("abl_header"))
    if picked.model.config.kind == "transformer":
        st.info(t("abl_transformer"))
        return
    data = questions(picked)
    if data is None:
        st.info(t("abl_no_data"))
        return
    st.caption(t("abl_intro", n=f"{len(data):,}"))
    scans: dict[str, Scan] = for_model_version(keys.ABLATION_SCANS, picked.version, dict)
    _mend(keys.ABLATION_SIDE, list(SIDES), "encoder")
    side = st.segmented_control(t("abl_side"), SIDES, key=keys.ABLATION_SIDE,
                                format_func=labels(SIDES, "abl_side_"), **KEEP) or "encoder"
    result = scans.get(side)
    if result is None:
        H = picked.model.config.hidden_size
        slot = st.empty()  # the button and its note, then the progress bar, then nothing
        with slot.container():
            st.caption(t("abl_wait", units=H))
            pressed = st.button(t("abl_scan", what=t(f"abl_side_{side}")), key="ablation_scan", type="primary")
        if pressed:
            bar = slot.progress(0.0, text=t("abl_progress", done=0, total=H))
            result = scan(picked.model, data, picked.task, side, map_batches=on_every_core,
                          progress=lambda done, total: bar.progress(done / total,
                                                                    text=t("abl_progress", done=done, total=total)))
            slot.empty()
            scans[side] = result
    if result is not None:
        _ranking(result, side)


def _ranking(result: Scan, side: str) -> None:
    props = [ALL, *result.groups]
    _mend(keys.ABLATION_PROP, props, ALL)
    c1, c2 = st.columns(2)
    names = {ALL: t("abl_all"), **{p: t(f"prop_{p}") for p in result.groups}}  # looked up now
    prop = c1.selectbox(t("abl_for"), props, key=keys.ABLATION_PROP, format_func=names.get, **KEEP)
    if prop == ALL:
        n, base, cost, accuracy, which = result.n, result.base, result.cost, result.accuracy, ""
    else:
        groups = {g.value: g for g in result.groups[prop]}
        values = list(groups)
        _mend(keys.ABLATION_VALUE, values, values[0])
        shown = {v: t("abl_value_n", value=v, n=groups[v].n) for v in values}
        value = c2.selectbox(t("abl_value"), values, key=keys.ABLATION_VALUE, format_func=shown.get, **KEEP)
        g = groups[value]
        n, base, cost, accuracy, which = g.n, g.base, g.cost, g.accuracy, f" ({names[prop]} = {value})"
    order = rank(cost)  # the most costly first, ties in unit order
    st.markdown(t("abl_base", base=f"{base:.1%}", which=which, n=f"{n:,}"))
    frame = pd.DataFrame({"label": [f"#{j}" for j in order], "unit": order, "cost": cost[order],
                          "accuracy": accuracy[order]})
    top = frame.head(TOP)
    title = t("abl_chart_title", side=t(f"abl_side_name_{side}"), k=len(top))
    subtitle = t("abl_chart_subtitle")
    items = ", ".join(f"{label} {c:+.1%}" for label, c in zip(top["label"], top["cost"], strict=True))
    with st.container(key="ablation_chart"):
        st.altair_chart(charts.cost_bars(top, title, subtitle, t("abl_cost"), t("abl_unit")), width="stretch",
                        alt=t("abl_alt", what=f"{title}: {subtitle}", items=items))
        with st.expander(t("numbers")):
            st.dataframe(frame[["unit", "cost", "accuracy"]].rename(columns={
                "unit": t("abl_unit"), "cost": t("abl_cost"), "accuracy": t("abl_without")}),
                hide_index=True, width="stretch")
    if prop != ALL:
        _by_value(result.groups[prop], [int(j) for j in top["unit"].head(GRID)], names[prop])
    if side != "encoder":
        st.caption(t("abl_decoder_note"))
        return
    st.markdown(t("abl_open"))
    row = st.container(horizontal=True, key="ablation_links")
    for j in top["unit"].head(LINKS):
        row.button(t("abl_open_unit", unit=int(j)), key=f"ablation_open_{int(j)}", on_click=_open_unit,
                   args=(int(j),))
    unit = st.session_state.get(keys.INSIDE_UNIT)
    if unit is not None and unit == st.session_state.get(keys.ABLATION_OPENED):
        st.caption(t("abl_opened", unit=unit))


def _by_value(groups: list[UnitGroup], units: list[int], prop_name: str) -> None:
    """The chart's units against every value of the property: what each costs on those questions alone. The
    values are the rows (a written form such as "Weekday, Month D, YYYY" needs a row's width), the colour
    scale reaches the largest cost (costs of a few points were white on a scale to 100 %)."""
    frame = pd.DataFrame([(f"#{j}", str(g.value), float(g.cost[j])) for j in units for g in groups],
                         columns=["x", "y", "value"])
    limit = max(float(frame["value"].abs().max()), 0.01) if len(frame) else 1.0
    worst = ", ".join(f"#{j} {max(groups, key=lambda g: g.cost[j]).value}" for j in units[:LINKS])
    with st.expander(t("abl_by_value", prop=prop_name, k=len(units))), st.container(key="ablation_by_value"):
        st.altair_chart(charts.cost_grid(frame, t("abl_unit"), t("abl_cost"), limit),
                        width="stretch", alt=t("abl_by_value_alt", prop=prop_name, items=worst))
