"""The published report as a Word file (python-docx).

Every page's footer says "page X of Y" (Word fields) and, while the results are
preliminary, its header carries the notice; every table repeats its header row on each
page it spans; the chart is a PNG drawn with the DejaVu fonts.
"""

from __future__ import annotations

import io
from typing import Any

from .charts import to_png
from .content import Chart, Report, Table, number

FONT = "Times New Roman"


def _field(paragraph: Any, code: str) -> None:
    """A Word field (``PAGE``, ``NUMPAGES``) in ``paragraph``."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run = paragraph.add_run()
    run.font.size = Pt(8)
    for kind, text in (("begin", None), (None, code), ("separate", None), (None, "1"), ("end", None)):
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == code:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {code} "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)


def _repeat_header(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _table(doc: Any, block: Table, lang: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc.add_heading(block.title, level=2)
    from docx.oxml.ns import qn

    table = doc.add_table(rows=1, cols=len(block.header))
    table.style = "Table Grid"
    table.autofit = False
    total = sum(block.widths)
    widths = [Cm(17.4 * w / total) for w in block.widths]
    for column, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths):
        column.set(qn("w:w"), str(int(width.twips)))
    head = table.rows[0]
    _repeat_header(head)
    for cell, text, width in zip(head.cells, block.header, widths):
        cell.width = width
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        run.font.size = Pt(8.5)
    for values in block.rows:
        cells = table.add_row().cells
        for cell, value, decimals, width in zip(cells, values, block.decimals, widths):
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            text = number(value, lang, decimals) if numeric or value is None else str(value)
            cell.width = width
            paragraph = cell.paragraphs[0]
            paragraph.add_run(text).font.size = Pt(8.5)
            if numeric or value is None:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if block.note:
        note = doc.add_paragraph()
        note.add_run(block.note).font.size = Pt(8)


def write_docx(report: Report) -> bytes:
    """The report as DOCX bytes."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(11)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    for name in ("Title", "Heading 1", "Heading 2"):
        doc.styles[name].font.name = FONT
        doc.styles[name].element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(1.8)
    section.top_margin, section.bottom_margin = Cm(1.8), Cm(1.6)
    if report.banner:
        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = header.add_run(report.banner)
        run.bold = True
        run.font.size = Pt(9)
        run.font.color.rgb = RGBColor(0x8A, 0x1C, 0x00)
    footer = section.footer.paragraphs[0]
    footer.add_run(f"{report.footer}    {'Trang' if report.lang == 'vi' else 'Page'} ").font.size = Pt(8)
    _field(footer, "PAGE")
    footer.add_run(" / ").font.size = Pt(8)
    _field(footer, "NUMPAGES")
    doc.core_properties.title = report.title
    doc.core_properties.subject = report.subtitle

    title = doc.add_heading(report.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    subtitle = doc.add_paragraph(report.subtitle)
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if report.legal_basis:
        basis = doc.add_paragraph()
        basis.add_run("Căn cứ: " if report.lang == "vi" else "Legal basis: ").bold = True
        basis.add_run(report.legal_basis)
    if report.banner:
        notice = doc.add_paragraph()
        run = notice.add_run(report.banner)
        run.bold = True
        run.font.color.rgb = RGBColor(0x8A, 0x1C, 0x00)
    for part in report.sections:
        doc.add_heading(part.heading, level=1)
        for block in part.blocks:
            if isinstance(block, Table):
                _table(doc, block, report.lang)
            elif isinstance(block, Chart):
                doc.add_heading(block.title, level=2)
                doc.add_picture(io.BytesIO(to_png(block.figure)),
                                width=Cm(min(17.4, block.figure.width / 72 * 2.54)))
            else:
                doc.add_paragraph(block)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
