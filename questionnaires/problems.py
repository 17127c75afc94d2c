"""Problems found in a data file, each with its place, in Vietnamese and English.

Plans, questionnaires and scoring rules are files that people write by hand. A
loader that stops at the first mistake with a traceback wastes their afternoon, so
every loader in this project collects *all* the problems it finds, each tied to a
place in the file (``groups[3].quota.per``, shown with its line number when the file
is YAML), and raises one :class:`DataFileError` that carries the list.

Messages are kept as templates in two languages, keyed by a stable problem code, so
that a command line or a web page can show them in the reader's language and tests
can check the code rather than the wording.

This module is shared by ``questionnaires`` and ``sampling`` (which may import
``questionnaires``; never the other way round).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .text import LANGUAGES, BilingualError

Path = tuple[str | int, ...]

#: Problems of a document's structure, shared by every loader's catalogue.
STRUCTURE_PROBLEMS: dict[str, tuple[str, str]] = {
    "not_mapping": ("phải là một khối khóa: giá trị", "must be a mapping of keys to values"),
    "not_list": ("phải là một danh sách", "must be a list"),
    "missing": ("thiếu mục bắt buộc '{key}'", "the required key '{key}' is missing"),
    "unknown_key": ("khóa không được hỗ trợ '{key}' (được phép: {allowed})",
                    "unsupported key '{key}' (allowed: {allowed})"),
    "not_text": ("phải là một chuỗi văn bản không rỗng", "must be a non-empty text"),
}


def format_path(path: Path) -> str:
    """Render a path inside a document the way a person reads it.

    >>> format_path(("groups", 3, "quota", "per"))
    'groups[3].quota.per'
    >>> format_path(())
    '(top level)'
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


@dataclass(frozen=True)
class Problem:
    """One problem in a data file.

    Attributes
    ----------
    code:
        Stable identifier of the kind of problem (``unknown_unit_kind``, ...).
    place:
        Where it is, as a person reads it: a path in the document
        (``groups[3].quota.per``), a sheet and row (``survey!12``), or a form /
        section / question path (``CT-01 / A / q03``).
    messages:
        The message in each language of :data:`LANGUAGES`.
    line:
        Line number in the source file (1-based), where known.
    """

    code: str
    place: str
    messages: Mapping[str, str]
    line: int | None = None
    source: str | None = None

    def message(self, lang: str = "vi") -> str:
        """The message in ``lang`` (Vietnamese if that language is not available)."""
        return self.messages.get(lang) or self.messages[LANGUAGES[0]]

    def describe(self, lang: str = "vi") -> str:
        """One line: ``file:line: place: message``."""
        where = self.place
        if self.line is not None:
            where = f"{'line' if lang == 'en' else 'dòng'} {self.line}, {where}"
        if self.source:
            where = f"{self.source}: {where}"
        return f"{where}: {self.message(lang)}"


@dataclass
class ProblemList:
    """Collects problems while a loader walks a document.

    ``catalogue`` maps a problem code to its ``(vi, en)`` templates, which are
    filled with :meth:`str.format` keyword arguments.  ``lines`` maps document
    paths to source line numbers (see :func:`questionnaires.yamlsource.load_yaml`).
    """

    catalogue: Mapping[str, tuple[str, str]]
    source: str | None = None
    lines: Mapping[Path, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add(self, code: str, path: Path | str, /, **params: Any) -> None:
        """Record problem ``code`` at ``path`` (a document path or a ready place)."""
        vi, en = self.catalogue[code]
        if isinstance(path, str):
            place, line = path, None
        else:
            place, line = format_path(path), self.line_of(path)
        self.problems.append(
            Problem(
                code=code,
                place=place,
                messages={"vi": vi.format(**params), "en": en.format(**params)},
                line=line,
                source=self.source,
            )
        )

    def at(self, code: str, place: str, path: Path, /, **params: Any) -> None:
        """Record problem ``code`` at a ready-made ``place`` (``CT-01 / A / q03``),
        with the source line of the document ``path``."""
        self.add(code, place, **params)
        self.problems[-1] = replace(self.problems[-1], line=self.line_of(path))

    def line_of(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, what: str) -> None:
        """Raise :class:`DataFileError` if any problem was recorded."""
        if self.problems:
            raise DataFileError(what, self.problems)


class DataFileError(BilingualError, ValueError):
    """A data file (plan, questionnaire, rules, workbook) has one or more problems.

    A :class:`~questionnaires.text.BilingualError` (HTTP status 422) whose message in
    each language is the :meth:`report` in that language.

    >>> problems = ProblemList({"negative": ("không được âm", "must not be negative")},
    ...                        source="plan.yaml")
    >>> problems.add("negative", ("groups", 2, "quota", "count"))
    >>> error = DataFileError("plan.yaml", problems.problems)
    >>> print(error.message("en"))
    plan.yaml: 1 problem found
      - plan.yaml: groups[2].quota.count: must not be negative
    >>> error.codes, error.status
    (['negative'], 422)
    """

    def __init__(self, what: str, problems: Iterable[Problem]):
        self.what = what
        self.problems: list[Problem] = list(problems)
        super().__init__(self.report("vi"), self.report("en"), status=422)

    @property
    def codes(self) -> list[str]:
        """The problem codes, in the order found (handy in tests)."""
        return [p.code for p in self.problems]

    def message(self, lang: str = "vi") -> str:
        """The :meth:`report` in ``lang``."""
        return self.report(lang)

    def report(self, lang: str = "vi") -> str:
        """A multi-line report: a heading and one line per problem."""
        n = len(self.problems)
        if lang == "en":
            head = f"{self.what}: {n} problem{'s' if n != 1 else ''} found"
        else:
            head = f"{self.what}: có {n} lỗi"
        return "\n".join([head, *(f"  - {p.describe(lang)}" for p in self.problems)])
