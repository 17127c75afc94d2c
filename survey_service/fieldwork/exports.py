"""Field-work files: the slots list (CSV) and the progress tables (CSV, XLSX).

Written through :mod:`survey_service.core.spreadsheets`: unit and group names come
from a plan, and a name that looks like a formula stays text.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from ..core.spreadsheets import csv_bytes, write_csv, xlsx_bytes
from .progress import Progress
from .queries import SLOT_COLUMNS, SlotRow

PROGRESS_COLUMNS = ["group", "unit", "planned", "handed_out", "started", "completed"]
LINE_COLUMNS = ["code", "name", "planned", "handed_out", "started", "completed", "behind"]


def slots_csv(rows: Iterable[SlotRow]) -> bytes:
    """One line per slot, the columns of :data:`~.queries.SLOT_COLUMNS`."""
    out = io.StringIO()
    write_slots_csv(out, rows)
    return out.getvalue().encode("utf-8")


def write_slots_csv(fh: io.TextIOBase, rows: Iterable[SlotRow]) -> int:
    """Write the slots CSV to ``fh``; returns the number of slots written."""
    return write_csv(fh, SLOT_COLUMNS, (r.as_dict() for r in rows))


def progress_csv(report: Progress) -> bytes:
    """The progress per group and unit."""
    return csv_bytes(PROGRESS_COLUMNS, report.cells)


def progress_xlsx(report: Progress) -> bytes:
    """The progress per group and unit, and per group, district and unit on sheets of their own."""
    sheets = {"tien_do": (PROGRESS_COLUMNS, report.cells)}
    for title, lines in (("nhom", report.groups), ("huyen", report.districts), ("don_vi", report.units)):
        sheets[title] = (LINE_COLUMNS, [line.as_dict() for line in lines])
    return xlsx_bytes(sheets)
