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
