"""Reading what the published report needs: the round's results, the previous round's,
and the forms collected per group and channel."""

from __future__ import annotations

from sqlalchemy.orm import Session

import sampling

from ..core.models import SurveyPlan
from ..plans.queries import plan_of, previous_round
from ..results.queries import collected, compute
from .content import Report, build_report


def report_of(session: Session, row: SurveyPlan, plan: sampling.Plan, lang: str = "vi") -> Report | None:
    """The report of round ``row``, or None while there is nothing to publish (no survey
    answer and no final appraisal score yet)."""
    results = compute(session, row, plan)
    if results.empty:
        return None
    before = previous_round(session, row)
    previous = (compute(session, before, plan_of(before), replicates=0, compare=False).index
                if before is not None else None)
    return build_report(plan, results, collected(session, row.id), lang=lang,
                        previous_year=before.year if before is not None else None,
                        previous_index=previous)
