"""Staff sign-in (flask-login), with CSRF-protected forms (Flask-WTF)."""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, url_for
from flask_login import LoginManager, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from . import db_session
from .i18n import t
from .models import User
from .services.users import authenticate

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
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    """Show the sign-in form; sign the user in on a correct name and password."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = authenticate(db_session(), form.name.data or "", form.password.data or "")
        if user is not None:
            login_user(user)
            return redirect(url_for("auth.home"))
        error = t("Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong user name or password.")
    elif form.is_submitted():
        error = t("Hãy nhập tên đăng nhập và mật khẩu, rồi thử lại.",
                  "Enter your user name and password, then try again.")
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/")
@login_required
def home():  # type: ignore[no-untyped-def]
    """The signed-in staff member's start page."""
    return render_template("auth/home.html", form=LogoutForm())


@bp.route("/logout", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    """Sign out."""
    logout_user()
    return redirect(url_for("auth.login"))
