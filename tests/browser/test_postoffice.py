"""One post-office workflow in a real browser: sign in, print the cards of a unit, record
the hand-out, key in a returned paper form, see the dashboard move."""

from __future__ import annotations

import sqlalchemy as sa

from survey_service.accounts.operations import add_user
from survey_service.core.models import Response, Slot

PASSWORD = "mat-khau-dai-du"


def test_post_office_day(live_server, browser, db, tmp_path):
    with db.session() as session:
        add_user(session, "buudien", "postoffice", PASSWORD)
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/staff/progress")
        assert "/staff/login" in page.url  # signed out: only the login page
        page.fill("#name", "buudien")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        assert "/staff/progress" in page.url
        assert page.locator("main p strong").first.inner_text() == "0/1193"

        # Print the cards of Sở Nội vụ's civil servants (group I.3).
        page.goto(f"{live_server.url}/staff/slots")
        page.select_option("#group", "I.3")
        page.fill("#unit", "so-noi-vu")
        page.click("form[method=get] button[type=submit]")
        assert page.locator("input[name=slot]").count() == 15
        with page.expect_download() as download:
            page.click("text=PDF")
        pdf = tmp_path / "cards.pdf"
        download.value.save_as(pdf)
        assert pdf.read_bytes()[:5] == b"%PDF-"

        # Record all 15 as handed out to the department's office.
        page.check("input[name=all]")
        page.fill("#contact", "Văn phòng Sở Nội vụ")
        page.click("text=Ghi nhận đã phát")
        assert "Đã ghi nhận phát 15 phiếu" in page.inner_text("main")
        code = page.locator("input[name=slot]").first.get_attribute("value")

        # A paper form comes back: key it in by its slot code, with the keyboard.
        page.goto(f"{live_server.url}/staff/paper")
        page.fill("#code", code.lower())
        page.press("#code", "Enter")
        assert code in page.inner_text("h1")
        # Section by section, as on the phone; the running total says what is still missing.
        while True:
            groups = page.eval_on_selector_all(
                "input[type=radio]", "els => [...new Set(els.map(e => e.name))]")
            for name in groups:
                page.locator(f"input[type=radio][name='{name}']").first.check()
            if page.get_by_role("button", name="Phần sau").count() == 0:
                break
            page.get_by_role("button", name="Phần sau").click()
        assert page.locator("[data-missing]").get_attribute("data-missing") == "0"
        page.get_by_role("button", name="Lưu phiếu giấy").click()
        assert f"Đã nhập phiếu giấy {code}" in page.inner_text("main")

        # The dashboard counts it.
        page.goto(f"{live_server.url}/staff/progress")
        assert page.locator("main p strong").first.inner_text() == "1/1193"
        cells = page.locator("tr", has_text="Công chức phòng chuyên môn các sở").first \
            .locator("td").all_inner_texts()
        assert cells[0] == "I.3" and cells[2:6] == ["300", "15", "1", "1"]
    finally:
        context.close()
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
        assert session.scalar(sa.select(Slot.status).where(Slot.code == code)) == "completed"
