"""The LSTM beside the book: the one-step ``LSTM`` checked numerically, and TimeLSTM's fast path shown to
equal the book's TimeLSTM, a loop over one-step LSTMs (values and gradients, float64)."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import numerical_grad, rel_error

from s2s.layers import LSTM, TimeLSTM, split_gates
from s2s.models import ModelConfig, build_model

N, D, H = 3, 4, 5
TOL = 1e-6  # numerical gradients against analytic ones
SAME = 1e-12  # two exact computations of the same numbers, in float64


def randn(rng, *shape, scale=0.5):
    return rng.standard_normal(shape) * scale


def weights(rng, d=D):
    return randn(rng, d, 4 * H), randn(rng, H, 4 * H), randn(rng, 4 * H)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def assert_grad(analytic, f, x):
    numeric = numerical_grad(f, x)
    err = rel_error(analytic, numeric)
    assert err < TOL, f"relative error {err:.2e}"
    assert np.abs(numeric).max() > 1e-8, "degenerate check: the numerical gradient is zero"


def assert_same(a, b):
    assert a.shape == b.shape
    assert rel_error(a, b) < SAME, f"relative difference {rel_error(a, b):.2e}"


# ------------------------------------------------------------------------------------------------
# the one-step LSTM


def test_split_gates_are_the_books_slices_as_views():
    a = np.arange(2 * 4 * H).reshape(2, 4 * H)
    f, g, i, o = split_gates(a, H)
    for got, want in zip((f, g, i, o), (a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]), strict=True):
        assert np.array_equal(got, want) and np.shares_memory(got, a)
    assert [x.shape for x in split_gates(np.zeros((7, 2, 4 * H)), H)] == [(7, 2, H)] * 4


@pytest.mark.parametrize("use_xbias", [False, True])
def test_one_step_lstm_follows_its_equations(use_xbias):
    rng = np.random.default_rng(1)
    Wx, Wh, b = weights(rng)
    x, h_prev, c_prev = randn(rng, N, D), randn(rng, N, H), randn(rng, N, H)
    xbias = randn(rng, N, 4 * H) if use_xbias else None
    h_next, c_next = LSTM(Wx, Wh, b).forward(x, h_prev, c_prev, xbias)
    a = x @ Wx + h_prev @ Wh + b + (0 if xbias is None else xbias)
    f = sigmoid(a[:, :H])
    g = np.tanh(a[:, H:2 * H])
    i = sigmoid(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:])
    assert_same(c_next, f * c_prev + g * i)
    assert_same(h_next, o * np.tanh(f * c_prev + g * i))


@pytest.mark.parametrize("use_xbias", [False, True])
def test_one_step_lstm_gradients(use_xbias):
    rng = np.random.default_rng([2, use_xbias])
    layer = LSTM(*weights(rng))
    x, h_prev, c_prev = randn(rng, N, D), randn(rng, N, H), randn(rng, N, H)
    xbias = randn(rng, N, 4 * H) if use_xbias else None  # a constant: the other gradients must not change
    Rh, Rc = randn(rng, N, H, scale=1.0), randn(rng, N, H, scale=1.0)

    def loss():
        h_next, c_next = layer.forward(x, h_prev, c_prev, xbias)
        return np.sum(h_next * Rh) + np.sum(c_next * Rc)

    loss()
    dx, dh_prev, dc_prev = layer.backward(Rh, Rc)
    grads = {k: g.copy() for k, g in layer.grads.items()}
    for name in ("Wx", "Wh", "b"):
        assert_grad(grads[name], loss, layer.params[name])
    assert_grad(dx, loss, x)
    assert_grad(dh_prev, loss, h_prev)
    assert_grad(dc_prev, loss, c_prev)


def test_one_step_lstm_keeps_float32():
    rng = np.random.default_rng(3)
    f32 = np.float32
    layer = LSTM(*(w.astype(f32) for w in weights(rng)))
    h, c = layer.forward(randn(rng, N, D).astype(f32), np.zeros((N, H), f32), np.zeros((N, H), f32))
    back = layer.backward(np.ones((N, H), f32), np.zeros((N, H), f32))
    assert h.dtype == c.dtype == f32
    assert all(a.dtype == f32 for a in back) and all(g.dtype == f32 for g in layer.grads.values())


# ------------------------------------------------------------------------------------------------
# the book's TimeLSTM: one LSTM layer per step, sharing the weights (common/time_layers.py)


def book_forward(Wx, Wh, b, xs, h, c, xbias=None):
    """-> hs (N, T, H), the last (h, c), and the step layers for book_backward."""
    layers, hs = [], []
    for t in range(xs.shape[1]):
        layer = LSTM(Wx, Wh, b)
        h, c = layer.forward(xs[:, t], h, c, xbias)
        layers.append(layer)
        hs.append(h)
    return np.stack(hs, axis=1), (h, c), layers


def book_backward(layers, dhs, dh_last=None):
    """-> dxs (N, T, D), dh0 (N, H), summed weight gradients, per-step pre-activation gradients unused."""
    dh = 0 if dh_last is None else dh_last
    dc = 0
    dxs = []
    grads = {k: 0 for k in ("Wx", "Wh", "b")}
    for t in reversed(range(len(layers))):
        dx, dh, dc = layers[t].backward(dh + (0 if dhs is None else dhs[:, t]), dc)
        dxs.append(dx)
        for k in grads:
            grads[k] = grads[k] + layers[t].grads[k]
    return np.stack(dxs[::-1], axis=1), dh, grads


def assert_fast_equals_book(lstm, fast, book):
    """fast: (hs, (dxs, dh0, dxbias)) of TimeLSTM; book: (hs, (dxs, dh0, grads)) of the loop."""
    (hs, (dxs, dh0, _)), (ref_hs, (ref_dxs, ref_dh0, ref_grads)) = fast, book
    assert_same(hs, ref_hs)
    assert_same(dxs, ref_dxs)
    if dh0 is not None:
        assert_same(dh0, ref_dh0)
    for k in ("Wx", "Wh", "b"):
        assert_same(lstm.grads[k], ref_grads[k])


T = 6
STARTS = ["zero", "h", "h_and_c"]  # nothing set (the encoder), set_state(h) (the decoder), set_state(h, c)
GRADIENTS = ["every_step", "last_only", "both"]  # decoders, the encoder (dh_last), and the two together


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("gradient", GRADIENTS)
def test_fast_path_equals_a_loop_over_the_one_step_lstm(start, gradient):
    rng = np.random.default_rng([4, STARTS.index(start), GRADIENTS.index(gradient)])
    Wx, Wh, b = weights(rng)
    lstm = TimeLSTM(Wx.copy(), Wh.copy(), b.copy())
    xs = randn(rng, N, T, D, scale=1.0)
    h0 = randn(rng, N, H) if start != "zero" else None
    c0 = randn(rng, N, H) if start == "h_and_c" else None
    dhs = randn(rng, N, T, H, scale=1.0) if gradient != "last_only" else None
    dh_last = randn(rng, N, H, scale=1.0) if gradient != "every_step" else None
    need_dh0 = start != "zero"

    lstm.set_state(h0, c0)
    hs = lstm.forward(xs)
    back = lstm.backward(dhs, dh_last, need_dh0=need_dh0)
    zeros = np.zeros((N, H))
    ref_hs, _, layers = book_forward(Wx, Wh, b, xs, zeros if h0 is None else h0, zeros if c0 is None else c0)
    assert_fast_equals_book(lstm, (hs, back), (ref_hs, book_backward(layers, dhs, dh_last)))
    assert (back[1] is None) == (not need_dh0)
    # the gates and cell states the app draws are the loop's too
    rec = lstm.record()
    for t, layer in enumerate(layers):
        assert_same(rec.c[:, t], layer.cache.c_next)
        f, g, i, o = split_gates(layer.cache.gates, H)
        for got, want in ((rec.forget, f), (rec.candidate, g), (rec.input, i), (rec.output, o)):
            assert_same(got[:, t], want)


def test_stateful_fast_path_carries_h_and_c_like_the_loop():
    rng = np.random.default_rng(5)
    Wx, Wh, b = weights(rng)
    lstm = TimeLSTM(Wx.copy(), Wh.copy(), b.copy(), stateful=True)
    xs = randn(rng, N, T, D, scale=1.0)
    dhs = randn(rng, N, T, H, scale=1.0)
    lstm.set_state(randn(rng, N, H), randn(rng, N, H))
    h, c = lstm.h, lstm.c
    for part in (slice(0, 2), slice(2, T)):  # two calls; the second starts where the first ended
        hs = lstm.forward(xs[:, part])
        back = lstm.backward(dhs[:, part])
        ref_hs, (h_end, c_end), layers = book_forward(Wx, Wh, b, xs[:, part], h, c)
        assert_fast_equals_book(lstm, (hs, back), (ref_hs, book_backward(layers, dhs[:, part])))
        assert_same(lstm.h, h_end)
        assert_same(lstm.c, c_end)
        h, c = h_end, c_end


def test_peeky_fast_path_equals_the_books_concatenation():
    """The book's Peeky decoder feeds [h_enc, x_t] to an LSTM whose Wx has H + D rows; ours adds
    xbias = h_enc @ Wpeek to the pre-activation instead (the first H rows of that Wx are Wpeek)."""
    rng = np.random.default_rng(6)
    Wx, Wh, b = weights(rng)
    Wpeek = randn(rng, H, 4 * H)
    lstm = TimeLSTM(Wx.copy(), Wh.copy(), b.copy())
    xs = randn(rng, N, T, D, scale=1.0)
    h_enc = randn(rng, N, H)
    dhs = randn(rng, N, T, H, scale=1.0)

    lstm.set_state(h_enc)
    hs = lstm.forward(xs, xbias=h_enc @ Wpeek)
    dxs, dh0, dxbias = lstm.backward(dhs)

    peeked = np.concatenate([np.repeat(h_enc[:, None], T, axis=1), xs], axis=2)  # (N, T, H + D)
    ref_hs, _, layers = book_forward(np.concatenate([Wpeek, Wx]), Wh, b, peeked, h_enc, np.zeros((N, H)))
    ref_dxs, ref_dh0, ref_grads = book_backward(layers, dhs)
    assert_same(hs, ref_hs)
    assert_same(dxs, ref_dxs[:, :, H:])
    assert_same(dh0, ref_dh0)
    assert_same(lstm.grads["Wx"], ref_grads["Wx"][H:])
    assert_same(h_enc.T @ dxbias, ref_grads["Wx"][:H])  # the gradient of Wpeek
    assert_same(dxbias @ Wpeek.T, ref_dxs[:, :, :H].sum(axis=1))  # what the peek sends back to h_enc
    for k in ("Wh", "b"):
        assert_same(lstm.grads[k], ref_grads[k])


# ------------------------------------------------------------------------------------------------
# decoding goes through the one-step LSTM


@pytest.mark.parametrize("use_xbias", [False, True])
def test_time_lstm_step_is_the_one_step_lstm_and_writes_no_cache(use_xbias):
    rng = np.random.default_rng(7)
    Wx, Wh, b = weights(rng)
    lstm = TimeLSTM(Wx.copy(), Wh.copy(), b.copy(), stateful=True)
    x, h, c = randn(rng, N, D), randn(rng, N, H), randn(rng, N, H)
    xbias = randn(rng, N, 4 * H) if use_xbias else None
    lstm.forward(randn(rng, N, 2, D))
    cache, carried = lstm.cache, (lstm.h, lstm.c)
    h1, c1, gates = lstm.step(x, h, c, xbias)
    ref_h, ref_c = LSTM(Wx, Wh, b).forward(x, h, c, xbias)
    assert np.array_equal(h1, ref_h) and np.array_equal(c1, ref_c)
    assert gates.shape == (N, 4 * H)
    assert lstm.cache is cache and lstm.h is carried[0] and lstm.c is carried[1]  # training's untouched
    assert lstm.cell.cache is None


def test_the_one_step_lstm_sees_the_models_flat_parameters():
    model = build_model(ModelConfig(kind="peeky", vocab_size=9, wordvec_size=D, hidden_size=H),
                        np.random.default_rng(0), np.float64)
    names = [name for name, _, _ in model.named_parameters()]
    assert len(names) == len(set(names)) and not any(".cell." in name for name in names)
    for part in (model.encoder, model.decoder):
        lstm = part.lstm
        assert lstm.cell.params is lstm.params and lstm.cell.grads is lstm.grads
        assert np.shares_memory(lstm.cell.params["Wh"], model.flat_params)
    model.flat_params[...] = 0.25  # e.g. a checkpoint loaded into the flat array
    h, c, _ = model.decoder.lstm.step(np.ones((1, D)), np.zeros((1, H)), np.zeros((1, H)))
    a = D * 0.25 + 0.25
    assert_same(c, np.full((1, H), sigmoid(a) * np.tanh(a)))
