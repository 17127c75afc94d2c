"""What the appraisal pages show, and their forms read into calls of the operations.

The pages never decide a right, a limit or a deadline themselves: the operations do,
and raise :class:`~survey_service.core.errors.ServiceError` before writing anything.
What is here only groups the rows for a page (by area, by council field), tells a page
whether to show its inputs, and sends the operations only the rows a form changed, so
the audit log holds what a person did, not every row of every save.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sampling
from analysis.appraisal import parse_score
from questionnaires.scoring import Area

from ..core.errors import ServiceError
from ..core.models import SurveyPlan
from . import operations as ops
from .evidence import EvidenceStore, Upload, check_upload
from .models import AppraisalField, AppraisalLock, AppraisalUnit
from .queries import (
    STATUS_LABELS,
    Line,
    board,
    evaluated_unit,
    evidence_bytes,
    fields_of,
    lock_of,
    unit_lines,
    unit_state,
)
from .rights import STANDING_BODY, Account, forbidden
from .schedule import PROVINCE_TZ, aware, deadline

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: The steps whose deadline the pages count down to.
STEPS = ("self_assessment", "appraisal")


# --------------------------------------------------------------------------- calendar


def local(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored moment in the province's time."""
    moment = aware(moment)
    return moment.astimezone(PROVINCE_TZ) if moment is not None else None


def moment_text(moment: dt.datetime | None) -> str:
    """A stored moment as people in the province read it: ``29/01/2021 16:30``."""
    moment = local(moment)
    return f"{moment:%d/%m/%Y %H:%M}" if moment else ""


def last_day(moment: dt.datetime | None) -> str:
    """The last day of a period that ends at midnight in the province (``explanation_due``)."""
    moment = local(moment)
    return f"{moment - dt.timedelta(seconds=1):%d/%m/%Y}" if moment else ""


def points(value: float | None, lang: str) -> str:
    """A score as shown and typed: ``2,5`` in Vietnamese, ``2.5`` in English.

    >>> points(2.5, "vi"), points(3.0, "en"), points(None, "vi")
    ('2,5', '3', '')
    """
    text = "" if value is None else f"{value:g}"
    return text if lang == "en" else text.replace(".", ",")


def calendar(plan: sampling.Plan, at: dt.datetime) -> list[dict[str, Any]]:
    """The self-assessment and appraisal deadlines with the whole days left to each from
    today in the province: 0 on the day itself, negative once it has passed."""
    today = at.astimezone(PROVINCE_TZ).date()
    return [{"step": step, "day": plan.deadlines[step], "left": (plan.deadlines[step] - today).days}
            for step in STEPS if plan.deadlines.get(step)]


# --------------------------------------------------------------------------- a unit's self-assessment


@dataclass
class AreaRows:
    """The appraisal sub-criteria of one area for a unit, and how far the unit is."""

    area: Area
    lines: list[Line]

    @property
    def scored(self) -> int:
        return sum(1 for ln in self.lines if ln.score is not None and ln.score.self_score is not None)

    @property
    def files(self) -> int:
        return sum(len(ln.files) for ln in self.lines)


def by_area(lines: Iterable[Line]) -> list[AreaRows]:
    """``lines`` grouped by area, in the rules' order."""
    out: list[AreaRows] = []
    for line in lines:
        if not out or out[-1].area.code != line.area.code:
            out.append(AreaRows(line.area, []))
        out[-1].lines.append(line)
    return out


def next_area(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str, area: str) -> str | None:
    """The code of the area after ``area`` for ``unit``, if any."""
    codes = [a.area.code for a in by_area(unit_lines(session, row, plan, unit))]
    return codes[codes.index(area) + 1] if area in codes and codes.index(area) + 1 < len(codes) else None


def area_rows(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str, area: str) -> AreaRows:
    """The rows of one area of ``unit``; 404 if the area has none for this unit."""
    for group in by_area(unit_lines(session, row, plan, unit)):
        if group.area.code == area:
            return group
    raise ServiceError(f"Lĩnh vực '{area[:40]}' không có tiêu chí thẩm định nào của đơn vị này.",
                       f"The area '{area[:40]}' has no appraisal sub-criterion of this unit.", status=404)


@dataclass
class UnitRound:
    """Where a unit's self-assessment stands, for its pages."""

    state: AppraisalUnit | None
    lock: AppraisalLock | None
    #: The unit may still change its self-scores (the operations decide in the end).
    open: bool


def unit_round(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str,
               at: dt.datetime) -> UnitRound:
    """The state of ``unit``'s self-assessment, and whether its inputs are shown."""
    state, lock = unit_state(session, row, unit), lock_of(session, row)
    reopened = aware(state.reopened_until) if state else None
    end = deadline(plan, "self_assessment")
    if lock is not None:
        is_open = False
    elif reopened is not None and at < reopened:
        is_open = True
    else:
        is_open = (state is None or state.submitted_at is None) and (end is None or at < end)
    return UnitRound(state, lock, is_open)


def read_uploads(files: Mapping[str, Any], name: str, max_bytes: int) -> list[Upload]:
    """The files sent in the file input ``name``, each checked (422 or 413 on the first
    refused one).  An input left empty sends a part without a name: no file."""
    out = []
    for storage in files.getlist(name):  # type: ignore[attr-defined]
        if not storage or not storage.filename:
            continue
        data = storage.stream.read(max_bytes + 1)  # one byte more tells "over the limit"
        out.append(check_upload(data, storage.filename, max_bytes=max_bytes))
    return out


def _room_for(session: Session, row: SurveyPlan, unit: str, uploads: Iterable[Upload], limit: int) -> None:
    """Refuse (413) before any file is kept if all of ``uploads`` would not fit the unit's
    limit (the operation checks each file as it comes; this spares a half-kept form)."""
    if evidence_bytes(session, row, unit) + sum(u.size for u in uploads) > limit:
        raise ServiceError(f"Tổng dung lượng tài liệu của đơn vị sẽ vượt {limit // (1024 * 1024)} MB.",
                           f"The unit's evidence would exceed {limit // (1024 * 1024)} MB in all.",
                           status=413)


def _same_score(text: str, stored: float | None) -> bool:
    """Whether a typed score is the stored one (so there is nothing to save)."""
    try:
        value = parse_score(text)
    except (ValueError, OverflowError):
        return False
    return (value is None and stored is None) or (
        value is not None and stored is not None and round(value, 2) == stored)


def _same_text(text: str | None, stored: str | None) -> bool:
    return text is None or text.replace("\r\n", "\n").strip() == (stored or "").strip()


@dataclass(frozen=True)
class Limits:
    """The evidence store and its size limits (bytes) of the running app."""

    store: EvidenceStore
    file_bytes: int
    unit_bytes: int


def save_area(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str, rows: AreaRows,
              form: Mapping[str, str], files: Mapping[str, Any], limits: Limits, *, user: Account,
              at: dt.datetime) -> tuple[int, int]:
    """Save what the area's form changed: self-scores, explanations, new evidence files.
    Returns (rows saved, files added).  Every file is checked before anything is saved."""
    uploads = {ln.sub.code: read_uploads(files, f"file-{ln.sub.code}", limits.file_bytes) for ln in rows.lines}
    if any(uploads.values()):
        _room_for(session, row, unit, [u for ups in uploads.values() for u in ups], limits.unit_bytes)
    saved = 0
    for line in rows.lines:
        code = line.sub.code
        score, text = form.get(f"score-{code}"), form.get(f"explanation-{code}")
        if score is None and text is None:
            continue
        stored = line.score
        if _same_score(score or "", stored.self_score if stored else None) and _same_text(
                text, stored.evidence if stored else ""):
            continue
        ops.set_self_score(session, row, plan, unit, code, score=(score or "").strip() or None,
                           explanation=text, user=user, at=at)
        saved += 1
    added = 0
    for code, sent in uploads.items():
        for upload in sent:
            ops.add_evidence(session, limits.store, row, plan, unit, code, upload, stage="self", user=user,
                             at=at, unit_limit=limits.unit_bytes)
            added += 1
    return saved, added


# --------------------------------------------------------------------------- the explanation round


@dataclass
class Correction:
    """A corrected row of a unit after the council sent its first appraisal."""

    line: Line
    field: AppraisalField

    @property
    def files(self) -> list[Any]:
        return [f for f in self.line.files if f.stage == "explanation"]

    def answerable(self, at: dt.datetime, locked: bool) -> bool:
        due = aware(self.field.explanation_due)
        return not locked and not self.line.score.final and due is not None and at < due


def corrections(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str) -> list[Correction]:
    """Every correction the council sent to ``unit``, in the rules' order."""
    fields = fields_of(session, row, unit)
    out = []
    for line in unit_lines(session, row, plan, unit):
        field = fields.get(line.sub.appraiser or "")
        if field is not None and field.sent_at is not None and line.corrected:
            out.append(Correction(line, field))
    return out


def answer_correction(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str, code: str,
                      form: Mapping[str, str], files: Mapping[str, Any], limits: Limits, *,
                      user: Account, at: dt.datetime) -> tuple[bool, int]:
    """The unit's answer to the correction of ``code`` and its new evidence (the operations
    refuse a row without one).  Returns (answer saved, files added)."""
    uploads = read_uploads(files, "file", limits.file_bytes)
    if uploads:
        _room_for(session, row, unit, uploads, limits.unit_bytes)
    stored = next((c.line.score.explanation for c in corrections(session, row, plan, unit)
                   if c.line.sub.code == code), "")
    text = form.get("answer")
    saved = text is not None and not (stored and _same_text(text, stored))
    if saved:
        ops.answer(session, row, plan, unit, code, text=text or "", user=user, at=at)
    for upload in uploads:
        ops.add_evidence(session, limits.store, row, plan, unit, code, upload, stage="explanation",
                         user=user, at=at, unit_limit=limits.unit_bytes)
    return saved, len(uploads)


# --------------------------------------------------------------------------- the council


def appraisers(plan: sampling.Plan) -> list[str]:
    """The council members that appraise some sub-criterion, in a stable order."""
    return sorted(plan.scoring.appraisers()) if plan.scoring else []


def fields_for(user: Account, plan: sampling.Plan) -> list[str]:
    """The council fields ``user`` may work on: its own; every one for the standing body
    and admins."""
    every = appraisers(plan)
    if user.role == "admin" or (user.role == "council" and user.unit == STANDING_BODY):
        return every
    return [user.unit] if user.role == "council" and user.unit in every else []


def choose_field(user: Account, plan: sampling.Plan, asked: str | None) -> str | None:
    """The field a council page shows: the one asked for (403 if not the user's, 404 if
    nobody appraises it), else the user's own, else the first the user may open."""
    mine = fields_for(user, plan)
    if asked:
        if asked not in appraisers(plan):
            raise ServiceError(f"'{asked[:80]}' không thẩm định tiêu chí nào.",
                               f"'{asked[:80]}' appraises no sub-criterion.", status=404)
        if asked not in mine:
            raise forbidden()
        return asked
    if user.unit in mine:
        return user.unit
    return mine[0] if mine else None


def no_field() -> str:
    """Refuse (403) a council page to an account that appraises nothing."""
    raise ServiceError("Tài khoản này không thẩm định tiêu chí nào.",
                       "This account appraises no sub-criterion.", status=403)


def field_units(session: Session, row: SurveyPlan, plan: sampling.Plan, field: str) -> list[dict[str, Any]]:
    """Every evaluated unit with a sub-criterion of ``field``, and that field's status."""
    return [{**entry, "status": entry["fields"][field], "label": STATUS_LABELS[entry["fields"][field]]}
            for entry in board(session, row, plan) if field in entry["fields"]]


def field_lines(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str, field: str) -> list[Line]:
    """The rows of ``unit`` that ``field`` appraises."""
    return [ln for ln in unit_lines(session, row, plan, unit) if ln.sub.appraiser == field]


def appraise_rows(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str, lines: list[Line],
                  form: Mapping[str, str], *, user: Account) -> int:
    """Save the appraised scores and comments the council's form changed; a score left
    empty is not appraised yet.  Returns the rows saved."""
    saved = 0
    for line in lines:
        code = line.sub.code
        score, comment = (form.get(f"score-{code}") or "").strip(), form.get(f"comment-{code}")
        if not score:
            continue
        stored = line.score
        if stored is not None and stored.appraised is not None and _same_score(score, stored.appraised) \
                and _same_text(comment, stored.reason):
            continue
        ops.appraise(session, row, plan, unit, code, score=score, comment=comment, user=user)
        saved += 1
    return saved


# --------------------------------------------------------------------------- the status board


def board_table(session: Session, row: SurveyPlan, plan: sampling.Plan,
                lang: str) -> tuple[list[str], list[list[Any]]]:
    """The status board as a table for a workbook: columns, then one row per unit (the
    statuses in ``lang``)."""
    fields = appraisers(plan)
    columns = (["unit", "name", "kind", "submitted_at", "late"] + [f"field:{f}" for f in fields]
               + ["explanations_pending", "final"])
    yes, no = ("yes", "no") if lang == "en" else ("có", "không")
    rows = []
    for entry in board(session, row, plan):
        submitted = local(entry["submitted_at"])
        rows.append([entry["unit"], entry["name"], entry["kind"],
                     f"{submitted:%d/%m/%Y %H:%M}" if submitted else "",
                     (yes if entry["late"] else no) if submitted else ""]
                    + [STATUS_LABELS[entry["fields"][f]].get(lang) if f in entry["fields"] else ""
                       for f in fields]
                    + [entry["explanations_pending"], yes if entry["final"] else no])
    return columns, rows


def unit_names(plan: sampling.Plan) -> dict[str, str]:
    """Unit names by code (the council members' names head the board's columns)."""
    return {u.code: u.name for u in plan.units}


def evaluated_units(plan: sampling.Plan) -> list[sampling.Unit]:
    """The units of the plan that are evaluated, in the plan's order."""
    evaluated = {k.code for k in plan.unit_kinds if k.evaluated}
    return [u for u in plan.units if u.kind in evaluated]


def check_unit(plan: sampling.Plan, code: str | None) -> str:
    """``code`` if it is an evaluated unit of the plan (404 otherwise)."""
    return evaluated_unit(plan, code or "").code


def whole_days(text: str | None) -> int:
    """The days typed in a reopening form (422 if not a whole number)."""
    try:
        return int((text or "").strip())
    except ValueError:
        raise ServiceError("Số ngày mở lại phải là số nguyên.", "The days must be a whole number.",
                           status=422) from None
