"""The ``demo`` command: a complete worked example in a database of its own."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

import sampling

from ..core import migrate
from ..core.cli import friendly_errors, lang, say
from ..core.database import Database
from ..plans.operations import sync_plan
from ..plans.queries import get_plan_row
from ..results.cli import demo_path
from ..results.queries import compute
from .operations import run_demo


@click.command()
@click.option("--database", "database", default=None, metavar="URL",
              help="Where to build the example (default: demo.db in the instance folder, "
                   "recreated on every run).")
@click.option("--seed", default=2020, show_default=True, type=int)
@with_appcontext
@friendly_errors
def demo(database: str | None, seed: int) -> None:
    """A complete worked example in a throwaway database: the built-in plan, simulated
    answers for most slots, example appraisal scores, the index; prints the ranking.

    The example is never written into the service's own database.
    """
    if database is None:
        path = demo_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        database = f"sqlite:///{path}"
    db = Database(database)
    try:
        migrate.upgrade(db.engine)
        plan = sampling.load_plan()
        with db.session() as session:
            sync_plan(session, plan)
        say("Đang mô phỏng câu trả lời...", "Simulating answers...", err=True)
        with db.session() as session:
            report = run_demo(session, get_plan_row(session, plan.code), plan, seed=seed)
        with db.session() as session:
            computed = compute(session, get_plan_row(session, plan.code), plan)
    finally:
        db.dispose()
    say(f"Đã mô phỏng {report.responses} phiếu trả lời trên {report.slots} phiếu và "
        f"{report.appraisal_rows} điểm thẩm định.",
        f"Simulated {report.responses} responses out of {report.slots} slots and "
        f"{report.appraisal_rows} appraisal scores.")
    index = computed.index.sort_values(["kind", "rank", "unit"], na_position="last")
    grades = {b.code: b.name.get(lang()) for b in plan.scoring.bands}
    for kind, part in index.groupby("kind", sort=False):
        click.echo()
        click.echo({"department": "Sở, ban, ngành" if lang() == "vi" else "Departments",
                    "district": "UBND huyện, thành phố" if lang() == "vi" else "Districts"}
                   .get(kind, kind))
        for r in part.itertuples():
            ranked = r.status == "ranked"
            interval = f"({int(r.rank_low)}-{int(r.rank_high)})" if ranked else ""
            click.echo(f"  {int(r.rank) if ranked else '-':>2} {interval:<8} {r.index_pct:6.2f}%  "
                       f"{r.appraisal:6.2f} + {r.survey:5.2f}  "
                       f"{grades.get(r.grade, r.grade) if ranked else r.status:<11} {r.name}")
    click.echo()
    say(f"Cơ sở dữ liệu ví dụ: {database}\nXem tiếp, ví dụ: survey-service --database {database} "
        "export index --format json",
        f"Example database: {database}\nGo on with, for example: survey-service --database "
        f"{database} export index --format json")


def register(group: click.Group) -> None:
    """Add this feature's commands to ``group``."""
    group.add_command(demo)
