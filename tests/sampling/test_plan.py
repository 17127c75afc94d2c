"""The plan file format: the built-in plan's totals and every kind of bad file."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import questionnaires
import sampling
from questionnaires import BilingualError, Label
from questionnaires.problems import DataFileError
from sampling import load_plan, load_plan_text

SMALL_PLAN = textwrap.dedent("""\
    format: 1
    code: test-plan
    title: {vi: Kế hoạch thử, en: Test plan}
    province: Tỉnh Thử
    year: 2024
    deadlines:
      survey: 2025-02-28
    unit_kinds:
      - code: department
        name: {vi: Sở, en: Department}
        evaluated: true
      - code: district
        name: {vi: Huyện, en: District}
        evaluated: true
      - code: commune
        name: {vi: Xã, en: Commune}
        parent: district
    units:
      - {code: so-a, kind: department, name: Sở A}
      - {code: so-b, kind: department, name: Sở B}
      - {code: huyen-x, kind: district, name: Huyện X}
      - {code: xa-1, kind: commune, name: Xã 1, parent: huyen-x}
      - {code: xa-2, kind: commune, name: Xã 2, parent: huyen-x}
    levels:
      - code: department
        name: {vi: Cấp sở, en: Department level}
        rated_kind: department
        forms: 9
      - code: district
        name: {vi: Cấp huyện, en: District level}
        rated_kind: district
        forms: 4
    total_forms: 13
    groups:
      - code: G1
        level: department
        name: {vi: Đại biểu, en: Delegates}
        form: CT-01
        rates: {every: department}
        quota: {fixed: 5}
        forms: 5
      - code: G2
        level: department
        name: {vi: Công chức sở, en: Department staff}
        form: CT-02
        rates: {own: department}
        quota: {per: department, count: 2}
        forms: 4
      - code: G3
        level: district
        name: {vi: Lãnh đạo xã, en: Commune leaders}
        form: CH-01
        rates: {own: district}
        quota: {per: commune, count: 2}
        forms: 4
    """)


def load(text: str) -> sampling.Plan:
    return load_plan_text(text, source="plan.yaml")


def problems_of(text: str) -> DataFileError:
    with pytest.raises(DataFileError) as info:
        load(text)
    return info.value


def line_of(text: str, needle: str | tuple[str, int]) -> int:
    """1-based line of the first (or ``n``-th, for ``(needle, n)``) line containing ``needle``."""
    needle, nth = (needle, 1) if isinstance(needle, str) else needle
    return [i for i, line in enumerate(text.splitlines(), 1) if needle in line][nth - 1]


# --------------------------------------------------------------------------- built-in


def test_builtin_plan_totals_match_the_2020_plan():
    plan = load_plan("laichau-2020")
    totals = plan.totals()
    assert totals == {"department": 533, "district": 660, "total": 1193}
    forms = {g.code: plan.group_total(g) for g in plan.groups}
    assert forms == {"I.1": 25, "I.2": 16, "I.3": 300, "I.4": 192,
                     "II.1": 120, "II.2": 40, "II.3": 288, "II.4": 212,
                     "III.1": 0, "III.2": 0}
    assert len(plan.quota_places()) == 1193


def test_builtin_plan_units_and_forms():
    plan = load_plan()
    counts = {kind.code: len(plan.units_of_kind(kind.code)) for kind in plan.unit_kinds}
    assert counts == {"department": 20, "district": 8, "commune": 106, "district_office": 96}
    assert {g.code: g.form for g in plan.groups if g.code in ("I.2", "II.4")} == {
        "I.2": "CT-01", "II.4": "CH-03"}
    assert [g.code for g in plan.groups if not g.quota.is_fixed_size] == ["III.1", "III.2"]
    assert plan.deadlines["survey"].isoformat() == "2021-02-28"
    assert plan.deadlines["self_assessment"].isoformat() == "2021-01-29"
    assert plan.deadlines["appraisal"].isoformat() == "2021-03-31"
    assert plan.deadlines["publication"].isoformat() == "2021-04-30"


def test_rated_units_follow_the_group_rule():
    plan = load_plan()
    assert len(plan.rated_units("I.1")) == 20
    assert [u.code for u in plan.rated_units("II.2", "so-noi-vu")] == [
        u.code for u in plan.units_of_kind("district")]
    assert [u.code for u in plan.rated_units("I.3", "so-tu-phap")] == ["so-tu-phap"]
    assert [u.code for u in plan.rated_units("II.4", "xa-then-sin")] == ["huyen-tam-duong"]
    assert [u.code for u in plan.rated_units("II.3", "phong-noi-vu-tam-duong")] == ["huyen-tam-duong"]


def test_plan_round_trips_through_its_dict_and_hash_is_stable():
    plan = load_plan()
    again = sampling.plan_from_dict(plan.to_dict())
    assert again == plan
    assert again.content_hash == plan.content_hash == load_plan().content_hash


def test_plan_labels_are_the_questionnaire_labels():
    assert sampling.Label is questionnaires.Label is Label
    plan = load_plan()
    assert isinstance(plan.title, Label)
    assert all(isinstance(k.name, Label) for k in plan.unit_kinds)
    assert plan.group("II.4").name.to_dict() == {"vi": plan.group("II.4").name.vi,
                                                 "en": plan.group("II.4").name.en}


def test_plan_problems_are_bilingual_errors():
    error = problems_of(SMALL_PLAN.replace("year: 2024", "year: -2024"))
    assert isinstance(error, BilingualError)
    assert error.status == 422
    assert error.message("en") == error.report("en") and "must not be negative" in error.message("en")
    assert error.message("vi") == error.report("vi") and "không được âm" in error.message("vi")


def test_hash_ignores_layout_but_not_content():
    plan = load(SMALL_PLAN)
    relaid = load("# a comment\n" + SMALL_PLAN.replace("{fixed: 5}", "{ fixed:   5 }"))
    changed = load(SMALL_PLAN.replace("Sở A}", "Sở A mới}"))
    assert relaid.content_hash == plan.content_hash
    assert changed.content_hash != plan.content_hash


def test_unknown_plan_name_says_which_exist(tmp_path: Path):
    with pytest.raises(DataFileError) as info:
        load_plan("no-such-plan")
    assert info.value.codes == ["no_builtin"]
    assert "laichau-2020" in info.value.report("en")


# --------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("edit", "code", "place", "needle"),
    [
        (("quota: {per: department, count: 2}", "quota: {per: departmnt, count: 2}"),
         "unknown_unit_kind", "groups[1].quota.per", "departmnt"),
        (("rates: {every: department}", "rates: {every: ministry}"),
         "unknown_unit_kind", "groups[0].rates.every", "ministry"),
        (("- {code: xa-2, kind: commune", "- {code: xa-2, kind: village"),
         "unknown_unit_kind", "units[4].kind", "village"),
        (("code: G2", "code: G1"), "duplicate_code", "groups[1].code", ("code: G1", 2)),
        (("{code: so-b,", "{code: so-a,"), "duplicate_code", "units[1].code", "name: Sở B"),
        (("quota: {fixed: 5}", "quota: {fixed: -5}"), "negative", "groups[0].quota.fixed", "fixed: -5"),
        (("count: 2}\n    forms: 4\n  - code: G3", "count: -1}\n    forms: 4\n  - code: G3"),
         "negative", "groups[1].quota.count", "count: -1"),
        (("form: CT-02", "form: CT-99"), "unknown_form", "groups[1].form", "CT-99"),
        (("forms: 5", "forms: 6"), "group_total", "groups[0].forms", "forms: 6"),
        (("forms: 9", "forms: 10"), "level_total", "levels[0].forms", "forms: 10"),
        (("total_forms: 13", "total_forms: 12"), "grand_total", "total_forms", "total_forms"),
        (("survey: 2025-02-28", "survey: 28/02/2025"), "not_date", "deadlines.survey", "28/02/2025"),
        (("parent: huyen-x}\n  - {code: xa-2", "parent: huyen-y}\n  - {code: xa-2"),
         "unknown_parent", "units[3].parent", "huyen-y"),
        (("parent: huyen-x}\n  - {code: xa-2", "parent: so-a}\n  - {code: xa-2"),
         "wrong_parent_kind", "units[3].parent", "parent: so-a"),
        (("rates: {own: district}", "rates: {own: department}"),
         "own_unreachable", "groups[2].rates", ("rates: {own: department}", 2)),
        (("rates: {own: department}", "rates: {everyone: department}"),
         "bad_rates", "groups[1].rates", "everyone"),
        (("quota: {fixed: 5}", "quota: {fixd: 5}"), "bad_quota", "groups[0].quota", "fixd"),
        (("province: Tỉnh Thử", "provinse: Tỉnh Thử"), "unknown_key", "provinse", "provinse"),
        (("format: 1", "format: 7"), "bad_format", "format", "format: 7"),
        (("level: district", "level: commune"), "unknown_level", "groups[2].level", "level: commune"),
        (("name: {vi: Đại biểu, en: Delegates}", "name: {vi: Đại biểu}"),
         "label_missing", "groups[0].name", "name: {vi: Đại biểu}"),
    ],
)
def test_each_problem_is_reported_with_its_place_and_line(edit, code, place, needle):
    old, new = edit
    assert old in SMALL_PLAN
    text = SMALL_PLAN.replace(old, new, 1)
    error = problems_of(text)
    found = [p for p in error.problems if p.code == code]
    assert found, error.report("en")
    assert found[0].place == place
    assert found[0].line == line_of(text, needle)
    # Both languages, the place in the one-line description, and no Python internals.
    assert found[0].message("vi") != found[0].message("en")
    assert place in found[0].describe("en")
    assert "Traceback" not in error.report("vi")


def test_all_problems_are_reported_at_once():
    text = (SMALL_PLAN.replace("form: CT-02", "form: CT-99")
            .replace("quota: {fixed: 5}", "quota: {fixed: -5}")
            .replace("total_forms: 13", "total_forms: 12"))
    error = problems_of(text)
    assert {"unknown_form", "negative"} <= set(error.codes)


def test_missing_required_keys_are_named():
    text = SMALL_PLAN.replace("province: Tỉnh Thử\n", "").replace("    form: CT-01\n", "", 1)
    error = problems_of(text)
    messages = [p.message("en") for p in error.problems if p.code == "missing"]
    assert any("'province'" in m for m in messages)
    assert any("'form'" in m for m in messages)


def test_yaml_syntax_error_has_a_line():
    error = problems_of(SMALL_PLAN.replace("quota: {fixed: 5}", "quota: {fixed: 5"))
    assert error.codes == ["yaml_syntax"]
    assert error.problems[0].line is not None


def test_not_a_mapping():
    error = problems_of("- just\n- a list\n")
    assert error.codes == ["not_mapping"]


def test_units_file_problems_name_file_and_row(tmp_path: Path):
    (tmp_path / "units.csv").write_text(
        "code,kind,name,parent\nso-a,department,Sở A,\nso-b,department,Sở B,\n"
        "huyen-x,district,Huyện X,\nxa-1,commune,Xã 1,huyen-x\nxa-2,commune,Xã 2,huyen-q\n",
        encoding="utf-8")
    start = SMALL_PLAN.index("units:\n")
    end = SMALL_PLAN.index("levels:")
    text = SMALL_PLAN[:start] + "units:\n  file: units.csv\n" + SMALL_PLAN[end:]
    (tmp_path / "plan.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_plan(tmp_path)
    assert info.value.codes == ["unknown_parent"]
    assert info.value.problems[0].place == "units.csv:6, parent"

    (tmp_path / "units.csv").unlink()
    with pytest.raises(DataFileError) as info:
        load_plan(tmp_path / "plan.yaml")
    assert "units_file" in info.value.codes


def test_units_file_without_required_columns(tmp_path: Path):
    (tmp_path / "units.csv").write_text("code,name\nso-a,Sở A\n", encoding="utf-8")
    start, end = SMALL_PLAN.index("units:\n"), SMALL_PLAN.index("levels:")
    (tmp_path / "plan.yaml").write_text(
        SMALL_PLAN[:start] + "units:\n  file: units.csv\n" + SMALL_PLAN[end:], encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_plan(tmp_path)
    assert "units_columns" in info.value.codes
    assert "kind" in info.value.report("en")


def test_small_plan_expands_quota_places():
    plan = load(SMALL_PLAN)
    places = plan.quota_places()
    assert len(places) == 13
    assert [(p.unit, p.ordinal) for p in places if p.group == "G3"] == [
        ("xa-1", 1), ("xa-1", 2), ("xa-2", 1), ("xa-2", 2)]
    assert all(p.unit is None for p in places if p.group == "G1")


# --------------------------------------------------------------------------- appraisal


BUILTIN_DIR = Path(sampling.resolve_plan_path("laichau-2020")).parent


def builtin_copy(tmp_path: Path, plan_edit=(None, None), rules_edit=(None, None)) -> Path:
    """The built-in plan in ``tmp_path``, with one text replacement in plan.yaml and/or
    scoring.yaml (each must apply)."""
    for name, (old, new) in (("plan.yaml", plan_edit), ("scoring.yaml", rules_edit)):
        text = (BUILTIN_DIR / name).read_text(encoding="utf-8")
        if old is not None:
            assert old in text, old
            text = text.replace(old, new, 1)
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "units.csv").write_bytes((BUILTIN_DIR / "units.csv").read_bytes())
    return tmp_path


def problems_at(path: Path) -> DataFileError:
    with pytest.raises(DataFileError) as info:
        load_plan(path)
    return info.value


def test_builtin_plan_has_the_appraisal_deadlines_and_explanation_period():
    plan = load_plan()
    assert plan.explanation_days == 7
    assert plan.deadlines["self_assessment"] < plan.deadlines["appraisal"]
    again = sampling.plan_from_dict(plan.to_dict())
    assert again.explanation_days == 7
    assert again.scoring.appraisers() == plan.scoring.appraisers()
    assert [(s.code, s.appraiser, s.evidence_required)
            for _, _, s in again.scoring.subcriteria(method="appraisal")] == [
        (s.code, s.appraiser, s.evidence_required)
        for _, _, s in plan.scoring.subcriteria(method="appraisal")]
    # The council is made of units of the plan.
    assert all(plan.unit(code) for code in plan.scoring.appraisers())


def test_explanation_days_is_kept_and_defaults_to_seven():
    assert load(SMALL_PLAN).explanation_days == 7
    plan = load(SMALL_PLAN.replace("deadlines:", "explanation_days: 10\ndeadlines:"))
    assert plan.explanation_days == 10
    assert plan.to_dict()["explanation_days"] == 10
    assert sampling.plan_from_dict(plan.to_dict()) == plan
    assert plan.content_hash != load(SMALL_PLAN).content_hash


@pytest.mark.parametrize(("value", "code"), [
    ("0", "below_minimum"), ("-3", "negative"), ("7.5", "not_int"), ("seven", "not_int"),
    ("true", "not_int")])
def test_explanation_days_must_be_a_whole_number_of_at_least_one(value, code):
    text = SMALL_PLAN.replace("deadlines:", f"explanation_days: {value}\ndeadlines:")
    error = problems_of(text)
    assert error.codes == [code]
    assert error.problems[0].place == "explanation_days"
    assert error.problems[0].line == line_of(text, "explanation_days")


@pytest.mark.parametrize(("old", "new", "place", "needle"), [
    ("    LV6: so-tai-chinh ", "    LV6: so-tai-chinhh", "appraisers.by_area.LV6", "so-tai-chinhh"),
    ("  default: so-noi-vu ", "  default: so-noi-vuu", "appraisers.default", "so-noi-vuu"),
    ("appraiser: so-khoa-hoc-va-cong-nghe", "appraiser: so-khcn",
     "areas[6].criteria[0].subcriteria[2].appraiser", "so-khcn"),
])
def test_an_appraiser_that_is_not_a_unit_is_reported_in_the_rules_file(tmp_path, old, new, place, needle):
    error = problems_at(builtin_copy(tmp_path, rules_edit=(old, new)))
    assert error.codes == ["scoring_appraiser_unknown"]
    problem = error.problems[0]
    assert problem.place == place
    assert problem.source.endswith("scoring.yaml")
    text = (tmp_path / "scoring.yaml").read_text(encoding="utf-8")
    assert problem.line == line_of(text, needle)
    assert needle in problem.message("en") and needle in problem.message("vi")
    assert problem.message("vi") != problem.message("en")
    if needle != "so-khcn":  # a near miss suggests the unit meant
        assert old.split(": ")[1].strip() in problem.message("en")


def test_an_appraisal_subcriterion_without_appraiser_is_reported(tmp_path):
    text = (BUILTIN_DIR / "scoring.yaml").read_text(encoding="utf-8")
    block = text[text.index("\nappraisers:\n"):text.index("\nareas:\n")]
    error = problems_at(builtin_copy(tmp_path, rules_edit=(block, "")))
    missing = [p for p in error.problems if p.code == "scoring_appraiser_missing"]
    # Only LV7.TD3 names its own appraiser; the 19 others have none.
    assert len(missing) == 19 and set(error.codes) == {"scoring_appraiser_missing"}
    assert missing[0].place == "areas[0].criteria[0].subcriteria[0]"
    assert "LV1.TD1" in missing[0].message("en") and "LV1.TD1" in missing[0].message("vi")


def test_inline_rules_are_checked_too():
    """A stored plan (rules inline under ``scoring``) names the place under ``scoring``."""
    data = load_plan().to_dict()
    data["scoring"]["areas"][5]["criteria"][0]["subcriteria"][0]["appraiser"] = "so-tai-chin"
    with pytest.raises(DataFileError) as info:
        sampling.plan_from_dict(data)
    assert info.value.codes == ["scoring_appraiser_unknown"]
    assert info.value.problems[0].place == "scoring.areas[5].criteria[0].subcriteria[0].appraiser"


def test_an_appraiser_on_a_survey_subcriterion_is_refused(tmp_path):
    old = "            questions: [CT-01/q01, "
    error = problems_at(builtin_copy(
        tmp_path, rules_edit=(old, "            appraiser: so-noi-vu\n" + old)))
    assert error.codes == ["survey_with_appraiser"]
    assert error.problems[0].place == "areas[0].criteria[1].subcriteria[0].appraiser"


@pytest.mark.parametrize("key", ["self_assessment", "appraisal"])
def test_rules_with_appraisal_need_the_appraisal_deadlines(tmp_path, key):
    line = next(li for li in (BUILTIN_DIR / "plan.yaml").read_text(encoding="utf-8").splitlines()
                if li.startswith(f"  {key}:"))
    error = problems_at(builtin_copy(tmp_path, plan_edit=(line + "\n", "")))
    assert error.codes == ["deadline_required"]
    assert error.problems[0].place == "deadlines"
    assert f"'{key}'" in error.problems[0].message("en")
    # A plan without scoring rules needs only the survey deadline.
    assert "self_assessment" not in load(SMALL_PLAN).deadlines


def test_the_appraisal_comes_after_the_self_assessment(tmp_path):
    error = problems_at(builtin_copy(
        tmp_path, plan_edit=("appraisal: 2021-03-31", "appraisal: 2021-01-15")))
    assert error.codes == ["deadline_order"]
    assert error.problems[0].place == "deadlines.appraisal"
    assert "2021-01-15" in error.problems[0].message("vi")
