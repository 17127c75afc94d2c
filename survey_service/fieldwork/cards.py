"""Printed slot cards and QR images: what the post office hands out, one card per slot.

* :func:`cards_pdf`: an A4 PDF of cards to print and cut, 8 a page (2 columns x 4
  rows, cut lines and crop marks), each with the QR code of the slot's link, the
  slot code, the link to type, the group, unit, form, survey title, deadline, an
  instruction and the anonymity promise.
* :func:`qr_zip`: a zip of one PNG QR image per slot (``<slot code>.png``) and a
  ``slots.csv`` index.
* :func:`qr_svg`: an inline SVG QR code for web pages (no external resources).

Every QR code comes from :func:`qr_matrix` (the ``qrcode`` library, error
correction M), so the PDF, the PNGs and the SVG show the same symbol.  The QR codes
are drawn as vector rectangles, crisp at any print resolution.

Vietnamese needs a font with its letters (reportlab's built-in Helvetica has none):
the DejaVu fonts ship in ``survey_service/fonts/`` (see the README and LICENSE
there) and the PDF embeds the subset it uses, so the text stays searchable and
copyable.  A slot link is the respondent's credential: these files must be handled
like the cards themselves.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

import sampling

from .slots import SlotRow

#: ``progress(done, total)``: called as cards or images are made.
Progress = Callable[[int, int], None]

#: A QR code as rows of modules, True for dark, without the quiet zone.
Matrix = tuple[tuple[bool, ...], ...]

LANGS = ("vi", "en")

#: Folder of the fonts shipped with the package.
FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"

#: reportlab font name -> file in :data:`FONT_DIR`.
FONTS = {
    "SurveyCard-Sans": "DejaVuSans.ttf",
    "SurveyCard-Sans-Bold": "DejaVuSans-Bold.ttf",
    "SurveyCard-Mono-Bold": "DejaVuSansMono-Bold.ttf",
}
SANS, BOLD, MONO = FONTS

#: Cards per page.
COLUMNS, ROWS = 2, 4
CARDS_PER_PAGE = COLUMNS * ROWS

#: QR images in :func:`qr_zip`: pixels per module and quiet zone in modules.
PNG_BOX_SIZE, PNG_BORDER, PNG_DPI = 10, 4, 300

#: Columns of ``slots.csv`` in :func:`qr_zip`.
INDEX_COLUMNS = ("slot", "group", "form", "unit", "unit_name", "url", "file")

# A slot code is used as a file name in the zip: letters, digits and - only.
_SAFE_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]*")

_TEXTS: dict[str, tuple[str, str]] = {
    "code_label": ("MÃ PHIẾU", "CARD CODE"),
    "group": ("Nhóm {code}:", "Group {code}:"),
    "unit": ("Đơn vị:", "Unit:"),
    "form": ("Mẫu phiếu:", "Form:"),
    "deadline": ("Hạn trả lời: {date}", "Reply by: {date}"),
    "instruction": ("Quét mã QR bằng điện thoại hoặc nhập đường dẫn để trả lời.",
                    "Scan the QR code with a phone, or type the link, to answer."),
    "anonymity": ("Phiếu ẩn danh: câu trả lời không gắn với mã phiếu hay người trả lời.",
                  "Anonymous: answers are not linked to the card code or to the respondent."),
    "empty": ("Không có phiếu nào được chọn: không có thẻ nào để in.",
              "No slots were selected: there are no cards to print."),
    "footer": ("Trang {page}/{pages} · thẻ {first}–{last} trên {total} · cắt theo đường kẻ",
               "Page {page}/{pages} · cards {first}–{last} of {total} · cut along the lines"),
    "subject": ("Thẻ phiếu khảo sát", "Survey slot cards"),
}

_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")


def _text(key: str, lang: str, **values: object) -> str:
    vi, en = _TEXTS[key]
    return (en if lang == "en" else vi).format(**values)


def _nfc(text: str) -> str:
    """Composed Unicode: reportlab places no combining marks, so 'ạ' must be one character."""
    return unicodedata.normalize("NFC", text).strip()


def format_date(day: dt.date, lang: str = "vi") -> str:
    """``28/02/2021`` in Vietnamese, ``28 February 2021`` in English."""
    if lang == "en":
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return day.strftime("%d/%m/%Y")


# --------------------------------------------------------------------------- QR codes


def qr_matrix(url: str) -> Matrix:
    """The QR code of ``url`` (error correction M, smallest version that fits, best mask).

    No quiet zone: whoever draws it leaves 4 light modules around it.
    """
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    qr.add_data(url)
    qr.make(fit=True)
    return tuple(tuple(bool(m) for m in row) for row in qr.get_matrix())


def qr_runs(matrix: Matrix) -> list[tuple[int, int, int]]:
    """The dark modules as horizontal runs ``(row, column, length)``, row by row.

    Drawing runs instead of single modules makes a page's content 3-4 times smaller.
    """
    runs = []
    for r, row in enumerate(matrix):
        c, n = 0, len(row)
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                runs.append((r, start, c - start))
            else:
                c += 1
    return runs


def qr_png(matrix: Matrix, *, box_size: int = PNG_BOX_SIZE, border: int = PNG_BORDER) -> bytes:
    """A black-and-white PNG of ``matrix``: ``box_size`` pixels a module, ``border`` modules of quiet zone.

    The PNG says 300 dpi, so it prints at about 35 mm for a version-4 code.
    """
    n = len(matrix)
    small = Image.new("1", (n + 2 * border, n + 2 * border), 1)
    small.putdata([0 if (border <= r < n + border and border <= c < n + border
                         and matrix[r - border][c - border]) else 1
                   for r in range(n + 2 * border) for c in range(n + 2 * border)])
    size = (n + 2 * border) * box_size
    image = small.resize((size, size), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True, dpi=(PNG_DPI, PNG_DPI))
    return out.getvalue()


def qr_svg(url: str, *, border: int = 4, label: str = "QR") -> str:
    """An inline ``<svg>`` QR code of ``url``: one path, no external resources.

    It scales with its container (``viewBox`` in modules, no width or height): size
    it with CSS.  ``label`` is its accessible name.
    """
    matrix = qr_matrix(url)
    size = len(matrix) + 2 * border
    path = "".join(f"M{c + border} {r + border}h{n}v1h-{n}z" for r, c, n in qr_runs(matrix))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
            f'shape-rendering="crispEdges" role="img" aria-label={quoteattr(label)}>'
            f"<title>{escape(label)}</title>"
            f'<rect width="{size}" height="{size}" fill="#fff"/>'
            f'<path fill="#000" d="{path}"/></svg>')


# --------------------------------------------------------------------------- card content


@dataclass(frozen=True)
class Card:
    """Everything printed on one card, as text (and the QR matrix)."""

    slot: str
    url: str
    #: The link as printed for typing (``https://`` dropped).
    link: str
    title: str
    code_label: str
    group_label: str
    group_name: str
    #: "Xã Thèn Sin, Huyện Tam Đường"; empty for a group with no unit (fixed quota).
    unit_label: str
    unit_name: str
    form_label: str
    form: str
    deadline: str
    instruction: str
    anonymity: str
    matrix: Matrix


def printed_link(url: str) -> str:
    """The link as printed for typing: without ``https://``, which browsers add themselves.

    ``http://`` is kept: a browser would try https first, which a plain-http server
    does not answer.
    """
    return url[len("https://"):] if url.lower().startswith("https://") else url


def card_for(row: SlotRow, plan: sampling.Plan, lang: str = "vi") -> Card:
    """The content of ``row``'s card, texts in ``lang`` (place names are Vietnamese)."""
    try:
        group_name = plan.group(row.group).name.get(lang)
    except KeyError:
        group_name = ""
    unit_name = row.unit_name or _unit_name(plan, row.unit)
    if unit_name and row.parent_unit:
        unit_name = f"{unit_name}, {_unit_name(plan, row.parent_unit)}"
    deadline = plan.deadlines.get("survey")
    return Card(
        slot=_nfc(row.slot),
        url=row.url,
        link=printed_link(row.url),
        title=_nfc(plan.title.get(lang)),
        code_label=_text("code_label", lang),
        group_label=_text("group", lang, code=_nfc(row.group)),
        group_name=_nfc(group_name),
        unit_label=_text("unit", lang) if unit_name else "",
        unit_name=_nfc(unit_name),
        form_label=_text("form", lang) if row.form else "",
        form=_nfc(row.form),
        deadline=_text("deadline", lang, date=format_date(deadline, lang)) if deadline else "",
        instruction=_text("instruction", lang),
        anonymity=_text("anonymity", lang),
        matrix=qr_matrix(row.url),
    )


def _unit_name(plan: sampling.Plan, code: str) -> str:
    if not code:
        return ""
    try:
        return plan.unit(code).name
    except KeyError:
        return code


# --------------------------------------------------------------------------- fonts and text


@functools.cache
def register_fonts() -> tuple[str, str, str]:
    """Register the shipped fonts with reportlab (once); returns (sans, bold, mono) names."""
    for name, file in FONTS.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file)))
    return SANS, BOLD, MONO


def has_glyphs(font: str, text: str) -> bool:
    """Whether ``font`` (a registered TrueType font) has a glyph for every character of ``text``."""
    cmap = pdfmetrics.getFont(font).face.charToGlyph
    return all(ord(ch) in cmap for ch in text if ch not in "\n")


def _width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


@functools.lru_cache(maxsize=4096)
def wrap(text: str, font: str, size: float, width: float,
         first_width: float | None = None) -> tuple[str, ...]:
    """``text`` broken into lines no wider than ``width`` (the first: ``first_width``).

    Lines break at spaces; a word wider than a line is broken between characters.
    Cached: most texts (title, instruction, group and unit names) recur on many cards.
    """
    lines: list[str] = []
    line = ""
    for word in text.split():
        limit = first_width if (first_width is not None and not lines) else width
        candidate = f"{line} {word}" if line else word
        if _width(candidate, font, size) <= limit:
            line = candidate
            continue
        if line:
            lines.append(line)
            line = ""
            limit = width
        while _width(word, font, size) > limit:  # a word longer than a line
            cut = 1
            while cut < len(word) and _width(word[:cut + 1], font, size) <= limit:
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
            limit = width
        line = word
    if line:
        lines.append(line)
    # No short word alone on the last line ("Lãnh đạo UBND cấp / xã"): take one more along.
    if len(lines) >= 2 and " " not in lines[-1] and len(lines[-1]) <= 4 and " " in lines[-2]:
        head, _, moved = lines[-2].rpartition(" ")
        if _width(f"{moved} {lines[-1]}", font, size) <= width:
            lines[-2:] = [head, f"{moved} {lines[-1]}"]
    return tuple(lines)


def fit(text: str, font: str, size: float, min_size: float, width: float, max_lines: int,
        first_width: float | None = None) -> tuple[float, list[str]]:
    """The largest size from ``size`` down to ``min_size`` at which ``text`` takes at most
    ``max_lines`` lines; at ``min_size`` the last line is cut short with an ellipsis."""
    current = size
    while True:
        lines = wrap(text, font, current, width, first_width)
        if len(lines) <= max_lines:
            return current, list(lines)
        if current - 0.25 < min_size:
            break
        current -= 0.25
    lines = list(lines[:max_lines])
    limit = first_width if (first_width is not None and max_lines == 1) else width
    last = lines[-1]
    while last and _width(last + "…", font, current) > limit:
        last = last[:-1].rstrip()
    lines[-1] = last + "…"
    return current, lines


# --------------------------------------------------------------------------- the PDF

PAGE_W, PAGE_H = A4
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 10 * mm, 10 * mm, 14 * mm
CARD_W = (PAGE_W - 2 * MARGIN_X) / COLUMNS
CARD_H = (PAGE_H - MARGIN_TOP - MARGIN_BOTTOM) / ROWS
PAD = 4 * mm
#: Side of the QR symbol, without its quiet zone.
QR_SIZE = 34 * mm
#: Light modules kept free around the symbol (the QR standard asks for 4).
QUIET = 4

INK = (0, 0, 0)
GREY = (0.33, 0.33, 0.33)
CUT = (0.7, 0.7, 0.7)


def cards_pdf(rows: Sequence[SlotRow], plan: sampling.Plan, *, lang: str = "vi",
              progress: Progress | None = None) -> bytes:
    """An A4 PDF of the cards of ``rows``, 8 a page, in the order given.

    ``lang`` ('vi' or 'en') is the language of the texts (unit names stay
    Vietnamese).  ``progress(done, total)`` is called after each card (and once with
    ``(0, 0)`` for an empty selection, which gives one page saying so).  The output
    is the same bytes for the same input (no time stamp in the file).
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    rows = list(rows)  # an iterator (such as iter_slots) is welcome too
    register_fonts()
    out = io.BytesIO()
    title = _nfc(plan.title.get(lang))
    c = Canvas(out, pagesize=A4, pageCompression=1, invariant=1, lang=lang,
               initialFontName=SANS, initialFontSize=8)
    c.setTitle(f"{_text('subject', lang)}: {title}")
    c.setSubject(_text("subject", lang))
    c.setCreator("survey-service")
    total = len(rows)
    if total == 0:
        _draw_empty_page(c, title, lang)
        c.showPage()
        if progress:
            progress(0, 0)
    pages = math.ceil(total / CARDS_PER_PAGE)
    for page in range(pages):
        first = page * CARDS_PER_PAGE
        batch = rows[first:first + CARDS_PER_PAGE]
        _draw_cut_lines(c)
        for i, row in enumerate(batch):
            col, line = i % COLUMNS, i // COLUMNS
            x = MARGIN_X + col * CARD_W
            y = PAGE_H - MARGIN_TOP - (line + 1) * CARD_H
            draw_card(c, card_for(row, plan, lang), x, y)
            if progress:
                progress(first + i + 1, total)
        _draw_footer(c, _text("footer", lang, page=page + 1, pages=pages, first=first + 1,
                              last=first + len(batch), total=total))
        c.showPage()
    c.save()
    return out.getvalue()


def draw_card(c: Canvas, card: Card, x: float, y: float) -> None:
    """Draw ``card`` with its lower left corner at (x, y), size CARD_W x CARD_H.

    Top: the survey title.  Bottom: the link to type, the instruction and the
    anonymity promise.  Between them the QR code on the left (its quiet zone free of
    ink) and, right of it, the slot code and who the card is for.
    """
    left, right = x + PAD, x + CARD_W - PAD
    width = right - left

    size, lines = fit(card.title, BOLD, 7.5, 6, width, 2)
    below_title = _lines(c, lines, BOLD, size, left, y + CARD_H - PAD, leading=size * 1.2, color=GREY)

    # The bottom block, measured first and set on the bottom padding.
    link_font = MONO if has_glyphs(MONO, card.link) else BOLD
    bottom = [_Para("", *fit(card.link, link_font, 8.5, 5.5, width, 2), font=link_font, after=1.2)]
    for text, color in ((card.instruction, INK), (card.anonymity, GREY)):
        size, lines = fit(text, SANS, 7, 6.2, width, 1)
        if lines[-1].endswith("…") and not text.endswith("…"):  # two lines rather than tiny type
            size, lines = fit(text, SANS, 7, 5.5, width, 2)
        bottom.append(_Para("", size, lines, color=color, after=0.6))
    top = y + PAD + sum(p.height for p in bottom)
    bottom_top = top
    for p in bottom:
        top = p.draw(c, left, top)

    # The QR code under the title.
    module = QR_SIZE / len(card.matrix)
    gap = max(QUIET * module - 1 * mm, 2.5 * mm)
    # Half of the height left over goes above the QR code, half below.
    slack = max(0.0, below_title - bottom_top - QR_SIZE - 2 * gap)
    qr_top = below_title - gap - slack / 2
    draw_qr(c, card.matrix, left, qr_top - QR_SIZE, QR_SIZE)

    # Right of it, down to the bottom block: the slot code, group, unit, form, deadline.
    col = left + QR_SIZE + QUIET * module
    col_w = right - col
    top = _lines(c, [card.code_label], SANS, 6.5, col, qr_top + 1, leading=7, color=GREY)
    code_font = MONO if has_glyphs(MONO, card.slot) else BOLD
    code_size, _ = fit(card.slot, code_font, 19, 10, col_w, 1)
    top = _lines(c, [card.slot], code_font, code_size, col, top - 1, leading=code_size) - 2
    room = top - bottom_top - 1.5 * mm
    # The largest type at which the texts fit the room, whole if possible.
    paras = best = None
    for paras in _column_layouts(card, col_w):
        if sum(p.height for p in paras) <= room:
            best = best or paras
            if not any(p.cut for p in paras):
                best = paras
                break
    for p in best or paras:
        top = p.draw(c, col, top)


@dataclass
class _Para:
    """A paragraph already broken into lines: an optional grey label, then the text."""

    label: str
    size: float
    lines: list[str]
    font: str = SANS
    color: tuple[float, float, float] = (0, 0, 0)
    after: float = 1.5
    #: True when the text was too long and its last line ends with an ellipsis.
    cut: bool = False

    @property
    def leading(self) -> float:
        return self.size * 1.2

    @property
    def height(self) -> float:
        return len(self.lines) * self.leading + self.after

    def draw(self, c: Canvas, x: float, top: float) -> float:
        """Draw from ``top`` down; returns the top of what follows."""
        baseline = top - self.size
        indent = 0.0
        c.setFont(self.font, self.size)
        if self.label:
            c.setFillColorRGB(*GREY)
            c.drawString(x, baseline, self.label)
            indent = _width(self.label + " ", self.font, self.size)
        c.setFillColorRGB(*self.color)
        for i, line in enumerate(self.lines):
            c.drawString(x + (indent if i == 0 else 0), baseline - i * self.leading, line)
        return top - self.height


def _column_layouts(card: Card, width: float):
    """Layouts of the column right of the QR code, from the largest type to the smallest."""
    parts = [(card.group_label, card.group_name, 3, SANS, INK)]
    if card.unit_name:
        parts.append((card.unit_label, card.unit_name, 3, SANS, INK))
    if card.form:
        parts.append((card.form_label, card.form, 1, SANS, INK))
    if card.deadline:
        parts.append(("", card.deadline, 1, BOLD, INK))
    for size in (8.5, 8, 7.5, 7, 6.5):
        paras = []
        for label, text, max_lines, font, color in parts:
            indent = _width(label + " ", font, size) if label else 0.0
            lines = list(wrap(text, font, size, width, first_width=width - indent))
            cut = len(lines) > max_lines
            if cut:
                _, lines = fit(text, font, size, size, width, max_lines, first_width=width - indent)
            paras.append(_Para(label, size, lines, font=font, color=color, cut=cut))
        yield paras


def draw_qr(c: Canvas, matrix: Matrix, x: float, y: float, size: float) -> None:
    """Draw ``matrix`` as a ``size`` square with its lower left corner at (x, y).

    One filled path of rectangles in module units (``col row length 1 re``, one per
    run of dark modules in a row), so abutting modules have no seams and the content
    stays small.
    """
    n = len(matrix)
    c.saveState()
    c.setFillColorRGB(*INK)
    # Origin at the top left corner of the symbol, one unit per module, y downwards.
    c.transform(size / n, 0, 0, -size / n, x, y + size)
    # Whole numbers only, written directly: reportlab's path objects format every
    # number as a float, which made this the slowest part of a card.
    c.addLiteral("\n".join(f"{col} {r} {length} 1 re" for r, col, length in qr_runs(matrix)) + "\nf")
    c.restoreState()


def _lines(c: Canvas, lines: Sequence[str], font: str, size: float, x: float, top: float,
           *, leading: float, color: tuple[float, float, float] = INK) -> float:
    """Draw ``lines`` from ``top`` down (first baseline ``size`` below it); returns the new top."""
    c.setFillColorRGB(*color)
    c.setFont(font, size)
    for i, line in enumerate(lines):
        c.drawString(x, top - size - i * leading, line)
    return top - (len(lines) - 1) * leading - size * 1.3


def _draw_cut_lines(c: Canvas) -> None:
    """Light cut lines around the cards and crop marks in the margins."""
    x0, x1 = MARGIN_X, PAGE_W - MARGIN_X
    y0, y1 = MARGIN_BOTTOM, PAGE_H - MARGIN_TOP
    c.saveState()
    c.setStrokeColorRGB(*CUT)
    c.setLineWidth(0.4)
    c.setDash(2, 2)
    for i in range(COLUMNS + 1):
        c.line(x0 + i * CARD_W, y0, x0 + i * CARD_W, y1)
    for j in range(ROWS + 1):
        c.line(x0, y0 + j * CARD_H, x1, y0 + j * CARD_H)
    c.setDash()
    c.setStrokeColorRGB(0.35, 0.35, 0.35)
    c.setLineWidth(0.5)
    gap, tick = 1.5 * mm, 5 * mm
    for i in range(COLUMNS + 1):
        xi = x0 + i * CARD_W
        c.line(xi, y1 + gap, xi, y1 + gap + tick)
        c.line(xi, y0 - gap, xi, y0 - gap - tick)
    for j in range(ROWS + 1):
        yj = y0 + j * CARD_H
        c.line(x0 - gap, yj, x0 - gap - tick, yj)
        c.line(x1 + gap, yj, x1 + gap + tick, yj)
    c.restoreState()


def _draw_footer(c: Canvas, text: str) -> None:
    c.setFillColorRGB(*GREY)
    c.setFont(SANS, 7)
    c.drawCentredString(PAGE_W / 2, MARGIN_BOTTOM - 9 * mm, text)


def _draw_empty_page(c: Canvas, title: str, lang: str) -> None:
    width = PAGE_W - 2 * MARGIN_X - 20 * mm
    size, lines = fit(title, BOLD, 12, 9, width, 3)
    top = PAGE_H / 2 + 40
    for i, line in enumerate(lines):
        c.setFont(BOLD, size)
        c.drawCentredString(PAGE_W / 2, top - i * size * 1.3, line)
    c.setFont(SANS, 12)
    c.drawCentredString(PAGE_W / 2, top - len(lines) * size * 1.3 - 18, _text("empty", lang))


# --------------------------------------------------------------------------- the zip


def qr_zip(rows: Sequence[SlotRow], *, progress: Progress | None = None) -> bytes:
    """A zip of one PNG QR code per slot, ``<slot code>.png``, and a ``slots.csv`` index.

    Each PNG has 10 pixels a module and a quiet zone of 4 modules (410 x 410 pixels
    for the usual version-4 code, about 35 mm at its 300 dpi).  ``slots.csv`` (UTF-8)
    has the columns :data:`INDEX_COLUMNS`.  Raises ValueError for a slot code that
    cannot be a file name or appears twice.
    """
    rows = list(rows)  # an iterator (such as iter_slots) is welcome too
    out = io.BytesIO()
    index = io.StringIO()
    writer = csv.DictWriter(index, fieldnames=INDEX_COLUMNS, lineterminator="\n")
    writer.writeheader()
    seen: set[str] = set()
    stamp = dt.datetime.now().timetuple()[:6]
    total = len(rows)
    with zipfile.ZipFile(out, "w") as zf:
        for done, row in enumerate(rows, start=1):
            if not _SAFE_NAME.fullmatch(row.slot):
                raise ValueError(f"slot code {row.slot!r} cannot be used as a file name")
            if row.slot in seen:
                raise ValueError(f"slot code {row.slot!r} appears twice")
            seen.add(row.slot)
            name = f"{row.slot}.png"
            # PNG data is already compressed: store it as it is.
            zf.writestr(zipfile.ZipInfo(name, stamp), qr_png(qr_matrix(row.url)),
                        compress_type=zipfile.ZIP_STORED)
            writer.writerow({"slot": row.slot, "group": row.group, "form": row.form, "unit": row.unit,
                             "unit_name": row.unit_name, "url": row.url, "file": name})
            if progress:
                progress(done, total)
        zf.writestr(zipfile.ZipInfo("slots.csv", stamp), index.getvalue().encode("utf-8"),
                    compress_type=zipfile.ZIP_DEFLATED)
    if progress and total == 0:
        progress(0, 0)
    return out.getvalue()
