"""The formats of the published report: how each is written, its media type and suffix."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from .content import Report


class Format(NamedTuple):
    write: Callable[[Report], bytes]
    mimetype: str
    suffix: str


def _docx(report: Report) -> bytes:
    from .word import write_docx

    return write_docx(report)


def _pdf(report: Report) -> bytes:
    from .pdf import write_pdf

    return write_pdf(report)


def _xlsx(report: Report) -> bytes:
    from .workbook import write_xlsx

    return write_xlsx(report)


FORMATS: dict[str, Format] = {
    "docx": Format(_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                   ".docx"),
    "pdf": Format(_pdf, "application/pdf", ".pdf"),
    "xlsx": Format(_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
}


def file_name(report: Report, fmt: str) -> str:
    """The download's name: ``chi-so-cchc-laichau-2020.pdf`` (``par-index-...`` in English)."""
    stem = "chi-so-cchc" if report.lang == "vi" else "par-index"
    return f"{stem}-{report.plan}{'-tam-tinh' if report.banner and report.lang == 'vi' else ''}" \
           f"{'-preliminary' if report.banner and report.lang == 'en' else ''}{FORMATS[fmt].suffix}"
