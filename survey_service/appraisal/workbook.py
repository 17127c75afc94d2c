"""Reading a filled self-assessment workbook back (see :mod:`.layout` for its columns);
the template itself is written by :mod:`.template`."""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike, fspath
from typing import TYPE_CHECKING, Any

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from analysis.appraisal import (
    ROW_KEYS,
    AppraisalRow,
    AppraisalSheet,
    CellProblem,
    appraisal_frame,
    cell_text,
    rules_fingerprint,
)
from questionnaires.problems import ProblemList
from questionnaires.workbooks import (
    DEFAULT_LIMITS,
    SheetValues,
    WorkbookLimits,
    WorkbookSource,
    check_workbook,
    read_sheets,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from questionnaires.scoring import ScoringRules
from .layout import (
    COLUMNS,
    HEADER_SCAN_ROWS,
    META_SHEET,
    PROBLEMS,
    REQUIRED,
    SCORE_KEYS,
    SHEET_NAMES,
    TEMPLATE_ID,
    TEMPLATE_VERSION,
    TOTAL_LABELS,
    WORKBOOK_PROBLEMS,
)
from .template import appraisal_template


def read_appraisal(source: WorkbookSource, rules: ScoringRules, *, kind: str, unit_code: str,
                   limits: WorkbookLimits = DEFAULT_LIMITS) -> AppraisalSheet:
    """Read a filled-in :func:`appraisal_template` of the unit ``unit_code`` of ``kind``.

    Parameters
    ----------
    source:
        A file name, the workbook's bytes or a binary file object.
    rules:
        The scoring rules the template was made from.
    kind, unit_code:
        The kind and code of the unit the workbook must be for.
    limits:
        The bounds of :class:`~questionnaires.workbooks.WorkbookLimits` the file is held
        to before it is expanded; the defaults suit uploads.

    Returns
    -------
    AppraisalSheet

    Raises
    ------
    DataFileError
        With every problem found, placed by sheet and cell (codes in :data:`PROBLEMS`),
        or with the one problem that makes the file unreadable (``file_missing``,
        ``workbook_damaged``, ``workbook_wrong_format``, ``workbook_too_many_cells``
        ...).  When the workbook is not the right template (another unit, kind or set
        of rules) only those problems are reported: its rows cannot be checked against
        rules it was not made from.
    """
    name = fspath(source) if isinstance(source, str | PathLike) else getattr(source, "name", None)
    name = str(name) if isinstance(name, str | PathLike) and str(name) else None
    what = name or "tệp tự đánh giá (self-assessment workbook)"
    checked = check_workbook(source, what=what, limits=limits)
    values = read_sheets(checked, what=what)
    formulas = read_sheets(checked, what=what, data_only=False)
    problems = ProblemList(PROBLEMS, source=name)
    meta, wrong_template = _read_meta(values, problems, rules, kind, unit_code)
    if wrong_template:
        problems.raise_if_any(what)
    lang = str(meta.get("lang") or "vi")
    frame = _SheetReader(values, formulas, problems, rules, kind, unit_code, lang).read()
    problems.raise_if_any(what)
    assert frame is not None
    year = meta.get("year")
    return AppraisalSheet(unit=unit_code, kind=kind,
                          year=int(year) if isinstance(year, int | float) and year == year else None,
                          frame=frame, source=name, meta=meta)


def _find_sheet(sheets: list[SheetValues], names: Iterable[str]) -> int | None:
    """The index of the first sheet with one of ``names`` (any case and spacing)."""
    wanted = {n.strip().casefold() for n in names}
    for index, sheet in enumerate(sheets):
        if sheet.title.strip().casefold() in wanted:
            return index
    return None


def _read_meta(sheets: list[SheetValues], problems: ProblemList, rules: ScoringRules, kind: str,
               unit_code: str) -> tuple[dict[str, Any], bool]:
    """The ``meta`` sheet's values by key, and whether the workbook is the wrong template."""
    index = _find_sheet(sheets, [META_SHEET])
    if index is None:
        problems.add("sheet_missing", META_SHEET, sheet=META_SHEET)
        return {}, False
    sheet = sheets[index]
    meta: dict[str, Any] = {}
    cells: dict[str, str] = {}
    for number, row in enumerate(sheet.rows, start=1):
        key = cell_text(row[0] if row else None)
        if key and key not in meta:
            meta[key] = row[1] if len(row) > 1 else None
            cells[key] = f"{sheet.title}!B{number}"
    before = len(problems.problems)
    template = cell_text(meta.get("template"))
    version = meta.get("template_version")
    if template != TEMPLATE_ID:
        problems.add("template_unknown", cells.get("template", f"{sheet.title}!B1"),
                     value=template or "-")
    elif not isinstance(version, int) or isinstance(version, bool) or not \
            1 <= version <= TEMPLATE_VERSION:
        problems.add("template_unknown", cells.get("template_version", f"{sheet.title}!B2"),
                     value=f"{TEMPLATE_ID} v{cell_text(version) or '-'}")
    else:
        found_unit = cell_text(meta.get("unit"))
        if found_unit and found_unit != unit_code:
            problems.add("wrong_unit", cells["unit"], found=found_unit, expected=unit_code)
        found_kind = cell_text(meta.get("kind"))
        if found_kind != kind:
            problems.add("wrong_kind", cells.get("kind", f"{sheet.title}!B4"),
                         found=found_kind or "-", expected=kind)
        else:
            found = cell_text(meta.get("rules_fingerprint"))
            expected = rules_fingerprint(rules, kind)
            if found != expected:
                problems.add("rules_mismatch", cells.get("rules_fingerprint", f"{sheet.title}!B5"),
                             found=found or "-", expected=expected)
    return meta, len(problems.problems) > before


def _normal(text: Any) -> str:
    return " ".join(cell_text(text).split()).casefold()


def _formula_text(value: Any) -> str | None:
    """The formula a cell holds (as read with ``data_only=False``), or None."""
    if isinstance(value, ArrayFormula):
        return str(value.text)
    if isinstance(value, DataTableFormula):
        return "TABLE()"
    if isinstance(value, str) and value.startswith("="):
        return value
    return None


class _SheetReader:
    """Finds the data sheet and its header, and hands its rows to
    :func:`~analysis.appraisal.appraisal_frame`."""

    def __init__(self, values: list[SheetValues], formulas: list[SheetValues],
                 problems: ProblemList, rules: ScoringRules, kind: str, unit_code: str,
                 lang: str):
        self.values = values
        self.formulas = formulas
        self.p = problems
        self.rules = rules
        self.kind = kind
        self.unit = unit_code
        self.lang = lang if lang in SHEET_NAMES else "vi"

    def read(self) -> pd.DataFrame | None:
        index = _find_sheet(self.values, SHEET_NAMES.values())
        if index is None:
            self.p.add("sheet_missing", SHEET_NAMES[self.lang], sheet=SHEET_NAMES[self.lang])
            return None
        self.sheet = self.values[index]
        self.fsheet = self.formulas[index]
        header = self._header()
        if header is None:
            return None
        header_row, self.cols = header
        code_letter = get_column_letter(self.cols["code"])
        last = max(self.sheet.max_row, header_row + 1)
        return appraisal_frame(
            self._rows(header_row), self.rules, kind=self.kind, unit_code=self.unit,
            problems=self.p, place=self._place, lang=self.lang,
            missing_place=f"{self.sheet.title}!{code_letter}{header_row + 1}:{code_letter}{last}")

    def _place(self, row: int, key: str) -> str:
        if key not in self.cols:
            return f"{self.sheet.title}!{row}:{row}"
        return f"{self.sheet.title}!{get_column_letter(self.cols[key])}{row}"

    def _header(self) -> tuple[int, dict[str, int]] | None:
        labels = {c.key: {_normal(c.vi), _normal(c.en)} for c in COLUMNS}
        for row in range(1, min(self.sheet.max_row, HEADER_SCAN_ROWS) + 1):
            found: dict[str, int] = {}
            for col in range(1, self.sheet.max_column + 1):
                text = _normal(self.sheet.value(row, col))
                for key, names in labels.items():
                    if text in names and key not in found:
                        found[key] = col
            if "code" in found and any(k in found for k in SCORE_KEYS):
                for key in REQUIRED:
                    if key not in found:
                        column = next(c for c in COLUMNS if c.key == key)
                        self.p.add("column_missing", f"{self.sheet.title}!{row}:{row}",
                                   column=column.label(self.lang))
                return (row, found) if all(k in found for k in REQUIRED) else None
        columns = ", ".join(f"'{c.label(self.lang)}'" for c in COLUMNS if c.key in REQUIRED)
        self.p.add("header_missing", self.sheet.title, columns=columns)
        return None

    def _value(self, row: int, key: str) -> Any:
        if key not in self.cols:
            return None
        value = self.sheet.value(row, self.cols[key])
        if value is None and key in SCORE_KEYS:
            formula = _formula_text(self.fsheet.value(row, self.cols[key]))
            if formula is not None:
                return CellProblem("formula_not_computed", {"formula": formula})
        return value

    def _rows(self, header_row: int) -> Iterable[AppraisalRow]:
        for row in range(header_row + 1, self.sheet.max_row + 1):
            values = {key: self._value(row, key) for key in ROW_KEYS}
            if not cell_text(values["code"]) and _normal(values["name"]) in TOTAL_LABELS:
                continue
            yield AppraisalRow(row=row, **values)


__all__ = [
    "META_SHEET",
    "PROBLEMS",
    "SHEET_NAMES",
    "TEMPLATE_ID",
    "TEMPLATE_VERSION",
    "WORKBOOK_PROBLEMS",
    "AppraisalSheet",
    "appraisal_template",
    "read_appraisal",
]


__all__ = ["PROBLEMS", "WORKBOOK_PROBLEMS", "AppraisalSheet", "appraisal_template", "read_appraisal"]
