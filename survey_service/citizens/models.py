"""The stored rosters, the people on them and the drawn sample.

* :class:`Roster`: one unit's list of dossiers for one sampled group (its size, the
  file's hash, who imported it, the draw's seed, when it was drawn and purged);
* :class:`RosterPerson`: **the one table of personal data**: one row per dossier (the
  one-stop desk's id, name, address, phone, commune, service, day served);
* :class:`SampleMember`: a drawn person's place in the sample: official or reserve,
  its order, the quota place and slot it was given, the outcome of the delivery
  (unreachable, refused) with its reason, and who replaced it.

A member points to its person (``person_id``) until the purge, which deletes every
person of the group and leaves the members, places and slots as they were: counts,
progress and answers do not change.  Nothing here is linked to a response.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.database import Base

#: Roles of a sample member.
OFFICIAL, RESERVE = "official", "reserve"
#: Outcomes of a delivery that end a member's turn (the next reserve takes the place).
UNREACHABLE, REFUSED = "unreachable", "refused"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Roster(Base):
    """One unit's roster of dossiers for one sampled group of a round."""

    __tablename__ = "rosters"
    __table_args__ = (UniqueConstraint("group_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("survey_plans.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_groups.id", ondelete="CASCADE"))
    #: The unit whose one-stop desk handled the dossiers (a department or a district).
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    #: N: the number of dossiers imported (kept after the purge).
    size: Mapped[int]
    #: SHA-256 of the imported file (which file was used, without keeping it).
    file_sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(default=_now)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The seed of the draw (the same roster and seed give the same people).
    seed: Mapped[int | None] = mapped_column(BigInteger)
    drawn_at: Mapped[dt.datetime | None]
    #: When the people of this roster were deleted for good.
    purged_at: Mapped[dt.datetime | None]


class RosterPerson(Base):
    """One dossier of a roster: the personal data, deleted by the purge."""

    __tablename__ = "roster_people"
    __table_args__ = (UniqueConstraint("roster_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    roster_id: Mapped[int] = mapped_column(ForeignKey("rosters.id", ondelete="CASCADE"))
    #: The dossier's id in the one-stop system.
    ref: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    address: Mapped[str] = mapped_column(String(1000))
    phone: Mapped[str] = mapped_column(String(20), default="")
    commune: Mapped[str] = mapped_column(String(200), default="")
    service: Mapped[str] = mapped_column(String(1000), default="")
    served_on: Mapped[dt.date | None]
    #: The line (CSV) or row (XLSX) of the imported file.
    line: Mapped[int]


class SampleMember(Base):
    """A drawn person: official or reserve, in order; the place and slot it holds."""

    __tablename__ = "sample_members"
    __table_args__ = (UniqueConstraint("roster_id", "role", "ord"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    roster_id: Mapped[int] = mapped_column(ForeignKey("rosters.id", ondelete="CASCADE"))
    #: The person (NULL once the roster is purged).
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("roster_people.id", ondelete="SET NULL"))
    #: ``official`` or ``reserve``.
    role: Mapped[str] = mapped_column(String(10))
    #: The order within the unit and role (a reserve's: the order of use), from 1.
    ord: Mapped[int]
    #: The quota place it holds (an official from the draw, a reserve once it replaces one).
    place_id: Mapped[int | None] = mapped_column(ForeignKey("quota_places.id", ondelete="CASCADE"),
                                                 index=True)
    #: The slot issued for it.
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id", ondelete="SET NULL"))
    #: ``''`` while it holds its place, else ``unreachable`` or ``refused``.
    outcome: Mapped[str] = mapped_column(String(12), default="", server_default="")
    #: Why (as recorded by the post office), kept with the outcome.
    reason: Mapped[str] = mapped_column(String(300), default="", server_default="")
    #: The reserve that took its place.
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("sample_members.id"))
    changed_at: Mapped[dt.datetime | None]
