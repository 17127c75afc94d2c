"""The satisfaction index of a round: which round, the table, its files and JSON answer.

The index (:func:`analysis.satisfaction_index`) is computed from the answers of the
round's *sampled groups* (citizens and organisations drawn from the one-stop desks'
rosters), one form at a time, per rated unit and area.  Like every result it reads
only responses and answers: never a slot, a roster or a name, so nothing in it links
an answer to a person.

Which round: the one asked for (``--plan CODE``, ``?plan=CODE``); otherwise the
current round if it has a sampled group, else the latest stored round that has one
(:func:`satisfaction_round`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, Any

import pandas as pd
from pandas.api.types import is_float_dtype
from sqlalchemy.orm import Session

import analysis
import sampling

from ..citizens.queries import sampled_round
from ..core.errors import ServiceError
from ..core.models import SurveyPlan
from ..core.spreadsheets import frame_to_csv, xlsx_bytes
from ..plans.queries import get_plan_row
from .exports import records
from .queries import responses_frame, survey_closed

#: Columns of ``export satisfaction`` (and of the API's ``satisfaction`` rows), in order.
COLUMNS = ("form", "unit", "name", "area", *analysis.SATISFACTION_COLUMNS[2:], "preliminary")

#: Decimals of the shares and means in the exports (``--precision 2``, the default).
DECIMALS = 4

#: The confidence level of the intervals.
CONFIDENCE = 0.95


def satisfaction_groups(plan: sampling.Plan) -> list[sampling.Group]:
    """The groups whose answers make the satisfaction index: sampled groups with a form."""
    return [g for g in plan.sampled_groups() if g.form]


def satisfaction_round(session: Session, code: str | None = None) -> SurveyPlan | None:
    """The round of the satisfaction index.

    ``code``: that stored round (None if there is none, whatever its groups).  Without
    one: the current round if it has a sampled group, else the latest stored round that
    has one; None when no stored round has.
    """
    if code is not None:
        return get_plan_row(session, code)
    try:
        return sampled_round(session)[0]
    except ServiceError:
        return None


@dataclass(frozen=True)
class Satisfaction:
    """The satisfaction index of one round, as exported (full precision)."""

    plan: str
    #: The sampled groups the answers come from.
    groups: tuple[str, ...]
    #: One row per form, rated unit and area with answers: the columns of :data:`COLUMNS`.
    table: pd.DataFrame
    #: Completed forms of those groups.
    responses: int
    survey_closed: bool

    @property
    def preliminary(self) -> bool:
        """Computed before the survey closed."""
        return not self.survey_closed

    @property
    def empty(self) -> bool:
        """No answer of a sampled group yet."""
        return self.table.empty


def compute_satisfaction(session: Session, row: SurveyPlan, plan: sampling.Plan) -> Satisfaction:
    """The satisfaction index of round ``row`` (an empty table without sampled groups or
    answers)."""
    groups = satisfaction_groups(plan)
    answers = responses_frame(session, row.id)
    answers = answers[answers["group"].isin([g.code for g in groups])]
    names = {u.code: u.name for u in plan.units}
    parts = []
    for code in dict.fromkeys(g.form for g in groups):
        mine = answers[answers["form"] == code]
        if mine.empty:
            continue
        part = analysis.satisfaction_index(mine, plan.forms[code], confidence=CONFIDENCE)
        part.insert(0, "form", code)
        part.insert(2, "name", part["unit"].map(names).fillna(""))
        parts.append(part)
    closed = survey_closed(plan)
    table = (pd.concat(parts, ignore_index=True) if parts
             else pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS[:-1]}))
    table = table.assign(preliminary=not closed)[list(COLUMNS)]
    return Satisfaction(plan=row.code, groups=tuple(g.code for g in groups), table=table,
                        responses=int(answers["response"].nunique()), survey_closed=closed)


def satisfaction_frame(result: Satisfaction, precision: str = "2") -> pd.DataFrame:
    """The table as exported: shares and means to :data:`DECIMALS` decimals (``"full"``: as is)."""
    frame = result.table.reset_index(drop=True)
    if precision == "full":
        return frame
    out = frame.copy()
    for column in out.columns:
        if is_float_dtype(out[column].dtype):
            out[column] = out[column].round(DECIMALS)
    return out


def to_json(result: Satisfaction, precision: str = "full") -> dict[str, Any]:
    """The JSON answer of ``/api/v1/satisfaction`` and of ``export satisfaction --format json``."""
    return {"plan": result.plan, "groups": list(result.groups), "responses": result.responses,
            "preliminary": result.preliminary, "survey_closed": result.survey_closed,
            "confidence": CONFIDENCE, "precision": precision,
            "satisfaction": records(satisfaction_frame(result, precision))}


def write_csv(frame: pd.DataFrame, fh: IO[str], precision: str = "2") -> None:
    """The table as CSV, shares and means with their fixed decimals (``0.8125``)."""
    if precision != "full":
        frame = frame.copy()
        for column in frame.columns:
            if is_float_dtype(frame[column].dtype):
                frame[column] = ["" if v != v else f"{v:.{DECIMALS}f}" for v in frame[column]]
    frame_to_csv(frame, fh)


def to_xlsx(frame: pd.DataFrame, precision: str = "2") -> bytes:
    """The table as a workbook (sheet ``satisfaction``), shares and means shown with their
    decimals."""
    data = xlsx_bytes({"satisfaction": frame})
    if precision == "full":
        return data
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    floats = {i + 1 for i, c in enumerate(frame.columns) if is_float_dtype(frame[c].dtype)}
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if cell.column in floats and isinstance(cell.value, float | int):
                cell.number_format = "0." + "0" * DECIMALS
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
