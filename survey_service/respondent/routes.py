"""Respondent pages: ``/s/<token>``, the one-time link printed on each card.

Plain HTML forms, one page per request, no script needed.  Each POST saves the page's
answers on the server before anything else can go wrong, so a lost connection, a
closed browser or a second device never loses more than the page being typed.

No cookie is needed either: the link's token is the respondent's credential, and each
page carries a signed form token instead of a session-bound CSRF token.  A stale or
forged form token re-shows the page with the answers kept and a one-line notice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, g, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

import sampling
from questionnaires import Form
from sampling.slots import SlotStatus, is_token

from ..accounts.operations import count_unknown_link
from ..core.database import db_session
from ..core.i18n import LANGS, current_lang, t
from ..core.models import RespondentGroup, Slot
from ..plans.queries import form_by_hash, plan_by_id
from .operations import finalise, mark_started, save_page
from .pages import (
    INTRO,
    REVIEW,
    UNIT,
    UNKNOWN_UNIT_FIELD,
    Page,
    RatedUnit,
    answer_key,
    build_pages,
    depends_on_page,
    missing_answers,
    page_progress,
    read_page,
    shown,
    unit_unknown,
)
from .queries import get_draft, is_completed, slot_by_token

bp = Blueprint("respondent", __name__, template_folder="templates")

#: How long a page's form token stays valid (a day: forms are filled over days too;
#: an older token only costs one more tap, never an answer).
FORM_TOKEN_MAX_AGE = 24 * 3600


def _message(heading: str, text: str, status: int, css: str = "notice"):  # type: ignore[no-untyped-def]
    return render_template("message.html", heading=heading, text=text, css=css), status


def _not_found():  # type: ignore[no-untyped-def]
    """404 for an unknown or malformed link, counted per client address (one upsert); past
    the limit per address and minute, 429 until the minute ends.  Valid links pay nothing."""
    retry_after = count_unknown_link(db_session(), request.remote_addr)
    if retry_after:
        body, status = _message(
            t("Quá nhiều đường dẫn không đúng", "Too many wrong links"),
            t(f"Đã có quá nhiều đường dẫn không đúng được mở từ địa chỉ của Ông/Bà. Xin thử lại sau "
              f"{retry_after} giây, và kiểm tra lại đường dẫn hoặc quét lại mã QR trên phiếu.",
              f"Too many wrong links were opened from your address. Please try again in {retry_after} "
              "seconds, and check the link or scan the QR code on your card again."), 429, css="error")
        return body, status, {"Retry-After": str(retry_after)}
    return _message(t("Không tìm thấy phiếu", "Form not found"),
                    t("Đường dẫn này không đúng. Hãy kiểm tra lại đường dẫn hoặc quét lại mã QR trên phiếu.",
                      "This link is not valid. Check the link or scan the QR code on your card again."),
                    404, css="error")


def _voided():  # type: ignore[no-untyped-def]
    return _message(t("Phiếu không còn hiệu lực", "Form no longer valid"),
                    t("Phiếu này đã bị hủy và thay bằng phiếu khác. Hãy liên hệ bưu điện hoặc Sở Nội vụ.",
                      "This card was cancelled and replaced. Please contact the post office or the "
                      "Department of Home Affairs."), 410, css="error")


def _completed(status: int):  # type: ignore[no-untyped-def]
    return render_template("respondent/done.html"), status


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="respondent-page")


def _token_tag(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def _form_token(token: str) -> str:
    return _serializer().dumps(_token_tag(token))


def _form_token_ok(token: str, sent: str | None) -> bool:
    if not sent:
        return False
    try:
        return _serializer().loads(sent, max_age=FORM_TOKEN_MAX_AGE) == _token_tag(token)
    except BadSignature:  # also SignatureExpired
        return False


@dataclass
class _Context:
    """Everything a page of one slot needs."""

    slot: Slot
    group: RespondentGroup
    plan: sampling.Plan
    form: Form
    units: list[RatedUnit]
    own_unit: str | None
    pages: list[Page]
    answers: dict[str, Any]
    page: int
    furthest: int


def _load(token: str) -> tuple[_Context | None, Any]:
    """The slot's context, or (None, the error response)."""
    session = db_session()
    row = slot_by_token(session, token) if is_token(token) else None
    if row is None:
        return None, _not_found()
    slot, group, unit = row
    if slot.status == SlotStatus.VOIDED.value:
        return None, _voided()
    if slot.status == SlotStatus.COMPLETED.value:
        return None, None
    plan = plan_by_id(session, slot.plan_id)  # the link's own round, whichever is current
    draft = get_draft(session, slot.id)
    form = plan.forms.get(group.form_code or "") if plan else None
    if draft is not None:
        form = form_by_hash(session, draft.form_hash) or form
    if plan is None or form is None:
        return None, _message(t("Phiếu chưa sẵn sàng", "Form not available"),
                              t("Phiếu của nhóm này chưa được chuẩn bị. Xin vui lòng thử lại sau.",
                                "The form of this group is not ready yet. Please try again later."),
                              503, css="error")
    rated = plan.rated_units(group.code, unit.code if unit else None)
    units = [RatedUnit(u.code, u.name) for u in rated]
    own = units[0].code if plan.group(group.code).rates.mode == "own" and units else None
    pages = build_pages(form, units)
    answers = dict(draft.answers) if draft else {}
    furthest = min(draft.furthest if draft else 0, len(pages) - 1)
    current = min(draft.page if draft else 0, furthest)
    return _Context(slot, group, plan, form, units, own, pages, answers, current, furthest), None


@bp.app_context_processor
def _names() -> dict[str, Any]:
    """``name_of(item)``: the one lookup of a plan's names, in the page's language."""
    return {"name_of": lambda item: sampling.name_in(item, current_lang())}


def _render(ctx: _Context, index: int, *, raw: dict[str, str] | None = None,
            errors: dict[str, Any] | None = None, notice: str | None = None,
            unknown_unit: bool | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    """The page ``index``; ``raw`` (the texts as sent) and ``unknown_unit`` (the box as
    sent) when the page is shown again as it was sent, else the saved answers."""
    page = ctx.pages[index]
    lang = current_lang()
    shown_answers = dict(ctx.answers)
    if raw is not None:
        for question in page.questions():
            shown_answers[answer_key(question, page.unit)] = raw.get(question.code)
    if unknown_unit is None:  # the box as saved: it stored "Không biết" for every question
        unknown_unit = unit_unknown(page, ctx.answers)
    progress = [page_progress(p, ctx.answers) for p in ctx.pages] if page.kind == REVIEW else []
    return render_template(
        "respondent/page.html",
        ctx=ctx, page=page, index=index, total=len(ctx.pages), lang=lang,
        group_name=sampling.name_in(ctx.plan.group(ctx.group.code), lang),
        answers=shown_answers, errors=errors or {}, notice=notice, unknown_unit=unknown_unit,
        answer_key=answer_key, shown=shown, depends_on_page=depends_on_page, progress=progress,
        form_token=_form_token(ctx.slot.token), unknown_field=UNKNOWN_UNIT_FIELD,
        INTRO=INTRO, UNIT=UNIT, REVIEW=REVIEW,
    ), status


def _completed_meanwhile(slot_id: int) -> bool:
    """Whether the slot is completed now (read afresh, outside the request's snapshot)."""
    session = db_session()
    session.rollback()  # nothing written yet: only ends the read snapshot
    return is_completed(session, slot_id)


def _see_other(url: str):  # type: ignore[no-untyped-def]
    """A 303 to ``url`` with an empty body (each byte counts on 2G)."""
    return current_app.response_class(b"", status=303, headers={"Location": url})


def _page_url(token: str, index: int, lang: str | None = None) -> str:
    """Page ``index`` of the form, in ``lang`` or in the language of the request."""
    args: dict[str, Any] = {"token": token, "p": index}
    lang = lang or request.args.get("lang")
    if lang in LANGS:
        args["lang"] = lang
    return url_for("respondent.form", **args)


def _switch_to(action: str) -> str | None:
    """The language a ``lang-xx`` button asks for (None for any other action)."""
    prefix, _, lang = action.partition("-")
    return lang if prefix == "lang" and lang in LANGS else None


@bp.get("/s/<token>")
def form(token: str):  # type: ignore[no-untyped-def]
    """The form of the slot behind ``token``, at the page asked for or where it was left.

    404 for an unknown link, 410 for a spent or voided one.
    """
    ctx, error = _load(token)
    if ctx is None:
        return error if error is not None else _completed(410)
    if ctx.slot.status != SlotStatus.STARTED.value:
        mark_started(db_session(), ctx.slot.id)
    index = request.args.get("p", type=int)
    index = ctx.page if index is None else max(0, min(index, ctx.furthest))
    return _render(ctx, index)


@bp.post("/s/<token>")
def save(token: str):  # type: ignore[no-untyped-def]
    """Save the page's answers, then go on, go back, switch language, or (from the review
    page) send.

    The language switch of a form page is a button of its form (``lang-en``, ``lang-vi``):
    the page's answers are saved first, as for "Back", then the same page opens in the
    other language.  An answer that cannot be saved as typed is shown again, in the new
    language, with its reason; a question merely left open is no error yet.
    """
    ctx, error = _load(token)
    if ctx is None:
        # A repeated final submit (double tap, retry) lands on the same completion page.
        return error if error is not None else _completed(200)
    index = request.form.get("page", type=int)
    if index is None or not 0 <= index < len(ctx.pages) or index > ctx.furthest:
        if _completed_meanwhile(ctx.slot.id):  # a racing submit finished it just now
            return _completed(200)
        return _message(t("Trang không hợp lệ", "Invalid page"),
                        t("Trang này không thuộc phiếu. Hãy mở lại đường dẫn của Ông/Bà.",
                          "This page is not part of the form. Please open your link again."),
                        400, css="error")
    action = request.form.get("action", "next")
    page = ctx.pages[index]
    sent = read_page(page, request.form, ctx.answers)
    if not _form_token_ok(token, request.form.get("ft")):
        return _render(ctx, index, raw=sent.raw, unknown_unit=sent.unknown_unit, notice=t(
            "Trang đã mở quá lâu nên chưa được lưu. Câu trả lời của Ông/Bà vẫn còn dưới đây: "
            "xin bấm nút một lần nữa.",
            "This page was open for a long time and was not saved yet. Your answers are still "
            "below: please press the button again."))
    session = db_session()
    if action == "send" and page.kind == REVIEW:
        gap = missing_answers(ctx.pages, ctx.answers)
        if gap is not None:
            if not save_page(session, ctx.slot.id, ctx.form.content_hash, {}, gap, ctx.furthest):
                return _completed(200)  # a racing submit completed it meanwhile
            return _see_other(_page_url(token, gap))
        finalise(session, ctx.slot.id, plan_id=ctx.slot.plan_id, group_code=ctx.group.code,
                 form_code=ctx.form.code, form_version=ctx.form.version,
                 form_hash=ctx.form.content_hash, own_unit=ctx.own_unit, channel="web")
        return _completed(200)
    # Whatever is valid is saved, whichever button was pressed.
    valid = {k: v for k, v in sent.values.items() if k.partition("@")[0] not in sent.errors}
    switch = _switch_to(action)
    if switch is not None:
        if not save_page(session, ctx.slot.id, ctx.form.content_hash, valid, index, ctx.furthest):
            return _completed(200)
        typed_wrong = {q: e for q, e in sent.errors.items() if (sent.raw.get(q) or "").strip()}
        if typed_wrong:
            ctx.answers.update(valid)
            g.lang = switch
            return _render(ctx, index, raw=sent.raw, errors=typed_wrong,
                           unknown_unit=sent.unknown_unit, status=422)
        return _see_other(_page_url(token, index, switch))
    if action == "back":
        target = max(0, index - 1)
        if not save_page(session, ctx.slot.id, ctx.form.content_hash, valid, target, ctx.furthest):
            return _completed(200)
        return _see_other(_page_url(token, target))
    if sent.errors:
        save_page(session, ctx.slot.id, ctx.form.content_hash, valid, index, ctx.furthest)
        ctx.answers.update(valid)
        return _render(ctx, index, raw=sent.raw, errors=sent.errors,
                       unknown_unit=sent.unknown_unit, status=422)
    target = min(index + 1, len(ctx.pages) - 1)
    if not save_page(session, ctx.slot.id, ctx.form.content_hash, sent.values, target,
                     max(ctx.furthest, target)):
        return _completed(200)
    return _see_other(_page_url(token, target))
