"""From stored responses and appraisal scores to the tables analysts export.

The database is read into the DataFrames of the :mod:`analysis` library's contract;
all computing is done there.  Nothing here ever reads a slot: exports cannot link an
answer to a card, a token or a person.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import analysis
import sampling

from ..appraisal.models import AppraisalScore
from ..appraisal.queries import lock_of
from ..core.models import Response, ResponseAnswer, SurveyPlan

#: Columns of ``export responses`` (interfaces: long, one row per answer).
RESPONSE_COLUMNS = ("response", "group", "form", "form_version", "unit", "rated_unit", "question",
                    "value", "channel")

#: Bootstrap replicates for the rank intervals (seeded: the same data give the same intervals).
REPLICATES = 1000
SEED = 2020


def responses_frame(session: Session, plan_id: int) -> pd.DataFrame:
    """Every stored answer, long: the columns of :data:`RESPONSE_COLUMNS`.

    For groups that rate their own unit, answers to plain questions are about that
    unit, so ``rated_unit`` is filled with it (as for a unit-rating question).
    """
    rows = session.execute(
        select(Response.id, Response.group_code, Response.form_code, Response.form_version,
               Response.own_unit, ResponseAnswer.rated_unit, ResponseAnswer.question,
               ResponseAnswer.value, Response.channel)
        .join(ResponseAnswer, ResponseAnswer.response_id == Response.id)
        .where(Response.plan_id == plan_id)
        .order_by(Response.id, ResponseAnswer.rated_unit, ResponseAnswer.question)).all()
    frame = pd.DataFrame(rows, columns=list(RESPONSE_COLUMNS))
    frame["unit"] = frame["unit"].fillna("")
    own = (frame["rated_unit"] == "") & (frame["unit"] != "")
    frame.loc[own, "rated_unit"] = frame.loc[own, "unit"]
    return frame


def units_frame(plan: sampling.Plan) -> pd.DataFrame:
    """The evaluated units: ``unit, kind, name``."""
    evaluated = {k.code for k in plan.unit_kinds if k.evaluated}
    return pd.DataFrame([(u.code, u.kind, u.name) for u in plan.units if u.kind in evaluated],
                        columns=["unit", "kind", "name"])


def appraisal_frame(session: Session, plan_id: int) -> pd.DataFrame:
    """The council's final points: ``unit, criterion, points``.

    Only final scores count: a first appraisal awaiting the unit's explanation, or a
    self-score not yet appraised, adds nothing.
    """
    rows = session.execute(
        select(AppraisalScore.unit, AppraisalScore.criterion, AppraisalScore.appraised)
        .where(AppraisalScore.plan_id == plan_id, AppraisalScore.appraised.is_not(None),
               AppraisalScore.final.is_(True))).all()
    return pd.DataFrame(rows, columns=["unit", "criterion", "points"])


@dataclass(frozen=True)
class Results:
    """Scores, index (with rank intervals) and component indices of one plan."""

    scores: pd.DataFrame
    index: pd.DataFrame
    areas: pd.DataFrame
    responses: int


_CACHE: dict[str, Results] = {}


def _fingerprint(session: Session, row: SurveyPlan) -> str:
    responses = session.scalar(select(func.count()).select_from(Response)
                               .where(Response.plan_id == row.id)) or 0
    appraisal = session.execute(
        select(func.count(), func.max(AppraisalScore.updated_at), func.sum(AppraisalScore.appraised),
               func.count().filter(AppraisalScore.final.is_(True)))
        .where(AppraisalScore.plan_id == row.id)).one()
    text = f"{row.content_hash}|{responses}|{appraisal}|{lock_of(session, row) is not None}"
    return hashlib.sha256(text.encode()).hexdigest()


def compute(session: Session, row: SurveyPlan, plan: sampling.Plan, *,
            replicates: int = REPLICATES) -> Results:
    """Scores, index and rank intervals for the current data (cached per data state)."""
    if plan.scoring is None:
        raise ValueError("the plan has no scoring rules")
    key = f"{_fingerprint(session, row)}|{replicates}"
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    answers = responses_frame(session, row.id)
    units = units_frame(plan)
    appraisal = appraisal_frame(session, row.id)
    forms = dict(plan.forms)
    scores = analysis.survey_scores(answers, forms, plan.scoring, units)
    index = analysis.unit_index(scores, appraisal, plan.scoring, units)
    if replicates and not answers.empty:
        intervals = analysis.rank_intervals(answers, forms, plan.scoring, units, appraisal,
                                            replicates=replicates, seed=SEED)
        index = index.merge(intervals[["unit", "rank_low", "rank_high", "index_low", "index_high"]],
                            on="unit", how="left")
    else:
        index = index.assign(rank_low=index["rank"], rank_high=index["rank"],
                             index_low=index["index_pct"], index_high=index["index_pct"])
    areas = analysis.area_indices(scores, appraisal, plan.scoring, units)
    # The appraisal part is preliminary until the whole appraisal is finalised.
    index = index.assign(appraisal_preliminary=lock_of(session, row) is None)
    results = Results(scores=scores, index=index, areas=areas,
                      responses=int(answers["response"].nunique()) if not answers.empty else 0)
    _CACHE.clear()  # keep one state only
    _CACHE[key] = results
    return results
