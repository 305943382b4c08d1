"""Try: type a question, watch the decoder answer one character at a time with its top candidates."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from s2s.data import PAD, Codec, QueryError
from s2s.inference import Answer, answer
from s2s.tasks import TASKS, solve
from ui.i18n import t
from ui.widgets import pick_model, query_error_text, question_box


def render() -> None:
    """The Try page."""
    st.title(t("try_title"))
    st.caption(t("try_intro"))
    picked = pick_model()
    if picked is None:
        return
    _answer_block(picked.model, picked.codec, picked.task, question_box(picked.task))


def _answer_block(model, codec: Codec, task: str, text: str) -> None:
    box = st.container(key="answer")
    try:
        q = codec.validate(text)
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
