"""Check and normalise one raw answer, as it arrives from an HTML form.

A web form sends every answer as a string: the value of the chosen option, the text of
a number field, or free text.  :func:`parse_answer` turns that string into the value the
service stores (``str`` for choices and text, ``int`` or ``float`` for numbers, ``None``
for no answer) or raises :class:`AnswerError`, whose problem code and two messages the
form shows next to the question.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from .constants import Kind
from .messages import ANSWER_PROBLEMS
from .text import BilingualError

if TYPE_CHECKING:
    from .model import Question

#: A normalised answer.
Answer = str | int | float | None

_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
# Vietnamese writes the decimal mark as a comma, so both "2,5" and "2.5" are accepted;
# thousands separators are not.
_DECIMAL_RE = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")


class AnswerError(BilingualError, ValueError):
    """One answer is not acceptable: a :class:`~questionnaires.text.BilingualError`
    (HTTP status 422) whose message the form shows next to the question.

    ``str(error)`` is the English message after the question code.

    Attributes
    ----------
    code:
        Stable problem code: ``required``, ``not_an_option``, ``not_a_number``,
        ``not_an_integer``, ``below_minimum``, ``above_maximum`` or ``too_long``.
    question:
        Code of the question answered.

    >>> error = AnswerError("above_maximum", "b2", maximum=40)
    >>> error.message("en"), str(error), error.status
    ('The value must be at most 40.', 'b2: The value must be at most 40.', 422)
    """

    def __init__(self, code: str, question: str, **params: object):
        vi, en = ANSWER_PROBLEMS[code]
        self.code = code
        self.question = question
        super().__init__(vi.format(**params), en.format(**params), status=422)

    def __str__(self) -> str:
        return f"{self.question}: {self.message('en')}"


def parse_answer(question: Question, raw: str | None) -> Answer:
    """Check one raw answer to ``question`` and return it normalised.

    Surrounding white space is ignored, and a blank answer is no answer.  Choices must
    be one of the option values.  Numbers accept a dot or a comma as the decimal mark
    (``2,5``), no thousands separators; an integer question returns ``int``, a decimal
    one ``float``.  Text is returned in Unicode NFC form (Vietnamese typed on different
    keyboards arrives composed or decomposed) and its length is counted in that form.

    Call it only for questions that are shown (whose condition is met): a required
    question that is not shown needs no answer.

    Parameters
    ----------
    question:
        The question answered.
    raw:
        The string the form sent, or ``None`` if the field was absent.

    Returns
    -------
    str, int, float or None
        The normalised answer; ``None`` when not answered and not required.

    Raises
    ------
    AnswerError
        If the answer is missing but required, or not acceptable.
    """
    text = unicodedata.normalize("NFC", raw).strip() if raw is not None else ""
    if not text:
        if question.required:
            raise AnswerError("required", question.code)
        return None
    kind = question.answer_kind
    if kind is Kind.CHOICE:
        if not any(option.value == text for option in question.options):
            raise AnswerError("not_an_option", question.code)
        return text
    if kind is Kind.NUMBER:
        return _parse_number(question, text)
    if question.max_length is not None and len(text) > question.max_length:
        raise AnswerError("too_long", question.code, max_length=question.max_length)
    return text


def _parse_number(question: Question, text: str) -> int | float:
    number: int | float
    if question.integer:
        if _INTEGER_RE.fullmatch(text):
            number = int(text)
        elif _DECIMAL_RE.fullmatch(text):
            raise AnswerError("not_an_integer", question.code)
        else:
            raise AnswerError("not_a_number", question.code)
    elif _DECIMAL_RE.fullmatch(text):
        number = float(text.replace(",", "."))
    else:
        raise AnswerError("not_a_number", question.code)
    if question.minimum is not None and number < question.minimum:
        raise AnswerError("below_minimum", question.code, minimum=question.minimum)
    if question.maximum is not None and number > question.maximum:
        raise AnswerError("above_maximum", question.code, maximum=question.maximum)
    return number
