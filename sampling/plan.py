"""Survey plans: the round, its units, its respondent groups and their quotas, as data.

A plan is a YAML file (``format: 1``) with a units table beside it (CSV, or inline).
:func:`load_plan` reads and validates it and returns a frozen :class:`Plan`; every
problem is reported with its place and line (see :mod:`questionnaires.problems`).
This module is the model; the checks live in its reader, :mod:`sampling.plan_reader`.
The built-in plan ``laichau-2020`` ships in ``sampling/plans/``; any other plan is
loaded from a path.

The file format, key by key (the built-in plan is a complete example):

``code``, ``title {vi, en}``, ``province``, ``year``, ``source``
    The round.
``deadlines``
    ``name: YYYY-MM-DD`` for each step; ``survey`` is required, and so are
    ``self_assessment`` (units send their self-scores and evidence) and ``appraisal``
    (the council has appraised them, not before ``self_assessment``) when the scoring
    rules have appraisal sub-criteria.
``explanation_days``
    Optional, a whole number of at least 1 (default 7): the days a unit has to answer
    the appraisal council's corrections (giải trình).
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
    respondent's own unit or its ancestor of that kind; ``{own: [KIND, ...]}``: the
    nearest of those kinds), ``quota`` (``{fixed: N}``, ``{per: KIND, count: N}``,
    ``{sampled: KINDS, ...}`` or ``{separate_plan: TEXT}``) and optionally ``forms``,
    the group's total as the plan states it (not for a sampled group).

A sampled quota (the citizens' and organisations' satisfaction survey) draws its
respondents from the rosters of dossiers that the one-stop desks of the units of
``sampled`` kinds handled (see :mod:`sampling.rosters`); its size per unit is one of

* ``margin: e`` -- Slovin's n = N / (1 + N·e²) for a roster of N (the default,
  e = 0.05);
* ``per_unit: n`` -- n from every unit (all of a smaller roster);
* ``total: n`` -- n in all, shared in proportion to N by largest remainder;

and ``reserve`` is the share of n drawn in reserve, rounded up (default 0.2)::

    quota: {sampled: [department, district], margin: 0.05, reserve: 0.2}
    quota: {sampled: department, per_unit: 30}
    quota: {sampled: [department, district], total: 600}

A sampled group has no quota places in the plan: they come from the draw.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from questionnaires.model import Form
from questionnaires.problems import DataFileError, ProblemList
from questionnaires.scoring import ScoringRules
from questionnaires.text import Label
from questionnaires.yamlsource import load_yaml, read_yaml_file

#: The plan file format (the ``format`` key) that :func:`load_plan` reads.
FORMAT_VERSION = 1

#: Folder of the built-in plans (one folder per plan, holding ``plan.yaml``).
BUILTIN_DIR = Path(__file__).parent / "plans"

#: The plan used when none is named.
DEFAULT_PLAN = "laichau-2020"

#: Days a unit has to answer the council's corrections when the plan does not say.
DEFAULT_EXPLANATION_DAYS = 7

#: Margin of error of a sampled quota when the plan gives no size rule (Slovin's e).
DEFAULT_MARGIN = 0.05

#: Share of a sampled unit's n drawn in reserve when the plan does not say.
DEFAULT_RESERVE = 0.2


# --------------------------------------------------------------------------- names


def name_in(item: object, lang: str = "vi") -> str:
    """The name of a plan's item as people read it in ``lang``: the one lookup of names.

    ``item`` is a name (a :class:`Label`, a ``{"vi": ..., "en": ...}`` mapping, or a
    plain text), or anything that carries one as ``name`` (a group, a unit, a unit kind,
    a level) or ``title`` (a plan).  A bilingual name gives its English with
    ``lang="en"``; a name the plan has in one language only (a unit's) is that name in
    every language.

    >>> name_in(Label("Đại biểu HĐND tỉnh", "Provincial People's Council delegates"), "en")
    "Provincial People's Council delegates"
    >>> name_in(Unit("so-tu-phap", "department", "Sở Tư pháp"), "en")
    'Sở Tư pháp'
    >>> name_in({"vi": "Kế hoạch", "en": "Plan"}, "en"), name_in(None)
    ('Plan', '')
    """
    if isinstance(item, Label):
        return item.get(lang)
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping):
        text = item.get(lang) or item.get("vi") or ""
        return str(text)
    if item is None:
        return ""
    for attribute in ("name", "title"):
        if hasattr(item, attribute):
            return name_in(getattr(item, attribute), lang)
    return str(item)


# --------------------------------------------------------------------------- model


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
    """A group's quota rule: ``fixed``, ``per`` unit of a kind, ``sampled`` from the
    rosters of units of some kinds, or a ``separate_plan``.

    A sampled quota has one size rule (``margin``, ``per_unit`` or ``total``; see the
    module docstring) and a ``reserve`` share; the other fields are None.

    >>> Quota(per="department", count=15).describe("en")
    '15 per department'
    >>> q = Quota(sampled=("department", "district"), margin=0.05)
    >>> q.is_sampled, q.is_fixed_size, q.is_surveyed, q.rule
    (True, False, True, 'margin')
    >>> q.describe("en"), Quota(sampled=("department",), per_unit=30, reserve=0.25).describe("vi")
    ('sample e=0.05, +20 %', 'mẫu 30/đơn vị, +25 %')
    """

    fixed: int | None = None
    per: str | None = None
    count: int | None = None
    separate_plan: str | None = None
    #: The kinds of unit whose one-stop desks' rosters are sampled (None: not sampled).
    sampled: tuple[str, ...] | None = None
    #: Slovin's e, for n = N / (1 + N·e²).
    margin: float | None = None
    #: A stated n per unit.
    per_unit: int | None = None
    #: A total shared among the units in proportion to their N.
    total: int | None = None
    #: The share of n drawn in reserve (rounded up).
    reserve: float = DEFAULT_RESERVE

    @property
    def is_sampled(self) -> bool:
        """True for a quota drawn from rosters: its places come from the draw."""
        return self.sampled is not None

    @property
    def is_fixed_size(self) -> bool:
        """True when the plan sets the number of forms (fixed or per unit)."""
        return self.separate_plan is None and self.sampled is None

    @property
    def is_surveyed(self) -> bool:
        """True when the group is surveyed in this round: a fixed size or sampled
        (False for a group surveyed under a separate plan)."""
        return self.separate_plan is None

    @property
    def rule(self) -> str | None:
        """A sampled quota's size rule: ``margin``, ``per_unit`` or ``total`` (else None)."""
        if not self.is_sampled:
            return None
        if self.per_unit is not None:
            return "per_unit"
        if self.total is not None:
            return "total"
        return "margin"

    def describe(self, lang: str = "vi") -> str:
        """The rule in words, e.g. ``15 per department``."""
        if self.fixed is not None:
            return f"{self.fixed}"
        if self.per is not None:
            return f"{self.count} / {self.per}" if lang == "vi" else f"{self.count} per {self.per}"
        if self.is_sampled:  # short, for a table: "sample e=0.05, +20 %"
            if self.rule == "per_unit":
                size = f"{self.per_unit}/đơn vị" if lang == "vi" else f"{self.per_unit}/unit"
            elif self.rule == "total":
                size = f"tổng {self.total}" if lang == "vi" else f"total {self.total}"
            else:
                size = f"e={self.margin if self.margin is not None else DEFAULT_MARGIN:g}"
            return f"{'mẫu' if lang == 'vi' else 'sample'} {size}, +{self.reserve * 100:g} %"
        return "kế hoạch riêng" if lang == "vi" else "separate plan"


@dataclass(frozen=True)
class Rates:
    """Which units a group's respondents rate."""

    #: 'every' (all units of the kinds) or 'own' (the respondent's own unit, or its
    #: nearest ancestor of one of the kinds).
    mode: str
    kinds: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.mode}: {', '.join(self.kinds)}"

    def to_dict(self) -> dict[str, Any]:
        """As written in a plan file: ``{every: [kinds]}``, ``{own: kind}`` or, with
        several kinds, ``{own: [kinds]}``.

        >>> Rates("own", ("department",)).to_dict(), Rates("own", ("department", "district")).to_dict()
        ({'own': 'department'}, {'own': ['department', 'district']})
        """
        if self.mode == "every":
            return {"every": list(self.kinds)}
        return {"own": self.kinds[0] if len(self.kinds) == 1 else list(self.kinds)}


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
        """The kind of unit each respondent belongs to (None for a fixed or a sampled
        quota: a sampled group's respondents come from units of several kinds)."""
        return self.quota.per

    @property
    def is_sampled(self) -> bool:
        """True when the group's respondents are drawn from rosters (:attr:`Quota.is_sampled`)."""
        return self.quota.is_sampled


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
    #: Days a unit has to answer the appraisal council's corrections (giải trình).
    explanation_days: int = DEFAULT_EXPLANATION_DAYS
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

    def ancestor_of_kind(self, unit_code: str, kind: str | Collection[str]) -> Unit | None:
        """``unit_code`` itself or its nearest ancestor of ``kind`` (or of one of several
        kinds)."""
        kinds = {kind} if isinstance(kind, str) else set(kind)
        unit: Unit | None = self.unit(unit_code)
        while unit is not None:
            if unit.kind in kinds:
                return unit
            unit = self.unit(unit.parent) if unit.parent else None
        return None

    def own_unit(self, group: Group, unit_code: str) -> Unit | None:
        """The unit a respondent of an ``own`` group from ``unit_code`` rates: that unit
        or its nearest ancestor of one of the group's rated kinds."""
        return self.ancestor_of_kind(unit_code, group.rates.kinds)

    def rated_units(self, group_code: str, unit_code: str | None = None) -> list[Unit]:
        """The units a respondent of ``group_code`` from ``unit_code`` rates."""
        group = self.group(group_code)
        if group.rates.mode == "every":
            return [u for kind in group.rates.kinds for u in self.units_of_kind(kind)]
        if unit_code is None:
            return []
        own = self.own_unit(group, unit_code)
        return [own] if own else []

    def sampled_groups(self) -> list[Group]:
        """The groups whose respondents are drawn from rosters, in plan order."""
        return [g for g in self.groups if g.quota.is_sampled]

    def sampled_units(self, group: Group) -> list[Unit]:
        """The units whose rosters a sampled group draws from (none for another group),
        in file order."""
        kinds = set(group.quota.sampled or ())
        return [u for u in self.units if u.kind in kinds]

    @property
    def is_satisfaction_survey(self) -> bool:
        """True when every group that has a form is sampled (a round of the citizens'
        and organisations' satisfaction survey), and there is one."""
        with_form = [g for g in self.groups if g.form]
        return bool(with_form) and all(g.quota.is_sampled for g in with_form)

    # -- quotas
    def group_places(self, group: Group) -> Iterator[QuotaPlace]:
        """The quota places of one group, unit by unit (none for a sampled group: its
        places come from the draw)."""
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
        """The number of forms a group's quota gives (0 for a sampled group or one
        under a separate plan)."""
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
            "explanation_days": self.explanation_days,
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
                    "quota": quota_dict(g.quota),
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


def quota_dict(q: Quota) -> dict[str, Any]:
    """A quota as written in a plan file (and stored).

    >>> quota_dict(Quota(fixed=25))
    {'fixed': 25}
    >>> quota_dict(Quota(sampled=("department",), per_unit=30))
    {'sampled': ['department'], 'per_unit': 30, 'reserve': 0.2}
    """
    if q.fixed is not None:
        return {"fixed": q.fixed}
    if q.per is not None:
        return {"per": q.per, "count": q.count}
    if q.sampled is not None:
        rule = q.rule or "margin"
        size = getattr(q, rule)
        return {"sampled": list(q.sampled),
                rule: size if size is not None else DEFAULT_MARGIN, "reserve": q.reserve}
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
    from .plan_reader import PLAN_PROBLEMS

    problems = ProblemList(PLAN_PROBLEMS)
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
    """Validate plain data (as parsed from YAML or :meth:`Plan.to_dict`) into a :class:`Plan`.

    See :func:`sampling.plan_reader.read_plan`, which this calls.
    """
    from .plan_reader import read_plan

    return read_plan(data, lines=lines, source=source, base_dir=base_dir, forms=forms)
