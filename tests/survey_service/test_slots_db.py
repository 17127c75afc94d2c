"""Slot invariants that the database itself enforces, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import sampling
from sampling.slots import SlotStatus, new_token
from survey_service.core.errors import ServiceError
from survey_service.core.models import QuotaPlace, Slot, may_become
from survey_service.plans.operations import sync_plan


def test_a_quota_place_cannot_have_two_live_slots(loaded, db):
    with db.session() as session:
        slot = session.scalars(sa.select(Slot).limit(1)).one()
        place_id, plan_id = slot.place_id, slot.plan_id
    with pytest.raises(IntegrityError):
        with db.session() as session:
            session.add(Slot(plan_id=plan_id, place_id=place_id, code="99-9999-X",
                             token=new_token(), status="issued"))
    # Once the first is voided, a replacement for the same place is accepted.
    with db.session() as session:
        session.get(Slot, slot.id).status = "voided"
        session.add(Slot(plan_id=plan_id, place_id=place_id, code="99-9999-X",
                         token=new_token(), status="issued", replaces_id=slot.id))
    with db.session() as session:
        live = session.scalars(sa.select(Slot).where(
            Slot.place_id == place_id, Slot.status != "voided")).all()
        assert len(live) == 1 and live[0].replaces_id == slot.id


def test_tokens_are_unique_in_the_database(loaded, db):
    with db.session() as session:
        tokens = session.scalars(sa.select(Slot.token)).all()
        assert len(tokens) == len(set(tokens)) == 1193
        assert min(len(t) for t in tokens) >= 22
        existing = tokens[0]
        place = session.scalars(sa.select(QuotaPlace.id).limit(1)).one()
    with pytest.raises(IntegrityError):
        with db.session() as session:
            session.add(Slot(plan_id=1, place_id=place, code="99-0001-X", token=existing,
                             status="voided"))


def test_status_updates_apply_the_lifecycle_of_sampling(loaded, db):
    """A conditional UPDATE built from may_become moves only slots the lifecycle allows."""
    with db.session() as session:
        first, second = session.scalars(sa.select(Slot).order_by(Slot.id).limit(2)).all()
        first.status, second.status = "completed", "handed_out"
    assert may_become(SlotStatus.COMPLETED) == ["issued", "handed_out", "started"]
    assert may_become(SlotStatus.ISSUED) == []
    with db.session() as session:
        moved = session.execute(sa.update(Slot).where(
            Slot.id.in_([first.id, second.id]), Slot.status.in_(may_become(SlotStatus.STARTED)))
            .values(status="started")).rowcount
    assert moved == 1
    with db.session() as session:
        assert session.get(Slot, first.id).status == "completed"
        assert session.get(Slot, second.id).status == "started"


def test_sync_is_idempotent_and_voided_places_get_a_new_slot(loaded, db):
    plan = sampling.load_plan()
    with db.session() as session:
        report = sync_plan(session, plan)
        assert not report.changed
        assert report.live_slots == 1193
        victim = session.scalars(sa.select(Slot).where(Slot.code.like("13-%")).limit(1)).one()
        victim.status = "voided"
    with db.session() as session:
        report = sync_plan(session, plan)
        assert report.created["slots"] == 1
        fresh = session.scalars(sa.select(Slot).where(
            Slot.place_id == victim.place_id, Slot.status == "issued")).one()
        assert fresh.code.startswith("13-0301-")  # numbering continues after 300
        assert session.scalar(sa.select(sa.func.count()).select_from(Slot).where(
            Slot.status != "voided")) == 1193


def test_a_plan_that_shrinks_a_quota_is_refused(loaded, db):
    data = sampling.load_plan().to_dict()
    for group in data["groups"]:
        if group["code"] == "I.3":
            group["quota"]["count"], group["forms"] = 14, 280
    data["levels"][0]["forms"] = 513
    data["total_forms"] = 1173
    smaller = sampling.plan_from_dict(data)
    with pytest.raises(ServiceError):
        with db.session() as session:
            sync_plan(session, smaller)
    with db.session() as session:  # nothing was half-written
        assert session.scalar(sa.select(sa.func.count()).select_from(Slot)) == 1193
