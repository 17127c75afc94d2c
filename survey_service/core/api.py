"""The JSON API ``/api/v1``: what every feature's API shares.

Each feature serves its own routes (``plans/api.py``, ``fieldwork/api.py``,
``results/api.py``) on a blueprint of its own under ``/api/v1``, authenticated with
:func:`survey_service.accounts.security.require_key`, and describes them in its
``OPENAPI_PATHS``; this module answers errors as JSON and serves the OpenAPI
document that gathers every feature's paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Blueprint, Response, current_app, jsonify

PREFIX = "/api/v1"

bp = Blueprint("api", __name__, url_prefix=PREFIX)


def json_error(status: int, vi: str, en: str) -> Response:
    """An error answer: ``{"error": {"vi": ..., "en": ...}, "status": ...}``."""
    response = jsonify({"error": {"vi": vi, "en": en}, "status": status})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="survey"'
    return response


#: A reference to the error schema, for the responses of every path.
ERROR = {"description": "Error", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}

#: The parts of the document that are not a feature's paths.
BASE: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "PAR survey service API", "version": "1"},
    "servers": [{"url": PREFIX}],
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error", "status"], "properties": {
                "status": {"type": "integer"},
                "error": {"type": "object", "properties": {
                    "vi": {"type": "string"}, "en": {"type": "string"}}}}},
        },
    },
}


def document(features: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The OpenAPI document: :data:`BASE` with each feature's paths and schemas."""
    doc: dict[str, Any] = {**BASE, "components": {
        "securitySchemes": dict(BASE["components"]["securitySchemes"]),
        "schemas": dict(BASE["components"]["schemas"])}, "paths": {}}
    for feature in features:
        doc["paths"].update(feature.get("paths", {}))
        doc["components"]["schemas"].update(feature.get("schemas", {}))
    doc["paths"]["/openapi.json"] = {"get": {"summary": "This document", "security": [],
                                            "responses": {"200": {"description": "OpenAPI 3.1"}}}}
    return doc


def register(app: Any, features: Iterable[Mapping[str, Any]]) -> None:
    """Keep the document of ``features`` (each a feature's ``OPENAPI``) on ``app``."""
    app.extensions["openapi"] = document(features)


@bp.get("/openapi.json")
def openapi():  # type: ignore[no-untyped-def]
    """The OpenAPI document of this API."""
    return jsonify(current_app.extensions["openapi"])
