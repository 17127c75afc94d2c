"""select_multiple end to end: a plan whose form has one, answered on the web and on
paper, stored and exported as the chosen values joined by one space ("a c")."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

import sampling
import survey_service
from survey_service import create_app
from survey_service.core.models import QuotaPlace, RespondentGroup, Response, Slot

from .formwalk import Walk, page_number, parse

PASSWORD = "mat-khau-dai-du"
FORM = "CH-01"
GROUP = "II.1"  # district People's Council delegates: form CH-01


def _plan_with_channels(folder: Path, cli) -> Path:
    """A copy of the built-in plan whose form CH-01 ends with a select_multiple question
    (``kenh``: a, b, c) and a text shown when ``c`` is ticked."""
    shutil.copytree(sampling.resolve_plan_path(sampling.DEFAULT_PLAN).parent, folder)
    form_file = folder / f"{FORM}.yaml"
    result = cli("forms", "export", FORM, "--format", "yaml", "-o", str(form_file))
    assert result.exit_code == 0, result.output
    form = yaml.safe_load(form_file.read_text(encoding="utf-8"))
    form["sections"][-1]["questions"] += [
        {"code": "kenh", "kind": "select_multiple", "required": True,
         "label": {"vi": "Ông/Bà liên hệ với cử tri qua những kênh nào?",
                   "en": "Through which channels do you meet voters?"},
         "options": [{"value": v, "label": {"vi": vi, "en": en}} for v, vi, en in (
             ("a", "Tiếp xúc trực tiếp", "In person"), ("b", "Điện thoại", "By phone"),
             ("c", "Mạng xã hội", "Social media"))]},
        {"code": "kenh_c", "kind": "text", "relevant": {"question": "kenh", "op": "=", "value": "c"},
         "label": {"vi": "Mạng xã hội nào?", "en": "Which social media?"}},
    ]
    form_file.write_text(yaml.safe_dump(form, allow_unicode=True, sort_keys=False), encoding="utf-8")
    plan_file = folder / "plan.yaml"
    plan = yaml.safe_load(plan_file.read_text(encoding="utf-8"))
    plan.setdefault("questionnaires", []).append(form_file.name)
    plan_file.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return plan_file


@pytest.fixture
def app(cli, database_url: str, tmp_path: Path):
    result = cli("init", "--plan", str(_plan_with_channels(tmp_path / "plan", cli)))
    assert result.exit_code == 0, result.output
    result = cli("user", "add", "buudien", "--role", "postoffice", "--password-stdin",
                 input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    application = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                              "BASE_URL": "http://survey.test", "TESTING": True})
    application.instance_path = str(tmp_path / "instance")
    yield application
    survey_service.get_db(application).dispose()


def _slots(app, count: int = 2) -> list[Slot]:
    with survey_service.get_db(app).session() as session:
        slots = session.scalars(
            sa.select(Slot).join(QuotaPlace, Slot.place_id == QuotaPlace.id)
            .join(RespondentGroup, QuotaPlace.group_id == RespondentGroup.id)
            .where(RespondentGroup.code == GROUP).order_by(Slot.id).limit(count)).all()
        session.expunge_all()
        return list(slots)


def _answers(app) -> dict[str, dict[str, str]]:
    """The stored answers per channel (web, paper): question -> value."""
    with survey_service.get_db(app).session() as session:
        return {r.channel: {a.question: a.value for a in r.answers}
                for r in session.scalars(sa.select(Response))}


def _checked_boxes(html: str, name: str) -> list[str]:
    return re.findall(rf'type="checkbox" name="{name}" value="([^"]+)" checked', html)


def _answer_on_the_web(app, token: str) -> None:
    client = app.test_client()
    walk = Walk(client, token)
    response = walk.open()
    for _ in range(40):
        html = response.get_data(as_text=True)
        if "send" in parse(html).buttons:
            done = walk.post(html, action="send")
            assert done.status_code == 200 and 'data-survey-status="completed"' in done.get_data(as_text=True)
            return
        extra: dict[str, object] = {}
        if 'name="kenh"' in html:
            page = html.split("<main", 1)[1]
            # The boxes share the question's name, in a fieldset with its legend; no script.
            assert re.findall(r'type="checkbox" name="kenh" value="([^"]+)"', page) == ["a", "b", "c"]
            assert "<legend>Ông/Bà liên hệ với cử tri qua những kênh nào?" in page
            assert "<script" not in html and "Có thể chọn nhiều phương án." in page
            # An unknown value is refused with its reason, the valid box stays ticked.
            refused = walk.post(html, extra={"kenh": ["a", "zz"]})
            assert refused.status_code == 422
            again = refused.get_data(as_text=True)
            assert "không phải là một trong các phương án" in again
            assert _checked_boxes(again, "kenh") == ["a"]
            extra = {"kenh": ["c", "a"], "kenh_c": "Zalo"}
        posted = walk.post(html, extra=extra)
        assert posted.status_code == 303, posted.get_data(as_text=True)[:300]
        response = client.get(posted.headers["Location"])
        if extra:  # the saved answer shows again as ticked boxes
            back = client.get(f"/s/{token}?p={page_number(html)}")
            assert _checked_boxes(back.get_data(as_text=True), "kenh") == ["a", "c"]
    raise AssertionError("the form did not end")


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def _enter_on_paper(app, code: str) -> None:
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    signed = client.post("/staff/login", data={"csrf_token": _csrf(page), "name": "buudien",
                                               "password": PASSWORD})
    assert signed.status_code == 302
    start = client.get("/staff/paper").get_data(as_text=True)
    url = client.post("/staff/paper", data={"csrf_token": _csrf(start), "code": code}).headers["Location"]
    html = client.get(url).get_data(as_text=True)
    for _ in range(40):
        data: dict[str, object] = {**parse(html).hidden}
        for name, value in re.findall(r'type="radio" name="([^"]+)" value="([^"]+)"', html):
            data.setdefault(name, value)
        if 'name="kenh" value=' in html and 'type="checkbox" name="kenh"' in html:
            # Tick a and c, then go back to the first section: what was ticked travels
            # with the sheet as one hidden field, and the sheet is saved from there.
            data.update({"kenh": ["a", "c"], "action": "goto-0"})
            first = client.post(url, data=data)
            assert first.status_code == 200
            html = first.get_data(as_text=True)
            assert parse(html).hidden["kenh"] == "a c"
            saved = client.post(url, data={**parse(html).hidden, "action": "save",
                                           **{n: v for n, v in re.findall(
                                               r'type="radio" name="([^"]+)" value="([^"]+)"', html)}})
            assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
            return
        data["action"] = "next"
        posted = client.post(url, data=data)
        assert posted.status_code == 200, posted.get_data(as_text=True)[:500]
        html = posted.get_data(as_text=True)
    raise AssertionError("the paper sheet did not end")


def test_select_multiple_on_the_web_and_on_paper_is_stored_and_exported_as_a_c(app, cli, tmp_path):
    web, paper = _slots(app)
    _answer_on_the_web(app, web.token)
    _enter_on_paper(app, paper.code)
    stored = _answers(app)
    assert stored["web"]["kenh"] == "a c" and stored["web"]["kenh_c"] == "Zalo"
    assert stored["paper"]["kenh"] == "a c" and "kenh_c" not in stored["paper"]

    out = tmp_path / "responses.csv"
    assert cli("export", "responses", "--format", "csv", "-o", str(out)).exit_code == 0
    rows = [r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))
            if r["question"] == "kenh"]
    assert sorted((r["channel"], r["value"]) for r in rows) == [("paper", "a c"), ("web", "a c")]

    sav = tmp_path / "responses.sav"
    result = cli("export", "responses", "--format", "sav", "-o", str(sav))
    assert result.exit_code == 0, result.output
    pyreadstat = pytest.importorskip("pyreadstat")
    table, meta = pyreadstat.read_sav(str(sav))
    assert meta.readstat_variable_types["CH01_kenh"] == "string"
    assert sorted(set(table["CH01_kenh"])) == ["a c"]
    assert "CH01_kenh" not in meta.variable_value_labels

    codebook = json.loads(cli("export", "codebook", "--format", "json").stdout)["questions"]
    entry = next(e for e in codebook if e["form"] == FORM and e["question"] == "kenh")
    assert entry["kind"] == "select_multiple" and entry["criterion"] == ""
    assert [o["value"] for o in entry["options"]] == ["a", "b", "c"]
