"""Staff pages of the field work: slots and cards, hand-out, void and replace, paper entry,
progress.  Every page needs a signed-in user with the right role."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from sampling.slots import SlotStatus, parse_slot_code

from ..accounts.security import role_required
from ..core.audit import record
from ..core.database import db_session
from ..core.downloads import XLSX, attachment
from ..core.errors import ServiceError
from ..core.i18n import current_lang, t, tr
from ..plans.queries import current_plan, get_plan_row
from ..respondent.operations import PROVINCE_TZ
from ..respondent.pages import (
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
from . import charts, exports
from .operations import enter_paper, hand_out, void_each
from .progress import progress
from .queries import iter_slots, slot_by_code, slot_ids

bp = Blueprint("fieldwork", __name__, url_prefix="/staff", template_folder="templates")

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


# --------------------------------------------------------------------------- slots


@bp.get("/slots")
@role_required(*READ_ROLES)
def slots():  # type: ignore[no-untyped-def]
    """Slots of a group and/or unit, with the bulk actions of the post office."""
    row, plan = _plan_or_404()
    group, unit = request.args.get("group") or None, request.args.get("unit") or None
    listed = list(iter_slots(db_session(), row, current_app.config["BASE_URL"], group=group,
                             unit=unit, include_voided=True)) if (group or unit) else []
    return render_template("fieldwork/slots.html", plan=plan, group=group, unit=unit, slots=listed,
                           today=_today(), can_act=current_user.role in ("admin", *FIELD_ROLES))


def _selected_ids(row_id: int) -> list[int]:
    """Slot ids of the ticked boxes, or of the whole filtered selection."""
    if request.form.get("all") == "1":
        group, unit = request.form.get("group") or None, request.form.get("unit") or None
        if not (group or unit):
            return []
        return slot_ids(db_session(), row_id, group=group, unit=unit)
    return slot_ids(db_session(), row_id, codes=request.form.getlist("slot"))


def _form_date() -> dt.date:
    try:
        return dt.date.fromisoformat(request.form.get("on_date", ""))
    except ValueError:
        return _today()


def _back():  # type: ignore[no-untyped-def]
    return redirect(url_for("fieldwork.slots", group=request.form.get("group") or None,
                            unit=request.form.get("unit") or None))


@bp.post("/slots/hand-out")
@role_required(*FIELD_ROLES)
def record_hand_out():  # type: ignore[no-untyped-def]
    """Record the selected slots as handed out."""
    row, _ = _plan_or_404()
    ids = _selected_ids(row.id)
    if not ids:
        flash(t("Chưa chọn phiếu nào.", "No slot selected."), "error")
        return _back()
    try:
        result = hand_out(db_session(), ids, contact=request.form.get("contact", ""),
                          on_date=_form_date(), user=current_user)
    except ServiceError as exc:
        flash(tr(exc), "error")
        return _back()
    flash(t(f"Đã ghi nhận phát {len(result.done)} phiếu; {len(result.skipped)} phiếu không ở trạng thái "
            "'chưa phát' nên giữ nguyên.",
            f"Recorded {len(result.done)} slots as handed out; {len(result.skipped)} were not "
            "'issued' and stay as they are."), "notice")
    return _back()


@bp.post("/slots/void")
@role_required(*FIELD_ROLES)
def record_void():  # type: ignore[no-untyped-def]
    """Void the selected (lost or spoiled) cards and issue replacements."""
    row, _ = _plan_or_404()
    ids = _selected_ids(row.id) if request.form.get("all") != "1" else []
    if not ids:
        flash(t("Hãy đánh dấu từng phiếu cần hủy (không hủy theo cả nhóm).",
                "Tick each card to void (voiding a whole selection is not allowed)."), "error")
        return _back()
    made, refused = void_each(db_session(), ids, reason=request.form.get("reason", ""),
                              on_date=_form_date(), user=current_user)
    if made:
        flash(t(f"Đã hủy và thay {len(made)} phiếu; phiếu mới: {', '.join(made)}.",
                f"Voided and replaced {len(made)} slots; new slots: {', '.join(made)}."), "notice")
    for exc in refused:
        flash(tr(exc), "error")
    return _back()


@bp.get("/slots/cards.<fmt>")
@role_required(*FIELD_ROLES)
def cards(fmt: str):  # type: ignore[no-untyped-def]
    """Cards of the selection: printable PDF, zip of QR images, or CSV."""
    if fmt not in ("pdf", "zip", "csv"):
        abort(404)
    row, plan = _plan_or_404()
    group, unit = request.args.get("group") or None, request.args.get("unit") or None
    rows = list(iter_slots(db_session(), row, current_app.config["BASE_URL"], group=group, unit=unit))
    record(db_session(), "export_cards", user=current_user, target=f"{group or '*'}/{unit or '*'}",
           format=fmt, slots=len(rows))
    name = f"phieu-{group or 'tat-ca'}-{unit or 'tat-ca'}".replace(".", "")
    if fmt == "csv":
        return attachment(exports.slots_csv(rows), f"{name}.csv", "text/csv")
    if fmt == "pdf":
        from .cards import cards_pdf

        return attachment(cards_pdf(rows, plan, lang=current_lang()), f"{name}.pdf", "application/pdf")
    from .qr import qr_zip

    return attachment(qr_zip(rows), f"{name}.zip", "application/zip")


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
            return render_template("fieldwork/paper_start.html", typed=typed), 400
        return redirect(url_for("fieldwork.paper_form", code=code))
    return render_template("fieldwork/paper_start.html", typed="")


def _paper_context(code: str):  # type: ignore[no-untyped-def]
    row, plan = _plan_or_404()
    found = slot_by_code(db_session(), row.id, code)
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
        return render_template("fieldwork/paper_start.html", typed=code), status
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
            if not enter_paper(db_session(), ctx["slot"], group_code=ctx["group"].code, form=ctx["form"],
                               own_unit=ctx["own"], answers=answers, user=current_user):
                flash(t(f"Phiếu {code} vừa được trả lời ở nơi khác; không nhập lại.",
                        f"Slot {code} was just answered elsewhere; not entered again."), "error")
                return redirect(url_for("fieldwork.paper"))
            flash(t(f"Đã nhập phiếu giấy {code}.", f"Paper form {code} entered."), "notice")
            return redirect(url_for("fieldwork.paper"))
    return render_template(
        "fieldwork/paper_form.html", ctx=ctx, code=code, answers=answers, errors=errors,
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
    report = _progress()
    lang = current_lang()
    rows = [{"label": f"{g.code} {g.name}", **g.counts.as_dict()} for g in report.groups]
    districts = [{"label": d.name, **d.counts.as_dict()} for d in report.districts]
    expected = 100 * report.expected_share
    return render_template(
        "fieldwork/progress.html", report=report,
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
    record(db_session(), "export_progress", user=current_user, format=fmt)
    if fmt == "csv":
        return attachment(exports.progress_csv(report), "tien-do.csv", "text/csv")
    return attachment(exports.progress_xlsx(report), "tien-do.xlsx", XLSX)
