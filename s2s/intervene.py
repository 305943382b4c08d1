"""Reaching inside a model while it decodes: one explicit Intervention passed to greedy decoding.

An Intervention names what to change, and decoding (``Seq2seq.generate(..., intervention=...)``) does
it where it computes that value, then goes on from the changed value:

- ``UnitEdit``: set chosen hidden (``h``) or cell (``c``, LSTM only) units of the encoder or the decoder
  to a value (0: zeroed, else clamped) at chosen time steps, right after the step computed them;
- ``GateEdit``: hold chosen units of a gate open (1) or shut (0) at chosen steps: the LSTM's forget,
  input and output gates, the GRU's update and reset gates;
- ``peek="zero"``: the Peeky decoder peeks at zeros instead of the encoder's h (it still starts from h);
- ``handover``: the encoder's final hidden state (what it hands to the decoder; in the attention model
  also the last state attention reads) replaced by another one, e.g. another question's;
- ``AttentionEdit``: at one decoder step the attention weights replaced by all weight on one input
  position (in the order the encoder read the question) or by equal weights everywhere.

An empty Intervention changes nothing: decoding with it is decoding without one, bit for bit. Nothing
here keeps state between decodings; the layers see an edit only through the ``at(t)`` of a side's
``SideEdit`` (an object with ``gates``, ``cell`` and ``hidden`` that change arrays in place).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SIDES = ("encoder", "decoder")
GATES = {"lstm": ("forget", "input", "output"), "gru": ("update", "reset")}


def _as_numbers(edit) -> None:
    """A unit or gate edit's fields as plain Python numbers (the widgets and NumPy give other types)."""
    object.__setattr__(edit, "units", tuple(int(u) for u in edit.units))
    object.__setattr__(edit, "steps", None if edit.steps is None else tuple(int(t) for t in edit.steps))
    object.__setattr__(edit, "value", float(edit.value))


@dataclass(frozen=True)
class UnitEdit:
    """Set `units` of state `state` ("h" or "c") of `side` to `value` at `steps` (None: every step).
    `rows` (start, stop) limits it to those examples of the batch (None: all): the ablation scan
    decodes one ablation per block of rows in a single batch."""

    side: str
    units: tuple[int, ...]
    state: str = "h"
    steps: tuple[int, ...] | None = None
    value: float = 0.0
    rows: tuple[int, int] | None = None

    def __post_init__(self):
        _as_numbers(self)


@dataclass(frozen=True)
class GateEdit:
    """Hold `units` of `gate` of `side` at `value` (1.0 open, 0.0 shut) at `steps` (None: every step)."""

    side: str
    gate: str
    units: tuple[int, ...]
    value: float = 1.0
    steps: tuple[int, ...] | None = None
    rows: tuple[int, int] | None = None

    def __post_init__(self):
        _as_numbers(self)


@dataclass(frozen=True)
class AttentionEdit:
    """At decoder step `step`, attention puts all its weight on input `position` (an index into the
    question as the encoder read it, reversed if the model reverses), or spreads it evenly (None)."""

    step: int
    position: int | None = None


@dataclass(frozen=True)
class Intervention:
    """Everything to change in one decoding; the default changes nothing."""

    units: tuple[UnitEdit, ...] = ()
    gates: tuple[GateEdit, ...] = ()
    peek: str = "keep"  # "keep" or "zero" (Peeky models)
    handover: np.ndarray | None = field(default=None, compare=False)  # (H,) or (N, H)
    attention: tuple[AttentionEdit, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.units or self.gates or self.attention or self.handover is not None or self.peek != "keep")

    def check(self, model, steps: dict[str, int] | None = None) -> None:
        """ValueError saying what does not fit `model` (units, steps, gates, kinds), in words.
        `steps` bounds the time steps of each side ({"encoder": Te, "decoder": Td}) when known."""
        config = model.config
        if config.kind == "transformer":
            if not self.empty:
                raise ValueError("interventions work on the recurrent models (plain, Peeky, attention), "
                                 "not on the Transformer")
            return
        H, cell = config.hidden_size, config.cell
        steps = steps or {}

        def check_common(what: str, side: str, units, step_list) -> None:
            if side not in SIDES:
                raise ValueError(f"{what}: side must be 'encoder' or 'decoder', not {side!r}")
            bad = [u for u in units if not 0 <= u < H]
            if bad or not units:
                raise ValueError(f"{what}: units must be 0-{H - 1} and at least one, not {list(units)}")
            limit = steps.get(side)
            if step_list is not None and limit is not None:
                wrong = [t for t in step_list if not 0 <= t < limit]
                if wrong:
                    raise ValueError(f"{what}: the {side} has steps 0-{limit - 1}, not {wrong}")

        for e in self.units:
            check_common("unit edit", e.side, e.units, e.steps)
            if e.state not in ("h", "c"):
                raise ValueError(f"unit edit: state must be 'h' (hidden) or 'c' (cell), not {e.state!r}")
            if e.state == "c" and cell != "lstm":
                raise ValueError("unit edit: a GRU has no cell state c; edit its hidden state h")
            if not np.isfinite(e.value):
                raise ValueError(f"unit edit: the value must be a finite number, not {e.value}")
        for e in self.gates:
            check_common("gate edit", e.side, e.units, e.steps)
            if e.gate not in GATES[cell]:
                raise ValueError(f"gate edit: the {cell.upper()}'s gates are {', '.join(GATES[cell])}, "
                                 f"not {e.gate!r}")
            if not 0.0 <= e.value <= 1.0:
                raise ValueError(f"gate edit: a gate is between 0 (shut) and 1 (open), not {e.value}")
        if self.peek not in ("keep", "zero"):
            raise ValueError(f"peek must be 'keep' or 'zero', not {self.peek!r}")
        if self.peek == "zero" and config.kind != "peeky":
            raise ValueError("only a Peeky decoder peeks at the encoder's state; this model is "
                             f"{config.kind!r}")
        if self.handover is not None and np.shape(self.handover)[-1:] != (H,):
            raise ValueError(f"the handed-over state must have {H} units, not shape {np.shape(self.handover)}")
        if self.attention and config.kind != "attention":
            raise ValueError(f"only the attention model has attention weights to edit; this model is {config.kind!r}")
        for e in self.attention:
            limit = steps.get("decoder")
            if limit is not None and not 0 <= e.step < limit:
                raise ValueError(f"attention edit: the decoder has steps 0-{limit - 1}, not {e.step}")
            width = steps.get("encoder")
            if e.position is not None and width is not None and not 0 <= e.position < width:
                raise ValueError(f"attention edit: the question has positions 0-{width - 1}, not {e.position}")

    def side(self, side: str) -> SideEdit | None:
        """The edits of one side as the layers apply them, or None when it has none (the plain path)."""
        units = tuple(e for e in self.units if e.side == side)
        gates = tuple(e for e in self.gates if e.side == side)
        return SideEdit(units, gates) if units or gates else None

    def hand_over(self, enc: np.ndarray) -> np.ndarray:
        """What the encoder hands to the decoder, with the final state replaced if asked: enc (N, H), or the
        attention encoder's (N, Te, H) whose last state is the decoder's start."""
        if self.handover is None:
            return enc
        out = enc.copy()
        last = out if out.ndim == 2 else out[:, -1]
        last[...] = np.asarray(self.handover, enc.dtype)
        return out

    def peek_at(self, enc: np.ndarray) -> np.ndarray:
        """What a Peeky decoder peeks at: the encoder's h, or zeros when the peek is cut."""
        return np.zeros_like(enc) if self.peek == "zero" else enc

    def look(self, step: int, a: np.ndarray) -> np.ndarray:
        """The attention weights a (N, Te) of decoder step `step`, edited if an AttentionEdit names it."""
        for e in self.attention:
            if e.step == step:
                a = np.full_like(a, 1.0 / a.shape[1]) if e.position is None else np.zeros_like(a)
                if e.position is not None:
                    a[:, e.position] = 1.0
        return a


class SideEdit:
    """The unit and gate edits of one side; ``at(t)`` the ones of step t (None when there are none)."""

    def __init__(self, units: tuple[UnitEdit, ...], gates: tuple[GateEdit, ...]):
        self.units, self.gate_edits = units, gates

    def at(self, t: int) -> StepEdit | None:
        units = [e for e in self.units if e.steps is None or t in e.steps]
        gates = [e for e in self.gate_edits if e.steps is None or t in e.steps]
        return StepEdit(units, gates) if units or gates else None


def _rows(rows: tuple[int, int] | None) -> slice:
    return slice(None) if rows is None else slice(*rows)


class StepEdit:
    """The edits of one step. The layers call, in the order they compute: ``gates(name=array, ...)`` after
    the gates' activations, ``cell(c)`` after the new cell state, ``hidden(h)`` after the new hidden state;
    each changes its arrays (N, H) in place."""

    def __init__(self, units: list[UnitEdit], gates: list[GateEdit]):
        self.units, self.gate_edits = units, gates

    def gates(self, **named: np.ndarray) -> None:
        for e in self.gate_edits:
            named[e.gate][_rows(e.rows), list(e.units)] = e.value

    def _set(self, state: str, x: np.ndarray) -> None:
        for e in self.units:
            if e.state == state:
                x[_rows(e.rows), list(e.units)] = e.value

    def cell(self, c: np.ndarray) -> None:
        self._set("c", c)

    def hidden(self, h: np.ndarray) -> None:
        self._set("h", h)
