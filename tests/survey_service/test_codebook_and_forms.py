"""Codebook export, questionnaire interchange on the command line, and the JSON API."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import questionnaires
from survey_service.accounts.operations import add_user, new_api_key


def test_codebook_json_lists_all_six_forms_with_criteria_and_weights(cli):
    result = cli("export", "codebook", "--format", "json")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)["questions"]
    assert {e["form"] for e in entries} == {"CT-01", "CT-02", "CT-03", "CH-01", "CH-02", "CH-03"}
    scored = [e for e in entries if e["criterion"]]
    assert len(scored) == sum(1 for f in questionnaires.builtin_forms()
                              for _ in f.scored_questions())
    for entry in scored:
        weights = [o["weight"] for o in entry["options"]]
        assert all(w is None or 0 <= w <= 1 for w in weights)
        assert max(w for w in weights if w is not None) == 1
    dont_know = [o for e in scored for o in e["options"] if o["weight"] is None]
    assert dont_know and all(o["label"] == "Không biết" for o in dont_know)


def test_codebook_csv_one_row_per_option(cli, tmp_path: Path):
    out = tmp_path / "codebook.csv"
    assert cli("export", "codebook", "--format", "csv", "-o", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {"form", "question", "criterion", "option_value", "weight"} <= set(rows[0])
    q01 = [r for r in rows if r["form"] == "CT-01" and r["question"] == "q01"]
    assert [r["weight"] for r in q01] == ["1.0", "0.75", "0.5", "0.25", "0.0", ""]


def test_forms_export_check_import_round_trip(cli, tmp_path: Path):
    book, back = tmp_path / "CH-02.xlsx", tmp_path / "CH-02.yaml"
    assert cli("forms", "export", "CH-02", "--format", "xlsform", "-o", str(book)).exit_code == 0
    checked = cli("--lang", "en", "forms", "check", str(book))
    assert checked.exit_code == 0 and "is valid" in checked.stdout
    assert cli("forms", "import", str(book), "-o", str(back)).exit_code == 0
    assert questionnaires.load_form(back) == questionnaires.load_builtin("CH-02")


def test_forms_check_reports_problems_with_places(cli, tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    text = (questionnaires.builtin.resources.files("questionnaires") / "forms" / "CT-02.yaml"
            ).read_text(encoding="utf-8").replace("weight: 0.75", "weight: 7.5", 1)
    bad.write_text(text, encoding="utf-8")
    result = cli("--lang", "en", "forms", "check", str(bad))
    assert result.exit_code == 2
    assert "CT-02" in result.stderr and "line" in result.stderr
    assert "Traceback" not in result.output


def test_forms_export_unknown_code(cli, tmp_path: Path):
    result = cli("forms", "export", "XX-01", "--format", "xlsform", "-o", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 2 and "XX-01" in result.stderr
    assert not (tmp_path / "x.xlsx").exists()


# --------------------------------------------------------------------------- API


@pytest.fixture
def api_key(loaded, db):
    def make(role: str) -> str:
        with db.session() as session:
            add_user(session, f"user-{role}", role, "mat-khau-dai-du")
            return new_api_key(session, f"user-{role}")
    return make


def test_api_needs_a_valid_key(loaded, client):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/codebook", headers=headers)
        assert response.status_code == 401
        assert set(response.get_json()["error"]) == {"vi", "en"}


def test_api_codebook_and_plan(api_key, client):
    headers = {"Authorization": f"Bearer {api_key('analyst')}"}
    codebook = client.get("/api/v1/codebook", headers=headers)
    assert codebook.status_code == 200
    questions = codebook.get_json()["questions"]
    assert {"form", "question", "criterion", "options"} <= set(questions[0])
    plan = client.get("/api/v1/plan", headers=headers).get_json()
    assert plan["total"] == 1193
    assert [g["forms"] for g in plan["groups"]][:4] == [25, 16, 300, 192]


def test_a_new_key_replaces_the_old_one(api_key, db, client):
    old = api_key("postoffice")
    with db.session() as session:
        new = new_api_key(session, "user-postoffice")
    assert client.get("/api/v1/plan", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert client.get("/api/v1/plan", headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_openapi_document_names_the_paths(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert {"/plan", "/codebook"} <= set(doc["paths"])
