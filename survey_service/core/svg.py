"""Inline SVG for the staff pages: the primitives every chart is drawn with.

The staff pages carry no script and load nothing from outside, so their charts
are SVG markup written on the server and put straight into the page.  Every
function is pure: it takes numbers and texts and returns a string (an
:class:`Svg`, which Jinja inserts as it is, since everything in it is already
escaped).  The charts themselves live with their feature: the progress bars in
:mod:`survey_service.fieldwork.charts`, the index chart in
:mod:`survey_service.results.charts`.

Each chart has a ``viewBox`` and ``width="100%"``: it fills its container and
keeps its proportions.  ``width`` (640 by default) is the drawing's width in
user units; the text sizes are fixed in those units.  On a 360 px phone the
page's column is 336 px (:data:`PHONE_COLUMN_PX`), so a 640-unit chart is drawn
at 0.525 px per unit there: no text may be smaller than :func:`min_font_size`
(21 units at 640) for it to read at 11 px (:data:`MIN_TEXT_PX`); the same texts
are about 20 px in the 40rem column of the desktop pages.

Colours come from the viridis scale (safe for every common colour-vision
deficiency) and step down in lightness by about 20 L* each, so the series can
still be told apart in greyscale print; lines differ by dash pattern as well.

Texts are Vietnamese by default, English with ``lang="en"``, and so are the
numbers: ``1.193`` and ``54,5`` in Vietnamese, ``1,193`` and ``54.5`` in English.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from xml.sax.saxutils import escape, quoteattr

LANGS = ("vi", "en")

# Series, darkest = furthest along (viridis; L* 36 / 55 / 76 on a 96 track).
COLOR_COMPLETED = "#3b528b"
COLOR_STARTED = "#21918c"
COLOR_HANDED_OUT = "#7ad151"
COLOR_PLANNED = "#f2f2f2"  # the track: the whole plan of a row
COLOR_PLANNED_EDGE = "#6e6e6e"  # its outline, visible against the page (3:1 and more)
# Lines and text.
COLOR_REFERENCE = "#6e6e6e"  # "on schedule" line (dashed)
COLOR_TODAY = "#d55e00"  # today marker (Okabe-Ito vermillion, dotted)
COLOR_EXPECTED = COLOR_TODAY  # where the bars should reach today (same meaning)
COLOR_TEXT = "#1b1f24"  # the pages' --fg
COLOR_MUTED = "#5b6470"  # the pages' --mu
COLOR_GRID = "#dde1e6"

MIN_WIDTH = 320  # narrower drawings have no room for their texts
#: The column a chart fills on a 360 px phone (the viewport less the page's padding).
PHONE_COLUMN_PX = 336
#: The smallest text a chart may show there, in CSS pixels.
MIN_TEXT_PX = 11
FONT_FAMILY = 'system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif'
PAD = 12

# Characters XML 1.0 does not allow (they would make the SVG ill-formed).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"\s+")


class Svg(str):
    """SVG markup: a ``str`` that Jinja's autoescape leaves as it is (all text in it is escaped)."""

    __slots__ = ()

    def __html__(self) -> str:
        return str(self)



# --------------------------------------------------------------------------- helpers


def percent(a: float, b: float) -> float:
    """``a`` as a percentage of ``b`` (0-100, more if ``a > b``); 0 when ``b`` is 0."""
    if not b:
        return 0.0
    return 100.0 * a / b


def format_number(value: float, lang: str = "vi", decimals: int = 0) -> str:
    """``1193`` as ``1.193`` (vi) or ``1,193`` (en); ``decimals`` places after ``,`` / ``.``."""
    check_lang(lang)
    text = f"{value:,.{decimals}f}"
    if text in ("-0", "-0.0") or re.fullmatch(r"-0\.0+", text):
        text = text[1:]
    if lang == "vi":
        text = text.translate(str.maketrans(",.", ".,"))
    return text


def min_font_size(width: float = 640) -> int:
    """The smallest font size (user units) a chart ``width`` units wide may use, so that
    its text reads at :data:`MIN_TEXT_PX` when it fills a phone's column.

    >>> min_font_size(640), min_font_size(900)
    (21, 30)
    """
    return math.ceil(MIN_TEXT_PX * width / PHONE_COLUMN_PX - 1e-9)


def check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")


def check_width(width: float) -> float:
    if not width >= MIN_WIDTH:
        raise ValueError(f"width must be at least {MIN_WIDTH}, not {width!r}")
    return float(width)


def pick(lang: str, vi: str, en: str) -> str:
    return en if lang == "en" else vi


def pct_text(value: float, lang: str, decimals: int = 1) -> str:
    """A percentage for a sentence: one decimal place, none when it is whole."""
    text = format_number(value, lang, decimals)
    return re.sub(r"[.,]0+$", "", text)



def clean(text: object) -> str:
    """Text from data, safe to escape into XML: NFC, no control characters, one line."""
    text = "" if text is None else str(text)
    text = unicodedata.normalize("NFC", text)
    text = _NOT_XML.sub("", text)
    return _SPACES.sub(" ", text).strip()


def char_em(ch: str) -> float:
    """About the advance width (in em) of a character in a wide sans-serif (DejaVu Sans)."""
    if ch == " " or ch in ".,:;!|'()[]/-iIlfjtr":
        return 0.36
    if ch.isdigit():
        return 0.64
    if ch in "%mwMW":
        return 0.95
    if ch.isupper():
        return 0.72
    return 0.6


def text_width(text: str, size: float, bold: bool = False) -> float:
    """An estimate on the wide side (the common fonts of phones are narrower)."""
    return sum(char_em(ch) for ch in text) * size * (1.1 if bold else 1.0)


def fit(text: str, size: float, room: float) -> str:
    """``text``, cut with an ellipsis so that it is about ``room`` wide at most."""
    if text_width(text, size) <= room:
        return text
    limit = room - text_width("…", size)
    out = ""
    for ch in text:
        if text_width(out + ch, size) > limit:
            break
        out += ch
    return out.rstrip() + "…"


def num(value: float) -> str:
    """A coordinate, short: at most one decimal place."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def as_count(value: object, what: str) -> int:
    """A count from data: an integer ≥ 0 (None, as from an outer join, counts as 0)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise TypeError(f"{what} must be a whole number, not {value!r}")
    number = int(value)  # type: ignore[call-overload]
    if number != value:
        raise ValueError(f"{what} must be a whole number, not {value!r}")
    if number < 0:
        raise ValueError(f"{what} must not be negative, not {value!r}")
    return number


def field_of(row: object, name: str, default: object = None) -> object:
    if isinstance(row, Mapping):
        return row.get(name, default)
    return getattr(row, name, default)


def svg_text(x: float | None, y: float, content: str, **attrs: object) -> str:
    parts = ["<text"]
    if x:
        parts.append(f' x="{num(x)}"')
    parts.append(f' y="{num(y)}"')
    for key, value in attrs.items():
        parts.append(f" {key.replace('_', '-')}={quoteattr(str(value))}")
    parts.append(f">{escape(content)}</text>")
    return "".join(parts)


def open_svg(kind: str, width: float, height: float, summary: str, desc: str,
              font_size: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}"'
        f' viewBox="0 0 {num(width)} {num(height)}" width="100%" role="img"'
        f" aria-label={quoteattr(summary)} font-family={quoteattr(FONT_FAMILY)}"
        f' font-size="{font_size}" fill="{COLOR_TEXT}">',
        f"<title>{escape(summary)}</title>",
        f"<desc>{escape(desc)}</desc>",
    ]


#: Size of a chart's title, in user units.
TITLE_SIZE = 24
