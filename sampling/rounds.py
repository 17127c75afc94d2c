"""Yearly rounds: next year's plan document from this year's.

Every year the same province runs a new round with the same units (their codes are
stable), groups, quotas, forms and scoring rules.  :func:`next_round` copies a plan
document (as :meth:`sampling.Plan.to_dict` gives it, or as read from a ``plan.yaml``)
for a later year: a new code and year, the year in the title moved along, and every
deadline moved by the same number of years unless it is given.  The copy is plain data
for the province to edit and load; nothing here reads or writes a file.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["next_round", "shift_years"]


def shift_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved by ``years`` calendar years (29 February becomes 28 February).

    >>> shift_years(dt.date(2021, 2, 28), 1)
    datetime.date(2022, 2, 28)
    >>> shift_years(dt.date(2024, 2, 29), 1)
    datetime.date(2025, 2, 28)
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def _as_date(value: Any, key: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"deadline {key!r} is not a date YYYY-MM-DD: {value!r}") from None


def next_round(document: Mapping[str, Any], *, code: str, year: int,
               deadlines: Mapping[str, dt.date] | None = None) -> dict[str, Any]:
    """A copy of a plan document for a later round.

    Parameters
    ----------
    document : mapping
        A plan document: :meth:`sampling.Plan.to_dict`, or a ``plan.yaml`` as read.
    code : str
        The new round's code, e.g. ``laichau-2021``.
    year : int
        The new round's year; after the old one.
    deadlines : mapping of str to datetime.date, optional
        Deadlines to set; every other deadline of the old round is moved by
        ``year - old year`` years (:func:`shift_years`).

    Returns
    -------
    dict
        A deep copy with ``code``, ``year``, ``deadlines`` (dates) and the year in the
        title (each language) replaced; units, groups, quotas, forms and rules as they
        were.  ``source`` (the legal basis) is kept: the new round's documents must be
        written in by the province.

    Raises
    ------
    ValueError
        If the code is empty, the year is not after the old one, or a deadline is not
        a date.

    Examples
    --------
    >>> old = {"code": "laichau-2020", "year": 2020,
    ...        "title": {"vi": "Chỉ số CCHC năm 2020", "en": "2020 PAR Index"},
    ...        "deadlines": {"survey": "2021-02-28", "appraisal": "2021-03-31"}}
    >>> new = next_round(old, code="laichau-2021", year=2021,
    ...                  deadlines={"appraisal": dt.date(2022, 4, 5)})
    >>> new["code"], new["year"], new["title"]["vi"], new["title"]["en"]
    ('laichau-2021', 2021, 'Chỉ số CCHC năm 2021', '2021 PAR Index')
    >>> {k: v.isoformat() for k, v in new["deadlines"].items()}
    {'survey': '2022-02-28', 'appraisal': '2022-04-05'}
    >>> old["code"], old["deadlines"]["survey"]   # the old document is left as it was
    ('laichau-2020', '2021-02-28')
    """
    if not str(code or "").strip():
        raise ValueError("the new round needs a code")
    old_year = int(document["year"])
    if int(year) <= old_year:
        raise ValueError(f"the new round's year ({year}) must come after the old one's ({old_year})")
    years = int(year) - old_year
    out = copy.deepcopy(dict(document))
    out["code"], out["year"] = str(code).strip(), int(year)
    title = out.get("title")
    if isinstance(title, Mapping):
        pattern = re.compile(rf"(?<!\d){old_year}(?!\d)")
        out["title"] = {k: pattern.sub(str(year), v) if isinstance(v, str) else v
                        for k, v in title.items()}
    moved = {key: shift_years(_as_date(value, key), years)
             for key, value in (out.get("deadlines") or {}).items()}
    for key, value in (deadlines or {}).items():
        moved[key] = _as_date(value, key)
    out["deadlines"] = moved
    return out
