"""From stored responses and appraisal scores to the tables analysts export.

The database is read into the DataFrames of the :mod:`analysis` library's contract;
all computing is done there.  Nothing here ever reads a slot: exports cannot link an
answer to a card, a token or a person.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

import analysis
import sampling
from analysis.scoring import score_answers
from analysis.uncertainty import rank_intervals_of

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
    # Plain tuples: pandas reads them at once, where it probes every Row for attributes.
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(RESPONSE_COLUMNS))
    frame["unit"] = frame["unit"].fillna("")
    own = (frame["rated_unit"] == "") & (frame["unit"] != "")
    frame.loc[own, "rated_unit"] = frame.loc[own, "unit"]
    return frame


#: Answers are read in slices of this many rows, each slice turned into codes at once.
_SLICE = 2000


def _coded_columns(session: Session, query: Select[Any], width: int) -> list[pd.Categorical]:
    """The columns of ``query`` as categoricals (NULL: missing), read from the database
    driver's cursor a slice at a time: no row object and no text per row is kept."""
    conn = session.connection()
    # The query's only parameters are integers of our own (ids), written into the SQL.
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    seen: list[dict[Any, int]] = [{} for _ in range(width)]
    parts: list[list[np.ndarray]] = [[] for _ in range(width)]
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(_SLICE):
            for column, values in enumerate(zip(*rows)):
                codes, uniques = pd.factorize(np.array(values, dtype=object), use_na_sentinel=False)
                known = seen[column]
                lookup = np.array([known.setdefault(u, len(known)) for u in uniques], dtype=np.int32)
                parts[column].append(lookup[codes])
    finally:
        cursor.close()
    out = []
    for known, chunks in zip(seen, parts):
        codes = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int32)
        labels = list(known)
        if None in known:  # NULL: a missing value, not a category
            null = known[None]
            codes = np.where(codes == null, -1, codes - (codes > null)).astype(np.int32)
            labels.remove(None)
        out.append(pd.Categorical.from_codes(codes, categories=pd.Index(labels, dtype=object)))
    return out


def scoring_frame(session: Session, plan_id: int) -> pd.DataFrame:
    """The answers as scoring reads them: the columns of ``analysis`` (``response, group,
    form, rated_unit, question, value``), the rows and values of :func:`responses_frame`
    (``rated_unit`` filled in the same way), but every column categorical.

    A million answers take about 8 MB, where text columns took a gigabyte.
    """
    owners = {r.id: r for r in session.execute(
        select(Response.id, Response.group_code, Response.form_code, Response.own_unit)
        .where(Response.plan_id == plan_id))}
    response, rated, question, value = _coded_columns(session, (
        select(ResponseAnswer.response_id, ResponseAnswer.rated_unit, ResponseAnswer.question,
               ResponseAnswer.value)
        .join(Response, ResponseAnswer.response_id == Response.id)
        .where(Response.plan_id == plan_id)
        .order_by(Response.id, ResponseAnswer.rated_unit, ResponseAnswer.question)), 4)
    of_response = [owners[i] for i in response.categories]
    group = pd.Categorical([o.group_code for o in of_response])
    form = pd.Categorical([o.form_code for o in of_response])
    # For groups that rate their own unit, plain answers are about that unit.
    own = [o.own_unit or "" for o in of_response]
    units = list(rated.categories)
    units += sorted(set(own) - set(units) - {""})
    code_of = {u: i for i, u in enumerate(units)}
    rated_codes = rated.codes.astype(np.int32)
    own_codes = np.array([code_of.get(u, -1) if u else -1 for u in own], dtype=np.int32)
    if "" in code_of and len(response):
        fill = (rated_codes == code_of[""]) & (own_codes[response.codes] >= 0)
        rated_codes[fill] = own_codes[response.codes[fill]]
    return pd.DataFrame({
        "response": response,
        "group": pd.Categorical.from_codes(group.codes[response.codes], dtype=group.dtype),
        "form": pd.Categorical.from_codes(form.codes[response.codes], dtype=form.dtype),
        "rated_unit": pd.Categorical.from_codes(rated_codes, categories=pd.Index(units, dtype=object)),
        "question": question, "value": value})


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
    answers = scoring_frame(session, row.id)
    units = units_frame(plan)
    appraisal = appraisal_frame(session, row.id)
    final = lock_of(session, row) is not None
    # Scored once: the same scored answers give the scores and the rank intervals.
    scored = score_answers(answers, dict(plan.forms), plan.scoring, units)
    responses = int(answers["response"].nunique())
    del answers
    scores = scored.scores()
    index = analysis.unit_index(scores, appraisal, plan.scoring, units)
    index = analysis.ranked_index(index, scores, plan.scoring, appraisal_final=final)
    ranked = units[units["unit"].isin(index.loc[index["status"] == "ranked", "unit"])]
    if replicates and responses and not ranked.empty:
        intervals = rank_intervals_of(
            scored.among(ranked), appraisal[appraisal["unit"].isin(ranked["unit"])],
            replicates=replicates, seed=SEED)
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
                      responses=responses,
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
