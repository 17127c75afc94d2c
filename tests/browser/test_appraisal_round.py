"""One appraisal round in a real browser: a department enters its self-scores with a PDF
as evidence and submits; Sở Tài chính's council account appraises its field for that
department, corrects one score with a comment and sends; the department answers with a
text and a second file; the council gives the final score; an admin finalises; the index
of the department counts exactly the final scores."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from survey_service.accounts.operations import add_user
from survey_service.accounts.queries import get_user
from survey_service.appraisal import operations as ops
from survey_service.appraisal import schedule
from survey_service.appraisal.models import AppraisalScore, EvidenceFile
from survey_service.appraisal.queries import unit_lines
from survey_service.plans.queries import current_plan, get_plan_row
from survey_service.results.queries import compute

PASSWORD = "mat-khau-dai-du"
UNIT = "so-tu-phap"
FINANCE = ("LV6.TD1", "LV6.TD2")  # the sub-criteria Sở Tài chính appraises (4 points each)
#: Ten days before the self-assessment deadline (29/01/2021).
NOW = dt.datetime(2021, 1, 19, 2, 0, tzinfo=dt.timezone.utc)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _prefill_other_fields(db) -> None:
    """The rows outside Sở Tài chính's field, entered as the department would have."""
    with db.session() as session:
        row, plan = get_plan_row(session), current_plan(session)
        admin = get_user(session, "admin")
        for line in unit_lines(session, row, plan, UNIT):
            if line.sub.code not in FINANCE:
                ops.set_self_score(session, row, plan, UNIT, line.sub.code, score=line.max_points,
                                   explanation="Báo cáo số 12/BC-STP", user=admin, at=NOW)


def _sign_in(browser, url: str, name: str, **size):
    context = browser.new_context(viewport=size or {"width": 1100, "height": 900}, accept_downloads=True,
                                  locale="vi-VN")
    page = context.new_page()
    page.goto(f"{url}/staff/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    assert page.url.endswith("/staff/"), page.url
    return context, page


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} scrolls sideways at 360 px ({width} px)"


def test_an_appraisal_round(live_server, browser, loaded, db, monkeypatch, tmp_path, shots):
    monkeypatch.setattr(schedule, "now", lambda: NOW)
    loaded.config["EVIDENCE_DIR"] = str(tmp_path / "evidence")
    with db.session() as session:
        add_user(session, "admin", "admin", PASSWORD)
        add_user(session, "sotuphap", "unit", PASSWORD, unit=UNIT)
        add_user(session, "taichinh", "council", PASSWORD, unit="so-tai-chinh")
    _prefill_other_fields(db)
    first, second = tmp_path / "quyet-dinh-tu-chu.pdf", tmp_path / "bien-ban-kiem-ke.pdf"
    first.write_bytes(PDF)
    second.write_bytes(PDF + b"% kiem ke\n")
    contexts = []
    try:
        # The department, on a phone: its finance area, a PDF as evidence, then submits.
        unit_context, unit = _sign_in(browser, live_server.url, "sotuphap", width=360, height=740)
        contexts.append(unit_context)
        unit.click("nav >> text=Tự đánh giá")
        assert "còn 10 ngày" in unit.inner_text("main")
        _no_sideways_scroll(unit)
        unit.click("text=LV6. Cải cách tài chính công")
        unit.fill("input[name='score-LV6.TD1']", "4")
        unit.fill("textarea[name='explanation-LV6.TD1']", "Quyết định giao quyền tự chủ số 15/QĐ-STP")
        unit.set_input_files("input[name='file-LV6.TD1']", str(first))
        unit.fill("input[name='score-LV6.TD2']", "3,5")
        unit.fill("textarea[name='explanation-LV6.TD2']", "Báo cáo quản lý tài sản công năm 2020")
        unit.click("button:has-text('Lưu')")
        assert "Đã lưu 2 tiêu chí và 1 tệp kiểm chứng" in unit.inner_text("main")
        assert unit.locator("a:has-text('quyet-dinh-tu-chu.pdf')").count() == 1
        unit.click("text=Về trang tự đánh giá")
        unit.click("button:has-text('Gửi bản tự đánh giá')")
        assert "đã gửi ngày 19/01/2021" in unit.inner_text("main")

        # Sở Tài chính: its field across the units, then this department's two rows.
        council_context, council = _sign_in(browser, live_server.url, "taichinh")
        contexts.append(council_context)
        council.click("nav >> text=Thẩm định")
        row = council.locator("tr", has_text="Sở Tư pháp")
        assert "đã gửi, chờ thẩm định" in row.inner_text()
        row.locator("a").click()
        with council.expect_download() as download:
            council.click("a:has-text('quyet-dinh-tu-chu.pdf')")
        assert download.value.suggested_filename == "quyet-dinh-tu-chu.pdf"
        assert download.value.path().read_bytes() == PDF
        council.fill("input[name='score-LV6.TD1']", "4")
        council.fill("input[name='score-LV6.TD2']", "2")
        council.fill("textarea[name='comment-LV6.TD2']", "Chưa có biên bản kiểm kê tài sản cuối năm")
        council.click("button:has-text('Lưu điểm thẩm định')")
        assert "Đã lưu điểm thẩm định của 2 tiêu chí" in council.inner_text("main")
        council.screenshot(path=str(shots / "council.png"), full_page=True)
        council.click("button:has-text('Gửi kết quả đến đơn vị')")
        assert "chờ giải trình" in council.inner_text("main")

        # The department answers the correction with a text and a second file.
        unit.click("nav >> text=Giải trình")
        text = unit.inner_text("main")
        assert "LV6.TD2" in text and "Chưa có biên bản kiểm kê" in text and "LV6.TD1" not in text
        _no_sideways_scroll(unit)
        unit.fill("textarea[name=answer]", "Gửi bổ sung biên bản kiểm kê ngày 31/12/2020")
        unit.set_input_files("input[name=file]", str(second))
        unit.click("button:has-text('Gửi giải trình')")
        assert "Đã lưu giải trình tiêu chí LV6.TD2 (1 tệp mới)" in unit.inner_text("main")

        # The council reads the answer and gives the final score.
        council.reload()
        assert "Gửi bổ sung biên bản kiểm kê" in council.inner_text("main")
        assert council.locator("a:has-text('bien-ban-kiem-ke.pdf')").count() == 1
        council.fill("[id='final-LV6.TD2']", "3")
        council.fill("[id='reason-LV6.TD2']", "Đã bổ sung biên bản, còn thiếu xác nhận của kho bạc")
        council.click("button:has-text('Cho điểm cuối')")
        assert "đã có điểm cuối" in council.inner_text("main")

        # An admin finalises on the board.
        admin_context, admin = _sign_in(browser, live_server.url, "admin", width=360, height=740)
        contexts.append(admin_context)
        admin.click("nav >> text=Theo dõi thẩm định")
        _no_sideways_scroll(admin)
        admin.screenshot(path=str(shots / "board-360.png"), full_page=True)
        admin.check("#confirm")
        admin.click("button:has-text('Chốt kết quả thẩm định')")
        assert "Đã chốt kết quả thẩm định" in admin.inner_text("main")
    finally:
        for context in contexts:
            context.close()

    assert (shots / "council.png").stat().st_size > 10_000
    with db.session() as session:
        finals = dict(session.execute(sa.select(AppraisalScore.criterion, AppraisalScore.appraised).where(
            AppraisalScore.unit == UNIT, AppraisalScore.final.is_(True))).all())
        assert finals == {"LV6.TD1": 4.0, "LV6.TD2": 3.0}
        stages = session.scalars(sa.select(EvidenceFile.stage).where(EvidenceFile.unit == UNIT)
                                 .order_by(EvidenceFile.id)).all()
        assert stages == ["self", "explanation"]
        row, plan = get_plan_row(session), current_plan(session)
        index = compute(session, row, plan, replicates=0).index.set_index("unit")
    assert index.loc[UNIT, "appraisal"] == sum(finals.values()) == 7.0
    assert not index.loc[UNIT, "appraisal_preliminary"]
