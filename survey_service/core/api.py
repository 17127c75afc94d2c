"""JSON API ``/api/v1``: ``Authorization: Bearer <key>`` (keys from ``survey-service user token``).

A missing or wrong key answers 401, a role without the right 403, each with a JSON
``error`` in Vietnamese and English.  Nothing here ever returns a slot token or links
an answer to a slot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select

import questionnaires

from . import db_session
from .models import User
from .services.plans import current_plan, get_plan_row, plan_summary
from .services.progress import progress as progress_report
from .services.responses import PROVINCE_TZ
from .services.users import hash_api_key

bp = Blueprint("api", __name__, url_prefix="/api/v1")

F = TypeVar("F", bound=Callable[..., Any])

ALL_ROLES = ("admin", "postoffice", "analyst")


def _error(status: int, vi: str, en: str):  # type: ignore[no-untyped-def]
    response = jsonify({"error": {"vi": vi, "en": en}, "status": status})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="survey"'
    return response


def require_key(*roles: str) -> Callable[[F], F]:
    """Let the request through only with a valid API key of one of ``roles``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, key = header.partition(" ")
            if scheme.lower() != "bearer" or not key.strip():
                return _error(401, "Thiếu khóa API (Authorization: Bearer <khóa>).",
                              "Missing API key (Authorization: Bearer <key>).")
            user = db_session().scalar(
                select(User).where(User.api_key_hash == hash_api_key(key.strip())))
            if user is None or not user.active:
                return _error(401, "Khóa API không hợp lệ.", "Invalid API key.")
            if user.role != "admin" and user.role not in roles:
                return _error(403, f"Vai trò '{user.role}' không được xem mục này.",
                              f"The role '{user.role}' may not read this.")
            g.api_user = user
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _plan_or_404():  # type: ignore[no-untyped-def]
    plan = current_plan(db_session())
    if plan is None:
        return None, _error(404, "Chưa nạp kế hoạch khảo sát (survey-service init).",
                            "No survey plan is loaded (survey-service init).")
    return plan, None


@bp.get("/plan")
@require_key(*ALL_ROLES)
def plan():  # type: ignore[no-untyped-def]
    """The plan: round, deadlines, groups with their quotas, totals."""
    p, error = _plan_or_404()
    if error:
        return error
    return jsonify(plan_summary(p))


@bp.get("/codebook")
@require_key(*ALL_ROLES)
def codebook():  # type: ignore[no-untyped-def]
    """Every question of every form of the plan, with its criterion and weighted options."""
    p, error = _plan_or_404()
    if error:
        return error
    return jsonify({"plan": p.code, "questions": questionnaires.codebook(p.forms.values())})


@bp.get("/progress")
@require_key(*ALL_ROLES)
def progress():  # type: ignore[no-untyped-def]
    """Field work against the plan: per group, unit, district and group x unit."""
    p, error = _plan_or_404()
    if error:
        return error
    session = db_session()
    report = progress_report(session, get_plan_row(session, p.code), p,
                             dt.datetime.now(PROVINCE_TZ).date())
    return jsonify(report.as_dict())


def _results_table(table: str):  # type: ignore[no-untyped-def]
    """``scores`` or ``index`` of the current data, as the API's JSON answer."""
    from .services import results

    p, error = _plan_or_404()
    if error:
        return error
    session = db_session()
    computed = results.compute(session, get_plan_row(session, p.code), p)
    records = results.score_records(computed) if table == "scores" else results.index_records(computed)
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


@bp.get("/openapi.json")
def openapi():  # type: ignore[no-untyped-def]
    """The OpenAPI document of this API."""
    return jsonify(OPENAPI)


_ERROR = {"description": "Error", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "PAR survey service API", "version": "1"},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error", "status"], "properties": {
                "status": {"type": "integer"},
                "error": {"type": "object", "properties": {
                    "vi": {"type": "string"}, "en": {"type": "string"}}}}},
            "Counts": {"type": "object", "required": [
                "code", "planned", "handed_out", "started", "completed"], "properties": {
                "code": {"type": "string"}, "name": {"type": "string"},
                "planned": {"type": "integer"}, "handed_out": {"type": "integer"},
                "started": {"type": "integer"}, "completed": {"type": "integer"},
                "completed_pct": {"type": "number"}, "behind": {"type": "boolean"}}},
            "Option": {"type": "object", "required": ["value", "label", "weight"], "properties": {
                "value": {"type": "string"}, "label": {"type": "string"},
                "label_en": {"type": "string"},
                "weight": {"type": ["number", "null"],
                           "description": "share of the criterion's points; null: don't know"}}},
        },
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
                "401": _ERROR, "403": _ERROR, "404": _ERROR}}},
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
                "401": _ERROR, "403": _ERROR, "404": _ERROR}}},
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
                "401": _ERROR, "403": _ERROR, "404": _ERROR}}},
        "/scores": {"get": {
            "summary": "Survey points per rated unit and sub-criterion (analysts)",
            "responses": {"200": {"description": "Scores", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"scores": {"type": "array", "items": {
                    "type": "object", "required": ["unit", "criterion", "n", "mean", "points",
                                                   "max_points", "ci_low", "ci_high"]}}}}}}},
                "401": _ERROR, "403": _ERROR, "404": _ERROR}}},
        "/index": {"get": {
            "summary": "The index per unit with rank interval and grade (analysts)",
            "responses": {"200": {"description": "Index", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"index": {"type": "array", "items": {
                    "type": "object", "required": ["unit", "appraisal", "survey", "total", "max",
                                                   "index_pct", "rank", "rank_low", "rank_high",
                                                   "grade"]}}}}}}},
                "401": _ERROR, "403": _ERROR, "404": _ERROR}}},
        "/openapi.json": {"get": {"summary": "This document", "security": [],
                                  "responses": {"200": {"description": "OpenAPI 3.1"}}}},
    },
}
