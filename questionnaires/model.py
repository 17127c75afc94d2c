"""The questionnaire model: frozen dataclasses built by the loader.

A :class:`Form` is made of :class:`Section` objects holding :class:`Question` objects;
choice questions carry :class:`Option` objects, and a question shown only for some
answers carries a :class:`Condition`.  Every text shown to a respondent is a
:class:`~questionnaires.text.Label` in Vietnamese and English (also importable from
here).  Named scales of the file format are resolved into each question's options, so
two files that differ only in how they share options give equal forms with the same
:attr:`Form.content_hash`.

Objects are immutable and compare by value.  Build them with
:func:`questionnaires.form_from_dict` (or the file loaders), which checks everything;
the constructors themselves do not validate.
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from . import constants as c
from .answers import Answer, parse_answer
from .constants import Kind, Op
from .text import Label

#: A value a condition compares with: an option value or a number.
ConditionValue = str | int | float


@dataclass(frozen=True)
class Option:
    """One answer option of a choice question.

    ``weight`` is the share of the criterion's points the answer earns, from 0 to 1
    (kept to :data:`~questionnaires.constants.WEIGHT_DECIMALS` decimal places), or
    ``None`` for an answer that carries no score ("Không biết", don't know).
    """

    value: str
    label: Label
    weight: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The option as in the file format."""
        return {c.VALUE: self.value, c.LABEL: self.label.to_dict(), c.WEIGHT: self.weight}


@dataclass(frozen=True)
class Condition:
    """Show a question only if an earlier answer compares as given.

    ``value`` is an option value (``str``) or a number; for :attr:`Op.IN` it is a tuple
    of those.
    """

    question: str
    op: Op
    value: ConditionValue | tuple[ConditionValue, ...]

    def is_met(self, answers: Mapping[str, object]) -> bool:
        """Whether the condition holds for ``answers`` (question code -> answer).

        Answers are normalised values as :meth:`Question.parse_answer` returns them;
        numbers written as strings are accepted too.  An unanswered question (absent,
        ``None`` or ``""``) behaves as in XLSForm / ODK: ``!=`` is met, every other
        operator is not.  For a ``unit_rating`` question, pass the answers given for the
        unit at hand.  For a ``select_multiple`` answer (the chosen values joined by
        white space, or a list of them), ``=`` and ``in`` are met when one of the
        condition's values is among the chosen ones (XLSForm ``selected()``), ``!=`` when
        none is.

        >>> cond = Condition("q03", Op.EQ, "co")
        >>> cond.is_met({"q03": "co"}), cond.is_met({"q03": "khong"}), cond.is_met({})
        (True, False, False)
        >>> Condition("q05", Op.GE, 3).is_met({"q05": 4})
        True
        >>> channels = Condition("kenh", Op.EQ, "truc_tuyen")
        >>> channels.is_met({"kenh": "truc_tiep truc_tuyen"}), channels.is_met({"kenh": "khac"})
        (True, False)
        """
        answer = answers.get(self.question)
        if isinstance(answer, list | tuple):
            answer = " ".join(str(item) for item in answer)
        if answer is None or answer == "":
            return self.op is Op.NE
        values = self.value if isinstance(self.value, tuple) else (self.value,)
        if self.op is Op.EQ or self.op is Op.IN:
            return any(_equal(answer, value) for value in values)
        if self.op is Op.NE:
            return not any(_equal(answer, value) for value in values)
        return _ORDERING[self.op](_as_number(answer), _as_number(values[0]))

    def to_dict(self) -> dict[str, Any]:
        """The condition as in the file format."""
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {c.QUESTION: self.question, c.OP: self.op.value, c.VALUE: value}


_ORDERING = {Op.LT: operator.lt, Op.LE: operator.le, Op.GT: operator.gt, Op.GE: operator.ge}


def _as_number(answer: object) -> float:
    # NaN for anything that is not a number, so that every comparison fails (XPath).
    if isinstance(answer, bool):
        return math.nan
    if isinstance(answer, int | float):
        return float(answer)
    try:
        return float(str(answer).replace(",", "."))
    except ValueError:
        return math.nan


def _equal(answer: object, value: ConditionValue) -> bool:
    if isinstance(value, str):
        # Option values hold no white space, so a single choice splits into itself and a
        # select_multiple answer into its chosen values.
        return value in str(answer).split()
    return _as_number(answer) == value


@dataclass(frozen=True)
class Question:
    """One question.

    Only the fields that apply to the question's kind are meaningful: ``options`` for
    choices (``choice``, ``unit_rating``, ``select_multiple``, a choice ``background``),
    ``minimum``, ``maximum`` and ``integer`` for numbers (``number``, a numeric
    ``background``), ``max_length`` for ``text``.  ``criterion`` is the sub-criterion code a scored
    question feeds; ``None`` for an unscored one.
    """

    code: str
    kind: Kind
    label: Label
    required: bool = False
    options: tuple[Option, ...] = ()
    criterion: str | None = None
    relevant: Condition | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    integer: bool = True
    max_length: int | None = None

    @property
    def answer_kind(self) -> Kind:
        """The kind of answer taken: :attr:`Kind.CHOICE`, :attr:`Kind.SELECT_MULTIPLE`,
        :attr:`Kind.NUMBER` or :attr:`Kind.TEXT` (a ``unit_rating`` takes a choice per
        unit; a ``background`` question a choice or a number)."""
        if self.kind is Kind.TEXT or self.kind is Kind.SELECT_MULTIPLE:
            return self.kind
        if self.kind is Kind.NUMBER or (self.kind is Kind.BACKGROUND and not self.options):
            return Kind.NUMBER
        return Kind.CHOICE

    @property
    def takes_options(self) -> bool:
        """Whether the answer is chosen among :attr:`options` (one or, for
        ``select_multiple``, several)."""
        return self.answer_kind is Kind.CHOICE or self.answer_kind is Kind.SELECT_MULTIPLE

    @property
    def scored(self) -> bool:
        """Whether the question feeds a criterion."""
        return self.criterion is not None

    def text(self, lang: str = "vi", unit: str | None = None) -> str:
        """The label in ``lang``, with ``{unit}`` replaced by the rated unit's name.

        >>> q = Question("q01", Kind.UNIT_RATING, Label("Lãnh đạo {unit}", "Leaders of {unit}"))
        >>> q.text("vi", unit="Sở Tư pháp")
        'Lãnh đạo Sở Tư pháp'
        """
        label = self.label.get(lang)
        return label if unit is None else label.replace(c.UNIT_PLACEHOLDER, unit)

    def option(self, value: str) -> Option:
        """The option with ``value``; :class:`KeyError` if there is none."""
        for option in self.options:
            if option.value == value:
                return option
        raise KeyError(value)

    def parse_answer(self, raw: str | Sequence[str] | None) -> Answer:
        """Check one raw answer and return it normalised; see
        :func:`questionnaires.answers.parse_answer`.

        >>> q = Question("b2", Kind.NUMBER, Label("Số năm", "Years"), minimum=0, maximum=40)
        >>> q.parse_answer(" 12 ")
        12
        >>> q.parse_answer("50")
        Traceback (most recent call last):
        ...
        questionnaires.answers.AnswerError: b2: The value must be at most 40.
        """
        return parse_answer(self, raw)

    def to_dict(self) -> dict[str, Any]:
        """The question as in the file format, with only the keys of its kind."""
        out: dict[str, Any] = {
            c.CODE: self.code,
            c.KIND: self.kind.value,
            c.LABEL: self.label.to_dict(),
            c.REQUIRED: self.required,
        }
        answer_kind = self.answer_kind
        if answer_kind is Kind.CHOICE or answer_kind is Kind.SELECT_MULTIPLE:
            out[c.OPTIONS] = [option.to_dict() for option in self.options]
        elif answer_kind is Kind.NUMBER:
            if self.minimum is not None:
                out[c.MIN] = self.minimum
            if self.maximum is not None:
                out[c.MAX] = self.maximum
            out[c.INTEGER] = self.integer
        else:
            out[c.MAX_LENGTH] = self.max_length
        if self.criterion is not None:
            out[c.CRITERION] = self.criterion
        if self.relevant is not None:
            out[c.RELEVANT] = self.relevant.to_dict()
        return out


@dataclass(frozen=True)
class Section:
    """A titled group of questions, shown together."""

    code: str
    title: Label
    questions: tuple[Question, ...]

    def to_dict(self) -> dict[str, Any]:
        """The section as in the file format."""
        return {
            c.CODE: self.code,
            c.TITLE: self.title.to_dict(),
            c.QUESTIONS: [question.to_dict() for question in self.questions],
        }


@dataclass(frozen=True)
class Form:
    """A questionnaire (phiếu khảo sát) in one version."""

    code: str
    version: str
    title: Label
    sections: tuple[Section, ...]
    introduction: Label | None = None

    def questions(self) -> Iterator[Question]:
        """Every question, in order."""
        for section in self.sections:
            yield from section.questions

    def question(self, code: str) -> Question:
        """The question with ``code``; :class:`KeyError` if there is none."""
        return self._by_code[code]

    def scored_questions(self) -> Iterator[Question]:
        """The questions that feed a criterion, in order."""
        return (question for question in self.questions() if question.scored)

    def criteria(self) -> tuple[str, ...]:
        """The criterion codes the form feeds, each once, in order of first use."""
        return tuple(dict.fromkeys(q.criterion for q in self.questions() if q.criterion))

    @cached_property
    def _by_code(self) -> dict[str, Question]:
        return {question.code: question for question in self.questions()}

    def to_dict(self) -> dict[str, Any]:
        """The form as a document of the file format (scales resolved into options).

        ``form_from_dict(form.to_dict()) == form`` for every valid form.
        """
        out: dict[str, Any] = {
            c.FORMAT: c.FORMAT_VERSION,
            c.CODE: self.code,
            c.VERSION: self.version,
            c.TITLE: self.title.to_dict(),
        }
        if self.introduction is not None:
            out[c.INTRODUCTION] = self.introduction.to_dict()
        out[c.SECTIONS] = [section.to_dict() for section in self.sections]
        return out

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON of :meth:`to_dict`.

        Canonical means sorted keys, no insignificant white space and UTF-8 text, so the
        hash depends on the content only: not on the YAML layout, comments, key order or
        whether options were written inline or as a shared scale.  The service stores it
        next to the version so that a changed file under an old version number shows.
        """
        text = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False,
                          separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
