"""What the JSON API and the commands show of the round: a unit's rows, the status board.

Plain dictionaries ready for JSON: moments in ISO 8601 with their time zone, names in
Vietnamese and English.  A unit sees the council's scores of a field only once they
are sent to it; the council and admins see them as they are given.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

import sampling

from ..core.models import SurveyPlan
from . import schedule
from .models import EvidenceFile
from .queries import Line, board, evaluated_unit, field_status, fields_of, lock_of, unit_lines, unit_state
from .rights import Account


def iso(moment: dt.datetime | None) -> str | None:
    """A stored moment in ISO 8601 with its time zone (UTC); None stays None."""
    return schedule.aware(moment).isoformat() if moment is not None else None


def file_document(f: EvidenceFile) -> dict[str, Any]:
    """An evidence file's record (never its content)."""
    return {"id": f.id, "name": f.filename, "type": f.content_type, "size": f.size, "stage": f.stage,
            "sha256": f.sha256, "uploaded_at": iso(f.uploaded_at)}


def row_document(line: Line, *, show_appraisal: bool) -> dict[str, Any]:
    """One sub-criterion of a unit; the council's scores only where the reader may see them."""
    s = line.score
    council = show_appraisal and s is not None
    sent = s is not None and s.first_appraised is not None
    return {
        "code": line.sub.code, "name": line.sub.name.to_dict(), "area": line.area.code,
        "criterion": line.criterion.code, "max": line.max_points, "appraiser": line.sub.appraiser,
        "evidence_required": line.sub.evidence_required,
        "self_score": s.self_score if s else None, "explanation": s.evidence if s else "",
        "appraised": s.appraised if council else None,
        "first_appraised": s.first_appraised if council else None,
        "comment": (s.first_comment if sent else s.reason) if council else "",
        "corrected": line.corrected,
        "answer": s.explanation if s else "", "answered_at": iso(s.explained_at) if s else None,
        "final": s.appraised if council and s.final else None,
        "final_reason": s.reason if council and s.final else "",
        "files": [file_document(f) for f in line.files],
    }


def unit_document(session: Session, row: SurveyPlan, plan: sampling.Plan, code: str,
                  user: Account) -> dict[str, Any]:
    """A unit's self-assessment as ``user`` may see it: its state, each field's status, its rows."""
    unit = evaluated_unit(plan, code)
    lines = unit_lines(session, row, plan, code)
    state, fields = unit_state(session, row, code), fields_of(session, row, code)
    appraisers = sorted({ln.sub.appraiser or "" for ln in lines})
    sent = {a for a, f in fields.items() if f.sent_at is not None}
    # A unit sees the council's scores of a field once they are sent to it (or final).
    council_reader = user.role in ("admin", "council")
    return {
        "unit": unit.code, "name": unit.name, "kind": unit.kind,
        "submitted_at": iso(state.submitted_at) if state else None, "late": bool(state and state.late),
        "reopened_until": iso(state.reopened_until) if state else None,
        "finalised": lock_of(session, row) is not None,
        "fields": [{"appraiser": a, "status": field_status(state, fields.get(a),
                                                          [ln for ln in lines if ln.sub.appraiser == a]),
                    "sent_at": iso(fields[a].sent_at) if a in fields else None,
                    "explanation_due": iso(fields[a].explanation_due) if a in fields else None}
                   for a in appraisers],
        "rows": [row_document(ln, show_appraisal=council_reader or ln.sub.appraiser in sent
                              or bool(ln.score and ln.score.final)) for ln in lines],
    }


def board_document(session: Session, row: SurveyPlan, plan: sampling.Plan) -> dict[str, Any]:
    """The status board with the lock and the days left to each deadline (API and command)."""
    lock = lock_of(session, row)
    today = schedule.now().astimezone(schedule.PROVINCE_TZ).date()
    return {
        "plan": plan.code, "finalised": lock is not None,
        "finalised_at": iso(lock.finalised_at) if lock else None,
        "deadlines": {step: {"date": plan.deadlines[step].isoformat(),
                             "days_left": (plan.deadlines[step] - today).days}
                      for step in ("self_assessment", "appraisal") if plan.deadlines.get(step)},
        "units": [{**u, "submitted_at": iso(u["submitted_at"])} for u in board(session, row, plan)],
    }
