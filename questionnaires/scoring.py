"""Scoring rules: the criteria tree, how each sub-criterion is scored, bands, maxima.

The rules turn a unit's appraised self-assessment and its survey answers into points.
They are data (a YAML document, ``format: 1``, usually ``scoring.yaml`` beside a plan)
because they change by province and by year.  The document:

``total_max``
    The maximum of the index (100).
``shares``
    Per kind of evaluated unit, the points of ``appraisal`` and of ``survey``; they add
    up to ``total_max``.
``pooling``
    How the answers of several respondent groups about one unit and sub-criterion are
    combined: ``groups`` (default: the mean of each group's mean, every group weighing
    the same) or ``answers`` (one mean over all valid answers).
``bands``
    Grades from best to worst: ``code``, ``name {vi, en}``, ``min`` (index % at or
    above which the grade applies; the last band's ``min`` is 0).
``appraisers``
    Who appraises what: the council member (hội đồng thẩm định) that appraises each
    appraisal sub-criterion, as a unit code of the plan.  ``default`` (the standing
    body, e.g. ``so-noi-vu``), ``by_area`` (``{AREA: UNIT}``) and ``by_criterion``
    (``{CRITERION: UNIT}``), all optional.
``areas``
    The tree: area (lĩnh vực) → ``criteria`` (tiêu chí) → ``subcriteria`` (tiêu chí
    thành phần).  A sub-criterion has a ``method`` (``appraisal`` or ``survey``), a
    ``max`` per kind of unit (``null``: does not apply to that kind), and, for survey
    ones, the ``questions`` that feed it as ``FORM/question`` (``CT-01/q01``).  An
    appraisal one may name its ``appraiser`` (a unit code) and say whether evidence
    (tài liệu kiểm chứng) must come with the self-score, ``evidence_required``
    (default ``true``); survey ones take neither.

Each appraisal sub-criterion is appraised by exactly one council member: its own
``appraiser`` if given, else the one of its criterion in ``by_criterion``, else the one
of its area in ``by_area``, else ``default``.  The rules alone do not know the units:
the plan reader checks that every appraisal sub-criterion has an appraiser and that it
is a unit of the plan (:mod:`sampling.plan_reader`).

How answers become points (for one rated unit and survey sub-criterion *k* with maximum
*M*): a valid answer is one with a weight (not "Không biết", not blank); the mean weight
is taken per respondent group and the group means averaged with equal weight (or, with
``pooling: answers``, over all valid answers); points = *M* x mean.  A sub-criterion
with no valid answer gives 0 points and a flag.  (The computation is in ``analysis``.)

:func:`rules_from_dict` validates a document against the forms it names, reporting
every problem with its place: unknown or duplicate codes, a question that does not
exist or feeds another criterion, a scored question no rule uses, maxima that do not
add up to the shares, bands out of order.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import Form, Label
from .problems import STRUCTURE_PROBLEMS, DataFileError, ProblemList
from .reading import DocumentReader

FORMAT_VERSION = 1
METHODS = ("appraisal", "survey")
POOLINGS = ("groups", "answers")

#: Tolerance when checking that maxima add up (points are written with 2 decimals).
_EPS = 1e-6

_CATALOGUE: dict[str, tuple[str, str]] = {
    **STRUCTURE_PROBLEMS,
    "bad_format": ("định dạng quy tắc chấm điểm {value!r} không được hỗ trợ (chỉ hỗ trợ {expected})",
                   "scoring format {value!r} is not supported (only {expected})"),
    "not_number": ("phải là một số không âm (đang là {value!r})",
                   "must be a number that is not negative (it is {value!r})"),
    "label_missing": ("thiếu nhãn '{lang}'", "the '{lang}' label is missing"),
    "duplicate_code": ("mã '{code}' bị trùng", "duplicate code '{code}'"),
    "bad_method": ("phương pháp phải là {allowed} (đang là {value!r})",
                   "the method must be {allowed} (it is {value!r})"),
    "bad_pooling": ("cách gộp phải là {allowed} (đang là {value!r})",
                    "pooling must be {allowed} (it is {value!r})"),
    "unknown_kind": ("loại đơn vị '{kind}' không có trong 'shares' (có: {known})",
                     "unit kind '{kind}' is not in 'shares' (known: {known})"),
    "bad_question_ref": ("câu hỏi phải viết dạng PHIẾU/câu (ví dụ CT-01/q01), đang là {value!r}",
                         "a question is written FORM/question (e.g. CT-01/q01), not {value!r}"),
    "unknown_form": ("phiếu '{form}' không tồn tại (có: {known})",
                     "form '{form}' does not exist (known: {known})"),
    "unknown_question": ("phiếu {form} không có câu '{question}'",
                         "form {form} has no question '{question}'"),
    "question_feeds_other": ("câu {form}/{question} được gắn với tiêu chí '{actual}', không phải '{code}'",
                             "question {form}/{question} feeds criterion '{actual}', not '{code}'"),
    "question_twice": ("câu {form}/{question} đã được dùng cho tiêu chí '{first}'",
                       "question {form}/{question} is already used for criterion '{first}'"),
    "survey_without_questions": ("tiêu chí chấm bằng điều tra phải có danh sách câu hỏi",
                                 "a survey sub-criterion needs its list of questions"),
    "appraisal_with_questions": ("tiêu chí chấm bằng thẩm định không có câu hỏi khảo sát",
                                 "an appraisal sub-criterion takes no survey questions"),
    "survey_with_appraiser": ("tiêu chí chấm bằng điều tra không có cơ quan thẩm định ('appraiser')",
                              "a survey sub-criterion is not appraised, so it takes no 'appraiser'"),
    "survey_with_evidence": ("tiêu chí chấm bằng điều tra không có tài liệu kiểm chứng "
                             "('evidence_required')",
                             "a survey sub-criterion takes no evidence, so no 'evidence_required'"),
    "not_bool": ("phải là true hoặc false (đang là {value!r})", "must be true or false (it is {value!r})"),
    "unknown_area": ("lĩnh vực '{code}' không có trong 'areas' (có: {known})",
                     "area '{code}' is not in 'areas' (known: {known})"),
    "unknown_criterion": ("tiêu chí '{code}' không có trong 'areas' (có: {known})",
                          "criterion '{code}' is not in 'areas' (known: {known})"),
    "unscored_question": ("câu {form}/{question} gắn với tiêu chí '{criterion}' nhưng không quy tắc nào dùng nó",
                          "question {form}/{question} feeds criterion '{criterion}' but no rule uses it"),
    "shares_total": ("điểm thẩm định và điều tra của '{kind}' cộng lại là {actual}, phải bằng {expected}",
                     "the appraisal and survey points of '{kind}' add up to {actual}, not {expected}"),
    "max_total": ("tổng điểm tối đa các tiêu chí {method} của '{kind}' là {actual}, phải bằng {expected}",
                  "the {method} sub-criteria of '{kind}' add up to {actual} points, not {expected}"),
    "bands_order": ("các mức xếp loại phải theo thứ tự ngưỡng giảm dần",
                    "the bands must be in order of decreasing 'min'"),
    "bands_floor": ("mức xếp loại cuối cùng phải có 'min: 0'", "the last band must have 'min: 0'"),
    "band_range": ("ngưỡng phải trong khoảng 0 đến 100 (đang là {value!r})",
                   "a threshold lies between 0 and 100 (it is {value!r})"),
}


@dataclass(frozen=True)
class QuestionRef:
    """A question of a form, written ``FORM/question``."""

    form: str
    question: str

    def __str__(self) -> str:
        return f"{self.form}/{self.question}"


@dataclass(frozen=True)
class SubCriterion:
    """A tiêu chí thành phần: scored by appraisal or by the survey."""

    code: str
    name: Label
    method: str
    #: Maximum points per kind of unit; a kind missing (or None) means "does not apply".
    max: Mapping[str, float | None]
    questions: tuple[QuestionRef, ...] = ()
    #: The council member that appraises it (a unit code of the plan), resolved from
    #: the ``appraisers`` block; None for survey sub-criteria.
    appraiser: str | None = None
    #: Whether the self-score must come with evidence (tài liệu kiểm chứng).  The
    #: reader sets it (an appraisal sub-criterion defaults to True); False for survey ones.
    evidence_required: bool = False

    def max_for(self, kind: str) -> float | None:
        """The maximum for units of ``kind`` (None: not applicable)."""
        return self.max.get(kind)


@dataclass(frozen=True)
class Criterion:
    """A tiêu chí, grouping sub-criteria."""

    code: str
    name: Label
    subcriteria: tuple[SubCriterion, ...]


@dataclass(frozen=True)
class Area:
    """A lĩnh vực (area of reform): its points give a component index."""

    code: str
    name: Label
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Band:
    """A grade (xếp loại) for an index at or above ``min`` percent."""

    code: str
    name: Label
    min: float


@dataclass(frozen=True)
class ScoringRules:
    """Validated scoring rules.  Build them with :func:`rules_from_dict`."""

    total_max: float
    shares: Mapping[str, Mapping[str, float]]
    pooling: str
    bands: tuple[Band, ...]
    areas: tuple[Area, ...]
    note: str = ""

    def subcriteria(self, kind: str | None = None, method: str | None = None
                    ) -> Iterator[tuple[Area, Criterion, SubCriterion]]:
        """Every sub-criterion with its area and criterion, optionally only those that
        apply to ``kind`` and use ``method``."""
        for area in self.areas:
            for criterion in area.criteria:
                for sub in criterion.subcriteria:
                    if kind is not None and sub.max_for(kind) is None:
                        continue
                    if method is not None and sub.method != method:
                        continue
                    yield area, criterion, sub

    def subcriterion(self, code: str) -> SubCriterion:
        """The sub-criterion with ``code``; KeyError if none."""
        for _, _, sub in self.subcriteria():
            if sub.code == code:
                return sub
        raise KeyError(code)

    def appraised_by(self, unit_code: str, *, kind: str | None = None) -> list[SubCriterion]:
        """The appraisal sub-criteria the council member ``unit_code`` appraises, in
        order (only those that apply to ``kind``, if given).

        >>> rules = _example_rules()
        >>> [s.code for s in rules.appraised_by("so-tai-chinh")]
        ['A2']
        >>> [s.code for s in rules.appraised_by("so-noi-vu", kind="department")]
        ['A1']
        """
        return [sub for _, _, sub in self.subcriteria(kind, "appraisal") if sub.appraiser == unit_code]

    def appraisers(self) -> set[str]:
        """The unit codes of every council member that appraises some sub-criterion.

        >>> sorted(_example_rules().appraisers())
        ['so-noi-vu', 'so-tai-chinh']
        """
        return {sub.appraiser for _, _, sub in self.subcriteria(method="appraisal")
                if sub.appraiser is not None}

    def grade(self, index_pct: float) -> Band:
        """The band of an index in percent: the first whose ``min`` it reaches.

        The comparison uses the unrounded index, so 79.999 is below 80.

        >>> rules = _example_rules()
        >>> rules.grade(79.75).code, rules.grade(80).code, rules.grade(12).code
        ('kha', 'tot', 'yeu')
        """
        if math.isnan(index_pct):
            raise ValueError("the index is not a number")
        for band in self.bands:
            if index_pct >= band.min - 1e-12:
                return band
        return self.bands[-1]

    def to_dict(self) -> dict[str, Any]:
        """The rules as a document of the format; :func:`rules_from_dict` reads it back."""
        return {
            "format": FORMAT_VERSION,
            "note": self.note,
            "total_max": self.total_max,
            "shares": {k: dict(v) for k, v in self.shares.items()},
            "pooling": self.pooling,
            "bands": [{"code": b.code, "name": b.name.to_dict(), "min": b.min} for b in self.bands],
            "areas": [
                {"code": a.code, "name": a.name.to_dict(), "criteria": [
                    {"code": c.code, "name": c.name.to_dict(),
                     "subcriteria": [_subcriterion_dict(s) for s in c.subcriteria]}
                    for c in a.criteria]}
                for a in self.areas
            ],
        }


def _subcriterion_dict(s: SubCriterion) -> dict[str, Any]:
    """A sub-criterion as written in the document; the appraiser is written resolved,
    on the sub-criterion itself, so the document reads back to the same rules."""
    out: dict[str, Any] = {"code": s.code, "name": s.name.to_dict(), "method": s.method,
                           "max": dict(s.max)}
    if s.questions:
        out["questions"] = [str(q) for q in s.questions]
    if s.method == "appraisal":
        if s.appraiser is not None:
            out["appraiser"] = s.appraiser
        out["evidence_required"] = s.evidence_required
    return out


def rules_from_dict(data: Any, forms: Mapping[str, Form], *,
                    lines: Mapping[tuple, int] | None = None, source: str = "scoring",
                    used_forms: Collection[str] | None = None) -> ScoringRules:
    """Validate a scoring document against ``forms`` (code -> :class:`Form`).

    ``used_forms`` are the codes of the forms the plan's groups answer (default: all
    of ``forms``): each of their scored questions must feed a rule.

    Raises :class:`~questionnaires.problems.DataFileError` with every problem found.
    """
    problems = ProblemList(_CATALOGUE, source=source, lines=dict(lines or {}))
    rules = _RulesReader(problems, forms, used_forms).read(data)
    problems.raise_if_any(source)
    assert rules is not None
    return rules


class _RulesReader(DocumentReader):
    def __init__(self, problems: ProblemList, forms: Mapping[str, Form],
                 used_forms: Collection[str] | None):
        super().__init__(problems)
        self.forms = forms
        self.used_forms = list(forms) if used_forms is None else [f for f in used_forms if f in forms]
        self.codes: set[str] = set()
        self.used_questions: dict[QuestionRef, str] = {}
        self.assignment = _Assignment()
        self.area_codes: list[str] = []
        self.criterion_codes: list[str] = []

    # -- small readers (mapping, items, text: see DocumentReader)
    def number(self, value: Any, path: tuple) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 \
                or math.isnan(value) or math.isinf(value):
            self.p.add("not_number", path, value=value)
            return None
        return float(value)

    def label(self, value: Any, path: tuple) -> Label | None:
        m = self.mapping(value, path, ("vi", "en"))
        if m is None:
            return None
        texts = {}
        for lang in ("vi", "en"):
            t = m.get(lang)
            if not isinstance(t, str) or not t.strip():
                self.p.add("label_missing", path, lang=lang)
            else:
                texts[lang] = t.strip()
        return Label(**texts) if len(texts) == 2 else None

    def code(self, value: Any, path: tuple) -> str | None:
        code = self.text(value, path)
        if code is not None and code in self.codes:
            self.p.add("duplicate_code", path, code=code)
            return None
        if code is not None:
            self.codes.add(code)
        return code

    # -- the document
    def read(self, data: Any) -> ScoringRules | None:
        top = self.mapping(data, (), ("format", "note", "total_max", "shares", "pooling", "bands",
                                      "appraisers", "areas"),
                           required=("format", "total_max", "shares", "bands", "areas"))
        if top is None:
            return None
        if "format" in top and top["format"] != FORMAT_VERSION:
            self.p.add("bad_format", ("format",), value=top["format"], expected=FORMAT_VERSION)
        total = self.number(top["total_max"], ("total_max",)) if "total_max" in top else None
        shares = self.shares(top.get("shares"), total)
        pooling = top.get("pooling", "groups")
        if pooling not in POOLINGS:
            self.p.add("bad_pooling", ("pooling",), value=pooling, allowed=" | ".join(POOLINGS))
        bands = self.bands(top.get("bands"))
        if top.get("appraisers") is not None:
            self.assignment = self.appraisers(top["appraisers"])
        areas = [a for a in (self.area(item, path, shares)
                             for path, item in self.items(top.get("areas"), ("areas",))) if a]
        self.check_assignment()
        if self.p or total is None:
            return None
        rules = ScoringRules(total_max=total, shares=shares, pooling=pooling, bands=tuple(bands),
                             areas=tuple(areas), note=str(top.get("note") or "").strip())
        self.check_totals(rules)
        self.check_unused_questions()
        return rules

    def shares(self, value: Any, total: float | None) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        m = self.mapping(value, ("shares",), allowed=()) if not isinstance(value, dict) else value
        for kind, split in (m or {}).items():
            path = ("shares", kind)
            s = self.mapping(split, path, METHODS, required=METHODS)
            if s is None:
                continue
            points = {method: self.number(s.get(method), (*path, method)) for method in METHODS
                      if method in s}
            if all(v is not None for v in points.values()) and len(points) == 2:
                out[kind] = points  # type: ignore[assignment]
                if total is not None and abs(sum(points.values()) - total) > _EPS:
                    self.p.add("shares_total", path, kind=kind, actual=_fmt(sum(points.values())),
                               expected=_fmt(total))
        return out

    def bands(self, value: Any) -> list[Band]:
        bands = []
        for path, item in self.items(value, ("bands",)):
            m = self.mapping(item, path, ("code", "name", "min"), required=("code", "name", "min"))
            if m is None:
                continue
            code = self.text(m.get("code"), (*path, "code"))
            name = self.label(m.get("name"), (*path, "name"))
            low = self.number(m.get("min"), (*path, "min")) if "min" in m else None
            if low is not None and low > 100:
                self.p.add("band_range", (*path, "min"), value=low)
                low = None
            if code and name and low is not None:
                bands.append(Band(code, name, low))
        if bands:
            if any(a.min <= b.min for a, b in zip(bands, bands[1:])):
                self.p.add("bands_order", ("bands",))
            if bands[-1].min != 0:
                self.p.add("bands_floor", ("bands", len(bands) - 1, "min"))
        return bands

    def appraisers(self, value: Any) -> _Assignment:
        """The ``appraisers`` block: ``default``, ``by_area``, ``by_criterion``."""
        path = ("appraisers",)
        m = self.mapping(value, path, ("default", "by_area", "by_criterion"))
        if m is None:
            return _Assignment()
        default = self.text(m["default"], (*path, "default")) if m.get("default") is not None else None
        return _Assignment(default, self.assignments(m.get("by_area"), (*path, "by_area")),
                           self.assignments(m.get("by_criterion"), (*path, "by_criterion")))

    def assignments(self, value: Any, path: tuple) -> dict[str, str]:
        if value is None:
            return {}
        m = self.mapping(value, path)
        out = {}
        for code, unit in (m or {}).items():
            text = self.text(unit, (*path, code))
            if text is not None:
                out[str(code)] = text
        return out

    def check_assignment(self) -> None:
        """Every area and criterion the ``appraisers`` block names exists."""
        for key, codes, problem in (("by_area", self.area_codes, "unknown_area"),
                                    ("by_criterion", self.criterion_codes, "unknown_criterion")):
            for code in getattr(self.assignment, key):
                if code not in codes:
                    self.p.add(problem, ("appraisers", key, code), code=code,
                               known=", ".join(codes) or "-")

    def area(self, item: Any, path: tuple, shares: Mapping[str, Any]) -> Area | None:
        m = self.mapping(item, path, ("code", "name", "criteria"), required=("code", "name", "criteria"))
        if m is None:
            return None
        code = self.code(m.get("code"), (*path, "code"))
        if code is not None:
            self.area_codes.append(code)
        name = self.label(m.get("name"), (*path, "name"))
        criteria = [c for c in (self.criterion(it, p, shares, code)
                                for p, it in self.items(m.get("criteria"), (*path, "criteria"))) if c]
        return Area(code, name, tuple(criteria)) if code and name else None

    def criterion(self, item: Any, path: tuple, shares: Mapping[str, Any],
                  area: str | None) -> Criterion | None:
        m = self.mapping(item, path, ("code", "name", "subcriteria"),
                         required=("code", "name", "subcriteria"))
        if m is None:
            return None
        code = self.code(m.get("code"), (*path, "code"))
        if code is not None:
            self.criterion_codes.append(code)
        name = self.label(m.get("name"), (*path, "name"))
        inherited = self.assignment.resolve(area, code)
        subs = [s for s in (self.subcriterion(it, p, shares, inherited)
                            for p, it in self.items(m.get("subcriteria"), (*path, "subcriteria"))) if s]
        return Criterion(code, name, tuple(subs)) if code and name else None

    def subcriterion(self, item: Any, path: tuple, shares: Mapping[str, Any],
                     inherited: str | None = None) -> SubCriterion | None:
        m = self.mapping(item, path, ("code", "name", "method", "max", "questions", "appraiser",
                                      "evidence_required"),
                         required=("code", "name", "method", "max"))
        if m is None:
            return None
        code = self.code(m.get("code"), (*path, "code"))
        name = self.label(m.get("name"), (*path, "name"))
        method = m.get("method")
        if method not in METHODS:
            self.p.add("bad_method", (*path, "method"), value=method, allowed=" | ".join(METHODS))
            method = None
        maxima: dict[str, float | None] = {}
        raw_max = m.get("max")
        if not isinstance(raw_max, dict):
            self.p.add("not_mapping", (*path, "max"))
        else:
            for kind, value in raw_max.items():
                if kind not in shares:
                    self.p.add("unknown_kind", (*path, "max", kind), kind=kind, known=", ".join(shares))
                elif value is None:
                    maxima[kind] = None
                else:
                    maxima[kind] = self.number(value, (*path, "max", kind))
        questions = self.questions(m.get("questions"), (*path, "questions"), code, method)
        appraiser, evidence = self.appraisal_keys(m, path, method, inherited)
        if not (code and name and method):
            return None
        return SubCriterion(code, name, method, maxima, questions, appraiser, evidence)

    def appraisal_keys(self, m: Mapping[str, Any], path: tuple, method: str | None,
                       inherited: str | None) -> tuple[str | None, bool]:
        """The resolved appraiser and ``evidence_required`` of a sub-criterion."""
        if method == "survey":
            if "appraiser" in m:
                self.p.add("survey_with_appraiser", (*path, "appraiser"))
            if "evidence_required" in m:
                self.p.add("survey_with_evidence", (*path, "evidence_required"))
            return None, False
        own = self.text(m["appraiser"], (*path, "appraiser")) if "appraiser" in m else None
        evidence = m.get("evidence_required", True)
        if not isinstance(evidence, bool):
            self.p.add("not_bool", (*path, "evidence_required"), value=evidence)
            evidence = True
        return own or inherited, evidence

    def questions(self, value: Any, path: tuple, code: str | None, method: str | None
                  ) -> tuple[QuestionRef, ...]:
        if value is None:
            if method == "survey":
                self.p.add("survey_without_questions", path[:-1])
            return ()
        if method == "appraisal":
            self.p.add("appraisal_with_questions", path)
            return ()
        refs = []
        for qpath, raw in self.items(value, path):
            form_code, slash, question = str(raw).partition("/")
            if not slash or not form_code or not question:
                self.p.add("bad_question_ref", qpath, value=raw)
                continue
            ref = QuestionRef(form_code.strip(), question.strip())
            form = self.forms.get(ref.form)
            if form is None:
                self.p.add("unknown_form", qpath, form=ref.form, known=", ".join(self.forms) or "-")
                continue
            try:
                q = form.question(ref.question)
            except KeyError:
                self.p.add("unknown_question", qpath, form=ref.form, question=ref.question)
                continue
            if code is not None and q.criterion != code:
                self.p.add("question_feeds_other", qpath, form=ref.form, question=ref.question,
                           actual=q.criterion or "-", code=code)
                continue
            if ref in self.used_questions:
                self.p.add("question_twice", qpath, form=ref.form, question=ref.question,
                           first=self.used_questions[ref])
                continue
            self.used_questions[ref] = code or "?"
            refs.append(ref)
        return tuple(refs)

    def check_totals(self, rules: ScoringRules) -> None:
        for kind, split in rules.shares.items():
            for method in METHODS:
                actual = sum(s.max_for(kind) or 0 for _, _, s in rules.subcriteria(kind, method))
                if abs(actual - split[method]) > _EPS:
                    self.p.add("max_total", ("areas",), method=method, kind=kind,
                               actual=_fmt(actual), expected=_fmt(split[method]))

    def check_unused_questions(self) -> None:
        for form_code in self.used_forms:
            for q in self.forms[form_code].scored_questions():
                ref = QuestionRef(form_code, q.code)
                if ref not in self.used_questions:
                    self.p.add("unscored_question", "areas", form=form_code, question=q.code,
                               criterion=q.criterion)


@dataclass(frozen=True)
class _Assignment:
    """The ``appraisers`` block as read: who appraises by default, per area, per criterion."""

    default: str | None = None
    by_area: Mapping[str, str] = field(default_factory=dict)
    by_criterion: Mapping[str, str] = field(default_factory=dict)

    def resolve(self, area: str | None, criterion: str | None) -> str | None:
        """The appraiser of a criterion's sub-criteria that do not name their own."""
        return (self.by_criterion.get(criterion or "") or self.by_area.get(area or "")
                or self.default)


def _fmt(x: float) -> str:
    return f"{x:g}"


def _example_rules() -> ScoringRules:
    """Rules with the default bands and two appraised sub-criteria, for doctests."""
    names = [("xuat_sac", 90), ("tot", 80), ("kha", 70), ("trung_binh", 50), ("yeu", 0)]
    subs = (SubCriterion("A1", Label("A1", "A1"), "appraisal", {"department": 1.0, "district": 1.0},
                         appraiser="so-noi-vu", evidence_required=True),
            SubCriterion("A2", Label("A2", "A2"), "appraisal", {"department": None, "district": 1.0},
                         appraiser="so-tai-chinh", evidence_required=True))
    area = Area("LV1", Label("LV1", "LV1"), (Criterion("C1", Label("C1", "C1"), subs),))
    return ScoringRules(total_max=100, shares={}, pooling="groups",
                        bands=tuple(Band(c, Label(c, c), m) for c, m in names), areas=(area,))


__all__ = [
    "Area",
    "Band",
    "Criterion",
    "DataFileError",
    "QuestionRef",
    "ScoringRules",
    "SubCriterion",
    "rules_from_dict",
]
