"""The draw of the citizens' survey: sizes of the formula, one place and one slot per person
drawn, the same people for the same rosters and seed, and the plan's sync left alone."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from survey_service.citizens.models import Roster, RosterPerson, SampleMember
from survey_service.core.models import QuotaPlace, RespondentGroup, Slot, Unit

from .citizens_setup import HAILONG, roster_csv, roster_rows

UNITS = {"so-tu-phap": 400, "huyen-sin-ho": 120}


def _write(tmp_path, unit: str, reverse: bool = False):
    rows = roster_rows(unit, UNITS[unit])
    path = tmp_path / f"{unit}{'-r' if reverse else ''}.csv"
    path.write_bytes(roster_csv(rows[::-1] if reverse else rows))
    return str(path)


def _drawn(url: str) -> list[tuple[str, str, str, int]]:
    """(unit, dossier id, role, order) of every member drawn in the database at ``url``."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(conn.execute(
                sa.select(Unit.code, RosterPerson.ref, SampleMember.role, SampleMember.ord)
                .join(Roster, SampleMember.roster_id == Roster.id)
                .join(Unit, Roster.unit_id == Unit.id)
                .join(RosterPerson, SampleMember.person_id == RosterPerson.id)).all())
    finally:
        engine.dispose()


def test_the_draw_gives_the_formula_sizes_and_the_same_people_for_the_same_seed(cli, cli_env, tmp_path):
    assert cli("init", "--plan", HAILONG).exit_code == 0
    for unit in UNITS:
        assert cli("roster", "import", "III.1", unit, _write(tmp_path, unit)).exit_code == 0
    result = cli("sample", "draw", "III.1", "--seed", "2020")
    assert result.exit_code == 0, result.output
    assert "2020" in result.stdout and "293" in result.stdout  # 200 + 93 slots
    # n = N / (1 + N·0.05²), reserve 20 % of n, rounded up.
    assert "so-tu-phap: N = 400, n = 200, dự phòng 40" in result.stdout
    assert "huyen-sin-ho: N = 120, n = 93, dự phòng 19" in result.stdout

    url = cli_env["SURVEY_DATABASE_URL"]
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        places = conn.execute(sa.select(Unit.code, sa.func.count()).select_from(QuotaPlace)
                              .join(Unit, QuotaPlace.unit_id == Unit.id).group_by(Unit.code)).all()
        codes = list(conn.scalars(sa.select(Slot.code).join(QuotaPlace, Slot.place_id == QuotaPlace.id)
                                  .join(RespondentGroup, QuotaPlace.group_id == RespondentGroup.id)
                                  .where(RespondentGroup.code == "III.1")))
    engine.dispose()
    assert dict(places) == {"so-tu-phap": 200, "huyen-sin-ho": 93}
    assert len(codes) == len(set(codes)) == 293 and all(re.fullmatch(r"31-\d{4}-.", c) for c in codes)

    # Loading the plan again changes nothing: the sampled group's places come from the draw.
    again = cli("init", "--plan", HAILONG)
    assert again.exit_code == 0 and "không có gì thay đổi" in again.stdout and "293" in again.stdout
    # Nothing left to draw: refused, nothing changed.
    refused = cli("sample", "draw", "III.1", "--seed", "1")
    assert refused.exit_code == 2 and "đã được chọn mẫu" in refused.stderr

    # Another database, the rows in reverse order, the units imported and drawn one at a
    # time (the second draw takes the group's seed): the same people in the same order.
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert cli("--database", other, "init", "--plan", HAILONG).exit_code == 0
    assert cli("--database", other, "roster", "import", "III.1", "huyen-sin-ho",
               _write(tmp_path, "huyen-sin-ho", reverse=True)).exit_code == 0
    assert cli("--database", other, "sample", "draw", "III.1", "--seed", "2020").exit_code == 0
    assert cli("--database", other, "roster", "import", "III.1", "so-tu-phap",
               _write(tmp_path, "so-tu-phap", reverse=True)).exit_code == 0
    second = cli("--database", other, "sample", "draw", "III.1")
    assert second.exit_code == 0 and "2020" in second.stdout
    drawn = _drawn(url)
    assert len(drawn) == 200 + 40 + 93 + 19
    assert drawn == _drawn(other)
    # Another seed: other people.
    third = f"sqlite:///{tmp_path / 'third.db'}"
    cli("--database", third, "init", "--plan", HAILONG)
    cli("--database", third, "roster", "import", "III.1", "huyen-sin-ho", _write(tmp_path, "huyen-sin-ho"))
    cli("--database", third, "sample", "draw", "III.1", "--seed", "2021")
    assert _drawn(third) != [d for d in drawn if d[0] == "huyen-sin-ho"]


def test_the_default_seed_is_random_printed_and_kept(cli, tmp_path):
    cli("init", "--plan", HAILONG)
    cli("roster", "import", "III.2", "huyen-sin-ho", _write(tmp_path, "huyen-sin-ho"))
    result = cli("--lang", "en", "sample", "draw", "III.2")
    assert result.exit_code == 0, result.output
    seed = int(re.search(r"with seed (\d+)", result.stdout).group(1))
    status = json.loads(cli("roster", "status", "III.2", "--json").stdout)["rosters"]
    assert [(r["unit"], r["seed"], r["official"], r["reserve"]) for r in status] == [
        ("huyen-sin-ho", seed, 93, 19)]
    table = cli("--lang", "en", "roster", "status").stdout
    assert "huyen-sin-ho" in table and "drawn" in table
    # No roster: nothing to draw.
    kept = json.loads(cli("roster", "status", "--json").stdout)["rosters"]
    assert cli("sample", "draw", "III.1").exit_code == 2
    assert cli("sample", "draw", "III.1", "--seed", "-4").exit_code == 2
    assert json.loads(cli("roster", "status", "--json").stdout)["rosters"] == kept


def _stored(db) -> tuple[int, int, int]:
    """(slots, sample members, drawn rosters) in the database."""
    with db.session() as session:
        count = lambda query: session.scalar(sa.select(sa.func.count()).select_from(query))  # noqa: E731
        return (count(Slot), count(SampleMember),
                count(sa.select(Roster.id).where(Roster.drawn_at.is_not(None)).subquery()))


def test_a_refused_draw_stores_nothing(app, db):
    from survey_service.citizens.operations import import_roster
    from survey_service.plans.queries import get_plan_row

    from .citizens_setup import csrf, load_round, sign_in, small_plan

    plan = load_round(db, small_plan(per_unit=3, reserve=0.5))
    with db.session() as session:
        import_roster(session, get_plan_row(session, plan.code), plan, "III.1", "so-y-te",
                      roster_csv(roster_rows("so-y-te", 8)), user=None)
    before = _stored(db)
    admin = sign_in(app, db, "admin")
    page = admin.get("/staff/citizens").get_data(as_text=True)
    for seed in ("abc", "-4", "1" * 19):
        refused = admin.post("/staff/citizens/draw", data={"csrf_token": csrf(page), "group": "III.1",
                                                           "seed": seed})
        assert refused.status_code == 422, seed
        assert _stored(db) == before
    for group in ("III.2", "IX.9"):  # no roster, no such group
        refused = admin.post("/staff/citizens/draw", data={"csrf_token": csrf(page), "group": group})
        assert 400 <= refused.status_code < 500 and _stored(db) == before
    drawn = admin.post("/staff/citizens/draw", data={"csrf_token": csrf(page), "group": "III.1", "seed": "5"})
    assert drawn.status_code == 302 and _stored(db) == (before[0] + 3, before[1] + 5, 1)  # 3 drawn, 2 in reserve
