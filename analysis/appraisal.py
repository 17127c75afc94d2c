"""Appraisal of the self-assessment: the Excel template, its import and the corrections.

Every year each evaluated unit scores itself against the appraisal sub-criteria of the
PAR Index (tự đánh giá, chấm điểm) and sends an Excel workbook with its self-scores and
an evidence note per sub-criterion; the appraisal council (Hội đồng thẩm định) then
writes its own score in the same workbook, with the reason of every correction.

:func:`appraisal_template`
    The workbook a unit fills in: one sheet ``Tự đánh giá`` (``Self-assessment`` in
    English) with one row per appraisal sub-criterion that applies to the unit's kind,
    grouped under area and criterion rows, and a totals row.  Columns A-H:

    ====  =========================================  ==========================
    col   Vietnamese / English                        filled by
    ====  =========================================  ==========================
    A     Mã / Code                                  (template)
    B     Lĩnh vực / Area                            (template)
    C     Tiêu chí / tiêu chí thành phần             (template)
    D     Điểm tối đa / Maximum points               (template)
    E     Điểm tự chấm / Self-score                  the unit
    F     Giải trình, tài liệu kiểm chứng / Evidence the unit
    G     Điểm thẩm định / Appraised score           the council
    H     Lý do điều chỉnh điểm / Reason             the council
    ====  =========================================  ==========================

    The header is row 5 and the rows start at row 6.  Excel's data validation refuses
    a score outside 0 ... the row's maximum; the sheet is protected (no password) with
    only E-H of the sub-criterion rows unlocked.  A hidden, protected sheet ``meta``
    names the template (``par-appraisal``, version :data:`TEMPLATE_VERSION`), the unit,
    its kind, the year and the :func:`rules_fingerprint`.

:func:`read_appraisal`
    Reads a filled workbook back into an :class:`AppraisalSheet` whose ``frame`` has
    the columns :data:`FRAME_COLUMNS`, one row per sub-criterion in the order of the
    rules, or raises :class:`~questionnaires.problems.DataFileError` with every problem
    (codes in :data:`APPRAISAL_PROBLEMS`), each placed by sheet and cell
    (``Tự đánh giá!E12``, ``meta!B3``).

What counts
    The appraised score is what counts, never the self-score.  A row the council has
    not appraised yet has an empty ``appraised``, ``points`` NaN and the status
    ``pending``; :func:`final_points` refuses to give points while any row is pending.
    A blank self-score means that the unit claims no points on that row: it stays NaN
    in the frame, and compares as 0 with the appraised score (so appraising it above 0
    is a correction, which needs a reason, like any appraised score that differs from
    the self-score).  :func:`corrections` lists every correction with its difference
    and reason.

The workbook is only read for its values: formulas (the totals) are not needed, and a
score typed as text is accepted with a decimal comma or point (``2,5``, ``2.5``).

A template made without ``unit_code`` (one blank form for every unit of a kind) cannot
be checked for the unit on import: prefer one template per unit.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from os import PathLike, fspath
from typing import IO, TYPE_CHECKING, Any

import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from questionnaires.problems import DataFileError, ProblemList

if TYPE_CHECKING:  # pragma: no cover
    from questionnaires.scoring import Area, Criterion, ScoringRules, SubCriterion

#: Where a workbook is read from: a file name, its bytes or a binary file object.
WorkbookSource = str | PathLike[str] | bytes | bytearray | IO[bytes]

#: Identifies workbooks made by :func:`appraisal_template` (``meta`` sheet, key ``template``).
TEMPLATE_ID = "par-appraisal"
#: Version of the template layout; :func:`read_appraisal` reads this version and older.
TEMPLATE_VERSION = 1
#: The name of the data sheet, per language; either is accepted on import.
SHEET_NAMES: Mapping[str, str] = {"vi": "Tự đánh giá", "en": "Self-assessment"}
#: The hidden sheet naming the template, unit, kind and rules.
META_SHEET = "meta"

#: The columns of :attr:`AppraisalSheet.frame`.
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
_HEADER_ROW = 5
_FIRST_ROW = _HEADER_ROW + 1
_HEADER_SCAN_ROWS = 30

#: Problems of an appraisal workbook (and of :func:`final_points`).
APPRAISAL_PROBLEMS: dict[str, tuple[str, str]] = {
    "file_missing": ("không tìm thấy tệp", "the file does not exist"),
    "file_unreadable": ("không đọc được tệp như một bảng tính Excel (.xlsx): {detail}",
                        "the file cannot be read as an Excel workbook (.xlsx): {detail}"),
    "sheet_missing": ("thiếu trang tính '{sheet}'", "the sheet '{sheet}' is missing"),
    "template_unknown": ("tệp không phải là mẫu tự đánh giá Chỉ số CCHC của hệ thống, hoặc là "
                         "một phiên bản mẫu không được hỗ trợ ({value}); hãy tải mẫu mới",
                         "the file is not the system's PAR Index self-assessment template, or "
                         "a template version that is not supported ({value}); download a new "
                         "template"),
    "wrong_unit": ("mẫu này lập cho đơn vị '{found}', không phải cho đơn vị '{expected}'",
                   "this template was made for the unit '{found}', not for '{expected}'"),
    "wrong_kind": ("mẫu này dành cho loại đơn vị '{found}', không phải '{expected}'",
                   "this template is for units of the kind '{found}', not '{expected}'"),
    "rules_mismatch": ("mẫu được lập theo một bộ tiêu chí khác (mã {found}, bộ tiêu chí hiện "
                       "hành có mã {expected}): có thể là mẫu của năm hoặc phiên bản khác; "
                       "hãy dùng mẫu mới",
                       "the template was made from other scoring rules (fingerprint {found}, "
                       "the current rules have {expected}): perhaps another year's or "
                       "version's template; use a new one"),
    "header_missing": ("không tìm thấy dòng tiêu đề cột (có các cột {columns})",
                       "the row of column headers (with the columns {columns}) was not found"),
    "column_missing": ("dòng tiêu đề thiếu cột '{column}'",
                       "the header row has no column '{column}'"),
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
    "formula_not_computed": ("ô có công thức {formula} nhưng chưa có kết quả tính; hãy nhập số "
                             "hoặc mở và lưu lại tệp bằng Excel",
                             "the cell holds the formula {formula} without a computed value; "
                             "type the number, or open and save the file in Excel"),
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


# == columns and texts =================================================================

@dataclass(frozen=True)
class _Column:
    key: str
    vi: str
    en: str
    width: float
    #: True for the columns people fill in (unlocked on the sub-criterion rows).
    fill_in: bool = False

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


_COLUMNS: tuple[_Column, ...] = (
    _Column("code", "Mã", "Code", 10),
    _Column("area", "Lĩnh vực", "Area", 9),
    _Column("name", "Tiêu chí / tiêu chí thành phần", "Criterion / sub-criterion", 56),
    _Column("max", "Điểm tối đa", "Maximum points", 10),
    _Column("self_score", "Điểm tự chấm", "Self-score", 11, True),
    _Column("evidence", "Giải trình, tài liệu kiểm chứng", "Evidence note", 46, True),
    _Column("appraised", "Điểm thẩm định", "Appraised score", 11, True),
    _Column("reason", "Lý do điều chỉnh điểm", "Reason for the correction", 40, True),
)
_COL = {c.key: i for i, c in enumerate(_COLUMNS, start=1)}
_LETTER = {key: get_column_letter(i) for key, i in _COL.items()}
#: Columns an import cannot do without.
_REQUIRED = ("code", "self_score", "evidence", "appraised", "reason")
_SCORE_KEYS = ("self_score", "appraised")

_KIND_NAMES: Mapping[str, tuple[str, str]] = {
    "department": ("Sở, ban, ngành tỉnh", "Provincial department"),
    "district": ("UBND huyện, thành phố", "District People's Committee"),
}

_TEXTS: Mapping[str, Mapping[str, str]] = {
    "vi": {
        "title": "BẢNG TỰ ĐÁNH GIÁ, CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH",
        "year": "NĂM {year}",
        "unit": "Đơn vị: {unit}",
        "unit_blank": "Đơn vị: ........................................................",
        "kind": "Loại đơn vị: {kind}",
        "howto": ("Đơn vị điền cột {self_score} (điểm tự chấm) và {evidence} (giải trình, tài liệu "
                  "kiểm chứng). Hội đồng thẩm định điền cột {appraised} (điểm thẩm định) và "
                  "{reason} (lý do, bắt buộc khi điểm thẩm định khác điểm tự chấm). Điểm là số "
                  "từ 0 đến điểm tối đa của dòng, tối đa 2 chữ số thập phân. Không thêm, xóa "
                  "hoặc đổi thứ tự dòng, cột."),
        "band_unit": "Đơn vị tự đánh giá",
        "band_council": "Hội đồng thẩm định",
        "total": "Tổng cộng",
        "dv_title": "Điểm không hợp lệ",
        "dv_error": "Nhập một số từ 0 đến {max} (tối đa 2 chữ số thập phân).",
        "dv_prompt_title": "Điểm tối đa: {max}",
        "dv_prompt": "Nhập điểm từ 0 đến {max}.",
    },
    "en": {
        "title": "PAR INDEX SELF-ASSESSMENT",
        "year": "{year}",
        "unit": "Unit: {unit}",
        "unit_blank": "Unit: ........................................................",
        "kind": "Kind of unit: {kind}",
        "howto": ("The unit fills in columns {self_score} (self-score) and {evidence} (evidence "
                  "note). The appraisal council fills in columns {appraised} (appraised score) "
                  "and {reason} (reason, required when the appraised score differs from the "
                  "self-score). A score is a number from 0 to the row's maximum, with at most 2 "
                  "decimals. Do not add, delete or reorder rows or columns."),
        "band_unit": "Self-assessment by the unit",
        "band_council": "Appraisal council",
        "total": "Total",
        "dv_title": "Score not valid",
        "dv_error": "Type a number from 0 to {max} (at most 2 decimals).",
        "dv_prompt_title": "Maximum: {max}",
        "dv_prompt": "Type a score from 0 to {max}.",
    },
}
_TOTAL_LABELS = frozenset(t["total"].casefold() for t in _TEXTS.values())


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
    texts = _TEXTS[lang]
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
    last = get_column_letter(len(_COLUMNS))
    title = texts["title"] + (" " + texts["year"].format(year=year) if year is not None else "")
    if unit_code or unit_name:
        shown = unit_name or unit_code or ""
        if unit_name and unit_code:
            shown = f"{unit_name} ({unit_code})"
        unit_line = texts["unit"].format(unit=shown)
    else:
        unit_line = texts["unit_blank"]
    kind_name = _KIND_NAMES.get(kind, (kind, kind))[1 if lang == "en" else 0]
    lines = [(title, dict(bold=True, size=14), 24),
             (f"{unit_line}     {texts['kind'].format(kind=kind_name)}", dict(bold=True, size=12),
              20),
             (texts["howto"].format(**_LETTER), dict(italic=True, size=10), 30)]
    for row, (text, font, height) in enumerate(lines, start=1):
        sheet.merge_cells(f"A{row}:{last}{row}")
        cell = sheet.cell(row, 1, text)
        _style(cell, horizontal="center" if row < 3 else "left", border=None, **font)
        cell.alignment = Alignment(horizontal=cell.alignment.horizontal, vertical="center",
                                   wrap_text=True)
        sheet.row_dimensions[row].height = height

    # Row 4: who fills in what; row 5: the column headers.
    band = _HEADER_ROW - 1
    for key_from, key_to, text, fill in (("self_score", "evidence", texts["band_unit"], _FILL_UNIT),
                                         ("appraised", "reason", texts["band_council"],
                                          _FILL_COUNCIL)):
        sheet.merge_cells(f"{_LETTER[key_from]}{band}:{_LETTER[key_to]}{band}")
        for col in range(_COL[key_from], _COL[key_to] + 1):
            _style(sheet.cell(band, col), bold=True, fill=fill, horizontal="center")
        sheet.cell(band, _COL[key_from]).value = text
    sheet.merge_cells(f"A{band}:{get_column_letter(_COL['self_score'] - 1)}{band}")
    for col in range(1, _COL["self_score"]):
        _style(sheet.cell(band, col), fill=_FILL_HEADER)
    sheet.row_dimensions[band].height = 18
    for column in _COLUMNS:
        cell = sheet.cell(_HEADER_ROW, _COL[column.key], column.label(lang))
        _style(cell, bold=True, color="FFFFFF", fill=_FILL_HEADER, horizontal="center")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[_LETTER[column.key]].width = column.width
    sheet.row_dimensions[_HEADER_ROW].height = 32


def _write_rows(sheet: Worksheet, tree: _Tree, kind: str, lang: str) -> int:
    """The area, criterion and sub-criterion rows; returns the last row written."""
    row = _FIRST_ROW
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
                **{key: f"=SUBTOTAL(9,{_LETTER[key]}{first + 1}:{_LETTER[key]}{end})"
                   for key in _SCORE_KEYS},
                "evidence": None, "reason": None,
            }
            for column in _COLUMNS:
                cell = sheet.cell(first, _COL[column.key], values[column.key])
                _style(cell, bold=bold, italic=not bold, fill=fill,
                       horizontal="center" if column.key in ("code", "area") else None,
                       indent=indent if column.key == "name" else 0,
                       number_format=_SCORE_FORMAT if column.key in ("max", *_SCORE_KEYS)
                       else None)
    return row - 1


def _write_sub_row(sheet: Worksheet, row: int, area_code: str, sub: SubCriterion, kind: str,
                   lang: str) -> None:
    values = {"code": sub.code, "area": area_code, "name": sub.name.get(lang),
              "max": float(sub.max_for(kind) or 0)}
    for column in _COLUMNS:
        cell = sheet.cell(row, _COL[column.key], values.get(column.key))
        fill = None
        if column.fill_in:
            fill = _FILL_UNIT if column.key in ("self_score", "evidence") else _FILL_COUNCIL
        numeric = column.key in ("max", *_SCORE_KEYS)
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
        **{key: f"=SUBTOTAL(9,{_LETTER[key]}{_FIRST_ROW}:{_LETTER[key]}{last_row})"
           for key in _SCORE_KEYS},
    }
    for column in _COLUMNS:
        cell = sheet.cell(row, _COL[column.key], values.get(column.key))
        numeric = column.key in ("max", *_SCORE_KEYS)
        _style(cell, bold=True, fill=_FILL_TOTAL, border=_TOTAL_BORDER,
               horizontal="right" if numeric or column.key == "name" else None,
               number_format=_SCORE_FORMAT if numeric else None)
    sheet.row_dimensions[row].height = 20


def _fmt(x: float) -> str:
    return f"{x:g}"


def _add_validation(sheet: Worksheet, tree: _Tree, kind: str, texts: Mapping[str, str]) -> None:
    """Excel refuses a score that is not a number from 0 to the row's maximum."""
    by_max: dict[float, DataValidation] = {}
    row = _FIRST_ROW
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
                for key in _SCORE_KEYS:
                    dv.add(f"{_LETTER[key]}{row}")
                row += 1


def _finish_sheet(sheet: Worksheet, total_row: int) -> None:
    sheet.freeze_panes = f"A{_FIRST_ROW}"
    sheet.print_title_rows = f"{_HEADER_ROW - 1}:{_HEADER_ROW}"
    sheet.print_area = f"A1:{get_column_letter(len(_COLUMNS))}{total_row}"
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
        meta.append([key, value])
    meta.column_dimensions["A"].width = 20
    meta.column_dimensions["B"].width = 40
    meta.sheet_state = "hidden"
    meta.protection.sheet = True


# == reading ===========================================================================

@dataclass(eq=False)
class AppraisalSheet:
    """A unit's appraisal workbook, read and checked.

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
        The row of the sheet the values come from.
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


def read_appraisal(source: WorkbookSource, rules: ScoringRules, *, kind: str,
                   unit_code: str) -> AppraisalSheet:
    """Read a filled-in :func:`appraisal_template` of the unit ``unit_code`` of ``kind``.

    Parameters
    ----------
    source:
        A file name, the workbook's bytes or a binary file object.
    rules:
        The scoring rules the template was made from.

    Returns
    -------
    AppraisalSheet

    Raises
    ------
    DataFileError
        With every problem found, placed by sheet and cell (codes in
        :data:`APPRAISAL_PROBLEMS`).  When the workbook is not the right template (another
        unit, kind or set of rules) only those problems are reported: its rows cannot be
        checked against rules it was not made from.
    """
    name = fspath(source) if isinstance(source, str | PathLike) else getattr(source, "name", None)
    what = str(name) if name else "tệp tự đánh giá (self-assessment workbook)"
    problems = ProblemList(APPRAISAL_PROBLEMS, source=str(name) if name else None)
    books = _open(source, problems)
    if books is None:
        problems.raise_if_any(what)
        raise AssertionError("unreachable")  # pragma: no cover
    values, formulas = books
    meta, wrong_template = _read_meta(values, problems, rules, kind, unit_code)
    if wrong_template:
        problems.raise_if_any(what)
    reader = _SheetReader(values, formulas, problems, rules, kind, unit_code,
                          str(meta.get("lang") or "vi"))
    frame = reader.read()
    problems.raise_if_any(what)
    assert frame is not None
    year = meta.get("year")
    return AppraisalSheet(unit=unit_code, kind=kind,
                          year=int(year) if isinstance(year, int | float) and year == year else None,
                          frame=frame, source=str(name) if name else None, meta=meta)


#: openpyxl warns about workbook features it does not keep (extensions, defined styles
#: ...); they do not matter for reading the values, so those warnings are silenced.
_IGNORED_OPENPYXL_WARNINGS = (
    r".*extension is not supported and will be removed",
    r"Workbook contains no default style",
    r"Cannot parse header or footer",
)


def _open(source: WorkbookSource, problems: ProblemList
          ) -> tuple[openpyxl.Workbook, openpyxl.Workbook] | None:
    """The workbook twice: with the values (cached results of formulas) and with the
    formulas; None after recording a problem."""
    try:
        if isinstance(source, bytes | bytearray):
            data = bytes(source)
        elif isinstance(source, str | PathLike):
            with open(source, "rb") as handle:
                data = handle.read()
        else:
            data = source.read()
    except FileNotFoundError:
        problems.add("file_missing", str(source))
        return None
    except OSError as exc:
        problems.add("file_unreadable", "(workbook)", detail=str(exc) or type(exc).__name__)
        return None
    try:
        with warnings.catch_warnings():
            for message in _IGNORED_OPENPYXL_WARNINGS:
                warnings.filterwarnings("ignore", message=message, category=UserWarning)
            values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
            formulas = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError,
            EOFError, IndexError, AttributeError) as exc:
        detail = str(exc) or type(exc).__name__
        if isinstance(exc, zipfile.BadZipFile):
            detail = "not an .xlsx file (an .xls, .csv or damaged file?)"
        problems.add("file_unreadable", "(workbook)", detail=detail)
        return None
    return values, formulas


def _find_sheet(book: openpyxl.Workbook, names: Iterable[str]) -> Worksheet | None:
    wanted = {n.strip().casefold() for n in names}
    for sheet in book.worksheets:
        if sheet.title.strip().casefold() in wanted:
            return sheet
    return None


def _read_meta(book: openpyxl.Workbook, problems: ProblemList, rules: ScoringRules, kind: str,
               unit_code: str) -> tuple[dict[str, Any], bool]:
    """The ``meta`` sheet's values by key, and whether the workbook is the wrong template."""
    sheet = _find_sheet(book, [META_SHEET])
    if sheet is None:
        problems.add("sheet_missing", META_SHEET, sheet=META_SHEET)
        return {}, False
    meta: dict[str, Any] = {}
    cells: dict[str, str] = {}
    for row in sheet.iter_rows(min_col=1, max_col=2):
        key = _cell_text(row[0].value)
        if key and key not in meta:
            meta[key] = row[1].value
            cells[key] = f"{sheet.title}!{row[1].coordinate}"
    before = len(problems.problems)
    template = _cell_text(meta.get("template"))
    version = meta.get("template_version")
    if template != TEMPLATE_ID:
        problems.add("template_unknown", cells.get("template", f"{sheet.title}!B1"),
                     value=template or "-")
    elif not isinstance(version, int) or isinstance(version, bool) or not \
            1 <= version <= TEMPLATE_VERSION:
        problems.add("template_unknown", cells.get("template_version", f"{sheet.title}!B2"),
                     value=f"{TEMPLATE_ID} v{_cell_text(version) or '-'}")
    else:
        found_unit = _cell_text(meta.get("unit"))
        if found_unit and found_unit != unit_code:
            problems.add("wrong_unit", cells["unit"], found=found_unit, expected=unit_code)
        found_kind = _cell_text(meta.get("kind"))
        if found_kind != kind:
            problems.add("wrong_kind", cells.get("kind", f"{sheet.title}!B4"),
                         found=found_kind or "-", expected=kind)
        else:
            found = _cell_text(meta.get("rules_fingerprint"))
            expected = rules_fingerprint(rules, kind)
            if found != expected:
                problems.add("rules_mismatch", cells.get("rules_fingerprint", f"{sheet.title}!B5"),
                             found=found or "-", expected=expected)
    return meta, len(problems.problems) > before


class _Bad:
    """A cell value that could not be used (its problem is recorded)."""


_BAD = _Bad()
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")


def _parse_number(value: Any) -> float | None:
    """A score cell's number; None if blank; ValueError if not a number.

    >>> _parse_number("2,5"), _parse_number(" 3 "), _parse_number(1), _parse_number("")
    (2.5, 3.0, 1.0, None)
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


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def _normal(text: Any) -> str:
    return " ".join(_cell_text(text).split()).casefold()


class _SheetReader:
    """Reads and checks the rows of the data sheet."""

    def __init__(self, values: openpyxl.Workbook, formulas: openpyxl.Workbook,
                 problems: ProblemList, rules: ScoringRules, kind: str, unit_code: str,
                 lang: str):
        self.values_book = values
        self.formulas_book = formulas
        self.p = problems
        self.rules = rules
        self.kind = kind
        self.unit = unit_code
        self.lang = lang if lang in SHEET_NAMES else "vi"
        self.expected = {sub.code: sub for _, _, sub in rules.subcriteria(kind, "appraisal")}
        self.groups = {code for area in rules.areas
                       for code in (area.code, *(c.code for c in area.criteria))}

    def read(self) -> pd.DataFrame | None:
        sheet = _find_sheet(self.values_book, SHEET_NAMES.values())
        if sheet is None:
            self.p.add("sheet_missing", SHEET_NAMES[self.lang], sheet=SHEET_NAMES[self.lang])
            return None
        self.sheet = sheet
        self.fsheet = self.formulas_book[sheet.title]
        header = self._header()
        if header is None:
            return None
        header_row, self.cols = header
        records: dict[str, dict[str, Any]] = {}
        for row in range(header_row + 1, sheet.max_row + 1):
            self._row(row, records)
        code_letter = get_column_letter(self.cols["code"])
        last = max(sheet.max_row, header_row + 1)
        span = f"{sheet.title}!{code_letter}{header_row + 1}:{code_letter}{last}"
        for code, sub in self.expected.items():
            if code not in records:
                self.p.add("missing_row", span, criterion=code, name=sub.name.get(self.lang))
        if self.p:
            return None
        return self._frame(records)

    def _place(self, row: int, key: str) -> str:
        return f"{self.sheet.title}!{get_column_letter(self.cols[key])}{row}"

    def _header(self) -> tuple[int, dict[str, int]] | None:
        labels = {c.key: {_normal(c.vi), _normal(c.en)} for c in _COLUMNS}
        for row in range(1, min(self.sheet.max_row, _HEADER_SCAN_ROWS) + 1):
            found: dict[str, int] = {}
            for col in range(1, self.sheet.max_column + 1):
                text = _normal(self.sheet.cell(row, col).value)
                for key, names in labels.items():
                    if text in names and key not in found:
                        found[key] = col
            if "code" in found and any(k in found for k in _SCORE_KEYS):
                for key in _REQUIRED:
                    if key not in found:
                        column = next(c for c in _COLUMNS if c.key == key)
                        self.p.add("column_missing", f"{self.sheet.title}!{row}:{row}",
                                   column=column.label(self.lang))
                return (row, found) if all(k in found for k in _REQUIRED) else None
        columns = ", ".join(f"'{c.label(self.lang)}'" for c in _COLUMNS if c.key in _REQUIRED)
        self.p.add("header_missing", self.sheet.title, columns=columns)
        return None

    def _value(self, row: int, key: str) -> Any:
        return self.sheet.cell(row, self.cols[key]).value if key in self.cols else None

    def _row(self, row: int, records: dict[str, dict[str, Any]]) -> None:
        code = _cell_text(self._value(row, "code"))
        if code in self.groups and code not in self.expected:
            return  # an area or criterion row
        if not code:
            if _normal(self._value(row, "name")) in _TOTAL_LABELS:
                return
            if any(_cell_text(self._value(row, k)) for k in ("self_score", "evidence", "appraised",
                                                             "reason")):
                self.p.add("code_missing", self._place(row, "code"))
            return
        sub = self.expected.get(code)
        if sub is None:
            self.p.add("unknown_criterion", self._place(row, "code"), criterion=code,
                       kind=self.kind)
            return
        if code in records:
            self.p.add("duplicate_row", self._place(row, "code"), criterion=code,
                       first=records[code]["row"])
            return
        top = float(sub.max_for(self.kind) or 0)
        self._check_max(row, top)
        scores = {key: self._score(row, key, code, top) for key in _SCORE_KEYS}
        evidence = _cell_text(self._value(row, "evidence"))
        reason = _cell_text(self._value(row, "reason"))
        self_score, appraised = scores["self_score"], scores["appraised"]
        if isinstance(appraised, float) and not isinstance(self_score, _Bad):
            claimed = self_score if self_score is not None else 0.0
            if abs(appraised - claimed) > _EPS and not reason:
                self.p.add("reason_missing", self._place(row, "reason"),
                           appraised=_fmt(appraised),
                           self_score=_fmt(self_score) if self_score is not None else "-")
        records[code] = {"row": row, "max_points": top, "self_score": self_score,
                         "evidence": evidence, "appraised": appraised, "reason": reason}

    def _check_max(self, row: int, expected: float) -> None:
        if "max" not in self.cols:
            return
        raw = self._value(row, "max")
        try:
            found = _parse_number(raw)
        except ValueError:
            found = math.nan
        if found is not None and not abs(found - expected) <= _EPS:
            self.p.add("max_mismatch", self._place(row, "max"), found=_cell_text(raw),
                       expected=_fmt(expected))

    def _score(self, row: int, key: str, code: str, top: float) -> float | None | _Bad:
        place = self._place(row, key)
        value = self._value(row, key)
        formula_cell = self.fsheet.cell(row, self.cols[key])
        if value is None and formula_cell.data_type == "f":
            formula = formula_cell.value
            self.p.add("formula_not_computed", place,
                       formula=getattr(formula, "text", None) or str(formula))
            return _BAD
        try:
            number = _parse_number(value)
        except ValueError:
            self.p.add("not_number", place, value=_cell_text(value))
            return _BAD
        if number is None:
            return None
        if number < -_EPS:
            self.p.add("below_zero", place, value=_fmt(number))
            return _BAD
        if number > top + _EPS:
            self.p.add("above_max", place, value=_fmt(number), max=_fmt(top), criterion=code)
            return _BAD
        return number

    def _frame(self, records: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
        rows = []
        for code in self.expected:
            r = records[code]
            appraised = r["appraised"]
            self_score = r["self_score"]
            if appraised is None:
                status = STATUS_PENDING
            elif abs(appraised - (self_score if self_score is not None else 0.0)) > _EPS:
                status = STATUS_CORRECTED
            else:
                status = STATUS_CONFIRMED
            rows.append({
                "unit": self.unit, "criterion": code, "max_points": r["max_points"],
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


__all__ = [
    "APPRAISAL_PROBLEMS",
    "FRAME_COLUMNS",
    "META_SHEET",
    "SHEET_NAMES",
    "STATUS_CONFIRMED",
    "STATUS_CORRECTED",
    "STATUS_PENDING",
    "TEMPLATE_ID",
    "TEMPLATE_VERSION",
    "AppraisalSheet",
    "appraisal_template",
    "corrections",
    "final_points",
    "read_appraisal",
    "rules_fingerprint",
]
