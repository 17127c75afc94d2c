"""Reads that belong to no feature: the latest plan for the front page, the health check."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import SurveyPlan


def latest_plan_row(session: Session) -> SurveyPlan | None:
    """The plan loaded last, if any."""
    return session.scalars(select(SurveyPlan).order_by(SurveyPlan.id.desc())).first()


def ping(session: Session) -> None:
    """Run the smallest query: raises if the database cannot be reached."""
    session.execute(select(1))
