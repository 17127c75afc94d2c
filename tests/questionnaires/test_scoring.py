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


# --------------------------------------------------------------------------- who appraises what

#: The built-in assignment (an assumption, documented in scoring.yaml and the README).
BUILTIN_APPRAISERS = {
    "LV1.TD1": "so-noi-vu", "LV1.TD2": "so-noi-vu", "LV1.TD3": "so-noi-vu",
    "LV2.TD1": "so-tu-phap", "LV2.TD2": "so-tu-phap", "LV2.TD3": "so-tu-phap",
    "LV3.TD1": "van-phong-ubnd-tinh", "LV3.TD2": "van-phong-ubnd-tinh",
    "LV3.TD3": "van-phong-ubnd-tinh",
    "LV4.TD1": "so-noi-vu", "LV4.TD2": "so-noi-vu",
    "LV5.TD1": "so-noi-vu", "LV5.TD2": "so-noi-vu", "LV5.TD3": "so-noi-vu",
    "LV6.TD1": "so-tai-chinh", "LV6.TD2": "so-tai-chinh",
    "LV7.TD1": "so-thong-tin-va-truyen-thong", "LV7.TD2": "so-thong-tin-va-truyen-thong",
    "LV7.TD3": "so-khoa-hoc-va-cong-nghe",
    "LV8.TD1": "so-noi-vu",
}
LV7_LINE = "    LV7: so-thong-tin-va-truyen-thong   # công nghệ thông tin, chính quyền điện tử\n"
COUNCIL = {"so-noi-vu", "so-tai-chinh", "so-tu-phap", "so-khoa-hoc-va-cong-nghe",
           "so-thong-tin-va-truyen-thong", "van-phong-ubnd-tinh"}


def test_builtin_council_appraises_every_appraisal_subcriterion():
    plan = sampling.load_plan()
    rules = plan.scoring
    assert {s.code: s.appraiser for _, _, s in rules.subcriteria(method="appraisal")} == BUILTIN_APPRAISERS
    assert rules.appraisers() == COUNCIL
    assert all(plan.unit(code).kind == "department" for code in COUNCIL)
    # Each of the six appraises something, for departments and for districts alike.
    for kind in ("department", "district"):
        for member in COUNCIL:
            assert rules.appraised_by(member, kind=kind), (member, kind)
    # Together they cover every appraisal sub-criterion exactly once.
    appraised = [s.code for member in sorted(COUNCIL) for s in rules.appraised_by(member)]
    assert sorted(appraised) == sorted(BUILTIN_APPRAISERS)
    assert all(s.evidence_required for _, _, s in rules.subcriteria(method="appraisal"))
    assert all(s.appraiser is None and not s.evidence_required
               for _, _, s in rules.subcriteria(method="survey"))
    assert rules.appraised_by("so-y-te") == []
    assert [s.code for s in rules.appraised_by("so-noi-vu", kind="department")] == [
        "LV1.TD1", "LV1.TD2", "LV1.TD3", "LV4.TD1", "LV4.TD2", "LV5.TD1", "LV5.TD2", "LV5.TD3"]


def test_appraisers_and_evidence_round_trip_through_the_dict():
    text = RULES_TEXT.replace("code: LV1.TD2\n", "code: LV1.TD2\n            evidence_required: false\n", 1)
    rules = load(text)
    assert rules.subcriterion("LV1.TD2").evidence_required is False
    doc = rules.to_dict()
    sub = doc["areas"][0]["criteria"][0]["subcriteria"][1]
    assert (sub["appraiser"], sub["evidence_required"]) == ("so-noi-vu", False)
    survey = doc["areas"][0]["criteria"][1]["subcriteria"][0]
    assert "appraiser" not in survey and "evidence_required" not in survey
    again = rules_from_dict(doc, FORMS)
    assert again == rules
    assert again.to_dict() == doc


def test_the_most_specific_assignment_wins():
    text = RULES_TEXT.replace(LV7_LINE, LV7_LINE + "  by_criterion:\n    LV1.TD: ban-dan-toc\n", 1).replace(
        "code: LV1.TD3\n", "code: LV1.TD3\n            appraiser: thanh-tra-tinh\n", 1)
    rules = load(text)
    assert [rules.subcriterion(c).appraiser for c in ("LV1.TD1", "LV1.TD3", "LV2.TD1", "LV4.TD1")] == [
        "ban-dan-toc", "thanh-tra-tinh", "so-tu-phap", "so-noi-vu"]


def test_rules_without_appraisers_leave_them_unresolved():
    """Alone, rules need not name appraisers; the plan reader refuses that (test_plan)."""
    start, end = RULES_TEXT.index("\nappraisers:\n"), RULES_TEXT.index("\nareas:\n")
    text = RULES_TEXT[:start] + RULES_TEXT[end:]
    text = text.replace("            appraiser: so-khoa-hoc-va-cong-nghe", "")
    rules = load(text)
    assert rules.appraisers() == set()
    assert all(s.appraiser is None for _, _, s in rules.subcriteria(method="appraisal"))


@pytest.mark.parametrize(("old", "new", "code", "needle"), [
    ("            questions: [CT-01/q01, ",
     "            appraiser: so-noi-vu\n            questions: [CT-01/q01, ",
     "survey_with_appraiser", "appraiser: so-noi-vu"),
    ("            questions: [CT-01/q01, ",
     "            evidence_required: true\n            questions: [CT-01/q01, ",
     "survey_with_evidence", "evidence_required: true"),
    ("code: LV1.TD2\n", "code: LV1.TD2\n            evidence_required: maybe\n", "not_bool",
     "evidence_required: maybe"),
    ("    LV6: so-tai-chinh", "    LV9: so-tai-chinh", "unknown_area", "LV9: so-tai-chinh"),
    (LV7_LINE, LV7_LINE + "  by_criterion: {LV6.XX: so-tai-chinh}\n", "unknown_criterion", "LV6.XX"),
    ("  default: so-noi-vu", "  default: so-noi-vu\n  by_subcriterion: {}", "unknown_key",
     "by_subcriterion"),
    ("  default: so-noi-vu", "  default: ''", "not_text", "default: ''"),
])
def test_each_broken_assignment_is_reported_with_its_place(old, new, code, needle):
    assert old in RULES_TEXT
    text = RULES_TEXT.replace(old, new, 1)
    error = problems_of(text)
    found = [p for p in error.problems if p.code == code]
    assert found, error.report("en")
    assert found[0].line == _line(text, needle)
    assert found[0].message("vi") != found[0].message("en")


def test_readme_table_of_appraisers_is_the_builtin_assignment():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = {}
    for line in readme.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[2].startswith("`") and cells[1].startswith("LV"):
            for code in cells[1].split(", "):
                table[code] = cells[2].strip("`")
    assert table == BUILTIN_APPRAISERS
