"""Staff sign-in (flask-login), with CSRF-protected forms (Flask-WTF)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Flask, abort, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from . import db_session
from .i18n import t
from .models import User
from .services.fieldwork import audit, recent_failures
from .services.users import authenticate

F = TypeVar("F", bound=Callable[..., Any])

#: Sign-in failures allowed per user name within :data:`THROTTLE_WINDOW`.
MAX_FAILURES = 5
THROTTLE_WINDOW = dt.timedelta(minutes=15)

bp = Blueprint("auth", __name__, url_prefix="/staff")
login_manager = LoginManager()
csrf = CSRFProtect()


class LoginForm(FlaskForm):
    """User name and password."""

    name = StringField(validators=[DataRequired(), Length(max=80)])
    password = PasswordField(validators=[DataRequired(), Length(max=200)])


class LogoutForm(FlaskForm):
    """An empty form: sign-out is a POST with a CSRF token."""


def init_app(app: Flask) -> None:
    """Attach flask-login and CSRF protection to ``app``."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    csrf.init_app(app)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    user = db_session().get(User, int(user_id))
    return user if user is not None and user.active else None


@login_manager.unauthorized_handler
def _unauthorized():  # type: ignore[no-untyped-def]
    return redirect(url_for("auth.login", next=request.path))


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


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    """Show the sign-in form; sign the user in on a correct name and password.

    After :data:`MAX_FAILURES` failures for one name within :data:`THROTTLE_WINDOW`,
    that name is refused (429) until the window has passed, whatever the password.
    """
    form = LoginForm()
    error, status = None, 200
    if form.validate_on_submit():
        session = db_session()
        name = (form.name.data or "").strip()
        if recent_failures(session, name, THROTTLE_WINDOW) >= MAX_FAILURES:
            error, status = t(
                f"Đăng nhập sai quá {MAX_FAILURES} lần. Xin thử lại sau 15 phút.",
                f"More than {MAX_FAILURES} failed sign-ins. Please try again in 15 minutes."), 429
            audit(session, "sign_in_throttled", user_name=name, target=request.remote_addr or "")
            session.commit()
        else:
            user = authenticate(session, name, form.password.data or "")
            if user is not None:
                login_user(user)
                audit(session, "sign_in", user=user)
                session.commit()
                return redirect(request.args.get("next") if _safe_next() else url_for("auth.home"))
            audit(session, "sign_in_failed", user_name=name, target=request.remote_addr or "")
            session.commit()
            error, status = t("Tên đăng nhập hoặc mật khẩu không đúng.",
                              "Wrong user name or password."), 401
    elif form.is_submitted():
        error, status = t("Phiên đăng nhập đã hết hạn hoặc thiếu thông tin. Hãy nhập lại và thử lại.",
                          "The sign-in form expired or was incomplete. Enter your details and try again."), 400
    return render_template("auth/login.html", form=form, error=error), status


def _safe_next() -> bool:
    target = request.args.get("next") or ""
    return target.startswith("/staff/") and "//" not in target


@bp.route("/")
@login_required
def home():  # type: ignore[no-untyped-def]
    """The signed-in staff member's start page."""
    return render_template("auth/home.html", form=LogoutForm())


@bp.route("/logout", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    """Sign out."""
    session = db_session()
    audit(session, "sign_out", user=current_user)
    session.commit()
    logout_user()
    return redirect(url_for("auth.login"))
