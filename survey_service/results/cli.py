"""Commands of the results: ``export codebook|responses|scores|index|satisfaction``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

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
from ..plans.cli import plan_for_reading, round_option, select_round
from ..plans.queries import current_plan, get_plan_row, plan_of
from . import exports, satisfaction
from .queries import Results, compute, responses_frame

T = TypeVar("T")

EXPORT_FORMATS = {
    "codebook": ("json", "csv"),
    "responses": ("csv", "xlsx", "sav", "json"),
    "scores": ("csv", "xlsx", "json"),
    "index": ("csv", "xlsx", "json"),
    "satisfaction": ("csv", "xlsx", "json"),
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
@round_option
@click.option("--precision", type=click.Choice(exports.PRECISIONS), default="2", show_default=True,
              help="Decimals of points and percentages: 2, or the full precision.")
@with_appcontext
@friendly_errors
def export(table: str, fmt: str, output: str | None, round_code: str | None, precision: str) -> None:
    """Export a table: codebook, responses (long; sav: one case per response and unit),
    scores (per unit and sub-criterion), index (per unit, with rank interval, grade,
    status and the comparison with the previous round) or satisfaction (the citizens'
    satisfaction index per rated unit and area, from the round's sampled groups; by
    default of the current round if it has sampled groups, else of the latest round
    that has).

    Points and percentages carry two decimals, shares and means four, unless
    ``--precision full`` is given.
    Exports never contain a token, a slot code or anything that links an answer to a person.
    """
    if fmt not in EXPORT_FORMATS[table]:
        fail(f"'{table}' không xuất được dạng {fmt} (được: {', '.join(EXPORT_FORMATS[table])})",
             f"'{table}' cannot be exported as {fmt} (formats: {', '.join(EXPORT_FORMATS[table])})")
    if table == "satisfaction":
        _export_satisfaction(fmt, output, round_code, precision)
        return
    if table != "codebook":
        _export_results(table, fmt, output, round_code, precision)
        return
    if round_code is not None and database_is_initialised():
        with command_session() as session:
            select_round(session, round_code)
    plan = plan_for_reading()
    forms = list(plan.forms.values())
    with open_output(output) as fh:
        if fmt == "json":
            json.dump({"plan": plan.code, "questions": questionnaires.codebook(forms)}, fh,
                      ensure_ascii=False, indent=2)
            fh.write("\n")
        else:
            write_csv(fh, questionnaires.CODEBOOK_ROW_FIELDS, questionnaires.codebook_rows(forms))


def source_database() -> Database | None:
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


def _reading(read: Callable[[Session], T]) -> T:
    """``read(session)`` on the service database, or on the example database where the
    service's is not initialised (see :func:`source_database`)."""
    example = source_database()
    if example is not None:
        try:
            with example.session() as session:
                return read(session)
        finally:
            example.dispose()
    if not database_is_initialised():
        fail("cơ sở dữ liệu chưa được khởi tạo; hãy chạy: survey-service init",
             "the database is not initialised; run: survey-service init")
    with command_session() as session:
        return read(session)


def _read_table(session: Session, table: str, round_code: str | None):  # type: ignore[no-untyped-def]
    select_round(session, round_code)
    row, plan = get_plan_row(session), current_plan(session)
    if row is None or plan is None:
        fail("chưa nạp kế hoạch nào; hãy chạy: survey-service init",
             "no plan is loaded; run: survey-service init")
    if table == "responses":
        return plan, responses_frame(session, row.id), None
    if plan.scoring is None:
        fail(f"đợt {row.code} không có quy tắc chấm điểm nên không có điểm hay chỉ số CCHC; chỉ số hài lòng: "
             "survey-service export satisfaction",
             f"the round {row.code} has no scoring rules, so no scores or index; its satisfaction index: "
             "survey-service export satisfaction")
    return plan, None, compute(session, row, plan)


def _export_results(table: str, fmt: str, output: str | None, round_code: str | None,
                    precision: str) -> None:
    if fmt in ("xlsx", "sav") and output is None:
        fail("hãy chọn tệp ghi ra bằng -o", "choose the output file with -o")
    plan, frame, computed = _reading(lambda session: _read_table(session, table, round_code))
    if computed is not None:
        frame = (exports.index_frame(computed, precision) if table == "index"
                 else exports.score_frame(computed, precision))
    if fmt in ("sav", "xlsx"):
        data = (exports.responses_sav(frame, dict(plan.forms)) if fmt == "sav"
                else exports.formatted_xlsx({table: frame}, precision))
        write_file(output, data)
        say(f"Đã ghi {len(frame)} dòng vào {output}.", f"Wrote {len(frame)} rows to {output}.",
            err=True)
    else:
        with open_output(output) as fh:
            if fmt == "json":
                head = {"plan": plan.code}
                if computed is not None:
                    head.update(_json_head(computed, precision))
                json.dump({**head, table: exports.records(frame)}, fh, ensure_ascii=False, indent=2)
                fh.write("\n")
            else:
                exports.to_csv(exports.csv_ready(frame, precision), fh)
    if computed is not None:
        _tell_state(computed, table)


def _read_satisfaction(session: Session, round_code: str | None) -> satisfaction.Satisfaction:
    if round_code is not None:
        select_round(session, round_code)
    row = satisfaction.satisfaction_round(session, round_code)
    if row is None:
        if get_plan_row(session) is None:
            fail("chưa nạp kế hoạch nào; hãy chạy: survey-service init",
                 "no plan is loaded; run: survey-service init")
        fail("chưa có đợt khảo sát nào có nhóm chọn mẫu người dân, tổ chức (khảo sát sự hài lòng); "
             "hãy nạp kế hoạch của đợt đó, ví dụ: survey-service init --plan laichau-2020-hailong",
             "no stored round has a sampled group of citizens or organisations (the satisfaction "
             "survey); load that round's plan, e.g.: survey-service init --plan laichau-2020-hailong")
    plan = plan_of(row)
    current = get_plan_row(session)
    if round_code is None and current is not None and current.code != row.code:
        say(f"(Đợt hiện tại {current.code} không có nhóm chọn mẫu: chỉ số hài lòng của đợt {row.code}.)",
            f"(The current round {current.code} has no sampled group: the satisfaction index of the "
            f"round {row.code}.)", err=True)
    if not satisfaction.satisfaction_groups(plan):
        fail(f"đợt {row.code} không có nhóm chọn mẫu người dân, tổ chức nên không có chỉ số hài lòng",
             f"the round {row.code} has no sampled group of citizens or organisations, so no "
             "satisfaction index")
    return satisfaction.compute_satisfaction(session, row, plan)


def _export_satisfaction(fmt: str, output: str | None, round_code: str | None, precision: str) -> None:
    if fmt == "xlsx" and output is None:
        fail("hãy chọn tệp ghi ra bằng -o", "choose the output file with -o")
    result = _reading(lambda session: _read_satisfaction(session, round_code))
    frame = satisfaction.satisfaction_frame(result, precision)
    if fmt == "xlsx":
        write_file(output, satisfaction.to_xlsx(frame, precision))
        say(f"Đã ghi {len(frame)} dòng vào {output}.", f"Wrote {len(frame)} rows to {output}.", err=True)
    else:
        with open_output(output) as fh:
            if fmt == "json":
                json.dump(satisfaction.to_json(result, precision), fh, ensure_ascii=False, indent=2)
                fh.write("\n")
            else:
                satisfaction.write_csv(frame, fh, precision)
    if result.empty:
        say(f"Đợt {result.plan}: nhóm {', '.join(result.groups)} chưa có phiếu trả lời nào; bảng trống.",
            f"Round {result.plan}: no answer of the groups {', '.join(result.groups)} yet; the table is "
            "empty.", err=True)
    elif result.preliminary:
        say("TẠM TÍNH: cuộc khảo sát chưa kết thúc; cột preliminary = true.",
            "PRELIMINARY: the survey has not closed; column preliminary = true.", err=True)


def _json_head(computed: Results, precision: str) -> dict[str, object]:
    return {"preliminary": computed.preliminary, "survey_closed": computed.survey_closed,
            "appraisal_final": computed.appraisal_final, "ranked": computed.ranked,
            "not_ranked": computed.not_ranked(), "previous_plan": computed.previous,
            "precision": precision}


def _tell_state(computed: Results, table: str) -> None:
    """Say on standard error what the reader of the file must know: preliminary results,
    units not ranked and why."""
    if computed.preliminary:
        vi = [] if computed.survey_closed else ["cuộc khảo sát chưa kết thúc"]
        en = [] if computed.survey_closed else ["the survey has not closed"]
        if not computed.appraisal_final:
            vi.append("kết quả thẩm định chưa được chốt")
            en.append("the appraisal is not finalised")
        say(f"TẠM TÍNH: {' và '.join(vi)}; cột preliminary = true.",
            f"PRELIMINARY: {' and '.join(en)}; column preliminary = true.", err=True)
    if table != "index":
        return
    reasons = computed.not_ranked()
    if not reasons:
        return
    vi_names = {"no_survey": "chưa có phiếu khảo sát hợp lệ (no_survey)",
                "appraisal_missing": "chưa đủ điểm thẩm định cuối cùng (appraisal_missing)",
                "appraisal_preliminary": "kết quả thẩm định chưa được chốt (appraisal_preliminary)"}
    en_names = {"no_survey": "no valid survey answer (no_survey)",
                "appraisal_missing": "no final appraisal score on every sub-criterion (appraisal_missing)",
                "appraisal_preliminary": "the appraisal is not finalised (appraisal_preliminary)"}
    vi = "; ".join(f"{n} đơn vị {vi_names[s]}" for s, n in reasons.items())
    en = "; ".join(f"{n} {'unit' if n == 1 else 'units'}: {en_names[s]}" for s, n in reasons.items())
    if computed.ranked == 0:
        say(f"Chưa xếp hạng đơn vị nào: {vi}. Hạng, xếp loại và khoảng thứ hạng để trống; "
            "cột status cho biết lý do.",
            f"No unit is ranked yet: {en}. Rank, grade and rank interval are empty; the column "
            "status gives the reason.", err=True)
    else:
        say(f"Đã xếp hạng {computed.ranked} đơn vị; chưa xếp hạng: {vi}.",
            f"{computed.ranked} units ranked; not ranked: {en}.", err=True)


def register(group: click.Group) -> None:
    """Add this feature's commands to ``group``."""
    group.add_command(export)
