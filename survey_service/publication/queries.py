"""Reading what the published report needs: the round's results, the previous round's,
the forms collected per group and channel, and the satisfaction index of the round's
sampled groups."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import sampling

from ..core.models import QuotaPlace, RespondentGroup, SurveyPlan
from ..plans.queries import plan_of, previous_round
from ..results.queries import collected, compute
from ..results.satisfaction import Satisfaction, compute_satisfaction, satisfaction_groups
from .content import Report, build_report
from .satisfaction import satisfaction_report, satisfaction_section


def places_per_group(session: Session, plan_id: int) -> dict[str, int]:
    """Quota places per group code (for a sampled group: the people drawn, reserves that
    replaced someone taking that person's place)."""
    rows = session.execute(
        select(RespondentGroup.code, func.count(QuotaPlace.id))
        .join(QuotaPlace, QuotaPlace.group_id == RespondentGroup.id)
        .where(RespondentGroup.plan_id == plan_id).group_by(RespondentGroup.code)).all()
    return {code: int(count) for code, count in rows}


def satisfaction_of(session: Session, row: SurveyPlan, plan: sampling.Plan) -> Satisfaction | None:
    """The round's satisfaction index, or None without sampled groups or their answers."""
    if not satisfaction_groups(plan):
        return None
    result = compute_satisfaction(session, row, plan)
    return None if result.empty else result


def report_of(session: Session, row: SurveyPlan, plan: sampling.Plan, lang: str = "vi") -> Report | None:
    """The report of round ``row``, or None while there is nothing to publish (no survey
    answer and no final appraisal score yet; for a round of the satisfaction survey only,
    no answer of its sampled groups).

    A round with sampled groups that have answers gets the satisfaction section, before
    the annex on methods; a round without scoring rules is that section alone (with the
    survey in numbers).
    """
    satisfaction = satisfaction_of(session, row, plan)
    if plan.scoring is None:
        if satisfaction is None:
            return None
        return satisfaction_report(plan, satisfaction, collected(session, row.id),
                                   places_per_group(session, row.id), lang)
    results = compute(session, row, plan)
    if results.empty:
        return None
    before = previous_round(session, row)
    previous = (compute(session, before, plan_of(before), replicates=0, compare=False).index
                if before is not None else None)
    report = build_report(plan, results, collected(session, row.id), lang=lang,
                          previous_year=before.year if before is not None else None,
                          previous_index=previous)
    if satisfaction is not None:
        report.sections.insert(len(report.sections) - 1, satisfaction_section(plan, satisfaction, lang))
    return report
