"""The citizens' satisfaction survey in a real browser: the staff pages of the rosters and
of the delivery list, and form HL-01 (with its select_multiple question, ticked as
checkboxes) on a phone.

axe-core (WCAG 2.1 A and AA) in Vietnamese and English at a phone's width, with nothing
wider than the screen; a citizen drawn from a roster answers without scripts; the post
office records an unreachable person by a click and sees the reserve's new slot.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey_service.citizens.models import SampleMember
from survey_service.citizens.operations import draw, import_roster
from survey_service.core.models import Draft, Slot
from survey_service.plans.queries import get_plan_row

from ..survey_service.citizens_setup import PASSWORD, load_round, roster_csv, roster_rows, small_plan
from .phone import BACK, COMPLETED, NEXT, SEND, press, stored_responses, tap_answers
from .test_accessibility import PHONE, _phone_context, _sign_in, _violations

UNIT = "so-tu-phap"
OTHER = "huyen-sin-ho"
#: HL-01 for one unit: intro, the channels (kenh), the unit's ratings, background, review.
TOTAL = 5
CHANNELS = ("truc_tiep", "buu_chinh", "truc_tuyen", "khac")


@pytest.fixture
def drawn(db):
    """III.1 of a small citizens' round: 3 drawn per unit and 2 in reserve from rosters of
    10 dossiers for two units; III.2 has one roster imported, not drawn yet."""
    plan = small_plan(per_unit=3, reserve=0.5)
    load_round(db, plan)
    with db.session() as session:
        row = get_plan_row(session, plan.code)
        for unit in (UNIT, OTHER):
            import_roster(session, row, plan, "III.1", unit, roster_csv(roster_rows(unit, 10)), user=None)
        draw(session, row, plan, "III.1", seed=11, user=None)
        import_roster(session, row, plan, "III.2", UNIT, roster_csv(roster_rows("to-chuc", 6)), user=None)
    return plan


def _add_user(db, name: str, role: str) -> None:
    from survey_service.accounts.operations import add_user

    with db.session() as session:
        add_user(session, name, role, PASSWORD)


def _drawn_token(db, unit: str = UNIT) -> str:
    """The link token of the first person drawn from ``unit``'s roster of group III.1."""
    from survey_service.citizens.models import Roster
    from survey_service.core.models import Unit

    with db.session() as session:
        return session.scalars(
            sa.select(Slot.token).join(SampleMember, SampleMember.slot_id == Slot.id)
            .join(Roster, SampleMember.roster_id == Roster.id).join(Unit, Roster.unit_id == Unit.id)
            .where(Unit.code == unit, Slot.code.like("31-%")).order_by(Slot.code)).first()


def _too_wide(page, what: str) -> list[str]:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    return [f"{what}: {width} px wide at {PHONE} px"] if width > PHONE else []


def _check(page, what: str) -> list[str]:
    """The page's WCAG violations and, if wider than the phone, that too."""
    return _violations(page, what) + _too_wide(page, what)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_citizens_staff_pages_have_no_wcag_violation_and_fit_a_phone(live_server, browser, db, drawn,
                                                                     lang):
    """The roster overview (III.1 drawn, III.2 imported, units without a roster), the
    delivery list of the group and of a unit, and the list again after an outcome was
    recorded (the flash message and the table of replaced people)."""
    _add_user(db, "quantri", "admin")
    context = _phone_context(browser, lang)
    page = context.new_page()
    base = live_server.url
    found: list[str] = []
    try:
        _sign_in(page, base, "quantri")
        assert page.goto(f"{base}/staff/citizens?lang={lang}").status == 200
        assert page.locator("html").get_attribute("lang") == lang
        main = page.locator("main")
        expect(main).to_contain_text("seed" if lang == "en" else "hạt giống")
        expect(main).to_contain_text("imported, not drawn" if lang == "en" else "đã nhập, chờ chọn mẫu")
        found += _check(page, "overview")

        assert page.goto(f"{base}/staff/citizens/delivery?group=III.1").status == 200
        found += _check(page, "delivery of the group")

        url = f"{base}/staff/citizens/delivery?group=III.1&unit={UNIT}"
        assert page.goto(url).status == 200
        slots = page.locator("input[name=slot]")
        expect(slots).to_have_count(3)
        found += _check(page, "delivery of a unit")

        first = slots.first.get_attribute("value")
        row = page.locator("tr").filter(has=page.locator(f"input[name=slot][value='{first}']"))
        with page.expect_navigation():
            row.get_by_role("button", name="Handed out" if lang == "en" else "Đã phát").click()
        expect(page.locator("main p.notice[role=status]")).to_contain_text(first)
        found += _check(page, "delivery after an outcome")

        second = slots.nth(1).get_attribute("value")
        row = page.locator("tr").filter(has=page.locator(f"input[name=slot][value='{second}']"))
        row.get_by_role("textbox").fill("Chuyển đi nơi khác")
        with page.expect_navigation():
            row.get_by_role("button", name="Unreachable" if lang == "en" else "Không liên lạc được").click()
        expect(page.locator("h2")).to_contain_text(["Replaced by a reserve" if lang == "en"
                                                    else "Đã thay bằng người dự phòng"])
        found += _check(page, "delivery after a replacement")
    finally:
        context.close()
    assert not found, "\n".join(found)


def _answer_all_radios(page) -> None:
    page.locator("input[type=radio]").evaluate_all(
        """radios => { const seen = new Set();
                       for (const r of radios) if (!seen.has(r.name)) { seen.add(r.name); r.checked = true; } }""")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_page_of_the_citizens_form_has_no_wcag_violation_on_a_phone(live_server, browser, db, drawn,
                                                                         lang):
    """HL-01 page by page: the intro, the channels (checkboxes), the unit's ratings, the
    background, the review and the completion page; the error states of the checkbox
    page (an option that does not exist, as a tampered form sends it) and of the unit's
    page (required ratings missing)."""
    token = _drawn_token(db)
    context = _phone_context(browser, lang)
    page = context.new_page()
    link = f"{live_server.url}/s/{token}"
    found: list[str] = []
    go = "button.go"
    try:
        assert page.goto(f"{link}?lang={lang}").status == 200
        expect(page).to_have_title(f"HL-01 · 1/{TOTAL}")
        found += _check(page, "intro")
        with page.expect_navigation():
            page.locator(go).click()

        # The channels: four checkboxes, none required.
        boxes = page.locator("input[type=checkbox][name=kenh]")
        expect(boxes).to_have_count(len(CHANNELS))
        found += _check(page, "channels")
        page.locator("input[name=kenh][value=khac]").evaluate("e => e.value = 'khong-co'")
        page.locator("input[name=kenh][value=khong-co]").check()
        with page.expect_navigation() as sent:
            page.locator(go).click()
        assert sent.value.status == 422
        expect(page.locator(".err")).to_have_count(1)
        found += _check(page, "channels (error)")
        page.locator("input[name=kenh][value=truc_tiep]").check()
        with page.expect_navigation():
            page.locator(go).click()
        expect(page).to_have_title(f"HL-01 · 3/{TOTAL}")

        # The unit's ratings: sent with none given, then answered.
        found += _check(page, "unit")
        with page.expect_navigation() as sent:
            page.locator(go).click()
        assert sent.value.status == 422
        expect(page.locator(".err")).to_have_count(17)
        found += _check(page, "unit (error)")
        _answer_all_radios(page)
        with page.expect_navigation():
            page.locator(go).click()

        expect(page).to_have_title(f"HL-01 · 4/{TOTAL}")
        found += _check(page, "background")
        with page.expect_navigation():
            page.locator(go).click()
        expect(page).to_have_title(f"HL-01 · 5/{TOTAL}")
        found += _check(page, "review")
        with page.expect_navigation():
            page.locator(go).click()
        expect(page.locator(COMPLETED)).to_be_visible()
        found += _check(page, "completed")
    finally:
        context.close()
    assert not found, "\n".join(found)


def test_a_drawn_citizen_ticks_two_channels_without_javascript(live_server, db, drawn, phone):
    """The link of a person drawn from the roster, on a phone without scripts: two
    channels ticked (one untapped again after a change of mind), every rating, a page
    back and forth, one send; ``kenh`` is stored as the two values joined by a space."""
    token = _drawn_token(db)
    page = phone(javascript=False)
    assert page.goto(f"{live_server.url}/s/{token}").status == 200
    expect(page).to_have_title(f"HL-01 · 1/{TOTAL}")
    press(page, NEXT, then_title=f"HL-01 · 2/{TOTAL}")

    def box(value: str):
        return page.locator(f"input[type=checkbox][name=kenh][value={value}]")

    # Three taps on the lines of the options, one of them a change of mind.
    for value in ("truc_tuyen", "truc_tiep", "truc_tuyen", "buu_chinh"):
        page.locator("label").filter(has=box(value)).tap()
    for value, ticked in zip(CHANNELS, (True, True, False, False)):
        (expect(box(value)).to_be_checked if ticked else expect(box(value)).not_to_be_checked)()
    press(page, NEXT, then_title=f"HL-01 · 3/{TOTAL}")

    expected = {f"{q}@{UNIT}": v for q, v in tap_answers(
        page, lambda i, q, values: values[i % 5]).items()}
    assert len(expected) == 17
    # Back to the channels: both still ticked; then on again.
    press(page, BACK, then_title=f"HL-01 · 2/{TOTAL}")
    expect(page.locator("input[name=kenh]:checked")).to_have_count(2)
    press(page, NEXT, then_title=f"HL-01 · 3/{TOTAL}")
    press(page, NEXT, then_title=f"HL-01 · 4/{TOTAL}")

    expected |= tap_answers(page, lambda i, q, values: values[0] if q in ("b1", "b2") else None)
    press(page, NEXT, then_title=f"HL-01 · 5/{TOTAL}")
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        press(page, SEND)
    assert sent.value.status == 200
    expect(page.locator(COMPLETED)).to_be_visible()
    assert page.locator("main").get_attribute("data-survey-status") == "completed"

    [(response, answers)] = stored_responses(db)
    assert (response.group_code, response.form_code, response.own_unit) == ("III.1", "HL-01", UNIT)
    assert answers["kenh"] == "truc_tiep buu_chinh"
    assert answers == {"kenh": "truc_tiep buu_chinh", **expected}
    with db.session() as session:
        assert session.scalar(sa.select(Slot.status).where(Slot.token == token)) == "completed"
        assert session.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0


def test_the_post_office_records_an_unreachable_person_and_sees_the_new_slot(live_server, browser, db,
                                                                            drawn):
    """On a phone, the post office finds the unit's list, types the reason on a person's
    line and taps "Không liên lạc được": the first reserve takes the place with a new slot,
    shown in the list; the old slot is in the table of replaced people."""
    _add_user(db, "buudien", "postoffice")
    context = _phone_context(browser, "vi")
    page = context.new_page()
    base = live_server.url
    try:
        _sign_in(page, base, "buudien")
        page.goto(f"{base}/staff/citizens/delivery")
        page.select_option("#group", "III.1")
        page.select_option("#unit", UNIT)
        with page.expect_navigation():
            page.locator("form").filter(has=page.locator("#unit")).get_by_role("button", name="Xem").click()
        assert f"unit={UNIT}" in page.url
        slots = page.locator("input[name=slot]")
        expect(slots).to_have_count(3)
        before = slots.evaluate_all("els => els.map(e => e.value)")
        gone = before[1]
        line = page.locator("tbody tr").filter(has=page.locator(f"input[name=slot][value='{gone}']"))
        line.get_by_role("textbox", name="Lý do").fill("Không có ở nhà")
        with page.expect_navigation():
            line.get_by_role("button", name="Không liên lạc được").tap()

        main = page.locator("main")
        notice = main.locator(".notice").filter(has_text=gone)
        expect(notice).to_contain_text("người dự phòng số 1")
        new = re.search(r"phiếu mới (\d\d-\d{4}-\w)", notice.inner_text()).group(1)
        assert new not in before
        now = slots.evaluate_all("els => els.map(e => e.value)")
        assert len(now) == 3 and new in now and gone not in now
        expect(page.locator("tbody tr").filter(has=page.locator(f"input[name=slot][value='{new}']"))
               ).to_contain_text("dự phòng 1")
        replaced = page.locator("h2 + .scroll tbody tr")
        expect(replaced).to_have_count(1)
        expect(replaced).to_contain_text(gone)
        expect(replaced).to_contain_text("Không liên lạc được")
        expect(replaced).to_contain_text("Không có ở nhà")
    finally:
        context.close()
    with db.session() as session:
        status = dict(session.execute(sa.select(Slot.code, Slot.status).where(Slot.code.in_([gone, new]))).all())
        assert status == {gone: "voided", new: "issued"}
        outcome = session.execute(sa.select(SampleMember.outcome, SampleMember.reason)
                                  .join(Slot, SampleMember.slot_id == Slot.id).where(Slot.code == gone)).one()
        assert tuple(outcome) == ("unreachable", "Không có ở nhà")
