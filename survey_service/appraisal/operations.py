"""Writing the appraisal: a unit's filled workbook in, its rows stored (replacing earlier ones).

Operations add and flush; the request or the command commits.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sqlalchemy.orm import Session

import sampling
from analysis.appraisal import AppraisalSheet, parse_score

from ..core.audit import Actor, record
from ..core.errors import ServiceError
from ..core.models import SurveyPlan
from .evidence import EvidenceStore, Upload
from .models import AppraisalField, AppraisalLock, AppraisalScore, AppraisalUnit, EvidenceFile
from .queries import (
    Line,
    evaluated_unit,
    evidence_bytes,
    fields_of,
    lock_of,
    stored_scores,
    unit_lines,
    unit_state,
)
from .rights import Account, may_appraise, may_self_assess, require
from .schedule import aware, deadline, explanation_due
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
    and cell) and writes nothing then.  Corrections keep their reason.  Refused (409) once
    the appraisal is finalised.
    """
    unit = evaluated_unit(plan, unit_code)
    _locked(session, row)
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
        # The workbook carries the council's score that counts: it is final as imported.
        score.final = score.appraised is not None
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


# --------------------------------------------------------------------------- the online round


def _locked(session: Session, row: SurveyPlan) -> None:
    if lock_of(session, row) is not None:
        raise ServiceError("Kết quả thẩm định đã được chốt; không thay đổi được nữa (quản trị có thể "
                           "mở lại, có ghi nhật ký).",
                           "The appraisal has been finalised; nothing can change any more (an "
                           "admin may reopen it, which is logged).", status=409)


def _score_value(value: Any, maximum: float) -> float:
    """A score typed by a person: a number (decimal comma or point) from 0 to ``maximum``."""
    try:
        points = None if isinstance(value, bool) else parse_score(value)
    except (ValueError, OverflowError):
        points = None
    if points is None or not math.isfinite(points) or not 0 <= points <= maximum:
        shown = str(value)[:20]
        raise ServiceError(f"Điểm '{shown}' không hợp lệ: phải là một số từ 0 đến {maximum:g}.",
                           f"The score '{shown}' is not valid: it must be a number from 0 to {maximum:g}.",
                           status=422)
    return round(float(points), 2)


def _text(value: str | None, what_vi: str, what_en: str, limit: int = 4000) -> str:
    text = "".join(ch for ch in (value or "") if ch in "\n\t" or ch.isprintable()).strip()
    if len(text) > limit:
        raise ServiceError(f"{what_vi} dài quá {limit} ký tự.", f"{what_en} is longer than {limit} characters.",
                           status=422)
    return text


def _line(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str, criterion: str) -> Line:
    for line in unit_lines(session, row, plan, unit):
        if line.sub.code == criterion:
            return line
    raise ServiceError(f"'{criterion}' không phải là tiêu chí thẩm định của đơn vị {unit}.",
                       f"'{criterion}' is not an appraisal sub-criterion of {unit}.", status=404)


def _state(session: Session, row: SurveyPlan, unit: str) -> AppraisalUnit:
    state = unit_state(session, row, unit)
    if state is None:
        state = AppraisalUnit(plan_id=row.id, unit=unit)
        session.add(state)
        session.flush()
    return state


def _open_for_unit(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str,
                   at: dt.datetime) -> AppraisalUnit:
    """The unit's state, if it may still change its self-assessment (409 otherwise)."""
    _locked(session, row)
    state = _state(session, row, unit)
    reopened = aware(state.reopened_until)
    if state.submitted_at is not None and not (reopened and at < reopened):
        raise ServiceError("Đơn vị đã gửi bản tự đánh giá; không sửa được nữa.",
                           "The unit has submitted its self-assessment; it can no longer be changed.",
                           status=409)
    end = deadline(plan, "self_assessment")
    if end is not None and at >= end and not (reopened and at < reopened):
        raise ServiceError(f"Đã quá hạn tự đánh giá ({plan.deadlines['self_assessment']:%d/%m/%Y}); "
                           "chỉ quản trị mở lại được cho đơn vị.",
                           f"The self-assessment deadline ({plan.deadlines['self_assessment']:%d/%m/%Y}) "
                           "has passed; only an admin can reopen it for the unit.", status=409)
    return state


def _score_row(session: Session, row: SurveyPlan, line: Line, unit: str) -> AppraisalScore:
    if line.score is None:
        line.score = AppraisalScore(plan_id=row.id, unit=unit, criterion=line.sub.code,
                                    max_points=line.max_points, evidence="", reason="")
        session.add(line.score)
    return line.score


def set_self_score(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str, criterion: str,
                   *, score: Any, explanation: str | None, user: Account, at: dt.datetime) -> AppraisalScore:
    """The unit's self-score and explanation of one sub-criterion, saved as it goes."""
    evaluated_unit(plan, unit)
    require(may_self_assess(user, unit))
    line = _line(session, row, plan, unit, criterion)
    _open_for_unit(session, row, plan, unit, at)
    value = None if score in (None, "") else _score_value(score, line.max_points)
    stored = _score_row(session, row, line, unit)
    stored.self_score = value
    if explanation is not None:
        stored.evidence = _text(explanation, "Phần giải trình", "The explanation")
    stored.updated_by = user.id
    record(session, "self_score", user=user, target=f"{unit}/{criterion}", score=value)
    session.flush()
    return stored


def add_evidence(session: Session, store: EvidenceStore, row: SurveyPlan, plan: sampling.Plan, unit: str,
                 criterion: str, upload: Upload, *, stage: str, user: Account, at: dt.datetime,
                 unit_limit: int) -> EvidenceFile:
    """Attach a checked file to a sub-criterion: with the self-assessment, or with an answer."""
    evaluated_unit(plan, unit)
    require(may_self_assess(user, unit))
    line = _line(session, row, plan, unit, criterion)
    if stage == "self":
        _open_for_unit(session, row, plan, unit, at)
    else:
        _answerable(session, row, plan, unit, line, at)
    if evidence_bytes(session, row, unit) + upload.size > unit_limit:
        raise ServiceError(f"Tổng dung lượng tài liệu của đơn vị sẽ vượt {unit_limit // (1024 * 1024)} MB.",
                           f"The unit's evidence would exceed {unit_limit // (1024 * 1024)} MB in all.",
                           status=413)
    store.put(upload.sha256, upload.data)
    file = EvidenceFile(plan_id=row.id, unit=unit, criterion=criterion, stage=stage, sha256=upload.sha256,
                        filename=upload.filename, content_type=upload.content_type, size=upload.size,
                        uploaded_by=user.id)
    session.add(file)
    record(session, "evidence_add", user=user, target=f"{unit}/{criterion}", file=upload.filename,
           sha256=upload.sha256, size=upload.size, stage=stage)
    session.flush()
    return file


def submit(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str, *, user: Account,
           at: dt.datetime) -> AppraisalUnit:
    """Send the self-assessment to the council: every sub-criterion scored, evidence (or a
    written reason why there is none) where the rules require it.  After the deadline
    (reopened by an admin) the submission is marked late."""
    evaluated_unit(plan, unit)
    require(may_self_assess(user, unit))
    state = _open_for_unit(session, row, plan, unit, at)
    missing = [ln.sub.code for ln in unit_lines(session, row, plan, unit)
               if ln.score is None or ln.score.self_score is None]
    if missing:
        raise ServiceError(f"Chưa tự chấm điểm các tiêu chí: {', '.join(missing)}.",
                           f"No self-score yet for: {', '.join(missing)}.", status=422)
    bare = [ln.sub.code for ln in unit_lines(session, row, plan, unit)
            if ln.sub.evidence_required and not ln.files and not (ln.score and ln.score.evidence)]
    if bare:
        raise ServiceError(f"Các tiêu chí cần tài liệu kiểm chứng, hoặc lời giải trình vì sao không có: "
                           f"{', '.join(bare)}.",
                           f"These sub-criteria need evidence, or a written explanation of why there is "
                           f"none: {', '.join(bare)}.", status=422)
    end = deadline(plan, "self_assessment")
    state.submitted_at = at
    state.late = end is not None and at >= end
    state.reopened_until = None
    record(session, "self_assessment_submit", user=user, target=unit, late=state.late)
    session.flush()
    return state


def appraise(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str, criterion: str, *,
             score: Any, comment: str | None, user: Account) -> AppraisalScore:
    """The council's first appraisal of a sub-criterion; a comment is required where the
    appraised score differs from the self-score."""
    evaluated_unit(plan, unit)
    line = _line(session, row, plan, unit, criterion)
    require(may_appraise(user, line.sub))
    _locked(session, row)
    state = unit_state(session, row, unit)
    if state is None or state.submitted_at is None:
        raise ServiceError(f"Đơn vị {unit} chưa gửi bản tự đánh giá.", f"{unit} has not submitted yet.",
                           status=409)
    field = fields_of(session, row, unit).get(line.sub.appraiser or "")
    if field is not None and field.sent_at is not None:
        raise ServiceError("Kết quả thẩm định lần đầu đã gửi đơn vị; hãy cho điểm cuối sau giải trình.",
                           "The first appraisal was sent to the unit; give the final score after its "
                           "explanation.", status=409)
    value = _score_value(score, line.max_points)
    text = _text(comment, "Nhận xét", "The comment")
    stored = _score_row(session, row, line, unit)
    if value != stored.self_score and not text:
        raise ServiceError("Điểm thẩm định khác điểm tự chấm: hãy ghi nhận xét (lý do điều chỉnh).",
                           "The appraised score differs from the self-score: give a comment (the "
                           "reason of the correction).", status=422)
    stored.appraised, stored.reason, stored.updated_by = value, text, user.id
    record(session, "appraise", user=user, target=f"{unit}/{criterion}", score=value)
    session.flush()
    return stored


def send_appraisal(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str, appraiser: str, *,
                   user: Account, at: dt.datetime) -> AppraisalField:
    """Send a field's first appraisal to the unit: unchanged scores are final at once, the
    corrections await the unit's explanation until the end of the period."""
    lines = [ln for ln in unit_lines(session, row, plan, unit) if ln.sub.appraiser == appraiser]
    if not lines:
        raise ServiceError(f"'{appraiser}' không thẩm định tiêu chí nào của {unit}.",
                           f"'{appraiser}' appraises no sub-criterion of {unit}.", status=404)
    require(all(may_appraise(user, ln.sub) for ln in lines))
    _locked(session, row)
    pending = [ln.sub.code for ln in lines if ln.score is None or ln.score.appraised is None]
    if pending:
        raise ServiceError(f"Chưa thẩm định: {', '.join(pending)}.", f"Not appraised yet: {', '.join(pending)}.",
                           status=422)
    field = fields_of(session, row, unit).get(appraiser)
    if field is None:
        field = AppraisalField(plan_id=row.id, unit=unit, appraiser=appraiser)
        session.add(field)
    if field.sent_at is not None:
        raise ServiceError("Đã gửi rồi.", "Already sent.", status=409)
    field.sent_at, field.explanation_due = at, explanation_due(plan, at)
    for ln in lines:
        ln.score.first_appraised, ln.score.first_comment = ln.score.appraised, ln.score.reason
        ln.score.final = ln.score.appraised == ln.score.self_score
    record(session, "appraisal_send", user=user, target=f"{unit}/{appraiser}",
           corrections=sum(1 for ln in lines if not ln.score.final))
    session.flush()
    return field


def _answerable(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str, line: Line,
                at: dt.datetime) -> AppraisalField:
    _locked(session, row)
    field = fields_of(session, row, unit).get(line.sub.appraiser or "")
    if field is None or field.sent_at is None or not line.corrected or line.score.final:
        raise ServiceError("Tiêu chí này không có điều chỉnh nào đang chờ giải trình.",
                           "This sub-criterion has no correction awaiting an explanation.", status=409)
    if at >= aware(field.explanation_due):
        raise ServiceError(f"Đã hết thời hạn giải trình ({aware(field.explanation_due):%d/%m/%Y %H:%M} UTC).",
                           f"The explanation period has ended ({aware(field.explanation_due):%d/%m/%Y %H:%M} UTC).",
                           status=409)
    return field


def answer(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str, criterion: str, *,
           text: str, user: Account, at: dt.datetime) -> AppraisalScore:
    """The unit's answer to a correction (giải trình), within the explanation period."""
    evaluated_unit(plan, unit)
    require(may_self_assess(user, unit))
    line = _line(session, row, plan, unit, criterion)
    _answerable(session, row, plan, unit, line, at)
    body = _text(text, "Phần giải trình", "The explanation")
    if not body:
        raise ServiceError("Hãy viết nội dung giải trình.", "Write the explanation.", status=422)
    line.score.explanation, line.score.explained_at = body, at
    record(session, "explanation", user=user, target=f"{unit}/{criterion}")
    session.flush()
    return line.score


def final_score(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str, criterion: str, *,
                score: Any, reason: str | None, user: Account, at: dt.datetime) -> AppraisalScore:
    """The council's final score of a corrected sub-criterion, with its reason, once the
    unit has answered or its explanation period has ended.  One round only."""
    evaluated_unit(plan, unit)
    line = _line(session, row, plan, unit, criterion)
    require(may_appraise(user, line.sub))
    _locked(session, row)
    field = fields_of(session, row, unit).get(line.sub.appraiser or "")
    if field is None or field.sent_at is None or not line.corrected:
        raise ServiceError("Tiêu chí này không có điều chỉnh nào cần điểm cuối.",
                           "This sub-criterion has no correction that needs a final score.", status=409)
    if line.score.final:
        raise ServiceError("Đã có điểm cuối (một vòng giải trình duy nhất).",
                           "The final score is given already (one explanation round only).", status=409)
    if not line.score.explanation and at < aware(field.explanation_due):
        raise ServiceError(f"Đơn vị còn được giải trình đến {aware(field.explanation_due):%d/%m/%Y %H:%M} UTC.",
                           f"The unit may still explain until {aware(field.explanation_due):%d/%m/%Y %H:%M} UTC.",
                           status=409)
    value = _score_value(score, line.max_points)
    text = _text(reason, "Lý do", "The reason")
    if not text:
        raise ServiceError("Hãy ghi lý do của điểm cuối.", "Give the reason of the final score.", status=422)
    line.score.appraised, line.score.reason, line.score.final = value, text, True
    line.score.updated_by = user.id
    record(session, "appraisal_final", user=user, target=f"{unit}/{criterion}", score=value)
    session.flush()
    return line.score


def finalise_appraisal(session: Session, row: SurveyPlan, *, user: Account | None, at: dt.datetime) -> AppraisalLock:
    """Lock the whole appraisal of the plan: the scores that count are final."""
    if user is not None:
        require(user.role == "admin")
    _locked(session, row)
    lock = session.get(AppraisalLock, row.id) or AppraisalLock(plan_id=row.id)
    lock.finalised_at, lock.finalised_by = at, user.id if user else None
    session.add(lock)
    record(session, "appraisal_finalise", user=user, user_name="" if user else "command line", target=row.code)
    session.flush()
    return lock


def reopen_appraisal(session: Session, row: SurveyPlan, *, reason: str, user: Account | None) -> None:
    """Undo :func:`finalise_appraisal`, with a reason (audited)."""
    if user is not None:
        require(user.role == "admin")
    text = _text(reason, "Lý do", "The reason")
    if not text:
        raise ServiceError("Hãy ghi lý do mở lại.", "Give the reason for reopening.", status=422)
    lock = lock_of(session, row)
    if lock is None:
        raise ServiceError("Kết quả thẩm định chưa được chốt.", "The appraisal is not finalised.", status=409)
    lock.finalised_at = None
    record(session, "appraisal_reopen", user=user, user_name="" if user else "command line",
           target=row.code, reason=text)
    session.flush()


def reopen_unit(session: Session, row: SurveyPlan, plan: sampling.Plan, unit: str, *, days: int,
                reason: str, user: Account, at: dt.datetime) -> AppraisalUnit:
    """Let a unit change its self-assessment again for ``days`` days (admins), audited."""
    require(user.role == "admin")
    evaluated_unit(plan, unit)
    _locked(session, row)
    text = _text(reason, "Lý do", "The reason")
    if not text:
        raise ServiceError("Hãy ghi lý do mở lại.", "Give the reason for reopening.", status=422)
    if not 1 <= days <= 60:
        raise ServiceError("Số ngày mở lại phải từ 1 đến 60.", "Reopen for 1 to 60 days.", status=422)
    state = _state(session, row, unit)
    state.reopened_until = at + dt.timedelta(days=days)
    state.submitted_at = None
    record(session, "self_assessment_reopen", user=user, target=unit, days=days, reason=text)
    session.flush()
    return state
