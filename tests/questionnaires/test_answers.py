"""Checking and normalising one raw answer, per kind of question."""

from __future__ import annotations

import pytest

from questionnaires import AnswerError, Form, load_builtin

ACCEPTED = [
    # (question, raw, normalised)
    ("q01", "co", "co"),
    ("q01", "  khong_biet ", "khong_biet"),
    ("q02", "kem", "kem"),
    ("b2", "cong_chuc", "cong_chuc"),
    ("b2", "", None),
    ("b2", None, None),
    ("b1", "12", 12),
    ("b1", "+0", 0),
    ("b1", "45", 45),
    ("q03", "2,5", 2.5),
    ("q03", "2.5", 2.5),
    ("q03", "10", 10.0),
    ("q03", "   ", None),
    ("q04", "Tốt", "Tốt"),
    ("q04", "x" * 20, "x" * 20),
    # decomposed input (NFD) comes back composed (NFC); the length counts composed letters
    ("q04", "To\u0302\u0301t " * 5, "Tốt Tốt Tốt Tốt Tốt"),
]

REFUSED = [
    # (question, raw, problem code)
    ("q01", "", "required"),
    ("q01", None, "required"),
    ("q01", "Có", "not_an_option"),
    ("q01", "CO", "not_an_option"),
    ("q02", "rat_tot", "not_an_option"),
    ("b2", "lanh dao", "not_an_option"),
    ("b1", "12.5", "not_an_integer"),
    ("b1", "12,0", "not_an_integer"),
    ("b1", "mười", "not_a_number"),
    ("b1", "-1", "below_minimum"),
    ("b1", "46", "above_maximum"),
    ("q03", "abc", "not_a_number"),
    ("q03", "1e3", "not_a_number"),
    ("q03", "nan", "not_a_number"),
    ("q03", "1.000,5", "not_a_number"),
    ("q03", "0.4", "below_minimum"),
    ("q03", "10.01", "above_maximum"),
    ("q04", "x" * 21, "too_long"),
]


@pytest.mark.parametrize(("code", "raw", "expected"), ACCEPTED)
def test_accepted(sample_form: Form, code, raw, expected):
    value = sample_form.question(code).parse_answer(raw)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(("code", "raw", "problem"), REFUSED)
def test_refused(sample_form: Form, code, raw, problem):
    with pytest.raises(AnswerError) as info:
        sample_form.question(code).parse_answer(raw)
    error = info.value
    assert error.code == problem
    assert error.question == code
    assert error.message("vi") and error.message("en")
    assert error.message("vi") != error.message("en")


def test_messages_carry_the_limits(sample_form: Form):
    with pytest.raises(AnswerError) as info:
        sample_form.question("b1").parse_answer("99")
    assert info.value.message("vi") == "Giá trị không được lớn hơn 45."
    assert info.value.message("en") == "The value must be at most 45."
    assert info.value.message("fr") == info.value.message("vi")
    with pytest.raises(AnswerError) as info:
        sample_form.question("q04").parse_answer("y" * 30)
    assert "20" in info.value.message("en")


def test_builtin_matrix_question_takes_its_scale():
    question = load_builtin("CT-01").question("q01")
    assert question.parse_answer("khong_biet") == "khong_biet"
    with pytest.raises(AnswerError):
        question.parse_answer("")
