"""Compress every text response, error pages included (brotli or gzip).

Respondents are on 2G/3G links, and the page they get after a mistake (HTTP 422) or
on a spent link (410) matters as much as any other.  Flask-Compress, the usual
extension, deliberately leaves every response with a status of 300 or more
uncompressed, which sent those pages at five times their size; so this short
after-request hook does the job for all statuses.
"""

from __future__ import annotations

import gzip

import brotli
from flask import Flask, Response, request

MIMETYPES = frozenset({"text/html", "text/css", "text/csv", "application/json",
                       "image/svg+xml"})
#: Below this, compression costs more than it saves.
MIN_SIZE = 300


def compress(response: Response) -> Response:
    """Compress ``response`` in place if the client accepts it and it is worth it."""
    if (response.mimetype not in MIMETYPES or response.direct_passthrough
            or response.is_streamed or "Content-Encoding" in response.headers):
        return response
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = "Accept-Encoding"
    elif "accept-encoding" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Accept-Encoding"
    accepted = request.accept_encodings
    data = response.get_data()
    if len(data) < MIN_SIZE:
        return response
    if accepted.quality("br") > 0:
        body, encoding = brotli.compress(data, quality=5), "br"
    elif accepted.quality("gzip") > 0:
        body, encoding = gzip.compress(data, compresslevel=6, mtime=0), "gzip"
    else:
        return response
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    response.headers["Content-Length"] = str(len(body))
    return response


def init_app(app: Flask) -> None:
    """Compress the responses of ``app``."""
    app.after_request(compress)
