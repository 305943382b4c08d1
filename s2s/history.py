"""How answers form during training: snapshots of a few probe questions' greedy answers, their
top-5 candidates per step and (for attention) the attention matrix, every few iterations.

At most ``limit`` snapshots are kept. When the store is full, every other snapshot is dropped and
the interval between snapshots doubles, so the kept ones stay evenly spaced over the whole run and
memory stays bounded however long training goes on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from s2s.data import Codec
from s2s.models import Seq2seq

TOP_K = 5


@dataclass
class AnswerSnapshot:
    """The probes' answers at one iteration."""

    iteration: int
    epoch: float
    answers: list[str]
    top_ids: np.ndarray  # (P, Td, TOP_K) candidate ids per step, most probable first
    top_probs: np.ndarray  # (P, Td, TOP_K) float32
    attention: np.ndarray | None  # (P, Td, Te) float32, the encoder positions as the encoder read them


class AnswerHistory:
    """Snapshots of the probes' decoding, evenly thinned to at most `limit`."""

    def __init__(self, codec: Codec, questions: list[str], every: int = 10, limit: int = 200):
        if limit < 2 or every < 1:
            raise ValueError("a history needs a limit of at least 2 snapshots and an interval of at least 1")
        self.codec, self.questions = codec, list(questions)
        self.xs = codec.encode_questions(self.questions)
        self.every, self.limit = every, limit
        self.snapshots: list[AnswerSnapshot] = []
        self.inputs: list[list[str]] = []  # each probe's characters as the encoder read them (reversed or not)

    def due(self, iteration: int) -> bool:
        """Whether a snapshot is taken at this iteration."""
        return iteration % self.every == 0

    def record(self, model: Seq2seq, iteration: int, epoch: float) -> None:
        """Decode the probes now and keep the result (thinning the store when it is full)."""
        ids, trace = model.generate(self.xs, self.codec.vocab.start_id, self.codec.answer_width - 1, trace=True)
        if not self.inputs:
            self.inputs = [[self.codec.vocab.chars[i] for i in row] for row in trace.input_ids]
        order = np.argsort(-trace.probs, axis=2)[..., :TOP_K]
        snap = AnswerSnapshot(iteration, float(epoch), [self.codec.decode_answer(row) for row in ids],
                        order.astype(np.int16), np.take_along_axis(trace.probs, order, axis=2).astype(np.float32),
                        None if trace.attention is None else trace.attention.astype(np.float32))
        self.snapshots.append(snap)
        if len(self.snapshots) > self.limit:
            first = self.snapshots[0]
            # keep the snapshots on the doubled interval (and the very first one)
            self.every *= 2
            self.snapshots = [first] + [s for s in self.snapshots[1:] if s.iteration % self.every == 0]

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """(JSON-able values, arrays) to rebuild the snapshots with load_state: the arrays of all
        snapshots stacked (they share their shapes)."""
        snaps = self.snapshots
        meta = {"every": self.every, "inputs": self.inputs,
                "snapshots": [[s.iteration, s.epoch, s.answers] for s in snaps]}
        arrays = {}
        if snaps:
            arrays = {"top_ids": np.stack([s.top_ids for s in snaps]),
                      "top_probs": np.stack([s.top_probs for s in snaps])}
            if snaps[0].attention is not None:
                arrays["attention"] = np.stack([s.attention for s in snaps])
        return meta, arrays

    def load_state(self, meta: dict, arrays: dict[str, np.ndarray]) -> None:
        """Replace the snapshots by those of state(). KeyError, TypeError or ValueError if they do not fit."""
        rows = meta["snapshots"]
        ids, probs = (arrays.get(k, np.zeros((0,))) for k in ("top_ids", "top_probs"))
        attention = arrays.get("attention")
        if len(ids) != len(rows) or len(probs) != len(rows) or (attention is not None and len(attention) != len(rows)):
            raise ValueError("the saved answer history's arrays and snapshots do not match")
        self.every, self.inputs = int(meta["every"]), [list(map(str, row)) for row in meta["inputs"]]
        self.snapshots = [AnswerSnapshot(int(it), float(ep), [str(a) for a in answers], ids[k], probs[k],
                                         None if attention is None else attention[k])
                          for k, (it, ep, answers) in enumerate(rows)]

    def nbytes(self) -> int:
        """Memory held by the snapshots' arrays."""
        return sum(s.top_ids.nbytes + s.top_probs.nbytes + (0 if s.attention is None else s.attention.nbytes)
                   for s in self.snapshots)
