"""The appraisal round in the JSON API ``/api/v1/appraisal/...``.

Every route walked as every role (admin, analyst, post office, two units, two council
members and the standing body) and anonymously, with the exact status each gets: no
access beyond the rights of the pages.  One whole round through the API, ending with
an index that holds exactly the final scores.  Hostile bodies answer 4xx JSON, never
500, and store nothing.  Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import sqlalchemy as sa

from survey_service.accounts.operations import add_user, new_api_key
from survey_service.appraisal import schedule
from survey_service.appraisal.models import AppraisalField, AppraisalScore, AppraisalUnit, EvidenceFile
from survey_service.core.models import AuditEntry

UNIT_A, UNIT_B = "so-y-te", "so-xay-dung"
UTC = dt.timezone.utc
BEFORE = dt.datetime(2021, 1, 20, 3, 0, tzinfo=UTC)  # during the self-assessment
SENT = dt.datetime(2021, 2, 10, 3, 0, tzinfo=UTC)  # the appraisal; explanations until 17/02
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00 this program cannot be run in DOS mode"
PASSWORD = "mat-khau-dai-du"
ROLES = {
    "admin": ("admin", None), "analyst": ("analyst", None), "postoffice": ("postoffice", None),
    "unit_a": ("unit", UNIT_A), "unit_b": ("unit", UNIT_B),
    "tai_chinh": ("council", "so-tai-chinh"), "tu_phap": ("council", "so-tu-phap"),
    "noi_vu": ("council", "so-noi-vu"),
}
COUNCIL = ("tai_chinh", "tu_phap", "noi_vu")
BASE = "/api/v1/appraisal"


class Api:
    """A test client with each role's key, and a clock."""

    def __init__(self, app, db, monkeypatch):
        self.app, self.db, self.client = app, db, app.test_client()
        self.moment = BEFORE
        monkeypatch.setattr(schedule, "now", lambda: self.moment)
        self.keys = {}
        with db.session() as session:
            for name, (role, unit) in ROLES.items():
                add_user(session, name.replace("_", "-"), role, PASSWORD, unit=unit)
                self.keys[name] = new_api_key(session, name.replace("_", "-"))
        with db.session() as session:
            from survey_service.plans.queries import current_plan

            plan = current_plan(session)
        self.subs = {sub.code: (sub.max_for("department"), sub.appraiser)
                     for _, _, sub in plan.scoring.subcriteria("department", "appraisal")}

    def call(self, who: str | None, method: str, path: str, body=None, **kwargs):
        headers = {"Authorization": f"Bearer {self.keys[who]}"} if who else {}
        if body is not None:
            kwargs["json"] = body
        response = self.client.open(BASE + path, method=method, headers=headers, **kwargs)
        if response.status_code != 200 or "Content-Disposition" not in response.headers:
            assert response.is_json, (who, method, path, response.status_code, response.data[:200])
            if response.status_code >= 400:
                error = response.get_json()
                assert error["status"] == response.status_code and error["error"]["vi"] and error["error"]["en"]
        assert response.status_code < 500, (method, path, response.get_data(as_text=True))
        return response

    def ok(self, who: str, method: str, path: str, body=None, status: int = 200, **kwargs):
        response = self.call(who, method, path, body, **kwargs)
        assert response.status_code == status, (who, method, path, response.get_json())
        return response.get_json() if response.is_json else response

    def upload(self, who: str, unit: str, code: str, data: bytes = PDF, name: str = "bao-cao.pdf",
               stage: str | None = None):
        form = {"file": (io.BytesIO(data), name)}
        if stage:
            form["stage"] = stage
        return self.call(who, "POST", f"/units/{unit}/rows/{code}/evidence", data=form,
                         content_type="multipart/form-data")

    def index(self) -> dict[str, dict]:
        """The index per unit, as the analysts' API gives it."""
        response = self.client.get("/api/v1/index", headers={"Authorization": f"Bearer {self.keys['analyst']}"})
        assert response.status_code == 200, response.get_json()
        return {r["unit"]: r for r in response.get_json()["index"]}

    def fill_and_submit(self, who: str, unit: str) -> int:
        """Every row at its maximum with an explanation, a PDF on the first; the file's id."""
        for code, (maximum, _) in self.subs.items():
            self.ok(who, "PUT", f"/units/{unit}/rows/{code}", {"self_score": maximum, "explanation": "Có"})
        file_id = self.upload(who, unit, "LV1.TD1").get_json()["id"]
        self.ok(who, "POST", f"/units/{unit}/submit")
        return file_id

    def stored(self) -> tuple:
        """Everything the round stores, to show that a refused request changed nothing."""
        with self.db.session() as session:
            def count(model):
                return session.scalar(sa.select(sa.func.count()).select_from(model))
            scores = sorted((s.unit, s.criterion, s.self_score, s.evidence, s.appraised, s.final)
                            for s in session.scalars(sa.select(AppraisalScore)))
            units = sorted((u.unit, u.submitted_at) for u in session.scalars(sa.select(AppraisalUnit)))
            return (scores, units, count(AppraisalField), count(EvidenceFile), count(AuditEntry))


@pytest.fixture
def api(app, db, monkeypatch) -> Api:
    return Api(app, db, monkeypatch)


# --------------------------------------------------------------------------- the walk


def _walk(file_id: int) -> list[tuple[str, str, object, dict[str, int]]]:
    """(method, path, body, {role: status}); a role not named gets 403.

    The state: unit A has submitted (with one file), unit B has entered nothing, nothing
    is appraised.  Each request passes the rights of the roles named and is then
    refused for its content or for the state (so the walk changes nothing), or reads.
    """
    a, b = f"/units/{UNIT_A}", f"/units/{UNIT_B}"
    readers = {"admin": 200, "tai_chinh": 200, "tu_phap": 200, "noi_vu": 200}
    finance = {"admin": 422, "tai_chinh": 422, "noi_vu": 422}
    bad_file = {"file": (io.BytesIO(EXE), "setup.pdf")}
    return [
        ("GET", a, None, {**readers, "unit_a": 200}),
        ("GET", b, None, {**readers, "unit_b": 200}),
        ("GET", "/units/xa-ban-lang", None, {r: 404 for r in ("admin", "unit_a", "unit_b", *COUNCIL)}),
        ("PUT", f"{a}/rows/LV6.TD1", {"self_score": 999}, {"admin": 409, "unit_a": 409}),
        ("PUT", f"{b}/rows/LV6.TD1", {"self_score": 999}, {"admin": 422, "unit_b": 422}),
        ("PUT", f"{b}/rows/LV9.TD9", {"self_score": 1}, {"admin": 404, "unit_b": 404}),
        ("POST", f"{a}/rows/LV6.TD1/evidence", bad_file, {"admin": 422, "unit_a": 422}),
        ("POST", f"{b}/rows/LV6.TD1/evidence", bad_file, {"admin": 422, "unit_b": 422}),
        ("POST", f"{a}/submit", None, {"admin": 409, "unit_a": 409}),
        ("POST", f"{b}/submit", None, {"admin": 422, "unit_b": 422}),
        ("POST", f"{a}/rows/LV6.TD1/appraisal", {"score": 999}, finance),
        ("POST", f"{b}/rows/LV6.TD1/appraisal", {"score": 1}, {"admin": 409, "tai_chinh": 409, "noi_vu": 409}),
        ("POST", f"{a}/rows/LV2.TD1/appraisal", {"score": 999}, {"admin": 422, "tu_phap": 422, "noi_vu": 422}),
        ("POST", f"{a}/fields/so-tai-chinh/send", None, finance),
        ("POST", f"{a}/fields/so-tu-phap/send", None, {"admin": 422, "tu_phap": 422, "noi_vu": 422}),
        ("POST", f"{a}/fields/so-y-te/send", None, {"admin": 404, **{r: 404 for r in COUNCIL}}),
        ("POST", f"{a}/rows/LV6.TD1/answer", {"text": "Giải trình"}, {"admin": 409, "unit_a": 409}),
        ("POST", f"{b}/rows/LV6.TD1/answer", {"text": "Giải trình"}, {"admin": 409, "unit_b": 409}),
        ("POST", f"{a}/rows/LV6.TD1/final", {"score": 1, "reason": "x"},
         {"admin": 409, "tai_chinh": 409, "noi_vu": 409}),
        ("GET", "/board", None, {"admin": 200, "analyst": 200, "noi_vu": 200}),
        ("GET", f"/evidence/{file_id}", None, {**readers, "unit_a": 200}),
        ("GET", "/evidence/999999", None, {r: 404 for r in ("admin", "unit_a", "unit_b", *COUNCIL)}),
        ("GET", "/evidence/1e3", None, {r: 404 for r in ("admin", "unit_a", "unit_b", *COUNCIL)}),
        ("POST", "/finalise", None, {}),  # admin last, below
    ]


def _send(api: Api, who: str | None, method: str, path: str, body):
    if isinstance(body, dict) and "file" in body:
        data = {"file": (io.BytesIO(body["file"][0].getvalue()), body["file"][1])}
        return api.call(who, method, path, data=data, content_type="multipart/form-data")
    return api.call(who, method, path, body)


def test_every_route_as_every_role_gets_exactly_its_rights(api, app):
    file_id = api.fill_and_submit("unit_a", UNIT_A)
    walk = _walk(file_id)
    # Every route of the appraisal API is in the walk.
    adapter = app.url_map.bind("survey.test")
    walked = {adapter.match(BASE + path, method=method)[0] for method, path, _, _ in walk}
    assert walked == {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("api_appraisal.")}
    before = api.stored()
    for method, path, body, allowed in walk:
        assert api.call(None, method, path).status_code == 401, path
        bad = api.client.open(BASE + path, method=method, headers={"Authorization": "Bearer psk_nope"})
        assert bad.status_code == 401 and bad.is_json, path
        for role in ROLES:
            if path == "/finalise" and role == "admin":
                continue  # it would finalise: last, below
            response = _send(api, role, method, path, body)
            expected = allowed.get(role, 403)
            assert response.status_code == expected, (role, method, path, response.get_json())
            if response.status_code == 200 and "/evidence/" in path:
                assert response.data == PDF
                assert response.headers["Content-Disposition"].startswith("attachment;")
                assert response.headers["Content-Type"] == "application/pdf"
                assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert api.stored() == before
    assert api.ok("admin", "POST", "/finalise")["finalised"] is True
    assert api.call("admin", "POST", "/finalise").status_code == 409


def test_a_unit_reads_its_own_rows_and_sees_the_council_only_once_sent(api):
    api.fill_and_submit("unit_a", UNIT_A)
    api.moment = SENT
    api.ok("tai_chinh", "POST", f"/units/{UNIT_A}/rows/LV6.TD1/appraisal", {"score": 2, "comment": "Thiếu"})
    rows = {r["code"]: r for r in api.ok("unit_a", "GET", f"/units/{UNIT_A}")["rows"]}
    assert rows["LV6.TD1"]["appraised"] is None and rows["LV6.TD1"]["comment"] == ""
    council = {r["code"]: r for r in api.ok("tu_phap", "GET", f"/units/{UNIT_A}")["rows"]}
    assert council["LV6.TD1"]["appraised"] == 2 and council["LV6.TD1"]["comment"] == "Thiếu"
    doc = api.ok("unit_a", "GET", f"/units/{UNIT_A}")
    assert doc["submitted_at"].startswith("2021-01-20T03:00") and doc["late"] is False
    assert {f["appraiser"]: f["status"] for f in doc["fields"]}["so-tai-chinh"] == "appraised"
    assert rows["LV1.TD1"]["files"][0]["name"] == "bao-cao.pdf"
    assert set(rows["LV1.TD1"]["files"][0]) >= {"id", "name", "type", "size"}


# --------------------------------------------------------------------------- one whole round


def test_one_round_through_the_api_ends_with_an_index_of_the_final_scores(api):
    file_id = api.fill_and_submit("unit_a", UNIT_A)
    assert api.ok("unit_a", "GET", f"/units/{UNIT_A}")["submitted_at"]
    api.moment = SENT
    corrected = {"LV6.TD1": 2.0, "LV2.TD2": 1.0}
    for code, (maximum, appraiser) in api.subs.items():
        who = {"so-tai-chinh": "tai_chinh", "so-tu-phap": "tu_phap"}.get(appraiser, "noi_vu")
        if code in corrected:
            row = api.ok(who, "POST", f"/units/{UNIT_A}/rows/{code}/appraisal",
                         {"score": corrected[code], "comment": "Chưa đủ văn bản"})
            assert row["appraised"] == corrected[code]
        else:
            api.ok(who, "POST", f"/units/{UNIT_A}/rows/{code}/appraisal", {"score": maximum})
    for appraiser in sorted({a for _, a in api.subs.values()}):
        who = {"so-tai-chinh": "tai_chinh", "so-tu-phap": "tu_phap"}.get(appraiser, "noi_vu")
        sent = api.ok(who, "POST", f"/units/{UNIT_A}/fields/{appraiser}/send")
        assert sent["corrections"] == [c for c in corrected if api.subs[c][1] == appraiser]
    assert sent["explanation_due"] == "2021-02-17T17:00:00+00:00"
    rows = {r["code"]: r for r in api.ok("unit_a", "GET", f"/units/{UNIT_A}")["rows"]}
    assert rows["LV6.TD1"]["appraised"] == 2 and rows["LV6.TD1"]["comment"] == "Chưa đủ văn bản"
    assert rows["LV6.TD1"]["final"] is None and rows["LV6.TD2"]["final"] == api.subs["LV6.TD2"][0]
    # The unit answers one correction with a text and a second file; the other it leaves.
    answered = api.ok("unit_a", "POST", f"/units/{UNIT_A}/rows/LV6.TD1/answer", {"text": "Đã có Quyết định 12"})
    assert answered["answer"] == "Đã có Quyết định 12"
    second = api.upload("unit_a", UNIT_A, "LV6.TD1", stage="explanation")
    assert second.status_code == 201 and second.get_json()["stage"] == "explanation"
    assert api.call("tu_phap", "POST", f"/units/{UNIT_A}/rows/LV2.TD2/final",
                    {"score": 2, "reason": "x"}).status_code == 409  # the unit may still explain
    final = api.ok("tai_chinh", "POST", f"/units/{UNIT_A}/rows/LV6.TD1/final", {"score": 3, "reason": "Đã đủ"})
    assert final["final"] == 3 and final["first_appraised"] == 2 and final["final_reason"] == "Đã đủ"
    api.moment = dt.datetime(2021, 2, 18, 3, 0, tzinfo=UTC)  # the period has ended
    api.ok("tu_phap", "POST", f"/units/{UNIT_A}/rows/LV2.TD2/final", {"score": 1.5, "reason": "Không giải trình"})
    board = api.ok("analyst", "GET", "/board")
    [unit] = [u for u in board["units"] if u["unit"] == UNIT_A]
    assert unit["final"] is True and set(unit["fields"].values()) == {"final"}
    assert board["finalised"] is False and board["deadlines"]["appraisal"]["days_left"] == 41
    expected = sum(m for m, _ in api.subs.values()) - api.subs["LV6.TD1"][0] + 3 - api.subs["LV2.TD2"][0] + 1.5
    index = api.index()
    assert index[UNIT_A]["appraisal"] == pytest.approx(expected) and index[UNIT_A]["appraisal_preliminary"]
    assert index[UNIT_B]["appraisal"] == 0
    assert api.ok("admin", "POST", "/finalise")["finalised"] is True
    index = api.index()
    assert index[UNIT_A]["appraisal"] == pytest.approx(expected)
    assert index[UNIT_A]["appraisal_preliminary"] is False
    assert api.call("unit_b", "PUT", f"/units/{UNIT_B}/rows/LV6.TD1", {"self_score": 1}).status_code == 409
    download = api.ok("unit_a", "GET", f"/evidence/{file_id}")
    assert download.data == PDF and download.headers["Content-Disposition"].startswith("attachment;")
    assert api.call("unit_b", "GET", f"/evidence/{file_id}").status_code == 403


# --------------------------------------------------------------------------- hostile bodies


HOSTILE_SCORES = ["2", "abc", True, None, [], {}, -1, 5, 1e300, 10 ** 400]
RAW_BODIES = [
    ("text/plain", "self_score=1", 415), ("application/json", "{\"self_score\": ", 400),
    ("application/json", "[1, 2]", 400), ("application/json", "\"x\"", 400),
    ("application/json", "{\"self_score\": NaN}", 422), ("application/json", "{\"self_score\": Infinity}", 422),
    ("application/json", "{\"self_score\": -Infinity}", 422), ("application/json", "{\"self_score\": 1e400}", 422),
    ("application/json", "{\"self_score\": " + "9" * 5000 + "}", 400),
    ("application/json", "[" * 100_000 + "]" * 100_000, 400), ("application/json", "\x00", 400),
    ("application/json", "{\"self_score\": 1, \"explanation\": \"a\\u0000b\"}", 422),
    ("application/json", b"{\"self_score\": 1, \"explanation\": \"\xff\xfe\"}", 400),
]


def test_hostile_bodies_are_refused_with_json_and_store_nothing(api, app):
    api.fill_and_submit("unit_a", UNIT_A)
    before = api.stored()
    row = f"/units/{UNIT_B}/rows/LV6.TD1"
    for value in HOSTILE_SCORES:
        body = {"self_score": value} if value is not None else {"explanation": "no score key"}
        assert api.call("unit_b", "PUT", row, body).status_code == 422, value
    for content_type, raw, expected in RAW_BODIES:
        response = api.call("unit_b", "PUT", row, data=raw, content_type=content_type)
        assert response.status_code == expected, (raw[:40], response.get_json())
    for explanation in (1, ["x"], {"x": 1}, "a\x00b", "chuông\x07", "x" * 5000, "\ud800"):
        body = {"self_score": 1, "explanation": explanation}
        assert api.call("unit_b", "PUT", row, body).status_code == 422, explanation
    huge = api.call("unit_b", "PUT", row, data=json.dumps({"self_score": 1, "explanation": "x" * 2_000_000}),
                    content_type="application/json")
    assert huge.status_code == 413
    a = f"/units/{UNIT_A}/rows/LV6.TD1"
    for body in ({}, {"score": "1"}, {"score": 1, "comment": 7}, {"score": 1, "comment": "x\x00"},
                 {"score": float("nan")}, {"score": 10 ** 30}):
        assert api.call("tai_chinh", "POST", f"{a}/appraisal", body).status_code == 422, body
    for body in ({}, {"text": 1}, {"text": "x\x00y"}, {"text": None}):
        assert api.call("unit_a", "POST", f"{a}/answer", body).status_code == 422, body
    for body in ({"score": 1}, {"score": 1, "reason": "\x00"}, {"score": [], "reason": "x"}):
        assert api.call("tai_chinh", "POST", f"{a}/final", body).status_code == 422, body
    assert api.call("unit_a", "GET", f"/units/{UNIT_A}%00").status_code == 404
    # Uploads: no file, a bad stage, an empty file, a renamed program, over the limits.
    b = f"/units/{UNIT_B}/rows/LV6.TD1/evidence"
    assert api.call("unit_b", "POST", b, data={}, content_type="multipart/form-data").status_code == 400
    assert api.call("unit_b", "POST", b, {"file": "x"}).status_code == 400
    assert api.upload("unit_b", UNIT_B, "LV6.TD1", stage="other").status_code == 422
    assert api.upload("unit_b", UNIT_B, "LV6.TD1", data=b"").status_code == 422
    assert api.upload("unit_b", UNIT_B, "LV6.TD1", data=EXE, name="bao-cao.pdf").status_code == 422
    app.config["EVIDENCE_FILE_MB"] = 0.001
    assert api.upload("unit_b", UNIT_B, "LV6.TD1", data=PDF + b"0" * 2000).status_code == 413
    assert api.stored() == before
    app.config["EVIDENCE_FILE_MB"], app.config["EVIDENCE_UNIT_MB"] = 20, 0.002
    assert api.upload("unit_b", UNIT_B, "LV6.TD1", data=PDF + b"1" * 1500,
                      name="../../x.pdf").status_code == 422  # a name that is a path
    assert api.stored() == before
    first = api.upload("unit_b", UNIT_B, "LV6.TD1", data=PDF + b"1" * 1500, name="bao-cao.PDF")
    assert first.status_code == 201 and first.get_json()["name"] == "bao-cao.pdf"
    assert api.upload("unit_b", UNIT_B, "LV6.TD1", data=PDF + b"2" * 1500).status_code == 413
    with api.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(EvidenceFile)) == before[3] + 1


def test_the_openapi_document_describes_every_route(api, app):
    doc = api.client.get("/api/v1/openapi.json").get_json()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api_appraisal."):
            continue
        path = rule.rule.removeprefix("/api/v1").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            op = doc["paths"][path][method.lower()]
            assert op["summary"] and "200" in op["responses"] or "201" in op["responses"]
            assert {p["name"] for p in op["parameters"]} == set(rule.arguments)
            if method in ("PUT",) or path.endswith(("/appraisal", "/answer", "/final", "/evidence")) and method == "POST":
                assert op["requestBody"]["required"] is True
    schemas = doc["components"]["schemas"]
    assert schemas["AppraisalRow"]["properties"]["self_score"]["type"] == ["number", "null"]
    assert schemas["SelfScore"]["required"] == ["self_score"]
    for ref in json.dumps(doc["paths"]).split('"$ref": "')[1:]:
        assert ref.split('"')[0].removeprefix("#/components/schemas/") in schemas
