"""Reading the appraisal: which units are evaluated, and how far each unit's rows are."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import sampling

from ..core.errors import ServiceError
from ..core.models import AppraisalScore, SurveyPlan


def evaluated_unit(plan: sampling.Plan, code: str) -> sampling.Unit:
    """The evaluated unit ``code``; :class:`ServiceError` (404) otherwise."""
    evaluated = {k.code for k in plan.unit_kinds if k.evaluated}
    try:
        unit = plan.unit(code)
    except KeyError:
        unit = None
    if unit is None or unit.kind not in evaluated:
        raise ServiceError(f"'{code}' không phải là đơn vị được đánh giá.",
                           f"'{code}' is not an evaluated unit.", status=404)
    return unit


def stored_scores(session: Session, row: SurveyPlan, unit: str) -> dict[str, AppraisalScore]:
    """The stored rows of ``unit``, by sub-criterion."""
    return {s.criterion: s for s in session.scalars(select(AppraisalScore).where(
        AppraisalScore.plan_id == row.id, AppraisalScore.unit == unit))}


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
