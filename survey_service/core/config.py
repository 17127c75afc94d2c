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

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
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


def from_environment(folder: Path) -> dict[str, Any]:
    """The settings taken from the environment, with their defaults."""
    return {
        "DATABASE_URL": os.environ.get(ENV_DATABASE_URL) or f"sqlite:///{folder / SQLITE_FILE}",
        "SECRET_KEY": _secret_key(folder),
        "BASE_URL": (os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL).rstrip("/"),
        "DEFAULT_LANG": "en" if os.environ.get(ENV_LANG, "").lower().startswith("en") else "vi",
    }
