"""The JSON API against its own OpenAPI document (issue 14, finding 7).

Every field of every schema has a type; every answer of every path (successes and
errors, as every kind of caller) is JSON that the document describes: its status is
listed for the operation, its body validates against the schema given for that status
(``jsonschema``, draft 2020-12 as OpenAPI 3.1 says), and it holds no field the schema
does not type.  Unknown paths (404), methods a path does not take (405), ``OPTIONS``
and a server error answer JSON with a bilingual ``error`` too.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import jsonschema
import pytest
import sqlalchemy as sa
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from survey_service.accounts.operations import add_user, new_api_key
from survey_service.core.api import PREFIX
from survey_service.core.models import Slot

from .formwalk import Walk

PASSWORD = "mat-khau-dai-du"
DOC_URI = "urn:survey:openapi"
UNIT = "so-y-te"
#: Path parameters for the walk: a real unit, sub-criterion, appraiser; an unknown file.
SAMPLE = {"unit": UNIT, "appraiser": "so-noi-vu", "file_id": "999999"}
#: What makes a schema typed: a type, a reference, or a fixed set of values.
TYPED = ("type", "$ref", "enum", "const", "oneOf", "anyOf", "allOf")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


# --------------------------------------------------------------------------- the document


def _pointer(*parts: str) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


class Contract:
    """The OpenAPI document, and the check of one answer against it."""

    def __init__(self, doc: dict[str, Any]):
        self.doc = doc
        resource = Resource(contents=doc, specification=DRAFT202012)
        self.registry = Registry().with_resource(DOC_URI, resource)
        self.checked: list[tuple[str, str, int]] = []

    def template_of(self, path: str) -> str | None:
        """The document's path (``/appraisal/units/{unit}``) that ``path`` matches."""
        for template in self.doc["paths"]:
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            if re.match(pattern, path):
                return template
        return None

    def schema_of(self, template: str, method: str, status: int) -> tuple[dict[str, Any], str]:
        """The response of an operation for ``status``, and the JSON pointer to it."""
        responses = self.doc["paths"][template][method.lower()]["responses"]
        key = str(status) if str(status) in responses else "default"
        assert key in responses, f"{method} {template}: {status} is not in the document"
        return responses[key], _pointer("paths", template, method.lower(), "responses", key)

    def validate(self, instance: Any, pointer: str) -> None:
        """Validate ``instance`` against the schema at ``pointer`` of the document."""
        schema = {"$ref": DOC_URI + "#" + quote(pointer, safe="/~")}
        jsonschema.Draft202012Validator(schema, registry=self.registry).validate(instance)

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            ref = schema["$ref"]
            assert ref.startswith("#/components/schemas/"), ref
            schema = self.doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return schema

    def undeclared(self, instance: Any, schema: dict[str, Any], where: str = "") -> list[str]:
        """Fields of ``instance`` that ``schema`` gives no type (at any depth)."""
        schema = self.resolve(schema)
        out = []
        if isinstance(instance, dict):
            properties = schema.get("properties", {})
            extra = schema.get("additionalProperties")
            for name, value in instance.items():
                if name in properties:
                    out += self.undeclared(value, properties[name], f"{where}.{name}")
                elif isinstance(extra, dict):
                    out += self.undeclared(value, extra, f"{where}.{name}")
                else:
                    out.append(f"{where}.{name}")
        elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
            for i, value in enumerate(instance[:50]):
                out += self.undeclared(value, schema["items"], f"{where}[{i}]")
        return out

    def check(self, response, method: str, path: str) -> Any:  # type: ignore[no-untyped-def]
        """Check one answer of the API against the document; returns its JSON."""
        path = path.split("?", 1)[0].removeprefix(PREFIX)
        template = self.template_of(path)
        assert template is not None, f"{path} is not in the document"
        documented, pointer = self.schema_of(template, method, response.status_code)
        content = documented.get("content", {})
        if "application/json" not in content:  # a download, described as such
            kind = response.mimetype
            assert kind in content or "application/octet-stream" in content, (method, path, kind)
            self.checked.append((method, template, response.status_code))
            return None
        assert response.mimetype == "application/json", (method, path, response.status_code)
        body = response.get_json()
        self.validate(body, pointer + "/content/application~1json/schema")
        schema = content["application/json"]["schema"]
        if template != "/openapi.json":  # the document itself is described by OpenAPI 3.1
            assert not self.undeclared(body, schema), (method, path, self.undeclared(body, schema))
        if response.status_code >= 400:
            assert body["status"] == response.status_code
        self.checked.append((method, template, response.status_code))
        return body


def _untyped(schema: Any, where: str) -> Iterator[str]:
    """Every place of ``schema`` where a value has no type."""
    if not isinstance(schema, dict):
        return
    if not any(key in schema for key in TYPED):
        yield where
        return
    for name in schema.get("required", []):
        if name not in schema.get("properties", {}):
            yield f"{where}.{name} (required, no schema)"
    for name, sub in schema.get("properties", {}).items():
        yield from _untyped(sub, f"{where}.{name}")
    if schema.get("type") == "array" or "items" in schema:
        if "items" not in schema:
            yield f"{where}[] (array without items)"
        yield from _untyped(schema.get("items"), f"{where}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _untyped(schema["additionalProperties"], f"{where}.*")
    for key in ("oneOf", "anyOf", "allOf"):
        for i, sub in enumerate(schema.get(key, [])):
            yield from _untyped(sub, f"{where}.{key}[{i}]")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def api(loaded, db, monkeypatch):
    """The app with answers in it, a key per role, and the contract."""
    from survey_service.appraisal import schedule

    moment = dt.datetime(2021, 1, 20, 3, 0, tzinfo=dt.timezone.utc)  # during the self-assessment
    monkeypatch.setattr(schedule, "now", lambda: moment)
    keys = {}
    with db.session() as session:
        for role, unit in (("admin", None), ("analyst", None), ("postoffice", None), ("unit", UNIT),
                           ("council", "so-noi-vu")):
            add_user(session, role, role, PASSWORD, unit=unit)
            keys[role] = new_api_key(session, role)
        tokens = list(session.scalars(sa.select(Slot.token).where(Slot.code.like("13-%"))
                                      .order_by(Slot.id).limit(3)))
    client = loaded.test_client()
    for token in tokens:  # a few answers, so that scores and the index hold numbers
        assert Walk(client, token).finish(choose=lambda n, o: o[1]).status_code == 200
    doc = client.get(f"{PREFIX}/openapi.json").get_json()
    return client, keys, Contract(doc)


def _auth(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def _url(template: str, **values: str) -> str:
    return PREFIX + re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), SAMPLE.get(m.group(1), "x")),
                           template)


def _subcriterion() -> str:
    import sampling

    plan = sampling.load_plan()
    return next(sub.code for _, _, sub in plan.scoring.subcriteria("department", "appraisal"))


# --------------------------------------------------------------------------- tests


def test_every_field_of_the_document_has_a_type(loaded):
    doc = loaded.test_client().get(f"{PREFIX}/openapi.json").get_json()
    jsonschema.Draft202012Validator.check_schema({"$defs": doc["components"]["schemas"]})
    missing = []
    for name, schema in doc["components"]["schemas"].items():
        missing += _untyped(schema, f"components.{name}")
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                for kind, content in answer.get("content", {}).items():
                    missing += _untyped(content.get("schema"), f"{method.upper()} {path} {status} {kind}")
            for kind, content in operation.get("requestBody", {}).get("content", {}).items():
                missing += _untyped(content.get("schema"), f"{method.upper()} {path} body {kind}")
            for parameter in operation.get("parameters", []):
                missing += _untyped(parameter.get("schema"), f"{method.upper()} {path} {parameter['name']}")
    assert not missing, "fields without a type:\n" + "\n".join(missing)


def test_every_answer_of_every_path_is_what_the_document_says(api):
    client, keys, contract = api
    sub = _subcriterion()
    for template, item in contract.doc["paths"].items():
        url = _url(template, criterion=sub)
        for method, operation in item.items():
            if method == "options":
                continue
            open_to_all = operation.get("security") == []
            # Without a key: 401 (or the answer itself where no key is needed).
            anonymous = client.open(url, method=method.upper())
            assert anonymous.status_code == (200 if open_to_all else 401), (method, url)
            contract.check(anonymous, method, url)
            if open_to_all:
                continue
            # A wrong key: 401; the post office never reads results or appraisals (403).
            contract.check(client.open(url, method=method.upper(), headers=_auth("psk_wrong")), method, url)
            as_postoffice = client.open(url, method=method.upper(), headers=_auth(keys["postoffice"]))
            contract.check(as_postoffice, method, url)
            # An admin: the answer itself when reading; a write with an empty body is refused.
            kwargs = {"json": {}} if "requestBody" in operation and "application/json" in \
                operation["requestBody"]["content"] else {}
            as_admin = client.open(url, method=method.upper(), headers=_auth(keys["admin"]), **kwargs)
            assert as_admin.status_code < 500, (method, url, as_admin.get_data(as_text=True)[:300])
            contract.check(as_admin, method, url)
            if method == "get" and "{" not in template:
                assert as_admin.status_code == 200, (url, as_admin.get_json())
    statuses = {status for _, _, status in contract.checked}
    assert {200, 401, 403}.issubset(statuses), statuses


def test_the_answers_with_data_validate(api):
    client, keys, contract = api
    admin = _auth(keys["admin"])
    for path in ("/plan", "/codebook", "/progress", "/scores", "/index", "/appraisal/board",
                 f"/appraisal/units/{UNIT}"):
        response = client.get(PREFIX + path, headers=admin)
        assert response.status_code == 200, (path, response.get_json())
        body = contract.check(response, "get", PREFIX + path)
        assert body
    scores = client.get(f"{PREFIX}/scores", headers=admin).get_json()["scores"]
    assert any(row["n"] for row in scores)  # the walk above gave real numbers to check
    # The writes of the appraisal, as the unit itself: a self-score, a file, the file back.
    unit = _auth(keys["unit"])
    sub = _subcriterion()
    row_url = f"{PREFIX}/appraisal/units/{UNIT}/rows/{sub}"
    saved = client.put(row_url, json={"self_score": 1, "explanation": "Đã làm"}, headers=unit)
    assert saved.status_code == 200, saved.get_json()
    contract.check(saved, "put", row_url)
    added = client.post(f"{row_url}/evidence", headers=unit,
                        data={"file": (io.BytesIO(PDF), "bao-cao.pdf")}, content_type="multipart/form-data")
    body = contract.check(added, "post", f"{row_url}/evidence")
    assert added.status_code == 201, body
    file_url = f"{PREFIX}/appraisal/evidence/{body['id']}"
    contract.check(client.get(file_url, headers=unit), "get", file_url)
    submitted = client.post(f"{PREFIX}/appraisal/units/{UNIT}/submit", headers=unit)
    contract.check(submitted, "post", f"{PREFIX}/appraisal/units/{UNIT}/submit")


@pytest.mark.parametrize("path", ["/nothing", "/plan/extra", "", "/appraisal/units", "/scores.csv"])
def test_an_unknown_path_answers_json_404(api, path):
    client, keys, contract = api
    for headers in ({}, _auth(keys["admin"])):
        response = client.get(PREFIX + path, headers=headers)
        assert response.status_code == 404 and response.mimetype == "application/json", path
        contract.validate(response.get_json(), "/components/schemas/Error")
        error = response.get_json()["error"]
        assert "openapi.json" in error["vi"] and "openapi.json" in error["en"]


def test_a_method_a_path_does_not_take_answers_json_405(api):
    client, keys, contract = api
    for method, path in (("POST", "/plan"), ("DELETE", "/openapi.json"), ("PUT", "/progress"),
                         ("PATCH", f"/appraisal/units/{UNIT}"), ("GET", "/appraisal/finalise")):
        response = client.open(PREFIX + path, method=method, headers=_auth(keys["admin"]))
        assert response.status_code == 405 and response.mimetype == "application/json", (method, path)
        contract.validate(response.get_json(), "/components/schemas/Error")
        assert response.headers["Allow"]
        assert method in response.get_json()["error"]["en"]


def test_options_answers_json_for_every_path(api):
    client, _, contract = api
    sub = _subcriterion()
    for template, item in contract.doc["paths"].items():
        url = _url(template, criterion=sub)
        response = client.options(url)
        body = contract.check(response, "options", url)
        documented = {m.upper() for m in item}
        assert documented <= set(body["allow"]) <= documented | {"HEAD"}, (url, body)
        assert set(response.headers["Allow"].split(", ")) == set(body["allow"])
    unknown = client.options(f"{PREFIX}/nothing")
    assert unknown.status_code == 404 and unknown.mimetype == "application/json"


def test_without_a_plan_the_api_says_so_in_json(database_url, tmp_path):
    from survey_service import create_app, get_db
    from survey_service.core.migrate import upgrade

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "k", "BASE_URL": "http://t",
                      "TESTING": True})
    app.instance_path = str(tmp_path / "instance")
    db = get_db(app)
    try:
        upgrade(db.engine)
        with db.session() as session:
            add_user(session, "admin", "admin", PASSWORD)
            key = new_api_key(session, "admin")
        client = app.test_client()
        contract = Contract(client.get(f"{PREFIX}/openapi.json").get_json())
        for path in ("/plan", "/codebook", "/progress", "/scores", "/index", "/appraisal/board"):
            response = client.get(PREFIX + path, headers=_auth(key))
            assert response.status_code == 404, path
            contract.check(response, "get", PREFIX + path)
    finally:
        db.dispose()


def test_a_server_error_answers_json_500(api, loaded, monkeypatch):
    from survey_service.plans import api as plans_api

    client, keys, contract = api

    def broken(plan):
        raise RuntimeError("boom")

    monkeypatch.setattr(plans_api, "plan_summary", broken)
    monkeypatch.setitem(loaded.config, "TESTING", False)
    monkeypatch.setitem(loaded.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get(f"{PREFIX}/plan", headers=_auth(keys["admin"]))
    assert response.status_code == 500 and response.mimetype == "application/json"
    contract.validate(response.get_json(), "/components/schemas/Error")
    assert "boom" not in response.get_data(as_text=True)  # nothing of the inside shown
    page = client.get("/staff/nothing")  # elsewhere, Flask's own page as before
    assert page.status_code == 404 and page.mimetype == "text/html"
