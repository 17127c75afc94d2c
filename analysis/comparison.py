"""Comparison with the previous round: index, rank and grade of the same unit a year before.

Units keep their codes from one round to the next, so a unit is matched by its code.
The published results say how each unit moved ("up three places") and how many units
each grade holds against the previous year.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._checks import require_frame

__all__ = ["COMPARISON_COLUMNS", "compare_rounds", "grade_counts"]

#: The columns :func:`compare_rounds` adds.
COMPARISON_COLUMNS = ("previous_index_pct", "previous_rank", "previous_grade", "rank_change",
                      "new_unit")

_INDEX_COLUMNS = ("unit", "kind", "index_pct", "rank", "grade")


def compare_rounds(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    r"""Each unit of this round with its index, rank and grade of the previous round.

    Parameters
    ----------
    current : pandas.DataFrame
        This round's index: ``unit``, ``kind``, ``index_pct``, ``rank`` (empty for a
        unit not ranked), ``grade`` (as :func:`analysis.index.ranked_index` gives it).
    previous : pandas.DataFrame or None
        The previous round's index, the same columns; None when there is no previous
        round.

    Returns
    -------
    pandas.DataFrame
        A copy of ``current`` with the columns of :data:`COMPARISON_COLUMNS`:
        ``previous_index_pct`` (float, NaN where none), ``previous_rank`` (nullable
        integer), ``previous_grade`` (the grade code), ``rank_change`` (nullable integer:
        places gained, previous rank minus this rank; positive is up) and ``new_unit``
        (True for a unit the previous round did not have; always False without a previous
        round).

    Raises
    ------
    ValueError
        If a table lacks a column or repeats a unit.

    Notes
    -----
    Units are matched by code.  ``rank_change`` is given only where the unit is ranked in
    both rounds and of the same kind in both; ranks are within a kind, so a unit that
    moved from one kind to another is not compared.

    References
    ----------
    The provinces' published PAR Index decisions compare each unit with the year
    before ("tăng 3 bậc", up three places) and the grade counts with the previous year.

    Examples
    --------
    >>> now = pd.DataFrame({"unit": ["a", "b", "c", "d"], "kind": ["department"] * 4,
    ...                     "index_pct": [81.0, 79.5, 70.0, 66.0],
    ...                     "rank": pd.array([1, 2, 3, None], dtype="Int64"),
    ...                     "grade": ["tot", "kha", "kha", None]})
    >>> before = pd.DataFrame({"unit": ["a", "b", "d"], "kind": ["department"] * 3,
    ...                        "index_pct": [75.0, 82.25, 60.0],
    ...                        "rank": pd.array([2, 1, 3], dtype="Int64"),
    ...                        "grade": ["kha", "tot", "trung_binh"]})
    >>> compare_rounds(now, before)[["unit", "rank", "previous_rank", "rank_change",
    ...                              "previous_index_pct", "new_unit"]]
      unit  rank  previous_rank  rank_change  previous_index_pct  new_unit
    0    a     1              2            1               75.00     False
    1    b     2              1           -1               82.25     False
    2    c     3           <NA>         <NA>                 NaN      True
    3    d  <NA>              3         <NA>               60.00     False
    """
    table = _checked(current, "current")
    out = table.copy()
    if previous is None:
        out["previous_index_pct"] = np.nan
        out["previous_rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["previous_grade"] = pd.Series([None] * len(out), index=out.index, dtype=object)
        out["rank_change"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["new_unit"] = False
        return out
    before = _checked(previous, "previous").set_index("unit")
    matched = out["unit"].isin(before.index).to_numpy()
    out["previous_index_pct"] = out["unit"].map(before["index_pct"]).astype(float)
    out["previous_rank"] = pd.array(out["unit"].map(before["rank"]), dtype="Int64")
    out["previous_grade"] = out["unit"].map(before["grade"]).astype(object)
    same_kind = (out["unit"].map(before["kind"]) == out["kind"]).to_numpy()
    change = (out["previous_rank"] - pd.array(out["rank"], dtype="Int64"))
    out["rank_change"] = change.where(same_kind, pd.NA).astype("Int64")
    out["new_unit"] = ~matched
    return out


def grade_counts(current: pd.DataFrame, previous: pd.DataFrame | None,
                 grades: Sequence[str]) -> pd.DataFrame:
    r"""How many ranked units each grade holds, per kind, this round and the previous one.

    Parameters
    ----------
    current, previous : pandas.DataFrame
        As for :func:`compare_rounds` (``kind`` and ``grade``; a unit not ranked has no
        grade and is not counted); ``previous`` may be None.
    grades : sequence of str
        The grade codes in the order to show them (the scoring rules' bands).

    Returns
    -------
    pandas.DataFrame
        One row per kind (in the order they first appear in ``current``) and grade (in
        the order given): ``kind``, ``grade``, ``count``, ``previous_count`` (nullable
        integer; empty without a previous round).

    Raises
    ------
    ValueError
        If a table lacks a column.

    Notes
    -----
    Only graded (ranked) units are counted, so the counts of a kind add up to the
    number of its ranked units, not of all its units.

    References
    ----------
    As :func:`compare_rounds`.

    Examples
    --------
    >>> now = pd.DataFrame({"unit": ["a", "b", "c"], "kind": ["district"] * 3,
    ...                     "grade": ["tot", "kha", None]})
    >>> before = pd.DataFrame({"unit": ["a", "b"], "kind": ["district"] * 2,
    ...                        "grade": ["kha", "kha"]})
    >>> grade_counts(now, before, ["tot", "kha", "yeu"])
           kind grade  count  previous_count
    0  district   tot      1               0
    1  district   kha      1               2
    2  district   yeu      0               0
    """
    table = require_frame(current, "current", ("kind", "grade"))
    rows = []
    before = require_frame(previous, "previous", ("kind", "grade")) if previous is not None else None
    for kind in pd.unique(table["kind"]):
        mine = table.loc[table["kind"] == kind, "grade"].value_counts()
        theirs = (before.loc[before["kind"] == kind, "grade"].value_counts()
                  if before is not None else None)
        for grade in grades:
            rows.append((kind, grade, int(mine.get(grade, 0)),
                         int(theirs.get(grade, 0)) if theirs is not None else pd.NA))
    out = pd.DataFrame(rows, columns=["kind", "grade", "count", "previous_count"])
    out["count"] = out["count"].astype(np.int64)
    out["previous_count"] = out["previous_count"].astype("Int64")
    return out


def _checked(frame: object, name: str) -> pd.DataFrame:
    table = require_frame(frame, name, _INDEX_COLUMNS)
    twice = table["unit"].duplicated()
    if twice.any():
        raise ValueError(f"{name}: more than one row for unit(s) {sorted(table.loc[twice, 'unit'])[:5]}")
    return table
