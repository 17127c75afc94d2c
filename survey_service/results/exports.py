"""The result tables as files and JSON: XLSX workbooks, the SPSS file, JSON records.

Workbooks and CSV files go through :mod:`survey_service.core.spreadsheets`: a free-text
answer or a unit name that looks like a formula stays text, and a control character
pasted into an answer cannot break the file.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import IO, Any

import pandas as pd

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


def index_records(results: Results) -> list[dict[str, Any]]:
    """The index table as JSON-ready records (interfaces' ``index`` columns first)."""
    frame = results.index.copy()
    extra = [c for c in frame.columns if c not in INDEX_COLUMNS]
    frame = frame[[*INDEX_COLUMNS, *extra]]
    return _records(frame)


def score_records(results: Results) -> list[dict[str, Any]]:
    """The scores table as JSON-ready records."""
    frame = results.scores
    extra = [c for c in frame.columns if c not in SCORE_COLUMNS]
    return _records(frame[[*SCORE_COLUMNS, *extra]])


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for record in frame.to_dict(orient="records"):
        out.append({k: (None if isinstance(v, float) and v != v else
                        v.item() if hasattr(v, "item") else v) for k, v in record.items()})
    return out
