"""Cronbach's alpha against a value worked by hand, Feldt's interval, alpha per form."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import AlphaResult, cronbach_alpha, form_alpha

#: 5 respondents x 3 items.
ITEMS = pd.DataFrame({"q1": [1, 2, 3, 4, 5], "q2": [2, 2, 3, 5, 4], "q3": [1, 3, 3, 4, 5]})


def sample_variance(values: list[int]) -> Fraction:
    mean = Fraction(sum(values), len(values))
    return sum((Fraction(v) - mean) ** 2 for v in values) / (len(values) - 1)


def test_alpha_worked_by_hand():
    # item variances 10/4, 6.8/4, 8.8/4; totals 4, 7, 9, 13, 14 with variance 69.2/4
    items = [ITEMS[c].tolist() for c in ITEMS.columns]
    item_vars = [sample_variance(v) for v in items]
    assert item_vars == [Fraction(5, 2), Fraction(17, 10), Fraction(11, 5)]
    total_var = sample_variance([sum(row) for row in zip(*items)])
    assert total_var == Fraction(173, 10)
    alpha = Fraction(3, 2) * (1 - sum(item_vars) / total_var)
    assert alpha == Fraction(327, 346)  # 0.94508670...
    res = cronbach_alpha(ITEMS)
    assert isinstance(res, AlphaResult)
    assert res.alpha == pytest.approx(float(alpha), rel=1e-12)
    assert (res.n, res.k) == (5, 3)


def test_feldt_interval_by_hand():
    a = 327 / 346
    low = 1 - (1 - a) * stats.f.ppf(0.975, 4, 8)
    high = 1 - (1 - a) * stats.f.ppf(0.025, 4, 8)
    res = cronbach_alpha(ITEMS)
    assert res.ci_low == pytest.approx(low, rel=1e-12)
    assert res.ci_high == pytest.approx(high, rel=1e-12)
    assert res.ci_low < res.alpha < res.ci_high < 1
    wider = cronbach_alpha(ITEMS, confidence=0.99)
    assert wider.ci_low < res.ci_low and wider.ci_high > res.ci_high


def test_alpha_equals_the_covariance_form():
    """alpha = k^2 mean(off-diagonal covariance) / sum of all covariances (COINr)."""
    rng = np.random.default_rng(4)
    latent = rng.normal(size=40)
    data = pd.DataFrame({f"q{j}": latent + rng.normal(scale=0.8, size=40) for j in range(6)})
    cov = np.cov(data.to_numpy(), rowvar=False)
    k = cov.shape[0]
    mean_off = (cov.sum() - np.trace(cov)) / (k * (k - 1))
    assert cronbach_alpha(data).alpha == pytest.approx(k ** 2 * mean_off / cov.sum(), rel=1e-12)


def test_rows_with_a_missing_item_are_dropped():
    with_gaps = pd.concat([ITEMS, pd.DataFrame({"q1": [np.nan, 1.0], "q2": [3.0, np.nan],
                                                "q3": [2.0, 2.0]})], ignore_index=True)
    assert cronbach_alpha(with_gaps) == cronbach_alpha(ITEMS)


def test_alpha_is_nan_when_it_is_not_defined():
    one_row = cronbach_alpha(ITEMS.iloc[:1])
    assert math.isnan(one_row.alpha) and one_row.n == 1
    constant = cronbach_alpha(pd.DataFrame({"a": [1, 1, 1], "b": [2, 2, 2]}))
    assert math.isnan(constant.alpha) and math.isnan(constant.ci_low)


def test_items_that_disagree_give_a_negative_alpha():
    assert cronbach_alpha(pd.DataFrame({"a": [1, 2, 3, 4], "b": [4, 3, 2, 1.5]})).alpha < 0


@pytest.mark.parametrize(("items", "message"), [
    (ITEMS[["q1"]], "at least 2 items"),
    (ITEMS.assign(q2=list("abcde")), "not numeric: q2"),
    (ITEMS.to_numpy(), "must be a pandas DataFrame"),
])
def test_bad_items_are_refused(items, message):
    with pytest.raises(ValueError, match=message):
        cronbach_alpha(items)


def test_bad_confidence_is_refused():
    with pytest.raises(ValueError, match="confidence"):
        cronbach_alpha(ITEMS, confidence=0)


def test_form_alpha_on_simulated_answers(simulated, forms, rules):
    out = form_alpha(simulated, forms, rules)
    assert list(out.columns) == ["form", "area", "k", "n", "alpha", "ci_low", "ci_high"]
    area_of = {sub.code: area.code for area, _, sub in rules.subcriteria()}
    expected = {}
    for code, form in forms.items():
        for q in form.scored_questions():
            key = (code, area_of[q.criterion])
            expected[key] = expected.get(key, 0) + 1
    expected = {key: k for key, k in expected.items() if k >= 2}
    assert dict(zip(zip(out["form"], out["area"]), out["k"])) == expected
    assert out["form"].tolist()[0] == "CT-01"
    # CT-02 rates the respondent's own department: at most one row per respondent
    assert (out.loc[out["form"] == "CT-02", "n"] <= 300).all()
    # CT-03: one row per respondent and rated department
    assert (out.loc[out["form"] == "CT-03", "n"] > 300).all()
    assert ((out["alpha"] > 0) & (out["alpha"] < 1)).all()
    assert ((out["ci_low"] < out["alpha"]) & (out["alpha"] < out["ci_high"])).all()
