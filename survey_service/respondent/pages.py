"""How a questionnaire is cut into pages for a phone, and how a page's answers are read.

Pure functions over :mod:`questionnaires` objects: no request, no database.

A form becomes: an introduction page; one page per section of ordinary questions; for
each run of sections that rate units (``unit_rating`` questions), one page per rated
unit holding all those questions about that unit ("Đơn vị 3/20"); and a review page
from which the form is sent.  Answers are keyed ``question`` or ``question@unit``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from questionnaires import AnswerError, Form, Kind, Question, Section
from questionnaires.answers import clean_text

#: Field name of the "I don't know this unit" box on a unit page.
UNKNOWN_UNIT_FIELD = "_khong_biet_don_vi"

INTRO, QUESTIONS, UNIT, REVIEW = "intro", "questions", "unit", "review"


@dataclass(frozen=True)
class RatedUnit:
    """A unit the respondent rates."""

    code: str
    name: str


@dataclass(frozen=True)
class Page:
    """One page of the form.

    ``sections`` hold only the questions shown on this page (for a unit page, the
    ``unit_rating`` questions of the run of sections, each asked about ``unit``).
    """

    kind: str
    sections: tuple[Section, ...] = ()
    unit: RatedUnit | None = None
    unit_number: int = 0
    unit_count: int = 0

    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]


def answer_key(question: Question | str, unit: RatedUnit | None = None) -> str:
    """The key of an answer in a draft: ``q01`` or ``q01@so-tu-phap``."""
    code = question if isinstance(question, str) else question.code
    return f"{code}@{unit.code}" if unit is not None else code


def _is_matrix(section: Section) -> bool:
    return any(q.kind is Kind.UNIT_RATING for q in section.questions)


def build_pages(form: Form, units: Sequence[RatedUnit]) -> list[Page]:
    """The pages of ``form`` for a respondent who rates ``units``.

    >>> import questionnaires
    >>> form = questionnaires.load_builtin("CT-01")
    >>> pages = build_pages(form, [RatedUnit("a", "Sở A"), RatedUnit("b", "Sở B")])
    >>> [p.kind for p in pages]
    ['intro', 'questions', 'unit', 'unit', 'questions', 'review']
    """
    pages = [Page(INTRO)]
    run: list[Section] = []

    def flush() -> None:
        if not run:
            return
        plain = tuple(Section(s.code, s.title, tuple(q for q in s.questions
                                                      if q.kind is not Kind.UNIT_RATING))
                      for s in run)
        plain = tuple(s for s in plain if s.questions)
        if plain:
            pages.append(Page(QUESTIONS, plain))
        rated = tuple(Section(s.code, s.title, tuple(q for q in s.questions
                                                      if q.kind is Kind.UNIT_RATING))
                      for s in run)
        for number, unit in enumerate(units, start=1):
            pages.append(Page(UNIT, rated, unit, number, len(units)))
        run.clear()

    for section in form.sections:
        if _is_matrix(section):
            run.append(section)
            continue
        flush()
        if section.questions:
            pages.append(Page(QUESTIONS, (section,)))
    flush()
    pages.append(Page(REVIEW))
    return pages


def context(page: Page, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers a condition on ``page`` sees: every plain answer, and on a unit page
    the answers about that unit under their question codes."""
    ctx = {k: v for k, v in answers.items() if "@" not in k}
    if page.unit is not None:
        suffix = f"@{page.unit.code}"
        ctx.update({k[: -len(suffix)]: v for k, v in answers.items() if k.endswith(suffix)})
    return ctx


def visible(question: Question, page: Page, answers: Mapping[str, Any]) -> bool:
    """Whether ``question`` is shown, given the answers so far."""
    return question.relevant is None or question.relevant.is_met(context(page, answers))


def depends_on_page(question: Question, page: Page) -> bool:
    """Whether ``question``'s condition refers to another question on the same page.

    Without a script the page cannot react while it is being filled, so such a question
    is always shown (with a hint), and its answer is ignored if the condition fails.
    """
    return question.relevant is not None and any(
        q.code == question.relevant.question for q in page.questions())


def shown(question: Question, page: Page, answers: Mapping[str, Any]) -> bool:
    """Whether to put ``question`` on the page."""
    return depends_on_page(question, page) or visible(question, page, answers)


def dont_know_value(question: Question) -> str | None:
    """The option that carries no score ("Không biết"), if the question has one."""
    return next((o.value for o in question.options if o.weight is None), None)


def unit_unknown(page: Page, answers: Mapping[str, Any]) -> bool:
    """Whether the "I don't know this unit" box of ``page`` shows ticked: every question
    about the unit holds what the box stores (its "Không biết" option, or no answer).

    >>> import questionnaires
    >>> form = questionnaires.load_builtin("CT-01")
    >>> page = build_pages(form, [RatedUnit("a", "Sở A")])[2]
    >>> unit_unknown(page, {answer_key(q, page.unit): dont_know_value(q) for q in page.questions()})
    True
    >>> unit_unknown(page, {}), unit_unknown(page, {"q01@a": "tot"})
    (False, False)
    """
    if page.unit is None:
        return False
    stored = [(answer_key(q, page.unit), dont_know_value(q)) for q in page.questions()]
    return (any(value is not None for _, value in stored)
            and all(answers.get(key) == value for key, value in stored))


@dataclass
class PageInput:
    """What a respondent sent for one page."""

    values: dict[str, Any]
    raw: dict[str, str]
    errors: dict[str, AnswerError]
    unknown_unit: bool = False


def field_suffix(page: Page, *, all_on_one: bool = False) -> str:
    """What follows the question code in a field's name: nothing on a phone page (one
    unit per page); ``@unit`` when every page is on one sheet (paper entry)."""
    return f"@{page.unit.code}" if all_on_one and page.unit is not None else ""


def _sent(form_data: Mapping[str, Any], name: str, question: Question) -> str | list[str] | None:
    """What the form sent for one question: the text of its field, or for a
    ``select_multiple`` the values of its ticked boxes (several fields of one name)."""
    if question.answer_kind is not Kind.SELECT_MULTIPLE:
        return form_data.get(name)
    getlist = getattr(form_data, "getlist", None)
    if getlist is not None:
        return [str(value) for value in getlist(name)]
    value = form_data.get(name)
    return value if value is None or isinstance(value, str) else [str(v) for v in value]


def read_page(page: Page, form_data: Mapping[str, Any], answers: Mapping[str, Any],
              suffix: str = "") -> PageInput:
    """Check the answers sent for ``page`` (field name = question code + ``suffix``).

    Returns the normalised answers to store (keyed as in drafts), the raw texts to
    show again, and an :class:`AnswerError` per question that needs fixing.  On a
    unit page, "I don't know this unit" answers every question about it with its
    "Không biết" option.  Answers of questions hidden by a condition are dropped.

    Every answer goes through :func:`questionnaires.parse_answer`, the one check of
    what a respondent (or staff keying in a paper form) types: a text with a control
    character (a NUL, a vertical tab pasted from a word processor) is refused with a
    message, and shown again without it (:func:`~questionnaires.answers.clean_text`),
    so that sending the page once more stores the text as it is then shown.  The boxes
    of a ``select_multiple`` question share its field name; they are read with
    ``getlist`` and shown again as the values joined by spaces.
    """
    values: dict[str, Any] = {}
    raw: dict[str, str] = {}
    errors: dict[str, AnswerError] = {}
    unknown_unit = page.unit is not None and form_data.get(UNKNOWN_UNIT_FIELD + suffix) == "1"
    merged = dict(answers)
    for question in page.questions():
        key = answer_key(question, page.unit)
        text = _sent(form_data, question.code + suffix, question)
        if isinstance(text, list):
            if text:
                raw[question.code] = " ".join(clean_text(value) for value in text)
        elif text is not None:
            raw[question.code] = clean_text(text)
        if unknown_unit:
            values[key] = dont_know_value(question)
            merged[key] = values[key]
            continue
        if not visible(question, page, merged):
            values[key] = None
            continue
        try:
            values[key] = question.parse_answer(text)
        except AnswerError as exc:
            errors[question.code] = exc
            values[key] = None
        merged[key] = values[key]
    return PageInput(values, raw, errors, unknown_unit)


def missing_answers(pages: Sequence[Page], answers: Mapping[str, Any]) -> int | None:
    """The first page with a required, shown question left unanswered (None: complete)."""
    for index, page in enumerate(pages):
        for question in page.questions():
            if not question.required or not visible(question, page, answers):
                continue
            if answers.get(answer_key(question, page.unit)) in (None, ""):
                return index
    return None


def page_progress(page: Page, answers: Mapping[str, Any]) -> tuple[int, int]:
    """(answered, shown) questions of a page, for the review page."""
    shown = [q for q in page.questions() if visible(q, page, answers)]
    done = sum(1 for q in shown if answers.get(answer_key(q, page.unit)) not in (None, ""))
    return done, len(shown)
