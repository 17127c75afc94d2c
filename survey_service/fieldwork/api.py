"""Field work in the JSON API: ``/api/v1/progress``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, jsonify

from ..accounts.security import ROLES, require_key
from ..core.api import ERROR, PREFIX
from ..core.database import db_session
from ..plans.api import plan_or_error
from ..plans.queries import get_plan_row
from ..respondent.operations import PROVINCE_TZ
from .progress import progress as progress_report

bp = Blueprint("api_fieldwork", __name__, url_prefix=PREFIX)


@bp.get("/progress")
@require_key(*ROLES)
def progress():  # type: ignore[no-untyped-def]
    """Field work against the plan: per group, unit, district and group x unit."""
    p, error = plan_or_error()
    if error:
        return error
    session = db_session()
    report = progress_report(session, get_plan_row(session, p.code), p,
                             dt.datetime.now(PROVINCE_TZ).date())
    return jsonify(report.as_dict())


_STR, _INT, _NUM, _BOOL = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
_COUNT = {"type": "integer", "minimum": 0}
_COUNTS = {"planned": _COUNT, "handed_out": _COUNT, "started": _COUNT, "completed": _COUNT}


def _array_of(name: str) -> dict[str, Any]:
    return {"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}}


OPENAPI: dict[str, Any] = {
    "schemas": {
        "Counts": {"type": "object", "required": [
            "code", "name", "planned", "handed_out", "started", "completed", "completed_pct", "behind"],
            "properties": {
                "code": {**_STR, "description": "group or unit code; '*' for the total"}, "name": _STR,
                **_COUNTS, "completed_pct": _NUM, "behind": _BOOL}},
        "Cell": {"type": "object", "required": ["group", "unit", *_COUNTS], "properties": {
            "group": _STR, "unit": {**_STR, "description": "empty for a group without units"}, **_COUNTS}},
    },
    "paths": {
        "/progress": {"get": {
            "summary": "Field work against the plan: planned, handed out, started, completed",
            "responses": {"200": {"description": "Progress", "content": {"application/json": {
                "schema": {"type": "object", "required": [
                    "plan", "as_of", "deadline", "days_left", "expected_completed_pct", "total", "groups",
                    "units", "districts", "cells"], "properties": {
                    "plan": _STR, "as_of": {"type": "string", "format": "date"},
                    "deadline": {"type": "string", "format": "date"}, "days_left": _INT,
                    "expected_completed_pct": _NUM,
                    "total": {"$ref": "#/components/schemas/Counts"},
                    "groups": _array_of("Counts"), "units": _array_of("Counts"),
                    "districts": _array_of("Counts"), "cells": _array_of("Cell")}}}}},
                "401": ERROR, "403": ERROR, "404": ERROR}}},
    },
}
