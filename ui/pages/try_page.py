"""Try: type a question, watch the decoder answer one character at a time with its top candidates."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from s2s.data import PAD, Codec, QueryError, describe_chars
from s2s.inference import Answer, answer
from s2s.tasks import TASKS, solve
from ui.i18n import t
from ui.state import TASK_NAMES, get_runner, session_model, session_shipped_model


def task_label(task: str) -> str:
    """Localised name of a task (uploaded data shows its file name)."""
    if task == "upload":
        runner = get_runner()
        return t("task_upload", name=runner.setup.data_name if runner else "?")
    return t(f"task_{task}")


def query_error_text(e: QueryError, codec: Codec) -> str:
    """A QueryError said in the current language, with the allowed characters and width."""
    if e.kind == "empty":
        what = t("err_empty")
    elif e.kind == "unknown":
        what = t("err_unknown", chars=", ".join(repr(c) if c.isprintable() else f"U+{ord(c):04X}" for c in e.chars[:8]))
    else:
        what = t("err_too_long", n=e.length)
    allowed = describe_chars(codec.query_chars).replace("space", t("space_word"))
    return f"{what} {t('allowed', chars=allowed, width=codec.question_width)}"


def _apply_query_params() -> None:
    """?task=addition&q=16%2B75 fills the page once per session (a teacher can share a link)."""
    if st.session_state.get("_query_params_done"):
        return
    st.session_state["_query_params_done"] = True
    task = st.query_params.get("task")
    if task in TASKS:
        st.session_state["task"] = task
    q = st.query_params.get("q")
    if q is not None:
        st.session_state["query"] = q[:200]


def _on_task_change() -> None:
    task = st.session_state.get("task")
    if task in TASKS:
        st.session_state["query"] = TASKS[task].examples[0]


def _set_query(text: str) -> None:
    st.session_state["query"] = text


def render() -> None:
    """The Try page."""
    _apply_query_params()
    st.title(t("try_title"))
    st.caption(t("try_intro"))

    runner = get_runner()
    tasks = TASK_NAMES + (["upload"] if runner is not None and runner.setup.task == "upload" else [])
    if st.session_state.get("task") not in tasks:
        st.session_state["task"] = "addition"
    left, right = st.columns([3, 2])
    task = left.selectbox(t("task"), tasks, format_func=task_label, key="task", on_change=_on_task_change)

    shipped = session_shipped_model(task) if task in TASKS else None
    own = session_model(task)
    sources = (["shipped"] if shipped else []) + (["session"] if own else [])
    if not sources:
        st.info(t("model_none"))
        return
    if st.session_state.get("model_source") not in sources:
        st.session_state["model_source"] = sources[0]
    source = right.radio(t("model_source"), sources, key="model_source", horizontal=True,
                         format_func=lambda s: t("model_shipped") if s == "shipped" else t("model_session"))
    if source == "shipped":
        model, codec, meta = shipped
        acc = meta.get("training", {}).get("val_accuracy")
    else:
        model, codec = own
        ev = runner.snapshot().evals
        acc = ev[-1, 2] if len(ev) else None
    cfg = model.config
    st.caption(t("model_info", kind=t(f"kind_{cfg.kind}"), hidden=cfg.hidden_size,
                 reverse=t("yes") if cfg.reverse else t("no"), acc="–" if acc is None else f"{acc:.2%}"))

    examples = TASKS[task].examples if task in TASKS else []
    if "query" not in st.session_state:
        st.session_state["query"] = examples[0] if examples else ""
    st.text_input(t("query"), key="query", live=True, max_chars=200,
                  placeholder=t("query_placeholder", example=examples[0]) if examples else None)
    if examples:
        row = st.container(horizontal=True, gap="small", vertical_alignment="center")
        row.markdown(t("examples") + ":", width="content")
        for i, ex in enumerate(examples):
            row.button(ex, key=f"example_{i}", on_click=_set_query, args=(ex,), type="tertiary")
    _answer_block(model, codec, task)


def _answer_block(model, codec: Codec, task: str) -> None:
    box = st.container(key="answer")
    try:
        q = codec.validate(st.session_state.get("query", ""))
    except QueryError as e:
        box.warning(query_error_text(e, codec))
        return
    a = answer(model, codec, [q])[0]
    truth = solve(task, q) if task in TASKS else None
    verdict = ""
    if truth is not None:
        ok = a.text == truth
        verdict = f'<span style="margin-left:1rem">{html.escape(t("right") if ok else t("wrong"))}</span>'
        if not ok:
            verdict += f'<div style="font-size:1.1rem;color:#444">{html.escape(t("truth", truth=truth))}</div>'
    box.html(f'<div style="font-size:1.9rem;font-weight:700">{html.escape(t("answer"))}: '
             f'<code style="font-size:2rem">{html.escape(a.text)}</code>{verdict}</div>')
    box.html(_answer_tiles(a, truth))
    with box.expander(t("numbers")):
        st.dataframe(_candidates_frame(a), hide_index=True, width="stretch")


def _shown(c: str) -> str:
    return '<span style="font-family:sans-serif">␣</span>' if c == PAD else html.escape(c)


def _answer_tiles(a: Answer, truth: str | None) -> str:
    """One tile per decoder step: the chosen character, big, and its top candidates as bars."""
    expected = None if truth is None else truth.ljust(len(a.steps))
    tiles = []
    for i, s in enumerate(a.steps):
        wrong = expected is not None and s.char != expected[i]
        border = "#D55E00" if wrong else "#0072B2"
        bars = "".join(
            f'<div style="display:flex;align-items:center;gap:4px;font:0.85rem monospace">'
            f'<span style="width:1.1em;text-align:center">{_shown(c)}</span>'
            f'<span style="flex:1;background:#eee;height:0.7em"><span style="display:block;height:100%;'
            f'width:{p:.0%};background:{"#0072B2" if rank == 0 else "#999999"}"></span></span>'
            f'<span style="width:3.2em;text-align:right">{p:.0%}</span></div>'
            for rank, (c, p) in enumerate(s.top))
        tiles.append(
            f'<div style="width:8.2rem;border:3px solid {border};border-radius:8px;padding:4px 8px">'
            f'<div style="font-size:0.8rem;color:#555">'
            f'{html.escape(t("step", n=i + 1))} · {html.escape(t("top5"))}</div>'
            f'<div style="font:700 2.6rem/1.3 monospace;text-align:center">{_shown(s.char)}</div>'
            f'{bars}</div>')
    return (f'<div role="group" aria-label="{html.escape(t("answer"))} {html.escape(a.text)}" '
            f'style="display:flex;flex-wrap:wrap;gap:8px">{"".join(tiles)}</div>')


def _candidates_frame(a: Answer) -> pd.DataFrame:
    rows = []
    for i, s in enumerate(a.steps, 1):
        for rank, (c, p) in enumerate(s.top, 1):
            rows.append({t("step", n=""): i, "#": rank, t("candidate"): "␣" if c == PAD else c,
                         t("probability"): round(p, 4)})
    return pd.DataFrame(rows)
