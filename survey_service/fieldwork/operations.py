"""Field work: handing cards out, voiding and replacing lost ones, the audit log.

Every write here is a named operation that records who did it in the audit log, in
the same transaction as the change itself, so the log can never miss an action that
happened nor record one that did not.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sampling.slots import OPEN_STATES, SlotStatus, make_slot_code, new_token

from ..models import AuditEntry, DistributionEvent, QuotaPlace, RespondentGroup, Slot, User

_OPEN = [s.value for s in OPEN_STATES]


class FieldworkError(ValueError):
    """A field-work action that cannot be done; carries the message in both languages."""

    def __init__(self, vi: str, en: str):
        self.messages = {"vi": vi, "en": en}
        super().__init__(en)


def audit(session: Session, action: str, *, user: User | None = None, user_name: str = "",
          target: str = "", **detail: Any) -> None:
    """Append one entry to the audit log (committed with the caller's transaction)."""
    session.add(AuditEntry(user_id=user.id if user else None,
                           user_name=user.name if user else user_name,
                           action=action, target=target[:300], detail=detail))


def recent_failures(session: Session, name: str, window: dt.timedelta) -> int:
    """Failed sign-ins for ``name`` within ``window`` (from the audit log)."""
    since = dt.datetime.now(dt.timezone.utc) - window
    return session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "sign_in_failed", AuditEntry.user_name == name,
        AuditEntry.at >= since)) or 0


@dataclass
class BulkResult:
    """What a bulk action did, slot code by slot code."""

    done: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # slot code -> status that blocked it


def hand_out(session: Session, slot_ids: Iterable[int], *, contact: str, on_date: dt.date,
             user: User) -> BulkResult:
    """Record that cards were handed out (to ``contact``, on ``on_date``).

    Only slots still ``issued`` move; the others are reported, not changed.  One
    conditional UPDATE per slot, so a card answered meanwhile is never set back.
    """
    contact = contact.strip()
    if not contact:
        raise FieldworkError("Hãy ghi nơi nhận (đơn vị hoặc đầu mối).",
                             "Say where the cards went (unit or contact point).")
    result = BulkResult()
    slots = session.execute(select(Slot.id, Slot.code, Slot.status).where(
        Slot.id.in_(list(slot_ids))).order_by(Slot.code)).all()
    for slot_id, code, status in slots:
        changed = session.execute(
            update(Slot).where(Slot.id == slot_id, Slot.status == SlotStatus.ISSUED.value)
            .values(status=SlotStatus.HANDED_OUT.value)
            .execution_options(synchronize_session=False)).rowcount
        if changed:
            session.add(DistributionEvent(slot_id=slot_id, action="handed_out", detail=contact[:300],
                                          on_date=on_date, user_id=user.id))
            result.done.append(code)
        else:
            result.skipped[code] = status
    audit(session, "hand_out", user=user, target=contact,
          slots=result.done, skipped=sorted(result.skipped), on_date=on_date.isoformat())
    return result


def void_and_replace(session: Session, slot_id: int, *, reason: str, on_date: dt.date,
                     user: User) -> Slot:
    """Void a lost or spoiled card and issue a new slot for the same quota place.

    One transaction: the conditional UPDATE voids the slot only if it is still open
    (a completed form is never voided), then the replacement is inserted.  The
    database's partial unique index keeps exactly one live slot per quota place.
    Returns the new slot.
    """
    reason = reason.strip()
    if not reason:
        raise FieldworkError("Hãy ghi lý do hủy (mất, hỏng, ...).",
                             "Give the reason for voiding (lost, spoiled, ...).")
    old = session.get(Slot, slot_id)
    if old is None:
        raise FieldworkError("Không có phiếu này.", "There is no such slot.")
    changed = session.execute(
        update(Slot).where(Slot.id == slot_id, Slot.status.in_(_OPEN))
        .values(status=SlotStatus.VOIDED.value).execution_options(synchronize_session=False)).rowcount
    if not changed:
        session.rollback()
        raise FieldworkError(
            f"Phiếu {old.code} đang ở trạng thái '{old.status}', không hủy được "
            "(phiếu đã trả lời hoặc đã hủy thì giữ nguyên).",
            f"Slot {old.code} is '{old.status}' and cannot be voided "
            "(answered or voided slots stay as they are).")
    group_id, group_code = session.execute(
        select(QuotaPlace.group_id, RespondentGroup.code)
        .join(RespondentGroup, QuotaPlace.group_id == RespondentGroup.id)
        .where(QuotaPlace.id == old.place_id)).one()
    highest = max(int(code.split("-")[1]) for code in session.scalars(
        select(Slot.code).join(QuotaPlace, Slot.place_id == QuotaPlace.id)
        .where(QuotaPlace.group_id == group_id)))
    new = Slot(plan_id=old.plan_id, place_id=old.place_id, token=new_token(),
               code=make_slot_code(group_code, highest + 1), status=SlotStatus.ISSUED.value,
               replaces_id=old.id)
    session.add(new)
    session.flush()
    session.add(DistributionEvent(slot_id=old.id, action="voided", detail=reason[:300],
                                  on_date=on_date, user_id=user.id))
    session.add(DistributionEvent(slot_id=new.id, action="replacement", detail=old.code,
                                  on_date=on_date, user_id=user.id))
    audit(session, "void_and_replace", user=user, target=old.code, reason=reason,
          replacement=new.code, on_date=on_date.isoformat())
    return new


# --------------------------------------------------------------------------- progress


@dataclass
class Counts:
    """Slots of a cell: planned (live slots), handed out, started, completed."""

    planned: int = 0
    handed_out: int = 0
    started: int = 0
    completed: int = 0

    def add(self, status: str) -> None:
        self.planned += 1
        if status != SlotStatus.ISSUED.value:
            self.handed_out += 1
        if status in (SlotStatus.STARTED.value, SlotStatus.COMPLETED.value):
            self.started += 1
        if status == SlotStatus.COMPLETED.value:
            self.completed += 1

    @property
    def completed_share(self) -> float:
        return self.completed / self.planned if self.planned else 0.0

    def as_dict(self) -> dict[str, int]:
        return {"planned": self.planned, "handed_out": self.handed_out, "started": self.started,
                "completed": self.completed}


def slot_statuses(session: Session, plan_id: int) -> Sequence[Any]:
    """(group code, unit id, status) of every live slot of the plan."""
    return session.execute(
        select(RespondentGroup.code, QuotaPlace.unit_id, Slot.status)
        .join(QuotaPlace, Slot.place_id == QuotaPlace.id)
        .join(RespondentGroup, QuotaPlace.group_id == RespondentGroup.id)
        .where(Slot.plan_id == plan_id, Slot.status != SlotStatus.VOIDED.value)).all()


def tally(rows: Iterable[Any], key) -> dict[Any, Counts]:  # type: ignore[no-untyped-def]
    """Counts per ``key(row)`` (rows of :func:`slot_statuses`)."""
    out: dict[Any, Counts] = defaultdict(Counts)
    for row in rows:
        for k in key(row):
            out[k].add(row.status)
    return dict(out)
