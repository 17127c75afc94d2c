"""Staff pages: slots and cards, hand-out, void and replace, paper entry, progress,
audit log and users.  Every page needs a signed-in user with the right role."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from sampling.slots import SlotStatus, parse_slot_code

from . import db_session
from .auth import role_required
from .i18n import current_lang, t
from .models import AuditEntry, QuotaPlace, RespondentGroup, Slot, Unit, User
from .respondent.pages import (
    INTRO,
    REVIEW,
    UNKNOWN_UNIT_FIELD,
    RatedUnit,
    answer_key,
    build_pages,
    depends_on_page,
    field_suffix,
    missing_answers,
    read_page,
    shown,
)
from .services.fieldwork import FieldworkError, audit, hand_out, void_and_replace
from .services.plans import current_plan, get_plan_row
from .services.progress import progress
from .services.responses import PROVINCE_TZ, finalise
from .services.slots import SLOT_COLUMNS, iter_slots
from .services.users import ROLES, UserError, add_user

bp = Blueprint("staff", __name__, url_prefix="/staff")

FIELD_ROLES = ("postoffice",)  # admin may do everything
READ_ROLES = ("postoffice", "analyst")


def _today() -> dt.date:
    return dt.datetime.now(PROVINCE_TZ).date()


def _plan_or_404():  # type: ignore[no-untyped-def]
    session = db_session()
    row, plan = get_plan_row(session), current_plan(session)
    if row is None or plan is None:
        abort(404)
    return row, plan


def _error(exc: Exception) -> str:
    messages = getattr(exc, "messages", None) or {"vi": str(exc), "en": str(exc)}
    return messages["en" if current_lang() == "en" else "vi"]


# --------------------------------------------------------------------------- slots


@bp.get("/slots")
@role_required(*READ_ROLES)
def slots():  # type: ignore[no-untyped-def]
    """Slots of a group and/or unit, with the bulk actions of the post office."""
    row, plan = _plan_or_404()
    group, unit = request.args.get("group") or None, request.args.get("unit") or None
    listed = list(iter_slots(db_session(), row, current_app.config["BASE_URL"], group=group,
                             unit=unit, include_voided=True)) if (group or unit) else []
    return render_template("staff/slots.html", plan=plan, group=group, unit=unit, slots=listed,
                           today=_today(), can_act=current_user.role in ("admin", *FIELD_ROLES))


def _selected_ids(row_id: int) -> list[int]:
    """Slot ids of the ticked boxes, or of the whole filtered selection."""
    session = db_session()
    if request.form.get("all") == "1":
        group, unit = request.form.get("group") or None, request.form.get("unit") or None
        if not (group or unit):
            return []
        parent = Unit.__table__.alias("parent_unit")
        query = (select(Slot.id).join(QuotaPlace, Slot.place_id == QuotaPlace.id)
                 .join(RespondentGroup, QuotaPlace.group_id == RespondentGroup.id)
                 .outerjoin(Unit, QuotaPlace.unit_id == Unit.id)
                 .outerjoin(parent, Unit.parent_id == parent.c.id)
                 .where(Slot.plan_id == row_id))
        if group:
            query = query.where(RespondentGroup.code == group)
        if unit:
            query = query.where((Unit.code == unit) | (parent.c.code == unit))
        return list(session.scalars(query))
    codes = request.form.getlist("slot")
    return list(session.scalars(select(Slot.id).where(Slot.plan_id == row_id, Slot.code.in_(codes))))


def _form_date() -> dt.date:
    try:
        return dt.date.fromisoformat(request.form.get("on_date", ""))
    except ValueError:
        return _today()


@bp.post("/slots/hand-out")
@role_required(*FIELD_ROLES)
def record_hand_out():  # type: ignore[no-untyped-def]
    """Record the selected slots as handed out."""
    row, _ = _plan_or_404()
    ids = _selected_ids(row.id)
    back = url_for("staff.slots", group=request.form.get("group") or None,
                   unit=request.form.get("unit") or None)
    if not ids:
        flash(t("Chưa chọn phiếu nào.", "No slot selected."), "error")
        return redirect(back)
    session = db_session()
    try:
        result = hand_out(session, ids, contact=request.form.get("contact", ""),
                          on_date=_form_date(), user=current_user)
    except FieldworkError as exc:
        session.rollback()
        flash(_error(exc), "error")
        return redirect(back)
    session.commit()
    flash(t(f"Đã ghi nhận phát {len(result.done)} phiếu; {len(result.skipped)} phiếu không ở trạng thái "
            "'chưa phát' nên giữ nguyên.",
            f"Recorded {len(result.done)} slots as handed out; {len(result.skipped)} were not "
            "'issued' and stay as they are."), "notice")
    return redirect(back)


@bp.post("/slots/void")
@role_required(*FIELD_ROLES)
def record_void():  # type: ignore[no-untyped-def]
    """Void the selected (lost or spoiled) cards and issue replacements."""
    row, _ = _plan_or_404()
    ids = _selected_ids(row.id) if request.form.get("all") != "1" else []
    back = url_for("staff.slots", group=request.form.get("group") or None,
                   unit=request.form.get("unit") or None)
    if not ids:
        flash(t("Hãy đánh dấu từng phiếu cần hủy (không hủy theo cả nhóm).",
                "Tick each card to void (voiding a whole selection is not allowed)."), "error")
        return redirect(back)
    session = db_session()
    made, refused = [], []
    for slot_id in ids:
        try:
            made.append(void_and_replace(session, slot_id, reason=request.form.get("reason", ""),
                                         on_date=_form_date(), user=current_user).code)
            session.commit()
        except FieldworkError as exc:
            session.rollback()
            refused.append(_error(exc))
    if made:
        flash(t(f"Đã hủy và thay {len(made)} phiếu; phiếu mới: {', '.join(made)}.",
                f"Voided and replaced {len(made)} slots; new slots: {', '.join(made)}."), "notice")
    for message in refused:
        flash(message, "error")
    return redirect(back)


@bp.get("/slots/cards.<fmt>")
@role_required(*FIELD_ROLES)
def cards(fmt: str):  # type: ignore[no-untyped-def]
    """Cards of the selection: printable PDF, zip of QR images, or CSV."""
    if fmt not in ("pdf", "zip", "csv"):
        abort(404)
    row, plan = _plan_or_404()
    group, unit = request.args.get("group") or None, request.args.get("unit") or None
    rows = list(iter_slots(db_session(), row, current_app.config["BASE_URL"], group=group, unit=unit))
    session = db_session()
    audit(session, "export_cards", user=current_user, target=f"{group or '*'}/{unit or '*'}",
          format=fmt, slots=len(rows))
    session.commit()
    name = f"phieu-{group or 'tat-ca'}-{unit or 'tat-ca'}".replace(".", "")
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=SLOT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(r.as_dict() for r in rows)
        return _download(out.getvalue().encode("utf-8"), f"{name}.csv", "text/csv")
    from .services import cards as card_maker

    if fmt == "pdf":
        return _download(card_maker.cards_pdf(rows, plan, lang=current_lang()), f"{name}.pdf",
                         "application/pdf")
    return _download(card_maker.qr_zip(rows), f"{name}.zip", "application/zip")


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --------------------------------------------------------------------------- paper entry


@bp.route("/paper", methods=["GET", "POST"])
@role_required(*FIELD_ROLES)
def paper():  # type: ignore[no-untyped-def]
    """Type the code of a returned paper form to key it in."""
    if request.method == "POST":
        typed = request.form.get("code", "")
        code = parse_slot_code(typed)
        if code is None:
            flash(t(f"Mã phiếu '{typed}' không đúng (kiểm tra lại từng ký tự, ký tự cuối là mã kiểm tra).",
                    f"The slot code '{typed}' is not valid (check each character; the last one is a "
                    "check character)."), "error")
            return render_template("staff/paper_start.html", typed=typed), 400
        return redirect(url_for("staff.paper_form", code=code))
    return render_template("staff/paper_start.html", typed="")


def _paper_context(code: str):  # type: ignore[no-untyped-def]
    row, plan = _plan_or_404()
    session = db_session()
    found = session.execute(
        select(Slot, RespondentGroup, Unit).join(QuotaPlace, Slot.place_id == QuotaPlace.id)
        .join(RespondentGroup, QuotaPlace.group_id == RespondentGroup.id)
        .outerjoin(Unit, QuotaPlace.unit_id == Unit.id)
        .where(Slot.plan_id == row.id, Slot.code == code)).first()
    if found is None:
        return None, (t(f"Không có phiếu mã {code}.", f"There is no slot {code}."), 404)
    slot, group, unit = found
    if slot.status == SlotStatus.COMPLETED.value:
        return None, (t(f"Phiếu {code} đã được trả lời (trực tuyến hoặc đã nhập từ giấy), không nhập lại được.",
                        f"Slot {code} has already been answered (online or keyed in from paper); it "
                        "cannot be entered again."), 409)
    if slot.status == SlotStatus.VOIDED.value:
        return None, (t(f"Phiếu {code} đã bị hủy; hãy dùng phiếu thay thế.",
                        f"Slot {code} was voided; use its replacement."), 409)
    form = plan.forms.get(group.form_code or "")
    if form is None:
        abort(404)
    rated = [RatedUnit(u.code, u.name) for u in plan.rated_units(group.code, unit.code if unit else None)]
    pages = [p for p in build_pages(form, rated) if p.kind not in (INTRO, REVIEW)]
    own = rated[0].code if plan.group(group.code).rates.mode == "own" and rated else None
    return dict(slot=slot, group=group, unit=unit, form=form, pages=pages, own=own), None


@bp.route("/paper/<code>", methods=["GET", "POST"])
@role_required(*FIELD_ROLES)
def paper_form(code: str):  # type: ignore[no-untyped-def]
    """The whole form of one slot on one sheet; saving completes the slot (channel paper)."""
    ctx, refusal = _paper_context(code)
    if refusal is not None:
        message, status = refusal
        flash(message, "error")
        return render_template("staff/paper_start.html", typed=code), status
    answers: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    unknown: dict[str, bool] = {}
    if request.method == "POST":
        for page in ctx["pages"]:
            suffix = field_suffix(page, all_on_one=True)
            sent = read_page(page, request.form, answers, suffix=suffix)
            answers.update({k: v for k, v in sent.values.items() if v is not None})
            errors.update({q + suffix: e for q, e in sent.errors.items()})
            unknown[suffix] = sent.unknown_unit
        if not errors and missing_answers(ctx["pages"], answers) is None:
            session = db_session()
            slot, form = ctx["slot"], ctx["form"]
            done = finalise(session, slot.id, plan_id=slot.plan_id, group_code=ctx["group"].code,
                            form_code=form.code, form_version=form.version,
                            form_hash=form.content_hash, own_unit=ctx["own"], channel="paper",
                            answers=answers, commit=False)
            if not done:
                flash(t(f"Phiếu {code} vừa được trả lời ở nơi khác; không nhập lại.",
                        f"Slot {code} was just answered elsewhere; not entered again."), "error")
                return redirect(url_for("staff.paper"))
            audit(session, "paper_entry", user=current_user, target=code, form=form.code)
            session.commit()
            flash(t(f"Đã nhập phiếu giấy {code}.", f"Paper form {code} entered."), "notice")
            return redirect(url_for("staff.paper"))
    return render_template(
        "staff/paper_form.html", ctx=ctx, code=code, answers=answers, errors=errors,
        unknown=unknown, answer_key=answer_key, shown=shown, depends_on_page=depends_on_page,
        field_suffix=field_suffix, unknown_field=UNKNOWN_UNIT_FIELD,
    ), (422 if errors else 200)


# --------------------------------------------------------------------------- progress


def _progress():  # type: ignore[no-untyped-def]
    row, plan = _plan_or_404()
    return progress(db_session(), row, plan, _today())


@bp.get("/progress")
@role_required(*READ_ROLES)
def progress_page():  # type: ignore[no-untyped-def]
    """The dashboard: planned, handed out, started, completed; units behind first."""
    from . import charts

    report = _progress()
    lang = current_lang()
    rows = [{"label": f"{g.code} {g.name}", **g.counts.as_dict()} for g in report.groups]
    districts = [{"label": d.name, **d.counts.as_dict()} for d in report.districts]
    expected = 100 * report.expected_share
    return render_template(
        "staff/progress.html", report=report,
        days_left=charts.days_left_text(report.today, report.deadline, lang),
        group_chart=charts.progress_bars(rows, title=t("Theo nhóm", "By group"), lang=lang,
                                         expected_pct=expected),
        district_chart=charts.progress_bars(districts, title=t("Theo huyện", "By district"),
                                            lang=lang, expected_pct=expected))


@bp.get("/progress.<fmt>")
@role_required(*READ_ROLES)
def progress_download(fmt: str):  # type: ignore[no-untyped-def]
    """The progress table per group and unit, as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    report = _progress()
    columns = ["group", "unit", "planned", "handed_out", "started", "completed"]
    session = db_session()
    audit(session, "export_progress", user=current_user, format=fmt)
    session.commit()
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(report.cells)
        return _download(out.getvalue().encode("utf-8"), "tien-do.csv", "text/csv")
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "tien_do"
    sheet.append(columns)
    for cell in report.cells:
        sheet.append([cell[c] for c in columns])
    for title, lines in (("nhom", report.groups), ("huyen", report.districts), ("don_vi", report.units)):
        extra = book.create_sheet(title)
        extra.append(["code", "name", "planned", "handed_out", "started", "completed", "behind"])
        for line in lines:
            d = line.as_dict()
            extra.append([d["code"], d["name"], d["planned"], d["handed_out"], d["started"],
                          d["completed"], d["behind"]])
    buffer = io.BytesIO()
    book.save(buffer)
    return _download(buffer.getvalue(), "tien-do.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --------------------------------------------------------------------------- results


def _results():  # type: ignore[no-untyped-def]
    from .services import results

    row, plan = _plan_or_404()
    return plan, results.compute(db_session(), row, plan)


@bp.get("/report")
@role_required("analyst")
def report():  # type: ignore[no-untyped-def]
    """The ranking of departments and of districts, with rank intervals, grades,
    component indices per area and a chart of each unit's index with its interval."""
    from . import charts

    plan, computed = _results()
    lang = current_lang()
    index = computed.index.sort_values(["kind", "rank", "unit"])
    areas = computed.areas.pivot_table(index="unit", columns="area", values="index_pct")
    bands = [(b.min, b.name.get(lang)) for b in plan.scoring.bands if b.min > 0]
    grade_names = {b.code: b.name.get(lang) for b in plan.scoring.bands}
    sections = []
    for kind, title in (("department", t("Sở, ban, ngành", "Departments")),
                        ("district", t("UBND huyện, thành phố", "District People's Committees"))):
        part = index[index["kind"] == kind]
        rows = part.to_dict(orient="records")
        chart = charts.index_intervals(
            [{"label": r["name"], "index_pct": r["index_pct"], "index_low": r.get("index_low"),
              "index_high": r.get("index_high")} for r in rows],
            title=t("Chỉ số và khoảng 90%", "Index and its 90% interval"), lang=lang, bands=bands)
        sections.append({"kind": kind, "title": title, "rows": rows, "chart": chart})
    return render_template("staff/report.html", plan=plan, sections=sections, areas=areas,
                           area_names={a.code: a.name.get(lang) for a in plan.scoring.areas},
                           grade_names=grade_names, responses=computed.responses)


@bp.get("/report.xlsx")
@role_required("analyst")
def report_xlsx():  # type: ignore[no-untyped-def]
    """The report's tables as a workbook: index, scores, component indices."""
    from .services import results

    _, computed = _results()
    session = db_session()
    audit(session, "export_report", user=current_user, format="xlsx")
    session.commit()
    data = results.to_xlsx({"chi_so": computed.index, "diem_khao_sat": computed.scores,
                            "linh_vuc": computed.areas})
    return _download(data, "chi-so-cchc.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --------------------------------------------------------------------------- appraisal


@bp.route("/appraisal", methods=["GET", "POST"])
@role_required("analyst")
def appraisal():  # type: ignore[no-untyped-def]
    """Self-assessment workbooks: download a unit's template, upload it filled and appraised."""
    from questionnaires.problems import DataFileError

    from .services.appraisal import appraisal_status, import_sheet

    row, plan = _plan_or_404()
    session = db_session()
    problems, status = None, 200
    if request.method == "POST":
        unit = request.form.get("unit", "")
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(t("Hãy chọn tệp Excel đã điền.", "Choose the filled Excel file."), "error")
            status = 400
        else:
            try:
                sheet = import_sheet(session, row, plan, unit, upload.stream, user=current_user)
                session.commit()
                flash(t(f"Đã nhập {len(sheet.frame)} tiêu chí của {unit}; "
                        f"{len(sheet.corrections())} điểm được hội đồng điều chỉnh.",
                        f"Imported {len(sheet.frame)} criteria of {unit}; "
                        f"{len(sheet.corrections())} scores corrected by the council."), "notice")
                return redirect(url_for("staff.appraisal"))
            except DataFileError as exc:
                session.rollback()
                problems, status = exc.problems, 422
            except FieldworkError as exc:
                session.rollback()
                flash(_error(exc), "error")
                status = 400
    return render_template("staff/appraisal.html", units=appraisal_status(session, row, plan),
                           problems=problems), status


@bp.get("/appraisal/<unit>.xlsx")
@role_required("analyst")
def appraisal_template_download(unit: str):  # type: ignore[no-untyped-def]
    """The self-assessment template of one unit."""
    from .services.appraisal import template_for

    _, plan = _plan_or_404()
    try:
        data = template_for(plan, unit, current_lang())
    except FieldworkError:
        abort(404)
    return _download(data, f"tu-danh-gia-{unit}.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --------------------------------------------------------------------------- admin


@bp.get("/audit")
@role_required("admin")
def audit_log():  # type: ignore[no-untyped-def]
    """The latest entries of the audit log (read-only)."""
    action = request.args.get("action") or None
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(500)
    if action:
        query = query.where(AuditEntry.action == action)
    return render_template("staff/audit.html", entries=db_session().scalars(query).all(),
                           action=action)


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users():  # type: ignore[no-untyped-def]
    """Staff accounts: add one, or switch one on or off."""
    session = db_session()
    status = 200
    if request.method == "POST":
        if request.form.get("op") == "add":
            try:
                user = add_user(session, request.form.get("name", ""), request.form.get("role", ""),
                                request.form.get("password", ""))
                audit(session, "user_add", user=current_user, target=user.name, role=user.role)
                session.commit()
                flash(t(f"Đã tạo người dùng {user.name}.", f"User {user.name} created."), "notice")
                return redirect(url_for("staff.users"))
            except UserError as exc:
                session.rollback()
                flash(_error(exc), "error")
                status = 400
        elif request.form.get("op") == "toggle":
            user = session.scalar(select(User).where(User.name == request.form.get("name", "")))
            if user is None or user.id == current_user.id:
                flash(t("Không đổi được tài khoản này.", "This account cannot be changed here."), "error")
                status = 400
            else:
                user.active = not user.active
                audit(session, "user_active" if user.active else "user_inactive",
                      user=current_user, target=user.name)
                session.commit()
                return redirect(url_for("staff.users"))
    return render_template("staff/users.html", users=session.scalars(select(User).order_by(User.name)).all(),
                           roles=ROLES), status
