"""Commands of the results: ``export codebook|responses|scores|index``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

import questionnaires

from ..core.cli import (
    command_session,
    database_is_initialised,
    fail,
    friendly_errors,
    open_output,
    say,
    write_file,
)
from ..core.database import Database
from ..core.spreadsheets import write_csv
from ..plans.cli import plan_for_reading
from ..plans.queries import current_plan, get_plan_row
from . import exports
from .queries import compute, responses_frame

EXPORT_FORMATS = {
    "codebook": ("json", "csv"),
    "responses": ("csv", "xlsx", "sav", "json"),
    "scores": ("csv", "xlsx", "json"),
    "index": ("csv", "xlsx", "json"),
}

#: The worked example's database in the instance folder (``survey-service demo``).
DEMO_FILE = "demo.db"


def demo_path() -> Path:
    """Where ``survey-service demo`` builds its example by default."""
    return Path(current_app.instance_path) / DEMO_FILE


@click.command("export")
@click.argument("table", type=click.Choice(list(EXPORT_FORMATS)))
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx", "sav"]), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of standard output (required for xlsx and sav).")
@with_appcontext
@friendly_errors
def export(table: str, fmt: str, output: str | None) -> None:
    """Export a table: codebook, responses (long; sav: one case per response and unit),
    scores (per unit and sub-criterion) or index (per unit, with rank interval and grade).

    Exports never contain a token, a slot code or anything that links an answer to a person.
    """
    if fmt not in EXPORT_FORMATS[table]:
        fail(f"'{table}' không xuất được dạng {fmt} (được: {', '.join(EXPORT_FORMATS[table])})",
             f"'{table}' cannot be exported as {fmt} (formats: {', '.join(EXPORT_FORMATS[table])})")
    if table != "codebook":
        _export_results(table, fmt, output)
        return
    plan = plan_for_reading()
    forms = list(plan.forms.values())
    with open_output(output) as fh:
        if fmt == "json":
            json.dump({"plan": plan.code, "questions": questionnaires.codebook(forms)}, fh,
                      ensure_ascii=False, indent=2)
            fh.write("\n")
        else:
            write_csv(fh, questionnaires.CODEBOOK_ROW_FIELDS, questionnaires.codebook_rows(forms))


def _source_database() -> Database | None:
    """The worked example's database, while the service's own is not initialised.

    So ``survey-service demo`` followed by ``survey-service export index`` shows the
    example on a fresh machine; once the real database is initialised it always wins,
    and the example is never written into it.  None: read the service's database.
    """
    if database_is_initialised() or current_app.config.get("DATABASE_URL_GIVEN"):
        return None
    path = demo_path()
    if not path.is_file():
        return None
    say(f"(Chưa khởi tạo cơ sở dữ liệu của dịch vụ: đọc cơ sở dữ liệu ví dụ {path}.)",
        f"(The service database is not initialised: reading the example database {path}.)",
        err=True)
    return Database(f"sqlite:///{path}")


def _read_table(session: Session, table: str):  # type: ignore[no-untyped-def]
    row, plan = get_plan_row(session), current_plan(session)
    if row is None or plan is None:
        fail("chưa nạp kế hoạch nào; hãy chạy: survey-service init",
             "no plan is loaded; run: survey-service init")
    if table == "responses":
        return plan, responses_frame(session, row.id), None
    computed = compute(session, row, plan)
    if table == "scores":
        return plan, computed.scores, exports.score_records(computed)
    return plan, computed.index, exports.index_records(computed)


def _export_results(table: str, fmt: str, output: str | None) -> None:
    if fmt in ("xlsx", "sav") and output is None:
        fail("hãy chọn tệp ghi ra bằng -o", "choose the output file with -o")
    example = _source_database()
    if example is not None:
        try:
            with example.session() as session:
                plan, frame, records = _read_table(session, table)
        finally:
            example.dispose()
    else:
        if not database_is_initialised():
            fail("cơ sở dữ liệu chưa được khởi tạo; hãy chạy: survey-service init",
                 "the database is not initialised; run: survey-service init")
        with command_session() as session:
            plan, frame, records = _read_table(session, table)
    if fmt in ("sav", "xlsx"):
        data = (exports.responses_sav(frame, dict(plan.forms)) if fmt == "sav"
                else exports.to_xlsx({table: frame}))
        write_file(output, data)
        say(f"Đã ghi {len(frame)} dòng vào {output}.", f"Wrote {len(frame)} rows to {output}.",
            err=True)
        return
    with open_output(output) as fh:
        if fmt == "json":
            json.dump({"plan": plan.code, table: records if records is not None
                       else frame.to_dict(orient="records")}, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
        else:
            exports.to_csv(frame, fh)


def register(group: click.Group) -> None:
    """Add this feature's commands to ``group``."""
    group.add_command(export)
