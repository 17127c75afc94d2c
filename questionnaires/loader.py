"""Read questionnaire files and check them, reporting every problem with its place.

The file format (YAML, ``format: 1``) is described in ``questionnaires/forms/README.md``.
The loader walks the whole document once and records each problem it finds with a
place such as ``CT-01 / chi_dao / q03`` (form / section / question, then option value
or scale where that helps) and, for files, the line; at the end it raises one
:class:`~questionnaires.problems.DataFileError` carrying them all, or returns the
:class:`~questionnaires.model.Form`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path as FsPath
from typing import Any

from . import constants as c
from .constants import Kind, Op
from .messages import FILE_PROBLEMS
from .model import Condition, ConditionValue, Form, Label, Option, Question, Section
from .problems import LANGUAGES, DataFileError, Path, ProblemList
from .yamlsource import load_yaml, read_yaml_file

_KINDS = frozenset(kind.value for kind in Kind)
_OPS = frozenset(op.value for op in Op)

#: How each language is named in the Vietnamese and in the English messages.
_LANGUAGE_NAMES = {"vi": ("tiếng Việt", "Vietnamese"), "en": ("tiếng Anh", "English")}

# -- what a background question may not ask ------------------------------------------
# A background question describes the respondent's position, never who they are.  The
# check is deliberately simple: a question is refused when its label contains one of
# these words or phrases (whole words, any letter case), or its code contains one of
# the code words (the code split at "_" and "-", each part and each two neighbouring
# parts joined: "so_dien_thoai" gives "dienthoai").  It catches honest mistakes such as
# "Họ và tên" or "so_dien_thoai"; it is not a guarantee of anonymity.
IDENTIFYING_LABEL_WORDS = (
    "tên", "họ tên", "điện thoại", "thư điện tử", "email", "e-mail", "địa chỉ", "số nhà",
    "cmnd", "cccd", "căn cước", "chứng minh nhân dân", "hộ chiếu", "định danh",
    "name", "phone", "telephone", "mobile", "address", "passport", "identity", "id",
)
IDENTIFYING_CODE_WORDS = frozenset({
    "ten", "hoten", "name", "phone", "sdt", "dienthoai", "email", "mail", "diachi",
    "address", "cmnd", "cccd", "cancuoc", "id", "passport",
})
_IDENTIFYING_LABEL_RE = re.compile(
    r"\b(" + "|".join(re.escape(word) for word in IDENTIFYING_LABEL_WORDS) + r")\b",
    re.IGNORECASE)


def load_form(path: str | FsPath) -> Form:
    """Read and check a questionnaire file.

    Parameters
    ----------
    path:
        A YAML file in UTF-8.

    Returns
    -------
    Form

    Raises
    ------
    DataFileError
        If the file cannot be read or has any problem; every problem is listed with its
        place and line.
    """
    data, lines = read_yaml_file(path)
    return form_from_dict(data, source=str(path), lines=lines)


def load_form_text(text: str, source: str | None = None) -> Form:
    """Read and check a questionnaire from YAML text.

    Parameters
    ----------
    text:
        The YAML document.
    source:
        Name of where the text comes from, shown in problem reports.

    Returns
    -------
    Form

    Raises
    ------
    DataFileError
        If the text has any problem.

    Examples
    --------
    >>> form = load_form_text('''
    ... format: 1
    ... code: DEMO
    ... version: "1"
    ... title: {vi: Phiếu thử, en: Test form}
    ... sections:
    ...   - code: A
    ...     title: {vi: Phần A, en: Part A}
    ...     questions:
    ...       - code: q01
    ...         kind: choice
    ...         label: {vi: "Ông/Bà có biết không?", en: "Do you know?"}
    ...         criterion: TC1.1
    ...         options:
    ...           - {value: co, label: {vi: Có, en: "Yes"}, weight: 1}
    ...           - {value: khong, label: {vi: Không, en: "No"}, weight: 0}
    ... ''')
    >>> [q.code for q in form.scored_questions()]
    ['q01']
    >>> form.question("q01").option("co").weight
    1.0
    """
    data, lines = load_yaml(text, source=source)
    return form_from_dict(data, source=source, lines=lines)


def form_from_dict(data: Any, *, source: str | None = None,
                   lines: Mapping[Path, int] | None = None) -> Form:
    """Check a questionnaire document (parsed YAML or JSON) and build the :class:`Form`.

    Parameters
    ----------
    data:
        The document: a mapping as described in ``questionnaires/forms/README.md``.
    source:
        Name of where the document comes from, shown in problem reports.
    lines:
        Line of each value, by document path (as :func:`~questionnaires.yamlsource.
        load_yaml` returns), so that problems show their line.

    Returns
    -------
    Form

    Raises
    ------
    DataFileError
        Carrying every problem found, each with its place.
    """
    problems = ProblemList(catalogue=FILE_PROBLEMS, source=source, lines=dict(lines or {}))
    reader = _FormReader(problems)
    form = reader.read(data)
    if form is None:  # read() returns None exactly when it recorded problems
        raise DataFileError(source or reader.form_place, problems.problems)
    return form


class _FormReader:
    """One walk over a document; keeps what later parts need (scales, earlier questions)."""

    def __init__(self, problems: ProblemList):
        self.problems = problems
        self.form_place = "(form)"
        self.scales: dict[str, tuple[Option, ...] | None] = {}
        #: Position of every question code in the document (first occurrence).
        self.positions: dict[str, int] = {}
        #: Number of question entries walked so far.
        self.walked = 0
        #: The questions read so far; ``None`` for one that had problems.
        self.seen: dict[str, Question | None] = {}

    # -- the levels of the document ------------------------------------------------

    def read(self, data: Any) -> Form | None:
        if not isinstance(data, Mapping):
            self.problems.at("not_a_mapping", self.form_place, (), field="(top level)")
            return None
        code = data.get(c.CODE)
        if isinstance(code, str) and code:
            self.form_place = code
        if not self._format_ok(data):
            return None
        self._check_keys(data, c.FORM_KEYS, (), self.form_place)
        code = self._string(data, c.CODE, (), self.form_place)
        if code is not None and not c.FORM_CODE_RE.fullmatch(code):
            self.problems.at("bad_form_code", self.form_place, (c.CODE,), value=code)
        version = self._version(data)
        title = self._label(data, c.TITLE, (), self.form_place)
        introduction = self._label(data, c.INTRODUCTION, (), self.form_place, required=False)
        self._read_scales(data.get(c.SCALES, {}))
        sections = self._read_sections(data)
        if self.problems or code is None or version is None or title is None:
            return None
        return Form(code=code, version=version, title=title, sections=tuple(sections),
                    introduction=introduction)

    def _format_ok(self, data: Mapping[str, Any]) -> bool:
        found = data.get(c.FORMAT)
        if found is None:
            self.problems.at("format_missing", self.form_place, (),
                             supported=c.FORMAT_VERSION)
            return False
        if type(found) is not int or found != c.FORMAT_VERSION:
            self.problems.at("format_unsupported", self.form_place, (c.FORMAT,),
                             found=found, supported=c.FORMAT_VERSION)
            return False
        return True

    def _version(self, data: Mapping[str, Any]) -> str | None:
        value = data.get(c.VERSION)
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.problems.at("version_not_text", self.form_place, (c.VERSION,))
            return None
        return self._string(data, c.VERSION, (), self.form_place)

    def _read_scales(self, raw: Any) -> None:
        path: Path = (c.SCALES,)
        if not isinstance(raw, Mapping):
            self.problems.at("not_a_mapping", self.form_place, path, field=c.SCALES)
            return
        for name, options in raw.items():
            place = f"{self.form_place} / {c.SCALES} / {name}"
            if not c.CODE_RE.fullmatch(name):
                self.problems.at("bad_code", place, (*path, name), value=name)
            self.scales[name] = self._options(options, (*path, name), place,
                                              field=name, weights_required=True)

    def _read_sections(self, data: Mapping[str, Any]) -> list[Section]:
        raw = self._list(data, c.SECTIONS, (), self.form_place)
        if raw is None:
            return []
        self._index_questions(raw)
        sections: list[Section] = []
        codes: set[str] = set()
        for index, item in enumerate(raw):
            path: Path = (c.SECTIONS, index)
            code = item.get(c.CODE) if isinstance(item, Mapping) else None
            place = (f"{self.form_place} / {code}" if isinstance(code, str) and code
                     else f"{self.form_place} / {c.SECTIONS}[{index}]")
            if not isinstance(item, Mapping):
                self.problems.at("not_a_mapping", place, path, field=f"{c.SECTIONS}[{index}]")
                continue
            self._check_keys(item, c.SECTION_KEYS, path, place)
            code = self._code(item, path, place)
            if code is not None:
                if code in codes:
                    self.problems.at("duplicate_section", place, (*path, c.CODE), name=code)
                codes.add(code)
            title = self._label(item, c.TITLE, path, place)
            questions: list[Question] = []
            for j, raw_question in enumerate(self._list(item, c.QUESTIONS, path, place) or []):
                question = self._question(raw_question, (*path, c.QUESTIONS, j), place)
                if question is not None:
                    questions.append(question)
            if code is not None and title is not None:
                sections.append(Section(code=code, title=title, questions=tuple(questions)))
        return sections

    def _index_questions(self, sections: list[Any]) -> None:
        # Conditions may refer only to earlier questions; knowing every code and its
        # position up front tells "later" apart from "missing".  Positions count every
        # entry, as _question() does while walking.
        position = 0
        for section in sections:
            questions = section.get(c.QUESTIONS) if isinstance(section, Mapping) else None
            for question in questions if isinstance(questions, list) else []:
                code = question.get(c.CODE) if isinstance(question, Mapping) else None
                if isinstance(code, str):
                    self.positions.setdefault(code, position)
                position += 1

    def _question(self, raw: Any, path: Path, section_place: str) -> Question | None:
        position = self.walked
        self.walked += 1
        code = raw.get(c.CODE) if isinstance(raw, Mapping) else None
        place = (f"{section_place} / {code}" if isinstance(code, str) and code
                 else f"{section_place} / {c.QUESTIONS}[{path[-1]}]")
        if not isinstance(raw, Mapping):
            self.problems.at("not_a_mapping", place, path, field=f"{c.QUESTIONS}[{path[-1]}]")
            return None
        found_before = len(self.problems.problems)
        self._check_keys(raw, c.QUESTION_KEYS, path, place)
        code = self._code(raw, path, place)
        if code is not None and code in self.seen:
            self.problems.at("duplicate_question", place, (*path, c.CODE), name=code)
            code = None
        kind = self._kind(raw, path, place)
        label = self._label(raw, c.LABEL, path, place)
        fields: dict[str, Any] = {c.REQUIRED: self._bool(raw, c.REQUIRED, path, place,
                                                         default=False)}
        if kind is not None:
            fields.update(self._kind_fields(raw, kind, path, place))
            if label is not None:
                self._check_label_for_kind(raw, kind, label, path, place)
        relevant = None
        if c.RELEVANT in raw:
            relevant = self._condition(raw[c.RELEVANT], (*path, c.RELEVANT), place, position)
        question = None
        if (len(self.problems.problems) == found_before and code is not None
                and kind is not None and label is not None):
            question = Question(
                code=code, kind=kind, label=label, required=fields[c.REQUIRED],
                options=fields.get(c.OPTIONS, ()), criterion=fields.get(c.CRITERION),
                relevant=relevant, minimum=fields.get(c.MIN), maximum=fields.get(c.MAX),
                integer=fields.get(c.INTEGER, True), max_length=fields.get(c.MAX_LENGTH))
        if code is not None:
            self.seen[code] = question
        return question

    def _kind(self, raw: Mapping[str, Any], path: Path, place: str) -> Kind | None:
        value = self._string(raw, c.KIND, path, place)
        if value is None:
            return None
        if value not in _KINDS:
            self.problems.at("unknown_kind", place, (*path, c.KIND), kind=value,
                             kinds=", ".join(Kind))
            return None
        return Kind(value)

    def _kind_fields(self, raw: Mapping[str, Any], kind: Kind, path: Path,
                     place: str) -> dict[str, Any]:
        """Read the keys whose meaning depends on the kind; refuse those that do not
        apply to it."""
        fields: dict[str, Any] = {}
        has_options = c.OPTIONS in raw or c.SCALE in raw
        takes_options = kind in (Kind.CHOICE, Kind.UNIT_RATING, Kind.SELECT_MULTIPLE) or (
            kind is Kind.BACKGROUND and has_options)
        numeric = kind is Kind.NUMBER or (kind is Kind.BACKGROUND and not has_options)
        scored = c.CRITERION in raw
        not_for_kind = [key for key, applies in (
            (c.OPTIONS, takes_options), (c.SCALE, takes_options), (c.MIN, numeric),
            (c.MAX, numeric), (c.INTEGER, numeric), (c.MAX_LENGTH, kind is Kind.TEXT),
        ) if key in raw and not applies]
        for key in not_for_kind:
            self.problems.at("key_not_for_kind", place, (*path, key), key=key, kind=kind)
        if takes_options:
            options = self._question_options(raw, kind, path, place,
                                             scored and kind is not Kind.SELECT_MULTIPLE)
            if kind is Kind.SELECT_MULTIPLE:
                # Never scored: a weight (from a shared scale, say) would mean nothing.
                options = tuple(Option(o.value, o.label) for o in options)
            fields[c.OPTIONS] = options
        if numeric:
            integer = self._bool(raw, c.INTEGER, path, place, default=True)
            fields[c.INTEGER] = integer
            fields[c.MIN] = self._number(raw, c.MIN, path, place, integer)
            fields[c.MAX] = self._number(raw, c.MAX, path, place, integer)
            if (fields[c.MIN] is not None and fields[c.MAX] is not None
                    and fields[c.MIN] > fields[c.MAX]):
                self.problems.at("min_above_max", place, (*path, c.MIN),
                                 min=fields[c.MIN], max=fields[c.MAX])
        if kind is Kind.TEXT:
            fields[c.MAX_LENGTH] = self._max_length(raw, path, place)
        if scored:
            fields[c.CRITERION] = self._criterion(raw, kind, fields.get(c.OPTIONS), path, place)
        return fields

    def _question_options(self, raw: Mapping[str, Any], kind: Kind, path: Path, place: str,
                          scored: bool) -> tuple[Option, ...]:
        if c.OPTIONS in raw and c.SCALE in raw:
            self.problems.at("options_and_scale", place, (*path, c.SCALE))
            return ()
        if c.SCALE in raw:
            name = raw[c.SCALE]
            if not isinstance(name, str) or name not in self.scales:
                self.problems.at("unknown_scale", place, (*path, c.SCALE), scale=name)
                return ()
            return self.scales[name] or ()
        if c.OPTIONS not in raw or raw[c.OPTIONS] == []:
            self.problems.at("no_options", place, (*path, c.OPTIONS) if c.OPTIONS in raw
                             else path, kind=kind)
            return ()
        return self._options(raw[c.OPTIONS], (*path, c.OPTIONS), place, field=c.OPTIONS,
                             weights_required=scored) or ()

    def _criterion(self, raw: Mapping[str, Any], kind: Kind,
                   options: tuple[Option, ...] | None, path: Path, place: str) -> str | None:
        if kind not in (Kind.CHOICE, Kind.UNIT_RATING):
            self.problems.at("criterion_not_allowed", place, (*path, c.CRITERION), kind=kind)
            return None
        criterion = self._string(raw, c.CRITERION, path, place)
        if criterion is None:
            return None
        if not c.CRITERION_RE.fullmatch(criterion):
            self.problems.at("bad_criterion", place, (*path, c.CRITERION), value=criterion)
        elif options and all(option.weight is None for option in options):
            self.problems.at("scored_without_weights", place, (*path, c.CRITERION),
                             criterion=criterion)
        return criterion

    def _check_label_for_kind(self, raw: Mapping[str, Any], kind: Kind, label: Label,
                              path: Path, place: str) -> None:
        if kind is not Kind.UNIT_RATING and any(
                c.UNIT_PLACEHOLDER in label.get(lang) for lang in LANGUAGES):
            self.problems.at("unit_placeholder", place, (*path, c.LABEL))
        if kind is Kind.BACKGROUND:
            word = identifying_word(str(raw.get(c.CODE, "")), label)
            if word is not None:
                self.problems.at("identifying_background", place, path, word=word)

    def _condition(self, raw: Any, path: Path, place: str,
                   position: int) -> Condition | None:
        if not isinstance(raw, Mapping):
            self.problems.at("not_a_mapping", place, path, field=c.RELEVANT)
            return None
        self._check_keys(raw, c.CONDITION_KEYS, path, place)
        target_code = self._string(raw, c.QUESTION, path, place)
        op_text = self._string(raw, c.OP, path, place)
        op = Op(op_text) if op_text in _OPS else None
        if op_text is not None and op is None:
            self.problems.at("relevant_bad_op", place, (*path, c.OP), op=op_text,
                             ops=", ".join(Op))
        if c.VALUE not in raw:
            self.problems.at("missing_key", place, path, key=c.VALUE)
            return None
        if target_code is None or op is None:
            return None
        target_position = self.positions.get(target_code)
        if target_position is None:
            self.problems.at("relevant_unknown_question", place, (*path, c.QUESTION),
                             question=target_code)
            return None
        if target_position >= position:
            self.problems.at("relevant_later_question", place, (*path, c.QUESTION),
                             question=target_code)
            return None
        values = self._condition_values(raw[c.VALUE], op, path, place)
        target = self.seen.get(target_code)
        if target is None or values is None:
            return None  # the earlier question's own problems are reported already
        checked = self._check_condition_values(target, op, values, path, place)
        if checked is None:
            return None
        if op is Op.IN and len(checked) > 1:
            return Condition(target_code, op, tuple(checked))
        # "in" one value is "=": one form for one meaning keeps the content hash stable.
        return Condition(target_code, Op.EQ if op is Op.IN else op, checked[0])

    def _condition_values(self, raw: Any, op: Op, path: Path, place: str) -> list[Any] | None:
        if op is Op.IN:
            if not isinstance(raw, list) or not raw:
                self.problems.at("relevant_needs_list", place, (*path, c.VALUE))
                return None
            return raw
        return [raw]

    def _check_condition_values(self, target: Question, op: Op, values: list[Any],
                                path: Path, place: str) -> list[ConditionValue] | None:
        answer_kind = target.answer_kind
        if answer_kind is Kind.TEXT:
            self.problems.at("relevant_on_text", place, (*path, c.QUESTION),
                             question=target.code)
            return None
        takes_options = target.takes_options
        if takes_options and op in c.ORDERING_OPS:
            self.problems.at("relevant_ordering", place, (*path, c.OP), op=op)
            return None
        checked: list[ConditionValue] = []
        for value in values:
            if takes_options:
                text = _code_text(value)
                if text is None or not any(o.value == text for o in target.options):
                    self.problems.at("relevant_not_an_option", place, (*path, c.VALUE),
                                     value=value, question=target.code)
                    return None
                checked.append(text)
            else:
                number = _finite_number(value)
                if number is None:
                    self.problems.at("relevant_not_a_number", place, (*path, c.VALUE),
                                     value=value, question=target.code)
                    return None
                checked.append(number)
        return checked

    # -- options -------------------------------------------------------------------

    def _options(self, raw: Any, path: Path, place: str, *, field: str,
                 weights_required: bool) -> tuple[Option, ...] | None:
        """Read a list of options (one place for scales and inline options)."""
        if not isinstance(raw, list):
            self.problems.at("not_a_list", place, path, field=field)
            return None
        if not raw:
            self.problems.at("empty_list", place, path, field=field)
            return None
        options: list[Option] = []
        values: set[str] = set()
        complete = True
        for index, item in enumerate(raw):
            option = self._option(item, (*path, index), place, index, weights_required)
            if option is None:
                complete = False
                continue
            if option.value in values:
                self.problems.at("duplicate_option", f"{place} / {option.value}",
                                 (*path, index, c.VALUE), value=option.value)
                complete = False
            values.add(option.value)
            options.append(option)
        return tuple(options) if complete else None

    def _option(self, raw: Any, path: Path, place: str, index: int,
                weights_required: bool) -> Option | None:
        if not isinstance(raw, Mapping):
            self.problems.at("not_a_mapping", f"{place} / {c.OPTIONS}[{index}]", path,
                             field=f"{c.OPTIONS}[{index}]")
            return None
        found_before = len(self.problems.problems)
        value = _code_text(raw.get(c.VALUE))
        place = f"{place} / {value}" if value else f"{place} / {c.OPTIONS}[{index}]"
        self._check_keys(raw, c.OPTION_KEYS, path, place)
        if c.VALUE not in raw:
            self.problems.at("missing_key", place, path, key=c.VALUE)
        elif value is None or not c.VALUE_RE.fullmatch(value):
            self.problems.at("bad_option_value", place, (*path, c.VALUE), value=raw[c.VALUE])
        label = self._label(raw, c.LABEL, path, place)
        weight = self._weight(raw, path, place, value, weights_required)
        if len(self.problems.problems) > found_before or value is None or label is None:
            return None
        return Option(value=value, label=label, weight=weight)

    def _weight(self, raw: Mapping[str, Any], path: Path, place: str, value: str | None,
                required: bool) -> float | None:
        if c.WEIGHT not in raw:
            if required:
                self.problems.at("weight_missing", place, path, value=value)
            return None
        weight = raw[c.WEIGHT]
        if weight is None:
            return None
        number = _finite_number(weight)
        if number is None:
            self.problems.at("weight_not_number", place, (*path, c.WEIGHT), weight=weight)
            return None
        if not 0 <= number <= 1:
            self.problems.at("weight_out_of_range", place, (*path, c.WEIGHT), weight=weight)
            return None
        return round(float(number), c.WEIGHT_DECIMALS)

    # -- single values -------------------------------------------------------------

    def _check_keys(self, raw: Mapping[str, Any], allowed: frozenset[str], path: Path,
                    place: str) -> None:
        for key in raw:
            if key not in allowed:
                self.problems.at("unknown_key", place, (*path, key), key=key)

    def _string(self, raw: Mapping[str, Any], key: str, path: Path, place: str) -> str | None:
        if key not in raw:
            self.problems.at("missing_key", place, path, key=key)
            return None
        value = raw[key]
        if not isinstance(value, str) or not value.strip():
            self.problems.at("not_text", place, (*path, key), field=key)
            return None
        return value

    def _code(self, raw: Mapping[str, Any], path: Path, place: str) -> str | None:
        code = self._string(raw, c.CODE, path, place)
        if code is not None and not c.CODE_RE.fullmatch(code):
            self.problems.at("bad_code", place, (*path, c.CODE), value=code)
            return None
        return code

    def _list(self, raw: Mapping[str, Any], key: str, path: Path,
              place: str) -> list[Any] | None:
        if key not in raw:
            self.problems.at("missing_key", place, path, key=key)
            return None
        value = raw[key]
        if not isinstance(value, list):
            self.problems.at("not_a_list", place, (*path, key), field=key)
            return None
        if not value:
            self.problems.at("empty_list", place, (*path, key), field=key)
            return None
        return value

    def _bool(self, raw: Mapping[str, Any], key: str, path: Path, place: str, *,
              default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.problems.at("not_a_bool", place, (*path, key), field=key)
            return default
        return value

    def _number(self, raw: Mapping[str, Any], key: str, path: Path, place: str,
                integer: bool) -> int | float | None:
        if key not in raw:
            return None
        number = _finite_number(raw[key])
        if number is None:
            self.problems.at("not_a_number", place, (*path, key), field=key)
        elif integer and not isinstance(number, int):
            self.problems.at("not_an_integer", place, (*path, key), field=key)
            return None
        return number

    def _max_length(self, raw: Mapping[str, Any], path: Path, place: str) -> int:
        value = raw.get(c.MAX_LENGTH, c.DEFAULT_TEXT_MAX_LENGTH)
        if (type(value) is not int or not 1 <= value <= c.TEXT_MAX_LENGTH_LIMIT):
            self.problems.at("bad_max_length", place, (*path, c.MAX_LENGTH),
                             limit=c.TEXT_MAX_LENGTH_LIMIT)
            return c.DEFAULT_TEXT_MAX_LENGTH
        return value

    def _label(self, raw: Mapping[str, Any], key: str, path: Path, place: str, *,
               required: bool = True) -> Label | None:
        """Read a ``{vi: ..., en: ...}`` label (one place for every label)."""
        if key not in raw:
            if required:
                self.problems.at("missing_key", place, path, key=key)
            return None
        value, path = raw[key], (*path, key)
        if not isinstance(value, Mapping):
            self.problems.at("not_a_mapping", place, path, field=key)
            return None
        self._check_keys(value, frozenset(LANGUAGES), path, place)
        texts: dict[str, str] = {}
        for lang in LANGUAGES:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                lang_vi, lang_en = _LANGUAGE_NAMES[lang]
                self.problems.at("label_missing", place, (*path, lang) if lang in value
                                 else path, field=key, lang=lang, lang_vi=lang_vi,
                                 lang_en=lang_en)
            elif any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
                self.problems.at("label_bad_character", place, (*path, lang), field=key,
                                 lang=lang)
            else:
                texts[lang] = unicodedata.normalize("NFC", text).strip()
        if len(texts) != len(LANGUAGES):
            return None
        return Label(**texts)


def identifying_word(code: str, label: Label) -> str | None:
    """The word that makes a background question ask for identifying data, if any.

    See :data:`IDENTIFYING_LABEL_WORDS` and :data:`IDENTIFYING_CODE_WORDS`.

    >>> identifying_word("b1", Label("Họ và tên", "Full name"))
    'tên'
    >>> identifying_word("so_dien_thoai", Label("Liên lạc", "Contact"))
    'dienthoai'
    >>> identifying_word("b2", Label("Số năm công tác", "Years in the post")) is None
    True
    """
    parts = re.split(r"[_\-]+", code.casefold())
    for word in (*parts, *(a + b for a, b in zip(parts, parts[1:]))):
        if word in IDENTIFYING_CODE_WORDS:
            return word
    for lang in LANGUAGES:
        match = _IDENTIFYING_LABEL_RE.search(unicodedata.normalize("NFC", label.get(lang)))
        if match:
            return match.group(1).casefold()
    return None


def _code_text(value: Any) -> str | None:
    """An option value as text: YAML and spreadsheets give ``1`` for the code ``"1"``."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _finite_number(value: Any) -> int | float | None:
    """A finite number, integral values as ``int`` (so ``40`` and ``40.0`` read alike)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer():
            return int(value)
    return value
