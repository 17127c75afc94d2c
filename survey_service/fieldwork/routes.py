"""Staff pages of the field work: slots and cards, hand-out, void and replace, paper entry,
progress.  Every page needs a signed-in user with the right role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from sampling import name_in
from sampling.slots import SlotStatus, parse_slot_code, status_label

from ..accounts.security import role_required
from ..core.audit import record
from ..core.database import db_session
from ..core.downloads import XLSX, attachment
from ..core.errors import ServiceError
from ..core.i18n import LANGS, current_lang, t, tr
from ..plans.queries import current_plan, get_plan_row, plan_by_id
from ..respondent.operations import PROVINCE_TZ
from ..respondent.pages import (
    INTRO,
    REVIEW,
    UNKNOWN_UNIT_FIELD,
    Page,
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
from .queries import iter_slots, rounds_with_slot, slot_by_code, slot_ids

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
                           today=_today(), can_act=current_user.role in ("admin", *FIELD_ROLES),
                           status_name=lambda status: status_label(status).get(current_lang()))


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
        # A card of another round (a citizens' card while the index round is current).
        for plan_id in rounds_with_slot(db_session(), code):
            plan = plan_by_id(db_session(), plan_id)
            found = slot_by_code(db_session(), plan_id, code)
            break
    if found is None or plan is None:
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
    return dict(slot=slot, group=group, unit=unit, form=form, pages=pages, own=own, plan=plan), None


@dataclass
class _Sheet:
    """What was keyed in on a paper sheet so far, section by section.

    Every section of the phone form is a page of the sheet; each page's form carries
    the other sections' fields as hidden inputs, so whatever was typed travels with
    every move and nothing is stored before the whole form is saved.
    """

    pages: list[Page]
    answers: dict[str, Any]  # as stored (answer_key -> value)
    raw: dict[str, str]  # field name -> text as typed
    errors: dict[str, Any]  # field name -> AnswerError (missing or to correct)
    unknown: dict[str, bool]  # field suffix -> the unit's "I don't know this unit" box
    page_of: dict[str, int]  # field name -> page index

    def issues(self, index: int) -> int:
        """Answers of page ``index`` still missing or to correct."""
        return sum(1 for field in self.errors if self.page_of.get(field) == index)

    def first_gap(self) -> int | None:
        return next((i for i in range(len(self.pages)) if self.issues(i)), None)


def _read_sheet(pages: list[Page], form_data: Any) -> _Sheet:
    answers: dict[str, Any] = {}
    raw: dict[str, str] = {}
    errors: dict[str, Any] = {}
    unknown: dict[str, bool] = {}
    page_of: dict[str, int] = {}
    for index, page in enumerate(pages):
        suffix = field_suffix(page, all_on_one=True)
        sent = read_page(page, form_data, answers, suffix=suffix)
        answers.update({k: v for k, v in sent.values.items() if v is not None})
        errors.update({q + suffix: e for q, e in sent.errors.items()})
        raw.update({q + suffix: text for q, text in sent.raw.items() if text != ""})
        unknown[suffix] = sent.unknown_unit
        page_of.update({q.code + suffix: index for q in page.questions()})
    return _Sheet(pages, answers, raw, errors, unknown, page_of)


def _part_name(page: Page, lang: str) -> str:
    return page.unit.name if page.unit is not None else name_in(page.sections[0].title, lang)


@bp.route("/paper/<code>", methods=["GET", "POST"])
@role_required(*FIELD_ROLES)
def paper_form(code: str):  # type: ignore[no-untyped-def]
    """A returned paper form, keyed in section by section (the sections of the phone
    form); saving completes the slot (channel paper) once every required answer is in.

    Buttons: ``next`` (stays, with the reasons, while the section has an answer missing
    or to correct), ``back``, ``goto-N`` (any section), ``save`` (the default of a sheet
    sent whole), ``lang-xx`` (the other language, keeping what was typed).
    """
    ctx, refusal = _paper_context(code)
    if refusal is not None:
        message, status = refusal
        flash(message, "error")
        return render_template("fieldwork/paper_start.html", typed=code), status
    pages = ctx["pages"]
    sheet = _read_sheet(pages, request.form)
    index = 0
    show_errors = False
    status = 200
    if request.method == "POST":
        index = min(max(request.form.get("p", 0, type=int), 0), len(pages) - 1)
        action = request.form.get("action", "save")
        prefix, _, rest = action.partition("-")
        if action == "save":
            if not sheet.errors and missing_answers(pages, sheet.answers) is None:
                if not enter_paper(db_session(), ctx["slot"], group_code=ctx["group"].code,
                                   form=ctx["form"], own_unit=ctx["own"], answers=sheet.answers,
                                   user=current_user):
                    flash(t(f"Phiếu {code} vừa được trả lời ở nơi khác; không nhập lại.",
                            f"Slot {code} was just answered elsewhere; not entered again."), "error")
                    return redirect(url_for("fieldwork.paper"))
                flash(t(f"Đã nhập phiếu giấy {code}.", f"Paper form {code} entered."), "notice")
                return redirect(url_for("fieldwork.paper"))
            gap = sheet.first_gap()
            index = gap if gap is not None else missing_answers(pages, sheet.answers) or 0
            show_errors, status = True, 422
        elif action == "next":
            if sheet.issues(index):
                show_errors, status = True, 422
            else:
                index = min(index + 1, len(pages) - 1)
        elif action == "back":
            index = max(index - 1, 0)
        elif prefix == "goto" and rest.isdigit():
            index = min(int(rest), len(pages) - 1)
        elif prefix == "lang" and rest in LANGS:
            session["lang"] = g.lang = rest
    lang = current_lang()
    page = pages[index]
    suffix = field_suffix(page, all_on_one=True)
    shown_answers = dict(sheet.answers)
    for question in page.questions():
        shown_answers[answer_key(question, page.unit)] = sheet.raw.get(question.code + suffix)
    carried = [(field, text) for field, text in sheet.raw.items() if sheet.page_of.get(field) != index]
    carried += [(UNKNOWN_UNIT_FIELD + s, "1") for s, ticked in sheet.unknown.items() if ticked and s != suffix]
    errors = {f: e for f, e in sheet.errors.items() if sheet.page_of.get(f) == index} if show_errors else {}
    parts = [(_part_name(p, lang), sheet.issues(i)) for i, p in enumerate(pages)]
    return render_template(
        "fieldwork/paper_form.html", ctx=ctx, code=code, page=page, index=index, parts=parts,
        missing=len(sheet.errors), open_parts=sum(1 for _, issues in parts if issues), answers=shown_answers, errors=errors, carried=carried,
        unknown_unit=sheet.unknown.get(suffix, False), suffix=suffix,
        group_name=name_in(ctx["plan"].group(ctx["group"].code), lang),
        answer_key=answer_key, shown=shown, depends_on_page=depends_on_page,
        unknown_field=UNKNOWN_UNIT_FIELD,
    ), status


# --------------------------------------------------------------------------- progress


def _progress():  # type: ignore[no-untyped-def]
    row, plan = _plan_or_404()
    return progress(db_session(), row, plan, _today())


@bp.get("/progress")
@role_required(*READ_ROLES)
def progress_page():  # type: ignore[no-untyped-def]
    """The dashboard: planned, handed out, started, completed; units behind first."""
    _, plan = _plan_or_404()
    report = _progress()
    lang = current_lang()
    group_names = {g.code: name_in(plan.group(g.code), lang) for g in report.groups}
    rows = [{"label": f"{g.code} {group_names[g.code]}", **g.counts.as_dict()} for g in report.groups]
    districts = [{"label": name_in(plan.unit(d.code), lang), **d.counts.as_dict()} for d in report.districts]
    expected = 100 * report.expected_share
    return render_template(
        "fieldwork/progress.html", report=report, group_names=group_names,
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
