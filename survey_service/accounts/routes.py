"""Staff sign-in and sign-out, the staff start page (with one's password), accounts and
the audit log."""

from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..core.audit import record
from ..core.database import db_session
from ..core.errors import ServiceError
from ..core.i18n import t, tr
from . import limits
from .operations import add_user, change_password, check_sign_in, end_sessions, set_password, toggle_active
from .queries import audit_actions, audit_page, link_misses, list_users, sign_in_counters
from .security import ROLES, role_required

bp = Blueprint("accounts", __name__, url_prefix="/staff", template_folder="templates")


class LoginForm(FlaskForm):
    """User name and password."""

    name = StringField(validators=[DataRequired(), Length(max=80)])
    password = PasswordField(validators=[DataRequired(), Length(max=200)])


class PasswordForm(FlaskForm):
    """One's current password and the new one, twice."""

    current = PasswordField(validators=[DataRequired(), Length(max=200)])
    new = PasswordField(validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(validators=[DataRequired(), Length(max=200)])


class LogoutForm(FlaskForm):
    """An empty form: sign-out is a POST with a CSRF token."""


def _locked_message(retry_after: int) -> str:
    wait = limits.minutes(retry_after)
    return t(f"Đăng nhập sai quá nhiều lần. Xin thử lại sau {wait} phút.",
             f"Too many failed sign-ins. Please try again in {wait} minutes.")


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    """Show the sign-in form; sign the user in on a correct name and password.

    Failures are limited per name and address, per address, and per name under attack
    (:mod:`.limits`); a refused attempt answers 429 with ``Retry-After``, a name or
    password with a control character 400.
    """
    form = LoginForm()
    error, status, headers = None, 200, {}
    if form.validate_on_submit():
        session = db_session()
        try:
            outcome = check_sign_in(session, form.name.data or "", form.password.data or "",
                                    request.remote_addr)
        except ServiceError as exc:
            error, status = tr(exc), 400
        else:
            if outcome.user is not None:
                login_user(outcome.user)
                record(session, "sign_in", user=outcome.user, target=limits.client_key(request.remote_addr))
                return redirect(request.args.get("next") if _safe_next() else url_for("accounts.home"))
            if outcome.locked:
                error, status = _locked_message(outcome.retry_after), 429
                headers = {"Retry-After": str(outcome.retry_after)}
            else:
                error, status = t("Tên đăng nhập hoặc mật khẩu không đúng.",
                                  "Wrong user name or password."), 401
    elif form.is_submitted():
        error, status = t("Phiên đăng nhập đã hết hạn hoặc thiếu thông tin. Hãy nhập lại và thử lại.",
                          "The sign-in form expired or was incomplete. Enter your details and try again."), 400
    return render_template("accounts/login.html", form=form, error=error), status, headers


def _safe_next() -> bool:
    """Whether ``?next=`` is a plain staff path of this site (no scheme, host, or line break)."""
    target = request.args.get("next") or ""
    return re.fullmatch(r"/staff/[\w\-./?=&%]*", target, re.ASCII) is not None and "//" not in target


@bp.route("/", methods=["GET", "POST"])
@login_required
def home():  # type: ignore[no-untyped-def]
    """The signed-in staff member's start page, where one also changes one's password.

    A new password ends every other session of the user; this one stays signed in.
    """
    form = PasswordForm()
    status, headers = 200, {}
    if request.method == "POST":
        session = db_session()
        error = None
        if not form.validate_on_submit():
            error = t("Biểu mẫu đã hết hạn hoặc thiếu thông tin. Hãy nhập lại và thử lại.",
                      "The form expired or was incomplete. Enter it again and try again.")
        else:
            try:
                checked = check_sign_in(session, current_user.name, form.current.data or "",
                                        request.remote_addr)
                if checked.locked:
                    error, status = _locked_message(checked.retry_after), 429
                    headers = {"Retry-After": str(checked.retry_after)}
                elif checked.user is None or checked.user.id != current_user.id:
                    error, status = t("Mật khẩu hiện tại không đúng.", "The current password is wrong."), 401
                else:
                    change_password(session, checked.user, form.new.data or "", form.confirm.data or "")
                    login_user(checked.user)  # this session, under the new version
                    flash(t("Đã đổi mật khẩu; các phiên đăng nhập khác đã kết thúc.",
                            "Password changed; every other session has ended."), "notice")
                    return redirect(url_for("accounts.home"))
            except ServiceError as exc:
                error = tr(exc)
        if error:
            flash(error, "error")
            status = status if status != 200 else 400
    return render_template("accounts/home.html", form=LogoutForm(), password_form=form), status, headers


@bp.route("/logout", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    """Sign out: this session and every other one of the user end."""
    session = db_session()
    record(session, "sign_out", user=current_user)
    end_sessions(session, current_user)
    logout_user()
    return redirect(url_for("accounts.login"))


@bp.get("/audit")
@role_required("admin")
def audit_log():  # type: ignore[no-untyped-def]
    """The audit log (read-only), newest first, a page at a time (``?before=<id>``), by action;
    and the counters of refused sign-ins and unknown links of the last day."""
    session = db_session()
    action = request.args.get("action") or None
    before = request.args.get("before", type=int)
    if before is not None and not 0 < before < 2**62:  # beyond any id (and any database integer)
        before = None
    since = limits.now() - dt.timedelta(days=1)
    return render_template(
        "accounts/audit.html", page=audit_page(session, action, before), action=action, before=before,
        actions=audit_actions(session), sign_ins=sign_in_counters(session, since),
        links=link_misses(session, since), limits=limits)


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users():  # type: ignore[no-untyped-def]
    """Staff accounts: add one, switch one on or off, or set one's password."""
    session = db_session()
    status = 200
    if request.method == "POST":
        try:
            if request.form.get("op") == "add":
                user = add_user(session, request.form.get("name", ""), request.form.get("role", ""),
                                request.form.get("password", ""), unit=request.form.get("unit") or None)
                record(session, "user_add", user=current_user, target=user.name, role=user.role,
                       unit=user.unit or "")
                flash(t(f"Đã tạo người dùng {user.name}.", f"User {user.name} created."), "notice")
                return redirect(url_for("accounts.users"))
            if request.form.get("op") == "toggle":
                toggle_active(session, request.form.get("name", ""), by=current_user)
                return redirect(url_for("accounts.users"))
            if request.form.get("op") == "password":
                user = set_password(session, request.form.get("name", ""), request.form.get("password", ""),
                                    by=current_user)
                if user.id == current_user.id:
                    login_user(user)  # one's own password: this session goes on, the others end
                flash(t(f"Đã đặt mật khẩu mới cho {user.name}.", f"New password set for {user.name}."),
                      "notice")
                return redirect(url_for("accounts.users"))
        except ServiceError as exc:
            session.rollback()
            flash(tr(exc), "error")
            status = 400
    return render_template("accounts/users.html", users=list_users(session), roles=ROLES), status
