"""Single pages on a phone: layout at 320 px, labels and tap targets, nothing fetched
but the page itself, and a missing answer shown where it is missing."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

import sampling
from survey_service.core.models import Slot
from survey_service.respondent.operations import save_page
from survey_service.respondent.pages import RatedUnit, answer_key, build_pages

from .phone import BACK, NEXT, checked, first_slot, is_own_document, press, question, tap_answers

#: The smallest phone width in use (iPhone SE 1st gen., small Androids), in CSS pixels.
NARROW = 320
#: The minimum touch target height (Apple HIG 44 pt; WCAG 2.5.5 AAA 44 CSS px).
TOUCH_MIN = 44


def _answered_up_to_review(db, token: str) -> int:
    """Store complete answers for the I.1 slot of ``token`` (as its pages would have), so
    every page up to the review page can be opened; returns the review page's index."""
    plan = sampling.load_plan()
    form = plan.forms["CT-01"]
    pages = build_pages(form, [RatedUnit(u.code, u.name) for u in plan.rated_units("I.1", None)])
    answers = {answer_key(q, page.unit): q.options[0].value
               for page in pages for q in page.questions() if q.options}
    with db.session() as session:
        slot_id = session.scalar(sa.select(Slot.id).where(Slot.token == token))
        last = len(pages) - 1
        assert save_page(session, slot_id, form.content_hash, answers, last, last)
    return last


def test_pages_fit_a_320px_screen_with_labelled_controls_and_large_tap_targets(
        live_server, db, phone):
    token, _ = first_slot(db, "I.1")
    review = _answered_up_to_review(db, token)
    page = phone(width=NARROW, height=568)
    link = f"{live_server.url}/s/{token}"
    for index, what in ((0, "intro"), (1, "background"), (2, "unit"), (review - 1, "comments"),
                        (review, "review")):
        assert page.goto(f"{link}?p={index}").status == 200, what
        expect(page).to_have_title(f"CT-01 · {index + 1}/{review + 1}")
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
        assert max(widths) <= NARROW, f"{what}: the page scrolls sideways ({widths} px)"

        controls = page.locator("input[type=radio], input[type=checkbox]")
        labelled = controls.evaluate_all(
            "els => els.map(e => e.labels.length === 1 && e.labels[0].textContent.trim() !== '')")
        assert all(labelled), f"{what}: a radio or checkbox without its own label"
        # What a screen reader announces: every control and question box has a name.
        roles = re.findall(r'^\s*- (radio|checkbox|textbox|group)\b(?: "(.*)")?',
                           page.locator("main").aria_snapshot(), flags=re.M)
        unnamed = [role for role, name in roles if not name.strip()]
        assert not unnamed, f"{what}: controls without an accessible name: {unnamed}"
        assert sum(role in ("radio", "checkbox") for role, _ in roles) == len(labelled)

        targets = page.locator("label.opt, button").evaluate_all(
            "els => els.map(e => [e.textContent.trim(), e.getBoundingClientRect().height])")
        assert targets, what
        small = [(text, height) for text, height in targets if height < TOUCH_MIN]
        assert not small, f"{what}: tap targets under {TOUCH_MIN} px: {small}"
        if what == "unit":  # every option (and the "don't know this unit" box) is a target
            assert controls.count() == page.locator("label.opt").count() > 12 * 3
        if what == "review":
            expect(page.locator("ol.review li")).to_have_count(22)


def test_pages_load_nothing_but_themselves(live_server, db, phone):
    """No script, style sheet, font or image, and no other origin: one document per page."""
    token, _ = first_slot(db, "I.1")
    page = phone(javascript=True)
    requests = []
    page.on("request", lambda request: requests.append(request))
    documents = []
    page.on("response", lambda response: documents.append(response))

    assert page.goto(f"{live_server.url}/s/{token}").status == 200
    press(page, NEXT, then_title="CT-01 · 2/24")
    press(page, NEXT, then_title="CT-01 · 3/24")
    page.get_by_text("Tôi không biết đơn vị này").tap()
    press(page, NEXT, then_title="CT-01 · 4/24")
    press(page, NEXT)  # nothing answered: the same page again, with errors
    expect(page.locator(".err").first).to_be_visible()
    press(page, BACK, then_title="CT-01 · 3/24")
    press(page, "English", then_title="CT-01 · 3/24")  # a button of the form: saves, then switches
    expect(page.get_by_role("button", name="Next")).to_be_visible()

    foreign = [(r.resource_type, r.method, r.url) for r in requests
               if not is_own_document(r, live_server.url)]
    assert not foreign, foreign
    # Each tap on a button is one POST and (after a save) one redirected GET.
    assert [r.method for r in requests] == ["GET"] + ["POST", "GET"] * 3 + ["POST"] + ["POST", "GET"] \
        + ["POST", "GET"]
    for response in documents:
        assert response.headers.get("cache-control") == "no-store", response.url
        assert response.headers.get("content-type", "").startswith("text/html"), response.url


def test_a_missing_answer_is_shown_next_to_its_question_and_the_rest_kept(live_server, db, phone):
    token, _ = first_slot(db, "I.1")
    page = phone(javascript=False)
    assert page.goto(f"{live_server.url}/s/{token}").status == 200
    press(page, NEXT, then_title="CT-01 · 2/24")
    press(page, NEXT, then_title="CT-01 · 3/24")
    given = tap_answers(page, lambda i, q, values: None if q == "q02" else values[i % len(values)])
    assert len(given) == 11 and "q02" not in given

    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        press(page, NEXT)
    assert sent.value.status == 422
    expect(page).to_have_title("Lỗi: 1 câu cần bổ sung hoặc sửa · CT-01 · 3/24")
    expect(page.get_by_role("alert")).to_contain_text("cần bổ sung")
    box = question(page, "q02")
    message = box.locator("#e-q02")
    expect(message).to_be_visible()
    expect(message).to_contain_text("bắt buộc")
    expect(box).to_have_accessible_description(re.compile("bắt buộc"))
    expect(page.locator("fieldset").filter(has=page.locator(".err"))).to_have_count(1)
    # The message sits between the question and its first option.
    legend, shown, first = (locator.bounding_box() for locator in (
        box.locator("legend"), message, box.locator("label").first))
    assert legend["y"] < shown["y"] < first["y"]
    assert checked(page) == given  # the other answers are still checked, q02 still open

    tapped = tap_answers(page, lambda i, q, values: values[0] if q == "q02" else None)
    assert tapped == {"q02": "rat_tot"}
    press(page, NEXT, then_title="CT-01 · 4/24")
    expect(page.locator("h1")).to_contain_text("Đơn vị 2/20")
