"""Fixtures for the analysis tests: built-in forms and rules, and simulated answers.

:func:`simulate_answers` fills every quota place of the built-in plan (1,193 forms) with
a completed form: each evaluated unit has a latent quality, each respondent a leniency,
and each scored answer is the option whose weight is nearest to quality + leniency +
noise, or "Không biết" / blank with small probabilities.  Background questions get a
random option or number; the comment is left blank.  The result has the columns of the
data contract (``response, group, form, rated_unit, question, value``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest

import questionnaires
import sampling
from questionnaires import Form, Kind
from questionnaires.scoring import ScoringRules


@pytest.fixture(scope="session")
def forms() -> dict[str, Form]:
    return {f.code: f for f in questionnaires.builtin_forms()}


@pytest.fixture(scope="session")
def plan() -> sampling.Plan:
    return sampling.load_plan()


@pytest.fixture(scope="session")
def rules(plan: sampling.Plan) -> ScoringRules:
    assert plan.scoring is not None
    return plan.scoring


@pytest.fixture(scope="session")
def units(plan: sampling.Plan) -> pd.DataFrame:
    return plan_units(plan)


def plan_units(plan: sampling.Plan) -> pd.DataFrame:
    """The evaluated units of ``plan`` (departments, districts) as ``unit, kind, name``."""
    rows = [(u.code, u.kind, u.name) for u in plan.units
            if u.kind in {k.code for k in plan.unit_kinds if k.evaluated}]
    return pd.DataFrame(rows, columns=["unit", "kind", "name"])


def simulate_answers(plan: sampling.Plan, forms: Mapping[str, Form], seed: int = 7, *,
                     copies: int = 1, dont_know: float = 0.08, blank: float = 0.01,
                     noise: float = 0.2, leniency: float = 0.1,
                     quality: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Completed forms for every quota place of ``plan`` (``copies`` times each)."""
    rng = np.random.default_rng(seed)
    evaluated = plan_units(plan)["unit"].tolist()
    if quality is None:
        quality = dict(zip(evaluated, rng.uniform(0.35, 0.9, len(evaluated))))
    rows: list[tuple[str, str, str, str, str, str]] = []
    number = 0
    for _ in range(copies):
        for place in plan.quota_places():
            group = plan.group(place.group)
            if group.form is None:
                continue
            form = forms[group.form]
            rated = [u.code for u in plan.rated_units(group.code, place.unit)]
            number += 1
            response = f"r{number:05d}"
            bias = rng.normal(0.0, leniency)
            for q in form.questions():
                if q.scored:
                    about = rated if q.kind is Kind.UNIT_RATING else rated[:1]
                    for unit in about:
                        rows.append((response, group.code, form.code, unit, q.code,
                                     _choose(rng, q, quality[unit] + bias, noise, dont_know,
                                             blank)))
                elif q.kind is Kind.BACKGROUND:
                    value = (rng.choice([o.value for o in q.options]) if q.options
                             else str(int(rng.integers(0, 30))))
                    rows.append((response, group.code, form.code, "", q.code, str(value)))
                else:  # the free-text comment: left blank
                    rows.append((response, group.code, form.code, "", q.code, ""))
    return pd.DataFrame(rows, columns=["response", "group", "form", "rated_unit", "question",
                                       "value"])


def _choose(rng: np.random.Generator, q: questionnaires.Question, level: float, noise: float,
            dont_know: float, blank: float) -> str:
    u = rng.random()
    dk = [o.value for o in q.options if o.weight is None]
    if u < blank:
        return ""
    if dk and u < blank + dont_know:
        return dk[0]
    valid = [o for o in q.options if o.weight is not None]
    target = level + rng.normal(0.0, noise)
    return min(valid, key=lambda o: abs(o.weight - target)).value


@pytest.fixture(scope="session")
def simulated(plan: sampling.Plan, forms: dict[str, Form]) -> pd.DataFrame:
    """One completed form per quota place of the built-in plan."""
    return simulate_answers(plan, forms)


@pytest.fixture(scope="session")
def simulated_appraisal(rules: ScoringRules, units: pd.DataFrame) -> pd.DataFrame:
    """Appraisal points for every unit: 60 % to 95 % of each maximum, seeded."""
    rng = np.random.default_rng(11)
    rows = []
    for unit, kind in zip(units["unit"], units["kind"]):
        level = rng.uniform(0.6, 0.95)
        for _, _, sub in rules.subcriteria(kind=kind, method="appraisal"):
            top = sub.max_for(kind) or 0.0
            rows.append((unit, sub.code, round(min(top, top * (level + rng.normal(0, 0.05))), 2)))
    out = pd.DataFrame(rows, columns=["unit", "criterion", "points"])
    out["points"] = out["points"].clip(lower=0)
    return out


@pytest.fixture(scope="session")
def simulate():
    """:func:`simulate_answers`, for tests that need other parameters."""
    return simulate_answers
