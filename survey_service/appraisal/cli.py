"""Commands of the appraisal: ``appraisal template UNIT``, ``appraisal import UNIT WORKBOOK``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..core.cli import command_session, friendly_errors, lang, require_initialised, say, write_file
from ..plans.cli import plan_for_reading
from ..plans.queries import current_plan, get_plan_row
from .operations import import_sheet, template_for

appraisal = AppGroup("appraisal", help="Self-assessment and appraisal: Excel templates out, "
                                       "filled workbooks in.")


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


def register(group: click.Group) -> None:
    """Add this feature's commands to ``group``."""
    group.add_command(appraisal)
