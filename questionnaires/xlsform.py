"""XLSForm interchange: write a form as an XLSForm workbook and read one back.

XLSForm (https://xlsform.org) is the spreadsheet format of ODK and KoboToolbox.  A
workbook written by :func:`to_xlsform` is valid XLSForm (pyxform compiles it) and
:func:`from_xlsform` reads it back into an equal :class:`~questionnaires.model.Form`.

The mapping:

============================  ==========================================================
questionnaire                 XLSForm
============================  ==========================================================
form code, version, title     ``settings``: ``form_id``, ``version``, ``form_title``
                              (Vietnamese) and ``par_title_en`` (English);
                              ``default_language`` is ``Vietnamese (vi)``
introduction                  a ``note`` row named ``introduction`` before the first group
section                       ``begin_group`` ... ``end_group``
choice                        ``select_one <list>``
select_multiple               ``select_multiple <list>``; a condition on it is written
                              ``selected(${kenh}, 'a')`` (``not(selected(...))`` for
                              ``!=``)
unit_rating                   ``select_one <list>`` with ``par_kind`` = ``unit_rating``
background                    ``select_one``, ``integer`` or ``decimal`` with
                              ``par_kind`` = ``background``
number                        ``integer`` or ``decimal``; bounds in ``constraint``
                              (``. >= 0 and . <= 40``)
text                          ``text``; ``constraint`` ``string-length(.) <= 255``
criterion                     ``par_criterion``
required                      ``required`` = ``yes``
relevant                      ``${q03} = 'co'``, ``${q05} >= 3``; ``in`` as
                              ``${q03} = 'a' or ${q03} = 'b'``
options                       ``choices`` rows; one list per distinct set of options,
                              named after the first question that uses it; ``weight``
                              column, empty for no score
labels                        ``label::Vietnamese (vi)``, ``label::English (en)``
============================  ==========================================================

Reading accepts the common subset of workbooks made with ODK or Kobo as well: the types
``select_one``, ``select_multiple``, ``text``, ``integer``, ``decimal``, ``note`` and
groups (not nested); ``required`` as yes/no; ``relevant`` comparing one question with
one value (or ``=`` comparisons of one question joined by ``or``, also written
``selected(${q}, 'v')``, and ``not(selected(${q}, 'v'))``); ``constraint`` as above.
Columns such as ``hint``, ``appearance`` and messages are ignored.  Metadata rows
(``start``, ``end``, ``deviceid`` ...) are dropped: the service records none of them.
Notes before the first question become the introduction; other notes (display-only
text) are dropped.  Questions outside any group are put into sections ``s1``, ``s2``
...  Anything else (``repeat``, ``calculate``, ``geopoint``, ``calculation``,
``choice_filter``, complex expressions ...) is refused with a problem naming the sheet
and row (``survey!14``).

The ``settings`` sheet is optional, and so is each of its columns, as in XLSForm:
without ``form_id`` the form code is the file name (``Phieu_HL.xlsx`` gives
``Phieu_HL``); without ``version``, the time the workbook was last saved as its own
properties say (``202403150930``), or else the start of the SHA-256 of the file; without
``form_title``, the file name.  XLSForm has no translated title: ``form_title`` serves
both languages unless ``par_title_en`` gives the English one.  Every other label must be
given in Vietnamese and English: a plain ``label`` column counts as the
``default_language`` of the settings (Vietnamese if none is set), and a sheet without
any label column in one of the languages is refused with one problem saying so.  An old
Excel 97-2003 file (``.xls``) is refused with a message asking to save it as ``.xlsx``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from os import PathLike
from pathlib import PurePath
from typing import IO, TYPE_CHECKING, Any

from . import constants as c
from .constants import Kind, Op
from .loader import form_from_dict
from .messages import FILE_PROBLEMS
from .model import Condition, ConditionValue, Form, Label, Option, Question
from .problems import LANGUAGES, Path, ProblemList
from .workbooks import (
    DEFAULT_LIMITS,
    CheckedWorkbook,
    WorkbookLimits,
    WorkbookSource,
    check_workbook,
    read_sheets,
    workbook_modified,
)

if TYPE_CHECKING:  # pragma: no cover - annotations only; openpyxl is loaded where used
    from openpyxl.worksheet.worksheet import Worksheet

#: Where a workbook is read from or written to: a file name or a binary file object.
WorkbookTarget = str | PathLike[str] | IO[bytes]

_LABEL_COLUMNS = {lang: f"{c.COL_LABEL}::{name}" for lang, name in c.XLSFORM_LANGUAGES.items()}
_SURVEY_COLUMNS = (c.COL_TYPE, c.COL_NAME, *_LABEL_COLUMNS.values(), c.COL_REQUIRED,
                   c.COL_RELEVANT, c.COL_CONSTRAINT, c.COL_PAR_KIND, c.COL_PAR_CRITERION)
_CHOICES_COLUMNS = (c.COL_LIST_NAME, c.COL_NAME, *_LABEL_COLUMNS.values(), c.COL_WEIGHT)
_SETTINGS_COLUMNS = (c.SETTING_FORM_TITLE, c.SETTING_FORM_ID, c.SETTING_VERSION,
                     c.SETTING_DEFAULT_LANGUAGE, c.SETTING_TITLE_EN)

#: Title of the sections made on import for questions outside any group.
_IMPLICIT_SECTION_TITLE = {"vi": "Câu hỏi", "en": "Questions"}

#: The question kinds each XLSForm type can carry, the first being the default.
_KINDS_BY_TYPE: dict[str, tuple[Kind, ...]] = {
    c.TYPE_SELECT_ONE: (Kind.CHOICE, Kind.UNIT_RATING, Kind.BACKGROUND),
    c.TYPE_SELECT_MULTIPLE: (Kind.SELECT_MULTIPLE,),
    c.TYPE_INTEGER: (Kind.NUMBER, Kind.BACKGROUND),
    c.TYPE_DECIMAL: (Kind.NUMBER, Kind.BACKGROUND),
    c.TYPE_TEXT: (Kind.TEXT,),
}

#: How each language is named in the Vietnamese and in the English messages.
_LANGUAGE_NAMES = {"vi": ("tiếng Việt", "Vietnamese"), "en": ("tiếng Anh", "English")}
_LANGUAGE_ALIASES = {
    "vi": "vi", "vie": "vi", "vietnamese": "vi", "tiếng việt": "vi",
    "en": "en", "eng": "en", "english": "en", "tiếng anh": "en",
}
_TRUE_TEXTS = frozenset({"yes", "true", "true()"})
_FALSE_TEXTS = frozenset({"", "no", "false", "false()"})

# -- expressions -----------------------------------------------------------------------
_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?"


def _reference(prefix: str) -> str:
    return rf"\$\{{\s*(?P<{prefix}q>[A-Za-z_][A-Za-z0-9_.-]*)\s*\}}"


def _literal_pattern(prefix: str) -> str:
    return rf"""(?:'(?P<{prefix}s1>[^']*)'|"(?P<{prefix}s2>[^"]*)"|(?P<{prefix}num>{_NUMBER}))"""


#: ``${q} op literal``, groups ``cq``, ``op`` and the literal's ``cs1``/``cs2``/``cnum``.
_COMPARISON_RE = re.compile(
    rf"\s*{_reference('c')}\s*(?P<op>!=|<=|>=|=|<|>)\s*{_literal_pattern('c')}\s*")
#: ``selected(${q}, literal)``, groups ``sq`` and ``ss1``/``ss2``/``snum``.
_SELECTED_RE = re.compile(
    rf"\s*selected\(\s*{_reference('s')}\s*,\s*{_literal_pattern('s')}\s*\)\s*")
#: ``not(selected(${q}, literal))``: the value is not among those chosen.
_NOT_SELECTED_RE = re.compile(rf"\s*not\(\s*{_SELECTED_RE.pattern}\s*\)\s*")
_OR_RE = re.compile(r"or\b")
_BOUND_RE = re.compile(rf"\.\s*(?P<op>>=|<=)\s*(?P<num>{_NUMBER})")
_LENGTH_RE = re.compile(r"string-length\(\s*\.\s*\)\s*<=\s*(?P<num>[0-9]+)")
_NUMBER_RE = re.compile(_NUMBER)


# == writing ===========================================================================

def to_xlsform(form: Form, target: WorkbookTarget) -> None:
    """Write ``form`` as an XLSForm workbook (``.xlsx``).

    The mapping is described in the module documentation; the workbook compiles with
    pyxform and :func:`from_xlsform` reads it back into an equal form.

    Parameters
    ----------
    form:
        The questionnaire.
    target:
        A file name or a binary file object to write the workbook to.
    """
    import openpyxl  # loaded where used: it takes long to import

    workbook = openpyxl.Workbook()
    survey = workbook.active
    survey.title = c.SHEET_SURVEY
    lists = _choice_lists(form)
    _write_sheet(survey, _SURVEY_COLUMNS, _survey_rows(form, lists))
    _write_sheet(workbook.create_sheet(c.SHEET_CHOICES), _CHOICES_COLUMNS,
                 _choice_rows(lists))
    _write_sheet(workbook.create_sheet(c.SHEET_SETTINGS), _SETTINGS_COLUMNS, [{
        c.SETTING_FORM_TITLE: form.title.vi,
        c.SETTING_FORM_ID: form.code,
        c.SETTING_VERSION: form.version,
        c.SETTING_DEFAULT_LANGUAGE: c.XLSFORM_LANGUAGES["vi"],
        c.SETTING_TITLE_EN: form.title.en,
    }])
    workbook.save(target)


def _choice_lists(form: Form) -> dict[tuple[Option, ...], str]:
    """One list per distinct set of options, named after the first question using it."""
    lists: dict[tuple[Option, ...], str] = {}
    for question in form.questions():
        if question.takes_options:
            lists.setdefault(question.options, question.code)
    return lists


def _survey_rows(form: Form,
                 lists: Mapping[tuple[Option, ...], str]) -> Iterator[dict[str, Any]]:
    if form.introduction is not None:
        yield {c.COL_TYPE: c.TYPE_NOTE, c.COL_NAME: c.INTRODUCTION_NOTE,
               **_label_cells(form.introduction)}
    for section in form.sections:
        yield {c.COL_TYPE: c.TYPE_BEGIN_GROUP, c.COL_NAME: section.code,
               **_label_cells(section.title)}
        for question in section.questions:
            yield _question_row(form, question, lists)
        yield {c.COL_TYPE: c.TYPE_END_GROUP}


def _question_row(form: Form, question: Question,
                  lists: Mapping[tuple[Option, ...], str]) -> dict[str, Any]:
    answer_kind = question.answer_kind
    if answer_kind is Kind.CHOICE:
        type_ = f"{c.TYPE_SELECT_ONE} {lists[question.options]}"
    elif answer_kind is Kind.SELECT_MULTIPLE:
        type_ = f"{c.TYPE_SELECT_MULTIPLE} {lists[question.options]}"
    elif answer_kind is Kind.NUMBER:
        type_ = c.TYPE_INTEGER if question.integer else c.TYPE_DECIMAL
    else:
        type_ = c.TYPE_TEXT
    return {
        c.COL_TYPE: type_,
        c.COL_NAME: question.code,
        **_label_cells(question.label),
        c.COL_REQUIRED: "yes" if question.required else None,
        c.COL_RELEVANT: (relevant_expression(
            question.relevant,
            multiple=form.question(question.relevant.question).kind is Kind.SELECT_MULTIPLE)
            if question.relevant is not None else None),
        c.COL_CONSTRAINT: _constraint_expression(question),
        c.COL_PAR_KIND: (question.kind.value
                         if question.kind in (Kind.UNIT_RATING, Kind.BACKGROUND) else None),
        c.COL_PAR_CRITERION: question.criterion,
    }


def _choice_rows(lists: Mapping[tuple[Option, ...], str]) -> Iterator[dict[str, Any]]:
    for options, list_name in lists.items():
        for option in options:
            yield {c.COL_LIST_NAME: list_name, c.COL_NAME: option.value,
                   **_label_cells(option.label), c.COL_WEIGHT: option.weight}


def _label_cells(label: Label) -> dict[str, str]:
    return {_LABEL_COLUMNS[lang]: label.get(lang) for lang in LANGUAGES}


def relevant_expression(condition: Condition, *, multiple: bool = False) -> str:
    """The XLSForm ``relevant`` expression of a condition.

    ``multiple``: the condition is on a ``select_multiple`` question, whose answer holds
    several values: ``=`` and ``in`` are written with ``selected()``, ``!=`` with
    ``not(selected())``.

    >>> relevant_expression(Condition("q03", Op.IN, ("a", "b")))
    "${q03} = 'a' or ${q03} = 'b'"
    >>> relevant_expression(Condition("q05", Op.GE, 2.5))
    '${q05} >= 2.5'
    >>> relevant_expression(Condition("kenh", Op.NE, "khac"), multiple=True)
    "not(selected(${kenh}, 'khac'))"
    """
    reference = f"${{{condition.question}}}"
    if multiple:
        values = condition.value if isinstance(condition.value, tuple) else (condition.value,)
        expression = " or ".join(f"selected({reference}, {_literal(value)})"
                                 for value in values)
        return f"not({expression})" if condition.op is Op.NE else expression
    if isinstance(condition.value, tuple):
        return " or ".join(f"{reference} = {_literal(value)}" for value in condition.value)
    return f"{reference} {condition.op.value} {_literal(condition.value)}"


def _literal(value: ConditionValue) -> str:
    # Option values never contain quotes (see constants.VALUE_RE).
    return f"'{value}'" if isinstance(value, str) else _xpath_number(value)


def _xpath_number(value: int | float) -> str:
    # XPath has no exponent notation; Decimal(repr(x)) keeps the shortest exact digits.
    return format(Decimal(repr(value)), "f")


def _constraint_expression(question: Question) -> str | None:
    answer_kind = question.answer_kind
    if answer_kind is Kind.TEXT:
        return f"string-length(.) <= {question.max_length}"
    if answer_kind is Kind.NUMBER:
        bounds = [f". {op} {_xpath_number(bound)}"
                  for op, bound in ((">=", question.minimum), ("<=", question.maximum))
                  if bound is not None]
        return " and ".join(bounds) or None
    return None


def _write_sheet(sheet: Worksheet, columns: tuple[str, ...],
                 rows: Iterable[Mapping[str, Any]]) -> None:
    sheet.append(list(columns))
    for row in rows:
        sheet.append([row.get(column) for column in columns])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            # openpyxl takes any text starting with "=" for a formula.
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"


# == reading ===========================================================================

@dataclass
class _Row:
    """One non-empty row of a sheet: its number and its cells by column key."""

    number: int
    cells: dict[str, Any]

    def text(self, column: str) -> str:
        return _cell_text(self.cells.get(column))


def from_xlsform(source: WorkbookSource, *, limits: WorkbookLimits = DEFAULT_LIMITS) -> Form:
    """Read a questionnaire from an XLSForm workbook (``.xlsx``).

    Reads what :func:`to_xlsform` writes, and the common subset of workbooks made with
    ODK or KoboToolbox described in the module documentation.  The workbook goes
    through the guard of :mod:`questionnaires.workbooks` first, which refuses a
    damaged, encrypted or old-format file and a zip bomb before anything is expanded.

    Parameters
    ----------
    source:
        A file name, the workbook's bytes or a binary file object.
    limits:
        The bounds of :class:`~questionnaires.workbooks.WorkbookLimits` (size, cells,
        length of a cell ...); the defaults suit uploads.

    Returns
    -------
    Form

    Raises
    ------
    DataFileError
        If the workbook cannot be read (the ``workbook_...`` problems of the guard),
        uses anything outside the supported subset (each such problem is placed by
        sheet and row, ``survey!14``), or does not make a valid questionnaire (placed
        by form / section / question, with the row of the ``survey`` sheet as the
        line).
    """
    name = str(source) if isinstance(source, str | PathLike) else getattr(source, "name",
                                                                           "XLSForm")
    name = name if isinstance(name, str) else "XLSForm"
    problems = ProblemList(FILE_PROBLEMS, source=name)
    checked = check_workbook(source, what=name, limits=limits)
    sheets = {sheet.title.strip().lower(): _sheet_rows(sheet.rows)
              for sheet in read_sheets(checked, what=name, limits=limits)}
    reader = _WorkbookReader(sheets, problems, _file_defaults(name, checked))
    data = reader.document()
    problems.raise_if_any(name)
    return form_from_dict(data, source=name, lines=reader.lines)


def _file_defaults(name: str, checked: CheckedWorkbook) -> dict[str, str]:
    """The form code, version and title a workbook without settings gets from its file.

    The code is the file name without its extension, made a valid form code; the
    version the time the workbook was last saved, as its own properties say
    (``202403150930``), or else the start of the SHA-256 of its bytes; the title the
    file name without its extension.
    """
    stem = unicodedata.normalize("NFC", PurePath(name).stem).strip() or "XLSForm"
    modified = workbook_modified(checked)
    version = (f"{modified:%Y%m%d%H%M}" if modified is not None
               else hashlib.sha256(checked.data).hexdigest()[:12])
    return {c.CODE: form_code_from_name(stem), c.VERSION: version, c.TITLE: stem}


def form_code_from_name(name: str) -> str:
    """A valid form code made from a file name: letters without diacritics, digits and
    ``_ . -``, at most 40 characters; ``xlsform`` if nothing is left.

    >>> form_code_from_name("Phiếu đánh giá (bản 2)"), form_code_from_name("???")
    ('Phieu_danh_gia_ban_2', 'xlsform')
    """
    text = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    code = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_.-")[:40].rstrip("_.-")
    return code if c.FORM_CODE_RE.fullmatch(code) else "xlsform"


def _sheet_rows(values: Iterable[tuple[Any, ...]]) -> list[_Row]:
    """The non-empty rows of a sheet (the first row, the header, always)."""
    rows = iter(values)
    header = [_column_key(cell) for cell in next(rows, ())]
    out = [_Row(1, {key: key for key in header if key})]
    for number, row in enumerate(rows, start=2):
        cells = {key: value for key, value in zip(header, row)
                 if key and value is not None and _cell_text(value) != ""}
        if cells:
            out.append(_Row(number, cells))
    return out


def _column_key(header: Any) -> str:
    """``"Label :: English (en)"`` -> ``"label::English (en)"``; ``"list name"`` ->
    ``"list_name"``."""
    base, separator, spec = _cell_text(header).partition("::")
    return base.strip().lower().replace(" ", "_") + separator + spec.strip()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _language(spec: str) -> str | None:
    """The language code of a label column suffix: ``English (en)``, ``vi``, ``Tiếng Việt``."""
    match = re.search(r"\(([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\)\s*$", spec)
    return _LANGUAGE_ALIASES.get(match.group(1).lower() if match else spec.strip().lower())


class _WorkbookReader:
    """Turns the rows of a workbook into a questionnaire document for the loader."""

    def __init__(self, sheets: Mapping[str, list[_Row]], problems: ProblemList,
                 defaults: Mapping[str, str]):
        self.sheets = sheets
        self.problems = problems
        self.defaults = defaults
        #: Line (survey row) of each section and question, by document path.
        self.lines: dict[Path, int] = {}
        self.default_language = "vi"

    def document(self) -> dict[str, Any]:
        settings = self._settings()
        lists = self._choice_lists()
        survey = self._sheet(c.SHEET_SURVEY, (c.COL_TYPE, c.COL_NAME))
        for sheet in (c.SHEET_SURVEY, c.SHEET_CHOICES):
            self._check_languages(sheet)
        introduction, sections = self._survey(survey, lists)
        data: dict[str, Any] = {c.FORMAT: c.FORMAT_VERSION, **settings}
        if introduction:
            data[c.INTRODUCTION] = introduction
        data[c.SECTIONS] = sections
        return data

    def _sheet(self, name: str, columns: tuple[str, ...]) -> list[_Row]:
        rows = self.sheets.get(name)
        if rows is None:
            self.problems.add("xlsform_missing_sheet", name, sheet=name)
            return []
        for column in columns:
            if column not in rows[0].cells:
                self.problems.add("xlsform_missing_column", f"{name}!1", column=column)
        return rows[1:]

    def _settings(self) -> dict[str, Any]:
        # The settings sheet and each of its columns are optional (as in XLSForm): what
        # is missing comes from the file (see _file_defaults).  XLSForm has no
        # translated title, so one title serves both languages unless par_title_en
        # gives the English one.
        rows = self.sheets.get(c.SHEET_SETTINGS, [])[1:]
        row = rows[0] if rows else _Row(2, {})
        self.default_language = _language(row.text(c.SETTING_DEFAULT_LANGUAGE)) or "vi"
        text = row.text(c.SETTING_FORM_TITLE) or self.defaults[c.TITLE]
        title = {self.default_language: text}
        if row.text(c.SETTING_TITLE_EN):
            title["en"] = row.text(c.SETTING_TITLE_EN)
        for lang in LANGUAGES:
            title.setdefault(lang, text)
        return {c.CODE: row.text(c.SETTING_FORM_ID) or self.defaults[c.CODE],
                c.VERSION: row.text(c.SETTING_VERSION) or self.defaults[c.VERSION],
                c.TITLE: title}

    def _check_languages(self, sheet: str) -> None:
        """One problem for a sheet with no label column in a language, rather than one
        for every label."""
        rows = self.sheets.get(sheet)
        if not rows or len(rows) < 2:
            return
        found = set()
        for column in rows[0].cells:
            base, separator, spec = column.partition("::")
            if base == c.COL_LABEL:
                found.add(_language(spec) if separator else self.default_language)
        for lang in LANGUAGES:
            if lang not in found:
                lang_vi, lang_en = _LANGUAGE_NAMES[lang]
                self.problems.add("xlsform_missing_language", f"{sheet}!1", sheet=sheet,
                                  column=_LABEL_COLUMNS[lang], lang_vi=lang_vi,
                                  lang_en=lang_en)

    def _labels(self, row: _Row) -> dict[str, str]:
        labels: dict[str, str] = {}
        for column, value in row.cells.items():
            base, separator, spec = column.partition("::")
            if base != c.COL_LABEL:
                continue
            language = _language(spec) if separator else self.default_language
            if language is not None:
                labels[language] = _cell_text(value)
        return labels

    def _choice_lists(self) -> dict[str, list[dict[str, Any]]]:
        if c.SHEET_CHOICES not in self.sheets:
            return {}
        rows = self._sheet(c.SHEET_CHOICES, (c.COL_LIST_NAME, c.COL_NAME))
        has_weights = c.COL_WEIGHT in self.sheets[c.SHEET_CHOICES][0].cells
        lists: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            option: dict[str, Any] = {c.VALUE: _option_value(row.cells.get(c.COL_NAME)),
                                      c.LABEL: self._labels(row)}
            if has_weights:
                option[c.WEIGHT] = _weight(row.cells.get(c.COL_WEIGHT))
            lists.setdefault(row.text(c.COL_LIST_NAME), []).append(option)
        return lists

    def _survey(self, rows: list[_Row], lists: Mapping[str, list[dict[str, Any]]],
                ) -> tuple[dict[str, str], list[dict[str, Any]]]:
        introduction: dict[str, list[str]] = {}
        sections: list[dict[str, Any]] = []
        groups: list[_Row] = []  # the begin_group rows of the open groups
        started = False  # a group or question has been seen
        current: dict[str, Any] | None = None  # the section questions go into
        for row in rows:
            place = f"{c.SHEET_SURVEY}!{row.number}"
            self._refuse_unsupported_columns(row, place)
            type_text = re.sub(r"\s+", " ", row.text(c.COL_TYPE).lower())
            base, list_name = _split_type(type_text)
            if not type_text:
                self.problems.add("xlsform_missing_column", place, column=c.COL_TYPE)
            elif base == c.TYPE_BEGIN_GROUP:
                started = True
                groups.append(row)
                if len(groups) > 1:
                    self.problems.add("xlsform_nested_group", place)
                    continue
                if row.text(c.COL_RELEVANT):
                    self.problems.add("xlsform_unsupported_column", place,
                                      column=c.COL_RELEVANT)
                current = self._new_section(sections, row.text(c.COL_NAME),
                                            self._labels(row), row.number)
            elif base == c.TYPE_END_GROUP:
                if not groups:
                    self.problems.add("xlsform_end_without_begin", place)
                    continue
                groups.pop()
                if not groups:
                    current = None
            elif base == c.TYPE_NOTE:
                if not started:
                    for lang, text in self._labels(row).items():
                        introduction.setdefault(lang, []).append(text)
            elif base in c.XLSFORM_METADATA_TYPES:
                continue
            elif base in _KINDS_BY_TYPE:
                started = True
                if current is None:
                    current = self._new_section(
                        sections, f"{c.IMPLICIT_SECTION_PREFIX}{len(sections) + 1}",
                        dict(_IMPLICIT_SECTION_TITLE), row.number)
                question = self._question(row, base, list_name, lists, place)
                if question is not None:
                    path = (c.SECTIONS, len(sections) - 1, c.QUESTIONS,
                            len(current[c.QUESTIONS]))
                    self.lines[path] = row.number
                    current[c.QUESTIONS].append(question)
            else:
                self.problems.add("xlsform_unsupported_type", place, type=type_text)
        for group in groups:
            self.problems.add("xlsform_group_not_closed", f"{c.SHEET_SURVEY}!{group.number}",
                              name=group.text(c.COL_NAME))
        return {lang: "\n\n".join(texts) for lang, texts in introduction.items()}, sections

    def _new_section(self, sections: list[dict[str, Any]], code: str, title: dict[str, str],
                     line: int) -> dict[str, Any]:
        section: dict[str, Any] = {c.CODE: code, c.TITLE: title, c.QUESTIONS: []}
        self.lines[(c.SECTIONS, len(sections))] = line
        sections.append(section)
        return section

    def _refuse_unsupported_columns(self, row: _Row, place: str) -> None:
        for column in c.XLSFORM_UNSUPPORTED_COLUMNS:
            if column in row.cells and row.text(column).lower() not in _FALSE_TEXTS:
                self.problems.add("xlsform_unsupported_column", place, column=column)

    def _question(self, row: _Row, base: str, list_name: str | None,
                  lists: Mapping[str, list[dict[str, Any]]],
                  place: str) -> dict[str, Any] | None:
        found_before = len(self.problems.problems)
        kind = self._kind(row, base, place)
        question: dict[str, Any] = {c.CODE: row.text(c.COL_NAME), c.KIND: kind,
                                    c.LABEL: self._labels(row),
                                    c.REQUIRED: self._required(row, place)}
        if base in (c.TYPE_SELECT_ONE, c.TYPE_SELECT_MULTIPLE):
            if list_name not in lists:
                self.problems.add("xlsform_unknown_list", place, list=list_name)
            else:
                question[c.OPTIONS] = lists[list_name]
        if base in (c.TYPE_INTEGER, c.TYPE_DECIMAL):
            question[c.INTEGER] = base == c.TYPE_INTEGER
        question.update(self._constraint(row, base, place))
        if row.text(c.COL_PAR_CRITERION):
            question[c.CRITERION] = row.text(c.COL_PAR_CRITERION)
        if row.text(c.COL_RELEVANT):
            question[c.RELEVANT] = self._relevant(row.text(c.COL_RELEVANT), place)
        return question if len(self.problems.problems) == found_before else None

    def _kind(self, row: _Row, base: str, place: str) -> str:
        kinds = _KINDS_BY_TYPE[base]
        par_kind = row.text(c.COL_PAR_KIND)
        if not par_kind:
            return kinds[0].value
        if par_kind not in kinds:
            self.problems.add("xlsform_kind_mismatch", place, kind=par_kind, type=base)
        return par_kind

    def _required(self, row: _Row, place: str) -> bool:
        value = row.cells.get(c.COL_REQUIRED)
        if isinstance(value, bool):
            return value
        text = _cell_text(value).lower()
        if text in _TRUE_TEXTS:
            return True
        if text not in _FALSE_TEXTS:
            self.problems.add("xlsform_bad_required", place, value=text)
        return False

    def _constraint(self, row: _Row, base: str, place: str) -> dict[str, Any]:
        expression = row.text(c.COL_CONSTRAINT)
        if not expression:
            return {}
        if base == c.TYPE_TEXT and (match := _LENGTH_RE.fullmatch(expression)):
            return {c.MAX_LENGTH: int(match["num"])}
        if base in (c.TYPE_INTEGER, c.TYPE_DECIMAL):
            bounds: dict[str, Any] = {}
            for part in re.split(r"\s+and\s+", expression):
                match = _BOUND_RE.fullmatch(part.strip())
                key = (c.MIN if match["op"] == ">=" else c.MAX) if match else None
                if key is None or key in bounds:
                    break
                bounds[key] = _number(match["num"])
            else:
                return bounds
        self.problems.add("xlsform_bad_constraint", place, expression=expression)
        return {}

    def _relevant(self, expression: str, place: str) -> dict[str, Any] | None:
        comparisons = _parse_relevant(expression)
        if comparisons:
            questions = {question for question, _, _ in comparisons}
            if len(comparisons) == 1:
                question, op, value = comparisons[0]
                return {c.QUESTION: question, c.OP: op, c.VALUE: value}
            if len(questions) == 1 and all(op == Op.EQ for _, op, _ in comparisons):
                return {c.QUESTION: questions.pop(), c.OP: Op.IN.value,
                        c.VALUE: [value for _, _, value in comparisons]}
        self.problems.add("xlsform_bad_relevant", place, expression=expression)
        return None


def _split_type(type_text: str) -> tuple[str, str | None]:
    """``"select_one yes_no"`` -> ``("select_one", "yes_no")``; ``"begin group"`` ->
    ``("begin_group", None)``."""
    match = re.fullmatch(r"select[ _](one|multiple) (\S+)", type_text)
    if match:
        kind = c.TYPE_SELECT_ONE if match.group(1) == "one" else c.TYPE_SELECT_MULTIPLE
        return kind, match.group(2)
    if re.fullmatch(r"(begin|end) group", type_text):
        return type_text.replace(" ", "_"), None
    return type_text, None


def _parse_relevant(expression: str) -> list[tuple[str, str, ConditionValue]] | None:
    """The comparisons of ``cmp or cmp or ...``, each ``(question, op, value)``; ``None``
    if the expression is anything else."""
    if match := _NOT_SELECTED_RE.fullmatch(expression):
        return [(match["sq"], Op.NE.value, _literal_value(match, "s"))]
    comparisons: list[tuple[str, str, ConditionValue]] = []
    position = 0
    while True:
        match = _COMPARISON_RE.match(expression, position)
        if match:
            comparisons.append((match["cq"], match["op"], _literal_value(match, "c")))
        elif match := _SELECTED_RE.match(expression, position):
            comparisons.append((match["sq"], Op.EQ.value, _literal_value(match, "s")))
        else:
            return None
        position = match.end()
        if position == len(expression):
            return comparisons
        separator = _OR_RE.match(expression, position)
        if separator is None:
            return None
        position = separator.end()


def _literal_value(match: re.Match[str], prefix: str) -> ConditionValue:
    number = match[f"{prefix}num"]
    if number is not None:
        return _number(number)
    text = match[f"{prefix}s1"]
    return text if text is not None else match[f"{prefix}s2"]


def _number(text: str) -> int | float:
    return int(text) if re.fullmatch(r"-?[0-9]+", text) else float(text)


def _option_value(value: Any) -> Any:
    """A choice name as the loader expects it: spreadsheets give ``1.0`` for ``1``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value.strip() if isinstance(value, str) else value


def _weight(value: Any) -> Any:
    """A weight cell: empty is no score; a number typed as text is read as a number."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        return _number(text) if _NUMBER_RE.fullmatch(text) else text
    return value
