"""Quality flags: few answers, many "don't know", straight-lining, insiders vs outsiders."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import QUALITY_FLAGS, quality_flags
from analysis._example import worked_example

COLUMNS = ["unit", "criterion", "flag", "value", "threshold", "detail"]
INSIDERS = {"I.3", "II.3", "II.4"}


def flags(answers: pd.DataFrame | None = None, **kwargs) -> pd.DataFrame:
    ex = worked_example()
    return quality_flags(ex.answers if answers is None else answers, ex.forms, ex.rules,
                         ex.units, **kwargs)


def test_low_n_per_unit_and_sub_criterion():
    out = flags()
    assert list(out.columns) == COLUMNS
    assert out[["unit", "criterion", "flag", "value", "threshold"]].values.tolist() == [
        ["so-tu-phap", "K", "low_n", 6.0, 10.0], ["so-noi-vu", "K", "low_n", 6.0, 10.0]]
    assert out["detail"].iloc[0] == "6 valid answer(s), fewer than 10"
    assert flags(min_n=6).empty


def test_high_dont_know_share():
    answers = worked_example().answers
    answers.loc[answers["response"].isin(["r01", "r02"]), "value"] = "khong_biet"
    out = flags(answers, min_n=0)
    assert out["flag"].tolist() == ["dont_know", "dont_know"]
    # so-tu-phap: 3 of 7 answers are "Không biết"; so-noi-vu: 3 of 7
    assert out["value"].tolist() == pytest.approx([3 / 7, 3 / 7])
    assert flags(answers, min_n=0, dont_know_max=0.5).empty


def test_straight_lining_respondents():
    answers = worked_example().answers
    answers.loc[answers["response"] == "r05", "value"] = "tot"         # tot, tot
    answers.loc[answers["response"] == "r03", "value"] = "khong_biet"  # nothing but don't know
    out = flags(answers, min_n=0, straight_min_items=2)
    lines = out.loc[out["flag"] == "straight_lining"]
    assert lines["unit"].tolist() == ["so-tu-phap", "so-noi-vu"]
    assert lines["criterion"].tolist() == ["", ""]
    assert lines["value"].tolist() == pytest.approx([2 / 7, 2 / 7])
    assert lines["detail"].iloc[0] == "2 of 7 respondents: r03, r05"
    # with the default of 5 answers at least, two answers prove nothing
    assert flags(answers, min_n=0).empty
    assert flags(answers, min_n=0, straight_min_items=2, straight_max_share=0.3).empty


def test_options_are_compared_by_weight(forms, rules, units):
    """Rất tốt (muc_do) and Có (co_khong) are both 1.0: the same choice."""
    own = [("CT-02", q.code, q.options[0].value) for q in forms["CT-02"].scored_questions()]
    answers = pd.DataFrame([("r1", "I.3", f, "so-noi-vu", q, v) for f, q, v in own],
                           columns=["response", "group", "form", "rated_unit", "question",
                                    "value"])
    assert len(set(answers["value"])) > 1
    out = quality_flags(answers, forms, rules, units, min_n=0)
    assert out["flag"].tolist() == ["straight_lining"]


def test_insider_gap():
    # treat I.4 as the insiders: about so-tu-phap I.1 says 0.875 and I.4 0.375
    out = flags(min_n=0, insider_groups={"I.4"}, gap_max=0.3)
    assert out[["unit", "criterion", "flag"]].values.tolist() == [
        ["so-tu-phap", "", "insider_gap"]]
    assert out["value"].iloc[0] == pytest.approx(-0.5)
    assert out["detail"].iloc[0] == "insiders 0.38 vs outsiders 0.88 on 1 shared sub-criteria"
    assert flags(min_n=0).empty                       # no insiders given: no check
    assert flags(min_n=0, insider_groups={"I.9"}).empty  # nobody inside: nothing to compare


def test_insider_gap_on_simulated_answers(simulated, forms, rules, units):
    assert "insider_gap" not in set(
        quality_flags(simulated, forms, rules, units, insider_groups=INSIDERS)["flag"])
    # insiders who rate their own unit at the top of every scale
    rosy = simulated.copy()
    top = {(f.code, q.code): q.options[0].value for f in forms.values()
           for q in f.scored_questions()}
    inside = rosy["group"].isin(INSIDERS) & rosy["rated_unit"].ne("")
    rosy.loc[inside, "value"] = [top[(f, q)] for f, q in
                                 zip(rosy.loc[inside, "form"], rosy.loc[inside, "question"])]
    out = quality_flags(rosy, forms, rules, units, insider_groups=INSIDERS)
    gaps = out.loc[out["flag"] == "insider_gap"]
    assert len(gaps) > 0
    assert (gaps["value"] > 0.25).all() and (gaps["criterion"] == "").all()


def test_a_realistic_survey_raises_few_flags(simulated, forms, rules, units):
    out = quality_flags(simulated, forms, rules, units)
    assert set(out["flag"]) <= set(QUALITY_FLAGS)
    assert "low_n" not in set(out["flag"])   # every cell has its quota
    order = out["unit"].map({u: i for i, u in enumerate(units["unit"])})
    assert order.is_monotonic_increasing


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"min_n": -1}, "min_n must be an integer"),
    ({"dont_know_max": 1.5}, "dont_know_max must lie between 0 and 1"),
    ({"gap_max": -0.1}, "gap_max"),
    ({"straight_min_items": 0}, "straight_min_items"),
])
def test_bad_thresholds(kwargs, message):
    with pytest.raises(ValueError, match=message):
        flags(**kwargs)
