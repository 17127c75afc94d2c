"""Printed slot cards: what the post office hands out, one card per slot.

* :func:`cards_pdf`: an A4 PDF of cards to print and cut, 8 a page (2 columns x 4
  rows, cut lines and crop marks), each with the QR code of the slot's link, the
  slot code, the link to type, the group, unit, form, survey title, deadline, an
  instruction and the anonymity promise; :func:`write_cards_pdf` writes it page by page.

Every QR code comes from :func:`.qr.qr_matrix`, so the PDF and the PNGs of
:func:`.qr.qr_zip` show the same symbol.  The QR codes are drawn as vector
rectangles, crisp at any print resolution.

Vietnamese needs a font with its letters (reportlab's built-in Helvetica has none):
the DejaVu fonts ship in ``survey_service/fonts/`` (see the README and LICENSE
there) and the PDF embeds the subset it uses, so the text stays searchable and
copyable.  A slot link is the respondent's credential: these files must be handled
like the cards themselves.
"""

from __future__ import annotations

import functools
import io
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

import sampling

from .card_content import Card, card_for, card_text, nfc
from .pdf_stream import StreamingCanvas
from .qr import Matrix, qr_matrices, qr_runs
from .queries import SlotRow

#: ``progress(done, total)``: called as cards or images are made.
Progress = Callable[[int, int], None]

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


def cards_pdf(rows: Iterable[SlotRow], plan: sampling.Plan, *, lang: str = "vi",
              progress: Progress | None = None) -> bytes:
    """An A4 PDF of the cards of ``rows``, 8 a page, in the order given.

    ``lang`` ('vi' or 'en') is the language of the texts (unit names stay
    Vietnamese).  ``progress(done, total)`` is called after each card (and once with
    ``(0, 0)`` for an empty selection, which gives one page saying so).  The output
    is the same bytes for the same input (no time stamp in the file).
    """
    rows = list(rows)  # an iterator (such as iter_slots) is welcome too
    out = io.BytesIO()
    write_cards_pdf(out, rows, len(rows), plan, lang=lang, progress=progress)
    return out.getvalue()


def write_cards_pdf(out: IO[bytes], rows: Iterable[SlotRow], total: int, plan: sampling.Plan, *,
                    lang: str = "vi", progress: Progress | None = None) -> None:
    """Write the PDF of :func:`cards_pdf` to ``out`` page by page, in memory that does not
    grow with the cards.  ``total``: how many ``rows`` (an iterator is welcome) there are,
    needed first for the footers (ValueError if it is wrong)."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    register_fonts()
    title = nfc(plan.title.get(lang))
    c = StreamingCanvas(out, pagesize=A4, pageCompression=1, invariant=1, lang=lang,
                        initialFontName=SANS, initialFontSize=8)
    c.setTitle(f"{card_text('subject', lang)}: {title}")
    c.setSubject(card_text("subject", lang))
    c.setCreator("survey-service")
    if total == 0:
        _draw_empty_page(c, title, lang)
        c.showPage()
        if progress:
            progress(0, 0)
    pages, rows = math.ceil(total / CARDS_PER_PAGE), iter(rows)
    for page in range(pages):
        first = page * CARDS_PER_PAGE
        batch = list(itertools.islice(rows, min(CARDS_PER_PAGE, total - first)))
        if len(batch) < min(CARDS_PER_PAGE, total - first):
            raise ValueError(f"{first + len(batch)} slot rows where {total} were announced")
        _draw_cut_lines(c)
        matrices = qr_matrices([row.url for row in batch])  # a page's QR codes at once: faster
        for i, (row, matrix) in enumerate(zip(batch, matrices)):
            col, line = i % COLUMNS, i // COLUMNS
            x = MARGIN_X + col * CARD_W
            y = PAGE_H - MARGIN_TOP - (line + 1) * CARD_H
            draw_card(c, card_for(row, plan, lang, matrix), x, y)
            if progress:
                progress(first + i + 1, total)
        _draw_footer(c, card_text("footer", lang, page=page + 1, pages=pages, first=first + 1,
                                  last=first + len(batch), total=total))
        c.showPage()
    if next(rows, None) is not None:
        raise ValueError(f"more slot rows than the {total} announced")
    c.save()


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
    c.drawCentredString(PAGE_W / 2, top - len(lines) * size * 1.3 - 18, card_text("empty", lang))

