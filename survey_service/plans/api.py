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


OPENAPI: dict[str, Any] = {
    "schemas": {
        "Option": {"type": "object", "required": ["value", "label", "weight"], "properties": {
            "value": {"type": "string"}, "label": {"type": "string"},
            "label_en": {"type": "string"},
            "weight": {"type": ["number", "null"],
                       "description": "share of the criterion's points; null: don't know"}}},
    },
    "paths": {
        "/plan": {"get": {
            "summary": "The survey plan: groups, quotas, totals",
            "responses": {"200": {"description": "The plan", "content": {"application/json": {
                "schema": {"type": "object", "required": ["plan", "groups", "total"], "properties": {
                    "plan": {"type": "string"},
                    "groups": {"type": "array", "items": {"type": "object", "required": [
                        "code", "form", "forms"]}},
                    "total": {"type": "integer"}}}}}},
                "401": ERROR, "403": ERROR, "404": ERROR}}},
        "/codebook": {"get": {
            "summary": "Every question of every form with its criterion and weighted options",
            "responses": {"200": {"description": "The codebook", "content": {"application/json": {
                "schema": {"type": "object", "properties": {
                    "plan": {"type": "string"},
                    "questions": {"type": "array", "items": {"type": "object", "required": [
                        "form", "question", "criterion", "options"], "properties": {
                        "form": {"type": "string"}, "question": {"type": "string"},
                        "criterion": {"type": "string"}, "label": {"type": "string"},
                        "options": {"type": "array", "items": {
                            "$ref": "#/components/schemas/Option"}}}}}}}}}},
                "401": ERROR, "403": ERROR, "404": ERROR}}},
    },
}
