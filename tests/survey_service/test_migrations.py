"""The schema comes only from migrations, and the migrations match the models."""

from __future__ import annotations

import sqlalchemy as sa

from survey_service.core import migrate
from survey_service.core.database import make_engine


def test_upgrade_empty_database_to_head_matches_models(database_url):
    engine = make_engine(database_url)
    try:
        assert migrate.current_revision(engine) is None
        before, after = migrate.upgrade(engine)
        assert before is None
        assert after == migrate.head_revision()
        assert migrate.schema_drift(engine) == []
        tables = set(sa.inspect(engine).get_table_names())
        assert {"survey_plans", "units", "respondent_groups", "quota_places", "slots",
                "users"} <= tables
        # Upgrading again is a no-op.
        assert migrate.upgrade(engine) == (after, after)
    finally:
        engine.dispose()


def test_drift_is_detected(database_url):
    """The drift check can fail: a column the models lack shows up."""
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE users ADD COLUMN nickname VARCHAR(20)"))
        assert migrate.schema_drift(engine) != []
    finally:
        engine.dispose()
