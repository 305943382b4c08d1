"""Odd questions (issue 16): the engine says why a question is not of the task's form or outside its
training range; Try shows the model's answer with that reason in en and ja; spaces inside a sum are ignored."""

from __future__ import annotations

import numpy as np
import pytest
from test_app import answer_text, open_page, set_query

from s2s.data import QueryError, task_codec
from s2s.inference import read_question
from s2s.tasks import TASKS, check_question, date_formats


def kinds(task: str, question: str) -> list[tuple[str, dict]]:
    return [(r.kind, r.args) for r in check_question(task, question).reasons]


@pytest.mark.parametrize(("question", "expected", "truth"), [
    ("16+", [("missing_number", {"part": "second"})], None),
    ("+5", [("missing_number", {"part": "first"})], None),
    ("+", [("no_numbers", {})], None),
    ("1+2+3", [("many_plus", {"n": 2})], None),
    ("1675", [("no_plus", {})], None),
    ("1234+5", [("too_many_digits", {"part": "first", "digits": 4, "max": 3})], "1239"),
    ("5+1234", [("too_many_digits", {"part": "second", "digits": 4, "max": 3})], "1239"),
    ("007+3", [("leading_zero", {"part": "first"})], "10"),
    ("12 + 34", [], "46"),
    ("16+75", [], "91"),
    ("0+0", [], "0"),
    ("999+999", [], "1998"),
])
def test_addition_reasons(question, expected, truth):
    check = check_question("addition", question)
    assert kinds("addition", question) == expected
    assert check.ordinary == (not expected)
    assert check.truth == truth


def test_english_reasons_name_the_numbers():
    assert str(check_question("addition", "1234+5").reasons[0]) == \
        "the first number has 4 digits, the model learned up to 3"
    assert "first number" in str(check_question("addition", "007+3").reasons[0])
    assert "second number is missing" in str(check_question("addition", "16+").reasons[0])


@pytest.mark.parametrize(("task", "question", "expected", "truth"), [
    ("date", "September 27, 1994", [], "1994-09-27"),
    ("date", "TUESDAY, SEPTEMBER 27, 1994", [], "1994-09-27"),
    ("date", "2/10/93", [], "1993-02-10"),
    ("date", "September 27, 2150", [("year_range", {"year": 2150, "lo": 1900, "hi": 2099})], "2150-09-27"),
    ("date", "27.09.1850", [("year_range", {"year": 1850, "lo": 1900, "hi": 2099})], "1850-09-27"),
    ("date", "February 30, 1994", [("no_such_date", {})], None),
    ("date", "Septembr 27, 1994", [("month_name", {"word": "Septembr"})], None),
    ("date", "Monday, September 27, 1994",
     [("weekday", {"date": "1994-09-27", "weekday": "Tuesday", "word": "Monday"})], None),
    ("date", "sEPTEMBER 27, 1994", [("letter_case", {})], "1994-09-27"),
    ("date", "02/10/93", [("leading_zero", {"part": "month"})], "1993-02-10"),
    ("date", "07 September 1994", [("leading_zero", {"part": "day"})], "1994-09-07"),
    ("date", "1994-9-27", [("date_form", {"forms": "; ".join(date_formats())})], None),
    ("date", "平成25年6月17日", [("date_form", {"forms": "; ".join(date_formats())})], None),  # the book's task
    ("date_ja", "平成25年6月17日", [], "2013-06-17"),
    ("date_ja", "明治30年6月17日", [("year_range", {"year": 1897, "lo": 1900, "hi": 2099})], "1897-06-17"),
    ("reverse", "ab", [("length", {"n": 2, "lo": 3, "hi": 5})], "ba"),
    ("reverse", "abc", [], "cba"),
    ("sort", "3 1 4 1", [], "1134"),
    ("sort", "7", [("length", {"n": 1, "lo": 3, "hi": 5})], "7"),
    ("upload", "anything", [], None),
])
def test_date_and_warm_up_reasons(task, question, expected, truth):
    assert kinds(task, question) == expected
    assert check_question(task, question).truth == truth


@pytest.mark.parametrize("task", list(TASKS))
def test_every_generated_question_is_ordinary(task):
    for q, a in TASKS[task].sample(np.random.default_rng(0), 3000):
        check = check_question(task, q)
        assert check.ordinary, (q, [str(r) for r in check.reasons])
        assert check.truth == a, q


def test_read_question_ignores_spaces_only_where_questions_have_none():
    add = task_codec("addition")
    assert read_question(add, "12 + 34") == "12+34"
    assert read_question(add, "\u3000１２　＋　３４ ") == "12+34"  # full-width, with ideographic spaces
    assert read_question(task_codec("date"), "September 27, 1994") == "September 27, 1994"
    with pytest.raises(QueryError) as e:
        read_question(add, "1234+5678")
    assert e.value.kind == "too_long"
    with pytest.raises(QueryError) as e:
        read_question(add, " \u3000 ")
    assert e.value.kind == "empty"


# ------------------------------------------------------------------------------------------------
# the Try page


def answer_of(at) -> str:
    """The model's answer as the page shows it (the <code> after "Answer:")."""
    body = next(h.proto.body for h in at.get("html") if "<code" in h.proto.body)
    return body.split("<code", 1)[1].split(">", 1)[1].split("</code>", 1)[0]


ODD = [  # question, the start of the reason in ja and in en, the true answer the note gives (or None)
    ("16+", "2 つ目の数がありません", "the second number is missing", None),
    ("+", "数がありません", "there are no numbers", None),
    ("1234+5", "1 つ目の数が 4 桁です (学習したのは 3 桁まで)",
     "the first number has 4 digits, the model learned up to 3", "1239"),
    ("007+3", "1 つ目の数が 0 から始まっています", "the first number is written with a leading 0", "10"),
    ("1+2+3", "「+」が 2 個あります", "there are 2 '+' signs", None),
]


@pytest.fixture(scope="module")
def try_pages():
    return {"ja": open_page("try"), "en": open_page("try", lang="en")}


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize(("question", "ja", "en", "truth"), ODD)
def test_an_odd_question_is_answered_and_said_to_be_outside_training(try_pages, lang, question, ja, en, truth):
    at = set_query(try_pages[lang], question)
    assert not at.warning, [w.value for w in at.warning]  # answered, not refused
    text = answer_text(at)
    assert answer_of(at) == answer_of(set_query(open_page("try"), question))  # the model's greedy answer
    note = ("学習の範囲外: " + ja) if lang == "ja" else ("Outside training: " + en)
    assert note in text.replace("&#x27;", "'"), text
    assert "☑" not in text and "☒" not in text  # neither right nor wrong
    if truth is not None:
        assert (f"正解は {truth} ですが" if lang == "ja" else f"The true answer is {truth}, but") in text
    else:
        assert ("正しい答えがない" if lang == "ja" else "no true answer") in text


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_an_ordinary_question_has_no_note(try_pages, lang):
    text = answer_text(set_query(try_pages[lang], "16+75"))
    assert "odd-note" not in text and "☑" in text


def test_spaces_inside_a_sum_are_ignored(try_pages):
    at = set_query(try_pages["en"], "12 + 34")
    assert not at.warning, [w.value for w in at.warning]
    assert answer_of(at) == "46" and "☑" in answer_text(at) and "odd-note" not in answer_text(at)
    at = set_query(try_pages["en"], "１２　＋　３４")  # full-width, ideographic spaces
    assert answer_of(at) == "46"


def test_a_date_outside_the_trained_years_is_flagged():
    at = open_page("try", task="date", q="September 27, 2150", lang="en")
    text = answer_text(at)
    assert "Outside training: the year 2150 is outside the years the model learned (1900-2099)" in text
    assert "The true answer is 2150-09-27" in text and "☑" not in text and "☒" not in text
    at = open_page("try", task="date", q="September 27, 1994", lang="en")
    assert "odd-note" not in answer_text(at) and "☑" in answer_text(at)


@pytest.mark.parametrize(("lang", "expected"), [("en", "At most 7 characters"), ("ja", "最大 7 文字")])
def test_the_question_box_says_the_tasks_limit(lang, expected):
    at = open_page("try", lang=lang)
    box = at.text_input(key="query")
    assert box.help.startswith(expected) and not box.max_chars  # no misleading "6/200" counter
    at = open_page("try", task="date", lang=lang)
    assert at.text_input(key="query").help.startswith(expected.replace("7", "29"))


# ------------------------------------------------------------------------------------------------
# error messages say their reason once


@pytest.mark.parametrize(("lang", "reason"), [("en", "Not an .npz checkpoint"),
                                              ("ja", ".npz のチェックポイントではありません")])
def test_a_bad_npz_upload_says_its_reason_once(lang, reason):
    at = open_page("train", lang=lang)
    at.get("file_uploader")[0].upload("bad.npz", b"not a zip at all")
    at.run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    assert errors[0].count(reason) == 1 and errors[0].lower().count("npz") == 1, errors[0]
    assert "truncated" not in errors[0] and "upload:" not in errors[0]  # not the engine's English again


@pytest.mark.parametrize(("lang", "reason"), [("en", "cannot be loaded"), ("ja", "読み込めません")])
def test_a_checkpoint_error_of_no_known_kind_says_cannot_be_loaded_once(lang, reason):
    import streamlit as st

    from s2s.checkpoint import CheckpointError
    from ui.i18n import t
    from ui.widgets import checkpoint_error_text

    st.session_state["lang"] = lang
    text = t("bad_weights", err=checkpoint_error_text(CheckpointError("a new kind of trouble")))
    assert text.count(reason) == 1 and "a new kind of trouble" in text, text
