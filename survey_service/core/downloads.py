"""Files the staff pages send: always as attachments, never rendered in the browser."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from flask import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(data: bytes, filename: str, mimetype: str) -> Response:
    """``data`` as a download named ``filename``, never shown in the browser.

    The name may come in part from a query or a person (a unit code, an evidence file's
    name): the header carries an ASCII fallback with nothing but letters, digits, spaces,
    dots and dashes, and the full name encoded (RFC 6266), so no quote or line break can
    reach it.

    >>> print(attachment(b"", 'Sở "Y tế".pdf', "application/pdf").headers["Content-Disposition"])
    attachment; filename="So -Y te-.pdf"; filename*=UTF-8''S%E1%BB%9F%20%22Y%20t%E1%BA%BF%22.pdf
    """
    # NFKD takes the marks off Vietnamese letters; đ has none to take off.
    plain = filename.replace("đ", "d").replace("Đ", "D")
    ascii_name = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r"-+", "-", re.sub(r"[^A-Za-z0-9._ -]", "-", ascii_name)).strip("-") or "download"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
