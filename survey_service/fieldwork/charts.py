"""The field-work dashboard's charts: a bar per group or unit, and the days left.

Drawn with the primitives of :mod:`survey_service.core.svg` (see there for sizes,
colours and languages).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape

from ..core.svg import (
    COLOR_COMPLETED,
    COLOR_EXPECTED,
    COLOR_HANDED_OUT,
    COLOR_MUTED,
    COLOR_PLANNED,
    COLOR_PLANNED_EDGE,
    COLOR_STARTED,
    PAD,
    TITLE_SIZE,
    Svg,
    as_count,
    check_lang,
    check_width,
    clean,
    field_of,
    fit,
    format_number,
    num,
    open_svg,
    pct_text,
    percent,
    pick,
    svg_text,
    text_width,
)


@dataclass(frozen=True)
class ProgressRow:
    """One bar of :func:`progress_bars` (a mapping with the same keys does as well)."""

    label: str
    planned: int
    handed_out: int = 0
    started: int = 0
    completed: int = 0


def _bar_pct_text(done: int, planned: int) -> str:
    """The whole percentage next to a bar, rounded down: 100% only once the plan is met."""
    if planned <= 0:
        return "–"
    return f"{math.floor(percent(done, planned) + 1e-9)}%"


# --------------------------------------------------------------------------- progress bars

# Every text at least core.svg.min_font_size(640) = 21 units: 11 px or more on a 360 px
# phone at the default width (a wider drawing is for wider screens).
_LABEL_SIZE = 22
_LEGEND_SIZE = 22
_ROW_H = 66  # label line, then the bar
_TEXT_Y = 24  # baseline of the row's texts, from the top of the row
_BAR_Y = 32  # top of the bar
_BAR_H = 22
_LEGEND_ROW = 32


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
    check_lang(lang)
    items = []
    for row in rows:
        label = clean(field_of(row, "label"))
        planned = as_count(field_of(row, "planned"), "planned")
        handed = as_count(field_of(row, "handed_out", 0), "handed_out")
        started = as_count(field_of(row, "started", 0), "started")
        completed = as_count(field_of(row, "completed", 0), "completed")
        items.append((label, planned, handed, started, completed))

    width = check_width(width)
    track_w = width - 2 * PAD
    title = clean(title)

    legend = [
        (COLOR_COMPLETED, pick(lang, "Hoàn thành", "Completed")),
        (COLOR_STARTED, pick(lang, "Đã mở phiếu", "Started (link opened)")),
        (COLOR_HANDED_OUT, pick(lang, "Đã phát", "Handed out")),
        (COLOR_PLANNED, pick(lang, "Kế hoạch (100%)", "Planned (100%)")),
    ]
    if expected_pct is not None:
        expected_pct = max(0.0, min(100.0, float(expected_pct)))
        legend.append((None, pick(lang, "Cần đạt đến hôm nay: ", "Expected by today: ")
                       + pct_text(expected_pct, lang) + "%"))

    # Summary for the accessible name, and the figures for the description.
    total_planned = sum(item[1] for item in items)
    total_completed = sum(item[4] for item in items)
    total_pct = pct_text(percent(total_completed, total_planned), lang)
    n = format_number(len(items), lang)
    summary = pick(
        lang,
        f"{title}: {n} mục, hoàn thành {format_number(total_completed, lang)}"
        f"/{format_number(total_planned, lang)} phiếu ({total_pct}%)",
        f"{title}: {n} rows, {format_number(total_completed, lang)} of "
        f"{format_number(total_planned, lang)} forms completed ({total_pct}%)",
    )
    lines = []
    f = lambda v: format_number(v, lang)  # noqa: E731
    for label, planned, handed, started, completed in items:
        pct = pct_text(percent(completed, planned), lang)
        lines.append(pick(
            lang,
            f"{label}: hoàn thành {f(completed)}/{f(planned)} ({pct}%), đã mở {f(started)}, "
            f"đã phát {f(handed)}.",
            f"{label}: {f(completed)}/{f(planned)} completed ({pct}%), {f(started)} started, "
            f"{f(handed)} handed out.",
        ))
    if expected_pct is not None:
        lines.append(legend[-1][1] + ".")
    desc = pick(lang, "Mỗi thanh là 100% kế hoạch của dòng đó. ",
              "Each bar is 100% of that row's plan. ") + " ".join(lines)

    # Layout: title, legend in two columns, then the rows.
    legend_rows = math.ceil(len(legend) / 2)
    top = 48 + legend_rows * _LEGEND_ROW + 10
    height = top + max(len(items), 1) * _ROW_H + 4
    out = open_svg("progress", width, height, summary, desc, _LABEL_SIZE)
    out.append(svg_text(PAD, 30, fit(title, TITLE_SIZE, track_w), font_size=TITLE_SIZE,
                     font_weight=700))

    out.append(f'<g font-size="{_LEGEND_SIZE}">')
    column = track_w / 2
    for i, (color, text) in enumerate(legend):
        x = PAD + (i % 2) * column
        y = 48 + (i // 2) * _LEGEND_ROW
        room = track_w if i % 2 == 0 and i == len(legend) - 1 else column
        if color is None:  # the expected mark
            out.append(f'<path d="M{num(x + 10)} {num(y - 2)}v24" stroke="{COLOR_EXPECTED}"'
                       ' stroke-width="3" stroke-dasharray="3 2"/>')
        else:
            edge = f' stroke="{COLOR_PLANNED_EDGE}"' if color == COLOR_PLANNED else ""
            out.append(f'<rect x="{num(x)}" y="{num(y)}" width="20" height="20"'
                       f' fill="{color}"{edge}/>')
        out.append(svg_text(x + 28, y + 17, fit(text, _LEGEND_SIZE, room - 32)))
    out.append("</g>")

    if not items:
        out.append(svg_text(PAD, top + 30, pick(lang, "Chưa có số liệu.", "No data yet."),
                         fill=COLOR_MUTED))

    for i, (label, planned, handed, started, completed) in enumerate(items):
        y = top + i * _ROW_H
        right = (f"{format_number(completed, lang)}/{format_number(planned, lang)}"
                 f" ({_bar_pct_text(completed, planned)})")
        room = track_w - text_width(right, _LABEL_SIZE, bold=True) - 20
        shown = fit(label, _LABEL_SIZE, room)
        # The group's origin is the bar's top left corner; the texts stand above it.
        out.append(f'<g class="row" transform="translate({num(PAD)},{num(y + _BAR_Y)})">')
        if shown != label:
            out.append(f"<title>{escape(label)}</title>")
        out.append(svg_text(None, _TEXT_Y - _BAR_Y, shown))
        out.append(svg_text(track_w, _TEXT_Y - _BAR_Y, right, text_anchor="end", font_weight=600))
        out.append(f'<rect width="{num(track_w)}" height="{_BAR_H}"'
                   f' fill="{COLOR_PLANNED}" stroke="{COLOR_PLANNED_EDGE}"/>')
        for value, color in ((handed, COLOR_HANDED_OUT), (started, COLOR_STARTED),
                             (completed, COLOR_COMPLETED)):
            w = track_w * min(percent(value, planned), 100.0) / 100.0
            if w > 0:
                w = max(w, 1.0)  # a count above nothing stays visible
                out.append(f'<rect width="{num(w)}" height="{_BAR_H}" fill="{color}"/>')
        out.append("</g>")

    if expected_pct is not None and any(item[1] > 0 for item in items):
        x = PAD + track_w * expected_pct / 100.0
        marks = "".join(f"M{num(x)} {num(top + i * _ROW_H + _BAR_Y - 4)}v{_BAR_H + 8}"
                        for i, item in enumerate(items) if item[1] > 0)
        out.append(f'<path class="expected" d="{marks}" stroke="{COLOR_EXPECTED}"'
                   ' stroke-width="3" stroke-dasharray="3 2"/>')
    out.append("</svg>")
    return Svg("".join(out))


# --------------------------------------------------------------------------- days left

def _ddmmyyyy(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def days_left_text(today: dt.date, deadline: dt.date, lang: str = "vi") -> str:
    """"Còn 12 ngày đến hạn 28/02/2021", "Hôm nay là hạn chót", or how many days late."""
    check_lang(lang)
    left = (deadline - today).days
    when = _ddmmyyyy(deadline)
    if left > 0:
        n = format_number(left, lang)
        return pick(lang, f"Còn {n} ngày đến hạn {when}",
                  f"{n} day{'s' if left != 1 else ''} left until {when}")
    if left == 0:
        return pick(lang, f"Hôm nay là hạn chót ({when})", f"Due today ({when})")
    n = format_number(-left, lang)
    return pick(lang, f"Quá hạn {n} ngày (hạn {when})",
              f"{n} day{'s' if left != -1 else ''} late (deadline {when})")
