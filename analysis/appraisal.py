"""Appraisal of the self-assessment: the rules a unit's scores must follow, and what counts.

Every year each evaluated unit scores itself against the appraisal sub-criteria of the
PAR Index (tự đánh giá, chấm điểm), with an evidence note per sub-criterion; the
appraisal council (Hội đồng thẩm định) then gives its own score, with the reason of
every correction.  This module holds the rules, on plain values and DataFrames; the
Excel workbook the scores are typed into is written and read by the service, which
hands the rows it finds to :func:`appraisal_frame`.

:func:`appraisal_frame`
    Checks the rows entered for a unit (:class:`AppraisalRow`: raw cell values, as
    typed) against the scoring rules and builds the frame of :data:`FRAME_COLUMNS`, one
    row per sub-criterion in the order of the rules, or records every problem (codes in
    :data:`APPRAISAL_PROBLEMS`), each placed where the caller says (a sheet and cell,
    ``Tự đánh giá!E12``).

What counts
    The appraised score is what counts, never the self-score.  A row the council has
    not appraised yet has an empty ``appraised``, ``points`` NaN and the status
    ``pending``; :func:`final_points` refuses to give points while any row is pending.
    A blank self-score means that the unit claims no points on that row: it stays NaN
    in the frame, and compares as 0 with the appraised score (so appraising it above 0
    is a correction, which needs a reason, like any appraised score that differs from
    the self-score).  :func:`corrections` lists every correction with its difference
    and reason.

Scores
    A score is a number from 0 to the sub-criterion's maximum; typed as text it is
    accepted with a decimal comma or point (``2,5``, ``2.5``), see :func:`parse_score`.

:func:`rules_fingerprint` identifies the appraisal sub-criteria of a kind of unit (their
codes and maxima), so that a workbook made from other rules can be recognised.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from questionnaires.problems import DataFileError, ProblemList

if TYPE_CHECKING:  # pragma: no cover
    from questionnaires.scoring import ScoringRules, SubCriterion

#: The columns of :attr:`AppraisalSheet.frame` and of :func:`appraisal_frame`.
FRAME_COLUMNS = ("unit", "criterion", "max_points", "self_score", "evidence", "appraised",
                 "reason", "points", "status", "row")
#: Status of a row: the council has not appraised it yet.
STATUS_PENDING = "pending"
#: Status of a row: the council confirmed the self-score.
STATUS_CONFIRMED = "confirmed"
#: Status of a row: the council corrected the self-score (with a reason).
STATUS_CORRECTED = "corrected"

#: Tolerance when comparing scores (they are written with 2 decimals).
_EPS = 1e-9

#: Problems of the rows entered for a unit (and of :func:`final_points`).
APPRAISAL_PROBLEMS: dict[str, tuple[str, str]] = {
    "unknown_criterion": ("'{criterion}' không phải là mã của một tiêu chí thành phần chấm bằng "
                          "thẩm định áp dụng cho loại đơn vị '{kind}'",
                          "'{criterion}' is not the code of an appraisal sub-criterion that "
                          "applies to units of the kind '{kind}'"),
    "duplicate_row": ("tiêu chí '{criterion}' đã có ở dòng {first}",
                      "the sub-criterion '{criterion}' is already on row {first}"),
    "missing_row": ("thiếu dòng của tiêu chí '{criterion}' ({name})",
                    "the row of the sub-criterion '{criterion}' ({name}) is missing"),
    "code_missing": ("dòng có điểm hoặc ghi chú nhưng không có mã tiêu chí",
                     "the row has scores or notes but no sub-criterion code"),
    "max_mismatch": ("điểm tối đa ghi trong tệp là {found}, theo bộ tiêu chí là {expected}",
                     "the file gives {found} as the maximum, the scoring rules {expected}"),
    "not_number": ("'{value}' không phải là một số",
                   "'{value}' is not a number"),
    "below_zero": ("điểm {value} nhỏ hơn 0", "the score {value} is below 0"),
    "above_max": ("điểm {value} lớn hơn điểm tối đa {max} của tiêu chí '{criterion}'",
                  "the score {value} is above the maximum {max} of '{criterion}'"),
    "reason_missing": ("điểm thẩm định ({appraised}) khác điểm tự chấm ({self_score}) nhưng "
                       "chưa ghi lý do điều chỉnh",
                       "the appraised score ({appraised}) differs from the self-score "
                       "({self_score}) but no reason is given"),
    "not_appraised": ("chưa có điểm thẩm định của Hội đồng (dòng {row})",
                      "the council has not appraised it yet (row {row})"),
}

#: The keys of the values of a row, as :func:`appraisal_frame` names a place.
ROW_KEYS = ("code", "name", "max", "self_score", "evidence", "appraised", "reason")
_SCORE_KEYS = ("self_score", "appraised")


# == the fingerprint ===================================================================

def rules_fingerprint(rules: ScoringRules, kind: str) -> str:
    """A short hash of the appraisal sub-criteria of ``kind``: their codes and maxima,
    in order.  Names may be reworded without changing it; a new year's or version's
    criteria or points change it.

    >>> from questionnaires.scoring import _example_rules
    >>> len(rules_fingerprint(_example_rules(), "department"))
    16
    """
    items = [[sub.code, round(float(sub.max_for(kind) or 0), 6)]
             for _, _, sub in rules.subcriteria(kind, "appraisal")]
    digest = hashlib.sha256(json.dumps(items, separators=(",", ":")).encode("utf-8"))
    return digest.hexdigest()[:16]


# == the rows entered ==================================================================

@dataclass(frozen=True)
class CellProblem:
    """A value the caller could not use, with the problem to report in its place.

    ``code`` must be in the catalogue of the caller's
    :class:`~questionnaires.problems.ProblemList` (a formula without its computed value,
    say); :func:`appraisal_frame` records it where the value's problems go, in order,
    and treats the value as unusable.
    """

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AppraisalRow:
    """One row entered for a unit: the values as typed (numbers, texts or None).

    ``row`` is where it comes from (the row of a sheet), for the problems and the
    frame's ``row`` column; ``name`` is only used to recognise a totals row.  Any value
    may be a :class:`CellProblem`.
    """

    row: int
    code: Any = None
    name: Any = None
    max: Any = None
    self_score: Any = None
    evidence: Any = None
    appraised: Any = None
    reason: Any = None


class _Unusable:
    """A value that could not be used (its problem is recorded)."""


_UNUSABLE = _Unusable()
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")


def parse_score(value: Any) -> float | None:
    """A score as typed: a number, or a text with a decimal comma or point; None if
    blank.

    Raises
    ------
    ValueError
        If ``value`` is not a number (a boolean, a date, NaN, other text).

    >>> parse_score("2,5"), parse_score(" 3 "), parse_score(1), parse_score(""), parse_score(None)
    (2.5, 3.0, 1.0, None, None)
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(value)
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "")
        if not text:
            return None
        if _NUMBER_TEXT.fullmatch(text):
            return float(text.replace(",", "."))
    raise ValueError(value)


def cell_text(value: Any) -> str:
    """A value as a stripped text; ``2.0`` as ``2``, a date in ISO form, None as ``""``.

    >>> cell_text(None), cell_text(2.0), cell_text(" LV1.TD1 ")
    ('', '2', 'LV1.TD1')
    """
    if value is None or isinstance(value, CellProblem):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value).strip()


def _fmt(x: float) -> str:
    return f"{x:g}"


def appraisal_frame(rows: Iterable[AppraisalRow], rules: ScoringRules, *, kind: str,
                    unit_code: str, problems: ProblemList, place: Callable[[int, str], str],
                    missing_place: str, lang: str = "vi") -> pd.DataFrame | None:
    """Check the rows entered for a unit and build its frame.

    Parameters
    ----------
    rows:
        The rows, in order.  Rows whose code is an area or a criterion of the rules
        are headings and skipped; a row without a code is skipped when it is empty,
        else reported (``code_missing``); a totals row is the caller's to leave out.
    rules:
        The scoring rules: their appraisal sub-criteria that apply to ``kind``.
    kind, unit_code:
        The kind and code of the unit.
    problems:
        Where the problems go; its catalogue must hold :data:`APPRAISAL_PROBLEMS` (and
        the codes of any :class:`CellProblem`).
    place:
        ``place(row, key)``: where the value ``key`` (one of :data:`ROW_KEYS`) of the
        row numbered ``row`` is, as a problem names it (``Tự đánh giá!E12``).
    missing_place:
        The place of a missing row (``Tự đánh giá!A6:A80``).
    lang:
        The language of the sub-criterion names in the messages (``vi`` or ``en``).

    Returns
    -------
    pandas.DataFrame or None
        The columns :data:`FRAME_COLUMNS`, one row per sub-criterion in the order of
        the rules; None if ``problems`` holds any problem (found here or before).

    Checks: every sub-criterion once (``unknown_criterion``, ``duplicate_row``,
    ``missing_row``); the maximum, if given, as in the rules (``max_mismatch``); scores
    from 0 to the maximum (``not_number``, ``below_zero``, ``above_max``); a reason for
    every appraised score that differs from the self-score (``reason_missing``).
    """
    expected = {sub.code: sub for _, _, sub in rules.subcriteria(kind, "appraisal")}
    headings = {code for area in rules.areas
                for code in (area.code, *(c.code for c in area.criteria))}
    checker = _RowChecker(kind, problems, place)
    records: dict[str, dict[str, Any]] = {}
    for entered in rows:
        code = cell_text(entered.code)
        if code in headings and code not in expected:
            continue
        if not code:
            if any(cell_text(v) or isinstance(v, CellProblem) for v in
                   (entered.self_score, entered.evidence, entered.appraised, entered.reason)):
                problems.add("code_missing", place(entered.row, "code"))
            continue
        sub = expected.get(code)
        if sub is None:
            problems.add("unknown_criterion", place(entered.row, "code"), criterion=code,
                         kind=kind)
        elif code in records:
            problems.add("duplicate_row", place(entered.row, "code"), criterion=code,
                         first=records[code]["row"])
        else:
            records[code] = checker.record(entered, sub)
    for code, sub in expected.items():
        if code not in records:
            problems.add("missing_row", missing_place, criterion=code, name=sub.name.get(lang))
    if problems:
        return None
    return _frame(unit_code, [records[code] for code in expected])


class _RowChecker:
    """The checks of one sub-criterion's row."""

    def __init__(self, kind: str, problems: ProblemList, place: Callable[[int, str], str]):
        self.kind = kind
        self.p = problems
        self.place = place

    def record(self, entered: AppraisalRow, sub: SubCriterion) -> dict[str, Any]:
        row = entered.row
        top = float(sub.max_for(self.kind) or 0)
        self._check_max(entered, top)
        scores = {key: self._score(row, key, getattr(entered, key), sub.code, top)
                  for key in _SCORE_KEYS}
        self_score, appraised = scores["self_score"], scores["appraised"]
        evidence, reason = cell_text(entered.evidence), cell_text(entered.reason)
        for key in ("evidence", "reason"):
            self._cell_problem(row, key, getattr(entered, key))
        if isinstance(appraised, float) and not isinstance(self_score, _Unusable):
            claimed = self_score if self_score is not None else 0.0
            if abs(appraised - claimed) > _EPS and not reason:
                self.p.add("reason_missing", self.place(row, "reason"),
                           appraised=_fmt(appraised),
                           self_score=_fmt(self_score) if self_score is not None else "-")
        return {"code": sub.code, "row": row, "max_points": top, "self_score": self_score,
                "evidence": evidence, "appraised": appraised, "reason": reason}

    def _cell_problem(self, row: int, key: str, value: Any) -> bool:
        if isinstance(value, CellProblem):
            self.p.add(value.code, self.place(row, key), **value.params)
            return True
        return False

    def _check_max(self, entered: AppraisalRow, expected: float) -> None:
        raw = entered.max
        if self._cell_problem(entered.row, "max", raw):
            return
        try:
            found = parse_score(raw)
        except ValueError:
            found = math.nan
        if found is not None and not abs(found - expected) <= _EPS:
            self.p.add("max_mismatch", self.place(entered.row, "max"), found=cell_text(raw),
                       expected=_fmt(expected))

    def _score(self, row: int, key: str, value: Any, code: str,
               top: float) -> float | None | _Unusable:
        if self._cell_problem(row, key, value):
            return _UNUSABLE
        place = self.place(row, key)
        try:
            number = parse_score(value)
        except ValueError:
            self.p.add("not_number", place, value=cell_text(value))
            return _UNUSABLE
        if number is None:
            return None
        if number < -_EPS:
            self.p.add("below_zero", place, value=_fmt(number))
            return _UNUSABLE
        if number > top + _EPS:
            self.p.add("above_max", place, value=_fmt(number), max=_fmt(top), criterion=code)
            return _UNUSABLE
        return number


def _frame(unit: str, records: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for r in records:
        appraised, self_score = r["appraised"], r["self_score"]
        if appraised is None:
            status = STATUS_PENDING
        elif abs(appraised - (self_score if self_score is not None else 0.0)) > _EPS:
            status = STATUS_CORRECTED
        else:
            status = STATUS_CONFIRMED
        rows.append({
            "unit": unit, "criterion": r["code"], "max_points": r["max_points"],
            "self_score": math.nan if self_score is None else self_score,
            "evidence": r["evidence"],
            "appraised": math.nan if appraised is None else appraised,
            "reason": r["reason"],
            "points": math.nan if appraised is None else appraised,
            "status": status, "row": r["row"],
        })
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    for column in ("max_points", "self_score", "appraised", "points"):
        frame[column] = frame[column].astype(float)
    frame["row"] = frame["row"].astype(int)
    return frame


# == what counts =======================================================================

@dataclass(eq=False)
class AppraisalSheet:
    """A unit's appraisal, read and checked.

    ``frame`` has the columns :data:`FRAME_COLUMNS`, one row per appraisal
    sub-criterion of the kind, in the order of the rules:

    ``unit``, ``criterion``
        The unit's and the sub-criterion's codes.
    ``max_points``
        The maximum from the rules.
    ``self_score``, ``evidence``
        The unit's score (NaN if blank: no points claimed) and its evidence note.
    ``appraised``, ``reason``
        The council's score (NaN until appraised) and the reason of a correction.
    ``points``
        What counts: the appraised score; NaN while the row is pending.
    ``status``
        :data:`STATUS_PENDING`, :data:`STATUS_CONFIRMED` or :data:`STATUS_CORRECTED`.
    ``row``
        The row (of the sheet) the values come from.

    ``source`` names where it was read from, ``meta`` holds what the source says
    about itself (the template, the year ...).
    """

    unit: str
    kind: str
    year: int | None
    frame: pd.DataFrame
    source: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """True when the council has appraised every row."""
        return bool((self.frame["status"] != STATUS_PENDING).all())

    def corrections(self) -> pd.DataFrame:
        """See :func:`corrections`."""
        return corrections(self.frame)

    def final_points(self) -> pd.Series:
        """See :func:`final_points`."""
        return final_points(self.frame)


def corrections(df: pd.DataFrame) -> pd.DataFrame:
    """The rows the council corrected: appraised and different from the self-score (a
    blank self-score counting as 0), with ``difference`` = appraised - self-score and the
    reason.  Columns: ``unit, criterion, max_points, self_score, appraised, difference,
    reason`` (and ``row`` when ``df`` has it)."""
    appraised = df["appraised"].astype(float)
    claimed = df["self_score"].astype(float).fillna(0.0)
    difference = appraised - claimed
    mask = appraised.notna() & (difference.abs() > _EPS)
    columns = ["unit", "criterion", "max_points", "self_score", "appraised", "reason"]
    columns += [c for c in ("row",) if c in df.columns]
    out = df.loc[mask, columns].copy()
    out.insert(columns.index("appraised") + 1, "difference", difference[mask])
    return out.reset_index(drop=True)


def final_points(df: pd.DataFrame) -> pd.Series:
    """The points that count: the appraised scores, as a Series named ``points`` indexed
    by (``unit``, ``criterion``).

    Raises
    ------
    DataFileError
        (a ValueError) listing every row without an appraised score, with code
        ``not_appraised``: a self-score never counts in its place.
    """
    pending = df[df["appraised"].isna()]
    if len(pending):
        problems = ProblemList(APPRAISAL_PROBLEMS)
        for record in pending.to_dict("records"):
            row = record.get("row")
            problems.add("not_appraised", f"{record['unit']} / {record['criterion']}",
                         row=int(row) if row is not None and not pd.isna(row) else "?")
        raise DataFileError("điểm thẩm định (appraised points)", problems.problems)
    index = pd.MultiIndex.from_arrays([df["unit"], df["criterion"]], names=["unit", "criterion"])
    return pd.Series(df["appraised"].astype(float).to_numpy(), index=index, name="points")


__all__ = [
    "APPRAISAL_PROBLEMS",
    "FRAME_COLUMNS",
    "ROW_KEYS",
    "STATUS_CONFIRMED",
    "STATUS_CORRECTED",
    "STATUS_PENDING",
    "AppraisalRow",
    "AppraisalSheet",
    "CellProblem",
    "appraisal_frame",
    "cell_text",
    "corrections",
    "final_points",
    "parse_score",
    "rules_fingerprint",
]
