"""The service's one error type, and how a page or the API shows it.

Every error a person causes and reads derives from
:class:`questionnaires.text.BilingualError`: a message in Vietnamese and English and,
here, the HTTP status it answers with.  Operations raise :class:`ServiceError` (or the
libraries' own errors, which share the base); a route catches one type and shows
``exc.message(current_lang())``, the command line prints it and exits 2.
"""

from __future__ import annotations

from questionnaires.text import BilingualError

__all__ = ["BilingualError", "ServiceError", "status_of"]


class ServiceError(BilingualError):
    """An action of the service that cannot be done as asked (400 unless said otherwise).

    >>> error = ServiceError("Không có phiếu này.", "There is no such slot.", status=404)
    >>> error.message("en"), error.status
    ('There is no such slot.', 404)
    """

    def __init__(self, vi: str, en: str, *, status: int = 400):
        super().__init__(vi, en, status=status)


def status_of(error: BilingualError, default: int = 400) -> int:
    """The HTTP status to answer ``error`` with.

    >>> status_of(BilingualError("x", "x")), status_of(ServiceError("x", "x", status=409))
    (400, 409)
    """
    return error.status or default
