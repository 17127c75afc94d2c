"""The plan in the JSON API: ``/api/v1/plan`` and ``/api/v1/codebook``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

import questionnaires
import sampling

from ..accounts.security import ROLES, require_key
from ..core.api import ERROR, PREFIX, json_error
from ..core.database import db_session
from .queries import current_plan, plan_summary

bp = Blueprint("api_plans", __name__, url_prefix=PREFIX)


def plan_or_error() -> tuple[sampling.Plan | None, Any]:
    """The current plan, or (None, the JSON 404 answer)."""
    plan = current_plan(db_session())
    if plan is None:
        return None, json_error(404, "Chưa nạp kế hoạch khảo sát (survey-service init).",
                                "No survey plan is loaded (survey-service init).")
    return plan, None


@bp.get("/plan")
@require_key(*ROLES)
def plan():  # type: ignore[no-untyped-def]
    """The plan: round, deadlines, groups with their quotas, totals."""
    p, error = plan_or_error()
    if error:
        return error
    return jsonify(plan_summary(p))


@bp.get("/codebook")
@require_key(*ROLES)
def codebook():  # type: ignore[no-untyped-def]
    """Every question of every form of the plan, with its criterion and weighted options."""
    p, error = plan_or_error()
    if error:
        return error
    return jsonify({"plan": p.code, "questions": questionnaires.codebook(p.forms.values())})


_STR, _INT, _BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
_DATE = {"type": "string", "format": "date"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: list[str], /, **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


OPENAPI: dict[str, Any] = {
    "schemas": {
        "Option": _obj(
            ["value", "label", "weight"], value=_STR, label=_STR, label_en=_STR,
            weight={"type": ["number", "null"], "description": "share of the criterion's points; null: don't know"}),
        "Question": _obj(
            ["form", "question", "criterion", "label", "options"],
            form=_STR, form_version=_STR, question=_STR, section=_STR,
            kind={"type": "string", "enum": [k.value for k in questionnaires.Kind]},
            criterion={**_STR, "description": "the sub-criterion it feeds; empty when not scored"},
            label=_STR, label_en=_STR, options=_array(_ref("Option")), required=_BOOL),
        "Group": _obj(
            ["code", "level", "name", "name_en", "form", "rates", "quota", "forms"],
            code=_STR, level={"type": ["string", "null"]}, name=_STR, name_en=_STR,
            form={"type": ["string", "null"], "description": "null: sampled under a separate plan"},
            rates={"type": "object", "minProperties": 1, "maxProperties": 1, "properties": {
                "every": _array(_STR),
                "own": {"type": ["string", "array"], "items": _STR,
                        "description": "a kind, or a list of kinds: the nearest one is rated"}}},
            quota={"type": "object", "minProperties": 1, "properties": {
                "fixed": _INT, "per": _STR, "count": _INT, "separate_plan": _STR,
                "sampled": {**_array(_STR), "description": "kinds of unit whose rosters are sampled"},
                "margin": {"type": "number", "description": "e of n = N / (1 + N·e²)"},
                "per_unit": _INT, "total": _INT,
                "reserve": {"type": "number", "description": "share of n drawn in reserve"}}},
            forms=_INT),
        "Level": _obj(["code", "name", "name_en", "forms"], code=_STR, name=_STR, name_en=_STR, forms=_INT),
        "Plan": _obj(
            ["plan", "title", "title_en", "province", "year", "deadlines", "groups", "levels", "total"],
            plan=_STR, title=_STR, title_en=_STR, province=_STR, year=_INT,
            deadlines={"type": "object", "additionalProperties": _DATE},
            groups=_array(_ref("Group")), levels=_array(_ref("Level")), total=_INT),
    },
    "paths": {
        "/plan": {"get": {
            "summary": "The survey plan: groups, quotas, totals",
            "responses": {"200": {"description": "The plan", "content": {"application/json": {
                "schema": _ref("Plan")}}},
                "401": ERROR, "403": ERROR, "404": ERROR}}},
        "/codebook": {"get": {
            "summary": "Every question of every form with its criterion and weighted options",
            "responses": {"200": {"description": "The codebook", "content": {"application/json": {
                "schema": _obj(["plan", "questions"], plan=_STR, questions=_array(_ref("Question")))}}},
                "401": ERROR, "403": ERROR, "404": ERROR}}},
    },
}
