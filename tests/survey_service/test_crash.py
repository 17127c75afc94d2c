"""Crash safety: the server is killed (``kill -9``) in the middle of 1,000 final submissions.

Real server processes (gunicorn, 4 workers) on SQLite and on PostgreSQL.  1,000 slots
hold a complete draft; client threads send their final submissions; after a few
hundred acknowledgements the whole gunicorn process group is killed with SIGKILL, a new
server is started on the same database, and every submission not acknowledged is sent
again.  Then every acknowledged submission is stored exactly once and nothing is half
written: one response per completed slot, no completed slot with a draft, no response
without answers, no answer without a response, every response with all its answers.

The drafts are prepared quickly: one slot of each group is answered through the web
pages (the first option of every question); its draft is copied to the other slots of
the group with plain SQL, the rated unit renamed where the group rates the respondent's
own unit.  Only public interfaces are used: ``create_app`` (for the walks), the WSGI app
``survey_service.wsgi:app`` under gunicorn, URLs and plain SQL.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from .formwalk import parse

#: Final submissions sent, and acknowledgements after which the server is killed.
SUBMISSIONS = 1000
KILL_AFTER = 300
CLIENT_THREADS = 8
WORKERS = 4
COMPLETED = 'data-survey-status="completed"'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn in its own process group, on the test database."""

    def __init__(self, database_url: str, tmp_path: Path, name: str):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / f"{name}.log"
        env = {**os.environ, "SURVEY_DATABASE_URL": database_url, "SURVEY_SECRET_KEY": "test-secret",
               "SURVEY_INSTANCE_PATH": str(tmp_path / "instance"),
               "SURVEY_BASE_URL": "http://survey.test"}
        gunicorn = Path(sys.executable).with_name("gunicorn")
        with open(self.log, "wb") as log:
            # --preload: the app is imported once and the workers forked from it, so that
            # the two starts cost one import each (the app opens no connection at import).
            self.proc = subprocess.Popen(
                [str(gunicorn), "-w", str(WORKERS), "-b", f"127.0.0.1:{self.port}", "--preload",
                 "--log-level", "warning", "survey_service.wsgi:app"],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=2).read()
                return
            except OSError:  # refused, reset or timed out while the workers boot
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.kill()
                    pytest.fail(f"gunicorn did not start:\n{self.log.read_text(errors='replace')}")
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once (the whole process group)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Servers started by the test (any still running is killed at the end)."""
    started: list[Server] = []
    yield started
    for server in started:
        server.kill()


# --------------------------------------------------------------------------- drafts


@dataclass
class Submission:
    """The final submit of one slot: its link and the review page's hidden fields."""

    token: str
    group: str
    fields: dict[str, str]


def _walk_to_review(client, token: str) -> None:
    """Answer every page of a slot with the first options, up to the review page."""
    response = client.get(f"/s/{token}")
    for _ in range(100):
        assert response.status_code == 200, response.status_code
        form = parse(response.get_data(as_text=True))
        if "send" in form.buttons:
            return
        data = {**form.hidden, **{n: o[0] for n, o in form.radios.items()}, **form.texts,
                "action": "next"}
        posted = client.post(f"/s/{token}", data=data)
        assert posted.status_code == 303, posted.status_code
        response = client.get(posted.headers["Location"])
    raise AssertionError("the form did not end")


def _rename_unit(answers: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    return {(f"{k.partition('@')[0]}@{new}" if k.partition("@")[2] == old else k): v
            for k, v in answers.items()}


def prepare_drafts(app, engine: sa.Engine, count: int) -> tuple[list[tuple[str, str]], Counter]:
    """Complete drafts for ``count`` slots, those of the groups with the fewest answers
    first; returns (token, group) of each and the answers a response of each group holds."""
    with engine.connect() as conn:
        slots = conn.execute(sa.text(
            "SELECT s.id, s.token, g.code, u.code, p.code FROM slots s "
            "JOIN quota_places q ON q.id = s.place_id "
            "JOIN respondent_groups g ON g.id = q.group_id "
            "LEFT JOIN units u ON u.id = q.unit_id LEFT JOIN units p ON p.id = u.parent_id "
            "WHERE g.form_code IS NOT NULL AND s.status <> 'voided' ORDER BY s.id")).all()
    assert len(slots) >= count, f"the plan has only {len(slots)} slots with a form"
    drafts = sa.Table("drafts", sa.MetaData(), autoload_with=engine)
    client = app.test_client()
    # Per group: the walked slot's draft, and whether its answers are about the slot's own
    # unit ("unit"), the unit above it ("parent"), or units that are the same for every
    # slot of the group (None).
    templates: dict[str, tuple[dict[str, Any], str | None, str | None]] = {}
    expected: Counter = Counter()
    for slot_id, token, group, unit, parent in slots:
        if group in templates:
            continue
        _walk_to_review(client, token)
        with engine.connect() as conn:
            row = dict(conn.execute(drafts.select().where(drafts.c.slot_id == slot_id)).one()._mapping)
        rated = {k.partition("@")[2] for k in row["answers"] if "@" in k}
        mode = "unit" if rated == {unit} else "parent" if rated == {parent} else None
        templates[group] = (row, mode, unit if mode == "unit" else parent)
        expected[group] = sum(1 for v in row["answers"].values() if v not in (None, ""))
    chosen = sorted(slots, key=lambda s: (expected[s[2]], s[0]))[:count]
    rows = []
    for slot_id, _, group, unit, parent in chosen:
        template, mode, rated_code = templates[group]
        if template["slot_id"] == slot_id:
            continue
        answers = dict(template["answers"])
        if mode is not None:
            answers = _rename_unit(answers, rated_code, unit if mode == "unit" else parent)
        rows.append({k: v for k, v in template.items() if k != "id"}
                    | {"slot_id": slot_id, "answers": answers})
    with engine.begin() as conn:
        conn.execute(drafts.insert(), rows)
        conn.execute(sa.text("UPDATE slots SET status = 'started' WHERE id IN "
                             f"({', '.join(str(s[0]) for s in chosen)})"))
        # The walked slots of groups not chosen go back to where they were.
        walked = [t[0]["slot_id"] for t in templates.values()]
        conn.execute(drafts.delete().where(drafts.c.slot_id.in_(walked),
                                           drafts.c.slot_id.not_in([s[0] for s in chosen])))
    return [(s[1], s[2]) for s in chosen], expected


def review_pages(base: str, slots: list[tuple[str, str]]) -> list[Submission]:
    """Open each link (it resumes on the review page) and keep the final submit's fields."""

    def fetch(slot: tuple[str, str]) -> Submission:
        token, group = slot
        with urllib.request.urlopen(f"{base}/s/{token}", timeout=60) as response:
            form = parse(response.read().decode())
        assert "send" in form.buttons, f"the draft of {token} does not resume on the review page"
        return Submission(token, group, {**form.hidden, "action": "send"})

    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        return list(pool.map(fetch, slots))


# --------------------------------------------------------------------------- checks


def check_nothing_half_written(engine: sa.Engine, expected: Counter) -> int:
    """The invariants that must hold after any crash; returns the number of responses."""
    with engine.connect() as conn:
        def count(sql: str) -> int:
            return conn.execute(sa.text(sql)).scalar_one()

        responses = count("SELECT count(*) FROM responses")
        completed = count("SELECT count(*) FROM slots WHERE status = 'completed'")
        assert responses == completed, f"{responses} responses for {completed} completed slots"
        assert count("SELECT count(*) FROM slots s JOIN drafts d ON d.slot_id = s.id "
                     "WHERE s.status = 'completed'") == 0, "a completed slot still has a draft"
        assert count("SELECT count(*) FROM responses r WHERE NOT EXISTS "
                     "(SELECT 1 FROM response_answers a WHERE a.response_id = r.id)") == 0, (
            "a response without answers")
        assert count("SELECT count(*) FROM response_answers a WHERE NOT EXISTS "
                     "(SELECT 1 FROM responses r WHERE r.id = a.response_id)") == 0, (
            "answers without a response")
        sizes = conn.execute(sa.text(
            "SELECT r.group_code, count(*) FROM responses r "
            "JOIN response_answers a ON a.response_id = r.id GROUP BY r.id, r.group_code")).all()
    wrong = [(group, n) for group, n in sizes if n != expected[group]]
    assert not wrong, f"responses with a part of their answers (group, answers): {wrong[:10]}"
    return responses


def send(base: str, submission: Submission) -> tuple[int | None, str]:
    """POST the final submit; (status, body), or (None, the error) when the connection failed."""
    body = urllib.parse.urlencode(submission.fields).encode()
    request = urllib.request.Request(f"{base}/s/{submission.token}", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, exc.read().decode(errors="replace")
        except (OSError, http.client.HTTPException) as cut:
            return None, repr(cut)
    except (OSError, http.client.HTTPException) as exc:  # refused, reset, cut by the kill
        return None, repr(exc)


def test_kill_9_in_the_middle_of_final_submissions_loses_and_doubles_nothing(
        app, loaded_url: str, servers: list[Server], tmp_path: Path):
    engine = sa.create_engine(loaded_url)
    try:
        slots, expected = prepare_drafts(app, engine, SUBMISSIONS)
        assert check_nothing_half_written(engine, expected) == 0
        first = Server(loaded_url, tmp_path, "first")
        servers.append(first)
        submissions = review_pages(first.base, slots)

        # Send every final submit from several threads; kill -9 the server group after
        # KILL_AFTER acknowledgements.
        acknowledged: set[str] = set()
        failures: dict[str, str] = {}
        lock, killed = threading.Lock(), threading.Event()
        queue = iter(submissions)

        def client() -> None:
            while not killed.is_set():
                with lock:
                    submission = next(queue, None)
                if submission is None:
                    return
                status, text = send(first.base, submission)
                with lock:
                    if status == 200 and COMPLETED in text:
                        acknowledged.add(submission.token)
                        if len(acknowledged) == KILL_AFTER:
                            first.kill()
                            killed.set()
                    else:
                        failures[submission.token] = f"{status}: {text[:300]}"

        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            for future in [pool.submit(client) for _ in range(CLIENT_THREADS)]:
                future.result()
        assert killed.is_set(), "the server was not killed: too few acknowledgements"
        http_errors = {t: f for t, f in failures.items() if not f.startswith("None")}
        assert not http_errors, f"answers other than the completion page: {list(http_errors.values())[:5]}"
        assert len(acknowledged) < len(submissions), "every submit was acknowledged before the kill"

        # Right after the crash: nothing half written, every acknowledged slot completed.
        check_nothing_half_written(engine, expected)
        with engine.connect() as conn:
            status = dict(conn.execute(sa.text("SELECT token, status FROM slots")).all())
        lost = [t for t in acknowledged if status[t] != "completed"]
        assert not lost, f"{len(lost)} acknowledged submissions were not stored"

        # A new server on the same database; send again what was not acknowledged.
        second = Server(loaded_url, tmp_path, "second")
        servers.append(second)
        again = [s for s in submissions if s.token not in acknowledged]
        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            results = list(pool.map(lambda s: send(second.base, s), again))
        refused = [f"{status}: {text[:300]}" for status, text in results
                   if status != 200 or COMPLETED not in text]
        assert not refused, f"{len(refused)} resent submissions failed: {refused[:5]}"
        second.stop()

        # Every submission stored exactly once, with all its answers.
        assert check_nothing_half_written(engine, expected) == len(submissions)
        with engine.connect() as conn:
            status = dict(conn.execute(sa.text("SELECT token, status FROM slots")).all())
            by_group = Counter(dict(conn.execute(sa.text(
                "SELECT group_code, count(*) FROM responses GROUP BY group_code")).all()))
        assert all(status[s.token] == "completed" for s in submissions)
        assert by_group == Counter(s.group for s in submissions)
    finally:
        engine.dispose()
