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
once; the decoder scan computes the encoder once and repeats its output. A model that reverses its input
reads a question's padding first (dates: 29 characters wide, 14 of them real on average): every question
with at least p pads has the same first p encoder states within one ablation, so the encoder scan computes
those once per ablation and starts each question's encoder after its pads (``_encode_after_padding``),
about half of the date encoder's work. Each row of a batch is computed by the same equations whatever the
other rows hold, so an ablation decoded in a block gives the answers it gives decoded alone
(tests/test_ablation.py checks it): a matrix product of another size may round differently in the last
bit, which could change an answer only where two scores tie to that bit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from s2s.analysis import BREAKDOWNS, question_properties
from s2s.data import PAD, Dataset
from s2s.intervene import SIDES, Intervention, UnitEdit
from s2s.models import Seq2seq

# Rows (questions x ablations) decoded in one generate call by default: large enough that the matrix
# products run at full speed (8 ablations of 1,000 questions a call were slower than 1 or 2), small enough
# that one call's buffers stay near 200 MB even when the date task's 29 encoder steps are decoded in full
# (benchmarks/README.md, "Which units matter", has the figures).
CHUNK_ROWS = 2048


@dataclass
class _Tally:
    """Questions answered right with every unit, and with each unit j zeroed in turn."""

    n: int
    base_right: int
    right: np.ndarray  # (H,) right with unit j zeroed

    @property
    def base(self) -> float:
        """Exact-match accuracy with every unit."""
        return self.base_right / self.n if self.n else 0.0

    @property
    def accuracy(self) -> np.ndarray:
        """(H,) exact-match accuracy with unit j zeroed."""
        return self.right / self.n if self.n else np.zeros(len(self.right))

    @property
    def cost(self) -> np.ndarray:
        """(H,) accuracy lost by zeroing unit j: base - accuracy (negative: the unit's absence helps)."""
        return self.base - self.accuracy

    @property
    def ranking(self) -> np.ndarray:
        """Units, the most costly first (ties in unit order)."""
        return rank(self.cost)


@dataclass
class UnitGroup(_Tally):
    """The questions sharing one value of a property."""

    value: object = None


@dataclass
class Scan(_Tally):
    """One side's ablation scan: accuracy with every unit and with each unit zeroed, overall and by property."""

    side: str = "encoder"  # or "decoder"
    groups: dict[str, list[UnitGroup]] = field(default_factory=dict)  # property -> one group per value

    @property
    def hidden_size(self) -> int:
        return len(self.right)

    def group(self, prop: str, value) -> UnitGroup:
        """The group of questions whose property `prop` has `value` (KeyError if there is none)."""
        for g in self.groups.get(prop, []):
            if g.value == value:
                return g
        raise KeyError(f"no questions with {prop} = {value!r}")


def rank(cost: np.ndarray) -> np.ndarray:
    """Indices ordering `cost` from the largest down; equal costs keep the order of the units."""
    return np.argsort(-np.asarray(cost), kind="stable")


def _edits(side: str, units, rows: int) -> Intervention:
    """Unit units[b] of `side` zeroed at every step in block b of `rows` rows."""
    return Intervention(units=tuple(UnitEdit(side, (j,), rows=(b * rows, (b + 1) * rows)) for b, j in enumerate(units)))


def _leading_pads(xr: np.ndarray, pad_id: int) -> np.ndarray:
    """(N,) how many pads each question (as the encoder reads it, xr (N, Te)) starts with."""
    real = xr != pad_id
    return np.where(real.any(axis=1), real.argmax(axis=1), xr.shape[1])


def _encode_after_padding(model: Seq2seq, xr: np.ndarray, pads: np.ndarray, pad_id: int, units) -> np.ndarray:
    """What the encoder hands the decoder, (k N, H) or the attention encoder's (k N, Te, H), with unit
    units[b] zeroed in block b, computed as the plain encoder would: the states after p pads, the same for
    every question with p pads or more, once per ablation (k rows), then each group of questions with p pads
    from there, its first p states those shared ones. xr (N, Te) the questions as read."""
    encoder, rnn = model.encoder, model.encoder.rnn
    k, (N, Te) = len(units), xr.shape
    most = int(pads.max())
    rnn.forward(encoder.embed.forward(np.full((k, most), pad_id, xr.dtype)), edit=_edits("encoder", units, 1).side(
        "encoder"))
    record = rnn.record()  # (k, most, H) each: the states after 1, 2, ... pads, per ablation
    h_pad, c_pad = record.h, getattr(record, "c", None)
    attention = model.kind == "attention"
    out = np.empty((k, N, Te, rnn.params["Wh"].shape[0]) if attention else (k, N, rnn.params["Wh"].shape[0]),
                   h_pad.dtype)
    for p in np.unique(pads):
        rows = np.flatnonzero(pads == p)
        R = len(rows)
        if p == Te:  # nothing but pads: the shared states are the question's
            out[:, rows] = h_pad[:, None] if attention else h_pad[:, None, -1]
            continue
        if p:  # start after the p pads from the state they leave, block b from ablation b's
            rnn.set_state(np.repeat(h_pad[:, p - 1], R, axis=0),
                          None if c_pad is None else np.repeat(c_pad[:, p - 1], R, axis=0))
        hs = rnn.forward(encoder.embed.forward(np.tile(xr[rows, p:], (k, 1))),
                         edit=_edits("encoder", units, R).side("encoder")).reshape(k, R, Te - p, -1)
        if attention:
            out[:, rows, :p] = h_pad[:, None, :p]
            out[:, rows, p:] = hs
        else:
            out[:, rows] = hs[:, :, -1]
    return out.reshape((k * N,) + out.shape[2:])


def _decode_rows(model: Seq2seq, side: str, xs: np.ndarray, enc, start_id: int, steps: int, units,
                 pads: np.ndarray | None, pad_id: int) -> np.ndarray:
    """Greedy answers (k * N, steps) of the questions repeated k times, unit units[b] of `side` zeroed in
    block b. The decoder side decodes from the encoder's output `enc`, computed once for all blocks (no
    encoder edit changes it); the encoder side, given `pads` (leading pads per question), encodes after them."""
    k = len(units)
    iv = _edits(side, units, len(xs))
    if side == "encoder" and pads is None:
        return model.generate(np.tile(xs, (k, 1)), start_id, steps, intervention=iv)
    iv.check(model, {"encoder": xs.shape[1], "decoder": steps})
    if side == "encoder":
        enc, iv = _encode_after_padding(model, model.read(xs), pads, pad_id, units), None
    else:
        enc = np.tile(enc, (k,) + (1,) * (enc.ndim - 1))  # (k N, H), or the attention encoder's (k N, Te, H)
    ids, _ = model.decoder.generate(enc, start_id, steps, intervention=iv)
    return ids


# How a scan's batches are decoded: (model, decode(model, units) -> ids, batches) -> the ids of each batch, in
# order. Decoding keeps state in the layers, so concurrent calls must each get a model of their own.
MapBatches = Callable[[Seq2seq, Callable[[Seq2seq, range], np.ndarray], list[range]], Iterable[np.ndarray]]


def in_turn(model: Seq2seq, decode: Callable[[Seq2seq, range], np.ndarray],
            batches: list[range]) -> Iterator[np.ndarray]:
    """The batches decoded one after another with `model` (scan's default)."""
    return (decode(model, units) for units in batches)


def scan(model: Seq2seq, data: Dataset, task: str | None, side: str = "encoder", chunk: int | None = None,
         progress: Callable[[int, int], None] | None = None, share_padding: bool = True,
         map_batches: MapBatches | None = None) -> Scan:
    """Zero each unit of `side` ("encoder" or "decoder") in turn at every step and score greedy decoding
    of `data` (exact match); by each property of BREAKDOWNS[task] too (none for a task without, or None).

    `chunk`: ablations decoded in one batch (default: as many as fit CHUNK_ROWS rows, at least one).
    `progress(done, total)` is called after each batch with the units scanned so far and H.
    `share_padding`: compute the encoder states of leading pads once per ablation (see the module's notes);
    False decodes every row in full (the same answers, slower; for tests and benchmarks).
    `map_batches(model, decode, batches)`: how the batches are decoded, their results in order (default
    one after another in this thread; s2s.fast.threads.on_every_core decodes them on every core).
    `progress` is called from this thread.
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
    pad_id = data.codec.vocab.char_to_id[PAD]
    pads = _leading_pads(model.read(xs), pad_id) if side == "encoder" and share_padding else None
    if pads is not None and not pads.any():
        pads = None  # nothing to share (a model reading its input forwards meets the padding last)
    batches = [range(first, min(first + k_max, H)) for first in range(0, H, k_max)]

    def decode(m: Seq2seq, units: range) -> np.ndarray:
        return _decode_rows(m, side, xs, enc, start_id, steps, units, pads, pad_id)

    done = 0
    for units, ids in zip(batches, (map_batches or in_turn)(model, decode, batches), strict=True):
        right[units.start:units.stop] = (ids.reshape(len(units), N, steps) == target).all(axis=2)
        done += len(units)
        if progress is not None:
            progress(done, H)
    groups = {}
    names = BREAKDOWNS.get(task, ()) if task else ()
    if names:
        props = question_properties(task, data.questions(), names)
        for name in names:
            values = props[name]
            groups[name] = [UnitGroup(int(m.sum()), int(base_right[m].sum()), right[:, m].sum(axis=1),
                                      value=v.item() if hasattr(v, "item") else v)
                            for v in np.unique(values) for m in [values == v]]
    return Scan(N, int(base_right.sum()), right.sum(axis=1), side=side, groups=groups)
