"""Commands of the field work: ``slots export`` (CSV, printable cards, QR images)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

import sampling

from ..core.cli import (
    command_session,
    fail,
    friendly_errors,
    lang,
    open_output,
    require_initialised,
    say,
    write_file,
)
from ..plans.cli import round_option, select_round
from ..plans.queries import current_plan, get_plan_row
from .exports import write_slots_csv
from .queries import SlotRow, count_slots, iter_slots

slots = AppGroup("slots", help="Slots: one one-time link per quota place.")


@slots.command("export")
@click.option("--group", default=None, help="Only this group (e.g. I.3).")
@click.option("--unit", default=None, help="Only this unit (or the units under it).")
@click.option("--format", "fmt", type=click.Choice(["csv", "pdf", "zip"]), required=True,
              help="csv: one row per slot; pdf: printable cards with QR codes; zip: QR images.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of standard output.")
@click.option("--include-voided", is_flag=True, help="Also list voided slots.")
@round_option
@friendly_errors
def slots_export(group: str | None, unit: str | None, fmt: str, output: str | None,
                 include_voided: bool, round_code: str | None) -> None:
    """Export slots with their links (one row per slot)."""
    require_initialised()
    with command_session() as session:
        select_round(session, round_code)
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
        if fmt == "pdf":
            total = count_slots(session, row, group=group, unit=unit, include_voided=include_voided)
            stream = iter_slots(session, row, current_app.config["BASE_URL"], group=group, unit=unit,
                                include_voided=include_voided)
            _write_pdf(stream, total, p, output)
            return
        rows = iter_slots(session, row, current_app.config["BASE_URL"], group=group, unit=unit,
                          include_voided=include_voided)
        if fmt == "zip":
            _write_cards(list(rows), p, fmt, output)
            return
        with open_output(output) as fh:
            count = write_slots_csv(fh, rows)
    if output:
        say(f"Đã ghi {count} phiếu vào {output}.", f"Wrote {count} slots to {output}.", err=True)


def _progress_bar(total: int) -> Any:
    label = "Đang tạo thẻ" if lang() == "vi" else "Making cards"
    return click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)


def _write_pdf(rows: Iterator[SlotRow], total: int, plan: sampling.Plan, output: str | None) -> None:
    """Printable cards, written to the file page by page (whole or not at all)."""
    from .cards import write_cards_pdf

    if output is None:
        fail("hãy chọn tệp ghi ra bằng -o (ví dụ -o the.pdf)",
             "choose the output file with -o (for example -o cards.pdf)")
    tmp = Path(output).with_name(Path(output).name + ".part")
    try:
        with _progress_bar(total) as bar, open(tmp, "wb") as fh:
            write_cards_pdf(fh, rows, total, plan, lang=lang(),
                            progress=lambda done, _total: bar.update(done - bar.pos))
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    size = Path(output).stat().st_size // 1024
    say(f"Đã ghi {total} thẻ vào {output} ({size} KB).", f"Wrote {total} cards to {output} ({size} KB).",
        err=True)


def _write_cards(rows: list[Any], plan: sampling.Plan, fmt: str, output: str | None) -> None:
    """QR images (zip), with a progress bar on long runs."""
    from .qr import qr_zip

    if output is None:
        fail("hãy chọn tệp ghi ra bằng -o (ví dụ -o the.pdf)",
             "choose the output file with -o (for example -o cards.pdf)")
    with _progress_bar(len(rows)) as bar:
        data = qr_zip(rows, progress=lambda done, _total: bar.update(done - bar.pos))
    write_file(output, data)
    say(f"Đã ghi {len(rows)} thẻ vào {output} ({len(data) // 1024} KB).",
        f"Wrote {len(rows)} cards to {output} ({len(data) // 1024} KB).", err=True)


def register(group: click.Group) -> None:
    """Add this feature's commands to ``group``."""
    group.add_command(slots)
