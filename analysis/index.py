"""The index: appraisal + survey points per unit, percent of the maximum, rank and grade.

The PAR Index of a unit is the sum of the points the appraisal council gives on the
appraisal sub-criteria and the survey points (:func:`analysis.survey_scores`), out of
the maximum of its kind (``shares[kind]``: 70 + 30 = 100 in the built-in rules),
expressed in percent; units are ranked within their kind and graded by the bands of the
scoring rules.  :func:`area_indices` gives the same per area (lĩnh vực).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import numpy as np
import pandas as pd

from questionnaires.scoring import ScoringRules

from ._checks import (
    ADJUSTMENT_COLUMNS,
    APPRAISAL_COLUMNS,
    POINTS_TOLERANCE,
    SURVEY_COLUMNS,
    as_code,
    check_points,
    check_units,
    examples,
    require_codes,
    require_frame,
)
from .scoring import criterion_grid

__all__ = ["RANK_DECIMALS", "STATUSES", "area_indices", "exact_sum", "min_rank", "ranked_index",
           "unit_index"]

#: Indices are compared for ranking after rounding to this many decimals of a
#: percentage point, so that two totals that differ only by floating-point noise
#: (the same points added in another order) share a rank.
RANK_DECIMALS = 9

#: Whether a unit is ranked, and why not (the ``status`` of :func:`ranked_index`).
STATUSES = ("ranked", "no_survey", "appraisal_missing", "appraisal_preliminary")


def exact_sum(values: Iterable[float]) -> float:
    """The sum of points as written (each float read as its shortest decimal), exactly.

    Appraisal points are entered with a few decimals; adding them as binary floats
    gives ``55.06999999999999`` where the council wrote points adding up to 55.07.

    >>> sum([10.1, 20.2, 24.77]), exact_sum([10.1, 20.2, 24.77])
    (55.06999999999999, 55.07)
    """
    return float(sum((Decimal(repr(float(v))) for v in values), Decimal(0)))


def min_rank(index_pct: np.ndarray) -> np.ndarray:
    """Competition ranks ("min" method) of indices, highest first: 1, 2, 2, 4.

    Ranks are taken along the last axis, so a (replicates x units) array gives the
    ranks within each replicate.

    >>> min_rank(np.array([70.0, 90.0, 80.0, 80.0]))
    array([4, 1, 2, 2])
    """
    x = np.round(np.asarray(index_pct, dtype=float), RANK_DECIMALS)
    return 1 + (x[..., None, :] > x[..., :, None]).sum(axis=-1)


def _points_table(frame: object, name: str, columns: tuple[str, ...], rules: ScoringRules,
                  units: pd.DataFrame, method: str) -> pd.DataFrame:
    """``unit, criterion, points`` checked against the sub-criteria of ``method``."""
    table = require_frame(frame, name, columns)
    out = pd.DataFrame({"unit": as_code(table["unit"]).to_numpy(),
                        "criterion": as_code(table["criterion"]).to_numpy(),
                        "points": check_points(table, name)})
    require_codes(out, name, ("unit", "criterion"))
    unknown = out.loc[~out["unit"].isin(units["unit"]), "unit"]
    if len(unknown):
        raise ValueError(f"{name}: unit(s) not in units {examples(unknown)}")
    twice = out.duplicated(["unit", "criterion"])
    if twice.any():
        bad = (out.loc[twice, "unit"] + "/" + out.loc[twice, "criterion"]).tolist()
        raise ValueError(f"{name}: more than one row for {examples(bad)}")
    grid = criterion_grid(units, rules, method)
    checked = out.merge(grid, on=["unit", "criterion"], how="left")
    stray = checked["max_points"].isna().to_numpy()
    if stray.any():
        bad = (checked.loc[stray, "unit"] + "/" + checked.loc[stray, "criterion"]).tolist()
        raise ValueError(f"{name}: not one of the {method} sub-criteria that apply to the "
                         f"unit's kind: {examples(bad)}")
    points = checked["points"].to_numpy(dtype=float)
    top = checked["max_points"].to_numpy(dtype=float)
    bad_rows = (points < 0) | (points > top + POINTS_TOLERANCE)
    if bad_rows.any():
        bad = [f"{u}/{c}={p:g} (max {t:g})" for u, c, p, t in zip(
            checked.loc[bad_rows, "unit"], checked.loc[bad_rows, "criterion"],
            points[bad_rows], top[bad_rows])]
        raise ValueError(f"{name}: points must lie between 0 and the sub-criterion's maximum: "
                         f"{examples(bad)}")
    return checked


def _adjustments(frame: object, units: pd.DataFrame) -> pd.DataFrame:
    table = require_frame(frame, "adjustments", ADJUSTMENT_COLUMNS)
    out = pd.DataFrame({"unit": as_code(table["unit"]).to_numpy(),
                        "bonus": check_points(table, "adjustments", "bonus"),
                        "penalty": check_points(table, "adjustments", "penalty")})
    unknown = out.loc[~out["unit"].isin(units["unit"]), "unit"]
    if len(unknown):
        raise ValueError(f"adjustments: unit(s) not in units {examples(unknown)}")
    if out["unit"].duplicated().any():
        raise ValueError(f"adjustments: more than one row for "
                         f"{examples(out.loc[out['unit'].duplicated(), 'unit'])}")
    negative = (out["bonus"] < 0) | (out["penalty"] < 0)
    if negative.any():
        raise ValueError(f"adjustments: bonus and penalty are points to add and to subtract, "
                         f"never negative: {examples(out.loc[negative, 'unit'])}")
    return out


def unit_totals(survey: pd.DataFrame, appraisal: pd.DataFrame, rules: ScoringRules,
                units: pd.DataFrame, adjustments: pd.DataFrame | None = None) -> pd.DataFrame:
    """Checked per-unit sums: ``unit, name, kind, appraisal, survey, bonus, penalty, max,
    missing_appraisal`` (``units`` is a frame checked by ``check_units``)."""
    app = _points_table(appraisal, "appraisal", APPRAISAL_COLUMNS, rules, units, "appraisal")
    sur = _points_table(survey, "survey", SURVEY_COLUMNS, rules, units, "survey")
    out = units[["unit", "name", "kind"]].copy()
    out["appraisal"] = out["unit"].map(app.groupby("unit")["points"].agg(exact_sum)).fillna(0.0)
    out["survey"] = out["unit"].map(sur.groupby("unit")["points"].sum()).fillna(0.0)
    if adjustments is not None:
        adj = _adjustments(adjustments, units).set_index("unit")
        out["bonus"] = out["unit"].map(adj["bonus"]).fillna(0.0)
        out["penalty"] = out["unit"].map(adj["penalty"]).fillna(0.0)
    else:
        out["bonus"] = 0.0
        out["penalty"] = 0.0
    out["max"] = [float(sum(rules.shares[k].values())) for k in out["kind"]]
    expected = criterion_grid(units, rules, "appraisal").groupby("unit").size()
    given = app.groupby("unit").size()
    out["missing_appraisal"] = (out["unit"].map(expected).fillna(0)
                                - out["unit"].map(given).fillna(0)).astype(np.int64)
    return out


def unit_index(survey: pd.DataFrame, appraisal: pd.DataFrame, rules: ScoringRules,
               units: pd.DataFrame, adjustments: pd.DataFrame | None = None) -> pd.DataFrame:
    r"""Index, rank and grade of every unit.

    Parameters
    ----------
    survey : pandas.DataFrame
        Survey points per unit and survey sub-criterion: ``unit``, ``criterion``,
        ``points`` (the output of :func:`analysis.survey_scores`; other columns are
        ignored).  A missing row counts as 0 points.
    appraisal : pandas.DataFrame
        The appraisal council's points: ``unit``, ``criterion`` (an appraisal
        sub-criterion that applies to the unit's kind), ``points`` (0 to its maximum).
        A missing row counts as 0 points and is counted in ``missing_appraisal``.
    rules : questionnaires.scoring.ScoringRules
        The scoring rules (maxima, shares and grade bands).
    units : pandas.DataFrame
        ``unit``, ``kind`` and optionally ``name``: every unit to index.
    adjustments : pandas.DataFrame, optional
        ``unit``, ``bonus``, ``penalty`` (points, not negative); units without a row get
        0.  When given, the result has the columns ``bonus`` and ``penalty``.

    Returns
    -------
    pandas.DataFrame
        One row per unit, in the order of ``units``: ``unit``, ``name`` (``""`` when
        ``units`` has none), ``kind``, ``appraisal``, ``survey``, [``bonus``,
        ``penalty``], ``total``, ``max``, ``index_pct``, ``rank``, ``grade`` (band code),
        ``grade_name`` (band name in Vietnamese), ``missing_appraisal`` (number of
        appraisal sub-criteria of the unit's kind without a row).

    Raises
    ------
    ValueError
        If a table lacks a column; ``units`` repeats a code or has a kind the rules do
        not know; a row names a unit not in ``units``, a sub-criterion that is not of the
        right method or does not apply to the unit's kind, or appears twice; points are
        not finite, negative or above the sub-criterion's maximum; a bonus or penalty is
        negative.

    Notes
    -----
    .. math::

        \text{total} = \min\bigl(\max(0,\ A + S + \text{bonus} - \text{penalty}),\
        \text{max}\bigr), \qquad
        \text{index\_pct} = 100\,\frac{\text{total}}{\text{max}},

    with :math:`A` and :math:`S` the sums of appraisal and survey points and max the sum
    of the kind's shares (``rules.shares[kind]``).  Nothing is rounded: round only to
    display.  ``rank`` is taken within each kind, highest index first; units with the
    same index share the best of their ranks and the next rank is skipped (1, 2, 2, 4:
    the "min" or competition method); indices are compared after rounding to
    ``RANK_DECIMALS`` decimals of a point, which only absorbs floating-point noise.
    ``grade`` is the first band whose ``min`` the unrounded index reaches
    (:meth:`~questionnaires.scoring.ScoringRules.grade`).

    References
    ----------
    Design notes, "How answers become points" (the index of a department: 58.40 + 21.35
    = 79.75 of 100, grade Khá; ranks 1, 2, 2, 4).  OECD/JRC, *Handbook on Constructing
    Composite Indicators*, 2008, step 6 (additive aggregation).

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis._example import worked_example
    >>> from analysis.scoring import survey_scores
    >>> ex = worked_example()
    >>> s = survey_scores(ex.answers, ex.forms, ex.rules, ex.units)
    >>> unit_index(s, ex.appraisal, ex.rules, ex.units)[
    ...     ["unit", "appraisal", "survey", "total", "index_pct", "rank", "grade_name"]]
             unit  appraisal    survey      total  index_pct  rank grade_name
    0  so-tu-phap       80.0  1.250000  81.250000  81.250000     1        Tốt
    1   so-noi-vu       76.5  1.416667  77.916667  77.916667     2        Khá
    """
    clean_units = check_units(units, rules)
    out = unit_totals(survey, appraisal, rules, clean_units, adjustments)
    raw = (out["appraisal"] + out["survey"] + out["bonus"] - out["penalty"]).to_numpy(dtype=float)
    top = out["max"].to_numpy(dtype=float)
    out["total"] = np.clip(raw, 0.0, top)
    out["index_pct"] = _ratio100(out["total"].to_numpy(dtype=float), top)
    out["rank"] = 0
    for kind in out["kind"].unique():
        rows = (out["kind"] == kind).to_numpy()
        out.loc[rows, "rank"] = min_rank(out.loc[rows, "index_pct"].to_numpy(dtype=float))
    out["rank"] = out["rank"].astype(np.int64)
    bands = [rules.grade(float(pct)) for pct in out["index_pct"]]
    out["grade"] = [b.code for b in bands]
    out["grade_name"] = [b.name.vi for b in bands]
    columns = ["unit", "name", "kind", "appraisal", "survey"]
    if adjustments is not None:
        columns += ["bonus", "penalty"]
    columns += ["total", "max", "index_pct", "rank", "grade", "grade_name", "missing_appraisal"]
    return out[columns].reset_index(drop=True)


def ranked_index(index: pd.DataFrame, survey: pd.DataFrame, rules: ScoringRules, *,
                 appraisal_final: bool) -> pd.DataFrame:
    r"""Rank and grade only the units that have earned it; say why the others are not.

    Parameters
    ----------
    index : pandas.DataFrame
        The output of :func:`unit_index` (``unit``, ``kind``, ``index_pct``,
        ``missing_appraisal`` are used).
    survey : pandas.DataFrame
        The output of :func:`analysis.survey_scores`: ``unit`` and ``n`` (valid
        answers per sub-criterion).
    rules : questionnaires.scoring.ScoringRules
        For the grade bands.
    appraisal_final : bool
        Whether the appraisal as a whole is finalised (locked).

    Returns
    -------
    pandas.DataFrame
        A copy of ``index`` with ``status`` (one of :data:`STATUSES`), and ``rank``
        (nullable integers), ``grade`` and ``grade_name`` left empty (``<NA>``,
        ``NaN``) for every unit that is not ranked.  Index, points and totals are kept
        for every unit.

    Raises
    ------
    ValueError
        If ``index`` or ``survey`` lacks a column.

    Notes
    -----
    ``status`` is the first that applies of:

    - ``no_survey``: no valid survey answer about the unit (every ``n`` is 0);
    - ``appraisal_missing``: an appraisal sub-criterion of the unit has no final score
      (``missing_appraisal > 0``);
    - ``appraisal_preliminary``: the unit's scores are final but the appraisal is not
      finalised as a whole, so they may still change;
    - ``ranked``.

    Ranks are taken within each kind among the ranked units only (the "min" method of
    :func:`unit_index`), so a unit left out never pushes another one down.

    References
    ----------
    README, "For analysts": a unit without valid survey answers or without a final
    appraisal is not ranked, and the reason is given.

    Examples
    --------
    >>> from analysis._example import worked_example
    >>> from analysis.scoring import survey_scores
    >>> ex = worked_example()
    >>> s = survey_scores(ex.answers, ex.forms, ex.rules, ex.units)
    >>> index = unit_index(s, ex.appraisal.iloc[:1], ex.rules, ex.units)
    >>> ranked_index(index, s, ex.rules, appraisal_final=True)[
    ...     ["unit", "index_pct", "rank", "grade_name", "status"]]
             unit  index_pct  rank grade_name             status
    0  so-tu-phap  81.250000     1        Tốt             ranked
    1   so-noi-vu   1.416667  <NA>        NaN  appraisal_missing
    >>> ranked_index(index, s, ex.rules, appraisal_final=False)["status"].tolist()
    ['appraisal_preliminary', 'appraisal_missing']
    """
    table = require_frame(index, "index", ("unit", "kind", "index_pct", "missing_appraisal"))
    counts = require_frame(survey, "survey", ("unit", "n"))
    answered = counts.groupby("unit")["n"].sum()
    out = table.copy()
    has_survey = out["unit"].map(answered).fillna(0).to_numpy() > 0
    missing = out["missing_appraisal"].to_numpy() > 0
    out["status"] = np.select(
        [~has_survey, missing, np.full(len(out), not appraisal_final)],
        ["no_survey", "appraisal_missing", "appraisal_preliminary"], default="ranked")
    ranked = (out["status"] == "ranked").to_numpy()
    rank = pd.array([pd.NA] * len(out), dtype="Int64")
    for kind in out["kind"].unique():
        rows = ranked & (out["kind"] == kind).to_numpy()
        if rows.any():
            rank[rows] = min_rank(out.loc[rows, "index_pct"].to_numpy(dtype=float))
    out["rank"] = rank
    bands = [rules.grade(float(p)) if r else None for p, r in zip(out["index_pct"], ranked)]
    out["grade"] = [b.code if b else None for b in bands]
    out["grade_name"] = [b.name.vi if b else None for b in bands]
    return out


def _ratio100(total: np.ndarray, top: np.ndarray) -> np.ndarray:
    out = np.zeros(len(total))
    np.divide(100.0 * total, top, out=out, where=top > 0)
    return out


def area_indices(survey: pd.DataFrame, appraisal: pd.DataFrame, rules: ScoringRules,
                 units: pd.DataFrame) -> pd.DataFrame:
    r"""Component index of every unit in every area (lĩnh vực) that applies to it.

    Parameters
    ----------
    survey, appraisal, rules, units
        As for :func:`unit_index`.

    Returns
    -------
    pandas.DataFrame
        Long format, one row per unit and area with a positive maximum for the unit's
        kind (units in order, areas in the order of the rules): ``unit``, ``area``,
        ``points`` (appraisal + survey points of the area's sub-criteria), ``max`` (sum of
        their maxima for the unit's kind), ``index_pct`` = 100 x points / max.

    Raises
    ------
    ValueError
        As :func:`unit_index`.

    Notes
    -----
    :math:`I_{u,a} = 100 \sum_{k \in a} p_{u,k} / \sum_{k \in a} M_{k,\text{kind}(u)}`.
    Bonus and penalty belong to no area and are left out.  An area none of whose
    sub-criteria applies to a kind (area 8 for departments in the built-in rules) has
    no row for units of that kind.

    References
    ----------
    OECD/JRC, *Handbook on Constructing Composite Indicators*, 2008, step 8 (back to
    the data: decomposition of the index).

    Examples
    --------
    >>> from analysis._example import worked_example
    >>> from analysis.scoring import survey_scores
    >>> ex = worked_example()
    >>> s = survey_scores(ex.answers, ex.forms, ex.rules, ex.units)
    >>> area_indices(s, ex.appraisal, ex.rules, ex.units)
             unit area     points    max  index_pct
    0  so-tu-phap  LV1  81.250000  100.0  81.250000
    1   so-noi-vu  LV1  77.916667  100.0  77.916667
    """
    clean_units = check_units(units, rules)
    app = _points_table(appraisal, "appraisal", APPRAISAL_COLUMNS, rules, clean_units, "appraisal")
    sur = _points_table(survey, "survey", SURVEY_COLUMNS, rules, clean_units, "survey")
    grid = pd.concat([criterion_grid(clean_units, rules, "appraisal"),
                      criterion_grid(clean_units, rules, "survey")], ignore_index=True)
    given = pd.concat([app, sur], ignore_index=True)[["unit", "criterion", "points"]]
    full = grid.merge(given, on=["unit", "criterion"], how="left")
    full["points"] = full["points"].fillna(0.0)
    area_order = {a.code: i for i, a in enumerate(rules.areas)}
    unit_order = {u: i for i, u in enumerate(clean_units["unit"])}
    out = full.groupby(["unit", "area"], sort=False).agg(
        points=("points", "sum"), max=("max_points", "sum")).reset_index()
    out = out.loc[out["max"] > 0].copy()
    out["_u"] = out["unit"].map(unit_order)
    out["_a"] = out["area"].map(area_order)
    out = out.sort_values(["_u", "_a"], kind="stable")
    out["index_pct"] = _ratio100(out["points"].to_numpy(dtype=float),
                                 out["max"].to_numpy(dtype=float))
    return out[["unit", "area", "points", "max", "index_pct"]].reset_index(drop=True)
