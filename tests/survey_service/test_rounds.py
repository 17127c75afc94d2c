"""Two yearly rounds on one database: the 2020 demo, then a 2021 round opened from it with
``round new``, edited (a new department), loaded with ``init`` and simulated.  Each round
keeps its own answers, slots and appraisal; the 2021 index compares every unit with 2020,
checked against ranks computed by hand from the two exports; ``?plan=``, ``--plan`` and
the round picker reach either round."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
import yaml

from survey_service.accounts.operations import add_user, new_api_key
from survey_service.core.database import Database
from survey_service.core.models import Response, Slot, SurveyPlan
from survey_service.demo.operations import run_demo
from survey_service.plans.queries import get_plan_row, plan_of

OLD, NEW = "laichau-2020", "laichau-2021"
NEW_UNIT = "so-moi-thanh-lap"


def add_department(folder: Path) -> None:
    """What a province does to its new round's files: a department founded this year, with
    the totals the plan states made to add up again."""
    with open(folder / "units.csv", "a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow([NEW_UNIT, "department", "Sở Mới thành lập", "", "",
                                                      "confirmed"])
    plan = yaml.safe_load((folder / "plan.yaml").read_text(encoding="utf-8"))
    departments = 1 + sum(1 for line in (folder / "units.csv").read_text(encoding="utf-8").splitlines()
                          if ",department," in line and NEW_UNIT not in line)
    totals: dict[str, int] = {}
    for group in plan["groups"]:
        quota = group["quota"]
        if quota.get("per") == "department" and group.get("forms") is not None:
            group["forms"] = quota["count"] * departments
        forms = group.get("forms") or 0
        if group.get("level"):
            totals[group["level"]] = totals.get(group["level"], 0) + forms
    for level in plan["levels"]:
        level["forms"] = totals[level["code"]]
    plan["total_forms"] = sum(totals.values())
    (folder / "plan.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False),
                                      encoding="utf-8")


def simulate(url: str, code: str, seed: int) -> None:
    database = Database(url)
    try:
        with database.session() as session:
            row = get_plan_row(session, code)
            run_demo(session, row, plan_of(row), seed=seed)
    finally:
        database.dispose()


def build_two_rounds(cli, url: str, folder: Path) -> None:
    """The 2020 demo and the 2021 round opened from it, edited, loaded and simulated."""
    assert cli("demo", "--database", url).exit_code == 0
    opened = cli("--lang", "en", "round", "new", NEW, "--from", OLD, "--year", "2021",
                 "--deadline", "publication=2022-05-15", "-o", str(folder))
    assert opened.exit_code == 0, opened.output
    assert f"init --plan {folder}" in opened.stdout
    add_department(folder)
    loaded = cli("init", "--plan", str(folder))
    assert loaded.exit_code == 0, loaded.output
    simulate(url, NEW, seed=2021)


def export_index(cli, *extra: str) -> dict:
    result = cli("--lang", "en", "export", "index", "--format", "json", "--precision", "full", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def ranks_by_hand(rows: list[dict]) -> dict[str, int]:
    """Competition ranks within each kind among the ranked units, from the exported index."""
    out = {}
    for row in rows:
        if row["status"] != "ranked":
            continue
        mine = round(row["index_pct"], 9)
        out[row["unit"]] = 1 + sum(1 for other in rows if other["kind"] == row["kind"]
                                   and other["status"] == "ranked" and round(other["index_pct"], 9) > mine)
    return out


def test_round_new_writes_files_to_edit_with_the_deadlines_a_year_on(cli, tmp_path: Path):
    folder = tmp_path / "r21"
    result = cli("--lang", "en", "round", "new", NEW, "--from", OLD, "--year", "2021", "-o", str(folder))
    assert result.exit_code == 0, result.output
    assert {p.name for p in folder.iterdir()} == {"plan.yaml", "units.csv", "scoring.yaml", "forms"}
    assert sorted(p.name for p in (folder / "forms").iterdir()) == [
        "CH-01.yaml", "CH-02.yaml", "CH-03.yaml", "CT-01.yaml", "CT-02.yaml", "CT-03.yaml"]
    text = (folder / "plan.yaml").read_text(encoding="utf-8")
    assert "code: laichau-2021" in text and "year: 2021" in text and "năm 2021" in text
    assert "survey: 2022-02-28" in text and "appraisal: 2022-03-31" in text
    shown = cli("--lang", "en", "plan", "show", "--json", "--plan", str(folder))
    assert json.loads(shown.stdout)["total"] == 1193
    again = cli("--lang", "en", "round", "new", NEW, "--from", OLD, "--year", "2021", "-o", str(folder))
    assert again.exit_code == 2 and "not empty" in again.stderr
    for args, needle in ((("--year", "2019"), "must come after"),
                         (("--year", "2022", "--deadline", "survey:2022"), "NAME=YYYY-MM-DD")):
        bad = cli("--lang", "en", "round", "new", "x-2022", "--from", OLD, *args, "-o", str(tmp_path / "x"))
        assert bad.exit_code == 2 and needle in bad.stderr, bad.output
    unknown = cli("--lang", "en", "round", "new", "x", "--from", "no-such-round", "--year", "2022")
    assert unknown.exit_code == 2 and "no-such-round" in unknown.stderr


def test_two_rounds_on_one_database(cli, cli_env, database_url: str, tmp_path: Path):
    folder = tmp_path / "r21"
    assert cli("demo", "--database", database_url).exit_code == 0
    before = export_index(cli)  # the only round: 2020
    assert before["plan"] == OLD and before["previous_plan"] is None and before["ranked"] == 28
    opened = cli("--lang", "en", "round", "new", NEW, "--from", OLD, "--year", "2021", "-o", str(folder))
    assert opened.exit_code == 0, opened.output
    add_department(folder)
    assert cli("init", "--plan", str(folder)).exit_code == 0

    # The new round is current, has nothing yet, ranks nobody and says why.
    empty = cli("--lang", "en", "export", "index", "--format", "json")
    fresh = json.loads(empty.stdout)
    assert fresh["plan"] == NEW and fresh["ranked"] == 0 and fresh["not_ranked"] == {"no_survey": 29}
    assert "No unit is ranked yet" in empty.stderr and "no_survey" in empty.stderr
    assert {r["status"] for r in fresh["index"]} == {"no_survey"}
    assert all(r["rank"] is None and r["grade"] is None and r["rank_low"] is None for r in fresh["index"])
    listed = cli("round", "list").stdout.splitlines()
    assert listed[0].startswith(f"* {NEW}") and listed[1].startswith(f"  {OLD}")

    simulate(database_url, NEW, seed=2021)
    new, old = export_index(cli), export_index(cli, "--plan", OLD)
    assert old == before  # the 2021 round changed nothing of 2020's
    assert (new["plan"], new["previous_plan"], old["plan"]) == (NEW, OLD, OLD)
    assert new["ranked"] == 29 and not new["preliminary"]

    # Ranks by hand from each export, and the change by unit code.
    rank_new, rank_old = ranks_by_hand(new["index"]), ranks_by_hand(old["index"])
    assert {r["unit"]: r["rank"] for r in new["index"]} == rank_new
    assert {r["unit"]: r["rank"] for r in old["index"]} == rank_old
    old_rows = {r["unit"]: r for r in old["index"]}
    changes = []
    for row in new["index"]:
        if row["unit"] == NEW_UNIT:
            assert row["new_unit"] is True
            assert (row["previous_rank"], row["previous_index_pct"], row["rank_change"]) == (None, None, None)
            continue
        assert row["new_unit"] is False
        assert row["previous_rank"] == rank_old[row["unit"]]
        assert row["previous_index_pct"] == old_rows[row["unit"]]["index_pct"]
        assert row["previous_grade"] == old_rows[row["unit"]]["grade"]
        assert row["rank_change"] == rank_old[row["unit"]] - rank_new[row["unit"]]
        changes.append(row["rank_change"])
    assert any(c > 0 for c in changes) and any(c < 0 for c in changes)
    assert sorted(rank_new[u] for u, r in ((r["unit"], r) for r in new["index"])
                  if r["kind"] == "district") == list(range(1, 9))

    # Each round keeps its own answers, slots and appraisal.
    database = Database(database_url)
    try:
        with database.session() as session:
            ids = dict(session.execute(sa.select(SurveyPlan.code, SurveyPlan.id)).all())
            per_plan = dict(session.execute(sa.select(Response.plan_id, sa.func.count())
                                            .group_by(Response.plan_id)).all())
            slots = dict(session.execute(sa.select(Slot.plan_id, sa.func.count()).group_by(Slot.plan_id)).all())
    finally:
        database.dispose()
    assert slots[ids[OLD]] == 1193 and slots[ids[NEW]] == 1193 + 15 + 2
    assert per_plan[ids[OLD]] > 900 and per_plan[ids[NEW]] > 900
    responses = cli("export", "responses", "--format", "csv", "--plan", OLD).stdout
    assert len({line.split(",")[0] for line in responses.splitlines()[1:]}) == per_plan[ids[OLD]]

    # Two decimals unless full precision is asked, and exact appraisal sums either way.
    rounded = json.loads(cli("export", "index", "--format", "json").stdout)["index"]
    for full, short in zip(new["index"], rounded):
        for column in ("appraisal", "survey", "total", "index_pct"):
            assert short[column] == round(full[column], 2)
            assert len(repr(short[column]).split(".")[-1]) <= 2
        assert full["appraisal"] == float(np.round(full["appraisal"], 2))  # 55.07, never 55.0699...
    csv_text = cli("export", "index", "--format", "csv").stdout
    assert re.search(r",\d+\.\d\d,\d+\.\d\d,\d+\.\d\d,100\.00,\d+\.\d\d,", csv_text)


def test_the_api_and_the_round_picker_reach_either_round(cli, cli_env, database_url: str, tmp_path: Path):
    if not database_url.startswith("sqlite"):
        pytest.skip("the round selection does not depend on the database")
    build_two_rounds(cli, database_url, tmp_path / "r21")
    from survey_service import create_app, get_db

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                      "BASE_URL": "http://survey.test", "TESTING": True})
    try:
        with get_db(app).session() as session:
            add_user(session, "phan-tich", "analyst", "mat-khau-dai-du")
            key = new_api_key(session, "phan-tich")
        client = app.test_client()
        auth = {"Authorization": f"Bearer {key}"}
        assert client.get("/api/v1/index", headers=auth).get_json()["plan"] == NEW
        old = client.get(f"/api/v1/index?plan={OLD}", headers=auth).get_json()
        assert old["plan"] == OLD and old["previous_plan"] is None
        assert client.get(f"/api/v1/plan?plan={OLD}", headers=auth).get_json()["year"] == 2020
        missing = client.get("/api/v1/index?plan=no-such", headers=auth)
        assert missing.status_code == 404 and "no-such" in missing.get_json()["error"]["en"]

        page = client.get("/staff/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        client.post("/staff/login", data={"csrf_token": token, "name": "phan-tich",
                                          "password": "mat-khau-dai-du"})
        report = client.get("/staff/report?lang=en").get_data(as_text=True)
        assert NEW in report and 'data-unit="so-moi-thanh-lap"' in report and ">new<" in report
        assert f'<option value="{OLD}">' in report and f'<option value="{NEW}" selected>' in report
        chosen = client.post("/staff/round", data={"csrf_token": token, "plan": OLD,
                                                   "next": "/staff/report"})
        assert chosen.status_code == 302 and chosen.headers["Location"].endswith("/staff/report")
        report = client.get("/staff/report").get_data(as_text=True)
        assert f"({OLD})" in report and "so-moi-thanh-lap" not in report
        assert f'<option value="{OLD}" selected>' in report
        assert client.get("/staff/report?plan=no-such").status_code == 404
        back = client.post("/staff/round", data={"csrf_token": token, "plan": NEW, "next": "//evil.test/"})
        assert back.headers["Location"].endswith("/staff/")
        assert f"({NEW})" in client.get("/staff/report").get_data(as_text=True)
    finally:
        get_db(app).dispose()
