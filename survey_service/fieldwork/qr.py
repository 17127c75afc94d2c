"""QR codes of the slot links: the symbol, a PNG of it, and a zip of PNGs for printers.

* :func:`qr_matrix`: the QR code of a link (the ``qrcode`` library's symbol, error
  correction M, the best of the eight masks; computed in batches by
  :mod:`.qr_symbol`); the PDF cards (:mod:`.cards`) and the PNGs draw this same symbol.
* :func:`qr_zip`: a zip of one PNG QR image per slot (``<slot code>.png``) and a
  ``slots.csv`` index (written by :mod:`survey_service.core.spreadsheets`, so a unit
  name that looks like a formula stays text).

A slot link is the respondent's credential: these files must be handled like the
cards themselves.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Sequence

from PIL import Image

from ..core.spreadsheets import write_csv
from .qr_symbol import symbols
from .queries import SlotRow

#: ``progress(done, total)``: called as cards or images are made.
Progress = Callable[[int, int], None]

#: A QR code as rows of modules, True for dark, without the quiet zone.
Matrix = tuple[tuple[bool, ...], ...]

#: QR images in :func:`qr_zip`: pixels per module and quiet zone in modules.
PNG_BOX_SIZE, PNG_BORDER, PNG_DPI = 10, 4, 300

#: Columns of ``slots.csv`` in :func:`qr_zip`.
INDEX_COLUMNS = ("slot", "group", "form", "unit", "unit_name", "url", "file")

# A slot code is used as a file name in the zip: letters, digits and - only.
_SAFE_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]*")


# --------------------------------------------------------------------------- QR codes


def qr_matrix(url: str) -> Matrix:
    """The QR code of ``url`` (error correction M, smallest version that fits, best mask).

    The same symbol as ``qrcode``'s ``make(fit=True)``.  No quiet zone: whoever draws
    it leaves 4 light modules around it.
    """
    return qr_matrices([url])[0]


def qr_matrices(urls: Sequence[str]) -> list[Matrix]:
    """:func:`qr_matrix` of each of ``urls``, computed together (faster; see :mod:`.qr_symbol`)."""
    return [tuple(map(tuple, symbol.tolist())) for symbol in symbols(urls)]


def qr_runs(matrix: Matrix) -> list[tuple[int, int, int]]:
    """The dark modules as horizontal runs ``(row, column, length)``, row by row.

    Drawing runs instead of single modules makes a page's content 3-4 times smaller.
    """
    runs = []
    for r, row in enumerate(matrix):
        c, n = 0, len(row)
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                runs.append((r, start, c - start))
            else:
                c += 1
    return runs


def qr_png(matrix: Matrix, *, box_size: int = PNG_BOX_SIZE, border: int = PNG_BORDER) -> bytes:
    """A black-and-white PNG of ``matrix``: ``box_size`` pixels a module, ``border`` modules of quiet zone.

    The PNG says 300 dpi, so it prints at about 35 mm for a version-4 code.
    """
    n = len(matrix)
    small = Image.new("1", (n + 2 * border, n + 2 * border), 1)
    small.putdata([0 if (border <= r < n + border and border <= c < n + border
                         and matrix[r - border][c - border]) else 1
                   for r in range(n + 2 * border) for c in range(n + 2 * border)])
    size = (n + 2 * border) * box_size
    image = small.resize((size, size), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True, dpi=(PNG_DPI, PNG_DPI))
    return out.getvalue()


# --------------------------------------------------------------------------- the zip


def qr_zip(rows: Sequence[SlotRow], *, progress: Progress | None = None) -> bytes:
    """A zip of one PNG QR code per slot, ``<slot code>.png``, and a ``slots.csv`` index.

    Each PNG has 10 pixels a module and a quiet zone of 4 modules (410 x 410 pixels
    for the usual version-4 code, about 35 mm at its 300 dpi).  ``slots.csv`` (UTF-8)
    has the columns :data:`INDEX_COLUMNS`.  Raises ValueError for a slot code that
    cannot be a file name or appears twice.
    """
    rows = list(rows)  # an iterator (such as iter_slots) is welcome too
    out = io.BytesIO()
    index: list[dict[str, str]] = []
    seen: set[str] = set()
    stamp = dt.datetime.now().timetuple()[:6]
    total = len(rows)
    with zipfile.ZipFile(out, "w") as zf:
        for done, row in enumerate(rows, start=1):
            if not _SAFE_NAME.fullmatch(row.slot):
                raise ValueError(f"slot code {row.slot!r} cannot be used as a file name")
            if row.slot in seen:
                raise ValueError(f"slot code {row.slot!r} appears twice")
            seen.add(row.slot)
            name = f"{row.slot}.png"
            # PNG data is already compressed: store it as it is.
            zf.writestr(zipfile.ZipInfo(name, stamp), qr_png(qr_matrix(row.url)),
                        compress_type=zipfile.ZIP_STORED)
            index.append({"slot": row.slot, "group": row.group, "form": row.form, "unit": row.unit,
                          "unit_name": row.unit_name, "url": row.url, "file": name})
            if progress:
                progress(done, total)
        text = io.StringIO()
        write_csv(text, INDEX_COLUMNS, index)
        zf.writestr(zipfile.ZipInfo("slots.csv", stamp), text.getvalue().encode("utf-8"),
                    compress_type=zipfile.ZIP_DEFLATED)
    if progress and total == 0:
        progress(0, 0)
    return out.getvalue()
