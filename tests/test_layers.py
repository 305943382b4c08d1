"""Layers of s2s.layers: float64 numerical gradient checks, dtype handling, LSTM state and step."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import numerical_grad, rel_error

from s2s.layers import (
    GATE_NAMES,
    AttentionWeight,
    TimeAffine,
    TimeAttention,
    TimeEmbedding,
    TimeLSTM,
    TimeSoftmaxWithLoss,
    WeightSum,
    lstm_gates,
    softmax,
)

TOL = 1e-6
N, T, D, H, V = 3, 4, 3, 5, 7


def randn(rng, *shape, scale=1.0, dtype=np.float64):
    return (rng.standard_normal(shape) * scale).astype(dtype)


def ref_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def make_lstm(rng, stateful=False, dtype=np.float64, d=D, h=H):
    return TimeLSTM(randn(rng, d, 4 * h, scale=0.5, dtype=dtype), randn(rng, h, 4 * h, scale=0.5, dtype=dtype),
                    randn(rng, 4 * h, scale=0.5, dtype=dtype), stateful=stateful)


def assert_grad(analytic, f, x, tol=TOL):
    numeric = numerical_grad(f, x)
    assert analytic.shape == x.shape
    err = rel_error(analytic, numeric)
    assert err < tol, f"relative error {err:.2e}"
    assert np.abs(numeric).max() > 1e-8, "degenerate check: the numerical gradient is zero"


# ------------------------------------------------------------------------------------------------
# the helper itself


def test_gradcheck_helper_finds_known_gradient_and_restores_x():
    rng = np.random.default_rng(0)
    x = randn(rng, 3, 4)
    x0 = x.copy()
    g = numerical_grad(lambda: float(np.sum(np.sin(x) * x**2)), x)
    assert np.array_equal(x, x0)
    assert rel_error(g, np.cos(x) * x**2 + 2 * x * np.sin(x)) < 1e-8
    wrong = np.cos(x) * x**2  # a gradient with a term missing must be caught
    assert rel_error(g, wrong) > 1e-2
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.zeros(3), np.ones(3)) == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------------
# numerical gradient checks


def test_embedding_gradient_accumulates_repeated_ids():
    rng = np.random.default_rng(1)
    layer = TimeEmbedding(randn(rng, V, D))
    xs = np.array([[0, 1, 1, 6], [6, 6, 2, 0], [3, 3, 3, 3]])  # repeats, and ids 4, 5 unused
    R = randn(rng, N, T, D)
    out = layer.forward(xs)
    assert np.array_equal(out, layer.params["W"][xs])
    layer.backward(R)
    dW = layer.grads["W"].copy()
    assert_grad(dW, lambda: np.sum(layer.forward(xs) * R), layer.params["W"])
    assert np.all(dW[[4, 5]] == 0)
    layer.forward(xs)
    layer.backward(R)  # a second backward overwrites, it does not add up
    assert np.array_equal(layer.grads["W"], dW)


@pytest.mark.parametrize("stateful", [False, True])
@pytest.mark.parametrize("use_xbias", [False, True])
@pytest.mark.parametrize("use_dh_last", [False, True])
def test_lstm_gradients(stateful, use_xbias, use_dh_last):
    rng = np.random.default_rng([2, stateful, use_xbias, use_dh_last])
    lstm = make_lstm(rng, stateful)
    xs = randn(rng, N, T, D)
    h0 = randn(rng, N, H, scale=0.5)
    xbias = randn(rng, N, 4 * H, scale=0.5) if use_xbias else None
    R = randn(rng, N, T, H)
    r_last = randn(rng, N, H) if use_dh_last else None

    def loss():
        lstm.set_state(h0)
        hs = lstm.forward(xs, xbias)
        extra = np.sum(hs[:, -1] * r_last) if use_dh_last else 0.0
        return np.sum(hs * R) + extra

    loss()
    dxs, dh0, dxbias = lstm.backward(R, r_last)
    grads = {k: g.copy() for k, g in lstm.grads.items()}
    for name in ("Wx", "Wh", "b"):
        assert_grad(grads[name], loss, lstm.params[name])
    assert_grad(dxs, loss, xs)
    assert_grad(dh0, loss, h0)
    if use_xbias:
        assert_grad(dxbias, loss, xbias)
    else:
        assert dxbias is None


def test_lstm_gradient_without_initial_state_is_gradient_at_zero_state():
    rng = np.random.default_rng(3)
    lstm = make_lstm(rng)
    xs = randn(rng, N, T, D)
    R = randn(rng, N, T, H)
    lstm.reset_state()
    lstm.forward(xs)
    _, dh0, _ = lstm.backward(R)
    h0 = np.zeros((N, H))

    def loss():
        lstm.set_state(h0)
        return np.sum(lstm.forward(xs) * R)

    assert_grad(dh0, loss, h0)


def test_affine_gradients():
    rng = np.random.default_rng(4)
    layer = TimeAffine(randn(rng, H, V), randn(rng, V))
    x = randn(rng, N, T, H)
    R = randn(rng, N, T, V)
    out = layer.forward(x)
    assert np.allclose(out, np.einsum("nth,hv->ntv", x, layer.params["W"]) + layer.params["b"], rtol=1e-12)
    dx = layer.backward(R)
    grads = {k: g.copy() for k, g in layer.grads.items()}

    def loss():
        return np.sum(layer.forward(x) * R)

    assert_grad(grads["W"], loss, layer.params["W"])
    assert_grad(grads["b"], loss, layer.params["b"])
    assert_grad(dx, loss, x)


def test_softmax_with_loss_value_and_gradient_with_ignored_labels():
    rng = np.random.default_rng(5)
    layer = TimeSoftmaxWithLoss()
    xs = randn(rng, N, T, V, scale=2.0)
    ts = rng.integers(0, V, size=(N, T))
    ts[0, 1] = ts[2, 3] = ts[1, 0] = -1
    loss = layer.forward(xs, ts)
    # independent value: mean of -log softmax at the target over the non-ignored positions
    p = np.exp(xs) / np.exp(xs).sum(axis=-1, keepdims=True)
    terms = [-np.log(p[n, t, ts[n, t]]) for n in range(N) for t in range(T) if ts[n, t] != -1]
    assert len(terms) == N * T - 3
    assert loss == pytest.approx(np.mean(terms), rel=1e-12)
    dx = layer.backward()
    assert_grad(dx, lambda: layer.forward(xs, ts), xs)
    for n, t in ((0, 1), (2, 3), (1, 0)):
        assert np.all(dx[n, t] == 0)
    layer.forward(xs, ts)
    assert np.allclose(layer.backward(2.5), 2.5 * dx, rtol=1e-12)


def test_softmax_with_loss_is_exact_for_large_scores_and_all_ignored():
    layer = TimeSoftmaxWithLoss()
    xs = np.array([[[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]]])
    loss = layer.forward(xs, np.array([[1, 2]]))
    assert loss == pytest.approx((1000.0 + np.log(3.0)) / 2, rel=1e-12)  # no log(0), no overflow
    assert np.all(np.isfinite(layer.backward()))
    assert layer.forward(xs, np.full((1, 2), -1)) == 0.0
    assert np.all(layer.backward() == 0)


def test_attention_weight_gradients():
    rng = np.random.default_rng(6)
    Te, Td = 4, 3
    layer = AttentionWeight()
    hs_enc, hs_dec = randn(rng, N, Te, H), randn(rng, N, Td, H)
    R = randn(rng, N, Td, Te)
    a = layer.forward(hs_enc, hs_dec)
    assert a.shape == (N, Td, Te)
    assert np.allclose(a.sum(axis=-1), 1.0)
    s = np.einsum("ndh,neh->nde", hs_dec, hs_enc)
    assert np.allclose(a, np.exp(s) / np.exp(s).sum(axis=-1, keepdims=True), rtol=1e-12)
    denc, ddec = layer.backward(R)

    def loss():
        return np.sum(layer.forward(hs_enc, hs_dec) * R)

    assert_grad(denc, loss, hs_enc)
    assert_grad(ddec, loss, hs_dec)


def test_weight_sum_gradients():
    rng = np.random.default_rng(7)
    Te, Td = 4, 3
    layer = WeightSum()
    hs_enc = randn(rng, N, Te, H)
    a = softmax(randn(rng, N, Td, Te))
    R = randn(rng, N, Td, H)
    c = layer.forward(hs_enc, a)
    assert np.allclose(c, np.einsum("nde,neh->ndh", a, hs_enc), rtol=1e-12)
    denc, da = layer.backward(R)

    def loss():
        return np.sum(layer.forward(hs_enc, a) * R)

    assert_grad(denc, loss, hs_enc)
    assert_grad(da, loss, a)


def test_time_attention_matches_per_step_loop_and_gradients():
    rng = np.random.default_rng(8)
    Te, Td = 5, 3
    layer = TimeAttention()
    hs_enc, hs_dec = randn(rng, N, Te, H), randn(rng, N, Td, H)
    R = randn(rng, N, Td, H)
    c = layer.forward(hs_enc, hs_dec)
    for t in range(Td):  # the book's loop: one attention per decoder step
        s = np.sum(hs_enc * hs_dec[:, t, None, :], axis=2)  # (N, Te)
        w = np.exp(s - s.max(axis=1, keepdims=True))
        w /= w.sum(axis=1, keepdims=True)
        assert np.allclose(layer.attention_weights[:, t], w, rtol=1e-12)
        assert np.allclose(c[:, t], np.sum(hs_enc * w[:, :, None], axis=1), rtol=1e-12)
    denc, ddec = layer.backward(R)

    def loss():
        return np.sum(layer.forward(hs_enc, hs_dec) * R)

    assert_grad(denc, loss, hs_enc)
    assert_grad(ddec, loss, hs_dec)


def test_time_attention_step_is_forward_one_decoder_step_at_a_time():
    rng = np.random.default_rng(14)
    Te, Td = 5, 3
    layer = TimeAttention()
    hs_enc, hs_dec = randn(rng, N, Te, H), randn(rng, N, Td, H)
    c = layer.forward(hs_enc, hs_dec)
    weights, caches = layer.attention_weights, (layer.weight.cache, layer.wsum.cache)
    for t in range(Td):
        c_t, a_t = layer.step(hs_enc, hs_dec[:, t])
        assert c_t.shape == (N, H) and a_t.shape == (N, Te)
        assert np.allclose(c_t, c[:, t], rtol=1e-13, atol=1e-15)
        assert np.allclose(a_t, weights[:, t], rtol=1e-13, atol=1e-15)
    # decoding writes no cache: a backward after it is still the backward of the forward
    assert layer.attention_weights is weights
    assert layer.weight.cache is caches[0] and layer.wsum.cache is caches[1]


# ------------------------------------------------------------------------------------------------
# float32 stays float32


def _f32_cases(rng):
    f = np.float32

    def embedding():
        layer = TimeEmbedding(randn(rng, V, D, dtype=f))
        out = layer.forward(rng.integers(0, V, (N, T)))
        layer.backward(randn(rng, *out.shape, dtype=f))
        return out, [], layer.grads

    def lstm():
        layer = make_lstm(rng, stateful=True, dtype=f)
        layer.set_state(randn(rng, N, H, dtype=f))
        out = layer.forward(randn(rng, N, T, D, dtype=f), randn(rng, N, 4 * H, dtype=f))
        back = layer.backward(randn(rng, *out.shape, dtype=f), randn(rng, N, H, dtype=f))
        assert layer.h.dtype == f and layer.c.dtype == f
        return out, list(back), layer.grads

    def lstm_step():
        layer = make_lstm(rng, dtype=f)
        h, c, g = layer.step(randn(rng, N, D, dtype=f), randn(rng, N, H, dtype=f), np.zeros((N, H), f))
        return h, [c, g], {}

    def affine():
        layer = TimeAffine(randn(rng, H, V, dtype=f), randn(rng, V, dtype=f))
        out = layer.forward(randn(rng, N, T, H, dtype=f))
        return out, [layer.backward(randn(rng, *out.shape, dtype=f))], layer.grads

    def softmax_loss():
        layer = TimeSoftmaxWithLoss()
        ts = rng.integers(-1, V, (N, T))
        loss = layer.forward(randn(rng, N, T, V, dtype=f), ts)
        assert np.isfinite(loss)
        return layer.backward(), [], {}

    def attention():
        layer = TimeAttention()
        out = layer.forward(randn(rng, N, 4, H, dtype=f), randn(rng, N, 3, H, dtype=f))
        return out, list(layer.backward(randn(rng, *out.shape, dtype=f))) + [layer.attention_weights], {}

    def attention_step():
        c, a = TimeAttention().step(randn(rng, N, 4, H, dtype=f), randn(rng, N, H, dtype=f))
        return c, [a], {}

    return {"embedding": embedding, "lstm": lstm, "lstm_step": lstm_step, "affine": affine,
            "softmax_loss": softmax_loss, "attention": attention, "attention_step": attention_step}


@pytest.mark.parametrize("case", ["embedding", "lstm", "lstm_step", "affine", "softmax_loss", "attention",
                                  "attention_step"])
def test_layers_keep_float32(case):
    out, returned, grads = _f32_cases(np.random.default_rng(9))[case]()
    assert out.dtype == np.float32
    for r in returned:
        assert r.dtype == np.float32
    for g in grads.values():
        assert g.dtype == np.float32


# ------------------------------------------------------------------------------------------------
# LSTM semantics


def reference_lstm(Wx, Wh, b, xs, h, c, xbias=None):
    """The book's LSTM written out step by step: gate columns f, g, i, o."""
    Hh = Wh.shape[0]
    hs, cs, gates = [], [], []
    for t in range(xs.shape[1]):
        a = xs[:, t] @ Wx + h @ Wh + b + (0 if xbias is None else xbias)
        f, g, i, o = (ref_sigmoid(a[:, :Hh]), np.tanh(a[:, Hh:2 * Hh]),
                      ref_sigmoid(a[:, 2 * Hh:3 * Hh]), ref_sigmoid(a[:, 3 * Hh:]))
        c = f * c + g * i
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
        gates.append({"forget": f, "candidate": g, "input": i, "output": o})
    return np.stack(hs, 1), np.stack(cs, 1), gates


def test_lstm_forward_matches_book_lstm_and_record():
    rng = np.random.default_rng(10)
    lstm = make_lstm(rng)
    xs, h0, c0 = randn(rng, N, T, D), randn(rng, N, H), randn(rng, N, H)
    xbias = randn(rng, N, 4 * H)
    lstm.set_state(h0, c0)
    hs = lstm.forward(xs, xbias)
    ref_h, ref_c, ref_gates = reference_lstm(*(lstm.params[k] for k in ("Wx", "Wh", "b")), xs, h0, c0, xbias)
    assert np.allclose(hs, ref_h, rtol=1e-12, atol=1e-14)
    rec = lstm.record()
    assert np.allclose(rec.c, ref_c, rtol=1e-12, atol=1e-14)
    assert np.array_equal(rec.h, hs)
    for name in GATE_NAMES:
        assert np.allclose(getattr(rec, name), np.stack([g[name] for g in ref_gates], 1), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("use_xbias", [False, True])
def test_lstm_step_agrees_with_forward(use_xbias):
    rng = np.random.default_rng(11)
    lstm = make_lstm(rng)
    x, h0, c0 = randn(rng, N, D), randn(rng, N, H), randn(rng, N, H)
    xbias = randn(rng, N, 4 * H) if use_xbias else None
    h, c, gates = lstm.step(x, h0, c0, xbias)
    lstm.set_state(h0, c0)
    hs = lstm.forward(x[:, None, :], xbias)
    rec = lstm.record()
    assert np.allclose(h, hs[:, 0], rtol=1e-12, atol=1e-14)
    assert np.allclose(c, rec.c[:, 0], rtol=1e-12, atol=1e-14)
    expected = np.concatenate([rec.forget, rec.candidate, rec.input, rec.output], axis=2)[:, 0]
    assert np.allclose(gates, expected, rtol=1e-12, atol=1e-14)
    # several steps in a row follow forward over the whole sequence
    xs = randn(rng, N, T, D)
    h, c = h0, c0
    for t in range(T):
        h, c, _ = lstm.step(xs[:, t], h, c, xbias)
    lstm.set_state(h0, c0)
    assert np.allclose(h, lstm.forward(xs, xbias)[:, -1], rtol=1e-12, atol=1e-14)


def test_stateful_lstm_carries_state_across_calls():
    rng = np.random.default_rng(12)
    lstm = make_lstm(rng, stateful=True)
    xs = randn(rng, N, 6, D)
    whole = lstm.forward(xs)
    lstm.reset_state()
    first = lstm.forward(xs[:, :2])
    second = lstm.forward(xs[:, 2:])
    assert np.allclose(np.concatenate([first, second], axis=1), whole, rtol=1e-12, atol=1e-14)
    lstm.reset_state()
    assert lstm.h is None and lstm.c is None
    fresh = lstm.forward(xs[:, 2:])
    assert not np.allclose(fresh, second)  # the carried state did matter


def test_stateless_lstm_forgets_state_between_calls():
    rng = np.random.default_rng(13)
    lstm = make_lstm(rng, stateful=False)
    xs = randn(rng, N, 6, D)
    lstm.set_state(randn(rng, N, H))
    lstm.forward(xs[:, :2])
    assert lstm.h is None and lstm.c is None
    assert np.array_equal(lstm.forward(xs[:, 2:]), make_lstm(np.random.default_rng(13)).forward(xs[:, 2:]))


# ------------------------------------------------------------------------------------------------
# gates


def test_lstm_gates_are_sigmoid_and_tanh():
    H = 151
    x = np.linspace(-30, 30, 4 * H)[None, :]
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-6)):
        a = lstm_gates(x.astype(dtype), H)
        assert a.dtype == dtype
        expected = np.concatenate([ref_sigmoid(x[:, :H]), np.tanh(x[:, H:2 * H]), ref_sigmoid(x[:, 2 * H:])], axis=1)
        assert np.allclose(a, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lstm_gates_do_not_overflow(dtype):
    x = np.tile(np.array([-1000.0, -100.0, 0.0, 100.0, 1000.0], dtype), 4)[None, :]  # H = 5
    with np.errstate(all="raise"):
        a = lstm_gates(x.copy(), 5)
    assert a.dtype == dtype and np.all(np.isfinite(a))
    f, g = a[0, :5], a[0, 5:10]
    assert f[0] == pytest.approx(0.0, abs=1e-30) and f[-1] == 1.0 and f[2] == 0.5
    assert g[0] == -1.0 and g[2] == 0.0 and g[-1] == 1.0
