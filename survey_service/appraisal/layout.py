"""The self-assessment workbook: the Excel template a unit fills in, and reading it back.

Every year each evaluated unit scores itself against the appraisal sub-criteria of the
PAR Index (tự đánh giá, chấm điểm) and sends an Excel workbook with its self-scores and
an evidence note per sub-criterion; the appraisal council (Hội đồng thẩm định) then
writes its own score in the same workbook, with the reason of every correction.  The
rules the scores must follow, and what counts, are :mod:`analysis.appraisal`'s; this
module is the workbook around them.

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
    its kind, the year and the :func:`~analysis.appraisal.rules_fingerprint`.

:func:`read_appraisal`
    Reads a filled workbook back into an :class:`~analysis.appraisal.AppraisalSheet`
    whose ``frame`` has the columns :data:`~analysis.appraisal.FRAME_COLUMNS`, one row
    per sub-criterion in the order of the rules, or raises
    :class:`~questionnaires.problems.DataFileError` with every problem (codes in
    :data:`PROBLEMS`), each placed by sheet and cell (``Tự đánh giá!E12``,
    ``meta!B3``).  The file goes through the guard of :mod:`questionnaires.workbooks`
    first: a damaged, encrypted or old-format file, or a zip bomb, is refused before
    anything in it is expanded (codes ``workbook_...``).

The workbook is only read for its values: formulas (the totals) are not needed, and a
score typed as text is accepted with a decimal comma or point (``2,5``, ``2.5``).

A template made without ``unit_code`` (one blank form for every unit of a kind) cannot
be checked for the unit on import: prefer one template per unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openpyxl.utils import get_column_letter

from analysis.appraisal import (
    APPRAISAL_PROBLEMS,
)

if TYPE_CHECKING:  # pragma: no cover

    pass


#: Identifies workbooks made by :func:`appraisal_template` (``meta`` sheet, key ``template``).
TEMPLATE_ID = "par-appraisal"
#: Version of the template layout; :func:`read_appraisal` reads this version and older.
TEMPLATE_VERSION = 1
#: The name of the data sheet, per language; either is accepted on import.
SHEET_NAMES: Mapping[str, str] = {"vi": "Tự đánh giá", "en": "Self-assessment"}
#: The hidden sheet naming the template, unit, kind and rules.
META_SHEET = "meta"

HEADER_ROW = 5
FIRST_ROW = HEADER_ROW + 1
HEADER_SCAN_ROWS = 30

#: Problems of the workbook itself (its sheets, template, header and cells).
WORKBOOK_PROBLEMS: dict[str, tuple[str, str]] = {
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
    "formula_not_computed": ("ô có công thức {formula} nhưng chưa có kết quả tính; hãy nhập số "
                             "hoặc mở và lưu lại tệp bằng Excel",
                             "the cell holds the formula {formula} without a computed value; "
                             "type the number, or open and save the file in Excel"),
}
#: Every problem :func:`read_appraisal` reports, apart from the ``file_missing`` and
#: ``workbook_...`` problems of the guard (:data:`questionnaires.messages.FILE_PROBLEMS`).
PROBLEMS: dict[str, tuple[str, str]] = {**APPRAISAL_PROBLEMS, **WORKBOOK_PROBLEMS}


# == columns and texts =================================================================

@dataclass(frozen=True)
class Column:
    key: str
    vi: str
    en: str
    width: float
    #: True for the columns people fill in (unlocked on the sub-criterion rows).
    fill_in: bool = False

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


COLUMNS: tuple[Column, ...] = (
    Column("code", "Mã", "Code", 10),
    Column("area", "Lĩnh vực", "Area", 9),
    Column("name", "Tiêu chí / tiêu chí thành phần", "Criterion / sub-criterion", 56),
    Column("max", "Điểm tối đa", "Maximum points", 10),
    Column("self_score", "Điểm tự chấm", "Self-score", 11, True),
    Column("evidence", "Giải trình, tài liệu kiểm chứng", "Evidence note", 46, True),
    Column("appraised", "Điểm thẩm định", "Appraised score", 11, True),
    Column("reason", "Lý do điều chỉnh điểm", "Reason for the correction", 40, True),
)
COL = {c.key: i for i, c in enumerate(COLUMNS, start=1)}
LETTER = {key: get_column_letter(i) for key, i in COL.items()}
#: Columns an import cannot do without.
REQUIRED = ("code", "self_score", "evidence", "appraised", "reason")
SCORE_KEYS = ("self_score", "appraised")

KIND_NAMES: Mapping[str, tuple[str, str]] = {
    "department": ("Sở, ban, ngành tỉnh", "Provincial department"),
    "district": ("UBND huyện, thành phố", "District People's Committee"),
}

TEXTS: Mapping[str, Mapping[str, str]] = {
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
TOTAL_LABELS = frozenset(t["total"].casefold() for t in TEXTS.values())

