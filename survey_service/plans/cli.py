"""Commands of the plan: ``init``, ``plan show``, ``forms export|import|check``."""

from __future__ import annotations

import json
from pathlib import Path

import click
import yaml
from flask.cli import AppGroup, with_appcontext

import questionnaires
import sampling

from ..core import migrate
from ..core.cli import (
    command_session,
    database_is_initialised,
    fail,
    friendly_errors,
    lang,
    say,
    write_file,
)
from ..core.database import get_db
from .operations import sync_plan
from .queries import current_plan, plan_summary


def plan_for_reading() -> sampling.Plan:
    """The plan in the database, or the built-in plan before ``init``."""
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


forms = AppGroup("forms", help="Questionnaires: XLSForm interchange and checks.")


def _read_form(path: str) -> questionnaires.Form:
    if path.lower().endswith((".xlsx", ".xlsm")):
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
    for command in (init, plan, forms):
        group.add_command(command)

