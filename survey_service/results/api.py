"""Results in the JSON API: ``/api/v1/scores``, ``/api/v1/index`` and
``/api/v1/satisfaction`` (analysts).

Each reads the current round, or the round of ``?plan=CODE``; the satisfaction index,
without ``?plan``, the current round if it has sampled groups, else the latest round
that has (the current round's empty table when none has).  Numbers come in full
precision (appraisal points add up exactly as written); the exports round them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from ..accounts.security import require_key
from ..core.api import ERROR, PREFIX, json_error
from ..core.database import db_session
from ..plans.api import plan_or_error
from ..plans.queries import get_plan_row, plan_of
from ..plans.rounds import ROUND_PARAMETER, chosen_round
from .exports import index_records, score_records
from .queries import compute
from .satisfaction import compute_satisfaction, satisfaction_round, to_json

bp = Blueprint("api_results", __name__, url_prefix=PREFIX)


def _results_table(table: str):  # type: ignore[no-untyped-def]
    """``scores`` or ``index`` of the current data, as the API's JSON answer."""
    p, error = plan_or_error()
    if error:
        return error
    if p.scoring is None:
        return json_error(404, f"Đợt {p.code} không có quy tắc chấm điểm (xem {PREFIX}/satisfaction).",
                          f"The round {p.code} has no scoring rules (see {PREFIX}/satisfaction).")
    session = db_session()
    computed = compute(session, get_plan_row(session, p.code), p)
    records = score_records(computed) if table == "scores" else index_records(computed)
    return jsonify({"plan": p.code, "responses": computed.responses, "preliminary": computed.preliminary,
                    "survey_closed": computed.survey_closed, "appraisal_final": computed.appraisal_final,
                    "ranked": computed.ranked, "not_ranked": computed.not_ranked(),
                    "previous_plan": computed.previous, table: records})


@bp.get("/scores")
@require_key("analyst")
def scores():  # type: ignore[no-untyped-def]
    """Survey points per rated unit and sub-criterion, with their intervals."""
    return _results_table("scores")


@bp.get("/index")
@require_key("analyst")
def index():  # type: ignore[no-untyped-def]
    """The index per unit: appraisal, survey, total, index %, rank with interval, grade,
    status and the comparison with the previous round."""
    return _results_table("index")


@bp.get("/satisfaction")
@require_key("analyst")
def satisfaction():  # type: ignore[no-untyped-def]
    """The citizens' satisfaction index per rated unit and area, from the sampled groups."""
    _, error = plan_or_error()
    if error:
        return error
    session = db_session()
    row = satisfaction_round(session, chosen_round()) or get_plan_row(session)
    return jsonify(to_json(compute_satisfaction(session, row, plan_of(row))))


_NUMBER = {"type": "number"}
_NUMBER_OR_NULL = {"type": ["number", "null"]}
_INT_OR_NULL = {"type": ["integer", "null"]}
_STRING_OR_NULL = {"type": ["string", "null"]}
_STATUS = {"type": "string", "enum": ["ranked", "no_survey", "appraisal_missing", "appraisal_preliminary"],
           "description": "ranked, or why not: no valid survey answer, a final appraisal score missing, "
                          "the appraisal not finalised"}

#: What both answers say about the round besides their table.
_ROUND_FIELDS: dict[str, Any] = {
    "plan": {"type": "string"}, "responses": {"type": "integer"},
    "preliminary": {"type": "boolean", "description": "the survey has not closed or the appraisal is "
                                                      "not finalised"},
    "survey_closed": {"type": "boolean"}, "appraisal_final": {"type": "boolean"},
    "ranked": {"type": "integer"},
    "not_ranked": {"type": "object", "additionalProperties": {"type": "integer"}},
    "previous_plan": _STRING_OR_NULL,
}

OPENAPI: dict[str, Any] = {
    "schemas": {
        "Score": {"type": "object", "required": ["unit", "criterion", "n", "mean", "points", "max_points",
                                                 "ci_low", "ci_high"], "properties": {
            "unit": {"type": "string"}, "criterion": {"type": "string"}, "n": {"type": "integer"},
            "mean": _NUMBER_OR_NULL, "points": _NUMBER, "max_points": _NUMBER,
            "ci_low": _NUMBER_OR_NULL, "ci_high": _NUMBER_OR_NULL, "dont_know_share": _NUMBER_OR_NULL,
            "flag": _STRING_OR_NULL, "groups": {"type": "integer"}, "preliminary": {"type": "boolean"}}},
        "IndexRow": {"type": "object", "required": [
            "unit", "kind", "appraisal", "survey", "total", "max", "index_pct", "rank", "rank_low",
            "rank_high", "grade", "status", "previous_index_pct", "previous_rank", "rank_change"],
            "properties": {
                "unit": {"type": "string"}, "kind": {"type": "string"}, "name": {"type": "string"},
                "appraisal": _NUMBER, "survey": _NUMBER, "total": _NUMBER, "max": _NUMBER,
                "index_pct": _NUMBER, "rank": _INT_OR_NULL, "rank_low": _INT_OR_NULL,
                "rank_high": _INT_OR_NULL, "grade": _STRING_OR_NULL, "grade_name": _STRING_OR_NULL,
                "status": _STATUS, "missing_appraisal": {"type": "integer"},
                "index_low": _NUMBER_OR_NULL, "index_high": _NUMBER_OR_NULL,
                "appraisal_preliminary": {"type": "boolean"}, "preliminary": {"type": "boolean"},
                "previous_index_pct": _NUMBER_OR_NULL, "previous_rank": _INT_OR_NULL,
                "previous_grade": _STRING_OR_NULL,
                "rank_change": {**_INT_OR_NULL, "description": "places gained: previous rank - rank"},
                "new_unit": {"type": "boolean", "description": "not in the previous round"}}},
        "SatisfactionRow": {"type": "object", "required": [
            "form", "unit", "area", "n", "satisfied_share", "satisfied_low", "satisfied_high", "mean",
            "ci_low", "ci_high", "dont_know_share"], "properties": {
                "form": {"type": "string"}, "unit": {"type": "string"}, "name": {"type": "string"},
                "area": {"type": "string", "description": "the form's section code, or all"},
                "n": {"type": "integer", "description": "respondents with an answer on the scale"},
                "satisfied_share": {**_NUMBER_OR_NULL, "description": "share of the answers at the two top "
                                                                      "levels (0..1)"},
                "satisfied_low": _NUMBER_OR_NULL, "satisfied_high": _NUMBER_OR_NULL,
                "mean": {**_NUMBER_OR_NULL, "description": "mean level on the 1..k scale"},
                "ci_low": _NUMBER_OR_NULL, "ci_high": _NUMBER_OR_NULL,
                "dont_know_share": {**_NUMBER_OR_NULL, "description": "share of the answers that are "
                                                                      "\"Không biết\""},
                "preliminary": {"type": "boolean"}}},
    },
    "paths": {
        "/scores": {"get": {
            "summary": "Survey points per rated unit and sub-criterion (analysts)",
            "parameters": [ROUND_PARAMETER],
            "responses": {"200": {"description": "Scores", "content": {"application/json": {
                "schema": {"type": "object", "required": ["plan", "scores"], "properties": {
                    **_ROUND_FIELDS, "scores": {"type": "array", "items": {
                        "$ref": "#/components/schemas/Score"}}}}}}},
                "401": ERROR, "403": ERROR, "404": ERROR}}},
        "/index": {"get": {
            "summary": "The index per unit with rank interval, grade, status and the previous round "
                       "(analysts)",
            "parameters": [ROUND_PARAMETER],
            "responses": {"200": {"description": "Index", "content": {"application/json": {
                "schema": {"type": "object", "required": ["plan", "index"], "properties": {
                    **_ROUND_FIELDS, "index": {"type": "array", "items": {
                        "$ref": "#/components/schemas/IndexRow"}}}}}}},
                "401": ERROR, "403": ERROR, "404": ERROR}}},
        "/satisfaction": {"get": {
            "summary": "The citizens' satisfaction index per rated unit and area, from the sampled groups "
                       "(analysts)",
            "parameters": [ROUND_PARAMETER],
            "responses": {"200": {"description": "Satisfaction index", "content": {"application/json": {
                "schema": {"type": "object", "required": ["plan", "groups", "satisfaction"], "properties": {
                    "plan": {"type": "string"},
                    "groups": {"type": "array", "items": {"type": "string"},
                               "description": "the sampled groups the answers come from (none: empty)"},
                    "responses": {"type": "integer"}, "preliminary": {"type": "boolean"},
                    "survey_closed": {"type": "boolean"}, "confidence": {"type": "number"},
                    "precision": {"type": "string"},
                    "satisfaction": {"type": "array", "items": {
                        "$ref": "#/components/schemas/SatisfactionRow"}}}}}}},
                "401": ERROR, "403": ERROR, "404": ERROR}}},
    },
}
