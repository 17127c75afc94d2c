"""The ``publish`` command: the published report of a round as DOCX, PDF or XLSX."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..core.audit import record
from ..core.cli import command_session, database_is_initialised, fail, friendly_errors, lang, say, write_file
from ..plans.cli import round_option, select_round
from ..plans.queries import current_plan, get_plan_row
from ..results.cli import source_database
from .formats import FORMATS
from .queries import report_of


@click.command("publish")
@round_option
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True,
              help="The file to write.")
@click.option("--lang", "doc_lang", type=click.Choice(["vi", "en"]), default=None,
              help="Language of the report (default: the language of messages, Vietnamese).")
@with_appcontext
@friendly_errors
def publish(round_code: str | None, fmt: str, output: str, doc_lang: str | None) -> None:
    """Write the published report of a round: title and legal basis, ranking of each kind
    of unit with the change against the previous round, grade counts, component indices
    (table and chart), the survey in numbers, the satisfaction of citizens and
    organisations (when the round has sampled groups with answers) and the methods.  A
    round of the satisfaction survey only (no scoring rules) publishes its satisfaction
    index.

    Before the survey has closed and the appraisal is final, every page says the results
    are preliminary.  A round with no survey answer and no final appraisal score
    publishes nothing (exit status 2).
    """
    language = doc_lang or lang()
    example = source_database()
    if example is None and not database_is_initialised():
        fail("cơ sở dữ liệu chưa được khởi tạo; hãy chạy: survey-service init",
             "the database is not initialised; run: survey-service init")
    try:
        with (example.session() if example is not None else command_session()) as session:
            select_round(session, round_code)
            row, plan = get_plan_row(session), current_plan(session)
            if row is None or plan is None:
                fail("chưa nạp kế hoạch nào; hãy chạy: survey-service init",
                     "no plan is loaded; run: survey-service init")
            report = report_of(session, row, plan, language)
            if report is None:
                fail(f"chưa có gì để công bố: đợt {row.code} chưa có phiếu khảo sát nào và chưa có điểm "
                     "thẩm định cuối cùng nào.",
                     f"there is nothing to publish yet: the round {row.code} has no survey answer and no "
                     "final appraisal score.")
            data = FORMATS[fmt].write(report)
            if example is None:
                record(session, "publish_report", user_name="command line", target=row.code, format=fmt,
                       lang=language, preliminary=report.preliminary)
    finally:
        if example is not None:
            example.dispose()
    write_file(output, data)
    say(f"Đã ghi báo cáo {fmt.upper()} của đợt {report.plan} vào {output}.",
        f"Wrote the {fmt.upper()} report of the round {report.plan} to {output}.")
    if report.banner:
        say("TẠM TÍNH: mọi trang của báo cáo ghi rõ đây là kết quả tạm tính.",
            "PRELIMINARY: every page of the report says the results are preliminary.", err=True)


def register(group: click.Group) -> None:
    """Add this feature's commands to ``group``."""
    group.add_command(publish)
