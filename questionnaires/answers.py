"""Check and normalise one raw answer, as it arrives from an HTML form.

A web form sends every answer as a string: the value of the chosen option, the text of
a number field, or free text; the ticked boxes of a ``select_multiple`` question come as
a list of option values.  :func:`parse_answer` turns that into the value the service
stores (``str`` for choices, text and ``select_multiple`` answers, ``int`` or ``float``
for numbers, ``None`` for no answer) or raises :class:`AnswerError`, whose problem code
and two messages the form shows next to the question.

Whatever comes in, what comes out can be stored by any database and written to any
spreadsheet: text holds no control character but tabs and line breaks (PostgreSQL
refuses NUL, XML the other control characters), is in Unicode NFC form and has a
bounded length; a number has at most :data:`~.constants.MAX_NUMBER_DIGITS` digits, so
it is finite and exact.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .constants import DEFAULT_TEXT_MAX_LENGTH, MAX_NUMBER_DIGITS, TEXT_MAX_LENGTH_LIMIT, Kind
from .messages import ANSWER_PROBLEMS
from .text import BilingualError

if TYPE_CHECKING:
    from .model import Question

#: A normalised answer.
Answer = str | int | float | None

_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
# The chosen values of a select_multiple answer: separated by white space or commas.
_MULTIPLE_SEPARATOR_RE = re.compile(r"[\s,]+")
# Vietnamese writes the decimal mark as a comma, so both "2,5" and "2.5" are accepted;
# thousands separators are not.
_DECIMAL_RE = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")

#: What no answer may hold: control characters other than tab, line feed and carriage
#: return (C0, DEL, C1), lone surrogates and the non-characters U+FFFE and U+FFFF.
FORBIDDEN_CHARACTERS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

#: Problems with the input itself, beside :data:`~.messages.ANSWER_PROBLEMS`.
INPUT_PROBLEMS: dict[str, tuple[str, str]] = {
    "control_characters": (
        "Câu trả lời có ký tự điều khiển không nhìn thấy được (thường do sao chép từ văn bản "
        "khác). Xin kiểm tra lại nội dung rồi gửi lại.",
        "The answer holds invisible control characters (often left by copying text from "
        "another program). Please check the text and send it again."),
    "one_answer": ("Câu hỏi này chỉ nhận một câu trả lời.",
                   "This question takes a single answer."),
    "number_too_long": ("Số quá dài: tối đa {digits} chữ số.",
                        "The number is too long: at most {digits} digits."),
}


def clean_text(text: str) -> str:
    """``text`` without the characters no answer may hold, in Unicode NFC form.

    Tabs and line breaks stay.  What a form shows back to be corrected, and what the
    service accepts in fields that are not answers.

    >>> clean_text("Ý kiến\\x0bkhác\\x00")
    'Ý kiếnkhác'
    """
    return unicodedata.normalize("NFC", FORBIDDEN_CHARACTERS_RE.sub("", text))


class AnswerError(BilingualError, ValueError):
    """One answer is not acceptable: a :class:`~questionnaires.text.BilingualError`
    (HTTP status 422) whose message the form shows next to the question.

    ``str(error)`` is the English message after the question code.

    Attributes
    ----------
    code:
        Stable problem code: ``required``, ``not_an_option``, ``not_a_number``,
        ``not_an_integer``, ``number_too_long``, ``below_minimum``, ``above_maximum``,
        ``too_long``, ``control_characters`` or ``one_answer`` (several answers sent to
        a question that takes one).
    question:
        Code of the question answered.

    >>> error = AnswerError("above_maximum", "b2", maximum=40)
    >>> error.message("en"), str(error), error.status
    ('The value must be at most 40.', 'b2: The value must be at most 40.', 422)
    """

    def __init__(self, code: str, question: str, **params: object):
        vi, en = ANSWER_PROBLEMS[code] if code in ANSWER_PROBLEMS else INPUT_PROBLEMS[code]
        self.code = code
        self.question = question
        super().__init__(vi.format(**params), en.format(**params), status=422)

    def __str__(self) -> str:
        return f"{self.question}: {self.message('en')}"


def parse_answer(question: Question, raw: str | Sequence[str] | None) -> Answer:
    """Check one raw answer to ``question`` and return it normalised.

    Surrounding white space is ignored, and a blank answer is no answer.  Choices must
    be one of the option values.  A ``select_multiple`` answer is a string of option
    values separated by white space or commas, or a list of them (what an HTML form's
    checkboxes send); it is returned as the chosen values joined by one space, each
    once, in the order of the question's options (as ODK stores it).  Numbers accept a dot or a comma as the decimal mark
    (``2,5``), no thousands separators, at most :data:`~.constants.MAX_NUMBER_DIGITS`
    digits; an integer question returns ``int``, a decimal one ``float``.  Text is
    returned in Unicode NFC form (Vietnamese typed on different keyboards arrives
    composed or decomposed) and its length is counted in that form; it may hold tabs
    and line breaks but no other control character (see :func:`clean_text`), and is at
    most ``max_length`` characters long (:data:`~.constants.DEFAULT_TEXT_MAX_LENGTH`
    when the question does not say).

    Call it only for questions that are shown (whose condition is met): a required
    question that is not shown needs no answer.

    Parameters
    ----------
    question:
        The question answered.
    raw:
        The string the form sent, or ``None`` if the field was absent; for a
        ``select_multiple`` question also a list of strings.

    Returns
    -------
    str, int, float or None
        The normalised answer; ``None`` when not answered and not required.

    Raises
    ------
    AnswerError
        If the answer is missing but required, or not acceptable.

    Examples
    --------
    >>> from questionnaires.model import Option, Question
    >>> from questionnaires.text import Label
    >>> channels = Question("kenh", Kind.SELECT_MULTIPLE, Label("Kênh", "Channels"),
    ...     options=tuple(Option(v, Label(v, v)) for v in ("a", "b", "c")))
    >>> parse_answer(channels, ["c", "a"]), parse_answer(channels, "a, c a")
    ('a c', 'a c')
    >>> parse_answer(channels, []) is None
    True
    """
    if question.answer_kind is Kind.SELECT_MULTIPLE:
        return _parse_multiple(question, raw)
    if isinstance(raw, list | tuple) and len(raw) == 1:
        raw = raw[0]
    if not isinstance(raw, str | None):
        raise AnswerError("one_answer", question.code)
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
    if FORBIDDEN_CHARACTERS_RE.search(text):
        raise AnswerError("control_characters", question.code)
    limit = min(question.max_length or DEFAULT_TEXT_MAX_LENGTH, TEXT_MAX_LENGTH_LIMIT)
    if len(text) > limit:
        raise AnswerError("too_long", question.code, max_length=limit)
    return text


def _parse_multiple(question: Question, raw: str | Sequence[str] | None) -> str | None:
    if raw is None:
        items: list[str] = []
    elif isinstance(raw, str):
        items = [raw]
    elif isinstance(raw, list | tuple) and all(isinstance(item, str) for item in raw):
        items = list(raw)
    else:
        raise AnswerError("not_an_option", question.code)
    chosen: set[str] = set()
    for item in items:
        chosen.update(_MULTIPLE_SEPARATOR_RE.split(unicodedata.normalize("NFC", item)))
    chosen.discard("")
    if not chosen:
        if question.required:
            raise AnswerError("required", question.code)
        return None
    values = [option.value for option in question.options]
    if not chosen.issubset(values):
        raise AnswerError("not_an_option", question.code)
    return " ".join(value for value in values if value in chosen)


def _parse_number(question: Question, text: str) -> int | float:
    number: int | float
    if question.integer:
        if _INTEGER_RE.fullmatch(text):
            _check_digits(question, text)
            number = int(text)
        elif _DECIMAL_RE.fullmatch(text):
            raise AnswerError("not_an_integer", question.code)
        else:
            raise AnswerError("not_a_number", question.code)
    elif _DECIMAL_RE.fullmatch(text):
        _check_digits(question, text)
        number = float(text.replace(",", "."))
    else:
        raise AnswerError("not_a_number", question.code)
    if not math.isfinite(number):  # cannot happen within the digit limit; kept as a guard
        raise AnswerError("number_too_long", question.code, digits=MAX_NUMBER_DIGITS)
    if question.minimum is not None and number < question.minimum:
        raise AnswerError("below_minimum", question.code, minimum=question.minimum)
    if question.maximum is not None and number > question.maximum:
        raise AnswerError("above_maximum", question.code, maximum=question.maximum)
    return number


def _check_digits(question: Question, text: str) -> None:
    """Refuse a number typed with more than :data:`~.constants.MAX_NUMBER_DIGITS` digits
    (a 5,000-digit integer cannot even be converted, a 400-digit decimal is infinite)."""
    if sum(ch.isdigit() for ch in text) > MAX_NUMBER_DIGITS:
        raise AnswerError("number_too_long", question.code, digits=MAX_NUMBER_DIGITS)
