"""Answers scored once, and compact (categorical) answer tables: the same results.

The service scores a million answers once (:func:`analysis.scoring.score_answers`) and
hands the scored answers to the rank intervals (:func:`rank_intervals_of`), where it
used to score them twice; it reads them as categorical columns.  Every result must be
exactly what the text columns and the two separate calls give.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from analysis import answer_weights, quality_flags, rank_intervals, survey_scores
from analysis._example import worked_example
from analysis.scoring import ScoredAnswers, code_factors, combine_codes, score_answers
from analysis.uncertainty import rank_intervals_of

CODE_COLUMNS = ["response", "group", "form", "rated_unit", "question", "value"]


def compact(answers: pd.DataFrame) -> pd.DataFrame:
    """The same answers with every code column categorical, as the service reads them."""
    return answers.assign(**{c: answers[c].astype("category") for c in CODE_COLUMNS})


def appraisal_for(units: pd.DataFrame, rules, seed: int = 0) -> pd.DataFrame:
    from analysis.scoring import criterion_grid

    grid = criterion_grid(units.assign(name=""), rules, "appraisal")
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"unit": grid["unit"], "criterion": grid["criterion"],
                         "points": (grid["max_points"] * rng.uniform(0.4, 1, len(grid))).round(2)})


@pytest.fixture(scope="module")
def small(plan, forms):
    from .conftest import simulate_answers

    return simulate_answers(plan, forms, seed=11)


@pytest.mark.parametrize("pooling", ["groups", "answers"])
def test_scored_once_gives_the_survey_scores(small, forms, rules, units, pooling):
    rules = dataclasses.replace(rules, pooling=pooling)
    expected = survey_scores(small, forms, rules, units)
    scored = score_answers(small, forms, rules, units)
    assert isinstance(scored, ScoredAnswers)
    pd.testing.assert_frame_equal(scored.scores(), expected, check_exact=True)
    pd.testing.assert_frame_equal(score_answers(compact(small), forms, rules, units).scores(),
                                  expected, check_exact=True)
    pd.testing.assert_frame_equal(scored.scores(confidence=0.8),
                                  survey_scores(small, forms, rules, units, confidence=0.8),
                                  check_exact=True)


def test_the_sums_are_small(small, forms, rules, units):
    sums = score_answers(compact(small), forms, rules, units).sums
    assert list(sums.columns) == ["unit", "criterion", "group", "response", "s", "m", "a"]
    assert all(isinstance(sums[c].dtype, pd.CategoricalDtype)
               for c in ("unit", "criterion", "group", "response"))


def test_intervals_of_scored_answers_are_those_of_the_answers(small, forms, rules, units):
    appraisal = appraisal_for(units, rules)
    expected = rank_intervals(small, forms, rules, units, appraisal, replicates=150, seed=9)
    scored = score_answers(compact(small), forms, rules, units)
    pd.testing.assert_frame_equal(rank_intervals_of(scored, appraisal, replicates=150, seed=9),
                                  expected, check_exact=True)


def test_intervals_among_some_units_as_the_service_asks_them(small, forms, rules, units):
    """What the service did before: the intervals of the answers about the ranked units."""
    ranked = units.iloc[::3]
    appraisal = appraisal_for(units, rules)
    appraisal = appraisal[appraisal["unit"].isin(ranked["unit"])]
    about = small["rated_unit"].isin(ranked["unit"]) | (small["rated_unit"] == "")
    expected = rank_intervals(small[about], forms, rules, ranked, appraisal, replicates=150,
                              seed=2020)
    scored = score_answers(compact(small), forms, rules, units)
    got = rank_intervals_of(scored.among(ranked), appraisal, replicates=150, seed=2020)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_among_refuses_a_unit_that_was_not_scored():
    ex = worked_example()
    scored = score_answers(ex.answers, ex.forms, ex.rules, ex.units)
    assert scored.among(ex.units.iloc[1:]).scores().equals(
        survey_scores(ex.answers[ex.answers["rated_unit"] == ex.units["unit"].iloc[1]], ex.forms,
                      ex.rules, ex.units.iloc[1:]))
    other = pd.DataFrame({"unit": ["so-khac"], "kind": [ex.units["kind"].iloc[0]]})
    with pytest.raises(ValueError, match="not among the scored units 'so-khac'"):
        scored.among(other)


def test_categorical_answers_give_the_same_results_everywhere(small, forms, rules, units):
    cat = compact(small)
    pd.testing.assert_frame_equal(answer_weights(cat, forms).astype({c: str for c in CODE_COLUMNS}),
                                  answer_weights(small, forms), check_exact=True)
    pd.testing.assert_frame_equal(quality_flags(cat, forms, rules, units),
                                  quality_flags(small, forms, rules, units), check_exact=True)


def test_row_order_and_missing_values_are_read_as_before():
    ex = worked_example()
    answers = ex.answers.copy()
    answers.loc[2, "value"] = None
    answers.loc[3, "value"] = "   "
    shuffled = answers.sample(frac=1, random_state=3).reset_index(drop=True)
    for frame in (answers, shuffled, compact(shuffled)):
        pd.testing.assert_frame_equal(survey_scores(frame, ex.forms, ex.rules, ex.units),
                                      survey_scores(answers, ex.forms, ex.rules, ex.units))


@pytest.mark.parametrize(("change", "message"), [
    ({("form", 0): "CT-09"}, "unknown form(s) 'CT-09'"),
    ({("question", 1): "q99"}, "unknown question(s) 'CT-01/q99'"),
    ({("value", 0): "tuyet_voi"}, "not an option of their question 'CT-01/q5=tuyet_voi'"),
    ({("group", 2): ""}, "1 row(s) have no 'group'"),
    ({("rated_unit", 0): "so-khong-co"}, "rated unit(s) not in units 'so-khong-co'"),
    ({("rated_unit", 0): ""}, "1 scored answer(s) have no rated_unit"),
])
def test_categorical_answers_are_refused_with_the_same_messages(change, message):
    ex = worked_example()
    answers = ex.answers.copy()
    for (column, row), value in change.items():
        answers.loc[row, column] = value
    for frame in (answers, compact(answers)):
        with pytest.raises(ValueError) as info:
            survey_scores(frame, ex.forms, ex.rules, ex.units)
        assert message in str(info.value)


def test_code_factors_sort_as_the_texts_and_read_missing_as_empty():
    series = pd.Series(["b", None, "a", "b", np.nan, "c"], dtype=object)
    codes, labels = code_factors(series)
    assert list(labels) == ["", "a", "b", "c"]
    assert list(labels[codes]) == ["b", "", "a", "b", "", "c"]
    codes2, labels2 = code_factors(series.astype("category"))
    assert list(labels2[codes2]) == list(labels[codes])
    # Keys of several columns sort as the tuples of texts.
    other = code_factors(pd.Series(["x", "y", "x", "a", "b", "c"]))
    key = combine_codes((codes, labels), other)
    pairs = list(zip(labels[codes], other[1][other[0]]))
    assert [pairs[i] for i in np.argsort(key, kind="stable")] == sorted(pairs)
