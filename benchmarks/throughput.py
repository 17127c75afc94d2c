"""Throughput of the respondent pages, measured against the stack's own limit.

Run from the repository root::

    .venv/bin/python benchmarks/throughput.py                      # SQLite and PostgreSQL
    .venv/bin/python benchmarks/throughput.py --db sqlite          # SQLite only
    .venv/bin/python benchmarks/throughput.py --duration 10 --connections 64
    .venv/bin/python benchmarks/throughput.py --profile 200        # + in-process timings, cProfile

Needs ``wrk`` (Debian: ``apt-get install -y wrk``).  For PostgreSQL the script runs
itself under ``scripts/with-postgres`` (a throwaway server, installed with apt-get where
missing) unless ``SURVEY_TEST_POSTGRES_URL`` already names a server.  A run on both
databases takes 10 to 20 minutes on two cores, most of it walking forms (below).

What it measures, on SQLite (WAL, a file in a temporary folder) and on PostgreSQL side
by side, each case with wrk (2 threads, 64 connections, 10 s), every request sending
``Accept-Encoding: gzip, deflate, br`` as a phone browser does:

* **minimal endpoint**: ``GET /`` of a tiny Flask app (``benchmarks/reference_app.py``)
  served by gunicorn with the service's settings (4 sync workers);
* **minimal committed write**: ``POST /write`` of the same app: one UPDATE and one INSERT
  in one transaction with SQLAlchemy, on the same kind of database;
* **form page**: ``GET /s/<token>?p=2`` of the service (``gunicorn survey_service.wsgi:app``,
  4 sync workers): the third page of CT-02 (questions), over 64 started CT-02 slots in turn;
* **final submit**: the POST that sends a complete CT-02 draft from the review page, every
  request a first submit on its own slot.

Preparing the final submits: the plan is the built-in one with CT-02's quota enlarged
(``--submit-slots``, default 4,000), loaded with ``survey-service init --plan``; the slots
come from ``survey-service slots export --format csv`` (rows whose form is CT-02).  Each
slot's form is then filled over HTTP up to its review page, the way a browser without
scripts does (``tests/survey_service/formwalk.py``: GET a page, POST its fields with the
first option of every question, follow the 303).  The first slot of each unit is walked
page by page; the other slots of that unit open their link (which gives the page's form
token), post the same fields page by page (each POST must answer 303 to the same next
page) and read their review page, which gives the body of their "send".  wrk then sends
each prepared slot's "send" exactly once (a Lua script, each request a different slot URL
with its body).  If the prepared slots run out before the end of the run, the run stops
there and the figures are over the first submits only (the output says so).  Afterwards
the slots' status is read back (``slots export``) and checked against the answers wrk
counted: every answer counted must be a first submit.

Everything is prepared first; the four cases then run back to back, so that they meet
the same conditions on a shared machine (the 1-minute load average before each case is
printed beside it).

It prints the date, the machine, the versions, then requests/s and p50/p99 latency per
case and database, and the targets: form page >= 20 % of the minimal endpoint's rate,
final submit >= 40 % of the minimal write's rate, final submit p99 <= 3 x the write's p99.
The exit status is 0 when every target is met, 1 otherwise.  ``--profile N`` adds, per
database, the four cases timed in process through Flask's test client (no server, no
network) and a cProfile of N form pages and N final submits.

The service is used only through its stable interfaces: the ``survey-service`` command
line (run as ``python -m survey_service``), ``survey_service.wsgi:app`` configured by the
environment (``SURVEY_DATABASE_URL``, ``SURVEY_SECRET_KEY``, ``SURVEY_BASE_URL``,
``SURVEY_INSTANCE_PATH``) and its URLs; ``--profile`` also uses ``survey_service.create_app``.
The child processes import the service from the checkout the script is in.

Absolute figures depend on the machine and on what else runs on it (wrk, the load and
the server share the same cores): compare the ratios, and runs on the same machine.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import csv
import datetime as dt
import http.client
import importlib.metadata
import importlib.util
import io
import json
import math
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent

#: wrk settings of every case.
THREADS = 2
DEFAULT_CONNECTIONS = 64
DEFAULT_DURATION = 10
#: gunicorn settings of both apps (the service's production command, 4 sync workers).
WORKERS = 4
#: What a phone browser sends; the service compresses its pages accordingly.
ACCEPT_ENCODING = "gzip, deflate, br"
#: The form whose pages and final submits are measured, and the page asked for.
FORM = "CT-02"
FORM_PAGE = 2
#: Slots walked for the form-page case (requested in turn).
PAGE_SLOTS = 64
#: Default number of CT-02 slots prepared for the final submits.
DEFAULT_SUBMIT_SLOTS = 4000
#: Targets (the issue "throughput measured against the stack's own limit").
PAGE_SHARE_TARGET = 0.20
SUBMIT_SHARE_TARGET = 0.40
SUBMIT_P99_TARGET = 3.0

SECRET_KEY = "throughput-benchmark"
POSTGRES_ENV = "SURVEY_TEST_POSTGRES_URL"
BUILTIN_PLAN = ROOT / "sampling" / "plans" / "laichau-2020"


# -- the machine ----------------------------------------------------------------------

def _first_line(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    out = (done.stdout or done.stderr).strip().splitlines()
    return out[0].strip() if out else "unknown"


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def _os_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"') + f", Linux {platform.release()}"
    return platform.platform()


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def source_revision() -> str:
    """The git commit of the checkout (``+ changes`` when the work tree differs)."""
    head = _first_line(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"])
    if not head or " " in head or head in ("unknown", "not found"):
        return "not a git checkout"
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return head + (" + uncommitted changes" if dirty else "")


def machine_info(postgres_version: str | None = None, wrk: bool = False) -> list[tuple[str, str]]:
    """The date, the machine and the versions, as (name, value) lines."""
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        ("date", dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
        ("cpu", _cpu_model()),
        ("cores", f"{cores} logical" + (f" ({usable} usable)" if usable != cores else "")),
        ("memory", _memory()),
        ("load average (1/5/15 min) at start", load),
        ("system", _os_name()),
        ("python", platform.python_version()),
        ("sqlite", sqlite3.sqlite_version),
    ]
    if postgres_version:
        lines.append(("postgresql", postgres_version))
    lines += [
        ("gunicorn / flask / sqlalchemy", " / ".join(_version(p) for p in ("gunicorn", "flask", "sqlalchemy"))),
    ]
    if wrk:
        lines.append(("wrk", _first_line([wrk_path(), "-v"]).split(" [")[0]))
    lines.append(("source", source_revision()))
    return lines


def markdown_table(headings: list[str], lines: list[list[str]], align: str | None = None) -> str:
    rule = [("---:" if (align or "l" + "r" * (len(headings) - 1))[i] == "r" else "---")
            for i in range(len(headings))]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [headings, rule, *lines])


# -- processes ------------------------------------------------------------------------

def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child: this checkout first on the import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("SURVEY_LANG", "en")
    env.update(extra or {})
    return env


def service_env(database: str, folder: Path, base_url: str = "http://127.0.0.1") -> dict[str, str]:
    return child_env({
        "SURVEY_DATABASE_URL": database,
        "SURVEY_SECRET_KEY": SECRET_KEY,
        "SURVEY_BASE_URL": base_url,
        "SURVEY_INSTANCE_PATH": str(folder / "instance"),
        "SURVEY_LANG": "en",
    })


def survey_cli(args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    """``survey-service ARGS`` (as ``python -m survey_service``); raises on failure."""
    done = subprocess.run([sys.executable, "-m", "survey_service", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"survey-service {' '.join(args)} failed ({done.returncode}):\n"
                           f"{done.stderr.strip()}")
    return done


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(app: str, env: dict[str, str], log: Path, chdir: Path | None = None) -> Iterator[str]:
    """A gunicorn server (4 sync workers) on a free port; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--worker-class", "sync",
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120"]
    if chdir:
        command += ["--chdir", str(chdir)]
    with log.open("ab") as out:
        process = subprocess.Popen([*command, app], env=env, cwd=ROOT, stdout=out, stderr=out,
                                   start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn {app} exited ({process.returncode}); see {log}:\n"
                                   + log.read_text(errors="replace")[-3000:])
            try:
                status, _, _ = http_request(base + "/", "GET")
                if status < 500:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn {app} did not answer within 60 s")
            time.sleep(0.2)
        time.sleep(1.0)  # every worker booted (they import the app in parallel)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


# -- HTTP, the way a browser without scripts fills a form -----------------------------

def http_request(url: str, method: str, body: dict[str, str] | str | None = None
                 ) -> tuple[int, dict[str, str], str]:
    """One request on a new connection (gunicorn's sync workers close each one)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {}
        data = None
        if body is not None:
            data = body if isinstance(body, str) else urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text
    finally:
        conn.close()


def formwalk():  # type: ignore[no-untyped-def]
    """The test suite's form parser (``tests/`` is not a package: loaded by path)."""
    name = "_throughput_formwalk"
    if name not in sys.modules:
        path = ROOT / "tests" / "survey_service" / "formwalk.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[name] = module
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    return sys.modules[name]


def page_fields(html: str, action: str) -> dict[str, str]:
    """What a browser posts for a page: hidden fields, the checked (or first) option of
    every question, the text fields as they are, and the button (formwalk's ``post``)."""
    form = formwalk().parse(html)
    data = dict(form.hidden)
    for name, options in form.radios.items():
        data[name] = form.checked.get(name) or options[0]
    data.update(form.texts)
    data["action"] = action
    return data


@dataclass
class Prepared:
    """A slot walked to its review page: the URL path and the body of its "send"."""

    token: str
    path: str
    send_body: str
    pages: int


@dataclass
class Template:
    """What a walk posted, page by page (form token left out), and where each POST led:
    the same form for a slot of the same group and unit posts the same fields."""

    posts: list[dict[str, str]]
    targets: list[str]  # the query of each 303's Location (``p=1``, ...)


def walk_to_review(base: str, token: str) -> tuple[Prepared, Template]:
    """Fill every page of the slot's form over HTTP and stop on the review page."""
    fw = formwalk()
    path = f"/s/{token}"
    template = Template([], [])
    status, _, html = http_request(base + path, "GET")
    for _ in range(200):
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status} while walking the form")
        form = fw.parse(html)
        if "send" in form.buttons:
            return (Prepared(token, path, urllib.parse.urlencode(page_fields(html, "send")),
                             fw.page_number(html) + 1), template)
        data = page_fields(html, "next")
        status, headers, _ = http_request(base + path, "POST", data)
        if status != 303:
            raise RuntimeError(f"{path}: a filled page answered HTTP {status}, not 303")
        template.posts.append({k: v for k, v in data.items() if k != "ft"})
        template.targets.append(urllib.parse.urlsplit(headers["location"]).query)
        status, _, html = http_request(base + headers["location"], "GET")
    raise RuntimeError(f"{path}: the form did not end")


def replay_to_review(base: str, token: str, template: Template) -> Prepared:
    """The same walk for another slot of the same group and unit: open the link (the
    first page gives the form token), post every page as the first walk did, checking
    that each POST leads where it led then, and read the review page."""
    fw = formwalk()
    path = f"/s/{token}"
    status, _, html = http_request(base + path, "GET")
    if status != 200:
        raise RuntimeError(f"{path}: HTTP {status} on opening")
    ft = fw.parse(html).hidden["ft"]
    location = path
    for data, target in zip(template.posts, template.targets):
        status, headers, _ = http_request(base + path, "POST", {**data, "ft": ft})
        location = headers.get("location", "")
        if status != 303 or urllib.parse.urlsplit(location).query != target:
            raise RuntimeError(f"{path}: a replayed page answered HTTP {status} to {location!r}, "
                               f"not 303 to ?{target}")
    status, _, html = http_request(base + location, "GET")
    if status != 200 or "send" not in fw.parse(html).buttons:
        raise RuntimeError(f"{path}: the review page did not come (HTTP {status})")
    return Prepared(token, path, urllib.parse.urlencode(page_fields(html, "send")),
                    fw.page_number(html) + 1)


def walk_many(base: str, slots: list[tuple[str, str]], label: str, parallel: int = 6) -> list[Prepared]:
    """Walk ``slots`` ((token, unit) pairs) to their review pages, in parallel: the
    first slot of each unit page by page, the others replaying its posts."""
    started = time.monotonic()
    firsts: dict[str, str] = {}
    for token, unit in slots:
        firsts.setdefault(unit, token)
    walked: dict[str, Prepared] = {}
    templates: dict[str, Template] = {}
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        for unit, (prepared, template) in zip(
                firsts, pool.map(lambda t: walk_to_review(base, t), firsts.values())):
            walked[prepared.token], templates[unit] = prepared, template
        rest = [(t, u) for t, u in slots if t not in walked]
        for number, prepared in enumerate(
                pool.map(lambda tu: replay_to_review(base, tu[0], templates[tu[1]]), rest), 1):
            walked[prepared.token] = prepared
            if number % 500 == 0:
                print(f"  {label}: {len(walked)}/{len(slots)} slots walked to the review page "
                      f"({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
    print(f"  {label}: {len(slots)} slots walked to the review page ({len(firsts)} page by page, "
          f"the others replaying the posts of their unit's first) in "
          f"{time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return [walked[t] for t, _ in slots]


# -- the plan and the slots -----------------------------------------------------------

def enlarged_plan(folder: Path, form: str, slots_wanted: int) -> tuple[Path, int]:
    """A copy of the built-in plan whose group answering ``form`` has at least
    ``slots_wanted`` places (its per-unit count raised; the stated totals follow)."""
    import yaml

    target = folder / "plan"
    shutil.copytree(BUILTIN_PLAN, target)
    path = target / "plan.yaml"
    plan = yaml.safe_load(path.read_text(encoding="utf-8"))
    group = next(g for g in plan["groups"] if g.get("form") == form and "count" in g.get("quota", {}))
    units = group["forms"] // group["quota"]["count"]
    count = max(group["quota"]["count"], math.ceil(slots_wanted / units))
    delta = count * units - group["forms"]
    group["quota"]["count"], group["forms"] = count, count * units
    for level in plan["levels"]:
        if level["code"] == group["level"]:
            level["forms"] += delta
    plan["total_forms"] += delta
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, count * units


def slot_rows(env: dict[str, str]) -> list[dict[str, str]]:
    """Every slot, from ``survey-service slots export --format csv``."""
    out = survey_cli(["slots", "export", "--format", "csv"], env).stdout
    return list(csv.DictReader(io.StringIO(out)))


def token_of(url: str) -> str:
    return urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1]


# -- wrk ------------------------------------------------------------------------------

#: One Lua script for every case.  Arguments after ``--``: the requests file (one
#: request a line: METHOD, TAB, PATH, TAB, BODY), ``cycle`` (requests in turn, round
#: and round) or ``once`` (each request once: the thread stops when its share is sent),
#: and the number of threads.  Each thread takes every n-th line.  ``done`` prints one
#: JSON line with the latency percentiles, the status codes and, for ``once``, the time
#: from the first request to the last answer (wrk's own duration is the whole -d).
#: In ``once`` mode no line is sent twice: a thread that has handed out its share holds
#: its connections back (``delay``) and stops on its last answer.  Those connections are
#: open but idle, and gunicorn's sync workers block on idle connections, so once one
#: thread has run out the other's last requests may wait until wrk exits: they are then
#: neither counted nor timed (the figures are over the requests answered in the window)
#: and the server completes them afterwards (the read-back of the slots shows them).
WRK_LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local function now_us()
  local ts = ffi.new("bench_timespec")
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local threads = {}
local count = 0
function setup(thread)
  count = count + 1
  thread:set("tid", count)
  table.insert(threads, thread)
end

function init(args)
  local n = tonumber(args[3])
  once = args[2] == "once"
  local lines = 0
  for _ in io.lines(args[1]) do lines = lines + 1 end
  if lines < n and not once then n = 1 end  -- too few to share: every thread sends them all
  reqs = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % n == (tid - 1) % n then
      local method, path, body = line:match("^(%u+)\t([^\t]+)\t?(.*)$")
      local headers = {["Accept-Encoding"] = "gzip, deflate, br"}
      if method == "POST" then
        headers["Content-Type"] = "application/x-www-form-urlencoded"
      else
        body = nil
      end
      table.insert(reqs, wrk.format(method, path, headers, body))
    end
    i = i + 1
  end
  pos = 0        -- lines handed out
  granted = 0    -- "once": requests allowed by delay() and not yet handed out
  -- wrk calls request() once on the first thread before the run, to check it, and
  -- never sends that request: answer it without using up a line.
  checking = tid == 1
  statuses = {}
  responses = 0
  exhausted = 0
  repeats = 0
  first_us = 0
  last_us = 0
end

function delay()
  -- "once": when this thread's share is all handed out (or promised), a connection
  -- waits (untimed: wrk starts a request's clock after its delay) until the thread
  -- stops on its last answer.  A connection's first request comes without a delay: a
  -- share must hold at least one line per connection (the Python side checks it).
  if once then
    if pos + granted >= #reqs then return 3600000 end
    granted = granted + 1
  end
  return 0
end

function request()
  if checking then
    checking = false
    return reqs[1] or wrk.format("GET", "/")
  end
  if granted > 0 then granted = granted - 1 end
  pos = pos + 1
  if first_us == 0 then first_us = now_us() end
  if pos > #reqs then
    if once then  -- should not happen; counted, and reported as repeats
      repeats = repeats + 1
      return reqs[#reqs] or wrk.format("GET", "/")
    end
    pos = 1
  end
  return reqs[pos]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  responses = responses + 1
  last_us = now_us()
  if once and responses >= #reqs + repeats then
    exhausted = 1
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local agg = {}
  local first, last, ran_out, repeated = nil, 0, 0, 0
  for _, t in ipairs(threads) do
    repeated = repeated + t:get("repeats")
    for k, v in pairs(t:get("statuses")) do agg[k] = (agg[k] or 0) + v end
    local f, l = t:get("first_us"), t:get("last_us")
    if f > 0 and (first == nil or f < first) then first = f end
    if l > last then last = l end
    ran_out = ran_out + t:get("exhausted")
  end
  local parts = {}
  for k, v in pairs(agg) do table.insert(parts, string.format('"%s": %d', k, v)) end
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "first_to_last_us": %.0f, ' ..
    '"p50_us": %.0f, "p90_us": %.0f, "p99_us": %.0f, "mean_us": %.0f, "max_us": %.0f, ' ..
    '"threads_ran_out": %d, "repeats": %d, "statuses": {%s}, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, last - (first or last),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    latency.max, ran_out, repeated, table.concat(parts, ", "),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass
class Result:
    """One wrk run."""

    case: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]
    errors: dict[str, int]
    ran_out: bool = False
    note: str = ""
    raw: dict = field(default_factory=dict, repr=False)
    load: float = 0.0  # 1-minute load average just before the run

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def wrk_path() -> str:
    found = shutil.which("wrk")
    if not found:
        sys.exit("throughput.py needs wrk, the HTTP load generator: on Debian or Ubuntu, "
                 "`apt-get update && apt-get install -y wrk` (as root); elsewhere see "
                 "https://github.com/wg/wrk")
    return found


def run_wrk(case: str, base: str, requests: list[tuple[str, str, str]], folder: Path,
            duration: int, connections: int, once: bool = False) -> Result:
    """Run wrk on ``requests`` (method, path, body) and read its result line."""
    lua = folder / "bench.lua"
    lua.write_text(WRK_LUA, encoding="utf-8")
    slug = "".join(c if c.isalnum() else "-" for c in case)
    listing = folder / f"requests-{slug}.tsv"
    listing.write_text("".join(f"{m}\t{p}\t{b}\n" for m, p, b in requests), encoding="utf-8")
    load = os.getloadavg()[0]
    command = [wrk_path(), "-t", str(THREADS), "-c", str(connections), "-d", f"{duration}s",
               "--timeout", "60s", "-s", str(lua), base, "--", str(listing),
               "once" if once else "cycle", str(THREADS)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 180)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK-RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.split(" ", 1)[1])
    ran_out = data["threads_ran_out"] > 0
    seconds = (data["first_to_last_us"] if ran_out else data["duration_us"]) / 1e6
    result = Result(case=case, requests=data["requests"], seconds=seconds,
                    p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000,
                    statuses=data["statuses"], errors={k: v for k, v in data["errors"].items() if v},
                    ran_out=ran_out, raw=data, load=load)
    print(f"  {case}: {result.rate:,.1f} req/s, p50 {result.p50_ms:,.1f} ms, p99 "
          f"{result.p99_ms:,.1f} ms, {result.requests:,} requests in {seconds:.1f} s, statuses "
          f"{result.statuses}, errors {result.errors or 0} (load before: {load:.2f})",
          file=sys.stderr, flush=True)
    return result


# -- one database kind ------------------------------------------------------------------

@dataclass
class Setup:
    kind: str            # "sqlite" or "postgresql"
    service_url: str
    reference_url: str
    cleanup: list = field(default_factory=list)


def postgres_setup(base_url: str) -> Setup:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    suffix = f"{os.getpid()}"
    names = {"service": f"throughput_service_{suffix}", "reference": f"throughput_reference_{suffix}"}
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()

    def drop() -> None:
        engine = create_engine(base_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in names.values():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    url = make_url(base_url)
    return Setup("postgresql",
                 url.set(database=names["service"]).render_as_string(hide_password=False),
                 url.set(database=names["reference"]).render_as_string(hide_password=False),
                 [drop])


def postgres_version(base_url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(base_url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


def reference_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("_throughput_reference_app", HERE / "reference_app.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@dataclass
class KindResults:
    kind: str
    results: dict[str, Result]
    notes: list[str]
    profile: str = ""


def measure_kind(setup: Setup, folder: Path, args: argparse.Namespace) -> KindResults:
    """Every case on one kind of database.

    Everything is prepared first (reference tables; the service's plan, slots and
    walked forms); the four load cases then run back to back, so that they see the
    same conditions on a shared machine.
    """
    kind = setup.kind
    notes: list[str] = []
    results: dict[str, Result] = {}
    print(f"[{kind}] preparing", file=sys.stderr, flush=True)
    reference_module().create_schema(setup.reference_url)
    ref_env = child_env({"REFERENCE_DATABASE_URL": setup.reference_url})

    # The service: the built-in plan with CT-02's quota enlarged, then walk the slots.
    extra = 2 * args.profile + 1 if args.profile else 0
    wanted = PAGE_SLOTS + args.submit_slots + extra
    plan_path, planned = enlarged_plan(folder, FORM, wanted)
    env = service_env(setup.service_url, folder)
    survey_cli(["init", "--plan", str(plan_path)], env)
    rows = [r for r in slot_rows(env) if r["form"] == FORM]
    tokens = [(token_of(r["url"]), r["unit"]) for r in rows]
    if len(tokens) < wanted:
        raise RuntimeError(f"{len(tokens)} {FORM} slots, {wanted} needed")
    with gunicorn("survey_service.wsgi:app", env, folder / "service.log") as base, \
            gunicorn("reference_app:create_app()", ref_env, folder / "reference.log", chdir=HERE) as ref:
        page_slots = walk_many(base, tokens[:PAGE_SLOTS], f"[{kind}] form-page slots")
        submits = walk_many(base, tokens[PAGE_SLOTS:wanted], f"[{kind}] final-submit slots")
        pages = {p.pages for p in submits}
        measured, reserve = submits[:args.submit_slots], submits[args.submit_slots:]
        notes.append(f"{FORM}: {len(measured):,} slots walked to the review page for the final "
                     f"submits ({planned:,} {FORM} places in the enlarged plan; forms of "
                     f"{'/'.join(map(str, sorted(pages)))} pages, walked over HTTP)")
        # The form page: a page of questions of a started slot (no write on GET).
        check_status, _, check_html = http_request(f"{base}{page_slots[0].path}?p={FORM_PAGE}", "GET")
        if check_status != 200 or formwalk().page_number(check_html) != FORM_PAGE:
            raise RuntimeError(f"the {FORM} form page {FORM_PAGE} did not answer as expected")

        print(f"[{kind}] load cases", file=sys.stderr, flush=True)
        results["minimal"] = run_wrk(f"{kind} minimal endpoint", ref, [("GET", "/", "")], folder,
                                     args.duration, args.connections)
        results["write"] = run_wrk(f"{kind} minimal committed write", ref, [("POST", "/write", "")],
                                   folder, args.duration, args.connections)
        results["page"] = run_wrk(f"{kind} form page", base,
                                  [("GET", f"{p.path}?p={FORM_PAGE}", "") for p in page_slots],
                                  folder, args.duration, args.connections)
        result = run_wrk(f"{kind} final submit", base,
                         [("POST", p.path, p.send_body) for p in measured], folder,
                         args.duration, args.connections, once=True)
        results["submit"] = result

    # Read the slots back: every 200 counted by wrk must be a first submit.
    status_of = {token_of(r["url"]): r["status"] for r in slot_rows(env)}
    completed = sum(1 for p in measured if status_of.get(p.token) == "completed")
    ok = result.statuses.get("200", 0)
    if result.ran_out:
        result.note = (f"ran out of prepared slots after {result.seconds:.1f} s: rate over the "
                       f"{result.requests:,} first submits only")
        notes.append(f"final submit: {len(measured):,} prepared slots were not enough for "
                     f"{args.duration} s at the measured rate: the figures are over the "
                     f"{result.requests:,} first submits only, sent and answered in "
                     f"{result.seconds:.1f} s")
    notes.append(f"final submit: {completed:,} of the {len(measured):,} prepared slots completed, "
                 f"wrk counted {ok:,} answers 200 "
                 f"({'every one a first submit' if ok <= completed else 'SOME REPEATED SUBMITS'})")
    if ok > completed:
        result.note = (result.note + "; " if result.note else "") + "includes repeated submits"
    profile = ""
    if args.profile:
        print(f"[{kind}] in-process timings and cProfile", file=sys.stderr, flush=True)
        profile = profile_in_process(setup.service_url, setup.reference_url, page_slots, reserve,
                                     args.profile)
    return KindResults(kind, results, notes, profile)


# -- the same requests in process: timings and cProfile ---------------------------------

def profile_in_process(database: str, reference_db: str, page_slots: list[Prepared],
                       reserve: list[Prepared], count: int) -> str:
    """The four cases through Flask's test client (no network, no server, one process):
    the time per request without a profiler, then cProfile of ``count`` form-page GETs
    and ``count`` final submits (``survey_service.create_app`` on the same database)."""
    import cProfile
    import pstats

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from survey_service import create_app

    service = create_app({"DATABASE_URL": database, "SECRET_KEY": SECRET_KEY,
                          "BASE_URL": "http://127.0.0.1"}).test_client()
    reference = reference_module().create_app(reference_db).test_client()
    headers = {"Accept-Encoding": ACCEPT_ENCODING}
    form_headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
    submits = iter(reserve)

    def submit(_i: int):  # type: ignore[no-untyped-def]
        slot = next(submits)  # every submit on its own prepared slot
        return service.post(slot.path, data=slot.send_body, headers=form_headers)

    calls = {
        "minimal endpoint": lambda i: reference.get("/", headers=headers),
        "minimal committed write": lambda i: reference.post("/write", headers=headers),
        "form page": lambda i: service.get(f"{page_slots[i % len(page_slots)].path}?p={FORM_PAGE}",
                                           headers=headers),
        "final submit": submit,
    }
    lines = []
    for label, call in calls.items():
        call(0)  # warm up (templates, caches)
        started = time.perf_counter()
        for i in range(count):
            response = call(i)
            if response.status_code != 200:
                raise RuntimeError(f"in process, {label}: HTTP {response.status_code}")
        lines.append([label, f"{(time.perf_counter() - started) / count * 1000:.2f}"])
    out = [f"In process (Flask test client, {count} requests each, no profiler):", "",
           markdown_table(["Case", "ms per request"], lines, align="lr")]
    for label in ("form page", "final submit"):
        call = calls[label]
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for i in range(count):
            response = call(i)
            if response.status_code != 200:
                raise RuntimeError(f"profile {label}: HTTP {response.status_code}")
        profiler.disable()
        elapsed = time.perf_counter() - started
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(20)
        out.append(f"\n=== cProfile, {label}: {count} requests, {elapsed / count * 1000:.2f} ms each "
                   f"under the profiler ===\n{text.getvalue()}")
    return "\n".join(out)


# -- report ---------------------------------------------------------------------------

CASES = [("minimal", "Minimal Flask endpoint (GET /)"),
         ("write", "Minimal committed write (UPDATE + INSERT)"),
         ("page", f"Form page (GET {FORM} page {FORM_PAGE + 1}, ?p={FORM_PAGE})"),
         ("submit", f"Final submit (POST send, {FORM})")]


def _ms(value: float) -> str:
    return f"{value:,.1f}"


def report(all_results: list[KindResults], args: argparse.Namespace) -> bool:
    kinds = [k.kind for k in all_results]
    print(f"Throughput: wrk {THREADS} threads, {args.connections} connections, {args.duration} s "
          f"per case; gunicorn {WORKERS} sync workers; Accept-Encoding: {ACCEPT_ENCODING}")
    print()
    headings = ["Case"]
    for kind in kinds:
        headings += [f"{kind} req/s", f"{kind} p50 ms", f"{kind} p99 ms", f"{kind} load"]
    lines = []
    for key, label in CASES:
        line = [label]
        for k in all_results:
            r = k.results[key]
            mark = " *" if r.ran_out else ""
            line += [f"{r.rate:,.1f}{mark}", _ms(r.p50_ms), _ms(r.p99_ms), f"{r.load:.1f}"]
        lines.append(line)
    print(markdown_table(headings, lines))
    if any(k.results["submit"].ran_out for k in all_results):
        print()
        print("* over the first submits only: the prepared slots ran out before the end of the run")
    print()
    print(f"load: the machine's 1-minute load average just before the case ({os.cpu_count()} cores)")
    errors = [r for k in all_results for r in k.results.values()
              if r.error_count or any(not s.startswith("2") for s in r.statuses)]
    for r in errors:
        print(f"Note: {r.case}: statuses {r.statuses}, errors {r.errors}")
    for k in all_results:
        for note in k.notes:
            print(f"Note [{k.kind}]: {note}")
    print()
    ok = True
    headings = ["Target"] + kinds
    lines = []
    checks = [
        (f"Form page >= {PAGE_SHARE_TARGET:.0%} of the minimal endpoint's req/s",
         lambda R: R["page"].rate / R["minimal"].rate, lambda v: v >= PAGE_SHARE_TARGET, "{:.1%}"),
        (f"Final submit >= {SUBMIT_SHARE_TARGET:.0%} of the minimal write's req/s",
         lambda R: R["submit"].rate / R["write"].rate, lambda v: v >= SUBMIT_SHARE_TARGET, "{:.1%}"),
        (f"Final submit p99 <= {SUBMIT_P99_TARGET:.0f} x the minimal write's p99",
         lambda R: R["submit"].p99_ms / R["write"].p99_ms, lambda v: v <= SUBMIT_P99_TARGET, "{:.2f} x"),
    ]
    for label, value, passes, fmt in checks:
        line = [label]
        for k in all_results:
            v = value(k.results)
            met = passes(v)
            ok &= met
            line.append(f"{fmt.format(v)}: {'met' if met else 'MISSED'}")
        lines.append(line)
    print(markdown_table(headings, lines, align="l" + "l" * len(kinds)))
    for k in all_results:
        if k.profile:
            print()
            print(f"In process, {k.kind}:")
            print(k.profile)
    return ok


# -- main -----------------------------------------------------------------------------

def _rerun_under_postgres(argv: list[str]) -> None:
    script = ROOT / "scripts" / "with-postgres"
    print("throughput.py: starting a throwaway PostgreSQL server (scripts/with-postgres)",
          file=sys.stderr, flush=True)
    os.execv(str(script), [str(script), sys.executable, str(Path(__file__).resolve()), *argv])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both",
                        help="which database(s) (default: both, side by side)")
    parser.add_argument("--duration", type=int, default=DEFAULT_DURATION,
                        help=f"seconds per case (default {DEFAULT_DURATION})")
    parser.add_argument("--connections", type=int, default=DEFAULT_CONNECTIONS,
                        help=f"wrk connections (default {DEFAULT_CONNECTIONS}; {THREADS} threads)")
    parser.add_argument("--submit-slots", type=int, default=DEFAULT_SUBMIT_SLOTS,
                        help=f"{FORM} slots walked to the review page for the final submits "
                             f"(default {DEFAULT_SUBMIT_SLOTS:,})")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="afterwards, cProfile N form-page GETs and N final submits in process")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, databases)")
    args = parser.parse_args(argv)
    if args.connections < THREADS:
        parser.error(f"--connections must be at least {THREADS} (wrk's threads)")
    if args.submit_slots < args.connections:
        parser.error("--submit-slots must be at least --connections (each connection's first "
                     "request is a final submit of its own)")
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    wrk_path()
    if "postgresql" in kinds and not os.environ.get(POSTGRES_ENV):
        _rerun_under_postgres(argv)

    folder = Path(tempfile.mkdtemp(prefix="throughput-"))
    all_results: list[KindResults] = []
    pg_version = None
    try:
        if "postgresql" in kinds:
            pg_version = postgres_version(os.environ[POSTGRES_ENV])
        info = machine_info(pg_version, wrk=True)
        for kind in kinds:
            sub = folder / kind
            sub.mkdir()
            if kind == "sqlite":
                setup = Setup("sqlite", f"sqlite:///{sub / 'survey.db'}", f"sqlite:///{sub / 'reference.db'}")
            else:
                setup = postgres_setup(os.environ[POSTGRES_ENV])
            try:
                all_results.append(measure_kind(setup, sub, args))
            finally:
                for step in setup.cleanup:
                    with contextlib.suppress(Exception):
                        step()
        print(markdown_table(["Machine", ""], [[k, v] for k, v in info], align="ll"))
        print()
        ok = report(all_results, args)
    finally:
        if args.keep:
            print(f"Kept: {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
