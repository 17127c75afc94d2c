"""The survey-service command on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

import sampling


def test_init_loads_the_plan_and_issues_one_slot_per_quota_place(cli):
    result = cli("init")
    assert result.exit_code == 0, result.output
    assert "1193" in result.stdout

    shown = cli("plan", "show", "--json")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert data["total"] == 1193
    assert {lv["code"]: lv["forms"] for lv in data["levels"]} == {"department": 533, "district": 660}
    assert all({"code", "form", "forms"} <= set(g) for g in data["groups"])
    assert sum(g["forms"] for g in data["groups"]) == 1193

    exported = cli("slots", "export", "--format", "csv")
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert len(rows) == 1193
    assert len({r["url"] for r in rows}) == 1193
    assert len({r["slot"] for r in rows}) == 1193
    assert {"slot", "group", "form", "unit", "url", "status"} <= set(rows[0])
    assert all(r["url"].startswith("http://survey.test/s/") for r in rows)
    assert all(r["status"] == "issued" for r in rows)
    per_group = {}
    for r in rows:
        per_group[r["group"]] = per_group.get(r["group"], 0) + 1
    assert per_group == {"I.1": 25, "I.2": 16, "I.3": 300, "I.4": 192,
                         "II.1": 120, "II.2": 40, "II.3": 288, "II.4": 212}


def test_second_init_creates_nothing_and_says_so(cli):
    assert cli("init").exit_code == 0
    first = cli("slots", "export", "--format", "csv").stdout
    again = cli("--lang", "en", "init")
    assert again.exit_code == 0, again.output
    assert "nothing changed" in again.stdout
    assert "0 new slots" in again.stdout
    assert cli("slots", "export", "--format", "csv").stdout == first


def test_export_filters_by_group_and_unit(cli, tmp_path: Path):
    cli("init")
    out = tmp_path / "ii4-tam-duong.csv"
    result = cli("slots", "export", "--group", "II.4", "--unit", "huyen-tam-duong",
                 "--format", "csv", "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 13 * 2  # 13 communes of Tam Đường, 2 leaders each
    assert {r["parent_unit"] for r in rows} == {"huyen-tam-duong"}
    assert {r["form"] for r in rows} == {"CH-03"}


@pytest.mark.parametrize(("args", "needle"), [
    (("slots", "export", "--group", "IX.9", "--format", "csv"), "IX.9"),
    (("slots", "export", "--unit", "so-khong-co", "--format", "csv"), "so-khong-co"),
])
def test_export_rejects_unknown_group_or_unit(cli, args, needle):
    cli("init")
    result = cli(*args)
    assert result.exit_code == 2
    assert needle in result.stderr
    assert "Traceback" not in result.output


def test_commands_before_init_explain_what_to_do(cli):
    result = cli("--lang", "en", "slots", "export", "--format", "csv")
    assert result.exit_code == 2
    assert "survey-service init" in result.stderr


def test_broken_plan_file_gives_place_and_no_traceback(cli, tmp_path: Path):
    source = sampling.resolve_plan_path("laichau-2020")
    text = source.read_text(encoding="utf-8").replace("quota: {per: department, count: 15}",
                                                       "quota: {per: department, count: -15}")
    (tmp_path / "plan.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "units.csv").write_bytes((source.parent / "units.csv").read_bytes())
    result = cli("--lang", "en", "init", "--plan", str(tmp_path / "plan.yaml"))
    assert result.exit_code == 2
    assert "groups[2].quota.count" in result.stderr
    assert "line " in result.stderr
    assert "Traceback" not in result.output
    # Nothing was written: the database was not even created.
    assert cli("slots", "export", "--format", "csv").exit_code == 2


def test_missing_plan_file(cli, tmp_path: Path):
    result = cli("init", "--plan", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "nope.yaml" in result.stderr


def test_plan_show_without_database_shows_the_builtin_plan(cli):
    result = cli("plan", "show")
    assert result.exit_code == 0, result.output
    assert "Tổng cộng" in result.stdout and "1193" in result.stdout
    english = cli("--lang", "en", "plan", "show")
    assert "Total" in english.stdout and "Department level" in english.stdout


def test_user_add_and_token(cli):
    cli("init")
    ok = cli("user", "add", "buudien1", "--role", "postoffice", "--password-stdin",
             input="mat-khau-dai-du\n")
    assert ok.exit_code == 0, ok.output
    dup = cli("user", "add", "buudien1", "--role", "postoffice", "--password-stdin",
              input="mat-khau-dai-du\n")
    assert dup.exit_code == 2 and "buudien1" in dup.stderr
    short = cli("user", "add", "x", "--role", "analyst", "--password-stdin", input="ngan\n")
    assert short.exit_code == 2
    role = cli("user", "add", "y", "--role", "king", "--password-stdin", input="mat-khau-dai-du\n")
    assert role.exit_code == 2
    token = cli("user", "token", "buudien1")
    assert token.exit_code == 0 and token.stdout.startswith("psk_")
    assert cli("user", "token", "nobody").exit_code == 2


@pytest.mark.parametrize(("args", "needle"), [
    (("--role", "unit"), "--unit"),                                   # a unit account needs its unit
    (("--role", "unit", "--unit", "xa-then-sin"), "xa-then-sin"),     # a commune is not evaluated
    (("--role", "council", "--unit", "so-y-te"), "so-y-te"),          # not a council member
    (("--role", "analyst", "--unit", "so-noi-vu"), "unit"),           # only unit and council are bound
])
def test_user_add_refuses_a_wrong_unit_and_stores_nobody(cli, cli_env, args, needle):
    cli("init")
    refused = cli("--lang", "en", "user", "add", "tdg", *args, "--password-stdin",
                  input="mat-khau-dai-du\n")
    assert refused.exit_code == 2 and needle in refused.stderr, refused.output
    engine = sa.create_engine(cli_env["SURVEY_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM users WHERE name = 'tdg'")).scalar() == 0
    finally:
        engine.dispose()
    ok = cli("user", "add", "tdg", "--role", "unit", "--unit", "so-tu-phap", "--password-stdin",
             input="mat-khau-dai-du\n")
    assert ok.exit_code == 0 and "so-tu-phap" in ok.stdout


def test_quickstart_prints_staff_login_and_a_link(cli, tmp_path: Path):
    cli("init")
    result = cli("--lang", "en", "quickstart")
    assert result.exit_code == 0, result.output
    assert "/staff/login" in result.stdout
    assert "user: admin" in result.stdout
    assert "http://survey.test/s/" in result.stdout
    # A second run keeps the same account and shows the same password.
    again = cli("--lang", "en", "quickstart")
    assert again.stdout.split("password: ")[1].split()[0] == result.stdout.split("password: ")[1].split()[0]
