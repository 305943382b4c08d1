"""Compare: the book's variants trained on the same data and seed, interleaved, with live charts. Other pages
(a lesson) choose the next comparison through ``set_up``."""

from __future__ import annotations

import html
from dataclasses import replace

import pandas as pd
import streamlit as st

from s2s.presets import COMPARISONS, RACES, race_variants
from s2s.session import LaneSnapshot
from ui import charts, keys, persist, widgets
from ui.background import BackgroundCompare, poll_interval
from ui.i18n import labels, t
from ui.state import get_compare, set_compare
from ui.style import presenting
from ui.widgets import live_status, start_pause_buttons, task_labels

POLL_SECONDS = 0.7
KEEP = {"persist_state": "session"}
DEFAULT_BUDGET = 900  # seconds of training per variant at most
DEFAULT_SEED = 0


def set_up(task: str, race: str = "lesson", seed: int = DEFAULT_SEED) -> None:
    """For another page (a lesson): the next visit offers a fresh comparison of `task` with `race`'s
    settings from `seed`. Call before switching to the Compare page."""
    set_compare(None)
    ss = st.session_state
    ss[keys.COMPARE_TASK], ss[keys.COMPARE_RACE], ss[keys.COMPARE_SEED] = task, race, seed


def resume_from_url() -> None:
    """Before any page draws: the comparison the address names (?race=) comes back with the setting boxes
    showing its settings (ui.persist); a page that reconnected to its session trains its closed race on."""
    compare = get_compare()
    if compare is not None and compare.closed_training:
        set_compare(compare)  # the session's guard was released with the connection: it holds the race again
        compare.start()
    token = persist.wanted_token("compare")
    if token is None:
        return
    runner, note = persist.resume(token, "compare")
    ss = st.session_state
    ss[keys.RESUMED_RACE] = (note, False)
    if runner is None:
        del st.query_params["race"]
        return
    run = runner.run
    same = [name for name, r in RACES[run.task].items() if r.variants == run.race.variants]  # the same models
    exact = [name for name in same if replace(RACES[run.task][name], minutes=0) == replace(run.race, minutes=0)]
    ss[keys.COMPARE_TASK], ss[keys.COMPARE_RACE] = run.task, (exact or same or ["lesson"])[0]
    ss[keys.COMPARE_RACE_FOR] = (ss[keys.COMPARE_TASK], ss[keys.COMPARE_RACE])  # the boxes keep the run's values
    ss[keys.COMPARE_HIDDEN], ss[keys.COMPARE_EPOCHS], ss[keys.COMPARE_LR] = run.race.hidden, run.race.epochs, \
        run.race.lr
    ss[keys.COMPARE_BUDGET], ss[keys.COMPARE_SEED] = int(run.budget_seconds), run.seed
    set_compare(runner)


def _apply_race() -> None:
    """Put the chosen race's settings (s2s.presets.RACES) into the number boxes."""
    ss = st.session_state
    race = RACES[ss[keys.COMPARE_TASK]][ss[keys.COMPARE_RACE]]
    ss[keys.COMPARE_HIDDEN], ss[keys.COMPARE_EPOCHS], ss[keys.COMPARE_LR] = race.hidden, race.epochs, race.lr


def _settings() -> dict:
    ss = st.session_state
    if ss.get(keys.COMPARE_TASK) not in COMPARISONS:
        ss[keys.COMPARE_TASK] = "addition"
    race_names = list(RACES[ss[keys.COMPARE_TASK]])  # the lesson's, the book's (and beyond chapter 8, on dates)
    if ss.get(keys.COMPARE_RACE) not in race_names:
        ss[keys.COMPARE_RACE] = "lesson"
    chosen = (ss[keys.COMPARE_TASK], ss[keys.COMPARE_RACE])
    if ss.get(keys.COMPARE_RACE_FOR) != chosen:  # new task or race: its settings
        ss[keys.COMPARE_RACE_FOR] = chosen
        _apply_race()
    # defaults set here, not by the widgets' value=: set_up may have set the seed through the session state
    ss.setdefault(keys.COMPARE_BUDGET, DEFAULT_BUDGET)
    ss.setdefault(keys.COMPARE_SEED, DEFAULT_SEED)
    c1, c2, c3, c4, c5, c6, c7 = st.columns([3, 3, 2, 2, 2, 2, 2])
    task = c1.selectbox(t("task"), list(COMPARISONS), key=keys.COMPARE_TASK,
                        format_func=task_labels(list(COMPARISONS)).get, **KEEP)
    c2.selectbox(t("race"), race_names, key=keys.COMPARE_RACE, format_func=labels(race_names, "race_"), **KEEP)
    c3.number_input(t("hidden"), 8, 512, key=keys.COMPARE_HIDDEN, **KEEP)
    c4.number_input(t("epochs"), 1, 100, key=keys.COMPARE_EPOCHS, **KEEP)
    c5.number_input(t("lr"), 0.0001, 0.1, key=keys.COMPARE_LR, step=0.001, format="%.4f", **KEEP)
    c6.number_input(t("budget"), 5, 3600, key=keys.COMPARE_BUDGET, step=30, **KEEP)
    c7.number_input(t("seed"), 0, 2**31 - 1, key=keys.COMPARE_SEED, **KEEP)
    s = {"task": task, "race": ss[keys.COMPARE_RACE], "hidden": int(ss[keys.COMPARE_HIDDEN]),
         "epochs": int(ss[keys.COMPARE_EPOCHS]), "lr": float(ss[keys.COMPARE_LR]),
         "budget": float(ss[keys.COMPARE_BUDGET]), "seed": int(ss[keys.COMPARE_SEED])}
    race = RACES[task][ss[keys.COMPARE_RACE]]
    if (race.hidden, race.epochs, race.lr) == (s["hidden"], s["epochs"], s["lr"]):
        note = t(f"race_note_{ss[keys.COMPARE_RACE]}", minutes=f"{race.minutes:g}", epochs=race.epochs)
    else:
        note = t("race_note_custom")
    st.caption(note + (" " + t("data_note_addition") if task == "addition" else ""))
    return s


def _new_compare(s: dict) -> BackgroundCompare:
    race = replace(RACES[s["task"]][s["race"]], hidden=s["hidden"], epochs=s["epochs"], lr=s["lr"])
    compare = BackgroundCompare.for_race(s["task"], race, s["seed"], s["budget"])
    persist.attach(compare)
    set_compare(compare)
    st.session_state.pop(keys.RESUMED_RACE, None)
    return compare


def _ensure(s: dict) -> BackgroundCompare:
    compare = get_compare()
    return compare if compare is not None else _new_compare(s)


def render() -> None:
    """The Compare page."""
    if st.session_state.pop(keys.GOTO_INSIDE, False):  # set by a "look inside" button
        st.switch_page("app_pages/inside.py")
    st.title(t("compare_title"))
    if not presenting():
        st.caption(t("compare_intro"))
    widgets.resume_note(keys.RESUMED_RACE)
    # presenting, the settings (the lesson set them) are folded below the race, so that its chart is on a
    # 1280x720 projector under the lesson's banner
    settings_box = st.container() if not presenting() else None
    controls, live_box = st.container(), st.container(key="compare_live")
    with settings_box if settings_box is not None else st.expander(t("settings")):
        settings = _settings()
    compare = get_compare()
    if compare is not None and compare.task != settings["task"]:
        controls.info(t("settings_pending"))
    running = compare is not None and compare.status == "running"
    ended = compare is not None and compare.status == "finished"
    row = controls.container(horizontal=True)
    start_pause_buttons(row, "compare", get_compare, lambda: _ensure(settings).start(),
                        lambda: get_compare() and get_compare().pause(), ended=ended)
    row.button(t("step_btn"), key="compare_step", icon=":material/skip_next:", disabled=ended,
               on_click=lambda: _ensure(settings).step_once())
    row.button(t("reset"), key="compare_reset", icon=":material/restart_alt:", on_click=set_compare, args=(None,))

    @st.fragment(run_every=poll_interval(POLL_SECONDS) if running else None)
    def live() -> None:
        c = get_compare()
        if c is None:
            st.info(t("compare_none"))
            return
        status, lanes = c.snapshot()
        st.html(live_status(f"{t('compare_title')}: {t(f'status_{status}')}"))  # announced when it changes
        _draw(c, status, lanes)
        if running and status != "running":
            st.rerun(scope="app")

    with live_box:
        live()


def _label(name: str) -> str:
    return t(f"variant_{name}")


def _draw(compare: BackgroundCompare, status: str, lanes: list[LaneSnapshot]) -> None:
    for lane in lanes:
        if lane.status == "diverged":
            st.error(f"{_label(lane.name)}: {lane.message}")
    names = [_label(lane.name) for lane in lanes]
    acc_rows, loss_rows = [], []
    for lane, label in zip(lanes, names, strict=True):
        for it, ep, acc, _ in lane.evals:
            acc_rows.append({"epoch": ep, "iteration": it, "accuracy": acc, "variant": label})
        if len(lane.losses):
            frame = charts.loss_frame(lane.losses)
            frame["variant"] = label
            loss_rows.append(frame[["iteration", "smoothed", "variant"]])
    acc = pd.DataFrame(acc_rows, columns=["epoch", "iteration", "accuracy", "variant"])
    loss = pd.concat(loss_rows) if loss_rows else pd.DataFrame(columns=["iteration", "smoothed", "variant"])
    raced = race_variants(compare.task, compare.race)
    book = pd.DataFrame([{"variant": _label(n), "accuracy": v.book_accuracy}
                         for n, v in raced.items() if v.book_accuracy is not None])
    st.markdown(f"**{t(f'status_{status}')}** &nbsp; {charts.variants_key([html.escape(n) for n in names])}",
                unsafe_allow_html=True)
    left, right = st.columns(2)
    with left.container(key="compare_acc_chart"):
        st.markdown(f"**{t('compare_acc_chart')}**")
        items = "; ".join(f"{label} {lane.evals[-1, 2]:.1%} ({t('epoch')} {lane.evals[-1, 1]:.2f})"
                          if len(lane.evals) else f"{label} –" for lane, label in zip(lanes, names, strict=True))
        st.altair_chart(charts.compare_accuracy_chart(acc, book, names, t("epoch"), t("accuracy"), t("variant")),
                        width="stretch", alt=t("alt_variants", what=t("compare_acc_chart"), items=items))
    with right.container(key="compare_loss_chart"):
        st.markdown(f"**{t('compare_loss_chart')}**")
        items = "; ".join(f"{label} {lane.losses[-1, 2]:.3f}" if len(lane.losses) else f"{label} –"
                          for lane, label in zip(lanes, names, strict=True))
        st.altair_chart(charts.compare_loss_chart(loss, names, t("iteration"), t("loss"), t("variant")),
                        width="stretch", alt=t("alt_variants", what=t("compare_loss_chart"), items=items))
    table = pd.DataFrame({
        t("variant"): names,
        t("epoch"): [round(lane.epoch, 2) for lane in lanes],
        t("final_acc"): [f"{lane.evals[-1, 2]:.1%}" if len(lane.evals) else "–" for lane in lanes],
        t("best_acc"): [f"{lane.evals[:, 2].max():.1%}" if len(lane.evals) else "–" for lane in lanes],
        t("book_acc"): [f"{v.book_accuracy:.0%}" if v.book_accuracy is not None else "–" for v in raced.values()],
        t("train_time"): [round(lane.train_seconds, 1) for lane in lanes],
        t("parameters"): [f"{lane.parameters:,}" for lane in lanes],
    })
    with st.container(key="compare_results"):
        st.markdown(f"**{t('results')}**")
        st.table(table.set_index(t("variant")))  # a plain table: read by screen readers and the lesson walk
    if status != "running":
        row = st.container(horizontal=True)
        for lane in lanes:
            row.button(t("open_inside", name=_label(lane.name)), key=f"compare_inside_{lane.name}",
                       icon=":material/neurology:", on_click=_open_inside, args=(compare.task, lane.name))
    with st.expander(t("numbers")):
        c1, c2 = st.columns(2)
        c1.dataframe(acc, hide_index=True, width="stretch")
        c2.dataframe(loss, hide_index=True, width="stretch")


def _open_inside(task: str, name: str) -> None:
    widgets.set_up(task, source=f"compare:{name}")
    st.session_state[keys.GOTO_INSIDE] = True
