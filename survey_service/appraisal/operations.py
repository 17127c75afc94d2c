"""Writing the appraisal: a unit's filled workbook in, its rows stored (replacing earlier ones).

Operations add and flush; the request or the command commits.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy.orm import Session

import sampling
from analysis.appraisal import AppraisalSheet

from ..core.audit import Actor, record
from ..core.models import AppraisalScore, SurveyPlan
from .queries import evaluated_unit, stored_scores
from .workbook import appraisal_template, read_appraisal


def template_for(plan: sampling.Plan, unit_code: str, lang: str = "vi") -> bytes:
    """The self-assessment workbook of one unit."""
    unit = evaluated_unit(plan, unit_code)
    return appraisal_template(plan.scoring, kind=unit.kind, unit_code=unit.code, unit_name=unit.name,
                              year=plan.year, lang=lang)


def import_sheet(session: Session, row: SurveyPlan, plan: sampling.Plan, unit_code: str,
                 source: Any, user: Actor | None = None) -> AppraisalSheet:
    """Read a filled workbook of ``unit_code`` and store its rows (replacing earlier ones).

    Raises :class:`~questionnaires.problems.DataFileError` with every problem (sheet
    and cell) and writes nothing then.  Corrections keep their reason.
    """
    unit = evaluated_unit(plan, unit_code)
    sheet = read_appraisal(source, plan.scoring, kind=unit.kind, unit_code=unit.code)
    stored = stored_scores(session, row, unit.code)
    for item in sheet.frame.to_dict(orient="records"):
        score = stored.get(item["criterion"])
        if score is None:
            score = AppraisalScore(plan_id=row.id, unit=unit.code, criterion=item["criterion"])
            session.add(score)
        score.max_points = float(item["max_points"])
        score.self_score = _number(item["self_score"])
        score.evidence = str(item.get("evidence") or "")
        score.appraised = _number(item["appraised"])
        score.reason = str(item.get("reason") or "")
        score.updated_by = user.id if user else None
    record(session, "appraisal_import", user=user, target=unit.code,
           rows=len(sheet.frame), appraised=int(sheet.frame["appraised"].notna().sum()),
           corrections=len(sheet.corrections()))
    session.flush()
    return sheet


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)
