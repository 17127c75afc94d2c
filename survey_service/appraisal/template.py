"""The self-assessment template a unit fills in (see :mod:`.layout` for its columns)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import openpyxl
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from analysis.appraisal import (
    rules_fingerprint,
)

if TYPE_CHECKING:  # pragma: no cover

    from questionnaires.scoring import Area, Criterion, ScoringRules, SubCriterion
from ..core.spreadsheets import xlsx_row
from .layout import (
    COL,
    COLUMNS,
    FIRST_ROW,
    HEADER_ROW,
    KIND_NAMES,
    LETTER,
    META_SHEET,
    SCORE_KEYS,
    SHEET_NAMES,
    TEMPLATE_ID,
    TEMPLATE_VERSION,
    TEXTS,
)

# == writing ===========================================================================

_THIN = Side(style="thin", color="8C8C8C")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TOTAL_BORDER = Border(left=_THIN, right=_THIN, top=Side(style="double", color="404040"),
                       bottom=_THIN)
_FONT = "Times New Roman"
_FILL_HEADER = PatternFill("solid", fgColor="1F4E78")
_FILL_AREA = PatternFill("solid", fgColor="D9E2F3")
_FILL_CRITERION = PatternFill("solid", fgColor="EEF3FA")
_FILL_UNIT = PatternFill("solid", fgColor="FFF8DC")
_FILL_COUNCIL = PatternFill("solid", fgColor="E8F3E0")
_FILL_TOTAL = PatternFill("solid", fgColor="D9E2F3")
_UNLOCKED = Protection(locked=False)
_SCORE_FORMAT = "0.00"


def appraisal_template(rules: ScoringRules, *, kind: str, unit_code: str | None = None,
                       unit_name: str | None = None, year: int | None = None,
                       lang: str = "vi") -> bytes:
    """The self-assessment workbook (``.xlsx``) for a unit of ``kind``.

    Parameters
    ----------
    rules:
        The scoring rules; one row per appraisal sub-criterion that applies to ``kind``.
    kind:
        The kind of the evaluated unit (``department``, ``district``).
    unit_code, unit_name:
        The unit the template is for (shown in the title; the code is checked on
        import).  Without a code the template is a blank form for any unit of the kind.
    year:
        The year of the index (in the title and the ``meta`` sheet).
    lang:
        ``vi`` (default) or ``en`` for the labels, names and sheet name.

    Returns
    -------
    bytes
        The workbook; :func:`read_appraisal` reads it back once filled in.
    """
    if lang not in SHEET_NAMES:
        raise ValueError(f"lang must be one of {', '.join(SHEET_NAMES)}, not {lang!r}")
    tree = _tree(rules, kind)
    if not tree:
        raise ValueError(f"no appraisal sub-criterion of the rules applies to the kind {kind!r}")
    texts = TEXTS[lang]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_NAMES[lang]
    _write_heading(sheet, texts, kind=kind, unit_code=unit_code, unit_name=unit_name, year=year,
                   lang=lang)
    last_row = _write_rows(sheet, tree, kind, lang)
    _write_totals(sheet, texts, kind, tree, last_row)
    _add_validation(sheet, tree, kind, texts)
    _finish_sheet(sheet, last_row + 1)
    _write_meta(book, rules, kind=kind, unit_code=unit_code, unit_name=unit_name, year=year,
                lang=lang)
    book.security = WorkbookProtection(lockStructure=True)
    book.properties.title = f"{texts['title']} {year or ''}".strip()
    book.properties.creator = "par-survey-service"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_Tree = list[tuple["Area", list[tuple["Criterion", list["SubCriterion"]]]]]


def _tree(rules: ScoringRules, kind: str) -> _Tree:
    """The appraisal sub-criteria of ``kind`` grouped by area and criterion, in order."""
    tree: _Tree = []
    for area, criterion, sub in rules.subcriteria(kind, "appraisal"):
        if not tree or tree[-1][0] is not area:
            tree.append((area, []))
        criteria = tree[-1][1]
        if not criteria or criteria[-1][0] is not criterion:
            criteria.append((criterion, []))
        criteria[-1][1].append(sub)
    return tree


def _style(cell: Any, *, bold: bool = False, italic: bool = False, size: float = 11,
           color: str | None = None, fill: PatternFill | None = None,
           horizontal: str | None = None, wrap: bool = True, indent: int = 0,
           border: Border | None = _BORDER, number_format: str | None = None) -> None:
    cell.font = Font(name=_FONT, size=size, bold=bold, italic=italic, color=color)
    cell.alignment = Alignment(horizontal=horizontal, vertical="top" if wrap else "center",
                               wrap_text=wrap, indent=indent)
    if fill is not None:
        cell.fill = fill
    if border is not None:
        cell.border = border
    if number_format is not None:
        cell.number_format = number_format


def _write_heading(sheet: Worksheet, texts: Mapping[str, str], *, kind: str,
                   unit_code: str | None, unit_name: str | None, year: int | None,
                   lang: str) -> None:
    last = get_column_letter(len(COLUMNS))
    title = texts["title"] + (" " + texts["year"].format(year=year) if year is not None else "")
    if unit_code or unit_name:
        shown = unit_name or unit_code or ""
        if unit_name and unit_code:
            shown = f"{unit_name} ({unit_code})"
        unit_line = texts["unit"].format(unit=shown)
    else:
        unit_line = texts["unit_blank"]
    kind_name = KIND_NAMES.get(kind, (kind, kind))[1 if lang == "en" else 0]
    lines = [(title, dict(bold=True, size=14), 24),
             (f"{unit_line}     {texts['kind'].format(kind=kind_name)}", dict(bold=True, size=12),
              20),
             (texts["howto"].format(**LETTER), dict(italic=True, size=10), 30)]
    for row, (text, font, height) in enumerate(lines, start=1):
        sheet.merge_cells(f"A{row}:{last}{row}")
        cell = sheet.cell(row, 1, text)
        _style(cell, horizontal="center" if row < 3 else "left", border=None, **font)
        cell.alignment = Alignment(horizontal=cell.alignment.horizontal, vertical="center",
                                   wrap_text=True)
        sheet.row_dimensions[row].height = height

    # Row 4: who fills in what; row 5: the column headers.
    band = HEADER_ROW - 1
    for key_from, key_to, text, fill in (("self_score", "evidence", texts["band_unit"], _FILL_UNIT),
                                         ("appraised", "reason", texts["band_council"],
                                          _FILL_COUNCIL)):
        sheet.merge_cells(f"{LETTER[key_from]}{band}:{LETTER[key_to]}{band}")
        for col in range(COL[key_from], COL[key_to] + 1):
            _style(sheet.cell(band, col), bold=True, fill=fill, horizontal="center")
        sheet.cell(band, COL[key_from]).value = text
    sheet.merge_cells(f"A{band}:{get_column_letter(COL['self_score'] - 1)}{band}")
    for col in range(1, COL["self_score"]):
        _style(sheet.cell(band, col), fill=_FILL_HEADER)
    sheet.row_dimensions[band].height = 18
    for column in COLUMNS:
        cell = sheet.cell(HEADER_ROW, COL[column.key], column.label(lang))
        _style(cell, bold=True, color="FFFFFF", fill=_FILL_HEADER, horizontal="center")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[LETTER[column.key]].width = column.width
    sheet.row_dimensions[HEADER_ROW].height = 32


def _write_rows(sheet: Worksheet, tree: _Tree, kind: str, lang: str) -> int:
    """The area, criterion and sub-criterion rows; returns the last row written."""
    row = FIRST_ROW
    for area, criteria in tree:
        area_row = row
        row += 1
        spans = []
        for criterion, subs in criteria:
            criterion_row = row
            row += 1
            for sub in subs:
                _write_sub_row(sheet, row, area.code, sub, kind, lang)
                row += 1
            spans.append((criterion_row, criterion.code, criterion.name.get(lang), subs,
                          _FILL_CRITERION, False, 1))
        area_subs = [s for _, subs in criteria for s in subs]
        for first, code, name, subs, fill, bold, indent in [
                (area_row, area.code, area.name.get(lang), area_subs, _FILL_AREA, True, 0),
                *spans]:
            end = row - 1 if first == area_row else first + len(subs)
            values: dict[str, Any] = {
                "code": code, "area": area.code, "name": name,
                "max": sum(float(s.max_for(kind) or 0) for s in subs),
                **{key: f"=SUBTOTAL(9,{LETTER[key]}{first + 1}:{LETTER[key]}{end})"
                   for key in SCORE_KEYS},
                "evidence": None, "reason": None,
            }
            for column in COLUMNS:
                cell = sheet.cell(first, COL[column.key], values[column.key])
                _style(cell, bold=bold, italic=not bold, fill=fill,
                       horizontal="center" if column.key in ("code", "area") else None,
                       indent=indent if column.key == "name" else 0,
                       number_format=_SCORE_FORMAT if column.key in ("max", *SCORE_KEYS)
                       else None)
    return row - 1


def _write_sub_row(sheet: Worksheet, row: int, area_code: str, sub: SubCriterion, kind: str,
                   lang: str) -> None:
    values = {"code": sub.code, "area": area_code, "name": sub.name.get(lang),
              "max": float(sub.max_for(kind) or 0)}
    for column in COLUMNS:
        cell = sheet.cell(row, COL[column.key], values.get(column.key))
        fill = None
        if column.fill_in:
            fill = _FILL_UNIT if column.key in ("self_score", "evidence") else _FILL_COUNCIL
        numeric = column.key in ("max", *SCORE_KEYS)
        _style(cell, fill=fill,
               horizontal="center" if column.key in ("code", "area") else
               ("right" if numeric else None),
               indent=2 if column.key == "name" else 0,
               number_format=_SCORE_FORMAT if numeric else None)
        if column.fill_in:
            cell.protection = _UNLOCKED


def _write_totals(sheet: Worksheet, texts: Mapping[str, str], kind: str, tree: _Tree,
                  last_row: int) -> None:
    row = last_row + 1
    total_max = sum(float(s.max_for(kind) or 0) for _, criteria in tree
                    for _, subs in criteria for s in subs)
    values: dict[str, Any] = {
        "name": texts["total"], "max": total_max,
        **{key: f"=SUBTOTAL(9,{LETTER[key]}{FIRST_ROW}:{LETTER[key]}{last_row})"
           for key in SCORE_KEYS},
    }
    for column in COLUMNS:
        cell = sheet.cell(row, COL[column.key], values.get(column.key))
        numeric = column.key in ("max", *SCORE_KEYS)
        _style(cell, bold=True, fill=_FILL_TOTAL, border=_TOTAL_BORDER,
               horizontal="right" if numeric or column.key == "name" else None,
               number_format=_SCORE_FORMAT if numeric else None)
    sheet.row_dimensions[row].height = 20


def _fmt(x: float) -> str:
    return f"{x:g}"


def _add_validation(sheet: Worksheet, tree: _Tree, kind: str, texts: Mapping[str, str]) -> None:
    """Excel refuses a score that is not a number from 0 to the row's maximum."""
    by_max: dict[float, DataValidation] = {}
    row = FIRST_ROW
    for _, criteria in tree:
        row += 1
        for _, subs in criteria:
            row += 1
            for sub in subs:
                top = float(sub.max_for(kind) or 0)
                dv = by_max.get(top)
                if dv is None:
                    shown = _fmt(top)
                    dv = DataValidation(
                        type="decimal", operator="between", formula1="0", formula2=shown,
                        allow_blank=True, showErrorMessage=True, showInputMessage=True,
                        errorStyle="stop", errorTitle=texts["dv_title"],
                        error=texts["dv_error"].format(max=shown),
                        promptTitle=texts["dv_prompt_title"].format(max=shown),
                        prompt=texts["dv_prompt"].format(max=shown))
                    by_max[top] = dv
                    sheet.add_data_validation(dv)
                for key in SCORE_KEYS:
                    dv.add(f"{LETTER[key]}{row}")
                row += 1


def _finish_sheet(sheet: Worksheet, total_row: int) -> None:
    sheet.freeze_panes = f"A{FIRST_ROW}"
    sheet.print_title_rows = f"{HEADER_ROW - 1}:{HEADER_ROW}"
    sheet.print_area = f"A1:{get_column_letter(len(COLUMNS))}{total_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    # Protected without a password, so that the layout is not broken by mistake; people
    # may still widen columns and rows.
    protection = sheet.protection
    protection.sheet = True
    protection.formatColumns = False
    protection.formatRows = False
    protection.selectLockedCells = False
    protection.selectUnlockedCells = False


def _write_meta(book: openpyxl.Workbook, rules: ScoringRules, *, kind: str,
                unit_code: str | None, unit_name: str | None, year: int | None,
                lang: str) -> None:
    meta = book.create_sheet(META_SHEET)
    rows = [("template", TEMPLATE_ID), ("template_version", TEMPLATE_VERSION),
            ("unit", unit_code or ""), ("kind", kind),
            ("rules_fingerprint", rules_fingerprint(rules, kind)),
            ("year", year if year is not None else ""), ("lang", lang),
            ("unit_name", unit_name or "")]
    for key, value in rows:
        meta.append(xlsx_row(meta, [key, value]))
    meta.column_dimensions["A"].width = 20
    meta.column_dimensions["B"].width = 40
    meta.sheet_state = "hidden"
    meta.protection.sheet = True


# == reading ===========================================================================

