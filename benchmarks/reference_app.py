"""The reference endpoints ``benchmarks/throughput.py`` measures the service against.

What Flask, gunicorn and the database give by themselves, served by gunicorn with the
same settings as the service (``throughput.py`` starts it)::

    gunicorn --chdir benchmarks -w 4 -k sync 'reference_app:create_app()'

* ``GET /``: the minimal Flask endpoint (a two-byte text answer, no template, no
  database, no session): the ceiling of any page of the service on this stack.
* ``POST /write``: the minimal committed write: one UPDATE of a row chosen at random
  among :data:`COUNTER_ROWS` and one INSERT, in one transaction, with SQLAlchemy on
  the database of ``REFERENCE_DATABASE_URL`` (SQLite with the service's settings: WAL,
  foreign keys, busy timeout; or PostgreSQL).  It is the ceiling of a final submit,
  which also starts with a conditional UPDATE of one row and inserts in the same
  transaction.

:func:`create_schema` makes the two tables (run once before the server starts).
This module never imports the service.
"""

from __future__ import annotations

import os
import random
from typing import Any

from flask import Flask
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    func,
    insert,
    update,
)
from sqlalchemy.engine import Engine

#: Environment variable holding the SQLAlchemy URL of the reference database.
ENV_URL = "REFERENCE_DATABASE_URL"
#: Rows the UPDATE picks from (distinct rows, as distinct slots are in a final submit).
COUNTER_ROWS = 10_000

metadata = MetaData()
counters = Table(
    "bench_counters", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("n", Integer, nullable=False, server_default="0"),
)
events = Table(
    "bench_events", metadata,
    Column("id", Integer, primary_key=True),
    Column("counter_id", Integer, ForeignKey("bench_counters.id"), nullable=False),
    Column("payload", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The settings the service uses on SQLite (see the README): WAL, one writer at a time.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA busy_timeout = 15000")
    cursor.close()


def make_engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def create_schema(url: str) -> None:
    """Create the tables and the counter rows (a fresh database is expected)."""
    engine = make_engine(url)
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(insert(counters), [{"id": i, "n": 0} for i in range(1, COUNTER_ROWS + 1)])
    finally:
        engine.dispose()


def create_app(url: str | None = None) -> Flask:
    """The reference app on ``url`` (default: ``REFERENCE_DATABASE_URL``)."""
    app = Flask(__name__)
    engine = make_engine(url or os.environ[ENV_URL])

    @app.get("/")
    def minimal():  # type: ignore[no-untyped-def]
        return "ok"

    @app.post("/write")
    def write():  # type: ignore[no-untyped-def]
        row = random.randint(1, COUNTER_ROWS)
        with engine.begin() as conn:
            conn.execute(update(counters).where(counters.c.id == row).values(n=counters.c.n + 1))
            conn.execute(insert(events).values(counter_id=row, payload=os.urandom(16).hex()))
        return "ok"

    return app
