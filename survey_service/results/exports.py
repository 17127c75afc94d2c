"""The result tables as files and JSON: XLSX workbooks, the SPSS file, JSON records.

Workbooks and CSV files go through :mod:`survey_service.core.spreadsheets`: a free-text
answer or a unit name that looks like a formula stays text, and a control character
pasted into an answer cannot break the file.
"""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path
from typing import IO, Any

import pandas as pd
from pandas.api.types import is_float_dtype

from questionnaires import Form, Kind

from ..core.spreadsheets import frame_to_csv, xlsx_bytes
from .queries import Results

SCORE_COLUMNS = ("unit", "criterion", "n", "mean", "points", "max_points", "ci_low", "ci_high",
                 "dont_know_share")
INDEX_COLUMNS = ("unit", "kind", "appraisal", "survey", "total", "max", "index_pct", "rank",
                 "rank_low", "rank_high", "grade")


def to_xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    """Several tables as one workbook (sheet name -> table)."""
    return xlsx_bytes(sheets)


def to_csv(frame: pd.DataFrame, fh: IO[str]) -> None:
    """A table as CSV."""
    frame_to_csv(frame, fh)


def _spss_name(form: str, question: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "", f"{form}_{question}")


def responses_sav(answers: pd.DataFrame, forms: dict[str, Form]) -> bytes:
    """The answers as an SPSS file, one case per response and rated unit.

    Each question of each form is a variable named ``FORM_question`` (``CT01_q01``)
    with its Vietnamese text as the variable label; choices are coded 1, 2, ... in the
    order of the options, with their labels as value labels, and the option that
    carries no score ("Không biết") is declared user-missing.
    """
    import pyreadstat

    keys = ["response", "group", "form", "form_version", "unit", "rated_unit", "channel"]
    cases = answers[keys].drop_duplicates()
    # One case per response and rated unit; a response's answers not about a unit
    # (background) go on each of its cases, and make a case of their own only when the
    # response rates no unit at all.
    rated = cases[cases["rated_unit"] != ""]
    unrated = cases[(cases["rated_unit"] == "") & ~cases["response"].isin(rated["response"])]
    base = pd.concat([rated, unrated]).sort_values(["response", "rated_unit"]).reset_index(drop=True)
    labels: dict[str, str] = {k: k for k in keys}
    value_labels: dict[str, dict[float, str]] = {}
    missing: dict[str, list[float]] = {}
    columns: dict[str, pd.Series] = {}
    codes: dict[tuple[str, str], dict[str, float]] = {}
    for form in forms.values():
        for q in form.questions():
            name = _spss_name(form.code, q.code)
            labels[name] = q.label.vi.replace("{unit}", "[đơn vị]")[:250]
            if q.answer_kind is Kind.CHOICE:
                codes[(form.code, q.code)] = {o.value: float(i) for i, o in enumerate(q.options, 1)}
                value_labels[name] = {float(i): o.label.vi for i, o in enumerate(q.options, 1)}
                dk = [float(i) for i, o in enumerate(q.options, 1) if o.weight is None and q.scored]
                if dk:
                    missing[name] = dk
    wide = answers.copy()
    wide["var"] = [_spss_name(f, q) for f, q in zip(wide["form"], wide["question"])]
    wide["coded"] = [codes.get((f, q), {}).get(v, v) for f, q, v in
                     zip(wide["form"], wide["question"], wide["value"])]
    table = base.copy()
    for var, part in wide.groupby("var", sort=True):
        plain = part[part["rated_unit"] == ""]
        by_unit = part[part["rated_unit"] != ""]
        merged = table[["response", "rated_unit"]].merge(
            by_unit[["response", "rated_unit", "coded"]], how="left", on=["response", "rated_unit"])
        if not plain.empty:
            fill = table[["response"]].merge(plain[["response", "coded"]], how="left", on="response")
            merged["coded"] = merged["coded"].where(merged["coded"].notna(), fill["coded"])
        columns[var] = merged["coded"]
    for var, series in columns.items():
        numeric = var in value_labels
        table[var] = pd.to_numeric(series, errors="coerce") if numeric else series.fillna("").astype(str)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "responses.sav"
        pyreadstat.write_sav(table, str(path), column_labels=[labels.get(c, c) for c in table.columns],
                             variable_value_labels={k: v for k, v in value_labels.items() if k in table},
                             missing_ranges={k: v for k, v in missing.items() if k in table})
        return path.read_bytes()


#: Decimals of the numbers of the exports and reports, unless full precision is asked:
#: two for points and percentages, four for means and shares (on the 0..1 scale).
DECIMALS: dict[str, int] = {
    **dict.fromkeys(("appraisal", "survey", "total", "max", "bonus", "penalty", "points",
                     "max_points"), 2),
    **dict.fromkeys(("index_pct", "index_low", "index_high", "previous_index_pct"), 2),
    **dict.fromkeys(("mean", "ci_low", "ci_high", "dont_know_share"), 4),
}
PRECISIONS = ("2", "full")

#: The index export's columns after :data:`INDEX_COLUMNS`, in this order (then any other).
INDEX_EXTRA = ("name", "status", "grade_name", "missing_appraisal", "index_low", "index_high",
               "appraisal_preliminary", "preliminary", "previous_index_pct", "previous_rank",
               "previous_grade", "rank_change", "new_unit")


def rounded(frame: pd.DataFrame, precision: str = "2") -> pd.DataFrame:
    """``frame`` with points and percentages rounded to :data:`DECIMALS` (``"full"``: as is)."""
    if precision == "full":
        return frame
    out = frame.copy()
    for column, decimals in DECIMALS.items():
        if column in out.columns and is_float_dtype(out[column].dtype):
            out[column] = out[column].round(decimals)
    return out


def index_frame(results: Results, precision: str = "2") -> pd.DataFrame:
    """The index table as exported: interfaces' columns first, ``preliminary`` on every
    row, numbers rounded (see :func:`rounded`)."""
    frame = results.index.assign(preliminary=results.preliminary)
    first = [*INDEX_COLUMNS, *(c for c in INDEX_EXTRA if c in frame.columns)]
    frame = frame[[*first, *(c for c in frame.columns if c not in first)]]
    return rounded(frame.reset_index(drop=True), precision)


def score_frame(results: Results, precision: str = "2") -> pd.DataFrame:
    """The scores table as exported, ``preliminary`` on every row, numbers rounded."""
    frame = results.scores.assign(preliminary=results.preliminary)
    extra = [c for c in frame.columns if c not in SCORE_COLUMNS]
    return rounded(frame[[*SCORE_COLUMNS, *extra]].reset_index(drop=True), precision)


def index_records(results: Results, precision: str = "full") -> list[dict[str, Any]]:
    """The index table as JSON-ready records (interfaces' ``index`` columns first)."""
    return records(index_frame(results, precision))


def score_records(results: Results, precision: str = "full") -> list[dict[str, Any]]:
    """The scores table as JSON-ready records."""
    return records(score_frame(results, precision))


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready records: plain numbers, None for every missing value."""
    out = []
    for record in frame.to_dict(orient="records"):
        out.append({k: plain_value(v) for k, v in record.items()})
    return out


def plain_value(value: Any) -> Any:
    """A value of a table as JSON and templates take it: plain numbers, None for missing."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


def csv_ready(frame: pd.DataFrame, precision: str = "2") -> pd.DataFrame:
    """Rounded columns written with their fixed number of decimals (``55.10``)."""
    if precision == "full":
        return frame
    out = frame.copy()
    for column, decimals in DECIMALS.items():
        if column in out.columns and is_float_dtype(out[column].dtype):
            out[column] = [("" if v != v else f"{v:.{decimals}f}") for v in out[column]]
    return out


def formatted_xlsx(sheets: dict[str, pd.DataFrame], precision: str = "2") -> bytes:
    """Several tables as one workbook, points and percentages shown with their decimals."""
    data = xlsx_bytes(sheets)
    if precision == "full":
        return data
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for cell in sheet[1]:
            decimals = DECIMALS.get(str(cell.value))
            if decimals is None:
                continue
            for (value,) in sheet.iter_rows(min_row=2, min_col=cell.column, max_col=cell.column):
                if isinstance(value.value, float | int):
                    value.number_format = "0." + "0" * decimals
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
