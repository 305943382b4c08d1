"""Answering typed questions: validation, greedy decoding with a trace, top candidates per step.

Used by the ``s2s.decode`` command and by the app; returns plain dataclasses and arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from s2s.data import PAD, Codec
from s2s.intervene import Intervention
from s2s.layers import GRURecord, LSTMRecord, log_softmax
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


def read_question(codec: Codec, text: str) -> str:
    """A typed question as the model reads it: NFKC-normalised (full-width input works), and where the
    questions hold no spaces (addition, the warm-ups) every space removed, so ``12 + 34`` is ``12+34``.
    Raises QueryError for a question that cannot be encoded (empty, unknown characters, too long)."""
    q = codec.normalize(text)  # U+3000, the ideographic space, is now ' '
    if " " not in codec.query_chars:
        q = q.replace(" ", "")  # only spaces: a tab or a newline is still refused with its code point
    return codec.validate(q)


def _pick(rec: LSTMRecord | GRURecord, i: int) -> LSTMRecord | GRURecord:
    """Example i of a record of a batch (an LSTM's or a GRU's)."""
    return type(rec)(**{k: v[i] for k, v in vars(rec).items()})


def answer(model: Seq2seq, codec: Codec, questions: list[str], top_k: int = 5,
           intervention: Intervention | None = None) -> list[Answer]:
    """Decode already validated questions in one batch; each Answer holds its own (T, ...) trace.
    `intervention` (s2s.intervene) changes the decoding as it names (None or an empty one: nothing); one that
    does not fit the model raises its ValueError."""
    if not questions:
        return []
    xs = codec.encode_questions(questions)
    ids, tr = model.generate(xs, codec.vocab.start_id, codec.answer_width - 1, trace=True, intervention=intervention)
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
            maps=None if tr.maps is None else type(tr.maps)(**{k: v[:, i] for k, v in vars(tr.maps).items()}),
        )
        out.append(Answer(q, codec.decode_answer(ids[i]), steps, one))
    return out


def _next_log_probs(model: Seq2seq, xs: np.ndarray, prefixes: np.ndarray) -> np.ndarray:
    """Log-probabilities (B, V) of the character after each prefix: prefixes (B, t) start with '_'
    and are fed to the decoder as during training, so any prefix can be scored, chosen or not."""
    return log_softmax(model.scores(np.repeat(xs, len(prefixes), axis=0), prefixes)[:, -1])


def decode_from(model: Seq2seq, codec: Codec, question: str, prefix: str, top_k: int = 5) -> list[Step]:
    """What if the decoder had written `prefix` first? The steps of the answer that begins with the
    forced prefix and goes on greedily; each step keeps its probability under the model and its top
    candidates. With an empty prefix this is the greedy answer."""
    steps_total = codec.answer_width - 1
    if len(prefix) > steps_total:
        raise ValueError(f"the forced prefix is longer than an answer ({steps_total} characters)")
    unknown = [c for c in prefix if c not in codec.vocab.char_to_id]
    if unknown:
        raise ValueError(f"the forced prefix has characters outside the vocabulary: {unknown!r}")
    chars = codec.vocab.chars
    xs = codec.encode_questions([question])
    ids = [codec.vocab.start_id]
    steps = []
    for t in range(steps_total):
        logp = _next_log_probs(model, xs, np.array([ids]))[0]
        probs = np.exp(logp)
        j = codec.vocab.char_to_id[prefix[t]] if t < len(prefix) else int(probs.argmax())
        order = np.argsort(-probs)[:top_k]
        steps.append(Step(chars[j], float(probs[j]), [(chars[k], float(probs[k])) for k in order]))
        ids.append(j)
    return steps


@dataclass
class Beam:
    """One finished hypothesis of beam search."""

    text: str  # the answer without padding
    log_prob: float  # sum of the steps' log-probabilities
    steps: list[tuple[str, float]]  # each step's character and its probability
    parent_ranks: list[int]  # for each step, the rank of the beam it extended at that step (a tree)


def beam_search(model: Seq2seq, codec: Codec, question: str, width: int = 5) -> list[Beam]:
    """Beam search of the given width over the fixed-length answer; beams best first. Width 1 is the
    greedy answer. Ties are broken by the characters' ids, so the result is deterministic."""
    if width < 1:
        raise ValueError("the beam width must be at least 1")
    xs = codec.encode_questions([question])
    V = len(codec.vocab)
    # each beam: ids (with '_'), total log-probability, per-step log-probabilities, parent ranks
    beams: list[tuple[list[int], float, list[float], list[int]]] = [([codec.vocab.start_id], 0.0, [], [])]
    for _ in range(codec.answer_width - 1):
        logp = _next_log_probs(model, xs, np.array([b[0] for b in beams]))  # (B, V)
        total = np.array([b[1] for b in beams])[:, None] + logp
        flat = total.ravel()
        order = np.lexsort((np.arange(flat.size), -flat))[:width]
        beams = [(beams[i][0] + [j], float(flat[k]), beams[i][2] + [float(logp[i, j])], beams[i][3] + [i])
                 for k in order for i, j in [divmod(int(k), V)]]
    chars = codec.vocab.chars
    return [Beam(codec.decode_answer(ids[1:]), score, [(chars[j], float(np.exp(lp))) for j, lp in
                                                       zip(ids[1:], step_lp, strict=True)], parents)
            for ids, score, step_lp, parents in beams]


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
