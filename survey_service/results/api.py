"""Results in the JSON API: ``/api/v1/scores`` and ``/api/v1/index`` (analysts)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from ..accounts.security import require_key
from ..core.api import ERROR, PREFIX
from ..core.database import db_session
from ..plans.api import plan_or_error
from ..plans.queries import get_plan_row
from .exports import index_records, score_records
from .queries import compute

bp = Blueprint("api_results", __name__, url_prefix=PREFIX)


def _results_table(table: str):  # type: ignore[no-untyped-def]
    """``scores`` or ``index`` of the current data, as the API's JSON answer."""
    p, error = plan_or_error()
    if error:
        return error
    session = db_session()
    computed = compute(session, get_plan_row(session, p.code), p)
    records = score_records(computed) if table == "scores" else index_records(computed)
    return jsonify({"plan": p.code, "responses": computed.responses, table: records})


@bp.get("/scores")
@require_key("analyst")
def scores():  # type: ignore[no-untyped-def]
    """Survey points per rated unit and sub-criterion, with their intervals."""
    return _results_table("scores")


@bp.get("/index")
@require_key("analyst")
def index():  # type: ignore[no-untyped-def]
    """The index per unit: appraisal, survey, total, index %, rank with interval, grade."""
    return _results_table("index")


OPENAPI: dict[str, Any] = {
    "paths": {
        "/scores": {"get": {
            "summary": "Survey points per rated unit and sub-criterion (analysts)",
            "responses": {"200": {"description": "Scores", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"scores": {"type": "array", "items": {
                    "type": "object", "required": ["unit", "criterion", "n", "mean", "points",
                                                   "max_points", "ci_low", "ci_high"]}}}}}}},
                "401": ERROR, "403": ERROR, "404": ERROR}}},
        "/index": {"get": {
            "summary": "The index per unit with rank interval and grade (analysts)",
            "responses": {"200": {"description": "Index", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"index": {"type": "array", "items": {
                    "type": "object", "required": ["unit", "appraisal", "survey", "total", "max",
                                                   "index_pct", "rank", "rank_low", "rank_high",
                                                   "grade"]}}}}}}},
                "401": ERROR, "403": ERROR, "404": ERROR}}},
    },
}
