"""The appraisal pages: a unit's self-assessment and its answers to corrections, the
council's appraisal of its field, the status board and the evidence files (the
self-assessment workbook's pages are in :mod:`.workbook_routes`).

Every right, limit and deadline is the operations' (:mod:`.operations`): a refused
form is shown again with their message and status (403, 404, 409, 413, 422) and
nothing stored; a form that went through redirects.  A form sent without its fields
goes back where it came from.  Admins act for any unit with ``?unit=CODE``.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.security import role_required
from ..core.database import db_session
from ..core.downloads import XLSX, attachment
from ..core.errors import ServiceError
from ..core.i18n import current_lang, t, tr
from ..core.spreadsheets import xlsx_bytes
from ..plans.queries import current_plan, get_plan_row
from . import operations as ops
from . import pages, schedule, storage
from . import queries as q
from .rights import may_oversee, may_self_assess, require

bp = Blueprint("appraisal", __name__, url_prefix="/staff", template_folder="templates")


def plan_or_404():  # type: ignore[no-untyped-def]
    session = db_session()
    row, plan = get_plan_row(session), current_plan(session)
    if row is None or plan is None:
        abort(404)
    return row, plan


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    """Scores and moments as people read them; whether the staff menu shows the board."""
    return {"pts": lambda value: pages.points(value, current_lang()), "when": pages.moment_text,
            "until": pages.last_day, "status_labels": q.STATUS_LABELS, "may_oversee": may_oversee}


def _refused(exc: ServiceError):  # type: ignore[no-untyped-def]
    """A page that may not be shown: the operation's message and status."""
    db_session().rollback()
    return render_template("appraisal/refused.html", message=tr(exc)), exc.status or 400


def _incomplete(target: str):  # type: ignore[no-untyped-def]
    flash(t("Biểu mẫu gửi lên thiếu thông tin; hãy điền lại.",
            "The form was sent incomplete; fill it in again."), "error")
    return redirect(target)


def _limits() -> pages.Limits:
    return pages.Limits(storage.evidence_store(), *storage.limits())


def _failed(exc: ServiceError) -> int:
    """Undo the request's writes and say why; the status to show the page again with."""
    db_session().rollback()
    flash(tr(exc), "error")
    return exc.status or 400


# --------------------------------------------------------------------------- the unit's own pages


def _acting_unit(view: Any) -> Any:
    """Give a unit's page the unit it acts for: a unit account's own (another one asked
    for is refused), an admin's ``?unit=``; an admin who has not chosen yet picks one."""

    @wraps(view)
    def wrapper(**kwargs: Any) -> Any:
        asked = request.args.get("unit") or None
        unit = asked or (current_user.unit if current_user.role == "unit" else None)
        _, plan = plan_or_404()
        if unit is None:
            if request.method == "POST":
                return _incomplete(url_for(request.endpoint or "", **kwargs))
            return render_template("appraisal/pick.html", endpoint=request.endpoint, args=kwargs,
                                   units=pages.evaluated_units(plan))
        try:
            require(may_self_assess(current_user, unit))
            pages.check_unit(plan, unit)
        except ServiceError as exc:
            return _refused(exc)
        return view(unit=unit, **kwargs)

    return wrapper


@bp.route("/appraisal/self", methods=["GET", "POST"])
@role_required("unit")
@_acting_unit
def self_assessment(unit: str):  # type: ignore[no-untyped-def]
    """The unit's self-assessment: deadline, state, each area's progress; POST submits it."""
    row, plan = plan_or_404()
    session, at = db_session(), schedule.now()
    status = 200
    if request.method == "POST":
        if request.form.get("submit") != "1":
            return _incomplete(url_for("appraisal.self_assessment", unit=unit))
        try:
            ops.submit(session, row, plan, unit, user=current_user, at=at)
        except ServiceError as exc:
            status = _failed(exc)
        else:
            flash(t("Đã gửi bản tự đánh giá đến hội đồng thẩm định.",
                    "The self-assessment was sent to the appraisal council."), "notice")
            return redirect(url_for("appraisal.self_assessment", unit=unit))
    return render_template("appraisal/self.html", unit=plan.unit(unit),
                           areas=pages.by_area(q.unit_lines(session, row, plan, unit)),
                           round=pages.unit_round(session, row, plan, unit, at),
                           calendar=pages.calendar(plan, at),
                           corrections=len(pages.corrections(session, row, plan, unit))), status


@bp.route("/appraisal/self/<area>", methods=["GET", "POST"])
@role_required("unit")
@_acting_unit
def self_area(unit: str, area: str):  # type: ignore[no-untyped-def]
    """One area of the unit's self-assessment: self-scores, explanations, evidence files."""
    row, plan = plan_or_404()
    session, at = db_session(), schedule.now()
    try:
        rows = pages.area_rows(session, row, plan, unit, area)
    except ServiceError as exc:
        return _refused(exc)
    status, values = 200, None
    if request.method == "POST":
        try:
            saved, added = pages.save_area(session, row, plan, unit, rows, request.form, request.files,
                                           _limits(), user=current_user, at=at)
        except ServiceError as exc:
            status, values = _failed(exc), request.form
            rows = pages.area_rows(session, row, plan, unit, area)
        else:
            flash(t(f"Đã lưu {saved} tiêu chí và {added} tệp kiểm chứng.",
                    f"Saved {saved} sub-criteria and {added} evidence files."), "notice")
            return redirect(url_for("appraisal.self_area", area=area, unit=unit))
    return render_template("appraisal/self_area.html", unit=plan.unit(unit), rows=rows, values=values,
                           round=pages.unit_round(session, row, plan, unit, at), limits=_limits(),
                           following=pages.next_area(session, row, plan, unit, area)), status


@bp.route("/appraisal/explanation", methods=["GET", "POST"])
@role_required("unit")
@_acting_unit
def explanation(unit: str):  # type: ignore[no-untyped-def]
    """The council's corrections of the unit, each with its answer and new evidence."""
    row, plan = plan_or_404()
    session, at = db_session(), schedule.now()
    status, failed = 200, None
    if request.method == "POST":
        code = request.form.get("criterion")
        if code is None:
            return _incomplete(url_for("appraisal.explanation", unit=unit))
        try:
            saved, added = pages.answer_correction(session, row, plan, unit, code, request.form, request.files,
                                                   _limits(), user=current_user, at=at)
        except ServiceError as exc:
            status, failed = _failed(exc), code
        else:
            flash(t(f"Đã lưu giải trình tiêu chí {code} ({added} tệp mới).",
                    f"Saved the explanation of {code} ({added} new files).") if saved or added else
                  t(f"Không có gì thay đổi ở tiêu chí {code}.", f"Nothing changed for {code}."), "notice")
            return redirect(url_for("appraisal.explanation", unit=unit))
    return render_template("appraisal/explanation.html", unit=plan.unit(unit), at=at,
                           items=pages.corrections(session, row, plan, unit), locked=q.lock_of(session, row),
                           failed=failed, values=request.form if failed else None), status


@bp.get("/appraisal/evidence/<int:file_id>")
@role_required("unit", "council")
def evidence(file_id: int):  # type: ignore[no-untyped-def]
    """One evidence file, always as an attachment: for the unit itself, the council, admins."""
    try:
        file, data = q.evidence_content(db_session(), storage.evidence_store(), file_id, current_user)
    except ServiceError as exc:
        abort(exc.status or 404)
    return attachment(data, file.filename, file.content_type)


# --------------------------------------------------------------------------- the council


def _field_of(plan: Any) -> str | None:
    return pages.choose_field(current_user, plan, request.values.get("field") or None)


@bp.get("/appraisal/council")
@role_required("council")
def council():  # type: ignore[no-untyped-def]
    """A council member's field across every evaluated unit, with each unit's status."""
    row, plan = plan_or_404()
    try:
        field = _field_of(plan)
    except ServiceError as exc:
        return _refused(exc)
    units = pages.field_units(db_session(), row, plan, field) if field else []
    return render_template("appraisal/council.html", plan=plan, field=field, units=units,
                           fields=pages.fields_for(current_user, plan), names=pages.unit_names(plan))


def _council_page(row: Any, plan: Any, unit: str, field: str, status: int = 200,  # type: ignore[no-untyped-def]
                  values: Any = None):
    session = db_session()
    lines = pages.field_lines(session, row, plan, unit, field)
    state, sent = q.unit_state(session, row, unit), q.fields_of(session, row, unit).get(field)
    return render_template(
        "appraisal/council_unit.html", unit=plan.unit(unit), field=field, lines=lines,
        status=q.field_status(state, sent, lines), state=state, sent=sent, at=schedule.now(),
        locked=q.lock_of(session, row), fields=pages.fields_for(current_user, plan),
        names=pages.unit_names(plan), values=values), status


@bp.get("/appraisal/council/<unit>")
@role_required("council")
def council_unit(unit: str):  # type: ignore[no-untyped-def]
    """One unit's rows of the field: self-score, explanation, evidence, the council's forms."""
    row, plan = plan_or_404()
    try:
        pages.check_unit(plan, unit)
        field = _field_of(plan) or pages.no_field()
    except ServiceError as exc:
        return _refused(exc)
    return _council_page(row, plan, unit, field)


def _council_action(unit: str, needed: tuple[str, ...], act: Any, done: Any):  # type: ignore[no-untyped-def]
    """A council form on one unit's field: ``act(session, row, plan, field)`` once the
    fields ``needed`` are there; the page again with the refusal, or back with ``done(result)``."""
    row, plan = plan_or_404()
    back = url_for("appraisal.council_unit", unit=unit, field=request.form.get("field") or None)
    try:
        pages.check_unit(plan, unit)
        if any(request.form.get(name) is None for name in ("field", *needed)):
            return _incomplete(back)
        field = _field_of(plan)
    except ServiceError as exc:
        return _refused(exc)
    try:
        result = act(db_session(), row, plan, field)
    except ServiceError as exc:
        return _council_page(row, plan, unit, field, _failed(exc), request.form)
    flash(t(*done(result)), "notice")
    return redirect(back)


@bp.post("/appraisal/council/<unit>/appraise")
@role_required("council")
def council_appraise(unit: str):  # type: ignore[no-untyped-def]
    """Save the appraised scores and comments of the field's rows."""
    return _council_action(unit, (), lambda session, row, plan, field: pages.appraise_rows(
        session, row, plan, unit, pages.field_lines(session, row, plan, unit, field), request.form,
        user=current_user), lambda saved: (f"Đã lưu điểm thẩm định của {saved} tiêu chí.",
                                           f"Saved the appraisal of {saved} sub-criteria."))


@bp.post("/appraisal/council/<unit>/send")
@role_required("council")
def council_send(unit: str):  # type: ignore[no-untyped-def]
    """Send the field's first appraisal to the unit: its explanation period starts."""
    return _council_action(unit, (), lambda session, row, plan, field: ops.send_appraisal(
        session, row, plan, unit, field, user=current_user, at=schedule.now()),
        lambda _: ("Đã gửi kết quả thẩm định đến đơn vị.", "The appraisal was sent to the unit."))


@bp.post("/appraisal/council/<unit>/final")
@role_required("council")
def council_final(unit: str):  # type: ignore[no-untyped-def]
    """The final score of one corrected row, with its reason."""
    form = request.form
    return _council_action(unit, ("criterion", "score", "reason"), lambda session, row, plan, field: ops.final_score(
        session, row, plan, unit, form["criterion"], score=form["score"], reason=form["reason"],
        user=current_user, at=schedule.now()),
        lambda _: (f"Đã cho điểm cuối tiêu chí {form['criterion']}.",
                   f"Final score of {form['criterion']} given."))


# --------------------------------------------------------------------------- the status board


def _board(status: int = 200):  # type: ignore[no-untyped-def]
    row, plan = plan_or_404()
    session = db_session()
    return render_template("appraisal/board.html", plan=plan, entries=q.board(session, row, plan),
                           fields=pages.appraisers(plan), names=pages.unit_names(plan),
                           calendar=pages.calendar(plan, schedule.now()), lock=q.lock_of(session, row)), status


@bp.get("/appraisal/board")
@role_required("analyst", "council")
def status_board():  # type: ignore[no-untyped-def]
    """Per unit: submitted (late or not), each field's status, explanations pending, final."""
    if not may_oversee(current_user):
        abort(403)
    return _board()


@bp.get("/appraisal/board.xlsx")
@role_required("analyst", "council")
def status_board_xlsx():  # type: ignore[no-untyped-def]
    """The status board as a workbook."""
    if not may_oversee(current_user):
        abort(403)
    row, plan = plan_or_404()
    columns, rows = pages.board_table(db_session(), row, plan, current_lang())
    return attachment(xlsx_bytes({"board": (columns, rows)}), f"tham-dinh-{row.code}.xlsx", XLSX)


def _admin_action(needed: tuple[str, ...], act: Any, done: tuple[str, str]):  # type: ignore[no-untyped-def]
    """An admin's form on the board: ``act(session, row, plan)`` once the fields ``needed``
    are there; the board again with the refusal, or back to it with ``done``."""
    if any(request.form.get(name) is None for name in needed):
        return _incomplete(url_for("appraisal.status_board"))
    row, plan = plan_or_404()
    try:
        act(db_session(), row, plan)
    except ServiceError as exc:
        return _board(_failed(exc))
    flash(t(*done), "notice")
    return redirect(url_for("appraisal.status_board"))


@bp.post("/appraisal/finalise")
@role_required("admin")
def finalise():  # type: ignore[no-untyped-def]
    """Lock the whole appraisal (the box "I confirm" must be ticked)."""
    return _admin_action(("confirm",), lambda session, row, plan: ops.finalise_appraisal(
        session, row, user=current_user, at=schedule.now()),
        ("Đã chốt kết quả thẩm định.", "The appraisal is finalised."))


@bp.post("/appraisal/reopen")
@role_required("admin")
def reopen():  # type: ignore[no-untyped-def]
    """Undo the finalisation, with a reason (audited)."""
    return _admin_action(("reason",), lambda session, row, plan: ops.reopen_appraisal(
        session, row, reason=request.form["reason"], user=current_user),
        ("Đã mở lại kết quả thẩm định.", "The appraisal is open again."))


@bp.post("/appraisal/reopen-unit")
@role_required("admin")
def reopen_unit():  # type: ignore[no-untyped-def]
    """Let one unit change its self-assessment again for some days, with a reason (audited)."""
    unit = request.form.get("unit", "")
    return _admin_action(("unit", "days", "reason"), lambda session, row, plan: ops.reopen_unit(
        session, row, plan, unit, days=pages.whole_days(request.form.get("days")),
        reason=request.form["reason"], user=current_user, at=schedule.now()),
        (f"Đã mở lại bản tự đánh giá của {unit}.", f"The self-assessment of {unit} is open again."))


# The self-assessment workbook (the Excel way) has its pages on the same blueprint.
from . import workbook_routes  # noqa: E402,F401
