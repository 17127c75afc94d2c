"""The reader of a plan document: every check of the plan file format.

:func:`read_plan` turns plain data (as parsed from YAML, or as :meth:`Plan.to_dict
<sampling.plan.Plan.to_dict>` gives it) into a :class:`~sampling.plan.Plan`, or raises
one :class:`~questionnaires.problems.DataFileError` with every problem found, each with
its place and line, in Vietnamese and English (the templates are :data:`PLAN_PROBLEMS`).
The functions of :mod:`sampling.plan` (:func:`~sampling.plan.load_plan` and the others)
call it; the unit kinds and units are read by :mod:`sampling.units_reader`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import questionnaires
from questionnaires.model import Form
from questionnaires.problems import STRUCTURE_PROBLEMS, DataFileError, ProblemList
from questionnaires.scoring import ScoringRules, rules_from_dict
from questionnaires.yamlsource import read_yaml_file

from .plan import (
    DEFAULT_EXPLANATION_DAYS,
    DEFAULT_MARGIN,
    DEFAULT_RESERVE,
    FORMAT_VERSION,
    Group,
    Level,
    Plan,
    Quota,
    Rates,
    Unit,
    UnitKind,
)
from .units_reader import UnitsReader

#: The (Vietnamese, English) templates of every problem a plan can have, keyed by code.
PLAN_PROBLEMS: dict[str, tuple[str, str]] = {
    **STRUCTURE_PROBLEMS,
    "bad_format": ("định dạng kế hoạch {value!r} không được hỗ trợ (chỉ hỗ trợ {expected})",
                   "plan format {value!r} is not supported (only {expected})"),
    "not_int": ("phải là một số nguyên", "must be a whole number"),
    "negative": ("không được âm (đang là {value})", "must not be negative (it is {value})"),
    "below_minimum": ("phải ít nhất là {minimum} (đang là {value})",
                      "must be at least {minimum} (it is {value})"),
    "not_date": ("phải là ngày dạng YYYY-MM-DD (đang là {value!r})",
                 "must be a date as YYYY-MM-DD (it is {value!r})"),
    "label_missing": ("thiếu nhãn tiếng {lang_name} ('{lang}')", "the {lang_en} label ('{lang}') is missing"),
    "duplicate_code": ("mã '{code}' bị trùng (đã có ở {first})",
                       "duplicate code '{code}' (already used at {first})"),
    "unknown_unit_kind": ("loại đơn vị không xác định '{value}' (có: {known})",
                          "unknown unit kind '{value}' (known: {known})"),
    "unknown_level": ("cấp không xác định '{value}' (có: {known})",
                      "unknown level '{value}' (known: {known})"),
    "unknown_parent": ("đơn vị cha không tồn tại '{value}'", "parent unit '{value}' does not exist"),
    "wrong_parent_kind": ("đơn vị cha '{value}' là loại '{actual}', cần loại '{expected}'",
                          "parent unit '{value}' is a '{actual}', expected a '{expected}'"),
    "parent_required": ("đơn vị loại '{kind}' phải có đơn vị cha loại '{expected}'",
                        "a unit of kind '{kind}' needs a parent of kind '{expected}'"),
    "parent_not_allowed": ("đơn vị loại '{kind}' không có đơn vị cha", "a unit of kind '{kind}' has no parent"),
    "parent_cycle": ("quan hệ đơn vị cha của loại '{kind}' tạo thành vòng lặp",
                     "the parent chain of kind '{kind}' loops back on itself"),
    "unknown_form": ("phiếu '{value}' không tồn tại (có: {known})",
                     "form '{value}' does not exist (known: {known})"),
    "form_required": ("nhóm có hạn mức phải có phiếu khảo sát", "a group with a quota needs a form"),
    "bad_rates": ("phải là {{every: LOẠI}}, {{own: LOẠI}} hoặc {{own: [LOẠI, ...]}}",
                  "must be {{every: KIND}}, {{own: KIND}} or {{own: [KIND, ...]}}"),
    "own_unreachable": (
        "người trả lời thuộc loại '{from_kind}' không có đơn vị loại '{kind}' để tự đánh giá",
        "respondents from a '{from_kind}' have no '{kind}' of their own to rate"),
    "own_needs_unit": ("nhóm có hạn mức cố định không gắn với đơn vị nên không thể 'own'",
                       "a fixed-quota group is not tied to a unit, so it cannot rate its 'own' unit"),
    "rated_not_evaluated": ("loại '{kind}' không được đánh giá (evaluated: false)",
                            "units of kind '{kind}' are not evaluated (evaluated: false)"),
    "bad_quota": ("phải là {{fixed: N}}, {{per: LOẠI, count: N}}, {{sampled: [LOẠI, ...], ...}} "
                  "hoặc {{separate_plan: ...}}",
                  "must be {{fixed: N}}, {{per: KIND, count: N}}, {{sampled: [KIND, ...], ...}} "
                  "or {{separate_plan: ...}}"),
    "sampled_kinds": ("phải là một loại đơn vị hoặc một danh sách loại đơn vị không rỗng",
                      "must be a unit kind or a non-empty list of unit kinds"),
    "bad_margin": ("sai số phải là một số lớn hơn 0 và nhỏ hơn 0.5, ví dụ 0.05 (đang là {value!r})",
                   "the margin of error must be a number above 0 and below 0.5, e.g. 0.05 "
                   "(it is {value!r})"),
    "bad_reserve": ("tỷ lệ dự phòng phải là một số từ 0 đến 1, ví dụ 0.2 (đang là {value!r})",
                    "the reserve share must be a number from 0 to 1, e.g. 0.2 (it is {value!r})"),
    "sampled_rules": ("chỉ được ghi một trong margin, per_unit và total (đang ghi: {keys})",
                      "give only one of margin, per_unit and total (given: {keys})"),
    "sampled_needs_own": (
        "nhóm chọn mẫu từ danh sách hồ sơ đánh giá đơn vị đã phục vụ mình: rates phải là "
        "{{own: LOẠI}} hoặc {{own: [LOẠI, ...]}}",
        "a sampled group rates the unit whose desk served its respondents: rates must be "
        "{{own: KIND}} or {{own: [KIND, ...]}}"),
    "sampled_forms": ("số phiếu của nhóm chọn mẫu do việc chọn mẫu quyết định: bỏ mục 'forms'",
                      "a sampled group's number of forms comes from the draw: remove 'forms'"),
    "no_units_of_kind": ("không có đơn vị nào thuộc loại '{kind}'", "there is no unit of kind '{kind}'"),
    "group_total": ("hạn mức cho ra {actual} phiếu nhưng kế hoạch ghi {stated}",
                    "the quota gives {actual} forms but the plan states {stated}"),
    "level_total": ("các nhóm của cấp '{level}' cho ra {actual} phiếu nhưng kế hoạch ghi {stated}",
                    "the groups of level '{level}' give {actual} forms but the plan states {stated}"),
    "grand_total": ("tổng các nhóm là {actual} phiếu nhưng kế hoạch ghi {stated}",
                    "the groups add up to {actual} forms but the plan states {stated}"),
    "rated_kind_mismatch": ("nhóm thuộc cấp '{level}' (đánh giá '{expected}') nhưng lại đánh giá '{actual}'",
                            "the group is in level '{level}' (which rates '{expected}') but rates '{actual}'"),
    "units_file": ("không đọc được tệp đơn vị '{value}': {reason}",
                   "cannot read the units file '{value}': {reason}"),
    "units_columns": ("tệp đơn vị thiếu cột {columns}", "the units file lacks the column(s) {columns}"),
    "scoring_kind": ("quy tắc chấm điểm dùng loại đơn vị '{kind}' nhưng kế hoạch không đánh giá loại này",
                     "the scoring rules use unit kind '{kind}', which the plan does not evaluate"),
    "scoring_unasked": ("không nhóm nào đánh giá '{kind}' bằng các câu hỏi của tiêu chí {code}",
                        "no group rates a '{kind}' with the questions of sub-criterion {code}"),
    "scoring_appraiser_unknown": (
        "cơ quan thẩm định '{value}' không phải là đơn vị của kế hoạch ({hint_vi}: {hint})",
        "the appraiser '{value}' is not a unit of the plan ({hint_en}: {hint})"),
    "scoring_appraiser_missing": (
        "tiêu chí {code} chấm bằng thẩm định nhưng không có cơ quan thẩm định "
        "(thêm 'appraiser: ĐƠN_VỊ' hoặc 'appraisers: {{default: ĐƠN_VỊ}}')",
        "appraisal sub-criterion {code} has no appraiser "
        "(add 'appraiser: UNIT' or 'appraisers: {{default: UNIT}}')"),
    "deadline_required": (
        "quy tắc chấm điểm có tiêu chí chấm bằng thẩm định nên phải có hạn '{key}'",
        "the scoring rules have appraisal sub-criteria, so the deadline '{key}' is required"),
    "deadline_order": ("hạn '{key}' ({value}) phải không sớm hơn hạn '{before}' ({other})",
                       "the deadline '{key}' ({value}) must not be before '{before}' ({other})"),
    "no_builtin": ("không có kế hoạch có sẵn tên '{value}' và không có tệp nào ở đường dẫn này (có sẵn: {known})",
                   "there is no built-in plan '{value}' and no file at that path (built-in: {known})"),
}

#: The keys of a sampled quota.
_SAMPLED_KEYS = ("sampled", "margin", "per_unit", "total", "reserve")


def read_plan(data: Any, *, lines: Mapping[tuple, int] | None = None,
              source: str = "plan", base_dir: Path | None = None,
              forms: Mapping[str, Form] | None = None) -> Plan:
    """Validate plain data into a :class:`~sampling.plan.Plan`.

    Parameters
    ----------
    data:
        The plan document, as parsed from YAML or as :meth:`Plan.to_dict
        <sampling.plan.Plan.to_dict>` gives it.
    lines:
        The source line of each document path (see
        :func:`questionnaires.yamlsource.load_yaml`), for the problem reports.
    source:
        The name of the document in the problem reports.
    base_dir:
        The folder the files named in the plan (units, questionnaires, scoring
        rules) are read from; ``None``: the working folder.
    forms:
        Questionnaires a group may point at, by code, besides the built-in forms of
        :mod:`questionnaires` and those the plan lists under ``questionnaires``.

    Raises
    ------
    questionnaires.problems.DataFileError
        With every problem found.

    Examples
    --------
    >>> from sampling.plan import load_plan
    >>> plan = load_plan()
    >>> read_plan(plan.to_dict()) == plan
    True
    >>> try:
    ...     read_plan({**plan.to_dict(), "format": 2, "year": -2020})
    ... except DataFileError as error:
    ...     print(error.message("en"))
    plan: 2 problems found
      - plan: format: plan format 2 is not supported (only 1)
      - plan: year: must not be negative (it is -2020)
    """
    available = {f.code: f for f in questionnaires.builtin_forms()}
    available.update(forms or {})
    problems = ProblemList(PLAN_PROBLEMS, source=source, lines=dict(lines or {}))
    plan = _PlanReader(problems, base_dir, available).read(data)
    problems.raise_if_any(source)
    assert plan is not None  # every path that returns None records a problem
    return plan


class _PlanReader(UnitsReader):
    """Walks the plan data once, recording every problem with its path."""

    def __init__(self, problems: ProblemList, base_dir: Path | None,
                 forms: Mapping[str, Form]):
        super().__init__(problems, base_dir)
        self.forms = dict(forms)
        self.rules_doc: _RulesDocument | None = None

    # -- the document
    def read(self, data: Any) -> Plan | None:
        top = self.mapping(
            data, (),
            allowed=("format", "code", "title", "province", "year", "source", "deadlines",
                     "explanation_days", "unit_kinds", "units", "levels", "total_forms", "groups",
                     "questionnaires", "scoring"),
            required=("format", "code", "title", "province", "year", "deadlines", "unit_kinds",
                      "units", "groups"),
        )
        if top is None:
            return None
        if "format" in top and top["format"] != FORMAT_VERSION:
            self.p.add("bad_format", ("format",), value=top["format"], expected=FORMAT_VERSION)
        code = self.text(top.get("code"), ("code",)) if "code" in top else None
        title = self.label(top.get("title"), ("title",)) if "title" in top else None
        province = self.text(top.get("province"), ("province",)) if "province" in top else None
        year = self.count(top.get("year"), ("year",)) if "year" in top else None
        source = top.get("source") or ""
        deadlines = self.deadlines(top.get("deadlines"))
        explanation_days = self.count_at_least(
            top.get("explanation_days", DEFAULT_EXPLANATION_DAYS), ("explanation_days",), 1)
        kinds = self.unit_kinds(top.get("unit_kinds", []))
        units = self.units(top.get("units"), kinds) if "units" in top else []
        levels = self.levels(top.get("levels", []), kinds)
        stated_total = (self.count(top["total_forms"], ("total_forms",))
                        if top.get("total_forms") is not None else None)
        self.questionnaires(top.get("questionnaires"))
        groups = self.groups(top.get("groups", []), kinds, levels, units)
        used = {g.form: self.forms[g.form] for g in groups if g.form}
        scoring = self.scoring(top["scoring"], used) if top.get("scoring") is not None else None
        if self.p or None in (code, title, province, year):
            return None
        plan = Plan(code=code, title=title, province=province, year=year, source=str(source),
                    deadlines=deadlines, unit_kinds=tuple(kinds.values()), units=tuple(units),
                    levels=tuple(levels.values()), groups=tuple(groups), stated_total=stated_total,
                    forms=used, scoring=scoring,
                    explanation_days=explanation_days or DEFAULT_EXPLANATION_DAYS)
        self.check_totals(plan, top)
        if scoring is not None:
            self.check_scoring(plan, scoring)
        return plan

    def questionnaires(self, value: Any) -> None:
        """Forms listed by the plan: file paths (relative to the plan) or documents."""
        if value is None:
            return
        for i, item in enumerate(self.list_(value, ("questionnaires",))):
            try:
                if isinstance(item, str):
                    path = Path(item) if self.base_dir is None else self.base_dir / item
                    form = questionnaires.load_form(path)
                else:
                    form = questionnaires.form_from_dict(item, source=f"questionnaires[{i}]")
            except DataFileError as exc:
                self.p.problems.extend(exc.problems)
                continue
            self.forms[form.code] = form

    def scoring(self, value: Any, used: Mapping[str, Form]) -> ScoringRules | None:
        """The scoring rules: ``{file: scoring.yaml}`` or the document inline."""
        try:
            if isinstance(value, dict) and set(value) == {"file"}:
                name = str(value["file"])
                path = Path(name) if self.base_dir is None else self.base_dir / name
                data, lines = read_yaml_file(path)
                self.rules_doc = _RulesDocument(data, str(path), lines)
                return rules_from_dict(data, self.forms, lines=lines, source=str(path),
                                       used_forms=list(used))
            self.rules_doc = _RulesDocument(value, None, {}, ("scoring",))
            return rules_from_dict(value, self.forms, source="scoring", used_forms=list(used),
                                   lines={k[1:]: v for k, v in self.p.lines.items()
                                          if k[:1] == ("scoring",)})
        except DataFileError as exc:
            self.p.problems.extend(exc.problems)
            return None

    def check_scoring(self, plan: Plan, rules: ScoringRules) -> None:
        """The rules fit the plan: their kinds are evaluated here, and every survey
        sub-criterion is asked of some group that rates units of each kind it applies to."""
        kinds = {k.code: k for k in plan.unit_kinds}
        for kind in rules.shares:
            if kind not in kinds or not kinds[kind].evaluated:
                self.p.add("scoring_kind", ("scoring",), kind=kind)
        asked: dict[str, set[str]] = {}
        for g in plan.groups:
            if g.form:
                asked.setdefault(g.form, set()).update(g.rates.kinds)
        for _, _, sub in rules.subcriteria(method="survey"):
            for kind, maximum in sub.max.items():
                if maximum and not any(kind in asked.get(q.form, ()) for q in sub.questions):
                    self.p.add("scoring_unasked", ("scoring",), code=sub.code, kind=kind)
        self.check_appraisers(plan, rules)
        self.check_deadlines(plan, rules)

    def check_appraisers(self, plan: Plan, rules: ScoringRules) -> None:
        """Every appraisal sub-criterion has its council member, and every council
        member the rules name is a unit of the plan; each problem is placed where the
        rules document says it (the scoring file's line, when it is a file)."""
        doc = self.rules_doc
        if doc is None:
            return
        problems = self.p if doc.source is None else ProblemList(
            PLAN_PROBLEMS, source=doc.source, lines=doc.lines)
        units = [u.code for u in plan.units]
        known = set(units)
        top = [u.code for u in plan.units if u.parent is None]
        for path, code in doc.appraiser_refs():
            if code not in known:
                close = difflib.get_close_matches(code, units, n=3)
                hint = close or top[:8] + (["..."] if len(top) > 8 else [])
                problems.add("scoring_appraiser_unknown", (*doc.prefix, *path), value=code,
                             hint=", ".join(hint), hint_vi="gần giống" if close else "ví dụ",
                             hint_en="closest" if close else "for example")
        paths = doc.subcriterion_paths()
        for _, _, sub in rules.subcriteria(method="appraisal"):
            if sub.appraiser is None:
                problems.add("scoring_appraiser_missing", (*doc.prefix, *paths.get(sub.code, ())),
                             code=sub.code)
        if problems is not self.p:
            self.p.problems.extend(problems.problems)

    def check_deadlines(self, plan: Plan, rules: ScoringRules) -> None:
        """Rules with appraisal sub-criteria need the self-assessment and appraisal
        deadlines, and the appraisal comes after the self-assessment."""
        appraised = any(sub.max_for(kind) for kind in rules.shares
                        for _, _, sub in rules.subcriteria(kind, "appraisal"))
        if not appraised:
            return
        missing = [key for key in ("self_assessment", "appraisal") if key not in plan.deadlines]
        for key in missing:
            self.p.add("deadline_required", ("deadlines",), key=key)
        if not missing and plan.deadlines["appraisal"] < plan.deadlines["self_assessment"]:
            self.p.add("deadline_order", ("deadlines", "appraisal"), key="appraisal",
                       value=plan.deadlines["appraisal"].isoformat(), before="self_assessment",
                       other=plan.deadlines["self_assessment"].isoformat())

    def deadlines(self, value: Any) -> dict[str, dt.date]:
        m = self.mapping(value, ("deadlines",), required=("survey",))
        out: dict[str, dt.date] = {}
        for key, raw in (m or {}).items():
            d = self.date(raw, ("deadlines", key))
            if d is not None:
                out[key] = d
        return out


    def levels(self, value: Any, kinds: Mapping[str, UnitKind]) -> dict[str, Level]:
        levels: dict[str, Level] = {}
        seen: dict[str, tuple] = {}
        for i, item in enumerate(self.list_(value, ("levels",))):
            path = ("levels", i)
            m = self.mapping(item, path, allowed=("code", "name", "rated_kind", "forms"),
                             required=("code", "name", "rated_kind"))
            if m is None:
                continue
            code = self.text(m.get("code"), (*path, "code")) if "code" in m else None
            name = self.label(m.get("name"), (*path, "name")) if "name" in m else None
            rated = self.text(m.get("rated_kind"), (*path, "rated_kind")) if "rated_kind" in m else None
            if rated is not None and rated not in kinds:
                self.p.add("unknown_unit_kind", (*path, "rated_kind"), value=rated, known=", ".join(kinds))
                rated = None
            forms = self.count(m["forms"], (*path, "forms")) if m.get("forms") is not None else None
            if self.unique(seen, code, (*path, "code")) and name and rated:
                levels[code] = Level(code, name, rated, forms)
        return levels

    def groups(self, value: Any, kinds: Mapping[str, UnitKind], levels: Mapping[str, Level],
               units: list[Unit]) -> list[Group]:
        groups: list[Group] = []
        seen: dict[str, tuple] = {}
        present_kinds = {u.kind for u in units}
        for i, item in enumerate(self.list_(value, ("groups",))):
            path = ("groups", i)
            m = self.mapping(item, path,
                             allowed=("code", "level", "name", "form", "rates", "quota", "forms"),
                             required=("code", "name", "form", "rates", "quota"))
            if m is None:
                continue
            code = self.text(m.get("code"), (*path, "code")) if "code" in m else None
            ok = self.unique(seen, code, (*path, "code"))
            name = self.label(m.get("name"), (*path, "name")) if "name" in m else None
            level = m.get("level")
            if level is not None and str(level) not in levels:
                self.p.add("unknown_level", (*path, "level"), value=level, known=", ".join(levels))
                ok = False
            quota = self.quota(m.get("quota"), (*path, "quota"), kinds, present_kinds) if "quota" in m else None
            rates = self.rates(m.get("rates"), (*path, "rates"), kinds) if "rates" in m else None
            form = m.get("form")
            if form is not None:
                form = str(form)
                if form not in self.forms:
                    self.p.add("unknown_form", (*path, "form"), value=form,
                               known=", ".join(self.forms) or "-")
                    ok = False
            elif quota is not None and quota.is_surveyed and "form" in m:
                self.p.add("form_required", (*path, "form"))
                ok = False
            stated = self.count(m["forms"], (*path, "forms")) if m.get("forms") is not None else None
            if quota is not None and quota.is_sampled:
                if m.get("forms") is not None:
                    self.p.add("sampled_forms", (*path, "forms"))
                    ok = False
            if rates is not None and quota is not None:
                ok = self.check_rates(rates, quota, kinds, path) and ok
            if level is not None and rates is not None and str(level) in levels:
                expected = levels[str(level)].rated_kind
                if rates.kinds != (expected,):
                    self.p.add("rated_kind_mismatch", (*path, "rates"), level=level,
                               expected=expected, actual=", ".join(rates.kinds))
                    ok = False
            if ok and code and name and quota and rates:
                groups.append(Group(code, str(level) if level is not None else None, name, form,
                                    rates, quota, stated))
        return groups

    def quota(self, value: Any, path: tuple, kinds: Mapping[str, UnitKind],
              present_kinds: set[str]) -> Quota | None:
        if isinstance(value, dict) and "sampled" in value:
            return self.sampled_quota(value, path, kinds, present_kinds)
        if not isinstance(value, dict) or not (
            set(value) in ({"fixed"}, {"per", "count"}, {"separate_plan"})
        ):
            self.p.add("bad_quota", path)
            return None
        if "fixed" in value:
            n = self.count(value["fixed"], (*path, "fixed"))
            return Quota(fixed=n) if n is not None else None
        if "separate_plan" in value:
            text = self.text(value["separate_plan"], (*path, "separate_plan"))
            return Quota(separate_plan=text) if text else None
        per = str(value["per"])
        n = self.count(value["count"], (*path, "count"))
        if per not in kinds:
            self.p.add("unknown_unit_kind", (*path, "per"), value=per, known=", ".join(kinds))
            return None
        if per not in present_kinds:
            self.p.add("no_units_of_kind", (*path, "per"), kind=per)
            return None
        return Quota(per=per, count=n) if n is not None else None

    def sampled_quota(self, value: dict[str, Any], path: tuple, kinds: Mapping[str, UnitKind],
                      present_kinds: set[str]) -> Quota | None:
        """``{sampled: KIND or [KIND, ...]}`` with at most one of ``margin``, ``per_unit``
        and ``total``, and optionally ``reserve``; every bad value is reported."""
        before = len(self.p.problems)
        self.mapping(value, path, allowed=_SAMPLED_KEYS)
        sampled = self.sampled_kinds(value["sampled"], (*path, "sampled"), kinds, present_kinds)
        rules = [key for key in ("margin", "per_unit", "total") if key in value]
        if len(rules) > 1:
            self.p.add("sampled_rules", (*path, rules[1]), keys=", ".join(rules))
        margin = per_unit = total = None
        if "margin" in value:
            margin = self.share(value["margin"], (*path, "margin"), "bad_margin",
                                low=0.0, high=0.5, open_ends=True)
        if "per_unit" in value:
            per_unit = self.count_at_least(value["per_unit"], (*path, "per_unit"), 1)
        if "total" in value:
            total = self.count_at_least(value["total"], (*path, "total"), 1)
        reserve = DEFAULT_RESERVE
        if "reserve" in value:
            reserve = self.share(value["reserve"], (*path, "reserve"), "bad_reserve",
                                 low=0.0, high=1.0, open_ends=False)
        if len(self.p.problems) > before or sampled is None or reserve is None:
            return None
        if not rules:
            margin = DEFAULT_MARGIN
        return Quota(sampled=sampled, margin=margin, per_unit=per_unit, total=total,
                     reserve=reserve)

    def sampled_kinds(self, value: Any, path: tuple, kinds: Mapping[str, UnitKind],
                      present_kinds: set[str]) -> tuple[str, ...] | None:
        """The kinds of a sampled quota: one kind or a non-empty list, each known, with
        units, and named once."""
        if isinstance(value, str) and value.strip():
            items = [(path, value)]
        elif isinstance(value, list) and value:
            items = [((*path, j), k) for j, k in enumerate(value)]
        else:
            self.p.add("sampled_kinds", path)
            return None
        out: list[str] = []
        seen: dict[str, tuple] = {}
        for where, k in items:
            if not isinstance(k, str) or k.strip() not in kinds:
                self.p.add("unknown_unit_kind", where, value=k, known=", ".join(kinds))
            elif k.strip() not in present_kinds:
                self.p.add("no_units_of_kind", where, kind=k.strip())
            elif self.unique(seen, k.strip(), where):
                out.append(k.strip())
        return tuple(out) if len(out) == len(items) else None

    def share(self, value: Any, path: tuple, code: str, *, low: float, high: float,
              open_ends: bool) -> float | None:
        """A number between ``low`` and ``high`` (both excluded when ``open_ends``)."""
        ok = (isinstance(value, int | float) and not isinstance(value, bool)
              and math.isfinite(value)
              and ((low < value < high) if open_ends else (low <= value <= high)))
        if not ok:
            self.p.add(code, path, value=value)
            return None
        return float(value)

    def rates(self, value: Any, path: tuple, kinds: Mapping[str, UnitKind]) -> Rates | None:
        if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in ("every", "own"):
            self.p.add("bad_rates", path)
            return None
        mode, raw = next(iter(value.items()))
        if isinstance(raw, list) and not raw:
            self.p.add("bad_rates", (*path, mode))
            return None
        raw_kinds = raw if isinstance(raw, list) else [raw]
        out = []
        seen: dict[str, tuple] = {}
        for j, k in enumerate(raw_kinds):
            where = (*path, mode, j) if isinstance(raw, list) else (*path, mode)
            if not isinstance(k, str) or k not in kinds:
                self.p.add("unknown_unit_kind", where, value=k, known=", ".join(kinds))
            elif not kinds[k].evaluated:
                self.p.add("rated_not_evaluated", where, kind=k)
            elif self.unique(seen, k, where):
                out.append(k)
        if len(out) != len(raw_kinds) or not out:
            return None
        return Rates(mode, tuple(out))

    def check_rates(self, rates: Rates, quota: Quota, kinds: Mapping[str, UnitKind],
                    path: tuple) -> bool:
        if quota.is_sampled:
            if rates.mode != "own":
                self.p.add("sampled_needs_own", (*path, "rates"))
                return False
            from_kinds: tuple[str, ...] = quota.sampled or ()
        elif rates.mode != "own":
            return True
        elif quota.per is None:
            self.p.add("own_needs_unit", (*path, "rates"))
            return False
        else:
            from_kinds = (quota.per,)
        ok = True
        for start in from_kinds:
            k: str | None = start
            while k is not None and k not in rates.kinds:
                k = kinds[k].parent if k in kinds else None
            if k is None:
                self.p.add("own_unreachable", (*path, "rates"), from_kind=start,
                           kind=", ".join(rates.kinds))
                ok = False
        return ok

    def check_totals(self, plan: Plan, top: Mapping[str, Any]) -> None:
        totals = plan.totals()
        group_paths = {g.get("code"): ("groups", i) for i, g in enumerate(top.get("groups", []))
                       if isinstance(g, dict)}
        for g in plan.groups:
            actual = plan.group_total(g)
            if g.stated_forms is not None and g.stated_forms != actual:
                self.p.add("group_total", (*group_paths[g.code], "forms"),
                           actual=actual, stated=g.stated_forms)
        for i, lv in enumerate(plan.levels):
            if lv.forms is not None and lv.forms != totals[lv.code]:
                self.p.add("level_total", ("levels", i, "forms"), level=lv.code,
                           actual=totals[lv.code], stated=lv.forms)
        if plan.stated_total is not None and plan.stated_total != totals["total"]:
            self.p.add("grand_total", ("total_forms",), actual=totals["total"],
                       stated=plan.stated_total)


@dataclass(frozen=True)
class _RulesDocument:
    """The scoring document as written (a file, or inline under ``scoring``), kept so
    that the checks against the plan can name the place of each problem."""

    data: Any
    #: The file's name, or None for rules inline in the plan (then ``prefix`` is their key).
    source: str | None
    lines: Mapping[tuple, int] = field(default_factory=dict)
    prefix: tuple = ()

    def appraiser_refs(self) -> Iterator[tuple[tuple, str]]:
        """Every council member the document names, with its path."""
        block = self.data.get("appraisers") if isinstance(self.data, dict) else None
        if isinstance(block, dict):
            if isinstance(block.get("default"), str):
                yield ("appraisers", "default"), block["default"].strip()
            for key in ("by_area", "by_criterion"):
                for code, unit in (block.get(key) or {}).items():
                    if isinstance(unit, str):
                        yield ("appraisers", key, code), unit.strip()
        for path, sub in self.subcriteria():
            if isinstance(sub.get("appraiser"), str):
                yield (*path, "appraiser"), sub["appraiser"].strip()

    def subcriterion_paths(self) -> dict[str, tuple]:
        """The path of each sub-criterion, by code."""
        return {str(sub.get("code")): path for path, sub in self.subcriteria()}

    def subcriteria(self) -> Iterator[tuple[tuple, dict]]:
        areas = self.data.get("areas") if isinstance(self.data, dict) else None
        for i, area in enumerate(areas if isinstance(areas, list) else []):
            criteria = area.get("criteria") if isinstance(area, dict) else None
            for j, criterion in enumerate(criteria if isinstance(criteria, list) else []):
                subs = criterion.get("subcriteria") if isinstance(criterion, dict) else None
                for k, sub in enumerate(subs if isinstance(subs, list) else []):
                    if isinstance(sub, dict):
                        yield ("areas", i, "criteria", j, "subcriteria", k), sub
