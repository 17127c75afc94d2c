"""What the published report says, once, for the Word, PDF and Excel files alike.

:func:`build_report` turns a round's results into a :class:`Report`: a title, the legal
basis, a banner said on every page while the results are preliminary, and sections of
paragraphs, tables and charts.  Table cells keep their values (numbers stay numbers,
with the decimals to show), so each writer formats them its own way: Vietnamese or
English number formats in the documents, number cells in the workbook.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

import analysis
import sampling

from ..core.svg import format_number
from ..results.queries import REPLICATES, Results
from .charts import Figure, area_heatmap

#: A unit whose survey points rest on fewer valid answers than this on some
#: sub-criterion is listed as having too few answers (as ``analysis.quality_flags``).
MIN_ANSWERS = 10

STATUS_TEXT = {
    "no_survey": ("Chưa xếp hạng: chưa có phiếu khảo sát hợp lệ", "Not ranked: no valid survey answer"),
    "appraisal_missing": ("Chưa xếp hạng: thiếu điểm thẩm định cuối cùng",
                          "Not ranked: final appraisal scores missing"),
    "appraisal_preliminary": ("Chưa xếp hạng: kết quả thẩm định chưa được chốt",
                              "Not ranked: the appraisal is not finalised"),
}


@dataclass(frozen=True)
class Table:
    """A table: a header row, then rows of values; ``decimals`` per column for numbers,
    to which the values are rounded (as people read them, in every format alike)."""

    title: str
    header: list[str]
    rows: list[list[Any]]
    widths: list[float]
    decimals: list[int | None]
    note: str = ""
    #: A short name (the workbook's sheet).
    key: str = ""

    def __post_init__(self) -> None:
        for row in self.rows:
            for i, (value, decimals) in enumerate(zip(row, self.decimals)):
                if isinstance(value, float) and decimals is not None and value == value:
                    row[i] = round(value, decimals)


@dataclass(frozen=True)
class Chart:
    title: str
    figure: Figure


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: list[str | Table | Chart] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    lang: str
    title: str
    subtitle: str
    legal_basis: str
    #: Said on every page (and every sheet) while the results are preliminary, else "".
    banner: str
    footer: str
    sections: list[Section]
    plan: str

    @property
    def preliminary(self) -> bool:
        return bool(self.banner)

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]


def _t(lang: str, vi: str, en: str) -> str:
    return en if lang == "en" else vi


def number(value: Any, lang: str, decimals: int | None) -> str:
    """A cell as people read it: ``55,07`` (vi) or ``55.07`` (en); empty for none."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return "—"
    if isinstance(value, str):
        return value
    return format_number(float(value), lang, decimals or 0)


def _value(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    return v.item() if hasattr(v, "item") else v


def banner_text(results: Results, lang: str) -> str:
    """The preliminary notice, or "" once the survey has closed and the appraisal is final."""
    if not results.preliminary:
        return ""
    why = []
    if not results.survey_closed:
        why.append(_t(lang, "cuộc khảo sát chưa kết thúc", "the survey has not closed"))
    if not results.appraisal_final:
        why.append(_t(lang, "kết quả thẩm định chưa được chốt", "the appraisal is not finalised"))
    return _t(lang, "TẠM TÍNH — chưa phải kết quả chính thức: ", "PRELIMINARY — not the official result: ") + \
        _t(lang, " và ", " and ").join(why) + "."


def _change(row: dict[str, Any], lang: str, has_previous: bool) -> str:
    if not has_previous:
        return "—"
    if row["new_unit"]:
        return _t(lang, "mới", "new")
    change = _value(row["rank_change"])
    if change is None:
        return "—"
    return f"+{change}" if change > 0 else str(change)


def _ranking(part: pd.DataFrame, plan: sampling.Plan, lang: str, has_previous: bool,
             previous_year: str, kind_name: str) -> Table:
    grades = {b.code: b.name.get(lang) for b in plan.scoring.bands}
    ordered = part.assign(_r=part["rank"].astype("Float64").fillna(1e9)).sort_values(
        ["_r", "index_pct", "name"], ascending=[True, False, True])
    rows = []
    for r in ordered.to_dict(orient="records"):
        ranked = r["status"] == "ranked"
        low, high = _value(r["rank_low"]), _value(r["rank_high"])
        rows.append([
            _value(r["rank"]), r["name"], _value(r["appraisal"]), _value(r["survey"]), _value(r["total"]),
            _value(r["index_pct"]),
            grades.get(r["grade"], "") if ranked else STATUS_TEXT[r["status"]][lang == "en"],
            (f"{low}–{high}" if low is not None and high is not None else "—"),
            _value(r["previous_rank"]), _change(r, lang, has_previous)])
    header = [_t(lang, "Hạng", "Rank"), _t(lang, "Đơn vị", "Unit"),
              _t(lang, "Điểm thẩm định", "Appraisal points"), _t(lang, "Điểm điều tra", "Survey points"),
              _t(lang, "Tổng điểm", "Total"), _t(lang, "Chỉ số (%)", "Index (%)"),
              _t(lang, "Xếp loại", "Grade"), _t(lang, "Khoảng hạng", "Rank interval"),
              _t(lang, f"Hạng {previous_year}", f"Rank {previous_year}"),
              _t(lang, "Thay đổi", "Change")]
    return Table(title=_t(lang, f"Xếp hạng: {kind_name}", f"Ranking: {kind_name}"), header=header,
                 rows=rows, widths=[1.2, 4.2, 1.6, 1.6, 1.5, 1.5, 1.9, 1.7, 1.4, 1.4],
                 decimals=[None, None, 2, 2, 2, 2, None, None, None, None], key="xep-hang")


def _grade_counts(part: pd.DataFrame, previous: pd.DataFrame | None, plan: sampling.Plan,
                  lang: str, year: int, previous_year: str) -> Table:
    codes = [b.code for b in plan.scoring.bands]
    counts = analysis.grade_counts(part, previous, codes)
    names = {b.code: b.name.get(lang) for b in plan.scoring.bands}
    rows = [[names[g], int(c), _value(p)] for g, c, p in
            zip(counts["grade"], counts["count"], counts["previous_count"])]
    unranked = int((part["status"] != "ranked").sum())
    before = (int((previous["status"] != "ranked").sum())
              if previous is not None and "status" in previous.columns else None)
    rows.append([_t(lang, "Chưa xếp hạng", "Not ranked"), unranked, before])
    header = [_t(lang, "Xếp loại", "Grade"), _t(lang, f"Năm {year}", f"{year}"),
              _t(lang, f"Năm {previous_year}", f"{previous_year}")]
    return Table(title=_t(lang, "Số đơn vị theo xếp loại", "Units per grade"), header=header, rows=rows,
                 widths=[5.0, 2.5, 2.5], decimals=[None, 0, 0], key="xep-loai")


def _areas(part: pd.DataFrame, areas: pd.DataFrame, plan: sampling.Plan, lang: str,
           kind_name: str) -> tuple[Table, Chart]:
    table = areas[areas["unit"].isin(part["unit"])]
    codes = [a.code for a in plan.scoring.areas if a.code in set(table["area"])]
    wide = table.pivot_table(index="unit", columns="area", values="index_pct")
    order = part.assign(_r=part["rank"].astype("Float64").fillna(1e9)).sort_values(
        ["_r", "index_pct", "name"], ascending=[True, False, True])
    rows = [[name, *(_value(wide.loc[unit, c]) if unit in wide.index and c in wide.columns else None
                     for c in codes)] for unit, name in zip(order["unit"], order["name"])]
    legend = "; ".join(f"{a.code}: {a.name.get(lang)}" for a in plan.scoring.areas if a.code in codes)
    result = Table(title=_t(lang, f"Chỉ số thành phần theo lĩnh vực (%): {kind_name}",
                            f"Component index by area (%): {kind_name}"),
                   header=[_t(lang, "Đơn vị", "Unit"), *codes], rows=rows,
                   widths=[5.0, *([1.4] * len(codes))], decimals=[None, *([1] * len(codes))],
                   note=legend, key="linh-vuc")
    bands = [(b.min, b.name.get(lang)) for b in plan.scoring.bands]
    figure = area_heatmap([r[0] for r in rows], codes, [r[1:] for r in rows], bands=bands, lang=lang)
    return result, Chart(_t(lang, f"Chỉ số theo lĩnh vực: {kind_name}", f"Index by area: {kind_name}"),
                         figure)


def _survey(plan: sampling.Plan, results: Results, collected: pd.DataFrame, lang: str) -> Section:
    per = collected.pivot_table(index="group", columns="channel", values="responses", aggfunc="sum",
                                fill_value=0) if not collected.empty else pd.DataFrame()
    rows, planned_total, got_total = [], 0, 0
    for group in plan.groups:
        planned = plan.group_total(group)
        web = int(per.loc[group.code, "web"]) if "web" in per.columns and group.code in per.index else 0
        paper = int(per.loc[group.code, "paper"]) if "paper" in per.columns and group.code in per.index else 0
        if not planned and not (web + paper):
            continue
        planned_total += planned
        got_total += web + paper
        rows.append([group.code, group.name.get(lang), group.form or "—", planned, web, paper, web + paper,
                     100.0 * (web + paper) / planned if planned else None])
    web_total = sum(r[4] for r in rows)
    paper_total = sum(r[5] for r in rows)
    rows.append([_t(lang, "Tổng", "Total"), "", "", planned_total, web_total, paper_total, got_total,
                 100.0 * got_total / planned_total if planned_total else None])
    table = Table(title=_t(lang, "Phiếu theo nhóm và cách trả lời", "Forms per group and channel"),
                  header=[_t(lang, "Nhóm", "Group"), _t(lang, "Đối tượng", "Respondents"),
                          _t(lang, "Mẫu phiếu", "Form"), _t(lang, "Kế hoạch", "Planned"),
                          _t(lang, "Trực tuyến", "Online"), _t(lang, "Giấy", "Paper"),
                          _t(lang, "Đã thu", "Collected"), _t(lang, "Tỷ lệ (%)", "Rate (%)")],
                  rows=rows, widths=[1.2, 6.2, 1.6, 1.6, 1.6, 1.4, 1.6, 1.6],
                  decimals=[None, None, None, 0, 0, 0, 0, 1], key="khao-sat")
    rate = number(100.0 * got_total / planned_total if planned_total else 0, lang, 1)
    text = _t(lang, f"Kế hoạch {number(planned_total, lang, 0)} phiếu; đã thu {number(got_total, lang, 0)} "
                    f"phiếu ({rate}%): {number(web_total, lang, 0)} trực tuyến, "
                    f"{number(paper_total, lang, 0)} phiếu giấy.",
              f"{number(planned_total, lang, 0)} forms planned; {number(got_total, lang, 0)} collected "
              f"({rate}%): {number(web_total, lang, 0)} online, {number(paper_total, lang, 0)} on paper.")
    names = dict(zip(results.index["unit"], results.index["name"]))
    fewest = results.scores.groupby("unit", sort=False)["n"].min()
    few = [[names.get(u, u), int(n)] for u, n in fewest.items() if n < MIN_ANSWERS]
    blocks: list[str | Table | Chart] = [text, table]
    if few:
        blocks.append(Table(
            title=_t(lang, f"Đơn vị có ít hơn {MIN_ANSWERS} câu trả lời hợp lệ ở một tiêu chí thành phần",
                     f"Units with fewer than {MIN_ANSWERS} valid answers on a sub-criterion"),
            header=[_t(lang, "Đơn vị", "Unit"), _t(lang, "Ít nhất", "Fewest")], rows=few,
            widths=[8.0, 2.0], decimals=[None, 0], key="it-phieu"))
    else:
        blocks.append(_t(lang, f"Mọi đơn vị có ít nhất {MIN_ANSWERS} câu trả lời hợp lệ ở mỗi tiêu chí "
                               "thành phần điều tra.",
                         f"Every unit has at least {MIN_ANSWERS} valid answers on each survey sub-criterion."))
    return Section(_t(lang, "Cuộc khảo sát qua các con số", "The survey in numbers"), blocks)


def _methods(plan: sampling.Plan, results: Results, lang: str) -> Section:
    rules = plan.scoring
    shares = "; ".join(f"{kind.name.get(lang)}: " + _t(lang, f"thẩm định {number(s['appraisal'], lang, 0)}, "
                       f"điều tra {number(s['survey'], lang, 0)}",
                       f"appraisal {number(s['appraisal'], lang, 0)}, survey {number(s['survey'], lang, 0)}")
                       for kind in plan.unit_kinds if (s := rules.shares.get(kind.code)))
    bands = ", ".join(f"{b.name.get(lang)} ≥ {number(b.min, lang, 0)}%" for b in rules.bands if b.min > 0)
    pooled = _t(lang, "trung bình của từng nhóm người trả lời, các nhóm có trọng số bằng nhau",
                "the mean of each respondent group, the groups weighted equally") \
        if rules.pooling == "groups" else _t(lang, "trung bình của mọi câu trả lời", "the mean of all answers")
    paragraphs = [
        _t(lang, f"Điểm tối đa theo loại đơn vị — {shares}. Điểm thẩm định là điểm cuối cùng của Hội đồng "
                 "thẩm định cho từng tiêu chí thành phần. Điểm điều tra của một tiêu chí thành phần = điểm "
                 f"tối đa × mức đánh giá trung bình của các câu trả lời hợp lệ ({pooled}); \"Không biết\" "
                 "và câu bỏ trống không được tính.",
           f"Maximum points per kind of unit — {shares}. Appraisal points are the appraisal council's final "
           "scores on each sub-criterion. The survey points of a sub-criterion = its maximum × the mean "
           f"weight of the valid answers ({pooled}); \"Don't know\" and blanks do not count."),
        _t(lang, f"Chỉ số = tổng điểm / điểm tối đa × 100. Xếp loại: {bands}; dưới mức thấp nhất: "
                 f"{rules.bands[-1].name.get(lang)}. Xếp hạng trong từng loại đơn vị; các đơn vị bằng chỉ "
                 "số cùng hạng. Chỉ xếp hạng đơn vị có phiếu khảo sát hợp lệ và có điểm thẩm định cuối cùng "
                 "đã được chốt; các đơn vị khác ghi rõ lý do.",
           f"Index = total points / maximum × 100. Grades: {bands}; below the lowest: "
           f"{rules.bands[-1].name.get(lang)}. Units are ranked within their kind; equal indices share a "
           "rank. Only units with valid survey answers and a finalised appraisal are ranked; the others "
           "say why."),
        _t(lang, f"Khoảng hạng: phân vị 5%–95% của thứ hạng khi lấy mẫu lại người trả lời trong từng đơn vị "
                 f"và nhóm ({number(REPLICATES, lang, 0)} lần, có hạt giống cố định), điểm thẩm định giữ "
                 "nguyên; khoảng cho biết độ chắc chắn của phần điểm điều tra.",
           f"Rank interval: the 5th–95th percentile of the rank when respondents are resampled within each "
           f"unit and group ({number(REPLICATES, lang, 0)} seeded replicates), appraisal held fixed; it "
           "shows how sure the survey part is."),
        _t(lang, f"So sánh với đợt trước ({results.previous}): theo mã đơn vị; thay đổi = hạng năm trước − "
                 "hạng năm nay (dương là tăng bậc); \"mới\": đơn vị không có trong đợt trước."
                 if results.previous else "Không có đợt trước để so sánh.",
           f"Comparison with the previous round ({results.previous}): by unit code; change = last year's "
           "rank − this year's (positive: up); \"new\": a unit the previous round did not have."
           if results.previous else "There is no previous round to compare with."),
    ]
    if rules.note:
        paragraphs.append(_t(lang, "Giả định của quy tắc chấm điểm: ", "Assumptions of the scoring rules: ")
                          + rules.note)
    return Section(_t(lang, "Phụ lục: phương pháp", "Annex: methods"), list(paragraphs))


def build_report(plan: sampling.Plan, results: Results, collected: pd.DataFrame, *,
                 lang: str = "vi", previous_year: int | None = None,
                 previous_index: pd.DataFrame | None = None) -> Report:
    """The report of a round's results (see the module's note)."""
    banner = banner_text(results, lang)
    has_previous = results.previous is not None
    before = str(previous_year) if previous_year else _t(lang, "trước", "before")
    sections = []
    summary = _t(lang, f"Dựa trên {number(results.responses, lang, 0)} phiếu khảo sát và điểm thẩm định "
                       f"cuối cùng của Hội đồng thẩm định; số liệu đến ngày {dt.date.today():%d/%m/%Y}.",
                 f"Based on {number(results.responses, lang, 0)} survey forms and the appraisal council's "
                 f"final scores; data as of {dt.date.today():%d/%m/%Y}.")
    for kind in plan.unit_kinds:
        if not kind.evaluated:
            continue
        part = results.index[results.index["kind"] == kind.code]
        if part.empty:
            continue
        name = kind.name.get(lang)
        ranking = _ranking(part, plan, lang, has_previous, before, name)
        prev_part = previous_index[previous_index["kind"] == kind.code] if previous_index is not None else None
        counts = _grade_counts(part, prev_part, plan, lang, plan.year, before)
        table, chart = _areas(part, results.areas, plan, lang, name)
        sections.append(Section(name, [replace(ranking, key=f"{ranking.key}-{kind.code}"),
                                       replace(counts, key=f"{counts.key}-{kind.code}"),
                                       replace(table, key=f"{table.key}-{kind.code}"), chart]))
    sections.append(_survey(plan, results, collected, lang))
    sections.append(_methods(plan, results, lang))
    if sections:
        sections[0].blocks.insert(0, summary)
    return Report(lang=lang, title=plan.title.get(lang),
                  subtitle=_t(lang, f"Chỉ số cải cách hành chính năm {plan.year} — {plan.province}",
                              f"Administrative reform index {plan.year} — {plan.province}"),
                  legal_basis=plan.source, banner=banner,
                  footer=_t(lang, f"Chỉ số CCHC {plan.year} · {plan.code}", f"PAR Index {plan.year} · {plan.code}"),
                  sections=sections, plan=plan.code)
