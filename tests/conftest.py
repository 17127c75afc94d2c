"""Shared fixtures: a fresh database per test, on SQLite and on PostgreSQL.

PostgreSQL tests use the server named by ``SURVEY_TEST_POSTGRES_URL`` (``make test``
starts a throwaway one).  Without it they are skipped, unless
``SURVEY_REQUIRE_POSTGRES`` is set (as ``make test`` does), in which case a missing
server is an error: CI must never pass by skipping the production database.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

POSTGRES_URL = os.environ.get("SURVEY_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = bool(os.environ.get("SURVEY_REQUIRE_POSTGRES"))


def _postgres_database(template: str | None = None) -> Iterator[str]:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("SURVEY_REQUIRE_POSTGRES is set but SURVEY_TEST_POSTGRES_URL is not")
        pytest.skip("no PostgreSQL server (set SURVEY_TEST_POSTGRES_URL)")
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(sa.text(f'CREATE DATABASE "{name}"{suffix}'))
    url = sa.make_url(POSTGRES_URL).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'survey.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite database (for tests whose subject is not the database)."""
    return f"sqlite:///{tmp_path / 'survey.db'}"


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> dict[str, str]:
    """The environment of a ``survey-service`` run on the test database."""
    env = {
        "SURVEY_DATABASE_URL": database_url,
        "SURVEY_SECRET_KEY": "test-secret",
        "SURVEY_BASE_URL": "http://survey.test",
        "SURVEY_INSTANCE_PATH": str(tmp_path / "instance"),
        "SURVEY_LANG": "",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def cli(cli_env: dict[str, str]):
    """Run ``survey-service ARGS``; returns the click result (stdout and stderr apart)."""
    from survey_service.cli import main

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

    return run


def _build_loaded(url: str) -> None:
    """Migrate an empty database and load the built-in plan into it."""
    import sampling
    from survey_service.core.database import Database
    from survey_service.core.migrate import upgrade
    from survey_service.plans.operations import sync_plan

    database = Database(url)
    try:
        upgrade(database.engine)
        with database.session() as session:
            sync_plan(session, sampling.load_plan())
    finally:
        database.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the built-in plan loaded, built once and copied per test."""
    path = tmp_path_factory.mktemp("template") / "loaded.db"
    _build_loaded(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[str]:
    """A PostgreSQL database with the built-in plan loaded, used as a template."""
    for url in _postgres_database():
        _build_loaded(url)
        yield sa.make_url(url).database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def loaded_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database holding the built-in plan (1,193 slots), copied from a template."""
    if request.param == "sqlite":
        path = tmp_path / "survey.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        yield from _postgres_database(template=request.getfixturevalue("_postgres_template"))


@pytest.fixture
def app(loaded_url: str, tmp_path: Path):
    """An application on a migrated database with the built-in plan loaded."""
    from survey_service import create_app, get_db

    application = create_app({
        "DATABASE_URL": loaded_url,
        "SECRET_KEY": "test-secret",
        "BASE_URL": "http://survey.test",
        "TESTING": True,
    })
    application.instance_path = str(tmp_path / "instance")
    yield application
    get_db(application).dispose()


@pytest.fixture
def database_url_of_app(loaded_url: str) -> str:
    """The URL of the ``app`` fixture's database (for server processes)."""
    return loaded_url


@pytest.fixture
def db(app):
    """The application's database object."""
    from survey_service import get_db

    return get_db(app)


@pytest.fixture
def loaded(app):
    """The application with the built-in plan loaded (1,193 slots)."""
    return app


@pytest.fixture
def client(app):
    return app.test_client()
