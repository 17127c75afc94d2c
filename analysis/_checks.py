"""Input checks shared by the analysis functions: each raises :class:`ValueError`.

The messages name what is wrong (the table, the column, the first offending codes) so
that an analyst can fix the data without reading the code.  Checks never use
``assert``, which ``python -O`` removes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from questionnaires.scoring import ScoringRules

#: Columns of the long answer table (one row per answer).
ANSWER_COLUMNS = ("response", "group", "form", "rated_unit", "question", "value")
#: Columns of the table of evaluated units.
UNIT_COLUMNS = ("unit", "kind")
#: Columns of the appraisal table (the appraisal council's points).
APPRAISAL_COLUMNS = ("unit", "criterion", "points")
#: Columns of a survey-score table that the index needs.
SURVEY_COLUMNS = ("unit", "criterion", "points")
#: Columns of the bonus / penalty table.
ADJUSTMENT_COLUMNS = ("unit", "bonus", "penalty")

#: Points may exceed a maximum by this much (points are written with 2 decimals and
#: sums of floats carry rounding noise).
POINTS_TOLERANCE = 1e-9


def examples(values: Iterable[object], limit: int = 5) -> str:
    """Up to ``limit`` distinct values, quoted and comma separated, then "..." if more."""
    seen = list(dict.fromkeys(str(v) for v in values))
    text = ", ".join(repr(v) for v in seen[:limit])
    return text + (f", ... ({len(seen)} in all)" if len(seen) > limit else "")


def require_frame(frame: object, name: str, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` itself if it is a DataFrame with every one of ``columns``."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, not {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing the column(s) {', '.join(map(repr, missing))} "
                         f"(it needs {', '.join(columns)})")
    return frame


def as_code(series: pd.Series) -> pd.Series:
    """A code column as text, with missing values as ``""``."""
    out = series.astype("object").where(series.notna(), "")
    return out.astype(str)


def is_blank(series: pd.Series) -> np.ndarray:
    """Where ``series`` is missing or text of spaces only (checked once per distinct value)."""
    codes = as_code(series)
    blanks = [v for v in codes.unique() if not v.strip()]
    return codes.isin(blanks).to_numpy()


def require_codes(frame: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    """Every value of ``columns`` is a non-empty code."""
    for column in columns:
        blank = is_blank(frame[column])
        if blank.any():
            raise ValueError(f"{name}: {int(blank.sum())} row(s) have no {column!r}")


def check_units(units: object, rules: ScoringRules) -> pd.DataFrame:
    """The evaluated units as a clean frame ``unit, kind, name`` (name "" if absent).

    Every kind must be one the rules give shares for; codes must be unique.
    """
    frame = require_frame(units, "units", UNIT_COLUMNS)
    out = pd.DataFrame({
        "unit": as_code(frame["unit"]).to_numpy(),
        "kind": as_code(frame["kind"]).to_numpy(),
        "name": (as_code(frame["name"]) if "name" in frame.columns
                 else pd.Series([""] * len(frame), dtype=object)).to_numpy(),
    })
    require_codes(out, "units", ("unit",))
    dupes = out.loc[out["unit"].duplicated(), "unit"]
    if len(dupes):
        raise ValueError(f"units: duplicate unit code(s) {examples(dupes)}")
    unknown = out.loc[~out["kind"].isin(list(rules.shares)), "kind"]
    if len(unknown):
        raise ValueError(f"units: unknown unit kind(s) {examples(unknown)}; the scoring rules "
                         f"know {', '.join(rules.shares) or 'none'}")
    return out


def check_points(frame: pd.DataFrame, name: str, column: str = "points") -> np.ndarray:
    """The ``column`` of ``frame`` as finite floats (ValueError naming the bad rows)."""
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(f"{name}: {column!r} must be a finite number; "
                         f"{int(bad.sum())} row(s) are not "
                         f"(first: {examples(frame.loc[bad, column].tolist(), 3)})")
    return values
