"""Whole forms filled in a real browser on a phone-sized screen, with and without scripts."""

from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import expect

import sampling
from survey_service.core.models import Draft, Slot

from .phone import (
    BACK,
    COMPLETED,
    NEXT,
    SEND,
    checked,
    first_slot,
    is_own_document,
    option,
    press,
    stored_responses,
    tap_answers,
)

COMMENT = "Đề nghị rút ngắn thời gian giải quyết hồ sơ đất đai."


def test_department_form_without_javascript(live_server, db, phone, shots):
    """Group I.1 (CT-01): 20 departments, a change of mind on an earlier page, one send."""
    token, _ = first_slot(db, "I.1")
    departments = sampling.load_plan().rated_units("I.1", None)
    assert len(departments) == 20
    total = 24  # intro, background, 20 departments, comments, review
    page = phone(javascript=False)
    link = f"{live_server.url}/s/{token}"

    opened = page.goto(link)
    assert opened.status == 200
    expect(page).to_have_title(f"CT-01 · 1/{total}")
    expect(page.get_by_text("Phiếu là ẩn danh")).to_be_visible()
    press(page, NEXT, then_title=f"CT-01 · 2/{total}")

    expected: dict[str, str] = {}
    expected |= tap_answers(page, lambda i, q, values: values[-1])  # background b1..b3
    assert set(expected) == {"b1", "b2", "b3"}
    press(page, NEXT, then_title=f"CT-01 · 3/{total}")

    def answers_about(unit_code: str) -> dict[str, str]:
        suffix = f"@{unit_code}"
        return {k[: -len(suffix)]: v for k, v in expected.items() if k.endswith(suffix)}

    for number, unit in enumerate(departments, start=1):
        title = f"CT-01 · {number + 2}/{total}"
        expect(page.locator("h1")).to_have_text(f"Đơn vị {number}/20: {unit.name}")
        tapped = tap_answers(page, lambda i, q, values, n=number: values[(n + i) % len(values)])
        assert len(tapped) == 12
        expected |= {f"{q}@{unit.code}": v for q, v in tapped.items()}
        if number == 1:
            page.screenshot(path=shots / "unit-page-360.png", full_page=True)
        if number == 4:
            # A change of mind: back to department 3, whose saved answers are shown.
            previous = departments[2]
            press(page, BACK, then_title=f"CT-01 · {number + 1}/{total}")
            expect(page.locator("h1")).to_have_text(f"Đơn vị 3/20: {previous.name}")
            assert checked(page) == answers_about(previous.code)
            before = expected[f"q01@{previous.code}"]
            changed = "kem" if before != "kem" else "kha"
            option(page, "q01", changed).tap()
            expect(option(page, "q01", changed).locator("input")).to_be_checked()
            expect(option(page, "q01", before).locator("input")).not_to_be_checked()
            expected[f"q01@{previous.code}"] = changed
            press(page, NEXT, then_title=title)
            # "Back" saved department 4's answers too.
            assert checked(page) == answers_about(unit.code)
        press(page, NEXT, then_title=f"CT-01 · {number + 3}/{total}")

    comment = page.get_by_role("textbox")
    comment.tap()
    comment.fill(COMMENT)
    expected["y1"] = COMMENT
    press(page, NEXT, then_title=f"CT-01 · {total}/{total}")

    expect(page.locator("h1")).to_have_text("Kiểm tra và gửi phiếu")
    expect(page.locator("ol.review li .muted")).to_have_text(["3/3"] + ["12/12"] * 20 + ["1/1"])
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        press(page, SEND)
    assert sent.value.status == 200
    expect(page.locator(COMPLETED)).to_be_visible()
    expect(page.locator("h1")).to_have_text("Cảm ơn Ông/Bà!")

    # The spent link: 410, with the same completion page.
    again = page.goto(link)
    assert again.status == 410
    expect(page.locator(COMPLETED)).to_be_visible()

    [(response, answers)] = stored_responses(db)
    assert (response.group_code, response.form_code, response.channel) == ("I.1", "CT-01", "web")
    assert response.own_unit is None
    assert answers == expected
    assert answers[f"q01@{departments[2].code}"] in ("kem", "kha")
    with db.session() as session:
        assert session.scalar(sa.select(Slot.status).where(Slot.token == token)) == "completed"
        assert session.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0


def test_short_form_with_javascript_and_a_double_tap_on_send(live_server, db, phone):
    """Group I.3 (CT-02), one page per section; a double tap and a second tab send once."""
    token, own_unit = first_slot(db, "I.3")
    assert own_unit is not None
    total = 9  # intro, background, six sections, review
    page = phone(javascript=True)
    requests = []
    page.on("request", lambda request: requests.append(request))
    link = f"{live_server.url}/s/{token}"
    path = f"/s/{token}"

    assert page.goto(link).status == 200
    expect(page).to_have_title(f"CT-02 · 1/{total}")
    press(page, NEXT, then_title=f"CT-02 · 2/{total}")

    def pick(i: int, question: str, values: list[str]) -> str:
        if question == "q14":
            return "khong"  # so q15 (asked on the same page, "if yes") does not apply...
        return values[i % len(values)]

    expected: dict[str, str] = {}
    for index in range(1, total - 1):  # background, the six sections, comments
        tapped = tap_answers(page, pick)
        expected |= tapped
        if "q15" in tapped:
            # ...and the answer a respondent gives it anyway is not kept.
            expect(page.get_by_text("Chỉ trả lời nếu phù hợp")).to_be_visible()
            del expected["q15"]
        if index == total - 2:
            page.get_by_role("textbox").fill(COMMENT)
            expected["y1"] = COMMENT
        press(page, NEXT, then_title=f"CT-02 · {index + 2}/{total}")
    assert {"b1", "b2", "q01", "q14", "y1"} <= set(expected) and "q15" not in expected

    # The same link in a second tab, left open on the review page.
    other = page.context.new_page()
    assert other.goto(link).status == 200
    expect(other).to_have_title(f"CT-02 · {total}/{total}")

    # A double tap on "Gửi phiếu": two touches in quick succession on the button.
    posts_before = live_server.posts(path)  # from here on, every POST is a send
    send = page.get_by_role("button", name=SEND)
    send.scroll_into_view_if_needed()
    box = send.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.touchscreen.tap(x, y)
    page.touchscreen.tap(x, y)
    expect(page.locator(COMPLETED)).to_be_visible()

    # The stale review page in the other tab sends again: the same completion page.
    with other.expect_response(lambda r: r.request.method == "POST") as resent:
        press(other, SEND)
    assert resent.value.status == 200
    expect(other.locator(COMPLETED)).to_be_visible()
    # At least two sends reached the server (the double tap's one or two, the other tab's).
    assert live_server.posts(path) - posts_before >= 2

    [(response, answers)] = stored_responses(db)
    assert (response.group_code, response.form_code, response.own_unit) == ("I.3", "CT-02", own_unit)
    assert answers == expected
    # Nothing but the app's own pages was loaded along the way.
    assert requests and all(is_own_document(r, live_server.url) for r in requests), [
        (r.resource_type, r.url) for r in requests if not is_own_document(r, live_server.url)]
