"""Tests for s2s.tasks: determinism, widths, correctness, distributions and date-form coverage."""

from __future__ import annotations

import datetime
import os
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from s2s.tasks import (
    BOOK_ADDITION_MIX,
    TASKS,
    TaskSpec,
    classify_date,
    date_formats,
    format_date,
    sample_addition,
    sample_date,
    sample_date_ja,
    sample_reverse,
    sample_sort,
    solve,
)

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
DATE_TXT = DATASETS / "date.txt"
N = 20_000

# Independent English name tables (written out here on purpose, not imported from the module).
MONTHS_FULL = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
MONTHS_ABBR = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

RE_WORDY = re.compile(r"(?:([A-Za-z]+), )?([A-Za-z]+) (\d{1,2}), (\d{4})")
RE_DAY_FIRST = re.compile(r"(\d{1,2}) ([A-Za-z]+) (\d{4})")
RE_SLASH = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2})")
RE_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
RE_DOTTED = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})")


def month_number(word: str) -> int:
    """Map an English month name or 3-letter abbreviation (any case) to 1..12."""
    w = word.lower()
    if w in MONTHS_FULL:
        return MONTHS_FULL.index(w) + 1
    return MONTHS_ABBR.index(w) + 1  # raises ValueError for unknown words


def parse_date_question(q: str) -> datetime.date:
    """Independently parse a generated date question back to a date (checking weekday names)."""
    if m := RE_WORDY.fullmatch(q):
        weekday, month, day, year = m.groups()
        d = datetime.date(int(year), month_number(month), int(day))
        if weekday is not None:
            assert weekday.lower() == WEEKDAYS[d.weekday()], f"wrong weekday in {q!r}"
        return d
    if m := RE_DAY_FIRST.fullmatch(q):
        day, month, year = m.groups()
        return datetime.date(int(year), month_number(month), int(day))
    if m := RE_SLASH.fullmatch(q):
        month, day, yy = (int(g) for g in m.groups())
        year = 1900 + yy if yy >= 69 else 2000 + yy  # POSIX pivot
        return datetime.date(year, month, day)
    if m := RE_ISO.fullmatch(q):
        return datetime.date(*(int(g) for g in m.groups()))
    if m := RE_DOTTED.fullmatch(q):
        day, month, year = (int(g) for g in m.groups())
        return datetime.date(year, month, day)
    raise AssertionError(f"unparseable date question {q!r}")


def letter_class(word: str) -> str:
    """Classify a run of letters as 'a' (lower), 'U' (UPPER) or 'A' (Title)."""
    if word.islower():
        return "a"
    if word.isupper():
        return "U"
    assert word[0].isupper() and word[1:].islower(), f"mixed case word {word!r}"
    return "A"


def shape(question: str) -> str:
    """Shape signature: letter runs collapsed to their case class, each digit replaced by 9."""
    s = re.sub(r"[A-Za-z]+", lambda m: letter_class(m.group(0)), question)
    return re.sub(r"\d", "9", s)


def read_book_dates() -> list[tuple[str, str]]:
    """Read the book's date.txt as unpadded (question, answer) pairs."""
    pairs = []
    for line in DATE_TXT.read_text(encoding="utf-8").splitlines():
        q, a = line[:29], line[29:]
        assert a.startswith("_")
        pairs.append((q.rstrip(" "), a[1:].rstrip(" ")))
    return pairs


needs_date_txt = pytest.mark.skipif(not DATE_TXT.is_file(), reason=f"book data set not found: {DATE_TXT}")


# ------------------------------------------------------------------------------------------------
# generic properties of every task
# ------------------------------------------------------------------------------------------------


def test_registry() -> None:
    """The registry holds the four tasks with consistent, sorted alphabets and fitting examples."""
    assert set(TASKS) == {"addition", "date", "date_ja", "reverse", "sort"}
    for name, spec in TASKS.items():
        assert isinstance(spec, TaskSpec)
        assert spec.name == name
        assert spec.alphabet == "".join(sorted(set(spec.alphabet))), "alphabet must be sorted and unique"
        assert "_" not in spec.alphabet
        assert spec.description_en and spec.description_ja
        assert 3 <= len(spec.examples) <= 5
        for q in spec.examples:
            assert 0 < len(q) <= spec.question_width
            assert set(q) <= set(spec.alphabet), q
    assert (TASKS["addition"].question_width, TASKS["addition"].answer_width) == (7, 4)
    assert (TASKS["date"].question_width, TASKS["date"].answer_width) == (29, 10)
    assert " " in TASKS["date"].alphabet
    for name in ("addition", "reverse", "sort"):
        assert " " not in TASKS[name].alphabet
    assert TASKS["addition"].sample is sample_addition
    assert TASKS["date"].sample is sample_date
    assert TASKS["reverse"].sample is sample_reverse
    assert TASKS["sort"].sample is sample_sort
    assert TASKS["date_ja"].sample is sample_date_ja
    assert set(TASKS["date"].alphabet) < set(TASKS["date_ja"].alphabet)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_determinism(name: str) -> None:
    """The same seed gives the same samples; a different seed gives different ones."""
    sample = TASKS[name].sample
    a = sample(np.random.default_rng(123), 2000)
    b = sample(np.random.default_rng(123), 2000)
    c = sample(np.random.default_rng(124), 2000)
    assert a == b
    assert a != c


@pytest.mark.parametrize("name", sorted(TASKS))
def test_no_global_rng(name: str) -> None:
    """Sampling never touches numpy's global random state."""
    state = np.random.get_state()
    TASKS[name].sample(np.random.default_rng(0), 500)
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]


@pytest.mark.parametrize("name", sorted(TASKS))
def test_types_widths_and_alphabet(name: str) -> None:
    """Samples are unpadded str pairs within the widths and the alphabet."""
    spec = TASKS[name]
    pairs = spec.sample(np.random.default_rng(7), N)
    assert isinstance(pairs, list) and len(pairs) == N
    alphabet = set(spec.alphabet)
    for q, a in pairs:
        assert type(q) is str and type(a) is str
        assert 0 < len(q) <= spec.question_width, q
        assert 0 < len(a) <= spec.answer_width, a
        assert q == q.strip(" _") and a == a.strip(" _"), (q, a)  # unpadded
        assert set(q) <= alphabet and set(a) <= alphabet, (q, a)
    # The widths are actually reached (so they are not too generous).
    assert max(len(q) for q, _ in pairs) == spec.question_width or name in ("date", "date_ja")
    assert max(len(a) for _, a in pairs) == spec.answer_width


@pytest.mark.parametrize("name", sorted(TASKS))
def test_zero_and_negative_n(name: str) -> None:
    """n == 0 gives an empty list and a negative n is rejected."""
    sample = TASKS[name].sample
    assert sample(np.random.default_rng(0), 0) == []
    with pytest.raises(ValueError):
        sample(np.random.default_rng(0), -1)


# ------------------------------------------------------------------------------------------------
# addition
# ------------------------------------------------------------------------------------------------


def test_addition_answers() -> None:
    """Addition questions have no leading zeros and the answers are the sums."""
    for q, a in sample_addition(np.random.default_rng(1), N):
        assert re.fullmatch(r"(0|[1-9]\d{0,2})\+(0|[1-9]\d{0,2})", q), q  # no leading zeros
        x, y = q.split("+")
        assert a == str(int(x) + int(y))


def _digit_mix(questions) -> Counter:
    return Counter((len(q.split("+")[0]), len(q.split("+")[1])) for q in questions)


def test_addition_distinct_in_the_books_mixture() -> None:
    """Questions are distinct, their digit counts follow BOOK_ADDITION_MIX, values uniform within a kind."""
    pairs = sample_addition(np.random.default_rng(2), 60_000)
    questions = [q for q, _ in pairs]
    assert len(set(questions)) == len(questions)
    mix = _digit_mix(questions)
    for kind, share in BOOK_ADDITION_MIX.items():
        assert abs(mix[kind] / len(questions) - share) < 0.006, (kind, mix[kind])
    assert mix[(1, 1)] < 100  # there are only 100 one-digit pairs
    for k, (lo, hi) in {1: (0, 9), 2: (10, 99), 3: (100, 999)}.items():
        vals = np.array([int(x) for q in questions for x in q.split("+") if len(x) == k])
        assert vals.min() == lo and vals.max() == hi
        assert abs(vals.mean() - (lo + hi) / 2) < 0.03 * (hi - lo + 1)


def test_addition_mixture_sums_to_one_and_kinds_are_used_up() -> None:
    """The mixture is a distribution; asking for more questions than a kind has uses all of that kind and
    still returns distinct questions; more than all questions is refused."""
    assert sum(BOOK_ADDITION_MIX.values()) == pytest.approx(1.0)
    pairs = sample_addition(np.random.default_rng(3), 200_000)  # (1, 1) alone would want 220 of 100
    questions = [q for q, _ in pairs]
    assert len(questions) == len(set(questions)) == 200_000
    mix = _digit_mix(questions)
    assert mix[(1, 1)] == 100 and mix[(1, 2)] == 900 and mix[(2, 1)] == 900
    with pytest.raises(ValueError, match="1,000,000 distinct"):
        sample_addition(np.random.default_rng(0), 1_000_001)


BOOK_ADDITION = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "addition.txt"


@pytest.mark.skipif(not BOOK_ADDITION.exists() and os.environ.get("CI") != "true",
                    reason="the book's addition.txt is not beside the project")
def test_addition_mixture_is_the_books_file() -> None:
    """The mixture written into the generator is the one measured from the book's addition.txt."""
    questions = [line.split("_")[0].strip() for line in BOOK_ADDITION.read_text().splitlines()]
    assert len(set(questions)) == len(questions) == 50_000
    mix = _digit_mix(questions)
    for kind, share in BOOK_ADDITION_MIX.items():
        assert mix[kind] / len(questions) == pytest.approx(share, abs=0.00006), kind


# ------------------------------------------------------------------------------------------------
# date
# ------------------------------------------------------------------------------------------------


def test_date_answers_and_year_ranges() -> None:
    """Every date question parses back to its answer, within the form's year window."""
    pairs = sample_date(np.random.default_rng(3), N)
    for q, a in pairs:
        d = parse_date_question(q)
        assert a == d.isoformat(), (q, a)
        if "/" in q:
            assert 1969 <= d.year <= 2068, q
        else:
            assert 1900 <= d.year <= 2099, q
    years = [int(a[:4]) for q, a in pairs if "/" not in q]
    assert min(years) < 1905 and max(years) > 2094


def test_date_letter_case_consistent() -> None:
    """All words of one date question share one letter case."""
    for q, _ in sample_date(np.random.default_rng(4), N):
        classes = {letter_class(w) for w in re.findall(r"[A-Za-z]+", q)}
        assert len(classes) <= 1, q


def test_date_mix_of_forms() -> None:
    """About 80% of dates use the book's forms and every form, case and name occurs."""
    pairs = sample_date(np.random.default_rng(5), 50_000)
    forms = Counter(classify_date(q) for q, _ in pairs)
    assert None not in forms
    assert set(forms) == set(date_formats())
    book = forms["Month D, YYYY"] + forms["Weekday, Month D, YYYY"] + forms["M/D/YY"]
    assert 0.77 < book / len(pairs) < 0.83
    for form in date_formats():
        assert forms[form] / len(pairs) > 0.02, forms
    # Title, lower and UPPER case all occur, and both full and abbreviated month names.
    classes = Counter(shape(q)[0] for q, _ in pairs if q[0].isalpha())
    assert set(classes) == {"a", "A", "U"}
    words = {w.lower() for q, _ in pairs for w in re.findall(r"[A-Za-z]+", q)}
    assert set(MONTHS_FULL) | set(MONTHS_ABBR) | set(WEEKDAYS) == words


def test_date_width_fits_longest_form() -> None:
    """No written form of any date is longer than the question width."""
    d = datetime.date(1994, 9, 27)
    longest = format_date(d, "Weekday, Month D, YYYY", case="upper")
    assert longest == "TUESDAY, SEPTEMBER 27, 1994"
    wednesday = datetime.date(1994, 9, 28)
    assert len(format_date(wednesday, "Weekday, Month D, YYYY")) == TASKS["date"].question_width
    # No combination of form, case, abbreviation and day exceeds the width.
    for day in (datetime.date(2000, 9, 27), datetime.date(2017, 9, 27), datetime.date(1999, 12, 29)):
        for form in date_formats():
            for case in ("title", "lower", "upper"):
                for abbr in (False, True):
                    assert len(format_date(day, form, case=case, abbreviate=abbr)) <= 29


def test_format_date_examples() -> None:
    """format_date writes the documented forms exactly and rejects bad arguments."""
    d = datetime.date(1994, 9, 27)
    assert format_date(d, "Month D, YYYY") == "September 27, 1994"
    assert format_date(d, "Month D, YYYY", case="lower", abbreviate=True) == "sep 27, 1994"
    assert format_date(datetime.date(2013, 6, 17), "Month D, YYYY", "upper", True) == "JUN 17, 2013"
    assert format_date(d, "Weekday, Month D, YYYY", case="lower") == "tuesday, september 27, 1994"
    assert format_date(datetime.date(1973, 6, 3), "M/D/YY") == "6/3/73"
    assert format_date(datetime.date(2004, 8, 14), "M/D/YY") == "8/14/04"
    assert format_date(d, "D Month YYYY") == "27 September 1994"
    assert format_date(d, "YYYY-MM-DD") == "1994-09-27"
    assert format_date(datetime.date(1994, 9, 7), "DD.MM.YYYY") == "07.09.1994"
    with pytest.raises(ValueError):
        format_date(d, "no such form")
    with pytest.raises(ValueError):
        format_date(d, "Month D, YYYY", case="camel")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        format_date(datetime.date(1950, 1, 1), "M/D/YY")  # ambiguous two-digit year


def test_classify_date() -> None:
    """classify_date names the written form of a date question."""
    assert classify_date("September 27, 1994") == "Month D, YYYY"
    assert classify_date("september 27, 1994           ") == "Month D, YYYY"
    assert classify_date("TUESDAY, SEPTEMBER 25, 1984") == "Weekday, Month D, YYYY"
    assert classify_date("2/10/93") == "M/D/YY"
    assert classify_date("27 Sep 1994") == "D Month YYYY"
    assert classify_date("1994-09-27") == "YYYY-MM-DD"
    assert classify_date("27.09.1994") == "DD.MM.YYYY"
    assert classify_date("hello") is None


@needs_date_txt
def test_book_date_file_is_covered() -> None:
    """Every shape and character of the book's date.txt is produced by the generator."""
    book = read_book_dates()
    assert len(book) == 50_000
    spec = TASKS["date"]
    alphabet = set(spec.alphabet) | {" ", "_"}
    for q, a in book:
        assert len(q) <= spec.question_width and len(a) <= spec.answer_width
        assert set(q) <= alphabet and set(a) <= alphabet, (q, a)
        # Our independent parser agrees with the book, and the book's forms are the book forms.
        assert parse_date_question(q).isoformat() == a, (q, a)
        assert classify_date(q) in ("Month D, YYYY", "Weekday, Month D, YYYY", "M/D/YY"), q
    generated = {shape(q) for q, _ in sample_date(np.random.default_rng(6), 50_000)}
    book_shapes = {shape(q) for q, _ in book}
    assert book_shapes <= generated, sorted(book_shapes - generated)


# ------------------------------------------------------------------------------------------------
# reverse and sort
# ------------------------------------------------------------------------------------------------


def test_reverse_answers() -> None:
    """Reverse answers are the reversed questions, with uniform lengths and letters."""
    pairs = sample_reverse(np.random.default_rng(8), N)
    for q, a in pairs:
        assert re.fullmatch(r"[a-e]{3,5}", q), q
        assert a == q[::-1]
    lengths = Counter(len(q) for q, _ in pairs)
    assert set(lengths) == {3, 4, 5} and min(lengths.values()) > N / 3 * 0.9
    letters = Counter("".join(q for q, _ in pairs))
    assert set(letters) == set("abcde") and min(letters.values()) > max(letters.values()) * 0.9


def test_sort_answers() -> None:
    """Sort answers are the sorted questions, with uniform lengths and digits."""
    pairs = sample_sort(np.random.default_rng(9), N)
    for q, a in pairs:
        assert re.fullmatch(r"[0-9]{3,5}", q), q
        assert a == "".join(sorted(q))
    lengths = Counter(len(q) for q, _ in pairs)
    assert set(lengths) == {3, 4, 5} and min(lengths.values()) > N / 3 * 0.9
    digits = Counter("".join(q for q, _ in pairs))
    assert set(digits) == set("0123456789") and min(digits.values()) > max(digits.values()) * 0.9


# ------------------------------------------------------------------------------------------------
# dates in Japanese (date_ja)
# ------------------------------------------------------------------------------------------------

# Era first days, written out here on purpose (not imported): 大正 1912-07-30, 昭和 1926-12-25,
# 平成 1989-01-08, 令和 2019-05-01.
@pytest.mark.parametrize(("question", "iso"), [
    ("平成25年6月17日", "2013-06-17"), ("2013年6月17日", "2013-06-17"), ("2013年06月07日", "2013-06-07"),
    ("令和元年5月1日", "2019-05-01"), ("令和1年5月1日", "2019-05-01"), ("平成31年4月30日", "2019-04-30"),
    ("昭和64年1月7日", "1989-01-07"), ("平成元年1月8日", "1989-01-08"), ("大正元年7月30日", "1912-07-30"),
    ("明治45年7月29日", "1912-07-29"), ("明治33年1月1日", "1900-01-01"), ("令和7年11月28日", "2025-11-28"),
    ("平成31年5月1日", None), ("昭和64年1月8日", None), ("大正元年7月29日", None), ("平成0年1月1日", None),
    ("2013年2月30日", None), ("令和元年4月30日", None),
])
def test_japanese_dates_are_read_with_their_eras(question: str, iso: str | None) -> None:
    assert solve("date_ja", question) == iso
    assert solve("date", question) is None  # the book's task reads English only


def test_date_ja_answers_forms_and_eras() -> None:
    pairs = sample_date_ja(np.random.default_rng(5), N)
    forms = Counter(classify_date(q) for q, _ in pairs)
    japanese = forms["YYYY年M月D日"] + forms["元号N年M月D日"]
    assert 0.30 < japanese / N < 0.40 and abs(forms["YYYY年M月D日"] - forms["元号N年M月D日"]) < 0.05 * N
    assert set(forms) == set(date_formats()) | {"YYYY年M月D日", "元号N年M月D日"}
    for q, a in pairs:
        assert solve("date_ja", q) == a, q
    eras = Counter(q[:2] for q, _ in pairs if classify_date(q) == "元号N年M月D日")
    assert set(eras) == {"明治", "大正", "昭和", "平成", "令和"}
    assert any("元年" in q for q, _ in pairs) and any(re.match(r"..1年", q) for q, _ in pairs)
    assert any(q.startswith(("昭和元年", "昭和1年")) for q, _ in pairs)  # seven days only, drawn on purpose
    assert any(re.search(r"年0\d月", q) for q, _ in pairs)  # two-digit months sometimes
