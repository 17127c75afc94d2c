"""Whether the citizens' answers feed the PAR index is a choice of the scoring rules.

In the built-in 2020 rules they do not: answers of group III.1 to form HL-01 leave every
survey score as it was.  A province whose rules name a question of the citizens' form under
a survey sub-criterion (and whose form says so) gets those answers pooled with the
officials' as one more respondent group.
"""

from __future__ import annotations

import pandas as pd
import pytest

import questionnaires
import sampling
from analysis import survey_scores

UNIT = "so-noi-vu"


def _plan(*, feed: bool) -> sampling.Plan:
    """The 2020 round with III.1 sampled in it; with ``feed``, question ``kq1`` of the
    citizens' form (the result of the service) also feeds sub-criterion TC1.3."""
    data = sampling.load_plan().to_dict()
    data["code"] = "laichau-2020-both"
    for group in data["groups"]:
        if group["code"] == "III.1":
            group.update(form="HL-01", rates={"own": ["department", "district"]},
                         quota={"sampled": ["department", "district"], "margin": 0.05})
    if feed:
        form = questionnaires.load_builtin("HL-01").to_dict()
        form["version"] = "2020.1-cchc"
        for section in form["sections"]:
            for question in section["questions"]:
                if question["code"] == "kq1":
                    question["criterion"] = "TC1.3"
        data["questionnaires"] = [f for f in data["questionnaires"] if f["code"] != "HL-01"] + [form]
        _subcriterion(data["scoring"], "TC1.3")["questions"].append("HL-01/kq1")
    return sampling.plan_from_dict(data)


def _subcriterion(node: object, code: str) -> dict:
    if isinstance(node, dict):
        if node.get("code") == code and "questions" in node:
            return node
        children = list(node.values())
    elif isinstance(node, list):
        children = node
    else:
        children = []
    for child in children:
        try:
            return _subcriterion(child, code)
        except LookupError:
            continue
    raise LookupError(code)


def _answers(with_citizens: bool) -> pd.DataFrame:
    """Two civil servants of Sở Nội vụ rate its communication (CT-02 q02) at the middle
    option; with ``with_citizens``, three citizens rate the result (HL-01 kq1) "Rất hài lòng"."""
    officials = questionnaires.load_builtin("CT-02").question("q02")
    middle = sorted((o for o in officials.options if o.weight is not None), key=lambda o: o.weight)[1]
    rows = [{"response": f"r{i}", "group": "I.3", "form": "CT-02", "rated_unit": UNIT, "question": "q02",
             "value": middle.value} for i in range(2)]
    if with_citizens:
        rows += [{"response": f"c{i}", "group": "III.1", "form": "HL-01", "rated_unit": UNIT,
                  "question": "kq1", "value": "5"} for i in range(3)]
    return pd.DataFrame(rows)


def _tc13(plan: sampling.Plan, answers: pd.DataFrame) -> pd.Series:
    units = pd.DataFrame({"unit": [u.code for u in plan.units if u.kind in ("department", "district")],
                          "kind": [u.kind for u in plan.units if u.kind in ("department", "district")]})
    scores = survey_scores(answers, dict(plan.forms), plan.scoring, units)
    return scores[(scores["unit"] == UNIT) & (scores["criterion"] == "TC1.3")].iloc[0]


def test_the_built_in_rules_leave_the_citizens_out_of_the_index():
    plan = _plan(feed=False)
    alone, beside = _tc13(plan, _answers(False)), _tc13(plan, _answers(True))
    assert (beside["n"], beside["mean"], beside["points"]) == (alone["n"], alone["mean"], alone["points"])
    assert alone["n"] == 2


def test_rules_that_name_a_citizens_question_pool_their_answers_as_one_more_group():
    plan = _plan(feed=True)
    officials = questionnaires.load_builtin("CT-02").question("q02")
    middle = sorted(o.weight for o in officials.options if o.weight is not None)[1]
    alone, beside = _tc13(plan, _answers(False)), _tc13(plan, _answers(True))
    assert alone["n"] == 2 and alone["mean"] == pytest.approx(middle)
    assert beside["n"] == 5 and beside["groups"] == 2
    # pooling "groups": the mean of the officials' mean and the citizens' mean (1.0).
    assert plan.scoring.pooling == "groups"
    assert beside["mean"] == pytest.approx((middle + 1.0) / 2)
    assert beside["points"] == pytest.approx(beside["max_points"] * beside["mean"])
