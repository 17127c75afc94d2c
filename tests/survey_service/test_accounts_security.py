"""Hostile input on the staff side and on links: sign-in limits that an attacker elsewhere
cannot turn against the owner, sessions that really end, an audit log that cannot be
flooded and pages through everything, and unknown links slowed and counted.

Every test runs on SQLite and PostgreSQL (the ``app`` fixture).  Password hashes are made
cheap here (one PBKDF2 round) so that tests of many failures stay fast; the rules tested
do not depend on the hash.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
import threading

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from werkzeug.security import generate_password_hash

from survey_service.accounts import limits, operations, queries
from survey_service.accounts.operations import add_user
from survey_service.core.audit import record
from survey_service.core.errors import ServiceError
from survey_service.core.models import AuditEntry, LinkMiss, SignInCounter, Slot

PASSWORD = "mat-khau-dai-du"
ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


@pytest.fixture
def checks(monkeypatch):
    """Cheap password hashes, and a count of every password check made by the service."""
    cheap = functools.partial(generate_password_hash, method="pbkdf2:sha256:1")
    monkeypatch.setattr(operations, "generate_password_hash", cheap)
    monkeypatch.setattr(queries, "_DUMMY_HASH", cheap("not a password of anyone"))
    real = queries.check_password_hash
    lock = threading.Lock()
    made = []

    def counting(hashed: str, password: str) -> bool:
        with lock:
            made.append(password)
        return real(hashed, password)

    monkeypatch.setattr(queries, "check_password_hash", counting)
    return made


@pytest.fixture
def users(app, db, checks):
    with db.session() as session:
        for role in ("admin", "analyst"):
            add_user(session, role, role, PASSWORD)
    return app


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def _client(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


class Staff:
    """A browser at one address, with its sign-in form's CSRF token."""

    def __init__(self, app, address: str):
        self.client = _client(app, address)
        self.csrf = _csrf(self.client.get("/staff/login").get_data(as_text=True))

    def sign_in(self, name: str, password: str = PASSWORD, **kwargs):
        return self.client.post("/staff/login", data={"csrf_token": self.csrf, "name": name,
                                                      "password": password}, **kwargs)


def _signed_in(app, name: str, address: str = OWNER, password: str = PASSWORD):
    staff = Staff(app, address)
    response = staff.sign_in(name, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return staff.client


def _audit_count(db, *actions: str) -> int:
    with db.session() as session:
        query = sa.select(sa.func.count()).select_from(AuditEntry)
        if actions:
            query = query.where(AuditEntry.action.in_(actions))
        return session.scalar(query)


# --------------------------------------------------------------------------- sign-in limits


def test_an_attacker_elsewhere_cannot_lock_the_owner_out(users):
    attacker = Staff(users, ATTACKER)
    for _ in range(limits.PAIR_LIMIT):
        assert attacker.sign_in("admin", "sai-mat-khau").status_code == 401
    # Locked for that address, for every spelling of the name (stripped, NFC, case-folded).
    for name in ("admin", "admin ", " ADMIN", "Admin", "aDmIn  "):
        blocked = attacker.sign_in(name, "sai-mat-khau")
        assert blocked.status_code == 429, name
        assert 1 <= int(blocked.headers["Retry-After"]) <= 15 * 60
        assert "Xin thử lại sau 15 phút" in blocked.get_data(as_text=True)
    # Even the right password is refused from there (the lock is on the address's attempts).
    assert attacker.sign_in("admin").status_code == 429
    # A forged X-Forwarded-For does not move the attacker to the owner's address.
    forged = attacker.sign_in("admin", "sai", headers={"X-Forwarded-For": OWNER})
    assert forged.status_code == 429
    # The owner, elsewhere, signs in at once.
    owner = Staff(users, OWNER)
    assert owner.sign_in("admin").status_code == 302
    assert owner.client.get("/staff/audit").status_code == 200


def test_the_owner_signs_in_again_after_the_window(users, monkeypatch):
    start = limits.now()
    monkeypatch.setattr(limits, "now", lambda: start)
    attacker = Staff(users, OWNER)  # the owner's own address this time
    for _ in range(limits.PAIR_LIMIT):
        attacker.sign_in("analyst", "sai-mat-khau")
    assert attacker.sign_in("analyst").status_code == 429
    monkeypatch.setattr(limits, "now", lambda: start + limits.SIGN_IN_WINDOW + dt.timedelta(seconds=1))
    assert attacker.sign_in("analyst").status_code == 302


def test_one_address_is_limited_across_names(users):
    scanner = Staff(users, ATTACKER)
    for n in range(limits.ADDRESS_LIMIT):
        assert scanner.sign_in(f"user{n}", "sai-mat-khau").status_code == 401
    refused = scanner.sign_in("analyst")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "Xin thử lại sau" in refused.get_data(as_text=True)
    english = scanner.client.post("/staff/login?lang=en", data={
        "csrf_token": scanner.csrf, "name": "admin", "password": "x" * 12})
    assert english.status_code == 429 and "Please try again in" in english.get_data(as_text=True)
    assert Staff(users, OWNER).sign_in("analyst").status_code == 302


def test_a_name_under_attack_lets_in_only_clean_addresses(users):
    # Failures of one name from many addresses put it under attack...
    for n in range(limits.NAME_LIMIT // limits.PAIR_LIMIT):
        bot = Staff(users, f"192.0.2.{n + 1}")
        for _ in range(limits.PAIR_LIMIT):
            assert bot.sign_in("admin", "sai-mat-khau").status_code == 401
    # ...then a new address gets one try, and no second one,
    late = Staff(users, "192.0.2.200")
    assert late.sign_in("admin", "sai-mat-khau").status_code == 401
    assert late.sign_in("admin", "sai-mat-khau").status_code == 429
    # while the owner from an address with no failure signs in.
    assert Staff(users, OWNER).sign_in("admin").status_code == 302


@pytest.mark.parametrize(("name", "password"), [
    ("ad\nmin", PASSWORD), ("admin", "mat-khau\r\ndai-du"), ("admin\t", PASSWORD),
    ("admin\x00", PASSWORD), ("admin", "mat\x00khau-dai-du"), ("\x07admin", "x"),
])
def test_control_characters_are_a_clear_400(users, db, checks, name, password):
    before = _audit_count(db)
    response = Staff(users, ATTACKER).sign_in(name, password)
    assert response.status_code == 400
    assert "ký tự điều khiển" in response.get_data(as_text=True)
    assert checks == [] and _audit_count(db) == before


@pytest.mark.parametrize("name", ["admin\x00", "\x07admin", "ad\u200bmin"])
def test_the_sign_in_check_refuses_control_characters_before_any_write(users, db, name):
    with db.session() as session:
        with pytest.raises(ServiceError) as refused:
            operations.check_sign_in(session, name, PASSWORD, ATTACKER)
        with pytest.raises(ServiceError):
            operations.check_sign_in(session, "admin", "mat\x00khau-dai-du", ATTACKER)
        assert refused.value.status == 400
        assert session.scalar(sa.select(sa.func.count()).select_from(SignInCounter)) == 0
    assert _audit_count(db) == 0


def test_forty_simultaneous_attempts_check_at_most_the_limit(users, checks, monkeypatch):
    real = queries.check_password_hash

    def slow(hashed: str, password: str) -> bool:
        threading.Event().wait(0.02)  # widen the window between reading and counting
        return real(hashed, password)

    monkeypatch.setattr(queries, "check_password_hash", slow)
    attempts = [Staff(users, ATTACKER) for _ in range(40)]
    barrier = threading.Barrier(len(attempts))
    statuses: list[int] = []

    def attempt(staff: Staff) -> None:
        barrier.wait()
        statuses.append(staff.sign_in("admin", "sai-mat-khau").status_code)

    threads = [threading.Thread(target=attempt, args=(s,)) for s in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(statuses) == 40
    assert len(checks) == limits.PAIR_LIMIT
    assert sorted(statuses) == [401] * limits.PAIR_LIMIT + [429] * (40 - limits.PAIR_LIMIT)


def test_next_after_sign_in_is_only_a_plain_staff_path(users):
    for target in ("/staff/\r\nSet-Cookie: x=1", "//evil.example/", "/staff/\\evil", "https://evil.example/"):
        staff = Staff(users, OWNER)
        response = staff.client.post("/staff/login", query_string={"next": target}, data={
            "csrf_token": staff.csrf, "name": "admin", "password": PASSWORD})
        assert response.status_code == 302 and response.headers["Location"] == "/staff/", target
    staff = Staff(users, OWNER)
    response = staff.client.post("/staff/login?next=/staff/audit?action=sign_in", data={
        "csrf_token": staff.csrf, "name": "admin", "password": PASSWORD})
    assert response.headers["Location"] == "/staff/audit?action=sign_in"


# --------------------------------------------------------------------------- sessions


def test_a_session_cookie_saved_before_sign_out_opens_nothing_after(users):
    client = _signed_in(users, "admin")
    saved = client.get_cookie("session").value
    assert client.get("/staff/audit").status_code == 200
    page = client.get("/staff/").get_data(as_text=True)
    assert client.post("/staff/logout", data={"csrf_token": _csrf(page)}).status_code == 302
    replay = _client(users, OWNER)
    replay.set_cookie("session", saved)
    response = replay.get("/staff/audit")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_a_password_change_ends_the_other_sessions(users):
    here, there = _signed_in(users, "analyst"), _signed_in(users, "analyst", ATTACKER)
    page = here.get("/staff/").get_data(as_text=True)
    wrong = here.post("/staff/", data={"csrf_token": _csrf(page), "current": "sai-mat-khau",
                                       "new": "mat-khau-moi-dai", "confirm": "mat-khau-moi-dai"})
    assert wrong.status_code == 401 and "Mật khẩu hiện tại không đúng" in wrong.get_data(as_text=True)
    differ = here.post("/staff/", data={"csrf_token": _csrf(page), "current": PASSWORD,
                                        "new": "mat-khau-moi-dai", "confirm": "mat-khau-khac"})
    assert differ.status_code == 400
    changed = here.post("/staff/", data={"csrf_token": _csrf(page), "current": PASSWORD,
                                         "new": "mat-khau-moi-dai", "confirm": "mat-khau-moi-dai"})
    assert changed.status_code == 302
    assert here.get("/staff/").status_code == 200  # this session goes on
    assert there.get("/staff/").status_code == 302  # the other one has ended
    assert Staff(users, OWNER).sign_in("analyst").status_code == 401
    assert Staff(users, OWNER).sign_in("analyst", "mat-khau-moi-dai").status_code == 302


def test_an_admin_setting_a_password_or_disabling_a_user_ends_its_sessions(users, db):
    admin = _signed_in(users, "admin")
    token = _csrf(admin.get("/staff/users").get_data(as_text=True))
    analyst = _signed_in(users, "analyst")
    set_new = admin.post("/staff/users", data={"csrf_token": token, "op": "password", "name": "analyst",
                                               "password": "mat-khau-moi-dai"})
    assert set_new.status_code == 302
    assert analyst.get("/staff/").status_code == 302
    analyst = _signed_in(users, "analyst", password="mat-khau-moi-dai")
    saved = analyst.get_cookie("session").value
    for _ in range(2):  # off, then on again: the old session stays ended
        admin.post("/staff/users", data={"csrf_token": token, "op": "toggle", "name": "analyst"})
    replay = _client(users, OWNER)
    replay.set_cookie("session", saved)
    assert replay.get("/staff/").status_code == 302
    assert admin.get("/staff/users").status_code == 200  # the admin's own session is untouched
    with db.session() as session:
        actions = set(session.scalars(sa.select(AuditEntry.action)))
    assert {"password_set", "user_inactive", "user_active"} <= actions


def test_the_password_command_sets_a_password_and_ends_sessions(users, loaded_url, monkeypatch, tmp_path):
    from survey_service.cli import main

    monkeypatch.setenv("SURVEY_SECRET_KEY", "test-secret")
    monkeypatch.setenv("SURVEY_INSTANCE_PATH", str(tmp_path / "instance"))
    analyst = _signed_in(users, "analyst")
    result = CliRunner().invoke(main, ["--database", loaded_url, "--lang", "en", "user", "password",
                                       "analyst", "--password-stdin"], input="mat-khau-moi-dai\n")
    assert result.exit_code == 0, result.output
    assert "every session" in result.output
    assert analyst.get("/staff/").status_code == 302
    assert Staff(users, OWNER).sign_in("analyst", "mat-khau-moi-dai").status_code == 302
    short = CliRunner().invoke(main, ["--database", loaded_url, "user", "password", "analyst",
                                      "--password-stdin"], input="ngan\n")
    assert short.exit_code == 2 and "10" in short.stderr
    nobody = CliRunner().invoke(main, ["--database", loaded_url, "user", "password", "nobody",
                                       "--password-stdin"], input="mat-khau-moi-dai\n")
    assert nobody.exit_code == 2 and "nobody" in nobody.stderr


# --------------------------------------------------------------------------- audit log


def test_refused_sign_ins_cannot_flood_the_audit_log(users, db):
    before = _audit_count(db)
    flood = Staff(users, ATTACKER)
    for n in range(300):
        flood.sign_in("admin" if n % 2 else f"guess{n}", "sai-mat-khau")
    # At most one entry per attempt up to the address limit: failures, and the first
    # refusal of each lock (the name "admin" from there, then the address).
    assert 0 < _audit_count(db) - before <= limits.ADDRESS_LIMIT + 1
    assert _audit_count(db, "sign_in_locked") == 2
    # The rest is counted, and the admin sees the count.
    page = _signed_in(users, "admin").get("/staff/audit").get_data(as_text=True)
    counted = re.search(rf"<td>\(mọi tên\)</td><td>{ATTACKER}</td><td>(\d+)</td>", page)
    assert counted and int(counted.group(1)) == 300


def test_the_audit_page_pages_through_every_entry(users, db):
    with db.session() as session:
        for n in range(620):
            record(session, "test_event" if n % 3 else "other_event", user_name="x", target=str(n))
    with db.session() as session:
        every = list(session.scalars(sa.select(AuditEntry.id).order_by(AuditEntry.id.desc())))
        tests = list(session.scalars(sa.select(AuditEntry.id).where(
            AuditEntry.action == "test_event").order_by(AuditEntry.id.desc())))
    admin = _signed_in(users, "admin")
    for url, expected in (("/staff/audit", every), ("/staff/audit?action=test_event", tests)):
        seen, pages = [], 0
        while url:
            page = admin.get(url).get_data(as_text=True)
            pages += 1
            if pages == 1:
                total = int(re.search(r'data-audit-total="(\d+)"', page).group(1))
            seen += [int(i) for i in re.findall(r"<tr><td>(\d+)</td>", page)]
            older = re.search(r'<a rel="next" href="([^"]+)"', page)
            url = older.group(1).replace("&amp;", "&") if older else None
        # The admin's own sign-in may follow the first page: compare with what was there before.
        assert [i for i in seen if i <= expected[0]] == expected
        assert total >= len(expected) and pages > 1
    for before in ("nonsense", "-5", "9" * 40):
        assert admin.get(f"/staff/audit?before={before}").status_code == 200


# --------------------------------------------------------------------------- unknown links


@pytest.fixture
def frozen(monkeypatch):
    """The clock held at hh:10:30 of the current hour (windows of a minute are fixed)."""
    moment = limits.now().replace(minute=10, second=30, microsecond=0)
    monkeypatch.setattr(limits, "now", lambda: moment)
    return moment


def _misses(db, address: str) -> list[int]:
    with db.session() as session:
        return list(session.scalars(sa.select(LinkMiss.misses).where(LinkMiss.address == address)))


def test_unknown_links_are_slowed_per_address_and_counted(users, db, frozen, monkeypatch):
    with db.session() as session:
        valid = session.scalars(sa.select(Slot.token).order_by(Slot.id).limit(1)).one()
    guesser = _client(users, ATTACKER)
    for n in range(limits.LINK_MISS_LIMIT):
        headers = {"X-Forwarded-For": f"10.9.8.{n}"}  # not trusted: the address is the peer's
        assert guesser.get(f"/s/{secrets.token_urlsafe(16)}", headers=headers).status_code == 404
    slowed = guesser.get(f"/s/{secrets.token_urlsafe(16)}")
    assert slowed.status_code == 429 and slowed.headers["Retry-After"] == "30"
    assert "Xin thử lại sau 30 giây" in slowed.get_data(as_text=True)
    english = guesser.post("/s/short?lang=en")
    assert english.status_code == 429 and "try again in 30 seconds" in english.get_data(as_text=True)
    # A valid link of that address still opens, and costs no write.
    assert guesser.get(f"/s/{valid}").status_code == 200
    assert _misses(db, ATTACKER) == [limits.LINK_MISS_LIMIT + 2]  # one row, not one per request
    # Another address is not slowed; the next minute starts again.
    assert _client(users, OWNER).get(f"/s/{secrets.token_urlsafe(16)}").status_code == 404
    monkeypatch.setattr(limits, "now", lambda: frozen + limits.LINK_WINDOW)
    assert guesser.get(f"/s/{secrets.token_urlsafe(16)}").status_code == 404
    assert _misses(db, ATTACKER) == [limits.LINK_MISS_LIMIT + 3]
    page = _signed_in(users, "admin").get("/staff/audit").get_data(as_text=True)
    assert re.search(rf'data-link-misses="{ATTACKER}"><td>{ATTACKER}</td><td>[^<]+</td><td>23</td>', page)


def test_valid_links_write_nothing_to_the_counters(users, db):
    with db.session() as session:
        valid = session.scalars(sa.select(Slot.token).order_by(Slot.id).limit(1)).one()
    client = _client(users, ATTACKER)
    for _ in range(limits.LINK_MISS_LIMIT + 5):
        assert client.get(f"/s/{valid}").status_code == 200
    assert _misses(db, ATTACKER) == []


def test_simultaneous_unknown_links_are_counted_exactly(users, db, frozen):
    barrier = threading.Barrier(30)
    statuses: list[int] = []

    def guess() -> None:
        client = _client(users, ATTACKER)
        barrier.wait()
        statuses.append(client.get(f"/s/{secrets.token_urlsafe(16)}").status_code)

    threads = [threading.Thread(target=guess) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(statuses) == [404] * limits.LINK_MISS_LIMIT + [429] * (30 - limits.LINK_MISS_LIMIT)
    assert _misses(db, ATTACKER) == [30]
