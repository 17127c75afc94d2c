"""The citizens' round (a plan whose groups are sampled from rosters) in the service:
``init --plan laichau-2020-hailong``, ``plan show`` and ``/api/v1/plan``."""

from __future__ import annotations

import json

import pytest

from survey_service.accounts.operations import add_user, new_api_key
from survey_service.core.api import PREFIX

from .test_api_contract import Contract

CODE = "laichau-2020-hailong"
SAMPLED = {"sampled": ["department", "district"], "margin": 0.05, "reserve": 0.2}


def check_groups(summary: dict) -> None:
    assert summary["plan"] == CODE and summary["total"] == 0 and summary["levels"] == []
    assert [(g["code"], g["form"], g["forms"]) for g in summary["groups"]] == [
        ("III.1", "HL-01", 0), ("III.2", "HL-01", 0)]
    assert all(g["quota"] == SAMPLED and g["rates"] == {"own": ["department", "district"]}
               for g in summary["groups"])


def test_plan_show_describes_a_sampled_round(cli):
    shown = cli("plan", "show", "--json", "--plan", CODE)
    assert shown.exit_code == 0, shown.output
    check_groups(json.loads(shown.stdout))
    table = cli("--lang", "en", "plan", "show", "--plan", CODE)
    assert table.exit_code == 0, table.output
    assert "sample e=0.05, +20 %" in table.stdout and "Citizens" in table.stdout
    vietnamese = cli("plan", "show", "--plan", CODE)
    assert "mẫu e=0.05, +20 %" in vietnamese.stdout and "Người dân" in vietnamese.stdout


def test_init_loads_the_citizens_round_without_slots_and_twice_changes_nothing(cli):
    assert cli("init").exit_code == 0
    loaded = cli("--lang", "en", "init", "--plan", CODE)
    assert loaded.exit_code == 0, loaded.output
    assert "0 new slots" in loaded.stdout
    again = cli("--lang", "en", "init", "--plan", CODE)
    assert again.exit_code == 0 and "nothing changed" in again.stdout
    # Loaded last, the citizens' round does not take the index round's place as the default.
    assert json.loads(cli("plan", "show", "--json").stdout)["plan"] == "laichau-2020"
    shown = cli("plan", "show", "--json", "--plan", CODE)
    assert shown.exit_code == 0, shown.output
    check_groups(json.loads(shown.stdout))
    # The main round is still there, its groups III.1 and III.2 under the separate plan.
    rounds = cli("round", "list")
    codes = {line.lstrip("* ").split()[0] for line in rounds.stdout.splitlines() if line.strip()}
    assert codes == {"laichau-2020", CODE}


def test_the_api_gives_the_sampled_plan_as_its_document_says(cli, database_url: str):
    if not database_url.startswith("sqlite"):
        pytest.skip("the answer does not depend on the database")
    assert cli("init").exit_code == 0
    assert cli("init", "--plan", CODE).exit_code == 0
    from survey_service import create_app, get_db

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                      "BASE_URL": "http://survey.test", "TESTING": True})
    try:
        with get_db(app).session() as session:
            add_user(session, "phan-tich", "analyst", "mat-khau-dai-du")
            key = new_api_key(session, "phan-tich")
        client = app.test_client()
        contract = Contract(client.get(f"{PREFIX}/openapi.json").get_json())
        auth = {"Authorization": f"Bearer {key}"}
        for query, sampled in (("", False), (f"?plan={CODE}", True), ("?plan=laichau-2020", False)):
            path = f"{PREFIX}/plan{query}"
            answer = client.get(path, headers=auth)
            assert answer.status_code == 200
            body = contract.check(answer, "GET", path)
            if sampled:
                check_groups(body)
            else:
                assert body["total"] == 1193
    finally:
        get_db(app).dispose()
