"""The ablation scan (s2s.ablation): its ranking on a model with a planted unit, groups that add up, progress,
batched ablations equal to ablations done alone, and the Transformer refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from s2s.ablation import _leading_pads, rank, scan
from s2s.checkpoint import load_checkpoint
from s2s.data import PAD, Dataset, make_split
from s2s.fast.threads import on_every_core
from s2s.intervene import Intervention, UnitEdit
from s2s.models import ModelConfig, build_model

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
H, P = 8, 5  # hidden size of the planted model; its planted unit
BIG = 30.0  # a bias that saturates a gate: sigmoid(30) = 1 and tanh(30) = 1 in float64 to 1e-13


def _gate(H: int, block: int, unit: int) -> int:
    """Column of `unit` in gate block `block` of an LSTM's 4H columns (f, g, i, o)."""
    return block * H + unit


def planted_model(data: Dataset, a: int, b: int):
    """A plain LSTM Seq2seq where unit P alone carries everything, in the encoder and in the decoder.

    Encoder unit P ignores its input and the other units (zero columns), its forget, input and output gates
    are held open and its candidate at 1 by large biases: c grows by 1 a step, so its last h = tanh(Te) > 0.99.
    Decoder unit P: gates open, its candidate g = tanh(10 h_prev[P]), nothing else in. Started from the
    encoder's h it stays at tanh(c) >= 0.76 with c growing; started from 0 (encoder unit P zeroed) g is 0 at
    every step and it stays 0. The scores read unit P alone: score[a] = 10 h[P], score[b] = 5 (the bias),
    every other 0. So the answer is a...a with unit P and b...b without it. Every other unit has zero outgoing
    weights (its row of both Wh and of the affine W), so zeroing it changes nothing."""
    V = len(data.codec.vocab)
    model = build_model(ModelConfig(kind="seq2seq", vocab_size=V, wordvec_size=4, hidden_size=H),
                        np.random.default_rng(3), dtype=np.float64)
    for rnn in (model.encoder.rnn, model.decoder.rnn):
        Wx, Wh, bias = rnn.params["Wx"], rnn.params["Wh"], rnn.params["b"]
        Wh[[j for j in range(H) if j != P]] = 0.0  # the other units say nothing to any gate
        Wh[P] = 0.0
        for block in range(4):
            col = _gate(H, block, P)
            Wx[:, col] = 0.0
            Wh[:, col] = 0.0
            bias[col] = BIG
    dec = model.decoder.rnn.params
    dec["b"][_gate(H, 1, P)] = 0.0
    dec["Wh"][P, _gate(H, 1, P)] = 10.0  # decoder unit P's candidate reads the state it is handed
    W, bias = model.decoder.affine.params["W"], model.decoder.affine.params["b"]
    W[...] = 0.0
    bias[...] = 0.0
    W[P, a] = 10.0
    bias[b] = 5.0
    return model


@pytest.fixture(scope="module")
def planted():
    _, data = make_split("addition", 0, 150, 5)
    a, b = data.codec.vocab.encode_block(["7"])[0, 0], data.codec.vocab.encode_block(["3"])[0, 0]
    model = planted_model(data, int(a), int(b))
    start = data.codec.vocab.start_id
    # the questions' true answers: 7777 (right with every unit), except a third of them 3333 (which only the
    # model without unit P gives)
    steps = data.ts.shape[1] - 1
    ts = np.full_like(data.ts, a)
    ts[:, 0] = start
    ts[::3, 1:] = b
    assert (model.generate(data.xs, start, steps) == a).all()
    return model, Dataset(data.xs, ts, data.codec, data.source)


@pytest.mark.parametrize("side", ["encoder", "decoder"])
def test_the_planted_unit_ranks_first_and_silent_units_cost_nothing(planted, side):
    model, data = planted
    s = scan(model, data, "addition", side)
    base = 100 / 150  # two questions in three have the answer 7777
    assert s.n == 150 and s.base == pytest.approx(base)
    assert s.ranking[0] == P
    assert s.cost[P] == pytest.approx(base - 50 / 150)  # without P every answer is 3333: a third right
    assert s.accuracy[P] == pytest.approx(1 / 3)
    others = [j for j in range(H) if j != P]
    assert (s.cost[others] == 0).all() and (s.right[others] == s.base_right).all()
    assert list(s.ranking[1:]) == others  # ties keep the units' order


def test_the_planted_unit_costs_all_the_accuracy_when_every_answer_needs_it(planted):
    model, data = planted
    right = data.ts.copy()
    right[:, 1:] = right[1, 1:]  # question 1 is 7777: every answer 7777
    s = scan(model, Dataset(data.xs, right, data.codec), "addition", "encoder")
    assert s.base == 1.0 and s.cost[P] == s.base == 1.0 and s.accuracy[P] == 0.0


def test_groups_add_up_to_the_totals(planted):
    model, data = planted
    s = scan(model, data, "addition", "encoder")
    assert set(s.groups) == {"carries", "digits_a", "digits_b", "answer_length"}
    for groups in s.groups.values():
        assert sum(g.n for g in groups) == s.n
        assert sum(g.base_right for g in groups) == s.base_right
        np.testing.assert_array_equal(sum(g.right for g in groups), s.right)
        assert all(g.ranking[0] == P or g.cost[P] == 0 for g in groups)
    g = s.group("carries", s.groups["carries"][0].value)
    assert g.accuracy.shape == (H,)
    with pytest.raises(KeyError):
        s.group("carries", 99)
    assert scan(model, data, None, "encoder").groups == {}  # uploaded data: no properties


def test_progress_is_called_after_each_batch_and_ends_at_the_total(planted):
    model, data = planted
    calls = []
    scan(model, data, "addition", "encoder", chunk=3, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(3, H), (6, H), (8, H)]


def _answers_alone(model, data, side: str, unit: int) -> np.ndarray:
    iv = Intervention(units=(UnitEdit(side, (unit,)),))
    return model.generate(data.xs, data.codec.vocab.start_id, data.ts.shape[1] - 1, intervention=iv)


@pytest.mark.parametrize("kind,cell", [("seq2seq", "lstm"), ("peeky", "lstm"), ("attention", "lstm"),
                                       ("peeky", "gru"), ("attention", "gru")])
@pytest.mark.parametrize("side", ["encoder", "decoder"])
def test_batched_ablations_equal_ablations_done_alone(kind, cell, side):
    """On a random model whose own answers are the truth (so every ablation that changes one shows)."""
    _, data = make_split("date", 0, 40, 2)
    model = build_model(ModelConfig(kind=kind, vocab_size=len(data.codec.vocab), wordvec_size=8, hidden_size=12,
                                    cell=cell, reverse=True), np.random.default_rng(1), dtype=np.float64)
    start, steps = data.codec.vocab.start_id, data.ts.shape[1] - 1
    ts = data.ts.copy()
    ts[:, 1:] = model.generate(data.xs, start, steps)
    data = Dataset(data.xs, ts, data.codec)
    alone = np.array([(_answers_alone(model, data, side, j) == ts[:, 1:]).all(axis=1).sum() for j in range(12)])
    assert alone.min() < len(data)  # some ablation changes some answer
    for chunk in (1, 5, 12, None):
        s = scan(model, data, "date", side, chunk=chunk)
        assert s.base == 1.0
        np.testing.assert_array_equal(s.right, alone)


def test_batched_equals_alone_on_the_shipped_addition_model():
    ck = load_checkpoint(WEIGHTS / "addition_peeky.npz")
    _, data = make_split("addition", 0, 100, 11)
    whole = scan(ck.model, data, "addition", "encoder", chunk=128)
    one = scan(ck.model, data, "addition", "encoder", chunk=1)
    np.testing.assert_array_equal(whole.right, one.right)
    top = int(whole.ranking[0])
    alone = (_answers_alone(ck.model, data, "encoder", top) == data.ts[:, 1:]).all(axis=1).sum()
    assert whole.right[top] == alone and whole.cost[top] > 0.1  # a trained model has units it cannot lose


def test_the_transformer_is_refused_and_bad_arguments_are_named():
    _, data = make_split("addition", 0, 10, 1)
    V = len(data.codec.vocab)
    tf = build_model(ModelConfig(kind="transformer", vocab_size=V, wordvec_size=8, hidden_size=8, heads=2))
    with pytest.raises(ValueError, match="Transformer"):
        scan(tf, data, "addition")
    model = build_model(ModelConfig(kind="seq2seq", vocab_size=V, wordvec_size=4, hidden_size=4))
    with pytest.raises(ValueError, match="side"):
        scan(model, data, "addition", side="middle")
    with pytest.raises(ValueError, match="question"):
        scan(model, data.subset(np.arange(0)), "addition")


def test_rank_orders_by_cost_and_keeps_ties_in_unit_order():
    assert list(rank(np.array([0.0, 0.2, -0.1, 0.2, 0.0]))) == [1, 3, 0, 4, 2]


@pytest.mark.parametrize("weights,task", [("date_attention.npz", "date"), ("addition_peeky.npz", "addition"),
                                          ("date_gru.npz", "date")])
def test_sharing_the_padding_changes_no_answer_on_shipped_models(weights, task):
    """The encoder scan computes the states of a reversed question's leading pads once per ablation: the
    counts equal those of decoding every row in full, and of the top unit decoded alone."""
    ck = load_checkpoint(WEIGHTS / weights)
    _, data = make_split(task, 0, 60, 11)
    assert _leading_pads(ck.model.read(data.xs), data.codec.vocab.char_to_id[PAD]).any()  # the path is taken
    shared = scan(ck.model, data, task, "encoder")
    full = scan(ck.model, data, task, "encoder", share_padding=False)
    np.testing.assert_array_equal(shared.right, full.right)
    top = int(full.ranking[0])
    alone = (_answers_alone(ck.model, data, "encoder", top) == data.ts[:, 1:]).all(axis=1).sum()
    assert shared.right[top] == alone


def test_two_threads_give_the_scan_of_one_thread():
    ck = load_checkpoint(WEIGHTS / "addition_peeky.npz")
    _, data = make_split("addition", 0, 200, 5)
    one = scan(ck.model, data, "addition", "encoder", chunk=16)
    two = scan(ck.model, data, "addition", "encoder", chunk=16,
               map_batches=lambda m, decode, batches: on_every_core(m, decode, batches, threads=2))
    assert np.array_equal(one.right, two.right) and one.base_right == two.base_right
    assert np.array_equal(one.ranking, two.ranking) and one.cost.max() > 0
