"""s2s.analysis: carries, properties, PCA, correlations, unit ordering."""

from __future__ import annotations

import numpy as np
import pytest

from s2s.analysis import carries, correlations, pca, question_properties, unit_order


@pytest.mark.parametrize(("a", "b", "n"), [(16, 75, 1), (999, 1, 3), (123, 456, 0), (55, 45, 2), (0, 0, 0)])
def test_carries(a, b, n):
    assert carries(a, b) == n


def test_carries_agree_with_column_addition():
    rng = np.random.default_rng(0)
    for a, b in rng.integers(0, 1000, (200, 2)):
        expected, carry = 0, 0
        for da, db in zip(f"{a:04d}"[::-1], f"{b:04d}"[::-1], strict=True):
            carry = (int(da) + int(db) + carry) // 10
            expected += carry
        assert carries(int(a), int(b)) == expected


def test_question_properties():
    p = question_properties("addition", ["16+75", "999+1"])
    assert p["sum"].tolist() == [91, 1000] and p["carries"].tolist() == [1, 3]
    assert p["digits"].tolist() == ["2+2", "3+1"] and p["answer_length"].tolist() == [2, 4]
    d = question_properties("date", ["September 27, 1994", "2/10/93"])
    assert d["format"].tolist() == ["Month D, YYYY", "M/D/YY"] and d["month"].tolist() == [9, 2]


def test_pca_finds_the_direction_of_largest_variance():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 5)) * [10, 3, 1, 0.5, 0.1]
    p = pca(X, 2)
    assert abs(p.components[0, 0]) > 0.99 and abs(p.components[1, 1]) > 0.99
    assert p.explained[0] > p.explained[1] > 0 and p.explained.sum() <= 1
    coords = p.transform(X)
    assert coords.shape == (400, 2)
    np.testing.assert_allclose(coords.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(np.var(coords[:, 0]), np.var(X[:, 0] - X[:, 0].mean()), rtol=0.05)


def test_correlations_and_unit_order():
    rng = np.random.default_rng(2)
    v = rng.standard_normal(300)
    S = rng.standard_normal((300, 4)) * 0.1
    S[:, 2] += v  # unit 2 follows v
    S[:, 0] -= 0.5 * v  # unit 0 follows -v, less strongly
    S[:, 3] = 1.0  # a constant unit
    r = correlations(S, v)
    assert r[2] > 0.95 and r[0] < -0.9 and r[3] == 0
    assert unit_order(S, "correlation", v, k=2).tolist() == [2, 0]
    assert unit_order(S, "variance")[0] == 2
    with pytest.raises(ValueError):
        unit_order(S, "correlation")
