"""From submitted forms to the index: exports, API, report, demo, appraisal import."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

import sampling
from survey_service.accounts.operations import add_user, new_api_key
from survey_service.appraisal.models import AppraisalScore
from survey_service.core.models import Slot

from .formwalk import Walk


def _tokens(db, group: str, count: int) -> list[str]:
    from survey_service.core.models import QuotaPlace, RespondentGroup

    with db.session() as session:
        return list(session.scalars(
            sa.select(Slot.token).join(QuotaPlace, Slot.place_id == QuotaPlace.id)
            .join(RespondentGroup, QuotaPlace.group_id == RespondentGroup.id)
            .where(RespondentGroup.code == group).order_by(Slot.id).limit(count)))


@pytest.fixture
def answered(loaded, db):
    """A few real forms through HTTP: two delegates (I.1) and two Sở Nội vụ staff (I.3)."""
    client = loaded.test_client()
    picks = iter(["rat_tot", "kha", "kem", "tot"])
    for group, count in (("I.1", 2), ("I.3", 2)):
        for token in _tokens(db, group, count):
            choice = next(picks)
            Walk(client, token).finish(
                choose=lambda name, options, c=choice: c if c in options else options[0])
    return loaded


def _key(db, role: str) -> str:
    with db.session() as session:
        add_user(session, f"k-{role}", role, "mat-khau-dai-du")
        return new_api_key(session, f"k-{role}")


def test_index_from_submitted_forms_matches_a_hand_computation(answered, db):
    client = answered.test_client()
    headers = {"Authorization": f"Bearer {_key(db, 'analyst')}"}
    scores = client.get("/api/v1/scores", headers=headers).get_json()["scores"]
    index = client.get("/api/v1/index", headers=headers).get_json()["index"]
    assert len(index) == 28
    assert {r["kind"] for r in index} == {"department", "district"}
    for row in index:
        assert 0 <= row["index_pct"] <= 100
        # No unit has a final appraisal: none is ranked, and each row says why.
        assert row["rank"] is None and row["rank_low"] is None and row["grade"] is None
        assert row["status"] == ("appraisal_missing" if row["survey"] > 0 else "no_survey")
    # TC1.1 of Sở Nội vụ by hand: I.1 answered q01 "rat_tot" (1.0) and "kha" (0.5) about it;
    # I.3 (CT-02 q03) answered "kem" (0.0) and "tot" (0.75).  Equal weight per group:
    # (0.75 + 0.375) / 2 = 0.5625; points = 1.25 x 0.5625.
    row = next(s for s in scores if s["unit"] == "so-noi-vu" and s["criterion"] == "TC1.1")
    assert row["n"] == 4
    assert row["mean"] == pytest.approx(0.5625)
    assert row["points"] == pytest.approx(1.25 * 0.5625)
    assert row["max_points"] == 1.25
    # Another department only has the two delegates' answers: (1.0 + 0.5) / 2.
    other = next(s for s in scores if s["unit"] == "so-tu-phap" and s["criterion"] == "TC1.1")
    assert other["mean"] == pytest.approx(0.75)
    # Without appraisal scores the index is the survey part alone.
    noi_vu = next(r for r in index if r["unit"] == "so-noi-vu")
    assert noi_vu["appraisal"] == 0
    survey = sum(s["points"] for s in scores if s["unit"] == "so-noi-vu")
    assert noi_vu["survey"] == pytest.approx(survey)
    assert noi_vu["index_pct"] == pytest.approx(survey)


def test_analysts_only_for_scores_and_index(answered, db):
    client = answered.test_client()
    key = _key(db, "postoffice")
    for url in ("/api/v1/scores", "/api/v1/index"):
        assert client.get(url, headers={"Authorization": f"Bearer {key}"}).status_code == 403
        assert client.get(url).status_code == 401


def test_exports_never_carry_tokens_or_slot_codes(answered, db, cli_env, tmp_path: Path):
    from click.testing import CliRunner

    from survey_service.cli import main

    url = answered.config["DATABASE_URL"]
    runner = CliRunner()
    out = runner.invoke(main, ["--database", url, "export", "responses", "--format", "csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(rows[0]) == ["response", "group", "form", "form_version", "unit", "rated_unit",
                             "question", "value", "channel"]
    assert len({r["response"] for r in rows}) == 4
    with db.session() as session:
        secrets = set(session.scalars(sa.select(Slot.token))) | set(session.scalars(sa.select(Slot.code)))
    text = out.stdout
    assert not any(secret in text for secret in secrets)
    sav = tmp_path / "r.sav"
    done = runner.invoke(main, ["--database", url, "export", "responses", "--format", "sav", "-o", str(sav)])
    assert done.exit_code == 0, done.output
    import pyreadstat

    frame, meta = pyreadstat.read_sav(str(sav))
    assert "CT01_q01" in frame.columns
    assert meta.variable_value_labels["CT01_q01"][1.0] == "Rất tốt"
    assert set(frame["response"]) == {r["response"] for r in rows}
    for table in ("scores", "index"):
        result = runner.invoke(main, ["--database", url, "export", table, "--format", "json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)[table]
    bad = runner.invoke(main, ["--database", url, "export", "index", "--format", "sav"])
    assert bad.exit_code == 2 and "sav" in bad.stderr


def test_appraisal_import_feeds_the_index(answered, db):
    from survey_service.appraisal.operations import import_sheet
    from survey_service.appraisal.workbook import appraisal_template
    from survey_service.plans.queries import current_plan, get_plan_row

    plan = sampling.load_plan()
    data = appraisal_template(plan.scoring, kind="department", unit_code="so-noi-vu",
                              unit_name="Sở Nội vụ", year=2020)
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    codes = {s.code: s.max_for("department") for _, _, s in plan.scoring.subcriteria("department", "appraisal")}
    filled = 0
    for row in sheet.iter_rows():
        code = row[0].value
        if code in codes:
            row[4].value = codes[code]          # self-score: full marks
            row[6].value = codes[code] - 1 if code == "LV1.TD1" else codes[code]
            row[7].value = "Thiếu kế hoạch bổ sung" if code == "LV1.TD1" else None
            filled += 1
    assert filled == len(codes)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    with db.session() as session:
        imported = import_sheet(session, get_plan_row(session), current_plan(session), "so-noi-vu", buffer)
        assert len(imported.corrections()) == 1
    with db.session() as session:
        rows = session.scalars(sa.select(AppraisalScore).where(AppraisalScore.unit == "so-noi-vu")).all()
        assert sum(r.appraised for r in rows) == pytest.approx(69)
        assert next(r for r in rows if r.criterion == "LV1.TD1").reason == "Thiếu kế hoạch bổ sung"
    client = answered.test_client()
    headers = {"Authorization": f"Bearer {_key(db, 'analyst')}"}
    index = client.get("/api/v1/index", headers=headers).get_json()["index"]
    noi_vu = next(r for r in index if r["unit"] == "so-noi-vu")
    assert noi_vu["appraisal"] == pytest.approx(69)
    assert noi_vu["total"] == pytest.approx(69 + noi_vu["survey"])
    # Its scores are final, but the appraisal is not finalised yet: not ranked, and it says so.
    assert (noi_vu["rank"], noi_vu["status"]) == (None, "appraisal_preliminary")
    from survey_service.appraisal.operations import finalise_appraisal

    with db.session() as session:
        finalise_appraisal(session, get_plan_row(session), user=None, at=dt.datetime.now(dt.timezone.utc))
    index = client.get("/api/v1/index", headers=headers).get_json()["index"]
    noi_vu = next(r for r in index if r["unit"] == "so-noi-vu")
    assert (noi_vu["rank"], noi_vu["status"]) == (1, "ranked")  # the only department with all points


def test_appraisal_upload_reports_cells(answered, db):
    import re

    from survey_service.appraisal.workbook import appraisal_template

    plan = sampling.load_plan()
    with db.session() as session:
        add_user(session, "phantich", "analyst", "mat-khau-dai-du")
    client = answered.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    client.post("/staff/login", data={"csrf_token": token, "name": "phantich",
                                      "password": "mat-khau-dai-du"})
    data = appraisal_template(plan.scoring, kind="department", unit_code="so-tu-phap", year=2020)
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    for row in sheet.iter_rows():
        if row[0].value == "LV1.TD1":
            row[4].value = 99  # above the maximum
            bad_cell = row[4].coordinate
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    page = client.get("/staff/appraisal").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    response = client.post("/staff/appraisal", data={"csrf_token": token, "unit": "so-tu-phap",
                                                     "file": (buffer, "so-tu-phap.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert bad_cell in response.get_data(as_text=True)
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AppraisalScore)) == 0
    report = client.get("/staff/report")
    assert report.status_code == 200
    html = report.get_data(as_text=True)
    assert "Sở Nội vụ" in html and "<svg" in html and "<script" not in html
    assert client.get("/staff/report.xlsx").data[:2] == b"PK"


def test_demo_then_export_index(tmp_path: Path, cli_env, database_url):
    """The worked example: every unit ranked, and one unit checked by hand from the exports."""
    if not database_url.startswith("sqlite"):
        pytest.skip("one backend is enough for the demo's end-to-end run")
    from click.testing import CliRunner

    from survey_service.cli import main

    runner = CliRunner()
    demo_url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = runner.invoke(main, ["--lang", "en", "demo", "--database", demo_url])
    assert result.exit_code == 0, result.output
    assert "Departments" in result.stdout and "Districts" in result.stdout
    exported = runner.invoke(main, ["--database", demo_url, "export", "index", "--format", "json",
                                    "--precision", "full"])
    index = json.loads(exported.stdout)["index"]
    assert len(index) == 28
    for row in index:
        assert {"appraisal", "survey", "total", "index_pct", "rank", "rank_low", "rank_high",
                "grade"} <= set(row)
        assert row["rank_low"] <= row["rank"] <= row["rank_high"]
    assert sorted(r["rank"] for r in index if r["kind"] == "district") == list(range(1, 9))
    # By hand, for one department: survey points from the exported answers and the codebook.
    responses = pd.read_csv(io.StringIO(runner.invoke(
        main, ["--database", demo_url, "export", "responses", "--format", "csv"]).stdout),
        keep_default_na=False)
    codebook = json.loads(runner.invoke(main, ["export", "codebook", "--format", "json"]).stdout)
    weights = {(q["form"], q["question"], o["value"]): o["weight"]
               for q in codebook["questions"] for o in q["options"]}
    criteria = {(q["form"], q["question"]): q["criterion"] for q in codebook["questions"]}
    rules = sampling.load_plan().scoring
    unit = "so-tu-phap"
    mine = responses[responses["rated_unit"] == unit]
    survey = 0.0
    for _, _, sub in rules.subcriteria("department", "survey"):
        means = []
        for _, part in mine.groupby("group"):
            values = [weights[(f, q, v)] for f, q, v in zip(part["form"], part["question"], part["value"])
                      if criteria.get((f, q)) == sub.code and weights.get((f, q, v)) is not None]
            if values:
                means.append(sum(values) / len(values))
        if means:
            survey += sub.max_for("department") * sum(means) / len(means)
    row = next(r for r in index if r["unit"] == unit)
    assert row["survey"] == pytest.approx(survey)
    assert row["total"] == pytest.approx(row["appraisal"] + row["survey"])
    assert row["index_pct"] == pytest.approx(row["total"])
    assert row["grade"] == rules.grade(row["index_pct"]).code


def test_export_reads_the_example_until_the_service_database_exists(cli, cli_env, tmp_path: Path):
    """`demo` then `export index`, as a newcomer types them, shows the example."""
    if not cli_env["SURVEY_DATABASE_URL"].startswith("sqlite"):
        pytest.skip("the example database is SQLite")
    assert cli("demo").exit_code == 0
    index = cli("--lang", "en", "export", "index", "--format", "json")
    assert index.exit_code == 0, index.output
    assert len(json.loads(index.stdout)["index"]) == 28
    assert "example database" in index.stderr
    # Once the service's own database exists, exports read it, never the example.
    assert cli("init").exit_code == 0
    own = cli("export", "responses", "--format", "csv")
    assert own.stdout.strip().splitlines() == [
        "response,group,form,form_version,unit,rated_unit,question,value,channel"]
