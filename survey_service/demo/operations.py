"""A worked example: realistic simulated answers and appraisal scores for a plan.

Used by ``survey-service demo`` and by the end-to-end tests.  Operations add and
flush; the command commits.  Every unit has a latent
quality; respondents answer around it with noise, outsiders say "Không biết" more
often than a unit's own staff, some forms come back on paper, and the appraisal
council corrects a share of the self-scores with a reason; then the appraisal is
finalised (pass ``lock=False`` to leave it open).  Seeded: the same seed gives the
same data.  Run on two rounds of one database (a year's round, then the next one opened
from it), it gives the yearly comparison.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

import sampling
from questionnaires import Form, Kind, Question
from sampling.slots import SlotStatus

from ..appraisal.models import AppraisalScore
from ..appraisal.operations import finalise_appraisal
from ..core.models import RespondentGroup, Slot, SurveyPlan, Unit, may_become
from ..fieldwork.queries import slot_join
from ..respondent.operations import finalise


@dataclass
class DemoReport:
    responses: int
    slots: int
    appraisal_rows: int


def _answer(question: Question, quality: float, dont_know: float, rng: np.random.Generator) -> Any:
    kind = question.answer_kind
    if kind is Kind.NUMBER:
        low = question.minimum if question.minimum is not None else 0
        high = question.maximum if question.maximum is not None else low + 30
        return int(rng.integers(int(low), int(high) + 1))
    if kind is Kind.TEXT:
        return None
    options = question.options
    scored = [o for o in options if o.weight is not None]
    if not question.scored or not scored:
        return options[int(rng.integers(len(options)))].value
    unknown = [o for o in options if o.weight is None]
    if unknown and rng.random() < dont_know:
        return unknown[0].value
    target = quality + rng.normal(0, 0.22)
    return min(scored, key=lambda o: abs(o.weight - target)).value


def simulate_answers(form: Form, units: list[sampling.Unit], quality: dict[str, float],
                     *, insider: bool, rng: np.random.Generator) -> dict[str, Any]:
    """One respondent's answers, keyed as drafts are (``q`` or ``q@unit``)."""
    answers: dict[str, Any] = {}
    dont_know = 0.03 if insider else 0.12
    own = units[0].code if insider and units else None
    for question in form.questions():
        targets = units if question.kind is Kind.UNIT_RATING else [None]
        for unit in targets:
            code = unit.code if unit is not None else own
            value = _answer(question, quality.get(code or "", 0.7), dont_know, rng)
            context = {k.split("@")[0]: v for k, v in answers.items()
                       if unit is None or k.endswith(f"@{unit.code}") or "@" not in k}
            if question.relevant is not None and not question.relevant.is_met(context):
                continue
            if value is not None:
                answers[f"{question.code}@{unit.code}" if unit is not None else question.code] = value
    return answers


def run_demo(session: Session, row: SurveyPlan, plan: sampling.Plan, *, seed: int = 2020,
             completion: float = 0.85, paper_share: float = 0.1, lock: bool = True) -> DemoReport:
    """Fill ``plan`` (stored as ``row``) with simulated responses and final appraisal
    scores, and finalise the appraisal (unless ``lock`` is false)."""
    if plan.scoring is None:
        raise ValueError("the plan has no scoring rules")
    rng = np.random.default_rng(seed)
    evaluated = [u for u in plan.units if any(k.code == u.kind and k.evaluated for k in plan.unit_kinds)]
    quality = {u.code: float(rng.uniform(0.45, 0.9)) for u in evaluated}
    slots = session.execute(
        slot_join(Slot.id, RespondentGroup.code, Unit.code)
        .where(Slot.plan_id == row.id, Slot.status.in_(may_become(SlotStatus.COMPLETED)))
        .order_by(Slot.id)).all()
    done = 0
    for slot_id, group_code, unit_code in slots:
        if rng.random() > completion:
            continue
        group = plan.group(group_code)
        form = plan.forms[group.form]
        rated = plan.rated_units(group_code, unit_code)
        insider = group.rates.mode == "own"
        answers = simulate_answers(form, rated, quality, insider=insider, rng=rng)
        finalise(session, slot_id, plan_id=row.id, group_code=group_code, form_code=form.code,
                 form_version=form.version, form_hash=form.content_hash,
                 own_unit=rated[0].code if insider and rated else None,
                 channel="paper" if rng.random() < paper_share else "web",
                 answers=answers)
        done += 1
    appraisal_rows = 0
    for unit in evaluated:
        for _, _, sub in plan.scoring.subcriteria(unit.kind, "appraisal"):
            maximum = sub.max_for(unit.kind) or 0.0
            self_score = round(maximum * float(rng.uniform(0.7, 1.0)), 2)
            corrected = rng.random() < 0.3
            appraised = round(max(0.0, self_score - maximum * float(rng.uniform(0.05, 0.3))), 2) \
                if corrected else self_score
            session.add(AppraisalScore(
                plan_id=row.id, unit=unit.code, criterion=sub.code, max_points=maximum,
                self_score=self_score, evidence="Báo cáo và văn bản kèm theo (ví dụ)",
                appraised=appraised, final=True,
                reason="Thiếu tài liệu kiểm chứng (ví dụ)" if corrected else ""))
            appraisal_rows += 1
    session.flush()
    if lock:
        finalise_appraisal(session, row, user=None, at=dt.datetime.now(dt.timezone.utc))
    return DemoReport(responses=done, slots=len(slots), appraisal_rows=appraisal_rows)
