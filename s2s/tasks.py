"""Toy sequence-to-sequence tasks: generators of (question, answer) string pairs.

The tasks follow the data of chapters 7-8 of 『ゼロから作るDeep Learning ❷』:

* ``addition``: ``"16+75" -> "91"`` (operands 0..999, distinct questions with the digit counts of the
  book's ``addition.txt``),
* ``date``: many written forms of a date -> ISO ``"YYYY-MM-DD"`` (book's ``date.txt`` plus a few
  extra forms),
* ``date_ja``: the same, and dates written in Japanese: 西暦 ``2013年6月17日`` and 和暦
  ``平成25年6月17日``, ``令和元年5月1日``,
* ``reverse`` and ``sort``: tiny warm-up tasks that a model learns in seconds.

Every generator has the signature ``sample(rng, n) -> list[tuple[str, str]]``; all randomness comes
from the ``np.random.Generator`` passed in.  Questions and answers are returned UNPADDED (no trailing
spaces, no leading ``'_'``); padding to ``question_width`` / ``answer_width`` is done elsewhere.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "ADDITION_DIGITS",
    "BOOK_ADDITION_MIX",
    "DATE_YEARS",
    "TASKS",
    "TaskSpec",
    "Oddity",
    "QuestionCheck",
    "book_date_formats",
    "check_question",
    "classify_date",
    "date_formats",
    "date_ja_formats",
    "era_of",
    "format_date",
    "four_digit_year_forms",
    "sample_addition",
    "sample_date",
    "sample_date_ja",
    "sample_date_years",
    "sample_reverse",
    "sample_sort",
    "solve",
]


@dataclass(frozen=True)
class TaskSpec:
    """Static description of one toy task and its sampler."""

    name: str
    question_width: int  # max question length
    answer_width: int  # max answer length (WITHOUT the leading '_')
    # Every character a question or answer may contain, sorted; never '_', and ' ' only where it
    # occurs inside questions (date), since ' ' is also the padding character.
    alphabet: str
    sample: Callable[[np.random.Generator, int], list[tuple[str, str]]]
    description_en: str
    description_ja: str
    examples: tuple[str, ...]  # a few example questions for UI buttons
    # Each question at most once in a data set (the book's addition.txt); tasks with few distinct
    # questions (the warm-ups) repeat them.
    distinct: bool = False


def _check_n(n: int) -> int:
    """Validate a sample count and return it as a plain int."""
    n = int(n)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return n


def _rows_to_strings(codes: np.ndarray) -> list[str]:
    """Turn an (n, w) uint8 matrix of ASCII codes (0 = end of string) into a list of str."""
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    width = codes.shape[1]
    # A fixed-width bytes view drops the trailing NUL bytes, which gives variable lengths for free.
    return codes.view(f"S{width}").ravel().astype(f"U{width}").tolist()


# ----------------------------------------------------------------------------------------------
# addition
# ----------------------------------------------------------------------------------------------

# Inclusive-exclusive value ranges for numbers with exactly 1, 2 and 3 digits.
_DIGIT_LOW = np.array([0, 10, 100], dtype=np.int64)
_DIGIT_HIGH = np.array([10, 100, 1000], dtype=np.int64)

# The book's addition.txt holds 50,000 distinct questions, mostly long ones: the share of questions
# whose operands have (digits of a, digits of b), measured from that file. The generator draws this
# mixture, so that the plain, reversed and Peeky models tell the book's story (drawing the digit count
# of each operand uniformly made the hundred one-digit pairs a ninth of the data and the task easy).
BOOK_ADDITION_MIX: dict[tuple[int, int], float] = {
    (1, 1): 0.0011, (1, 2): 0.0086, (1, 3): 0.0875,
    (2, 1): 0.0094, (2, 2): 0.0796, (2, 3): 0.2360,
    (3, 1): 0.0870, (3, 2): 0.2393, (3, 3): 0.2515,
}
_MIX_DIGITS = np.array(list(BOOK_ADDITION_MIX), dtype=np.int64) - 1  # (9, 2): digit counts - 1
_MIX_P = np.array(list(BOOK_ADDITION_MIX.values()))
_MIX_SIZES = (_DIGIT_HIGH - _DIGIT_LOW)[_MIX_DIGITS].prod(axis=1)  # distinct questions of each kind


def sample_addition(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    """Sample ``n`` DISTINCT pairs ``("a+b", str(a+b))`` with a, b in 0..999, in the book's mixture of
    digit counts (``BOOK_ADDITION_MIX``). A kind with fewer questions than its share (one-digit pairs:
    100) is used up and the rest is drawn from the others in proportion."""
    n = _check_n(n)
    if n > _MIX_SIZES.sum():
        raise ValueError(f"there are only {_MIX_SIZES.sum():,} distinct addition questions, {n:,} were asked for")
    counts = np.zeros(len(_MIX_P), dtype=np.int64)
    while counts.sum() < n:
        room = _MIX_SIZES - counts
        p = np.where(room > 0, _MIX_P, 0.0)
        counts += np.minimum(rng.multinomial(n - counts.sum(), p / p.sum()), room)
    a_parts, b_parts = [], []
    for (da, db), k, size in zip(_MIX_DIGITS, counts, _MIX_SIZES, strict=True):
        # k distinct indices into the kind's (a, b) grid, then a = row, b = column
        index = rng.choice(size, size=k, replace=False)
        width_b = _DIGIT_HIGH[db] - _DIGIT_LOW[db]
        a_parts.append(_DIGIT_LOW[da] + index // width_b)
        b_parts.append(_DIGIT_LOW[db] + index % width_b)
    order = rng.permutation(n)
    a_list = np.concatenate(a_parts)[order].tolist()
    b_list = np.concatenate(b_parts)[order].tolist()
    return [(f"{a}+{b}", str(a + b)) for a, b in zip(a_list, b_list, strict=True)]


# ----------------------------------------------------------------------------------------------
# date
# ----------------------------------------------------------------------------------------------

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

Case = Literal["title", "lower", "upper"]
_CASES: tuple[str, ...] = ("title", "lower", "upper")
_CASE_PROBS = (0.5, 0.25, 0.25)  # same mix as the book's date.txt


def _cased(names: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Return the names in Title, lower and UPPER case (indexed like ``_CASES``)."""
    return (names, tuple(s.lower() for s in names), tuple(s.upper() for s in names))


# Name tables indexed as [case][abbreviated][month 1..12] and [case][weekday 0..6 = Mon..Sun].
_MONTH_TABLE = tuple(
    (("", *full), ("", *abbr))
    for full, abbr in zip(_cased(_MONTHS), _cased(tuple(m[:3] for m in _MONTHS)), strict=True)
)
_WEEKDAY_TABLE = _cased(_WEEKDAYS)

# Written forms: the first three are the book's forms, the last three are extra.
_FORM_MDY = "Month D, YYYY"
_FORM_WMDY = "Weekday, Month D, YYYY"
_FORM_SLASH = "M/D/YY"
_FORM_DMY = "D Month YYYY"
_FORM_ISO = "YYYY-MM-DD"
_FORM_DOTTED = "DD.MM.YYYY"
_DATE_FORMS = (_FORM_MDY, _FORM_WMDY, _FORM_SLASH, _FORM_DMY, _FORM_ISO, _FORM_DOTTED)
_BOOK_FORMS = (_FORM_MDY, _FORM_WMDY, _FORM_SLASH)
# About 80% of the mass on the book's forms (in the book's own 2:1:1 ratio), 20% on the extras.
_DATE_FORM_PROBS = (0.40, 0.20, 0.20, 0.10, 0.05, 0.05)
# Probability of a 3-letter month name; the book never abbreviates in the weekday form, so less there.
_ABBR_PROB = 0.5
_ABBR_PROB_WEEKDAY = 0.2

# Year ranges: four-digit forms use 1900..2099; two-digit years use the POSIX pivot window.
_YEARS_4 = (1900, 2099)
_YEARS_2 = (1969, 2068)  # yy 69..99 -> 19yy, 00..68 -> 20yy
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()

_DATE_PATTERNS = (
    (_FORM_MDY, re.compile(r"[A-Za-z]+ \d{1,2}, \d{4}")),
    (_FORM_WMDY, re.compile(r"[A-Za-z]+, [A-Za-z]+ \d{1,2}, \d{4}")),
    (_FORM_SLASH, re.compile(r"\d{1,2}/\d{1,2}/\d{2}")),
    (_FORM_DMY, re.compile(r"\d{1,2} [A-Za-z]+ \d{4}")),
    (_FORM_ISO, re.compile(r"\d{4}-\d{2}-\d{2}")),
    (_FORM_DOTTED, re.compile(r"\d{2}\.\d{2}\.\d{4}")),
)

# Japanese forms (task date_ja): the Gregorian year (西暦) and the era year (和暦), where the first year
# of an era is written 元年. Eras with their first day in the Gregorian calendar.
_FORM_SEIREKI = "YYYY年M月D日"
_FORM_WAREKI = "元号N年M月D日"
_JA_FORMS = (_FORM_SEIREKI, _FORM_WAREKI)
_ERAS = (
    ("明治", datetime.date(1868, 10, 23)),
    ("大正", datetime.date(1912, 7, 30)),
    ("昭和", datetime.date(1926, 12, 25)),
    ("平成", datetime.date(1989, 1, 8)),
    ("令和", datetime.date(2019, 5, 1)),
)
_JA_SHARE = 0.35  # of date_ja questions written in Japanese, half 西暦 and half 和暦
_JA_PADDED = 0.2  # month and day written with two digits (2013年06月07日)
_GANNEN_DIGIT = 0.25  # the first year of an era written 1年 instead of 元年
# 和暦 dates drawn from within 30 days of the first day of an era: 昭和元年 has only seven days, so
# uniform dates almost never show them (a first model wrote 1930112-25 for 昭和元年12月25日)
_ERA_EDGE = 0.15
_DATE_PATTERNS += (
    (_FORM_SEIREKI, re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")),
    (_FORM_WAREKI, re.compile(r"(?:" + "|".join(name for name, _ in _ERAS) + r")(?:元|\d{1,2})年\d{1,2}月\d{1,2}日")),
)


def era_of(d: datetime.date) -> tuple[str, int]:
    """The Japanese era of a date (明治 onwards) and the year within it (1 = 元年)."""
    for name, start in reversed(_ERAS):
        if d >= start:
            return name, d.year - start.year + 1
    raise ValueError(f"{d.isoformat()} is before the 明治 era")


def date_formats() -> list[str]:
    """Return the names of the written date forms (the book's three forms first)."""
    return list(_DATE_FORMS)


def date_ja_formats() -> list[str]:
    """Return the names of the written date forms of the date_ja task (date_formats() and the Japanese)."""
    return list(_DATE_FORMS + _JA_FORMS)


def book_date_formats() -> list[str]:
    """Return the names of the written date forms that occur in the book's ``date.txt``."""
    return list(_BOOK_FORMS)


def classify_date(question: str) -> str | None:
    """Return the name of the written form of a date question, or None if it matches none."""
    text = question.strip(" _")
    for name, pattern in _DATE_PATTERNS:
        if pattern.fullmatch(text):
            return name
    return None


def _render_date(form: str, year: int, month: int, day: int, weekday: int, case: int, abbr: int) -> str:
    """Render one date in a written form; ``case`` indexes ``_CASES``, ``weekday`` 0 = Monday."""
    if form == _FORM_MDY:
        return f"{_MONTH_TABLE[case][abbr][month]} {day}, {year}"
    if form == _FORM_WMDY:
        return f"{_WEEKDAY_TABLE[case][weekday]}, {_MONTH_TABLE[case][abbr][month]} {day}, {year}"
    if form == _FORM_SLASH:
        return f"{month}/{day}/{year % 100:02d}"
    if form == _FORM_DMY:
        return f"{day} {_MONTH_TABLE[case][abbr][month]} {year}"
    if form == _FORM_ISO:
        return f"{year:04d}-{month:02d}-{day:02d}"
    if form == _FORM_DOTTED:
        return f"{day:02d}.{month:02d}.{year:04d}"
    raise ValueError(f"unknown date form {form!r}; expected one of {list(_DATE_FORMS)}")


def format_date(d: datetime.date, form: str, case: Case = "title", abbreviate: bool = False) -> str:
    """Write a date in one of ``date_formats()``, in the given letter case, optionally 3-letter month."""
    if case not in _CASES:
        raise ValueError(f"unknown case {case!r}; expected one of {list(_CASES)}")
    if form == _FORM_SLASH and not _YEARS_2[0] <= d.year <= _YEARS_2[1]:
        raise ValueError(f"two-digit years are only unambiguous for {_YEARS_2[0]}..{_YEARS_2[1]}")
    return _render_date(form, d.year, d.month, d.day, d.weekday(), _CASES.index(case), int(abbreviate))


def _ordinal_range(years: tuple[int, int]) -> tuple[int, int]:
    """Return the inclusive proleptic-Gregorian ordinal range covering the given years."""
    return datetime.date(years[0], 1, 1).toordinal(), datetime.date(years[1], 12, 31).toordinal()


def sample_date(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    """Sample ``n`` pairs (date written in a random form, ISO ``YYYY-MM-DD``)."""
    n = _check_n(n)
    form_idx = rng.choice(len(_DATE_FORMS), size=n, p=_DATE_FORM_PROBS)
    case_idx = rng.choice(len(_CASES), size=n, p=_CASE_PROBS)
    abbr_prob = np.where(form_idx == _DATE_FORMS.index(_FORM_WMDY), _ABBR_PROB_WEEKDAY, _ABBR_PROB)
    abbr = (rng.random(n) < abbr_prob).astype(np.int64)

    # A uniform random day in the year window of the form (two-digit years use the pivot window).
    lo4, hi4 = _ordinal_range(_YEARS_4)
    lo2, hi2 = _ordinal_range(_YEARS_2)
    two_digit = form_idx == _DATE_FORMS.index(_FORM_SLASH)
    ordinals = rng.integers(np.where(two_digit, lo2, lo4), np.where(two_digit, hi2, hi4) + 1)

    # Split the ordinals into calendar fields with numpy's datetime64 (vectorised).
    days = (ordinals - _EPOCH_ORDINAL).astype("datetime64[D]")
    months_since_epoch = days.astype("datetime64[M]")
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    months = months_since_epoch.astype(np.int64) % 12 + 1
    day_of_month = (days - months_since_epoch).astype(np.int64) + 1
    weekdays = (ordinals - 1) % 7  # ordinal 1 (0001-01-01) is a Monday
    answers = np.datetime_as_string(days, unit="D").tolist()

    forms = [_DATE_FORMS[i] for i in form_idx.tolist()]
    questions = [
        _render_date(*fields)
        for fields in zip(
            forms,
            years.tolist(),
            months.tolist(),
            day_of_month.tolist(),
            weekdays.tolist(),
            case_idx.tolist(),
            abbr.tolist(),
            strict=True,
        )
    ]
    return list(zip(questions, answers, strict=True))


def four_digit_year_forms() -> list[str]:
    """The written date forms that give the year with four digits (all but M/D/YY)."""
    return [form for form in _DATE_FORMS if form != _FORM_SLASH]


def sample_date_years(rng: np.random.Generator, n: int, first: int, last: int) -> list[tuple[str, str]]:
    """Sample ``n`` pairs like ``sample_date``, but the day drawn uniformly from the years ``first..last``
    (any years 1..9999, also outside ``DATE_YEARS``) and written only in ``four_digit_year_forms()``, in
    the generator's mix of those forms, cases and abbreviations. M/D/YY is left out: a two-digit year
    names a year only inside its window (1969-2068), so outside it the question has no one answer."""
    n = _check_n(n)
    if not 1 <= first <= last <= 9999:
        raise ValueError(f"years must satisfy 1 <= first <= last <= 9999, got {first}..{last}")
    forms = four_digit_year_forms()
    p = np.array([_DATE_FORM_PROBS[_DATE_FORMS.index(f)] for f in forms])
    form_idx = rng.choice(len(forms), size=n, p=p / p.sum())
    case_idx = rng.choice(len(_CASES), size=n, p=_CASE_PROBS)
    abbr_prob = np.where(np.array(forms)[form_idx] == _FORM_WMDY, _ABBR_PROB_WEEKDAY, _ABBR_PROB)
    abbr = rng.random(n) < abbr_prob
    lo, hi = _ordinal_range((first, last))
    ordinals = rng.integers(lo, hi + 1, size=n)
    pairs = []
    for k, c, a, o in zip(form_idx.tolist(), case_idx.tolist(), abbr.tolist(), ordinals.tolist(), strict=True):
        d = datetime.date.fromordinal(o)
        pairs.append((format_date(d, forms[k], _CASES[c], a), d.isoformat()))
    return pairs


def _render_ja(d: datetime.date, wareki: bool, padded: bool, gannen_digit: bool) -> str:
    md = f"{d.month:02d}月{d.day:02d}日" if padded else f"{d.month}月{d.day}日"
    if not wareki:
        return f"{d.year}年{md}"
    era, year = era_of(d)
    return f"{era}{'元' if year == 1 and not gannen_digit else year}年{md}"


def sample_date_ja(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    """Sample ``n`` pairs like ``sample_date``, about a third of them written in Japanese (西暦 or 和暦)."""
    pairs = sample_date(rng, n)
    japanese = np.flatnonzero(rng.random(len(pairs)) < _JA_SHARE)
    wareki = rng.random(len(japanese)) < 0.5
    padded = rng.random(len(japanese)) < _JA_PADDED
    digit = rng.random(len(japanese)) < _GANNEN_DIGIT
    edge = rng.random(len(japanese)) < _ERA_EDGE
    era = rng.integers(1, len(_ERAS), size=len(japanese))  # 大正 .. 令和 (明治 began before 1900)
    offset = rng.random(len(japanese))
    for i, w, p, g, e, k, u in zip(japanese.tolist(), wareki.tolist(), padded.tolist(), digit.tolist(),
                                   edge.tolist(), era.tolist(), offset.tolist(), strict=True):
        d = datetime.date.fromisoformat(pairs[i][1])
        if w and e:  # within 30 days of the first day of an era
            d = _ERAS[k][1] + datetime.timedelta(days=int(u * 61) - 30)
        pairs[i] = (_render_ja(d, w, p, g), d.isoformat())
    return pairs


def _date_alphabet() -> str:
    """Return every character a date question or answer can contain (including ' '), sorted."""
    names = "".join(_MONTHS + _WEEKDAYS)
    return "".join(sorted(set("0123456789 ,/-." + names.lower() + names.upper())))


def _date_ja_alphabet() -> str:
    """The date alphabet with the characters of the Japanese forms."""
    return "".join(sorted(set(_date_alphabet() + "年月日元" + "".join(name for name, _ in _ERAS))))


# ----------------------------------------------------------------------------------------------
# reverse and sort (warm-up tasks)
# ----------------------------------------------------------------------------------------------

_SHORT_MIN_LEN, _SHORT_MAX_LEN = 3, 5


def _random_short_strings(
    rng: np.random.Generator, n: int, alphabet: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``n`` strings of length 3..5 as a padded code matrix, their lengths and a padding mask."""
    lengths = rng.integers(_SHORT_MIN_LEN, _SHORT_MAX_LEN + 1, size=n)
    codes = np.frombuffer(alphabet.encode("ascii"), dtype=np.uint8)
    chars = codes[rng.integers(0, len(alphabet), size=(n, _SHORT_MAX_LEN))]
    pad = np.arange(_SHORT_MAX_LEN) >= lengths[:, None]
    return chars, lengths, pad


def sample_reverse(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    """Sample ``n`` pairs (string of 3..5 letters from 'abcde', the same string reversed)."""
    n = _check_n(n)
    chars, lengths, pad = _random_short_strings(rng, n, "abcde")
    # Position j of the reversed string is position length-1-j of the original.
    src = np.clip(lengths[:, None] - 1 - np.arange(_SHORT_MAX_LEN), 0, _SHORT_MAX_LEN - 1)
    reversed_chars = np.take_along_axis(chars, src, axis=1)
    chars[pad] = 0
    reversed_chars[pad] = 0
    return list(zip(_rows_to_strings(chars), _rows_to_strings(reversed_chars), strict=True))


def sample_sort(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    """Sample ``n`` pairs (3..5 random digits, the same digits sorted ascending)."""
    n = _check_n(n)
    chars, _, pad = _random_short_strings(rng, n, "0123456789")
    # Padding positions get the largest code so they sort to the end, then become terminators.
    sorted_chars = np.sort(np.where(pad, 255, chars).astype(np.uint8), axis=1)
    chars[pad] = 0
    sorted_chars[pad] = 0
    return list(zip(_rows_to_strings(chars), _rows_to_strings(sorted_chars), strict=True))


# ----------------------------------------------------------------------------------------------
# true answers of typed questions
# ----------------------------------------------------------------------------------------------

_MONTH_NUMBER = {name.lower(): i + 1 for i, name in enumerate(_MONTHS)} | {
    name[:3].lower(): i + 1 for i, name in enumerate(_MONTHS)}


def _parse_date(question: str) -> str | None:
    """ISO date of a question in one of the date forms, or None (unknown form, impossible date)."""
    form, text = classify_date(question), question.strip()
    try:
        if form in (_FORM_MDY, _FORM_WMDY):
            words = text.replace(",", "").split()
            month, day, year = _MONTH_NUMBER.get(words[-3].lower()), int(words[-2]), int(words[-1])
            if month is None:
                return None
            d = datetime.date(year, month, day)
            if form == _FORM_WMDY and _WEEKDAYS[d.weekday()].lower() != words[0].lower():
                return None
        elif form == _FORM_SLASH:
            m, dd, yy = (int(v) for v in text.split("/"))
            d = datetime.date(1900 + yy if yy >= 69 else 2000 + yy, m, dd)
        elif form == _FORM_DMY:
            day, name, year = text.split()
            month = _MONTH_NUMBER.get(name.lower())
            if month is None:
                return None
            d = datetime.date(int(year), month, int(day))
        elif form == _FORM_ISO:
            d = datetime.date.fromisoformat(text)
        elif form == _FORM_DOTTED:
            dd, m, y = (int(v) for v in text.split("."))
            d = datetime.date(y, m, dd)
        elif form in _JA_FORMS:
            head, m, dd = re.fullmatch(r"(.+)年(\d+)月(\d+)日", text).groups()
            if form == _FORM_SEIREKI:
                d = datetime.date(int(head), int(m), int(dd))
            else:
                names = [name for name, _ in _ERAS]
                k = names.index(head[:2])
                year = 1 if head[2:] == "元" else int(head[2:])
                d = datetime.date(_ERAS[k][1].year + year - 1, int(m), int(dd))
                if year < 1 or era_of(d) != (names[k], year):
                    return None  # not a day of that era (平成32年, 昭和64年2月, 0年)
        else:
            return None
    except ValueError:
        return None
    return d.isoformat()


def solve(task: str, question: str) -> str | None:
    """The true answer of a typed question, or None when the question is not a valid one of the task."""
    q = question.strip()
    if task == "addition":
        m = re.fullmatch(r"(\d{1,3})\+(\d{1,3})", q)
        return None if m is None else str(int(m.group(1)) + int(m.group(2)))
    if task == "date":
        return None if classify_date(q) in _JA_FORMS else _parse_date(q)
    if task == "date_ja":
        return _parse_date(q)
    if task == "reverse":
        return q[::-1] if re.fullmatch(r"[a-e]{1,5}", q) else None
    if task == "sort":
        return "".join(sorted(q)) if re.fullmatch(r"\d{1,5}", q) else None
    return None


# ----------------------------------------------------------------------------------------------
# odd questions: of the task's form and within its training range?
# ----------------------------------------------------------------------------------------------

_ODDITY_EN = {
    "no_plus": "there is no '+' (the model learned questions of the form a+b)",
    "many_plus": "there are {n} '+' signs (the model learned questions of the form a+b)",
    "missing_number": "the {part} number is missing (the model learned questions of the form a+b)",
    "no_numbers": "there are no numbers (the model learned questions of the form a+b)",
    "too_many_digits": "the {part} number has {digits} digits, the model learned up to {max}",
    "leading_zero": "{part} is written with a leading 0, which the model never saw",
    "date_form": "it is not one of the written forms the model learned ({forms})",
    "month_name": "{word!r} is not a month name the model learned (in full or its first three letters)",
    "weekday_name": "{word!r} is not a weekday name the model learned (written in full)",
    "weekday": "{date} is a {weekday}, not a {word}",
    "no_such_date": "there is no such day",
    "year_range": "the year {year} is outside the years the model learned ({lo}-{hi})",
    "letter_case": "the letters mix cases (the model learned Title, lower or UPPER case)",
    "length": "it has {n} characters, the model learned {lo} to {hi}",
}
_PART_EN = {"first": "the first number", "second": "the second number", "day": "the day", "month": "the month"}


@dataclass(frozen=True)
class Oddity:
    """One way a question differs from every question the task's generator writes: ``kind`` and ``params``
    for the app to say it in its language (``str()`` says it in English). The kinds: addition ``no_plus``,
    ``many_plus`` (n), ``missing_number`` (part: first / second), ``no_numbers``, ``too_many_digits`` (part,
    digits, max), ``leading_zero`` (part: first / second / day / month); dates ``date_form`` (forms),
    ``month_name`` (word), ``weekday_name`` (word), ``weekday`` (date, weekday, word), ``no_such_date``,
    ``year_range`` (year, lo, hi), ``letter_case``; reverse and sort ``length`` (n, lo, hi)."""

    kind: str
    params: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, kind: str, **params) -> Oddity:
        return cls(kind, tuple(params.items()))

    @property
    def args(self) -> dict:
        """The params as a dict."""
        return dict(self.params)

    def __str__(self) -> str:
        args = self.args
        if self.kind == "leading_zero":
            args["part"] = _PART_EN[args["part"]]
        return _ODDITY_EN[self.kind].format(**args)


@dataclass(frozen=True)
class QuestionCheck:
    """Whether a question is one the model was trained on: the reasons it is not (none: an ordinary
    question), and its true answer when one can be computed, also for an odd question (``1234+5``: 1239)."""

    question: str
    reasons: tuple[Oddity, ...]
    truth: str | None

    @property
    def ordinary(self) -> bool:
        """Of the task's form and within its training range."""
        return not self.reasons


_ADD_DIGITS = len(str(_DIGIT_HIGH[-1] - 1))  # the generator's operands have up to 3 digits
ADDITION_DIGITS = _ADD_DIGITS  # public: the most digits an operand of the addition generator has
DATE_YEARS = _YEARS_4  # public: the years the date generator writes with four digits (first, last)


def _addition_check(q: str) -> tuple[list[Oddity], str | None]:
    parts = q.split("+")
    if len(parts) == 1:
        return [Oddity.of("no_plus")], None
    if len(parts) > 2:
        return [Oddity.of("many_plus", n=len(parts) - 1)], None
    if not any(parts):
        return [Oddity.of("no_numbers")], None
    reasons = [Oddity.of("missing_number", part=part) for part, x in zip(("first", "second"), parts, strict=True)
               if not x]
    if reasons or not all(x.isdigit() for x in parts):
        return reasons, None
    for part, x in zip(("first", "second"), parts, strict=True):
        if len(x) > _ADD_DIGITS:
            reasons.append(Oddity.of("too_many_digits", part=part, digits=len(x), max=_ADD_DIGITS))
        if len(x) > 1 and x.startswith("0"):
            reasons.append(Oddity.of("leading_zero", part=part))
    return reasons, str(int(parts[0]) + int(parts[1]))


def _date_check(task: str, q: str) -> tuple[list[Oddity], str | None]:
    form = classify_date(q)
    forms = date_ja_formats() if task == "date_ja" else date_formats()
    if form not in forms:
        return [Oddity.of("date_form", forms="; ".join(forms))], None
    reasons = []
    words = re.findall(r"[A-Za-z]+", q)
    cases = {"title" if w.istitle() else "lower" if w.islower() else "upper" if w.isupper() else "mixed"
             for w in words}
    if len(cases) > 1 or "mixed" in cases:
        reasons.append(Oddity.of("letter_case"))
    numbers = re.findall(r"\d+", q)
    if form in (_FORM_MDY, _FORM_WMDY, _FORM_DMY) and numbers[0].startswith("0"):
        reasons.append(Oddity.of("leading_zero", part="day"))
    if form == _FORM_SLASH:
        reasons += [Oddity.of("leading_zero", part=part) for part, x in zip(("month", "day"), numbers[:2], strict=True)
                    if x.startswith("0")]
    text = q
    if form in (_FORM_MDY, _FORM_WMDY, _FORM_DMY):
        month = words[0] if form == _FORM_DMY else words[-1]
        if month.lower() not in _MONTH_NUMBER:
            return [*reasons, Oddity.of("month_name", word=month)], None
        if form == _FORM_WMDY:
            if words[0].lower() not in [w.lower() for w in _WEEKDAYS]:
                return [*reasons, Oddity.of("weekday_name", word=words[0])], None
            text = q.split(",", 1)[1].strip()  # the date without its weekday
    truth = _parse_date(text)
    if truth is None:
        return [*reasons, Oddity.of("no_such_date")], None
    d = datetime.date.fromisoformat(truth)
    if form == _FORM_WMDY and _WEEKDAYS[d.weekday()].lower() != words[0].lower():
        reasons.append(Oddity.of("weekday", date=truth, weekday=_WEEKDAYS[d.weekday()], word=words[0]))
        truth = None  # the weekday and the date disagree: no one true answer
    if form != _FORM_SLASH and not _YEARS_4[0] <= d.year <= _YEARS_4[1]:
        reasons.append(Oddity.of("year_range", year=d.year, lo=_YEARS_4[0], hi=_YEARS_4[1]))
    return reasons, truth


def check_question(task: str, question: str) -> QuestionCheck:
    """Is a typed question (already readable by the model) of the task's form and within the range its
    generator trains on? Spaces are ignored where the task's questions have none (``12 + 34`` is
    ``12+34``). Tasks without a generator (uploaded data) have no reasons."""
    q = question.strip()
    if task in TASKS and " " not in TASKS[task].alphabet:
        q = q.replace(" ", "")
    reasons: list[Oddity] = []
    truth = None
    if task == "addition":
        reasons, truth = _addition_check(q)
    elif task in ("date", "date_ja"):
        reasons, truth = _date_check(task, q)
    elif task in ("reverse", "sort"):
        ok = set(q) <= set(TASKS[task].alphabet)
        if ok and not _SHORT_MIN_LEN <= len(q) <= _SHORT_MAX_LEN:
            reasons = [Oddity.of("length", n=len(q), lo=_SHORT_MIN_LEN, hi=_SHORT_MAX_LEN)]
        truth = None if not ok else q[::-1] if task == "reverse" else "".join(sorted(q))
    return QuestionCheck(q, tuple(reasons), truth)


# ----------------------------------------------------------------------------------------------
# registry
# ----------------------------------------------------------------------------------------------

TASKS: dict[str, TaskSpec] = {
    "addition": TaskSpec(
        name="addition",
        question_width=7,
        answer_width=4,
        alphabet="+0123456789",
        sample=sample_addition,
        description_en="Add two integers of up to three digits.",
        description_ja="3桁までの整数の足し算",
        examples=("16+75", "52+607", "999+1", "5+8", "345+678"),
        distinct=True,
    ),
    "date": TaskSpec(
        name="date",
        question_width=29,
        answer_width=10,
        alphabet=_date_alphabet(),
        sample=sample_date,
        description_en="Rewrite a date written in various forms as YYYY-MM-DD.",
        description_ja="さまざまな書き方の日付を YYYY-MM-DD 形式に変換する",
        examples=("September 27, 1994", "2/10/93", "TUESDAY, SEPTEMBER 25, 1984", "27 September 1994"),
    ),
    "date_ja": TaskSpec(
        name="date_ja",
        question_width=29,
        answer_width=10,
        alphabet=_date_ja_alphabet(),
        sample=sample_date_ja,
        description_en="Rewrite a date, in English or Japanese (西暦 or 和暦), as YYYY-MM-DD.",
        description_ja="英語や日本語 (西暦・和暦) で書かれた日付を YYYY-MM-DD 形式に変換する",
        examples=("平成25年6月17日", "令和元年5月1日", "2013年6月17日", "昭和64年1月7日", "September 27, 1994"),
    ),
    "reverse": TaskSpec(
        name="reverse",
        question_width=5,
        answer_width=5,
        alphabet="abcde",
        sample=sample_reverse,
        description_en="Reverse a string of 3 to 5 letters from a-e.",
        description_ja="a〜e からなる3〜5文字の文字列を逆順にする",
        examples=("abc", "abcde", "edda", "baec"),
    ),
    "sort": TaskSpec(
        name="sort",
        question_width=5,
        answer_width=5,
        alphabet="0123456789",
        sample=sample_sort,
        description_en="Sort 3 to 5 digits in ascending order.",
        description_ja="3〜5個の数字を小さい順に並べ替える",
        examples=("3141", "987", "50210", "9192"),
    ),
}
