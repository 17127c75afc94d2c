"""Who may do what: the signed-in staff member (pages) or the API key (JSON API).

Every staff page is guarded by :func:`role_required`, every API route by
:func:`require_key`; ``admin`` may do everything.  Forms carry a CSRF token
(Flask-WTF); the API and the respondent pages are exempt (a key, or a signed
per-page token, authenticates them instead).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, g, redirect, request, url_for
from flask_login import LoginManager, current_user, login_required
from flask_wtf.csrf import CSRFProtect

from ..core.api import json_error
from ..core.database import db_session
from ..core.models import User
from .queries import user_by_api_key

F = TypeVar("F", bound=Callable[..., Any])

#: Every role; ``admin`` may do all that any other may.
ROLES = ("admin", "postoffice", "analyst", "unit", "council")
#: Roles whose account acts for one unit of the plan: a department's or district's own
#: account (``unit``: its self-assessment), a council member's (``council``: the
#: sub-criteria of its field, for every evaluated unit).
UNIT_ROLES = ("unit", "council")

login_manager = LoginManager()
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Attach flask-login and CSRF protection to ``app``."""
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    csrf.init_app(app)


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """The user of a session id ``"<user id>:<session version>"`` (:meth:`User.get_id`).

    A session signed in before the user's last sign-out, password change or
    deactivation carries an older version, and is refused.
    """
    if not re.fullmatch(r"[0-9]{1,18}:[0-9]{1,18}", session_id):
        return None
    user_id, _, version = session_id.partition(":")
    user = db_session().get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


@login_manager.unauthorized_handler
def _unauthorized():  # type: ignore[no-untyped-def]
    return redirect(url_for("accounts.login", next=request.path))


def role_required(*roles: str) -> Callable[[F], F]:
    """Signed-in staff with one of ``roles`` only (admin always); others get 403."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_user.role != "admin" and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapper.roles = roles  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def require_key(*roles: str) -> Callable[[F], F]:
    """Let an API request through only with a valid key of one of ``roles`` (admin always).

    A missing or wrong key answers 401, a role without the right 403, each with a
    JSON ``error`` in Vietnamese and English.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, key = header.partition(" ")
            if scheme.lower() != "bearer" or not key.strip():
                return json_error(401, "Thiếu khóa API (Authorization: Bearer <khóa>).",
                                  "Missing API key (Authorization: Bearer <key>).")
            user = user_by_api_key(db_session(), key.strip())
            if user is None or not user.active:
                return json_error(401, "Khóa API không hợp lệ.", "Invalid API key.")
            if user.role != "admin" and user.role not in roles:
                return json_error(403, f"Vai trò '{user.role}' không được xem mục này.",
                                  f"The role '{user.role}' may not read this.")
            g.api_user = user
            return view(*args, **kwargs)

        wrapper.roles = roles  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
