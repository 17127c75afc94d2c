"""The ``survey-service`` command group, on Flask's own command-line machinery.

:data:`main` is a :class:`flask.cli.FlaskGroup`: one application per invocation,
made by :func:`survey_service.create_app` with the database of ``--database`` (or
the environment), and an application context around every command.  Each feature
adds its commands (``survey_service/<feature>/cli.py``, gathered in
:mod:`survey_service.cli`).

Every command prints a clear message and exits non-zero on bad input, a bad file
or a bad state, never a traceback.  Messages are in Vietnamese; ``--lang en`` (or
``SURVEY_LANG=en``) gives English.  A command's writes are committed once, when it
ends without an error (:func:`command_session`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import IO, Any, NoReturn, TypeVar

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from questionnaires.problems import DataFileError
from questionnaires.text import BilingualError

from . import config as _config
from . import migrate
from .database import get_db

F = TypeVar("F", bound=Callable[..., Any])


def _info() -> ScriptInfo | None:
    ctx = click.get_current_context(silent=True)
    return ctx.find_object(ScriptInfo) if ctx else None


def lang() -> str:
    """The language of the command's messages."""
    info = _info()
    if info is not None and info.data.get("lang"):
        return info.data["lang"]
    return "en" if os.environ.get(_config.ENV_LANG, "").lower().startswith("en") else "vi"


def say(vi: str, en: str, *, err: bool = False) -> None:
    """Print a message in the chosen language."""
    click.echo(en if lang() == "en" else vi, err=err)


def fail(vi: str, en: str, code: int = 2) -> NoReturn:
    """Print an error in the chosen language on standard error and exit."""
    prefix = "Error" if lang() == "en" else "Lỗi"
    click.echo(f"{prefix}: {en if lang() == 'en' else vi}", err=True)
    sys.exit(code)


def friendly_errors(func: F) -> F:
    """Turn the errors a user can cause into a clear message and exit status 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:
            # The reader went away (``... | head``): not an error worth a message.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except DataFileError as exc:
            click.echo(exc.report(lang()), err=True)
            sys.exit(2)
        except BilingualError as exc:
            fail(exc.message("vi"), exc.message("en"))
        except SQLAlchemyError as exc:
            detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            fail(f"không làm việc được với cơ sở dữ liệu: {detail}",
                 f"the database could not be used: {detail}")
        except OSError as exc:
            fail(f"không đọc/ghi được tệp: {exc}", f"cannot read or write a file: {exc}")

    return wrapper  # type: ignore[return-value]


@contextmanager
def command_session() -> Iterator[Session]:
    """The command's session: committed once at the end, rolled back on any error."""
    with get_db().session() as session:
        yield session


def database_is_initialised(app: Flask | None = None) -> bool:
    """True when the database exists and is at a migration revision (no side effects)."""
    app = app or current_app
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return False
    try:
        return migrate.current_revision(get_db(app).engine) is not None
    except SQLAlchemyError:
        return False


def require_initialised() -> None:
    """Exit with a clear message unless ``init`` has been run on the database."""
    if not database_is_initialised():
        fail("cơ sở dữ liệu chưa được khởi tạo; hãy chạy: survey-service init",
             "the database is not initialised; run: survey-service init")


def write_file(output: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``output`` whole or not at all (through a ``.part`` file)."""
    tmp = Path(output).with_name(Path(output).name + ".part")
    tmp.write_bytes(data)
    tmp.replace(output)


@contextmanager
def open_output(path: str | None) -> Iterator[IO[str]]:
    """Standard output, or a text file written whole or not at all."""
    if path is None:
        yield sys.stdout
        return
    tmp = Path(path).with_name(Path(path).name + ".part")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        yield fh
    tmp.replace(path)  # never leave a half-written file under the real name


def _remember(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        if value is not None:
            ctx.ensure_object(ScriptInfo).data[key] = value
        return value

    return callback


def _create_app() -> Flask:
    """The command's application, on the database of ``--database`` if given."""
    from .app import create_app

    info = _info()
    database = info.data.get("database") if info is not None else None
    return create_app({"DATABASE_URL": database, "DATABASE_URL_GIVEN": True} if database else None)


class SurveyGroup(FlaskGroup):
    """Flask's command group, without its development commands and ``.env`` loading."""

    def __init__(self, **extra: Any) -> None:
        super().__init__(add_default_commands=False, add_version_option=False, load_dotenv=False,
                         set_debug_flag=False, create_app=_create_app, **extra)
        # Of Flask's own options only the application factory is ours: no --app, --env-file, --debug.
        self.params = [p for p in self.params if p.name not in ("app", "env_file", "debug")]

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        finally:
            info = ctx.find_object(ScriptInfo)
            loaded = getattr(info, "_loaded_app", None) if info else None
            if loaded is not None:
                get_db(loaded).dispose()


@click.group(cls=SurveyGroup, context_settings={"help_option_names": ["-h", "--help"],
                                                "auto_envvar_prefix": None})
@click.option("--lang", type=click.Choice(["vi", "en"]), default=None, is_eager=True,
              expose_value=False, callback=_remember("lang"),
              help="Language of messages (default: SURVEY_LANG, else Vietnamese).")
@click.option("--database", default=None, metavar="URL", is_eager=True, expose_value=False,
              callback=_remember("database"),
              help="Database URL for this command (default: SURVEY_DATABASE_URL, else the "
                   "SQLite file in the instance folder).")
def main() -> None:
    """Survey service for the provincial administrative-reform index (Chỉ số CCHC)."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the development server (production: gunicorn survey_service.wsgi:app)."""
    from werkzeug.serving import run_simple

    run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]
