"""Reading staff accounts and the audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.models import AuditEntry, LinkMiss, SignInCounter, User

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


@dataclass(frozen=True)
class AuditPage:
    """One page of the audit log, newest first."""

    entries: Sequence[AuditEntry]
    #: Entries in the whole log (of the chosen action, if one is chosen).
    total: int
    #: The ``before`` of the next (older) page, or None on the last page.
    older: int | None


def audit_page(session: Session, action: str | None = None, before: int | None = None,
               size: int = 100) -> AuditPage:
    """Entries of the audit log older than id ``before`` (all when None), newest first."""
    where = [AuditEntry.action == action] if action else []
    query = select(AuditEntry).where(*where).order_by(AuditEntry.id.desc()).limit(size + 1)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    entries = session.scalars(query).all()
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0
    older = entries[size - 1].id if len(entries) > size else None
    return AuditPage(entries[:size], total, older)


def audit_actions(session: Session) -> list[str]:
    """Every action the audit log holds, for the filter."""
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def sign_in_counters(session: Session, since: dt.datetime, limit: int = 100) -> Sequence[SignInCounter]:
    """Sign-in failure counters touched since ``since``, latest first."""
    return session.scalars(select(SignInCounter).where(
        SignInCounter.last_at >= since, SignInCounter.failures > 0,
    ).order_by(SignInCounter.last_at.desc()).limit(limit)).all()


def link_misses(session: Session, since: dt.datetime, limit: int = 100) -> Sequence[LinkMiss]:
    """Unknown-link counts per address and hour since ``since``, largest first."""
    return session.scalars(select(LinkMiss).where(LinkMiss.hour >= since).order_by(
        LinkMiss.misses.desc(), LinkMiss.hour.desc()).limit(limit)).all()
