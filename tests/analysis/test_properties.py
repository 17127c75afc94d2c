"""Properties that hold for any answers: bounds, monotonicity, no dependence on row order
or on the response ids."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import questionnaires
import sampling
from analysis import rank_intervals, survey_scores, unit_index
from questionnaires import Kind

FORMS = {f.code: f for f in questionnaires.builtin_forms()}
PLAN = sampling.load_plan()
RULES = PLAN.scoring
DEPARTMENTS = ["so-noi-vu", "so-tu-phap", "so-y-te"]
DISTRICTS = ["huyen-tam-duong", "huyen-sin-ho"]
UNITS = pd.DataFrame({"unit": DEPARTMENTS + DISTRICTS,
                      "kind": ["department"] * 3 + ["district"] * 2})
#: group -> (form, rates every unit of the level or only the respondent's own)
GROUPS = {"I.1": ("CT-01", True), "I.3": ("CT-02", False), "I.4": ("CT-03", True),
          "II.1": ("CH-01", False), "II.2": ("CH-02", True), "II.3": ("CH-03", False)}
COLUMNS = ["response", "group", "form", "rated_unit", "question", "value"]
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
#: The bootstrap is slower: fewer examples.
FEW = settings(SETTINGS, max_examples=8)


@st.composite
def respondent(draw: st.DrawFn, number: int) -> list[tuple[str, ...]]:
    group = draw(st.sampled_from(sorted(GROUPS)))
    form_code, every = GROUPS[group]
    pool = DEPARTMENTS if group.startswith("I.") else DISTRICTS
    rated = pool if every else [draw(st.sampled_from(pool))]
    questions = [q for q in FORMS[form_code].scored_questions()]
    cells = [(q, u) for q in questions for u in (rated if q.kind is Kind.UNIT_RATING else rated[:1])]
    # -1: blank; otherwise the index of the option (the last is "Không biết" where any)
    picks = draw(st.lists(st.integers(-1, 5), min_size=len(cells), max_size=len(cells)))
    rows = []
    for (q, unit), pick in zip(cells, picks):
        value = "" if pick < 0 else q.options[pick % len(q.options)].value
        rows.append((f"r{number:03d}", group, form_code, unit, q.code, value))
    return rows


@st.composite
def surveys(draw: st.DrawFn) -> pd.DataFrame:
    count = draw(st.integers(1, 6))
    rows = [row for i in range(count) for row in draw(respondent(i))]
    return pd.DataFrame(rows, columns=COLUMNS)


@st.composite
def appraisals(draw: st.DrawFn) -> pd.DataFrame:
    rows = []
    for unit, kind in zip(UNITS["unit"], UNITS["kind"]):
        for _, _, sub in RULES.subcriteria(kind=kind, method="appraisal"):
            share = draw(st.sampled_from([None, 0.0, 0.37, 0.5, 1.0]))
            if share is not None:
                rows.append((unit, sub.code, share * (sub.max_for(kind) or 0.0)))
    return pd.DataFrame(rows, columns=["unit", "criterion", "points"])


def rules_for(pooling: str):
    return dataclasses.replace(RULES, pooling=pooling)


poolings = st.sampled_from(["groups", "answers"])


@SETTINGS
@given(answers=surveys(), appraisal=appraisals(), pooling=poolings,
       bonus=st.floats(0, 20), penalty=st.floats(0, 20))
def test_the_index_stays_between_0_and_100(answers, appraisal, pooling, bonus, penalty):
    rules = rules_for(pooling)
    scores = survey_scores(answers, FORMS, rules, UNITS)
    assert ((scores["points"] >= 0) & (scores["points"] <= scores["max_points"] + 1e-12)).all()
    mean = scores["mean"].dropna()
    assert ((mean >= 0) & (mean <= 1)).all()
    inside = scores["ci_low"].notna()
    assert (scores.loc[inside, "ci_low"] <= scores.loc[inside, "mean"] + 1e-12).all()
    assert (scores.loc[inside, "mean"] <= scores.loc[inside, "ci_high"] + 1e-12).all()
    adjustments = pd.DataFrame({"unit": UNITS["unit"], "bonus": bonus, "penalty": penalty})
    for adj in (None, adjustments):
        index = unit_index(scores, appraisal, rules, UNITS, adj)
        assert ((index["index_pct"] >= 0) & (index["index_pct"] <= 100)).all()
        assert (index["survey"] <= 30 + 1e-9).all()


@SETTINGS
@given(answers=surveys(), appraisal=appraisals(), pooling=poolings, data=st.data())
def test_raising_one_answer_never_lowers_points_or_index(answers, appraisal, pooling, data):
    rules = rules_for(pooling)
    options = {(f.code, q.code): q.options for f in FORMS.values() for q in f.scored_questions()}

    def weight(row) -> float | None:
        for o in options[(row["form"], row["question"])]:
            if o.value == row["value"]:
                return o.weight
        return None

    weights = [weight(row) for _, row in answers.iterrows()]
    candidates = [i for i, w in enumerate(weights) if w is not None and w < 1]
    if not candidates:
        return
    i = data.draw(st.sampled_from(candidates))
    row = answers.iloc[i]
    higher = [o.value for o in options[(row["form"], row["question"])]
              if o.weight is not None and o.weight > weights[i]]
    raised = answers.copy()
    raised.iloc[i, raised.columns.get_loc("value")] = data.draw(st.sampled_from(higher))

    before = survey_scores(answers, FORMS, rules, UNITS).set_index(["unit", "criterion"])
    after = survey_scores(raised, FORMS, rules, UNITS).set_index(["unit", "criterion"])
    criterion = next(s.code for _, _, s in RULES.subcriteria(method="survey")
                     if any((r.form, r.question) == (row["form"], row["question"])
                            for r in s.questions))
    key = (row["rated_unit"], criterion)
    assert after.loc[key, "points"] >= before.loc[key, "points"] - 1e-12
    assert after.loc[key, "points"] > before.loc[key, "points"]
    others = before.index != key
    np.testing.assert_array_equal(after.loc[others, "points"], before.loc[others, "points"])
    index_before = unit_index(before.reset_index(), appraisal, rules, UNITS).set_index("unit")
    index_after = unit_index(after.reset_index(), appraisal, rules, UNITS).set_index("unit")
    unit = row["rated_unit"]
    assert index_after.loc[unit, "index_pct"] >= index_before.loc[unit, "index_pct"] - 1e-12


@SETTINGS
@given(answers=surveys(), appraisal=appraisals(), pooling=poolings, seed=st.integers(0, 2 ** 16))
def test_row_order_changes_nothing(answers, appraisal, pooling, seed):
    rules = rules_for(pooling)
    shuffled = answers.sample(frac=1.0, random_state=seed)
    a = survey_scores(answers, FORMS, rules, UNITS)
    b = survey_scores(shuffled, FORMS, rules, UNITS)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12, atol=1e-12)
    pd.testing.assert_frame_equal(unit_index(a, appraisal, rules, UNITS),
                                  unit_index(b, appraisal, rules, UNITS.iloc[::-1]).set_index(
                                      "unit").loc[UNITS["unit"]].reset_index())


@FEW
@given(answers=surveys(), appraisal=appraisals(), pooling=poolings, seed=st.integers(0, 2 ** 16))
def test_row_order_changes_no_bootstrap_interval(answers, appraisal, pooling, seed):
    rules = rules_for(pooling)
    shuffled = answers.sample(frac=1.0, random_state=seed)
    pd.testing.assert_frame_equal(
        rank_intervals(answers, FORMS, rules, UNITS, appraisal, replicates=20, seed=seed),
        rank_intervals(shuffled, FORMS, rules, UNITS, appraisal, replicates=20, seed=seed))


@SETTINGS
@given(answers=surveys(), appraisal=appraisals(), pooling=poolings, data=st.data())
def test_relabelling_response_ids_changes_nothing(answers, appraisal, pooling, data):
    rules = rules_for(pooling)
    ids = sorted(answers["response"].unique())
    new = data.draw(st.lists(st.text("abcdefxyz0123456789-", min_size=1, max_size=8),
                             min_size=len(ids), max_size=len(ids), unique=True))
    relabelled = answers.assign(response=answers["response"].map(dict(zip(ids, new))))
    a = survey_scores(answers, FORMS, rules, UNITS)
    b = survey_scores(relabelled, FORMS, rules, UNITS)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12, atol=1e-12)
    pd.testing.assert_frame_equal(unit_index(a, appraisal, rules, UNITS),
                                  unit_index(b, appraisal, rules, UNITS))


@pytest.mark.parametrize("pooling", ["groups", "answers"])
def test_one_group_pools_alike(pooling):
    """With one respondent group, equal weight per group and pooled answers agree."""
    rows = []
    rng = np.random.default_rng(5)
    values = ["rat_tot", "tot", "kha", "trung_binh", "kem", "khong_biet"]
    for i in range(12):
        for unit in DEPARTMENTS:
            for q in ("q01", "q02", "q03"):  # TC1.1, TC1.4 (two questions), TC1.4
                rows.append((f"r{i}", "I.4", "CT-03", unit, q, rng.choice(values)))
    answers = pd.DataFrame(rows, columns=COLUMNS)
    a = survey_scores(answers, FORMS, rules_for("groups"), UNITS)
    b = survey_scores(answers, FORMS, rules_for("answers"), UNITS)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
