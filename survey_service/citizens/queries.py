"""Reading the citizens' survey: which round, the rosters and their sample, the delivery list.

:func:`delivery_rows` is the one reader of personal data outside the purge: the
delivery list (page, PDF, XLSX) of the post office.  Everything else here reads counts.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

import sampling
from sampling.slots import SlotStatus

from ..core.errors import ServiceError
from ..core.models import QuotaPlace, RespondentGroup, Slot, SurveyPlan, Unit
from ..fieldwork.queries import slot_join, slot_url
from ..plans.queries import get_plan_row, list_rounds, plan_of
from .models import OFFICIAL, RESERVE, Roster, RosterPerson, SampleMember

#: Columns of the delivery list (XLSX), in this order.
DELIVERY_COLUMNS = ("unit", "unit_name", "commune", "slot", "name", "address", "phone", "service",
                    "served_on", "dossier", "role", "order", "status", "url")


def _has_sampled(plan: sampling.Plan, group: str | None) -> bool:
    sampled = [g.code for g in plan.sampled_groups()]
    return group in sampled if group else bool(sampled)


def sampled_round(session: Session, group: str | None = None,
                  code: str | None = None) -> tuple[SurveyPlan, sampling.Plan]:
    """The round to work on for a sampled ``group`` (or for any sampled group).

    The round ``code`` if given (it must have the group as a sampled group); else the
    current round if it has it; else the latest stored round that has.  Raises
    :class:`ServiceError` (404) when there is none.
    """
    if code:
        row = get_plan_row(session, code)
        if row is None:
            raise ServiceError(f"Không có đợt khảo sát '{code}'.", f"There is no round '{code}'.",
                               status=404)
        candidates = [row]
    else:
        current = get_plan_row(session)
        candidates = ([current] if current is not None else []) + list_rounds(session)
    for row in candidates:
        plan = plan_of(row)
        if _has_sampled(plan, group):
            return row, plan
    what_vi = f"nhóm '{group}' là nhóm chọn mẫu từ danh sách" if group else "nhóm nào chọn mẫu từ danh sách"
    what_en = f"group '{group}' as a sampled group" if group else "any sampled group"
    if code:
        vi, en = f"Đợt '{code}' không có {what_vi}", f"Round '{code}' does not have {what_en}"
    else:
        vi, en = f"Chưa có đợt khảo sát nào có {what_vi}", f"No stored round has {what_en}"
    raise ServiceError(f"{vi} (nạp đợt khảo sát sự hài lòng: survey-service init --plan "
                       "laichau-2020-hailong).",
                       f"{en} (load the satisfaction round: survey-service init --plan "
                       "laichau-2020-hailong).", status=404)


def slot_round(session: Session, slot_code: str, code: str | None = None) -> SurveyPlan:
    """The round holding the slot ``slot_code`` of a sampled group: round ``code`` if
    given, else the current round or, failing that, the latest stored round that has it."""
    if code:
        rows = [sampled_round(session, None, code)[0]]
    else:
        current = get_plan_row(session)
        rows = ([current] if current is not None else []) + list_rounds(session)
    for row in rows:
        sampled = [g.code for g in plan_of(row).sampled_groups()]
        if sampled and session.scalar(slot_join(Slot.id).where(
                Slot.plan_id == row.id, Slot.code == slot_code, RespondentGroup.code.in_(sampled))):
            return row
    raise ServiceError(f"Không có phiếu {slot_code} trong mẫu của nhóm chọn mẫu nào.",
                       f"There is no slot {slot_code} in the sample of any sampled group.", status=404)


def sampled_group(plan: sampling.Plan, code: str) -> sampling.Group:
    """The sampled group ``code`` of ``plan`` (ServiceError 404 if it is not one)."""
    groups = plan.sampled_groups()
    for group in groups:
        if group.code == code:
            return group
    known = ", ".join(g.code for g in groups) or "-"
    raise ServiceError(f"Nhóm '{code}' không phải nhóm chọn mẫu từ danh sách của kế hoạch {plan.code} "
                       f"(các nhóm chọn mẫu: {known}).",
                       f"Group '{code}' is not a sampled group of plan {plan.code} "
                       f"(sampled groups: {known}).", status=404)


def sampled_unit(plan: sampling.Plan, group: sampling.Group, code: str) -> sampling.Unit:
    """The unit ``code`` whose desk's roster ``group`` samples (ServiceError 404 if not)."""
    units = plan.sampled_units(group)
    for unit in units:
        if unit.code == code:
            return unit
    kinds = ", ".join(group.quota.sampled or ())
    raise ServiceError(f"Đơn vị '{code}' không có trong kế hoạch hoặc không thuộc loại được chọn mẫu "
                       f"của nhóm {group.code} ({kinds}).",
                       f"Unit '{code}' is not in the plan, or not of a kind group {group.code} "
                       f"samples ({kinds}).", status=404)


def group_row(session: Session, row: SurveyPlan, code: str) -> RespondentGroup:
    """The stored group ``code`` of round ``row``."""
    return session.execute(select(RespondentGroup).where(
        RespondentGroup.plan_id == row.id, RespondentGroup.code == code)).scalar_one()


def unit_row(session: Session, row: SurveyPlan, code: str) -> Unit:
    """The stored unit ``code`` of round ``row``."""
    return session.execute(select(Unit).where(Unit.plan_id == row.id, Unit.code == code)).scalar_one()


def group_rosters(session: Session, group_id: int) -> list[tuple[Roster, Unit]]:
    """The rosters of a stored group with their units, in the plan's unit order."""
    return [(r, u) for r, u in session.execute(
        select(Roster, Unit).join(Unit, Roster.unit_id == Unit.id)
        .where(Roster.group_id == group_id).order_by(Unit.id)).all()]


@dataclass(frozen=True)
class RosterLine:
    """A roster in numbers (no personal data): for the overview page and ``roster status``."""

    group: str
    unit: str
    unit_name: str
    size: int
    imported_at: dt.datetime
    seed: int | None
    drawn_at: dt.datetime | None
    purged_at: dt.datetime | None
    official: int = 0
    reserve: int = 0
    #: Reserves that took a place, and officials or reserves that gave one up.
    reserves_used: int = 0
    replaced: int = 0
    completed: int = 0

    @property
    def reserves_left(self) -> int:
        return self.reserve - self.reserves_used

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ("group", "unit", "unit_name", "size", "seed", "official",
                                             "reserve", "reserves_used", "reserves_left", "replaced",
                                             "completed")}
        for key in ("imported_at", "drawn_at", "purged_at"):
            value = getattr(self, key)
            out[key] = value.isoformat() if value is not None else None
        return out


def roster_lines(session: Session, row: SurveyPlan, group: str) -> list[RosterLine]:
    """Every roster of ``group`` in round ``row``, with its sample in numbers."""
    grp = group_row(session, row, group)
    rosters = group_rosters(session, grp.id)
    ids = [r.id for r, _ in rosters]
    members = session.execute(
        select(SampleMember.roster_id, SampleMember.role, SampleMember.outcome,
               SampleMember.place_id, Slot.status)
        .outerjoin(Slot, and_(Slot.place_id == SampleMember.place_id,
                              Slot.status != SlotStatus.VOIDED.value))
        .where(SampleMember.roster_id.in_(ids))).all() if ids else []
    counts: dict[int, Counter[str]] = {i: Counter() for i in ids}
    for roster_id, role, outcome, place_id, status in members:
        c = counts[roster_id]
        c[role] += 1
        if role == RESERVE and (place_id is not None or outcome):
            c["reserves_used"] += 1
        if outcome:
            c["replaced"] += 1
        elif status == SlotStatus.COMPLETED.value:
            c["completed"] += 1
    return [RosterLine(group, u.code, u.name, r.size, r.imported_at, r.seed, r.drawn_at, r.purged_at,
                       official=counts[r.id][OFFICIAL], reserve=counts[r.id][RESERVE],
                       reserves_used=counts[r.id]["reserves_used"], replaced=counts[r.id]["replaced"],
                       completed=counts[r.id]["completed"]) for r, u in rosters]


# --------------------------------------------------------------------------- delivery


@dataclass(frozen=True)
class DeliveryRow:
    """A person to deliver a form to: who, where, and the slot they hold.

    The personal fields are empty once the roster was purged.
    """

    unit: str
    unit_name: str
    commune: str
    slot: str
    name: str
    address: str
    phone: str
    service: str
    served_on: str
    dossier: str
    role: str
    order: int
    status: str
    url: str
    #: The member's outcome and reason ('' while it holds its place).
    outcome: str = ""
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {c: getattr(self, c) for c in DELIVERY_COLUMNS}


def delivery_rows(session: Session, row: SurveyPlan, group: str, base_url: str, *,
                  unit: str | None = None, commune: str | None = None,
                  replaced: bool = False) -> list[DeliveryRow]:
    """The people who hold a place of ``group`` (with their live slot), unit by unit and
    commune by commune; with ``replaced``, those who gave their place up instead (with
    the slot they had, the outcome and its reason)."""
    holder = SampleMember.outcome == "" if not replaced else SampleMember.outcome != ""
    slot_join = (and_(Slot.place_id == SampleMember.place_id, Slot.status != SlotStatus.VOIDED.value)
                 if not replaced else Slot.id == SampleMember.slot_id)
    query = (select(SampleMember, Unit, RosterPerson, Slot)
             .join(Roster, SampleMember.roster_id == Roster.id)
             .join(RespondentGroup, Roster.group_id == RespondentGroup.id)
             .join(Unit, Roster.unit_id == Unit.id)
             .join(Slot, slot_join)
             .outerjoin(RosterPerson, RosterPerson.id == SampleMember.person_id)
             .where(Roster.plan_id == row.id, RespondentGroup.code == group, holder,
                    SampleMember.place_id.is_not(None)))
    if unit:
        query = query.where(Unit.code == unit)
    if commune is not None:
        query = query.where(func.coalesce(RosterPerson.commune, "") == commune)
    out = []
    for member, u, person, slot in session.execute(query).all():
        out.append(DeliveryRow(
            unit=u.code, unit_name=u.name, commune=person.commune if person else "", slot=slot.code,
            name=person.name if person else "", address=person.address if person else "",
            phone=person.phone if person else "", service=person.service if person else "",
            served_on=person.served_on.isoformat() if person and person.served_on else "",
            dossier=person.ref if person else "", role=member.role, order=member.ord,
            status=slot.status, url=slot_url(base_url, slot.token), outcome=member.outcome,
            reason=member.reason))
    unit_order = {u.code: i for i, u in enumerate(plan_of(row).units)}
    out.sort(key=lambda r: (unit_order.get(r.unit, 0), r.commune.casefold(), r.slot))
    return out


def communes(rows: list[DeliveryRow]) -> list[tuple[str, str, int]]:
    """(unit, commune, people) of delivery rows, in their order."""
    seen: Counter[tuple[str, str]] = Counter((r.unit, r.commune) for r in rows)
    return [(u, c, n) for (u, c), n in seen.items()]


# --------------------------------------------------------------------------- members


def holder_of_slot(session: Session, slot: Slot) -> SampleMember | None:
    """The sample member holding the place of ``slot`` (None: not a drawn place)."""
    return session.scalars(select(SampleMember).where(
        SampleMember.place_id == slot.place_id, SampleMember.outcome == "")).first()


def next_reserve(session: Session, roster_id: int) -> SampleMember | None:
    """The first reserve of a roster, in order, that has not been used."""
    return session.scalars(select(SampleMember).where(
        SampleMember.roster_id == roster_id, SampleMember.role == RESERVE,
        SampleMember.place_id.is_(None), SampleMember.outcome == "")
        .order_by(SampleMember.ord).limit(1)).first()


def places_of(session: Session, group_id: int, unit_id: int) -> int:
    """How many quota places a group has for a unit."""
    return session.scalar(select(func.count()).select_from(QuotaPlace).where(
        QuotaPlace.group_id == group_id, QuotaPlace.unit_id == unit_id)) or 0
