"""The published report as a PDF (reportlab's platypus), A4, DejaVu fonts embedded.

Every page carries the footer with "page X of Y" and, while the results are
preliminary, the preliminary notice at the top; every table repeats its header row on
each page it spans.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from .charts import BOLD, REGULAR, register_fonts, to_drawing
from .content import Chart, Report, Table, number


def _styles():  # type: ignore[no-untyped-def]
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("body", fontName=REGULAR, fontSize=9.5, leading=12.5, spaceAfter=5)
    return {
        "body": base,
        "title": ParagraphStyle("title", base, fontName=BOLD, fontSize=16, leading=20, spaceAfter=8,
                                alignment=1),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=12, leading=15, alignment=1, spaceAfter=12),
        "h1": ParagraphStyle("h1", base, fontName=BOLD, fontSize=13, leading=16, spaceBefore=10,
                             spaceAfter=6, keepWithNext=1),
        "h2": ParagraphStyle("h2", base, fontName=BOLD, fontSize=10.5, leading=13, spaceBefore=8,
                             spaceAfter=4, keepWithNext=1),
        "note": ParagraphStyle("note", base, fontSize=8, leading=10, textColor="#5b6470"),
        "banner": ParagraphStyle("banner", base, fontName=BOLD, fontSize=10, leading=13,
                                 textColor="#8a1c00", borderColor="#d55e00", borderWidth=1,
                                 borderPadding=5, backColor="#fff4e5", spaceBefore=4, spaceAfter=10),
        "cell": ParagraphStyle("cell", base, fontSize=7.5, leading=9, spaceAfter=0),
        "cell_r": ParagraphStyle("cell_r", base, fontSize=7.5, leading=9, spaceAfter=0, alignment=2),
        "head": ParagraphStyle("head", base, fontName=BOLD, fontSize=7.5, leading=9, spaceAfter=0),
    }


def _numbered_canvas(report: Report):  # type: ignore[no-untyped-def]
    """A canvas that writes "page X of Y" and the notice once every page is known."""
    from reportlab.pdfgen.canvas import Canvas

    word = "Trang" if report.lang == "vi" else "Page"
    of = "/"

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["initialFontName"] = REGULAR  # no font but DejaVu in the file
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, height = self._pagesize
            self.setFont(REGULAR, 7.5)
            self.setFillColor("#5b6470")
            self.drawString(42, 24, report.footer)
            self.drawRightString(width - 42, 24, f"{word} {self._pageNumber} {of} {total}")
            if report.banner:
                self.setFillColor("#8a1c00")
                self.setFont(BOLD, 8)
                self.drawCentredString(width / 2, height - 26, report.banner)

    return NumberedCanvas


def _table(block: Table, report: Report, styles: dict[str, Any], width: float):  # type: ignore[no-untyped-def]
    from reportlab.platypus import Paragraph, TableStyle
    from reportlab.platypus import Table as RlTable

    total = sum(block.widths)
    widths = [width * w / total for w in block.widths]
    data = [[Paragraph(escape(h), styles["head"]) for h in block.header]]
    for row in block.rows:
        cells = []
        for value, decimals in zip(row, block.decimals):
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            text = number(value, report.lang, decimals) if numeric or value is None else str(value)
            cells.append(Paragraph(escape(text), styles["cell_r" if numeric or value is None else "cell"]))
        data.append(cells)
    table = RlTable(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), REGULAR), ("GRID", (0, 0), (-1, -1), 0.4, "#8a939e"),
        ("BACKGROUND", (0, 0), (-1, 0), "#e8edf3"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def write_pdf(report: Report) -> bytes:
    """The report as PDF bytes."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    register_fonts()
    styles = _styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                            topMargin=1.6 * cm, bottomMargin=1.5 * cm, title=report.title,
                            author=report.footer, subject=report.subtitle)
    width = A4[0] - 3 * cm
    story: list[Any] = [Paragraph(escape(report.title), styles["title"]),
                        Paragraph(escape(report.subtitle), styles["subtitle"])]
    if report.legal_basis:
        label = "Căn cứ: " if report.lang == "vi" else "Legal basis: "
        story.append(Paragraph(f"<b>{escape(label)}</b>{escape(report.legal_basis)}", styles["body"]))
    if report.banner:
        story.append(Paragraph(escape(report.banner), styles["banner"]))
    for section in report.sections:
        story.append(Paragraph(escape(section.heading), styles["h1"]))
        for block in section.blocks:
            if isinstance(block, Table):
                story.append(Paragraph(escape(block.title), styles["h2"]))
                story.append(_table(block, report, styles, width))
                if block.note:
                    story.append(Spacer(1, 3))
                    story.append(Paragraph(escape(block.note), styles["note"]))
                story.append(Spacer(1, 6))
            elif isinstance(block, Chart):
                drawing = to_drawing(block.figure)
                factor = min(1.0, width / drawing.width)
                drawing.scale(factor, factor)
                drawing.width, drawing.height = drawing.width * factor, drawing.height * factor
                story.append(Paragraph(escape(block.title), styles["h2"]))
                story.append(drawing)
                story.append(Spacer(1, 6))
            else:
                story.append(Paragraph(escape(block), styles["body"]))
    doc.build(story, canvasmaker=_numbered_canvas(report))
    return out.getvalue()
