"""Loading a plan into the database: units, groups, quota places, one slot per place.

Operations add and flush; ``survey-service init`` commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

import sampling
from sampling.slots import SlotStatus, make_slot_code, new_token, slot_number

from ..core.errors import ServiceError
from ..core.models import QuestionnaireVersion, QuotaPlace, RespondentGroup, Slot, SurveyPlan, Unit
from .queries import get_plan_row


@dataclass
class SyncReport:
    """What :func:`sync_plan` did."""

    plan_code: str
    plan_created: bool = False
    plan_updated: bool = False
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    live_slots: int = 0

    @property
    def changed(self) -> bool:
        return self.plan_created or self.plan_updated or any(self.created.values())


def sync_plan(session: Session, plan: sampling.Plan) -> SyncReport:
    """Make the database hold ``plan``: create what is missing, never drop anything.

    Idempotent: on an unchanged plan nothing is written.  A changed plan may add
    units, groups and quota places (each gets a slot); a plan that would remove a
    quota place that has a slot raises :class:`~survey_service.core.errors.ServiceError` (void the slots first),
    because a quota must never shrink silently.
    """
    report = SyncReport(plan.code)
    row = get_plan_row(session, plan.code)
    if row is None:
        row = SurveyPlan(code=plan.code, title=plan.title.vi, province=plan.province,
                         year=plan.year, content_hash=plan.content_hash,
                         definition=plan.to_dict())
        session.add(row)
        session.flush()
        report.plan_created = True
    elif row.content_hash != plan.content_hash:
        row.title, row.province, row.year = plan.title.vi, plan.province, plan.year
        row.content_hash, row.definition = plan.content_hash, plan.to_dict()
        report.plan_updated = True

    _sync_questionnaires(session, plan, report)
    units = _sync_units(session, row, plan, report)
    groups = _sync_groups(session, row, plan, report)
    places = _sync_places(session, plan, units, groups, report)
    _sync_slots(session, row, places, groups, report)
    session.flush()
    return report


def _sync_questionnaires(session: Session, plan: sampling.Plan, report: SyncReport) -> None:
    """Keep every version of every form the plan uses (responses name the version)."""
    stored = set(session.execute(select(QuestionnaireVersion.code,
                                        QuestionnaireVersion.content_hash)).all())
    for form in plan.forms.values():
        if (form.code, form.content_hash) not in stored:
            session.add(QuestionnaireVersion(code=form.code, version=form.version,
                                             content_hash=form.content_hash,
                                             definition=form.to_dict()))
            report.created["questionnaire_versions"] += 1


def _sync_units(session: Session, row: SurveyPlan, plan: sampling.Plan,
                report: SyncReport) -> dict[str, Unit]:
    existing = {u.code: u for u in session.scalars(select(Unit).where(Unit.plan_id == row.id))}
    for u in plan.units:
        unit = existing.get(u.code)
        if unit is None:
            unit = existing[u.code] = Unit(plan_id=row.id, code=u.code, kind=u.kind, name=u.name)
            session.add(unit)
            report.created["units"] += 1
        elif (unit.kind, unit.name) != (u.kind, u.name):
            unit.kind, unit.name = u.kind, u.name
    session.flush()
    for u in plan.units:
        parent = existing[u.parent] if u.parent else None
        if existing[u.code].parent_id != (parent.id if parent else None):
            existing[u.code].parent = parent
    return existing


def _sync_groups(session: Session, row: SurveyPlan, plan: sampling.Plan,
                 report: SyncReport) -> dict[str, RespondentGroup]:
    existing = {g.code: g for g in session.scalars(
        select(RespondentGroup).where(RespondentGroup.plan_id == row.id))}
    for g in plan.groups:
        group = existing.get(g.code)
        values = {"level": g.level, "name": g.name.vi, "form_code": g.form}
        if group is None:
            group = existing[g.code] = RespondentGroup(plan_id=row.id, code=g.code, **values)
            session.add(group)
            report.created["groups"] += 1
        else:
            for key, value in values.items():
                if getattr(group, key) != value:
                    setattr(group, key, value)
    session.flush()
    return existing


def _sync_places(session: Session, plan: sampling.Plan, units: dict[str, Unit],
                 groups: dict[str, RespondentGroup], report: SyncReport) -> list[QuotaPlace]:
    """The plan's quota places, created where missing.  A sampled group's places come
    from its draw (``survey-service sample draw``), never from the plan: they are left
    alone."""
    sampled = {g.code for g in plan.groups if g.quota.is_sampled}
    group_ids = [g.id for code, g in groups.items() if code not in sampled]
    stored = {(p.group_id, p.unit_id, p.ordinal): p for p in session.scalars(
        select(QuotaPlace).where(QuotaPlace.group_id.in_(group_ids)))}
    wanted: list[QuotaPlace] = []
    keys = set()
    for qp in plan.quota_places():
        key = (groups[qp.group].id, units[qp.unit].id if qp.unit else None, qp.ordinal)
        keys.add(key)
        place = stored.get(key)
        if place is None:
            place = QuotaPlace(group_id=key[0], unit_id=key[1], ordinal=key[2])
            session.add(place)
            report.created["quota_places"] += 1
        wanted.append(place)
    dropped = [p for key, p in stored.items() if key not in keys]
    if dropped:
        live = session.scalars(select(Slot).where(
            Slot.place_id.in_([p.id for p in dropped]),
            Slot.status != SlotStatus.VOIDED.value)).all()
        if live:
            codes = ", ".join(s.code for s in live[:5]) + (" ..." if len(live) > 5 else "")
            raise ServiceError(
                f"Kế hoạch mới bỏ bớt {len(dropped)} chỗ trong hạn mức đã có phiếu ({codes}). "
                "Hãy hủy các phiếu đó trước, hạn mức không bao giờ bị giảm âm thầm.",
                f"The new plan removes {len(dropped)} quota places that have slots ({codes}). "
                "Void those slots first: a quota is never reduced silently.", status=409)
    session.flush()
    return wanted


def _sync_slots(session: Session, row: SurveyPlan, places: list[QuotaPlace],
                groups: dict[str, RespondentGroup], report: SyncReport) -> None:
    """A slot for each of ``places`` that has no live one (a sampled group's places are
    not among them: its draw gives their slots); numbers go on from the group's highest."""
    slots = session.execute(
        select(Slot.place_id, Slot.status, Slot.code, QuotaPlace.group_id)
        .join(QuotaPlace, Slot.place_id == QuotaPlace.id)
        .where(Slot.plan_id == row.id)).all()
    live_places = {s.place_id for s in slots if s.status != SlotStatus.VOIDED.value}
    numbers: dict[int, int] = defaultdict(int)  # highest slot number per group
    for s in slots:
        numbers[s.group_id] = max(numbers[s.group_id], slot_number(s.code))
    group_codes = {g.id: g.code for g in groups.values()}
    for place in places:
        if place.id in live_places:
            continue
        numbers[place.group_id] += 1
        session.add(Slot(plan_id=row.id, place_id=place.id, token=new_token(),
                         code=make_slot_code(group_codes[place.group_id], numbers[place.group_id]),
                         status=SlotStatus.ISSUED.value))
        report.created["slots"] += 1
    report.live_slots = len(live_places) + report.created["slots"]
