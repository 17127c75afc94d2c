"""The citizens' survey pages: rosters, the draw and the purge (admins), the delivery list
with its downloads and the outcome of each slot (admins and the post office).

Personal data is shown on the delivery page and in its downloads only; analysts, units
and council members get 403 on every page here.  A refused action shows the
operation's message with its status (404, 409, 413, 415, 422) and stores nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from flask import (
    Blueprint,
    after_this_request,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

import sampling
from questionnaires.problems import DataFileError
from sampling.slots import parse_slot_code, status_label

from ..accounts.security import role_required
from ..core.audit import record
from ..core.database import db_session, get_db
from ..core.downloads import XLSX, attachment
from ..core.errors import ServiceError
from ..core.i18n import current_lang, t, tr
from ..respondent.operations import PROVINCE_TZ
from . import delivery as files
from .operations import MAX_ROSTER_BYTES, draw, group_seed, import_roster, purge
from .outcomes import OUTCOME_LABELS, OUTCOMES, record_outcome
from .queries import communes, delivery_rows, roster_lines, sampled_group, sampled_round
from .storage import erase_freed_space

bp = Blueprint("citizens", __name__, url_prefix="/staff/citizens", template_folder="templates")

#: Who may see and act on the delivery list (admin may do everything).
DELIVERY_ROLES = ("postoffice",)

#: Outcome buttons, in words.


def _today() -> dt.date:
    return dt.datetime.now(PROVINCE_TZ).date()


def _refused(exc: ServiceError) -> Any:
    db_session().rollback()
    return render_template("message.html", heading=t("Không thực hiện được", "Not done"), text=tr(exc),
                           css="error"), exc.status or 400


def _round(group: str | None = None) -> tuple[Any, sampling.Plan]:
    """The round of the page (raises ServiceError 404 without a sampled group)."""
    row, plan = sampled_round(db_session(), group or None, None)
    return row, plan


# --------------------------------------------------------------------------- rosters (admins)


def _incomplete(endpoint: str, **args: Any) -> Any:
    """A form sent without its fields: back where it came from, saying so."""
    flash(t("Biểu mẫu gửi lên thiếu thông tin; hãy điền lại.",
            "The form was sent incomplete; fill it in again."), "error")
    return redirect(url_for(endpoint, **args))


def _overview(problems: Any = None, status: int = 200) -> Any:
    try:
        row, plan = _round()
    except ServiceError as exc:  # no round with a sampled group: say how to load one
        return render_template("citizens/overview.html", row=None, missing=tr(exc)), status
    session = db_session()
    sections = []
    for grp in plan.sampled_groups():
        lines = {line.unit: line for line in roster_lines(session, row, grp.code)}
        sections.append({"group": grp, "units": plan.sampled_units(grp), "lines": lines,
                         "seed": group_seed(session, row, grp.code),
                         "drawn": any(x.drawn_at for x in lines.values()),
                         "purged": any(x.purged_at for x in lines.values())})
    return render_template("citizens/overview.html", row=row, plan=plan, sections=sections,
                           problems=problems, max_mb=MAX_ROSTER_BYTES // 2**20), status


@bp.get("")
@role_required()
def overview():  # type: ignore[no-untyped-def]
    """The sampled groups, their rosters in numbers, and the forms to import, draw, purge."""
    return _overview()


@bp.post("/roster")
@role_required()
def upload_roster():  # type: ignore[no-untyped-def]
    """Import one unit's roster (CSV or XLSX); problems by line, nothing stored on error."""
    group, unit = request.form.get("group", ""), request.form.get("unit", "")
    upload = request.files.get("file")
    if not (group and unit):
        return _incomplete("citizens.overview")
    if upload is None or not upload.filename:
        flash(t("Hãy chọn tệp danh sách (CSV hoặc XLSX).", "Choose the roster file (CSV or XLSX)."), "error")
        return redirect(url_for("citizens.overview"))
    session = db_session()
    try:
        row, plan = _round(group)
        roster = import_roster(session, row, plan, group, unit, upload.stream.read(MAX_ROSTER_BYTES + 1),
                               filename=upload.filename, user=current_user)
    except DataFileError as exc:
        session.rollback()
        return _overview(problems=exc.problems, status=422)
    except ServiceError as exc:
        session.rollback()
        flash(tr(exc), "error")
        return _overview(status=exc.status or 400)
    flash(t(f"Đã nhập danh sách {roster.size} hồ sơ của {unit} (nhóm {group}).",
            f"Imported the roster of {roster.size} dossiers of {unit} (group {group})."), "notice")
    return redirect(url_for("citizens.overview"))


@bp.post("/draw")
@role_required()
def draw_sample():  # type: ignore[no-untyped-def]
    """Draw the sample and reserve of a group's rosters (seed typed, or random and kept)."""
    group = request.form.get("group", "")
    typed = request.form.get("seed", "").strip()
    if not group:
        return _incomplete("citizens.overview")
    session = db_session()
    try:
        row, plan = _round(group)
        if typed and not (typed.isdigit() and len(typed) <= 18):
            raise ServiceError("Hạt giống phải là một số nguyên không âm (tối đa 18 chữ số).",
                               "The seed must be a whole number >= 0 (at most 18 digits).", status=422)
        seed = int(typed) if typed else group_seed(session, row, group)
        report = draw(session, row, plan, group, seed=secrets.randbelow(10**9) if seed is None else seed,
                      user=current_user)
    except ServiceError as exc:
        session.rollback()
        flash(tr(exc), "error")
        return _overview(status=exc.status or 400)
    flash(t(f"Đã chọn mẫu nhóm {group} với hạt giống {report.seed}: {report.slots} phiếu.",
            f"Drew group {group} with seed {report.seed}: {report.slots} slots."), "notice")
    return redirect(url_for("citizens.overview"))


@bp.post("/purge")
@role_required()
def purge_rosters():  # type: ignore[no-untyped-def]
    """Delete the personal data of a group for good (the group code typed to confirm)."""
    group = request.form.get("group", "")
    if not group:
        return _incomplete("citizens.overview")
    if request.form.get("confirm", "").strip() != group:
        flash(t(f"Hãy gõ đúng mã nhóm ({group}) để xác nhận xóa; chưa xóa gì.",
                f"Type the group code ({group}) to confirm the purge; nothing was deleted."), "error")
        return redirect(url_for("citizens.overview"))
    session = db_session()
    try:
        row, plan = _round(group)
        report = purge(session, row, plan, group, user=current_user)
    except ServiceError as exc:
        session.rollback()
        flash(tr(exc), "error")
        return _overview(status=exc.status or 400)
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    @after_this_request
    def _erase(response: Any) -> Any:  # after the request's commit
        if not erase_freed_space(get_db(app).engine):
            app.logger.warning("roster purge of group %s: the storage could not be rewritten yet (the "
                               "database was busy); purge the group again to retry", group)
        return response

    flash(t(f"Đã xóa vĩnh viễn {report.people} người trong danh sách của nhóm {group}.",
            f"Deleted {report.people} people of group {group}'s rosters for good."), "notice")
    return redirect(url_for("citizens.overview"))


# --------------------------------------------------------------------------- delivery


def _delivery_args() -> tuple[Any, sampling.Plan, str, str | None, str | None]:
    """Round, plan, group, unit and commune of a delivery request (ServiceError if wrong)."""
    group = request.values.get("group") or None
    row, plan = _round(group)
    group = group or plan.sampled_groups()[0].code
    grp = sampled_group(plan, group)
    unit = request.values.get("unit") or None
    if unit is not None and unit not in {u.code for u in plan.sampled_units(grp)}:
        raise ServiceError(f"Đơn vị '{unit}' không được chọn mẫu trong nhóm {group}.",
                           f"Unit '{unit}' is not sampled in group {group}.", status=404)
    commune = request.values.get("commune")
    return row, plan, group, unit, commune if commune is not None and commune != "*" else None


def _delivery_page(status: int = 200) -> Any:
    try:
        row, plan, group, unit, commune = _delivery_args()
    except ServiceError as exc:
        if exc.status == 404 and not (request.values.get("group") or request.values.get("unit")):
            # No round with a sampled group: say how to load one.
            return render_template("citizens/delivery.html", row=None, missing=tr(exc)), status
        return _refused(exc)
    base = current_app.config["BASE_URL"]
    session = db_session()
    everyone = delivery_rows(session, row, group, base, unit=unit)
    # The people are listed unit by unit (a whole group is for the downloads).
    rows = [r for r in everyone if commune is None or r.commune == commune] if unit else []
    replaced = delivery_rows(session, row, group, base, unit=unit, commune=commune,
                             replaced=True) if unit else []
    return render_template("citizens/delivery.html", row=row, plan=plan, group=group, unit=unit,
                           commune=commune, rows=rows, replaced=replaced, communes=communes(everyone),
                           outcomes=[(o, OUTCOME_LABELS[o]) for o in OUTCOMES], today=_today(),
                           outcome_labels=OUTCOME_LABELS,
                           status_name=lambda status: status_label(status).get(current_lang()),
                           units=plan.sampled_units(plan.group(group))), status


@bp.get("/delivery")
@role_required(*DELIVERY_ROLES)
def delivery():  # type: ignore[no-untyped-def]
    """The people to deliver to, by unit and commune, with the outcome buttons of each slot."""
    return _delivery_page()


@bp.get("/delivery.<fmt>")
@role_required(*DELIVERY_ROLES)
def delivery_download(fmt: str):  # type: ignore[no-untyped-def]
    """The delivery list as PDF, XLSX or CSV, or the cards in its order (``delivery.cards``)."""
    if fmt not in ("pdf", "xlsx", "csv", "cards"):
        return _refused(ServiceError("Không có dạng tệp này.", "There is no such format.", status=404))
    try:
        row, plan, group, unit, commune = _delivery_args()
    except ServiceError as exc:
        return _refused(exc)
    base, session, lang = current_app.config["BASE_URL"], db_session(), current_lang()
    rows = delivery_rows(session, row, group, base, unit=unit, commune=commune)
    record(session, "export_delivery", user=current_user, target=f"{row.code}/{group}/{unit or '*'}",
           format=fmt, people=len(rows))
    name = f"giao-phat-{group}-{unit or 'tat-ca'}".replace(".", "")
    if fmt == "xlsx":
        replaced = delivery_rows(session, row, group, base, unit=unit, commune=commune, replaced=True)
        return attachment(files.delivery_xlsx(rows, replaced), f"{name}.xlsx", XLSX)
    if fmt == "csv":
        return attachment(files.delivery_csv(rows), f"{name}.csv", "text/csv")
    if fmt == "cards":
        return attachment(files.cards_in_order(rows, plan, group, lang=lang), f"the-{name}.pdf",
                          "application/pdf")
    return attachment(files.delivery_pdf(rows, plan, group, lang=lang), f"{name}.pdf", "application/pdf")


@bp.post("/delivery/outcome")
@role_required(*DELIVERY_ROLES)
def record_delivery_outcome():  # type: ignore[no-untyped-def]
    """Record one slot's outcome; an unreachable or refusing person is replaced by the
    next reserve (409 and nothing changed when none is left)."""
    typed = request.form.get("slot", "")
    code = parse_slot_code(typed)
    outcome = request.form.get("outcome", "")
    if not (typed and outcome):
        return _incomplete("citizens.delivery")
    session = db_session()
    try:
        row, _plan, _group, _unit, _commune = _delivery_args()
        if code is None:
            raise ServiceError("Mã phiếu không đúng.", "The slot code is not valid.", status=404)
        try:
            on_date = dt.date.fromisoformat(request.form.get("on_date", ""))
        except ValueError:
            on_date = _today()
        report = record_outcome(session, row, code, outcome, reason=request.form.get("reason", ""),
                                on_date=on_date, user=current_user)
    except ServiceError as exc:
        session.rollback()
        flash(tr(exc), "error")
        return _delivery_page(status=exc.status or 400)
    vi, en = OUTCOME_LABELS[outcome]
    if report.replacement:
        flash(t(f"Phiếu {code}: {vi.lower()}; người dự phòng số {report.reserve_order} thay thế với phiếu "
                f"mới {report.replacement}.",
                f"Slot {code}: {en.lower()}; reserve no. {report.reserve_order} takes the place with the "
                f"new slot {report.replacement}."), "notice")
    else:
        flash(t(f"Phiếu {code}: {vi.lower()}.", f"Slot {code}: {en.lower()}."), "notice")
    return redirect(url_for("citizens.delivery", group=request.form.get("group") or None,
                            unit=request.form.get("unit") or None,
                            commune=request.form.get("commune")))
