"""From stored responses and appraisal scores to the tables analysts export.

The database is read into the DataFrames of the :mod:`analysis` library's contract;
all computing is done there.  Nothing here ever reads a slot: exports cannot link an
answer to a card, a token or a person.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import analysis
import sampling

from ..appraisal.models import AppraisalScore
from ..appraisal.queries import lock_of
from ..appraisal.schedule import end_of
from ..core.models import Response, ResponseAnswer, SurveyPlan
from ..plans.queries import plan_of, previous_round

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
    """Scores, index (with rank intervals, status and the comparison with the previous
    round) and component indices of one round."""

    scores: pd.DataFrame
    index: pd.DataFrame
    areas: pd.DataFrame
    responses: int
    #: The round's code, and the previous round's (None without one).
    plan: str = ""
    previous: str | None = None
    #: Whether the survey has closed (its deadline day has ended in the province) and
    #: the appraisal is finalised; until both, every result is preliminary.
    survey_closed: bool = False
    appraisal_final: bool = False
    #: Final appraisal scores stored (any unit).
    appraisal_rows: int = 0

    @property
    def preliminary(self) -> bool:
        """Built before the survey closed and the appraisal was final."""
        return not (self.survey_closed and self.appraisal_final)

    @property
    def empty(self) -> bool:
        """Nothing measured yet: no response and no final appraisal score."""
        return self.responses == 0 and self.appraisal_rows == 0

    @property
    def ranked(self) -> int:
        """How many units are ranked."""
        return int((self.index["status"] == "ranked").sum()) if not self.index.empty else 0

    def not_ranked(self) -> dict[str, int]:
        """How many units are not ranked, by reason (``status``)."""
        counts = self.index["status"].value_counts()
        return {s: int(counts[s]) for s in analysis.STATUSES[1:] if s in counts}


#: Computed results by data state; a few states are kept (a round and its previous one).
_CACHE: dict[str, Results] = {}
_CACHE_SIZE = 6


def _fingerprint(session: Session, row: SurveyPlan) -> str:
    responses = session.scalar(select(func.count()).select_from(Response)
                               .where(Response.plan_id == row.id)) or 0
    appraisal = session.execute(
        select(func.count(), func.max(AppraisalScore.updated_at), func.sum(AppraisalScore.appraised),
               func.count().filter(AppraisalScore.final.is_(True)))
        .where(AppraisalScore.plan_id == row.id)).one()
    text = f"{row.code}|{row.content_hash}|{responses}|{appraisal}|{lock_of(session, row) is not None}"
    return hashlib.sha256(text.encode()).hexdigest()


def survey_closed(plan: sampling.Plan, now: dt.datetime | None = None) -> bool:
    """Whether the plan's survey deadline day has ended in the province."""
    deadline = plan.deadlines.get("survey")
    return deadline is not None and (now or dt.datetime.now(dt.timezone.utc)) >= end_of(deadline)


def compute(session: Session, row: SurveyPlan, plan: sampling.Plan, *,
            replicates: int = REPLICATES, compare: bool = True) -> Results:
    """Scores, index, rank intervals and the comparison with the previous round, for the
    current data (cached per data state).

    Only the units with valid survey answers and a final appraisal are ranked (see
    :func:`analysis.ranked_index`); the rank intervals are among them.  ``compare``:
    add the previous round's index, rank and grade (:func:`analysis.compare_rounds`).
    """
    if plan.scoring is None:
        raise ValueError("the plan has no scoring rules")
    before = previous_round(session, row) if compare else None
    closed = survey_closed(plan)
    key = "|".join([_fingerprint(session, row), str(replicates), str(closed),
                    _fingerprint(session, before) if before is not None else "-"])
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    answers = responses_frame(session, row.id)
    units = units_frame(plan)
    appraisal = appraisal_frame(session, row.id)
    forms = dict(plan.forms)
    final = lock_of(session, row) is not None
    scores = analysis.survey_scores(answers, forms, plan.scoring, units)
    index = analysis.unit_index(scores, appraisal, plan.scoring, units)
    index = analysis.ranked_index(index, scores, plan.scoring, appraisal_final=final)
    ranked = units[units["unit"].isin(index.loc[index["status"] == "ranked", "unit"])]
    if replicates and not answers.empty and not ranked.empty:
        about = answers["rated_unit"].isin(ranked["unit"]) | (answers["rated_unit"] == "")
        intervals = analysis.rank_intervals(
            answers[about], forms, plan.scoring, ranked,
            appraisal[appraisal["unit"].isin(ranked["unit"])], replicates=replicates, seed=SEED)
        index = index.merge(intervals[["unit", "rank_low", "rank_high", "index_low", "index_high"]],
                            on="unit", how="left")
        for column in ("rank_low", "rank_high"):
            index[column] = index[column].astype("Int64")
    else:
        is_ranked = index["status"] == "ranked"
        index = index.assign(rank_low=index["rank"], rank_high=index["rank"],
                             index_low=index["index_pct"].where(is_ranked),
                             index_high=index["index_pct"].where(is_ranked))
    areas = analysis.area_indices(scores, appraisal, plan.scoring, units)
    # The appraisal part is preliminary until the whole appraisal is finalised.
    index = index.assign(appraisal_preliminary=not final)
    previous = None
    if before is not None:
        previous = compute(session, before, plan_of(before), replicates=0, compare=False).index
    index = analysis.compare_rounds(index, previous)
    results = Results(scores=scores, index=index, areas=areas,
                      responses=int(answers["response"].nunique()) if not answers.empty else 0,
                      plan=row.code, previous=before.code if before is not None else None,
                      survey_closed=closed, appraisal_final=final, appraisal_rows=len(appraisal))
    while len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = results
    return results


def collected(session: Session, plan_id: int) -> pd.DataFrame:
    """Responses per group and channel: ``group, channel, responses``."""
    rows = session.execute(
        select(Response.group_code, Response.channel, func.count())
        .where(Response.plan_id == plan_id)
        .group_by(Response.group_code, Response.channel)
        .order_by(Response.group_code, Response.channel)).all()
    return pd.DataFrame(rows, columns=["group", "channel", "responses"])
