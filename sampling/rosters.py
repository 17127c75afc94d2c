"""Rosters of dossiers, sample sizes and the draw of a satisfaction survey.

The citizens' and organisations' satisfaction survey (a *sampled* group of a plan, see
:class:`sampling.plan.Quota`) draws its respondents from the dossiers that each unit's
one-stop desk (Bộ phận Một cửa) handled in the period: one roster per unit, with an id
from the one-stop system, the applicant's name, address and phone, the service and the
date.  This module

* reads and checks such a roster (:func:`read_dossiers`), reporting every problem by
  line in messages that never quote a name, an address or a phone: they may end up in
  logs;
* sets each unit's sample size from its roster size N (:func:`sample_sizes`): Slovin's
  n = N / (1 + N·e²), a stated n per unit, or a total shared in proportion to N, plus
  a reserve;
* draws the official sample and the ordered reserve list of every unit
  (:func:`draw_sample`), with :func:`sampling.selection.select_respondents`: the same
  rosters and seed give the same people on any machine, whatever the order of the rows.

The personal columns (:data:`PERSONAL_COLUMNS`) are read and returned as they are, for
the delivery of the forms; keeping them apart from the answers, and deleting them
after the field work, is the job of the application that stores them.

pandas is imported inside the functions (see :mod:`sampling.statistics`), so that
``import sampling`` stays light for the command line and the web service.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from questionnaires.problems import DataFileError, ProblemList
from questionnaires.workbooks import WorkbookLimits, read_sheets

from .plan import Quota
from .selection import select_respondents
from .statistics import sample_size_slovin

if TYPE_CHECKING:  # pragma: no cover - annotations only
    import pandas as pd

__all__ = [
    "DOSSIER_COLUMNS",
    "DRAW_COLUMNS",
    "MAX_ROWS",
    "PERSONAL_COLUMNS",
    "ROSTER_FRAME_COLUMNS",
    "SampleSize",
    "draw_sample",
    "read_dossiers",
    "sample_sizes",
]

#: The required columns of a roster of dossiers; ``commune`` is optional.
DOSSIER_COLUMNS = ("id", "name", "address", "phone", "service", "date")

#: The optional columns of a roster.
OPTIONAL_COLUMNS = ("commune",)

#: The columns that hold personal data: never in a message, a log line or an export.
PERSONAL_COLUMNS = ("name", "address", "phone")

#: The columns of :func:`read_dossiers`'s table, in this order.
ROSTER_FRAME_COLUMNS = ("line", *DOSSIER_COLUMNS, "commune")

#: The columns of :func:`draw_sample`'s table, in this order.
DRAW_COLUMNS = ("unit", "id", "role", "order", "roster_size")

#: The most dossiers one roster may list (a unit's desk, over a year, handles far fewer).
MAX_ROWS = 100_000

#: The largest roster file, in bytes (CSV or XLSX).
MAX_BYTES = 20 * 1024 * 1024

#: The longest text of one cell, in characters.
MAX_CELL_CHARS = 1_000

#: The most problems reported for one file; the rest are counted.
MAX_PROBLEMS = 1_000

#: The bounds of an XLSX roster, checked before the workbook is expanded: enough for
#: :data:`MAX_ROWS` rows of a one-stop system's export (up to 15 columns).
ROSTER_LIMITS = WorkbookLimits(file_bytes=MAX_BYTES, cells=(MAX_ROWS + 50) * 15)

#: Rows looked at for the header (an export may start with a title and blank rows).
_HEADER_ROWS = 20

#: Header names accepted for each column, compared without case, accents, ``_`` or ``-``.
_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "ma ho so", "so ho so"),
    "name": ("name", "ho ten", "ho va ten", "ten to chuc ca nhan", "nguoi nop"),
    "address": ("address", "dia chi"),
    "phone": ("phone", "dien thoai", "so dien thoai", "sdt"),
    "service": ("service", "thu tuc", "ten thu tuc", "thu tuc hanh chinh"),
    "date": ("date", "ngay", "ngay tiep nhan", "ngay nhan"),
    "commune": ("commune", "xa", "xa phuong", "xa phuong thi tran"),
}

_CATALOGUE: dict[str, tuple[str, str]] = {
    "unreadable": ("không đọc được tệp: {reason}", "cannot read the file: {reason}"),
    "too_large": ("tệp lớn hơn {limit} MB", "the file is larger than {limit} MB"),
    "not_utf8": ("tệp không phải văn bản UTF-8 (từ dòng {line}): hãy lưu lại dạng 'CSV UTF-8'",
                 "the file is not UTF-8 text (from line {line}): save it again as 'CSV UTF-8'"),
    "bad_csv": ("dòng CSV không đọc được: {reason}", "the CSV line cannot be read: {reason}"),
    "missing_columns": (
        "không tìm thấy hàng tiêu đề có các cột {columns} (cần: {required}; tùy chọn: commune)",
        "no header row with the column(s) {columns} (required: {required}; optional: commune)"),
    "duplicate_column": ("cột '{column}' có hai lần (đã có ở cột {first})",
                         "the column '{column}' is there twice (already column {first})"),
    "empty": ("danh sách không có hồ sơ nào", "the roster lists no dossier"),
    "too_many_rows": ("danh sách có hơn {limit} hồ sơ: hãy chia theo đơn vị",
                      "the roster has more than {limit} dossiers: split it by unit"),
    "blank_id": ("mã hồ sơ để trống", "the dossier id is blank"),
    "duplicate_id": ("mã hồ sơ '{value}' bị trùng (đã có ở dòng {first})",
                     "duplicate dossier id '{value}' (already on line {first})"),
    "blank_name": ("họ tên để trống", "the name is blank"),
    "blank_address": ("địa chỉ để trống: không thể gửi phiếu", "the address is blank: the form cannot be delivered"),
    "blank_date": ("ngày để trống", "the date is blank"),
    "bad_date": ("không phải ngày hợp lệ (YYYY-MM-DD hoặc DD/MM/YYYY)",
                 "not a valid date (YYYY-MM-DD or DD/MM/YYYY)"),
    "bad_phone": ("không phải số điện thoại (10 hoặc 11 chữ số, bắt đầu bằng 0 hoặc +84)",
                  "not a phone number (10 or 11 digits starting with 0, or +84)"),
    "control_character": ("có ký tự điều khiển (không in được)", "holds a control (non-printing) character"),
    "too_long": ("dài hơn {limit} ký tự", "longer than {limit} characters"),
    "more_problems": ("và {count} lỗi khác (sửa các lỗi trên trước)",
                      "and {count} more problems (fix those above first)"),
}

_PHONE = re.compile(r"0\d{9,10}")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()/]")
_ISO_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DMY_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?")


# --------------------------------------------------------------------------- reading


def _plain(text: str) -> str:
    """A header name without case, accents, ``_``, ``-`` or extra spaces.

    >>> _plain("  Số_điện thoại ")
    'so dien thoai'
    """
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "d"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[_\-/,.]", " ", text).split())


_COLUMN_OF = {alias: column for column, aliases in _ALIASES.items() for alias in aliases}


def _source_name(source: Any) -> str:
    if isinstance(source, str | os.PathLike):
        return Path(source).name
    name = getattr(source, "name", None)
    return Path(name).name if isinstance(name, str) and name else "roster"


def _read_bytes(source: Any, problems: ProblemList, where: str) -> bytes | None:
    """The file's bytes, at most :data:`MAX_BYTES` (None, with a problem, if larger)."""
    try:
        if isinstance(source, bytes | bytearray):
            data = bytes(source)
        elif isinstance(source, str | os.PathLike):
            with open(source, "rb") as handle:
                data = handle.read(MAX_BYTES + 1)
        elif hasattr(source, "read"):
            data = source.read(MAX_BYTES + 1)
            if isinstance(data, str):  # a text file object
                data = data.encode("utf-8")
        else:
            raise TypeError(f"a roster is a path, bytes or a file object, not {type(source).__name__}")
    except OSError as exc:
        problems.add("unreadable", where, reason=exc.strerror or type(exc).__name__)
        return None
    if len(data) > MAX_BYTES:
        problems.add("too_large", where, limit=MAX_BYTES // (1024 * 1024))
        return None
    return data


def _is_workbook(source: Any, data: bytes, file_format: str | None) -> bool:
    if file_format is not None:
        if file_format not in ("csv", "xlsx"):
            raise ValueError(f"file_format must be 'csv' or 'xlsx', got {file_format!r}")
        return file_format == "xlsx"
    name = str(source) if isinstance(source, str | os.PathLike) else str(getattr(source, "name", ""))
    if Path(name).suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return True
    # A zip archive, or an old Excel file (OLE2): the workbook guard says what it is.
    return data[:4] == b"PK\x03\x04" or data[:4] == b"\xd0\xcf\x11\xe0"


def _csv_text(data: bytes, problems: ProblemList, where: str) -> str | None:
    """A CSV file's text: UTF-8, with or without a byte-order mark (None, with a problem,
    if it is not)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add("not_utf8", where, line=data[:exc.start].count(b"\n") + 1)
        return None


def _csv_rows(text: str, problems: ProblemList, where: str) -> Iterator[tuple[int, list[Any]]]:
    """The rows of a CSV text with their first line (the delimiter is the commonest of
    ``,`` ``;`` and tab on the first line)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.add("bad_csv", f"{where}:{line}", reason=str(exc))
            return
        yield line, row
        line = reader.line_num + 1


def _sheet_rows(data: bytes, what: str) -> Iterator[tuple[int, list[Any]]]:
    """The rows of the first worksheet, through the workbook guard (which raises its
    own :class:`DataFileError` for a damaged, old, encrypted or oversized workbook)."""
    sheets = read_sheets(data, what=what, limits=ROSTER_LIMITS)
    rows = sheets[0].rows if sheets else ()
    for number, row in enumerate(rows, start=1):
        yield number, list(row)


def _blank(row: Sequence[Any]) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in row)


def _header(rows: Iterator[tuple[int, list[Any]]], problems: ProblemList, where: str,
            ) -> tuple[int, dict[str, int]] | None:
    """The header row's line and the position of each known column (the first of the
    first rows that names every required column; else the first non-blank row)."""
    first: tuple[int, dict[str, int], list[str]] | None = None
    for count, (line, row) in enumerate(rows):
        if count >= _HEADER_ROWS:
            break
        if _blank(row):
            continue
        positions: dict[str, int] = {}
        repeated: list[tuple[str, int]] = []
        for index, value in enumerate(row):
            column = _COLUMN_OF.get(_plain(str(value))) if value is not None else None
            if column is None:
                continue
            if column in positions:
                repeated.append((column, positions[column] + 1))
            else:
                positions[column] = index
        missing = [c for c in DOSSIER_COLUMNS if c not in positions]
        if first is None:
            first = (line, positions, missing)
        if not missing:
            for column, earlier in repeated:
                problems.add("duplicate_column", f"{where}:{line}, {column}", column=column,
                             first=earlier)
            return (line, positions) if not repeated else None
    if first is None and problems:  # the file could not be read (bad_csv)
        return None
    line, _, missing = first if first is not None else (1, {}, list(DOSSIER_COLUMNS))
    problems.add("missing_columns", f"{where}:{line}", columns=", ".join(missing),
                 required=", ".join(DOSSIER_COLUMNS))
    return None


def _cell(value: Any) -> tuple[str, bool]:
    """A cell as text with white space collapsed, and whether it held a control character."""
    if value is None:
        return "", False
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    text = str(value)
    control = any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text)
    return " ".join(text.split()), control


def _date(value: Any, text: str) -> str | None:
    """A date as ``YYYY-MM-DD``: a workbook date, ``YYYY-MM-DD`` (or ``/``, with a time)
    or ``DD/MM/YYYY`` (or ``.``/``-``); None if it is none of them.

    >>> _date(None, "05/08/2020"), _date(None, "2020-8-5 10:30"), _date(None, "5/13/2020")
    ('2020-08-05', '2020-08-05', None)
    """
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str | None):
        return None
    match = _ISO_DATE.fullmatch(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _DMY_DATE.fullmatch(text)
        if not match:
            return None
        day, month, year = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _phone(value: Any, text: str) -> str | None:
    """A Vietnamese phone number as its digits from ``0`` (``+84``/``84`` become ``0``;
    a number whose leading 0 a spreadsheet dropped gets it back); None if it is not one.

    >>> _phone(None, "+84 912.345.678"), _phone(912345678, "912345678"), _phone(None, "0213 3876 543")
    ('0912345678', '0912345678', '02133876543')
    >>> _phone(None, "12345") is None
    True
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float | None):
        return None
    digits = _PHONE_SEPARATORS.sub("", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("0084"):
        digits = "0" + digits[4:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    elif digits.isdigit() and ((len(digits) == 9 and digits[0] in "35789")
                               or (len(digits) == 10 and digits[0] == "2")):
        digits = "0" + digits
    return digits if _PHONE.fullmatch(digits) else None


class _Problems(ProblemList):
    """A problem list that counts, past :data:`MAX_PROBLEMS`, instead of recording."""

    dropped: int = 0

    @property
    def seen(self) -> int:
        """Problems found so far, recorded or counted."""
        return len(self.problems) + self.dropped

    def add(self, code: str, path: Any, /, **params: Any) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.dropped += 1
        else:
            super().add(code, path, **params)


def read_dossiers(source: str | os.PathLike[str] | bytes | IO[bytes] | IO[str], *,
                  file_format: str | None = None) -> pd.DataFrame:
    """Read and check a roster of dossiers (CSV or XLSX): one row per dossier or person.

    Parameters
    ----------
    source : path, bytes or file object
        A CSV file (UTF-8, with or without a byte-order mark; comma, semicolon or tab
        separated) or an XLSX workbook (its first worksheet).  The header row (the
        first row, or one of the first 20 after a title) names the columns ``id``
        (the one-stop system's dossier id), ``name``, ``address``, ``phone``,
        ``service`` and ``date``, and optionally ``commune``; the usual Vietnamese
        names are accepted too (``Mã hồ sơ``, ``Họ tên``, ``Địa chỉ``, ``Số điện
        thoại``, ``Thủ tục``, ``Ngày tiếp nhận``, ``Xã``), without regard to case or
        accents.  Other columns are left out.
    file_format : {'csv', 'xlsx'}, optional
        Default: from the file name, else from the content.

    Returns
    -------
    pandas.DataFrame
        Columns ``line, id, name, address, phone, service, date, commune``
        (:data:`ROSTER_FRAME_COLUMNS`), one row per dossier in file order, blank
        rows left out.  ``line`` (int) is the line of the CSV file or the row of
        the worksheet; the others are text with white space collapsed: ``date`` as
        ``YYYY-MM-DD``, ``phone`` as its digits from ``0`` (``+84`` becomes ``0``)
        or empty, ``commune`` empty when the file has no such column.

    Raises
    ------
    questionnaires.problems.DataFileError
        With every problem, each at ``FILE:LINE, COLUMN`` (up to
        :data:`MAX_PROBLEMS`, then a count): a file too large (``too_large``,
        :data:`MAX_BYTES`) or with more than :data:`MAX_ROWS` dossiers
        (``too_many_rows``); ``not_utf8``, ``bad_csv``, ``missing_columns``,
        ``duplicate_column``, ``empty``; per row ``blank_id``, ``duplicate_id``,
        ``blank_name``, ``blank_address``, ``blank_date``, ``bad_date``,
        ``bad_phone`` (a phone may be blank), ``control_character`` and
        ``too_long`` (over :data:`MAX_CELL_CHARS` characters).  A workbook is
        checked by :mod:`questionnaires.workbooks` before it is expanded (size,
        cells, old ``.xls``, encryption), whose problems are raised as they are.
        Nothing is returned when there is any problem.  The messages name lines,
        columns and dossier ids, never a name, an address or a phone.

    Examples
    --------
    >>> text = ("id,name,address,phone,service,date\\n"
    ...         "HS-001,Lò Văn A,Bản Nà Khum,0912 345 678,Cấp giấy phép,05/08/2020\\n")
    >>> read_dossiers(text.encode()).iloc[0].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'line': 2, 'id': 'HS-001', 'name': 'Lò Văn A', 'address': 'Bản Nà Khum',
     'phone': '0912345678', 'service': 'Cấp giấy phép', 'date': '2020-08-05', 'commune': ''}
    >>> bad = text + "HS-001,Lò Thị B,,12345,Cấp giấy phép,2020-13-01\\n"
    >>> try:
    ...     read_dossiers(bad.encode())
    ... except DataFileError as error:
    ...     print(error.message("en"))
    roster: 4 problems found
      - roster:3, id: duplicate dossier id 'HS-001' (already on line 2)
      - roster:3, address: the address is blank: the form cannot be delivered
      - roster:3, date: not a valid date (YYYY-MM-DD or DD/MM/YYYY)
      - roster:3, phone: not a phone number (10 or 11 digits starting with 0, or +84)
    """
    import pandas as pd  # see the module docstring

    where = _source_name(source)
    problems = _Problems(_CATALOGUE)
    data = _read_bytes(source, problems, where)
    if data is None:
        raise DataFileError(where, problems.problems)
    if _is_workbook(source, data, file_format):
        rows = _sheet_rows(data, where)
    else:
        text = _csv_text(data, problems, where)
        if text is None:
            raise DataFileError(where, problems.problems)
        rows = _csv_rows(text, problems, where)
    found = _header(rows, problems, where)
    if found is None:
        raise DataFileError(where, problems.problems)
    _, positions = found

    records: list[dict[str, Any]] = []
    first_line: dict[str, int] = {}
    count = 0
    for line, row in rows:
        if _blank(row):
            continue
        count += 1
        if count > MAX_ROWS:
            problems.problems.clear()
            problems.add("too_many_rows", where, limit=MAX_ROWS)
            raise DataFileError(where, problems.problems)
        record = _record(line, row, positions, problems, where, first_line)
        if record is not None:
            records.append(record)
    if not count and not problems:
        problems.add("empty", where)
    if problems.dropped:
        ProblemList.add(problems, "more_problems", where, count=problems.dropped)
    problems.raise_if_any(where)

    frame = pd.DataFrame(records, columns=list(ROSTER_FRAME_COLUMNS))
    frame["line"] = frame["line"].astype("int64")
    return frame


def _record(line: int, row: Sequence[Any], positions: Mapping[str, int], problems: _Problems,
            where: str, first_line: dict[str, int]) -> dict[str, Any] | None:
    """One dossier, checked; None (with its problems recorded) if it has any."""
    before = problems.seen
    values: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for column in (*DOSSIER_COLUMNS, *OPTIONAL_COLUMNS):
        index = positions.get(column)
        value = row[index] if index is not None and index < len(row) else None
        text, control = _cell(value)
        place = f"{where}:{line}, {column}"
        if control:
            problems.add("control_character", place)
        elif len(text) > MAX_CELL_CHARS:
            problems.add("too_long", place, limit=MAX_CELL_CHARS)
        values[column], texts[column] = value, text

    at = f"{where}:{line}, "
    pid = texts["id"]
    if not pid:
        problems.add("blank_id", at + "id")
    elif pid in first_line:
        problems.add("duplicate_id", at + "id", value=pid, first=first_line[pid])
    else:
        first_line[pid] = line
    for column, code in (("name", "blank_name"), ("address", "blank_address")):
        if not texts[column]:
            problems.add(code, at + column)
    date = _date(values["date"], texts["date"]) if texts["date"] else None
    if not texts["date"]:
        problems.add("blank_date", at + "date")
    elif date is None:
        problems.add("bad_date", at + "date")
    phone = _phone(values["phone"], texts["phone"]) if texts["phone"] else ""
    if phone is None:
        problems.add("bad_phone", at + "phone")
    if problems.seen > before:
        return None
    return {"line": line, **texts, "phone": phone, "date": date}


# --------------------------------------------------------------------------- sizes


@dataclass(frozen=True)
class SampleSize:
    """The sample of one unit: roster size ``N``, official sample ``n`` and reserves.

    >>> SampleSize("so-tu-phap", N=400, n=200, reserve=40).drawn
    240
    """

    unit: str
    N: int
    n: int
    reserve: int

    @property
    def drawn(self) -> int:
        """People drawn in all: the official sample and the reserves."""
        return self.n + self.reserve


def _roster_size(unit: Any, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
        raise ValueError(f"the roster size of {unit!r} must be a whole number >= 0, got {value!r}")
    return int(value)


def _largest_remainder(total: int, sizes: Mapping[str, int]) -> dict[str, int]:
    """``total`` shared in proportion to ``sizes`` by largest remainder (Hamilton's
    method), exactly, each share at most its size; ties go to the first unit by code.

    >>> _largest_remainder(10, {"a": 5, "b": 3, "c": 2})
    {'a': 5, 'b': 3, 'c': 2}
    >>> _largest_remainder(4, {"a": 5, "b": 3, "c": 2})
    {'a': 2, 'b': 1, 'c': 1}
    >>> _largest_remainder(99, {"a": 5, "b": 0})
    {'a': 5, 'b': 0}
    """
    population = sum(sizes.values())
    if population <= total:
        return dict(sizes)
    shares = {unit: total * size // population for unit, size in sizes.items()}
    left = total - sum(shares.values())
    remainders = sorted(sizes, key=lambda unit: (-(total * sizes[unit] % population), unit))
    for unit in remainders[:left]:
        shares[unit] += 1
    return shares


def sample_sizes(quota: Quota, roster_sizes: Mapping[str, int]) -> dict[str, SampleSize]:
    """Each unit's sample size and reserve under a sampled quota.

    Parameters
    ----------
    quota : sampling.plan.Quota
        A sampled quota (:attr:`Quota.is_sampled <sampling.plan.Quota.is_sampled>`).
    roster_sizes : mapping of str to int
        The roster size N of each unit (dossiers or people on its roster), >= 0.

    Returns
    -------
    dict of str to SampleSize
        By unit, in the order of ``roster_sizes``.  ``n`` follows the quota's rule:

        * ``margin`` e: Slovin's n = ⌈N / (1 + N·e²)⌉
          (:func:`sampling.statistics.sample_size_slovin`);
        * ``per_unit`` k: n = min(k, N);
        * ``total`` T: T shared in proportion to N by largest remainder (each unit
          gets ⌊T·N/ΣN⌋, then the units with the largest remainders one more, ties to
          the first by code), so that the n add up to T; every unit is taken whole
          when T >= ΣN.

        ``reserve`` = ⌈share · n⌉, but no more than the N − n people left.  N = 0
        gives n = 0 and no reserve.

    Raises
    ------
    ValueError
        If the quota is not sampled or a roster size is not a whole number >= 0.

    Examples
    --------
    >>> q = Quota(sampled=("department", "district"), margin=0.05, reserve=0.2)
    >>> sizes = sample_sizes(q, {"so-tu-phap": 2000, "huyen-sin-ho": 400, "so-y-te": 0})
    >>> [(s.unit, s.N, s.n, s.reserve) for s in sizes.values()]
    [('so-tu-phap', 2000, 334, 67), ('huyen-sin-ho', 400, 200, 40), ('so-y-te', 0, 0, 0)]
    >>> q = Quota(sampled=("department",), total=100, reserve=0.2)
    >>> {u: s.n for u, s in sample_sizes(q, {"a": 500, "b": 300, "c": 200}).items()}
    {'a': 50, 'b': 30, 'c': 20}
    """
    if not isinstance(quota, Quota) or not quota.is_sampled:
        raise ValueError("sample sizes are set by a sampled quota ({sampled: [...], ...})")
    sizes = {unit: _roster_size(unit, N) for unit, N in roster_sizes.items()}
    if quota.rule == "total":
        official = _largest_remainder(quota.total or 0, sizes)
    elif quota.rule == "per_unit":
        official = {unit: min(quota.per_unit or 0, N) for unit, N in sizes.items()}
    else:
        e = quota.margin if quota.margin is not None else 0.05
        official = {unit: sample_size_slovin(N, e) if N else 0 for unit, N in sizes.items()}
    out = {}
    for unit, N in sizes.items():
        n = official[unit]
        reserve = min(math.ceil(quota.reserve * n - 1e-9), N - n)
        out[unit] = SampleSize(unit, N, n, max(reserve, 0))
    return out


# --------------------------------------------------------------------------- the draw


def draw_sample(ids_by_unit: Mapping[str, Sequence[str]], sizes: Mapping[str, SampleSize], *,
                seed: int) -> pd.DataFrame:
    """Draw the official sample and the ordered reserve list of every unit.

    Parameters
    ----------
    ids_by_unit : mapping of str to sequence of str
        Each unit's roster, as the ids of its dossiers (or people).  Ids need only be
        unique within a unit.
    sizes : mapping of str to SampleSize
        Each unit's sizes (:func:`sample_sizes`), for exactly the units of
        ``ids_by_unit``; ``N`` must be the number of ids.
    seed : int
        The seed of the draw, >= 0: keep it, with the rosters, so that the draw can
        be repeated and checked.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit, id, role, order, roster_size`` (:data:`DRAW_COLUMNS`): one row
        per person drawn, sorted by unit, role (``official`` first, then ``reserve``)
        and ``order`` (from 1 within a unit and role; a reserve's order is the order
        in which reserves replace people who cannot be reached or refuse).
        ``roster_size`` is the unit's N.

    Raises
    ------
    ValueError
        If the units of the two mappings differ, an id is blank or repeated within a
        unit, a unit's N is not its number of ids, or the seed is not a whole
        number >= 0.

    Notes
    -----
    The draw is :func:`sampling.selection.select_respondents`: simple random sampling
    without replacement of n + reserve people per unit, the reserves in random order.
    Each unit's people are sorted by id before the draw and each unit draws from its
    own generator (the seed and a hash of the unit code), so the result depends only on
    the seed and on each unit's set of ids: not on their order, nor on the other units.

    Examples
    --------
    >>> q = Quota(sampled=("department",), per_unit=2, reserve=0.5)
    >>> rosters = {"so-a": ["A1", "A2", "A3", "A4", "A5"], "so-b": ["A1", "B2"]}
    >>> sizes = sample_sizes(q, {unit: len(ids) for unit, ids in rosters.items()})
    >>> drawn = draw_sample(rosters, sizes, seed=2020)
    >>> drawn.groupby(["unit", "role"]).size().to_dict()
    {('so-a', 'official'): 2, ('so-a', 'reserve'): 1, ('so-b', 'official'): 2}
    >>> reversed_rows = {unit: ids[::-1] for unit, ids in rosters.items()}
    >>> draw_sample(reversed_rows, sizes, seed=2020).equals(drawn)
    True
    """
    import pandas as pd  # see the module docstring

    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    missing = [str(u) for u in ids_by_unit if u not in sizes]
    extra = [str(u) for u in sizes if u not in ids_by_unit]
    if missing or extra:
        parts = ([f"no sizes for the unit(s) {', '.join(missing)}"] if missing else []) + (
            [f"no roster for the unit(s) {', '.join(extra)}"] if extra else [])
        raise ValueError("; ".join(parts))
    size_of = {str(unit): sizes[unit] for unit in ids_by_unit}
    if len(size_of) != len(ids_by_unit):
        raise ValueError("two unit codes are the same as text (e.g. 1 and '1')")
    units, keys, refs = [], [], []
    for unit, ids in ids_by_unit.items():
        if isinstance(ids, str):
            raise ValueError(f"the roster of {unit!r} must be a sequence of ids, not one text")
        texts = [str(i).strip() if i is not None else "" for i in ids]
        if any(not t for t in texts):
            raise ValueError(f"the roster of {unit!r} has a blank id")
        if len(set(texts)) != len(texts):
            repeated = sorted({t for t in texts if texts.count(t) > 1})[:5]
            raise ValueError(f"the roster of {unit!r} repeats the id(s) {', '.join(repeated)}")
        if sizes[unit].N != len(texts):
            raise ValueError(f"the sizes of {unit!r} are for a roster of {sizes[unit].N},"
                             f" not {len(texts)}")
        units += [str(unit)] * len(texts)
        # The unit in the key keeps ids unique across units and leaves their order alone.
        keys += [f"{unit}\x1f{t}" for t in texts]
        refs += texts
    if not keys:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("order", "roster_size") else "str")
                             for c in DRAW_COLUMNS})
    roster = pd.DataFrame({"unit": units, "id": keys, "name": keys, "ref": refs})
    drawn_units = sorted(set(units))
    selection = select_respondents(
        roster, seed=int(seed),
        per_unit={u: size_of[u].n for u in drawn_units},
        reserve={u: size_of[u].reserve for u in drawn_units})
    out = selection.assign(id=selection["ref"])[list(DRAW_COLUMNS)]
    return out.reset_index(drop=True)
