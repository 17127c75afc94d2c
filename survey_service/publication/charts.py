"""The report's chart, drawn once as shapes and rendered twice: vector graphics for the
PDF (reportlab), a PNG image for the Word file (Pillow), both with the DejaVu fonts
that set Vietnamese correctly.

A :class:`Figure` is a list of rectangles, lines and texts in points, from the top
left corner.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..core.svg import format_number, text_width

FONTS = Path(__file__).resolve().parent.parent / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"

#: Fill of a cell by grade band, best first (a sequential blue scale, readable in grey),
#: and whether its text is white.
BAND_COLOURS = ["#08306b", "#2171b5", "#6baed6", "#c6dbef", "#f7fbff"]
TEXT = "#1b1f24"
MUTED = "#5b6470"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    stroke: str | None = None


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline
    text: str
    size: float = 8
    bold: bool = False
    colour: str = TEXT
    anchor: str = "start"  # start | middle | end


@dataclass
class Figure:
    width: float
    height: float
    items: list[Rect | Text] = field(default_factory=list)


def _fit(text: str, size: float, room: float) -> str:
    if text_width(text, size) <= room:
        return text
    while text and text_width(text + "…", size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def area_heatmap(units: Sequence[str], areas: Sequence[str], values: Sequence[Sequence[float | None]],
                 *, bands: Sequence[tuple[float, str]], lang: str = "vi", width: float = 500) -> Figure:
    """Units (rows) by areas (columns): each cell shaded by the grade band its index
    falls in, with the index written in it; a legend of the bands below."""
    label_w = min(190.0, width * 0.38)
    cols = max(1, len(areas))
    cell_w = (width - label_w) / cols
    cell_h, top = 14.0, 16.0
    legend_y = top + cell_h * len(units) + 14
    fig = Figure(width, legend_y + 14)
    for j, code in enumerate(areas):
        fig.items.append(Text(label_w + (j + 0.5) * cell_w, top - 4, code, 7.5, True, anchor="middle"))
    ordered = sorted(bands, key=lambda b: -b[0])
    for i, unit in enumerate(units):
        y = top + i * cell_h
        fig.items.append(Text(0, y + cell_h - 4, _fit(unit, 7.5, label_w - 6), 7.5))
        for j, value in enumerate(values[i]):
            x = label_w + j * cell_w
            if value is None:
                fig.items.append(Rect(x, y, cell_w, cell_h, "#ffffff", "#dde1e6"))
                fig.items.append(Text(x + cell_w / 2, y + cell_h - 4, "—", 7, colour=MUTED, anchor="middle"))
                continue
            band = next((k for k, (low, _) in enumerate(ordered) if value >= low), len(ordered) - 1)
            colour = BAND_COLOURS[min(band, len(BAND_COLOURS) - 1)]
            fig.items.append(Rect(x, y, cell_w, cell_h, colour, "#ffffff"))
            fig.items.append(Text(x + cell_w / 2, y + cell_h - 4, format_number(value, lang, 0), 7,
                                  colour="#ffffff" if band < 2 else TEXT, anchor="middle"))
    x = 0.0
    for k, (low, name) in enumerate(ordered):
        colour = BAND_COLOURS[min(k, len(BAND_COLOURS) - 1)]
        label = f"{name} ≥ {format_number(low, lang, 0)}" if low > 0 else name
        fig.items.append(Rect(x, legend_y - 8, 9, 9, colour, "#8a939e"))
        fig.items.append(Text(x + 12, legend_y, label, 7, colour=MUTED))
        x += 12 + text_width(label, 7) + 12
    return fig


def to_drawing(fig: Figure):  # type: ignore[no-untyped-def]
    """The figure as a reportlab Drawing (a flowable of the PDF), fonts registered first."""
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.graphics.shapes import Rect as RlRect
    from reportlab.lib.colors import HexColor

    register_fonts()
    drawing = Drawing(fig.width, fig.height, initialFontName=REGULAR)
    for item in fig.items:
        if isinstance(item, Rect):
            drawing.add(RlRect(item.x, fig.height - item.y - item.h, item.w, item.h,
                               fillColor=HexColor(item.fill),
                               strokeColor=HexColor(item.stroke) if item.stroke else None,
                               strokeWidth=0.5))
        else:
            drawing.add(String(item.x, fig.height - item.y, item.text, fontSize=item.size,
                               fontName=BOLD if item.bold else REGULAR, fillColor=HexColor(item.colour),
                               textAnchor=item.anchor))
    return drawing


def to_png(fig: Figure, *, scale: float = 3.0) -> bytes:
    """The figure as a PNG (``scale`` pixels per point: 3 gives 216 dpi)."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (round(fig.width * scale), round(fig.height * scale)), "#ffffff")
    draw = ImageDraw.Draw(image)
    fonts: dict[tuple[float, bool], ImageFont.FreeTypeFont] = {}
    for item in fig.items:
        if isinstance(item, Rect):
            box = [item.x * scale, item.y * scale, (item.x + item.w) * scale - 1, (item.y + item.h) * scale - 1]
            draw.rectangle(box, fill=item.fill, outline=item.stroke, width=max(1, round(scale * 0.5)))
            continue
        key = (item.size, item.bold)
        if key not in fonts:
            fonts[key] = ImageFont.truetype(str(FONTS / f"{BOLD if item.bold else REGULAR}.ttf"),
                                            round(item.size * scale))
        anchor = {"start": "ls", "middle": "ms", "end": "rs"}[item.anchor]
        draw.text((item.x * scale, item.y * scale), item.text, font=fonts[key], fill=item.colour,
                  anchor=anchor)
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(72 * scale, 72 * scale))
    return out.getvalue()


def register_fonts() -> None:
    """The DejaVu fonts in reportlab (embedded in every PDF that uses them)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if REGULAR in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
    from reportlab.lib.fonts import addMapping

    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, REGULAR)
    addMapping(REGULAR, 1, 1, BOLD)
