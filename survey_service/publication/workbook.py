"""The published report as an Excel workbook (openpyxl).

A first sheet with the title, legal basis, notice and methods; then one sheet per
table, numbers as number cells shown with their decimals.  Each sheet prints with its
header row repeated, "page X of Y" in the footer and, while the results are
preliminary, the notice in the page header and in its first row.
"""

from __future__ import annotations

import io
import re

from ..core.spreadsheets import fill_cell
from .content import Report, Table


def _sheet_name(key: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "-", key)[:28] or "bang"
    name, n = base, 2
    while name.lower() in taken:
        name, n = f"{base[:26]}-{n}", n + 1
    taken.add(name.lower())
    return name


def write_xlsx(report: Report) -> bytes:
    """The report as XLSX bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    cover = book.active
    cover.title = "bao-cao" if report.lang == "vi" else "report"
    bold, red = Font(bold=True), Font(bold=True, color="8A1C00")
    lines: list[tuple[str, Font | None]] = [(report.title, Font(bold=True, size=14)), (report.subtitle, None)]
    if report.legal_basis:
        lines.append((("Căn cứ: " if report.lang == "vi" else "Legal basis: ") + report.legal_basis, None))
    if report.banner:
        lines.append((report.banner, red))
    for part in report.sections:
        texts = [b for b in part.blocks if isinstance(b, str)]
        if texts:
            lines.append((part.heading, bold))
            lines += [(t, None) for t in texts]
    for text, font in lines:
        cover.append([None])
        cell = cover.cell(row=cover.max_row, column=1)
        fill_cell(cell, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if font is not None:
            cell.font = font
    cover.column_dimensions["A"].width = 120
    taken = {cover.title.lower()}
    head_fill = PatternFill("solid", fgColor="E8EDF3")
    for part in report.sections:
        for block in part.blocks:
            if not isinstance(block, Table):
                continue
            sheet = book.create_sheet(_sheet_name(block.key, taken))
            first = 1
            if report.banner:
                fill_cell(sheet.cell(row=1, column=1), report.banner)
                sheet.cell(row=1, column=1).font = red
                first = 2
            fill_cell(sheet.cell(row=first, column=1), block.title)
            sheet.cell(row=first, column=1).font = bold
            header_row = first + 1
            for j, text in enumerate(block.header, 1):
                cell = sheet.cell(row=header_row, column=j)
                fill_cell(cell, text)
                cell.font, cell.fill = bold, head_fill
                cell.alignment = Alignment(wrap_text=True, vertical="center")
                sheet.column_dimensions[cell.column_letter].width = max(8, block.widths[j - 1] * 6)
            for i, values in enumerate(block.rows, header_row + 1):
                for j, (value, decimals) in enumerate(zip(values, block.decimals), 1):
                    cell = sheet.cell(row=i, column=j)
                    fill_cell(cell, value)
                    if isinstance(value, float | int) and not isinstance(value, bool) and decimals:
                        cell.number_format = "0." + "0" * decimals
            if block.note:
                fill_cell(sheet.cell(row=sheet.max_row + 2, column=1), block.note)
            sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
            sheet.print_title_rows = f"{header_row}:{header_row}"
            sheet.oddFooter.left.text = report.footer
            sheet.oddFooter.right.text = ("Trang" if report.lang == "vi" else "Page") + " &P / &N"
            if report.banner:
                sheet.oddHeader.center.text = report.banner
            sheet.page_setup.orientation = "landscape"
            sheet.page_setup.fitToWidth = 1
    cover.oddFooter.right.text = ("Trang" if report.lang == "vi" else "Page") + " &P / &N"
    if report.banner:
        cover.oddHeader.center.text = report.banner
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
