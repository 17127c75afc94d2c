"""Bootstrap intervals of ranks: seeded, consistent with the point estimates, fast."""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import pandas as pd
import pytest

from analysis import rank_intervals, survey_scores, unit_index
from analysis._checks import check_units
from analysis._example import worked_example
from analysis.index import unit_totals
from analysis.scoring import respondent_sums, scored_answers
from analysis.uncertainty import _Resampler

COLUMNS = ["unit", "kind", "index_pct", "rank", "rank_low", "rank_median", "rank_high",
           "index_low", "index_high"]


@pytest.fixture(scope="module")
def small(plan, forms, simulate):
    """A third of the plan's respondents (every third quota place), for quicker tests."""
    answers = simulate(plan, forms, seed=21)
    keep = sorted(answers["response"].unique())[::3]
    return answers.loc[answers["response"].isin(keep)].reset_index(drop=True)


def test_same_seed_same_intervals_and_rng_takes_precedence(small, forms, rules, units,
                                                           simulated_appraisal):
    args = (small, forms, rules, units, simulated_appraisal)
    a = rank_intervals(*args, replicates=200, seed=5)
    b = rank_intervals(*args, replicates=200, seed=5)
    c = rank_intervals(*args, replicates=200, seed=99, rng=np.random.default_rng(5))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)
    d = rank_intervals(*args, replicates=200, seed=6)
    assert not np.allclose(a["index_low"], d["index_low"])
    assert list(a.columns) == COLUMNS
    for column in ("rank", "rank_low", "rank_median", "rank_high"):
        assert a[column].dtype == np.int64


def test_the_global_random_state_is_left_alone(small, forms, rules, units, simulated_appraisal):
    np.random.seed(1)
    before = np.random.get_state()[1].copy()
    rank_intervals(small, forms, rules, units, simulated_appraisal, replicates=20)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_intervals_contain_the_rank_and_index(simulated, forms, rules, units,
                                              simulated_appraisal):
    out = rank_intervals(simulated, forms, rules, units, simulated_appraisal, replicates=500,
                         seed=3)
    assert len(out) == 28
    assert (out["rank_low"] <= out["rank_median"]).all()
    assert (out["rank_median"] <= out["rank_high"]).all()
    assert (out["rank_low"] <= out["rank"]).all() and (out["rank"] <= out["rank_high"]).all()
    assert (out["index_low"] <= out["index_pct"]).all()
    assert (out["index_pct"] <= out["index_high"]).all()
    for kind, count in (("department", 20), ("district", 8)):
        part = out.loc[out["kind"] == kind]
        assert part["rank_low"].min() >= 1 and part["rank_high"].max() <= count
    # the point estimates are those of unit_index
    scores = survey_scores(simulated, forms, rules, units)
    index = unit_index(scores, simulated_appraisal, rules, units)
    pd.testing.assert_series_equal(out["index_pct"], index["index_pct"])
    pd.testing.assert_series_equal(out["rank"], index["rank"])


def test_identical_respondents_collapse_the_interval_to_the_rank(plan, forms, rules, units,
                                                                 simulated_appraisal, simulate):
    same = simulate(plan, forms, seed=4, dont_know=0, blank=0, noise=0, leniency=0)
    out = rank_intervals(same, forms, rules, units, simulated_appraisal, replicates=100)
    assert (out["rank_low"] == out["rank"]).all()
    assert (out["rank_high"] == out["rank"]).all()
    assert (out["rank_median"] == out["rank"]).all()
    np.testing.assert_allclose(out["index_low"], out["index_pct"], rtol=1e-12)
    np.testing.assert_allclose(out["index_high"], out["index_pct"], rtol=1e-12)


@pytest.mark.parametrize("pooling", ["groups", "answers"])
def test_a_replicate_that_draws_everyone_once_is_the_estimate(small, forms, rules, units,
                                                              simulated_appraisal, pooling):
    """The vectorised replicate and survey_scores + unit_index compute the same thing."""
    rules = dataclasses.replace(rules, pooling=pooling)
    clean = check_units(units, rules)
    resp = respondent_sums(scored_answers(small, forms, rules, clean))
    scores = survey_scores(small, forms, rules, units)
    totals = unit_totals(scores, simulated_appraisal, rules, clean)
    resampler = _Resampler(resp, clean, rules, totals["appraisal"].to_numpy(),
                           totals["max"].to_numpy())
    pct = resampler.index_pct(np.ones((1, resampler.n_positions)))
    expected = unit_index(scores, simulated_appraisal, rules, units)["index_pct"]
    np.testing.assert_allclose(pct[0], expected, rtol=1e-12)


def test_each_cell_keeps_its_size(small, forms, rules, units):
    clean = check_units(units, rules)
    resp = respondent_sums(scored_answers(small, forms, rules, clean))
    zeros = np.zeros(len(clean))
    resampler = _Resampler(resp, clean, rules, zeros, zeros + 100)
    draws = resampler.draw(np.random.default_rng(0), 50)
    cells = pd.Series(resampler.start)
    for start, size in zip(*np.unique(resampler.start, return_index=False, return_counts=True)):
        assert (draws[:, cells.index[cells == start]].sum(axis=1) == size).all()


def test_bootstrap_spread_matches_the_standard_error():
    """One cell of 60 respondents: the bootstrap sd of the mean is s / sqrt(R) x
    sqrt((R - 1) / R), and 5th-95th percentiles span about 2 x 1.645 sd."""
    ex = worked_example("answers")
    rng = np.random.default_rng(8)
    values = rng.choice(["rat_tot", "tot", "kha", "trung_binh", "kem"], size=60)
    answers = pd.DataFrame({"response": [f"r{i}" for i in range(60)], "group": "I.1",
                            "form": "CT-01", "rated_unit": "so-tu-phap", "question": "q5",
                            "value": values})
    units = ex.units.iloc[:1]
    weights = {"rat_tot": 1.0, "tot": 0.75, "kha": 0.5, "trung_binh": 0.25, "kem": 0.0}
    y = np.array([weights[v] for v in values])
    sd = 2.0 * y.std(ddof=1) / math.sqrt(60) * math.sqrt(59 / 60)  # index points = 2 x mean
    out = rank_intervals(answers, ex.forms, ex.rules, units, ex.appraisal.iloc[:1],
                         replicates=4000, seed=2).iloc[0]
    assert (out["index_high"] - out["index_low"]) / (2 * 1.6449 * sd) == pytest.approx(1, abs=0.08)


def test_row_order_does_not_matter(small, forms, rules, units, simulated_appraisal):
    args = (forms, rules, units, simulated_appraisal)
    a = rank_intervals(small, *args, replicates=100, seed=1)
    shuffled = small.sample(frac=1.0, random_state=3)
    b = rank_intervals(shuffled, *args, replicates=100, seed=1)
    pd.testing.assert_frame_equal(a, b)


def test_no_answers_at_all_gives_the_appraisal_alone():
    ex = worked_example()
    out = rank_intervals(ex.answers.iloc[:0], ex.forms, ex.rules, ex.units, ex.appraisal,
                         replicates=10)
    assert out["index_pct"].tolist() == [80.0, 76.5]
    assert out["index_low"].tolist() == [80.0, 76.5]
    assert out["rank_low"].tolist() == out["rank_high"].tolist() == [1, 2]


def test_adjustments_are_held_fixed():
    ex = worked_example()
    adjustments = pd.DataFrame({"unit": ["so-noi-vu"], "bonus": [10.0], "penalty": [0.0]})
    out = rank_intervals(ex.answers, ex.forms, ex.rules, ex.units, ex.appraisal,
                         replicates=50, adjustments=adjustments)
    assert out["rank"].tolist() == [2, 1]
    assert (out["index_low"] >= 86.5 - 1e-9).iloc[1]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"replicates": 0}, "replicates must be a positive integer"),
    ({"replicates": 10.5}, "replicates must be a positive integer"),
    ({"replicates": True}, "replicates must be a positive integer"),
    ({"coverage": 1.0}, "coverage must lie strictly between 0 and 1"),
    ({"rng": np.random.RandomState(1)}, "rng must be a numpy.random.Generator"),
])
def test_bad_arguments(kwargs, message):
    ex = worked_example()
    with pytest.raises(ValueError, match=message):
        rank_intervals(ex.answers, ex.forms, ex.rules, ex.units, ex.appraisal, **kwargs)


def test_a_thousand_replicates_of_the_whole_plan_take_seconds(simulated, forms, rules, units,
                                                              simulated_appraisal):
    """The built-in plan's 1,193 forms (~78,000 answers), 1,000 replicates."""
    start = time.perf_counter()
    out = rank_intervals(simulated, forms, rules, units, simulated_appraisal, replicates=1000)
    elapsed = time.perf_counter() - start
    assert len(out) == 28
    assert elapsed < 30, f"rank_intervals took {elapsed:.1f} s"
