"""Reading slots for export: one row per slot with its link."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..models import QuotaPlace, RespondentGroup, Slot, SurveyPlan, Unit

#: Columns of ``slots export --format csv`` (interfaces: at least slot, group, form,
#: unit, url, status).
SLOT_COLUMNS = ("slot", "group", "form", "unit", "unit_name", "parent_unit", "url", "status")


@dataclass(frozen=True)
class SlotRow:
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
    """The respondent link of a slot."""
    return f"{base_url.rstrip('/')}/s/{token}"


def iter_slots(session: Session, plan: SurveyPlan, base_url: str, *, group: str | None = None,
               unit: str | None = None, include_voided: bool = False) -> Iterator[SlotRow]:
    """Slots of ``plan`` in group, unit and number order, optionally filtered."""
    parent = aliased(Unit)
    query = (
        select(Slot, RespondentGroup, Unit, parent)
        .join(QuotaPlace, Slot.place_id == QuotaPlace.id)
        .join(RespondentGroup, QuotaPlace.group_id == RespondentGroup.id)
        .outerjoin(Unit, QuotaPlace.unit_id == Unit.id)
        .outerjoin(parent, Unit.parent_id == parent.id)
        .where(Slot.plan_id == plan.id)
        .order_by(RespondentGroup.id, Slot.code)
    )
    if group:
        query = query.where(RespondentGroup.code == group)
    if unit:
        query = query.where((Unit.code == unit) | (parent.code == unit))
    if not include_voided:
        query = query.where(Slot.status != "voided")
    for slot, grp, u, p in session.execute(query):
        yield SlotRow(slot=slot.code, group=grp.code, form=grp.form_code or "",
                      unit=u.code if u else "", unit_name=u.name if u else "",
                      parent_unit=p.code if p else "", url=slot_url(base_url, slot.token),
                      status=slot.status)
