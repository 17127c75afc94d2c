"""Survey plans: the round, its units, its respondent groups and their quotas, as data.

A plan is a YAML file (``format: 1``) with a units table beside it (CSV, or inline).
:func:`load_plan` reads and validates it and returns a frozen :class:`Plan`; every
problem is reported with its place and line (see :mod:`questionnaires.problems`).
The built-in plan ``laichau-2020`` ships in ``sampling/plans/``; any other plan is
loaded from a path.

The file format, key by key (the built-in plan is a complete example):

``code``, ``title {vi, en}``, ``province``, ``year``, ``source``
    The round.
``deadlines``
    ``name: YYYY-MM-DD`` for each step; ``survey`` is required.
``unit_kinds``
    ``code``, ``name {vi, en}``, ``parent`` (the kind of a unit's parent),
    ``evaluated`` (units of this kind are scored and ranked).
``units``
    ``{file: units.csv}`` (columns ``code, kind, name, parent`` and optional
    ``gso_code, confidence``) or an inline list of mappings with the same keys.
``levels``
    ``code``, ``name``, ``rated_kind``, and ``forms``: the total the plan states,
    which the quotas of the level's groups must add up to.
``total_forms``
    The grand total the plan states.
``groups``
    ``code``, ``level``, ``name {vi, en}``, ``form`` (a questionnaire code, or null
    for a group sampled under a separate plan), ``rates`` (``{every: KIND}`` or
    ``{every: [KIND, ...]}``: every unit of those kinds; ``{own: KIND}``: the
    respondent's own unit or its ancestor of that kind), ``quota`` (``{fixed: N}``,
    ``{per: KIND, count: N}`` or ``{separate_plan: TEXT}``) and optionally
    ``forms``, the group's total as the plan states it.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import questionnaires
from questionnaires.model import Form
from questionnaires.problems import STRUCTURE_PROBLEMS, DataFileError, ProblemList, format_path
from questionnaires.reading import DocumentReader
from questionnaires.scoring import ScoringRules, rules_from_dict
from questionnaires.yamlsource import load_yaml, read_yaml_file

#: The plan file format this module reads.
FORMAT_VERSION = 1

#: Folder of the built-in plans (one folder per plan, holding ``plan.yaml``).
BUILTIN_DIR = Path(__file__).parent / "plans"

#: The plan used when none is named.
DEFAULT_PLAN = "laichau-2020"

_CATALOGUE: dict[str, tuple[str, str]] = {
    **STRUCTURE_PROBLEMS,
    "bad_format": ("định dạng kế hoạch {value!r} không được hỗ trợ (chỉ hỗ trợ {expected})",
                   "plan format {value!r} is not supported (only {expected})"),
    "not_int": ("phải là một số nguyên", "must be a whole number"),
    "negative": ("không được âm (đang là {value})", "must not be negative (it is {value})"),
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
    "bad_rates": ("phải là {{every: LOẠI}} hoặc {{own: LOẠI}}", "must be {{every: KIND}} or {{own: KIND}}"),
    "own_unreachable": (
        "người trả lời thuộc loại '{from_kind}' không có đơn vị loại '{kind}' để tự đánh giá",
        "respondents from a '{from_kind}' have no '{kind}' of their own to rate"),
    "own_needs_unit": ("nhóm có hạn mức cố định không gắn với đơn vị nên không thể 'own'",
                       "a fixed-quota group is not tied to a unit, so it cannot rate its 'own' unit"),
    "rated_not_evaluated": ("loại '{kind}' không được đánh giá (evaluated: false)",
                            "units of kind '{kind}' are not evaluated (evaluated: false)"),
    "bad_quota": ("phải là {{fixed: N}}, {{per: LOẠI, count: N}} hoặc {{separate_plan: ...}}",
                  "must be {{fixed: N}}, {{per: KIND, count: N}} or {{separate_plan: ...}}"),
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
    "no_builtin": ("không có kế hoạch có sẵn tên '{value}' và không có tệp nào ở đường dẫn này (có sẵn: {known})",
                   "there is no built-in plan '{value}' and no file at that path (built-in: {known})"),
}

_LANG_NAMES = {"vi": ("Việt", "Vietnamese"), "en": ("Anh", "English")}


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Label:
    """A text in Vietnamese and English."""

    vi: str
    en: str

    def get(self, lang: str = "vi") -> str:
        """The text in ``lang`` ('vi' or 'en')."""
        return self.en if lang == "en" else self.vi


@dataclass(frozen=True)
class UnitKind:
    code: str
    name: Label
    parent: str | None = None
    evaluated: bool = False


@dataclass(frozen=True)
class Unit:
    code: str
    kind: str
    name: str
    parent: str | None = None
    gso_code: str | None = None
    confidence: str | None = None


@dataclass(frozen=True)
class Level:
    code: str
    name: Label
    rated_kind: str
    forms: int | None = None


@dataclass(frozen=True)
class Quota:
    """A group's quota rule: ``fixed``, ``per`` unit of a kind, or a ``separate_plan``."""

    fixed: int | None = None
    per: str | None = None
    count: int | None = None
    separate_plan: str | None = None

    @property
    def is_fixed_size(self) -> bool:
        """True when the plan sets the number of forms (fixed or per unit)."""
        return self.separate_plan is None

    def describe(self, lang: str = "vi") -> str:
        """The rule in words, e.g. ``15 per department``."""
        if self.fixed is not None:
            return f"{self.fixed}"
        if self.per is not None:
            return f"{self.count} / {self.per}" if lang == "vi" else f"{self.count} per {self.per}"
        return "kế hoạch riêng" if lang == "vi" else "separate plan"


@dataclass(frozen=True)
class Rates:
    """Which units a group's respondents rate."""

    #: 'every' (all units of the kinds) or 'own' (the respondent's own unit or ancestor).
    mode: str
    kinds: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.mode}: {', '.join(self.kinds)}"

    def to_dict(self) -> dict[str, Any]:
        """As written in a plan file: ``{every: [kinds]}`` or ``{own: kind}``."""
        return {"every": list(self.kinds)} if self.mode == "every" else {"own": self.kinds[0]}


@dataclass(frozen=True)
class Group:
    code: str
    level: str | None
    name: Label
    form: str | None
    rates: Rates
    quota: Quota
    stated_forms: int | None = None

    @property
    def respondent_kind(self) -> str | None:
        """The kind of unit each respondent belongs to (None for a fixed quota)."""
        return self.quota.per


@dataclass(frozen=True)
class QuotaPlace:
    """One place of a group's quota: the ``ordinal``-th respondent from ``unit``.

    ``unit`` is None for a fixed-quota group.  Places are numbered from 1 within
    each (group, unit).
    """

    group: str
    unit: str | None
    ordinal: int


@dataclass(frozen=True)
class Plan:
    """A validated survey plan.  Build it with :func:`load_plan`."""

    code: str
    title: Label
    province: str
    year: int
    source: str
    deadlines: Mapping[str, dt.date]
    unit_kinds: tuple[UnitKind, ...]
    units: tuple[Unit, ...]
    levels: tuple[Level, ...]
    groups: tuple[Group, ...]
    stated_total: int | None = None
    #: The questionnaires the groups answer, by code.
    forms: Mapping[str, Form] = field(default_factory=dict)
    #: The scoring rules (None for a plan that only organises the field work).
    scoring: ScoringRules | None = None
    _units_by_code: Mapping[str, Unit] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_units_by_code", {u.code: u for u in self.units})

    # -- look-ups
    def unit(self, code: str) -> Unit:
        """The unit with ``code`` (KeyError if none)."""
        return self._units_by_code[code]

    def units_of_kind(self, kind: str) -> list[Unit]:
        """The units of ``kind``, in file order."""
        return [u for u in self.units if u.kind == kind]

    def group(self, code: str) -> Group:
        """The group with ``code`` (KeyError if none)."""
        for g in self.groups:
            if g.code == code:
                return g
        raise KeyError(code)

    def ancestor_of_kind(self, unit_code: str, kind: str) -> Unit | None:
        """``unit_code`` itself or its nearest ancestor of ``kind``."""
        unit: Unit | None = self.unit(unit_code)
        while unit is not None:
            if unit.kind == kind:
                return unit
            unit = self.unit(unit.parent) if unit.parent else None
        return None

    def rated_units(self, group_code: str, unit_code: str | None = None) -> list[Unit]:
        """The units a respondent of ``group_code`` from ``unit_code`` rates."""
        group = self.group(group_code)
        if group.rates.mode == "every":
            return [u for kind in group.rates.kinds for u in self.units_of_kind(kind)]
        if unit_code is None:
            return []
        own = self.ancestor_of_kind(unit_code, group.rates.kinds[0])
        return [own] if own else []

    # -- quotas
    def group_places(self, group: Group) -> Iterator[QuotaPlace]:
        """The quota places of one group, unit by unit."""
        q = group.quota
        if q.fixed is not None:
            for i in range(1, q.fixed + 1):
                yield QuotaPlace(group.code, None, i)
        elif q.per is not None and q.count is not None:
            for unit in self.units_of_kind(q.per):
                for i in range(1, q.count + 1):
                    yield QuotaPlace(group.code, unit.code, i)

    def quota_places(self) -> list[QuotaPlace]:
        """Every quota place of the plan, group by group, in a stable order."""
        return [p for g in self.groups for p in self.group_places(g)]

    def group_total(self, group: Group) -> int:
        """The number of forms a group's quota gives."""
        q = group.quota
        if q.fixed is not None:
            return q.fixed
        if q.per is not None and q.count is not None:
            return q.count * len(self.units_of_kind(q.per))
        return 0

    def totals(self) -> dict[str, int]:
        """Forms per level code, and ``total``."""
        out = {lv.code: 0 for lv in self.levels}
        for g in self.groups:
            if g.level is not None:
                out[g.level] += self.group_total(g)
        out["total"] = sum(self.group_total(g) for g in self.groups)
        return out

    # -- serialisation
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict from which :func:`plan_from_dict` rebuilds the plan."""
        return {
            "format": FORMAT_VERSION,
            "code": self.code,
            "title": {"vi": self.title.vi, "en": self.title.en},
            "province": self.province,
            "year": self.year,
            "source": self.source,
            "deadlines": {k: v.isoformat() for k, v in self.deadlines.items()},
            "unit_kinds": [
                {"code": k.code, "name": {"vi": k.name.vi, "en": k.name.en},
                 "parent": k.parent, "evaluated": k.evaluated}
                for k in self.unit_kinds
            ],
            "units": [
                {"code": u.code, "kind": u.kind, "name": u.name, "parent": u.parent,
                 "gso_code": u.gso_code, "confidence": u.confidence}
                for u in self.units
            ],
            "levels": [
                {"code": lv.code, "name": {"vi": lv.name.vi, "en": lv.name.en},
                 "rated_kind": lv.rated_kind, "forms": lv.forms}
                for lv in self.levels
            ],
            "total_forms": self.stated_total,
            "groups": [
                {
                    "code": g.code, "level": g.level,
                    "name": {"vi": g.name.vi, "en": g.name.en},
                    "form": g.form,
                    "rates": g.rates.to_dict(),
                    "quota": _quota_dict(g.quota),
                    "forms": g.stated_forms,
                }
                for g in self.groups
            ],
            # The forms and rules are stored whole, so a stored plan never depends on
            # files that may have changed since it was loaded.
            "questionnaires": [form.to_dict() for form in self.forms.values()],
            **({"scoring": self.scoring.to_dict()} if self.scoring else {}),
        }

    @property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`to_dict` (independent of file layout)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _quota_dict(q: Quota) -> dict[str, Any]:
    if q.fixed is not None:
        return {"fixed": q.fixed}
    if q.per is not None:
        return {"per": q.per, "count": q.count}
    return {"separate_plan": q.separate_plan}


# --------------------------------------------------------------------------- loading


def builtin_plan_names() -> list[str]:
    """Names of the plans shipped with the package."""
    return sorted(p.parent.name for p in BUILTIN_DIR.glob("*/plan.yaml"))


def resolve_plan_path(name_or_path: str | Path) -> Path:
    """The ``plan.yaml`` of a built-in plan name, or a path as given.

    A folder is taken to hold ``plan.yaml``.  Raises :class:`DataFileError` when
    neither a built-in plan nor a file of that name exists.
    """
    text = str(name_or_path)
    builtin = BUILTIN_DIR / text / "plan.yaml"
    if "/" not in text and builtin.is_file():
        return builtin
    path = Path(name_or_path)
    if path.is_dir():
        path = path / "plan.yaml"
    if path.is_file():
        return path
    problems = ProblemList(_CATALOGUE)
    problems.add("no_builtin", text, value=text, known=", ".join(builtin_plan_names()))
    raise DataFileError(text, problems.problems)


def load_plan(name_or_path: str | Path = DEFAULT_PLAN,
              forms: Mapping[str, Form] | None = None) -> Plan:
    """Load and validate a plan: a built-in name (``laichau-2020``) or a path.

    Parameters
    ----------
    name_or_path:
        A built-in plan name, a ``plan.yaml`` path, or a folder holding one.
    forms:
        Questionnaires a group may point at, by code, besides the built-in forms of
        :mod:`questionnaires` and those the plan lists under ``questionnaires``.

    Raises
    ------
    questionnaires.problems.DataFileError
        With every problem found (in the plan, its units file, its questionnaires
        and its scoring rules), each with its place and line.

    Examples
    --------
    >>> plan = load_plan("laichau-2020")
    >>> plan.totals()
    {'department': 533, 'district': 660, 'total': 1193}
    >>> plan.scoring.grade(79.75).name.vi
    'Khá'
    """
    path = resolve_plan_path(name_or_path)
    data, lines = read_yaml_file(path)
    return plan_from_dict(data, lines=lines, source=str(path), base_dir=path.parent, forms=forms)


def load_plan_text(text: str, *, source: str = "plan.yaml", base_dir: Path | None = None,
                   forms: Mapping[str, Form] | None = None) -> Plan:
    """Load and validate a plan from YAML text (files relative to ``base_dir``)."""
    data, lines = load_yaml(text, source=source)
    return plan_from_dict(data, lines=lines, source=source, base_dir=base_dir, forms=forms)


def plan_from_dict(data: Any, *, lines: Mapping[tuple, int] | None = None,
                   source: str = "plan", base_dir: Path | None = None,
                   forms: Mapping[str, Form] | None = None) -> Plan:
    """Validate plain data (as parsed from YAML or :meth:`Plan.to_dict`) into a :class:`Plan`."""
    available = {f.code: f for f in questionnaires.builtin_forms()}
    available.update(forms or {})
    problems = ProblemList(_CATALOGUE, source=source, lines=dict(lines or {}))
    plan = _PlanReader(problems, base_dir, available).read(data)
    problems.raise_if_any(source)
    assert plan is not None  # every path that returns None records a problem
    return plan


@dataclass(frozen=True)
class _InlineRow:
    """A unit given inline in the plan: places are document paths."""

    path: tuple

    def at(self, key: str) -> tuple:
        return (*self.path, key)

    def describe(self) -> str:
        return format_path(self.path)


@dataclass(frozen=True)
class _FileRow:
    """A unit read from a CSV file: places are ``file:row, column``."""

    file: str
    row: int

    def at(self, key: str) -> str:
        return f"{self.file}:{self.row}, {key}"

    def describe(self) -> str:
        return f"{self.file}:{self.row}"


_Row = _InlineRow | _FileRow


class _PlanReader(DocumentReader):
    """Walks the plan data once, recording every problem with its path."""

    def __init__(self, problems: ProblemList, base_dir: Path | None,
                 forms: Mapping[str, Form]):
        super().__init__(problems)
        self.base_dir = base_dir
        self.forms = dict(forms)

    # -- small typed readers (mapping, items, text: see DocumentReader); each returns
    # None (and records why) on bad input
    def count(self, value: Any, path: tuple) -> int | None:
        if not isinstance(value, int) or isinstance(value, bool):
            self.p.add("not_int", path)
            return None
        if value < 0:
            self.p.add("negative", path, value=value)
            return None
        return value

    def label(self, value: Any, path: tuple) -> Label | None:
        if isinstance(value, str) and value.strip():
            # A bare text is taken as Vietnamese; English is then required too.
            value = {"vi": value}
        m = self.mapping(value, path, allowed=("vi", "en"))
        if m is None:
            return None
        texts = {}
        for lang in ("vi", "en"):
            t = m.get(lang)
            if not isinstance(t, str) or not t.strip():
                vi_name, en_name = _LANG_NAMES[lang]
                self.p.add("label_missing", (*path, lang) if lang in m else path,
                           lang=lang, lang_name=vi_name, lang_en=en_name)
            else:
                texts[lang] = t.strip()
        return Label(**texts) if len(texts) == 2 else None

    def date(self, value: Any, path: tuple) -> dt.date | None:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.p.add("not_date", path, value=value)
        return None

    def list_(self, value: Any, path: tuple) -> list[Any]:
        return [item for _, item in self.items(value, path)]

    def unique(self, seen: dict[str, tuple], code: str | None, path: tuple) -> bool:
        if code is None:
            return False
        if code in seen:
            self.p.add("duplicate_code", path, code=code, first=format_path(seen[code]))
            return False
        seen[code] = path
        return True

    # -- the document
    def read(self, data: Any) -> Plan | None:
        top = self.mapping(
            data, (),
            allowed=("format", "code", "title", "province", "year", "source", "deadlines",
                     "unit_kinds", "units", "levels", "total_forms", "groups", "questionnaires",
                     "scoring"),
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
                    forms=used, scoring=scoring)
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
                return rules_from_dict(data, self.forms, lines=lines, source=str(path),
                                       used_forms=list(used))
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

    def deadlines(self, value: Any) -> dict[str, dt.date]:
        m = self.mapping(value, ("deadlines",), required=("survey",))
        out: dict[str, dt.date] = {}
        for key, raw in (m or {}).items():
            d = self.date(raw, ("deadlines", key))
            if d is not None:
                out[key] = d
        return out

    def unit_kinds(self, value: Any) -> dict[str, UnitKind]:
        kinds: dict[str, UnitKind] = {}
        seen: dict[str, tuple] = {}
        raw_parents: dict[str, tuple[str, tuple]] = {}
        for i, item in enumerate(self.list_(value, ("unit_kinds",))):
            path = ("unit_kinds", i)
            m = self.mapping(item, path, allowed=("code", "name", "parent", "evaluated"),
                             required=("code", "name"))
            if m is None:
                continue
            code = self.text(m.get("code"), (*path, "code")) if "code" in m else None
            name = self.label(m.get("name"), (*path, "name")) if "name" in m else None
            if not self.unique(seen, code, (*path, "code")) or name is None:
                continue
            parent = m.get("parent")
            if parent is not None:
                raw_parents[code] = (str(parent), (*path, "parent"))
            kinds[code] = UnitKind(code, name, str(parent) if parent is not None else None,
                                   bool(m.get("evaluated", False)))
        for parent, path in raw_parents.values():
            if parent not in kinds:
                self.p.add("unknown_unit_kind", path, value=parent, known=", ".join(kinds))
        for code in kinds:  # a chain of parent kinds must end
            seen_chain, k = set(), code
            while k is not None and k in kinds and k not in seen_chain:
                seen_chain.add(k)
                k = kinds[k].parent
            if k is not None and k in seen_chain:
                self.p.add("parent_cycle", raw_parents[code][1], kind=code)
        return kinds

    def units(self, value: Any, kinds: Mapping[str, UnitKind]) -> list[Unit]:
        """Units from ``{file: units.csv}`` or an inline list; places name the row."""
        if isinstance(value, dict) and "file" in value:
            rows = self.units_file(value)
        else:
            rows = []
            for i, item in enumerate(self.list_(value, ("units",))):
                m = self.mapping(item, ("units", i),
                                 allowed=("code", "kind", "name", "parent", "gso_code", "confidence"),
                                 required=("code", "kind", "name"))
                if m is not None:
                    rows.append((m, _InlineRow(("units", i))))
        placed: list[tuple[Unit, _Row]] = []
        seen: dict[str, str] = {}
        for item, row in rows:
            code = self.text(item.get("code"), row.at("code"))
            kind = self.text(item.get("kind"), row.at("kind"))
            name = self.text(item.get("name"), row.at("name"))
            if code is None or kind is None or name is None:
                continue
            if code in seen:
                self.p.add("duplicate_code", row.at("code"), code=code, first=seen[code])
                continue
            seen[code] = row.describe()
            if kind not in kinds:
                self.p.add("unknown_unit_kind", row.at("kind"), value=kind, known=", ".join(kinds))
                continue
            parent = str(item.get("parent") or "").strip() or None
            placed.append((Unit(code, kind, name, parent,
                                str(item.get("gso_code") or "").strip() or None,
                                str(item.get("confidence") or "").strip() or None), row))
        by_code = {u.code: u for u, _ in placed}
        for u, row in placed:
            expected = kinds[u.kind].parent
            if u.parent is None:
                if expected is not None:
                    self.p.add("parent_required", row.at("parent"), kind=u.kind, expected=expected)
            elif expected is None:
                self.p.add("parent_not_allowed", row.at("parent"), kind=u.kind)
            elif u.parent not in by_code:
                self.p.add("unknown_parent", row.at("parent"), value=u.parent)
            elif by_code[u.parent].kind != expected:
                self.p.add("wrong_parent_kind", row.at("parent"), value=u.parent,
                           actual=by_code[u.parent].kind, expected=expected)
        return [u for u, _ in placed]

    def units_file(self, value: dict[str, Any]) -> list[tuple[dict[str, Any], _Row]]:
        name = str(value["file"])
        path = Path(name) if self.base_dir is None else self.base_dir / name
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            self.p.add("units_file", ("units", "file"), value=name, reason=reason)
            return []
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in ("code", "kind", "name", "parent") if c not in (reader.fieldnames or [])]
        if missing:
            self.p.add("units_columns", ("units", "file"), columns=", ".join(missing))
            return []
        return [(row, _FileRow(name, i)) for i, row in enumerate(reader, start=2)]

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
            elif quota is not None and quota.is_fixed_size and "form" in m:
                self.p.add("form_required", (*path, "form"))
                ok = False
            stated = self.count(m["forms"], (*path, "forms")) if m.get("forms") is not None else None
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

    def rates(self, value: Any, path: tuple, kinds: Mapping[str, UnitKind]) -> Rates | None:
        if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in ("every", "own"):
            self.p.add("bad_rates", path)
            return None
        mode, raw = next(iter(value.items()))
        raw_kinds = raw if isinstance(raw, list) and mode == "every" else [raw]
        out = []
        for j, k in enumerate(raw_kinds):
            where = (*path, mode, j) if isinstance(raw, list) else (*path, mode)
            if not isinstance(k, str) or k not in kinds:
                self.p.add("unknown_unit_kind", where, value=k, known=", ".join(kinds))
            elif not kinds[k].evaluated:
                self.p.add("rated_not_evaluated", where, kind=k)
            else:
                out.append(k)
        if len(out) != len(raw_kinds) or not out:
            return None
        return Rates(mode, tuple(out))

    def check_rates(self, rates: Rates, quota: Quota, kinds: Mapping[str, UnitKind],
                    path: tuple) -> bool:
        if rates.mode != "own":
            return True
        if quota.per is None:
            self.p.add("own_needs_unit", (*path, "rates"))
            return False
        target, k = rates.kinds[0], quota.per
        while k is not None and k != target:
            k = kinds[k].parent if k in kinds else None
        if k is None:
            self.p.add("own_unreachable", (*path, "rates"), from_kind=quota.per, kind=target)
            return False
        return True

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
