"""Interventions (s2s.intervene): an empty one is plain decoding bit for bit, and each kind changes what it
names, where it names it, and nothing computed before it."""

from __future__ import annotations

import numpy as np
import pytest

from s2s.checkpoint import load_checkpoint
from s2s.intervene import AttentionEdit, GateEdit, Intervention, UnitEdit
from s2s.models import ModelConfig, build_model

V, TE, TD = 13, 6, 4
KINDS = [(k, c) for k in ("seq2seq", "peeky", "attention") for c in ("lstm", "gru")]


def _model(kind: str, cell: str, H: int = 8):
    # forget_bias 1 and a generator seed per kind: weights far from zero, so that edits show in the answers
    cfg = ModelConfig(kind=kind, cell=cell, vocab_size=V, wordvec_size=5, hidden_size=H, forget_bias=1.0)
    return build_model(cfg, np.random.default_rng(7), np.float64)


def _xs(n: int = 5, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, V, size=(n, TE))


def _run(model, xs, iv=None):
    return model.generate(xs, 0, TD, trace=True, intervention=iv)


def _same_trace(a, b) -> None:
    for name in ("input_ids", "output_ids", "probs", "attention", "context"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert np.array_equal(x, y), name
    for side in ("encoder", "decoder"):
        for k, v in vars(getattr(a, side)).items():
            assert np.array_equal(v, getattr(getattr(b, side), k)), (side, k)


@pytest.mark.parametrize("kind,cell", KINDS)
def test_an_empty_intervention_is_plain_decoding_bit_for_bit(kind, cell):
    model, xs = _model(kind, cell), _xs()
    ids, tr = _run(model, xs)
    for iv in (Intervention(), Intervention(peek="keep")):
        ids2, tr2 = _run(model, xs, iv)
        assert np.array_equal(ids, ids2)
        _same_trace(tr, tr2)
    assert np.array_equal(model.generate(xs, 0, TD), model.generate(xs, 0, TD, intervention=Intervention()))


def test_an_empty_intervention_on_shipped_models_and_the_transformer():
    for name in ("addition_peeky", "date_attention", "addition_transformer"):
        ck = load_checkpoint(f"weights/{name}.npz")
        q = "16+75" if name.startswith("addition") else "september 27, 1994"
        xs = ck.codec.encode_questions([q])
        n = ck.codec.answer_width - 1
        ids, tr = ck.model.generate(xs, ck.codec.vocab.start_id, n, trace=True)
        ids2, tr2 = ck.model.generate(xs, ck.codec.vocab.start_id, n, trace=True, intervention=Intervention())
        assert np.array_equal(ids, ids2) and np.array_equal(tr.probs, tr2.probs)


@pytest.mark.parametrize("kind,cell", KINDS)
@pytest.mark.parametrize("side", ["encoder", "decoder"])
def test_a_hidden_unit_edit_sets_those_units_at_those_steps_only(kind, cell, side):
    model, xs = _model(kind, cell), _xs()
    _, plain = _run(model, xs)
    t, units, value = 2, (1, 5), 0.75
    _, tr = _run(model, xs, Intervention(units=(UnitEdit(side, units, steps=(t,), value=value),)))
    rec, before = getattr(tr, side), getattr(plain, side)
    assert np.all(rec.h[:, t, list(units)] == value)
    others = [u for u in range(8) if u not in units]
    assert np.array_equal(rec.h[:, t, others], before.h[:, t, others])  # computed before the edit
    assert np.array_equal(rec.h[:, :t], before.h[:, :t])
    assert not np.array_equal(rec.h[:, t + 1], before.h[:, t + 1])  # the next step reads the edited state
    if side == "decoder":
        assert np.array_equal(tr.probs[:, :t], plain.probs[:, :t])
        assert not np.array_equal(tr.probs[:, t], plain.probs[:, t])  # the step's scores read the edited h
        assert np.array_equal(tr.encoder.h, plain.encoder.h)


@pytest.mark.parametrize("kind", ["seq2seq", "peeky", "attention"])
def test_a_cell_edit_feeds_that_steps_hidden_state(kind):
    model, xs = _model(kind, "lstm"), _xs()
    _, plain = _run(model, xs)
    t = 1
    _, tr = _run(model, xs, Intervention(units=(UnitEdit("encoder", (3,), state="c", steps=(t,), value=-2.0),)))
    enc, before = tr.encoder, plain.encoder
    assert np.all(enc.c[:, t, 3] == -2.0)
    assert np.allclose(enc.h[:, t, 3], enc.output[:, t, 3] * np.tanh(-2.0))
    assert np.array_equal(enc.c[:, t, :3], before.c[:, t, :3]) and np.array_equal(enc.c[:, :t], before.c[:, :t])
    assert np.array_equal(enc.output[:, t], before.output[:, t])  # the gates came before the cell


@pytest.mark.parametrize("gate,value", [("forget", 1.0), ("input", 0.0), ("output", 0.0)])
def test_an_lstm_gate_is_held_open_or_shut(gate, value):
    model, xs = _model("peeky", "lstm"), _xs()
    _, plain = _run(model, xs)
    _, tr = _run(model, xs, Intervention(gates=(GateEdit("decoder", gate, (0, 2), value=value, steps=(1, 2)),)))
    g, g0 = getattr(tr.decoder, gate), getattr(plain.decoder, gate)
    assert np.all(g[:, 1:3, [0, 2]] == value)
    assert np.array_equal(g[:, 0], g0[:, 0]) and np.array_equal(g[:, 1, [1, 3]], g0[:, 1, [1, 3]])
    if gate == "input":  # nothing written: the cell only keeps f * c_prev
        d = tr.decoder
        assert np.allclose(d.c[:, 1, [0, 2]], d.forget[:, 1, [0, 2]] * d.c[:, 0, [0, 2]])
    if gate == "output":
        assert np.all(tr.decoder.h[:, 1:3, [0, 2]] == 0)


@pytest.mark.parametrize("gate", ["update", "reset"])
def test_a_gru_gate_is_held(gate):
    model, xs = _model("attention", "gru"), _xs()
    _, plain = _run(model, xs)
    _, tr = _run(model, xs, Intervention(gates=(GateEdit("encoder", gate, (4,), value=0.0, steps=(3,)),)))
    g = getattr(tr.encoder, gate)
    assert np.all(g[:, 3, 4] == 0.0)
    assert np.array_equal(tr.encoder.h[:, :3], plain.encoder.h[:, :3])
    if gate == "update":  # z = 0 keeps the old state
        assert np.array_equal(tr.encoder.h[:, 3, 4], tr.encoder.h[:, 2, 4])


def test_cutting_the_peek_zeroes_only_what_the_decoder_peeks_at():
    model, xs = _model("peeky", "lstm"), _xs()
    _, plain = _run(model, xs)
    _, tr = _run(model, xs, Intervention(peek="zero"))
    assert np.all(tr.context == 0) and np.any(plain.context != 0)
    _same_encoder = [np.array_equal(v, getattr(plain.encoder, k)) for k, v in vars(tr.encoder).items()]
    assert all(_same_encoder)
    # the decoder still starts from h: its first step equals a step with xbias 0 from the same h
    d = model.decoder
    h0 = model.encoder.forward(model.read(xs))
    x = d.embed.params["W"][np.zeros(len(xs), np.int64)]
    h1, _, _ = d.rnn.step(x, h0, np.zeros_like(h0), None)
    assert np.allclose(tr.decoder.h[:, 0], h1)
    assert not np.allclose(plain.decoder.h[:, 0], h1)


@pytest.mark.parametrize("kind", ["seq2seq", "peeky"])
def test_handing_over_another_questions_state_gives_that_questions_answer(kind):
    model = _model(kind, "lstm")
    xs = _xs(6)
    other = xs[::-1].copy()  # each row's other question, in the same batch shape
    ids_other, _ = _run(model, other)
    state = model.encoder.forward(model.read(other))
    ids, tr = _run(model, xs, Intervention(handover=state))
    assert np.array_equal(ids, ids_other)
    assert np.array_equal(tr.encoder.h, _run(model, xs)[1].encoder.h)  # this question was still read


def test_handing_over_in_the_attention_model_replaces_the_start_and_the_last_state_only():
    model, xs = _model("attention", "lstm"), _xs()
    _, plain = _run(model, xs)
    zero = np.zeros(8)
    _, tr = _run(model, xs, Intervention(handover=zero))
    # the decoder's first step starts from zeros; attention weights over the other positions still differ
    d = model.decoder
    x = d.embed.params["W"][np.zeros(len(xs), np.int64)]
    h1, _, _ = d.rnn.step(x, np.zeros((len(xs), 8)), np.zeros((len(xs), 8)), None)
    assert np.allclose(tr.decoder.h[:, 0], h1)
    assert not np.array_equal(tr.probs[:, 0], plain.probs[:, 0])


@pytest.mark.parametrize("position", [0, 3, None])
def test_an_attention_edit_sets_that_steps_weights(position):
    model, xs = _model("attention", "lstm"), _xs()
    _, plain = _run(model, xs)
    _, tr = _run(model, xs, Intervention(attention=(AttentionEdit(1, position),)))
    row = tr.attention[:, 1]
    want = np.full(TE, 1 / TE) if position is None else np.eye(TE)[position]
    assert np.allclose(row, want) and np.allclose(row.sum(axis=1), 1)
    assert np.array_equal(tr.attention[:, 0], plain.attention[:, 0])
    assert np.array_equal(tr.probs[:, 0], plain.probs[:, 0])
    assert np.array_equal(tr.decoder.h[:, :2], plain.decoder.h[:, :2])  # the edit is after step 1's LSTM
    assert not np.array_equal(tr.probs[:, 1], plain.probs[:, 1])


def test_an_edit_limited_to_rows_changes_only_those_examples():
    model, xs = _model("peeky", "lstm"), _xs(6)
    _, plain = _run(model, xs)
    _, tr = _run(model, xs, Intervention(units=(UnitEdit("encoder", tuple(range(8)), rows=(2, 4)),)))
    assert np.array_equal(tr.probs[[0, 1, 4, 5]], plain.probs[[0, 1, 4, 5]])
    assert np.all(tr.encoder.h[2:4] == 0) and not np.array_equal(tr.probs[2:4], plain.probs[2:4])


@pytest.mark.parametrize("iv,kind,cell,says", [
    (Intervention(units=(UnitEdit("encoder", (8,)),)), "peeky", "lstm", "units must be 0-7"),
    (Intervention(units=(UnitEdit("encoder", ()),)), "peeky", "lstm", "at least one"),
    (Intervention(units=(UnitEdit("middle", (1,)),)), "peeky", "lstm", "side must be"),
    (Intervention(units=(UnitEdit("decoder", (1,), steps=(TD,)),)), "peeky", "lstm", f"steps 0-{TD - 1}"),
    (Intervention(units=(UnitEdit("encoder", (1,), state="c"),)), "peeky", "gru", "no cell state"),
    (Intervention(units=(UnitEdit("encoder", (1,), value=float("nan")),)), "peeky", "lstm", "finite"),
    (Intervention(gates=(GateEdit("encoder", "update", (1,)),)), "peeky", "lstm", "forget, input, output"),
    (Intervention(gates=(GateEdit("encoder", "forget", (1,), value=2.0),)), "peeky", "lstm", "between 0"),
    (Intervention(peek="zero"), "seq2seq", "lstm", "only a Peeky decoder"),
    (Intervention(peek="maybe"), "peeky", "lstm", "'keep' or 'zero'"),
    (Intervention(handover=np.zeros(5)), "peeky", "lstm", "8 units"),
    (Intervention(attention=(AttentionEdit(0, 1),)), "peeky", "lstm", "only the attention model"),
    (Intervention(attention=(AttentionEdit(0, TE),)), "attention", "lstm", f"positions 0-{TE - 1}"),
    (Intervention(attention=(AttentionEdit(TD, 0),)), "attention", "lstm", f"steps 0-{TD - 1}"),
])
def test_an_intervention_that_does_not_fit_says_what_is_wrong(iv, kind, cell, says):
    with pytest.raises(ValueError, match=says.replace("(", r"\(")):
        _model(kind, cell).generate(_xs(), 0, TD, intervention=iv)


def test_the_transformer_refuses_a_non_empty_intervention():
    ck = load_checkpoint("weights/addition_transformer.npz")
    xs = ck.codec.encode_questions(["16+75"])
    with pytest.raises(ValueError, match="not on the Transformer"):
        ck.model.generate(xs, ck.codec.vocab.start_id, 4, intervention=Intervention(peek="zero"))


def test_shipped_models_answer_differently_when_the_peek_is_cut_or_attention_misplaced():
    ck = load_checkpoint("weights/addition_peeky.npz")
    c = ck.codec
    xs = c.encode_questions(["16+75"])
    plain = c.decode_answer(ck.model.generate(xs, c.vocab.start_id, c.answer_width - 1)[0])
    cut = c.decode_answer(ck.model.generate(xs, c.vocab.start_id, c.answer_width - 1,
                                            intervention=Intervention(peek="zero"))[0])
    assert plain == "91" and cut != plain
    ck = load_checkpoint("weights/date_attention.npz")
    c = ck.codec
    xs = c.encode_questions(["2/10/04"])
    n = c.answer_width - 1
    _, tr = ck.model.generate(xs, c.vocab.start_id, n, trace=True)
    plain = c.decode_answer(ck.model.generate(xs, c.vocab.start_id, n)[0])
    looked_at = int(tr.attention[0, 1].argmax())  # where the step writing the year's second digit looks
    elsewhere = (looked_at + 2) % xs.shape[1]
    moved = c.decode_answer(ck.model.generate(xs, c.vocab.start_id, n,
                                              intervention=Intervention(attention=(AttentionEdit(1, elsewhere),)))[0])
    assert plain == "2004-02-10" and moved != plain and moved[0] == plain[0]  # step 0 came before the edit
