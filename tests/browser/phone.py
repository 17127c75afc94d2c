"""A respondent on a phone: tapping answers and the form's buttons, as a person would."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from playwright.sync_api import Locator, Page, Request

from survey_service.core.models import QuotaPlace, RespondentGroup, Response, Slot, Unit

NEXT, BACK, SEND = "Tiếp tục", "Quay lại", "Gửi phiếu"
COMPLETED = "main[data-survey-status=completed]"


def first_slot(db, group: str) -> tuple[str, str | None]:
    """The token of the group's first slot, and the code of the slot's unit (if any)."""
    with db.session() as session:
        token, unit = session.execute(
            sa.select(Slot.token, Unit.code)
            .join(QuotaPlace, Slot.place_id == QuotaPlace.id)
            .join(RespondentGroup, QuotaPlace.group_id == RespondentGroup.id)
            .outerjoin(Unit, QuotaPlace.unit_id == Unit.id)
            .where(RespondentGroup.code == group).order_by(Slot.id).limit(1)).one()
        return token, unit


def stored_responses(db) -> list[tuple[Response, dict[str, str]]]:
    """Every response, with its answers keyed as drafts key them (``q01@so-noi-vu``)."""
    with db.session() as session:
        rows = session.scalars(sa.select(Response)).all()
        return [(row, {f"{a.question}@{a.rated_unit}" if a.rated_unit else a.question: a.value
                       for a in row.answers}) for row in rows]


def checked(page: Page) -> dict[str, str]:
    """The checked option of each question on the page."""
    return page.locator("input[type=radio]:checked").evaluate_all(
        "els => Object.fromEntries(els.map(e => [e.name, e.value]))")


def radio(page: Page, question: str, value: str) -> Locator:
    """One option (the radio button) of a question."""
    return page.locator(f"input[type=radio][name='{question}'][value='{value}']")


def option(page: Page, question: str, value: str) -> Locator:
    """The label of one option: the whole line a thumb taps."""
    return page.locator("label").filter(has=radio(page, question, value))


def question(page: Page, code: str) -> Locator:
    """The box (fieldset) of a question, found by its answer fields."""
    return page.locator("fieldset").filter(has=page.locator(f"[name='{code}']"))


def tap_answers(page: Page, pick: Callable[[int, str, list[str]], str | None]) -> dict[str, str]:
    """Tap the option ``pick(position, question, values)`` of each question (None: skip).

    Each answer is one touch of the screen on the middle of the option's label, top to
    bottom, scrolling as a thumb would when the label is off screen: one protocol call
    per touch, where Playwright's checks before each ``tap()`` would triple the time of
    a 20-department form.  Returns the answers tapped, by question code, once it is
    checked that exactly these options are now selected (a stray touch would show).
    """
    layout = page.locator("input[type=radio]").evaluate_all(
        """radios => ({top: window.scrollY, options: radios.map(r => {
               const box = r.closest('label').getBoundingClientRect();
               return [r.name, r.value, box.left + box.width / 2,
                       box.top + window.scrollY + box.height / 2];
           })})""")
    spots: dict[str, dict[str, tuple[float, float]]] = {}
    for name, value, x, y in layout["options"]:
        spots.setdefault(name, {})[value] = (x, y)
    picks = {}
    for position, (name, options) in enumerate(spots.items()):
        value = pick(position, name, list(options))
        if value is not None:
            picks[name] = value
    top, height = layout["top"], page.viewport_size["height"]
    for name, value in picks.items():
        x, y = spots[name][value]
        if not top + 40 <= y <= top + height - 40:
            top = page.evaluate("y => { window.scrollTo(0, y); return window.scrollY; }",
                                max(0, y - 80))
        page.touchscreen.tap(x, y - top)
    now = checked(page)
    assert {name: now.get(name) for name in picks} == picks, "a tap missed its option"
    return picks


def press(page: Page, label: str, *, then_title: str | None = None) -> None:
    """Tap a button of the form, wait until the page it leads to has loaded, and check
    that page's title (``then_title``, e.g. ``CT-01 · 3/24``)."""
    with page.expect_navigation():
        page.get_by_role("button", name=label).tap()
    if then_title is not None:
        assert page.title() == then_title


def is_own_document(request: Request, origin: str) -> bool:
    """Whether a request is a navigation to the app itself (and nothing else)."""
    return request.resource_type == "document" and request.url.startswith(origin + "/")
