"""After a purge: no copy of a deleted person left in the database's files.

Deleting a row leaves its bytes behind: in free space of the table's pages, in free
pages, in SQLite's write-ahead log, in PostgreSQL's dead tuples.  So once the purge is
committed, :func:`erase_freed_space` rewrites the storage:

* **SQLite**: ``VACUUM`` (the whole file rebuilt from the live rows only, with
  ``secure_delete`` on), then ``PRAGMA wal_checkpoint(TRUNCATE)``, which copies the
  result into the file and empties the write-ahead log;
* **PostgreSQL**: ``VACUUM FULL roster_people`` (the table and its index rewritten).

Both must run outside a transaction, so they take a connection of their own in
autocommit mode, after the command or request committed the purge.
"""

from __future__ import annotations

import time

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

#: Tries of the SQLite checkpoint while another connection still reads.
_TRIES = 5


def erase_freed_space(engine: Engine) -> bool:
    """Rewrite the storage so the deleted rows' bytes are gone; True when it was done.

    False when the database was busy (another connection kept a transaction open):
    the rows are deleted all the same; running the purge again retries this step.
    Other databases than SQLite and PostgreSQL: nothing to do (True).
    """
    name = engine.dialect.name
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if name == "sqlite":
                conn.exec_driver_sql("PRAGMA secure_delete = ON")
                conn.exec_driver_sql("VACUUM")
                for attempt in range(_TRIES):
                    busy, log, done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
                    if not busy and (log == done or log <= 0):
                        return True
                    time.sleep(0.2 * (attempt + 1))
                return False
            if name == "postgresql":
                conn.exec_driver_sql("VACUUM FULL roster_people")
    except OperationalError:
        return False
    return True
