"""Backups restore: the commands of the README's "Running it for real", run for real.

PostgreSQL: ``pg_dump --format=custom`` of a database with answers, field work and the
audit log, restored with ``pg_restore`` into an empty database, which then holds the same
rows and serves the same link states.  SQLite: the online backup of the file.
"""

from __future__ import annotations

import glob
import shutil
import sqlite3
import subprocess

import pytest
import sqlalchemy as sa

from survey_service import create_app, get_db
from tests.conftest import _postgres_database

TABLES = ("survey_plans", "units", "respondent_groups", "quota_places", "slots", "drafts",
          "responses", "response_answers", "distribution_events", "audit_log", "users",
          "questionnaire_versions", "appraisal_scores")


def _pg_tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)
    if found is None:
        pytest.fail(f"{name} is missing (the Debian package postgresql provides it)")
    return found


def _fill(url: str) -> dict[str, object]:
    """Answer one form, hand out cards, record audit entries; return what the database holds."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "k", "TESTING": True})
    try:
        with get_db(app).session() as session:
            slots = session.execute(sa.text("SELECT id, token FROM slots ORDER BY id LIMIT 2")).all()
            session.execute(sa.text("UPDATE slots SET status = 'completed' WHERE id = :id"),
                            {"id": slots[0].id})
            session.execute(sa.text(
                "INSERT INTO responses (id, plan_id, group_code, form_code, form_version, form_hash,"
                " channel, completed_on) VALUES ('r1', 1, 'I.1', 'CT-01', '2020.1', :h, 'web',"
                " '2021-02-01')"), {"h": "x" * 64})
            session.execute(sa.text(
                "INSERT INTO response_answers (response_id, rated_unit, question, value)"
                " VALUES ('r1', '', 'b1', 'Đã tham gia')"))
            session.execute(sa.text(
                "INSERT INTO audit_log (at, user_name, action, target, detail)"
                " VALUES (CURRENT_TIMESTAMP, 'admin', 'hand_out', 'Sở Nội vụ', '{}')"))
        client = app.test_client()
        states = {client.get(f"/s/{token}").status_code for _, token in slots}
    finally:
        get_db(app).dispose()
    return {"states": states, **_counts(url)}


def _counts(url: str) -> dict[str, object]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}
            counts["answer"] = conn.execute(sa.text("SELECT value FROM response_answers")).scalar()
            return counts
    finally:
        engine.dispose()


@pytest.fixture
def postgres_loaded(request):
    """A PostgreSQL database holding the built-in plan."""
    yield from _postgres_database(template=request.getfixturevalue("_postgres_template"))


@pytest.mark.postgres
def test_pg_dump_restores_into_an_empty_database(postgres_loaded, tmp_path):
    loaded_url = postgres_loaded
    before = _fill(loaded_url)
    assert before["states"] == {200, 410} and before["responses"] == 1
    dump = tmp_path / "survey.dump"
    source = sa.make_url(loaded_url)
    libpq = source.set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--file", str(dump), libpq], check=True)
    for target_url in _postgres_database():
        target = sa.make_url(target_url).set(drivername="postgresql").render_as_string(hide_password=False)
        subprocess.run([_pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "--dbname", target,
                        str(dump)], check=True)
        after = _counts(target_url)
        assert after == {k: v for k, v in before.items() if k != "states"}
        # The restored copy is a working service: same link states, and the audit log is
        # still append-only (its triggers came back with it).
        app = create_app({"DATABASE_URL": target_url, "SECRET_KEY": "k", "TESTING": True})
        try:
            with get_db(app).session() as session:
                tokens = session.execute(sa.text("SELECT token FROM slots ORDER BY id LIMIT 2")).scalars()
                client = app.test_client()
                assert {client.get(f"/s/{t}").status_code for t in tokens} == {200, 410}
            with pytest.raises(sa.exc.DBAPIError):
                with get_db(app).session() as session:
                    session.execute(sa.text("DELETE FROM audit_log"))
        finally:
            get_db(app).dispose()


def test_sqlite_online_backup_restores(_sqlite_template, tmp_path):
    live = tmp_path / "survey.db"
    shutil.copyfile(_sqlite_template, live)
    loaded_url = f"sqlite:///{live}"
    before = _fill(loaded_url)
    copy = tmp_path / "backup.db"
    source = sqlite3.connect(sa.make_url(loaded_url).database)
    target = sqlite3.connect(copy)
    with target:
        source.backup(target)
    source.close()
    target.close()
    after = _counts(f"sqlite:///{copy}")
    assert after == {k: v for k, v in before.items() if k != "states"}
