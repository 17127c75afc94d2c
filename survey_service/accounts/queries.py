"""Reading staff accounts and the audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.models import AuditEntry, User

# A hash to compare against when the user does not exist, so that a wrong name and a
# wrong password take the same time.
_DUMMY_HASH = generate_password_hash("not a password of anyone")


def get_user(session: Session, name: str) -> User | None:
    """The user called ``name``, if any."""
    return session.scalar(select(User).where(User.name == name))


def list_users(session: Session) -> Sequence[User]:
    """Every account, by name."""
    return session.scalars(select(User).order_by(User.name)).all()


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


def user_by_api_key(session: Session, key: str) -> User | None:
    """The account whose API key is ``key``, if any."""
    return session.scalar(select(User).where(User.api_key_hash == hash_api_key(key)))


def recent_failures(session: Session, name: str, window: dt.timedelta) -> int:
    """Failed sign-ins for ``name`` within ``window`` (from the audit log)."""
    since = dt.datetime.now(dt.timezone.utc) - window
    return session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "sign_in_failed", AuditEntry.user_name == name,
        AuditEntry.at >= since)) or 0


def audit_entries(session: Session, action: str | None = None, limit: int = 500) -> Sequence[AuditEntry]:
    """The latest entries of the audit log, newest first, optionally of one action."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    return session.scalars(query).all()
