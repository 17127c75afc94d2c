"""Configuration from the environment, read when the app is created (never at import)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

#: Environment variables the service reads (see README, "Configuration").
ENV_DATABASE_URL = "SURVEY_DATABASE_URL"
ENV_SECRET_KEY = "SURVEY_SECRET_KEY"
ENV_BASE_URL = "SURVEY_BASE_URL"
ENV_INSTANCE_PATH = "SURVEY_INSTANCE_PATH"
ENV_LANG = "SURVEY_LANG"
ENV_MAX_UPLOAD_MB = "SURVEY_MAX_UPLOAD_MB"
ENV_EVIDENCE_DIR = "SURVEY_EVIDENCE_DIR"
ENV_EVIDENCE_FILE_MB = "SURVEY_EVIDENCE_FILE_MB"
ENV_EVIDENCE_UNIT_MB = "SURVEY_EVIDENCE_UNIT_MB"
ENV_PROXIES = "SURVEY_PROXIES"

DEFAULT_BASE_URL = "http://127.0.0.1:5000"

# -- request size limits (answered 413 before the body is read: see core.app) --------

#: A respondent page or the sign-in form.  The longest text answer a form may allow
#: (10,000 characters), URL-encoded as UTF-8, stays under 90 KB.
MAX_FORM_BYTES = 128 * 1024
#: Any other request: staff forms, a whole paper form keyed in on one sheet.
MAX_REQUEST_BYTES = 1024 * 1024
#: An uploaded workbook (the appraisal upload, signed-in staff only), in MB.
DEFAULT_MAX_UPLOAD_MB = 20
#: Parts of a ``multipart/form-data`` body (every field and file is one).
MAX_FORM_PARTS = 1000
SECRET_KEY_FILE = "secret_key"
SQLITE_FILE = "survey.db"


def instance_path(default: str | os.PathLike[str]) -> Path:
    """The instance folder (database file, secret key): ``SURVEY_INSTANCE_PATH`` or ``default``."""
    return Path(os.environ.get(ENV_INSTANCE_PATH) or default)


def _secret_key(folder: Path) -> str:
    """The signing key: from the environment, else generated once and kept in ``folder``."""
    key = os.environ.get(ENV_SECRET_KEY)
    if key:
        return key
    path = folder / SECRET_KEY_FILE
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Create with owner-only permissions; never overwrite a key another process wrote.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def limits(upload_mb: float = DEFAULT_MAX_UPLOAD_MB) -> dict[str, Any]:
    """The request size settings: Flask's ``MAX_CONTENT_LENGTH`` (every request),
    ``MAX_FORM_MEMORY_SIZE`` and ``MAX_FORM_PARTS``, and the service's own
    ``MAX_FORM_BYTES`` (respondent pages, sign-in) and ``MAX_UPLOAD_BYTES`` (uploads).

    >>> limits(5)["MAX_UPLOAD_BYTES"], limits()["MAX_FORM_BYTES"]
    (5242880, 131072)
    """
    return {
        "MAX_CONTENT_LENGTH": MAX_REQUEST_BYTES,
        "MAX_FORM_MEMORY_SIZE": MAX_FORM_BYTES,
        "MAX_FORM_PARTS": MAX_FORM_PARTS,
        "MAX_FORM_BYTES": MAX_FORM_BYTES,
        "MAX_UPLOAD_BYTES": int(upload_mb * 1024 * 1024),
    }


def _number(name: str, default: float, maximum: float, *, whole: bool = False) -> float:
    """The environment variable ``name``: a number above 0 (or 0 and above when ``whole``)
    and at most ``maximum``; ``default`` when unset.  A bad value stops the start with a
    clear message."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = -1.0
    ok = (value >= 0 and value.is_integer()) if whole else value > 0
    if not ok or value > maximum:
        from .errors import ServiceError

        what_vi = "số nguyên từ 0" if whole else "số megabyte lớn hơn 0"
        what_en = "a whole number from 0" if whole else "a number of megabytes above 0"
        raise ServiceError(f"{name} phải là {what_vi} và không quá {maximum:g} (đang là {raw!r})",
                           f"{name} must be {what_en} and at most {maximum:g} (it is {raw!r})")
    return value


def _upload_mb() -> float:
    """``SURVEY_MAX_UPLOAD_MB``: a positive number of megabytes (default 20)."""
    return _number(ENV_MAX_UPLOAD_MB, DEFAULT_MAX_UPLOAD_MB, 1024)


def evidence(folder: Path) -> dict[str, Any]:
    """Where evidence files are kept and how large they may be (see README, "Evidence files")."""
    return {
        "EVIDENCE_DIR": os.environ.get(ENV_EVIDENCE_DIR) or str(folder / "evidence"),
        "EVIDENCE_FILE_MB": _number(ENV_EVIDENCE_FILE_MB, 20, 1024),
        "EVIDENCE_UNIT_MB": _number(ENV_EVIDENCE_UNIT_MB, 500, 100_000),
    }


def defaults() -> dict[str, Any]:
    """The settings that do not come from the environment when a caller gives the
    database and the key (tests): the default origin, language and limits."""
    return {"BASE_URL": DEFAULT_BASE_URL, "DEFAULT_LANG": "vi", **limits()}


def from_environment(folder: Path) -> dict[str, Any]:
    """The settings taken from the environment, with their defaults."""
    return {
        "DATABASE_URL": os.environ.get(ENV_DATABASE_URL) or f"sqlite:///{folder / SQLITE_FILE}",
        "SECRET_KEY": _secret_key(folder),
        "BASE_URL": (os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL).rstrip("/"),
        "DEFAULT_LANG": "en" if os.environ.get(ENV_LANG, "").lower().startswith("en") else "vi",
        **limits(_upload_mb()),
        **evidence(folder),
        #: Reverse proxies in front of the service whose X-Forwarded-* headers are trusted.
        "PROXIES": int(_number(ENV_PROXIES, 0, 5, whole=True)),
    }
