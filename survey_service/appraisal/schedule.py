"""The appraisal's calendar: the plan's deadlines as moments, and the explanation period.

A deadline in the plan is a day; it ends at midnight in the province (UTC+7), so a unit
may submit until the last minute of that day.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sampling

PROVINCE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def now() -> dt.datetime:
    """The current moment, in UTC."""
    return dt.datetime.now(dt.timezone.utc)


def end_of(day: dt.date) -> dt.datetime:
    """The moment a deadline day ends in the province, in UTC.

    >>> end_of(dt.date(2021, 1, 29)).isoformat()
    '2021-01-29T17:00:00+00:00'
    """
    local = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=PROVINCE_TZ)
    return local.astimezone(dt.timezone.utc)


def deadline(plan: sampling.Plan, step: str) -> dt.datetime | None:
    """The end of the plan's deadline ``step`` (``self_assessment``, ``appraisal``), if set."""
    day = plan.deadlines.get(step)
    return end_of(day) if day else None


def explanation_due(plan: sampling.Plan, sent_at: dt.datetime) -> dt.datetime:
    """The end of the explanation period that starts when a field's appraisal is sent."""
    local = sent_at.astimezone(PROVINCE_TZ).date()
    return end_of(local + dt.timedelta(days=plan.explanation_days))


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored moment with its time zone (SQLite gives them back naive, in UTC)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.timezone.utc)
