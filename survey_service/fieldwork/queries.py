"""Reading slots: the one place where a slot is joined to its quota place, group and unit.

Every page, export and command that needs a slot with its group or unit goes through
:func:`slot_join`: the card printer, the respondent's link, paper entry, the
progress counts and the hand-out selection.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from sampling.slots import SlotStatus

from ..core.models import QuotaPlace, RespondentGroup, Slot, SurveyPlan, Unit

#: Columns of ``slots export --format csv`` (interfaces: at least slot, group, form,
#: unit, url, status).
SLOT_COLUMNS = ("slot", "group", "form", "unit", "unit_name", "parent_unit", "url", "status")

#: The unit above a slot's unit (the district of a commune or of a district office).
ParentUnit = aliased(Unit, name="parent_unit")


def slot_join(*columns: Any) -> Select[Any]:
    """``SELECT columns`` over slots joined to their quota place, group, unit and parent unit.

    Slots of fixed-quota groups have no unit: the unit and parent columns are NULL.
    """
    return (select(*columns)
            .select_from(Slot)
            .join(QuotaPlace, Slot.place_id == QuotaPlace.id)
            .join(RespondentGroup, QuotaPlace.group_id == RespondentGroup.id)
            .outerjoin(Unit, QuotaPlace.unit_id == Unit.id)
            .outerjoin(ParentUnit, Unit.parent_id == ParentUnit.id))


def _filtered(query: Select[Any], *, group: str | None, unit: str | None) -> Select[Any]:
    if group:
        query = query.where(RespondentGroup.code == group)
    if unit:
        query = query.where((Unit.code == unit) | (ParentUnit.code == unit))
    return query


def slot_by_token(session: Session, token: str) -> tuple[Slot, RespondentGroup, Unit | None] | None:
    """The slot behind a link, with its group and unit."""
    row = session.execute(slot_join(Slot, RespondentGroup, Unit).where(Slot.token == token)).first()
    return None if row is None else (row[0], row[1], row[2])


def slot_by_code(session: Session, plan_id: int,
                 code: str) -> tuple[Slot, RespondentGroup, Unit | None] | None:
    """The slot with the printed ``code``, with its group and unit."""
    row = session.execute(slot_join(Slot, RespondentGroup, Unit)
                          .where(Slot.plan_id == plan_id, Slot.code == code)).first()
    return None if row is None else (row[0], row[1], row[2])


def rounds_with_slot(session: Session, code: str) -> list[int]:
    """The ids of the rounds that have a slot with the printed ``code``, the newest first
    (a citizens' card keyed in while the index round is current)."""
    return list(session.scalars(select(Slot.plan_id).where(Slot.code == code)
                                .order_by(Slot.plan_id.desc())))


def slot_ids(session: Session, plan_id: int, *, group: str | None = None, unit: str | None = None,
             codes: Iterable[str] | None = None) -> list[int]:
    """Ids of the slots of a group and/or unit, or of the given codes."""
    query = slot_join(Slot.id).where(Slot.plan_id == plan_id)
    if codes is not None:
        query = query.where(Slot.code.in_(list(codes)))
    return list(session.scalars(_filtered(query, group=group, unit=unit)))


def group_of_place(session: Session, place_id: int) -> tuple[int, str]:
    """(group id, group code) of a quota place."""
    group_id, code = session.execute(
        select(RespondentGroup.id, RespondentGroup.code)
        .join(QuotaPlace, QuotaPlace.group_id == RespondentGroup.id)
        .where(QuotaPlace.id == place_id)).one()
    return group_id, code


def group_slot_codes(session: Session, group_id: int) -> list[str]:
    """Every slot code ever issued in a group (voided ones included)."""
    return list(session.scalars(slot_join(Slot.code).where(RespondentGroup.id == group_id)))


def slot_statuses(session: Session, plan_id: int) -> Sequence[Any]:
    """(group code, unit id, status) of every live slot of the plan."""
    return session.execute(
        slot_join(RespondentGroup.code, QuotaPlace.unit_id, Slot.status)
        .where(Slot.plan_id == plan_id, Slot.status != SlotStatus.VOIDED.value)).all()


@dataclass(frozen=True)
class SlotRow:
    """A slot as exported and printed: its code, group, form, unit and link."""

    slot: str
    group: str
    form: str
    unit: str
    unit_name: str
    parent_unit: str
    url: str
    status: str

    def as_dict(self) -> dict[str, str]:
        return {c: getattr(self, c) for c in SLOT_COLUMNS}


def slot_url(base_url: str, token: str) -> str:
    """The respondent link of a slot.

    >>> slot_url("https://khaosat.example.vn/", "abc")
    'https://khaosat.example.vn/s/abc'
    """
    return f"{base_url.rstrip('/')}/s/{token}"


def _slots_query(plan: SurveyPlan, *, group: str | None, unit: str | None,
                 include_voided: bool) -> Select[Any]:
    query = _filtered(slot_join(Slot.code, RespondentGroup.code, RespondentGroup.form_code, Unit.code,
                                Unit.name, ParentUnit.code, Slot.token, Slot.status)
                      .where(Slot.plan_id == plan.id)
                      .order_by(RespondentGroup.id, Slot.code), group=group, unit=unit)
    return query if include_voided else query.where(Slot.status != SlotStatus.VOIDED.value)


def count_slots(session: Session, plan: SurveyPlan, *, group: str | None = None,
                unit: str | None = None, include_voided: bool = False) -> int:
    """How many slots :func:`iter_slots` gives."""
    query = _slots_query(plan, group=group, unit=unit, include_voided=include_voided)
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def iter_slots(session: Session, plan: SurveyPlan, base_url: str, *, group: str | None = None,
               unit: str | None = None, include_voided: bool = False) -> Iterator[SlotRow]:
    """Slots of ``plan`` in group, unit and number order, optionally filtered: read a
    thousand at a time as plain columns, so a plan of 75,000 cards is never held in memory."""
    query = _slots_query(plan, group=group, unit=unit, include_voided=include_voided)
    result = session.execute(query, execution_options={"yield_per": 1000})
    try:
        for code, grp, form, u, name, parent, token, status in result:
            yield SlotRow(slot=code, group=grp, form=form or "", unit=u or "", unit_name=name or "",
                          parent_unit=parent or "", url=slot_url(base_url, token), status=status)
    finally:  # a reader that stops early (the first slot only) closes the server-side cursor
        result.close()
