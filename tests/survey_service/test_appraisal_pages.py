"""The appraisal pages: every page and form as every role, two units and two council
members; the round through the pages; uploads refused with nothing stored; scores,
comments and changes after a deadline or the lock refused with the operations' status."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from survey_service.accounts.operations import add_user
from survey_service.accounts.queries import get_user
from survey_service.appraisal import operations as ops
from survey_service.appraisal import schedule
from survey_service.appraisal.evidence import LocalStore, check_upload
from survey_service.appraisal.models import (
    AppraisalField,
    AppraisalLock,
    AppraisalScore,
    AppraisalUnit,
    EvidenceFile,
)
from survey_service.appraisal.queries import unit_lines
from survey_service.core.models import AuditEntry
from survey_service.plans.queries import current_plan, get_plan_row

PASSWORD = "mat-khau-dai-du"
UTC = dt.timezone.utc
#: Accounts of every role: two evaluated departments, two council members and the standing body.
ACCOUNTS = {
    "admin": ("admin", None), "analyst": ("analyst", None), "postoffice": ("postoffice", None),
    "tuphap": ("unit", "so-tu-phap"), "yte": ("unit", "so-y-te"),
    "hd-taichinh": ("council", "so-tai-chinh"), "hd-tuphap": ("council", "so-tu-phap"),
    "hd-noivu": ("council", "so-noi-vu"),
}
COUNCIL = {"hd-taichinh", "hd-tuphap", "hd-noivu"}
FINANCE = ("LV6.TD1", "LV6.TD2")  # Sở Tài chính's field: 4 points each for a department
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BEFORE_DEADLINE = dt.datetime(2021, 1, 20, 3, 0, tzinfo=UTC)
AFTER_DEADLINE = dt.datetime(2021, 2, 1, 3, 0, tzinfo=UTC)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


class Clock:
    """The moment the pages see (``schedule.now``)."""

    def __init__(self) -> None:
        self.at = BEFORE_DEADLINE

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch) -> Clock:
    now = Clock()
    monkeypatch.setattr(schedule, "now", now)
    return now


@pytest.fixture
def folder(app, tmp_path) -> Path:
    """The evidence folder, two levels down so that ``../../x.pdf`` would land in tmp_path."""
    path = tmp_path / "store" / "evidence"
    app.config.update(EVIDENCE_DIR=str(path), EVIDENCE_FILE_MB=0.05, EVIDENCE_UNIT_MB=1,
                      MAX_CONTENT_LENGTH=4 * 1024 * 1024)
    return path


class Site:
    """Signed-in clients by account name, and the round's state read back."""

    def __init__(self, app, db, folder: Path) -> None:
        self.app, self.db, self.folder = app, db, folder
        self.clients: dict[str, object] = {}
        self.tokens: dict[str, str] = {}

    def client(self, name: str):
        if name not in self.clients:
            client = self.app.test_client()
            page = client.get("/staff/login").get_data(as_text=True)
            response = client.post("/staff/login", data={"csrf_token": _csrf(page), "name": name,
                                                         "password": PASSWORD})
            assert response.status_code == 302, response.get_data(as_text=True)
            self.clients[name] = client
            self.tokens[name] = _csrf(client.get("/staff/login").get_data(as_text=True))
        return self.clients[name]

    def get(self, name: str, url: str):
        return self.client(name).get(url)

    def post(self, name: str, url: str, data: dict, **kwargs):
        client = self.client(name)
        return client.post(url, data={"csrf_token": self.tokens[name], **data}, **kwargs)

    def follow(self, name: str, response) -> str:
        assert response.status_code == 302, (response.status_code, response.get_data(as_text=True)[-600:])
        return self.get(name, response.headers["Location"]).get_data(as_text=True)

    def snapshot(self):
        """Everything the round stores, to show that a refused request stored nothing."""
        with self.db.session() as s:
            scores = sorted((r.unit, r.criterion, r.self_score, r.evidence, r.appraised, r.reason, r.final,
                             r.first_appraised, r.explanation) for r in s.scalars(sa.select(AppraisalScore)))
            units = sorted((r.unit, str(r.submitted_at), r.late, str(r.reopened_until))
                           for r in s.scalars(sa.select(AppraisalUnit)))
            fields = sorted((r.unit, r.appraiser, str(r.sent_at)) for r in s.scalars(sa.select(AppraisalField)))
            files = sorted((r.unit, r.criterion, r.filename) for r in s.scalars(sa.select(EvidenceFile)))
            lock = [str(r.finalised_at) for r in s.scalars(sa.select(AppraisalLock))]
            audit = s.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
                AuditEntry.action.not_in(["sign_in", "sign_out"])))
        stored = sorted(str(p.relative_to(self.folder)) for p in self.folder.rglob("*")) \
            if self.folder.exists() else []
        return scores, units, fields, files, lock, audit, stored

    def score(self, unit: str, criterion: str) -> AppraisalScore | None:
        with self.db.session() as s:
            row = s.scalar(sa.select(AppraisalScore).where(AppraisalScore.unit == unit,
                                                           AppraisalScore.criterion == criterion))
            if row is not None:
                s.expunge(row)
            return row

    def files(self, unit: str) -> list[EvidenceFile]:
        with self.db.session() as s:
            rows = list(s.scalars(sa.select(EvidenceFile).where(EvidenceFile.unit == unit)
                                  .order_by(EvidenceFile.id)))
            for r in rows:
                s.expunge(r)
            return rows

    def prefill(self, unit: str, *, skip: tuple[str, ...] = (), submit: bool = False,
                evidence: bool = False) -> int | None:
        """Self-scores (the maximum, with an explanation) of every row of ``unit`` but
        ``skip``, through the operations; optionally one evidence file and the submission.
        Returns the evidence file's id."""
        file_id = None
        with self.db.session() as session:
            row, plan = get_plan_row(session), current_plan(session)
            admin = get_user(session, "admin")
            for line in unit_lines(session, row, plan, unit):
                if line.sub.code not in skip:
                    ops.set_self_score(session, row, plan, unit, line.sub.code, score=line.max_points,
                                       explanation="Báo cáo số 12/BC-UBND", user=admin, at=BEFORE_DEADLINE)
            if evidence:
                upload = check_upload(PDF + unit.encode(), f"{unit}.pdf", max_bytes=10**6)
                file_id = ops.add_evidence(session, LocalStore(self.folder), row, plan, unit, "LV1.TD1", upload,
                                           stage="self", user=admin, at=BEFORE_DEADLINE, unit_limit=10**7).id
            if submit:
                ops.submit(session, row, plan, unit, user=admin, at=BEFORE_DEADLINE)
        return file_id


@pytest.fixture
def site(app, db, folder, clock) -> Site:
    with db.session() as session:
        for name, (role, unit) in ACCOUNTS.items():
            add_user(session, name, role, PASSWORD, unit=unit)
    return Site(app, db, folder)


# --------------------------------------------------------------------------- rights


def test_every_page_and_form_as_every_role(site):
    mine = site.prefill("so-tu-phap", submit=True, evidence=True)
    theirs = site.prefill("so-y-te", skip=FINANCE, evidence=True)
    everyone = set(ACCOUNTS)
    pages = [
        ("/staff/", everyone),
        ("/staff/appraisal/self", {"admin", "tuphap", "yte"}),
        ("/staff/appraisal/self?unit=so-tu-phap", {"admin", "tuphap"}),
        ("/staff/appraisal/self?unit=so-y-te", {"admin", "yte"}),
        ("/staff/appraisal/self/LV1", {"admin", "tuphap", "yte"}),
        ("/staff/appraisal/self/LV6?unit=so-y-te", {"admin", "yte"}),
        ("/staff/appraisal/explanation", {"admin", "tuphap", "yte"}),
        ("/staff/appraisal/explanation?unit=so-tu-phap", {"admin", "tuphap"}),
        ("/staff/appraisal/council", {"admin"} | COUNCIL),
        ("/staff/appraisal/council?field=so-tai-chinh", {"admin", "hd-taichinh", "hd-noivu"}),
        ("/staff/appraisal/council?field=so-tu-phap", {"admin", "hd-tuphap", "hd-noivu"}),
        ("/staff/appraisal/council/so-tu-phap?field=so-tai-chinh", {"admin", "hd-taichinh", "hd-noivu"}),
        ("/staff/appraisal/council/so-y-te?field=so-tu-phap", {"admin", "hd-tuphap", "hd-noivu"}),
        ("/staff/appraisal/council/so-y-te", {"admin"} | COUNCIL),
        ("/staff/appraisal/board", {"admin", "analyst", "hd-noivu"}),
        ("/staff/appraisal/board.xlsx", {"admin", "analyst", "hd-noivu"}),
        (f"/staff/appraisal/evidence/{mine}", {"admin", "tuphap"} | COUNCIL),
        (f"/staff/appraisal/evidence/{theirs}", {"admin", "yte"} | COUNCIL),
        ("/staff/appraisal", {"admin", "analyst"}),
        ("/staff/appraisal/so-tu-phap.xlsx", {"admin", "analyst"}),
    ]
    for url, allowed in pages:
        for name in ACCOUNTS:
            status = site.get(name, url).status_code
            assert status == (200 if name in allowed else 403), (name, url, status)
    # Unknown things are 404 for those who may look.
    assert site.get("admin", "/staff/appraisal/evidence/999999").status_code == 404
    assert site.get("admin", "/staff/appraisal/evidence/99999999999999999999").status_code == 404
    assert site.get("admin", "/staff/appraisal/self?unit=phuong-quyet-thang").status_code == 404
    assert site.get("yte", "/staff/appraisal/self/LV99").status_code == 404
    assert site.get("hd-noivu", "/staff/appraisal/council/so-y-te?field=nobody").status_code == 404
    # Anonymous: the sign-in page.
    for url, _ in pages[1:]:
        response = site.app.test_client().get(url)
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"], url

    forms = [
        ("/staff/appraisal/self?unit=so-y-te", {"submit": "1"}, {"admin", "yte"}),
        ("/staff/appraisal/self/LV6?unit=so-y-te", {"score-LV6.TD1": "1", "explanation-LV6.TD1": "x"},
         {"admin", "yte"}),
        ("/staff/appraisal/self/LV1?unit=so-tu-phap", {"score-LV1.TD1": "0"}, {"admin", "tuphap"}),
        ("/staff/appraisal/explanation?unit=so-tu-phap", {"criterion": "LV6.TD1", "answer": "x"},
         {"admin", "tuphap"}),
        ("/staff/appraisal/council/so-tu-phap/appraise",
         {"field": "so-tai-chinh", "score-LV6.TD1": "1", "comment-LV6.TD1": "x"},
         {"admin", "hd-taichinh", "hd-noivu"}),
        ("/staff/appraisal/council/so-tu-phap/send", {"field": "so-tai-chinh"}, {"admin", "hd-taichinh", "hd-noivu"}),
        ("/staff/appraisal/council/so-tu-phap/final",
         {"field": "so-tai-chinh", "criterion": "LV6.TD1", "score": "1", "reason": "x"},
         {"admin", "hd-taichinh", "hd-noivu"}),
        ("/staff/appraisal/council/so-tu-phap/appraise",
         {"field": "so-tu-phap", "score-LV2.TD1": "1", "comment-LV2.TD1": "x"},
         {"admin", "hd-tuphap", "hd-noivu"}),
        ("/staff/appraisal/finalise", {"confirm": "1"}, {"admin"}),
        ("/staff/appraisal/reopen", {"reason": "x"}, {"admin"}),
        ("/staff/appraisal/reopen-unit", {"unit": "so-tu-phap", "days": "3", "reason": "x"}, {"admin"}),
    ]
    before = site.snapshot()
    for url, data, allowed in forms:
        for name in set(ACCOUNTS) - allowed:
            status = site.post(name, url, data).status_code
            assert status == 403, (name, url, status)
        for name in set(ACCOUNTS) - allowed if "/self/" in url else ():  # with a file too
            status = site.post(name, url, {**data, "file-LV6.TD1": (io.BytesIO(PDF), "x.pdf")},
                               content_type="multipart/form-data").status_code
            assert status == 403, (name, url, status)
    assert site.snapshot() == before
    # Without its CSRF token, a form is refused before anything else.
    assert site.client("admin").post("/staff/appraisal/finalise", data={"confirm": "1"}).status_code == 400
    assert site.snapshot() == before
    # Where allowed, the right is granted: the form is done (302) or refused by the state of
    # the round only (409: submitted, sent, finalised; 422: not every row scored yet).
    for url, data, allowed in forms:
        for name in sorted(allowed):
            status = site.post(name, url, data).status_code
            assert status in (302, 409, 422), (name, url, status)


def test_the_menu_shows_each_role_its_pages(site):
    links = {name: set(re.findall(r'href="(/staff/[^"?]*)', site.get(name, "/staff/").get_data(as_text=True)))
             for name in ACCOUNTS}
    assert "/staff/appraisal/self" in links["tuphap"] and "/staff/appraisal/council" not in links["tuphap"]
    assert "/staff/progress" not in links["tuphap"] and "/staff/slots" not in links["hd-taichinh"]
    assert "/staff/appraisal/council" in links["hd-taichinh"] and "/staff/appraisal/board" not in links["hd-taichinh"]
    assert "/staff/appraisal/board" in links["hd-noivu"] and "/staff/appraisal/board" in links["analyst"]
    assert {"/staff/appraisal/self", "/staff/appraisal/council", "/staff/appraisal/board"} <= links["admin"]
    for name, pages in links.items():  # no link to a page the account may not open
        for url in pages:
            assert site.get(name, url).status_code == 200, (name, url)


# --------------------------------------------------------------------------- the round


def test_a_round_through_the_pages(site, clock):
    site.prefill("so-tu-phap", skip=FINANCE)
    overview = site.get("tuphap", "/staff/appraisal/self").get_data(as_text=True)
    assert "chưa gửi" in overview and "còn 9 ngày" in overview
    assert 'href="/staff/appraisal/self/LV6?unit=so-tu-phap"' in overview
    assert "0 / 2 tiêu chí" in overview  # the finance area, not scored yet
    page = site.get("tuphap", "/staff/appraisal/self/LV6").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="file-LV6.TD1"' in page
    assert "Thực hiện cơ chế tự chủ tài chính" in page and "điểm tối đa 4" in page

    # Saved as the unit goes: a score and a file now, the other score later.
    saved = site.post("tuphap", "/staff/appraisal/self/LV6",
                      {"score-LV6.TD1": "4", "explanation-LV6.TD1": "Quyết định giao tự chủ",
                       "file-LV6.TD1": (io.BytesIO(PDF), "Quyết định 15.pdf")}, content_type="multipart/form-data")
    assert "Đã lưu 1 tiêu chí và 1 tệp" in site.follow("tuphap", saved)
    saved = site.post("tuphap", "/staff/appraisal/self/LV6", {"score-LV6.TD2": "3,5",
                                                              "explanation-LV6.TD2": "Báo cáo tài sản"})
    page = site.follow("tuphap", saved)
    assert "Quyết định 15.pdf" in page and 'value="3,5"' in page
    assert site.score("so-tu-phap", "LV6.TD2").self_score == 3.5
    audit = site.snapshot()[5]
    unchanged = site.post("tuphap", "/staff/appraisal/self/LV6", {"score-LV6.TD1": "4", "score-LV6.TD2": "3.5",
                                                                  "explanation-LV6.TD2": "Báo cáo tài sản\r\n"})
    assert "Đã lưu 0 tiêu chí" in site.follow("tuphap", unchanged)
    assert site.snapshot()[5] == audit  # nothing changed, nothing logged

    submitted = site.post("tuphap", "/staff/appraisal/self", {"submit": "1"})
    assert "đã gửi ngày 20/01/2021" in site.follow("tuphap", submitted)
    before = site.snapshot()
    late = site.post("tuphap", "/staff/appraisal/self/LV6", {"score-LV6.TD1": "1"})
    assert late.status_code == 409 and "đã gửi bản tự đánh giá" in late.get_data(as_text=True)
    assert site.post("tuphap", "/staff/appraisal/self", {"submit": "1"}).status_code == 409
    assert site.snapshot() == before

    # Sở Tài chính appraises its field: one confirmed, one corrected (a comment is required).
    listing = site.get("hd-taichinh", "/staff/appraisal/council").get_data(as_text=True)
    assert "Sở Tư pháp" in listing and "đã gửi, chờ thẩm định" in listing
    page = site.get("hd-taichinh", "/staff/appraisal/council/so-tu-phap").get_data(as_text=True)
    assert "Quyết định 15.pdf" in page and "Quyết định giao tự chủ" in page and "LV1.TD1" not in page
    before = site.snapshot()
    bare = site.post("hd-taichinh", "/staff/appraisal/council/so-tu-phap/appraise",
                     {"field": "so-tai-chinh", "score-LV6.TD1": "4", "score-LV6.TD2": "2", "comment-LV6.TD2": " "})
    assert bare.status_code == 422 and "hãy ghi nhận xét" in bare.get_data(as_text=True)
    assert 'value="2"' in bare.get_data(as_text=True)  # what was typed is shown again
    high = site.post("hd-taichinh", "/staff/appraisal/council/so-tu-phap/appraise",
                     {"field": "so-tai-chinh", "score-LV6.TD1": "4,5"})
    assert high.status_code == 422 and "từ 0 đến 4" in high.get_data(as_text=True)
    early = site.post("hd-taichinh", "/staff/appraisal/council/so-tu-phap/send", {"field": "so-tai-chinh"})
    assert early.status_code == 422 and "Chưa thẩm định" in early.get_data(as_text=True)
    assert site.snapshot() == before
    done = site.post("hd-taichinh", "/staff/appraisal/council/so-tu-phap/appraise",
                     {"field": "so-tai-chinh", "score-LV6.TD1": "4", "score-LV6.TD2": "2",
                      "comment-LV6.TD2": "Thiếu báo cáo kiểm kê tài sản"})
    assert "Đã lưu điểm thẩm định của 2 tiêu chí" in site.follow("hd-taichinh", done)
    sent = site.post("hd-taichinh", "/staff/appraisal/council/so-tu-phap/send", {"field": "so-tai-chinh"})
    assert "chờ giải trình" in site.follow("hd-taichinh", sent)
    again = site.post("hd-taichinh", "/staff/appraisal/council/so-tu-phap/appraise",
                      {"field": "so-tai-chinh", "score-LV6.TD1": "3", "comment-LV6.TD1": "x"})
    assert again.status_code == 409
    waiting = site.post("hd-taichinh", "/staff/appraisal/council/so-tu-phap/final",
                        {"field": "so-tai-chinh", "criterion": "LV6.TD2", "score": "3", "reason": "x"})
    assert waiting.status_code == 409 and "còn được giải trình" in waiting.get_data(as_text=True)

    # The unit answers its one correction with a text and a second file.
    page = site.get("tuphap", "/staff/appraisal/explanation").get_data(as_text=True)
    assert "LV6.TD2" in page and "LV6.TD1" not in page and "Thiếu báo cáo kiểm kê tài sản" in page
    assert "đến hết ngày <strong>27/01/2021</strong>" in page  # seven days after sending
    answered = site.post("tuphap", "/staff/appraisal/explanation",
                         {"criterion": "LV6.TD2", "answer": "Bổ sung biên bản kiểm kê",
                          "file": (io.BytesIO(PDF + b"2"), "Biên bản kiểm kê.pdf")},
                         content_type="multipart/form-data")
    assert "Đã lưu giải trình tiêu chí LV6.TD2 (1 tệp mới)" in site.follow("tuphap", answered)
    assert [f.stage for f in site.files("so-tu-phap")] == ["self", "explanation"]

    page = site.get("hd-taichinh", "/staff/appraisal/council/so-tu-phap").get_data(as_text=True)
    assert "Bổ sung biên bản kiểm kê" in page and "Biên bản kiểm kê.pdf" in page
    no_reason = site.post("hd-taichinh", "/staff/appraisal/council/so-tu-phap/final",
                          {"field": "so-tai-chinh", "criterion": "LV6.TD2", "score": "3", "reason": ""})
    assert no_reason.status_code == 422
    final = site.post("hd-taichinh", "/staff/appraisal/council/so-tu-phap/final",
                      {"field": "so-tai-chinh", "criterion": "LV6.TD2", "score": "3", "reason": "Đã bổ sung"})
    assert "đã có điểm cuối" in site.follow("hd-taichinh", final)
    assert site.score("so-tu-phap", "LV6.TD2").final and site.score("so-tu-phap", "LV6.TD2").appraised == 3
    before = site.snapshot()
    for code in ("LV6.TD1", "LV6.TD2", "LV1.TD1"):  # confirmed, final already, not sent
        refused = site.post("tuphap", "/staff/appraisal/explanation", {"criterion": code, "answer": "Thêm"})
        assert refused.status_code == 409, code
    assert site.snapshot() == before

    board = site.get("hd-noivu", "/staff/appraisal/board").get_data(as_text=True)
    assert "Sở Tư pháp" in board and "đúng hạn" not in board and "chưa gửi" in board
    unticked = site.post("admin", "/staff/appraisal/finalise", {})
    assert unticked.status_code == 302 and site.snapshot()[4] == []
    finalised = site.post("admin", "/staff/appraisal/finalise", {"confirm": "1"})
    assert "Kết quả thẩm định đã chốt" in site.follow("admin", finalised)
    locked = site.post("hd-taichinh", "/staff/appraisal/council/so-tu-phap/final",
                       {"field": "so-tai-chinh", "criterion": "LV6.TD2", "score": "1", "reason": "x"})
    assert locked.status_code == 409 and "đã được chốt" in locked.get_data(as_text=True)
    assert site.post("admin", "/staff/appraisal/finalise", {"confirm": "1"}).status_code == 409
    assert site.post("admin", "/staff/appraisal/reopen", {"reason": " "}).status_code == 422
    reopened = site.post("admin", "/staff/appraisal/reopen", {"reason": "Sai sót khi nhập"})
    assert "chưa chốt" in site.follow("admin", reopened)


def test_deadlines_late_submissions_and_reopening(site, clock):
    site.prefill("so-y-te", skip=("LV6.TD1",))
    clock.at = AFTER_DEADLINE
    before = site.snapshot()
    page = site.get("yte", "/staff/appraisal/self").get_data(as_text=True)
    assert "đã quá hạn 3 ngày" in page and 'name="submit"' not in page
    assert 'name="score-LV6.TD1"' not in site.get("yte", "/staff/appraisal/self/LV6").get_data(as_text=True)
    refused = site.post("yte", "/staff/appraisal/self/LV6", {"score-LV6.TD1": "2"})
    assert refused.status_code == 409 and "Đã quá hạn tự đánh giá" in refused.get_data(as_text=True)
    assert site.post("yte", "/staff/appraisal/self", {"submit": "1"}).status_code == 409
    assert site.snapshot() == before

    for data in ({"unit": "so-y-te", "days": "0", "reason": "x"}, {"unit": "so-y-te", "days": "ba", "reason": "x"},
                 {"unit": "so-y-te", "days": "3", "reason": ""}):
        assert site.post("admin", "/staff/appraisal/reopen-unit", data).status_code == 422, data
    assert site.post("admin", "/staff/appraisal/reopen-unit",
                     {"unit": "phuong-quyet-thang", "days": "3", "reason": "x"}).status_code == 404
    assert site.snapshot() == before
    reopened = site.post("admin", "/staff/appraisal/reopen-unit",
                         {"unit": "so-y-te", "days": "3", "reason": "Mất điện"})
    assert "Đã mở lại bản tự đánh giá của so-y-te" in site.follow("admin", reopened)
    assert "được mở lại đến 04/02/2021" in site.get("yte", "/staff/appraisal/self").get_data(as_text=True)
    saved = site.post("yte", "/staff/appraisal/self/LV6", {"score-LV6.TD1": "2", "explanation-LV6.TD1": "Báo cáo"})
    assert saved.status_code == 302
    submitted = site.post("yte", "/staff/appraisal/self", {"submit": "1"})
    assert "đã gửi ngày 01/02/2021 10:00</strong> (muộn)" in site.follow("yte", submitted)
    assert "(muộn)" in site.get("admin", "/staff/appraisal/board").get_data(as_text=True)


def test_the_explanation_period_ends(site, clock):
    site.prefill("so-tu-phap", submit=True)
    site.post("hd-noivu", "/staff/appraisal/council/so-tu-phap/appraise",
              {"field": "so-tai-chinh", "score-LV6.TD1": "4", "score-LV6.TD2": "1", "comment-LV6.TD2": "Thiếu"})
    assert site.post("hd-noivu", "/staff/appraisal/council/so-tu-phap/send",
                     {"field": "so-tai-chinh"}).status_code == 302
    clock.at = BEFORE_DEADLINE + dt.timedelta(days=8)
    page = site.get("tuphap", "/staff/appraisal/explanation").get_data(as_text=True)
    assert "Hết thời hạn giải trình" in page and 'name="answer"' not in page
    before = site.snapshot()
    late = site.post("tuphap", "/staff/appraisal/explanation",
                     {"criterion": "LV6.TD2", "answer": "Muộn", "file": (io.BytesIO(PDF), "muon.pdf")},
                     content_type="multipart/form-data")
    assert late.status_code == 409 and "Đã hết thời hạn giải trình" in late.get_data(as_text=True)
    assert site.snapshot() == before
    final = site.post("hd-noivu", "/staff/appraisal/council/so-tu-phap/final",
                      {"field": "so-tai-chinh", "criterion": "LV6.TD2", "score": "1", "reason": "Không giải trình"})
    assert final.status_code == 302 and site.score("so-tu-phap", "LV6.TD2").final


def test_scores_outside_the_range_are_refused(site):
    site.prefill("so-tu-phap", skip=FINANCE)
    before = site.snapshot()
    for value in ("5", "-1", "4,01", "abc", "1e400", "nan"):
        response = site.post("tuphap", "/staff/appraisal/self/LV6", {"score-LV6.TD1": value,
                                                                     "explanation-LV6.TD1": "x"})
        assert response.status_code == 422, value
        assert "không hợp lệ" in response.get_data(as_text=True)
    # A good score beside a bad one: the whole form is refused.
    response = site.post("tuphap", "/staff/appraisal/self/LV6", {"score-LV6.TD1": "2", "score-LV6.TD2": "9"})
    assert response.status_code == 422
    assert site.snapshot() == before
    english = site.post("tuphap", "/staff/appraisal/self/LV6?lang=en", {"score-LV6.TD1": "9"})
    assert english.status_code == 422 and "it must be a number from 0 to 4" in english.get_data(as_text=True)


# --------------------------------------------------------------------------- uploads


def _upload(site, name: str, data: bytes, filename: str, unit: str = "so-tu-phap", **fields):
    url = "/staff/appraisal/self/LV6" + ("" if name != "admin" else f"?unit={unit}")
    return site.post(name, url, {"file-LV6.TD1": (io.BytesIO(data), filename), **fields},
                     content_type="multipart/form-data")


@pytest.mark.parametrize("data, filename, status, message", [
    (b"Bao cao tu cham diem\n", "bao-cao.txt", 422, "Loại tệp không được nhận"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(200), "x.pdf", 422, "Loại tệp không được nhận"),
    (b"", "x.pdf", 422, "Tệp rỗng"),
    (PDF + bytes(60 * 1024), "lon.pdf", 413, "lớn hơn giới hạn"),
    (b"PK\x03\x04" + bytes(100), "x.docx", 422, "Loại tệp không được nhận"),
    (PDF, "../../x.pdf", 422, "không được là một đường dẫn"),
    (PDF, "..\\..\\x.pdf", 422, "không được là một đường dẫn"),
])
def test_uploads_refused_and_nothing_stored(site, tmp_path, data, filename, status, message):
    site.prefill("so-tu-phap", skip=FINANCE)
    before = site.snapshot()
    response = _upload(site, "tuphap", data, filename, **{"score-LV6.TD1": "3"})
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert site.snapshot() == before
    assert not site.folder.exists() or not any(site.folder.rglob("*"))
    assert site.score("so-tu-phap", "LV6.TD1") is None  # the score sent with it is not kept either
    assert not any(p.name == "x.pdf" for p in tmp_path.rglob("*"))  # nothing written by its name


def test_a_file_is_kept_by_its_hash_under_its_plain_name(site, tmp_path):
    site.prefill("so-tu-phap", skip=FINANCE)
    response = _upload(site, "tuphap", PDF, "Tờ trình số 5.PDF")
    assert response.status_code == 302
    assert [f.filename for f in site.files("so-tu-phap")] == ["Tờ trình số 5.pdf"]
    stored = [p for p in site.folder.rglob("*") if p.is_file()]
    assert len(stored) == 1 and stored[0].read_bytes() == PDF
    assert re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{62}", stored[0].relative_to(site.folder).as_posix())
    assert [p for p in tmp_path.rglob("*") if p.is_file() and "evidence" not in p.parts
            and p.suffix.lower() == ".pdf"] == []


def test_the_unit_limit_counts_every_file(site, app):
    site.prefill("so-tu-phap", skip=FINANCE)
    app.config.update(EVIDENCE_FILE_MB=1, EVIDENCE_UNIT_MB=0.1)  # 100 KB for the whole unit
    big = PDF + bytes(60 * 1024)
    assert _upload(site, "tuphap", big, "a.pdf").status_code == 302
    before = site.snapshot()
    response = _upload(site, "tuphap", big + b"x", "b.pdf")
    assert response.status_code == 413 and "Tổng dung lượng tài liệu" in response.get_data(as_text=True)
    assert site.snapshot() == before


# --------------------------------------------------------------------------- downloads and board


def test_evidence_is_always_an_attachment(site):
    site.prefill("so-tu-phap", skip=FINANCE)
    _upload(site, "tuphap", PDF, "Báo cáo đợt 1.pdf")
    file = site.files("so-tu-phap")[0]
    for name in ("tuphap", "hd-taichinh", "admin"):
        response = site.get(name, f"/staff/appraisal/evidence/{file.id}")
        assert response.status_code == 200 and response.data == PDF
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith('attachment; filename="Bao cao dot 1.pdf"')
        assert "filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20%C4%91%E1%BB%A3t%201.pdf" in disposition
        assert response.mimetype == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
    assert site.get("yte", f"/staff/appraisal/evidence/{file.id}").status_code == 403


def test_the_board_and_its_workbook(site):
    site.prefill("so-tu-phap", submit=True)
    page = site.get("analyst", "/staff/appraisal/board").get_data(as_text=True)
    assert "Hạn tự đánh giá" in page and "còn 9 ngày" in page and "Hạn thẩm định" in page
    assert "đúng hạn" not in page and "20/01/2021" in page and "đã gửi, chờ thẩm định" in page
    assert 'action="/staff/appraisal/finalise"' not in page  # admins only
    assert 'action="/staff/appraisal/finalise"' in site.get("admin", "/staff/appraisal/board").get_data(as_text=True)
    response = site.get("analyst", "/staff/appraisal/board.xlsx?lang=en")
    assert response.headers["Content-Disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:5] == ("unit", "name", "kind", "submitted_at", "late")
    assert "field:so-tai-chinh" in header and header[-2:] == ("explanations_pending", "final")
    line = dict(zip(header, next(r for r in rows if r[0] == "so-tu-phap")))
    assert line["submitted_at"] == "20/01/2021 10:00" and line["late"] == "no"
    assert line["field:so-tai-chinh"] == "submitted" and line["explanations_pending"] == 0
    cells = next(r for r in sheet.iter_rows() if r[0].value == "so-tu-phap")
    assert all(c.data_type == "s" for c in cells if isinstance(c.value, str))
    assert len(rows) == 1 + 28  # every evaluated unit: 20 departments, 8 districts


def test_an_admin_acts_for_a_unit(site):
    site.prefill("so-y-te", skip=FINANCE)
    picker = site.get("admin", "/staff/appraisal/self").get_data(as_text=True)
    assert 'href="/staff/appraisal/self?unit=so-y-te"' in picker
    saved = site.post("admin", "/staff/appraisal/self/LV6?unit=so-y-te", {"score-LV6.TD1": "1,5"})
    assert saved.status_code == 302 and "unit=so-y-te" in saved.headers["Location"]
    assert site.score("so-y-te", "LV6.TD1").self_score == 1.5
    # A form sent without its unit or its fields goes back where it came from, nothing stored.
    before = site.snapshot()
    assert site.post("admin", "/staff/appraisal/self/LV6", {"score-LV6.TD1": "2"}).status_code == 302
    assert site.post("admin", "/staff/appraisal/council/so-y-te/appraise", {}).status_code == 302
    assert site.post("tuphap", "/staff/appraisal/self", {}).status_code == 302
    assert site.snapshot() == before
