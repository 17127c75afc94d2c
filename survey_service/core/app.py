"""The application factory: the core, then each feature's pages and API.

The request is the unit of work: :class:`SurveyApp` commits the request's database
session once, after the view returned and before the response is made, or rolls it
back if the view raised.  A failed commit is an error answer, so a response that
says "saved" always means it is.

The edge of the application is guarded here, for every feature at once:

* **Size.** Every request has a size limit, checked on its ``Content-Length`` before
  anything reads the body (and by Werkzeug while reading one sent without it):
  respondent pages and the sign-in form take ``MAX_FORM_BYTES`` (128 KB), uploads by
  signed-in staff or with an API key ``MAX_UPLOAD_BYTES`` (``SURVEY_MAX_UPLOAD_MB``,
  20 MB) and the form around them, anything else ``MAX_CONTENT_LENGTH`` (1 MB).  Too large answers 413 with a page in the
  reader's language (JSON under ``/api/v1``).
* **Text.** Form fields lose the characters no text of the service may hold (a NUL,
  which PostgreSQL refuses, and the other control characters but tab and line breaks),
  except the answers of a form: those are checked one by one by
  :func:`questionnaires.parse_answer`, which refuses such a character with a message
  next to the question instead of changing an answer silently.  Query parameters,
  never more than a line, lose every control character; a path holding one names no
  page (404).
* **The API's answers.** Every answer under ``/api/v1`` is JSON: an unknown path (404), a
  method the path does not take (405), a server error (500) with a bilingual ``error``,
  and ``OPTIONS`` with the path's methods (see :mod:`.api`).
* **Headers.** A Content-Security-Policy without any script (a page's one inline style
  sheet is allowed by its hash), no framing, forms posting only here; ``no-store``
  for every respondent page, staff page, download and API answer (they carry links or
  personal data); session cookies ``Secure`` when the service is served over HTTPS.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from flask import Flask, Request, Response, g, render_template, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict, iter_multi_items
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge
from werkzeug.utils import cached_property

from questionnaires.answers import FORBIDDEN_CHARACTERS_RE

from . import compression, i18n
from . import config as _config
from .database import Database

#: Endpoints whose form fields their view checks itself, refusing control characters with
#: a clear message rather than having them removed: answers (``questionnaires.parse_answer``)
#: and the sign-in name and password (a changed password must never sign anyone in).
CHECKED_ENDPOINTS = frozenset({"respondent.save", "fieldwork.paper_form", "accounts.login"})
#: Endpoints that anyone may post to, and that take a small form only.
SMALL_FORM_ENDPOINTS = frozenset({"accounts.login"})
SMALL_FORM_BLUEPRINTS = frozenset({"respondent"})
#: Endpoints that take uploaded files (a workbook, evidence) from signed-in staff or a key.
UPLOAD_ENDPOINTS = frozenset({"appraisal.appraisal", "appraisal.self_area", "appraisal.explanation",
                              "api_appraisal.add_file", "citizens.upload_roster"})

#: The Content-Security-Policy of every answer; an HTML page adds the hashes of its
#: inline style sheets as ``style-src``.
CONTENT_SECURITY_POLICY = ("default-src 'none'; img-src 'self' data:; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'")
_STYLE_RE = re.compile(r"<style\b[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)
#: Where answers carry respondent links or personal data: never kept by a cache.
_PRIVATE_PREFIXES = ("/s/", "/staff", "/api/")
#: Every control character: what a query parameter or a path (one line) may not hold.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _cleaned(fields: MultiDict[str, Any], pattern: re.Pattern[str] = FORBIDDEN_CHARACTERS_RE,
             ) -> ImmutableMultiDict[str, Any]:
    """``fields`` with the characters ``pattern`` matches taken out of every name and
    text value."""
    return ImmutableMultiDict([
        (pattern.sub("", key), pattern.sub("", value) if isinstance(value, str) else value)
        for key, value in iter_multi_items(fields)])


class SurveyRequest(Request):
    """Flask's request, with text cleaned at the edge (see the module's note)."""

    @cached_property
    def args(self) -> ImmutableMultiDict[str, str]:  # type: ignore[override]
        return _cleaned(super().args, _CONTROL_RE)

    def _load_form_data(self) -> None:
        super()._load_form_data()
        if self.endpoint not in CHECKED_ENDPOINTS:
            self.__dict__["form"] = _cleaned(self.__dict__["form"])


class SurveyApp(Flask):
    """Flask, with one commit per request at the end of the view."""

    request_class = SurveyRequest

    def make_default_options_response(self) -> Response:
        """``OPTIONS``: the methods of the path; as JSON under ``/api/v1``."""
        from .api import is_api_path, options_answer

        response = super().make_default_options_response()
        return options_answer(response.allow) if is_api_path(request.path) else response

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
        settings and {"DATABASE_URL", "SECRET_KEY"} <= set(settings)) else _config.defaults()
    app.config.update(base)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        # Respondents may take long over a form: a stale CSRF token is handled by
        # re-showing the page with the answers kept, never by losing them.
        WTF_CSRF_TIME_LIMIT=None,
    )
    if settings:
        app.config.update(settings)
    # Behind HTTPS, cookies are never sent over plain HTTP.
    https = str(app.config.get("BASE_URL", "")).lower().startswith("https://")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if not (settings and key in settings):
            app.config[key] = https
    if https and not (settings and "PREFERRED_URL_SCHEME" in settings):
        app.config["PREFERRED_URL_SCHEME"] = "https"

    if app.config.get("PROXIES"):
        # Behind N reverse proxies: the client's address and scheme from X-Forwarded-*.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.extensions["survey_db"] = Database(app.config["DATABASE_URL"])
    compression.init_app(app)
    i18n.init_app(app)
    # Before any feature's hook (the CSRF check reads the form): limits first.
    app.before_request(_guard_the_edge)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(HTTPException, _http_error)
    _register_features(app)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    # Registered last, so it runs before compression (after-request hooks run in
    # reverse order): the style sheets are hashed in the page as written.
    app.after_request(security_headers)
    return app


# --------------------------------------------------------------------------- the edge


def _size_limit(app: Flask) -> int:
    """The most bytes the current request may send."""
    config = app.config
    if request.endpoint in SMALL_FORM_ENDPOINTS or request.blueprint in SMALL_FORM_BLUEPRINTS:
        return int(config["MAX_FORM_BYTES"])
    if request.endpoint in UPLOAD_ENDPOINTS:
        from flask_login import current_user

        from .api import PREFIX

        # A page's form is read by the CSRF check, before the view asks who is signed in;
        # the API reads a body only once the view has checked its key.
        if request.path.startswith(PREFIX + "/") or current_user.is_authenticated:
            return int(config["MAX_UPLOAD_BYTES"]) + int(config["MAX_FORM_BYTES"])
    return int(config["MAX_CONTENT_LENGTH"])


def _guard_the_edge() -> None:
    """Set the request's size limits (413 at once when ``Content-Length`` is over), and
    refuse a path holding a control character (404)."""
    from flask import current_app

    limit = _size_limit(current_app)
    request.max_content_length = limit
    request.max_form_memory_size = min(limit, int(current_app.config["MAX_FORM_MEMORY_SIZE"]))
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    # Respondent links check their token themselves, and answer with their own 404 page.
    if request.blueprint != "respondent" and _CONTROL_RE.search(request.path):
        raise NotFound()


def _size_text(size: int) -> str:
    """A limit for people: ``128 KB``, ``20 MB``.

    >>> _size_text(128 * 1024), _size_text(20 * 1024 * 1024), _size_text(1536 * 1024)
    ('128 KB', '20 MB', '1.5 MB')
    """
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{max(1, size // 1024)} KB"


def _too_large(_exc: RequestEntityTooLarge) -> Any:
    """413: what was sent is over the limit (HTML page, or JSON under the API)."""
    from .api import PREFIX, json_error
    from .i18n import t

    limit = _size_text(request.max_content_length or 0)
    vi = (f"Dữ liệu gửi lên quá lớn (tối đa {limit}) nên không được nhận. "
          "Xin quay lại, rút ngắn nội dung hoặc chọn tệp nhỏ hơn, rồi gửi lại.")
    en = (f"What was sent is too large (at most {limit}) and was not accepted. "
          "Please go back, shorten it or choose a smaller file, and send it again.")
    if request.path.startswith(PREFIX + "/"):
        return json_error(413, vi, en)
    return render_template("message.html", heading=t("Dữ liệu quá lớn", "Too large"),
                           text=t(vi, en), css="error"), 413


def _http_error(exc: HTTPException) -> Any:
    """Every HTTP error under ``/api/v1`` as JSON with a bilingual ``error`` (an unknown
    path, a method not allowed, a server error...); elsewhere Flask's own answer."""
    from .api import http_error, is_api_path

    return http_error(exc) if is_api_path(request.path) else exc


def _style_hashes(response: Response) -> list[str]:
    """CSP sources (``'sha256-...'``) of the inline style sheets of an HTML answer."""
    if (response.mimetype != "text/html" or response.direct_passthrough or response.is_streamed
            or "Content-Encoding" in response.headers):
        return []
    html = response.get_data(as_text=True)
    return sorted({"'sha256-" + base64.b64encode(hashlib.sha256(m.encode("utf-8")).digest()).decode()
                   + "'" for m in _STYLE_RE.findall(html)})


def security_headers(response: Response) -> Response:
    """Headers of every answer (see the module's note)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if "Content-Security-Policy" not in response.headers:
        styles = _style_hashes(response)
        policy = CONTENT_SECURITY_POLICY + (f"; style-src {' '.join(styles)}" if styles else "")
        response.headers["Content-Security-Policy"] = policy
    attachment = response.headers.get("Content-Disposition", "").lower().startswith("attachment")
    if attachment or request.path.startswith(_PRIVATE_PREFIXES):
        # Links are credentials, and staff pages show personal data: keep them out of
        # caches (the browser's, a proxy's) and other sites' logs.
        response.headers["Cache-Control"] = "no-store"
    return response


def _register_features(app: Flask) -> None:
    """The core's pages, then each feature's pages and JSON API."""
    from ..accounts import routes as accounts
    from ..accounts import security
    from ..appraisal import api as appraisal_api
    from ..appraisal import routes as appraisal
    from ..citizens import routes as citizens
    from ..fieldwork import api as fieldwork_api
    from ..fieldwork import routes as fieldwork
    from ..plans import api as plans_api
    from ..respondent import routes as respondent
    from ..results import api as results_api
    from ..results import routes as results
    from . import api, routes

    security.init_app(app)
    feature_apis = (plans_api, fieldwork_api, results_api, appraisal_api)
    for blueprint in (api.bp, *(f.bp for f in feature_apis)):
        security.csrf.exempt(blueprint)  # the API authenticates each request by its key
        app.register_blueprint(blueprint)
    api.register(app, (f.OPENAPI for f in feature_apis))
    security.csrf.exempt(respondent.bp)  # signed per-page form tokens, no cookie (see respondent)
    for blueprint in (routes.bp, respondent.bp, accounts.bp, fieldwork.bp, appraisal.bp, results.bp,
                      citizens.bp):
        app.register_blueprint(blueprint)
    from ..publication import routes as publication
    app.register_blueprint(publication.bp)
