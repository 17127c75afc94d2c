"""Commands of the appraisal: ``appraisal template UNIT``, ``appraisal import UNIT WORKBOOK``,
``appraisal status [--json]``, ``appraisal finalise`` and ``appraisal reopen --reason TEXT``.

Finalising and reopening are written in the audit log as done from the command line.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click
from flask.cli import AppGroup

from ..core.cli import command_session, fail, friendly_errors, lang, require_initialised, say, write_file
from ..plans.cli import plan_for_reading
from ..plans.queries import current_plan, get_plan_row
from . import schedule
from .documents import board_document, iso
from .operations import finalise_appraisal, import_sheet, reopen_appraisal, template_for
from .queries import STATUS_LABELS, lock_of

appraisal = AppGroup("appraisal", help="Self-assessment and appraisal: Excel templates out, "
                                       "filled workbooks in, the round's status, finalise and reopen.")


@appraisal.command("template")
@click.argument("unit")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@friendly_errors
def appraisal_template_cmd(unit: str, output: str) -> None:
    """Write the self-assessment workbook of UNIT (a department or district code)."""
    write_file(output, template_for(plan_for_reading(), unit, lang()))
    say(f"Đã ghi mẫu tự đánh giá của {unit} vào {output}.",
        f"Wrote the self-assessment template of {unit} to {output}.")


@appraisal.command("import")
@click.argument("unit")
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False))
@friendly_errors
def appraisal_import_cmd(unit: str, workbook: str) -> None:
    """Import the filled (and appraised) workbook of UNIT; every problem is named by cell."""
    require_initialised()
    with command_session() as session:
        sheet = import_sheet(session, get_plan_row(session), current_plan(session), unit, workbook)
    pending = int(sheet.frame["appraised"].isna().sum())
    say(f"Đã nhập {len(sheet.frame)} tiêu chí của {unit}: {len(sheet.corrections())} điểm được "
        f"điều chỉnh, {pending} tiêu chí chưa thẩm định.",
        f"Imported {len(sheet.frame)} criteria of {unit}: {len(sheet.corrections())} corrected, "
        f"{pending} not appraised yet.")


def _plan_in(session: Any) -> tuple[Any, Any]:
    """The plan's row and plan in the database (exit 2 with a message if there is none)."""
    row, plan = get_plan_row(session), current_plan(session)
    if row is None or plan is None:
        fail("chưa nạp kế hoạch khảo sát; hãy chạy: survey-service init",
             "no survey plan is loaded; run: survey-service init")
    return row, plan


def _when(iso_moment: str | None) -> str:
    """An ISO moment as the province's day and time, ``29/01/2021 16:59``; ``-`` if none."""
    if not iso_moment:
        return "-"
    return f"{dt.datetime.fromisoformat(iso_moment).astimezone(schedule.PROVINCE_TZ):%d/%m/%Y %H:%M}"


#: The statuses of a field in the table, short (Vietnamese, English).
_SHORT = {"not_submitted": ("chưa", "none"), "submitted": ("chờ", "wait"), "appraised": ("TĐ", "appr"),
          "explanation_asked": ("GT", "expl"), "final": ("xong", "done")}
_STEPS = {"self_assessment": ("tự đánh giá", "Self-assessment"), "appraisal": ("thẩm định", "Appraisal")}


def _print_board(doc: dict[str, Any]) -> None:
    en = lang() == "en"
    pick = 1 if en else 0
    finalised = _when(doc["finalised_at"])
    say(f"Thẩm định: {'đã chốt ' + finalised if doc['finalised'] else 'chưa chốt (điểm thẩm định tạm tính)'}",
        f"Appraisal: {'finalised ' + finalised if doc['finalised'] else 'not finalised (preliminary)'}")
    for step, d in doc["deadlines"].items():
        say(f"Hạn {_STEPS[step][0]}: {d['date']} (còn {d['days_left']} ngày)",
            f"{_STEPS[step][1]} deadline: {d['date']} ({d['days_left']} days left)")
    appraisers = sorted({a for u in doc["units"] for a in u["fields"]})
    fields = [f"F{n}" for n in range(1, len(appraisers) + 1)]
    head = (["unit", "submitted", "late"] if en else ["đơn vị", "đã gửi", "muộn"]) + fields + (
        ["pending", "final"] if en else ["chờ GT", "xong"])
    width = max([len(head[0]), *(len(u["unit"]) for u in doc["units"])])
    yes, no = ("yes", "no") if en else ("có", "chưa")
    rows = [[u["unit"], _when(u["submitted_at"]), yes if u["late"] else "",
             *(_SHORT[u["fields"][a]][pick] if a in u["fields"] else "" for a in appraisers),
             str(u["explanations_pending"]), yes if u["final"] else no] for u in doc["units"]]
    widths = [width, 16, 5, *([4] * len(fields)), 7, 5]
    click.echo()
    for line in [head, *rows]:
        click.echo("  ".join(f"{cell:<{w}}" for cell, w in zip(line, widths)).rstrip())
    click.echo()
    for name, code in zip(fields, appraisers):
        click.echo(f"{name} = {code}")
    click.echo(", ".join(f"{short[pick]} = {STATUS_LABELS[key].get(lang())}" for key, short in _SHORT.items()))


@appraisal.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@friendly_errors
def appraisal_status_cmd(as_json: bool) -> None:
    """The status board: per unit, submitted (late or not), each council field, explanations pending."""
    require_initialised()
    with command_session() as session:
        doc = board_document(session, *_plan_in(session))
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        _print_board(doc)


@appraisal.command("finalise")
@friendly_errors
def appraisal_finalise_cmd() -> None:
    """Lock the whole appraisal: the final scores count, nothing changes without a reopen."""
    require_initialised()
    with command_session() as session:
        row, plan = _plan_in(session)
        lock = lock_of(session, row)
        if lock is not None:
            since = _when(iso(lock.finalised_at))
            fail(f"kết quả thẩm định đã được chốt từ {since}; không làm gì thêm (muốn mở lại: "
                 "survey-service appraisal reopen --reason ...).",
                 f"the appraisal is already finalised (since {since}); nothing done (to reopen it: "
                 "survey-service appraisal reopen --reason ...).")
        finalise_appraisal(session, row, user=None, at=schedule.now())
        units = board_document(session, row, plan)["units"]
    done = sum(1 for u in units if u["final"])
    waiting = sum(1 for u in units if not u["submitted_at"])
    say(f"Đã chốt kết quả thẩm định của kế hoạch {plan.code}: {done}/{len(units)} đơn vị có đủ điểm cuối, "
        f"{waiting} đơn vị chưa gửi tự đánh giá; chỉ các điểm cuối được tính vào chỉ số. Không thay đổi "
        "được nữa nếu không mở lại (survey-service appraisal reopen --reason ...).",
        f"Finalised the appraisal of plan {plan.code}: {done} of {len(units)} units have every final "
        f"score, {waiting} never submitted; only final scores count in the index. Nothing changes any "
        "more without a reopen (survey-service appraisal reopen --reason ...).")


@appraisal.command("reopen")
@click.option("--reason", required=True, help="Why the appraisal is reopened (kept in the audit log).")
@friendly_errors
def appraisal_reopen_cmd(reason: str) -> None:
    """Undo ``appraisal finalise``, with a reason written in the audit log."""
    require_initialised()
    with command_session() as session:
        row, plan = _plan_in(session)
        reopen_appraisal(session, row, reason=reason, user=None)
    say(f"Đã mở lại kết quả thẩm định của kế hoạch {plan.code} (đã ghi nhật ký, lý do: {reason.strip()}). "
        "Chỉ số lại là tạm tính cho đến khi chốt lại.",
        f"Reopened the appraisal of plan {plan.code} (logged, reason: {reason.strip()}). The index is "
        "preliminary again until it is finalised again.")


def register(group: click.Group) -> None:
    """Add this feature's commands to ``group``."""
    group.add_command(appraisal)
