"""Self-assessment and appraisal scores: templates out, filled workbooks in."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import sampling
from analysis.appraisal import AppraisalSheet, appraisal_template, read_appraisal

from ..models import AppraisalScore, SurveyPlan, User
from .fieldwork import FieldworkError, audit


def evaluated_unit(plan: sampling.Plan, code: str) -> sampling.Unit:
    """The evaluated unit ``code``; :class:`FieldworkError` otherwise."""
    evaluated = {k.code for k in plan.unit_kinds if k.evaluated}
    try:
        unit = plan.unit(code)
    except KeyError:
        unit = None
    if unit is None or unit.kind not in evaluated:
        raise FieldworkError(f"'{code}' không phải là đơn vị được đánh giá.",
                             f"'{code}' is not an evaluated unit.")
    return unit


def template_for(plan: sampling.Plan, unit_code: str, lang: str = "vi") -> bytes:
    """The self-assessment workbook of one unit."""
    unit = evaluated_unit(plan, unit_code)
    return appraisal_template(plan.scoring, kind=unit.kind, unit_code=unit.code, unit_name=unit.name,
                              year=plan.year, lang=lang)


def import_sheet(session: Session, row: SurveyPlan, plan: sampling.Plan, unit_code: str,
                 source: Any, user: User | None = None) -> AppraisalSheet:
    """Read a filled workbook of ``unit_code`` and store its rows (replacing earlier ones).

    Raises :class:`~questionnaires.problems.DataFileError` with every problem (sheet
    and cell) and writes nothing then.  Corrections keep their reason.
    """
    unit = evaluated_unit(plan, unit_code)
    sheet = read_appraisal(source, plan.scoring, kind=unit.kind, unit_code=unit.code)
    stored = {s.criterion: s for s in session.scalars(select(AppraisalScore).where(
        AppraisalScore.plan_id == row.id, AppraisalScore.unit == unit.code))}
    for record in sheet.frame.to_dict(orient="records"):
        score = stored.get(record["criterion"])
        if score is None:
            score = AppraisalScore(plan_id=row.id, unit=unit.code, criterion=record["criterion"])
            session.add(score)
        score.max_points = float(record["max_points"])
        score.self_score = _number(record["self_score"])
        score.evidence = str(record.get("evidence") or "")
        score.appraised = _number(record["appraised"])
        score.reason = str(record.get("reason") or "")
        score.updated_by = user.id if user else None
    audit(session, "appraisal_import", user=user, target=unit.code,
          rows=len(sheet.frame), appraised=int(sheet.frame["appraised"].notna().sum()),
          corrections=len(sheet.corrections()))
    return sheet


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def appraisal_status(session: Session, row: SurveyPlan, plan: sampling.Plan) -> list[dict[str, Any]]:
    """Per evaluated unit: rows expected, entered, appraised, corrected."""
    scores = session.scalars(select(AppraisalScore).where(AppraisalScore.plan_id == row.id)).all()
    out = []
    for unit in plan.units:
        if not any(k.code == unit.kind and k.evaluated for k in plan.unit_kinds):
            continue
        expected = sum(1 for _ in plan.scoring.subcriteria(unit.kind, "appraisal"))
        mine = [s for s in scores if s.unit == unit.code]
        out.append({
            "unit": unit.code, "name": unit.name, "kind": unit.kind, "expected": expected,
            "entered": len(mine), "appraised": sum(1 for s in mine if s.appraised is not None),
            "corrected": sum(1 for s in mine if s.appraised is not None
                             and s.appraised != (s.self_score or 0)),
        })
    return out
