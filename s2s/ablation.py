"""Which units matter: an ablation scan.

An ablation silences one hidden unit and measures what the model can still do. The scan ablates every
unit of one side (the encoder or the decoder) in turn, decodes the held-out questions greedily each
time, and ranks the units by the exact-match accuracy they cost: the accuracy with every unit minus the
accuracy without unit j. It does so overall and for each value of the properties the error analysis
breaks accuracy down by (``s2s.analysis.BREAKDOWNS``: carries and answer length for addition, the
written form and the month for dates), so that a unit needed only for carries shows up there.

Why zeroing h at every step removes a unit's whole influence. Everything a recurrent unit j tells the
rest of the model goes through its hidden state h_j: the next step's gates read it through Wh, the
decoder starts from the encoder's last h, a Peeky decoder peeks at that h, attention reads every h of
the encoder, and the decoder's scores read its own h. An LSTM's cell state c_j never leaves the unit:
it only reaches the world as h_j = o_j * tanh(c_j), and the decoder starts its cell at zero, not at the
encoder's c. So with h_j set to 0 right after every step computes it (``s2s.intervene.UnitEdit``), no
other unit and no output ever sees unit j, as if its outgoing weights were zero. A GRU has only h.

The decoder side zeroes what decoder unit j computes at every decoder step. The state the decoder is
handed before its first step (the encoder's last h, whose j-th value is encoder unit j's) still enters
that first step: it is the encoder's unit's influence, which the encoder scan measures.

Speed: ablations are batched. The questions are repeated K times in one batch and block k of N rows gets
its own edit (``UnitEdit(..., rows=(k * N, (k + 1) * N))``), so one ``generate`` decodes K ablations at
once; the decoder scan computes the encoder once and repeats its output. Each row of a batch is computed
by the same equations whatever the other rows hold, so an ablation decoded in a block gives the answers
it gives decoded alone (tests/test_ablation.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from s2s.analysis import BREAKDOWNS, question_properties
from s2s.data import Dataset
from s2s.intervene import SIDES, Intervention, UnitEdit
from s2s.models import Seq2seq

# Rows (questions x ablations) decoded in one generate call by default: large enough that the matrix
# products run at full speed, small enough that one call's buffers stay within ~100 MB for the date task's
# 29 encoder steps (benchmarks/README.md, "Ablation scan", has the figures).
CHUNK_ROWS = 2048


@dataclass
class UnitGroup:
    """The questions sharing one value of a property: how many, and how many each ablation still gets right."""

    value: object
    n: int
    base_right: int  # right with every unit
    right: np.ndarray  # (H,) right with unit j zeroed

    @property
    def base(self) -> float:
        return self.base_right / self.n if self.n else 0.0

    @property
    def accuracy(self) -> np.ndarray:
        """(H,) exact-match accuracy with unit j zeroed."""
        return self.right / self.n if self.n else np.zeros(len(self.right))

    @property
    def cost(self) -> np.ndarray:
        """(H,) accuracy lost by zeroing unit j (negative: the unit's absence helps)."""
        return self.base - self.accuracy

    def ranking(self) -> np.ndarray:
        return rank(self.cost)


@dataclass
class Scan:
    """One side's ablation scan: accuracy with every unit and with each unit zeroed, overall and by property."""

    side: str  # "encoder" or "decoder"
    n: int  # questions
    base_right: int
    right: np.ndarray  # (H,) questions answered right with unit j zeroed
    groups: dict[str, list[UnitGroup]] = field(default_factory=dict)  # property -> one group per value

    @property
    def hidden_size(self) -> int:
        return len(self.right)

    @property
    def base(self) -> float:
        """Exact-match accuracy with every unit."""
        return self.base_right / self.n

    @property
    def accuracy(self) -> np.ndarray:
        """(H,) exact-match accuracy with unit j zeroed."""
        return self.right / self.n

    @property
    def cost(self) -> np.ndarray:
        """(H,) accuracy lost by zeroing unit j: base - accuracy."""
        return self.base - self.accuracy

    @property
    def ranking(self) -> np.ndarray:
        """Units, the most costly first (ties in unit order)."""
        return rank(self.cost)

    def group(self, prop: str, value) -> UnitGroup:
        """The group of questions whose property `prop` has `value` (KeyError if there is none)."""
        for g in self.groups.get(prop, []):
            if g.value == value:
                return g
        raise KeyError(f"no questions with {prop} = {value!r}")


def rank(cost: np.ndarray) -> np.ndarray:
    """Indices ordering `cost` from the largest down; equal costs keep the order of the units."""
    return np.argsort(-np.asarray(cost), kind="stable")


def _decode_rows(model: Seq2seq, side: str, xs: np.ndarray, enc, start_id: int, steps: int, k: int,
                 iv: Intervention) -> np.ndarray:
    """Greedy answers (k * N, steps) of the questions repeated k times, edited by `iv`. The decoder side
    decodes from the encoder's output `enc`, computed once for all blocks (no encoder edit changes it)."""
    if side == "encoder":
        return model.generate(np.tile(xs, (k, 1)), start_id, steps, intervention=iv)
    iv.check(model, {"encoder": xs.shape[1], "decoder": steps})
    reps = (k,) + (1,) * (enc.ndim - 1)  # (k N, H), or the attention encoder's (k N, Te, H)
    ids, _ = model.decoder.generate(np.tile(enc, reps), start_id, steps, intervention=iv)
    return ids


def scan(model: Seq2seq, data: Dataset, task: str | None, side: str = "encoder", chunk: int | None = None,
         progress: Callable[[int, int], None] | None = None) -> Scan:
    """Zero each unit of `side` ("encoder" or "decoder") in turn at every step and score greedy decoding
    of `data` (exact match); by each property of BREAKDOWNS[task] too (none for a task without, or None).

    `chunk`: ablations decoded in one batch (default: as many as fit CHUNK_ROWS rows, at least one).
    `progress(done, total)` is called after each batch with the units scanned so far and H.
    ValueError for the Transformer (no recurrent units), an unknown side or no questions."""
    config = model.config
    if config.kind == "transformer":
        raise ValueError("the ablation scan zeroes recurrent units (LSTM or GRU) of the plain, Peeky and "
                         "attention models; a Transformer has no such units")
    if side not in SIDES:
        raise ValueError(f"side must be 'encoder' or 'decoder', not {side!r}")
    N, H = len(data), config.hidden_size
    if N == 0:
        raise ValueError("the ablation scan needs at least one question")
    xs, target = np.asarray(data.xs), data.ts[:, 1:]
    steps, start_id = target.shape[1], data.codec.vocab.start_id
    k_max = max(1, int(chunk) if chunk else CHUNK_ROWS // N)
    enc = model.encoder.forward(model.read(xs)).copy() if side == "decoder" else None
    base_ids = model.generate(xs, start_id, steps)
    base_right = (base_ids == target).all(axis=1)  # (N,)
    right = np.zeros((H, N), bool)  # right[j, i]: question i answered right with unit j zeroed
    for first in range(0, H, k_max):
        units = range(first, min(first + k_max, H))
        iv = Intervention(units=tuple(UnitEdit(side, (j,), rows=(b * N, (b + 1) * N)) for b, j in enumerate(units)))
        ids = _decode_rows(model, side, xs, enc, start_id, steps, len(units), iv)
        right[first:units.stop] = (ids.reshape(len(units), N, steps) == target).all(axis=2)
        if progress is not None:
            progress(units.stop, H)
    groups = {}
    names = BREAKDOWNS.get(task, ()) if task else ()
    if names:
        props = question_properties(task, data.questions(), names)
        for name in names:
            values = props[name]
            groups[name] = [UnitGroup(v.item() if hasattr(v, "item") else v, int(m.sum()), int(base_right[m].sum()),
                                      right[:, m].sum(axis=1))
                            for v in np.unique(values) for m in [values == v]]
    return Scan(side, N, int(base_right.sum()), right.sum(axis=1), groups)
