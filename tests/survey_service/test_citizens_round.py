"""The citizens' round from end to end, as its users run it, beside the index round.

Sở Nội vụ loads the built-in citizens' round next to the 2020 index round, imports the
one-stop desks' rosters (several thousand dossiers), draws the sample with a seed, the post
office prints cards and delivery lists, two people cannot be reached or refuse and are
replaced from the reserve, citizens answer on the phone and on paper, the satisfaction
index is computed, and the personal data is purged: after that no name, address or phone is
left anywhere in the database, and every count and figure is what it was.

A second test searches every export, API answer and staff page that is not a delivery list
for the roster's names, addresses and phones while they are still stored, and finds none.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from survey_service.core.models import Base

from .citizens_setup import HAILONG, csrf, roster_csv, roster_rows, roster_xlsx, sign_in
from .formwalk import Walk, parse

#: Roster sizes of the units whose desks send a list (several thousand dossiers in all).
ROSTERS = {"so-tu-phap": 2500, "huyen-tam-duong": 1800, "so-y-te": 900, "tp-lai-chau": 300}
SEED = 2020


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, loaded_url: str):
    """``survey-service ARGS`` on the ``app`` fixture's database (the 2020 round loaded)."""
    from survey_service.cli import main

    for key, value in {"SURVEY_DATABASE_URL": loaded_url, "SURVEY_SECRET_KEY": "test-secret",
                       "SURVEY_BASE_URL": "http://survey.test",
                       "SURVEY_INSTANCE_PATH": str(tmp_path / "instance"), "SURVEY_LANG": ""}.items():
        monkeypatch.setenv(key, value)

    def invoke(*args: str, ok: bool = True, input: str | None = None):
        result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, (args, result.output)
        return result

    return invoke


def _slovin(size: int, e: float = 0.05) -> int:
    """n = N / (1 + N e²), rounded up: the plan's formula, written out again here."""
    return math.ceil(size / (1 + size * e * e) - 1e-9)


def _import_rosters(run, tmp_path: Path, *, shuffle: int | None = None) -> dict[str, list[dict]]:
    """Every roster of group III.1 imported: CSV files, and one XLSX as desks also send."""
    rosters = {unit: roster_rows(unit, size) for unit, size in ROSTERS.items()}
    for unit, rows in rosters.items():
        rows = list(rows)
        if shuffle is not None:
            random.Random(shuffle).shuffle(rows)
        if unit == "tp-lai-chau":
            path = tmp_path / f"{unit}.xlsx"
            path.write_bytes(roster_xlsx(rows))
        else:
            path = tmp_path / f"{unit}.csv"
            path.write_bytes(roster_csv(rows))
        run("roster", "import", "III.1", unit, str(path))
    return rosters


def _listed(run, tmp_path: Path, unit: str | None = None) -> list[dict[str, str]]:
    """The delivery list (CSV) of group III.1, or of one unit."""
    path = tmp_path / f"list-{unit or 'all'}.csv"
    run("delivery", "export", "III.1", *(["--unit", unit] if unit else []), "--format", "csv",
        "-o", str(path))
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def _drawn(url: str) -> list[tuple[str, str, int, str]]:
    """(unit, role, order, dossier id) of everyone drawn, officials and reserves."""
    from survey_service.citizens.models import Roster, RosterPerson, SampleMember
    from survey_service.core.models import Unit

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return sorted(connection.execute(
                sa.select(Unit.code, SampleMember.role, SampleMember.ord, RosterPerson.ref)
                .join(Roster, SampleMember.roster_id == Roster.id)
                .join(Unit, Roster.unit_id == Unit.id)
                .join(RosterPerson, SampleMember.person_id == RosterPerson.id)).all())
    finally:
        engine.dispose()


def _database_text(engine: sa.Engine) -> str:
    """Every value of every table, as text: what a search of the database would read."""
    parts = []
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(sa.select(table)):
                parts.append("\x1f".join(str(v) for v in row))
    return "\n".join(parts)


def _leaks(text: str, rosters: dict[str, list[dict]]) -> list[str]:
    """The names, addresses and phones of the rosters that occur in ``text``.

    The generated names and addresses carry unique tags (``Zq<hex>``, ``Khum<hex>``) and
    the phones are ten digits, so they are found by pattern and compared as sets."""
    people = [p for rows in rosters.values() for p in rows]
    names = {p["name"].split("Zq")[1] for p in people}
    places = {p["address"].split("Khum")[1].split(",")[0] for p in people}
    phones = {p["phone"] for p in people}
    found = {f"name Zq{t}" for t in re.findall(r"Zq([0-9a-f]{10})", text) if t in names}
    found |= {f"address Khum{t}" for t in re.findall(r"Khum([0-9a-f]{8})", text) if t in places}
    found |= {f"phone {t}" for t in re.findall(r"(?<!\d)(0\d{9})(?!\d)", text) if t in phones}
    return sorted(found)


def _paper(client, code: str, level: str):
    """Key in a returned paper form, ticking ``level`` for every rating."""
    start = client.get("/staff/paper").get_data(as_text=True)
    response = client.post("/staff/paper", data={"csrf_token": csrf(start), "code": code})
    assert response.status_code == 302, response.get_data(as_text=True)
    url = response.headers["Location"]
    html = client.get(url).get_data(as_text=True)
    for _ in range(50):
        data = {**parse(html).hidden, "action": "save"}
        for name, value in re.findall(r'type="radio" name="([^"]+)" value="([^"]+)"', html):
            if value == level or name not in data:
                data[name] = value
        if 'value="next"' in html.split('<div class="nav">', 1)[1]:
            data["action"] = "next"
        posted = client.post(url, data=data)
        if data["action"] == "save":
            return posted
        assert posted.status_code == 200, posted.get_data(as_text=True)
        html = posted.get_data(as_text=True)
    raise AssertionError("the paper sheet did not end")


def _outcome(client, group: str, unit: str, slot: str, outcome: str, reason: str) -> str:
    page = client.get(f"/staff/citizens/delivery?group={group}&unit={unit}").get_data(as_text=True)
    response = client.post("/staff/citizens/delivery/outcome", data={
        "csrf_token": csrf(page), "group": group, "unit": unit, "slot": slot, "outcome": outcome,
        "reason": reason})
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _figures(run, tmp_path: Path) -> dict[str, object]:
    """What the purge must leave unchanged: answers, the satisfaction index, the slots,
    the roster sizes and draw."""
    responses = tmp_path / "responses.csv"
    run("export", "responses", "--plan", HAILONG, "--format", "csv", "-o", str(responses))
    satisfaction = json.loads(run("export", "satisfaction", "--format", "json").stdout)
    slots = tmp_path / "slots.csv"
    run("slots", "export", "--plan", HAILONG, "--format", "csv", "-o", str(slots))
    status = json.loads(run("roster", "status", "--json").stdout)["rosters"]
    return {"responses": responses.read_text(encoding="utf-8-sig"),
            "satisfaction": satisfaction["satisfaction"], "slots": slots.read_text(encoding="utf-8-sig"),
            "rosters": [{k: v for k, v in r.items() if k != "purged_at"} for r in status]}


def test_the_citizens_round_from_rosters_to_the_purge(app, db, run, tmp_path: Path, loaded_url: str):
    # The citizens' round is loaded beside the index round, which stays the default.
    run("init", "--plan", HAILONG)
    assert json.loads(run("plan", "show", "--json").stdout)["plan"] == "laichau-2020"

    rosters = _import_rosters(run, tmp_path)
    drawn = run("sample", "draw", "III.1", "--seed", str(SEED)).stdout
    assert str(SEED) in drawn

    # The sample sizes of the formula, and a reserve of a fifth of them (rounded up).
    listed = _listed(run, tmp_path)
    for unit, size in ROSTERS.items():
        n = _slovin(size)
        official = [r for r in listed if r["unit"] == unit and r["role"] == "official"]
        assert len(official) == n, unit
    status = {r["unit"]: r for r in json.loads(run("roster", "status", "III.1", "--json").stdout)["rosters"]}
    for unit, size in ROSTERS.items():
        assert status[unit]["size"] == size
        assert status[unit]["official"] == _slovin(size)
        assert status[unit]["reserve"] == math.ceil(0.2 * _slovin(size))
    # n = N / (1 + N e²) for 2,500 dossiers: 345 people and 69 in reserve.
    assert status["so-tu-phap"]["official"] == 345 and status["so-tu-phap"]["reserve"] == 69
    slots_csv = tmp_path / "citizens-slots.csv"
    run("slots", "export", "--plan", HAILONG, "--group", "III.1", "--format", "csv", "-o", str(slots_csv))
    slots = list(csv.DictReader(io.StringIO(slots_csv.read_text(encoding="utf-8-sig"))))
    assert len(slots) == sum(_slovin(size) for size in ROSTERS.values())

    # The same rosters, in another row order, drawn with the same seed in another database:
    # the same people, in the same roles and order.
    other = tmp_path / "other"
    other.mkdir()
    first_draw = _drawn(loaded_url)
    assert len(first_draw) == sum(_slovin(n) + math.ceil(0.2 * _slovin(n)) for n in ROSTERS.values())
    assert _repeat_draw(tmp_path / "other.db", other) == first_draw

    # Cards and delivery lists of one unit, for the post office.
    unit = "so-y-te"
    pdf, xlsx, cards = (tmp_path / f"{unit}.{ext}" for ext in ("pdf", "xlsx", "cards.pdf"))
    run("delivery", "export", "III.1", "--unit", unit, "--format", "pdf", "-o", str(pdf))
    run("delivery", "export", "III.1", "--unit", unit, "--format", "xlsx", "-o", str(xlsx))
    run("delivery", "export", "III.1", "--unit", unit, "--format", "cards", "-o", str(cards))
    assert pdf.read_bytes().startswith(b"%PDF") and cards.read_bytes().startswith(b"%PDF")
    mine = [r for r in listed if r["unit"] == unit and r["role"] == "official"]
    sheet = openpyxl.load_workbook(xlsx, read_only=True).worksheets[0]
    cells = {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None}
    assert {r["slot"] for r in mine} <= cells and {r["name"] for r in mine} <= cells
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert all(r["slot"] in text for r in mine)

    # Two people cannot be reached or refuse: the unit's first and second reserves take
    # their places, in order, and the reasons are kept.
    post = sign_in(app, db, "postoffice")
    first, second = mine[0]["slot"], mine[1]["slot"]
    _outcome(post, "III.1", unit, first, "unreachable", "không có ở nhà sau ba lần đến")
    _outcome(post, "III.1", unit, second, "refused", "không muốn trả lời")
    after = [r for r in _listed(run, tmp_path, unit) if r["unit"] == unit]
    reserves = [ref for u, role, _, ref in first_draw if u == unit and role == "reserve"]
    holders = {r["dossier"] for r in after}
    assert reserves[0] in holders and reserves[1] in holders and reserves[2] not in holders
    assert mine[0]["dossier"] not in holders and mine[1]["dossier"] not in holders
    assert len(after) == len(mine)
    replaced = openpyxl.load_workbook(_export(run, tmp_path, unit), read_only=True)
    reasons = {str(c) for ws in replaced.worksheets[1:] for row in ws.iter_rows(values_only=True)
               for c in row if c is not None}
    assert {"không có ở nhà sau ba lần đến", "không muốn trả lời"} <= reasons

    # Answers: three citizens of Sở Tư pháp on the phone ("Hài lòng"), two of Huyện Tam
    # Đường on paper ("Không hài lòng").
    client = app.test_client()
    web = [s for s in slots if s["unit"] == "so-tu-phap"][:3]
    for slot in web:
        token = slot["url"].rsplit("/", 1)[1]
        done = Walk(client, token).finish(choose=lambda name, options: "4" if "4" in options else options[0])
        assert done.status_code == 200 and 'data-survey-status="completed"' in done.get_data(as_text=True)
    for slot in [s for s in slots if s["unit"] == "huyen-tam-duong"][:2]:
        assert _paper(post, slot["slot"], "2").status_code == 302

    satisfaction = json.loads(run("export", "satisfaction", "--format", "json").stdout)["satisfaction"]
    every = {r["unit"]: r for r in satisfaction if r["area"] == "all"}
    assert set(every) == {"so-tu-phap", "huyen-tam-duong"}
    assert every["so-tu-phap"]["n"] == 3 and every["so-tu-phap"]["satisfied_share"] == 1.0
    assert every["so-tu-phap"]["mean"] == 4.0
    assert every["huyen-tam-duong"]["n"] == 2 and every["huyen-tam-duong"]["satisfied_share"] == 0.0
    assert every["huyen-tam-duong"]["mean"] == 2.0

    # The personal data is in the database until the purge; then none of it, anywhere,
    # while every answer, count and figure stays as it was.
    before = _figures(run, tmp_path)
    assert _leaks(_database_text(db.engine), rosters)
    purged = run("roster", "purge", "III.1", "--yes")
    assert str(sum(ROSTERS.values())) in purged.stdout
    assert _leaks(purged.output, rosters) == []
    assert _leaks(_database_text(db.engine), rosters) == []
    if loaded_url.startswith("sqlite:///"):
        path = Path(loaded_url.removeprefix("sqlite:///"))
        blob = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert _leaks(blob.decode("utf-8", "replace"), rosters) == []
    assert _figures(run, tmp_path) == before
    # The index round is untouched and still the default.
    assert json.loads(run("plan", "show", "--json").stdout)["plan"] == "laichau-2020"


def _export(run, tmp_path: Path, unit: str) -> Path:
    path = tmp_path / f"after-{unit}.xlsx"
    run("delivery", "export", "III.1", "--unit", unit, "--format", "xlsx", "-o", str(path))
    return path


def _repeat_draw(database: Path, folder: Path) -> list[tuple[str, str, int, str]]:
    """The draw of the same rosters (rows shuffled) with the same seed in a new database."""
    from survey_service.cli import main

    env = {"SURVEY_DATABASE_URL": f"sqlite:///{database}", "SURVEY_INSTANCE_PATH": str(folder / "i")}
    runner = CliRunner(env=env)

    def invoke(*args: str):
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
        return result

    invoke("init", "--plan", HAILONG)
    _import_rosters(invoke, folder, shuffle=7)
    invoke("sample", "draw", "III.1", "--seed", str(SEED))
    return _drawn(f"sqlite:///{database}")


# --------------------------------------------------------------------------- no leaks


def _texts(blob: bytes, name: str) -> str:
    """The text a person or a program could read in a file: zip members (XLSX, DOCX, zip
    of QR images) unpacked, a PDF's text extracted, anything else decoded."""
    import zipfile

    if blob.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            return "\n".join(archive.read(member).decode("utf-8", "replace")
                             for member in archive.namelist())
    if blob.startswith(b"%PDF"):
        assert shutil.which("pdftotext"), f"pdftotext is needed to read {name}"
        return subprocess.run(["pdftotext", "-", "-"], input=blob, capture_output=True,
                              check=True).stdout.decode("utf-8", "replace")
    return blob.decode("utf-8", "replace")


def test_no_export_api_answer_or_page_carries_a_name_or_a_phone(app, db, run, tmp_path: Path):
    """While the rosters are stored, every export, API answer and staff page (but the
    delivery lists, which exist to carry them) is searched for their names, addresses and
    phones."""
    run("init", "--plan", HAILONG)
    rosters = {unit: roster_rows(unit, size) for unit, size in
               (("so-tu-phap", 60), ("huyen-sin-ho", 45))}
    for unit, rows in rosters.items():
        path = tmp_path / f"{unit}.csv"
        path.write_bytes(roster_csv(rows))
        run("roster", "import", "III.1", unit, str(path))
    orgs = roster_rows("so-y-te", 30)
    (tmp_path / "orgs.csv").write_bytes(roster_csv(orgs))
    run("roster", "import", "III.2", "so-y-te", str(tmp_path / "orgs.csv"))
    rosters["so-y-te"] = orgs
    run("sample", "draw", "III.1", "--seed", "1")
    run("sample", "draw", "III.2", "--seed", "2")
    listed = _listed(run, tmp_path, "so-tu-phap")
    run("delivery", "outcome", listed[0]["slot"], "--outcome", "refused", "--reason", "bận việc")
    post = sign_in(app, db, "postoffice")
    run("delivery", "outcome", listed[1]["slot"], "--outcome", "handed_out")
    slots_csv = tmp_path / "s.csv"
    run("slots", "export", "--plan", HAILONG, "--format", "csv", "-o", str(slots_csv))
    slots = list(csv.DictReader(io.StringIO(slots_csv.read_text(encoding="utf-8-sig"))))
    web = next(s for s in slots if s["unit"] == "huyen-sin-ho")
    Walk(app.test_client(), web["url"].rsplit("/", 1)[1]).finish()
    paper = next(s for s in slots if s["unit"] == "so-y-te")
    assert _paper(post, paper["slot"], "5").status_code == 302
    assert _leaks(_database_text(db.engine), rosters)  # they are there to be found

    seen: dict[str, str] = {}
    # Every export of both rounds, in every format the table has.
    for plan in (HAILONG, "laichau-2020"):
        for table in ("responses", "scores", "index", "codebook", "satisfaction"):
            for fmt in ("csv", "xlsx", "sav", "json"):
                path = tmp_path / f"{plan}-{table}.{fmt}"
                result = run("export", table, "--plan", plan, "--format", fmt, "-o", str(path), ok=False)
                seen[f"export {table} {fmt} {plan}"] = result.output
                if result.exit_code == 0:
                    seen[f"{path.name}"] = _texts(path.read_bytes(), path.name)
        for fmt in ("csv", "pdf", "zip"):
            path = tmp_path / f"{plan}-slots.{fmt}"
            run("slots", "export", "--plan", plan, "--format", fmt, "-o", str(path))
            seen[path.name] = _texts(path.read_bytes(), path.name)
    for fmt in ("docx", "xlsx", "pdf"):
        path = tmp_path / f"report.{fmt}"
        run("publish", "--plan", HAILONG, "--format", fmt, "-o", str(path))
        seen[path.name] = _texts(path.read_bytes(), path.name)
    for args in (("plan", "show", "--json"), ("round", "list"), ("roster", "status", "--json"),
                 ("roster", "status"), ("appraisal", "status")):
        seen[" ".join(args)] = run(*args, ok=False).output
    assert len([k for k in seen if k.endswith((".csv", ".xlsx", ".json", ".sav"))]) >= 20

    # Every API answer (every GET of the OpenAPI document without a path parameter), for
    # the citizens' round and for the default one.
    from survey_service.accounts.operations import new_api_key

    admin = sign_in(app, db, "admin")
    with db.session() as session:
        key = new_api_key(session, "admin-x")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    document = client.get("/api/v1/openapi.json").get_json()
    base = document["servers"][0]["url"].rstrip("/") if document.get("servers") else ""
    paths = [base + p for p, ops in document["paths"].items() if "get" in ops and "{" not in p]
    assert "/api/v1/satisfaction" in paths and "/api/v1/plan" in paths
    for path in paths:
        for query in ("", f"?plan={HAILONG}"):
            answer = client.get(path + query, headers=headers)
            assert answer.status_code < 500, path
            seen[f"GET {path}{query}"] = _texts(answer.get_data(), path)

    # Every staff page an admin can open without arguments, but the delivery list.
    for rule in app.url_map.iter_rules():
        if ("GET" not in rule.methods or rule.arguments or rule.endpoint.startswith("api")
                or rule.endpoint in ("citizens.delivery", "static")):
            continue
        page = admin.get(rule.rule)
        assert page.status_code < 500, rule.rule
        seen[f"page {rule.rule}"] = _texts(page.get_data(), rule.rule)
    seen["roster overview"] = admin.get("/staff/citizens").get_data(as_text=True)
    seen["delivery without a unit"] = post.get("/staff/citizens/delivery?group=III.1").get_data(as_text=True)

    leaks = {where: found for where, text in seen.items() if (found := _leaks(text, rosters))}
    assert leaks == {}

    # The search finds them where they are meant to be: the delivery list of a unit.
    page = post.get("/staff/citizens/delivery?group=III.1&unit=so-tu-phap").get_data(as_text=True)
    assert _leaks(page, rosters)
