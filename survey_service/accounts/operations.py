"""Staff accounts: creation, sign-in checks, API keys."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import User

ROLES = ("admin", "postoffice", "analyst")
MIN_PASSWORD_LENGTH = 10

# A hash to compare against when the user does not exist, so that a wrong name and a
# wrong password take the same time.
_DUMMY_HASH = generate_password_hash("not a password of anyone")


class UserError(ValueError):
    """A bad user name, role or password; carries the message in both languages."""

    def __init__(self, vi: str, en: str):
        self.messages = {"vi": vi, "en": en}
        super().__init__(en)


def add_user(session: Session, name: str, role: str, password: str) -> User:
    """Create a staff account; :class:`UserError` on a bad name, role or password."""
    name = name.strip()
    if not name or len(name) > 80 or any(c.isspace() for c in name):
        raise UserError("Tên đăng nhập phải có 1 đến 80 ký tự, không có khoảng trắng.",
                        "A user name has 1 to 80 characters and no spaces.")
    if role not in ROLES:
        raise UserError(f"Vai trò '{role}' không hợp lệ (có: {', '.join(ROLES)}).",
                        f"Unknown role '{role}' (roles: {', '.join(ROLES)}).")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.",
                        f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if get_user(session, name) is not None:
        raise UserError(f"Đã có người dùng tên '{name}'.", f"A user named '{name}' already exists.")
    user = User(name=name, role=role, password_hash=generate_password_hash(password))
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, name: str) -> User | None:
    """The user called ``name``, if any."""
    return session.scalar(select(User).where(User.name == name))


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The active user with ``name`` and ``password``, else None."""
    user = get_user(session, name.strip())
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def hash_api_key(key: str) -> str:
    """The stored form of an API key (keys are long random strings: SHA-256 suffices)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_api_key(session: Session, name: str) -> str:
    """Give user ``name`` a new API key (replacing any old one) and return it."""
    user = get_user(session, name)
    if user is None:
        raise UserError(f"Không có người dùng tên '{name}'.", f"There is no user named '{name}'.")
    key = "psk_" + secrets.token_urlsafe(32)
    user.api_key_hash = hash_api_key(key)
    return key
