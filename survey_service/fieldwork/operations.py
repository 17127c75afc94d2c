"""Field work: handing cards out, voiding and replacing lost ones, keying in paper forms.

Every write here is a named operation that records who did it in the audit log, in
the same transaction as the change itself.  Operations add and flush, never commit:
the request commits once at its end.  Every status change is a conditional UPDATE
that applies the slot lifecycle of :mod:`sampling.slots` (:func:`~survey_service.core.models.may_become`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sampling.slots import SlotStatus, new_token, next_slot_code

from ..core.audit import Actor, record
from ..core.errors import ServiceError
from ..core.models import DistributionEvent, Slot, may_become
from ..respondent.operations import finalise
from .queries import group_of_place, group_slot_codes


@dataclass
class BulkResult:
    """What a bulk action did, slot code by slot code."""

    done: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # slot code -> status that blocked it


def hand_out(session: Session, slot_ids: Iterable[int], *, contact: str, on_date: dt.date,
             user: Actor) -> BulkResult:
    """Record that cards were handed out (to ``contact``, on ``on_date``).

    Only slots still ``issued`` move; the others are reported, not changed.  One
    conditional UPDATE per slot, so a card answered meanwhile is never set back.
    """
    contact = contact.strip()
    if not contact:
        raise ServiceError("Hãy ghi nơi nhận (đơn vị hoặc đầu mối).",
                           "Say where the cards went (unit or contact point).")
    result = BulkResult()
    slots = session.execute(select(Slot.id, Slot.code, Slot.status).where(
        Slot.id.in_(list(slot_ids))).order_by(Slot.code)).all()
    for slot_id, code, status in slots:
        changed = session.execute(
            update(Slot).where(Slot.id == slot_id, Slot.status.in_(may_become(SlotStatus.HANDED_OUT)))
            .values(status=SlotStatus.HANDED_OUT.value)
            .execution_options(synchronize_session=False)).rowcount
        if changed:
            session.add(DistributionEvent(slot_id=slot_id, action="handed_out", detail=contact[:300],
                                          on_date=on_date, user_id=user.id))
            result.done.append(code)
        else:
            result.skipped[code] = status
    record(session, "hand_out", user=user, target=contact,
           slots=result.done, skipped=sorted(result.skipped), on_date=on_date.isoformat())
    return result


def void_and_replace(session: Session, slot_id: int, *, reason: str, on_date: dt.date,
                     user: Actor) -> Slot:
    """Void a lost or spoiled card and issue a new slot for the same quota place.

    The conditional UPDATE voids the slot only if it is still open (a completed form
    is never voided), then the replacement is inserted.  The database's partial
    unique index keeps exactly one live slot per quota place.  Raises
    :class:`ServiceError` (writing nothing) if the slot cannot be voided.  Returns
    the new slot.
    """
    reason = reason.strip()
    if not reason:
        raise ServiceError("Hãy ghi lý do hủy (mất, hỏng, ...).",
                           "Give the reason for voiding (lost, spoiled, ...).")
    old = session.get(Slot, slot_id)
    if old is None:
        raise ServiceError("Không có phiếu này.", "There is no such slot.", status=404)
    changed = session.execute(
        update(Slot).where(Slot.id == slot_id, Slot.status.in_(may_become(SlotStatus.VOIDED)))
        .values(status=SlotStatus.VOIDED.value).execution_options(synchronize_session=False)).rowcount
    if not changed:
        status = session.scalar(select(Slot.status).where(Slot.id == slot_id))
        raise ServiceError(
            f"Phiếu {old.code} đang ở trạng thái '{status}', không hủy được "
            "(phiếu đã trả lời hoặc đã hủy thì giữ nguyên).",
            f"Slot {old.code} is '{status}' and cannot be voided "
            "(answered or voided slots stay as they are).", status=409)
    group_id, group_code = group_of_place(session, old.place_id)
    new = Slot(plan_id=old.plan_id, place_id=old.place_id, token=new_token(),
               code=next_slot_code(group_code, group_slot_codes(session, group_id)),
               status=SlotStatus.ISSUED.value, replaces_id=old.id)
    session.add(new)
    session.flush()
    session.add(DistributionEvent(slot_id=old.id, action="voided", detail=reason[:300],
                                  on_date=on_date, user_id=user.id))
    session.add(DistributionEvent(slot_id=new.id, action="replacement", detail=old.code,
                                  on_date=on_date, user_id=user.id))
    record(session, "void_and_replace", user=user, target=old.code, reason=reason,
           replacement=new.code, on_date=on_date.isoformat())
    return new


def void_each(session: Session, slot_ids: Iterable[int], *, reason: str, on_date: dt.date,
              user: Actor) -> tuple[list[str], list[ServiceError]]:
    """Void and replace each slot on its own: one refusal leaves the others done.

    A refused slot writes nothing (:func:`void_and_replace` refuses before it
    writes); returns the new slot codes and the refusals.
    """
    made: list[str] = []
    refused: list[ServiceError] = []
    for slot_id in slot_ids:
        try:
            made.append(void_and_replace(session, slot_id, reason=reason, on_date=on_date,
                                         user=user).code)
        except ServiceError as exc:
            refused.append(exc)
    return made, refused


def enter_paper(session: Session, slot: Slot, *, group_code: str, form: Any, own_unit: str | None,
                answers: Mapping[str, Any], user: Actor) -> bool:
    """Store a paper form keyed in by staff as the slot's response (channel ``paper``).

    Exactly once, like a web submission; False (and nothing written) when the slot
    was answered meanwhile.
    """
    done = finalise(session, slot.id, plan_id=slot.plan_id, group_code=group_code,
                    form_code=form.code, form_version=form.version, form_hash=form.content_hash,
                    own_unit=own_unit, channel="paper", answers=answers)
    if done:
        record(session, "paper_entry", user=user, target=slot.code, form=form.code)
    return done
