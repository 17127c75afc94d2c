"""Respondent pages: ``/s/<token>``, the one-time link printed on each card.

Plain HTML forms, one page per request, no script needed.  Each POST saves the page's
answers on the server before anything else can go wrong, so a lost connection, a
closed browser or a second device never loses more than the page being typed.

No cookie is needed either: the link's token is the respondent's credential, and each
page carries a signed form token instead of a session-bound CSRF token.  A stale or
forged form token re-shows the page with the answers kept and a one-line notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, g, request, url_for

import sampling
from questionnaires import Form
from sampling.slots import SlotStatus, is_token

from ..accounts.operations import count_unknown_link
from ..core.app import security_headers
from ..core.database import db_session
from ..core.i18n import LANGS, current_lang, lang_url, t, tr
from ..plans.queries import form_by_hash
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
from .queries import LinkState, is_completed, link_state, plan_of_round
from .signing import form_token, form_token_ok

bp = Blueprint("respondent", __name__, template_folder="templates")

#: How long a page's form token stays valid (a day: forms are filled over days too;
#: an older token only costs one more tap, never an answer).
FORM_TOKEN_MAX_AGE = 24 * 3600


#: The Content-Security-Policy of each respondent template: its only inline style sheet
#: is the base template's, the same on every page, so it is hashed once per process.
_POLICIES: dict[str, str] = {}


def _page(name: str, **context: Any) -> Response:
    """The template ``name`` rendered with only what respondent pages use.

    Flask's ``render_template`` runs every context processor of the app (the staff
    sign-in's user, the results' and appraisal's helpers...): a respondent page needs
    none of them, so it is rendered directly, with the language helpers.  Its
    Content-Security-Policy is set here too (see :data:`_POLICIES`).
    """
    values: dict[str, Any] = {"t": t, "tr": tr, "lang": current_lang(), "lang_url": lang_url}
    values.update(context)
    response = current_app.response_class(
        current_app.jinja_env.get_template(name).render(values), mimetype="text/html")
    policy = _POLICIES.get(name)
    if policy is None:  # the app's own after-request hook, on a copy of the first page
        probe = current_app.response_class(response.get_data(), mimetype="text/html")
        policy = _POLICIES[name] = security_headers(probe).headers["Content-Security-Policy"]
    response.headers["Content-Security-Policy"] = policy
    return response


def _message(heading: str, text: str, status: int, css: str = "notice"):  # type: ignore[no-untyped-def]
    return _page("message.html", heading=heading, text=text, css=css), status


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
    return _page("respondent/done.html"), status


def _form_token(token: str) -> str:
    return form_token(current_app.config["SECRET_KEY"], token)


def _form_token_ok(token: str, sent: str | None) -> bool:
    return form_token_ok(current_app.config["SECRET_KEY"], token, sent, FORM_TOKEN_MAX_AGE)


@dataclass
class _Context:
    """Everything a page of one slot needs."""

    slot: LinkState
    plan: sampling.Plan
    form: Form
    units: tuple[RatedUnit, ...]
    own_unit: str | None
    pages: tuple[Page, ...]
    answers: dict[str, Any]
    page: int
    furthest: int


#: The pages of a form for one set of rated units, by (round hash, group, unit, form
#: hash): every input is immutable under its hash, and so are the pages.
_LAYOUTS: dict[tuple[str, str, str | None, str],
               tuple[tuple[RatedUnit, ...], str | None, tuple[Page, ...]]] = {}
_LAYOUTS_MAX = 4096


def _layout(link: LinkState, plan: sampling.Plan,
            form: Form) -> tuple[tuple[RatedUnit, ...], str | None, tuple[Page, ...]]:
    """The rated units, the own unit and the pages of ``form`` for ``link``'s slot."""
    key = (link.plan_hash, link.group_code, link.unit_code, form.content_hash)
    layout = _LAYOUTS.get(key)
    if layout is None:
        rated = plan.rated_units(link.group_code, link.unit_code)
        units = tuple(RatedUnit(u.code, u.name) for u in rated)
        own = units[0].code if plan.group(link.group_code).rates.mode == "own" and units else None
        if len(_LAYOUTS) >= _LAYOUTS_MAX:
            _LAYOUTS.clear()
        layout = _LAYOUTS[key] = (units, own, tuple(build_pages(form, units)))
    return layout


def _load(token: str, *, autocommit: bool = False) -> tuple[_Context | None, Any]:
    """The slot's context, or (None, the error response); ``autocommit`` as for
    :func:`~.queries.link_state` (a form page, whose writes are single statements)."""
    session = db_session()
    link = link_state(session, token, autocommit=autocommit) if is_token(token) else None
    if link is None:
        return None, _not_found()
    if link.status == SlotStatus.VOIDED.value:
        return None, _voided()
    if link.status == SlotStatus.COMPLETED.value:
        return None, None
    plan = plan_of_round(session, link.plan_id, link.plan_hash)  # the link's own round
    form = plan.forms.get(link.form_code or "") if plan else None
    if link.draft_hash is not None:
        form = form_by_hash(session, link.draft_hash) or form
    if plan is None or form is None:
        return None, _message(t("Phiếu chưa sẵn sàng", "Form not available"),
                              t("Phiếu của nhóm này chưa được chuẩn bị. Xin vui lòng thử lại sau.",
                                "The form of this group is not ready yet. Please try again later."),
                              503, css="error")
    units, own, pages = _layout(link, plan, form)
    answers = dict(link.answers or {})
    furthest = min(link.furthest, len(pages) - 1)
    current = min(link.page, furthest)
    return _Context(link, plan, form, units, own, pages, answers, current, furthest), None


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
    return _page(
        "respondent/page.html",
        ctx=ctx, page=page, index=index, total=len(ctx.pages), lang=lang,
        group_name=sampling.name_in(ctx.plan.group(ctx.slot.group_code), lang),
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
    ctx, error = _load(token, autocommit=True)
    if ctx is None:
        return error if error is not None else _completed(410)
    if ctx.slot.status != SlotStatus.STARTED.value:
        mark_started(db_session(), ctx.slot.slot_id)
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
        if _completed_meanwhile(ctx.slot.slot_id):  # a racing submit finished it just now
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
            if not save_page(session, ctx.slot.slot_id, ctx.form.content_hash, {}, gap, ctx.furthest):
                return _completed(200)  # a racing submit completed it meanwhile
            return _see_other(_page_url(token, gap))
        done = _completed(200)  # rendered first: the write lock is held only for the writes
        finalise(session, ctx.slot.slot_id, plan_id=ctx.slot.plan_id, group_code=ctx.slot.group_code,
                 form_code=ctx.form.code, form_version=ctx.form.version,
                 form_hash=ctx.form.content_hash, own_unit=ctx.own_unit, channel="web")
        return done
    # Whatever is valid is saved, whichever button was pressed.
    valid = {k: v for k, v in sent.values.items() if k.partition("@")[0] not in sent.errors}
    switch = _switch_to(action)
    if switch is not None:
        if not save_page(session, ctx.slot.slot_id, ctx.form.content_hash, valid, index, ctx.furthest):
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
        if not save_page(session, ctx.slot.slot_id, ctx.form.content_hash, valid, target, ctx.furthest):
            return _completed(200)
        return _see_other(_page_url(token, target))
    if sent.errors:
        save_page(session, ctx.slot.slot_id, ctx.form.content_hash, valid, index, ctx.furthest)
        ctx.answers.update(valid)
        return _render(ctx, index, raw=sent.raw, errors=sent.errors,
                       unknown_unit=sent.unknown_unit, status=422)
    target = min(index + 1, len(ctx.pages) - 1)
    if not save_page(session, ctx.slot.slot_id, ctx.form.content_hash, sent.values, target,
                     max(ctx.furthest, target)):
        return _completed(200)
    return _see_other(_page_url(token, target))
