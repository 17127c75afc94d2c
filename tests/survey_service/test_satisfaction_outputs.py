"""The satisfaction index of the citizens' round: ``export satisfaction``, the API, the
published report, and the round chosen by default.

The database holds the built-in citizens' round (laichau-2020-hailong, form HL-01,
groups III.1 and III.2 sampled from the one-stop desks' rosters) and, loaded after it
so that it is the current round, the officials' round laichau-2020.  Completed forms
are stored as paper entry stores them (a response and its answers), with figures
small enough to check by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import analysis
import questionnaires
import sampling

HAILONG = "laichau-2020-hailong"
OFFICIALS = "laichau-2020"
FORM = questionnaires.load_builtin("HL-01")
SCALE = list(analysis.scale_levels(FORM))
AREAS = {area for area, _, _ in analysis.scale_levels(FORM).values()}
PASSWORD = "mat-khau-dai-du"


def _everything(value: str, **other: str) -> dict[str, str]:
    """The same value to every rating question, except those given."""
    return {**{q: value for q in SCALE}, **other}


#: (group, rated unit, channel, answers) of the stored forms.
FORMS = [
    ("III.1", "so-noi-vu", "paper", {**_everything("5"), "kenh": "truc_tiep truc_tuyen", "b1": "ca_nhan"}),
    ("III.1", "so-noi-vu", "paper", _everything("4")),
    ("III.1", "so-noi-vu", "web", _everything("2")),
    ("III.2", "so-noi-vu", "paper", _everything("kb", tc1="3")),
    ("III.1", "so-tu-phap", "web", {"tt1": "4", "tt2": "4", "tt3": "4", "tt4": "5"}),
    ("III.1", "huyen-tam-duong", "web", _everything("5")),
    ("III.2", "huyen-tam-duong", "web", _everything("3")),
]


def _store(url: str, plan_code: str, forms) -> None:
    from survey_service.core.database import Database
    from survey_service.core.models import Response, ResponseAnswer, SurveyPlan

    database = Database(url)
    try:
        with database.session() as session:
            plan_id = session.query(SurveyPlan).filter_by(code=plan_code).one().id
            for group, unit, channel, answers in forms:
                session.add(Response(
                    id=uuid.uuid4().hex, plan_id=plan_id, group_code=group, form_code=FORM.code,
                    form_version=FORM.version, form_hash=FORM.content_hash, own_unit=unit, channel=channel,
                    completed_on=dt.date(2020, 11, 20),
                    answers=[ResponseAnswer(rated_unit=unit if q in SCALE else "", question=q, value=v)
                             for q, v in answers.items()]))
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def rounds(tmp_path_factory: pytest.TempPathFactory):
    """The two rounds (officials' current), the forms above stored, and a runner."""
    folder = tmp_path_factory.mktemp("satisfaction")
    url = f"sqlite:///{folder / 'survey.db'}"
    env = {"SURVEY_DATABASE_URL": url, "SURVEY_SECRET_KEY": "test-secret",
           "SURVEY_BASE_URL": "http://survey.test", "SURVEY_INSTANCE_PATH": str(folder / "instance"), "SURVEY_LANG": "en"}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        from survey_service.cli import main

        def cli(*args: str):
            return CliRunner().invoke(main, list(args), catch_exceptions=False)

        assert cli("init", "--plan", HAILONG).exit_code == 0
        assert cli("init", "--plan", OFFICIALS).exit_code == 0
        _store(url, HAILONG, FORMS)
        yield cli, url, folder


def _json(cli, *extra: str) -> dict:
    result = cli("export", "satisfaction", "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _row(rows: list[dict], unit: str, area: str) -> dict:
    (found,) = [r for r in rows if r["unit"] == unit and r["area"] == area]
    return found


# --------------------------------------------------------------------------- export


def test_export_json_holds_the_figures_by_hand(rounds):
    cli, _, _ = rounds
    result = cli("export", "satisfaction", "--format", "json", "--precision", "full")
    # the current round has no sampled group: the latest round that has one, said on stderr
    assert f"the satisfaction index of the round {HAILONG}" in result.stderr
    body = json.loads(result.stdout)
    assert body["plan"] == HAILONG and body["groups"] == ["III.1", "III.2"]
    assert body["responses"] == len(FORMS) and body["confidence"] == 0.95
    rows = body["satisfaction"]
    assert set(rows[0]) == {"form", "unit", "name", "area", "n", "satisfied_share", "satisfied_low",
                            "satisfied_high", "mean", "ci_low", "ci_high", "dont_know_share", "preliminary"}
    assert {r["unit"] for r in rows} == {"so-noi-vu", "so-tu-phap", "huyen-tam-duong"}
    assert {r["area"] for r in rows if r["unit"] == "so-noi-vu"} == AREAS | {"all"}
    # Sở Nội vụ over all 17 questions: 5s, 4s, 2s from three citizens, one organisation
    # that knows only tc1 (3): 34 of 52 answers with a level satisfied, 16 of 68 "kb".
    every = _row(rows, "so-noi-vu", "all")
    assert every["name"] == "Sở Nội vụ" and every["form"] == "HL-01"
    assert every["n"] == 4
    assert every["satisfied_share"] == pytest.approx(34 / 52)
    assert every["mean"] == pytest.approx((17 * 5 + 17 * 4 + 17 * 2 + 3) / 52)
    assert every["dont_know_share"] == pytest.approx(16 / 68)
    assert every["satisfied_low"] < every["satisfied_share"] < every["satisfied_high"]
    access = _row(rows, "so-noi-vu", "tiep_can")  # tc1..tc3: 15 + 12 + 6 + 3 over 10 answers
    assert access["n"] == 4
    assert (access["satisfied_share"], access["mean"]) == (pytest.approx(0.6), pytest.approx(3.6))
    procedure = _row(rows, "so-noi-vu", "thu_tuc")  # the organisation knows none of tt1..tt4
    assert procedure["n"] == 3 and procedure["dont_know_share"] == pytest.approx(0.25)
    # one respondent: the figures, but no interval
    alone = _row(rows, "so-tu-phap", "thu_tuc")
    assert (alone["n"], alone["satisfied_share"], alone["mean"]) == (1, 1.0, 4.25)
    assert alone["satisfied_low"] is None and alone["ci_low"] is None
    assert {r["area"] for r in rows if r["unit"] == "so-tu-phap"} == {"thu_tuc", "all"}
    # the intervals are the library's on the round's answers
    exported = cli("export", "responses", "--format", "json", "--plan", HAILONG).stdout
    responses = json.loads(exported)["responses"]
    import pandas as pd

    expected = analysis.satisfaction_index(pd.DataFrame(responses), FORM)
    mine = expected[(expected["unit"] == "so-noi-vu") & (expected["area"] == "all")].iloc[0]
    assert every["satisfied_low"] == pytest.approx(mine["satisfied_low"])
    assert every["ci_high"] == pytest.approx(mine["ci_high"])


def test_export_csv_and_xlsx_round_to_four_decimals(rounds, tmp_path: Path):
    cli, _, _ = rounds
    result = cli("export", "satisfaction", "--format", "csv", "--plan", HAILONG)
    assert result.exit_code == 0, result.output
    assert "the current round" not in result.stderr  # asked for by name
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[:4] == ["form", "unit", "name", "area"]
    every = next(r for r in rows if r["unit"] == "so-noi-vu" and r["area"] == "all")
    assert every["satisfied_share"] == f"{34 / 52:.4f}" and every["n"] == "4"
    alone = next(r for r in rows if r["unit"] == "so-tu-phap" and r["area"] == "all")
    assert alone["satisfied_low"] == "" and alone["preliminary"] == "False"
    out = tmp_path / "hai-long.xlsx"
    written = cli("export", "satisfaction", "--format", "xlsx", "-o", str(out))
    assert written.exit_code == 0, written.output
    sheet = openpyxl.load_workbook(out)["satisfaction"]
    header = [c.value for c in sheet[1]]
    values = [dict(zip(header, (c.value for c in r))) for r in sheet.iter_rows(min_row=2)]
    cell = next(v for v in values if v["unit"] == "so-noi-vu" and v["area"] == "all")
    assert cell["satisfied_share"] == pytest.approx(round(34 / 52, 4)) and cell["n"] == 4
    assert len(values) == len(rows)
    assert cli("export", "satisfaction", "--format", "xlsx").exit_code == 2  # no -o
    assert cli("export", "satisfaction", "--format", "sav", "-o", str(tmp_path / "x.sav")).exit_code == 2


def test_export_refuses_a_round_without_sampled_groups(rounds):
    cli, _, _ = rounds
    result = cli("export", "satisfaction", "--format", "csv", "--plan", OFFICIALS)
    assert result.exit_code == 2
    assert f"the round {OFFICIALS} has no sampled group" in result.stderr and "Traceback" not in result.output
    unknown = cli("export", "satisfaction", "--format", "csv", "--plan", "nowhere-2020")
    assert unknown.exit_code == 2 and "there is no round 'nowhere-2020'" in unknown.stderr
    scores = cli("export", "scores", "--format", "csv", "--plan", HAILONG)
    assert scores.exit_code == 2 and "has no scoring rules" in scores.stderr


def test_without_any_satisfaction_round_the_export_says_so(cli, monkeypatch):
    monkeypatch.setenv("SURVEY_LANG", "en")
    assert cli("init").exit_code == 0
    result = cli("export", "satisfaction", "--format", "json")
    assert result.exit_code == 2 and result.stdout == ""
    assert "no stored round has a sampled group" in result.stderr
    assert f"init --plan {HAILONG}" in result.stderr


def test_an_empty_round_exports_an_empty_table_with_its_columns(cli, monkeypatch):
    monkeypatch.setenv("SURVEY_LANG", "en")
    assert cli("init", "--plan", HAILONG).exit_code == 0
    result = cli("export", "satisfaction", "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [",".join(("form", "unit", "name", "area",
                                                    *analysis.SATISFACTION_COLUMNS[2:], "preliminary"))]
    assert "no answer of the groups III.1, III.2 yet" in result.stderr


# --------------------------------------------------------------------------- API


@pytest.fixture(scope="module")
def api(rounds):
    from survey_service import create_app, get_db
    from survey_service.accounts.operations import add_user, new_api_key
    from survey_service.core.api import PREFIX

    from .test_api_contract import Contract

    _, url, folder = rounds
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test-secret", "BASE_URL": "http://survey.test",
                      "TESTING": True})
    app.instance_path = str(folder / "instance")
    keys = {}
    with get_db(app).session() as session:
        for role in ("analyst", "admin", "postoffice"):
            name = f"{role}-{uuid.uuid4().hex[:6]}"
            add_user(session, name, role, PASSWORD)
            keys[role] = new_api_key(session, name)
    client = app.test_client()
    yield app, client, keys, Contract(client.get(f"{PREFIX}/openapi.json").get_json())
    get_db(app).dispose()


def test_the_api_answers_the_index_as_documented(api, rounds):
    _, client, keys, contract = api
    cli, _, _ = rounds
    url = "/api/v1/satisfaction"
    for role in ("analyst", "admin"):
        response = client.get(url, headers={"Authorization": f"Bearer {keys[role]}"})
        assert response.status_code == 200
        body = contract.check(response, "get", url)
        assert body["plan"] == HAILONG and body["precision"] == "full"
    exported = _json(cli, "--precision", "full")
    assert body["satisfaction"] == exported["satisfaction"]
    # a round without sampled groups: its own empty table
    officials = client.get(f"{url}?plan={OFFICIALS}", headers={"Authorization": f"Bearer {keys['analyst']}"})
    body = contract.check(officials, "get", url)
    assert (body["plan"], body["groups"], body["satisfaction"]) == (OFFICIALS, [], [])
    assert client.get(f"{url}?plan=nowhere", headers={"Authorization": f"Bearer {keys['analyst']}"}
                      ).status_code == 404
    assert contract.check(client.get(url, headers={"Authorization": f"Bearer {keys['postoffice']}"}),
                          "get", url)["status"] == 403
    assert contract.check(client.get(url), "get", url)["status"] == 401


def test_scores_and_the_report_page_of_a_round_without_scoring_say_so(api):
    app, client, keys, contract = api
    from survey_service import get_db
    from survey_service.accounts.operations import add_user

    analyst = {"Authorization": f"Bearer {keys['analyst']}"}
    response = client.get(f"/api/v1/scores?plan={HAILONG}", headers=analyst)
    assert response.status_code == 404
    assert "/api/v1/satisfaction" in contract.check(response, "get", "/api/v1/scores")["error"]["en"]
    name = f"phan-tich-{uuid.uuid4().hex[:6]}"
    with get_db(app).session() as session:
        add_user(session, name, "analyst", PASSWORD)
    staff = app.test_client()
    page = staff.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    staff.post("/staff/login", data={"csrf_token": token, "name": name, "password": PASSWORD})
    report = staff.get(f"/staff/report?plan={HAILONG}&lang=en")
    assert report.status_code == 200 and "has no scoring rules" in report.get_data(as_text=True)
    assert staff.get(f"/staff/report/publish.pdf?plan={HAILONG}").data.startswith(b"%PDF")


# --------------------------------------------------------------------------- the published report


def test_publish_the_citizens_round_in_every_format(rounds, tmp_path: Path):
    import docx
    import pypdf

    cli, _, _ = rounds
    out = tmp_path / "hai-long.docx"
    result = cli("publish", "--plan", HAILONG, "--format", "docx", "--lang", "vi", "-o", str(out))
    assert result.exit_code == 0, result.output
    document = docx.Document(str(out))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Sự hài lòng của người dân, tổ chức" in headings
    assert "Mức độ hài lòng: Sở, ban, ngành tỉnh" in headings
    assert "Mức độ hài lòng: UBND huyện, thành phố" in headings
    first = document.tables[0]
    assert [c.text for c in first.rows[0].cells][:3] == ["Đơn vị", "Số người trả lời", "Hài lòng (%)"]
    noi_vu = next(r for r in first.rows if r.cells[0].text == "Sở Nội vụ")
    assert noi_vu.cells[1].text == "4" and noi_vu.cells[2].text == "65,4"  # 34 / 52
    # departments of the sampled kinds without any answer are listed, with n 0
    assert any(r.cells[0].text == "Sở Tài chính" and r.cells[1].text == "0" for r in first.rows)
    assert "Chỉ số hài lòng 2020" in document.sections[0].footer.paragraphs[0].text

    pdf = tmp_path / "hai-long.pdf"
    assert cli("publish", "--plan", HAILONG, "--format", "pdf", "--lang", "en", "-o", str(pdf)).exit_code == 0
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(str(pdf)).pages)
    assert "Satisfaction of citizens and organisations" in text and "Wilson" in text
    book = tmp_path / "hai-long.xlsx"
    assert cli("publish", "--plan", HAILONG, "--format", "xlsx", "-o", str(book)).exit_code == 0
    sheets = openpyxl.load_workbook(book).sheetnames
    assert "hai-long-department" in sheets and "hai-long-district-lv" in sheets and "khao-sat" in sheets
    numbers = openpyxl.load_workbook(book)["khao-sat"]
    cells = {r[0].value: [c.value for c in r] for r in numbers.iter_rows(min_row=3)}
    assert cells["III.1"][4:7] == [3, 2, 5] and cells["III.2"][4:7] == [1, 1, 2]  # online, paper, all


def test_a_scored_round_with_a_sampled_group_gets_the_section_before_the_methods(sqlite_url):
    """A round of both surveys: the officials' groups and III.1 sampled, in one plan."""
    from survey_service.core.database import Database
    from survey_service.core.migrate import upgrade
    from survey_service.core.models import SurveyPlan
    from survey_service.plans.operations import sync_plan
    from survey_service.plans.queries import plan_of
    from survey_service.publication.queries import report_of

    data = sampling.load_plan().to_dict()
    data["code"] = "laichau-2020-both"
    for group in data["groups"]:
        if group["code"] == "III.1":
            group.update(form="HL-01", rates={"own": ["department", "district"]},
                         quota={"sampled": ["department", "district"], "margin": 0.05})
    plan = sampling.plan_from_dict(data)
    database = Database(sqlite_url)
    try:
        upgrade(database.engine)
        with database.session() as session:
            sync_plan(session, plan)
        _store(sqlite_url, "laichau-2020-both", [f for f in FORMS if f[0] == "III.1"])
        with database.session() as session:
            row = session.query(SurveyPlan).filter_by(code="laichau-2020-both").one()
            report = report_of(session, row, plan_of(row), "en")
        headings = [s.heading for s in report.sections]
        assert headings[-2:] == ["Satisfaction of citizens and organisations", "Annex: methods"]
        overall = report.sections[-2].blocks[1]
        assert overall.title == "Satisfaction: Provincial department or agency"
        noi_vu = next(r for r in overall.rows if r[0] == "Sở Nội vụ")
        assert noi_vu[1:3] == [3, pytest.approx(100 * 34 / 51, abs=0.05)]  # without the organisation
    finally:
        database.dispose()


# --------------------------------------------------------------------------- through the draw


def test_web_answers_of_drawn_citizens_make_the_index(cli, cli_env, tmp_path: Path, monkeypatch):
    """Rosters, the draw, a few drawn citizens answer on the web: the index counts them."""
    import sqlalchemy as sa

    from survey_service import create_app, get_db
    from survey_service.core.models import QuotaPlace, RespondentGroup, Slot, Unit

    from .citizens_setup import roster_csv, roster_rows
    from .formwalk import Walk

    monkeypatch.setenv("SURVEY_LANG", "en")
    assert cli("init", "--plan", HAILONG).exit_code == 0
    for unit in ("so-tu-phap", "huyen-sin-ho"):
        path = tmp_path / f"{unit}.csv"
        path.write_bytes(roster_csv(roster_rows(unit, 40)))
        assert cli("roster", "import", "III.1", unit, str(path)).exit_code == 0
    assert cli("sample", "draw", "III.1", "--seed", "2020").exit_code == 0
    app = create_app({"DATABASE_URL": cli_env["SURVEY_DATABASE_URL"], "SECRET_KEY": "test-secret",
                      "BASE_URL": "http://survey.test", "TESTING": True})
    app.instance_path = str(tmp_path / "instance")
    try:
        with get_db(app).session() as session:
            drawn = session.execute(
                sa.select(Unit.code, Slot.token).join(QuotaPlace, Slot.place_id == QuotaPlace.id)
                .join(Unit, QuotaPlace.unit_id == Unit.id)
                .join(RespondentGroup, QuotaPlace.group_id == RespondentGroup.id)
                .where(RespondentGroup.code == "III.1").order_by(Slot.id)).all()
        client = app.test_client()
        # Sở Tư pháp: three citizens, "Hài lòng" to everything; Huyện Sìn Hồ: two, "Bình thường".
        picks = {"so-tu-phap": ("4", 3), "huyen-sin-ho": ("3", 2)}
        for unit, (value, count) in picks.items():
            for _, token in [d for d in drawn if d[0] == unit][:count]:
                done = Walk(client, token).finish(
                    choose=lambda name, options, v=value: v if v in options else options[0])
                assert done.status_code == 200
    finally:
        get_db(app).dispose()
    rows = _json(cli)["satisfaction"]
    assert {r["unit"] for r in rows} == {"so-tu-phap", "huyen-sin-ho"}
    for unit, (value, count) in picks.items():
        every = _row(rows, unit, "all")
        assert every["n"] == count and every["mean"] == float(value)
        assert every["satisfied_share"] == (1.0 if value == "4" else 0.0)
        assert every["dont_know_share"] == 0.0
        assert {r["area"] for r in rows if r["unit"] == unit} == AREAS | {"all"}
