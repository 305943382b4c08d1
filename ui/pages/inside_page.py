"""Inside: hidden states, cells and gates over time, attention, a step-through of the decoder,
a PCA map of the encoder, and one unit across many questions."""

from __future__ import annotations

import html
from dataclasses import fields

import numpy as np
import pandas as pd
import streamlit as st

from s2s.analysis import PROPERTIES, pca, question_properties, unit_order
from s2s.data import PAD, Codec, QueryError, make_split
from s2s.inference import Answer, answer, read_question
from s2s.layers import GRURecord, LSTMRecord
from s2s.tasks import TASKS
from ui import ablation_view, charts, intervene_view, keys
from ui.i18n import labels, t
from ui.state import for_model_version, get_runner
from ui.widgets import PickedModel, pick_model, query_error_text, question_box, step_labels


def state_kinds(record: LSTMRecord | GRURecord) -> tuple[tuple[str, ...], str]:
    """What the state control offers for a model's records (their fields: h, c and four gates for an LSTM, h and
    three for a GRU) and the prefix of their labels."""
    return tuple(f.name for f in fields(record)), "state_gru_" if isinstance(record, GRURecord) else "state_"
MAP_SIZE = 500
NEURON_QUESTIONS = 10
KEEP = {"persist_state": "session"}


def _shown(c: str) -> str:
    return "␣" if c == PAD else c


def state_frame(record: LSTMRecord | GRURecord, kind: str, chars: list[str], units: np.ndarray) -> pd.DataFrame:
    """Long frame (x = step label, y = unit, value) of one state of one LSTM for the given units."""
    values = getattr(record, kind)  # (T, H)
    labels = step_labels(chars)
    rows = [(labels[ti], f"#{u}", float(values[ti, u])) for u in units for ti in range(len(labels))]
    return pd.DataFrame(rows, columns=["x", "y", "value"])


@st.cache_data(show_spinner=False, max_entries=8)
def _held_out(task: str, n: int) -> list[str]:
    """Held-out questions of a generated task (never in any training set of the app)."""
    _, val = make_split(task, 0, n, 7)
    return val.questions()


def _map_questions(picked: PickedModel) -> list[str]:
    if picked.task in TASKS:
        return _held_out(picked.task, MAP_SIZE)
    runner = get_runner()
    return runner.val.questions()[:MAP_SIZE] if runner is not None else []


def map_data(picked: PickedModel) -> dict:
    """Traces of the held-out questions and their PCA, computed once per model version (per session)."""
    def build() -> dict:
        questions = _map_questions(picked)
        answers = answer(picked.model, picked.codec, questions)
        final = np.stack([a.trace.encoder.h[-1] for a in answers])  # (N, H): the encoder's last state
        dec1 = np.stack([a.trace.decoder.h[0] for a in answers])  # (N, H): the decoder's first state
        props = question_properties(picked.task, questions) if picked.task in PROPERTIES else {}
        props.setdefault("answer_length", np.array([len(a.text) for a in answers]))
        return {"questions": questions, "answers": [a.text for a in answers], "final": final,
                "dec1": dec1, "pca": pca(final), "props": props, "traces": answers}

    return for_model_version(keys.INSIDE_MAPS, picked.version, build)


def _prop_label(name: str) -> str:
    return t(f"prop_{name}")


def render() -> None:
    """The Inside page."""
    st.title(t("inside_title"))
    st.caption(t("inside_intro"))
    picked = pick_model(select_over=2)
    if picked is None:
        return
    text = question_box(picked.task)
    try:
        q = read_question(picked.codec, text)
    except QueryError as e:
        st.warning(query_error_text(e, picked.codec))
        return
    a = answer(picked.model, picked.codec, [q])[0]
    st.html(f'<div style="font-size:1.6rem;font-weight:700">{html.escape(q)} → '
            f'<code style="font-size:1.7rem">{html.escape(a.text)}</code></div>')
    data = map_data(picked)
    _states(picked, a, data)
    if a.trace.attention is not None:
        _attention(a, picked.codec)
    if a.trace.maps is not None:
        _heads(a, picked.codec)
    if a.trace.context is not None:
        _peeky_context(a)
    intervene_view.render(picked, a, q)  # change something inside and answer again, beside the unchanged run
    _stepper(a, picked.codec)
    _map(picked, a, data)
    _neurons(picked, data)
    ablation_view.render(picked)


def _chars(a: Answer, codec: Codec) -> tuple[list[str], list[str]]:
    chars = codec.vocab.chars
    return [chars[i] for i in a.trace.input_ids], [chars[i] for i in a.trace.output_ids]


def _states(picked: PickedModel, a: Answer, data: dict) -> None:
    st.header(t("states_header"))
    H = picked.model.config.hidden_size
    # the control for what to show on a row of its own: in a third of the row its last options were cut off
    kinds, prefix = state_kinds(a.trace.encoder)
    # its default set here, not by default=: the language switch stores the value again through the session
    # state; a choice of another cell's (c, forget, ... for a GRU) goes back to h
    if st.session_state.get("inside_state") not in kinds:
        st.session_state["inside_state"] = "h"
    kind = st.segmented_control(t("state_kind"), kinds, key="inside_state",
                                format_func=labels(kinds, prefix), **KEEP) or "h"
    c2, c3 = st.columns(2)
    order_by = c2.selectbox(t("sort_units"), ("variance", "correlation", "index"), key="inside_sort",
                            format_func=labels(("variance", "correlation", "index"), "sort_"), **KEEP)
    props = list(data["props"])
    prop = None
    if order_by == "correlation":
        if st.session_state.get(keys.INSIDE_PROP) not in props:
            st.session_state[keys.INSIDE_PROP] = props[0]
        prop = c2.selectbox(t("property"), props, key=keys.INSIDE_PROP, format_func=labels(props, "prop_"), **KEEP)
    default_k = min(H, 32)
    if not isinstance(st.session_state.get(keys.INSIDE_K), int) or st.session_state[keys.INSIDE_K] > H:
        st.session_state[keys.INSIDE_K] = default_k
    k = c3.slider(t("top_k"), 1, H, key=keys.INSIDE_K, **KEEP)
    enc_chars, dec_chars = _chars(a, picked.codec)
    rev = t("yes") if picked.model.config.reverse else t("no")
    left, right = st.columns([3, 2])
    for col, name, record, chars, summary in (
        (left, "encoder", a.trace.encoder, enc_chars, data["final"]),
        (right, "decoder", a.trace.decoder, dec_chars, data["dec1"]),
    ):
        values = getattr(record, kind)
        if order_by == "index":
            units = np.arange(k)
        elif order_by == "variance":
            units = unit_order(values, "variance", k=k)
        else:
            units = unit_order(summary, "correlation", _numeric(data["props"][prop]), k=k)
        frame = state_frame(record, kind, chars, units)
        with col.container(key=f"heatmap_{name}"):
            st.markdown(f"**{t(name)}**" + (f" · {t('encoder_reads', rev=rev)}" if name == "encoder" else ""))
            lo, hi = charts.value_range(frame["value"])
            st.altair_chart(charts.heatmap(frame, t("time_step"), t("unit"), t("value"), diverging=True),
                            width="stretch", alt=t("alt_heatmap", what=t(name), rows=len(units), cols=len(chars),
                                                   lo=lo, hi=hi))
            with st.expander(t("numbers")):
                st.dataframe(frame.pivot(index="y", columns="x", values="value").reindex(
                    index=[f"#{u}" for u in units], columns=step_labels(chars)), width="stretch")


def _numeric(values: np.ndarray) -> np.ndarray:
    """Property values as numbers; nominal values become integer codes (for a rough correlation)."""
    if np.issubdtype(values.dtype, np.number):
        return values.astype(np.float64)
    return np.unique(values, return_inverse=True)[1].astype(np.float64)


def _attention(a: Answer, codec: Codec) -> None:
    st.header(t("attention_header"))
    enc_chars, dec_chars = _chars(a, codec)
    att = a.trace.attention  # (Td, Te)
    xs, ys = step_labels(enc_chars), step_labels(dec_chars)
    frame = charts.matrix_frame(att, xs, ys)
    with st.container(key="attention_chart"):
        st.altair_chart(charts.heatmap(frame, t("attention_x"), t("attention_y"), t("weight"), diverging=False,
                                       height=32 * len(ys)), width="stretch",
                        alt=t("alt_attention", what=t("attention_header"), pairs=charts.attention_pairs(att, xs, ys)))
        with st.expander(t("numbers")):
            st.dataframe(pd.DataFrame(att, index=ys, columns=xs).round(4), width="stretch")


HEAD_MAPS = ("cross", "encoder", "decoder")  # s2s.transformer.AttentionMaps, in the order the picker offers them
HEADS_PER_ROW = 2  # two maps a row: every character labelled, on a projector too


def _heads(a: Answer, codec: Codec) -> None:
    """A Transformer's attention, every head of one layer side by side: cross-attention (the decoder looking at
    the question, what the book's attention does), the encoder's and the decoder's self-attention."""
    st.header(t("heads_header"))
    maps = a.trace.maps
    st.session_state.setdefault("inside_heads_map", "cross")  # not default=: as the state control above
    # a row of its own, as the state control's: beside the layer picker its last option was cut off
    which = st.segmented_control(t("heads_which"), HEAD_MAPS, key="inside_heads_map",
                                 format_func=labels(HEAD_MAPS, "heads_map_"), **KEEP) or "cross"
    weights = getattr(maps, which)  # (L, heads, Tq, Tk)
    c1, c2 = st.columns(4)[:2]
    layer = c1.selectbox(t("heads_layer"), list(range(1, len(weights) + 1)), key="inside_heads_layer", **KEEP)
    # every head side by side (small multiples), or one of them large
    names = {0: t("heads_all"), **{k: t("head", k=k) for k in range(1, weights.shape[1] + 1)}}  # looked up now
    head = c2.selectbox(t("heads_pick"), list(names), key="inside_heads_pick", format_func=names.get, **KEEP)
    enc_chars, dec_chars = _chars(a, codec)
    rows, cols = {"cross": (dec_chars, enc_chars), "encoder": (enc_chars, enc_chars),
                  "decoder": (dec_chars, dec_chars)}[which]
    ys, xs = step_labels(rows), step_labels(cols)
    per_head = weights[min(layer, len(weights)) - 1]
    shown = range(len(per_head)) if not head or head > len(per_head) else [head - 1]
    per_row = HEADS_PER_ROW if len(shown) > 1 else 1
    for start in range(0, len(shown), per_row):
        for col, k in zip(st.columns(per_row), shown[start:start + per_row], strict=False):
            with col.container(key=f"head_{k}"):
                st.markdown(f"**{t('head', k=k + 1)}**")
                st.altair_chart(charts.heatmap(charts.matrix_frame(per_head[k], xs, ys), "", "", t("weight"),
                                               diverging=False, height=24 * len(ys)), width="stretch",
                                alt=t("alt_attention", what=t("head", k=k + 1),
                                      pairs=charts.attention_pairs(per_head[k], xs, ys)))
    with st.expander(t("numbers")):
        for k, w in enumerate(per_head):
            st.markdown(t("head", k=k + 1))
            st.dataframe(pd.DataFrame(w, index=ys, columns=xs).round(4), width="stretch")


def _peeky_context(a: Answer) -> None:
    st.header(t("peeky_header"))
    ctx = a.trace.context
    frame = pd.DataFrame({"x": [f"#{u}" for u in range(len(ctx))], "y": ["h"] * len(ctx), "value": ctx})
    lo, hi = charts.value_range(ctx)
    # a strip one row high: 40 px of cells, the units and the colour legend around them
    with st.container(key="peeky_chart"):
        st.altair_chart(charts.heatmap(frame, t("unit"), "", t("value"), diverging=True, height=40), width="stretch",
                        alt=t("alt_heatmap", what=t("peeky_header"), rows=1, cols=len(ctx), lo=lo, hi=hi))
    with st.expander(t("numbers")):
        st.dataframe(frame[["x", "value"]].rename(columns={"x": t("unit"), "value": t("value")}), hide_index=True)


def _stepper(a: Answer, codec: Codec) -> None:
    st.header(t("stepper_header"))
    enc_chars, dec_chars = _chars(a, codec)
    n = len(dec_chars)
    if st.session_state.get(keys.INSIDE_STEP, 1) > n:
        st.session_state[keys.INSIDE_STEP] = 1
    step = st.slider(t("decoder_step"), 1, n, key=keys.INSIDE_STEP, **KEEP) if n > 1 else 1
    i = step - 1
    s = a.steps[i]
    cols = st.columns(3 if a.trace.attention is not None else 2)
    col = 0
    if a.trace.attention is not None:
        labels = step_labels(enc_chars)
        row = a.trace.attention[i]
        frame = pd.DataFrame({"label": labels, "value": row, "highlight": row == row.max()})
        cols[0].markdown(f"**{t('attends_to')}**")
        cols[0].altair_chart(charts.bars(frame, t("weight"), t("attention_x")), width="stretch",
                             alt=_bars_alt(t("attends_to"), frame))
        col = 1
    # quoted, so that digit candidates stay labels (Vega would read "1" as a number)
    top = pd.DataFrame({"label": [f"'{_shown(c)}'" for c, _ in s.top], "value": [p for _, p in s.top],
                        "highlight": [j == 0 for j in range(len(s.top))]})
    cols[col].markdown(f"**{t('next_char')}**: `{_shown(s.char)}`")
    with cols[col].container(key="next_char_chart"):
        st.altair_chart(charts.bars(top, t("probability"), t("candidate")), width="stretch",
                        alt=_bars_alt(t("next_char"), top, percent=True))
    h = a.trace.decoder.h[i]
    units = np.argsort(-np.abs(h))[:12]
    hf = pd.DataFrame({"label": [f"#{u}" for u in units], "value": h[units], "highlight": h[units] > 0})
    cols[col + 1].markdown(f"**{t('hidden_now')}**")
    cols[col + 1].altair_chart(charts.bars(hf, t("value"), t("unit"), domain_max=None), width="stretch",
                               alt=_bars_alt(t("hidden_now"), hf))
    with st.expander(t("numbers")):
        frames = [top.rename(columns={"label": t("candidate"), "value": t("probability")}),
                  hf.rename(columns={"label": t("unit"), "value": t("value")})]
        if a.trace.attention is not None:
            frames.insert(0, frame.rename(columns={"label": t("attention_x"), "value": t("weight")}))
        for c, f in zip(st.columns(len(frames)), frames, strict=True):
            c.dataframe(f.drop(columns=["highlight"]), hide_index=True, width="stretch")


def _bars_alt(what: str, frame: pd.DataFrame, percent: bool = False) -> str:
    """A bar chart's text alternative: each label with its value, in the chart's order."""
    items = ", ".join(f"{label} {value:.1%}" if percent else f"{label} {value:+.2f}"
                      for label, value in zip(frame["label"], frame["value"], strict=True))
    return t("alt_variants", what=what, items=items)


def _map(picked: PickedModel, a: Answer, data: dict) -> None:
    st.header(t("map_header"))
    props = list(data["props"])
    if st.session_state.get(keys.INSIDE_COLOUR) not in props:
        st.session_state[keys.INSIDE_COLOUR] = props[0]
    prop = st.selectbox(t("colour_by"), props, key=keys.INSIDE_COLOUR, format_func=labels(props, "prop_"), **KEEP)
    p = data["pca"]
    coords = p.transform(data["final"])
    mine = p.transform(a.trace.encoder.h[-1][None, :])[0]
    values = data["props"][prop]
    typed_value = _typed_property(picked.task, a.question, prop, a.text)
    frame = pd.DataFrame({"pc1": coords[:, 0], "pc2": coords[:, 1], "colour": values,
                          "question": data["questions"], "answer": data["answers"], "mark": "held-out"})
    frame.loc[len(frame)] = {"pc1": mine[0], "pc2": mine[1], "colour": typed_value, "question": a.question,
                             "answer": a.text, "mark": "typed"}
    quantitative = PROPERTIES.get(picked.task, {}).get(prop, "quantitative") == "quantitative"
    x_title = t("pc", n=1, pct=f"{p.explained[0]:.0%}")
    y_title = t("pc", n=2, pct=f"{p.explained[1]:.0%}")
    with st.container(key="pca_chart"):
        st.altair_chart(charts.pca_map(frame, _prop_label(prop), quantitative, x_title, y_title, t("probe_q"),
                                       t("model_answer")), width="stretch",
                        alt=t("alt_map", what=t("map_header"), n=len(frame) - 1, prop=_prop_label(prop),
                              q=a.question, x=f"{mine[0]:.2f}", y=f"{mine[1]:.2f}"))
        with st.expander(t("numbers")):
            st.dataframe(frame, hide_index=True, width="stretch")


def _typed_property(task: str, question: str, prop: str, model_answer: str):
    if prop == "answer_length" and task not in PROPERTIES:
        return len(model_answer)
    try:
        return question_properties(task, [question])[prop][0]
    except (ValueError, KeyError, IndexError):
        return None


def _neurons(picked: PickedModel, data: dict) -> None:
    st.header(t("neuron_header"))
    H = picked.model.config.hidden_size
    default = int(unit_order(data["final"], "variance", k=1)[0])
    if not isinstance(st.session_state.get(keys.INSIDE_UNIT), int) or st.session_state[keys.INSIDE_UNIT] >= H:
        st.session_state[keys.INSIDE_UNIT] = default
    unit = st.number_input(t("neuron_unit"), 0, H - 1, key=keys.INSIDE_UNIT, **KEEP)
    chars = picked.codec.vocab.chars
    lines = []
    reverse = picked.model.config.reverse
    for a in data["traces"][:NEURON_QUESTIONS]:
        ids, vals = a.trace.input_ids, a.trace.encoder.h[:, unit]
        if reverse:  # show the question as written; each character keeps the value after reading it
            ids, vals = ids[::-1], vals[::-1]
        text = [chars[i] for i in ids]
        n = len("".join(text).rstrip(PAD))
        spans = "".join(_coloured(c, v) for c, v in zip(text[:n], vals[:n], strict=True))
        lines.append(f'<div style="font:1.3rem monospace;margin:2px 0">{spans}'
                     f'<span style="color:#666;font-size:1rem"> → {html.escape(a.text)}</span></div>')
    st.caption(t("neuron_note"))
    st.html(f'<div>{"".join(lines)}</div>')


def _coloured(c: str, v: float) -> str:
    """One character with a background from blue (-1) through white to orange (+1)."""
    v = float(np.clip(v, -1, 1))
    rgb = (230, 159, 0) if v > 0 else (0, 114, 178)
    alpha = abs(v)
    title = f"{v:+.3f}"
    return (f'<span title="{title}" style="background:rgba({rgb[0]},{rgb[1]},{rgb[2]},{alpha:.2f});'
            f'padding:0 2px">{html.escape(_shown(c))}</span>')
