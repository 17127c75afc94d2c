"""The appraisal round in the JSON API: ``/api/v1/appraisal/...``.

For the province's document system: read a unit's rows, set a self-score, attach
evidence, submit, appraise, send a field, answer a correction, give the final score,
finalise, the status board and the evidence downloads.  Each route lets through the
roles that can reach it (:func:`require_key`) and calls the same operation as the pages,
which checks the finer rights (which unit, which council field) and the state of the
round, so the API refuses the same things with the same status and message:
``{"error": {"vi": ..., "en": ...}, "status": ...}``.  Every answer is JSON but the
evidence download, always an attachment.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

import sampling
from questionnaires.answers import FORBIDDEN_CHARACTERS_RE

from ..accounts.security import require_key
from ..core.api import ERROR, PREFIX, json_error
from ..core.database import db_session
from ..core.downloads import attachment
from ..core.errors import BilingualError, ServiceError, status_of
from ..core.models import SurveyPlan
from ..plans.queries import current_plan, get_plan_row
from . import schedule
from .documents import board_document, file_document, iso, unit_document
from .evidence import check_upload
from .operations import (
    add_evidence,
    answer,
    appraise,
    final_score,
    finalise_appraisal,
    send_appraisal,
    set_self_score,
    submit,
)
from .queries import evaluated_unit, evidence_content, unit_lines
from .rights import may_oversee, may_read, may_self_assess, require
from .storage import evidence_store, limits

bp = Blueprint("api_appraisal", __name__, url_prefix=PREFIX)

#: Scores are small numbers; anything beyond this is refused before any arithmetic.
_LARGEST = 1e6


@bp.errorhandler(BilingualError)
def _refused(exc: BilingualError) -> Response:
    """An operation refused (the session was rolled back): its status and message."""
    return json_error(status_of(exc), exc.message("vi"), exc.message("en"))


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    """Every other refusal of this API as JSON too (a bad multipart body, a bad path)."""
    status = exc.code or 500
    return json_error(status, f"Yêu cầu không thực hiện được ({status} {exc.name}).",
                      f"The request cannot be done ({status} {exc.name}).")


# --------------------------------------------------------------------------- reading requests


def _context() -> tuple[Any, SurveyPlan, sampling.Plan]:
    session = db_session()
    row, plan = get_plan_row(session), current_plan(session)
    if row is None or plan is None:
        raise ServiceError("Chưa nạp kế hoạch khảo sát (survey-service init).",
                           "No survey plan is loaded (survey-service init).", status=404)
    return session, row, plan


def _body() -> dict[str, Any]:
    """The request's JSON object (415 if the body is not JSON, 400 if it is not an object)."""
    if not request.is_json:
        raise ServiceError("Nội dung gửi lên phải là JSON (Content-Type: application/json).",
                           "The body must be JSON (Content-Type: application/json).", status=415)
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested too deep for the parser
        data = None
    if not isinstance(data, dict):
        raise ServiceError("Nội dung gửi lên không phải là một đối tượng JSON hợp lệ.",
                           "The body is not a valid JSON object.", status=400)
    return data


def _number(body: dict[str, Any], key: str, *, nullable: bool = False) -> float | None:
    """``body[key]``: a JSON number (null too where ``nullable``); 422 otherwise."""
    if key not in body and not nullable:
        raise ServiceError(f"Thiếu trường '{key}'.", f"The field '{key}' is missing.", status=422)
    value = body.get(key)
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not abs(value) <= _LARGEST:
        raise ServiceError(f"Trường '{key}' phải là một số.", f"The field '{key}' must be a number.",
                           status=422)
    return float(value)


def _string(body: dict[str, Any], key: str, *, required: bool) -> str | None:
    """``body[key]``: a text without control characters; 422 otherwise."""
    value = body.get(key)
    if value is None:
        if required:
            raise ServiceError(f"Thiếu trường '{key}'.", f"The field '{key}' is missing.", status=422)
        return None
    if not isinstance(value, str):
        raise ServiceError(f"Trường '{key}' phải là một chuỗi văn bản.", f"The field '{key}' must be a string.",
                           status=422)
    if FORBIDDEN_CHARACTERS_RE.search(value):
        raise ServiceError(f"Trường '{key}' chứa ký tự điều khiển không được phép.",
                           f"The field '{key}' holds a control character, which is not allowed.", status=422)
    return value


def _row_answer(session: Any, row: SurveyPlan, plan: sampling.Plan, unit: str, criterion: str) -> Response:
    """The answer of a write: the row as it is now, as the writer may see it."""
    rows = unit_document(session, row, plan, unit, g.api_user)["rows"]
    return jsonify(next(r for r in rows if r["code"] == criterion))


# --------------------------------------------------------------------------- the routes


@bp.get("/appraisal/units/<unit>")
@require_key("unit", "council")
def unit_rows(unit: str):  # type: ignore[no-untyped-def]
    """A unit's rows: self-scores, explanations, appraisal, answers, final scores, files."""
    session, row, plan = _context()
    evaluated_unit(plan, unit)
    require(may_read(g.api_user, unit))
    return jsonify(unit_document(session, row, plan, unit, g.api_user))


@bp.put("/appraisal/units/<unit>/rows/<criterion>")
@require_key("unit")
def set_row(unit: str, criterion: str):  # type: ignore[no-untyped-def]
    """The unit's self-score and explanation of one sub-criterion."""
    session, row, plan = _context()
    body = _body()
    if "self_score" not in body:
        raise ServiceError("Thiếu trường 'self_score' (null để xóa điểm).",
                           "The field 'self_score' is missing (null clears the score).", status=422)
    score = _number(body, "self_score", nullable=True)
    explanation = _string(body, "explanation", required=False)
    set_self_score(session, row, plan, unit, criterion, score=score, explanation=explanation,
                   user=g.api_user, at=schedule.now())
    return _row_answer(session, row, plan, unit, criterion)


@bp.post("/appraisal/units/<unit>/rows/<criterion>/evidence")
@require_key("unit")
def add_file(unit: str, criterion: str):  # type: ignore[no-untyped-def]
    """Attach an evidence file (multipart field ``file``; ``stage`` self or explanation)."""
    session, row, plan = _context()
    evaluated_unit(plan, unit)
    require(may_self_assess(g.api_user, unit))  # before the file is even looked at
    stage = request.form.get("stage") or "self"
    if stage not in ("self", "explanation"):
        raise ServiceError("'stage' phải là 'self' hoặc 'explanation'.",
                           "'stage' must be 'self' or 'explanation'.", status=422)
    upload = request.files.get("file")
    if upload is None:
        raise ServiceError("Thiếu tệp (trường 'file' của biểu mẫu multipart).",
                           "No file (the multipart field 'file').", status=400)
    file_bytes, unit_bytes = limits(current_app)
    checked = check_upload(upload.stream.read(file_bytes + 1), upload.filename or "", max_bytes=file_bytes)
    stored = add_evidence(session, evidence_store(current_app), row, plan, unit, criterion, checked,
                          stage=stage, user=g.api_user, at=schedule.now(), unit_limit=unit_bytes)
    return jsonify(file_document(stored)), 201


@bp.post("/appraisal/units/<unit>/submit")
@require_key("unit")
def submit_unit(unit: str):  # type: ignore[no-untyped-def]
    """Send the unit's self-assessment to the council."""
    session, row, plan = _context()
    state = submit(session, row, plan, unit, user=g.api_user, at=schedule.now())
    return jsonify({"unit": unit, "submitted_at": iso(state.submitted_at), "late": state.late})


@bp.post("/appraisal/units/<unit>/rows/<criterion>/appraisal")
@require_key("council")
def appraise_row(unit: str, criterion: str):  # type: ignore[no-untyped-def]
    """The council's first appraisal of a sub-criterion: score, and a comment where corrected."""
    session, row, plan = _context()
    body = _body()
    score = _number(body, "score")
    comment = _string(body, "comment", required=False)
    appraise(session, row, plan, unit, criterion, score=score, comment=comment, user=g.api_user)
    return _row_answer(session, row, plan, unit, criterion)


@bp.post("/appraisal/units/<unit>/fields/<appraiser>/send")
@require_key("council")
def send_field(unit: str, appraiser: str):  # type: ignore[no-untyped-def]
    """Send a council field's first appraisal of a unit: the explanation period starts."""
    session, row, plan = _context()
    evaluated_unit(plan, unit)
    field = send_appraisal(session, row, plan, unit, appraiser, user=g.api_user, at=schedule.now())
    lines = [ln for ln in unit_lines(session, row, plan, unit) if ln.sub.appraiser == appraiser]
    return jsonify({"unit": unit, "appraiser": appraiser, "sent_at": iso(field.sent_at),
                    "explanation_due": iso(field.explanation_due),
                    "corrections": [ln.sub.code for ln in lines if ln.corrected]})


@bp.post("/appraisal/units/<unit>/rows/<criterion>/answer")
@require_key("unit")
def answer_row(unit: str, criterion: str):  # type: ignore[no-untyped-def]
    """The unit's answer to a correction (giải trình), within the explanation period."""
    session, row, plan = _context()
    text = _string(_body(), "text", required=True)
    answer(session, row, plan, unit, criterion, text=text or "", user=g.api_user, at=schedule.now())
    return _row_answer(session, row, plan, unit, criterion)


@bp.post("/appraisal/units/<unit>/rows/<criterion>/final")
@require_key("council")
def final_row(unit: str, criterion: str):  # type: ignore[no-untyped-def]
    """The council's final score of a correction, with its reason."""
    session, row, plan = _context()
    body = _body()
    score = _number(body, "score")
    reason = _string(body, "reason", required=True)
    final_score(session, row, plan, unit, criterion, score=score, reason=reason, user=g.api_user,
                at=schedule.now())
    return _row_answer(session, row, plan, unit, criterion)


@bp.post("/appraisal/finalise")
@require_key()
def finalise():  # type: ignore[no-untyped-def]
    """Lock the whole appraisal (admins): the final scores count, nothing changes any more."""
    session, row, plan = _context()
    lock = finalise_appraisal(session, row, user=g.api_user, at=schedule.now())
    return jsonify({"plan": plan.code, "finalised": True, "finalised_at": iso(lock.finalised_at)})


@bp.get("/appraisal/board")
@require_key("analyst", "council")
def status_board():  # type: ignore[no-untyped-def]
    """Per unit: submitted (late or not), each field's status, explanations pending, final."""
    session, row, plan = _context()
    require(may_oversee(g.api_user))
    return jsonify(board_document(session, row, plan))


@bp.get("/appraisal/evidence/<file_id>")
@require_key("unit", "council")
def evidence(file_id: str):  # type: ignore[no-untyped-def]
    """An evidence file, as an attachment: for the unit itself, the council and admins."""
    session, row, _ = _context()
    number = int(file_id) if re.fullmatch(r"[0-9]{1,9}", file_id) else 0
    file, data = evidence_content(session, evidence_store(current_app), number, g.api_user,
                                  plan_id=row.id)
    return attachment(data, file.filename, file.content_type)


# --------------------------------------------------------------------------- the OpenAPI document


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"description": description or "OK", "content": {"application/json": {"schema": schema}}}


def _obj(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


_STR, _NUM, _INT, _BOOL = {"type": "string"}, {"type": "number"}, {"type": "integer"}, {"type": "boolean"}
_NULL_NUM, _NULL_STR = {"type": ["number", "null"]}, {"type": ["string", "null"]}
_WHEN = {"type": ["string", "null"], "format": "date-time"}
_PARAMS = {name: {"name": name, "in": "path", "required": True, "schema": _STR, "description": text}
           for name, text in (("unit", "code of an evaluated unit"), ("criterion", "appraisal sub-criterion"),
                              ("appraiser", "council member (unit code)"), ("file_id", "evidence file id"))}


def _op(summary: str, ok: dict[str, Any], params: tuple[str, ...] = (), body: Any = None,
        errors: tuple[int, ...] = (401, 403, 404)) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "parameters": [_PARAMS[p] for p in params],
                          "responses": {**ok, **{str(code): ERROR for code in errors}}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": body}
    return op


def _body_of(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(name)}}


_ROW = {"200": _json(_ref("AppraisalRow"), "The row as it is now")}
_WRITE = (400, 401, 403, 404, 409, 413, 415, 422)

OPENAPI: dict[str, Any] = {
    "schemas": {
        "EvidenceFile": _obj(["id", "name", "type", "size", "stage"], id=_INT, name=_STR, type=_STR,
                             size=_INT, stage={"type": "string", "enum": ["self", "explanation"]},
                             sha256=_STR, uploaded_at=_WHEN),
        "AppraisalRow": _obj(
            ["code", "max", "self_score", "appraised", "final", "files"],
            code=_STR, name=_obj(["vi", "en"], vi=_STR, en=_STR), area=_STR, criterion=_STR, max=_NUM,
            appraiser=_STR, evidence_required=_BOOL, self_score=_NULL_NUM,
            explanation={**_STR, "description": "the unit's explanation of its self-score"},
            appraised={**_NULL_NUM, "description": "the council's current score (first, then final)"},
            first_appraised=_NULL_NUM, comment={**_STR, "description": "the council's first comment"},
            corrected=_BOOL, answer={**_STR, "description": "the unit's answer to a correction"},
            answered_at=_WHEN, final={**_NULL_NUM, "description": "the final score; null until final"},
            final_reason=_STR, files={"type": "array", "items": _ref("EvidenceFile")}),
        "AppraisalUnit": _obj(
            ["unit", "submitted_at", "late", "finalised", "fields", "rows"],
            unit=_STR, name=_STR, kind=_STR, submitted_at=_WHEN, late=_BOOL, reopened_until=_WHEN,
            finalised=_BOOL,
            fields={"type": "array", "items": _obj(
                ["appraiser", "status"], appraiser=_STR, sent_at=_WHEN, explanation_due=_WHEN,
                status={"type": "string", "enum": ["not_submitted", "submitted", "appraised",
                                                   "explanation_asked", "final"]})},
            rows={"type": "array", "items": _ref("AppraisalRow")}),
        "SelfScore": _obj(["self_score"], self_score={**_NULL_NUM, "description": "0 ... max; null clears"},
                          explanation={**_NULL_STR, "description": "omitted or null: unchanged"}),
        "Appraisal": _obj(["score"], score=_NUM, comment={**_STR, "description": "required if corrected"}),
        "Answer": _obj(["text"], text=_STR),
        "FinalScore": _obj(["score", "reason"], score=_NUM, reason=_STR),
        "Board": _obj(
            ["plan", "finalised", "deadlines", "units"], plan=_STR, finalised=_BOOL, finalised_at=_WHEN,
            deadlines={"type": "object", "additionalProperties": _obj(["date", "days_left"], date=_STR,
                                                                       days_left=_INT)},
            units={"type": "array", "items": _obj(
                ["unit", "submitted_at", "late", "fields", "final"], unit=_STR, name=_STR, kind=_STR,
                submitted_at=_WHEN, late=_BOOL, explanations_pending=_INT, final=_BOOL,
                fields={"type": "object", "additionalProperties": _STR})}),
    },
    "paths": {
        "/appraisal/units/{unit}": {"get": _op(
            "A unit's rows (the unit itself, the council, admins)", {"200": _json(_ref("AppraisalUnit"))},
            ("unit",))},
        "/appraisal/units/{unit}/rows/{criterion}": {"put": _op(
            "Set the unit's self-score and explanation (the unit, admins)", _ROW, ("unit", "criterion"),
            _body_of("SelfScore"), _WRITE)},
        "/appraisal/units/{unit}/rows/{criterion}/evidence": {"post": _op(
            "Attach an evidence file (the unit, admins)", {"201": _json(_ref("EvidenceFile"))},
            ("unit", "criterion"), {"multipart/form-data": {"schema": _obj(
                ["file"], file={"type": "string", "contentMediaType": "application/octet-stream"},
                stage={"type": "string", "enum": ["self", "explanation"], "default": "self"})}}, _WRITE)},
        "/appraisal/units/{unit}/submit": {"post": _op(
            "Submit the self-assessment (the unit, admins)", {"200": _json(_obj(
                ["unit", "submitted_at", "late"], unit=_STR, submitted_at=_WHEN, late=_BOOL))},
            ("unit",), None, (401, 403, 404, 409, 422))},
        "/appraisal/units/{unit}/rows/{criterion}/appraisal": {"post": _op(
            "The council's first appraisal of a row (its field, the standing body, admins)", _ROW,
            ("unit", "criterion"), _body_of("Appraisal"), _WRITE)},
        "/appraisal/units/{unit}/fields/{appraiser}/send": {"post": _op(
            "Send a field's first appraisal to the unit", {"200": _json(_obj(
                ["unit", "appraiser", "sent_at", "explanation_due", "corrections"], unit=_STR,
                appraiser=_STR, sent_at=_WHEN, explanation_due=_WHEN,
                corrections={"type": "array", "items": _STR}))},
            ("unit", "appraiser"), None, (401, 403, 404, 409, 422))},
        "/appraisal/units/{unit}/rows/{criterion}/answer": {"post": _op(
            "The unit's answer to a correction (the unit, admins)", _ROW, ("unit", "criterion"),
            _body_of("Answer"), _WRITE)},
        "/appraisal/units/{unit}/rows/{criterion}/final": {"post": _op(
            "The council's final score of a correction, with its reason", _ROW, ("unit", "criterion"),
            _body_of("FinalScore"), _WRITE)},
        "/appraisal/finalise": {"post": _op(
            "Finalise the whole appraisal (admins)", {"200": _json(_obj(
                ["plan", "finalised", "finalised_at"], plan=_STR, finalised=_BOOL, finalised_at=_WHEN))},
            (), None, (401, 403, 404, 409))},
        "/appraisal/board": {"get": _op(
            "The status board (admins, analysts, the standing body)", {"200": _json(_ref("Board"))})},
        "/appraisal/evidence/{file_id}": {"get": _op(
            "Download an evidence file as an attachment (the unit, the council, admins)",
            {"200": {"description": "The file", "headers": {"Content-Disposition": {"schema": _STR}},
                     "content": {"application/octet-stream": {"schema": {
                         "type": "string", "contentMediaType": "application/octet-stream"}}}}},
            ("file_id",))},
    },
}
