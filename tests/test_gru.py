"""The GRU of the book's appendix C: the one-step layer's gradients, and TimeGRU = a loop over it (values and
gradients, checked numerically in float64)."""

from __future__ import annotations

import numpy as np
import pytest

from s2s.layers import GRU, TimeGRU, split_gru_gates
from tests.gradcheck import numerical_grad, rel_error

N, T, D, H = 3, 4, 3, 5
TOL = 1e-7


def randn(rng, *shape, scale=1.0):
    return rng.standard_normal(shape) * scale


def weights(rng):
    return randn(rng, D, 3 * H, scale=0.5), randn(rng, H, 3 * H, scale=0.5), randn(rng, 3 * H, scale=0.5)


def assert_grad(analytic, f, x):
    numeric = numerical_grad(f, x)
    assert analytic.shape == x.shape
    assert rel_error(analytic, numeric) < TOL, f"relative error {rel_error(analytic, numeric):.2e}"
    assert np.abs(numeric).max() > 1e-8, "degenerate check: the numerical gradient is zero"


def book_gru(x, h_prev, Wx, Wh, b):
    """The appendix's equations, written out with the blocks sliced as the book does."""
    Wxz, Wxr, Wxh = Wx[:, :H], Wx[:, H:2 * H], Wx[:, 2 * H:]
    Whz, Whr, Whh = Wh[:, :H], Wh[:, H:2 * H], Wh[:, 2 * H:]
    bz, br, bh = b[:H], b[H:2 * H], b[2 * H:]
    z = 1 / (1 + np.exp(-(x @ Wxz + h_prev @ Whz + bz)))
    r = 1 / (1 + np.exp(-(x @ Wxr + h_prev @ Whr + br)))
    h_hat = np.tanh(x @ Wxh + (r * h_prev) @ Whh + bh)
    return (1 - z) * h_prev + z * h_hat


def test_one_step_is_the_books_equations_and_its_gradients_are_right():
    rng = np.random.default_rng(0)
    Wx, Wh, b = weights(rng)
    gru = GRU(Wx, Wh, b)
    x, h_prev, R = randn(rng, N, D), randn(rng, N, H, scale=0.5), randn(rng, N, H)
    np.testing.assert_allclose(gru.forward(x, h_prev), book_gru(x, h_prev, Wx, Wh, b), rtol=1e-12, atol=1e-12)

    def loss():
        return np.sum(gru.forward(x, h_prev) * R)

    loss()
    dx, dh_prev = gru.backward(R)
    grads = {k: g.copy() for k, g in gru.grads.items()}
    for name in ("Wx", "Wh", "b"):
        assert_grad(grads[name], loss, gru.params[name])
    assert_grad(dx, loss, x)
    assert_grad(dh_prev, loss, h_prev)


@pytest.mark.parametrize("stateful", [False, True])
@pytest.mark.parametrize("use_xbias", [False, True])
@pytest.mark.parametrize("use_dh_last", [False, True])
def test_time_gru_gradients(stateful, use_xbias, use_dh_last):
    rng = np.random.default_rng([1, stateful, use_xbias, use_dh_last])
    gru = TimeGRU(*weights(rng), stateful=stateful)
    xs, h0 = randn(rng, N, T, D), randn(rng, N, H, scale=0.5)
    xbias = randn(rng, N, 3 * H, scale=0.5) if use_xbias else None
    R = randn(rng, N, T, H)
    r_last = randn(rng, N, H) if use_dh_last else None

    def loss():
        gru.set_state(h0)
        hs = gru.forward(xs, xbias)
        return np.sum(hs * R) + (np.sum(hs[:, -1] * r_last) if use_dh_last else 0.0)

    loss()
    dxs, dh0, dxbias = gru.backward(R, r_last)
    grads = {k: g.copy() for k, g in gru.grads.items()}
    for name in ("Wx", "Wh", "b"):
        assert_grad(grads[name], loss, gru.params[name])
    assert_grad(dxs, loss, xs)
    assert_grad(dh0, loss, h0)
    if use_xbias:
        assert_grad(dxbias, loss, xbias)
    else:
        assert dxbias is None


def test_time_gru_is_a_loop_over_the_one_step_gru_and_records_its_gates():
    rng = np.random.default_rng(3)
    Wx, Wh, b = weights(rng)
    gru = TimeGRU(Wx, Wh, b)
    xs, R = randn(rng, N, T, D), randn(rng, N, T, H)
    hs = gru.forward(xs)
    h = np.zeros((N, H))
    steps, cells = [], []
    for t in range(T):
        cell = GRU(Wx, Wh, b)
        h_next, _, gates = cell.step(xs[:, t], h)
        cell.forward(xs[:, t], h)
        np.testing.assert_allclose(hs[:, t], h_next, rtol=1e-12, atol=1e-12)
        steps.append(gates)
        cells.append(cell)
        h = h_next
    record = gru.record()
    z, r, h_hat = split_gru_gates(np.stack(steps, axis=1), H)
    for got, want in ((record.update, z), (record.reset, r), (record.candidate, h_hat), (record.h, hs)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # backward through the loop of one-step layers gives the same gradients
    gru.backward(R)
    dWx, dh = np.zeros_like(Wx), np.zeros((N, H))
    for t in reversed(range(T)):
        _, dh = cells[t].backward(R[:, t] + dh)
        dWx += cells[t].grads["Wx"]
    np.testing.assert_allclose(gru.grads["Wx"], dWx, rtol=1e-10, atol=1e-12)


def test_without_a_state_the_gru_starts_from_zero_and_a_stateful_one_carries_its_state():
    rng = np.random.default_rng(4)
    w = weights(rng)
    xs = randn(rng, N, T, D)
    plain, carried = TimeGRU(*w), TimeGRU(*w, stateful=True)
    first = carried.forward(xs)
    np.testing.assert_array_equal(plain.forward(xs), first)
    second = carried.forward(xs)
    fresh = TimeGRU(*w)
    fresh.set_state(first[:, -1])
    np.testing.assert_array_equal(second, fresh.forward(xs))
    assert not np.allclose(second, first)


def test_gru_keeps_float32():
    rng = np.random.default_rng(5)
    gru = TimeGRU(*(a.astype(np.float32) for a in weights(rng)))
    hs = gru.forward(randn(rng, N, T, D).astype(np.float32))
    dxs, dh0, _ = gru.backward(randn(rng, N, T, H).astype(np.float32))
    assert hs.dtype == dxs.dtype == dh0.dtype == np.float32
    assert all(g.dtype == np.float32 for g in gru.grads.values())


# -- GRU encoder-decoders (ModelConfig.cell = "gru") -------------------------------------------------------------

V, DW, HM = 9, 4, 5  # vocabulary, word vectors and hidden size of the small models
START, TE, TD = 1, 5, 4


def gru_model(kind, reverse=False, seed=0, std=0.5, h=HM, v=V):
    from s2s.models import ModelConfig, build_model

    rng = np.random.default_rng(seed)
    model = build_model(ModelConfig(kind=kind, vocab_size=v, wordvec_size=DW, hidden_size=h, reverse=reverse,
                                    cell="gru"), rng, np.float64)
    for _, p, _ in model.named_parameters():
        p[...] = rng.standard_normal(p.shape) * std
    return model


@pytest.mark.parametrize("kind", ["seq2seq", "peeky", "attention"])
@pytest.mark.parametrize("reverse", [False, True])
def test_whole_gru_model_gradients(kind, reverse):
    model = gru_model(kind, reverse, seed=1)
    rng = np.random.default_rng(2)
    xs, ts = rng.integers(0, V, size=(3, 4)), rng.integers(0, V, size=(3, 4))
    model.forward(xs, ts)
    model.backward()
    named = list(model.named_parameters())
    assert any(".gru." in name for name, _, _ in named) and not any(".lstm." in name for name, _, _ in named)
    analytic = {name: g.copy() for name, _, g in named}
    for name, p, _ in named:
        numeric = numerical_grad(lambda: model.forward(xs, ts), p)
        assert rel_error(analytic[name], numeric) < 1e-6, f"{kind} {name}: {rel_error(analytic[name], numeric):.2e}"


@pytest.mark.parametrize("kind", ["seq2seq", "peeky", "attention"])
def test_gru_decoding_agrees_with_teacher_forcing_and_traces_its_gates(kind):
    model = gru_model(kind, seed=13, std=1.5, h=8, v=11)
    xs = np.random.default_rng(14).integers(0, 11, size=(6, TE))
    ids, trace = model.generate(xs, START, TD, trace=True)
    decoder_in = np.concatenate([np.full((6, 1), START), ids[:, :-1]], axis=1)
    assert np.array_equal(model.scores(xs, decoder_in).argmax(axis=-1), ids)
    assert len(np.unique(ids)) > 2
    for record, T in ((trace.encoder, TE), (trace.decoder, TD)):
        assert record.h.shape == record.update.shape == record.reset.shape == record.candidate.shape == (6, T, 8)
        assert 0 < record.update.min() and record.update.max() < 1
    one, one_trace = model.generate(xs[2:3], START, TD, trace=True)
    assert np.array_equal(one[0], ids[2])
    np.testing.assert_allclose(one_trace.probs[0], trace.probs[2], rtol=1e-10, atol=1e-12)


def test_the_forget_bias_of_a_gru_starts_its_update_gate_shut():
    from s2s.models import ModelConfig, build_model

    config = ModelConfig(kind="peeky", vocab_size=V, wordvec_size=DW, hidden_size=HM, cell="gru", forget_bias=1.5)
    model = build_model(config, np.random.default_rng(0))
    book = build_model(ModelConfig(**{**config.to_dict(), "forget_bias": 0.0}), np.random.default_rng(0))
    for layer, twin in ((model.encoder.rnn, book.encoder.rnn), (model.decoder.rnn, book.decoder.rnn)):
        z, r, h_hat = split_gru_gates(layer.params["b"], HM)
        assert np.all(z == -1.5) and np.all(r == 0) and np.all(h_hat == 0)
        np.testing.assert_array_equal(layer.params["Wh"], twin.params["Wh"])


def test_a_gru_model_round_trips_through_a_checkpoint_and_learns(tmp_path):
    from s2s.checkpoint import load_checkpoint, save_checkpoint
    from s2s.data import make_split
    from s2s.models import ModelConfig, build_model
    from s2s.trainer import TrainConfig, Trainer, evaluate

    train, val = make_split("reverse", 2000, 200, 0)
    config = ModelConfig(kind="attention", vocab_size=len(train.codec.vocab), wordvec_size=16, hidden_size=32,
                         cell="gru")
    model = build_model(config, np.random.default_rng(0))
    trainer = Trainer(model, train, TrainConfig(batch_size=64, lr=0.01, epochs=6))
    first = trainer.step()["loss"]
    for _ in range(trainer.total_iterations - 1):
        last = trainer.step()["loss"]
    assert last < 0.5 * first
    save_checkpoint(tmp_path / "gru.npz", model, train.codec, task="reverse")
    ck = load_checkpoint(tmp_path / "gru.npz")
    assert ck.model.config.cell == "gru"
    assert evaluate(ck.model, val) == evaluate(model, val)


def test_the_app_trains_a_gru_and_inside_shows_its_two_gates():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from ui import keys

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    at.query_params["lang"] = "en"
    at.switch_page("app_pages/train.py").run()
    at.selectbox(key=keys.TRAIN_SETTINGS["cell"]).set_value("gru").run()
    at.number_input(key=keys.TRAIN_SETTINGS["hidden"]).set_value(24).run()
    for _ in range(2):
        at.button(key="train_step").click().run()
    assert not at.exception
    runner = at.session_state[keys.RUNNER]
    assert runner.model.config.cell == "gru" and runner.trainer.iteration == 2
    at.switch_page("app_pages/inside.py").run()
    at.selectbox(key="model_source").set_value("session").run()
    assert not at.exception
    control = at.get("button_group")[0]
    assert list(control.options) == ["hidden state h", "update gate z", "reset gate r", "candidate h~ (tanh)"]
