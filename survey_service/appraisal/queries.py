"""Reading the appraisal: which units are evaluated, and how far each unit's rows are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import sampling
from questionnaires.scoring import Area, Criterion, SubCriterion
from questionnaires.text import Label

from ..core.errors import ServiceError
from ..core.models import SurveyPlan
from .models import AppraisalField, AppraisalLock, AppraisalScore, AppraisalUnit, EvidenceFile


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


# --------------------------------------------------------------------------- the online round

#: The state of one council field of one unit, in the order a round goes through them.
STATUSES = ("not_submitted", "submitted", "appraised", "explanation_asked", "final")

STATUS_LABELS: dict[str, Label] = {
    "not_submitted": Label("chưa gửi", "not submitted"),
    "submitted": Label("đã gửi, chờ thẩm định", "submitted"),
    "appraised": Label("đang thẩm định", "being appraised"),
    "explanation_asked": Label("chờ giải trình", "explanation asked"),
    "final": Label("đã có điểm cuối", "final"),
}


def appraisal_subs(plan: sampling.Plan, kind: str) -> list[tuple[Area, Criterion, SubCriterion]]:
    """The appraisal sub-criteria that apply to units of ``kind``, in the rules' order."""
    return list(plan.scoring.subcriteria(kind, "appraisal")) if plan.scoring else []


def lock_of(session: Session, row: SurveyPlan) -> AppraisalLock | None:
    """The plan's appraisal lock, if the appraisal has been finalised."""
    lock = session.get(AppraisalLock, row.id)
    return lock if lock is not None and lock.finalised_at is not None else None


def unit_state(session: Session, row: SurveyPlan, unit: str) -> AppraisalUnit | None:
    """Whether and when ``unit`` submitted, and any reopening."""
    return session.scalar(select(AppraisalUnit).where(AppraisalUnit.plan_id == row.id,
                                                      AppraisalUnit.unit == unit))


def fields_of(session: Session, row: SurveyPlan, unit: str) -> dict[str, AppraisalField]:
    """The council fields of ``unit`` that have a state, by appraiser."""
    return {f.appraiser: f for f in session.scalars(select(AppraisalField).where(
        AppraisalField.plan_id == row.id, AppraisalField.unit == unit))}


def evidence_of(session: Session, row: SurveyPlan, unit: str) -> dict[str, list[EvidenceFile]]:
    """The evidence files of ``unit``, by sub-criterion, in upload order."""
    out: dict[str, list[EvidenceFile]] = {}
    for f in session.scalars(select(EvidenceFile).where(
            EvidenceFile.plan_id == row.id, EvidenceFile.unit == unit).order_by(EvidenceFile.id)):
        out.setdefault(f.criterion, []).append(f)
    return out


def evidence_bytes(session: Session, row: SurveyPlan, unit: str) -> int:
    """The size of all the evidence ``unit`` has uploaded."""
    return session.scalar(select(func.coalesce(func.sum(EvidenceFile.size), 0)).where(
        EvidenceFile.plan_id == row.id, EvidenceFile.unit == unit)) or 0


def get_evidence(session: Session, file_id: int) -> EvidenceFile | None:
    """One evidence file's record."""
    return session.get(EvidenceFile, file_id)


@dataclass
class Line:
    """One sub-criterion of a unit, with what the unit and the council said of it."""

    area: Area
    criterion: Criterion
    sub: SubCriterion
    max_points: float
    score: AppraisalScore | None
    files: list[EvidenceFile]

    @property
    def corrected(self) -> bool:
        """The council's first appraisal differs from the self-score."""
        s = self.score
        return s is not None and s.first_appraised is not None and s.first_appraised != s.self_score


def unit_lines(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str) -> list[Line]:
    """Every appraisal sub-criterion of ``unit`` with its stored row and evidence."""
    kind = evaluated_unit(plan, unit).kind
    scores = stored_scores(session, row, unit)
    files = evidence_of(session, row, unit)
    return [Line(area, criterion, sub, sub.max_for(kind) or 0.0, scores.get(sub.code),
                 files.get(sub.code, [])) for area, criterion, sub in appraisal_subs(plan, kind)]


def field_status(state: AppraisalUnit | None, field: AppraisalField | None, lines: list[Line]) -> str:
    """One of :data:`STATUSES` for a council field (its ``lines``) of a unit."""
    if state is None or state.submitted_at is None:
        return "not_submitted"
    if lines and all(line.score is not None and line.score.final for line in lines):
        return "final"
    if field is not None and field.sent_at is not None:
        return "explanation_asked"
    if any(line.score is not None and line.score.appraised is not None for line in lines):
        return "appraised"
    return "submitted"


def board(session: Session, row: SurveyPlan, plan: sampling.Plan) -> list[dict[str, Any]]:
    """The status board: per evaluated unit, its submission and the status of each field."""
    out = []
    appraisers = sorted(plan.scoring.appraisers()) if plan.scoring else []
    for unit in plan.units:
        if not any(k.code == unit.kind and k.evaluated for k in plan.unit_kinds):
            continue
        lines = unit_lines(session, row, plan, unit.code)
        state = unit_state(session, row, unit.code)
        fields = fields_of(session, row, unit.code)
        statuses = {a: field_status(state, fields.get(a), [ln for ln in lines if ln.sub.appraiser == a])
                    for a in appraisers if any(ln.sub.appraiser == a for ln in lines)}
        pending = sum(1 for ln in lines if ln.corrected and ln.score is not None
                      and not ln.score.final and not ln.score.explanation)
        out.append({"unit": unit.code, "name": unit.name, "kind": unit.kind,
                    "submitted_at": state.submitted_at if state else None,
                    "late": bool(state and state.late), "fields": statuses,
                    "explanations_pending": pending,
                    "final": bool(statuses) and all(s == "final" for s in statuses.values())})
    return out


def evidence_content(session: Session, store: Any, file_id: int, user: Any, *,
                     plan_id: int | None = None) -> tuple[EvidenceFile, bytes]:
    """An evidence file's record and content, for those who may read it (the unit itself,
    the council, admins); :class:`ServiceError` 404 (unknown, another round's, content
    missing from the store) or 403."""
    from .rights import may_read, require

    file = get_evidence(session, file_id) if 0 < file_id < 2**31 else None
    if file is None or (plan_id is not None and file.plan_id != plan_id):
        raise ServiceError("Không có tài liệu này.", "There is no such evidence file.", status=404)
    require(may_read(user, file.unit))
    try:
        return file, store.get(file.sha256)
    except KeyError:
        raise ServiceError("Nội dung tệp không còn trong kho lưu trữ.",
                           "The file's content is missing from the store.", status=404) from None
