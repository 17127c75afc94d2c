"""Exactly once under races: many simultaneous final submits of one slot.

Run against real server processes (gunicorn, 4 workers) on SQLite and PostgreSQL, so
the guarantee comes from the database, not from a lock inside one Python process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from survey_service.core.models import Draft, Response, Slot
from survey_service.respondent.operations import finalise

from .formwalk import Walk, parse

SUBMITTERS = 24


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(loaded, database_url_of_app: str, tmp_path: Path):
    """gunicorn with 4 worker processes on the test database."""
    port = _free_port()
    env = {**os.environ, "SURVEY_DATABASE_URL": database_url_of_app, "SURVEY_SECRET_KEY": "test-secret",
           "SURVEY_INSTANCE_PATH": str(tmp_path / "instance"), "SURVEY_BASE_URL": "http://survey.test"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "-w", "4", "-b", f"127.0.0.1:{port}", "--log-level",
                             "warning", "survey_service.wsgi:app"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).read()
            break
        except OSError:  # refused, reset or timed out while the workers boot
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                out = proc.communicate()[0].decode(errors="replace")
                pytest.fail(f"gunicorn did not start:\n{out}")
            time.sleep(0.1)
    yield base
    proc.terminate()
    try:
        proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


def _to_review_page(app, db) -> tuple[str, str]:
    """Answer every page of one slot's form; return (token, the review page's HTML)."""
    with db.session() as session:
        token = session.scalars(sa.select(Slot.token).order_by(Slot.id)).first()
    client = app.test_client()
    walk = Walk(client, token)
    response = walk.open()
    while "send" not in parse(response.get_data(as_text=True)).buttons:
        response = client.get(walk.post(response.get_data(as_text=True)).headers["Location"])
    return token, response.get_data(as_text=True)


def test_simultaneous_final_submits_store_one_response(server, loaded, db):
    token, review = _to_review_page(loaded, db)
    form = parse(review)
    body = urllib.parse.urlencode({**form.hidden, "action": "send"}).encode()
    barrier = threading.Barrier(SUBMITTERS)

    def submit(_: int) -> tuple[int, str]:
        request = urllib.request.Request(f"{server}/s/{token}", data=body, method="POST")
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    with ThreadPoolExecutor(SUBMITTERS) as pool:
        results = list(pool.map(submit, range(SUBMITTERS)))
    statuses = [status for status, _ in results]
    assert statuses == [200] * SUBMITTERS, statuses
    assert all('data-survey-status="completed"' in html for _, html in results)
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0
        assert session.scalar(sa.select(Slot.status).where(Slot.token == token)) == "completed"
        response = session.scalars(sa.select(Response)).one()
        assert len(response.answers) > 200  # the whole form, once


def test_racing_finalise_calls_complete_a_slot_once(loaded, db):
    """The operation alone, from many threads with their own connections, each committing."""
    with db.session() as session:
        slot = session.scalars(sa.select(Slot).order_by(Slot.id)).first()
        slot_id, plan_id = slot.id, slot.plan_id
    barrier = threading.Barrier(16)

    def attempt(i: int) -> bool:
        with db.session() as session:  # commits when the block ends, as a request does
            barrier.wait()
            return finalise(session, slot_id, plan_id=plan_id, group_code="I.1", form_code="CT-01",
                            form_version="2020.1", form_hash="x" * 64, own_unit=None,
                            channel="web", answers={"b1": f"answer-{i}"})

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(attempt, range(16)))
    assert outcomes.count(True) == 1
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
