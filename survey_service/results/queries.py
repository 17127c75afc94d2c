"""From stored responses and appraisal scores to the tables analysts export.

The database is read into the DataFrames of the :mod:`analysis` library's contract;
all computing is done there.  Nothing here ever reads a slot: exports cannot link an
answer to a card, a token or a person.
"""

from __future__ import annotations

import hashlib
import io
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import analysis
import sampling
from questionnaires import Form, Kind

from ..models import AppraisalScore, Response, ResponseAnswer, SurveyPlan

#: Columns of ``export responses`` (interfaces: long, one row per answer).
RESPONSE_COLUMNS = ("response", "group", "form", "form_version", "unit", "rated_unit", "question",
                    "value", "channel")
SCORE_COLUMNS = ("unit", "criterion", "n", "mean", "points", "max_points", "ci_low", "ci_high",
                 "dont_know_share")
INDEX_COLUMNS = ("unit", "kind", "appraisal", "survey", "total", "max", "index_pct", "rank",
                 "rank_low", "rank_high", "grade")

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
    """The appraised points: ``unit, criterion, points`` (rows not yet appraised are left out)."""
    rows = session.execute(
        select(AppraisalScore.unit, AppraisalScore.criterion, AppraisalScore.appraised)
        .where(AppraisalScore.plan_id == plan_id, AppraisalScore.appraised.is_not(None))).all()
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
        select(func.count(), func.max(AppraisalScore.updated_at), func.sum(AppraisalScore.appraised))
        .where(AppraisalScore.plan_id == row.id)).one()
    text = f"{row.content_hash}|{responses}|{appraisal}"
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
    results = Results(scores=scores, index=index, areas=areas,
                      responses=int(answers["response"].nunique()) if not answers.empty else 0)
    _CACHE.clear()  # keep one state only
    _CACHE[key] = results
    return results


# --------------------------------------------------------------------------- files


def to_xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    """Several tables as one workbook (sheet name -> table)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()


def _spss_name(form: str, question: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "", f"{form}_{question}")


def responses_sav(answers: pd.DataFrame, forms: dict[str, Form]) -> bytes:
    """The answers as an SPSS file, one case per response and rated unit.

    Each question of each form is a variable named ``FORM_question`` (``CT01_q01``)
    with its Vietnamese text as the variable label; choices are coded 1, 2, ... in the
    order of the options, with their labels as value labels, and the option that
    carries no score ("Không biết") is declared user-missing.
    """
    import pyreadstat

    keys = ["response", "group", "form", "form_version", "unit", "rated_unit", "channel"]
    cases = answers[keys].drop_duplicates()
    # One case per response and rated unit; a response's answers not about a unit
    # (background) go on each of its cases, and make a case of their own only when the
    # response rates no unit at all.
    rated = cases[cases["rated_unit"] != ""]
    unrated = cases[(cases["rated_unit"] == "") & ~cases["response"].isin(rated["response"])]
    base = pd.concat([rated, unrated]).sort_values(["response", "rated_unit"]).reset_index(drop=True)
    labels: dict[str, str] = {k: k for k in keys}
    value_labels: dict[str, dict[float, str]] = {}
    missing: dict[str, list[float]] = {}
    columns: dict[str, pd.Series] = {}
    codes: dict[tuple[str, str], dict[str, float]] = {}
    for form in forms.values():
        for q in form.questions():
            name = _spss_name(form.code, q.code)
            labels[name] = q.label.vi.replace("{unit}", "[đơn vị]")[:250]
            if q.answer_kind is Kind.CHOICE:
                codes[(form.code, q.code)] = {o.value: float(i) for i, o in enumerate(q.options, 1)}
                value_labels[name] = {float(i): o.label.vi for i, o in enumerate(q.options, 1)}
                dk = [float(i) for i, o in enumerate(q.options, 1) if o.weight is None and q.scored]
                if dk:
                    missing[name] = dk
    wide = answers.copy()
    wide["var"] = [_spss_name(f, q) for f, q in zip(wide["form"], wide["question"])]
    wide["coded"] = [codes.get((f, q), {}).get(v, v) for f, q, v in
                     zip(wide["form"], wide["question"], wide["value"])]
    table = base.copy()
    for var, part in wide.groupby("var", sort=True):
        plain = part[part["rated_unit"] == ""]
        by_unit = part[part["rated_unit"] != ""]
        merged = table[["response", "rated_unit"]].merge(
            by_unit[["response", "rated_unit", "coded"]], how="left", on=["response", "rated_unit"])
        if not plain.empty:
            fill = table[["response"]].merge(plain[["response", "coded"]], how="left", on="response")
            merged["coded"] = merged["coded"].where(merged["coded"].notna(), fill["coded"])
        columns[var] = merged["coded"]
    for var, series in columns.items():
        numeric = var in value_labels
        table[var] = pd.to_numeric(series, errors="coerce") if numeric else series.fillna("").astype(str)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "responses.sav"
        pyreadstat.write_sav(table, str(path), column_labels=[labels.get(c, c) for c in table.columns],
                             variable_value_labels={k: v for k, v in value_labels.items() if k in table},
                             missing_ranges={k: v for k, v in missing.items() if k in table})
        return path.read_bytes()


def index_records(results: Results) -> list[dict[str, Any]]:
    """The index table as JSON-ready records (interfaces' ``index`` columns first)."""
    frame = results.index.copy()
    extra = [c for c in frame.columns if c not in INDEX_COLUMNS]
    frame = frame[[*INDEX_COLUMNS, *extra]]
    return _records(frame)


def score_records(results: Results) -> list[dict[str, Any]]:
    """The scores table as JSON-ready records."""
    frame = results.scores
    extra = [c for c in frame.columns if c not in SCORE_COLUMNS]
    return _records(frame[[*SCORE_COLUMNS, *extra]])


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for record in frame.to_dict(orient="records"):
        out.append({k: (None if isinstance(v, float) and v != v else
                        v.item() if hasattr(v, "item") else v) for k, v in record.items()})
    return out
