"""Schema migrations (Alembic), run from Python so no alembic.ini is needed.

The schema is only ever created or changed here: ``survey-service init`` calls
:func:`upgrade`, and a test checks that the migrations produce exactly the models.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

from .database import Base

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def metadata() -> MetaData:
    """Every table of the service: the core's models and each feature's."""
    from ..appraisal import models as _appraisal  # noqa: F401  (registers its tables)
    from ..citizens import models as _citizens  # noqa: F401
    from . import models as _core  # noqa: F401

    return Base.metadata


def alembic_config() -> Config:
    """An Alembic configuration pointing at this package's migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    return cfg


def head_revision() -> str | None:
    """The newest revision of the migrations."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Upgrade the database to ``revision``; return (revision before, revision after)."""
    before = current_revision(engine)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return before, current_revision(engine)


def schema_drift(engine: Engine) -> list[object]:
    """Differences between the database schema and the models (empty when they agree)."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, metadata())
