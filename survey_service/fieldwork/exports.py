"""Field-work files: the slots list (CSV) and the progress tables (CSV, XLSX)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

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
    writer = csv.DictWriter(fh, fieldnames=SLOT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for r in rows:
        writer.writerow(r.as_dict())
        count += 1
    return count


def progress_csv(report: Progress) -> bytes:
    """The progress per group and unit."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=PROGRESS_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(report.cells)
    return out.getvalue().encode("utf-8")


def progress_xlsx(report: Progress) -> bytes:
    """The progress per group and unit, and per group, district and unit on sheets of their own."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "tien_do"
    sheet.append(PROGRESS_COLUMNS)
    for cell in report.cells:
        sheet.append([cell[c] for c in PROGRESS_COLUMNS])
    for title, lines in (("nhom", report.groups), ("huyen", report.districts), ("don_vi", report.units)):
        extra = book.create_sheet(title)
        extra.append(LINE_COLUMNS)
        for line in lines:
            d = line.as_dict()
            extra.append([d[c] for c in LINE_COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
