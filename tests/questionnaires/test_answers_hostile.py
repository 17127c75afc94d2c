"""Hostile answers: control characters, endless text, numbers too long to be numbers.

An answer is stored as it was typed (in NFC form, trimmed) or refused with a message
the form shows next to the question; never a value the database or a spreadsheet
cannot take, and never a number that is not finite.
"""

from __future__ import annotations

import math

import pytest

from questionnaires import AnswerError, Form, Kind, Label, Question
from questionnaires.answers import clean_text
from questionnaires.constants import DEFAULT_TEXT_MAX_LENGTH, MAX_NUMBER_DIGITS

DIGITS_5000 = "9" * 5000
DECIMAL_400 = "1" * 400 + ".25"


@pytest.mark.parametrize("raw", [
    "a\x00b", "\x00x", "Ý kiến\x0bkhác", "\x1b[31mđỏ", "x\x7f", "x\x85y", "x\x9f", "x\ud800",
    "x\ufffe", "x\uffff",
])
def test_a_text_with_a_control_character_is_refused_with_a_clear_message(sample_form: Form, raw):
    with pytest.raises(AnswerError) as info:
        sample_form.question("q04").parse_answer(raw)
    error = info.value
    assert error.code == "control_characters" and error.status == 422
    assert "điều khiển" in error.message("vi") and "control" in error.message("en")


@pytest.mark.parametrize(("raw", "stored"), [
    ("dòng 1\r\ndòng 2", "dòng 1\r\ndòng 2"),   # a browser sends a textarea's line breaks as CRLF
    ("a\tb\nc", "a\tb\nc"),
    ("  Tốt\n", "Tốt"),
    ("=HYPERLINK(\"x\")", "=HYPERLINK(\"x\")"),  # text is stored as typed; exports escape it
])
def test_line_breaks_and_tabs_are_kept_in_free_text(sample_form: Form, raw, stored):
    assert sample_form.question("q04").parse_answer(raw) == stored


def test_clean_text_removes_what_no_answer_may_hold_and_composes():
    assert clean_text("a\x00b\x0bc\x1b\x7f\x85\ud800\ufffe\uffffd") == "abcd"
    assert clean_text("To\u0302\u0301t\r\n\tx") == "Tốt\r\n\tx"


def test_a_text_question_without_max_length_still_has_a_bound():
    question = Question("y9", Kind.TEXT, Label("Ý kiến", "Comments"))
    assert question.parse_answer("x" * DEFAULT_TEXT_MAX_LENGTH) == "x" * DEFAULT_TEXT_MAX_LENGTH
    with pytest.raises(AnswerError) as info:
        question.parse_answer("x" * 100_000)
    assert info.value.code == "too_long"


@pytest.mark.parametrize(("code", "raw"), [
    ("b1", DIGITS_5000), ("b1", "-" + "7" * 4301), ("b1", "1" * 16), ("b1", "0" * 5000 + "5"),
    ("q03", DECIMAL_400), ("q03", "0," + "0" * 399 + "1"), ("q03", "1" * 4300),
])
def test_a_number_too_long_is_refused_not_a_crash_nor_infinity(sample_form: Form, code, raw):
    with pytest.raises(AnswerError) as info:
        sample_form.question(code).parse_answer(raw)
    assert info.value.code == "number_too_long"
    assert str(MAX_NUMBER_DIGITS) in info.value.message("vi")
    assert str(MAX_NUMBER_DIGITS) in info.value.message("en")


@pytest.mark.parametrize("integer", [True, False])
def test_an_unbounded_number_question_takes_any_number_up_to_the_digit_limit(integer):
    question = Question("n1", Kind.NUMBER, Label("Số", "Number"), integer=integer)
    longest = "9" * MAX_NUMBER_DIGITS
    value = question.parse_answer("-" + longest)
    assert value == -int(longest) and math.isfinite(value)
    assert type(value) is (int if integer else float)
    if not integer:
        assert question.parse_answer("12345678901234,5") == pytest.approx(12345678901234.5)
    for raw in ("9" * (MAX_NUMBER_DIGITS + 1), DIGITS_5000, DECIMAL_400):
        with pytest.raises(AnswerError) as info:
            question.parse_answer(raw)
        assert info.value.code in ("number_too_long", "not_an_integer")


def test_bounds_of_the_question_still_apply(sample_form: Form):
    with pytest.raises(AnswerError) as info:
        sample_form.question("b1").parse_answer("999999999999999")
    assert info.value.code == "above_maximum"
    with pytest.raises(AnswerError) as info:
        sample_form.question("q03").parse_answer("-99999999999999")
    assert info.value.code == "below_minimum"


def test_a_choice_with_a_control_character_is_not_an_option(sample_form: Form):
    with pytest.raises(AnswerError) as info:
        sample_form.question("q01").parse_answer("co\x00")
    assert info.value.code == "not_an_option"
