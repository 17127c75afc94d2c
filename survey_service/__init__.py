"""The survey service: a Flask application over the plain libraries.

``create_app()`` builds an application from the environment (see
:mod:`survey_service.config`); tests pass their own settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, g, request

from . import compression
from . import config as _config
from .db import Database

__all__ = ["create_app", "get_db"]


def create_app(settings: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the application.

    ``settings`` override what the environment gives (tests use it for the
    database URL and the secret key).
    """
    app = Flask(__name__, instance_relative_config=True)
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

    from . import api, auth, i18n, respondent, staff, web

    i18n.init_app(app)
    auth.init_app(app)
    auth.csrf.exempt(api.bp)  # the API authenticates each request by its key, not a cookie
    auth.csrf.exempt(respondent.bp)  # signed per-page form tokens, no cookie (see respondent)
    app.register_blueprint(api.bp)
    app.register_blueprint(web.bp)
    app.register_blueprint(respondent.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(staff.bp)

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


def get_db(app: Flask | None = None) -> Database:
    """The application's :class:`~survey_service.db.Database`."""
    from flask import current_app

    return (app or current_app).extensions["survey_db"]


def db_session():  # type: ignore[no-untyped-def]
    """The request's session (opened on first use, closed at the end of the request)."""
    if "db_session" not in g:
        g.db_session = get_db().sessionmaker()
    return g.db_session
