"""Where generalisation ends: accuracy beyond the training range.

The addition generator writes operands of 1 to 3 digits (``tasks.ADDITION_DIGITS``), the date generator
years 1900-2099 (``tasks.DATE_YEARS``). Asking a trained model questions just past those edges shows what
it learned: whether it learned to add digit by digit, or the lengths it was shown; and what reversed input,
Peeky and attention change about that. Dates outside the trained years ask whether the model copies the
year's digits or only knows the years it saw. (Measured on the shipped models, benchmarks/README.md: every
one of them is at 0 % past 3 digits and past the trained years, whatever it reaches inside.)

``length_report`` asks questions whose longer operand has 1..5 digits, ``year_report`` dates in centuries
before, inside and after the trained years; both return plain dataclasses (``RangeReport``) for the app's
Errors page and ``python -m benchmarks.generalise``. Nothing is excluded: the points inside the training
range are marked ``inside_training`` (some of their questions may have been trained on), the others lie
outside it by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from s2s.data import PAD, Codec
from s2s.tasks import ADDITION_DIGITS, DATE_YEARS, sample_date_years
from s2s.trainer import predict

# Questions per point. 200 keeps the standard error of an accuracy at most sqrt(0.25 / 200) = 3.5
# percentage points, enough to tell 95 % from 50 % from 0 % on a projector, while five points (1,000
# questions) decode in well under a second on one core for the shipped LSTM models (benchmarks/README.md).
N_PER_POINT = 200
MAX_DIGITS = 5  # the longest operands asked: two lengths beyond the training range
# Year buckets: two centuries before the trained years, the trained years as the inside reference, two after.
YEAR_BUCKETS: tuple[tuple[int, int], ...] = ((1700, 1799), (1800, 1899), DATE_YEARS, (2100, 2199), (2200, 2299))


@dataclass(frozen=True)
class Point:
    """Accuracy on the questions of one length (digits of the longer operand) or one range of years."""

    label: str  # "3" (digits) or "1700-1799" (years)
    lo: int  # digits, or the first year
    hi: int  # digits (= lo), or the last year
    n: int  # questions asked
    accuracy: float  # whole answers right
    char_accuracy: float  # characters of the true answers right, position by position (padding not counted)
    inside_training: bool  # the generator the model was trained on writes questions of this point
    month_day_accuracy: float | None = None  # dates: month and day right, whatever the year


@dataclass(frozen=True)
class Cell:
    """Addition: accuracy on the questions whose operands have (digits_a, digits_b) digits."""

    digits_a: int
    digits_b: int
    n: int
    accuracy: float
    inside_training: bool


@dataclass(frozen=True)
class RangeReport:
    """Accuracy by length (addition) or by year bucket (dates), and for addition the (a, b) digit grid."""

    task: str
    by: str  # "digits" or "years"
    points: tuple[Point, ...]
    grid: tuple[Cell, ...] = ()  # addition only; cells without questions left out
    seed: int = 0


@dataclass(frozen=True)
class Scored:
    """Greedy answers to questions, scored against their true answers."""

    guesses: list[str]
    right: np.ndarray  # (N,) bool: the whole answer right
    char_right: np.ndarray  # (N,) fraction of the true answer's characters right


def encode_wide(codec: Codec, questions: Sequence[str], width: int) -> np.ndarray:
    """Questions -> (N, width) ids, padded with spaces on the right as the codec pads (a model that reverses
    its input reverses the padded question, as in training). ValueError if a question is longer than
    ``width`` or holds a character outside the vocabulary."""
    if any(len(q) > width for q in questions):
        raise ValueError(f"a question is longer than {width} characters")
    ids = codec.vocab.encode_block([q.ljust(width, PAD) for q in questions])
    if ids.size and ids.min() < 0:
        row = int(np.flatnonzero((ids < 0).any(axis=1))[0])
        raise ValueError(f"{questions[row]!r} holds a character outside the model's vocabulary")
    return ids


def answer_steps(codec: Codec, truth: str) -> int:
    """The decoder steps compared for one true answer: the codec's answer width (without '_') when the
    answer fits it, as in training and in error_report; otherwise the answer and one pad after it, so that
    an answer with a digit too many (123456 for 12345) is wrong. What the model writes after those steps is
    not part of its answer."""
    width = codec.answer_width - 1
    return width if len(truth) <= width else len(truth) + 1


def score(model, codec: Codec, pairs: Sequence[tuple[str, str]], batch_size: int = 2000) -> Scored:
    """Greedy answers of ``model`` (anything with Seq2seq's ``generate``) to (question, true answer) pairs.

    A question longer than the codec's question width is padded to its own length, not beyond: every
    question the model was trained on was padded to the codec's width, so a question that fits is encoded
    exactly as in training, and a longer one gets no more padding than it must (extra spaces would be one more
    thing never seen). The encoder reads any length; the questions are decoded in groups of one width.
    """
    n = len(pairs)
    guesses = [""] * n
    right = np.zeros(n, bool)
    char_right = np.zeros(n)
    widths = np.array([max(codec.question_width, len(q)) for q, _ in pairs], dtype=np.int64)
    for width in np.unique(widths).tolist():
        index = np.flatnonzero(widths == width)
        truths = [pairs[i][1] for i in index]
        steps = [answer_steps(codec, a) for a in truths]
        xs = encode_wide(codec, [pairs[i][0] for i in index], width)
        ids = predict(model, xs, max(steps), codec.vocab.start_id, batch_size)
        for row, (i, truth, k) in enumerate(zip(index.tolist(), truths, steps, strict=True)):
            written = codec.vocab.decode(ids[row, :k])
            guesses[i] = written.rstrip(PAD)
            right[i] = written == truth.ljust(k, PAD)
            char_right[i] = np.mean([g == c for g, c in zip(written, truth, strict=False)]) if truth else 1.0
    return Scored(guesses, right, char_right)


def _digits(x: int) -> int:
    return len(str(x))


def addition_questions(digits: int, n: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """``n`` distinct operand pairs (a, b) whose longer operand has exactly ``digits`` digits, drawn uniformly
    from all such pairs (numbers written without leading zeros, 0 having one digit); all of them, in a random
    order, when there are no more than ``n`` (one-digit pairs: 100)."""
    top, low = 10 ** digits, (10 ** (digits - 1) if digits > 1 else 0)
    population = top * top - low * low
    if n >= population:
        codes = np.arange(top * top)
        a, b = codes // top, codes % top
        codes = codes[np.maximum(a, b) >= low]
        codes = rng.permutation(codes)
    else:
        found: dict[int, None] = {}
        while len(found) < n:
            a, b = rng.integers(0, top, size=(2, 2 * n))
            keep = np.maximum(a, b) >= low  # the longer operand has `digits` digits
            found.update(dict.fromkeys((a[keep] * top + b[keep]).tolist()))
        codes = np.array(list(found)[:n])
    return [(int(c) // top, int(c) % top) for c in codes]


def length_report(model, codec: Codec, n: int = N_PER_POINT, seed: int = 0, max_digits: int = MAX_DIGITS,
                  batch_size: int = 2000) -> RangeReport:
    """Addition: accuracy by the digits of the longer operand, 1..max_digits, ``n`` questions each (fewer only
    where there are fewer: one-digit pairs), drawn with ``np.random.default_rng([seed, digits])`` (a point does
    not change when others are added); and the same questions by (digits of a, digits of b)."""
    operands = {d: addition_questions(d, n, np.random.default_rng([seed, d])) for d in range(1, max_digits + 1)}
    pairs = [(f"{a}+{b}", str(a + b)) for d in operands for a, b in operands[d]]
    scored = score(model, codec, pairs, batch_size)
    longer = np.array([d for d in operands for _ in operands[d]])
    da = np.array([_digits(a) for d in operands for a, _ in operands[d]])
    db = np.array([_digits(b) for d in operands for _, b in operands[d]])
    points = tuple(_point(str(d), d, d, scored, longer == d, d <= ADDITION_DIGITS) for d in operands)
    grid = tuple(Cell(a, b, int(m.sum()), float(scored.right[m].mean()), max(a, b) <= ADDITION_DIGITS)
                 for a in range(1, max_digits + 1) for b in range(1, max_digits + 1)
                 for m in [(da == a) & (db == b)] if m.any())
    return RangeReport("addition", "digits", points, grid, seed)


def year_report(model, codec: Codec, task: str = "date", n: int = N_PER_POINT, seed: int = 0,
                buckets: Sequence[tuple[int, int]] = YEAR_BUCKETS, batch_size: int = 2000) -> RangeReport:
    """Dates: accuracy by range of years, ``n`` questions each, written in the forms with a four-digit year
    (``tasks.sample_date_years``; M/D/YY is left out, its year being ambiguous outside 1969-2068), answers ISO
    ``YYYY-MM-DD``; a bucket is inside training when it lies within ``tasks.DATE_YEARS``."""
    pairs, bucket = [], []
    for k, (first, last) in enumerate(buckets):
        pairs += sample_date_years(np.random.default_rng([seed, first]), n, first, last)
        bucket += [k] * n
    scored = score(model, codec, pairs, batch_size)
    bucket = np.array(bucket)
    month_day = np.array([g[5:] == a[5:] and len(g) == len(a) for g, (_, a) in zip(scored.guesses, pairs,
                                                                                     strict=True)])
    points = tuple(
        _point(f"{first}-{last}", first, last, scored, bucket == k,
               DATE_YEARS[0] <= first and last <= DATE_YEARS[1], float(month_day[bucket == k].mean()))
        for k, (first, last) in enumerate(buckets))
    return RangeReport(task, "years", points, (), seed)


def _point(label: str, lo: int, hi: int, scored: Scored, mask: np.ndarray, inside: bool,
           month_day: float | None = None) -> Point:
    count = int(mask.sum())
    acc = float(scored.right[mask].mean()) if count else 0.0
    chars = float(scored.char_right[mask].mean()) if count else 0.0
    return Point(label, lo, hi, count, acc, chars, inside, month_day)


def range_report(model, codec: Codec, task: str, n: int = N_PER_POINT, seed: int = 0) -> RangeReport | None:
    """The report that fits the task: by length for addition, by years for dates; None for other tasks."""
    if task == "addition":
        return length_report(model, codec, n, seed)
    if task in ("date", "date_ja"):
        return year_report(model, codec, task, n, seed)
    return None
