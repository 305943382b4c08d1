"""Answering typed questions: validation, greedy decoding with a trace, top candidates per step.

Used by the ``s2s.decode`` command and by the app; returns plain dataclasses and arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from s2s.data import PAD, Codec
from s2s.layers import LSTMRecord
from s2s.models import Seq2seq, Trace


@dataclass
class Step:
    """One decoder step: the chosen character, its probability, and the top candidates."""

    char: str
    prob: float
    top: list[tuple[str, float]]


@dataclass
class Answer:
    """A decoded answer with its steps and the trace of this one example."""

    question: str
    text: str
    steps: list[Step]
    trace: Trace


def _pick(rec: LSTMRecord, i: int) -> LSTMRecord:
    return LSTMRecord(**{k: v[i] for k, v in vars(rec).items()})


def answer(model: Seq2seq, codec: Codec, questions: list[str], top_k: int = 5) -> list[Answer]:
    """Decode already validated questions in one batch; each Answer holds its own (T, ...) trace."""
    if not questions:
        return []
    xs = codec.encode_questions(questions)
    ids, tr = model.generate(xs, codec.vocab.start_id, codec.answer_width - 1, trace=True)
    chars = codec.vocab.chars
    out = []
    for i, q in enumerate(questions):
        probs = tr.probs[i]  # (Td, V)
        order = np.argsort(-probs, axis=1)[:, :top_k]
        steps = [Step(chars[ids[i, t]], float(probs[t, ids[i, t]]),
                      [(chars[j], float(probs[t, j])) for j in order[t]]) for t in range(ids.shape[1])]
        one = Trace(
            input_ids=tr.input_ids[i], output_ids=ids[i], encoder=_pick(tr.encoder, i), decoder=_pick(tr.decoder, i),
            probs=probs, attention=None if tr.attention is None else tr.attention[i],
            context=None if tr.context is None else tr.context[i],
        )
        out.append(Answer(q, codec.decode_answer(ids[i]), steps, one))
    return out


def answer_to_json(a: Answer, codec: Codec) -> dict:
    """An Answer as JSON-ready lists (states rounded to 5 decimals)."""
    def arr(x):
        return None if x is None else np.round(np.asarray(x, np.float64), 5).tolist()

    chars = codec.vocab.chars
    t = a.trace
    return {
        "question": a.question,
        "answer": a.text,
        "steps": [{"char": s.char, "prob": round(s.prob, 6), "top": [[c, round(p, 6)] for c, p in s.top]}
                  for s in a.steps],
        "trace": {
            "encoder_input": [chars[i] for i in t.input_ids],
            "decoder_output": [chars[i] for i in t.output_ids],
            "encoder": {k: arr(v) for k, v in vars(t.encoder).items()},
            "decoder": {k: arr(v) for k, v in vars(t.decoder).items()},
            "probs": arr(t.probs),
            "attention": arr(t.attention),
            "context": arr(t.context),
            "vocab": "".join(chars),
            "pad": PAD,
        },
    }
