"""Inline SVG charts for the field-work dashboard, drawn on the server.

The dashboard pages carry no script and load nothing from outside, so the charts
are SVG markup written here and put straight into the page.  Every function is
pure: it takes numbers and texts and returns a string (an :class:`Svg`, which
Jinja inserts as it is, since everything in it is already escaped).

Each chart has a ``viewBox`` and ``width="100%"``: it fills its container and
keeps its proportions.  ``width`` (640 by default) is the drawing's width in
user units; the text sizes are fixed in those units and chosen so that a
640-unit chart reads at about 11 px on a 360 px phone (the page's column is
336 px there) and at about 20 px in the 40rem column of the desktop pages.

Colours come from the viridis scale (safe for every common colour-vision
deficiency) and step down in lightness by about 20 L* each, so the series can
still be told apart in greyscale print; lines differ by dash pattern as well.

Texts are Vietnamese by default, English with ``lang="en"``, and so are the
numbers: ``1.193`` and ``54,5`` in Vietnamese, ``1,193`` and ``54.5`` in English.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

__all__ = [
    "COLOR_COMPLETED",
    "COLOR_EXPECTED",
    "COLOR_GRID",
    "COLOR_HANDED_OUT",
    "COLOR_MUTED",
    "COLOR_PLANNED",
    "COLOR_PLANNED_EDGE",
    "COLOR_REFERENCE",
    "COLOR_STARTED",
    "COLOR_TEXT",
    "COLOR_TODAY",
    "LANGS",
    "ProgressRow",
    "Svg",
    "burndown",
    "days_left_text",
    "format_number",
    "percent",
    "progress_bars",
]

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


@dataclass(frozen=True)
class ProgressRow:
    """One bar of :func:`progress_bars` (a mapping with the same keys does as well)."""

    label: str
    planned: int
    handed_out: int = 0
    started: int = 0
    completed: int = 0


# --------------------------------------------------------------------------- helpers


def percent(a: float, b: float) -> float:
    """``a`` as a percentage of ``b`` (0-100, more if ``a > b``); 0 when ``b`` is 0."""
    if not b:
        return 0.0
    return 100.0 * a / b


def format_number(value: float, lang: str = "vi", decimals: int = 0) -> str:
    """``1193`` as ``1.193`` (vi) or ``1,193`` (en); ``decimals`` places after ``,`` / ``.``."""
    _check_lang(lang)
    text = f"{value:,.{decimals}f}"
    if text in ("-0", "-0.0") or re.fullmatch(r"-0\.0+", text):
        text = text[1:]
    if lang == "vi":
        text = text.translate(str.maketrans(",.", ".,"))
    return text


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")


def _check_width(width: float) -> float:
    if not width >= MIN_WIDTH:
        raise ValueError(f"width must be at least {MIN_WIDTH}, not {width!r}")
    return float(width)


def _t(lang: str, vi: str, en: str) -> str:
    return en if lang == "en" else vi


def _pct_text(value: float, lang: str, decimals: int = 1) -> str:
    """A percentage for a sentence: one decimal place, none when it is whole."""
    text = format_number(value, lang, decimals)
    return re.sub(r"[.,]0+$", "", text)


def _bar_pct_text(done: int, planned: int) -> str:
    """The whole percentage next to a bar, rounded down: 100% only once the plan is met."""
    if planned <= 0:
        return "–"
    return f"{math.floor(percent(done, planned) + 1e-9)}%"


def _clean(text: object) -> str:
    """Text from data, safe to escape into XML: NFC, no control characters, one line."""
    text = "" if text is None else str(text)
    text = unicodedata.normalize("NFC", text)
    text = _NOT_XML.sub("", text)
    return _SPACES.sub(" ", text).strip()


def _char_em(ch: str) -> float:
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


def _text_width(text: str, size: float, bold: bool = False) -> float:
    """An estimate on the wide side (the common fonts of phones are narrower)."""
    return sum(_char_em(ch) for ch in text) * size * (1.1 if bold else 1.0)


def _fit(text: str, size: float, room: float) -> str:
    """``text``, cut with an ellipsis so that it is about ``room`` wide at most."""
    if _text_width(text, size) <= room:
        return text
    limit = room - _text_width("…", size)
    out = ""
    for ch in text:
        if _text_width(out + ch, size) > limit:
            break
        out += ch
    return out.rstrip() + "…"


def _num(value: float) -> str:
    """A coordinate, short: at most one decimal place."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _count(value: object, what: str) -> int:
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


def _field(row: object, name: str, default: object = None) -> object:
    if isinstance(row, Mapping):
        return row.get(name, default)
    return getattr(row, name, default)


def _text(x: float | None, y: float, content: str, **attrs: object) -> str:
    parts = ["<text"]
    if x:
        parts.append(f' x="{_num(x)}"')
    parts.append(f' y="{_num(y)}"')
    for key, value in attrs.items():
        parts.append(f" {key.replace('_', '-')}={quoteattr(str(value))}")
    parts.append(f">{escape(content)}</text>")
    return "".join(parts)


def _open_svg(kind: str, width: float, height: float, summary: str, desc: str,
              font_size: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}"'
        f' viewBox="0 0 {_num(width)} {_num(height)}" width="100%" role="img"'
        f" aria-label={quoteattr(summary)} font-family={quoteattr(FONT_FAMILY)}"
        f' font-size="{font_size}" fill="{COLOR_TEXT}">',
        f"<title>{escape(summary)}</title>",
        f"<desc>{escape(desc)}</desc>",
    ]


# --------------------------------------------------------------------------- progress bars

_TITLE_SIZE = 24
_LABEL_SIZE = 22
_LEGEND_SIZE = 20
_ROW_H = 66  # label line, then the bar
_TEXT_Y = 24  # baseline of the row's texts, from the top of the row
_BAR_Y = 32  # top of the bar
_BAR_H = 22
_LEGEND_ROW = 30


def progress_bars(
    rows: Iterable[Mapping[str, object] | object],
    *,
    title: str,
    lang: str = "vi",
    width: int = 640,
    expected_pct: float | None = None,
) -> Svg:
    """A bar per row: how far each group or unit is through its own plan.

    Each row is a mapping or an object (e.g. :class:`ProgressRow`) with ``label``,
    ``planned``, ``handed_out``, ``started`` and ``completed`` (whole numbers ≥ 0;
    ``None`` counts as 0; ``planned`` may be 0).

    **Scale: percentages of each row's own plan.**  Every track is the full bar
    width and stands for 100% of that row's ``planned``; handed out, started and
    completed are drawn over it from the left as that share of the plan (a count
    above the plan is drawn as a full bar; the text still gives the count).  So
    a unit of 40 forms and a group of 300 are compared by how far along they are,
    not by size.  A row with ``planned == 0`` shows an empty track and ``–``.

    Each row shows its label on the left (cut with an ellipsis when too long; the
    whole label is then in the row's ``<title>``) and "completed/planned (xx%)"
    on the right, the percentage rounded down.  Rows are drawn in the order given:
    the caller sorts them (units behind schedule first).

    ``expected_pct``, when given, draws a dotted mark on every bar at the share
    of the plan that should be completed by today.
    """
    _check_lang(lang)
    items = []
    for row in rows:
        label = _clean(_field(row, "label"))
        planned = _count(_field(row, "planned"), "planned")
        handed = _count(_field(row, "handed_out", 0), "handed_out")
        started = _count(_field(row, "started", 0), "started")
        completed = _count(_field(row, "completed", 0), "completed")
        items.append((label, planned, handed, started, completed))

    width = _check_width(width)
    track_w = width - 2 * PAD
    title = _clean(title)

    legend = [
        (COLOR_COMPLETED, _t(lang, "Hoàn thành", "Completed")),
        (COLOR_STARTED, _t(lang, "Đã mở phiếu", "Started (link opened)")),
        (COLOR_HANDED_OUT, _t(lang, "Đã phát", "Handed out")),
        (COLOR_PLANNED, _t(lang, "Kế hoạch (100%)", "Planned (100%)")),
    ]
    if expected_pct is not None:
        expected_pct = max(0.0, min(100.0, float(expected_pct)))
        legend.append((None, _t(lang, "Cần đạt đến hôm nay: ", "Expected by today: ")
                       + _pct_text(expected_pct, lang) + "%"))

    # Summary for the accessible name, and the figures for the description.
    total_planned = sum(item[1] for item in items)
    total_completed = sum(item[4] for item in items)
    total_pct = _pct_text(percent(total_completed, total_planned), lang)
    n = format_number(len(items), lang)
    summary = _t(
        lang,
        f"{title}: {n} mục, hoàn thành {format_number(total_completed, lang)}"
        f"/{format_number(total_planned, lang)} phiếu ({total_pct}%)",
        f"{title}: {n} rows, {format_number(total_completed, lang)} of "
        f"{format_number(total_planned, lang)} forms completed ({total_pct}%)",
    )
    lines = []
    f = lambda v: format_number(v, lang)  # noqa: E731
    for label, planned, handed, started, completed in items:
        pct = _pct_text(percent(completed, planned), lang)
        lines.append(_t(
            lang,
            f"{label}: hoàn thành {f(completed)}/{f(planned)} ({pct}%), đã mở {f(started)}, "
            f"đã phát {f(handed)}.",
            f"{label}: {f(completed)}/{f(planned)} completed ({pct}%), {f(started)} started, "
            f"{f(handed)} handed out.",
        ))
    if expected_pct is not None:
        lines.append(legend[-1][1] + ".")
    desc = _t(lang, "Mỗi thanh là 100% kế hoạch của dòng đó. ",
              "Each bar is 100% of that row's plan. ") + " ".join(lines)

    # Layout: title, legend in two columns, then the rows.
    legend_rows = math.ceil(len(legend) / 2)
    top = 48 + legend_rows * _LEGEND_ROW + 10
    height = top + max(len(items), 1) * _ROW_H + 4
    out = _open_svg("progress", width, height, summary, desc, _LABEL_SIZE)
    out.append(_text(PAD, 30, _fit(title, _TITLE_SIZE, track_w), font_size=_TITLE_SIZE,
                     font_weight=700))

    out.append(f'<g font-size="{_LEGEND_SIZE}">')
    column = track_w / 2
    for i, (color, text) in enumerate(legend):
        x = PAD + (i % 2) * column
        y = 48 + (i // 2) * _LEGEND_ROW
        room = track_w if i % 2 == 0 and i == len(legend) - 1 else column
        if color is None:  # the expected mark
            out.append(f'<path d="M{_num(x + 10)} {_num(y - 2)}v24" stroke="{COLOR_EXPECTED}"'
                       ' stroke-width="3" stroke-dasharray="3 2"/>')
        else:
            edge = f' stroke="{COLOR_PLANNED_EDGE}"' if color == COLOR_PLANNED else ""
            out.append(f'<rect x="{_num(x)}" y="{_num(y)}" width="20" height="20"'
                       f' fill="{color}"{edge}/>')
        out.append(_text(x + 28, y + 17, _fit(text, _LEGEND_SIZE, room - 32)))
    out.append("</g>")

    if not items:
        out.append(_text(PAD, top + 30, _t(lang, "Chưa có số liệu.", "No data yet."),
                         fill=COLOR_MUTED))

    for i, (label, planned, handed, started, completed) in enumerate(items):
        y = top + i * _ROW_H
        right = (f"{format_number(completed, lang)}/{format_number(planned, lang)}"
                 f" ({_bar_pct_text(completed, planned)})")
        room = track_w - _text_width(right, _LABEL_SIZE, bold=True) - 20
        shown = _fit(label, _LABEL_SIZE, room)
        # The group's origin is the bar's top left corner; the texts stand above it.
        out.append(f'<g class="row" transform="translate({_num(PAD)},{_num(y + _BAR_Y)})">')
        if shown != label:
            out.append(f"<title>{escape(label)}</title>")
        out.append(_text(None, _TEXT_Y - _BAR_Y, shown))
        out.append(_text(track_w, _TEXT_Y - _BAR_Y, right, text_anchor="end", font_weight=600))
        out.append(f'<rect width="{_num(track_w)}" height="{_BAR_H}"'
                   f' fill="{COLOR_PLANNED}" stroke="{COLOR_PLANNED_EDGE}"/>')
        for value, color in ((handed, COLOR_HANDED_OUT), (started, COLOR_STARTED),
                             (completed, COLOR_COMPLETED)):
            w = track_w * min(percent(value, planned), 100.0) / 100.0
            if w > 0:
                w = max(w, 1.0)  # a count above nothing stays visible
                out.append(f'<rect width="{_num(w)}" height="{_BAR_H}" fill="{color}"/>')
        out.append("</g>")

    if expected_pct is not None and any(item[1] > 0 for item in items):
        x = PAD + track_w * expected_pct / 100.0
        marks = "".join(f"M{_num(x)} {_num(top + i * _ROW_H + _BAR_Y - 4)}v{_BAR_H + 8}"
                        for i, item in enumerate(items) if item[1] > 0)
        out.append(f'<path class="expected" d="{marks}" stroke="{COLOR_EXPECTED}"'
                   ' stroke-width="3" stroke-dasharray="3 2"/>')
    out.append("</svg>")
    return Svg("".join(out))


# --------------------------------------------------------------------------- burndown

_HEAD_SIZE = 24
_SMALL_SIZE = 20
_PLOT_H = 260
_MIN_TICK_GAP = 92  # user units between two date labels
# A white edge under a text that lines may cross.
_HALO = {"stroke": "#fff", "stroke_width": 5, "stroke_linejoin": "round", "paint_order": "stroke"}


def _as_date(value: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"expected a date, not {value!r}")


def _ddmm(day: dt.date) -> str:
    return day.strftime("%d/%m")


def _ddmmyyyy(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def _nice_step(top: float, intervals: int = 4) -> int:
    """A round step (1, 2, 2.5, 5 × 10ⁿ, whole) dividing 0..top into about ``intervals``."""
    raw = max(top / intervals, 1.0)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if step >= raw and float(step).is_integer():
            return int(step)
    return int(10 * magnitude)  # pragma: no cover - 10 × magnitude always qualifies


def days_left_text(today: dt.date, deadline: dt.date, lang: str = "vi") -> str:
    """"Còn 12 ngày đến hạn 28/02/2021", "Hôm nay là hạn chót", or how many days late."""
    _check_lang(lang)
    left = (deadline - today).days
    when = _ddmmyyyy(deadline)
    if left > 0:
        n = format_number(left, lang)
        return _t(lang, f"Còn {n} ngày đến hạn {when}",
                  f"{n} day{'s' if left != 1 else ''} left until {when}")
    if left == 0:
        return _t(lang, f"Hôm nay là hạn chót ({when})", f"Due today ({when})")
    n = format_number(-left, lang)
    return _t(lang, f"Quá hạn {n} ngày (hạn {when})",
              f"{n} day{'s' if left != -1 else ''} late (deadline {when})")


def burndown(
    daily: Sequence[tuple[dt.date, int]],
    *,
    planned_total: int,
    start: dt.date,
    deadline: dt.date,
    today: dt.date,
    lang: str = "vi",
    width: int = 640,
    title: str | None = None,
) -> Svg:
    """Completed forms, added up day by day, against the straight path to the plan.

    ``daily`` holds ``(date, cumulative_completed)`` pairs in any order (a date
    given twice keeps its last value).  The dashed "on schedule" line runs from 0
    at ``start`` to ``planned_total`` at ``deadline``; a dotted line marks
    ``today``.  The heading says how many days are left until the deadline, or how
    many days late the survey is; the time axis reaches past the deadline to
    ``today`` then.  No data draws the axes and the plan with a note.

    ``title`` names the chart for screen readers (the visible heading is the
    days-left sentence).  Raises ``ValueError`` if ``deadline`` is before ``start``.
    """
    _check_lang(lang)
    start, deadline, today = _as_date(start), _as_date(deadline), _as_date(today)
    if deadline < start:
        raise ValueError(f"deadline {deadline} is before start {start}")
    planned_total = _count(planned_total, "planned_total")
    points: dict[dt.date, int] = {}
    for day, value in daily:
        points[_as_date(day)] = _count(value, "cumulative_completed")
    series = sorted(points.items())

    width = _check_width(width)
    f = lambda v: format_number(v, lang)  # noqa: E731

    # Where things stand today.
    done = next((v for d, v in reversed(series) if d <= today), 0)
    span_days = max((deadline - start).days, 1)
    share = min(max((today - start).days / span_days, 0.0), 1.0)
    expected = round(planned_total * share)
    heading = days_left_text(today, deadline, lang)
    pct = _pct_text(percent(done, planned_total), lang)
    status_parts = (
        _t(lang, f"Đã hoàn thành {f(done)}/{f(planned_total)} phiếu ({pct}%)",
           f"Completed {f(done)} of {f(planned_total)} ({pct}%)"),
        _t(lang, f"kế hoạch đến nay: {f(expected)}", f"on schedule: {f(expected)}"),
    )
    status = "; ".join(status_parts)
    title = _clean(title) or _t(lang, "Số phiếu hoàn thành theo ngày", "Completed forms by day")
    summary = f"{title}: {heading}. {status}."
    if series:
        data = "; ".join(f"{_ddmm(d)}: {f(v)}" for d, v in series)
        desc = _t(lang, f"Số phiếu hoàn thành cộng dồn theo ngày: {data}.",
                  f"Completed forms, cumulative, by day: {data}.")
    else:
        desc = _t(lang, "Chưa có phiếu hoàn thành nào.", "No completed forms yet.")
    desc += _t(lang, f" Đường tiến độ: từ 0 ngày {_ddmmyyyy(start)} đến {f(planned_total)}"
                     f" ngày {_ddmmyyyy(deadline)}.",
               f" On-schedule line: from 0 on {_ddmmyyyy(start)} to {f(planned_total)}"
               f" on {_ddmmyyyy(deadline)}.")

    # Legend, on as many lines as it needs.
    legend_items = [
        ("actual", _t(lang, "Hoàn thành (cộng dồn)", "Completed (cumulative)")),
        ("reference", _t(lang, "Đúng tiến độ", "On schedule")),
        ("today", _t(lang, "Hôm nay", "Today")),
    ]
    status_lines = [status]
    if _text_width(status, _SMALL_SIZE) > width - 2 * PAD:  # one clause a line
        first, second = status_parts
        status_lines = [_fit(first + ";", _SMALL_SIZE, width - 2 * PAD),
                        _fit(second[:1].upper() + second[1:], _SMALL_SIZE, width - 2 * PAD)]
    legend_pos = []
    x, y = float(PAD), 60.0 + 26 * (len(status_lines) - 1) + 32
    for key, text in legend_items:
        item_w = 36 + _text_width(text, _SMALL_SIZE)
        if x > PAD and x + item_w > width - PAD:
            x, y = float(PAD), y + 30
        legend_pos.append((key, text, x, y))
        x += item_w + 22

    # Plot area and scales.
    y_top_value = max([planned_total, 1] + [v for _, v in series])
    step, y_max = min(((s, s * math.ceil(y_top_value / s))
                       for s in (_nice_step(y_top_value, n) for n in (4, 5))), key=lambda p: p[1])
    y_ticks = list(range(0, y_max + 1, step))
    label_w = max(_text_width(f(v), _SMALL_SIZE) for v in y_ticks)
    left = PAD + label_w + 10
    right = width - PAD - 26
    top = y + 44
    bottom = top + _PLOT_H
    height = bottom + 38

    first = min([start, today] + [d for d, _ in series])
    last = max([deadline, today] + [d for d, _ in series])
    days = max((last - first).days, 1)

    def px(day: dt.date) -> float:
        return left + (day - first).days / days * (right - left)

    def py(value: float) -> float:
        return bottom - value / y_max * (bottom - top)

    out = _open_svg("burndown", width, height, summary, desc, _SMALL_SIZE)
    out.append(_text(PAD, 30, _fit(heading, _HEAD_SIZE, width - 2 * PAD), font_size=_HEAD_SIZE,
                     font_weight=700, fill=COLOR_TODAY if today > deadline else COLOR_TEXT))
    for i, line in enumerate(status_lines):
        out.append(_text(PAD, 60 + 26 * i, line, fill=COLOR_MUTED))
    for key, text, lx, ly in legend_pos:
        mid = ly - 7
        if key == "actual":
            out.append(f'<path d="M{_num(lx)} {_num(mid)}h28" stroke="{COLOR_COMPLETED}"'
                       ' stroke-width="4"/>')
        elif key == "reference":
            out.append(f'<path d="M{_num(lx)} {_num(mid)}h28" stroke="{COLOR_REFERENCE}"'
                       ' stroke-width="2" stroke-dasharray="6 4"/>')
        else:
            out.append(f'<path d="M{_num(lx + 14)} {_num(mid - 10)}v20" stroke="{COLOR_TODAY}"'
                       ' stroke-width="3" stroke-dasharray="3 3"/>')
        out.append(_text(lx + 36, ly, text))

    # Grid and value axis.
    grid = "".join(f"M{_num(left)} {_num(py(v))}H{_num(right)}" for v in y_ticks[1:])
    out.append(f'<path d="{grid}" stroke="{COLOR_GRID}"/>')
    for v in y_ticks:
        out.append(_text(left - 8, py(v) + 6, f(v), text_anchor="end", fill=COLOR_MUTED))

    # Time axis: the start, the deadline and round steps between, far enough apart.
    room = right - left
    step_days = next((s for s in (1, 2, 3, 7, 14, 21, 28, 56, 91, 182, 364)
                      if (days / s) * _MIN_TICK_GAP <= room * 1.0001), days)
    ticks = {first, deadline}
    fixed = sorted(ticks)
    day = first + dt.timedelta(days=step_days)
    while day < last:
        if all(abs(px(day) - px(d)) >= _MIN_TICK_GAP for d in fixed):
            ticks.add(day)
        day += dt.timedelta(days=step_days)
    if last not in ticks and all(abs(px(last) - px(d)) >= _MIN_TICK_GAP for d in ticks):
        ticks.add(last)
    out.append(f'<path class="axis" d="M{_num(left)} {_num(bottom)}H{_num(right)}"'
               f' stroke="{COLOR_TEXT}"/>')
    marks = "".join(f"M{_num(px(d))} {_num(bottom)}v6" for d in sorted(ticks))
    out.append(f'<path d="{marks}" stroke="{COLOR_TEXT}"/>')
    for d in sorted(ticks):
        extra = {"font_weight": 700} if d == deadline else {}
        out.append(_text(px(d), bottom + 28, _ddmm(d), text_anchor="middle", **extra))

    # The plan: its level, and the straight path to it.
    out.append(f'<path class="target" d="M{_num(left)} {_num(py(planned_total))}H{_num(right)}"'
               f' stroke="{COLOR_REFERENCE}" stroke-width="1"/>')
    below = py(planned_total) - top < 26  # no room above the line: write under it
    out.append(_text(left + 6, py(planned_total) + (22 if below else -6),
                     _t(lang, "Kế hoạch ", "Plan ") + f(planned_total), fill=COLOR_MUTED, **_HALO))
    out.append(f'<line class="reference" x1="{_num(px(start))}" y1="{_num(py(0))}"'
               f' x2="{_num(px(deadline))}" y2="{_num(py(planned_total))}"'
               f' stroke="{COLOR_REFERENCE}" stroke-width="2" stroke-dasharray="6 4"/>')

    # Today.
    tx = px(today)
    out.append(f'<line class="today" x1="{_num(tx)}" y1="{_num(top - 4)}" x2="{_num(tx)}"'
               f' y2="{_num(bottom)}" stroke="{COLOR_TODAY}" stroke-width="3"'
               ' stroke-dasharray="3 3"/>')
    anchor = "end" if tx > right - 70 else ("start" if tx < left + 70 else "middle")
    out.append(_text(tx, top - 12, _t(lang, "Hôm nay ", "Today ") + _ddmm(today),
                     text_anchor=anchor, fill=COLOR_TODAY, font_weight=700))

    # The completed forms.
    if series:
        coords = " ".join(f"{_num(px(d))},{_num(py(v))}" for d, v in series)
        out.append(f'<polyline class="actual" points="{coords}" fill="none"'
                   f' stroke="{COLOR_COMPLETED}" stroke-width="4" stroke-linejoin="round"/>')
        last_day, last_value = series[-1]
        out.append(f'<circle cx="{_num(px(last_day))}" cy="{_num(py(last_value))}" r="5"'
                   f' fill="{COLOR_COMPLETED}"/>')
    else:
        out.append(_text(left + 16, top + (bottom - top) * 0.45,
                         _t(lang, "Chưa có số liệu", "No data yet"), fill=COLOR_MUTED, **_HALO))
    out.append("</svg>")
    return Svg("".join(out))


# --------------------------------------------------------------------------- index with interval


def index_intervals(rows: Sequence[object], *, title: str, lang: str = "vi", width: int = 640,
                    bands: Sequence[tuple[float, str]] = ()) -> Svg:
    """Each unit's index (a dot) with its bootstrap interval (a line), in the order given.

    ``rows`` carry ``label``, ``index_pct`` and ``index_low`` / ``index_high`` (the 5th
    and 95th percentiles of the index over the bootstrap replicates; missing: no line).
    ``bands`` are (threshold %, grade name) pairs: each threshold is a light vertical
    line with its number on the axis, and the names are listed under the title, so a
    unit whose interval crosses a line visibly might belong to either grade.  The axis
    ends at 100 % and starts at the nearest ten below the lowest value shown (said on
    the axis), so that close indices stay apart.
    """
    _check_lang(lang)
    width = _check_width(width)
    values = []
    for r in rows:
        for name in ("index_pct", "index_low", "index_high"):
            v = _field(r, name)
            if v is not None and v == v:
                values.append(float(v))
    start = max(0.0, math.floor((min(values, default=0.0) - 2) / 10) * 10)
    label_w = min(250.0, width * 0.4)
    left, right = PAD + label_w, width - PAD - 12
    row_h = 30
    top = 92
    height = top + row_h * max(1, len(rows)) + 34

    def x_of(pct: float) -> float:
        return left + (right - left) * (max(start, min(100.0, pct)) - start) / (100 - start)

    summary = f"{title}: " + "; ".join(
        f"{_clean(_field(r, 'label'))} {_pct_text(float(_field(r, 'index_pct', 0) or 0), lang)}"
        for r in rows[:5]) + ("…" if len(rows) > 5 else "")
    desc = _t(lang, "Chấm: chỉ số; vạch ngang: khoảng 90% khi lấy mẫu lại người trả lời.",
              "Dot: index; line: 90% interval when respondents are resampled.")
    out = _open_svg("index", width, height, summary, desc, 16)
    out.append(_text(PAD, 24, title, font_size=_TITLE_SIZE, font_weight="bold"))
    legend = _t(lang, "Chấm: chỉ số · vạch: khoảng 90%", "Dot: index · line: 90% interval")
    out.append(_text(PAD, 50, _fit(legend, 14, width - 2 * PAD), font_size=14, fill=COLOR_MUTED))
    if bands:
        grades = ", ".join(f"{_clean(n)} ≥ {format_number(p, lang)}" for p, n in bands)
        out.append(_text(PAD, 70, _fit(grades, 14, width - 2 * PAD), font_size=14, fill=COLOR_MUTED))
    ticks = sorted({start, 100.0, *(p for p, _ in bands if p > start)})
    axis_y = height - 14
    for pct in ticks:
        x = x_of(pct)
        if pct not in (start, 100.0):
            out.append(f'<line x1="{_num(x)}" y1="{top - 8}" x2="{_num(x)}" y2="{_num(axis_y - 14)}"'
                       f' stroke="{COLOR_GRID}" stroke-width="2"/>')
        out.append(_text(x - 10, axis_y, f"{format_number(pct, lang)}", font_size=12,
                         fill=COLOR_MUTED))
    for i, r in enumerate(rows):
        y = top + i * row_h + row_h / 2
        label = _clean(_field(r, "label"))
        value = float(_field(r, "index_pct", 0) or 0)
        low, high = _field(r, "index_low"), _field(r, "index_high")
        out.append(f"<g><title>{escape(label)}: {escape(_pct_text(value, lang, 2))}</title>")
        out.append(_text(PAD, y + 5, _fit(label, 15, label_w - 8), font_size=15))
        if low is not None and high is not None and low == low and high == high:
            out.append(f'<line x1="{_num(x_of(float(low)))}" y1="{_num(y)}" '
                       f'x2="{_num(x_of(float(high)))}" y2="{_num(y)}" stroke="{COLOR_STARTED}"'
                       ' stroke-width="4" stroke-linecap="round"/>')
        out.append(f'<circle cx="{_num(x_of(value))}" cy="{_num(y)}" r="6" fill="{COLOR_COMPLETED}"/>')
        out.append("</g>")
    out.append("</svg>")
    return Svg("".join(out))
