"""Accessibility in a real browser: axe-core (WCAG 2.1 A and AA) on every kind of
respondent page and every staff page, in Vietnamese and in English, at a phone's width.

axe-core comes from the ``axe-playwright-python`` package (it ships ``axe.min.js``); it is
evaluated in the page by Playwright, under the page's own Content-Security-Policy.  Any
violation fails, with the rule, its impact and the elements.  Staff pages must also read
at 360 px: nothing wider than the screen but inside its own scroll box, and chart text
of at least 11 px as drawn.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe

import sampling
import sampling.slots
from survey_service.accounts.operations import add_user
from survey_service.core.models import Slot
from survey_service.respondent.operations import save_page
from survey_service.respondent.pages import RatedUnit, answer_key, build_pages

from .conftest import PHONE_UA, STEP_TIMEOUT_MS
from .phone import first_slot

PASSWORD = "mat-khau-dai-du"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
PHONE = 360
#: Sample arguments for the staff pages found in the app's routes.
SAMPLE_ARGS = {"unit": "so-noi-vu", "area": "LV1"}
#: Staff pages that are downloads, or need a stored file: not pages to check.
NOT_PAGES = re.compile(r"\.(xlsx|csv|pdf|zip|docx)$|<fmt>|evidence|healthz|openapi|^/api/|^/s/|^/static")


def _phone_context(browser, lang: str):
    context = browser.new_context(
        viewport={"width": PHONE, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True,
        user_agent=PHONE_UA, locale="vi-VN" if lang == "vi" else "en-GB", service_workers="block")
    context.set_default_timeout(STEP_TIMEOUT_MS)
    return context


def _violations(page, what: str) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations of the page, one line each."""
    found = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    return [f"{what}: {v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5]) for v in found]


def _answered_up_to_review(db, token: str) -> int:
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


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_kind_of_respondent_page_has_no_wcag_violation(live_server, browser, db, lang):
    token, _ = first_slot(db, "I.1")
    review = _answered_up_to_review(db, token)
    with db.session() as session:
        voided = session.scalars(sa.select(Slot).where(Slot.code.like("12-%")).order_by(Slot.id)).first()
        voided.status = "voided"
        voided_token = voided.token
    context = _phone_context(browser, lang)
    page = context.new_page()
    link = f"{live_server.url}/s/{token}"
    found: list[str] = []
    try:
        for index, what in ((0, "intro"), (1, "questions"), (2, "unit"), (review - 1, "text"),
                            (review, "review")):
            assert page.goto(f"{link}?p={index}&lang={lang}").status == 200
            found += _violations(page, what)
        # A page sent with an answer missing, as shown again (422).
        page.goto(f"{link}?p=2&lang={lang}")
        page.locator("input[type=radio][name=q02]").evaluate_all("els => els.forEach(e => e.checked = false)")
        with page.expect_navigation():
            page.locator("button.go").click()
        assert page.locator(".err").count() == 1
        found += _violations(page, "error")
        # Sent; the spent link; a link that does not exist; a voided card.
        page.goto(f"{link}?p={review}&lang={lang}")
        with page.expect_navigation():
            page.locator("button.go").click()
        assert page.locator("main[data-survey-status=completed]").count() == 1
        found += _violations(page, "completed")
        assert page.goto(f"{link}?lang={lang}").status == 410
        found += _violations(page, "spent link")
        assert page.goto(f"{live_server.url}/s/{'A' * 22}?lang={lang}").status == 404
        found += _violations(page, "unknown link")
        assert page.goto(f"{live_server.url}/s/{voided_token}?lang={lang}").status == 410
        found += _violations(page, "voided link")
    finally:
        context.close()
    assert not found, "\n".join(found)


def _staff_urls(app, db) -> list[str]:
    """Every staff page of the app (the appraisal's too, where they exist), with the states
    worth a look: a selection of slots, a paper sheet, the report."""
    with db.session() as session:
        code = session.scalars(sa.select(Slot.code).where(Slot.code.like("11-%"), Slot.status == "issued")
                               .order_by(Slot.code.desc())).first()
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or not rule.rule.startswith("/staff") or NOT_PAGES.search(rule.rule):
            continue
        if rule.endpoint == "accounts.login":
            continue
        args = {a: SAMPLE_ARGS.get(a, code) for a in rule.arguments}
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, args=args: args[m.group(1)], rule.rule)
        urls.append(path)
        if rule.endpoint.startswith("appraisal.") and "unit" not in rule.arguments:
            urls.append(f"{path}?unit={SAMPLE_ARGS['unit']}")  # an admin acting for a unit
    urls.append("/staff/slots?group=I.3&unit=so-noi-vu")
    return urls


def _some_answers(app, db) -> None:
    """A few forms sent, so that the report has its tables and charts."""
    from ..survey_service.formwalk import Walk

    client = app.test_client()
    for group, count in (("I.3", 3), ("II.3", 2), ("I.1", 1)):
        with db.session() as session:
            tokens = list(session.scalars(
                sa.select(Slot.token).where(Slot.code.like(f"{sampling.slots.group_prefix(group)}-%"),
                                            Slot.status == "issued").order_by(Slot.id).limit(count)))
        for token in tokens:
            assert Walk(client, token).finish(choose=lambda n, o: o[1]).status_code == 200


def _sign_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/staff/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_staff_page_has_no_wcag_violation_and_reads_on_a_phone(live_server, browser, db, loaded,
                                                                     lang):
    """Every staff page as an admin sees it (the report with answers in it), and the paper
    sheet's error and unit states."""
    with db.session() as session:
        add_user(session, "quantri", "admin", PASSWORD)
    _some_answers(loaded, db)
    context = _phone_context(browser, lang)
    page = context.new_page()
    found: list[str] = []
    wide: list[str] = []
    small_text: list[str] = []
    try:
        assert page.goto(f"{live_server.url}/staff/login?lang={lang}").status == 200
        found += _violations(page, "/staff/login")
        _sign_in(page, live_server.url, "quantri")
        page.goto(f"{live_server.url}/staff/?lang={lang}")  # the session keeps the language
        for url in _staff_urls(loaded, db):
            response = page.goto(live_server.url + url)
            assert response.status == 200, (url, response.status)
            assert page.locator("html").get_attribute("lang") == lang
            found += _violations(page, url)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            if width > PHONE:
                wide.append(f"{url}: {width} px wide at {PHONE} px")
            sizes = page.locator("svg text").evaluate_all(
                """els => els.map(e => parseFloat(getComputedStyle(e).fontSize) * e.getScreenCTM().a)""")
            if sizes and min(sizes) < 11 - 1e-6:
                small_text.append(f"{url}: chart text at {min(sizes):.1f} px")
            if url.startswith("/staff/paper/"):
                # A section of the sheet sent with an answer missing (422), then a unit section.
                with page.expect_navigation():
                    page.get_by_role("button", name=re.compile("Lưu phiếu giấy|Save the paper form")).click()
                found += _violations(page, url + " (error)")
                with page.expect_navigation():
                    page.locator("button[value=goto-1]").click()
                found += _violations(page, url + " (unit section)")
    finally:
        context.close()
    problems = found + wide + small_text
    assert not problems, "\n".join(problems)


def test_back_is_left_of_next_and_comes_first(live_server, browser, db):
    token, _ = first_slot(db, "I.1")
    _answered_up_to_review(db, token)
    context = _phone_context(browser, "vi")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/s/{token}?p=2")
        back, go = page.locator(".nav button").all()
        assert back.get_attribute("value") == "back" and go.get_attribute("value") == "next"
        assert back.bounding_box()["x"] < go.bounding_box()["x"]
        # The keyboard meets Back, then Next.
        back.focus()
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.value") == "next"
        page.goto(f"{live_server.url}/s/{token}?p=0")  # no Back on the first page
        (only,) = page.locator(".nav button").all()
        box, nav = only.bounding_box(), page.locator(".nav").bounding_box()
        assert box["x"] + box["width"] > nav["x"] + nav["width"] - 2  # Next stays on the right
    finally:
        context.close()


@pytest.mark.parametrize("source,target,label", [("vi", "en", "English"), ("en", "vi", "Tiếng Việt")])
def test_the_language_switch_keeps_the_answers_without_a_script(live_server, phone, db, source, target,
                                                                label):
    """A button of the page's form, so a browser without scripts saves the page first."""
    from .phone import checked, press, tap_answers

    token, _ = first_slot(db, "I.1")
    _answered_up_to_review(db, token)
    page = phone(javascript=False)
    assert page.goto(f"{live_server.url}/s/{token}?p=2&lang={source}").status == 200
    given = tap_answers(page, lambda i, q, values: values[-1] if i % 2 else values[1])
    press(page, label, then_title="CT-01 · 3/24")
    assert page.locator("html").get_attribute("lang") == target
    assert checked(page) == given
