"""The post office's files: the delivery list (PDF and XLSX) and the cards in delivery order.

* :func:`delivery_pdf`: A4 landscape, one section per unit and commune (each starts a
  page), one line per person: the slot's QR code and code, name, address, phone, the
  service and day of the dossier, and boxes for the outcome (handed out, returned,
  unreachable, refused) to tick in the field;
* :func:`delivery_xlsx` (and :func:`delivery_csv`): the same list (:data:`~.queries.DELIVERY_COLUMNS`), and the
  people replaced with the outcome and its reason, every text a text cell
  (:mod:`survey_service.core.spreadsheets`: a name that starts with ``=`` stays a name);
* :func:`cards_in_order`: the anonymous cards of the same slots (the field work's
  cards), in the order of the list, to put in the envelopes.

These files carry personal data and respondent links: they are for the post office
only, and must be destroyed with the roster at the end of field work.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

import sampling
from questionnaires import Label

from ..core.spreadsheets import csv_bytes, xlsx_bytes
from ..fieldwork.card_content import nfc
from ..fieldwork.cards import BOLD, MONO, SANS, draw_qr, fit, has_glyphs, register_fonts
from ..fieldwork.qr import qr_matrix
from ..fieldwork.queries import SlotRow
from .queries import DELIVERY_COLUMNS, DeliveryRow

PAGE_W, PAGE_H = landscape(A4)
MARGIN = 10 * mm
ROW_H = 20 * mm
QR = 16 * mm
HEAD_H = 22 * mm
FOOT_H = 8 * mm
ROWS_PER_PAGE = int((PAGE_H - 2 * MARGIN - HEAD_H - FOOT_H) // ROW_H)

_TEXTS = {
    "title": Label("Danh sách giao phiếu khảo sát sự hài lòng", "Delivery list of the satisfaction survey"),
    "group": Label("Nhóm", "Group"),
    "unit": Label("Cơ quan giải quyết hồ sơ", "Unit that handled the dossiers"),
    "commune": Label("Xã, phường", "Commune"),
    "no_commune": Label("(không ghi xã)", "(no commune given)"),
    "columns": Label("STT|Mã phiếu|Họ tên|Địa chỉ|Điện thoại|Hồ sơ|Kết quả (đánh dấu)",
                     "No.|Slot|Name|Address|Phone|Dossier|Outcome (tick)"),
    "boxes": Label("đã phát|đã thu về|không gặp|từ chối", "handed out|returned|unreachable|refused"),
    "footer": Label("Tài liệu có thông tin cá nhân: chỉ dùng để giao phiếu, hủy khi kết thúc điều tra · "
                    "trang {page}/{pages}",
                    "Personal data: for delivery only, destroy when field work ends · page {page}/{pages}"),
    "empty": Label("Không có người nào trong danh sách đã chọn.", "Nobody is on the selected list."),
    "purged": Label("(đã xóa)", "(purged)"),
}

#: Column x positions (from the left margin) and widths.
_COLS = {"no": (0, 10 * mm), "slot": (10 * mm, 48 * mm), "name": (58 * mm, 45 * mm),
         "address": (103 * mm, 70 * mm), "phone": (173 * mm, 26 * mm), "dossier": (199 * mm, 38 * mm),
         "outcome": (237 * mm, 40 * mm)}


def text(key: str, lang: str, **values: object) -> str:
    return _TEXTS[key].get(lang).format(**values)


def _sections(rows: Sequence[DeliveryRow]) -> list[tuple[tuple[str, str, str], list[DeliveryRow]]]:
    """Rows by (unit, unit name, commune), in their order."""
    return [(key, list(group)) for key, group in
            itertools.groupby(rows, key=lambda r: (r.unit, r.unit_name, r.commune))]


def delivery_pdf(rows: Sequence[DeliveryRow], plan: sampling.Plan, group: str, *,
                 lang: str = "vi") -> bytes:
    """The delivery list of ``rows`` (in their order) as an A4 landscape PDF."""
    register_fonts()
    out = io.BytesIO()
    c = Canvas(out, pagesize=(PAGE_W, PAGE_H), pageCompression=1, invariant=1, lang=lang,
               initialFontName=SANS, initialFontSize=8)
    c.setTitle(f"{text('title', lang)}: {nfc(sampling.name_in(plan, lang))}")
    c.setCreator("survey-service")
    try:
        group_name = sampling.name_in(plan.group(group), lang)
    except KeyError:
        group_name = ""
    pages = [(key, chunk) for key, section in _sections(rows)
             for chunk in (section[i:i + ROWS_PER_PAGE] for i in range(0, len(section), ROWS_PER_PAGE))]
    if not pages:
        c.setFont(SANS, 12)
        c.drawCentredString(PAGE_W / 2, PAGE_H / 2, text("empty", lang))
        c.showPage()
    numbers = itertools.count(1)
    for page, ((_unit, unit_name, commune), chunk) in enumerate(pages, start=1):
        _draw_head(c, plan, f"{group} {group_name}", unit_name, commune, lang)
        top = PAGE_H - MARGIN - HEAD_H
        for person in chunk:
            _draw_row(c, person, next(numbers), top, lang)
            top -= ROW_H
        c.setFont(SANS, 7)
        c.setFillColorRGB(0.33, 0.33, 0.33)
        c.drawCentredString(PAGE_W / 2, MARGIN, text("footer", lang, page=page, pages=len(pages)))
        c.showPage()
    c.save()
    return out.getvalue()


def _draw_head(c: Canvas, plan: sampling.Plan, group: str, unit_name: str, commune: str,
               lang: str) -> None:
    width = PAGE_W - 2 * MARGIN
    top = PAGE_H - MARGIN
    c.setFillColorRGB(0, 0, 0)
    size, lines = fit(nfc(f"{text('title', lang)} · {sampling.name_in(plan, lang)}"), BOLD, 10, 7, width, 1)
    c.setFont(BOLD, size)
    c.drawString(MARGIN, top - size, lines[0])
    where = (f"{text('group', lang)}: {group} · {text('unit', lang)}: {unit_name} · "
             f"{text('commune', lang)}: {commune or text('no_commune', lang)}")
    size, lines = fit(nfc(where), SANS, 9, 6.5, width, 1)
    c.setFont(SANS, size)
    c.drawString(MARGIN, top - 5 * mm - size, lines[0])
    c.setFont(BOLD, 7.5)
    y = top - HEAD_H + 2 * mm
    for (x, _w), label in zip(_COLS.values(), text("columns", lang).split("|")):
        c.drawString(MARGIN + x, y, label)
    c.setStrokeColorRGB(0.5, 0.5, 0.5)
    c.setLineWidth(0.5)
    c.line(MARGIN, y - 1.5 * mm, PAGE_W - MARGIN, y - 1.5 * mm)


def _cell(c: Canvas, value: str, column: str, top: float, *, font: str = SANS, size: float = 8,
          max_lines: int = 4) -> None:
    x, width = _COLS[column]
    if not value:
        return
    size, lines = fit(nfc(value), font, size, 6, width - 2 * mm, max_lines)
    c.setFont(font, size)
    for i, line in enumerate(lines):
        c.drawString(MARGIN + x, top - 3 * mm - size - i * size * 1.2, line)


def _draw_row(c: Canvas, person: DeliveryRow, number: int, top: float, lang: str) -> None:
    c.setFillColorRGB(0, 0, 0)
    _cell(c, str(number), "no", top)
    x_slot = MARGIN + _COLS["slot"][0]
    draw_qr(c, qr_matrix(person.url), x_slot, top - 2 * mm - QR, QR)
    code_font = MONO if has_glyphs(MONO, person.slot) else BOLD
    c.setFont(code_font, 8)
    c.drawString(x_slot + QR + 3 * mm, top - 6 * mm, person.slot)
    purged = text("purged", lang)
    _cell(c, person.name or purged, "name", top, font=BOLD, size=8.5, max_lines=3)
    _cell(c, person.address, "address", top, max_lines=5)
    _cell(c, person.phone, "phone", top, max_lines=2)
    dossier = " · ".join(v for v in (person.dossier, person.service, person.served_on) if v)
    _cell(c, dossier, "dossier", top, size=7, max_lines=5)
    x_box = MARGIN + _COLS["outcome"][0]
    c.setFont(SANS, 6.5)
    c.setLineWidth(0.5)
    for i, label in enumerate(text("boxes", lang).split("|")):
        x, y = x_box + (i % 2) * 21 * mm, top - 3 * mm - (i // 2 + 1) * 5 * mm
        c.rect(x, y, 3 * mm, 3 * mm)
        c.drawString(x + 4.5 * mm, y + 0.6 * mm, label)
    c.setStrokeColorRGB(0.75, 0.75, 0.75)
    c.line(MARGIN, top - ROW_H, PAGE_W - MARGIN, top - ROW_H)
    c.setStrokeColorRGB(0, 0, 0)


def delivery_xlsx(rows: Sequence[DeliveryRow], replaced: Sequence[DeliveryRow] = ()) -> bytes:
    """The delivery list (sheet ``giao_phat``) and the people replaced (``thay_the``)."""
    replaced_columns = [c for c in DELIVERY_COLUMNS if c != "url"] + ["outcome", "reason"]
    return xlsx_bytes({
        "giao_phat": (list(DELIVERY_COLUMNS), [r.as_dict() for r in rows]),
        "thay_the": (replaced_columns, [{**r.as_dict(), "outcome": r.outcome, "reason": r.reason}
                                        for r in replaced]),
    })


def delivery_csv(rows: Sequence[DeliveryRow]) -> bytes:
    """The delivery list as CSV (UTF-8), text that could be a formula escaped."""
    return csv_bytes(DELIVERY_COLUMNS, (r.as_dict() for r in rows))


def cards_in_order(rows: Sequence[DeliveryRow], plan: sampling.Plan, group: str, *,
                   lang: str = "vi") -> bytes:
    """The anonymous cards of the slots of ``rows``, in the same order (no personal data)."""
    from ..fieldwork.cards import cards_pdf

    form = plan.group(group).form or ""
    slots = [SlotRow(slot=r.slot, group=group, form=form, unit=r.unit, unit_name=r.unit_name,
                     parent_unit="", url=r.url, status=r.status) for r in rows]
    return cards_pdf(slots, plan, lang=lang)
