"""Writing staff accounts: creation, switching on and off, API keys.

Operations add and flush; the request or the command commits.
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from ..core.audit import Actor, record
from ..core.errors import ServiceError
from ..core.models import User
from .queries import get_user, hash_api_key
from .security import ROLES

MIN_PASSWORD_LENGTH = 10


def add_user(session: Session, name: str, role: str, password: str) -> User:
    """Create a staff account; :class:`ServiceError` on a bad name, role or password."""
    name = name.strip()
    if not name or len(name) > 80 or any(c.isspace() for c in name):
        raise ServiceError("Tên đăng nhập phải có 1 đến 80 ký tự, không có khoảng trắng.",
                           "A user name has 1 to 80 characters and no spaces.")
    if role not in ROLES:
        raise ServiceError(f"Vai trò '{role}' không hợp lệ (có: {', '.join(ROLES)}).",
                           f"Unknown role '{role}' (roles: {', '.join(ROLES)}).")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.",
                           f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if get_user(session, name) is not None:
        raise ServiceError(f"Đã có người dùng tên '{name}'.", f"A user named '{name}' already exists.",
                           status=409)
    user = User(name=name, role=role, password_hash=generate_password_hash(password))
    session.add(user)
    session.flush()
    return user


def toggle_active(session: Session, name: str, *, by: Actor) -> User:
    """Switch the account ``name`` on or off (never one's own), audited."""
    user = get_user(session, name)
    if user is None or user.id == by.id:
        raise ServiceError("Không đổi được tài khoản này.", "This account cannot be changed here.")
    user.active = not user.active
    record(session, "user_active" if user.active else "user_inactive", user=by, target=user.name)
    return user


def new_api_key(session: Session, name: str) -> str:
    """Give user ``name`` a new API key (replacing any old one) and return it."""
    user = get_user(session, name)
    if user is None:
        raise ServiceError(f"Không có người dùng tên '{name}'.", f"There is no user named '{name}'.",
                           status=404)
    key = "psk_" + secrets.token_urlsafe(32)
    user.api_key_hash = hash_api_key(key)
    return key
