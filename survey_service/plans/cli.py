"""Commands of the plan: ``init``, ``plan show``, ``round new|list``, ``forms export|import|check``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
import yaml
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.orm import Session

import questionnaires
import sampling

from ..core import migrate
from ..core.cli import (
    command_session,
    database_is_initialised,
    fail,
    friendly_errors,
    lang,
    require_initialised,
    say,
    write_file,
)
from ..core.database import get_db
from .operations import sync_plan
from .queries import current_plan, get_plan_row, latest_round_code, list_rounds, plan_of, plan_summary
from .round_files import write_round
from .rounds import use_round

#: ``--plan CODE`` on the commands that read one round's data.
round_option = click.option(
    "--plan", "round_code", default=None, metavar="CODE",
    help="The round (the plan's code, e.g. laichau-2020; default: the index round loaded last).")


def select_round(session: Session, code: str | None) -> None:
    """Make round ``code`` current for this command; exit with a clear message if there is
    no such round (None: the round loaded last)."""
    if code is None:
        return
    if get_plan_row(session, code) is None:
        known = ", ".join(r.code for r in list_rounds(session)) or "-"
        fail(f"không có đợt khảo sát '{code}' trong cơ sở dữ liệu (có: {known})",
             f"there is no round '{code}' in the database (rounds: {known})")
    use_round(code)


def plan_for_reading() -> sampling.Plan:
    """The plan in the database (the current round), or the built-in plan before ``init``."""
    if database_is_initialised():
        with command_session() as session:
            plan = current_plan(session)
        if plan is not None:
            return plan
    return sampling.load_plan()


@click.command()
@click.option("--plan", "plan_ref", default=sampling.DEFAULT_PLAN, show_default=True,
              help="A built-in plan name or the path of a plan.yaml (or its folder).")
@with_appcontext
@friendly_errors
def init(plan_ref: str) -> None:
    """Create or upgrade the database, load the plan and issue one slot per quota place.

    Running it again changes nothing and says so.
    """
    plan = sampling.load_plan(plan_ref)
    before, after = migrate.upgrade(get_db().engine)
    if before != after:
        say(f"Cơ sở dữ liệu: đã nâng cấp lược đồ {before or '(trống)'} → {after}.",
            f"Database: schema upgraded {before or '(empty)'} → {after}.")
    with command_session() as session:
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


plan = AppGroup("plan", help="The survey plan: groups, quotas, totals.")


@plan.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--plan", "plan_ref", default=None,
              help="Show this plan file instead of the one in the database.")
@friendly_errors
def plan_show(as_json: bool, plan_ref: str | None) -> None:
    """Show the groups, their forms and quotas, the totals per level and in all."""
    p = sampling.load_plan(plan_ref) if plan_ref is not None else plan_for_reading()
    summary = plan_summary(p)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    en = lang() == "en"
    click.echo(f"{p.title.get(lang())} ({p.code})")
    deadlines = ", ".join(f"{k} {v:%d/%m/%Y}" for k, v in p.deadlines.items())
    click.echo(("Deadlines: " if en else "Thời hạn: ") + deadlines)
    click.echo()
    head = ("group", "form", "quota", "forms", "name") if en else ("nhóm", "phiếu", "hạn mức", "số phiếu", "tên")
    click.echo(f"{head[0]:<7} {head[1]:<6} {head[2]:<22} {head[3]:>8}  {head[4]}")
    for g, s in zip(p.groups, summary["groups"]):
        click.echo(f"{g.code:<7} {g.form or '-':<6} {g.quota.describe(lang()):<22} "
                   f"{s['forms']:>8}  {g.name.get(lang())}")
    click.echo()
    for lv in summary["levels"]:
        click.echo(f"{(lv['name_en'] if en else lv['name']):<30} {lv['forms']:>8}")
    click.echo(f"{('Total' if en else 'Tổng cộng'):<30} {summary['total']:>8}")


rounds = AppGroup("round", help="Yearly rounds: open next year's from this year's, list them.")


def _deadline(value: str) -> tuple[str, dt.date]:
    key, sep, day = value.partition("=")
    try:
        if not sep or not key.strip():
            raise ValueError(value)
        return key.strip(), dt.date.fromisoformat(day.strip())
    except ValueError:
        fail(f"thời hạn phải có dạng TÊN=YYYY-MM-DD, ví dụ survey=2022-02-28 (không phải '{value}')",
             f"a deadline is NAME=YYYY-MM-DD, e.g. survey=2022-02-28 (not '{value}')")


@rounds.command("new")
@click.argument("code")
@click.option("--from", "old", required=True, metavar="OLD",
              help="The round to copy: its code in the database, a built-in plan or a plan folder.")
@click.option("--year", type=int, required=True, help="The new round's year.")
@click.option("--deadline", "deadlines", multiple=True, metavar="NAME=YYYY-MM-DD",
              help="Set a deadline (repeatable); the others move by the number of years.")
@click.option("-o", "--output", type=click.Path(file_okay=False), default=None,
              help="The folder to write (default: plans/CODE in the instance folder).")
@with_appcontext
@friendly_errors
def round_new(code: str, old: str, year: int, deadlines: tuple[str, ...], output: str | None) -> None:
    """Open round CODE from round OLD: its plan, units (same codes), groups, quotas, forms and
    scoring rules as files to edit, with the new code and year and the deadlines moved by
    a year; then load it with ``survey-service init --plan FOLDER``."""
    given = dict(_deadline(d) for d in deadlines)
    source = None
    if database_is_initialised():
        with command_session() as session:
            if get_plan_row(session, code) is not None:
                fail(f"đợt '{code}' đã có trong cơ sở dữ liệu; hãy chọn mã khác",
                     f"the round '{code}' is already in the database; choose another code")
            row = get_plan_row(session, old)
            source = plan_of(row) if row is not None else None
    if source is None:
        source = sampling.load_plan(old)
    folder = Path(output) if output else Path(current_app.instance_path) / "plans" / code
    new = write_round(source, folder, code=code, year=year, deadlines=given)
    dates = ", ".join(f"{k} {v:%d/%m/%Y}" for k, v in new.deadlines.items())
    say(f"Đã mở đợt {new.code} ({new.year}) từ đợt {source.code} trong {folder}: {len(new.units)} đơn vị, "
        f"{len(new.groups)} nhóm, {len(new.forms)} phiếu, {new.totals()['total']} phiếu khảo sát; "
        f"thời hạn: {dates}.\nXem lại tên, căn cứ pháp lý và thời hạn trong {folder / 'plan.yaml'}, "
        f"rồi nạp: survey-service init --plan {folder}",
        f"Opened round {new.code} ({new.year}) from {source.code} in {folder}: {len(new.units)} units, "
        f"{len(new.groups)} groups, {len(new.forms)} forms, {new.totals()['total']} survey forms; "
        f"deadlines: {dates}.\nCheck the title, legal basis and deadlines in {folder / 'plan.yaml'}, "
        f"then load it: survey-service init --plan {folder}")


@rounds.command("list")
@with_appcontext
@friendly_errors
def round_list() -> None:
    """The rounds in the database; the current one (loaded last) is marked with *."""
    require_initialised()
    with command_session() as session:
        current = latest_round_code(session)
        rows = [(r.code, r.year, r.province, r.title) for r in list_rounds(session)]
    if not rows:
        say("Chưa nạp đợt nào; hãy chạy: survey-service init", "No round is loaded; run: survey-service init")
    for code, year, province, title in rows:
        click.echo(f"{'*' if code == current else ' '} {code:<24} {year}  {province}  {title}")


forms = AppGroup("forms", help="Questionnaires: XLSForm interchange and checks.")


#: How a workbook file starts: a zip archive (.xlsx) or an OLE2 file (an old .xls, which
#: the XLSForm reader refuses with a message saying how to save it as .xlsx).
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


def _read_form(path: str) -> questionnaires.Form:
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError:
        head = b""  # the readers below report an unreadable file
    if path.lower().endswith((".xlsx", ".xlsm", ".xls")) or head.startswith(_WORKBOOK_MAGIC):
        return questionnaires.from_xlsform(path)
    return questionnaires.load_form(path)


def _yaml(form: questionnaires.Form) -> bytes:
    return yaml.safe_dump(form.to_dict(), allow_unicode=True, sort_keys=False).encode("utf-8")


@forms.command("export")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["xlsform", "yaml"]), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@friendly_errors
def forms_export(code: str, fmt: str, output: str) -> None:
    """Write form CODE of the plan as an XLSForm workbook (or as YAML)."""
    p = plan_for_reading()
    form = p.forms.get(code)
    if form is None:
        fail(f"kế hoạch không có phiếu '{code}' (có: {', '.join(p.forms)})",
             f"the plan has no form '{code}' (forms: {', '.join(p.forms)})")
    if fmt == "xlsform":
        tmp = Path(output).with_name(Path(output).name + ".part")
        questionnaires.to_xlsform(form, tmp)
        tmp.replace(output)
    else:
        write_file(output, _yaml(form))
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
    write_file(target, _yaml(form))
    count = sum(1 for _ in form.questions())
    say(f"Đã nhập phiếu {form.code} ({form.version}, {count} câu) vào {target}.",
        f"Imported form {form.code} ({form.version}, {count} questions) into {target}.")


@forms.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@friendly_errors
def forms_check(path: str) -> None:
    """Check a questionnaire file (YAML, or an XLSForm workbook) and report every problem."""
    form = _read_form(path)
    scored = sum(1 for _ in form.scored_questions())
    count = sum(1 for _ in form.questions())
    say(f"{path}: phiếu {form.code} ({form.version}) hợp lệ: {count} câu, {scored} câu tính điểm; "
        f"mã nội dung {form.content_hash[:12]}.",
        f"{path}: form {form.code} ({form.version}) is valid: {count} questions, {scored} scored; "
        f"content hash {form.content_hash[:12]}.")


def register(group: click.Group) -> None:
    """Add this feature's commands to ``group``."""
    for command in (init, plan, rounds, forms):
        group.add_command(command)

