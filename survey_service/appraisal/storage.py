"""Where the app keeps evidence files, and how large they may be, from its configuration.

``EVIDENCE_DIR`` (default: ``evidence`` in the instance folder), ``EVIDENCE_FILE_MB``
(default :data:`~.evidence.DEFAULT_FILE_MB`, 20) and ``EVIDENCE_UNIT_MB`` (default
:data:`~.evidence.DEFAULT_UNIT_MB`, 500); a missing, empty or unusable setting takes
its default.  A deployment that keeps the files elsewhere (an S3-compatible object
store) gives its own :class:`~.evidence.EvidenceStore` as ``EVIDENCE_STORE``.  The
pages and the JSON API take the store and the limits from here, so both keep the same
files under the same limits.
"""

from __future__ import annotations

import math
import os
from typing import Any

from flask import Flask, current_app

from .evidence import DEFAULT_FILE_MB, DEFAULT_UNIT_MB, EvidenceStore, LocalStore

_MB = 1024 * 1024


def _app(app: Flask | None) -> Flask:
    return app if app is not None else current_app  # type: ignore[return-value]


def evidence_store(app: Flask | None = None) -> EvidenceStore:
    """The evidence store of ``app`` (the running app by default): ``EVIDENCE_STORE`` if
    given, else a folder, by default under the instance folder."""
    config = _app(app).config
    store = config.get("EVIDENCE_STORE")
    if store is not None:
        return store  # type: ignore[no-any-return]
    return LocalStore(config.get("EVIDENCE_DIR") or os.path.join(_app(app).instance_path, "evidence"))


def _megabytes(app: Flask | None, key: str, default: float) -> int:
    """A size setting in MB, as bytes."""
    raw: Any = _app(app).config.get(key)
    try:
        value = float(str(raw).replace(",", ".")) if raw not in (None, "") else float(default)
    except ValueError:
        value = float(default)
    if not math.isfinite(value) or value <= 0:
        value = float(default)
    return int(value * _MB)


def limits(app: Flask | None = None) -> tuple[int, int]:
    """The most bytes of one evidence file, and of all the evidence of one unit."""
    return (_megabytes(app, "EVIDENCE_FILE_MB", DEFAULT_FILE_MB),
            _megabytes(app, "EVIDENCE_UNIT_MB", DEFAULT_UNIT_MB))
