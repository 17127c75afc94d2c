"""The purge of the citizens' rosters: no row of roster_people left, the bytes gone from the
SQLite file, every count, answer and the satisfaction index unchanged, audited with counts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from questionnaires.constants import Kind
from survey_service.citizens.models import Roster, RosterPerson, SampleMember
from survey_service.citizens.operations import draw, import_roster, purge
from survey_service.citizens.outcomes import record_outcome
from survey_service.citizens.storage import erase_freed_space
from survey_service.core.errors import ServiceError
from survey_service.core.models import AuditEntry, DistributionEvent, Response, ResponseAnswer, Slot
from survey_service.fieldwork.progress import progress
from survey_service.plans.queries import get_plan_row
from survey_service.respondent.operations import finalise

from .citizens_setup import HAILONG, csrf, load_round, roster_csv, roster_rows, sign_in, small_plan

UNITS = ("so-tu-phap", "huyen-sin-ho")


def _setup(db, plan) -> dict[str, list[dict[str, str]]]:
    """Two rosters of III.1 imported and drawn, a replacement, and three answered slots."""
    rosters = {unit: roster_rows(unit, 40) for unit in UNITS}
    form = plan.forms["HL-01"]
    with db.session() as session:
        row = get_plan_row(session, plan.code)
        for unit, rows in rosters.items():
            import_roster(session, row, plan, "III.1", unit, roster_csv(rows), user=None)
        draw(session, row, plan, "III.1", seed=5, user=None)
        slots = session.execute(sa.select(Slot.id, Slot.code).where(Slot.plan_id == row.id)
                                .order_by(Slot.code)).all()
        record_outcome(session, row, slots[0].code, "refused", reason="bận", on_date=dt.date(2020, 10, 1),
                       user=None)
        for (slot_id, _), unit, level in zip(slots[1:4], ("so-tu-phap", "so-tu-phap", "huyen-sin-ho"),
                                             ("4", "5", "2")):
            answers = {f"{q.code}@{unit}": level for q in form.questions() if q.kind is Kind.UNIT_RATING}
            answers["kenh"] = "truc_tiep truc_tuyen"
            assert finalise(session, slot_id, plan_id=row.id, group_code="III.1", form_code=form.code,
                            form_version=form.version, form_hash=form.content_hash, own_unit=unit,
                            channel="paper", answers=answers)
    return rosters


def _state(db, plan) -> dict[str, object]:
    """Every count the purge must leave as it was."""
    from survey_service.results.satisfaction import compute_satisfaction

    with db.session() as session:
        row = get_plan_row(session, plan.code)
        count = lambda model: session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
        report = progress(session, row, plan, dt.date(2020, 11, 1))
        satisfaction = compute_satisfaction(session, row, plan).table
        return {
            "slots": sorted(session.execute(sa.select(Slot.code, Slot.status)).all()),
            "responses": count(Response), "answers": count(ResponseAnswer),
            "events": count(DistributionEvent), "members": session.execute(
                sa.select(SampleMember.role, SampleMember.ord, SampleMember.outcome, SampleMember.reason,
                          SampleMember.place_id, SampleMember.slot_id).order_by(SampleMember.id)).all(),
            "rosters": sorted(session.execute(sa.select(Roster.size, Roster.seed)).all()),
            "progress": json.dumps(report.as_dict(), sort_keys=True, default=str),
            "satisfaction": satisfaction.to_json(),
        }


def _bytes(url: str) -> bytes | None:
    """The bytes of a SQLite database's files (None for another database)."""
    if not url.startswith("sqlite:///"):
        return None
    path = Path(url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal"))
                    if p.exists())


def test_the_purge_deletes_the_people_and_changes_no_count(app, db, loaded_url):
    plan = load_round(db, small_plan(per_unit=6, reserve=0.5))
    rosters = _setup(db, plan)
    before = _state(db, plan)
    assert before["responses"] == 3 and json.loads(before["satisfaction"])
    blob = _bytes(loaded_url)
    assert blob is None or any(r["name"].encode() in blob for r in rosters["so-tu-phap"])
    with db.session() as session:
        report = purge(session, get_plan_row(session, plan.code), plan, "III.1", user=None)
    assert (report.people, report.rosters, report.already) == (80, 2, 0)
    assert erase_freed_space(db.engine)
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(RosterPerson)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(SampleMember).where(
            SampleMember.person_id.is_not(None))) == 0
        assert all(r.purged_at is not None for r in session.scalars(sa.select(Roster)))
        audit = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "roster_purge")).one()
    assert audit.detail == {"people": 80, "rosters": 2, "already_purged": 0}
    after = _state(db, plan)
    assert after == before

    blob = _bytes(loaded_url)
    if blob is not None:
        for rows in rosters.values():
            for row in rows:
                for key in ("name", "address", "phone"):
                    assert row[key].encode("utf-8") not in blob, key

    # Again: nothing left to delete, said so; no one can be replaced any more.
    with db.session() as session:
        again = purge(session, get_plan_row(session, plan.code), plan, "III.1", user=None)
    assert (again.people, again.already) == (0, 2)
    with db.session() as session:
        row = get_plan_row(session, plan.code)
        live = session.scalar(sa.select(Slot.code).where(Slot.plan_id == row.id, Slot.status == "issued")
                              .order_by(Slot.code))
        with pytest.raises(ServiceError) as caught:
            record_outcome(session, row, live, "unreachable", on_date=dt.date(2020, 12, 1), user=None)
    assert caught.value.status == 409
    assert _state(db, plan) == before


def test_purge_by_command_and_page(cli, cli_env, tmp_path):
    assert cli("init", "--plan", HAILONG).exit_code == 0
    path = tmp_path / "r.csv"
    rows = roster_rows("huyen-sin-ho", 30)
    path.write_bytes(roster_csv(rows))
    cli("roster", "import", "III.2", "huyen-sin-ho", str(path))
    cli("sample", "draw", "III.2", "--seed", "3")
    listed = tmp_path / "list.csv"
    assert cli("delivery", "export", "III.2", "--format", "csv", "-o", str(listed)).exit_code == 0
    lines = listed.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + 28 and sum(r["phone"] in "".join(lines) for r in rows) == 28
    refused = cli("roster", "purge", "III.2", input="n\n")
    assert refused.exit_code == 1
    result = cli("roster", "purge", "III.2", "--yes")
    assert result.exit_code == 0, result.output
    assert "30" in result.stdout
    for row in rows:
        assert row["name"] not in result.output
    assert cli("delivery", "export", "III.2", "--format", "xlsx", "-o", str(tmp_path / "x.xlsx")).exit_code == 0
    status = json.loads(cli("roster", "status", "--json").stdout)["rosters"]
    assert status[0]["purged_at"] and status[0]["size"] == 30 and status[0]["official"] == 28
    blob = _bytes(cli_env["SURVEY_DATABASE_URL"])
    if blob is not None:
        assert not any(r["name"].encode() in blob or r["phone"].encode() in blob for r in rows)
    assert cli("roster", "purge", "III.1", "--yes").exit_code == 2  # III.1 has no roster


def test_purge_by_page_asks_for_the_group_code(app, db, loaded_url):
    plan = load_round(db, small_plan(per_unit=4, reserve=0.5))
    rows = roster_rows("so-y-te", 8)
    with db.session() as session:
        row = get_plan_row(session, plan.code)
        import_roster(session, row, plan, "III.1", "so-y-te", roster_csv(rows), user=None)
    admin = sign_in(app, db, "admin")
    page = admin.get("/staff/citizens").get_data(as_text=True)
    wrong = admin.post("/staff/citizens/purge", data={"csrf_token": csrf(page), "group": "III.1",
                                                      "confirm": "III.2"})
    assert wrong.status_code == 302
    assert "chưa xóa gì" in admin.get(wrong.headers["Location"]).get_data(as_text=True)
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(RosterPerson)) == 8
    done = admin.post("/staff/citizens/purge", data={"csrf_token": csrf(page), "group": "III.1",
                                                     "confirm": "III.1"})
    assert done.status_code == 302
    text = admin.get(done.headers["Location"]).get_data(as_text=True)
    assert "Đã xóa vĩnh viễn 8 người" in text and "đã xóa dữ liệu cá nhân" in text
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(RosterPerson)) == 0
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "roster_purge")).one()
    assert entry.user_name == "admin-x" and entry.detail["people"] == 8
    blob = _bytes(loaded_url)
    assert blob is None or not any(r["name"].encode() in blob or r["phone"].encode() in blob for r in rows)
