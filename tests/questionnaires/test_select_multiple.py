"""select_multiple: the loader's checks, answers, conditions, codebook and round trips."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from questionnaires import (
    AnswerError,
    Condition,
    Form,
    Kind,
    Op,
    codebook,
    codebook_rows,
    form_from_dict,
    load_form_text,
)

FORM_YAML = """\
format: 1
code: SM-01
version: "1"
title: {vi: "Phiếu thử chọn nhiều", en: "Multiple choice test"}
scales:
  hai_long:
    - {value: "1", label: {vi: "Không hài lòng", en: "Dissatisfied"}, weight: 0}
    - {value: "2", label: {vi: "Hài lòng", en: "Satisfied"}, weight: 1}
sections:
  - code: A
    title: {vi: "Phần A", en: "Part A"}
    questions:
      - code: kenh
        kind: select_multiple
        label: {vi: "Kênh nộp hồ sơ", en: "Channels"}
        options:
          - {value: a, label: {vi: "Trực tiếp", en: "In person"}}
          - {value: b, label: {vi: "Bưu chính", en: "Post"}}
          - {value: c, label: {vi: "Trực tuyến", en: "Online"}}
          - {value: khac, label: {vi: "Khác", en: "Other"}}
      - code: khac_ghi
        kind: text
        label: {vi: "Kênh khác", en: "Other channel"}
        relevant: {question: kenh, op: "=", value: khac}
      - code: ly_do
        kind: text
        label: {vi: "Vì sao không nộp trực tuyến", en: "Why not online"}
        relevant: {question: kenh, op: "!=", value: c}
      - code: qua_mang
        kind: select_multiple
        label: {vi: "Mức hài lòng đã chọn", en: "Levels chosen"}
        scale: hai_long
        required: true
        relevant: {question: kenh, op: in, value: [b, c]}
"""


@pytest.fixture
def form() -> Form:
    return load_form_text(FORM_YAML, source="sm.yaml")


def document() -> dict[str, Any]:
    return copy.deepcopy(load_form_text(FORM_YAML).to_dict())


def errors(data: dict[str, Any]) -> list[str]:
    with pytest.raises(Exception) as info:
        form_from_dict(data)
    return info.value.codes  # type: ignore[attr-defined]


# -- the model and the loader ----------------------------------------------------------

def test_kind_and_answer_kind(form):
    kenh = form.question("kenh")
    assert Kind.SELECT_MULTIPLE.value == "select_multiple"
    assert kenh.kind is Kind.SELECT_MULTIPLE
    assert kenh.answer_kind is Kind.SELECT_MULTIPLE and kenh.answer_kind is not Kind.CHOICE
    assert kenh.takes_options and not kenh.scored
    assert form.criteria() == ()


def test_weights_of_a_shared_scale_are_dropped(form):
    # A select_multiple is never scored: the weights of the scale mean nothing there.
    assert [o.weight for o in form.question("qua_mang").options] == [None, None]
    assert form.question("qua_mang").to_dict()["options"][1]["weight"] is None


def test_yaml_round_trip(form):
    assert form_from_dict(form.to_dict()) == form
    assert form.question("kenh").to_dict()["kind"] == "select_multiple"
    assert form.question("qua_mang").relevant == Condition("kenh", Op.IN, ("b", "c"))


def test_criterion_is_refused():
    data = document()
    data["sections"][0]["questions"][0]["criterion"] = "TC1.1"
    assert errors(data) == ["criterion_not_allowed"]


def test_options_are_needed():
    data = document()
    del data["sections"][0]["questions"][0]["options"]
    assert errors(data) == ["no_options"]


@pytest.mark.parametrize("value", ["a b", "a,b", ""])
def test_option_values_hold_no_white_space_or_comma(value):
    data = document()
    data["sections"][0]["questions"][0]["options"][0]["value"] = value
    assert "bad_option_value" in errors(data) or "not_text" in errors(data)


def test_number_keys_and_unit_placeholder_are_refused():
    data = document()
    question = data["sections"][0]["questions"][0]
    question["min"] = 1
    question["label"]["vi"] = "Kênh của {unit}"
    assert sorted(errors(data)) == ["key_not_for_kind", "unit_placeholder"]


def test_conditions_on_it_take_option_values_and_no_ordering():
    data = document()
    data["sections"][0]["questions"][1]["relevant"] = {"question": "kenh", "op": ">=",
                                                       "value": "a"}
    data["sections"][0]["questions"][2]["relevant"] = {"question": "kenh", "op": "=",
                                                       "value": "zz"}
    assert errors(data) == ["relevant_ordering", "relevant_not_an_option"]


# -- answers and conditions ------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("a c", "a c"), ("c a", "a c"), ("c,a", "a c"), (" c ,  a ", "a c"), ("a a c", "a c"),
    (["c", "a"], "a c"), (("a",), "a"), (["a c", "khac"], "a c khac"), ("", None),
    ([], None), (None, None), (["", " "], None),
])
def test_answers_are_stored_in_option_order(form, raw, expected):
    assert form.question("kenh").parse_answer(raw) == expected


@pytest.mark.parametrize("raw", ["a d", ["a", "zz"], "A", [1], ["a", None]])
def test_unknown_values_are_refused(form, raw):
    with pytest.raises(AnswerError) as info:
        form.question("kenh").parse_answer(raw)
    assert info.value.code == "not_an_option" and info.value.status == 422


def test_required_select_multiple(form):
    with pytest.raises(AnswerError) as info:
        form.question("qua_mang").parse_answer([])
    assert info.value.code == "required"


def test_a_list_for_a_single_answer(form):
    text = form.question("khac_ghi")
    assert text.parse_answer(["Zalo"]) == "Zalo"
    with pytest.raises(AnswerError) as info:
        text.parse_answer(["Zalo", "thư"])
    assert info.value.code == "one_answer" and info.value.message("vi")


@pytest.mark.parametrize(("answer", "eq_khac", "ne_c", "in_b_c"), [
    ("a khac", True, True, False),
    ("c", False, False, True),
    ("b c khac", True, False, True),
    (["a", "b"], False, True, True),
    (None, False, True, False),
    ("", False, True, False),
])
def test_conditions_on_a_select_multiple_answer(form, answer, eq_khac, ne_c, in_b_c):
    answers = {"kenh": answer}
    assert form.question("khac_ghi").relevant.is_met(answers) is eq_khac
    assert form.question("ly_do").relevant.is_met(answers) is ne_c
    assert form.question("qua_mang").relevant.is_met(answers) is in_b_c


VALUES = ["a", "b", "c", "khac"]


@given(st.lists(st.sampled_from(VALUES), max_size=8),
       st.sampled_from(["list", "spaces", "commas"]))
def test_parse_is_canonical_and_idempotent(chosen, shape):
    form = load_form_text(FORM_YAML)
    question = form.question("kenh")
    raw: Any = {"list": chosen, "spaces": " ".join(chosen), "commas": ",".join(chosen)}[shape]
    parsed = question.parse_answer(raw)
    expected = " ".join(v for v in VALUES if v in chosen) or None
    assert parsed == expected
    assert question.parse_answer(parsed) == parsed
    for value in VALUES:
        met = Condition("kenh", Op.EQ, value).is_met({"kenh": parsed})
        assert met is (value in chosen)
        assert Condition("kenh", Op.NE, value).is_met({"kenh": parsed}) is not met


# -- codebook --------------------------------------------------------------------------

def test_codebook_lists_the_options_without_weights(form):
    entry = next(e for e in codebook([form]) if e["question"] == "kenh")
    assert entry["kind"] == "select_multiple" and entry["criterion"] == ""
    assert [(o["value"], o["weight"]) for o in entry["options"]] == [
        ("a", None), ("b", None), ("c", None), ("khac", None)]
    rows = [r for r in codebook_rows([form]) if r["question"] == "kenh"]
    assert [r["option_value"] for r in rows] == VALUES
