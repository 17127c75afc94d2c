"""The application factory: the core, then each feature's pages and API.

The request is the unit of work: :class:`SurveyApp` commits the request's database
session once, after the view returned and before the response is made, or rolls it
back if the view raised.  A failed commit is an error answer, so a response that
says "saved" always means it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, g, request

from . import compression, i18n
from . import config as _config
from .database import Database


class SurveyApp(Flask):
    """Flask, with one commit per request at the end of the view."""

    def dispatch_request(self) -> Any:  # type: ignore[override]
        try:
            result = super().dispatch_request()
        except BaseException:
            session = g.get("db_session")
            if session is not None:
                session.rollback()
            raise
        session = g.get("db_session")
        if session is not None:
            session.commit()
        return result


def create_app(settings: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the application.

    ``settings`` override what the environment gives (tests use it for the
    database URL and the secret key).
    """
    app = SurveyApp("survey_service", instance_relative_config=True)
    # Pages go to phones on slow links: no blank lines left by template tags.
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.instance_path = str(_config.instance_path(app.instance_path))
    folder = _config.instance_path(app.instance_path)
    base = _config.from_environment(folder) if not (
        settings and {"DATABASE_URL", "SECRET_KEY"} <= set(settings)) else {
        "BASE_URL": _config.DEFAULT_BASE_URL, "DEFAULT_LANG": "vi"}
    app.config.update(base)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Respondents may take long over a form: a stale CSRF token is handled by
        # re-showing the page with the answers kept, never by losing them.
        WTF_CSRF_TIME_LIMIT=None,
    )
    if settings:
        app.config.update(settings)

    app.extensions["survey_db"] = Database(app.config["DATABASE_URL"])
    compression.init_app(app)
    i18n.init_app(app)
    _register_features(app)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    @app.after_request
    def _security_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.path.startswith("/s/"):
            # Links are credentials: keep them out of caches and other sites' logs.
            response.headers["Cache-Control"] = "no-store"
        return response

    return app


def _register_features(app: Flask) -> None:
    """The core's pages, then each feature's pages and JSON API."""
    from ..accounts import routes as accounts
    from ..accounts import security
    from ..appraisal import routes as appraisal
    from ..fieldwork import api as fieldwork_api
    from ..fieldwork import routes as fieldwork
    from ..plans import api as plans_api
    from ..respondent import routes as respondent
    from ..results import api as results_api
    from ..results import routes as results
    from . import api, routes

    security.init_app(app)
    feature_apis = (plans_api, fieldwork_api, results_api)
    for blueprint in (api.bp, *(f.bp for f in feature_apis)):
        security.csrf.exempt(blueprint)  # the API authenticates each request by its key
        app.register_blueprint(blueprint)
    api.register(app, (f.OPENAPI for f in feature_apis))
    security.csrf.exempt(respondent.bp)  # signed per-page form tokens, no cookie (see respondent)
    for blueprint in (routes.bp, respondent.bp, accounts.bp, fieldwork.bp, appraisal.bp, results.bp):
        app.register_blueprint(blueprint)
