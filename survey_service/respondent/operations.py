"""Drafts and responses: saving a page, and finalising a slot exactly once.

Every write that depends on a slot being open *starts* with a conditional UPDATE of
the slot row (``... WHERE id = :id AND status IN (open states)``).  On PostgreSQL that
takes the row's lock, on SQLite the database's single write lock, so the check and the
write that follows are one atomic step whatever the number of server processes.  A
read-then-write ("is it completed? then insert") is the race behind duplicate and
overfilled responses in other survey platforms.

Operations add and flush, never commit: the request commits once at its end.  The
allowed moves come from the slot lifecycle of :mod:`sampling.slots`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, delete, insert, select, update
from sqlalchemy.orm import Session

from sampling.slots import SlotStatus

from ..core.models import Draft, Response, ResponseAnswer, Slot, may_become
from .queries import get_draft

_NOT_STARTED = may_become(SlotStatus.STARTED)

#: The province's time zone: the day of completion is the day there.
PROVINCE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def claim_open_slot(session: Session, slot_id: int, *, start: bool = True) -> bool:
    """Lock the slot if it is open (and mark it started); False if it is closed.

    Must be the first write of the transaction that writes for the slot.
    """
    values: dict[str, Any] = {"status": Slot.status}
    if start:
        values["status"] = case((Slot.status.in_(_NOT_STARTED), SlotStatus.STARTED.value),
                                else_=Slot.status)
    result = session.execute(
        update(Slot).where(Slot.id == slot_id, Slot.status.in_(may_become(SlotStatus.COMPLETED)))
        .values(**values)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def mark_started(session: Session, slot_id: int) -> None:
    """Opening a link marks its slot started (no write when it already is)."""
    session.execute(
        update(Slot).where(Slot.id == slot_id, Slot.status.in_(_NOT_STARTED))
        .values(status=SlotStatus.STARTED.value).execution_options(synchronize_session=False))


def save_page(session: Session, slot_id: int, form_hash: str, values: Mapping[str, Any],
              page: int, furthest: int) -> bool:
    """Merge one page's answers into the slot's draft, in one transaction.

    Returns False (and writes nothing) when the slot is no longer open.  Two
    devices saving at once are serialised by the slot lock; the later page wins
    for the answers it carries, the others are kept.
    """
    if not claim_open_slot(session, slot_id):
        return False
    draft = get_draft(session, slot_id)
    if draft is None:
        draft = Draft(slot_id=slot_id, form_hash=form_hash, answers={}, page=0, furthest=0)
        session.add(draft)
    merged = dict(draft.answers or {})
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    draft.answers = merged
    draft.page = page
    draft.furthest = max(draft.furthest or 0, furthest)
    session.flush()
    return True


_SLOTS, _DRAFTS = Slot.__table__, Draft.__table__

#: Plain Core statements, built once: the slot's conditional move to ``completed``, the
#: draft taken (read and deleted), the response and its answers.
_COMPLETE = (update(_SLOTS)
             .where(_SLOTS.c.id == bindparam("slot"),
                    _SLOTS.c.status.in_(may_become(SlotStatus.COMPLETED)))
             .values(status=SlotStatus.COMPLETED.value))
_DRAFT_ANSWERS = select(_DRAFTS.c.answers).where(_DRAFTS.c.slot_id == bindparam("slot"))
_DROP_DRAFT = delete(_DRAFTS).where(_DRAFTS.c.slot_id == bindparam("slot"))
_TAKE_DRAFT = _DROP_DRAFT.returning(_DRAFTS.c.answers)
_INSERT_RESPONSE = insert(Response.__table__)
_INSERT_ANSWERS = insert(ResponseAnswer.__table__)


def _answer_rows(response_id: str, answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for key, value in sorted(answers.items()):
        if value is None or value == "":
            continue
        question, _, unit = key.partition("@")
        rows.append({"response_id": response_id, "rated_unit": unit, "question": question,
                     "value": str(value)})
    return rows


def finalise(session: Session, slot_id: int, *, plan_id: int, group_code: str, form_code: str,
             form_version: str, form_hash: str, own_unit: str | None, channel: str,
             answers: Mapping[str, Any] | None = None) -> bool:
    """Complete the slot and store its anonymous response, exactly once.

    The first statement moves the slot to ``completed`` only if it is open.  If it
    changed a row, the draft's answers (or ``answers``, for a paper form) become a
    :class:`~survey_service.models.Response` and the draft is deleted, all in one
    transaction; if it changed none, the slot was already completed or voided and
    nothing is written.  Returns whether this call completed the slot.

    The write lock (the slot's row on PostgreSQL, the whole database on SQLite) is taken
    by that first statement and kept until the request commits, so everything that can
    be done before it is: the response's row, and a paper form's answer rows.  Then
    four plain statements: the UPDATE, the draft read and deleted at once (``DELETE ...
    RETURNING`` where the database has it), the response, its answers (one executemany).
    """
    session.flush()  # anything the caller added is written first, as before any write
    response_id = uuid.uuid4().hex
    response = {"id": response_id, "plan_id": plan_id, "group_code": group_code,
                "form_code": form_code, "form_version": form_version, "form_hash": form_hash,
                "own_unit": own_unit, "channel": channel,
                "completed_on": dt.datetime.now(PROVINCE_TZ).date()}
    rows = _answer_rows(response_id, answers) if answers is not None else None
    connection = session.connection()
    if connection.execute(_COMPLETE, {"slot": slot_id}).rowcount != 1:
        return False
    key = {"slot": slot_id}
    if connection.dialect.delete_returning:
        stored = connection.execute(_TAKE_DRAFT, key).scalar()
    else:
        stored = connection.execute(_DRAFT_ANSWERS, key).scalar()
        connection.execute(_DROP_DRAFT, key)
    if rows is None:
        rows = _answer_rows(response_id, stored or {})
    connection.execute(_INSERT_RESPONSE, response)
    if rows:
        connection.execute(_INSERT_ANSWERS, rows)
    return True
