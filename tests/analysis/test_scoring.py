"""Answers to points: the design notes' worked example, intervals by hand, bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import SCORE_COLUMNS, answer_weights, survey_scores
from analysis._example import worked_example
from questionnaires import form_from_dict
from questionnaires.scoring import rules_from_dict

COLUMNS = ["response", "group", "form", "rated_unit", "question", "value"]

#: The design notes' table: answers about Sở Tư pháp on K (CT-01 q5, CT-03 q7).
NOTES_ROWS = [
    ("a1", "I.1", "CT-01", "so-tu-phap", "q5", "tot"),
    ("a2", "I.1", "CT-01", "so-tu-phap", "q5", "rat_tot"),
    ("a3", "I.1", "CT-01", "so-tu-phap", "q5", "khong_biet"),
    ("b1", "I.4", "CT-03", "so-tu-phap", "q7", "kha"),
    ("b2", "I.4", "CT-03", "so-tu-phap", "q7", "trung_binh"),
    ("b3", "I.4", "CT-03", "so-tu-phap", "q7", "kem"),
    ("b4", "I.4", "CT-03", "so-tu-phap", "q7", "tot"),
]
ONE_UNIT = pd.DataFrame({"unit": ["so-tu-phap"], "kind": ["department"]})


def notes_answers() -> pd.DataFrame:
    return pd.DataFrame(NOTES_ROWS, columns=COLUMNS)


def scores(answers: pd.DataFrame, pooling: str = "groups", units: pd.DataFrame = ONE_UNIT,
           **kwargs) -> pd.DataFrame:
    ex = worked_example(pooling)
    return survey_scores(answers, ex.forms, ex.rules, units, **kwargs)


# ----------------------------------------------------------------- answer weights

def test_answer_weights_reads_the_option_weights():
    ex = worked_example()
    answers = notes_answers()
    answers.loc[len(answers)] = ["b5", "I.4", "CT-03", "so-tu-phap", "q7", ""]
    out = answer_weights(answers, ex.forms)
    assert list(out.columns) == COLUMNS + ["criterion", "weight", "valid"]
    assert out["criterion"].tolist() == ["K"] * 8
    np.testing.assert_array_equal(out["weight"], [0.75, 1.0, np.nan, 0.5, 0.25, 0.0, 0.75, np.nan])
    assert out["valid"].tolist() == [True, True, False, True, True, True, True, False]
    assert out["valid"].dtype == bool and out["weight"].dtype == float
    # the input is not changed
    assert "weight" not in answers.columns


def test_answer_weights_leaves_unscored_questions_without_weight(forms):
    answers = pd.DataFrame([
        ("r1", "I.3", "CT-02", "", "b2", "3"),
        ("r1", "I.3", "CT-02", "", "y1", "Tốt lắm"),
        ("r1", "I.3", "CT-02", "so-noi-vu", "q03", "tot"),
        ("r1", "I.3", "CT-02", "so-noi-vu", "q04", None),
    ], columns=COLUMNS)
    out = answer_weights(answers, forms)
    assert out["criterion"].tolist() == ["", "", "TC1.1", "TC4.1"]
    np.testing.assert_array_equal(out["weight"], [np.nan, np.nan, 0.75, np.nan])
    assert out["valid"].tolist() == [False, False, True, False]


@pytest.mark.parametrize(("change", "message"), [
    ({"form": "CT-09"}, "unknown form(s) 'CT-09'"),
    ({"question": "q99"}, "unknown question(s) 'CT-01/q99'"),
    ({"value": "tuyet_voi"}, "not an option of their question 'CT-01/q5=tuyet_voi'"),
])
def test_answer_weights_names_unknown_codes(change, message):
    answers = notes_answers()
    for column, value in change.items():
        answers.loc[0, column] = value
    with pytest.raises(ValueError) as info:
        answer_weights(answers, worked_example().forms)
    assert message in str(info.value)


def test_answer_weights_needs_every_column():
    with pytest.raises(ValueError, match=r"missing the column\(s\) 'value'"):
        answer_weights(notes_answers().drop(columns="value"), worked_example().forms)
    with pytest.raises(ValueError, match="must be a pandas DataFrame"):
        answer_weights(NOTES_ROWS, worked_example().forms)  # type: ignore[arg-type]


def test_answer_weights_refuses_inconsistent_responses():
    twice = pd.concat([notes_answers(), notes_answers().iloc[:1]], ignore_index=True)
    with pytest.raises(ValueError, match="answered twice .*'a1:q5@so-tu-phap'"):
        answer_weights(twice, worked_example().forms)
    split = notes_answers()
    split.loc[1, "response"] = "b1"  # b1 is also an I.4 response
    with pytest.raises(ValueError, match="more than one group or form 'b1'"):
        answer_weights(split, worked_example().forms)
    blank = notes_answers()
    blank.loc[2, "group"] = ""
    with pytest.raises(ValueError, match="1 row.* no 'group'"):
        answer_weights(blank, worked_example().forms)


# ---------------------------------------------------------- the worked example

def test_design_notes_example_equal_weight_per_group():
    out = scores(notes_answers())
    assert list(out.columns) == list(SCORE_COLUMNS)
    row = out.iloc[0]
    assert (row["unit"], row["criterion"]) == ("so-tu-phap", "K")
    assert row["mean"] == pytest.approx(0.625)          # (0.875 + 0.375) / 2
    assert row["points"] == pytest.approx(1.25)         # 2.0 x 0.625
    assert row["max_points"] == 2.0
    assert row["n"] == 6
    assert row["dont_know_share"] == pytest.approx(1 / 7)
    assert row["groups"] == 2
    assert row["flag"] == ""


def test_design_notes_example_pooled_answers():
    row = scores(notes_answers(), pooling="answers").iloc[0]
    assert row["mean"] == pytest.approx(3.25 / 6)
    assert round(row["mean"], 4) == 0.5417
    assert row["points"] == pytest.approx(2.0 * 3.25 / 6)
    assert round(row["points"], 3) == 1.083
    assert row["n"] == 6 and row["groups"] == 2


def test_mean_within_a_group_is_over_answers_not_respondents():
    """Two questions feed K: a group's mean is over all its valid answers together."""
    forms, rules = two_question_setup()
    answers = pd.DataFrame([
        ("r1", "I.4", "CT-03", "so-tu-phap", "q7", "rat_tot"),
        ("r1", "I.4", "CT-03", "so-tu-phap", "q8", "rat_tot"),
        ("r2", "I.4", "CT-03", "so-tu-phap", "q7", "kem"),
        ("r2", "I.4", "CT-03", "so-tu-phap", "q8", "khong_biet"),
    ], columns=COLUMNS)
    row = survey_scores(answers, forms, rules, ONE_UNIT).iloc[0]
    assert row["mean"] == pytest.approx(2 / 3)   # (1 + 1 + 0) / 3, not (1 + 0) / 2
    assert row["n"] == 3 and row["dont_know_share"] == pytest.approx(0.25)


def test_no_valid_answer_gives_zero_points_and_a_flag():
    units = pd.DataFrame({"unit": ["so-tu-phap", "so-noi-vu"], "kind": ["department"] * 2})
    answers = notes_answers()
    answers.loc[len(answers)] = ["a1", "I.1", "CT-01", "so-noi-vu", "q5", "khong_biet"]
    out = scores(answers, units=units).set_index("unit")
    row = out.loc["so-noi-vu"]
    assert row["points"] == 0 and math.isnan(row["mean"]) and row["n"] == 0
    assert row["flag"] == "no_valid_answer" and row["groups"] == 0
    assert row["dont_know_share"] == 1.0
    assert math.isnan(row["ci_low"]) and math.isnan(row["ci_high"])
    # a unit nobody answered about: a row all the same, the don't-know share undefined
    units.loc[2] = ["so-y-te", "department"]
    row = scores(answers, units=units).set_index("unit").loc["so-y-te"]
    assert row["points"] == 0 and row["flag"] == "no_valid_answer"
    assert math.isnan(row["dont_know_share"])


def test_blank_answers_count_in_the_dont_know_share():
    answers = notes_answers()
    answers.loc[len(answers)] = ["b5", "I.4", "CT-03", "so-tu-phap", "q7", ""]
    answers.loc[len(answers)] = ["b6", "I.4", "CT-03", "so-tu-phap", "q7", None]
    row = scores(answers).iloc[0]
    assert row["dont_know_share"] == pytest.approx(3 / 9)
    assert row["mean"] == pytest.approx(0.625)


def test_rows_follow_units_then_rules_and_only_applicable_criteria(forms, rules, units):
    out = survey_scores(pd.DataFrame(columns=COLUMNS), forms, rules, units)
    departments = int((units["kind"] == "department").sum())
    districts = int((units["kind"] == "district").sum())
    assert len(out) == departments * 24 + districts * 25
    first = out.loc[out["unit"] == units["unit"].iloc[0], "criterion"].tolist()
    assert first == [s.code for _, _, s in rules.subcriteria(kind="department", method="survey")]
    assert "TC3.3" not in first and "TC8.1" not in first
    assert (out["points"] == 0).all() and (out["flag"] == "no_valid_answer").all()
    assert out["n"].dtype == np.int64 and out["groups"].dtype == np.int64


# -------------------------------------------------------------------- intervals

def test_interval_equal_weight_by_hand():
    """Var = sum of s_g^2 / (G^2 n_g), Welch-Satterthwaite df, t quantile."""
    g1 = np.array([0.75, 1.0])
    g4 = np.array([0.5, 0.25, 0.0, 0.75])
    v1, v4 = g1.var(ddof=1) / 2, g4.var(ddof=1) / 4
    var = (v1 + v4) / 2 ** 2
    df = (v1 + v4) ** 2 / (v1 ** 2 / 1 + v4 ** 2 / 3)
    half = stats.t.ppf(0.975, df) * math.sqrt(var)
    row = scores(notes_answers()).iloc[0]
    assert row["ci_low"] == pytest.approx(0.625 - half, rel=1e-12)
    assert row["ci_high"] == pytest.approx(0.625 + half, rel=1e-12)
    assert df == pytest.approx(3.6923, abs=1e-4)


def test_interval_pooled_answers_by_hand():
    y = np.array([0.75, 1.0, 0.5, 0.25, 0.0, 0.75])
    half = stats.t.ppf(0.975, 5) * y.std(ddof=1) / math.sqrt(6)
    row = scores(notes_answers(), pooling="answers").iloc[0]
    assert row["ci_low"] == pytest.approx(y.mean() - half, rel=1e-12)
    assert row["ci_high"] == pytest.approx(y.mean() + half, rel=1e-12)


def test_interval_confidence_level_is_a_parameter():
    y = np.array([0.75, 1.0, 0.5, 0.25, 0.0, 0.75])
    half = stats.t.ppf(0.95, 5) * y.std(ddof=1) / math.sqrt(6)
    row = scores(notes_answers(), pooling="answers", confidence=0.90).iloc[0]
    assert row["ci_high"] == pytest.approx(y.mean() + half, rel=1e-12)
    with pytest.raises(ValueError, match="confidence"):
        scores(notes_answers(), confidence=95)


def two_question_setup(pooling: str = "answers"):
    """K fed by CT-03 q7 and q8: respondents give different numbers of valid answers."""
    scale = worked_example().forms["CT-03"].question("q7").options
    options = [o.to_dict() for o in scale]
    form = form_from_dict({
        "format": 1, "code": "CT-03", "version": "1", "title": {"vi": "P", "en": "F"},
        "sections": [{"code": "s", "title": {"vi": "S", "en": "S"}, "questions": [
            {"code": q, "kind": "unit_rating", "label": {"vi": "{unit}", "en": "{unit}"},
             "options": options, "criterion": "K"} for q in ("q7", "q8")]}]})
    forms = {"CT-03": form}
    rules = rules_from_dict(worked_example(pooling).rules.to_dict() | {"areas": [{
            "code": "LV1", "name": {"vi": "L", "en": "L"}, "criteria": [{
                "code": "C1", "name": {"vi": "C", "en": "C"}, "subcriteria": [
                    {"code": "A", "name": {"vi": "A", "en": "A"}, "method": "appraisal",
                     "max": {"department": 98}},
                    {"code": "K", "name": {"vi": "K", "en": "K"}, "method": "survey",
                     "max": {"department": 2.0}, "questions": ["CT-03/q7", "CT-03/q8"]}]}]}]},
        forms)
    return forms, rules


def test_interval_uses_respondents_as_clusters_when_answer_counts_differ():
    """Ratio estimator, linearised (Lohr 5.3): d_r = (s_r - ybar m_r) / mbar."""
    forms, rules = two_question_setup("answers")
    answers = pd.DataFrame([
        ("r1", "I.4", "CT-03", "so-tu-phap", "q7", "tot"),
        ("r1", "I.4", "CT-03", "so-tu-phap", "q8", "rat_tot"),
        ("r2", "I.4", "CT-03", "so-tu-phap", "q7", "kha"),
        ("r2", "I.4", "CT-03", "so-tu-phap", "q8", "khong_biet"),
        ("r3", "I.4", "CT-03", "so-tu-phap", "q7", "tot"),
        ("r3", "I.4", "CT-03", "so-tu-phap", "q8", "kha"),
        ("r4", "I.4", "CT-03", "so-tu-phap", "q7", "tot"),
    ], columns=COLUMNS)
    s = np.array([1.75, 0.5, 1.25, 0.75])
    m = np.array([2, 1, 2, 1])
    ybar = s.sum() / m.sum()
    d = (s - ybar * m) / m.mean()
    se = math.sqrt((d ** 2).sum() / (4 * 3))
    half = stats.t.ppf(0.975, 3) * se
    row = survey_scores(answers, forms, rules, ONE_UNIT).iloc[0]
    assert row["mean"] == pytest.approx(4.25 / 6)
    assert row["ci_low"] == pytest.approx(ybar - half, rel=1e-12)
    assert row["ci_high"] == pytest.approx(ybar + half, rel=1e-12)
    # one group: equal weight per group gives the same estimate and interval
    forms, rules = two_question_setup("groups")
    same = survey_scores(answers, forms, rules, ONE_UNIT).iloc[0]
    assert same[["mean", "ci_low", "ci_high"]].tolist() == pytest.approx(
        row[["mean", "ci_low", "ci_high"]].tolist(), rel=1e-12)


def test_interval_is_nan_when_fewer_than_two_respondents_carry_a_group():
    answers = notes_answers()
    answers = answers.loc[answers["response"] != "a1"]  # I.1 left with one valid answer (a2)
    row = scores(answers).iloc[0]
    assert row["mean"] == pytest.approx((1.0 + 0.375) / 2)
    assert math.isnan(row["ci_low"]) and math.isnan(row["ci_high"])
    # pooled, the five remaining respondents carry one estimate: an interval
    assert not math.isnan(scores(answers, pooling="answers").iloc[0]["ci_low"])
    one = notes_answers().iloc[:1]
    assert math.isnan(scores(one, pooling="answers").iloc[0]["ci_high"])


def test_interval_of_identical_answers_is_the_point():
    answers = notes_answers()
    answers["value"] = answers["value"].where(answers["value"] == "khong_biet", "tot")
    for pooling in ("groups", "answers"):
        row = scores(answers, pooling=pooling).iloc[0]
        assert row["ci_low"] == row["ci_high"] == row["mean"] == 0.75


def test_interval_is_clipped_to_the_scale():
    answers = notes_answers()
    answers.loc[answers["group"] == "I.1", "value"] = ["rat_tot", "rat_tot", "kem"]
    row = scores(answers, pooling="answers").iloc[0]
    assert 0.0 <= row["ci_low"] <= row["mean"] <= row["ci_high"] <= 1.0


# ------------------------------------------------------------------ bad input

def test_units_are_checked():
    answers = notes_answers()
    with pytest.raises(ValueError, match="unknown unit kind.*'commune'"):
        scores(answers, units=pd.DataFrame({"unit": ["so-tu-phap"], "kind": ["commune"]}))
    with pytest.raises(ValueError, match=r"units is missing the column\(s\) 'kind'"):
        scores(answers, units=pd.DataFrame({"unit": ["so-tu-phap"]}))
    with pytest.raises(ValueError, match="duplicate unit code.*'so-tu-phap'"):
        scores(answers, units=pd.DataFrame({"unit": ["so-tu-phap"] * 2,
                                            "kind": ["department"] * 2}))


def test_scored_answers_must_rate_a_known_unit():
    answers = notes_answers()
    answers.loc[0, "rated_unit"] = "so-khong-co"
    with pytest.raises(ValueError, match="rated unit.* not in units 'so-khong-co'"):
        scores(answers)
    answers.loc[0, "rated_unit"] = ""
    with pytest.raises(ValueError, match="1 scored answer.* no rated_unit .*'CT-01/q5'"):
        scores(answers)


def test_answers_on_a_criterion_that_does_not_apply_are_refused(forms, rules):
    answers = pd.DataFrame([("r1", "II.1", "CH-01", "so-tu-phap", "q07", "tot")],
                           columns=COLUMNS)
    with pytest.raises(ValueError, match="'TC3.3' does not apply to units of kind 'department'"):
        survey_scores(answers, forms, rules, ONE_UNIT)
