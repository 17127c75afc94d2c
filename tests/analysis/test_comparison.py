"""Comparison with the previous round, and the honest ranking (only units that earned it)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import compare_rounds, grade_counts, ranked_index, unit_index


def _index(units, kinds, pct, ranks, grades):
    return pd.DataFrame({"unit": units, "kind": kinds, "index_pct": pct,
                         "rank": pd.array(ranks, dtype="Int64"), "grade": grades})


def test_rank_change_is_places_gained_and_new_units_say_so():
    now = _index(["a", "b", "c", "x"], ["department"] * 4, [90.0, 80.0, 70.0, 60.0], [1, 2, 3, 4],
                 ["xuat_sac", "tot", "kha", "trung_binh"])
    before = _index(["a", "b", "c", "gone"], ["department"] * 4, [70.0, 85.0, 75.0, 99.0], [4, 1, 2, 3],
                    ["kha", "tot", "kha", "xuat_sac"])
    out = compare_rounds(now, before).set_index("unit")
    assert out["rank_change"].tolist()[:3] == [3, -1, -1]  # a: 4 -> 1 is up three places
    assert out.loc["a", "previous_index_pct"] == 70.0 and out.loc["a", "previous_grade"] == "kha"
    assert out.loc["x", "new_unit"] and pd.isna(out.loc["x", "rank_change"])
    assert not out.loc[["a", "b", "c"], "new_unit"].any()
    assert "gone" not in out.index  # only this round's units


def test_no_previous_round_means_no_comparison_and_nothing_new():
    now = _index(["a"], ["district"], [50.0], [1], ["trung_binh"])
    out = compare_rounds(now, None)
    assert pd.isna(out.loc[0, "previous_rank"]) and pd.isna(out.loc[0, "rank_change"])
    assert not out.loc[0, "new_unit"]


def test_a_unit_not_ranked_in_either_round_has_no_change():
    now = _index(["a", "b"], ["department"] * 2, [80.0, 10.0], [1, None], ["tot", None])
    before = _index(["a", "b"], ["department"] * 2, [80.0, 70.0], [None, 1], [None, "kha"])
    out = compare_rounds(now, before)
    assert out["rank_change"].isna().all()
    assert out["previous_rank"].tolist()[1] == 1


def test_a_unit_that_changed_kind_is_not_compared_by_rank():
    now = _index(["a"], ["district"], [80.0], [1], ["tot"])
    before = _index(["a"], ["department"], [70.0], [3], ["kha"])
    out = compare_rounds(now, before)
    assert pd.isna(out.loc[0, "rank_change"]) and out.loc[0, "previous_rank"] == 3


def test_a_repeated_unit_is_refused():
    now = _index(["a", "a"], ["district"] * 2, [80.0, 70.0], [1, 2], ["tot", "kha"])
    with pytest.raises(ValueError, match="more than one row"):
        compare_rounds(now, None)
    with pytest.raises(ValueError, match="rank"):
        compare_rounds(now.drop(columns="rank"), None)


def test_grade_counts_per_kind_with_the_previous_round():
    now = pd.DataFrame({"kind": ["department", "department", "district", "district"],
                        "grade": ["tot", None, "kha", "kha"]})
    before = pd.DataFrame({"kind": ["department", "district"], "grade": ["kha", "yeu"]})
    out = grade_counts(now, before, ["tot", "kha", "yeu"])
    table = {(k, g): (c, p) for k, g, c, p in out.itertuples(index=False)}
    assert table[("department", "tot")] == (1, 0) and table[("department", "kha")] == (0, 1)
    assert table[("district", "kha")] == (2, 0) and table[("district", "yeu")] == (0, 1)
    assert grade_counts(now, None, ["tot"])["previous_count"].isna().all()


def test_ranked_index_ranks_only_the_units_that_earned_it(rules):
    units = pd.DataFrame({"unit": ["so-noi-vu", "so-tu-phap", "so-y-te"], "kind": ["department"] * 3})
    appraisal = pd.DataFrame(
        [(u, s.code, s.max_for("department")) for u in ("so-noi-vu", "so-tu-phap")
         for _, _, s in rules.subcriteria("department", "appraisal")], columns=["unit", "criterion", "points"])
    survey = pd.DataFrame([(u, s.code, 0.5, n) for u, n in (("so-noi-vu", 4), ("so-tu-phap", 0), ("so-y-te", 9))
                           for _, _, s in rules.subcriteria("department", "survey")],
                          columns=["unit", "criterion", "points", "n"])
    index = unit_index(survey, appraisal, rules, units)
    final = ranked_index(index, survey, rules, appraisal_final=True).set_index("unit")
    assert final["status"].to_dict() == {"so-noi-vu": "ranked", "so-tu-phap": "no_survey",
                                         "so-y-te": "appraisal_missing"}
    assert final.loc["so-noi-vu", "rank"] == 1 and pd.isna(final.loc["so-tu-phap", "rank"])
    assert pd.isna(final.loc["so-y-te", "grade"])
    # Points and the index are kept for every unit.
    assert final.loc["so-tu-phap", "index_pct"] == pytest.approx(index.loc[1, "index_pct"])
    open_round = ranked_index(index, survey, rules, appraisal_final=False)
    assert open_round["status"].tolist() == ["appraisal_preliminary", "no_survey", "appraisal_missing"]
    assert open_round["rank"].isna().all()
