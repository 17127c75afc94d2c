"""Delivery outcomes recorded by the post office, slot by slot, and the replacements.

* ``handed_out``: the form reached the person (the slot becomes *handed out*);
* ``returned``: the filled paper form came back (it is then keyed in on the paper-entry
  page, which completes the slot);
* ``unreachable`` / ``refused``: the person could not be found, or declined.  Their
  slot is voided with the outcome, and the next reserve of the same unit, in order,
  takes the same quota place with a new slot (which replaces the old one).  The
  member keeps its outcome and the reason; with no reserve left the answer is 409
  and nothing changes.

Operations add and flush, never commit; each is audited (slot codes, outcome and the
reserve's order: never a name, an address or a phone, nor the free-text reason).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from questionnaires.answers import FORBIDDEN_CHARACTERS_RE
from sampling.slots import SlotStatus, new_token, next_slot_code, status_label

from ..core.audit import Actor, record
from ..core.errors import ServiceError
from ..core.models import DistributionEvent, RespondentGroup, Slot, SurveyPlan, may_become
from ..fieldwork.queries import group_slot_codes, slot_by_code
from .models import REFUSED, UNREACHABLE, Roster, SampleMember
from .queries import holder_of_slot, next_reserve

HANDED_OUT, RETURNED = "handed_out", "returned"
#: Every outcome the post office records, in the order of the buttons.
OUTCOMES = (HANDED_OUT, RETURNED, UNREACHABLE, REFUSED)
#: Each outcome in words (Vietnamese, English).
OUTCOME_LABELS = {"handed_out": ("Đã phát", "Handed out"), "returned": ("Đã thu về", "Returned"),
                  "unreachable": ("Không liên lạc được", "Unreachable"), "refused": ("Từ chối", "Refused")}
#: Who handed the form out, as the distribution event says.
POST_OFFICE = "bưu điện"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class OutcomeReport:
    """What :func:`record_outcome` did: the slot, the outcome, the replacement if any."""

    slot: str
    outcome: str
    #: The new slot's code and the reserve's order, when someone was replaced.
    replacement: str | None = None
    reserve_order: int | None = None


def _refuse_status(code: str, status: str) -> ServiceError:
    label = status_label(status)
    return ServiceError(f"Phiếu {code} đang ở trạng thái '{label.vi}', không ghi nhận được kết quả này.",
                        f"Slot {code} is '{label.en}'; this outcome cannot be recorded.", status=409)


def record_outcome(session: Session, row: SurveyPlan, slot_code: str, outcome: str, *,
                   reason: str = "", on_date: dt.date, user: Actor | None) -> OutcomeReport:
    """Record ``outcome`` for the slot ``slot_code`` of round ``row`` (see the module).

    Raises :class:`ServiceError`, writing nothing: 400 for an unknown outcome, 404 for
    a slot that is not one of a drawn sample, 409 for a slot whose state does not allow
    it (answered, voided), a purged roster, or no reserve left.
    """
    if outcome not in OUTCOMES:
        raise ServiceError(f"Kết quả '{outcome}' không hợp lệ (có: {', '.join(OUTCOMES)}).",
                           f"Unknown outcome '{outcome}' (outcomes: {', '.join(OUTCOMES)}).")
    reason = FORBIDDEN_CHARACTERS_RE.sub("", reason).strip()[:300]
    found = slot_by_code(session, row.id, slot_code)
    member = holder_of_slot(session, found[0]) if found is not None else None
    if found is None or member is None:
        raise ServiceError(f"Không có phiếu {slot_code} trong mẫu đã chọn của đợt {row.code}.",
                           f"There is no slot {slot_code} in the drawn samples of round {row.code}.",
                           status=404)
    slot, group, _unit = found
    uid = user.id if user else None
    if outcome in (HANDED_OUT, RETURNED):
        if slot.status == SlotStatus.VOIDED.value:
            raise _refuse_status(slot.code, slot.status)
        moved = session.execute(
            update(Slot).where(Slot.id == slot.id, Slot.status.in_(may_become(SlotStatus.HANDED_OUT)))
            .values(status=SlotStatus.HANDED_OUT.value)
            .execution_options(synchronize_session=False)).rowcount
        if outcome == HANDED_OUT and not moved:
            raise _refuse_status(slot.code, slot.status)
        session.add(DistributionEvent(slot_id=slot.id, action=outcome, detail=POST_OFFICE,
                                      on_date=on_date, user_id=uid))
        record(session, f"delivery_{outcome}", user=user, target=slot.code, on_date=on_date.isoformat())
        session.flush()
        return OutcomeReport(slot.code, outcome)
    return _replace(session, row, slot, group, member, outcome, reason=reason, on_date=on_date,
                    user=user)


def _replace(session: Session, row: SurveyPlan, slot: Slot, group: RespondentGroup, member: SampleMember,
             outcome: str, *, reason: str, on_date: dt.date, user: Actor | None) -> OutcomeReport:
    """Void ``slot`` with ``outcome`` and give its place to the unit's next reserve."""
    roster = session.get(Roster, member.roster_id)
    assert roster is not None
    if roster.purged_at is not None:
        raise ServiceError("Danh sách của đơn vị này đã bị xóa (kết thúc điều tra): không thay người được nữa.",
                           "This unit's roster was purged (field work is over): nobody can be "
                           "replaced any more.", status=409)
    if slot.status not in may_become(SlotStatus.VOIDED):
        raise _refuse_status(slot.code, slot.status)
    reserve = next_reserve(session, roster.id)
    if reserve is None:
        raise ServiceError(f"Đơn vị này đã dùng hết danh sách dự phòng: không có ai thay cho phiếu {slot.code}. "
                           "Không có gì thay đổi.",
                           f"This unit's reserve list is used up: nobody can replace slot {slot.code}. "
                           "Nothing was changed.", status=409)
    voided = session.execute(
        update(Slot).where(Slot.id == slot.id, Slot.status.in_(may_become(SlotStatus.VOIDED)))
        .values(status=SlotStatus.VOIDED.value).execution_options(synchronize_session=False)).rowcount
    if not voided:  # answered meanwhile
        raise _refuse_status(slot.code, session.scalar(select(Slot.status).where(Slot.id == slot.id)))
    new = Slot(plan_id=row.id, place_id=slot.place_id, token=new_token(), replaces_id=slot.id,
               code=next_slot_code(group.code, group_slot_codes(session, group.id)),
               status=SlotStatus.ISSUED.value)
    session.add(new)
    session.flush()
    at = _now()
    reserve.place_id, reserve.slot_id, reserve.changed_at = slot.place_id, new.id, at
    session.flush()
    member.outcome, member.reason, member.changed_at = outcome, reason, at
    member.slot_id, member.replaced_by_id = slot.id, reserve.id
    uid = user.id if user else None
    session.add(DistributionEvent(slot_id=slot.id, action="voided", detail=outcome, on_date=on_date,
                                  user_id=uid))
    session.add(DistributionEvent(slot_id=new.id, action="replacement", detail=slot.code,
                                  on_date=on_date, user_id=uid))
    record(session, "delivery_replace", user=user, target=slot.code, outcome=outcome,
           replacement=new.code, reserve_order=reserve.ord, on_date=on_date.isoformat())
    session.flush()
    return OutcomeReport(slot.code, outcome, new.code, reserve.ord)
