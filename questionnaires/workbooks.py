"""Open Excel workbooks that people upload, safely: one guard for every reader.

An ``.xlsx`` workbook is a zip archive of XML parts, and the workbooks this project
reads (XLSForm questionnaires, self-assessment workbooks) come from people.  A damaged
file, an old ``.xls``, a password-protected file or a "zip bomb" (a few megabytes that
expand to gigabytes, or to millions of cells) must each be refused with a clear
problem, quickly and in little memory, and never end in a traceback.

:func:`check_workbook` looks at the file before anything in it is expanded:

1. the size of the file;
2. what kind of file it is: an old Excel 97-2003 workbook or a password-protected
   (encrypted) workbook, both OLE2 compound files starting with the bytes
   ``D0 CF 11 E0``; an OpenDocument or binary workbook; a web page; or no zip archive
   at all;
3. the zip directory: the number of parts, each part's declared uncompressed size
   and compression ratio, and their total.  The declared sizes are a hard bound:
   Python's :mod:`zipfile` never expands a part beyond its declared size (a part that
   would is refused as damaged when it is read);
4. every XML part, streamed through an XML parser in small chunks, with no DTD
   allowed: the cells each worksheet spans (its ``<dimension>``, the rows and cells
   actually found, and the merged and hyperlinked ranges, which openpyxl turns into
   cells), the number of shared strings, the length of every cell's text, and the XML
   elements of the other parts (styles, drawings, comments ...), which openpyxl reads
   whole.  A worksheet counts as the rectangle from ``A1`` to its last row and column,
   empty cells included, since that is what a reader walks through.

Every bound is a field of :class:`WorkbookLimits`.  Then :func:`read_sheets` (the
values of every sheet, row by row: what the readers of this project need) or
:func:`open_workbook` (an :class:`openpyxl.Workbook`) load the file with openpyxl,
turning whatever the zip, XML or openpyxl layers raise into a
:class:`~questionnaires.problems.DataFileError` and keeping openpyxl's warnings (about
the workbook features it drops, such as data validation extensions) from escaping.

Every problem has a code of :data:`~questionnaires.messages.FILE_PROBLEMS`
(``file_missing`` and the codes starting with ``workbook_``) and a message in
Vietnamese and English.

>>> import io, openpyxl
>>> book = openpyxl.Workbook()
>>> book.active.append(["type", "name"])
>>> buffer = io.BytesIO()
>>> book.save(buffer)
>>> [(sheet.title, sheet.rows) for sheet in read_sheets(buffer.getvalue(), what="demo.xlsx")]
[('Sheet', (('type', 'name'),))]
>>> try:
...     read_sheets(b"ma;ten\\n", what="demo.xlsx")
... except DataFileError as error:
...     print(error.codes, error.problems[0].message("en"))
['workbook_damaged'] the file is damaged or is not an Excel workbook (.xlsx): it is not a zip archive; ...
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import posixpath
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from os import PathLike, fspath
from typing import IO, TYPE_CHECKING, Any, NoReturn
from xml.parsers import expat

from .messages import FILE_PROBLEMS
from .problems import DataFileError, ProblemList

if TYPE_CHECKING:  # pragma: no cover - annotations only; openpyxl is loaded where used
    import openpyxl

#: Where a workbook is read from: a file name, its bytes or a binary file object.
WorkbookSource = str | PathLike[str] | bytes | bytearray | IO[bytes]

#: The place of a problem of the whole file.
WHOLE_FILE = "(workbook)"

_MB = 1024 * 1024
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CENTRAL_DIRECTORY_ENTRY = b"PK\x01\x02"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_CHUNK = 64 * 1024
_ROOT_CHUNK = 4 * 1024
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_WORKBOOK_PART = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
#: Parts read only to name the sheets in a problem's place are read when this small.
_NAMING_PART_BYTES = 1 * _MB
#: What the zip layer raises for a broken archive or part.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error, OSError,
               EOFError, RuntimeError, NotImplementedError, ValueError, KeyError)


@dataclass(frozen=True)
class WorkbookLimits:
    """How large a workbook may be; every bound is checked before the file is expanded.

    The defaults suit the uploads of this project; pass other limits to any function
    of this module, e.g. ``WorkbookLimits(cells=1_000_000)``.

    Attributes
    ----------
    file_bytes:
        The file itself: 20 MB.
    expanded_bytes:
        All parts of the archive together, uncompressed: 100 MB.
    part_bytes:
        Any one part (a worksheet, the shared strings ...), uncompressed: 50 MB.
    compression_ratio:
        Uncompressed / compressed size of any part larger than
        :attr:`ratio_from_bytes`: 100 (worksheets compress about 5 to 20 times).
    ratio_from_bytes:
        Parts up to this size are not held to :attr:`compression_ratio`: 1 MB.
    parts:
        Parts of the archive: 1,000 (an ordinary workbook has a few dozen).
    cells:
        Cells of all worksheets together, each counted as the rectangle from ``A1``
        to its last row and column (or its number of rows or cells, if larger) plus
        its merged and hyperlinked ranges; also the most shared strings: 200,000.
    cell_chars:
        Characters of one cell's text: 32,767, Excel's own limit.
    elements:
        XML elements of all the other parts together (styles, drawings, comments,
        relationships ...): 500,000.
    """

    file_bytes: int = 20 * _MB
    expanded_bytes: int = 100 * _MB
    part_bytes: int = 50 * _MB
    compression_ratio: float = 100.0
    ratio_from_bytes: int = 1 * _MB
    parts: int = 1_000
    cells: int = 200_000
    cell_chars: int = 32_767
    elements: int = 500_000

    def __post_init__(self) -> None:
        for name in ("file_bytes", "expanded_bytes", "part_bytes", "compression_ratio",
                     "parts", "cells", "cell_chars", "elements"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"WorkbookLimits.{name} must be positive, not {value!r}")
        if not self.ratio_from_bytes >= 0:
            raise ValueError("WorkbookLimits.ratio_from_bytes must not be negative, not "
                             f"{self.ratio_from_bytes!r}")


#: The limits used when none are given.
DEFAULT_LIMITS = WorkbookLimits()


@dataclass(frozen=True)
class CheckedWorkbook:
    """A workbook file that passed :func:`check_workbook`.

    Give it to :func:`read_sheets` or :func:`open_workbook` (as often as needed) to
    load it without checking it again.

    Attributes
    ----------
    data:
        The file's bytes.
    what:
        What the file is, as the heading of a :class:`DataFileError` names it.
    name:
        The file's name (a path, or the name of the file object), if it has one.
    cells:
        The cells its worksheets span, counted as :attr:`WorkbookLimits.cells` says.
    """

    data: bytes = field(repr=False)
    what: str
    name: str | None = None
    cells: int = 0


@dataclass(frozen=True)
class SheetValues:
    """The values of one worksheet, as :func:`read_sheets` gives them.

    ``rows[0]`` is row 1; a row holds the values from column A to its last cell (the
    cached results of formulas, or the formulas as ``"=..."`` texts when read with
    ``data_only=False``), so rows may differ in length.

    >>> sheet = SheetValues("survey", (("type", "name"), (), ("note",)))
    >>> sheet.value(1, 2), sheet.value(2, 1), sheet.value(9, 9)
    ('name', None, None)
    >>> sheet.max_row, sheet.max_column
    (3, 2)
    """

    title: str
    rows: tuple[tuple[Any, ...], ...]

    @property
    def max_row(self) -> int:
        """The number of rows."""
        return len(self.rows)

    @property
    def max_column(self) -> int:
        """The length of the longest row."""
        return max((len(row) for row in self.rows), default=0)

    def value(self, row: int, column: int) -> Any:
        """The value at ``row`` and ``column`` (both from 1); None outside the sheet."""
        if 1 <= row <= len(self.rows):
            values = self.rows[row - 1]
            if 1 <= column <= len(values):
                return values[column - 1]
        return None


# == the public functions ===============================================================

def check_workbook(source: WorkbookSource | CheckedWorkbook, *, what: str,
                   limits: WorkbookLimits = DEFAULT_LIMITS) -> CheckedWorkbook:
    """Check an Excel workbook before anything in it is expanded.

    Parameters
    ----------
    source:
        A file name, the file's bytes or a binary file object (read from where it
        stands); a :class:`CheckedWorkbook` is returned as it is.
    what:
        What the file is, for the heading of the error: its name, or a description
        such as ``"tệp tự đánh giá (self-assessment workbook)"``.
    limits:
        The bounds (:class:`WorkbookLimits`).

    Returns
    -------
    CheckedWorkbook

    Raises
    ------
    DataFileError
        With the one problem that makes the file unusable: ``file_missing``,
        ``workbook_unreadable``, ``workbook_damaged``, ``workbook_wrong_format``,
        ``workbook_encrypted``, ``workbook_too_large``, ``workbook_too_many_parts``,
        ``workbook_part_too_large``, ``workbook_expands_too_much``,
        ``workbook_compression_ratio``, ``workbook_too_many_cells``,
        ``workbook_too_many_strings``, ``workbook_cell_too_long`` or
        ``workbook_too_complex``.  A problem of a sheet is placed by sheet name (and
        cell, ``survey!C12``) where the workbook names its sheets.
    """
    if isinstance(source, CheckedWorkbook):
        return source
    name = _source_name(source)
    try:
        data = _read_bounded(source, limits)
        cells = _Checker(data, limits).check()
    except _Refusal as refusal:
        problems = ProblemList(FILE_PROBLEMS, source=name)
        problems.add(refusal.code, refusal.place, **refusal.params)
        raise DataFileError(what, problems.problems) from None
    return CheckedWorkbook(data, what, name, cells)


def read_sheets(source: WorkbookSource | CheckedWorkbook, *, what: str,
                limits: WorkbookLimits = DEFAULT_LIMITS,
                data_only: bool = True) -> list[SheetValues]:
    """The values of every worksheet of a workbook that :func:`check_workbook` passes.

    The workbook is read with openpyxl in read-only mode, inside the guard: whatever
    the zip, XML or openpyxl layers raise, while the workbook is opened or while its
    rows are read, becomes a :class:`DataFileError`, and openpyxl's warnings are
    silenced.

    Parameters
    ----------
    source, what, limits:
        As for :func:`check_workbook`.
    data_only:
        True (default) for the cached results of formulas; False for the formulas
        themselves (``"=SUM(E6:E9)"``; array formulas as openpyxl's objects).

    Returns
    -------
    list of SheetValues
        The worksheets in the workbook's order (chart sheets left out).

    Raises
    ------
    DataFileError
        See :func:`check_workbook`; ``workbook_damaged`` when openpyxl cannot read
        the file.
    """
    checked = check_workbook(source, what=what, limits=limits)
    with _guarded(checked):
        book = _load(checked, read_only=True, data_only=data_only)
        try:
            return [SheetValues(sheet.title,
                                tuple(tuple(row) for row in sheet.iter_rows(values_only=True)))
                    for sheet in book.worksheets]
        finally:
            book.close()


def open_workbook(source: WorkbookSource | CheckedWorkbook, *, what: str,
                  limits: WorkbookLimits = DEFAULT_LIMITS, read_only: bool = False,
                  data_only: bool = True) -> openpyxl.Workbook:
    """Open a workbook that :func:`check_workbook` passes with openpyxl.

    Parameters
    ----------
    source, what, limits:
        As for :func:`check_workbook`.
    read_only:
        False (default): the whole workbook is parsed here, inside the guard, so that
        using it raises nothing more; the limits bound what that costs.  True:
        openpyxl parses each sheet while it is iterated, outside this guard (a damaged
        cell then raises openpyxl's own error, and its warnings are not silenced):
        prefer :func:`read_sheets` for the values.
    data_only:
        True (default) for the cached results of formulas, False for the formulas.

    Returns
    -------
    openpyxl.Workbook

    Raises
    ------
    DataFileError
        See :func:`check_workbook`; ``workbook_damaged`` when openpyxl cannot read
        the file.
    """
    checked = check_workbook(source, what=what, limits=limits)
    with _guarded(checked):
        return _load(checked, read_only=read_only, data_only=data_only)


def workbook_modified(checked: CheckedWorkbook) -> dt.datetime | None:
    """When the workbook was last saved, as its own properties say (``dcterms:modified``
    in ``docProps/core.xml``, which Excel, LibreOffice and openpyxl write).

    The date travels with the file, unlike the file system's modification time.

    Parameters
    ----------
    checked:
        A workbook that passed :func:`check_workbook`.

    Returns
    -------
    datetime.datetime or None
        ``None`` when the workbook does not say, or says it in a form that cannot be
        read (never an error: the date is a convenience).

    Examples
    --------
    >>> import io, openpyxl
    >>> buffer = io.BytesIO()
    >>> openpyxl.Workbook().save(buffer)  # openpyxl stamps the time of saving
    >>> saved = workbook_modified(check_workbook(buffer.getvalue(), what="demo.xlsx"))
    >>> abs(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - saved) < dt.timedelta(hours=1)
    True
    """
    found: list[str] = []

    class Modified(_Handler):
        inside = False

        def start(self, name: str, attrs: dict[str, str]) -> None:
            self.inside = name.rpartition(" ")[2] == "modified"

        def end(self, name: str) -> None:
            if self.inside:
                raise _StopScan
            self.inside = False

        def text(self, data: str) -> None:
            if self.inside:
                found.append(data)

    try:
        with zipfile.ZipFile(io.BytesIO(checked.data)) as archive:
            info = archive.getinfo("docProps/core.xml")
            if info.file_size > _NAMING_PART_BYTES:
                return None
            _scan(archive, info, lambda root: Modified())
        text = "".join(found).strip()
        modified = dt.datetime.fromisoformat(text) if text else None
    except (_Refusal, ValueError, *_ZIP_ERRORS):
        return None
    if modified is not None and modified.tzinfo is not None:
        modified = modified.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return modified


# == loading ===========================================================================

def _load(checked: CheckedWorkbook, *, read_only: bool, data_only: bool) -> openpyxl.Workbook:
    import openpyxl  # loaded where used: it takes long to import

    return openpyxl.load_workbook(io.BytesIO(checked.data), read_only=read_only,
                                  data_only=data_only, keep_links=False)


@contextmanager
def _guarded(checked: CheckedWorkbook) -> Iterator[None]:
    """openpyxl's warnings silenced, and whatever it raises turned into
    ``workbook_damaged``."""
    try:
        with warnings.catch_warnings():
            # openpyxl warns about the features of a workbook it drops (extensions,
            # default styles, drawings ...); none of them matters for the values.
            warnings.simplefilter("ignore")
            yield
    except MemoryError:
        raise
    except Exception as exc:
        # The file comes from outside: whatever the libraries reading it raise means
        # that it cannot be read (a parse error, a missing part, a value openpyxl
        # cannot convert ...), and must be said as such, never shown as a traceback.
        detail = _exception_detail(exc)
        problems = ProblemList(FILE_PROBLEMS, source=checked.name)
        problems.add("workbook_damaged", WHOLE_FILE, detail_vi=detail, detail_en=detail)
        raise DataFileError(checked.what, problems.problems) from exc


def _exception_detail(exc: BaseException) -> str:
    """The first line of ``exc``'s message and of its causes (openpyxl wraps errors).

    >>> try:
    ...     try:
    ...         int("x")
    ...     except ValueError as cause:
    ...         raise ValueError("Unable to read workbook") from cause
    ... except ValueError as exc:
    ...     _exception_detail(exc)
    "Unable to read workbook; invalid literal for int() with base 10: 'x'"
    """
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 3:
        message = str(seen).strip()
        text = message.splitlines()[0] if message else type(seen).__name__
        if text not in parts:
            parts.append(text)
        seen = seen.__cause__ or seen.__context__
    return "; ".join(parts)[:300]


# == reading the file ==================================================================

class _Refusal(Exception):
    """The file is refused: one problem of :data:`FILE_PROBLEMS`."""

    def __init__(self, code: str, place: str = WHOLE_FILE, **params: Any):
        super().__init__(code)
        self.code = code
        self.place = place
        self.params = params


def _damaged(detail_vi: str, detail_en: str | None = None, place: str = WHOLE_FILE) -> _Refusal:
    return _Refusal("workbook_damaged", place, detail_vi=detail_vi,
                    detail_en=detail_vi if detail_en is None else detail_en)


def _source_name(source: WorkbookSource) -> str | None:
    if isinstance(source, str | PathLike):
        return fspath(source)
    if isinstance(source, bytes | bytearray | memoryview):
        return None
    name = getattr(source, "name", None)
    return name if isinstance(name, str) and name else None


def _read_bounded(source: WorkbookSource, limits: WorkbookLimits) -> bytes:
    """The file's bytes, refused without reading them all when there are too many."""
    try:
        if isinstance(source, bytes | bytearray | memoryview):
            data = bytes(source)
        elif isinstance(source, str | PathLike):
            size = os.stat(source).st_size
            if size > limits.file_bytes:
                raise _Refusal("workbook_too_large", **_sizes(size, limits.file_bytes))
            with open(source, "rb") as handle:
                data = handle.read(limits.file_bytes + 1)
        else:
            left = _bytes_left(source)
            if left is not None and left > limits.file_bytes:
                raise _Refusal("workbook_too_large", **_sizes(left, limits.file_bytes))
            read = source.read(limits.file_bytes + 1)
            if not isinstance(read, bytes | bytearray):
                raise _Refusal("workbook_unreadable", detail_vi="tệp được mở ở chế độ văn bản",
                               detail_en="the file was opened as text")
            data = bytes(read)
    except FileNotFoundError:
        raise _Refusal("file_missing", str(_source_name(source) or source)) from None
    except (OSError, ValueError) as exc:  # ValueError: a closed file object, say
        detail = str(exc) or type(exc).__name__
        raise _Refusal("workbook_unreadable", detail_vi=detail, detail_en=detail) from None
    if len(data) > limits.file_bytes:
        raise _Refusal("workbook_too_large", **_sizes(len(data), limits.file_bytes, at_least=True))
    return data


def _bytes_left(stream: IO[bytes]) -> int | None:
    """The bytes from the position of a seekable file object to its end."""
    try:
        if not stream.seekable():
            return None
        here = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(here)
        return end - here
    except (OSError, AttributeError, ValueError):
        return None


def _bytes_text(n: float, lang: str, up: bool = False) -> str:
    """A size in bytes as people read it (``up``: rounded up).

    >>> _bytes_text(9_122_611, "vi"), _bytes_text(20 * 1024 * 1024, "en"), _bytes_text(900, "en")
    ('8,7 MB', '20 MB', '900 bytes')
    >>> _bytes_text(20 * 1024 * 1024 + 1, "en", up=True)
    '20.1 MB'
    """
    for unit, name in ((_MB, "MB"), (1024, "KB")):
        if n >= unit:
            tenths = (math.ceil if up else round)(n / unit * 10) / 10
            text = f"{tenths:.1f}".removesuffix(".0") + f" {name}"
            return text.replace(".", ",") if lang == "vi" else text
    return f"{n:.0f} byte" + ("s" if lang == "en" and n != 1 else "")


def _sizes(size: float, limit: float, *, at_least: bool = False) -> dict[str, str]:
    """The parameters ``size_vi``, ``size_en``, ``limit_vi`` and ``limit_en``; with
    ``at_least``, the size is only known to be over the limit."""
    out = {}
    for lang, more in (("vi", "hơn "), ("en", "more than ")):
        limit_text = _bytes_text(limit, lang)
        size_text = _bytes_text(size, lang)
        if at_least:
            size_text = more + limit_text
        elif size_text == limit_text:
            size_text = _bytes_text(size, lang, up=True)
        out[f"size_{lang}"], out[f"limit_{lang}"] = size_text, limit_text
    return out


def _counts(**values: float) -> dict[str, str]:
    """``{name}_vi`` and ``{name}_en`` of each number: ``3.000.000``, ``3,000,000``."""
    out = {}
    for key, value in values.items():
        text = f"{value:,.0f}"
        out[f"{key}_vi"], out[f"{key}_en"] = text.replace(",", "."), text
    return out


class _Checker:
    """The checks of :func:`check_workbook`, in order; the first refusal raises."""

    def __init__(self, data: bytes, limits: WorkbookLimits):
        self.data = data
        self.limits = limits

    def check(self) -> int:
        """The cells the worksheets span."""
        self._refuse_other_formats()
        archive = self._open_zip()
        with archive:
            try:
                infos = self._check_directory(archive)
                self._refuse_other_packages(archive)
                return self._scan_parts(archive, infos)
            except _Refusal as refusal:
                refusal.place = _named_place(archive, refusal.place)
                raise

    # -- the kind of file -------------------------------------------------------------
    def _refuse_other_formats(self) -> None:
        data = self.data
        if data.startswith(_OLE2_MAGIC):
            # An encrypted .xlsx is an OLE2 file too, holding the workbook encrypted
            # in a stream named EncryptedPackage (names are stored in UTF-16).
            if _ENCRYPTED_PACKAGE in data:
                raise _Refusal("workbook_encrypted")
            raise _Refusal("workbook_wrong_format", format="Excel 97-2003 (.xls)")
        head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if head.startswith(b"<"):
            if b"urn:schemas-microsoft-com:office:spreadsheet" in data[:65536]:
                raise _Refusal("workbook_wrong_format", format="XML Spreadsheet 2003 (.xml)")
            if b"<html" in head or b"<!doctype html" in head or b"<table" in head:
                raise _Refusal("workbook_wrong_format", format="HTML (.htm, .html)")
        if data.startswith(b"%PDF"):
            raise _Refusal("workbook_wrong_format", format="PDF (.pdf)")

    def _open_zip(self) -> zipfile.ZipFile:
        # zipfile reads the whole central directory, one entry per part: count the
        # entries first (an upper bound: the signature may also occur in the data).
        if self.data.count(_CENTRAL_DIRECTORY_ENTRY) > self.limits.parts:
            raise _Refusal("workbook_too_many_parts", **_counts(limit=self.limits.parts))
        try:
            return zipfile.ZipFile(io.BytesIO(self.data))
        except _ZIP_ERRORS as exc:
            if not self.data.startswith(b"PK"):
                raise _damaged("tệp không phải là một tệp nén zip",
                               "it is not a zip archive") from None
            raise _damaged(f"tệp nén zip bị hỏng ({exc})",
                           f"the zip archive is broken ({exc})") from None

    def _check_directory(self, archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        limits = self.limits
        if len(infos) > limits.parts:
            raise _Refusal("workbook_too_many_parts", **_counts(limit=limits.parts))
        if any(info.flag_bits & 0x1 for info in infos):
            raise _Refusal("workbook_encrypted")
        total = 0
        for info in infos:
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _damaged(f"phần này được nén bằng một phương pháp không dùng trong "
                               f"bảng tính (số {info.compress_type})",
                               f"this part is compressed with a method no workbook uses "
                               f"(number {info.compress_type})", info.filename)
            if info.file_size > limits.part_bytes:
                raise _Refusal("workbook_part_too_large", info.filename,
                               **_sizes(info.file_size, limits.part_bytes))
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > limits.ratio_from_bytes and ratio > limits.compression_ratio:
                raise _Refusal("workbook_compression_ratio", info.filename,
                               ratio=f"{ratio:.0f}", limit=f"{limits.compression_ratio:g}")
            total += info.file_size
        if total > limits.expanded_bytes:
            raise _Refusal("workbook_expands_too_much", **_sizes(total, limits.expanded_bytes))
        return infos

    def _refuse_other_packages(self, archive: zipfile.ZipFile) -> None:
        names = set(archive.namelist())
        if "[Content_Types].xml" in names:
            for part, format_ in (("xl/workbook.bin", "Excel Binary Workbook (.xlsb)"),
                                  ("word/document.xml", "Word (.docx)"),
                                  ("ppt/presentation.xml", "PowerPoint (.pptx)")):
                if part in names:
                    raise _Refusal("workbook_wrong_format", format=format_)
            return
        if "mimetype" in names:
            try:
                with archive.open("mimetype") as stream:
                    mimetype = stream.read(200)
            except _ZIP_ERRORS:
                mimetype = b""
            if b"opendocument.spreadsheet" in mimetype:
                raise _Refusal("workbook_wrong_format", format="OpenDocument (.ods)")
        raise _damaged("tệp nén zip không chứa bảng tính (thiếu phần [Content_Types].xml)",
                       "the zip archive holds no workbook (it has no [Content_Types].xml)")

    # -- the parts -----------------------------------------------------------------------
    def _scan_parts(self, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> int:
        limits = self.limits
        cells = _Budget(limits.cells)
        elements = _Budget(limits.elements)
        sheets: list[tuple[zipfile.ZipInfo, str]] = []
        long_string: int | None = None
        for info in infos:
            def scanner(root: str, info: zipfile.ZipInfo = info) -> _Handler:
                namespace, _, local = root.rpartition(" ")
                place = info.filename
                if local == "worksheet":
                    _count_starts(archive, info, cells, limits)
                    return _SheetScan(namespace, place, cells, limits)
                if local == "sst":
                    return _StringScan(limits)
                return _ElementCount(place, elements, limits)

            handler = _scan(archive, info, scanner)
            if isinstance(handler, _SheetScan):
                cells.spent += handler.size()
                sheets.append((info, handler.namespace))
            elif isinstance(handler, _StringScan) and handler.long_string is not None:
                long_string = handler.long_string
        if long_string is not None:
            raise _Refusal("workbook_cell_too_long",
                           _shared_string_place(archive, sheets, long_string, limits),
                           **_counts(limit=limits.cell_chars))
        return cells.spent


#: How a cell element and a row element start, without a namespace prefix.
_CELL_STARTS = (b"<c ", b"<c>", b"<c/")
_ROW_STARTS = (b"<row ", b"<row>", b"<row/")


def _count_starts(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget,
                  limits: WorkbookLimits) -> None:
    """Refuse a worksheet at once when it has too many cells or rows, counted in its
    bytes (a lower bound: a start split between two chunks or written with a prefix is
    missed) before the parser measures it exactly, which costs more per cell."""
    cells = rows = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(16 * _CHUNK):
                cells += sum(chunk.count(start) for start in _CELL_STARTS)
                rows += sum(chunk.count(start) for start in _ROW_STARTS)
                if budget.spent + max(cells, rows) > budget.limit:
                    raise _Refusal("workbook_too_many_cells", info.filename,
                                   **_counts(limit=limits.cells))
    except _ZIP_ERRORS as exc:
        raise _damaged(str(exc) or type(exc).__name__, place=info.filename) from None


def _named_place(archive: zipfile.ZipFile, place: str) -> str:
    """``xl/worksheets/sheet1.xml!B7`` -> ``survey!B7`` where the workbook names it."""
    part, mark, cell = place.partition("!")
    if place == WHOLE_FILE or not part.endswith(".xml"):
        return place
    name = _sheet_names(archive).get(part)
    return f"{name}{mark}{cell}" if name else place


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name by worksheet part, as far as ``xl/workbook.xml`` tells."""
    try:
        targets: dict[str, str] = {}
        for attrs in _elements(archive, _WORKBOOK_RELS, "Relationship"):
            target = attrs.get("Target", "")
            targets[attrs.get("Id", "")] = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))
        names: dict[str, str] = {}
        for attrs in _elements(archive, _WORKBOOK_PART, "sheet"):
            path = targets.get(attrs.get(f"{_RELATIONSHIPS_NS} id", ""))
            if path and attrs.get("name"):
                names.setdefault(path, attrs["name"])
        return names
    except (_Refusal, *_ZIP_ERRORS):
        return {}  # only the names are missing: the places keep the parts' paths


def _elements(archive: zipfile.ZipFile, part: str, wanted: str) -> list[dict[str, str]]:
    """The attributes of the elements named ``wanted`` (any namespace) of a small part."""
    info = archive.getinfo(part)
    if info.file_size > _NAMING_PART_BYTES:
        return []
    found: list[dict[str, str]] = []

    class Collect(_Handler):
        def start(self, name: str, attrs: dict[str, str]) -> None:
            if name.rpartition(" ")[2] == wanted:
                found.append(attrs)

    _scan(archive, info, lambda root: Collect())
    return found


def _shared_string_place(archive: zipfile.ZipFile, sheets: list[tuple[zipfile.ZipInfo, str]],
                         index: int, limits: WorkbookLimits) -> str:
    """The first cell showing the shared string ``index``, or the whole file."""
    for info, namespace in sheets:
        scan = _StringFinder(namespace, info.filename, limits, index)
        try:
            _scan(archive, info, lambda root, scan=scan: scan)
        except _Found as found:
            return found.place
    return WHOLE_FILE


# == streaming XML =====================================================================

class _Handler:
    """What the XML parser calls; the subclasses measure what they must.

    ``strict``: the part must be well-formed XML (openpyxl reads it); the other parts
    are measured as far as they parse.
    """

    strict = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        """An element starts (``name`` is ``"namespace local"``)."""

    def end(self, name: str) -> None:
        """An element ends."""

    def text(self, data: str) -> None:
        """Some character data (a text may come in several pieces)."""


def _scan(archive: zipfile.ZipFile, info: zipfile.ZipInfo,
          scanner: Callable[[str], _Handler]) -> _Handler | None:
    """Stream a part through an XML parser in small chunks.

    ``scanner(root)`` gives the handler for the part once its root element is known;
    None is returned for a part that is not XML (an image, say).  No DTD is allowed.
    A strict handler's part must be well-formed, else it is refused as damaged.
    """
    place = info.filename
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.buffer_size = _CHUNK
    chosen: list[_Handler] = []

    def refuse_dtd(*_: Any) -> NoReturn:
        raise _damaged("phần này có khai báo DTD, điều không bảng tính nào có",
                       "this part declares a DTD, which no workbook does", place)

    def root(name: str, attrs: dict[str, str]) -> None:
        handler = scanner(name)
        chosen.append(handler)
        parser.StartElementHandler = handler.start
        parser.EndElementHandler = handler.end
        parser.CharacterDataHandler = handler.text
        handler.start(name, attrs)

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.StartElementHandler = root
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK if chosen else _ROOT_CHUNK):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _StopScan:
        pass
    except expat.ExpatError as exc:
        if not chosen:
            return None  # not XML
        if chosen[0].strict:
            message = expat.ErrorString(exc.code)
            raise _damaged(f"{message} (dòng {exc.lineno}, cột {exc.offset})",
                           f"{message} (line {exc.lineno}, column {exc.offset})",
                           place) from None
    except _ZIP_ERRORS as exc:
        raise _damaged(str(exc) or type(exc).__name__, place=place) from None
    return chosen[0] if chosen else None


@dataclass
class _Budget:
    limit: float
    spent: int = 0


class _Found(Exception):
    def __init__(self, place: str):
        super().__init__(place)
        self.place = place


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _column_letters(number: int) -> str:
    """``1`` -> ``A``, ``28`` -> ``AB``.

    >>> _column_letters(1), _column_letters(28), _column_letters(16384)
    ('A', 'AB', 'XFD')
    """
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"


def _cell(ref: str, place: str) -> tuple[int, int]:
    """(row, column) of ``B7``."""
    match = _CELL_REF.fullmatch(ref.strip())
    if match is None:
        raise _damaged(f"tham chiếu ô không hợp lệ '{ref[:40]}'",
                       f"invalid cell reference '{ref[:40]}'", place)
    return int(match[2]), _column_number(match[1])


def _range(ref: str, place: str) -> tuple[int, int, int, int]:
    """(first row, first column, last row, last column) of ``A1:C9`` or ``B7``."""
    first, _, last = ref.partition(":")
    row1, col1 = _cell(first, place)
    row2, col2 = _cell(last, place) if last else (row1, col1)
    return min(row1, row2), min(col1, col2), max(row1, row2), max(col1, col2)


#: The elements a cell's text is made of (its value, formula, inline rich text).
_CELL_CONTENT = frozenset({
    "v", "f", "is", "r", "t", "rPr", "rPh", "phoneticPr", "rFont", "charset", "family", "b",
    "i", "strike", "outline", "shadow", "condense", "extend", "color", "sz", "u", "vertAlign",
    "scheme"})
_DIGITS = "0123456789"


class _SheetScan(_Handler):
    """Measures a worksheet: its rectangle, rows, cells, merged and hyperlinked ranges,
    and the text of each cell; refuses as soon as a limit is passed.

    A cell's text is what the parser meets from the cell's start to the next element
    that is not part of a cell (so no end handler is needed, which halves the calls).
    """

    strict = True
    end = None  # type: ignore[assignment]

    def __init__(self, namespace: str, place: str, budget: _Budget, limits: WorkbookLimits):
        prefix = f"{namespace} " if namespace else ""
        self.namespace = namespace
        self.row_tag, self.cell_tag = f"{prefix}row", f"{prefix}c"
        self.dimension_tag = f"{prefix}dimension"
        self.range_tags = {f"{prefix}mergeCell", f"{prefix}hyperlink"}
        self.cell_content = frozenset(prefix + name for name in _CELL_CONTENT)
        self.place = place
        self.budget = budget
        self.limits = limits
        self.row = self.column = 0  # where the parser is
        self.cell_row = 0
        self.ref: str | None = None
        self.rows = self.columns = 0  # the rectangle, from the dimension and the cells
        self.row_count = self.cell_count = 0
        self.ranges = 0  # cells of the merged and hyperlinked ranges
        self.in_cell = False
        self.chars = 0
        self.letters: dict[str, int] = {}

    def size(self) -> int:
        area = max(self.rows * max(self.columns, 1), self.row_count, self.cell_count)
        return area + self.ranges

    def _check(self) -> None:
        if self.budget.spent + self.size() > self.budget.limit:
            raise _Refusal("workbook_too_many_cells", self.place,
                           **_counts(limit=self.limits.cells))

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == self.cell_tag:
            self.ref = ref = attrs.get("r")
            if ref:
                self.cell_row, self.column = self._cell(ref)
            else:
                self.cell_row, self.column = max(self.row, 1), self.column + 1
            self.cell_count += 1
            if self.cell_row > self.rows or self.column > self.columns or \
                    self.cell_count > self.rows * self.columns:
                self.rows = max(self.rows, self.cell_row)
                self.columns = max(self.columns, self.column)
                self._check()
            self.in_cell, self.chars = True, 0
        elif name in self.cell_content:
            pass
        else:
            self.in_cell = False
            if name == self.row_tag:
                self._start_row(attrs.get("r"))
            elif name == self.dimension_tag:
                _, _, rows, columns = _range(attrs.get("ref", "A1"), self.place)
                self.rows, self.columns = max(self.rows, rows), max(self.columns, columns)
                self._check()
            elif name in self.range_tags and attrs.get("ref"):
                row1, col1, row2, col2 = _range(attrs["ref"], self.place)
                self.ranges += (row2 - row1 + 1) * (col2 - col1 + 1)
                self._check()

    def _cell(self, ref: str) -> tuple[int, int]:
        """(row, column) of ``B7``, the column numbers of the letters kept."""
        letters = ref.rstrip(_DIGITS)
        column = self.letters.get(letters)
        number = ref[len(letters):]
        if column is None or not number:
            row, column = _cell(ref, self.place)
            self.letters[letters] = column
            return row, column
        return int(number), column

    def _start_row(self, number: str | None) -> None:
        try:
            row = float(number) if number else self.row + 1
        except ValueError:
            row = 0
        if not (row >= 1 and row == int(row)):
            raise _damaged(f"số hàng không hợp lệ '{(number or '')[:40]}'",
                           f"invalid row number '{(number or '')[:40]}'", self.place)
        self.row, self.column = int(row), 0
        self.row_count += 1
        self.rows = max(self.rows, self.row)
        self._check()

    def text(self, data: str) -> None:
        if self.in_cell:
            self.chars += len(data)
            if self.chars > self.limits.cell_chars:
                raise _Refusal("workbook_cell_too_long", self.cell_place(),
                               **_counts(limit=self.limits.cell_chars))

    def cell_place(self) -> str:
        """The place of the cell the parser is in: ``xl/worksheets/sheet1.xml!C12``."""
        ref = self.ref or f"{_column_letters(self.column)}{self.cell_row}"
        return f"{self.place}!{ref}"


class _StringFinder(_SheetScan):
    """Stops at the first cell of a worksheet that shows the shared string ``index``."""

    def __init__(self, namespace: str, place: str, limits: WorkbookLimits, index: int):
        super().__init__(namespace, place, _Budget(math.inf), limits)
        self.value_tag = f"{namespace} v" if namespace else "v"
        self.wanted = str(index)
        self.shared = False
        self.value: list[str] | None = None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        super().start(name, attrs)
        if name == self.cell_tag:
            self.shared = attrs.get("t") == "s"
        elif name == self.value_tag and self.shared and self.in_cell:
            self.value = []

    def end(self, name: str) -> None:
        if name == self.value_tag and self.value is not None:
            if "".join(self.value).strip() == self.wanted:
                raise _Found(self.cell_place())
            self.value = None

    def text(self, data: str) -> None:
        if self.value is not None:
            self.value.append(data)


class _StringScan(_Handler):
    """Counts the shared strings and measures each; notes the first one too long."""

    strict = True

    def __init__(self, limits: WorkbookLimits):
        self.limits = limits
        self.count = 0
        self.chars = -1  # -1: outside a string
        self.long_string: int | None = None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name.rpartition(" ")[2] == "si":
            self.count += 1
            self.chars = 0
            if self.count > self.limits.cells:
                raise _Refusal("workbook_too_many_strings", **_counts(limit=self.limits.cells))

    def end(self, name: str) -> None:
        if name.rpartition(" ")[2] == "si":
            self.chars = -1

    def text(self, data: str) -> None:
        if self.chars >= 0:
            self.chars += len(data)
            if self.chars > self.limits.cell_chars and self.long_string is None:
                self.long_string = self.count - 1
                raise _StopScan


class _StopScan(Exception):
    """Enough is known about the part: :func:`_scan` stops reading it."""


class _ElementCount(_Handler):
    """Counts the elements of a part that is neither a worksheet nor shared strings."""

    def __init__(self, place: str, budget: _Budget, limits: WorkbookLimits):
        self.place = place
        self.budget = budget
        self.limits = limits

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.budget.spent += 1
        if self.budget.spent > self.budget.limit:
            raise _Refusal("workbook_too_complex", self.place,
                           **_counts(limit=self.limits.elements))


__all__ = [
    "DEFAULT_LIMITS",
    "WHOLE_FILE",
    "CheckedWorkbook",
    "SheetValues",
    "WorkbookLimits",
    "WorkbookSource",
    "check_workbook",
    "open_workbook",
    "read_sheets",
    "workbook_modified",
]
