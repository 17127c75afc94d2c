"""Database access: one SQLAlchemy engine per app, one session per request or command.

Plain SQLAlchemy 2 (typed declarative models, ``select()``), no Flask extension: the
command line and the tests use the same :class:`Database` object as the web app.
The schema is created only by the Alembic migrations (:mod:`.migrate`).

One commit point: a request's session (:func:`db_session`) is committed once, by the
application after the view returned (see :mod:`.app`), or rolled back if the view
raised; a command's session is committed once when the command ends
(:func:`survey_service.core.cli.command_session`).  Operations add and flush, and
never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

#: Constraint names that are stable across databases, so migrations can name them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Every timestamp is stored with its time zone (UTC), on SQLite and PostgreSQL alike.
    type_annotation_map = {dt.datetime: DateTime(timezone=True)}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # Foreign keys are off by default in SQLite; WAL lets readers run beside the one
    # writer; busy_timeout makes a second writer wait instead of failing at once.
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA busy_timeout = 15000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the settings this service relies on."""
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str, **engine_kwargs: Any):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        with self.sessionmaker() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def get_db(app: Flask | None = None) -> Database:
    """The application's :class:`Database`."""
    return (app or current_app).extensions["survey_db"]


def db_session() -> Session:
    """The request's session (opened on first use, closed at the end of the request)."""
    if "db_session" not in g:
        g.db_session = get_db().sessionmaker()
    return g.db_session
