"""The index: the design notes' 79.75 %, ranks 1, 2, 2, 4, grade bands, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import area_indices, unit_index
from analysis.index import min_rank
from questionnaires.scoring import ScoringRules

DEPARTMENTS = ["so-noi-vu", "so-tu-phap", "so-tai-chinh", "so-y-te"]
DISTRICTS = ["huyen-tam-duong", "huyen-sin-ho"]


def unit_frame(codes=DEPARTMENTS, kind="department") -> pd.DataFrame:
    return pd.DataFrame({"unit": codes, "kind": [kind] * len(codes),
                         "name": [c.upper() for c in codes]})


def fill(rules: ScoringRules, unit: str, kind: str, method: str, amount: float) -> list[tuple]:
    """Rows giving ``unit`` ``amount`` points on the ``method`` sub-criteria, filling each
    to its maximum in the order of the rules."""
    rows = []
    left = amount
    for _, _, sub in rules.subcriteria(kind=kind, method=method):
        top = sub.max_for(kind) or 0.0
        take = min(top, left)
        if take > 0:
            rows.append((unit, sub.code, take))
        left = round(left - take, 10)
    if left > 0:
        raise AssertionError(f"{amount} is more than the {method} maximum")
    return rows


def tables(rules: ScoringRules, totals: dict[str, tuple[float, float]], kind="department"):
    """Appraisal and survey tables from (appraisal, survey) totals per unit."""
    app, sur = [], []
    for unit, (a, s) in totals.items():
        app += fill(rules, unit, kind, "appraisal", a)
        sur += fill(rules, unit, kind, "survey", s)
    columns = ["unit", "criterion", "points"]
    return pd.DataFrame(app, columns=columns), pd.DataFrame(sur, columns=columns)


def test_design_notes_index_is_79_75_percent_khá(rules):
    appraisal, survey = tables(rules, {"so-tu-phap": (58.40, 21.35)})
    out = unit_index(survey, appraisal, rules, unit_frame(["so-tu-phap"]))
    row = out.iloc[0]
    assert row["appraisal"] == pytest.approx(58.40)
    assert row["survey"] == pytest.approx(21.35)
    assert row["total"] == pytest.approx(79.75)
    assert row["max"] == 100
    assert row["index_pct"] == pytest.approx(79.75)
    assert (row["grade"], row["grade_name"], row["rank"]) == ("kha", "Khá", 1)
    assert list(out.columns) == ["unit", "name", "kind", "appraisal", "survey", "total", "max",
                                 "index_pct", "rank", "grade", "grade_name",
                                 "missing_appraisal"]


def test_ties_share_the_best_rank_and_the_next_is_skipped(rules):
    totals = {"so-noi-vu": (70, 10), "so-tu-phap": (60, 30), "so-tai-chinh": (65, 5),
              "so-y-te": (50, 30)}
    appraisal, survey = tables(rules, totals)
    out = unit_index(survey, appraisal, rules, unit_frame())
    assert out["index_pct"].tolist() == pytest.approx([80, 90, 70, 80])
    assert out["rank"].tolist() == [2, 1, 4, 2]
    assert out["rank"].dtype == np.int64


def test_floating_point_noise_does_not_break_a_tie(rules):
    # 0.1 + 0.2 != 0.3 in binary floating point; the two units have the same index.
    # Appraisal points add up exactly (as written), so the noise comes from adding the
    # survey points: appraisal 0.1 + survey 0.2 against appraisal 0.3.
    appraisal = pd.DataFrame([("so-noi-vu", "LV1.TD1", 0.1), ("so-tu-phap", "LV1.TD1", 0.3)],
                             columns=["unit", "criterion", "points"])
    survey = pd.DataFrame(fill(rules, "so-noi-vu", "department", "survey", 0.2),
                          columns=["unit", "criterion", "points"])
    out = unit_index(survey, appraisal, rules, unit_frame(["so-noi-vu", "so-tu-phap"]))
    assert out["total"].iloc[0] != out["total"].iloc[1]
    assert out["rank"].tolist() == [1, 1]


def test_appraisal_points_add_up_as_written(rules):
    # 0.1 + 0.2 + 2.77 is 3.0700000000000003 in binary floating point
    appraisal = pd.DataFrame([("so-noi-vu", "LV1.TD1", 0.1), ("so-noi-vu", "LV1.TD2", 0.2),
                              ("so-noi-vu", "LV1.TD3", 2.77)], columns=["unit", "criterion", "points"])
    empty = pd.DataFrame(columns=["unit", "criterion", "points"])
    out = unit_index(empty, appraisal, rules, unit_frame(["so-noi-vu"]))
    assert repr(float(out["appraisal"].iloc[0])) == repr(float(out["total"].iloc[0])) == "3.07"


def test_min_rank_matches_the_competition_method():
    from scipy.stats import rankdata

    rng = np.random.default_rng(3)
    x = rng.integers(0, 5, size=(50, 7)).astype(float)
    expected = np.vstack([rankdata(-row, method="min") for row in x]).astype(int)
    np.testing.assert_array_equal(min_rank(x), expected)
    assert min_rank(np.array([1.0])).tolist() == [1]


def test_ranks_are_within_each_kind(rules):
    dep_app, dep_sur = tables(rules, {"so-noi-vu": (50, 20), "so-tu-phap": (60, 20)})
    dis_app, dis_sur = tables(rules, {"huyen-tam-duong": (55, 20), "huyen-sin-ho": (40, 10)},
                              kind="district")
    units = pd.concat([unit_frame(["so-noi-vu", "so-tu-phap"]), unit_frame(DISTRICTS, "district")])
    out = unit_index(pd.concat([dep_sur, dis_sur]), pd.concat([dep_app, dis_app]), rules, units)
    assert out.set_index("unit")["rank"].to_dict() == {
        "so-noi-vu": 2, "so-tu-phap": 1, "huyen-tam-duong": 1, "huyen-sin-ho": 2}


@pytest.mark.parametrize(("total", "grade", "name"), [
    (100, "xuat_sac", "Xuất sắc"), (90, "xuat_sac", "Xuất sắc"), (89.99, "tot", "Tốt"),
    (80, "tot", "Tốt"), (79.75, "kha", "Khá"), (70, "kha", "Khá"),
    (69.99, "trung_binh", "Trung bình"), (50, "trung_binh", "Trung bình"),
    (49.99, "yeu", "Yếu"), (0, "yeu", "Yếu")])
def test_grade_bands(rules, total, grade, name):
    a = min(total, 70)
    appraisal, survey = tables(rules, {"so-noi-vu": (a, round(total - a, 10))})
    row = unit_index(survey, appraisal, rules, unit_frame(["so-noi-vu"])).iloc[0]
    assert row["index_pct"] == pytest.approx(total)
    assert (row["grade"], row["grade_name"]) == (grade, name)


def test_missing_appraisal_rows_count_as_zero_and_are_counted(rules):
    appraisal, survey = tables(rules, {"so-noi-vu": (70, 30)})
    appraisal = appraisal.iloc[2:]  # LV1.TD1 (3) and LV1.TD2 (2) missing
    row = unit_index(survey, appraisal, rules, unit_frame(["so-noi-vu"])).iloc[0]
    assert row["appraisal"] == pytest.approx(65)
    assert row["missing_appraisal"] == 2
    row = unit_index(survey, appraisal.iloc[:0], rules, unit_frame(["so-noi-vu"])).iloc[0]
    assert row["appraisal"] == 0
    assert row["missing_appraisal"] == sum(
        1 for _ in rules.subcriteria(kind="department", method="appraisal"))


def test_bonus_and_penalty_are_added_then_the_total_clipped(rules):
    appraisal, survey = tables(rules, {"so-noi-vu": (68, 28), "so-tu-phap": (10, 2),
                                       "so-tai-chinh": (50, 20)})
    adjustments = pd.DataFrame({"unit": ["so-noi-vu", "so-tu-phap"], "bonus": [5.0, 0.0],
                                "penalty": [0.0, 15.0]})
    out = unit_index(survey, appraisal, rules, unit_frame(DEPARTMENTS[:3]), adjustments)
    assert out["bonus"].tolist() == [5, 0, 0]
    assert out["penalty"].tolist() == [0, 15, 0]
    assert out["total"].tolist() == pytest.approx([100, 0, 70])
    assert out["index_pct"].tolist() == pytest.approx([100, 0, 70])
    assert list(out.columns[5:7]) == ["bonus", "penalty"]
    with pytest.raises(ValueError, match="never negative: 'so-noi-vu'"):
        unit_index(survey, appraisal, rules, unit_frame(DEPARTMENTS[:3]),
                   adjustments.assign(bonus=[-1.0, 0.0]))
    with pytest.raises(ValueError, match="adjustments: unit.* not in units 'so-khac'"):
        unit_index(survey, appraisal, rules, unit_frame(DEPARTMENTS[:3]),
                   adjustments.assign(unit=["so-khac", "so-tu-phap"]))


def test_index_pct_is_not_rounded(rules):
    appraisal = pd.DataFrame([("so-noi-vu", "LV1.TD1", 1 / 3)],
                             columns=["unit", "criterion", "points"])
    empty = pd.DataFrame(columns=["unit", "criterion", "points"])
    row = unit_index(empty, appraisal, rules, unit_frame(["so-noi-vu"])).iloc[0]
    assert row["index_pct"] == 100 * (1 / 3) / 100


def test_name_is_empty_when_units_have_none(rules):
    appraisal, survey = tables(rules, {"so-noi-vu": (50, 20)})
    out = unit_index(survey, appraisal, rules, unit_frame(["so-noi-vu"]).drop(columns="name"))
    assert out["name"].tolist() == [""]


@pytest.mark.parametrize(("table", "row", "message"), [
    ("appraisal", ("so-noi-vu", "LV1.TD1", -0.5), r"between 0 and .*so-noi-vu/LV1.TD1=-0.5 \(max 3\)"),
    ("appraisal", ("so-noi-vu", "LV1.TD1", 3.5), r"so-noi-vu/LV1.TD1=3.5 \(max 3\)"),
    ("appraisal", ("so-noi-vu", "TC1.1", 1.0), "not one of the appraisal sub-criteria .*'so-noi-vu/TC1.1'"),
    ("appraisal", ("so-noi-vu", "LV8.TD1", 1.0), "apply to the unit's kind: 'so-noi-vu/LV8.TD1'"),
    ("appraisal", ("so-noi-vu", "XX", 1.0), "'so-noi-vu/XX'"),
    ("appraisal", ("so-khac", "LV1.TD1", 1.0), "appraisal: unit.* not in units 'so-khac'"),
    ("appraisal", ("so-noi-vu", "LV1.TD1", float("nan")), "'points' must be a finite number"),
    ("appraisal", ("so-noi-vu", "LV1.TD1", "ba"), "'points' must be a finite number"),
    ("survey", ("so-noi-vu", "TC1.1", 1.3), r"so-noi-vu/TC1.1=1.3 \(max 1.25\)"),
    ("survey", ("so-noi-vu", "LV1.TD1", 1.0), "not one of the survey sub-criteria"),
])
def test_bad_points_are_refused(rules, table, row, message):
    good, survey = tables(rules, {"so-noi-vu": (50, 20)})
    frames = {"appraisal": good.iloc[3:], "survey": survey.iloc[3:]}
    frames[table] = pd.concat([frames[table], pd.DataFrame([row], columns=good.columns)],
                              ignore_index=True)
    with pytest.raises(ValueError, match=message):
        unit_index(frames["survey"], frames["appraisal"], rules, unit_frame(["so-noi-vu"]))


def test_other_bad_input_is_refused(rules):
    appraisal, survey = tables(rules, {"so-noi-vu": (50, 20)})
    units = unit_frame(["so-noi-vu"])
    with pytest.raises(ValueError, match="more than one row for 'so-noi-vu/LV1.TD1'"):
        unit_index(survey, pd.concat([appraisal, appraisal.iloc[:1]]), rules, units)
    with pytest.raises(ValueError, match=r"appraisal is missing the column\(s\) 'points'"):
        unit_index(survey, appraisal.drop(columns="points"), rules, units)
    with pytest.raises(ValueError, match="unknown unit kind.*'commune'"):
        unit_index(survey, appraisal, rules, units.assign(kind="commune"))
    with pytest.raises(ValueError, match="survey must be a pandas DataFrame"):
        unit_index(None, appraisal, rules, units)  # type: ignore[arg-type]


def test_area_indices_by_hand(rules):
    appraisal = pd.DataFrame([("so-noi-vu", "LV1.TD1", 3.0), ("so-noi-vu", "LV1.TD2", 1.0),
                              ("huyen-sin-ho", "LV8.TD1", 2.5)],
                             columns=["unit", "criterion", "points"])
    survey = pd.DataFrame([("so-noi-vu", "TC1.1", 1.25), ("so-noi-vu", "TC1.3", 0.5),
                           ("huyen-sin-ho", "TC8.1", 0.6)],
                          columns=["unit", "criterion", "points"])
    units = pd.concat([unit_frame(["so-noi-vu"]), unit_frame(["huyen-sin-ho"], "district")])
    out = area_indices(survey, appraisal, rules, units)
    assert list(out.columns) == ["unit", "area", "points", "max", "index_pct"]
    dep = out.loc[out["unit"] == "so-noi-vu"].set_index("area")
    assert list(dep.index) == ["LV1", "LV2", "LV3", "LV4", "LV5", "LV6", "LV7"]  # no LV8
    # LV1 for departments: appraisal 3 + 2 + 3, survey 4 x 1.25 = 13 points
    assert dep.loc["LV1", "points"] == pytest.approx(3 + 1 + 1.25 + 0.5)
    assert dep.loc["LV1", "max"] == pytest.approx(13)
    assert dep.loc["LV1", "index_pct"] == pytest.approx(100 * 5.75 / 13)
    assert dep.loc["LV2", "points"] == 0
    dis = out.loc[out["unit"] == "huyen-sin-ho"].set_index("area")
    # LV8 for districts: appraisal 5, survey 2 x 1.2
    assert dis.loc["LV8", "max"] == pytest.approx(7.4)
    assert dis.loc["LV8", "index_pct"] == pytest.approx(100 * 3.1 / 7.4)
    # the areas add up to the index
    idx = unit_index(survey, appraisal, rules, units).set_index("unit")
    for unit, frame in out.groupby("unit"):
        assert frame["points"].sum() == pytest.approx(idx.loc[unit, "total"])
        assert frame["max"].sum() == pytest.approx(idx.loc[unit, "max"])
