"""The stored self-assessment and appraisal: scores per sub-criterion, the state of each
unit and of each council field, the lock, and the evidence files.

One round (giải trình) only: a council member appraises the sub-criteria of its field
for a unit (``first_appraised`` and a comment where it differs from the self-score),
sends them, the unit may answer each correction within the plan's explanation period,
and the council gives the final score (``appraised``, ``final``).  What counts in the
index is ``appraised``; it is preliminary until the whole appraisal is finalised
(:class:`AppraisalLock`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.database import Base


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class AppraisalScore(Base):
    """A unit's self-assessed score on one appraisal sub-criterion, and the council's."""

    __tablename__ = "appraisal_scores"
    __table_args__ = (UniqueConstraint("plan_id", "unit", "criterion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("survey_plans.id", ondelete="CASCADE"))
    unit: Mapped[str] = mapped_column(String(80))
    criterion: Mapped[str] = mapped_column(String(40))
    max_points: Mapped[float]
    self_score: Mapped[float | None]
    #: The unit's explanation of its self-score (giải trình, what the evidence shows).
    evidence: Mapped[str] = mapped_column(Text, default="")
    #: The score that counts: the council's (first, then final) appraised score.
    appraised: Mapped[float | None]
    #: The council's reason for the score that counts, where it differs from the self-score.
    reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=_now, onupdate=_now)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The council's first appraisal and its comment, kept after the final score.
    first_appraised: Mapped[float | None]
    first_comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: The unit's answer to a correction, and when it gave it.
    explanation: Mapped[str] = mapped_column(Text, default="", server_default="")
    explained_at: Mapped[dt.datetime | None]
    #: Whether ``appraised`` is the council's final score for this row.
    final: Mapped[bool] = mapped_column(default=False, server_default="0")


class AppraisalUnit(Base):
    """An evaluated unit's self-assessment as a whole: submitted (late or not), reopened."""

    __tablename__ = "appraisal_units"
    __table_args__ = (UniqueConstraint("plan_id", "unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("survey_plans.id", ondelete="CASCADE"))
    unit: Mapped[str] = mapped_column(String(80))
    submitted_at: Mapped[dt.datetime | None]
    #: Submitted after the plan's self-assessment deadline (kept, marked).
    late: Mapped[bool] = mapped_column(default=False, server_default="0")
    #: An admin reopened the unit after the deadline: it may change its scores until then.
    reopened_until: Mapped[dt.datetime | None]


class AppraisalField(Base):
    """A council member's appraisal of one unit (its field: the sub-criteria it appraises)."""

    __tablename__ = "appraisal_fields"
    __table_args__ = (UniqueConstraint("plan_id", "unit", "appraiser"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("survey_plans.id", ondelete="CASCADE"))
    unit: Mapped[str] = mapped_column(String(80))
    #: The council member (a unit code of the plan).
    appraiser: Mapped[str] = mapped_column(String(80))
    #: When the first appraisal was sent to the unit: the explanation period starts.
    sent_at: Mapped[dt.datetime | None]
    explanation_due: Mapped[dt.datetime | None]


class AppraisalLock(Base):
    """The whole appraisal of a plan finalised: nothing changes without an audited reopen."""

    __tablename__ = "appraisal_locks"

    plan_id: Mapped[int] = mapped_column(ForeignKey("survey_plans.id", ondelete="CASCADE"),
                                         primary_key=True)
    finalised_at: Mapped[dt.datetime | None]
    finalised_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class EvidenceFile(Base):
    """An evidence file of a unit's sub-criterion; the content is in the evidence store."""

    __tablename__ = "evidence_files"
    __table_args__ = (Index("ix_evidence_files_plan_unit", "plan_id", "unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("survey_plans.id", ondelete="CASCADE"))
    unit: Mapped[str] = mapped_column(String(80))
    criterion: Mapped[str] = mapped_column(String(40))
    #: ``self`` (with the self-assessment) or ``explanation`` (with an answer to a correction).
    stage: Mapped[str] = mapped_column(String(12))
    sha256: Mapped[str] = mapped_column(String(64))
    #: The name shown and downloaded as (a plain file name, its extension the real type's).
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=_now)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
