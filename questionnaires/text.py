"""Text in Vietnamese and English, and the one error type that carries such a text.

Everything this project shows a person comes in the two languages of
:data:`LANGUAGES`: a :class:`Label` holds a text in both, and a
:class:`BilingualError` is an exception whose message is a :class:`Label`, with an
optional HTTP status for the web service.  Every error the libraries raise for a
person to read derives from :class:`BilingualError`, so a command line or a web page
can catch that one type and show the message in the reader's language.

This module imports nothing from the rest of the project: it is the bottom of
``questionnaires``, itself the bottom layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Languages a text can be shown in; the first is the default.
LANGUAGES: tuple[str, ...] = ("vi", "en")


@dataclass(frozen=True)
class Label:
    """A text in Vietnamese and English."""

    vi: str
    en: str

    def get(self, lang: str = "vi") -> str:
        """The text in ``lang`` (Vietnamese for any language other than English).

        >>> Label("Có", "Yes").get("en")
        'Yes'
        """
        return self.en if lang == "en" else self.vi

    def to_dict(self) -> dict[str, str]:
        """``{"vi": ..., "en": ...}``."""
        return {lang: self.get(lang) for lang in LANGUAGES}


class BilingualError(Exception):
    """An error whose message a person reads, in Vietnamese and English.

    Parameters
    ----------
    vi, en:
        The message in Vietnamese and in English.
    status:
        The HTTP status a web page or API answers with, or ``None`` to leave that to
        the caller (a command line has no use for it).

    Attributes
    ----------
    label:
        The message as a :class:`Label`.
    status:
        The HTTP status, or ``None``.

    Look a message up with :meth:`message`; :attr:`messages` gives both languages and
    ``str(error)`` the English text (what a log or a traceback shows).

    Examples
    --------
    >>> error = BilingualError("Không tìm thấy phiếu.", "No such form.", status=404)
    >>> error.message("vi"), error.status
    ('Không tìm thấy phiếu.', 404)
    >>> error.messages
    {'vi': 'Không tìm thấy phiếu.', 'en': 'No such form.'}
    >>> str(error)
    'No such form.'
    >>> raise error
    Traceback (most recent call last):
    ...
    questionnaires.text.BilingualError: No such form.
    """

    def __init__(self, vi: str, en: str, *, status: int | None = None):
        super().__init__(en)
        self.label = Label(vi, en)
        self.status = status

    def message(self, lang: str = "vi") -> str:
        """The message in ``lang`` (Vietnamese for any language other than English)."""
        return self.label.get(lang)

    @property
    def messages(self) -> dict[str, str]:
        """The message in each language of :data:`LANGUAGES`: ``{"vi": ..., "en": ...}``."""
        return {lang: self.message(lang) for lang in LANGUAGES}

    def __str__(self) -> str:
        return self.message("en")

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take other constructor arguments than ``args``, so rebuild the
        # error from its attributes rather than by calling the class (pickle, copy).
        return _restore, (type(self), self.args, self.__dict__)


def _restore(cls: type[BilingualError], args: tuple[Any, ...],
             state: dict[str, Any]) -> BilingualError:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error
