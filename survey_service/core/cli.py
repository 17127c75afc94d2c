"""The ``survey-service`` command (also ``python -m survey_service``).

Every command prints a clear message and exits non-zero on bad input, a bad file
or a bad state, never a traceback.  Messages are in Vietnamese; ``--lang en`` (or
``SURVEY_LANG=en``) gives English.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import IO, Any, NoReturn, TypeVar

import click
import yaml
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

import questionnaires
import sampling
from questionnaires.problems import DataFileError

from . import config as _config
from . import create_app, get_db, migrate
from .services.plans import PlanConflict, current_plan, get_plan_row, plan_summary, sync_plan
from .services.slots import SLOT_COLUMNS, iter_slots
from .services.users import ROLES, UserError, add_user, get_user, new_api_key

QUICKSTART_PASSWORD_FILE = "admin-password.txt"

F = TypeVar("F", bound=Callable[..., Any])


class _State:
    lang: str = "vi"
    database: str | None = None
    _app: Flask | None = None

    @property
    def app(self) -> Flask:
        if self._app is None:
            self._app = create_app()
            if self.database:
                from .db import Database

                get_db(self._app).dispose()
                self._app.config["DATABASE_URL"] = self.database
                self._app.extensions["survey_db"] = Database(self.database)
        return self._app

    def close(self) -> None:
        """Release the database connections of the command's app."""
        if self._app is not None:
            get_db(self._app).dispose()


def _lang() -> str:
    ctx = click.get_current_context(silent=True)
    state = ctx.find_object(_State) if ctx else None
    return state.lang if state else "vi"


def say(vi: str, en: str, *, err: bool = False) -> None:
    """Print a message in the chosen language."""
    click.echo(en if _lang() == "en" else vi, err=err)


def fail(vi: str, en: str, code: int = 2) -> NoReturn:
    """Print an error in the chosen language on standard error and exit."""
    prefix = "Error" if _lang() == "en" else "Lỗi"
    click.echo(f"{prefix}: {en if _lang() == 'en' else vi}", err=True)
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
            click.echo(exc.report(_lang()), err=True)
            sys.exit(2)
        except (PlanConflict, UserError) as exc:
            fail(exc.messages["vi"], exc.messages["en"])
        except SQLAlchemyError as exc:
            detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            fail(f"không làm việc được với cơ sở dữ liệu: {detail}",
                 f"the database could not be used: {detail}")
        except OSError as exc:
            fail(f"không đọc/ghi được tệp: {exc}", f"cannot read or write a file: {exc}")

    return wrapper  # type: ignore[return-value]


@contextmanager
def _session() -> Iterator[Session]:
    state = click.get_current_context().find_object(_State)
    assert state is not None
    with state.app.app_context(), get_db(state.app).session() as session:
        yield session


def _app() -> Flask:
    state = click.get_current_context().find_object(_State)
    assert state is not None
    return state.app


def _database_is_initialised(app: Flask) -> bool:
    """True when the database exists and is at a migration revision (no side effects)."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return False
    try:
        return migrate.current_revision(get_db(app).engine) is not None
    except SQLAlchemyError:
        return False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--lang", type=click.Choice(["vi", "en"]), default=None,
              help="Language of messages (default: SURVEY_LANG, else Vietnamese).")
@click.option("--database", default=None, metavar="URL",
              help="Database URL for this command (default: SURVEY_DATABASE_URL, else the "
                   "SQLite file in the instance folder).")
@click.pass_context
def main(ctx: click.Context, lang: str | None, database: str | None) -> None:
    """Survey service for the provincial administrative-reform index (Chỉ số CCHC)."""
    state = ctx.ensure_object(_State)
    state.database = database
    ctx.call_on_close(state.close)
    env_lang = os.environ.get(_config.ENV_LANG, "")
    state.lang = lang or ("en" if env_lang.lower().startswith("en") else "vi")


# --------------------------------------------------------------------------- init


@main.command()
@click.option("--plan", "plan_ref", default=sampling.DEFAULT_PLAN, show_default=True,
              help="A built-in plan name or the path of a plan.yaml (or its folder).")
@friendly_errors
def init(plan_ref: str) -> None:
    """Create or upgrade the database, load the plan and issue one slot per quota place.

    Running it again changes nothing and says so.
    """
    plan = sampling.load_plan(plan_ref)
    app = _app()
    before, after = migrate.upgrade(get_db(app).engine)
    if before != after:
        say(f"Cơ sở dữ liệu: đã nâng cấp lược đồ {before or '(trống)'} → {after}.",
            f"Database: schema upgraded {before or '(empty)'} → {after}.")
    with _session() as session:
        report = sync_plan(session, plan)
    totals = plan.totals()
    if not report.changed:
        say(f"Kế hoạch {plan.code} đã được nạp từ trước; không có gì thay đổi "
            f"(0 phiếu mới, {report.live_slots} phiếu đang có).",
            f"Plan {plan.code} was already loaded; nothing changed "
            f"(0 new slots, {report.live_slots} existing).")
        return
    c = report.created
    verb_vi = "đã nạp" if report.plan_created else "đã cập nhật"
    verb_en = "loaded" if report.plan_created else "updated"
    say(f"Kế hoạch {plan.code} {verb_vi}: {c['units']} đơn vị, {c['groups']} nhóm, "
        f"{c['quota_places']} chỗ trong hạn mức, {c['slots']} phiếu (đường dẫn) mới; "
        f"tổng {report.live_slots} phiếu đang có (kế hoạch: {totals['total']}).",
        f"Plan {plan.code} {verb_en}: {c['units']} units, {c['groups']} groups, "
        f"{c['quota_places']} quota places, {c['slots']} new slots (links); "
        f"{report.live_slots} live slots in all (plan: {totals['total']}).")


# --------------------------------------------------------------------------- plan


@main.group()
def plan() -> None:
    """The survey plan: groups, quotas, totals."""


@plan.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--plan", "plan_ref", default=None,
              help="Show this plan file instead of the one in the database.")
@friendly_errors
def plan_show(as_json: bool, plan_ref: str | None) -> None:
    """Show the groups, their forms and quotas, the totals per level and in all."""
    if plan_ref is not None:
        p = sampling.load_plan(plan_ref)
    elif _database_is_initialised(_app()):
        with _session() as session:
            p = current_plan(session) or sampling.load_plan()
    else:
        p = sampling.load_plan()
    summary = plan_summary(p)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    en = _lang() == "en"
    click.echo(f"{p.title.get(_lang())} ({p.code})")
    deadlines = ", ".join(f"{k} {v:%d/%m/%Y}" for k, v in p.deadlines.items())
    click.echo(("Deadlines: " if en else "Thời hạn: ") + deadlines)
    click.echo()
    head = ("group", "form", "quota", "forms", "name") if en else ("nhóm", "phiếu", "hạn mức", "số phiếu", "tên")
    click.echo(f"{head[0]:<7} {head[1]:<6} {head[2]:<22} {head[3]:>8}  {head[4]}")
    for g, s in zip(p.groups, summary["groups"]):
        click.echo(f"{g.code:<7} {g.form or '-':<6} {g.quota.describe(_lang()):<22} "
                   f"{s['forms']:>8}  {g.name.get(_lang())}")
    click.echo()
    for lv in summary["levels"]:
        click.echo(f"{(lv['name_en'] if en else lv['name']):<30} {lv['forms']:>8}")
    click.echo(f"{('Total' if en else 'Tổng cộng'):<30} {summary['total']:>8}")


# --------------------------------------------------------------------------- slots


@main.group()
def slots() -> None:
    """Slots: one one-time link per quota place."""


@slots.command("export")
@click.option("--group", default=None, help="Only this group (e.g. I.3).")
@click.option("--unit", default=None, help="Only this unit (or the units under it).")
@click.option("--format", "fmt", type=click.Choice(["csv", "pdf", "zip"]), required=True,
              help="csv: one row per slot; pdf: printable cards with QR codes; zip: QR images.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of standard output.")
@click.option("--include-voided", is_flag=True, help="Also list voided slots.")
@friendly_errors
def slots_export(group: str | None, unit: str | None, fmt: str, output: str | None,
                 include_voided: bool) -> None:
    """Export slots with their links (one row per slot)."""
    app = _app()
    if not _database_is_initialised(app):
        fail("cơ sở dữ liệu chưa được khởi tạo; hãy chạy: survey-service init",
             "the database is not initialised; run: survey-service init")
    with _session() as session:
        row = get_plan_row(session)
        if row is None:
            fail("chưa nạp kế hoạch nào; hãy chạy: survey-service init",
                 "no plan is loaded; run: survey-service init")
        p = current_plan(session)
        if group is not None and group not in {g.code for g in p.groups}:
            fail(f"không có nhóm '{group}' (có: {', '.join(g.code for g in p.groups)})",
                 f"there is no group '{group}' (groups: {', '.join(g.code for g in p.groups)})")
        if unit is not None and unit not in {u.code for u in p.units}:
            fail(f"không có đơn vị '{unit}'", f"there is no unit '{unit}'")
        rows = iter_slots(session, row, app.config["BASE_URL"], group=group, unit=unit,
                          include_voided=include_voided)
        if fmt in ("pdf", "zip"):
            _write_cards(list(rows), p, fmt, output)
            return
        with _open_output(output) as fh:
            writer = csv.DictWriter(fh, fieldnames=SLOT_COLUMNS, lineterminator="\n")
            writer.writeheader()
            count = 0
            for r in rows:
                writer.writerow(r.as_dict())
                count += 1
    if output:
        say(f"Đã ghi {count} phiếu vào {output}.", f"Wrote {count} slots to {output}.", err=True)


def _write_cards(rows: list[Any], plan: sampling.Plan, fmt: str, output: str | None) -> None:
    """Printable cards (PDF) or QR images (zip), with a progress bar on long runs."""
    from .services import cards

    if output is None:
        fail("hãy chọn tệp ghi ra bằng -o (ví dụ -o the.pdf)",
             "choose the output file with -o (for example -o cards.pdf)")
    label = "Đang tạo thẻ" if _lang() == "vi" else "Making cards"
    with click.progressbar(length=len(rows), label=label, file=sys.stderr,
                           show_pos=True) as bar:
        def progress(done: int, _total: int) -> None:
            bar.update(done - bar.pos)

        data = (cards.cards_pdf(rows, plan, lang=_lang(), progress=progress) if fmt == "pdf"
                else cards.qr_zip(rows, progress=progress))
    tmp = Path(output).with_name(Path(output).name + ".part")
    tmp.write_bytes(data)
    tmp.replace(output)
    say(f"Đã ghi {len(rows)} thẻ vào {output} ({len(data) // 1024} KB).",
        f"Wrote {len(rows)} cards to {output} ({len(data) // 1024} KB).", err=True)


@contextmanager
def _open_output(path: str | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        return
    tmp = Path(path).with_name(Path(path).name + ".part")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        yield fh
    tmp.replace(path)  # never leave a half-written file under the real name


# --------------------------------------------------------------------------- export


def _plan_for_reading() -> sampling.Plan:
    """The plan in the database, or the built-in plan before ``init``."""
    if _database_is_initialised(_app()):
        with _session() as session:
            plan = current_plan(session)
        if plan is not None:
            return plan
    return sampling.load_plan()


EXPORT_FORMATS = {
    "codebook": ("json", "csv"),
    "responses": ("csv", "xlsx", "sav", "json"),
    "scores": ("csv", "xlsx", "json"),
    "index": ("csv", "xlsx", "json"),
}


@main.command("export")
@click.argument("table", type=click.Choice(list(EXPORT_FORMATS)))
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx", "sav"]), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of standard output (required for xlsx and sav).")
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
    plan = _plan_for_reading()
    forms = list(plan.forms.values())
    with _open_output(output) as fh:
        if fmt == "json":
            json.dump({"plan": plan.code, "questions": questionnaires.codebook(forms)}, fh,
                      ensure_ascii=False, indent=2)
            fh.write("\n")
        else:
            writer = csv.DictWriter(fh, fieldnames=questionnaires.CODEBOOK_ROW_FIELDS,
                                    lineterminator="\n")
            writer.writeheader()
            writer.writerows(questionnaires.codebook_rows(forms))


def _export_results(table: str, fmt: str, output: str | None) -> None:
    from .services import results

    if fmt in ("xlsx", "sav") and output is None:
        fail("hãy chọn tệp ghi ra bằng -o", "choose the output file with -o")
    app = _app()
    _use_demo_if_nothing_else(app)
    if not _database_is_initialised(app):
        fail("cơ sở dữ liệu chưa được khởi tạo; hãy chạy: survey-service init",
             "the database is not initialised; run: survey-service init")
    with _session() as session:
        row = get_plan_row(session)
        plan = current_plan(session)
        if row is None or plan is None:
            fail("chưa nạp kế hoạch nào; hãy chạy: survey-service init",
                 "no plan is loaded; run: survey-service init")
        if table == "responses":
            frame = results.responses_frame(session, row.id)
            records = None
        else:
            computed = results.compute(session, row, plan)
            frame = computed.scores if table == "scores" else computed.index
            records = (results.score_records(computed) if table == "scores"
                       else results.index_records(computed))
    if fmt == "sav":
        data = results.responses_sav(frame, dict(plan.forms))
    elif fmt == "xlsx":
        data = results.to_xlsx({table: frame})
    else:
        data = None
    if data is not None:
        tmp = Path(output).with_name(Path(output).name + ".part")
        tmp.write_bytes(data)
        tmp.replace(output)
        say(f"Đã ghi {len(frame)} dòng vào {output}.", f"Wrote {len(frame)} rows to {output}.",
            err=True)
        return
    with _open_output(output) as fh:
        if fmt == "json":
            json.dump({"plan": plan.code, table: records if records is not None
                       else frame.to_dict(orient="records")}, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
        else:
            frame.to_csv(fh, index=False, lineterminator="\n")


# --------------------------------------------------------------------------- appraisal


@main.group()
def appraisal() -> None:
    """Self-assessment and appraisal: Excel templates out, filled workbooks in."""


@appraisal.command("template")
@click.argument("unit")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@friendly_errors
def appraisal_template_cmd(unit: str, output: str) -> None:
    """Write the self-assessment workbook of UNIT (a department or district code)."""
    from .services.appraisal import template_for
    from .services.fieldwork import FieldworkError

    plan = _plan_for_reading()
    try:
        data = template_for(plan, unit, _lang())
    except FieldworkError as exc:
        fail(exc.messages["vi"], exc.messages["en"])
    tmp = Path(output).with_name(Path(output).name + ".part")
    tmp.write_bytes(data)
    tmp.replace(output)
    say(f"Đã ghi mẫu tự đánh giá của {unit} vào {output}.",
        f"Wrote the self-assessment template of {unit} to {output}.")


@appraisal.command("import")
@click.argument("unit")
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False))
@friendly_errors
def appraisal_import_cmd(unit: str, workbook: str) -> None:
    """Import the filled (and appraised) workbook of UNIT; every problem is named by cell."""
    from .services.appraisal import import_sheet
    from .services.fieldwork import FieldworkError

    if not _database_is_initialised(_app()):
        fail("cơ sở dữ liệu chưa được khởi tạo; hãy chạy: survey-service init",
             "the database is not initialised; run: survey-service init")
    with _session() as session:
        row, plan = get_plan_row(session), current_plan(session)
        try:
            sheet = import_sheet(session, row, plan, unit, workbook)
        except FieldworkError as exc:
            fail(exc.messages["vi"], exc.messages["en"])
    pending = int(sheet.frame["appraised"].isna().sum())
    say(f"Đã nhập {len(sheet.frame)} tiêu chí của {unit}: {len(sheet.corrections())} điểm được "
        f"điều chỉnh, {pending} tiêu chí chưa thẩm định.",
        f"Imported {len(sheet.frame)} criteria of {unit}: {len(sheet.corrections())} corrected, "
        f"{pending} not appraised yet.")


def _demo_path(app: Flask) -> Path:
    return Path(app.instance_path) / "demo.db"


def _use_demo_if_nothing_else(app: Flask) -> None:
    """Before the service's own database exists, read the worked example's (if any).

    So ``survey-service demo`` followed by ``survey-service export index`` shows the
    example on a fresh machine; once the real database is initialised it always wins,
    and the example is never written into it.
    """
    state = click.get_current_context().find_object(_State)
    if state is None or state.database or _database_is_initialised(app):
        return
    demo_db = _demo_path(app)
    if demo_db.is_file():
        from .db import Database

        get_db(app).dispose()
        app.config["DATABASE_URL"] = f"sqlite:///{demo_db}"
        app.extensions["survey_db"] = Database(app.config["DATABASE_URL"])
        say(f"(Chưa khởi tạo cơ sở dữ liệu của dịch vụ: đọc cơ sở dữ liệu ví dụ {demo_db}.)",
            f"(The service database is not initialised: reading the example database {demo_db}.)",
            err=True)


# --------------------------------------------------------------------------- demo


@main.command()
@click.option("--database", "database", default=None, metavar="URL",
              help="Where to build the example (default: demo.db in the instance folder, "
                   "recreated on every run).")
@click.option("--seed", default=2020, show_default=True, type=int)
@friendly_errors
def demo(database: str | None, seed: int) -> None:
    """A complete worked example in a throwaway database: the built-in plan, simulated
    answers for most slots, example appraisal scores, the index; prints the ranking."""
    from .services import results
    from .services.demo import run_demo

    app = _app()
    if database is None:
        path = _demo_path(app)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        database = f"sqlite:///{path}"
    from .db import Database

    db = Database(database)
    try:
        migrate.upgrade(db.engine)
        plan = sampling.load_plan()
        with db.session() as session:
            sync_plan(session, plan)
        with db.sessionmaker() as session:
            row = get_plan_row(session, plan.code)
            say("Đang mô phỏng câu trả lời...", "Simulating answers...", err=True)
            report = run_demo(session, row, plan, seed=seed)
            computed = results.compute(session, row, plan)
    finally:
        db.dispose()
    say(f"Đã mô phỏng {report.responses} phiếu trả lời trên {report.slots} phiếu và "
        f"{report.appraisal_rows} điểm thẩm định.",
        f"Simulated {report.responses} responses out of {report.slots} slots and "
        f"{report.appraisal_rows} appraisal scores.")
    index = computed.index.sort_values(["kind", "rank", "unit"])
    grades = {b.code: b.name.get(_lang()) for b in plan.scoring.bands}
    for kind, part in index.groupby("kind", sort=False):
        click.echo()
        click.echo({"department": "Sở, ban, ngành" if _lang() == "vi" else "Departments",
                    "district": "UBND huyện, thành phố" if _lang() == "vi" else "Districts"}
                   .get(kind, kind))
        for r in part.itertuples():
            interval = f"({int(r.rank_low)}-{int(r.rank_high)})"
            click.echo(f"  {int(r.rank):>2} {interval:<8} {r.index_pct:6.2f}%  "
                       f"{r.appraisal:6.2f} + {r.survey:5.2f}  {grades.get(r.grade, r.grade):<11} "
                       f"{r.name}")
    click.echo()
    say(f"Cơ sở dữ liệu ví dụ: {database}\nXem tiếp, ví dụ: survey-service --database {database} "
        "export index --format json",
        f"Example database: {database}\nGo on with, for example: survey-service --database "
        f"{database} export index --format json")


# --------------------------------------------------------------------------- forms


@main.group()
def forms() -> None:
    """Questionnaires: XLSForm interchange and checks."""


def _read_form(path: str) -> questionnaires.Form:
    if path.lower().endswith((".xlsx", ".xlsm")):
        return questionnaires.from_xlsform(path)
    return questionnaires.load_form(path)


@forms.command("export")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["xlsform", "yaml"]), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@friendly_errors
def forms_export(code: str, fmt: str, output: str) -> None:
    """Write form CODE of the plan as an XLSForm workbook (or as YAML)."""
    plan = _plan_for_reading()
    form = plan.forms.get(code)
    if form is None:
        fail(f"kế hoạch không có phiếu '{code}' (có: {', '.join(plan.forms)})",
             f"the plan has no form '{code}' (forms: {', '.join(plan.forms)})")
    tmp = Path(output).with_name(Path(output).name + ".part")
    if fmt == "xlsform":
        questionnaires.to_xlsform(form, tmp)
    else:
        tmp.write_text(yaml.safe_dump(form.to_dict(), allow_unicode=True, sort_keys=False),
                       encoding="utf-8")
    tmp.replace(output)
    say(f"Đã ghi phiếu {code} ({form.version}) vào {output}.",
        f"Wrote form {code} ({form.version}) to {output}.")


@forms.command("import")
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="The YAML file to write (default: FORM-CODE.yaml beside the workbook).")
@friendly_errors
def forms_import(workbook: str, output: str | None) -> None:
    """Turn an XLSForm workbook into a questionnaire file of this service (YAML).

    List the file under ``questionnaires:`` in a plan to use it.
    """
    form = questionnaires.from_xlsform(workbook)
    target = Path(output) if output else Path(workbook).with_name(f"{form.code}.yaml")
    tmp = target.with_name(target.name + ".part")
    tmp.write_text(yaml.safe_dump(form.to_dict(), allow_unicode=True, sort_keys=False),
                   encoding="utf-8")
    tmp.replace(target)
    say(f"Đã nhập phiếu {form.code} ({form.version}, {sum(1 for _ in form.questions())} câu) "
        f"vào {target}.",
        f"Imported form {form.code} ({form.version}, {sum(1 for _ in form.questions())} "
        f"questions) into {target}.")


@forms.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@friendly_errors
def forms_check(path: str) -> None:
    """Check a questionnaire file (YAML, or an XLSForm workbook) and report every problem."""
    form = _read_form(path)
    scored = sum(1 for _ in form.scored_questions())
    say(f"{path}: phiếu {form.code} ({form.version}) hợp lệ: {sum(1 for _ in form.questions())} "
        f"câu, {scored} câu tính điểm; mã nội dung {form.content_hash[:12]}.",
        f"{path}: form {form.code} ({form.version}) is valid: {sum(1 for _ in form.questions())} "
        f"questions, {scored} scored; content hash {form.content_hash[:12]}.")


# --------------------------------------------------------------------------- users


@main.group()
def user() -> None:
    """Staff accounts."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@friendly_errors
def user_add(name: str, role: str, password_stdin: bool) -> None:
    """Create a staff account (the password is asked for, or read from standard input)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Mật khẩu / Password", hide_input=True, confirmation_prompt=True)
    if not _database_is_initialised(_app()):
        fail("cơ sở dữ liệu chưa được khởi tạo; hãy chạy: survey-service init",
             "the database is not initialised; run: survey-service init")
    with _session() as session:
        add_user(session, name, role, password)
    say(f"Đã tạo người dùng {name} ({role}).", f"User {name} ({role}) created.")


@user.command("token")
@click.argument("name")
@friendly_errors
def user_token(name: str) -> None:
    """Print a new API key for NAME (the old key stops working)."""
    with _session() as session:
        key = new_api_key(session, name)
    click.echo(key)


# --------------------------------------------------------------------------- quickstart


@main.command()
@friendly_errors
def quickstart() -> None:
    """Print how to sign in as staff and one respondent link to try (for ``make run``).

    On first use it creates the account ``admin`` with a random password kept in
    the instance folder (owner-only), and prints it on every run while that file
    exists.  Delete the file once you have set up real accounts.
    """
    app = _app()
    if not _database_is_initialised(app):
        fail("cơ sở dữ liệu chưa được khởi tạo; hãy chạy: survey-service init",
             "the database is not initialised; run: survey-service init")
    secret = Path(app.instance_path) / QUICKSTART_PASSWORD_FILE
    with _session() as session:
        if get_user(session, "admin") is None:
            password = secrets.token_urlsafe(12)
            add_user(session, "admin", "admin", password)
            secret.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(password + "\n")
        row = get_plan_row(session)
        example = next(iter_slots(session, row, app.config["BASE_URL"]), None) if row else None
    base = app.config["BASE_URL"]
    say(f"Trang cán bộ: {base}/staff/login", f"Staff sign-in: {base}/staff/login")
    if secret.is_file():
        password = secret.read_text(encoding="utf-8").strip()
        say(f"  tên đăng nhập: admin   mật khẩu: {password}   (lưu trong {secret})",
            f"  user: admin   password: {password}   (kept in {secret})")
    else:
        say("  tài khoản admin đã có; đặt mật khẩu mới: survey-service user add ...",
            "  the admin account exists; add accounts with: survey-service user add ...")
    if example is not None:
        say(f"Thử một phiếu ({example.group}, {example.slot}): {example.url}",
            f"Try a form ({example.group}, {example.slot}): {example.url}")


# --------------------------------------------------------------------------- serve


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the development server (production: gunicorn survey_service.wsgi:app)."""
    _app().run(host=host, port=port)


if __name__ == "__main__":  # pragma: no cover
    main()
