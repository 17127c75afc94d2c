"""Reading the stored plans: the rounds, the plan of a round, its questionnaire versions, its summary."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import questionnaires
import sampling
from sampling.plan import quota_dict

from ..core.models import QuestionnaireVersion, SurveyPlan
from .rounds import chosen_round


def get_plan_row(session: Session, code: str | None = None) -> SurveyPlan | None:
    """The stored plan (round) with ``code``; without one, the current round: the one
    chosen for this request or command (:func:`~survey_service.plans.rounds.chosen_round`),
    else the default round (:func:`default_round`)."""
    code = code or chosen_round()
    if not code:
        return default_round(session)
    return session.scalars(select(SurveyPlan).where(SurveyPlan.code == code)).first()


def list_rounds(session: Session) -> list[SurveyPlan]:
    """Every stored round, the most recently loaded first."""
    return list(session.scalars(select(SurveyPlan).order_by(SurveyPlan.id.desc())))


def default_round(session: Session) -> SurveyPlan | None:
    """The round used when none is chosen: the most recently loaded round of the PAR
    index, so that loading a citizens' satisfaction round (a plan whose every surveyed
    group is sampled, :attr:`sampling.Plan.is_satisfaction_survey`) does not move the
    staff pages and exports off the index round; a satisfaction round only when no
    other is stored."""
    rows = list_rounds(session)
    return next((r for r in rows if not plan_of(r).is_satisfaction_survey), rows[0] if rows else None)


def latest_round_code(session: Session) -> str | None:
    """The code of the default round (:func:`default_round`)."""
    row = default_round(session)
    return row.code if row is not None else None


def previous_round(session: Session, row: SurveyPlan) -> SurveyPlan | None:
    """The round before ``row``: of the same province and the same kind (index round or
    satisfaction round), the latest year before its year (the last loaded of that
    year), or None."""
    kind = plan_of(row).is_satisfaction_survey
    earlier = session.scalars(
        select(SurveyPlan).where(SurveyPlan.province == row.province, SurveyPlan.year < row.year)
        .order_by(SurveyPlan.year.desc(), SurveyPlan.id.desc()))
    return next((r for r in earlier if plan_of(r).is_satisfaction_survey == kind), None)


def stored_plan(row: SurveyPlan) -> sampling.Plan:
    """Rebuild the :class:`sampling.Plan` a row was loaded from."""
    return sampling.plan_from_dict(row.definition, source=f"plan {row.code}")


_PARSED: dict[str, sampling.Plan] = {}


def current_plan(session: Session, code: str | None = None) -> sampling.Plan | None:
    """The stored plan (``code``, or the current round: see :func:`get_plan_row`), parsed
    once per content hash."""
    row = get_plan_row(session, code)
    return plan_of(row) if row is not None else None


def plan_of(row: SurveyPlan) -> sampling.Plan:
    """The parsed plan of a stored round (parsed once per content hash)."""
    plan = _PARSED.get(row.content_hash)
    if plan is None:
        plan = _PARSED[row.content_hash] = stored_plan(row)
    return plan


def plan_by_id(session: Session, plan_id: int) -> sampling.Plan | None:
    """The plan of the round with this id (a slot's, a response's): not the current round."""
    row = session.get(SurveyPlan, plan_id)
    return plan_of(row) if row is not None else None


def plan_summary(p: sampling.Plan) -> dict[str, Any]:
    """The plan as the API and ``plan show --json`` give it."""
    totals = p.totals()
    return {
        "plan": p.code,
        "title": p.title.vi,
        "title_en": p.title.en,
        "province": p.province,
        "year": p.year,
        "deadlines": {k: v.isoformat() for k, v in p.deadlines.items()},
        "groups": [
            {
                "code": grp.code,
                "level": grp.level,
                "name": grp.name.vi,
                "name_en": grp.name.en,
                "form": grp.form,
                "rates": grp.rates.to_dict(),
                "quota": _quota(grp.quota),
                "forms": p.group_total(grp),
            }
            for grp in p.groups
        ],
        "levels": [
            {"code": lv.code, "name": lv.name.vi, "name_en": lv.name.en, "forms": totals[lv.code]}
            for lv in p.levels
        ],
        "total": totals["total"],
    }


def _quota(q: sampling.Quota) -> dict[str, Any]:
    """A group's quota as the plan file writes it: ``{fixed}``, ``{per, count}``,
    ``{sampled, margin | per_unit | total, reserve}`` or ``{separate_plan}``."""
    return quota_dict(q)



_FORMS: dict[str, questionnaires.Form] = {}


def form_by_hash(session: Session, content_hash: str) -> questionnaires.Form | None:
    """The stored questionnaire version with ``content_hash`` (parsed once per process)."""
    form = _FORMS.get(content_hash)
    if form is None:
        row = session.scalar(select(QuestionnaireVersion).where(
            QuestionnaireVersion.content_hash == content_hash))
        if row is None:
            return None
        form = _FORMS[content_hash] = questionnaires.form_from_dict(row.definition)
    return form
