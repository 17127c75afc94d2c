"""Progress of the field work against the plan: per group, unit, district, and in all.

Counts come from the live slots: ``planned`` (one per quota place), ``handed_out``
(no longer just issued), ``started`` (link opened, or completed), ``completed``.
A unit is *behind schedule* when its completed share is more than
:data:`BEHIND_MARGIN` below the share of the field-work window already gone.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import sampling
from sampling.slots import SlotStatus

from ..core.models import SurveyPlan, Unit
from .queries import slot_statuses


@dataclass
class Counts:
    """Slots of a cell: planned (live slots), handed out, started, completed."""

    planned: int = 0
    handed_out: int = 0
    started: int = 0
    completed: int = 0

    def add(self, status: str) -> None:
        self.planned += 1
        if status != SlotStatus.ISSUED.value:
            self.handed_out += 1
        if status in (SlotStatus.STARTED.value, SlotStatus.COMPLETED.value):
            self.started += 1
        if status == SlotStatus.COMPLETED.value:
            self.completed += 1

    @property
    def completed_share(self) -> float:
        return self.completed / self.planned if self.planned else 0.0

    def as_dict(self) -> dict[str, int]:
        return {"planned": self.planned, "handed_out": self.handed_out, "started": self.started,
                "completed": self.completed}


def tally(rows: Iterable[Any], key) -> dict[Any, Counts]:  # type: ignore[no-untyped-def]
    """Counts per ``key(row)`` (rows of :func:`~.queries.slot_statuses`)."""
    out: dict[Any, Counts] = defaultdict(Counts)
    for row in rows:
        for k in key(row):
            out[k].add(row.status)
    return dict(out)


#: How far (as a share of the plan) a unit may lag the calendar before it is flagged.
BEHIND_MARGIN = 0.10


@dataclass
class Line:
    """One line of a progress table."""

    code: str
    name: str
    counts: Counts
    behind: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, **self.counts.as_dict(),
                "completed_pct": round(100 * self.counts.completed_share, 1),
                "behind": self.behind}


@dataclass
class Progress:
    """The progress report of one plan on one day."""

    plan: str
    today: dt.date
    start: dt.date
    deadline: dt.date
    expected_share: float
    total: Line
    groups: list[Line]
    units: list[Line]
    districts: list[Line]
    cells: list[dict[str, Any]]

    @property
    def days_left(self) -> int:
        return (self.deadline - self.today).days

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan, "as_of": self.today.isoformat(),
            "deadline": self.deadline.isoformat(), "days_left": self.days_left,
            "expected_completed_pct": round(100 * self.expected_share, 1),
            "total": self.total.as_dict(),
            "groups": [g.as_dict() for g in self.groups],
            "units": [u.as_dict() for u in self.units],
            "districts": [d.as_dict() for d in self.districts],
            "cells": self.cells,
        }


def expected_share(start: dt.date, deadline: dt.date, today: dt.date) -> float:
    """Share of the field-work window gone by ``today`` (0 before it, 1 after it).

    >>> expected_share(dt.date(2021, 1, 1), dt.date(2021, 1, 11), dt.date(2021, 1, 6))
    0.5
    """
    span = (deadline - start).days
    if span <= 0:
        return 1.0
    return min(1.0, max(0.0, (today - start).days / span))


def progress(session: Session, row: SurveyPlan, plan: sampling.Plan, today: dt.date) -> Progress:
    """Progress of ``plan`` (stored as ``row``) as of ``today``; behind-schedule first."""
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.plan_id == row.id))}
    statuses = slot_statuses(session, row.id)
    deadline = plan.deadlines["survey"]
    start = min(row.loaded_at.date(), deadline)
    share = expected_share(start, deadline, today)

    def unit_code(unit_id: int | None) -> str | None:
        return units[unit_id].code if unit_id in units else None

    def district_of(unit_id: int | None) -> list[str]:
        if unit_id not in units:
            return []
        district = plan.ancestor_of_kind(units[unit_id].code, "district")
        return [district.code] if district else []

    by_group = tally(statuses, lambda r: [r.code])
    by_unit = tally(statuses, lambda r: [c] if (c := unit_code(r.unit_id)) else [])
    by_district = tally(statuses, lambda r: district_of(r.unit_id))
    by_cell = tally(statuses, lambda r: [(r.code, unit_code(r.unit_id) or "")])
    total = tally(statuses, lambda r: ["*"]).get("*", Counts())

    def behind(c: Counts) -> bool:
        return c.planned > 0 and c.completed_share < share - BEHIND_MARGIN

    def lines(counts: dict[str, Counts], name) -> list[Line]:  # type: ignore[no-untyped-def]
        out = [Line(code, name(code), c, behind(c)) for code, c in counts.items()]
        # Behind schedule first, the furthest behind at the top; then by code.
        return sorted(out, key=lambda line: (not line.behind, line.counts.completed_share
                                             if line.behind else 0, line.code))

    groups = [Line(g.code, g.name.vi, by_group.get(g.code, Counts()),
                   behind(by_group.get(g.code, Counts())))
              for g in plan.groups if g.quota.is_surveyed]
    cells = [{"group": g, "unit": u, **c.as_dict()} for (g, u), c in sorted(by_cell.items())]
    return Progress(
        plan=plan.code, today=today, start=start, deadline=deadline, expected_share=share,
        total=Line("*", "Tổng cộng", total, behind(total)), groups=groups,
        units=lines(by_unit, lambda code: plan.unit(code).name),
        districts=lines(by_district, lambda code: plan.unit(code).name), cells=cells)
