"""s2s.generalise: accuracy beyond the training range (counts, lengths, years, scoring, determinism)."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pytest

from s2s.analysis import error_report
from s2s.checkpoint import load_checkpoint
from s2s.data import from_pairs, task_codec
from s2s.generalise import (
    MAX_DIGITS,
    YEAR_BUCKETS,
    addition_questions,
    answer_steps,
    encode_wide,
    length_report,
    range_report,
    score,
    year_report,
)
from s2s.tasks import DATE_YEARS, classify_date, four_digit_year_forms, solve

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"


class AnswerModel:
    """A stand-in for a Seq2seq: ``generate`` reads each padded question and writes ``answer(question)``
    padded with spaces, as ids; it records the widths it was given."""

    def __init__(self, codec, answer):
        self.codec, self.answer, self.calls = codec, answer, []

    def generate(self, xs, start_id, sample_size):
        assert start_id == self.codec.vocab.start_id
        self.calls.append((xs.shape[1], sample_size))
        texts = [self.answer(self.codec.vocab.decode(row).rstrip()) for row in xs]
        return self.codec.vocab.encode_block([a.ljust(sample_size)[:sample_size] for a in texts])


def _sum(question: str) -> str:
    a, b = question.split("+")
    return str(int(a) + int(b))


@pytest.fixture(scope="module")
def codec():
    return task_codec("addition")


def test_counts_per_length_are_those_asked_and_one_digit_has_all_hundred(codec):
    report = length_report(AnswerModel(codec, _sum), codec, n=50, seed=3)
    assert [p.lo for p in report.points] == list(range(1, MAX_DIGITS + 1))
    assert [p.n for p in report.points] == [50] * MAX_DIGITS  # 50 < 100 one-digit pairs
    big = length_report(AnswerModel(codec, _sum), codec, n=200, seed=3)
    assert [p.n for p in big.points] == [100, 200, 200, 200, 200]  # only 100 one-digit pairs exist
    assert [p.inside_training for p in big.points] == [True, True, True, False, False]
    assert sum(c.n for c in big.grid) == sum(p.n for p in big.points)
    for p in big.points:  # the grid's cells of a length add up to the length's count
        assert sum(c.n for c in big.grid if max(c.digits_a, c.digits_b) == p.lo) == p.n
    assert all(c.inside_training == (max(c.digits_a, c.digits_b) <= 3) for c in big.grid)


@pytest.mark.parametrize("digits", [1, 2, 3, 4, 5])
def test_questions_have_the_digits_claimed_and_are_distinct(digits):
    pairs = addition_questions(digits, 200, np.random.default_rng(0))
    assert len(pairs) == min(200, 100 if digits == 1 else 10 ** (2 * digits))
    assert len(set(pairs)) == len(pairs)
    assert all(max(len(str(a)), len(str(b))) == digits for a, b in pairs)
    if digits > 1:  # drawn from the whole grid: shorter second operands appear too
        assert any(min(len(str(a)), len(str(b))) < digits for a, b in pairs)


def test_an_oracle_scores_one_everywhere_and_the_wide_questions_are_read_wide(codec):
    oracle = AnswerModel(codec, _sum)
    report = length_report(oracle, codec, n=200, seed=0)
    assert all(p.accuracy == 1.0 and p.char_accuracy == 1.0 for p in report.points)
    assert all(c.accuracy == 1.0 for c in report.grid)
    widths = {w for w, _ in oracle.calls}
    assert min(widths) == codec.question_width and max(widths) == 11  # 99999+99999
    assert max(s for _, s in oracle.calls) == 7  # 6 digits of 199998 and the pad after them


def test_a_model_always_answering_zero_scores_the_known_fraction(codec):
    report = length_report(AnswerModel(codec, lambda q: "0"), codec, n=200, seed=0)
    # one question in a hundred one-digit ones is 0+0; no longer question sums to 0
    assert [p.accuracy for p in report.points] == [0.01, 0, 0, 0, 0]


def test_a_digit_too_many_or_text_after_the_end(codec):
    pairs = [("12345+1", "12346"), ("1+1", "2"), ("999+999", "1998")]
    too_many = score(AnswerModel(codec, lambda q: _sum(q) + "7"), codec, pairs)
    # 12346 does not fit the codec's 4 steps: its pad is compared too; 1998 fills them, as in training (the
    # trained model was never asked to stop after a 4-digit answer)
    assert too_many.right.tolist() == [False, False, True]
    # what the model writes after the compared steps is not part of its answer: 1998 fills the codec's 4 steps
    after = score(AnswerModel(codec, lambda q: (_sum(q) + " ").ljust(4) + "99"), codec, pairs)
    assert after.right.tolist() == [True, True, True]
    assert [answer_steps(codec, a) for _, a in pairs] == [6, 4, 4]


def test_wide_encoding_round_trips_and_pads_as_the_codec(codec):
    questions = ["12345+67890", "1+2", "999+999"]
    ids = encode_wide(codec, questions, 11)
    assert ids.shape == (3, 11)
    assert [codec.vocab.decode(row) for row in ids] == [q.ljust(11) for q in questions]
    # at the codec's own width the encoding is the codec's (what the model saw in training)
    np.testing.assert_array_equal(encode_wide(codec, questions[1:], codec.question_width),
                                  codec.encode_questions(questions[1:]))
    with pytest.raises(ValueError, match="longer"):
        encode_wide(codec, questions, 7)
    with pytest.raises(ValueError, match="vocabulary"):
        encode_wide(codec, ["1-2"], 7)


def test_a_reversing_model_reads_the_padded_question_reversed():
    # the shipped reversed model gets the wide question as [spaces..., reversed question] like in training
    ck = load_checkpoint(WEIGHTS / "addition_book_reversed.npz")
    xs = encode_wide(ck.codec, ["12345+1"], 9)
    assert ck.codec.vocab.decode(ck.model.read(xs)[0]) == "  1+54321"


def test_inside_training_points_equal_error_report_on_the_same_questions():
    ck = load_checkpoint(WEIGHTS / "addition_book_peeky.npz")
    report = length_report(ck.model, ck.codec, n=200, seed=5)
    for digits in (1, 2, 3):
        operands = addition_questions(digits, 200, np.random.default_rng([5, digits]))
        data = from_pairs([(f"{a}+{b}", str(a + b)) for a, b in operands], ck.codec)
        expected = error_report(ck.model, data, "addition", worst=0)
        point = report.points[digits - 1]
        assert point.n == expected.n and point.accuracy == pytest.approx(expected.accuracy)
    assert report.points[3].accuracy < 0.1  # a model trained up to 3 digits does not add 4-digit numbers


def test_deterministic_for_a_seed(codec):
    def run(seed):
        return length_report(AnswerModel(codec, lambda q: q[-1]), codec, n=60, seed=seed)
    assert run(4) == run(4)
    assert run(4) != run(5)
    assert addition_questions(4, 30, np.random.default_rng(1)) == addition_questions(4, 30, np.random.default_rng(1))


def test_dates_lie_outside_the_trained_years_and_their_truths_parse():
    codec = task_codec("date")
    seen = []

    def answer(question):
        seen.append(question)
        return solve("date", question)

    report = year_report(AnswerModel(codec, answer), codec, n=100, seed=2)
    assert [p.n for p in report.points] == [100] * len(YEAR_BUCKETS)
    assert all(p.accuracy == 1.0 and p.month_day_accuracy == 1.0 for p in report.points)
    assert [p.inside_training for p in report.points] == [False, False, True, False, False]
    assert (report.points[2].lo, report.points[2].hi) == DATE_YEARS
    assert len(seen) == 100 * len(YEAR_BUCKETS)
    for k, (first, last) in enumerate(YEAR_BUCKETS):
        for question in seen[100 * k:100 * (k + 1)]:
            assert classify_date(question) in four_digit_year_forms()  # never M/D/YY
            assert len(question) <= codec.question_width
            year = datetime.date.fromisoformat(solve("date", question)).year
            assert first <= year <= last
            if k != 2:
                assert not DATE_YEARS[0] <= year <= DATE_YEARS[1]
    assert {classify_date(q) for q in seen} == set(four_digit_year_forms())


def test_year_only_wrong_keeps_month_and_day():
    date_codec = task_codec("date")
    wrong_year = AnswerModel(date_codec, lambda q: "1999" + solve("date", q)[4:])
    report = year_report(wrong_year, date_codec, n=20, seed=0)
    assert [p.accuracy for p in report.points][:2] == [0, 0] and report.points[2].accuracy < 0.2
    assert all(p.month_day_accuracy == 1.0 for p in report.points)
    assert all(0.5 < p.char_accuracy < 1 for i, p in enumerate(report.points) if i != 2)


def test_range_report_dispatches_by_task(codec):
    assert range_report(AnswerModel(codec, _sum), codec, "addition", n=10).by == "digits"
    assert range_report(None, codec, "reverse") is None
