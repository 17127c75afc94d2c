"""The model: accessors, to_dict, content hash and conditions."""

from __future__ import annotations

import dataclasses

import pytest

from questionnaires import Condition, Form, Kind, Op, form_from_dict, load_form_text


def test_questions_in_order(sample_form: Form):
    assert [q.code for q in sample_form.questions()] == ["b1", "b2", "q01", "q02", "q03", "q04"]
    assert [s.code for s in sample_form.sections] == ["A", "B"]


def test_question_lookup(sample_form: Form):
    assert sample_form.question("q03").kind is Kind.NUMBER
    with pytest.raises(KeyError):
        sample_form.question("q99")


def test_scored_questions_and_criteria(sample_form: Form):
    assert [q.code for q in sample_form.scored_questions()] == ["q01", "q02"]
    assert sample_form.criteria() == ("TC1.2", "TC1.1")


def test_scale_is_resolved_into_options(sample_form: Form):
    q02 = sample_form.question("q02")
    assert [(o.value, o.weight) for o in q02.options] == [
        ("tot", 1.0), ("kem", 0.0), ("khong_biet", None)]
    assert q02.option("kem").label.en == "Poor"
    with pytest.raises(KeyError):
        q02.option("rat_tot")


def test_weights_are_floats(sample_form: Form):
    weights = [o.weight for o in sample_form.question("q01").options]
    assert weights == [1.0, 0.0, None]
    assert all(isinstance(w, float) for w in weights if w is not None)


def test_defaults(sample_form: Form):
    assert sample_form.question("b1").integer is True
    assert sample_form.question("b1").required is False
    assert sample_form.question("q04").max_length == 20


def test_unit_label(sample_form: Form):
    q02 = sample_form.question("q02")
    assert q02.text("vi", unit="Sở Tư pháp") == "Lãnh đạo Sở Tư pháp"
    assert q02.text("en", unit="Sở Tư pháp") == "Leaders of Sở Tư pháp"
    assert q02.text("en") == "Leaders of {unit}"


def test_to_dict_round_trip(sample_form: Form):
    again = form_from_dict(sample_form.to_dict())
    assert again == sample_form
    assert again.content_hash == sample_form.content_hash


def test_to_dict_has_only_the_keys_of_each_kind(sample_form: Form):
    questions = {q["code"]: q for s in sample_form.to_dict()["sections"] for q in s["questions"]}
    assert "options" not in questions["b1"] and "min" in questions["b1"]
    assert "min" not in questions["b2"] and "options" in questions["b2"]
    assert questions["q04"]["max_length"] == 20 and "integer" not in questions["q04"]
    assert questions["q02"]["relevant"] == {"question": "q01", "op": "=", "value": "co"}


def test_content_hash_is_stable_across_loads(sample_yaml):
    first = load_form_text(sample_yaml)
    second = load_form_text(sample_yaml)
    assert first is not second
    assert first.content_hash == second.content_hash
    assert len(first.content_hash) == 64
    int(first.content_hash, 16)


def test_content_hash_ignores_layout(sample_yaml):
    # Comments, flow vs block style, an integral weight written as 1 or 1.0, and a
    # scale inlined into the question do not change the content.
    relaid = (sample_yaml
              .replace("format: 1\n", "# a comment\nformat: 1\n")
              .replace('title: {vi: "Phiếu thử", en: "Test form"}',
                       "title:\n  en: Test form\n  vi: Phiếu thử")
              .replace("weight: 1}", "weight: 1.0}")
              .replace("        scale: muc_do\n", """\
        options:
          - {value: tot, label: {vi: "Tốt", en: "Good"}, weight: 1}
          - {value: kem, label: {vi: "Kém", en: "Poor"}, weight: 0.0}
          - {value: khong_biet, label: {vi: "Không biết", en: "Don't know"}, weight: null}
"""))
    assert relaid != sample_yaml
    assert load_form_text(relaid).content_hash == load_form_text(sample_yaml).content_hash


@pytest.mark.parametrize(("old", "new"), [
    ('en: "Leaders of {unit}"', 'en: "Leader of {unit}"'),
    ('vi: "Kém"', 'vi: "Yếu"'),
    ("weight: 1}", "weight: 0.9}"),
    ('version: "1"', 'version: "2"'),
    ("required: true\n      - code: q02", "required: false\n      - code: q02"),
])
def test_content_hash_changes_with_content(sample_yaml, old, new):
    assert old in sample_yaml
    changed = load_form_text(sample_yaml.replace(old, new, 1))
    assert changed.content_hash != load_form_text(sample_yaml).content_hash


def test_forms_are_immutable(sample_form: Form):
    with pytest.raises(dataclasses.FrozenInstanceError):
        sample_form.version = "2"  # type: ignore[misc]


@pytest.mark.parametrize(("condition", "answers", "expected"), [
    (Condition("q01", Op.EQ, "co"), {"q01": "co"}, True),
    (Condition("q01", Op.EQ, "co"), {"q01": "khong"}, False),
    (Condition("q01", Op.EQ, "co"), {}, False),
    (Condition("q01", Op.NE, "co"), {"q01": "khong"}, True),
    (Condition("q01", Op.NE, "co"), {"q01": "co"}, False),
    (Condition("q01", Op.NE, "co"), {"q01": None}, True),
    (Condition("q01", Op.IN, ("co", "khong")), {"q01": "khong"}, True),
    (Condition("q01", Op.IN, ("co", "khong")), {"q01": "khong_biet"}, False),
    (Condition("q01", Op.IN, ("co", "khong")), {"q01": ""}, False),
    (Condition("q03", Op.GE, 2), {"q03": 2}, True),
    (Condition("q03", Op.GE, 2), {"q03": 1.5}, False),
    (Condition("q03", Op.GT, 2), {"q03": 2}, False),
    (Condition("q03", Op.LT, 2), {"q03": 1}, True),
    (Condition("q03", Op.LE, 2.5), {"q03": "2,5"}, True),
    (Condition("q03", Op.LT, 2), {}, False),
    (Condition("q03", Op.LT, 2), {"q03": "abc"}, False),
    (Condition("q03", Op.EQ, 3), {"q03": 3.0}, True),
    (Condition("q03", Op.EQ, 3), {"q03": "3"}, True),
    (Condition("q03", Op.NE, 3), {"q03": 4}, True),
])
def test_condition_is_met(condition, answers, expected):
    assert condition.is_met(answers) is expected


def test_sample_conditions(sample_form: Form):
    q02, q04 = sample_form.question("q02"), sample_form.question("q04")
    assert q02.relevant is not None and q04.relevant is not None
    assert q02.relevant.is_met({"q01": "co"})
    assert not q02.relevant.is_met({"q01": "khong_biet"})
    assert q04.relevant.is_met({"q03": 2.5})
    assert not q04.relevant.is_met({"q03": 1.0})


def test_in_condition_loads_as_tuple(sample_yaml):
    text = sample_yaml.replace('op: "=", value: co', "op: in, value: [co, khong]")
    relevant = load_form_text(text).question("q02").relevant
    assert relevant == Condition("q01", Op.IN, ("co", "khong"))
    assert relevant.to_dict() == {"question": "q01", "op": "in", "value": ["co", "khong"]}


def test_weights_keep_six_decimals(sample_yaml):
    text = sample_yaml.replace("weight: 1}", "weight: 0.052114859780102676}")
    assert load_form_text(text).question("q01").option("co").weight == 0.052115


def test_in_one_value_is_equality(sample_yaml):
    text = sample_yaml.replace('op: "=", value: co', "op: in, value: [co]")
    assert load_form_text(text).content_hash == load_form_text(sample_yaml).content_hash
