"""The whole chain on simulated answers for the built-in plan, forms and rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import area_indices, rank_intervals, survey_scores, unit_index


@pytest.fixture(scope="module")
def scores(simulated, forms, rules, units) -> pd.DataFrame:
    return survey_scores(simulated, forms, rules, units)


@pytest.fixture(scope="module")
def index(scores, simulated_appraisal, rules, units) -> pd.DataFrame:
    return unit_index(scores, simulated_appraisal, rules, units)


def test_the_simulated_survey_has_the_plans_size(simulated):
    assert simulated["response"].nunique() == 1193
    assert 70_000 < len(simulated) < 90_000


def test_every_unit_gets_a_score_on_every_applicable_sub_criterion(scores, rules, units):
    assert len(scores) == 20 * 24 + 8 * 25
    assert (scores["flag"] == "").all() and (scores["n"] > 0).all()
    assert ((scores["points"] >= 0) & (scores["points"] <= scores["max_points"])).all()
    assert ((scores["ci_low"] <= scores["mean"]) & (scores["mean"] <= scores["ci_high"])).all()
    assert scores[["ci_low", "ci_high"]].notna().all().all()
    assert scores["dont_know_share"].between(0, 1).all()
    assert scores["groups"].between(1, 4).all()
    # TC1.1 about a department is answered by all four department groups
    assert (scores.loc[scores["criterion"] == "TC1.1", "groups"] == 4).all()


def test_the_28_units_get_an_index_and_consistent_ranks(index, units):
    assert len(index) == 28 and index["unit"].tolist() == units["unit"].tolist()
    assert index["index_pct"].between(0, 100).all()
    assert (index["survey"] <= 30).all() and (index["appraisal"] <= 70).all()
    assert (index["missing_appraisal"] == 0).all()
    np.testing.assert_allclose(index["total"], index["appraisal"] + index["survey"])
    for kind, count in (("department", 20), ("district", 8)):
        part = index.loc[index["kind"] == kind]
        pct = part["index_pct"].to_numpy()
        expected = [1 + int((pct > p).sum()) for p in pct]
        assert part["rank"].tolist() == expected
        assert sorted(part["rank"]) == list(range(1, count + 1))  # no ties here
        # a better rank never has a lower index
        ordered = part.sort_values("rank")
        assert ordered["index_pct"].is_monotonic_decreasing
    assert set(index["grade"]) <= {"xuat_sac", "tot", "kha", "trung_binh", "yeu"}


def test_the_areas_add_up_to_the_index(scores, index, simulated_appraisal, rules, units):
    areas = area_indices(scores, simulated_appraisal, rules, units)
    assert len(areas) == 20 * 7 + 8 * 8
    sums = areas.groupby("unit")[["points", "max"]].sum()
    by_unit = index.set_index("unit")
    np.testing.assert_allclose(sums.loc[by_unit.index, "points"], by_unit["total"])
    np.testing.assert_allclose(sums.loc[by_unit.index, "max"], 100)
    assert areas["index_pct"].between(0, 100).all()


def test_better_units_rank_better_in_the_simulation(plan, forms, rules, units, simulate,
                                                    simulated_appraisal):
    """Units simulated with a higher quality get a better survey score."""
    quality = {u: 0.2 + 0.7 * i / 27 for i, u in enumerate(units["unit"])}
    answers = simulate(plan, forms, seed=9, quality=quality)
    scores = survey_scores(answers, forms, rules, units)
    survey = scores.groupby("unit", sort=False)["points"].sum()
    for kind in ("department", "district"):
        codes = units.loc[units["kind"] == kind, "unit"]
        rho = stats.spearmanr([quality[c] for c in codes], survey.loc[codes]).statistic
        assert rho > 0.9
    out = rank_intervals(answers, forms, rules, units, simulated_appraisal, replicates=200)
    assert (out["rank_low"] <= out["rank"]).all() and (out["rank"] <= out["rank_high"]).all()
