"""Time and peak memory of the heavy commands: the index on a million answers, and cards.

Run from the repository root::

    .venv/bin/python benchmarks/analysis_and_cards.py                 # (a), (b) and (c) on SQLite
    .venv/bin/python benchmarks/analysis_and_cards.py --only a b      # some of them
    .venv/bin/python benchmarks/analysis_and_cards.py --db both       # (a) on PostgreSQL too
    .venv/bin/python benchmarks/analysis_and_cards.py --profile       # cProfile of (a) and (b)

Each command runs in its own process, the way an analyst or the post office runs it
(``survey-service ...``, started as ``python -m survey_service``); the wall time is
measured around the process and the peak resident memory is the child's own
``ru_maxrss`` (``os.wait4``), so start-up and imports are included.  The resident memory
is also sampled every 0.2 s from ``/proc`` to show whether it grows during the run.

(a) **Index on 1,000,000 answers.**  ``survey-service demo --database URL`` builds the
    worked example (about 1,000 responses, 60,000 answers); its stored responses are
    then replicated in SQL (``INSERT ... SELECT`` of responses and answers under new
    random ids) until about 1,000,000 answer rows; then
    ``survey-service --database URL export index --format json -o FILE`` is timed
    (reading the database included).  Target: < 10 s and < 1 GB.
(b) **1,193 cards.**  ``survey-service init`` (the built-in plan) then
    ``survey-service slots export --format pdf -o FILE``.  Target: < 3 s.
(c) **Cards of a plan 63 times larger** (75,159 slots): the built-in plan with every
    quota and stated total multiplied by 63, loaded with ``init --plan``, then the same
    PDF export.  Target: < 2 minutes, with a peak memory that does not grow with the
    plan; read here as: the 63x peak at most 1.25 times the 1x peak (b).

For scale it also times ``survey-service --help``: the start-up alone (the imports of
the command line), included in every figure above.

It prints the date and the machine (as ``benchmarks/throughput.py``), a table of the
runs and the targets; the exit status is 0 when every target is met.  PostgreSQL runs
under ``scripts/with-postgres`` (a throwaway server) unless ``SURVEY_TEST_POSTGRES_URL``
names one.  Everything is made in a temporary folder and deleted afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from throughput import (  # noqa: E402  (the shared helpers of the benchmarks folder)
    BUILTIN_PLAN,
    POSTGRES_ENV,
    ROOT,
    machine_info,
    markdown_table,
    postgres_version,
)

#: Answer rows wanted for (a).
TARGET_ANSWERS = 1_000_000
#: Multiple of the built-in plan for (c).
PLAN_FACTOR = 63
INDEX_SECONDS, INDEX_MEMORY = 10.0, 1024 ** 3
CARDS_SECONDS = 3.0
BIG_CARDS_SECONDS = 120.0
#: (c)'s peak memory may be this many times (b)'s and still "not grow with the plan".
MEMORY_GROWTH_LIMIT = 1.25
SECRET_KEY = "analysis-and-cards-benchmark"
#: A command is stopped after this long (the 63x cards may take long before optimisation).
DEFAULT_TIMEOUT = 1800


# -- running a command ------------------------------------------------------------------

@dataclass
class Run:
    """One timed process."""

    label: str
    seconds: float
    peak_rss: int  # bytes
    status: int
    samples: list[tuple[float, int]] = field(default_factory=list)  # (seconds, rss bytes)
    timed_out: bool = False
    note: str = ""

    def rss_at(self, share: float) -> int:
        """The sampled resident memory at ``share`` of the run (0..1)."""
        if not self.samples:
            return 0
        t = share * self.seconds
        return min(self.samples, key=lambda s: abs(s[0] - t))[1]


def env_for(folder: Path, database: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.update({"SURVEY_SECRET_KEY": SECRET_KEY, "SURVEY_INSTANCE_PATH": str(folder / "instance"),
                "SURVEY_BASE_URL": "https://khaosat.laichau.gov.vn", "SURVEY_LANG": "en"})
    if database:
        env["SURVEY_DATABASE_URL"] = database
    return env


def _rss(pid: int) -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def timed(label: str, args: list[str], env: dict[str, str], timeout: float = DEFAULT_TIMEOUT,
          python_args: list[str] | None = None) -> Run:
    """Run ``survey-service ARGS`` in a child process: wall time, peak RSS, RSS samples."""
    command = [sys.executable, *(python_args or []), "-m", "survey_service", *args]
    log = tempfile.TemporaryFile()
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    samples: list[tuple[float, int]] = []
    finished = threading.Event()

    def sample() -> None:
        while not finished.wait(0.2):
            rss = _rss(process.pid)
            if rss:
                samples.append((time.perf_counter() - started, rss))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    timed_out = False
    killer = threading.Timer(timeout, lambda: (process.kill()))
    killer.start()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    killer.cancel()
    if elapsed >= timeout:
        timed_out = True
    finished.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    log.seek(0)
    output = log.read().decode("utf-8", errors="replace")
    log.close()
    run = Run(label, elapsed, usage.ru_maxrss * 1024, process.returncode, samples, timed_out)
    if process.returncode != 0 and not timed_out:
        raise RuntimeError(f"survey-service {' '.join(args)} failed ({process.returncode}):\n"
                           f"{output[-3000:]}")
    print(f"  {label}: {elapsed:.2f} s, peak RSS {run.peak_rss / 2**20:,.0f} MiB"
          + (" (TIMED OUT, stopped)" if timed_out else ""), file=sys.stderr, flush=True)
    return run


def survey(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "survey_service", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"survey-service {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def profile(label: str, args: list[str], env: dict[str, str], folder: Path, top: int = 30) -> str:
    """The same command under cProfile (``python -m cProfile``): the top functions."""
    out = folder / f"profile-{len(list(folder.glob('profile-*')))}.prof"
    timed(f"{label} (under cProfile)", args, env, python_args=["-m", "cProfile", "-o", str(out)])
    text = io.StringIO()
    stats = pstats.Stats(str(out), stream=text)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return f"=== cProfile: {label} ===\n{text.getvalue()}"


# -- (a) a million answers -----------------------------------------------------------------

def replicate_responses(url: str, target: int) -> tuple[int, int, int, float]:
    """Copy the stored responses with their answers under new random ids until there are
    about ``target`` answer rows.  Returns (responses, answers, copies, seconds)."""
    import sqlalchemy as sa

    started = time.perf_counter()
    engine = sa.create_engine(url)
    try:
        columns = [c["name"] for c in sa.inspect(engine).get_columns("responses")]
        answer_columns = [c["name"] for c in sa.inspect(engine).get_columns("response_answers")]
        others = [c for c in columns if c != "id"]
        answer_others = [c for c in answer_columns if c != "response_id"]
        postgres = engine.dialect.name == "postgresql"
        new_id = ("md5(random()::text || clock_timestamp()::text || id)" if postgres
                  else "lower(hex(randomblob(16)))")
        with engine.begin() as conn:
            base_ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM responses ORDER BY id"))]
            answers = conn.execute(sa.text("SELECT count(*) FROM response_answers")).scalar_one()
        per_response = answers / max(1, len(base_ids))
        copies = 0
        while answers < target and base_ids:
            take = min(len(base_ids), math.ceil((target - answers) / per_response))
            with engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE IF EXISTS bench_idmap"))
                conn.execute(sa.text("CREATE TEMPORARY TABLE bench_idmap "
                                     "(old_id VARCHAR(32) PRIMARY KEY, new_id VARCHAR(32))"))
                conn.execute(sa.text(
                    f"INSERT INTO bench_idmap (old_id, new_id) SELECT id, {new_id} FROM responses "
                    "WHERE id IN :ids").bindparams(sa.bindparam("ids", expanding=True)),
                    {"ids": base_ids[:take]})
                conn.execute(sa.text(
                    f"INSERT INTO responses (id, {', '.join(others)}) "
                    f"SELECT m.new_id, {', '.join('r.' + c for c in others)} "
                    "FROM responses r JOIN bench_idmap m ON m.old_id = r.id"))
                conn.execute(sa.text(
                    f"INSERT INTO response_answers (response_id, {', '.join(answer_others)}) "
                    f"SELECT m.new_id, {', '.join('a.' + c for c in answer_others)} "
                    "FROM response_answers a JOIN bench_idmap m ON m.old_id = a.response_id"))
                conn.execute(sa.text("DROP TABLE bench_idmap"))
                answers = conn.execute(sa.text("SELECT count(*) FROM response_answers")).scalar_one()
            copies += 1
        with engine.connect() as conn:
            responses = conn.execute(sa.text("SELECT count(*) FROM responses")).scalar_one()
            conn.execute(sa.text("ANALYZE"))
            conn.commit()
        if not postgres:
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return responses, answers, copies, time.perf_counter() - started


def index_case(kind: str, url: str, folder: Path, args: argparse.Namespace,
               notes: list[str], profiles: list[str]) -> list[Run]:
    env = env_for(folder)
    print(f"(a) {kind}: building the worked example and replicating it", file=sys.stderr, flush=True)
    survey(["demo", "--database", url], env)
    base = survey(["--database", url, "export", "index", "--format", "json"], env)
    responses, answers, copies, seconds = replicate_responses(url, args.answers)
    notes.append(f"(a) {kind}: `demo` then {copies} copies in SQL ({seconds:.0f} s): "
                 f"{responses:,} responses, {answers:,} answer rows")
    runs = []
    out = folder / f"index-{kind}.json"
    runs.append(timed(f"(a) export index, {answers:,} answers, {kind}",
                      ["--database", url, "export", "index", "--format", "json", "-o", str(out)],
                      env, timeout=args.timeout))
    import json
    result = json.loads(out.read_text(encoding="utf-8"))
    units = len(result.get("index", [])) if isinstance(result, dict) else len(result)
    notes.append(f"(a) {kind}: the export lists {units} units (the example alone: "
                 f"{len(json.loads(base).get('index', []))})")
    if args.profile:
        profiles.append(profile(f"export index, {answers:,} answers, {kind}",
                                ["--database", url, "export", "index", "--format", "json", "-o",
                                 str(folder / "profiled.json")], env, folder))
    return runs


# -- (b) and (c) cards -----------------------------------------------------------------------

def scaled_plan(folder: Path, factor: int) -> Path:
    """A copy of the built-in plan with every quota and stated total ``factor`` times larger."""
    import yaml

    target = folder / f"plan-x{factor}"
    shutil.copytree(BUILTIN_PLAN, target)
    path = target / "plan.yaml"
    plan = yaml.safe_load(path.read_text(encoding="utf-8"))
    for group in plan["groups"]:
        quota = group.get("quota", {})
        if "fixed" in quota:
            quota["fixed"] *= factor
        if "count" in quota:
            quota["count"] *= factor
        if group.get("forms"):
            group["forms"] *= factor
    for level in plan.get("levels", []):
        level["forms"] *= factor
    plan["total_forms"] *= factor
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def pdf_pages(path: Path) -> int:
    data = path.read_bytes()
    return data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") + data.count(b"/Type /Page>")


def cards_case(factor: int, folder: Path, args: argparse.Namespace, notes: list[str],
               profiles: list[str]) -> list[Run]:
    sub = folder / f"cards-x{factor}"
    sub.mkdir()
    url = f"sqlite:///{sub / 'survey.db'}"
    env = env_for(sub, url)
    runs = []
    if factor == 1:
        survey(["init"], env)
    else:
        plan = scaled_plan(sub, factor)
        runs.append(timed(f"(c) init of the {factor}x plan", ["init", "--plan", str(plan)], env,
                          timeout=args.timeout))
    slots = survey(["slots", "export", "--format", "csv"], env).count("\n") - 1
    out = sub / "cards.pdf"
    label = "(b)" if factor == 1 else "(c)"
    run = timed(f"{label} cards PDF, {slots:,} slots", ["slots", "export", "--format", "pdf", "-o", str(out)],
                env, timeout=args.timeout)
    if out.exists() and not run.timed_out:
        run.note = f"{out.stat().st_size / 2**20:,.1f} MiB, {pdf_pages(out):,} pages"
    runs.append(run)
    if args.profile and factor == 1:
        profiles.append(profile(f"cards PDF, {slots:,} slots", ["slots", "export", "--format", "pdf",
                                                                "-o", str(sub / "profiled.pdf")], env, sub))
    return runs


# -- report -------------------------------------------------------------------------------------

def mib(value: int) -> str:
    return f"{value / 2**20:,.0f}"


def report(runs: dict[str, Run], notes: list[str]) -> bool:
    lines = []
    for run in runs.values():
        samples = (" / ".join(mib(run.rss_at(s)) for s in (0.25, 0.5, 0.75, 1.0))
                   if run.samples else "")
        lines.append([run.label, f"{run.seconds:,.2f}" + (" (stopped)" if run.timed_out else ""),
                      mib(run.peak_rss), samples, run.note])
    print(markdown_table(["Command", "Wall s", "Peak RSS MiB", "RSS at 25/50/75/100 % MiB", "Output"],
                         lines, align="lrrrl"))
    print()
    for note in notes:
        print(f"Note: {note}")
    print()
    ok = True
    lines = []

    def check(label: str, value: str, met: bool) -> None:
        nonlocal ok
        ok &= met
        lines.append([label, value, "met" if met else "MISSED"])

    for key, run in runs.items():
        if key.startswith("index"):
            check(f"(a) {key.split(':')[1]}: export index < {INDEX_SECONDS:.0f} s",
                  f"{run.seconds:,.1f} s", run.seconds < INDEX_SECONDS and not run.timed_out)
            check(f"(a) {key.split(':')[1]}: export index peak RSS < 1 GB",
                  f"{run.peak_rss / 2**20:,.0f} MiB", run.peak_rss < INDEX_MEMORY)
    if "cards1" in runs:
        run = runs["cards1"]
        check(f"(b) 1,193 cards < {CARDS_SECONDS:.0f} s", f"{run.seconds:,.1f} s", run.seconds < CARDS_SECONDS)
    if "cards63" in runs:
        run = runs["cards63"]
        check(f"(c) {PLAN_FACTOR}x cards < {BIG_CARDS_SECONDS:.0f} s",
              f"{run.seconds:,.1f} s" + (" (stopped)" if run.timed_out else ""),
              run.seconds < BIG_CARDS_SECONDS and not run.timed_out)
        if "cards1" in runs:
            ratio = run.peak_rss / runs["cards1"].peak_rss
            check(f"(c) peak RSS {PLAN_FACTOR}x <= {MEMORY_GROWTH_LIMIT} x the 1x peak",
                  f"{mib(run.peak_rss)} vs {mib(runs['cards1'].peak_rss)} MiB: {ratio:.2f} x",
                  ratio <= MEMORY_GROWTH_LIMIT and not run.timed_out)
    print(markdown_table(["Target", "Measured", "Verdict"], lines, align="lll"))
    return ok


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=("a", "b", "c"), default=["a", "b", "c"],
                        help="which measurements (default: all)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite",
                        help="database(s) for (a) (default: sqlite; the cards always use SQLite)")
    parser.add_argument("--answers", type=int, default=TARGET_ANSWERS,
                        help=f"answer rows for (a) (default {TARGET_ANSWERS:,})")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"stop a command after this many seconds (default {DEFAULT_TIMEOUT})")
    parser.add_argument("--profile", action="store_true",
                        help="also run (a) and (b) under cProfile and print the top functions")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if "a" in args.only and "postgresql" in kinds and not os.environ.get(POSTGRES_ENV):
        script = ROOT / "scripts" / "with-postgres"
        os.execv(str(script), [str(script), sys.executable, str(Path(__file__).resolve()), *argv])

    folder = Path(tempfile.mkdtemp(prefix="analysis-cards-"))
    runs: dict[str, Run] = {}
    notes: list[str] = []
    profiles: list[str] = []
    try:
        pg = postgres_version(os.environ[POSTGRES_ENV]) if "postgresql" in kinds and "a" in args.only else None
        info = machine_info(pg)
        print("start-up alone", file=sys.stderr, flush=True)
        runs["startup"] = timed("start-up alone: `survey-service --help`", ["--help"], env_for(folder))
        if "a" in args.only:
            for kind in kinds:
                if kind == "sqlite":
                    url = f"sqlite:///{folder / 'million.db'}"
                    cleanup = None
                else:
                    url, cleanup = _postgres_database(os.environ[POSTGRES_ENV])
                try:
                    for run in index_case(kind, url, folder, args, notes, profiles):
                        runs[f"index:{kind}"] = run
                finally:
                    if cleanup:
                        cleanup()
        if "b" in args.only:
            print("(b) cards of the built-in plan", file=sys.stderr, flush=True)
            runs["cards1"] = cards_case(1, folder, args, notes, profiles)[-1]
        if "c" in args.only:
            print(f"(c) cards of the {PLAN_FACTOR}x plan", file=sys.stderr, flush=True)
            init, cards = cards_case(PLAN_FACTOR, folder, args, notes, profiles)
            runs["init63"], runs["cards63"] = init, cards
        print(markdown_table(["Machine", ""], [[k, v] for k, v in info], align="ll"))
        print()
        ok = report(runs, notes)
        for text in profiles:
            print()
            print(text)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


def _postgres_database(base_url: str):  # type: ignore[no-untyped-def]
    """A fresh database on the server of ``base_url``; (its URL, a function dropping it)."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = f"analysis_cards_{os.getpid()}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()

    def drop() -> None:
        engine = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return make_url(base_url).set(database=name).render_as_string(hide_password=False), drop


if __name__ == "__main__":
    sys.exit(main())
