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


OPENAPI: dict[str, Any] = {
    "schemas": {
        "Counts": {"type": "object", "required": [
            "code", "planned", "handed_out", "started", "completed"], "properties": {
            "code": {"type": "string"}, "name": {"type": "string"},
            "planned": {"type": "integer"}, "handed_out": {"type": "integer"},
            "started": {"type": "integer"}, "completed": {"type": "integer"},
            "completed_pct": {"type": "number"}, "behind": {"type": "boolean"}}},
    },
    "paths": {
        "/progress": {"get": {
            "summary": "Field work against the plan: planned, handed out, started, completed",
            "responses": {"200": {"description": "Progress", "content": {"application/json": {
                "schema": {"type": "object", "required": ["total", "groups", "units", "cells"],
                           "properties": {
                    "days_left": {"type": "integer"},
                    "total": {"$ref": "#/components/schemas/Counts"},
                    "groups": {"type": "array", "items": {"$ref": "#/components/schemas/Counts"}},
                    "units": {"type": "array", "items": {"$ref": "#/components/schemas/Counts"}},
                    "districts": {"type": "array", "items": {"$ref": "#/components/schemas/Counts"}},
                    "cells": {"type": "array", "items": {"type": "object", "required": [
                        "group", "unit", "planned", "handed_out", "started", "completed"]}}}}}}},
                "401": ERROR, "403": ERROR, "404": ERROR}}},
    },
}
