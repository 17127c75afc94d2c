"""The dashboard's inline SVG charts: well-formed, escaped, self-contained, drawn to scale."""

from __future__ import annotations

import datetime as dt
import gzip
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import markupsafe
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_service.core.svg import (
    COLOR_COMPLETED,
    COLOR_HANDED_OUT,
    COLOR_PLANNED,
    COLOR_STARTED,
    format_number,
    percent,
)
from survey_service.fieldwork.charts import ProgressRow, days_left_text, progress_bars
from survey_service.results.charts import index_intervals

NS = "{http://www.w3.org/2000/svg}"
# What the charts may contain: drawing and text, nothing that runs or loads.
ALLOWED_TAGS = {"svg", "title", "desc", "g", "text", "rect", "line", "path", "polyline", "circle"}

START = dt.date(2021, 1, 18)
DEADLINE = dt.date(2021, 2, 28)  # 41 days after START

GROUPS = [
    ProgressRow("I.1 Đại biểu HĐND tỉnh", 25, 25, 20, 14),
    ProgressRow("I.2 Lãnh đạo các sở, ban, ngành", 16, 16, 15, 13),
    ProgressRow("I.3 Công chức các sở", 300, 280, 190, 121),
    ProgressRow("I.4 Lãnh đạo UBND cấp huyện", 192, 150, 80, 41),
    ProgressRow("I.5 Công chức cấp huyện", 120, 120, 110, 98),
    ProgressRow("II.1 Người dân có giao dịch tại Bộ phận một cửa cấp tỉnh", 40, 12, 3, 0),
    ProgressRow("II.2 Người dân tại Bộ phận một cửa cấp huyện", 288, 200, 150, 120),
    ProgressRow("II.3 Doanh nghiệp", 212, 212, 205, 199),
]


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == f"{NS}svg"
    return root


def _tag(element: ET.Element) -> str:
    return element.tag.removeprefix(NS)


def _rows(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{NS}g") if g.get("class") == "row"]


def _rects(row: ET.Element) -> dict[str, float]:
    """The widths of a row's rectangles, by the colour they are filled with."""
    return {rect.get("fill"): float(rect.get("width")) for rect in row.iter(f"{NS}rect")}


def _texts(element: ET.Element) -> list[str]:
    return ["".join(text.itertext()) for text in element.iter(f"{NS}text")]


def _by_class(root: ET.Element, cls: str) -> ET.Element:
    (found,) = [e for e in root.iter() if e.get("class") == cls]
    return found


def _axis(root: ET.Element) -> tuple[float, float, float]:
    """left, right and y of the time axis (drawn as ``M left y H right``)."""
    left, y, right = map(float, re.fullmatch(r"M([\d.]+) ([\d.]+)H([\d.]+)",
                                             _by_class(root, "axis").get("d")).groups())
    return left, right, y


def _target_y(root: ET.Element) -> float:
    return float(re.fullmatch(r"M[\d.]+ ([\d.]+)H[\d.]+", _by_class(root, "target").get("d")).group(1))


def _assert_self_contained(svg: str) -> None:
    root = _parse(svg)
    assert {_tag(e) for e in root.iter()} <= ALLOWED_TAGS
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.startswith("on"), name
            assert "href" not in name, (name, value)
            assert "url(" not in value and "javascript:" not in value.lower(), value
    assert "<script" not in svg.lower() and "url(" not in svg
    assert "<style" not in svg and "<image" not in svg and "foreignObject" not in svg


# --------------------------------------------------------------------------- helpers


def test_percent_of_nothing_is_zero():
    assert percent(5, 10) == 50.0
    assert percent(3, 0) == 0.0
    assert percent(0, 0) == 0.0
    assert percent(12, 10) == pytest.approx(120.0)


def test_numbers_in_vietnamese_and_english():
    assert format_number(1193, "vi") == "1.193"
    assert format_number(1193, "en") == "1,193"
    assert format_number(1234567, "vi") == "1.234.567"
    assert format_number(54.5, "vi", 1) == "54,5"
    assert format_number(1234.5, "vi", 1) == "1.234,5"
    assert format_number(1234.5, "en", 1) == "1,234.5"
    assert format_number(7, "vi") == "7"
    with pytest.raises(ValueError):
        format_number(1, "fr")


def test_days_left_in_words():
    assert days_left_text(dt.date(2021, 2, 16), DEADLINE) == "Còn 12 ngày đến hạn 28/02/2021"
    assert days_left_text(dt.date(2021, 2, 16), DEADLINE, "en") == "12 days left until 28/02/2021"
    assert days_left_text(dt.date(2021, 2, 27), DEADLINE, "en") == "1 day left until 28/02/2021"
    assert days_left_text(DEADLINE, DEADLINE) == "Hôm nay là hạn chót (28/02/2021)"
    assert days_left_text(dt.date(2021, 3, 3), DEADLINE) == "Quá hạn 3 ngày (hạn 28/02/2021)"
    assert days_left_text(dt.date(2021, 3, 1), DEADLINE, "en") == "1 day late (deadline 28/02/2021)"


def test_colours_stay_apart_in_greyscale():
    """Each series is lighter than the one drawn over it by a clear step (≥ 15 L*)."""

    def lightness(hex_colour: str) -> float:
        def linear(c: int) -> float:
            c = c / 255
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
        y = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
        return 116 * y ** (1 / 3) - 16

    steps = [lightness(c) for c in (COLOR_COMPLETED, COLOR_STARTED, COLOR_HANDED_OUT, COLOR_PLANNED)]
    assert all(b - a >= 15 for a, b in zip(steps, steps[1:])), steps


# --------------------------------------------------------------------------- progress bars


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_progress_is_a_self_contained_accessible_image(lang):
    svg = progress_bars(GROUPS, title="Tiến độ theo nhóm", lang=lang)
    _assert_self_contained(svg)
    root = _parse(svg)
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert re.fullmatch(r"0 0 640 \d+(\.\d)?", root.get("viewBox"))
    assert root.get("height") is None  # the height follows the width
    title, desc = root[0], root[1]
    assert _tag(title) == "title" and _tag(desc) == "desc"
    assert root.get("aria-label") == title.text
    completed = sum(g.completed for g in GROUPS)
    planned = sum(g.planned for g in GROUPS)
    if lang == "vi":
        assert title.text == (f"Tiến độ theo nhóm: 8 mục, hoàn thành {completed}/"
                              f"{format_number(planned, 'vi')} phiếu (50,8%)")
    else:
        assert title.text == f"Tiến độ theo nhóm: 8 rows, {completed} of 1,193 forms completed (50.8%)"
    for group in GROUPS:  # the description gives every row's figures
        assert group.label in desc.text


def test_one_bar_group_per_row_in_the_order_given():
    svg = progress_bars(GROUPS, title="t")
    rows = _rows(_parse(svg))
    assert len(rows) == len(GROUPS)
    assert [_texts(row)[0].rstrip("…") for row in rows] == [
        g.label[: len(_texts(row)[0].rstrip("…"))] for g, row in zip(GROUPS, rows)]
    assert _texts(rows[2])[1] == "121/300 (40%)"


def test_segments_are_the_share_of_each_rows_own_plan():
    rows = [
        {"label": "Huyện Tam Đường", "planned": 10, "handed_out": 10, "started": 8, "completed": 5},
        {"label": "Huyện Sìn Hồ", "planned": 300, "handed_out": 75, "started": 30, "completed": 3},
    ]
    bars = _rows(_parse(progress_bars(rows, title="t")))
    first, second = (_rects(bar) for bar in bars)
    track = first[COLOR_PLANNED]
    assert second[COLOR_PLANNED] == track  # every track is 100% of its own plan
    assert first[COLOR_COMPLETED] == pytest.approx(track / 2, abs=1)
    assert first[COLOR_STARTED] == pytest.approx(track * 0.8, abs=1)
    assert first[COLOR_HANDED_OUT] == pytest.approx(track, abs=1)
    assert second[COLOR_HANDED_OUT] == pytest.approx(track / 4, abs=1)
    assert second[COLOR_STARTED] == pytest.approx(track / 10, abs=1)
    assert second[COLOR_COMPLETED] == pytest.approx(track / 100, abs=1)


def test_counts_above_the_plan_fill_the_bar_and_keep_their_number():
    (bar,) = _rows(_parse(progress_bars([ProgressRow("Đoàn thể", 1193, 1300, 1200, 1250)], title="t")))
    widths = _rects(bar)
    assert widths[COLOR_COMPLETED] == widths[COLOR_PLANNED]
    assert _texts(bar)[1] == "1.250/1.193 (104%)"


def test_nothing_planned_divides_by_nothing():
    rows = [ProgressRow("Nhóm chưa có kế hoạch", 0, 0, 0, 0), ProgressRow("Lạ", 0, 4, 3, 2)]
    svg = progress_bars(rows, title="t", expected_pct=50)
    for bar in _rows(_parse(svg)):
        assert set(_rects(bar)) == {COLOR_PLANNED}  # the track alone
    assert [_texts(b)[1] for b in _rows(_parse(svg))] == ["0/0 (–)", "2/0 (–)"]
    assert "expected" not in svg  # no plan, no mark of where it should be


def test_percentages_round_down_so_100_means_done():
    rows = [ProgressRow("a", 1000, 1000, 1000, 999), ProgressRow("b", 300, 300, 1, 1)]
    assert [_texts(b)[1] for b in _rows(_parse(progress_bars(rows, title="t", lang="en")))] == [
        "999/1,000 (99%)", "1/300 (0%)"]


def test_labels_from_data_stay_text():
    label = '<script>alert("x")</script> <&> ]]> "quoted" \'single\''
    svg = progress_bars([ProgressRow(label, 10, 5, 5, 5)], title="<b>Tiêu đề</b> & co")
    _assert_self_contained(svg)
    root = _parse(svg)
    (bar,) = _rows(root)
    shown = _texts(bar)[0]
    full = bar.find(f"{NS}title")
    assert (full.text if full is not None else shown) == label
    assert shown.rstrip("…") == label[: len(shown.rstrip("…"))]
    assert "&lt;script&gt;" in svg and "&lt;&amp;&gt;" in svg
    assert root.find(f"{NS}title").text.startswith("<b>Tiêu đề</b> & co: ")


def test_characters_xml_forbids_are_dropped():
    label = "Huyện\x00 Mường\x1b Tè\ufffe\n\tmới"
    root = _parse(progress_bars([ProgressRow(label, 10, 1, 1, 1)], title="Ti\x07êu đề"))
    (bar,) = _rows(root)
    assert _texts(bar)[0] == "Huyện Mường Tè mới"
    assert root.find(f"{NS}title").text.startswith("Tiêu đề:")


def test_decomposed_vietnamese_is_composed():
    decomposed = "Huye\u0323\u0302n Tam Đu\u031bo\u031b\u0300ng"  # NFD, as some keyboards write it
    (bar,) = _rows(_parse(progress_bars([ProgressRow(decomposed, 1)], title="t")))
    assert _texts(bar)[0] == "Huyện Tam Đường"


def test_a_long_label_is_cut_and_kept_whole_in_a_title():
    label = "II.1 Người dân có giao dịch tại Bộ phận tiếp nhận và trả kết quả một cửa cấp tỉnh"
    (bar,) = _rows(_parse(progress_bars([ProgressRow(label, 1000, 900, 800, 700)], title="t")))
    shown = _texts(bar)[0]
    assert shown.endswith("…") and len(shown) < len(label)
    assert label.startswith(shown[:-1])
    assert bar.find(f"{NS}title").text == label


def test_a_short_label_has_no_extra_title():
    (bar,) = _rows(_parse(progress_bars([ProgressRow("Huyện Tam Đường", 10)], title="t")))
    assert bar.find(f"{NS}title") is None
    assert _texts(bar) == ["Huyện Tam Đường", "0/10 (0%)"]


def test_rows_may_be_mappings_objects_or_database_numbers():
    as_object = progress_bars([ProgressRow("Huyện Phong Thổ", 40, 30, 20, 10)], title="t")
    as_mapping = progress_bars(
        [{"label": "Huyện Phong Thổ", "planned": Decimal(40), "handed_out": 30,
          "started": 20, "completed": Decimal("10")}], title="t")
    assert as_object == as_mapping
    with_none = progress_bars([{"label": "x", "planned": 5, "handed_out": None,
                                "started": None, "completed": None}], title="t")
    (bar,) = _rows(_parse(with_none))
    assert _texts(bar)[1] == "0/5 (0%)"


@pytest.mark.parametrize("bad", [-1, 2.5, "3", True])
def test_counts_must_be_whole_and_not_negative(bad):
    with pytest.raises((ValueError, TypeError)):
        progress_bars([{"label": "x", "planned": 10, "completed": bad}], title="t")


def test_unknown_language_and_too_narrow_width_are_refused():
    with pytest.raises(ValueError):
        progress_bars(GROUPS, title="t", lang="fr")
    with pytest.raises(ValueError):
        progress_bars(GROUPS, title="t", width=100)


def test_no_rows_says_so():
    svg = progress_bars([], title="Tiến độ")
    _assert_self_contained(svg)
    assert _rows(_parse(svg)) == []
    assert "Chưa có số liệu." in _texts(_parse(svg))


def test_height_grows_with_the_rows_and_a_wider_drawing_keeps_the_scale():
    def box(svg: str) -> list[float]:
        return [float(v) for v in _parse(svg).get("viewBox").split()]

    one, two = box(progress_bars(GROUPS[:1], title="t")), box(progress_bars(GROUPS[:2], title="t"))
    assert two[3] > one[3]
    assert box(progress_bars(GROUPS, title="t", width=900))[2] == 900
    (bar,) = _rows(_parse(progress_bars([{"label": "a", "planned": 10, "completed": 5}],
                                        title="t", width=900)))
    assert _rects(bar)[COLOR_COMPLETED] == pytest.approx(_rects(bar)[COLOR_PLANNED] / 2, abs=1)


def test_expected_mark_stands_at_that_share_of_every_bar():
    svg = progress_bars(GROUPS[:3], title="t", expected_pct=62.5)
    root = _parse(svg)
    mark = _by_class(root, "expected").get("d")
    xs = {float(x) for x in re.findall(r"M([\d.]+) ", mark)}
    assert len(re.findall("M", mark)) == 3 and len(xs) == 1
    (x,) = xs
    bar = _rows(root)[0]
    left = float(re.match(r"translate\(([\d.]+),", bar.get("transform")).group(1))
    assert x - left == pytest.approx(_rects(bar)[COLOR_PLANNED] * 0.625, abs=1)
    assert "Cần đạt đến hôm nay: 62,5%" in _texts(root)


def test_thirty_rows_stay_light():
    rows = [ProgressRow(f"Bưu cục huyện {name} số {i}", 300 + i, 250, 200, 150 + i)
            for i, name in enumerate(["Tam Đường", "Sìn Hồ", "Mường Tè", "Phong Thổ", "Than Uyên",
                                      "Tân Uyên"] * 5)]
    svg = progress_bars(rows, title="Tiến độ theo đơn vị", expected_pct=55)
    _assert_self_contained(svg)
    assert len(_rows(_parse(svg))) == 30
    raw = svg.encode()
    assert len(raw) < 18_000, len(raw)  # about 0.5 KB a row, its description included
    assert len(gzip.compress(raw)) < 2_500  # as the pages are sent (compressed)


def test_jinja_inserts_the_markup_as_it_is():
    svg = progress_bars(GROUPS[:1], title="a < b")
    assert isinstance(svg, str)
    assert str(markupsafe.escape(svg)) == str(svg)


@settings(max_examples=60, deadline=None)
@given(label=st.text(max_size=120),
       counts=st.lists(st.integers(0, 10**6), min_size=4, max_size=4),
       lang=st.sampled_from(["vi", "en"]))
def test_any_label_and_counts_give_well_formed_svg(label, counts, lang):
    planned, handed, started, completed = counts
    svg = progress_bars([ProgressRow(label, planned, handed, started, completed)], title=label,
                        lang=lang)
    _assert_self_contained(svg)
    (bar,) = _rows(_parse(svg))
    track = _rects(bar)[COLOR_PLANNED]
    for count, colour in ((handed, COLOR_HANDED_OUT), (started, COLOR_STARTED),
                          (completed, COLOR_COMPLETED)):
        width = _rects(bar).get(colour, 0.0)
        assert (width > 0) == (count > 0 and planned > 0)
        assert width <= track
        assert width == pytest.approx(track * min(percent(count, planned), 100) / 100, abs=1)


@pytest.mark.parametrize("module", ["survey_service.core.svg", "survey_service.fieldwork.charts",
                                    "survey_service.results.charts"])
def test_chart_modules_import_nothing_of_the_web(module):
    """Charts are pure drawing: their modules import neither Flask nor the database."""
    import ast
    import importlib

    tree = ast.parse(Path(importlib.import_module(module).__file__).read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.level == 0}
    assert not imported & {"flask", "sqlalchemy", "werkzeug"}


def test_index_intervals_places_dots_and_lines_on_the_axis():
    rows = [{"label": "Sở <A> & B", "index_pct": 80.0, "index_low": 75.0, "index_high": 85.0},
            {"label": "Huyện C", "index_pct": 55.0, "index_low": None, "index_high": None}]
    svg = index_intervals(rows, title="Chỉ số", bands=[(80, "Tốt"), (70, "Khá")])
    root = ET.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    dots = root.findall(".//s:circle", ns)
    lines = [el for el in root.findall(".//s:g/s:line", ns)]
    assert len(dots) == 2 and len(lines) == 1  # no interval line where there is none
    # The axis starts at the ten below the lowest value (50) and ends at 100: the dot of
    # 80 lies 30/50 of the way, and the interval is centred on it (25 points = 5 x 5).
    x55, x80 = float(dots[1].get("cx")), float(dots[0].get("cx"))
    x75, x85 = float(lines[0].get("x1")), float(lines[0].get("x2"))
    assert x85 - x80 == pytest.approx(x80 - x75)
    assert (x80 - x55) == pytest.approx(5 * (x85 - x80))
    assert "Sở &lt;A&gt; &amp; B" in svg and "<script" not in svg
    assert "Tốt ≥ 80" in svg
