"""Inside's interventions: change one thing inside the model (units, a gate, the Peeky context, the state the
encoder hands over, one step's attention), decode the same question again, and show the answer next to the
unchanged one, as Try's what-if does for a forced character.

The widgets build one s2s.intervene.Intervention; decoding is s2s.inference.answer with it. What the model cannot
do is not offered (no cell state c for a GRU, the peek only for Peeky, attention edits only for attention, nothing
for the Transformer); what is typed wrong (a unit list, the other question) is said in words, never a traceback.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import streamlit as st

from s2s.data import PAD, QueryError
from s2s.inference import Answer, answer, read_question
from s2s.intervene import GATES, AttentionEdit, GateEdit, Intervention, UnitEdit
from s2s.tasks import TASKS
from ui import charts, keys
from ui.i18n import labels, t
from ui.widgets import PickedModel, html_table, query_error_text, step_labels, visible_char

KEEP = {"persist_state": "session"}  # as Inside's other widgets: the choice survives a page change
UNIFORM = -1  # the attention target "equal weight everywhere" among the input positions 0..Te-1
SIDES = ("encoder", "decoder")
MARK = "◆"  # beside a changed character: the change is not said by colour alone

# A lesson's "Set up" opens Inside with one of these on (ui.lessons.Step.intervention). The attention preset
# is for the question 2/10/04 of the shipped date model: its input is read reversed and padded to 29, so
# position 28 is the month's "2"; decoder step 3 (0-based) writes the year's last digit "4" and, pointed at
# the month's "2", writes 2002-02-10 (tests/test_intervene_ui.py decodes it with the real model).
PRESETS: dict[str, dict] = {
    "peek_cut": {keys.IV_KIND: "peek"},
    "attention_wrong": {keys.IV_KIND: "attention", keys.IV_ATT_STEP: 3, keys.IV_ATT_TO: 28},
}


def set_up(preset: str = "") -> None:
    """For a lesson: open Inside with the preset intervention on ("": none, the section starts empty). Call
    before switching pages; the values go into the widgets' state, which the widgets are drawn from."""
    ss = st.session_state
    ss[keys.IV_KIND] = None
    for key, value in PRESETS.get(preset, {}).items():
        ss[key] = value


class UnitsError(ValueError):
    """A unit list that cannot be read: `kind` (token, range, backwards) and the words to say it with."""

    def __init__(self, kind: str, **params):
        super().__init__(kind)
        self.kind, self.params = kind, params


def parse_units(text: str, hidden: int) -> tuple[int, ...]:
    """Units typed as "3, 17, 40-45" (commas or spaces between, ranges inclusive; full-width digits and "、" are
    fine): their numbers in order, each once. Empty text: every unit. UnitsError for anything else."""
    text = text.translate(str.maketrans("０１２３４５６７８９－〜～、，", "0123456789---,,"))
    tokens = [tok for tok in re.split(r"[,\s]+", text.strip()) if tok]
    if not tokens:
        return tuple(range(hidden))
    units: dict[int, None] = {}
    for tok in tokens:
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", tok)
        if m is None:
            raise UnitsError("token", token=tok)
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if hi < lo:
            raise UnitsError("backwards", token=tok)
        if hi >= hidden:
            raise UnitsError("range", u=hi, last=hidden - 1)
        units.update(dict.fromkeys(range(lo, hi + 1)))
    return tuple(units)


def kinds_for(config) -> tuple[str, ...]:
    """The interventions a model supports, in the order the control offers them (none for the Transformer)."""
    if config.kind == "transformer":
        return ()
    return ("units", "gate") + (("peek",) if config.kind == "peeky" else ()) + ("handover",) + (
        ("attention",) if config.kind == "attention" else ())


def _mend(key: str, allowed, default) -> None:
    """A kept choice the model (or question) no longer offers goes back to `default`, before the widget is drawn
    (not by a default=: a lesson's set_up writes the same keys, and Streamlit warns of both)."""
    if st.session_state.get(key) not in allowed:
        st.session_state[key] = default


def render(picked: PickedModel, a: Answer, question: str) -> None:
    """The section: the controls, then (once something is chosen) both answers side by side."""
    with st.container(key="intervene"):
        _section(picked, a, question)


def _section(picked: PickedModel, a: Answer, question: str) -> None:
    st.header(t("iv_header"))
    config = picked.model.config
    kinds = kinds_for(config)
    if not kinds:
        st.caption(t("iv_transformer"))
        return
    st.caption(t("iv_intro"))
    chars = picked.codec.vocab.chars
    enc_chars = [chars[i] for i in a.trace.input_ids]
    dec_chars = [chars[i] for i in a.trace.output_ids]
    widths = {"encoder": len(enc_chars), "decoder": len(dec_chars)}
    _mend(keys.IV_KIND, kinds + (None,), None)
    with st.container(key="iv_controls"):
        kind = st.segmented_control(t("iv_kind"), kinds, key=keys.IV_KIND, format_func=labels(kinds, "iv_kind_"),
                                    **KEEP)
        if kind is None:
            st.caption(t("iv_pick"))
            return
        try:
            iv = _build(kind, picked, config, {"encoder": enc_chars, "decoder": dec_chars})
        except UnitsError as e:
            st.warning(t(f"iv_units_err_{e.kind}", **e.params))
            return
        except QueryError as e:
            st.warning(t("iv_other_bad", why=query_error_text(e, picked.codec)))
            return
    try:
        iv.check(picked.model, widths)  # also done by generate; here so that its words reach the page
        b = answer(picked.model, picked.codec, [question], intervention=iv)[0]
    except ValueError as e:
        st.warning(t("iv_bad", why=str(e)))
        return
    _result(a, b, iv, enc_chars, dec_chars)


def _build(kind: str, picked: PickedModel, config, chars: dict[str, list[str]]) -> Intervention:
    """The Intervention the widgets of `kind` describe (drawn here, in rows of columns)."""
    if kind in ("units", "gate"):
        return _units_or_gate(kind, config, chars)
    if kind == "peek":
        st.markdown(t("iv_peek_note"))
        return Intervention(peek="zero")
    if kind == "handover":
        return _handover(picked, config)
    return _attention_edit(chars)


def _units_or_gate(kind: str, config, chars: dict[str, list[str]]) -> Intervention:
    """Side, then the state and value (units) or the gate and how it is held; the units and the time steps."""
    cell, H = config.cell, config.hidden_size
    c1, c2, c3 = st.columns(3)
    _mend(keys.IV_SIDE, SIDES, "encoder")
    side = c1.segmented_control(t("iv_side"), SIDES, key=keys.IV_SIDE, format_func=labels(SIDES, ""),
                                required=True, **KEEP)
    if kind == "units":
        states = ("h", "c") if cell == "lstm" else ("h",)  # a GRU has no cell state
        _mend(keys.IV_STATE, states, "h")
        state = c2.segmented_control(t("iv_state"), states, key=keys.IV_STATE, required=True,
                                     format_func=labels(states, "state_"), **KEEP)
        modes = ("zero", "clamp")
        _mend(keys.IV_VALUE_MODE, modes, "zero")
        mode = c3.segmented_control(t("iv_value_mode"), modes, key=keys.IV_VALUE_MODE, required=True,
                                    format_func=labels(modes, "iv_value_"), **KEEP)
    else:
        gates = GATES[cell]
        _mend(keys.IV_GATE, gates, gates[0])
        gate = c2.selectbox(t("iv_gate"), gates, key=keys.IV_GATE, **KEEP,
                            format_func=labels(gates, "state_gru_" if cell == "gru" else "state_"))
        holds = ("open", "shut")
        _mend(keys.IV_GATE_VALUE, holds, "shut")
        hold = c3.segmented_control(t("iv_gate_value"), holds, key=keys.IV_GATE_VALUE, required=True,
                                    format_func=labels(holds, "iv_gate_"), **KEEP)
    c4, c5 = st.columns([2, 3])
    st.session_state.setdefault(keys.IV_UNITS, "")
    text = c4.text_input(t("iv_units"), key=keys.IV_UNITS, placeholder=t("iv_units_placeholder"),
                         help=t("iv_units_help", last=H - 1), **KEEP)
    # the steps labelled with their characters, as the heatmaps label them; one choice per side (their widths differ)
    step_key, names = keys.iv_steps(side), step_labels(chars[side])
    kept = st.session_state.get(step_key)
    st.session_state[step_key] = [s for s in kept if s < len(names)] if isinstance(kept, list) else []
    steps = c5.multiselect(t("iv_steps"), list(range(len(names))), key=step_key,
                           format_func=lambda i: names[i] if i < len(names) else str(i + 1),
                           placeholder=t("iv_steps_all"), **KEEP)
    units, chosen = parse_units(text, H), tuple(steps) or None
    if kind == "gate":
        return Intervention(gates=(GateEdit(side, gate, units, 1.0 if hold == "open" else 0.0, chosen),))
    value = 0.0
    if mode == "clamp":
        st.session_state.setdefault(keys.IV_VALUE, 1.0)
        value = c4.number_input(t("iv_value"), -10.0, 10.0, step=0.1, key=keys.IV_VALUE, help=t("iv_value_help"),
                                **KEEP)
    return Intervention(units=(UnitEdit(side, units, state, chosen, value),))


def _handover(picked: PickedModel, config) -> Intervention:
    """Another question (one box per task), read as the question box reads it (QueryError when it cannot be); its
    encoder's final state is what the decoder gets."""
    key = keys.iv_other(picked.task)
    examples = TASKS[picked.task].examples if picked.task in TASKS else ()
    st.session_state.setdefault(key, examples[1] if len(examples) > 1 else "")
    other = st.text_input(t("iv_other"), key=key, help=t("iv_other_help"), **KEEP)
    st.caption(t("iv_handover_note_att" if config.kind == "attention" else "iv_handover_note"))
    q = read_question(picked.codec, other)
    final = answer(picked.model, picked.codec, [q])[0].trace.encoder.h[-1]  # (H,): what its encoder hands over
    return Intervention(handover=final)


def _attention_edit(chars: dict[str, list[str]]) -> Intervention:
    """One decoder step looks where it is told: one input position (as the encoder read it), or everywhere."""
    dec_labels, enc_labels = step_labels(chars["decoder"]), step_labels(chars["encoder"])
    c1, c2 = st.columns(2)
    _mend(keys.IV_ATT_STEP, range(len(dec_labels)), 0)
    step = c1.selectbox(t("iv_att_step"), list(range(len(dec_labels))), key=keys.IV_ATT_STEP,
                        format_func=lambda i: dec_labels[i] if i < len(dec_labels) else str(i + 1), **KEEP)
    targets = [UNIFORM, *range(len(enc_labels))]
    _mend(keys.IV_ATT_TO, targets, UNIFORM)
    uniform = t("iv_att_uniform")
    to = c2.selectbox(t("iv_att_to"), targets, key=keys.IV_ATT_TO, help=t("iv_att_help"), **KEEP,
                      format_func=lambda i: uniform if i == UNIFORM else enc_labels[i] if i < len(enc_labels)
                      else str(i + 1))
    return Intervention(attention=(AttentionEdit(step, None if to == UNIFORM else to),))


def changed_steps(a: Answer, b: Answer) -> list[int]:
    """The decoder steps (0-based) whose character differs between two answers of the same question."""
    return [i for i, (x, y) in enumerate(zip(a.steps, b.steps, strict=True)) if x.char != y.char]


def _answer_html(steps, changed: set[int], title: str, key: str) -> str:
    """One run's answer, big: each step's character; a changed one bold, underlined, on orange, with a ◆."""
    spans = []
    for i, s in enumerate(steps):
        c = html.escape(visible_char(s.char))
        if s.char == PAD and i not in changed:  # padding: there, but quieter than the answer
            spans.append(f'<span style="color:#767676;font-weight:400">{c}</span>')
        elif i in changed:
            spans.append(f'<span class="iv-changed" style="font-weight:800;text-decoration:underline 3px;'
                         f'text-underline-offset:4px;background:#FFD9B8;border-radius:3px">{c}'
                         f'<span aria-hidden="true" style="font-size:0.55em;vertical-align:super">{MARK}</span></span>')
        else:
            spans.append(f"<span>{c}</span>")
    text = "".join(s.char for s in steps).rstrip(PAD)
    return (f'<div data-iv="{key}" data-answer="{html.escape(text)}" style="line-height:1.3">'
            f'<div style="font-size:1rem;color:#444">{html.escape(title)}</div>'
            f'<div style="font:700 2rem monospace;overflow-wrap:anywhere">{"".join(spans)}</div></div>')


def _result(a: Answer, b: Answer, iv: Intervention, enc_chars: list[str], dec_chars: list[str]) -> None:
    """Both runs side by side, what changed in words, each step's top probability, and an edited attention row."""
    changed = changed_steps(a, b)
    with st.container(key="iv_result", border=True):
        left, right = st.columns(2)
        left.html(_answer_html(a.steps, set(), t("iv_unchanged"), "unchanged"))
        right.html(_answer_html(b.steps, set(changed), t("iv_changed_run"), "intervened"))
        if changed:
            where = ", ".join(t("iv_diff_one", n=i + 1, a=visible_char(a.steps[i].char),
                                b=visible_char(b.steps[i].char)) for i in changed)
            st.markdown(t("iv_diff", where=where, mark=MARK))
        else:
            st.markdown(t("iv_same"))
        table, att = st.columns([3, 2]) if iv.attention else (st.container(), None)
        headers = [t("iv_col_step"), t("iv_unchanged"), t("iv_changed_run"), t("iv_col_changed")]
        rows = []
        for i, (x, y) in enumerate(zip(a.steps, b.steps, strict=True)):
            moved = i in changed
            rows.append([html.escape(f"{i + 1}"),
                         f"<code>{html.escape(visible_char(x.char))}</code> {x.prob:.1%}",
                         f"<code>{html.escape(visible_char(y.char))}</code> {y.prob:.1%}",
                         f"<strong>{MARK} {html.escape(t('iv_yes'))}</strong>" if moved else ""])
        table.markdown(f"**{t('iv_probs')}**")
        table.html(html_table(headers, rows))
        if att is not None:
            e = iv.attention[0]
            xs = step_labels(enc_chars)
            before, after = a.trace.attention[e.step], b.trace.attention[e.step]
            att.markdown(f"**{t('iv_att_row', n=e.step + 1, c=visible_char(dec_chars[e.step]))}**")
            # only the positions that hold weight in either run: 29 bars of padding would hide the two that matter
            keep = [j for j in range(len(xs)) if max(before[j], after[j]) >= 0.01 or enc_chars[j] != PAD]
            frame = pd.DataFrame({"label": [xs[j] for j in keep] * 2,
                                  "run": [t("iv_unchanged")] * len(keep) + [t("iv_changed_run")] * len(keep),
                                  "value": np.concatenate([before[keep], after[keep]])})
            att.altair_chart(charts.paired_bars(frame, t("weight"), t("attention_x"), t("iv_run")), width="stretch",
                             alt=t("iv_att_alt", n=e.step + 1, before=_top(before, xs), after=_top(after, xs)))


def _top(row: np.ndarray, xs: list[str], k: int = 3) -> str:
    """The k largest weights of an attention row, said as text."""
    return ", ".join(f"{xs[j]} {row[j]:.0%}" for j in np.argsort(-row)[:k])
