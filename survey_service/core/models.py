"""The stored data: plans with their units and groups, quota places, slots, staff users.

Typed SQLAlchemy 2 models.  Every change of schema goes through a migration in
``survey_service/migrations/versions`` (a test checks that the models and the
migrations agree).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sampling.slots import SlotStatus, can_transition

from .database import Base


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class SurveyPlan(Base):
    """A survey round's plan as loaded by ``survey-service init``."""

    __tablename__ = "survey_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The plan's code, e.g. ``laichau-2020``.
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    province: Mapped[str] = mapped_column(String(100))
    year: Mapped[int]
    #: SHA-256 of the plan's canonical JSON; a changed file gives a new hash.
    content_hash: Mapped[str] = mapped_column(String(64))
    #: The whole validated plan (``sampling.Plan.to_dict()``), so it can be rebuilt.  Loaded
    #: only when read: requests need the plan's hash, and parse the plan once per process.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    loaded_at: Mapped[dt.datetime] = mapped_column(default=_now)

    units: Mapped[list[Unit]] = relationship(back_populates="plan", cascade="all, delete-orphan")
    groups: Mapped[list[RespondentGroup]] = relationship(
        back_populates="plan", cascade="all, delete-orphan")


class Unit(Base):
    """A unit of the plan: department, district, commune, district office, ..."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("survey_plans.id", ondelete="CASCADE"))
    #: Stable code used in every export, e.g. ``so-noi-vu``, ``huyen-tam-duong``.
    code: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))

    plan: Mapped[SurveyPlan] = relationship(back_populates="units")
    parent: Mapped[Unit | None] = relationship(remote_side=[id])


class RespondentGroup(Base):
    """A respondent group of the plan (``I.1`` ... ``II.4``)."""

    __tablename__ = "respondent_groups"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("survey_plans.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    level: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    #: The questionnaire code the group answers (None: sampled under a separate plan).
    form_code: Mapped[str | None] = mapped_column(String(40))

    plan: Mapped[SurveyPlan] = relationship(back_populates="groups")


class QuotaPlace(Base):
    """One place of a group's quota: the n-th respondent from a unit.

    A place always has exactly one live (not voided) slot; replacing a lost card
    voids the old slot and issues a new one for the same place.
    """

    __tablename__ = "quota_places"
    __table_args__ = (
        UniqueConstraint("group_id", "unit_id", "ordinal"),
        # NULLs are distinct in a unique constraint: places without a unit need their own.
        Index("uq_quota_places_unitless", "group_id", "ordinal", unique=True,
              sqlite_where=text("unit_id IS NULL"), postgresql_where=text("unit_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_groups.id", ondelete="CASCADE"))
    #: The unit the respondent belongs to (None for a fixed-quota group).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    ordinal: Mapped[int]

    group: Mapped[RespondentGroup] = relationship()
    unit: Mapped[Unit | None] = relationship()
    slots: Mapped[list[Slot]] = relationship(back_populates="place")


class Slot(Base):
    """A quota place's one-time link: a secret token and a code printed on the card.

    The slot knows only *whether* it was answered, never which response came from
    it: responses keep no link back to slots, tokens or times (anonymity).
    """

    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("plan_id", "code"),
        # At most one live slot per quota place, enforced by the database itself.
        Index(
            "uq_slots_live_place", "place_id", unique=True,
            sqlite_where=text("status <> 'voided'"),
            postgresql_where=text("status <> 'voided'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("survey_plans.id", ondelete="CASCADE"))
    place_id: Mapped[int] = mapped_column(ForeignKey("quota_places.id", ondelete="CASCADE"))
    #: Human-readable code, e.g. ``24-0131-F`` (group II.4, number, check character).
    code: Mapped[str] = mapped_column(String(20))
    #: The link's secret: 128 random bits, URL-safe (``/s/<token>``).
    token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=SlotStatus.ISSUED.value,
                                        server_default=SlotStatus.ISSUED.value)
    #: The slot this one replaces (a lost or spoiled card), if any.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now, server_default=func.now())

    place: Mapped[QuotaPlace] = relationship(back_populates="slots")


def may_become(target: SlotStatus) -> list[str]:
    """The statuses from which a slot may move to ``target`` (:data:`sampling.slots.TRANSITIONS`).

    Every status change is a conditional ``UPDATE ... WHERE status IN (may_become(target))``,
    so the database applies the lifecycle that :mod:`sampling.slots` defines, atomically.

    >>> may_become(SlotStatus.COMPLETED)
    ['issued', 'handed_out', 'started']
    """
    return [s.value for s in SlotStatus if can_transition(s, target)]


class User(Base):
    """A staff account: admin, postoffice, analyst, or a unit's or council member's account."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    #: Salted, slow hash (werkzeug's scrypt); never the password itself.
    password_hash: Mapped[str] = mapped_column(String(256))
    #: SHA-256 of the current API key; the key itself is shown once.
    api_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now, server_default=func.now())
    #: Part of every sign-in session's id: raised at sign-out, password change and
    #: deactivation, which ends every session signed in before.
    session_version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    #: The unit an account of the roles ``unit`` and ``council`` acts for (a unit code of
    #: the plan); empty for the other roles.
    unit: Mapped[str | None] = mapped_column(String(80))

    # flask-login's user protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class QuestionnaireVersion(Base):
    """A questionnaire exactly as respondents saw it: one row per content hash."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (UniqueConstraint("code", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(40))
    #: SHA-256 of the form's canonical JSON (``questionnaires.Form.content_hash``).
    content_hash: Mapped[str] = mapped_column(String(64))
    #: The whole form (``Form.to_dict()``).
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[dt.datetime] = mapped_column(default=_now)


class Draft(Base):
    """Answers saved page by page while a respondent fills a form.

    Keyed by the slot (the link is the key to resume, on any device), and deleted in
    the transaction that turns it into a :class:`Response`.
    """

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"), unique=True)
    #: The questionnaire version the respondent started with.
    form_hash: Mapped[str] = mapped_column(String(64))
    #: ``question`` or ``question@unit`` -> the normalised answer.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The page shown last, and the furthest page reached (pages beyond need earlier ones).
    page: Mapped[int] = mapped_column(default=0)
    furthest: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=_now, onupdate=_now)


class Response(Base):
    """A completed form, anonymous by construction.

    It keeps what analysis needs (group, form version, the respondent's own unit only
    where that is the unit rated, the answers, the day) and nothing that leads back to
    a slot, a token, an address or a time of day.  Its id is random, so the order of
    ids says nothing about the order of completion.
    """

    __tablename__ = "responses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("survey_plans.id", ondelete="CASCADE"))
    group_code: Mapped[str] = mapped_column(String(20))
    form_code: Mapped[str] = mapped_column(String(40))
    form_version: Mapped[str] = mapped_column(String(40))
    form_hash: Mapped[str] = mapped_column(String(64))
    #: The respondent's own unit, only for groups that rate their own unit (it is then
    #: the rated unit: a district, never a commune or an office).
    own_unit: Mapped[str | None] = mapped_column(String(80))
    #: ``web`` or ``paper``.
    channel: Mapped[str] = mapped_column(String(10))
    #: The day of completion (local to the province), never the time.
    completed_on: Mapped[dt.date]

    answers: Mapped[list[ResponseAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan")


class ResponseAnswer(Base):
    """One answer of a response; ``rated_unit`` is empty for questions not about a unit.

    The key is natural (no sequence), so row ids cannot reveal completion order.
    """

    __tablename__ = "response_answers"

    response_id: Mapped[str] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    rated_unit: Mapped[str] = mapped_column(String(80), primary_key=True, default="")
    question: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="answers")


class DistributionEvent(Base):
    """Field work on a slot: handed out, voided (lost, spoiled), replaced, entered on paper."""

    __tablename__ = "distribution_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"), index=True)
    #: ``handed_out``, ``voided``, ``replacement`` or ``paper_entry``.
    action: Mapped[str] = mapped_column(String(20))
    #: The unit or contact point the card went to, or the reason of a void.
    detail: Mapped[str] = mapped_column(String(300), default="")
    #: The day it happened (as recorded by staff).
    on_date: Mapped[dt.date]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=_now)


class AuditEntry(Base):
    """One staff action, append-only: the database refuses to change or delete a row."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=_now, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The user name as typed (kept for failed sign-ins of unknown names too).
    user_name: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(300), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SignInCounter(Base):
    """Sign-in failures in a window, per name and address, per address, or per name.

    One row per key: ``(name, address)``, ``("", address)`` for an address across names,
    ``(name, "")`` for a name across addresses.  ``name_key`` is the normalised name
    (stripped, NFC, case-folded), ``address`` the client's address (an IPv6 address as its
    /64).  Each attempt is reserved with one atomic upsert before the password is checked.
    """

    __tablename__ = "sign_in_counters"

    name_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The first failure of the current window; the count starts again after the window.
    window_start: Mapped[dt.datetime] = mapped_column(index=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_at: Mapped[dt.datetime] = mapped_column(default=_now)


class LinkMiss(Base):
    """Requests for unknown respondent links, counted per client address and hour.

    ``minute``/``minute_misses`` hold the count of the current minute, which the limit
    on unknown links reads; one upsert per unknown link keeps both.
    """

    __tablename__ = "link_misses"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    hour: Mapped[dt.datetime] = mapped_column(primary_key=True, index=True)
    misses: Mapped[int] = mapped_column(default=0)
    minute: Mapped[dt.datetime]
    minute_misses: Mapped[int] = mapped_column(default=0)
    last_at: Mapped[dt.datetime] = mapped_column(default=_now)
