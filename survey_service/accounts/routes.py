"""Staff sign-in and sign-out, the staff start page, accounts and the audit log."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..core.audit import record
from ..core.database import db_session
from ..core.errors import ServiceError
from ..core.i18n import t, tr
from .operations import add_user, toggle_active
from .queries import audit_entries, authenticate, list_users, recent_failures
from .security import ROLES, role_required

#: Sign-in failures allowed per user name within :data:`THROTTLE_WINDOW`.
MAX_FAILURES = 5
THROTTLE_WINDOW = dt.timedelta(minutes=15)

bp = Blueprint("accounts", __name__, url_prefix="/staff", template_folder="templates")


class LoginForm(FlaskForm):
    """User name and password."""

    name = StringField(validators=[DataRequired(), Length(max=80)])
    password = PasswordField(validators=[DataRequired(), Length(max=200)])


class LogoutForm(FlaskForm):
    """An empty form: sign-out is a POST with a CSRF token."""


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
            record(session, "sign_in_throttled", user_name=name, target=request.remote_addr or "")
        else:
            user = authenticate(session, name, form.password.data or "")
            if user is not None:
                login_user(user)
                record(session, "sign_in", user=user)
                return redirect(request.args.get("next") if _safe_next() else url_for("accounts.home"))
            record(session, "sign_in_failed", user_name=name, target=request.remote_addr or "")
            error, status = t("Tên đăng nhập hoặc mật khẩu không đúng.",
                              "Wrong user name or password."), 401
    elif form.is_submitted():
        error, status = t("Phiên đăng nhập đã hết hạn hoặc thiếu thông tin. Hãy nhập lại và thử lại.",
                          "The sign-in form expired or was incomplete. Enter your details and try again."), 400
    return render_template("accounts/login.html", form=form, error=error), status


def _safe_next() -> bool:
    target = request.args.get("next") or ""
    return target.startswith("/staff/") and "//" not in target


@bp.route("/")
@login_required
def home():  # type: ignore[no-untyped-def]
    """The signed-in staff member's start page."""
    return render_template("accounts/home.html", form=LogoutForm())


@bp.route("/logout", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    """Sign out."""
    record(db_session(), "sign_out", user=current_user)
    logout_user()
    return redirect(url_for("accounts.login"))


@bp.get("/audit")
@role_required("admin")
def audit_log():  # type: ignore[no-untyped-def]
    """The latest entries of the audit log (read-only)."""
    action = request.args.get("action") or None
    return render_template("accounts/audit.html", entries=audit_entries(db_session(), action),
                           action=action)


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users():  # type: ignore[no-untyped-def]
    """Staff accounts: add one, or switch one on or off."""
    session = db_session()
    status = 200
    if request.method == "POST":
        try:
            if request.form.get("op") == "add":
                user = add_user(session, request.form.get("name", ""), request.form.get("role", ""),
                                request.form.get("password", ""))
                record(session, "user_add", user=current_user, target=user.name, role=user.role)
                flash(t(f"Đã tạo người dùng {user.name}.", f"User {user.name} created."), "notice")
                return redirect(url_for("accounts.users"))
            if request.form.get("op") == "toggle":
                toggle_active(session, request.form.get("name", ""), by=current_user)
                return redirect(url_for("accounts.users"))
        except ServiceError as exc:
            session.rollback()
            flash(tr(exc), "error")
            status = 400
    return render_template("accounts/users.html", users=list_users(session), roles=ROLES), status
