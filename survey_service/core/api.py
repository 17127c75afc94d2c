"""The JSON API ``/api/v1``: what every feature's API shares.

Each feature serves its own routes (``plans/api.py``, ``fieldwork/api.py``,
``results/api.py``) on a blueprint of its own under ``/api/v1``, authenticated with
:func:`survey_service.accounts.security.require_key`, and describes them in its
``OPENAPI_PATHS``; this module answers errors as JSON and serves the OpenAPI
document that gathers every feature's paths.

Every answer under ``/api/v1`` is JSON, whatever happens: an unknown path (404), a
method the path does not take (405, with ``Allow``), a body too large (413), a server
error (500), each as ``{"error": {"vi": ..., "en": ...}, "status": ...}`` (the
application sends every HTTP error under the prefix through :func:`http_error`), and
``OPTIONS`` answers ``{"allow": [...]}`` (:func:`options_answer`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

PREFIX = "/api/v1"

bp = Blueprint("api", __name__, url_prefix=PREFIX)


def json_error(status: int, vi: str, en: str) -> Response:
    """An error answer: ``{"error": {"vi": ..., "en": ...}, "status": ...}``."""
    response = jsonify({"error": {"vi": vi, "en": en}, "status": status})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="survey"'
    return response


def is_api_path(path: str) -> bool:
    """Whether ``path`` is under the API's prefix.

    >>> is_api_path("/api/v1/plan"), is_api_path("/api/v1"), is_api_path("/api/v10"), is_api_path("/s/x")
    (True, True, False, False)
    """
    return path == PREFIX or path.startswith(PREFIX + "/")


def http_error(exc: HTTPException) -> Response:
    """An HTTP error of the API (an unknown path, a method not allowed, ...) as JSON.

    A 405 keeps the ``Allow`` header that lists the methods the path takes.
    """
    status = exc.code or 500
    if status == 404:
        vi = f"Không có địa chỉ này trong API (các địa chỉ: {PREFIX}/openapi.json)."
        en = f"There is no such address in the API (the addresses: {PREFIX}/openapi.json)."
    elif status == 405:
        allowed = ", ".join(getattr(exc, "valid_methods", None) or ())
        vi = f"Địa chỉ này không nhận phương thức {request.method}; chỉ nhận: {allowed}."
        en = f"This address does not take the method {request.method}; it takes: {allowed}."
    elif status >= 500:
        vi = "Lỗi của máy chủ: yêu cầu chưa được thực hiện. Xin thử lại sau."
        en = "Server error: the request was not carried out. Please try again later."
    else:
        vi = f"Yêu cầu không thực hiện được ({status} {exc.name})."
        en = f"The request cannot be carried out ({status} {exc.name})."
    response = json_error(status, vi, en)
    for name, value in exc.get_headers():
        if name.lower() in ("allow", "retry-after"):
            response.headers[name] = value
    return response


def options_answer(allow: Iterable[str]) -> Response:
    """The answer to ``OPTIONS``: the methods of the path, as JSON and in ``Allow``."""
    methods = sorted(set(allow))
    response = jsonify({"allow": methods})
    response.headers["Allow"] = ", ".join(methods)
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
                "error": {"type": "object", "required": ["vi", "en"], "properties": {
                    "vi": {"type": "string", "minLength": 1},
                    "en": {"type": "string", "minLength": 1}}}}},
            "Allow": {"type": "object", "required": ["allow"], "properties": {
                "allow": {"type": "array", "items": {"type": "string"}}}},
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
    doc["paths"]["/openapi.json"] = {"get": {"summary": "This document", "security": [], "responses": {
        "200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {
            "type": "object", "required": ["openapi", "paths"], "properties": {
                "openapi": {"type": "string"}, "paths": {"type": "object"}}}}}}}}}
    for item in doc["paths"].values():
        item["options"] = {"summary": "The methods this path takes (no key needed)", "security": [],
                           "responses": {"200": {"description": "The methods, also in Allow",
                                                 "content": {"application/json": {"schema": {
                                                     "$ref": "#/components/schemas/Allow"}}}}}}
    return doc


def register(app: Any, features: Iterable[Mapping[str, Any]]) -> None:
    """Keep the document of ``features`` (each a feature's ``OPENAPI``) on ``app``."""
    app.extensions["openapi"] = document(features)


@bp.get("/openapi.json")
def openapi():  # type: ignore[no-untyped-def]
    """The OpenAPI document of this API."""
    return jsonify(current_app.extensions["openapi"])
