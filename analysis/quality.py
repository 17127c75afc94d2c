"""Warnings about the answers behind a score: too few, too many "don't know",
straight-lining respondents, and insiders who see their unit very differently from
outsiders."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from questionnaires import Form
from questionnaires.scoring import ScoringRules

from ._checks import check_units, is_blank
from .scoring import respondent_sums, scored_answers, scores_from_sums

__all__ = ["QUALITY_FLAGS", "quality_flags"]

#: The flags :func:`quality_flags` raises, with what each means.
QUALITY_FLAGS = {
    "low_n": "fewer valid answers than min_n on a sub-criterion",
    "dont_know": "share of answers that are not valid above dont_know_max on a sub-criterion",
    "straight_lining": "respondents who gave the same option to every scored question",
    "insider_gap": "the unit's own staff and outsiders differ by more than gap_max",
}

_COLUMNS = ["unit", "criterion", "flag", "value", "threshold", "detail"]


def quality_flags(answers: pd.DataFrame, forms: Mapping[str, Form], rules: ScoringRules,
                  units: pd.DataFrame, *, min_n: int = 10, dont_know_max: float = 0.3,
                  insider_groups: Collection[str] | None = None, gap_max: float = 0.25,
                  straight_min_items: int = 5, straight_max_share: float = 0.0
                  ) -> pd.DataFrame:
    r"""Flag the units and sub-criteria whose survey score needs a second look.

    Parameters
    ----------
    answers, forms, rules, units
        As for :func:`analysis.survey_scores`.
    min_n : int, default 10
        ``low_n`` when a unit has fewer valid answers than this on a sub-criterion (the
        ``n`` of :func:`analysis.survey_scores`; 0 included).
    dont_know_max : float, default 0.3
        ``dont_know`` when the ``dont_know_share`` of a unit and sub-criterion exceeds it.
    insider_groups : collection of str, optional
        Codes of the groups that rate their own unit (in the built-in plan
        ``{"I.3", "II.3", "II.4"}``: staff of the department, of the district offices,
        commune leaders).  Every other group counts as outsiders.  Without it the
        ``insider_gap`` check is skipped.
    gap_max : float, default 0.25
        ``insider_gap`` when the insiders' and outsiders' mean weights differ by more
        than this (in absolute value, on the 0..1 scale).
    straight_min_items : int, default 5
        A respondent counts as straight-lining only with at least this many non-blank
        scored answers.
    straight_max_share : float, default 0.0
        ``straight_lining`` when the share of straight-lining respondents among those
        who rated the unit exceeds it (0: any one).

    Returns
    -------
    pandas.DataFrame
        One row per flag raised (none when all is well), columns ``unit``,
        ``criterion`` (``""`` for a flag about the whole unit), ``flag`` (a key of
        ``QUALITY_FLAGS``), ``value`` (the statistic), ``threshold`` and ``detail`` (a
        short explanation), sorted by unit (order of ``units``), sub-criterion (order of
        the rules) and flag.

    Raises
    ------
    ValueError
        For the reasons of :func:`analysis.survey_scores`, or a threshold out of range.

    Notes
    -----
    *Straight-lining* (non-differentiation): a response whose non-blank scored answers,
    over every unit it rates, all have the same weight ("Không biết" counting as one
    more option).  Options are compared by weight, so "Rất tốt" and "Có" (both 1.0) are
    the same choice; the value is the share of the unit's respondents who straight-line.

    *Insider gap*: for each sub-criterion that both insiders and outsiders rated about
    the unit, the mean weight of the insiders' valid answers minus that of the
    outsiders'; the value is the mean of these differences over those sub-criteria
    (positive: insiders rate their unit higher), so that the two sides are compared on
    the same questions.  Units where the two never meet on a sub-criterion are not
    flagged.

    References
    ----------
    J. A. Krosnick, "Response strategies for coping with the cognitive demands of
    attitude measures in surveys", *Applied Cognitive Psychology* 5 (1991) 213-236
    (non-differentiation).  JRC COIN, "Ten step guide": data coverage and
    plausibility checks before aggregation.

    Examples
    --------
    >>> from analysis._example import worked_example
    >>> ex = worked_example()
    >>> quality_flags(ex.answers, ex.forms, ex.rules, ex.units, min_n=7)[
    ...     ["unit", "criterion", "flag", "value", "threshold"]]
             unit criterion   flag  value  threshold
    0  so-tu-phap         K  low_n    6.0        7.0
    1   so-noi-vu         K  low_n    6.0        7.0
    """
    if isinstance(min_n, bool) or not isinstance(min_n, (int, np.integer)) or min_n < 0:
        raise ValueError(f"min_n must be an integer >= 0, not {min_n!r}")
    for name, value in (("dont_know_max", dont_know_max), ("gap_max", gap_max),
                        ("straight_max_share", straight_max_share)):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} must lie between 0 and 1, not {value!r}")
    if straight_min_items < 1:
        raise ValueError(f"straight_min_items must be at least 1, not {straight_min_items!r}")

    clean_units = check_units(units, rules)
    scored = scored_answers(answers, forms, rules, clean_units)
    scores = scores_from_sums(respondent_sums(scored), clean_units, rules)
    rows: list[tuple[str, str, str, float, float, str]] = []

    for unit, code, n in zip(scores["unit"], scores["criterion"], scores["n"]):
        if n < min_n:
            rows.append((unit, code, "low_n", float(n), float(min_n),
                         f"{n} valid answer(s), fewer than {min_n}"))
    for unit, code, share in zip(scores["unit"], scores["criterion"], scores["dont_know_share"]):
        if share > dont_know_max:  # NaN (no answer) compares False: low_n covers it
            rows.append((unit, code, "dont_know", float(share), float(dont_know_max),
                         f"{share:.0%} of the answers are 'Không biết' or blank"))

    rows.extend(_straight_lining(scored, straight_min_items, straight_max_share))
    if insider_groups is not None:
        rows.extend(_insider_gap(scored, set(insider_groups), gap_max))

    out = pd.DataFrame(rows, columns=_COLUMNS)
    unit_order = {u: i for i, u in enumerate(clean_units["unit"])}
    crit_order = {sub.code: i + 1 for i, (_, _, sub) in enumerate(rules.subcriteria())}
    crit_order[""] = 0
    out = out.assign(_u=out["unit"].map(unit_order), _c=out["criterion"].map(crit_order))
    out = out.sort_values(["_u", "_c", "flag"], kind="stable")
    return out[_COLUMNS].reset_index(drop=True)


def _straight_lining(scored: pd.DataFrame, min_items: int, max_share: float
                     ) -> list[tuple[str, str, str, float, float, str]]:
    answered = scored.loc[~is_blank(scored["value"])]
    choice = np.where(answered["valid"].to_numpy(), answered["weight"].to_numpy(), -1.0)
    per = pd.DataFrame({"response": answered["response"].to_numpy(), "choice": choice})
    stats_ = per.groupby("response").agg(k=("choice", "size"), distinct=("choice", "nunique"))
    liners = set(stats_.index[(stats_["k"] >= min_items) & (stats_["distinct"] == 1)])
    rated = scored[["unit", "response"]].drop_duplicates()
    rows = []
    for unit, frame in rated.groupby("unit", sort=False):
        responses = frame["response"].tolist()
        found = sorted(r for r in responses if r in liners)
        share = len(found) / len(responses)
        if found and share > max_share:
            shown = ", ".join(found[:5]) + (", ..." if len(found) > 5 else "")
            rows.append((str(unit), "", "straight_lining", share, max_share,
                         f"{len(found)} of {len(responses)} respondents: {shown}"))
    return rows


def _insider_gap(scored: pd.DataFrame, insiders: set[str], gap_max: float
                 ) -> list[tuple[str, str, str, float, float, str]]:
    valid = scored.loc[scored["valid"]].copy()
    valid["side"] = np.where(valid["group"].isin(insiders), "in", "out")
    means = valid.groupby(["unit", "criterion", "side"], sort=False)["weight"].mean().unstack("side")
    if "in" not in means.columns or "out" not in means.columns:
        return []
    both = means.dropna(subset=["in", "out"])
    rows = []
    for unit, frame in both.groupby(level="unit", sort=False):
        gap = float((frame["in"] - frame["out"]).mean())
        if abs(gap) > gap_max:
            rows.append((str(unit), "", "insider_gap", gap, gap_max,
                         f"insiders {frame['in'].mean():.2f} vs outsiders "
                         f"{frame['out'].mean():.2f} on {len(frame)} shared sub-criteria"))
    return rows
