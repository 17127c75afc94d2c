"""Reading what a respondent's link needs: the slot behind it, and its draft.

A page of the form is answered from one query (:func:`link_state`): the slot, its group
and unit, its round's content hash and its draft, read as plain rows (no ORM objects).
The round's plan itself comes from a per-process cache keyed by that content hash, so
the plan's large stored definition is read only the first time a process meets it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

import sampling
from sampling.slots import SlotStatus

from ..core.models import Draft, QuotaPlace, RespondentGroup, Slot, SurveyPlan, Unit
from ..fieldwork.queries import slot_by_token
from ..plans.queries import plan_of

__all__ = ["LinkState", "get_draft", "is_completed", "link_state", "plan_of_round",
           "slot_by_token"]


@dataclass(frozen=True)
class LinkState:
    """What one query tells about a link: its slot, group, unit, round and draft."""

    slot_id: int
    token: str
    status: str
    plan_id: int
    plan_hash: str
    group_code: str
    form_code: str | None
    unit_code: str | None
    draft_hash: str | None
    answers: dict[str, Any] | None
    page: int
    furthest: int

    @property
    def has_draft(self) -> bool:
        return self.draft_hash is not None


_S, _Q, _G, _P, _U, _D = (m.__table__.c for m in (Slot, QuotaPlace, RespondentGroup, SurveyPlan,
                                                    Unit, Draft))
#: Built once, on the tables (not the ORM classes), with the token as a parameter: the
#: statement's cache key and compiled form are then computed once per process.
_LINK_STATE = (
    select(_S.id, _S.token, _S.status, _S.plan_id, _P.content_hash, _G.code, _G.form_code, _U.code,
           _D.form_hash, _D.answers, _D.page, _D.furthest)
    .select_from(Slot.__table__)
    .join(QuotaPlace.__table__, _S.place_id == _Q.id)
    .join(RespondentGroup.__table__, _Q.group_id == _G.id)
    .join(SurveyPlan.__table__, _S.plan_id == _P.id)
    .outerjoin(Unit.__table__, _Q.unit_id == _U.id)
    .outerjoin(Draft.__table__, _D.slot_id == _S.id)
    .where(_S.token == bindparam("token")))


#: A request whose every write is one statement needs no transaction around them: on
#: PostgreSQL that spares it the BEGIN and the COMMIT, two of its three round trips.
_AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


def link_state(session: Session, token: str, *, autocommit: bool = False) -> LinkState | None:
    """The slot behind the link ``token`` with everything its pages need, in one query
    (plain Core on the session's connection: no ORM objects to build).

    ``autocommit``: the request only reads, or writes single statements (a form page:
    marking the slot started, counting an unknown link), so on PostgreSQL its connection
    runs each statement in its own transaction.  It must be the request's first query.
    """
    if autocommit and not session.in_transaction() and session.get_bind().dialect.name == "postgresql":
        connection = session.connection(execution_options=_AUTOCOMMIT)
    else:
        connection = session.connection()
    row = connection.execute(_LINK_STATE, {"token": token}).first()
    if row is None:
        return None
    (slot_id, token_, status, plan_id, plan_hash, group_code, form_code, unit_code,
     draft_hash, answers, page, furthest) = row
    return LinkState(slot_id, token_, status, plan_id, plan_hash, group_code, form_code,
                     unit_code, draft_hash, answers, page or 0, furthest or 0)


#: Parsed plans by content hash: a stored round never changes under its hash.
_PLANS: dict[str, sampling.Plan] = {}


def plan_of_round(session: Session, plan_id: int, content_hash: str) -> sampling.Plan | None:
    """The plan of round ``plan_id`` whose content hash is ``content_hash``, read and
    parsed only when this process has not met that hash yet."""
    plan = _PLANS.get(content_hash)
    if plan is None:
        row = session.get(SurveyPlan, plan_id)
        if row is None:
            return None
        plan = _PLANS[row.content_hash] = plan_of(row)  # the hash as read with the plan
    return plan


def get_draft(session: Session, slot_id: int) -> Draft | None:
    """The slot's draft, if any."""
    return session.scalar(select(Draft).where(Draft.slot_id == slot_id))


def is_completed(session: Session, slot_id: int) -> bool:
    """Whether the slot is completed now."""
    return session.scalar(select(Slot.status).where(Slot.id == slot_id)) == SlotStatus.COMPLETED.value
