"""Commands of the accounts: ``user add``, ``user password``, ``user token``, and ``quickstart``."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..core.cli import command_session, friendly_errors, require_initialised, say
from ..fieldwork.queries import iter_slots
from ..plans.queries import get_plan_row
from .operations import add_user, new_api_key, set_password
from .queries import get_user
from .security import ROLES

QUICKSTART_PASSWORD_FILE = "admin-password.txt"

user = AppGroup("user", help="Staff accounts.")


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--unit", default=None, metavar="CODE",
              help="The unit a 'unit' or 'council' account acts for (a unit code of the plan).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@friendly_errors
def user_add(name: str, role: str, unit: str | None, password_stdin: bool) -> None:
    """Create a staff account (the password is asked for, or read from standard input)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Mật khẩu / Password", hide_input=True, confirmation_prompt=True)
    require_initialised()
    with command_session() as session:
        add_user(session, name, role, password, unit=unit)
    bound = f", {unit}" if unit else ""
    say(f"Đã tạo người dùng {name} ({role}{bound}).", f"User {name} ({role}{bound}) created.")


@user.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@friendly_errors
def user_password(name: str, password_stdin: bool) -> None:
    """Give NAME a new password; every session of NAME ends."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Mật khẩu mới / New password", hide_input=True, confirmation_prompt=True)
    require_initialised()
    with command_session() as session:
        set_password(session, name, password)
    say(f"Đã đặt mật khẩu mới cho {name}; mọi phiên đăng nhập của người này đã kết thúc.",
        f"New password set for {name}; every session of theirs has ended.")


@user.command("token")
@click.argument("name")
@friendly_errors
def user_token(name: str) -> None:
    """Print a new API key for NAME (the old key stops working)."""
    with command_session() as session:
        key = new_api_key(session, name)
    click.echo(key)


@click.command()
@with_appcontext
@friendly_errors
def quickstart() -> None:
    """Print how to sign in as staff and one respondent link to try (for ``make run``).

    On first use it creates the account ``admin`` with a random password kept in
    the instance folder (owner-only), and prints it on every run while that file
    exists.  Delete the file once you have set up real accounts.
    """
    require_initialised()
    secret = Path(current_app.instance_path) / QUICKSTART_PASSWORD_FILE
    base = current_app.config["BASE_URL"]
    with command_session() as session:
        if get_user(session, "admin") is None:
            password = secrets.token_urlsafe(12)
            add_user(session, "admin", "admin", password)
            secret.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(password + "\n")
        row = get_plan_row(session)
        example = next(iter_slots(session, row, base), None) if row else None
    say(f"Trang cán bộ: {base}/staff/login", f"Staff sign-in: {base}/staff/login")
    if secret.is_file():
        password = secret.read_text(encoding="utf-8").strip()
        say(f"  tên đăng nhập: admin   mật khẩu: {password}   (lưu trong {secret})",
            f"  user: admin   password: {password}   (kept in {secret})")
    else:
        say("  tài khoản admin đã có; đặt mật khẩu mới: survey-service user password admin",
            "  the admin account exists; set a new password with: survey-service user password admin")
    if example is not None:
        say(f"Thử một phiếu ({example.group}, {example.slot}): {example.url}",
            f"Try a form ({example.group}, {example.slot}): {example.url}")


def register(group: click.Group) -> None:
    """Add this feature's commands to ``group``."""
    group.add_command(user)
    group.add_command(quickstart)
