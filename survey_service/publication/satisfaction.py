"""The satisfaction section of the published report, and the report of a round that is a
satisfaction survey only (no scoring rules).

For every kind of rated unit: a table of the satisfied share over all questions with
its 95 % interval, the mean level and the share of "Không biết" (units of the sampled
kinds without any answer listed last, with n 0), a table and a chart of the satisfied
share by area, and how the figures are computed (:mod:`analysis.satisfaction`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

import analysis
import sampling

from ..results.satisfaction import CONFIDENCE, Satisfaction, satisfaction_groups
from .charts import area_heatmap
from .content import Chart, Report, Section, Table, number

#: The shading of the chart by satisfied share (%): lowest values, best first.
SHARE_STEPS = (90.0, 80.0, 70.0, 50.0)


def _t(lang: str, vi: str, en: str) -> str:
    return en if lang == "en" else vi


def _pct(value: Any) -> float | None:
    return None if value is None or value != value else 100.0 * float(value)


def _interval(low: Any, high: Any, lang: str) -> str:
    low, high = _pct(low), _pct(high)
    return "—" if low is None or high is None else f"{number(low, lang, 1)}–{number(high, lang, 1)}"


def _unit_rows(plan: sampling.Plan, table: pd.DataFrame, kind: str) -> list[tuple[str, str]]:
    """(code, name) of the units of ``kind`` in the table, the most satisfied first, then
    those of the sampled kinds without any answer, by name."""
    share = table[table["area"] == analysis.ALL_AREAS].set_index("unit")["satisfied_share"]
    sampled = {u.code for g in satisfaction_groups(plan) for u in plan.sampled_units(g)}
    units = [(u.code, u.name) for u in plan.units
             if u.kind == kind and (u.code in share.index or u.code in sampled)]

    def order(unit: tuple[str, str]) -> tuple[bool, float, str]:
        value = _pct(share.get(unit[0]))
        return value is None, -(value or 0.0), unit[1]

    return sorted(units, key=order)


def _overall(units: list[tuple[str, str]], table: pd.DataFrame, lang: str, title: str, key: str) -> Table:
    every = table[table["area"] == analysis.ALL_AREAS].set_index("unit")
    rows = []
    for code, name in units:
        if code not in every.index:
            rows.append([name, 0, None, "—", None, None])
            continue
        r = every.loc[code]
        rows.append([name, int(r["n"]), _pct(r["satisfied_share"]),
                     _interval(r["satisfied_low"], r["satisfied_high"], lang),
                     None if r["mean"] != r["mean"] else float(r["mean"]), _pct(r["dont_know_share"])])
    header = [_t(lang, "Đơn vị", "Unit"), _t(lang, "Số người trả lời", "Respondents"),
              _t(lang, "Hài lòng (%)", "Satisfied (%)"),
              _t(lang, f"Khoảng tin cậy {CONFIDENCE:.0%}", f"{CONFIDENCE:.0%} interval"),
              _t(lang, "Điểm trung bình", "Mean level"), _t(lang, "Không biết (%)", "Don't know (%)")]
    return Table(title=title, header=header, rows=rows, widths=[4.6, 2.0, 1.6, 2.2, 1.6, 1.6],
                 decimals=[None, 0, 1, None, 2, 1], key=key)


def _by_area(units: list[tuple[str, str]], table: pd.DataFrame, form: Any, lang: str, title: str,
             key: str) -> tuple[Table, Chart]:
    codes = [s.code for s in form.sections if s.code in set(table["area"])]
    wide = table.pivot_table(index="unit", columns="area", values="satisfied_share", aggfunc="first")
    rows = [[name, *(_pct(wide.loc[code, a]) if code in wide.index and a in wide.columns else None
                     for a in codes)] for code, name in units]
    legend = "; ".join(f"{s.code}: {s.title.get(lang)}" for s in form.sections if s.code in codes)
    result = Table(title=title, header=[_t(lang, "Đơn vị", "Unit"), *codes], rows=rows,
                   widths=[5.0, *([1.4] * len(codes))], decimals=[None, *([1] * len(codes))],
                   note=legend, key=key)
    label = _t(lang, "Hài lòng (%)", "Satisfied (%)")
    bands = [*((low, label) for low in SHARE_STEPS), (0.0, f"{label} < {SHARE_STEPS[-1]:.0f}")]
    figure = area_heatmap([r[0] for r in rows], codes, [r[1:] for r in rows], bands=bands, lang=lang)
    return result, Chart(_t(lang, "Biểu đồ: ", "Chart: ") + title, figure)


def _method(result: Satisfaction, plan: sampling.Plan, lang: str) -> str:
    groups = ", ".join(f"{g.code} ({g.name.get(lang)})" for g in satisfaction_groups(plan))
    tops = {k for code in set(result.table["form"])
            for _, _, k in analysis.scale_levels(plan.forms[code]).values()}
    scale = f"1–{tops.pop()}" if len(tops) == 1 else "1–k"
    return _t(
        lang,
        f"Dựa trên {number(result.responses, lang, 0)} phiếu của các nhóm {groups}, chọn ngẫu nhiên từ "
        "danh sách hồ sơ của Bộ phận Một cửa từng đơn vị. Tỷ lệ hài lòng = số câu trả lời ở hai mức cao "
        "nhất (\"Hài lòng\", \"Rất hài lòng\") / số câu trả lời có mức đánh giá; \"Không biết\" không "
        f"tính vào tỷ lệ mà được nêu riêng. Điểm trung bình trên thang {scale}. Khoảng tin cậy tính theo "
        "người trả lời (các câu trả lời của một người không độc lập với nhau): khoảng Wilson với cỡ mẫu "
        "hiệu dụng cho tỷ lệ, khoảng t cho điểm trung bình; đơn vị có dưới 2 người trả lời không có khoảng.",
        f"Based on {number(result.responses, lang, 0)} forms of the groups {groups}, drawn at random from "
        "the lists of dossiers of each unit's one-stop desk. Satisfied share = answers at the two top "
        "levels (\"Satisfied\", \"Very satisfied\") / answers with a level; \"Don't know\" is left out of "
        f"the share and given apart. Mean level on the {scale} scale. Intervals count respondents, not "
        "answers (one person's answers are not independent): Wilson's interval with the effective "
        "sample size for the share, a t interval for the mean; units with fewer than 2 respondents "
        "have none.")


def satisfaction_section(plan: sampling.Plan, result: Satisfaction, lang: str = "vi") -> Section:
    """The section on the satisfaction index of ``result`` (a round with answers of sampled groups)."""
    blocks: list[str | Table | Chart] = [_method(result, plan, lang)]
    forms = list(dict.fromkeys(result.table["form"]))
    for form_code in forms:
        form = plan.forms[form_code]
        table = result.table[result.table["form"] == form_code]
        suffix = f" ({form_code})" if len(forms) > 1 else ""
        known = {u.code: u.kind for u in plan.units}
        kinds = {known[u] for u in table["unit"] if u in known}
        for kind in (k for k in plan.unit_kinds if k.code in kinds):
            units = _unit_rows(plan, table, kind.code)
            name = kind.name.get(lang)
            key = f"hai-long-{kind.code}{'-' + form_code if suffix else ''}"
            blocks.append(_overall(units, table, lang, _t(lang, f"Mức độ hài lòng: {name}{suffix}",
                                                          f"Satisfaction: {name}{suffix}"), key))
            area_table, chart = _by_area(units, table, form, lang,
                                         _t(lang, f"Tỷ lệ hài lòng theo lĩnh vực (%): {name}{suffix}",
                                            f"Satisfied share by area (%): {name}{suffix}"), f"{key}-lv")
            blocks += [area_table, chart]
    return Section(_t(lang, "Sự hài lòng của người dân, tổ chức",
                      "Satisfaction of citizens and organisations"), blocks)


def _numbers(plan: sampling.Plan, collected: pd.DataFrame, planned: Mapping[str, int], lang: str) -> Section:
    rows = []
    for group in satisfaction_groups(plan):
        part = collected[collected["group"] == group.code]
        web = int(part.loc[part["channel"] == "web", "responses"].sum())
        paper = int(part.loc[part["channel"] == "paper", "responses"].sum())
        drawn = int(planned.get(group.code, 0))
        rows.append([group.code, group.name.get(lang), group.form, drawn, web, paper, web + paper,
                     100.0 * (web + paper) / drawn if drawn else None])
    table = Table(title=_t(lang, "Phiếu theo nhóm và cách trả lời", "Forms per group and channel"),
                  header=[_t(lang, "Nhóm", "Group"), _t(lang, "Đối tượng", "Respondents"),
                          _t(lang, "Mẫu phiếu", "Form"), _t(lang, "Mẫu đã chọn", "Sampled"),
                          _t(lang, "Trực tuyến", "Online"), _t(lang, "Giấy", "Paper"),
                          _t(lang, "Đã thu", "Collected"), _t(lang, "Tỷ lệ (%)", "Rate (%)")],
                  rows=rows, widths=[1.2, 5.0, 1.6, 1.6, 1.6, 1.4, 1.6, 1.6],
                  decimals=[None, None, None, 0, 0, 0, 0, 1], key="khao-sat")
    return Section(_t(lang, "Cuộc khảo sát qua các con số", "The survey in numbers"), [table])


def satisfaction_report(plan: sampling.Plan, result: Satisfaction, collected: pd.DataFrame,
                        planned: Mapping[str, int], lang: str = "vi") -> Report:
    """The published report of a round that is a satisfaction survey only."""
    banner = "" if not result.preliminary else _t(
        lang, "TẠM TÍNH — chưa phải kết quả chính thức: cuộc khảo sát chưa kết thúc.",
        "PRELIMINARY — not the official result: the survey has not closed.")
    section = satisfaction_section(plan, result, lang)
    section.blocks.insert(0, _t(lang, f"Số liệu đến ngày {dt.date.today():%d/%m/%Y}.",
                                f"Data as of {dt.date.today():%d/%m/%Y}."))
    return Report(lang=lang, title=plan.title.get(lang),
                  subtitle=_t(lang, f"Chỉ số hài lòng về sự phục vụ hành chính năm {plan.year} — "
                                    f"{plan.province}",
                              f"Satisfaction with the administrative services {plan.year} — {plan.province}"),
                  legal_basis=plan.source, banner=banner,
                  footer=_t(lang, f"Chỉ số hài lòng {plan.year} · {plan.code}",
                            f"Satisfaction index {plan.year} · {plan.code}"),
                  sections=[section, _numbers(plan, collected, planned, lang)], plan=plan.code)
