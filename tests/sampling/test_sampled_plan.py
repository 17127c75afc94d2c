"""Sampled quotas and ``own`` rates of several kinds in the plan format, and the built-in
citizens' round ``laichau-2020-hailong``."""

from __future__ import annotations

import math
import textwrap

import pytest

import sampling
from questionnaires.problems import DataFileError
from sampling import Quota, Rates, load_plan, load_plan_text, quota_precision

PLAN = textwrap.dedent("""\
    format: 1
    code: hl-test
    title: {vi: Khảo sát hài lòng thử, en: Test satisfaction survey}
    province: Tỉnh Thử
    year: 2024
    deadlines:
      survey: 2024-12-31
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
      - code: office
        name: {vi: Phòng, en: Office}
    units:
      - {code: so-a, kind: department, name: Sở A}
      - {code: so-b, kind: department, name: Sở B}
      - {code: huyen-x, kind: district, name: Huyện X}
      - {code: xa-1, kind: commune, name: Xã 1, parent: huyen-x}
      - {code: xa-2, kind: commune, name: Xã 2, parent: huyen-x}
      - {code: phong-1, kind: office, name: Phòng 1}
    groups:
      - code: P1
        level: null
        name: {vi: Người dân, en: Citizens}
        form: CT-01
        rates: {own: [department, district]}
        quota: {sampled: [department, district], margin: 0.05, reserve: 0.2}
      - code: P2
        level: null
        name: {vi: Tổ chức, en: Organisations}
        form: CT-01
        rates: {own: department}
        quota: {sampled: department, per_unit: 30}
      - code: P3
        level: null
        name: {vi: Người dân xã, en: Commune citizens}
        form: CT-01
        rates: {own: [department, district]}
        quota: {sampled: [commune], total: 100, reserve: 0}
    """)

#: A line of ``PLAN`` and the line it becomes in a bad plan.
P1_QUOTA = "    quota: {sampled: [department, district], margin: 0.05, reserve: 0.2}"
P1_RATES = "    rates: {own: [department, district]}\n    quota: {sampled: [department, district]"


def load(text: str) -> sampling.Plan:
    return load_plan_text(text, source="plan.yaml")


def problems_of(text: str) -> DataFileError:
    with pytest.raises(DataFileError) as info:
        load(text)
    return info.value


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# --------------------------------------------------------------------------- the model


def test_sampled_quotas_are_read_with_their_rule_and_defaults():
    plan = load(PLAN)
    p1, p2, p3 = (plan.group(code).quota for code in ("P1", "P2", "P3"))
    assert p1 == Quota(sampled=("department", "district"), margin=0.05, reserve=0.2)
    assert p2 == Quota(sampled=("department",), per_unit=30, reserve=0.2)
    assert p3 == Quota(sampled=("commune",), total=100, reserve=0.0)
    assert [q.rule for q in (p1, p2, p3)] == ["margin", "per_unit", "total"]
    assert all(q.is_sampled and q.is_surveyed and not q.is_fixed_size for q in (p1, p2, p3))
    # No size rule: Slovin with e = 5 %; no reserve: 20 %.
    bare = load(PLAN.replace(P1_QUOTA, "    quota: {sampled: department}"))
    assert bare.group("P1").quota == Quota(sampled=("department",), margin=0.05, reserve=0.2)


def test_a_sampled_group_has_no_places_and_no_total():
    plan = load(PLAN)
    assert plan.quota_places() == []
    assert plan.totals() == {"total": 0}
    assert all(plan.group_total(g) == 0 and g.respondent_kind is None and g.is_sampled
               for g in plan.groups)
    assert [g.code for g in plan.sampled_groups()] == ["P1", "P2", "P3"]
    assert [u.code for u in plan.sampled_units(plan.group("P1"))] == ["so-a", "so-b", "huyen-x"]
    assert plan.is_satisfaction_survey
    assert not load_plan().is_satisfaction_survey and load_plan().sampled_groups() == []


def test_a_plan_mixing_fixed_and_sampled_groups_is_not_a_satisfaction_survey():
    mixed = PLAN + ("  - code: G1\n    level: null\n    name: {vi: Đại biểu, en: Delegates}\n"
                    "    form: CT-01\n    rates: {every: department}\n    quota: {fixed: 5}\n")
    plan = load(mixed)
    assert [g.code for g in plan.sampled_groups()] == ["P1", "P2", "P3"]
    assert not plan.is_satisfaction_survey
    assert len(plan.quota_places()) == 5


def test_own_rates_with_several_kinds_take_the_nearest():
    plan = load(PLAN)
    assert plan.group("P1").rates == Rates("own", ("department", "district"))
    assert [u.code for u in plan.rated_units("P1", "so-b")] == ["so-b"]
    assert [u.code for u in plan.rated_units("P1", "huyen-x")] == ["huyen-x"]
    assert [u.code for u in plan.rated_units("P3", "xa-2")] == ["huyen-x"]
    assert plan.rated_units("P1") == []
    assert plan.ancestor_of_kind("xa-1", ("department", "district")).code == "huyen-x"
    assert plan.ancestor_of_kind("xa-1", "department") is None


def test_rates_and_quotas_round_trip_and_keep_their_written_shape():
    plan = load(PLAN)
    data = plan.to_dict()
    assert [g["rates"] for g in data["groups"]] == [
        {"own": ["department", "district"]}, {"own": "department"}, {"own": ["department", "district"]}]
    assert [g["quota"] for g in data["groups"]] == [
        {"sampled": ["department", "district"], "margin": 0.05, "reserve": 0.2},
        {"sampled": ["department"], "per_unit": 30, "reserve": 0.2},
        {"sampled": ["commune"], "total": 100, "reserve": 0.0}]
    again = sampling.plan_from_dict(data)
    assert again == plan and again.content_hash == plan.content_hash
    # The YAML text, relaid, gives the same hash; another margin another.
    relaid = load(PLAN.replace(P1_QUOTA, "    quota: {reserve: 0.2, margin: 0.050, sampled: [department, district]}"))
    assert relaid.content_hash == plan.content_hash
    changed = load(PLAN.replace("margin: 0.05,", "margin: 0.04,"))
    assert changed.content_hash != plan.content_hash


def test_quotas_without_a_sample_keep_their_stored_shape():
    """The plans stored before sampled quotas existed keep their dict, so their hash."""
    data = load_plan().to_dict()
    shapes = {tuple(sorted(g["quota"])) for g in data["groups"]}
    assert shapes == {("fixed",), ("count", "per"), ("separate_plan",)}
    assert all(isinstance(g["rates"].get("own", ""), str) for g in data["groups"])
    assert sampling.plan_from_dict(data).content_hash == load_plan().content_hash


def test_describe_says_the_rule_briefly():
    plan = load(PLAN)
    assert [plan.group(c).quota.describe("en") for c in ("P1", "P2", "P3")] == [
        "sample e=0.05, +20 %", "sample 30/unit, +20 %", "sample total 100, +0 %"]
    assert plan.group("P3").quota.describe("vi") == "mẫu tổng 100, +0 %"
    assert all(len(plan.group(c).quota.describe(lang)) <= 22 for c in ("P1", "P2", "P3")
               for lang in ("vi", "en"))


# --------------------------------------------------------------------------- bad values


BAD = [
    # (replacement of P1's quota line, code, place)
    ("{sampled: [department, district], margin: 0}", "bad_margin", "groups[0].quota.margin"),
    ("{sampled: [department, district], margin: 0.5}", "bad_margin", "groups[0].quota.margin"),
    ("{sampled: [department, district], margin: 5}", "bad_margin", "groups[0].quota.margin"),
    ("{sampled: [department, district], margin: -0.05}", "bad_margin", "groups[0].quota.margin"),
    ("{sampled: [department, district], margin: 5%}", "bad_margin", "groups[0].quota.margin"),
    ("{sampled: [department, district], margin: true}", "bad_margin", "groups[0].quota.margin"),
    ("{sampled: [department, district], margin: .nan}", "bad_margin", "groups[0].quota.margin"),
    ("{sampled: [department, district], reserve: -0.1}", "bad_reserve", "groups[0].quota.reserve"),
    ("{sampled: [department, district], reserve: 1.5}", "bad_reserve", "groups[0].quota.reserve"),
    ("{sampled: [department, district], reserve: nhiều}", "bad_reserve", "groups[0].quota.reserve"),
    ("{sampled: [department, district], per_unit: 0}", "below_minimum", "groups[0].quota.per_unit"),
    ("{sampled: [department, district], per_unit: -3}", "negative", "groups[0].quota.per_unit"),
    ("{sampled: [department, district], per_unit: 2.5}", "not_int", "groups[0].quota.per_unit"),
    ("{sampled: [department, district], total: 0}", "below_minimum", "groups[0].quota.total"),
    ("{sampled: [department, district], total: ba trăm}", "not_int", "groups[0].quota.total"),
    ("{sampled: [department, district], margin: 0.05, per_unit: 30}", "sampled_rules",
     "groups[0].quota.per_unit"),
    ("{sampled: [department, district], per_unit: 30, total: 600}", "sampled_rules",
     "groups[0].quota.total"),
    ("{sampled: [department, ministry]}", "unknown_unit_kind", "groups[0].quota.sampled[1]"),
    ("{sampled: ministry}", "unknown_unit_kind", "groups[0].quota.sampled"),
    ("{sampled: []}", "sampled_kinds", "groups[0].quota.sampled"),
    ("{sampled: 5}", "sampled_kinds", "groups[0].quota.sampled"),
    ("{sampled: [department, department]}", "duplicate_code", "groups[0].quota.sampled[1]"),
    ("{sampled: [department], count: 5}", "unknown_key", "groups[0].quota.count"),
    ("{sampled: [department], fixed: 5}", "unknown_key", "groups[0].quota.fixed"),
    ("{sampled: [office]}", "own_unreachable", "groups[0].rates"),
]


@pytest.mark.parametrize(("quota", "code", "place"), BAD)
def test_each_bad_sampled_quota_is_reported_with_its_place_and_line(quota, code, place):
    text = PLAN.replace(P1_QUOTA, f"    quota: {quota}")
    assert text != PLAN
    error = problems_of(text)
    found = [p for p in error.problems if p.code == code]
    assert found, error.report("en")
    assert found[0].place == place
    assert found[0].line == line_of(text, quota if code != "own_unreachable" else "own: [department, district]")
    assert found[0].message("vi") != found[0].message("en")
    assert "Traceback" not in error.report("vi") and "Traceback" not in error.report("en")


def test_a_kind_without_units_cannot_be_sampled():
    text = PLAN.replace("  - {code: phong-1, kind: office, name: Phòng 1}\n", "")
    text = text.replace(P1_QUOTA, "    quota: {sampled: [department, office]}")
    error = problems_of(text)
    assert error.codes == ["no_units_of_kind"]
    assert error.problems[0].place == "groups[0].quota.sampled[1]"


def test_a_sampled_group_rates_its_own_unit():
    text = PLAN.replace(P1_RATES, "    rates: {every: [department, district]}\n"
                                  "    quota: {sampled: [department, district]")
    error = problems_of(text)
    assert error.codes == ["sampled_needs_own"]
    assert error.problems[0].place == "groups[0].rates"
    assert "own" in error.problems[0].message("en") and "own" in error.problems[0].message("vi")


def test_a_sampled_group_needs_a_form_and_states_no_forms():
    error = problems_of(PLAN.replace("    form: CT-01\n", "    form: null\n", 1))
    assert error.codes == ["form_required"]
    error = problems_of(PLAN.replace(P1_QUOTA, P1_QUOTA + "\n    forms: 300"))
    assert error.codes == ["sampled_forms"]
    assert error.problems[0].place == "groups[0].forms"


def test_every_bad_value_of_a_quota_is_reported_at_once():
    text = PLAN.replace(P1_QUOTA, "    quota: {sampled: [department, ministry], margin: 0.9,"
                                  " per_unit: 0, reserve: 2}")
    error = problems_of(text)
    assert error.codes == ["unknown_unit_kind", "sampled_rules", "bad_margin", "below_minimum",
                           "bad_reserve"]


def test_own_rates_of_several_kinds_are_checked_like_one():
    for rates, code, place in [
        ("{own: [department, ministry]}", "unknown_unit_kind", "groups[0].rates.own[1]"),
        ("{own: [department, commune]}", "rated_not_evaluated", "groups[0].rates.own[1]"),
        ("{own: [department, department]}", "duplicate_code", "groups[0].rates.own[1]"),
        ("{own: []}", "bad_rates", "groups[0].rates.own"),
    ]:
        text = PLAN.replace("    rates: {own: [department, district]}", f"    rates: {rates}", 1)
        error = problems_of(text)
        assert code in error.codes, (rates, error.report("en"))
        assert error.problems[error.codes.index(code)].place == place


def test_own_rates_of_several_kinds_work_with_a_per_unit_quota():
    text = PLAN.replace(P1_QUOTA, "    quota: {per: commune, count: 2}")
    plan = load(text)
    assert [u.code for u in plan.rated_units("P1", "xa-1")] == ["huyen-x"]
    assert len(plan.quota_places()) == 4
    table = quota_precision(plan).set_index("group")
    assert int(table.loc["P1", "n_rated"]) == 4  # two per commune, pooled into the district


# --------------------------------------------------------------------------- statistics


def test_quota_precision_handles_sampled_groups():
    plan = load(PLAN)
    unknown = quota_precision(plan).set_index("group")
    assert unknown.loc["P1", "n"] is pd_na() and "give N" in unknown.loc["P1", "note"]
    assert int(unknown.loc["P2", "n"]) == 30 and unknown.loc["P2", "N"] is pd_na()
    assert unknown.loc["P1", "unit_kind"] == "department, district"
    assert int(unknown.loc["P1", "units"]) == 3

    sizes = {"P1": {"so-a": 2000, "so-b": 400, "huyen-x": 50}, "P2": 20,
             "P3": {"xa-1": 300, "xa-2": 100}}
    table = quota_precision(plan, sizes, by_unit=True)
    p1 = table[table["group"] == "P1"].set_index("unit")
    assert p1["n"].tolist() == [334, 200, 45] and p1["N"].tolist() == [2000, 400, 50]
    assert (p1["n_rated"] == p1["n"]).all()
    p2 = table[table["group"] == "P2"].set_index("unit")
    assert p2["n"].tolist() == [20, 20] and p2["note"].str.contains("take-all").all()
    p3 = table[table["group"] == "P3"].set_index("unit")
    assert p3["n"].tolist() == [75, 25]
    assert p3["n_rated"].tolist() == [100, 100]  # pooled into the district

    rows = quota_precision(plan, sizes).set_index("group")
    assert int(rows.loc["P1", "n"]) == 45 and int(rows.loc["P1", "N"]) == 50  # the widest margin
    assert math.isfinite(rows.loc["P1", "moe_scaled"])
    # A total needs every unit's N.
    partial = quota_precision(plan, {"P3": {"xa-1": 300}}).set_index("group")
    assert partial.loc["P3", "n"] is pd_na()


def pd_na():
    import pandas as pd

    return pd.NA


def test_quota_precision_refuses_a_size_for_a_unit_not_sampled():
    with pytest.raises(ValueError, match="xa-1"):
        quota_precision(load(PLAN), {"P1": {"xa-1": 10}})


# --------------------------------------------------------------------------- the built-in round


def test_the_builtin_citizens_round():
    assert sampling.builtin_plan_names() == ["laichau-2020", "laichau-2020-hailong"]
    plan = load_plan("laichau-2020-hailong")
    assert plan.code == "laichau-2020-hailong" and plan.year == 2020 and plan.province == "Lai Châu"
    assert "1516/KH-UBND" in plan.source and "2061/KH-UBND" in plan.source
    assert [(g.code, g.form, g.level, g.name.en) for g in plan.groups] == [
        ("III.1", "HL-01", None, "Citizens"), ("III.2", "HL-01", None, "Organisations")]
    quota = Quota(sampled=("department", "district"), margin=0.05, reserve=0.2)
    assert all(g.quota == quota and g.rates == Rates("own", ("department", "district"))
               for g in plan.groups)
    assert plan.scoring is None and list(plan.deadlines) == ["survey"]
    assert plan.is_satisfaction_survey and plan.quota_places() == []
    assert list(plan.forms) == ["HL-01"]
    # The same units as the main round.
    assert plan.units == load_plan().units
    assert len(plan.sampled_units(plan.group("III.1"))) == 28
    assert sampling.plan_from_dict(plan.to_dict()) == plan
    assert sampling.plan_from_dict(plan.to_dict()).content_hash == plan.content_hash


def test_the_main_round_leaves_citizens_to_their_own_round():
    # The main round keeps III.1 and III.2 under a separate plan (its content, and so the
    # hash of every database that holds it, unchanged); the citizens' round samples them.
    plan, citizens = load_plan(), load_plan("laichau-2020-hailong")
    for code in ("III.1", "III.2"):
        assert not plan.group(code).quota.is_surveyed
        assert citizens.group(code).quota.is_sampled
