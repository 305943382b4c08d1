"""Helpers for numerical gradient checks (imported by the tests; not a test module itself)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_grad(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Centred differences (f(x + eps) - f(x - eps)) / 2 eps for every element of x.

    ``f`` takes no arguments and reads ``x`` itself: every element of ``x`` is changed *in place*,
    one at a time, and restored to its exact original value before the next one, so ``x`` may be
    a model's own parameter array. Returns an array of x's shape (float64).
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    flat = x.reshape(-1)  # a view: x must be contiguous so that writes reach the caller's array
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_grad needs a contiguous array it can change in place")
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i].copy()
        flat[i] = old + eps
        plus = float(f())
        flat[i] = old - eps
        minus = float(f())
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def rel_error(a, b) -> float:
    """Scale-aware relative error of two arrays: max|a - b| / max(1e-12, max|a| + max|b|).

    One number for the whole array, so tiny entries (which centred differences cannot resolve
    relative to themselves) do not dominate, while any wrong entry of a sizeable gradient does.
    Two all-zero arrays give 0; a zero array against a non-zero one gives about 1.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(1e-12, np.max(np.abs(a)) + np.max(np.abs(b))))
