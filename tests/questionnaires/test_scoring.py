"""Scoring rules: the built-in rules add up, and every kind of broken rule is named."""

from __future__ import annotations

from pathlib import Path

import pytest

import questionnaires
import sampling
from questionnaires.problems import DataFileError
from questionnaires.scoring import rules_from_dict
from questionnaires.yamlsource import load_yaml

RULES_FILE = Path(sampling.resolve_plan_path("laichau-2020")).parent / "scoring.yaml"
RULES_TEXT = RULES_FILE.read_text(encoding="utf-8")
FORMS = {f.code: f for f in questionnaires.builtin_forms()}


def load(text: str, used_forms=None):
    data, lines = load_yaml(text, source="scoring.yaml")
    return rules_from_dict(data, FORMS, lines=lines, source="scoring.yaml", used_forms=used_forms)


def problems_of(text: str) -> DataFileError:
    with pytest.raises(DataFileError) as info:
        load(text)
    return info.value


def test_builtin_rules_add_up_to_the_documented_defaults():
    rules = sampling.load_plan().scoring
    assert rules is not None
    assert rules.total_max == 100
    assert rules.pooling == "groups"
    for kind in ("department", "district"):
        assert rules.shares[kind] == {"appraisal": 70, "survey": 30}
        for method, expected in (("appraisal", 70), ("survey", 30)):
            total = sum(s.max_for(kind) for _, _, s in rules.subcriteria(kind, method))
            assert total == pytest.approx(expected)
    assert [(b.name.vi, b.min) for b in rules.bands] == [
        ("Xuất sắc", 90), ("Tốt", 80), ("Khá", 70), ("Trung bình", 50), ("Yếu", 0)]
    assert "Giả định" in rules.note and "Assumptions" in rules.note


def test_every_scored_question_of_every_form_feeds_exactly_one_rule():
    rules = sampling.load_plan().scoring
    used = [str(q) for _, _, s in rules.subcriteria(method="survey") for q in s.questions]
    assert len(used) == len(set(used))
    scored = [f"{f.code}/{q.code}" for f in FORMS.values() for q in f.scored_questions()]
    assert sorted(used) == sorted(scored)
    for _, _, sub in rules.subcriteria(method="survey"):
        for ref in sub.questions:
            assert FORMS[ref.form].question(ref.question).criterion == sub.code


@pytest.mark.parametrize(("pct", "grade"), [
    (100, "xuat_sac"), (90, "xuat_sac"), (89.999, "tot"), (80, "tot"), (79.75, "kha"),
    (70, "kha"), (69.99, "trung_binh"), (50, "trung_binh"), (49.99, "yeu"), (0, "yeu")])
def test_grades_follow_the_bands(pct, grade):
    assert sampling.load_plan().scoring.grade(pct).code == grade


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(("old", "new", "code", "needle"), [
    ("questions: [CT-01/q01, ", "questions: [CT-01/q99, ", "unknown_question", "CT-01/q99"),
    ("questions: [CT-01/q01, ", "questions: [CT-09/q01, ", "unknown_form", "CT-09/q01"),
    ("questions: [CT-01/q01, ", "questions: [CT-01/q02, CT-01/q01, ", "question_feeds_other",
     "CT-01/q02, CT-01/q01"),
    ("questions: [CT-01/q01, ", "questions: [CT01q01, ", "bad_question_ref", "CT01q01"),
    ("method: appraisal", "method: guess", "bad_method", "method: guess"),
    ("code: LV1.TD2", "code: LV1.TD1", "duplicate_code", "code: LV1.TD1\n"),
    ("pooling: groups", "pooling: median", "bad_pooling", "pooling: median"),
    ("max: {department: 3, district: 3}", "max: {department: -3, district: 3}", "not_number",
     "department: -3"),
    ("max: {department: 3, district: 3}", "max: {department: 3, province: 3}", "unknown_kind",
     "province: 3"),
    ("{code: kha, name: {vi: \"Khá\", en: \"Fair\"}, min: 70}",
     "{code: kha, name: {vi: \"Khá\", en: \"Fair\"}, min: 85}", "bands_order", "{code: xuat_sac"),
])
def test_each_broken_rule_is_reported_with_its_place(old, new, code, needle):
    assert old in RULES_TEXT
    text = RULES_TEXT.replace(old, new, 1)
    error = problems_of(text)
    found = [p for p in error.problems if p.code == code]
    assert found, error.report("en")
    if "\n" not in needle:
        assert found[0].line == _line(text, needle)
    assert "Traceback" not in error.report("vi")


def test_maxima_that_do_not_add_up_are_refused():
    text = RULES_TEXT.replace("max: {department: 3, district: 3}",
                              "max: {department: 4, district: 3}", 1)
    error = problems_of(text)
    assert "max_total" in error.codes
    assert "71" in error.report("en") and "department" in error.report("en")


def test_shares_that_do_not_make_the_total_are_refused():
    text = RULES_TEXT.replace("department: {appraisal: 70, survey: 30}",
                              "department: {appraisal: 65, survey: 30}")
    assert "shares_total" in problems_of(text).codes


def test_a_scored_question_no_rule_uses_is_reported():
    text = RULES_TEXT.replace("questions: [CT-01/q01, ", "questions: [", 1)
    error = problems_of(text)
    assert "unscored_question" in error.codes
    assert "CT-01/q01" in error.report("en")


def test_survey_subcriterion_without_questions():
    text = RULES_TEXT.replace("            questions: [CT-01/q01, CT-02/q03, CT-03/q01, CH-01/q01, "
                              "CH-02/q01, CH-03/q03]\n", "", 1)
    assert "survey_without_questions" in problems_of(text).codes


def test_plan_checks_rules_against_its_groups(tmp_path: Path):
    """A survey sub-criterion whose questions no group asks about a kind is refused."""
    plan_dir = Path(sampling.resolve_plan_path("laichau-2020")).parent
    for name in ("plan.yaml", "units.csv"):
        (tmp_path / name).write_bytes((plan_dir / name).read_bytes())
    # TC6.2 is asked only in CT-02 (departments); claiming it for districts must fail.
    # (TC8.2 gives its 1.2 district points up, so that the maxima still add up.)
    text = RULES_TEXT.replace(
        "max: {department: 1.25, district: null}\n            questions: [CT-02/q10]",
        "max: {department: 1.25, district: 1.2}\n            questions: [CT-02/q10]").replace(
        "max: {department: null, district: 1.2}\n            questions: [CH-01/q12]",
        "max: {department: null, district: null}\n            questions: [CH-01/q12]")
    assert text.count("district: 1.2}") == RULES_TEXT.count("district: 1.2}")
    (tmp_path / "scoring.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        sampling.load_plan(tmp_path)
    assert "scoring_unasked" in info.value.codes
    assert "TC6.2" in info.value.report("en")
