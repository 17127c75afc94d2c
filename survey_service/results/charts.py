"""The report's chart: each unit's index with its bootstrap interval.

Drawn with the primitives of :mod:`survey_service.core.svg`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

from ..core.svg import (
    COLOR_COMPLETED,
    COLOR_GRID,
    COLOR_MUTED,
    COLOR_STARTED,
    PAD,
    TITLE_SIZE,
    Svg,
    check_lang,
    check_width,
    clean,
    field_of,
    fit,
    format_number,
    min_font_size,
    num,
    open_svg,
    pct_text,
    pick,
    svg_text,
)

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
    check_lang(lang)
    width = check_width(width)
    values = []
    for r in rows:
        for name in ("index_pct", "index_low", "index_high"):
            v = field_of(r, name)
            if v is not None and v == v:
                values.append(float(v))
    start = max(0.0, math.floor((min(values, default=0.0) - 2) / 10) * 10)
    label_w = min(250.0, width * 0.4)
    left, right = PAD + label_w, width - PAD - 12
    small = min_font_size(width)  # 11 px and more on a 360 px phone
    row_h = round(small * 1.9)
    top = round(TITLE_SIZE + 3.3 * small)
    height = top + row_h * max(1, len(rows)) + round(1.8 * small)

    def x_of(pct: float) -> float:
        return left + (right - left) * (max(start, min(100.0, pct)) - start) / (100 - start)

    summary = f"{title}: " + "; ".join(
        f"{clean(field_of(r, 'label'))} {pct_text(float(field_of(r, 'index_pct', 0) or 0), lang)}"
        for r in rows[:5]) + ("…" if len(rows) > 5 else "")
    desc = pick(lang, "Chấm: chỉ số; vạch ngang: khoảng 90% khi lấy mẫu lại người trả lời.",
              "Dot: index; line: 90% interval when respondents are resampled.")
    out = open_svg("index", width, height, summary, desc, small)
    out.append(svg_text(PAD, 24, title, font_size=TITLE_SIZE, font_weight="bold"))
    legend = pick(lang, "Chấm: chỉ số · vạch: khoảng 90%", "Dot: index · line: 90% interval")
    out.append(svg_text(PAD, TITLE_SIZE + 1.4 * small, fit(legend, small, width - 2 * PAD), font_size=small,
                        fill=COLOR_MUTED))
    if bands:
        grades = ", ".join(f"{clean(n)} ≥ {format_number(p, lang)}" for p, n in bands)
        out.append(svg_text(PAD, TITLE_SIZE + 2.6 * small, fit(grades, small, width - 2 * PAD),
                            font_size=small, fill=COLOR_MUTED))
    ticks = sorted({start, 100.0, *(p for p, _ in bands if p > start)})
    axis_y = height - round(0.6 * small)
    for pct in ticks:
        x = x_of(pct)
        if pct not in (start, 100.0):
            out.append(f'<line x1="{num(x)}" y1="{top - 8}" x2="{num(x)}" y2="{num(axis_y - small)}"'
                       f' stroke="{COLOR_GRID}" stroke-width="2"/>')
        out.append(svg_text(x - small / 2, axis_y, f"{format_number(pct, lang)}", font_size=small,
                            fill=COLOR_MUTED))
    for i, r in enumerate(rows):
        y = top + i * row_h + row_h / 2
        label = clean(field_of(r, "label"))
        value = float(field_of(r, "index_pct", 0) or 0)
        low, high = field_of(r, "index_low"), field_of(r, "index_high")
        out.append(f"<g><title>{escape(label)}: {escape(pct_text(value, lang, 2))}</title>")
        out.append(svg_text(PAD, y + small / 3, fit(label, small, label_w - 8), font_size=small))
        if low is not None and high is not None and low == low and high == high:
            out.append(f'<line x1="{num(x_of(float(low)))}" y1="{num(y)}" '
                       f'x2="{num(x_of(float(high)))}" y2="{num(y)}" stroke="{COLOR_STARTED}"'
                       ' stroke-width="4" stroke-linecap="round"/>')
        out.append(f'<circle cx="{num(x_of(value))}" cy="{num(y)}" r="6" fill="{COLOR_COMPLETED}"/>')
        out.append("</g>")
    out.append("</svg>")
    return Svg("".join(out))
