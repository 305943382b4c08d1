"""s2s.analysis: carries, properties, PCA, correlations, unit ordering."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from s2s.analysis import carries, correlations, error_report, pca, question_properties, unit_order
from s2s.data import make_split


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


@pytest.mark.parametrize("task", ["addition", "date"])
def test_error_report_breaks_the_shipped_models_accuracy_down_consistently(task):
    from pathlib import Path

    from s2s.analysis import BREAKDOWNS, error_report
    from s2s.checkpoint import load_checkpoint
    from s2s.data import make_split
    from s2s.trainer import evaluate

    name = "addition_peeky" if task == "addition" else "date_attention"
    ck = load_checkpoint(Path(__file__).parents[1] / "weights" / f"{name}.npz")
    rng = np.random.default_rng(0)
    for _, p, _ in ck.model.named_parameters():  # noise, so the shipped model (100 % here) makes mistakes
        p += 0.3 * p.std() * rng.standard_normal(p.shape).astype(p.dtype)
    _, val = make_split(task, 100, 600, 7)
    report = error_report(ck.model, val, task)
    overall = evaluate(ck.model, val)
    assert report.n == 600
    assert report.accuracy == pytest.approx(overall["accuracy"])
    assert report.char_accuracy == pytest.approx(overall["char_accuracy"])
    assert 0.3 < report.accuracy < 0.95
    assert set(report.groups) == set(BREAKDOWNS[task])
    for groups in report.groups.values():
        assert sum(g.n for g in groups) == 600
        assert sum(g.n * g.accuracy for g in groups) / 600 == pytest.approx(report.accuracy)
        assert [g.value for g in groups] == sorted(g.value for g in groups)
    # worst examples: every wrong answer comes before every right one, each part by falling loss
    worst = report.worst
    assert len(worst) == 20 and worst[0].guess != worst[0].truth
    rights = [e.right for e in worst]
    assert rights == sorted(rights)
    for part in (False, True):
        losses = [e.loss for e in worst if e.right == part]
        assert losses == sorted(losses, reverse=True)
    wrong = sum(not e.right for e in worst)
    assert wrong == min(20, round(600 * (1 - report.accuracy)))
    # the loss is the mean negative log-likelihood of the truth: the batch loss of that one example
    one = next(i for i, q in enumerate(val.questions()) if q == worst[0].question)
    assert worst[0].loss == pytest.approx(ck.model.forward(val.xs[one:one + 1], val.ts[one:one + 1]), rel=1e-4)
    if task == "addition":
        grid, counts = report.first_digits, report.first_digits_n
        assert grid.shape == counts.shape == (10, 10) and counts.sum() == 600 and counts[0].sum() <= counts.sum()
        assert np.nansum(grid * counts) / 600 == pytest.approx(report.accuracy)
        assert np.isnan(grid[counts == 0]).all()
    else:
        assert report.first_digits is None
        assert {g.value for g in report.groups["month"]} <= set(range(1, 13))


def test_the_worst_questions_of_the_errors_page_are_distinct():
    """The Errors page's held-out questions (2,000, seed 11) are distinct, so its 20 worst questions are 20
    different questions (drawn with replacement, one question, 0+6, filled 17 of the 20 rows)."""
    from s2s.checkpoint import load_checkpoint

    model = load_checkpoint(Path(__file__).resolve().parents[1] / "weights" / "addition_book_baseline.npz").model
    _, data = make_split("addition", 0, 2000, 11)
    report = error_report(model, data, "addition")
    questions = [e.question for e in report.worst]
    assert len(questions) == 20 and len(set(questions)) == 20
