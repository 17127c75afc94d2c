"""Commands of the citizens' survey: ``roster import|status|purge``, ``sample draw``,
``delivery export|outcome``.

Each works on the round that has the group as a sampled group: ``--plan CODE``, else
the current round if it has it, else the latest stored round that has
(:func:`.queries.sampled_round`).  Messages name units, slots and counts, never a
person; every write is in the audit log as done from the command line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import AppGroup

from sampling.slots import parse_slot_code

from ..core.audit import record
from ..core.cli import command_session, fail, friendly_errors, lang, require_initialised, say, write_file
from ..core.database import get_db
from ..respondent.operations import PROVINCE_TZ
from . import delivery as files
from .operations import MAX_ROSTER_BYTES, draw, group_seed, import_roster, purge
from .outcomes import OUTCOME_LABELS, OUTCOMES, record_outcome
from .queries import RosterLine, delivery_rows, roster_lines, sampled_group, sampled_round, slot_round
from .storage import erase_freed_space


@dataclass(frozen=True)
class _CommandLine:
    """Who acts in the audit log when a command does: nobody signed in."""

    id: None = None
    name: str = "command line"


CLI = _CommandLine()
#: ``--plan CODE``: the round; by default the current one if it has the group as a sampled
#: group, else the latest stored round that has.
round_option = click.option(
    "--plan", "round_code", default=None, metavar="CODE",
    help="The round (default: the current round if it has the group as a sampled group, else the "
         "latest stored round that has).")
#: The largest seed (what PostgreSQL's BIGINT holds).
MAX_SEED = 2**63 - 1

roster = AppGroup("roster", help="Rosters of dossiers of the one-stop desks (personal data): "
                                 "import, status, purge.")
sample = AppGroup("sample", help="The seeded draw of a sampled group's sample and reserve.")
delivery = AppGroup("delivery", help="Delivery by the post office: lists and outcomes.")


@roster.command("import")
@click.argument("group")
@click.argument("unit")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@round_option
@friendly_errors
def roster_import(group: str, unit: str, file: str, round_code: str | None) -> None:
    """Import FILE (CSV or XLSX: id, name, address, phone, service, date[, commune]) as
    the roster of UNIT for GROUP; every problem is reported by line and nothing stored."""
    require_initialised()
    if os.path.getsize(file) > MAX_ROSTER_BYTES:
        fail(f"tệp quá lớn (tối đa {MAX_ROSTER_BYTES // 2**20} MB)",
             f"the file is too large (at most {MAX_ROSTER_BYTES // 2**20} MB)")
    with open(file, "rb") as fh:
        data = fh.read()
    with command_session() as session:
        row, plan = sampled_round(session, group, round_code)
        stored = import_roster(session, row, plan, group, unit, data, filename=file, user=CLI)
        size = stored.size
    say(f"Đã nhập danh sách {size} hồ sơ của {unit} cho nhóm {group} (đợt {row.code}).",
        f"Imported the roster of {size} dossiers of {unit} for group {group} (round {row.code}).")


@roster.command("status")
@click.argument("group", required=False)
@round_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@friendly_errors
def roster_status(group: str | None, round_code: str | None, as_json: bool) -> None:
    """The rosters of GROUP (default: every sampled group) in numbers: N, n, reserve, used."""
    require_initialised()
    with command_session() as session:
        row, plan = sampled_round(session, group, round_code)
        groups = [sampled_group(plan, group)] if group else plan.sampled_groups()
        lines = [line for g in groups for line in roster_lines(session, row, g.code)]
    if as_json:
        click.echo(json.dumps({"plan": row.code, "rosters": [x.as_dict() for x in lines]},
                              ensure_ascii=False, indent=2))
        return
    en = lang() == "en"
    head = (["group", "unit", "N", "n", "reserve", "used", "left", "replaced", "completed", "seed", "state"]
            if en else ["nhóm", "đơn vị", "N", "n", "dự phòng", "đã dùng", "còn", "đã thay", "đã trả lời",
                        "hạt giống", "tình trạng"])
    width = max([len(head[1]), *(len(x.unit) for x in lines)])
    click.echo(f"{row.code}")
    rows = [head] + [[x.group, x.unit, x.size, x.official, x.reserve, x.reserves_used, x.reserves_left,
                      x.replaced, x.completed, "" if x.seed is None else x.seed, _state(x, en)]
                     for x in lines]
    for r in rows:
        click.echo(f"{r[0]:<6} {r[1]:<{width}} " + " ".join(f"{str(v):>8}" for v in r[2:9])
                   + f" {str(r[9]):>10}  {r[10]}")
    if not lines:
        say("(chưa có danh sách nào)", "(no roster yet)")


def _state(line: RosterLine, en: bool) -> str:
    if line.purged_at is not None:
        return "purged" if en else "đã xóa"
    if line.drawn_at is not None:
        return "drawn" if en else "đã chọn mẫu"
    return "imported" if en else "đã nhập"


@roster.command("purge")
@click.argument("group")
@round_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@friendly_errors
def roster_purge(group: str, round_code: str | None, yes: bool) -> None:
    """Delete every name, address and phone of GROUP's rosters for good (at the end of
    field work); slots, answers and every count stay as they are."""
    require_initialised()
    with command_session() as session:
        row, plan = sampled_round(session, group, round_code)
        sampled_group(plan, group)
    if not yes:
        question = (f"Delete every person of group {group}'s rosters in round {row.code} for good?"
                    if lang() == "en" else
                    f"Xóa vĩnh viễn mọi người trong danh sách của nhóm {group}, đợt {row.code}?")
        if not click.confirm(question, default=False, err=True):
            fail("không xóa gì.", "nothing was deleted.", code=1)
    with command_session() as session:
        report = purge(session, row, plan, group, user=CLI)
    erased = erase_freed_space(get_db().engine)
    say(f"Đã xóa vĩnh viễn {report.people} người trong {report.rosters} danh sách của nhóm {group} "
        f"(đợt {row.code}); phiếu, câu trả lời và số liệu giữ nguyên.",
        f"Deleted {report.people} people of {report.rosters} rosters of group {group} for good "
        f"(round {row.code}); slots, answers and counts are unchanged.")
    if not erased:
        fail("các dòng đã bị xóa nhưng chưa ghi đè được vùng lưu trữ (cơ sở dữ liệu đang bận); "
             f"hãy chạy lại: survey-service roster purge {group} --yes",
             "the rows are deleted but their storage could not be rewritten yet (the database is "
             f"busy); run again: survey-service roster purge {group} --yes", code=3)


@sample.command("draw")
@click.argument("group")
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=None,
              help="The seed (default: the group's earlier seed, else a random one, printed).")
@round_option
@friendly_errors
def sample_draw(group: str, seed: int | None, round_code: str | None) -> None:
    """Draw the official sample and the ordered reserve of every imported roster of GROUP;
    one quota place and one slot per person drawn."""
    require_initialised()
    with command_session() as session:
        row, plan = sampled_round(session, group, round_code)
        if seed is None:
            seed = group_seed(session, row, group)
        if seed is None:
            seed = secrets.randbelow(10**9)
        report = draw(session, row, plan, group, seed=seed, user=CLI)
    say(f"Đã chọn mẫu nhóm {group} (đợt {row.code}) với hạt giống {report.seed}: {report.slots} phiếu.",
        f"Drew group {group} (round {row.code}) with seed {report.seed}: {report.slots} slots.")
    for unit, size in report.sizes.items():
        say(f"  {unit}: N = {size.N}, n = {size.n}, dự phòng {size.reserve}",
            f"  {unit}: N = {size.N}, n = {size.n}, reserve {size.reserve}")


@delivery.command("export")
@click.argument("group")
@click.option("--unit", default=None, help="Only this unit.")
@click.option("--commune", default=None, help="Only this commune (as written in the roster).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "xlsx", "csv", "cards"]), required=True,
              help="pdf: the delivery list; xlsx: the list and the replacements; csv: the list; "
                   "cards: the anonymous cards in the order of the list.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@round_option
@friendly_errors
def delivery_export(group: str, unit: str | None, commune: str | None, fmt: str, output: str,
                    round_code: str | None) -> None:
    """Write the delivery list of GROUP (personal data: for the post office only)."""
    require_initialised()
    base = current_app.config["BASE_URL"]
    with command_session() as session:
        row, plan = sampled_round(session, group, round_code)
        sampled_group(plan, group)
        if unit is not None and unit not in {u.code for u in plan.sampled_units(plan.group(group))}:
            fail(f"đơn vị '{unit}' không được chọn mẫu trong nhóm {group}",
                 f"unit '{unit}' is not sampled in group {group}")
        rows = delivery_rows(session, row, group, base, unit=unit, commune=commune)
        if fmt == "pdf":
            data = files.delivery_pdf(rows, plan, group, lang=lang())
        elif fmt == "csv":
            data = files.delivery_csv(rows)
        elif fmt == "cards":
            data = files.cards_in_order(rows, plan, group, lang=lang())
        else:
            data = files.delivery_xlsx(rows, delivery_rows(session, row, group, base, unit=unit,
                                                           commune=commune, replaced=True))
        record(session, "export_delivery", user=CLI, target=f"{row.code}/{group}/{unit or '*'}",
               format=fmt, people=len(rows))
    write_file(output, data)
    say(f"Đã ghi {len(rows)} người vào {output}.", f"Wrote {len(rows)} people to {output}.", err=True)


@delivery.command("outcome")
@click.argument("slot")
@click.option("--outcome", type=click.Choice(list(OUTCOMES)), required=True)
@click.option("--reason", default="", help="Why (kept with an unreachable or refused outcome).")
@click.option("--date", "on_date", default=None, metavar="YYYY-MM-DD", help="The day (default: today).")
@round_option
@friendly_errors
def delivery_outcome(slot: str, outcome: str, reason: str, on_date: str | None,
                     round_code: str | None) -> None:
    """Record the delivery outcome of SLOT; an unreachable or refusing person is replaced
    by the next reserve of the same unit (exit 2 when none is left: nothing changes)."""
    require_initialised()
    code = parse_slot_code(slot)
    if code is None:
        fail(f"mã phiếu '{slot}' không đúng (kiểm tra từng ký tự; ký tự cuối là mã kiểm tra)",
             f"'{slot}' is not a valid slot code (check each character; the last one is a check character)")
    try:
        day = dt.date.fromisoformat(on_date) if on_date else dt.datetime.now(PROVINCE_TZ).date()
    except ValueError:
        fail(f"ngày '{on_date}' không đúng dạng YYYY-MM-DD", f"the date '{on_date}' is not YYYY-MM-DD")
    with command_session() as session:
        row = slot_round(session, code, round_code)
        report = record_outcome(session, row, code, outcome, reason=reason, on_date=day, user=CLI)
    vi, en = (label.lower() for label in OUTCOME_LABELS[outcome])
    if report.replacement:
        say(f"Phiếu {code}: {vi}; người dự phòng số {report.reserve_order} thay thế, phiếu mới "
            f"{report.replacement}.",
            f"Slot {code}: {en}; reserve no. {report.reserve_order} takes the place, new slot "
            f"{report.replacement}.")
    else:
        say(f"Phiếu {code}: đã ghi nhận ({vi}).", f"Slot {code}: recorded ({en}).")


def register(group: click.Group) -> None:
    """Add this feature's commands to ``group``."""
    for command in (roster, sample, delivery):
        group.add_command(command)
