"""Alembic environment: run by :mod:`survey_service.core.migrate`, never by hand-written SQL."""

from __future__ import annotations

from alembic import context

from survey_service.core.migrate import metadata

config = context.config
target_metadata = metadata()


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("migrations run through survey_service.core.migrate with a connection")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
