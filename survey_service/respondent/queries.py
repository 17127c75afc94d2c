"""Reading what a respondent's link needs: the slot behind it, and its draft."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sampling.slots import SlotStatus

from ..core.models import Draft, Slot
from ..fieldwork.queries import slot_by_token

__all__ = ["get_draft", "is_completed", "slot_by_token"]


def get_draft(session: Session, slot_id: int) -> Draft | None:
    """The slot's draft, if any."""
    return session.scalar(select(Draft).where(Draft.slot_id == slot_id))


def is_completed(session: Session, slot_id: int) -> bool:
    """Whether the slot is completed now."""
    return session.scalar(select(Slot.status).where(Slot.id == slot_id)) == SlotStatus.COMPLETED.value
