"""The append-only audit log: who did what, written in the same transaction as the change.

Every feature records its writes here, so the log can never miss an action that
happened nor record one that did not (the entry is committed, or rolled back, with
the change itself).  The database refuses to change or delete an entry (triggers in
the migrations); the log is read on the accounts feature's audit page.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session

from .models import AuditEntry


class Actor(Protocol):
    """Whoever acts: a staff account (``id``, ``name``)."""

    id: int
    name: str


def record(session: Session, action: str, *, user: Actor | None = None, user_name: str = "",
           target: str = "", **detail: Any) -> AuditEntry:
    """Append one entry to the audit log (committed with the caller's transaction)."""
    entry = AuditEntry(user_id=user.id if user else None,
                       user_name=(user.name if user else user_name)[:80],
                       action=action, target=target[:300], detail=detail)
    session.add(entry)
    return entry
