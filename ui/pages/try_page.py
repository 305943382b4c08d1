"""Try: type a question, watch the decoder answer one character at a time with its top candidates."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import streamlit as st

from s2s.data import PAD, Codec, QueryError
from s2s.inference import Answer, Step, answer, beam_search, decode_from, read_question
from s2s.tasks import TASKS, Oddity, check_question, solve
from ui.i18n import t
from ui.style import presenting
from ui.widgets import answer_tiles, html_table, pick_model, query_error_text, question_box, visible_char


def render() -> None:
    """The Try page."""
    st.title(t("try_title"))
    if not presenting():  # presenting, the lesson's banner says what to look at
        st.caption(t("try_intro"))
    _body()


@st.fragment
def _body() -> None:
    """Model picker, question and answer: a question reruns only this part of the page. Task, question and
    model share one row, and the answer stands beside its tiles, so a 1280x720 projector shows the tiles
    without scrolling (also in presentation mode, under the lesson's banner)."""
    task_box, question, model_box = st.columns([2, 3, 2])
    picked = pick_model(task_box, model_box, select_over=2)
    if picked is None:
        return
    _answer_block(picked.model, picked.codec, picked.task, question_box(picked.task, question, picked.codec))


def _answer_block(model, codec: Codec, task: str, text: str) -> None:
    box = st.container(key="answer")
    try:
        q = read_question(codec, text)
    except QueryError as e:
        box.warning(query_error_text(e, codec))
        return
    a = answer(model, codec, [q])[0]
    check = check_question(task, q) if task in TASKS else None
    odd = check is not None and not check.ordinary
    # an odd question is answered but never marked right or wrong: the model was not trained on its kind
    truth = solve(task, q) if task in TASKS and not odd else None
    verdict = ""
    if truth is not None:
        ok = a.text == truth
        verdict = f'<span style="margin-left:1rem">{html.escape(t("right") if ok else t("wrong"))}</span>'
        if not ok:
            verdict += f'<div style="font-size:1.1rem;color:#444">{html.escape(t("truth", truth=truth))}</div>'
    # the answer, then its tiles on the same line when they fit (they wrap below it when they do not)
    box.html(f'<div style="display:flex;flex-wrap:wrap;align-items:flex-start;gap:0.5rem 1.5rem">'
             f'<div style="font-size:1.9rem;font-weight:700;line-height:1.3">{html.escape(t("answer"))}: '
             f'<code style="font-size:2rem">{html.escape(a.text)}</code>{verdict}</div>'
             f'{_odd_note(check) if odd else ""}{answer_tiles(a.steps, truth)}</div>')
    # the extras are computed only when switched on: answering stays light with a class on the server
    row = st.container(horizontal=True, gap="medium")
    numbers = row.toggle(t("numbers"), key="try_numbers")
    whatif = row.toggle(t("whatif"), key="try_whatif", help=t("whatif_help"))
    beam = row.toggle(t("beam"), key="try_beam", help=t("beam_help"))
    if numbers:
        st.dataframe(_candidates_frame(a), hide_index=True, width="stretch")
    if whatif:
        _what_if(model, codec, q, a, truth)
    if beam:
        _beams(model, codec, q, a, truth)


def oddity_text(o: Oddity) -> str:
    """One reason a question is outside training, in the current language."""
    args = o.args
    if "part" in args:
        args["part"] = t(f"odd_part_{args['part']}")
    return t(f"odd_{o.kind}", **args)


def _odd_note(check) -> str:
    """The note under the answer of an odd question: outside training, why, and the true answer unmarked."""
    reasons = "; ".join(oddity_text(r) for r in check.reasons)
    after = t("odd_no_truth") if check.truth is None else t("odd_truth", truth=check.truth)
    return (f'<div class="odd-note" role="note" style="flex-basis:100%;border-left:4px solid #8A5A00;'
            f'padding:0.2rem 0.7rem;font-size:1.1rem;color:#222;line-height:1.5">'
            f'<strong>⚠ {html.escape(t("odd_note", reasons=reasons))}</strong><br>{html.escape(after)}</div>')


def _probability(steps: list[Step]) -> float:
    """Probability of a whole answer: the product of its steps'."""
    return float(np.prod([s.prob for s in steps]))


def _what_if(model, codec: Codec, q: str, a: Answer, truth: str | None) -> None:
    """Force one step to another candidate and decode the rest greedily from there."""
    with st.container(key="whatif", border=True):
        c1, c2 = st.columns([3, 2])
        n = c1.segmented_control(t("whatif_step"), list(range(1, len(a.steps) + 1)), key="whatif_step")
        if n is None or n > len(a.steps):
            st.caption(t("whatif_pick"))
            return
        options = [c for c, _ in a.steps[n - 1].top if c != a.steps[n - 1].char]
        char = c2.pills(t("whatif_char"), options, key=f"whatif_char_{n}", format_func=visible_char)
        if char is None or char not in options:
            st.caption(t("whatif_pick"))
            return
        prefix = "".join(s.char for s in a.steps[:n - 1]) + char
        steps = decode_from(model, codec, q, prefix)
        text = "".join(s.char for s in steps).rstrip(PAD)
        st.markdown(t("whatif_result", text=f"`{text}`", p=f"{_probability(steps):.2%}",
                      greedy=f"`{a.text}` {_probability(a.steps):.2%}"))
        st.html(answer_tiles(steps, truth, forced=n - 1, before=[s.char for s in a.steps]))


def _beams(model, codec: Codec, q: str, a: Answer, truth: str | None) -> None:
    """Beam search of width k next to the greedy answer, as a table with scores and parents."""
    with st.container(key="beams", border=True):
        k = st.slider(t("beam_width"), 1, 10, 3, key="beam_width")
        beams = beam_search(model, codec, q, k)
        headers = [t(name) for name in ("beam_rank", "answer", "beam_prob", "beam_logp", "beam_greedy", "beam_right",
                                        "beam_steps", "beam_from")]
        step = '<span class="st-nowrap">{} {:.0%}</span>'  # a step's character and probability stay together
        rows = [[str(i), f'<code class="st-nowrap">{html.escape(b.text)}</code>', f"{np.exp(b.log_prob):.2%}",
                 f"{b.log_prob:.3f}",
                 "☑" if b.text == a.text else "", "" if truth is None else "☑" if b.text == truth else "☒",
                 " · ".join(step.format(html.escape(visible_char(c)), p) for c, p in b.steps),
                 " → ".join(str(r + 1) for r in b.parent_ranks[1:]) or "–"] for i, b in enumerate(beams, 1)]
        st.html(html_table(headers, rows, stack=True, min_widths={6: "10em"}))
        best = beams[0].text
        st.caption(t("beam_same") if best == a.text else t("beam_differs", best=best, greedy=a.text))


def _candidates_frame(a: Answer) -> pd.DataFrame:
    rows = []
    for i, s in enumerate(a.steps, 1):
        for rank, (c, p) in enumerate(s.top, 1):
            rows.append({t("step", n=""): i, "#": rank, t("candidate"): "␣" if c == PAD else c,
                         t("probability"): round(p, 4)})
    return pd.DataFrame(rows)
