"""Files the staff pages send: always as attachments, never rendered in the browser."""

from __future__ import annotations

from flask import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(data: bytes, filename: str, mimetype: str) -> Response:
    """``data`` as a download named ``filename`` (ASCII: the names are ours, never typed)."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
