"""Hostile input: garbage sent to any page or API route is refused, never a crash.

Hypothesis sends malformed page numbers, actions, form tokens and answers (huge
strings, NUL and control characters, unicode, 5,000-digit integers, 400-digit decimals,
repeated fields, missing fields, JSON or undecodable bodies) to the respondent pages,
the sign-in form, every staff form (signed in as admin) and every API route, on SQLite
and on PostgreSQL.  Properties:

* no answer has a status of 500 or more (the app runs with ``TESTING``, so an exception
  inside a view fails the test with its traceback);
* a refused request (4xx) writes nothing: the row count of every table is what it was,
  except that the tables recording refusals (the audit log, the throttling counters) may
  gain a bounded number of rows, and a respondent page sent back with errors (422) keeps
  its valid answers in the slot's draft (the README's "Nothing lost");
* an answer that is stored is the answer sent (a number stays finite and equal).

The database holds the built-in plan, loaded with ``survey-service init --plan`` from a
copy in which the form CH-01 (group II.1) ends with two unbounded number questions,
``n1`` (integer) and ``n2`` (decimal), and a text question ``t1``: the built-in forms have
no number question, and a province's own form may.  Explicit examples pin the inputs
that broke the service before (a 5,000-digit integer, a 400-digit decimal, a NUL in an
answer, in a sign-in name, in a slot code or a filter, a line break in a file name or a
redirect), so they are tried on every run.  Only public interfaces are used:
``create_app``, the command line, URLs and plain SQL.

Runs are reproducible (``derandomize``, no example database) and sized to take well
under a minute per database.
"""

from __future__ import annotations

import io
import re
import shutil
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import sqlalchemy as sa
import yaml
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

import sampling
import survey_service
from survey_service import create_app

from .formwalk import parse

#: Tables that exist to record refusals (the audit log; counters of failed sign-ins and of
#: unknown links, for throttling): a refused request may add at most this many rows to
#: each.  Every other table must keep its row count.
REFUSAL_RECORDS = {"audit_log": 1, "sign_in_counters": 3, "link_misses": 1}
#: The counters among them, emptied before each example so that throttling set off by
#: earlier examples does not change the answer to a later one (or to its replay).
THROTTLE_COUNTERS = ("sign_in_counters", "link_misses")

#: Reproducible, no time limit per example, no example database; no "explain" phase
#: (it replays each failure many times).  ``max_examples`` per test is sized so that the
#: file runs in well under a minute per database.
FUZZ = settings(
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)

PASSWORD = "mat-khau-dai-du-123"
USERS = {"fuzzadmin": "admin", "buudien": "postoffice", "phantich": "analyst"}
NUMBER_FORM = "CH-01"
NUMBER_GROUP = "II.1"
INTEGER_QUESTION, DECIMAL_QUESTION, TEXT_QUESTION = "n1", "n2", "t1"
NUMBER_QUESTIONS = (INTEGER_QUESTION, DECIMAL_QUESTION)

# --------------------------------------------------------------------------- hostile values

SPECIAL_TEXTS = [
    "", " ", "\x00", "a\x00b", "\x00" * 8, "\t\r\n", "\x1b[31m", "\x7f\x85\x9f", "\ufeff",
    "\u202e\u2066abc", "\U0001f600", "Ｑ１２", "١٢٣", "𝟙𝟚", "ǅ", "ﬁ", "e\u0301" * 40,
    "' OR 1=1 --", "\"; DROP TABLE slots; --", "%00", "%s%n%x", "{{7*7}}", "${7*7}",
    "<script>alert(1)</script>", "../../../etc/passwd", "NaN", "Infinity", "-inf", "1e309",
    "0x1F", "1_000", "-0", "+5", " 12 ", "2,5", "1.5e3", "∞", "None", "null", "true", "[]", "{}",
]
DIGITS_5000 = "9" * 5000
DECIMAL_400 = "1" * 400 + ".25"
HUGE_TEXTS = [
    DIGITS_5000, "-" + "7" * 4301, DECIMAL_400, "0," + "0" * 399 + "1", "1" * 4300,
    "x" * 100_000, "é" * 70_000, "\x00" * 10_000, "a" * 1001, "y" * 600_000,
]

unicode_text = st.text(st.characters(codec="utf-8"), max_size=40)
control_text = st.text(st.characters(codec="utf-8", max_codepoint=0x9F,
                                     categories=["Cc"]), min_size=1, max_size=8)
number_text = st.one_of(
    st.integers().map(str),
    st.from_regex(r"[+-]?[0-9]{1,400}([.,][0-9]{1,400})?", fullmatch=True),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(str),
)
hostile_text = st.one_of(
    st.sampled_from(SPECIAL_TEXTS), st.sampled_from(HUGE_TEXTS), unicode_text, control_text,
    number_text,
)
#: An answer typed into a text box: blank, one of the inputs known to hurt, or any of the above.
answer_text = st.one_of(
    st.just(""),
    st.sampled_from([DIGITS_5000, DECIMAL_400, "-" + "7" * 4301, "0," + "0" * 399 + "1", "12",
                     "2,5", "a\x00b", "\x00", "x" * 1001, " Tiếng Việt "]),
    hostile_text,
)
#: A form field: one value, or the field repeated (a list), or absent (None).
field_value = st.one_of(st.none(), hostile_text, st.lists(hostile_text, min_size=2, max_size=3))
#: Header text as a server hands it over: UTF-8 bytes read as Latin-1, no NUL or line break.
header_text = st.one_of(st.sampled_from(["", " ", "x" * 5000, "ä", "\t"]), unicode_text).map(
    lambda s: "".join(c for c in s.encode("utf-8").decode("latin-1") if c not in "\x00\r\n"))
json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), hostile_text),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(unicode_text, inner, max_size=3),
    max_leaves=8)


@dataclass(frozen=True)
class Ref:
    """A value known only when the test runs (the session's CSRF token, the n-th option
    of a question...), so that explicit examples can name it."""

    kind: str
    index: int = 0


CSRF = Ref("csrf")


def resolve(value: Any, lookup: Callable[[Ref], Any]) -> Any:
    """``value`` with every :class:`Ref` in it replaced by ``lookup(ref)``."""
    if isinstance(value, Ref):
        return lookup(value)
    if isinstance(value, dict):
        return {resolve(k, lookup): resolve(v, lookup) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(resolve(v, lookup) for v in value)
    return value


def _form(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields to post, without the absent ones."""
    return {k: v for k, v in fields.items() if v is not None}


@st.composite
def body(draw, fields: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of the test client carrying ``fields`` in a drawn encoding:
    URL-encoded, multipart, a JSON document, or raw (possibly undecodable) bytes."""
    kind = draw(st.sampled_from(["form", "form", "form", "multipart", "json", "raw"]))
    fields = _form(fields)
    if kind == "form":
        return {"data": fields}
    if kind == "multipart":
        return multipart(fields)
    if kind == "json":
        return {"json": draw(st.one_of(st.just(fields), json_value))}
    raw = draw(st.one_of(
        st.binary(max_size=200),
        st.just(b"page=%ff%fe&action=%c0%af&ft=%00"),
        st.just(b"--x\r\nContent-Disposition: form-data; name=\"page\"\r\n\r\n1\r\n"),
        st.just(urlencode(fields, doseq=True).encode("utf-8")[:1000])))
    content_type = draw(st.sampled_from([
        "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=x",
        "application/json", "text/plain; charset=utf-16"]))
    return {"data": raw, "content_type": content_type}


def multipart(fields: dict[str, Any]) -> dict[str, Any]:
    """A multipart body built in memory (the test client would spool a large one to a
    temporary file that nobody closes)."""
    # A fixed boundary: the random one would draw on the random module inside strategies.
    boundary, data = encode_multipart(fields, boundary="fuzz-7f3a1c9e2b6d4058")
    return {"data": data, "content_type": f"multipart/form-data; boundary={boundary}"}


def query(params: dict[str, Any]) -> str:
    params = _form(params)
    return "?" + urlencode(params, doseq=True) if params else ""


def segment(text: str) -> str:
    """``text`` as one URL path segment."""
    return quote(text, safe="")


# --------------------------------------------------------------------------- the site


@dataclass(repr=False)
class Site:
    """The application under test, its database, and what the tests need to know of it."""

    app: Any
    engine: sa.Engine
    keys: dict[str, str] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"<site on {self.engine.dialect.name}>"

    def counts(self) -> dict[str, int]:
        """Rows per table, in one statement."""
        columns = ", ".join(f'(SELECT count(*) FROM "{t}")' for t in self.tables)
        with self.engine.connect() as conn:
            return dict(zip(self.tables, conn.execute(sa.text(f"SELECT {columns}")).one()))

    def forget_refusals(self) -> None:
        """Empty the throttling counters (plain SQL), if the schema has them."""
        with self.engine.begin() as conn:
            for table in THROTTLE_COUNTERS:
                if table in self.tables:
                    conn.execute(sa.text(f'DELETE FROM "{table}"'))

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()

    def slots_of(self, group: str, limit: int) -> list[Any]:
        """(id, token, code) of the first slots of ``group``."""
        return self.rows(
            "SELECT s.id, s.token, s.code FROM slots s JOIN quota_places q ON q.id = s.place_id "
            "JOIN respondent_groups g ON g.id = q.group_id WHERE g.code = :group "
            "ORDER BY s.id LIMIT :limit", group=group, limit=limit)


def _number_plan(folder: Path, cli) -> Path:
    """A copy of the built-in plan whose form CH-01 ends with two number questions."""
    shutil.copytree(sampling.resolve_plan_path(sampling.DEFAULT_PLAN).parent, folder)
    form_file = folder / f"{NUMBER_FORM}.yaml"
    result = cli("forms", "export", NUMBER_FORM, "--format", "yaml", "-o", str(form_file))
    assert result.exit_code == 0, result.output
    form = yaml.safe_load(form_file.read_text(encoding="utf-8"))
    form["sections"][-1]["questions"] += [
        {"code": INTEGER_QUESTION, "kind": "number", "integer": True, "min": 0,
         "label": {"vi": "Số lần tiếp xúc cử tri", "en": "Meetings with voters"}},
        {"code": DECIMAL_QUESTION, "kind": "number", "integer": False,
         "label": {"vi": "Tỷ lệ kiến nghị được trả lời", "en": "Share of answered petitions"}},
        {"code": TEXT_QUESTION, "kind": "text", "max_length": 2000,
         "label": {"vi": "Kiến nghị của cử tri", "en": "Petitions of voters"}},
    ]
    form_file.write_text(yaml.safe_dump(form, allow_unicode=True, sort_keys=False), encoding="utf-8")
    plan_file = folder / "plan.yaml"
    plan = yaml.safe_load(plan_file.read_text(encoding="utf-8"))
    plan.setdefault("questionnaires", []).append(form_file.name)
    plan_file.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return plan_file


@pytest.fixture
def site(database_url: str, cli, tmp_path: Path):
    """The built-in plan (with number questions in CH-01), a user of each role with an
    API key, and the application, on SQLite or PostgreSQL."""
    result = cli("init", "--plan", str(_number_plan(tmp_path / "plan", cli)))
    assert result.exit_code == 0, result.output
    keys = {}
    for name, role in USERS.items():
        result = cli("user", "add", name, "--role", role, "--password-stdin", input=PASSWORD + "\n")
        assert result.exit_code == 0, result.output
        result = cli("user", "token", name)
        assert result.exit_code == 0, result.output
        keys[role] = result.stdout.strip().splitlines()[-1]
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                      "BASE_URL": "http://survey.test", "TESTING": True})
    app.instance_path = str(tmp_path / "instance")
    engine = sa.create_engine(database_url)
    tables = sorted(sa.inspect(engine).get_table_names())
    assert {"slots", "drafts", "responses", "response_answers", "audit_log"} <= set(tables)
    yield Site(app, engine, keys, tables)
    engine.dispose()
    survey_service.get_db(app).dispose()


def checked(site: Site, send: Callable[[], Any], *, may_add: dict[str, int] | None = None):
    """Send a request; fail on a 5xx, or on a refusal (4xx) that wrote anything beyond
    ``may_add`` (rows per table) and :data:`REFUSAL_RECORDS`."""
    before = site.counts()
    response = send()
    status = response.status_code
    assert status < 500, f"{status}: {response.get_data(as_text=True)[:500]}"
    if 400 <= status < 500:
        after = site.counts()
        allowed = {**REFUSAL_RECORDS, **(may_add or {})}
        changed = {t: after[t] - before[t] for t in after if after[t] != before[t]}
        for table, delta in changed.items():
            assert 0 <= delta <= allowed.get(table, 0), (
                f"a refusal ({status}) changed the rows of {table} by {delta}: {changed}")
    return response


def sign_in(site: Site, name: str) -> tuple[Any, str]:
    """A client signed in through the form as ``name``, and its session's CSRF token."""
    client = site.app.test_client()
    token = parse(client.get("/staff/login").get_data(as_text=True)).hidden["csrf_token"]
    response = client.post("/staff/login", data={"csrf_token": token, "name": name,
                                                 "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    home = client.get("/staff/")
    assert home.status_code == 200
    return client, parse(home.get_data(as_text=True)).hidden["csrf_token"]


# --------------------------------------------------------------------------- respondent pages


@dataclass(repr=False)
class Respondent:
    """One slot of group II.1 (form CH-01 with the number questions), its pages, and the
    states it can be put back into before each example."""

    site: Site
    slot_id: int
    token: str
    form_token: str
    pages: list[Any]  # the parsed form of each page, in order
    draft: dict[str, Any]  # the complete draft, as a row of ``drafts``
    drafts: sa.Table
    paper_slot: tuple[int, str]  # (id, code) of another slot of the group, keyed in on paper

    STATES = ("issued", "started", "review", "completed", "voided")

    def reset(self, state: str) -> None:
        """Put the slot back into ``state`` (plain SQL), whatever earlier examples did."""
        status = {"review": "started"}.get(state, state)
        with self.site.engine.begin() as conn:
            conn.execute(self.drafts.delete().where(self.drafts.c.slot_id == self.slot_id))
            conn.execute(sa.text("UPDATE slots SET status = :status WHERE id = :id"),
                         {"status": status, "id": self.slot_id})
            if state in ("started", "review"):
                row = dict(self.draft)
                if state == "started":
                    row["page"] = row["furthest"] = 2
                conn.execute(self.drafts.insert().values(**row))

    def __repr__(self) -> str:
        return f"<slot {self.slot_id} of group {NUMBER_GROUP}, {len(self.pages)} pages>"

    def reset_paper(self) -> None:
        """Put the paper slot back to 'issued'."""
        with self.site.engine.begin() as conn:
            conn.execute(sa.text("UPDATE slots SET status = 'issued' WHERE id = :id"),
                         {"id": self.paper_slot[0]})

    @property
    def url(self) -> str:
        return f"/s/{self.token}"

    @property
    def paper_url(self) -> str:
        return f"/staff/paper/{self.paper_slot[1]}"


def walk_to_review(client, token: str) -> tuple[list[Any], Any]:
    """Answer every page of a fresh slot with its first options; return the parsed pages
    and the last response (the review page)."""
    pages = []
    response = client.get(f"/s/{token}")
    while True:
        assert response.status_code == 200, response.status_code
        form = parse(response.get_data(as_text=True))
        pages.append(form)
        if "send" in form.buttons:
            return pages, response
        data = {**form.hidden, **{n: o[0] for n, o in form.radios.items()}, **form.texts,
                "action": "next"}
        posted = client.post(f"/s/{token}", data=data)
        assert posted.status_code == 303, posted.status_code
        response = client.get(posted.headers["Location"])


@pytest.fixture
def respondent(site: Site) -> Respondent:
    (slot_id, token, _), (paper_id, _, paper_code) = site.slots_of(NUMBER_GROUP, 2)
    pages, _ = walk_to_review(site.app.test_client(), token)
    assert any(INTEGER_QUESTION in p.texts and DECIMAL_QUESTION in p.texts for p in pages)
    drafts = sa.Table("drafts", sa.MetaData(), autoload_with=site.engine)
    with site.engine.connect() as conn:
        row = dict(conn.execute(drafts.select().where(drafts.c.slot_id == slot_id)).one()._mapping)
    row.pop("id", None)
    return Respondent(site, slot_id, token, pages[0].hidden["ft"], pages, row, drafts,
                      (paper_id, paper_code))


@st.composite
def respondent_request(draw, who: Respondent) -> tuple[str, str, dict[str, Any]]:
    """(method, URL, client arguments) of one hostile request to a respondent link."""
    token = draw(st.one_of(st.just(who.token), st.just(who.token), hostile_text.filter(bool),
                           st.just(who.token[:-1] + "A"), st.just(who.token + "\x00")))
    lang = draw(st.one_of(st.none(), st.sampled_from(["vi", "en"]), hostile_text))
    method = draw(st.sampled_from(["GET", "POST", "POST", "POST", "HEAD", "PUT", "OPTIONS"]))
    url = f"/s/{segment(token)}"
    if method != "POST":
        page = draw(st.one_of(st.none(), st.integers(-3, len(who.pages) + 2).map(str), hostile_text))
        return method, url + query({"p": page, "lang": lang}), {}
    last = len(who.pages) - 1
    page = draw(st.one_of(st.integers(0, last), st.sampled_from([-1, last + 1, 10**30])))
    fields: dict[str, Any] = {
        "page": draw(st.one_of(st.just(str(page)), st.just(str(page)), field_value,
                               st.just(" " + str(page)), st.just(str(page) + ".0"),
                               st.just("0" * 5000 + str(page)))),
        "action": draw(st.one_of(st.sampled_from(["next", "back", "send"]), field_value)),
        "ft": draw(st.one_of(st.just(who.form_token), st.just(who.form_token), field_value,
                             st.just(who.form_token + "x"), st.just([who.form_token, "x"]))),
    }
    if 0 <= page <= last:
        form = who.pages[page]
        for name, options in form.radios.items():
            fields[name] = draw(st.one_of(st.sampled_from(options), field_value))
        for name in form.texts:
            fields[name] = draw(st.one_of(answer_text, field_value))
        for name in form.checkboxes:
            fields[name] = draw(st.one_of(st.just("1"), field_value))
    extra = draw(st.dictionaries(st.one_of(unicode_text, control_text), field_value, max_size=3))
    fields.update({k: v for k, v in extra.items() if k not in fields})
    return method, url + query({"lang": lang}), draw(body(fields))


@settings(FUZZ, max_examples=100)
@given(data=st.data())
def test_hostile_requests_to_a_respondent_link(respondent: Respondent, data):
    state = data.draw(st.sampled_from(Respondent.STATES), label="state")
    respondent.reset(state)
    respondent.site.forget_refusals()
    method, url, kwargs = data.draw(respondent_request(respondent), label="request")
    client = respondent.site.app.test_client()
    # A page sent back with errors keeps its valid answers: at most one new draft.
    checked(respondent.site, lambda: client.open(url, method=method, **kwargs),
            may_add={"drafts": 1})


def _normal(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def _same_number(stored: str, sent: str) -> bool:
    """Whether the stored answer is the number sent: finite, and equal up to a float's
    precision (or below the smallest normal float)."""
    try:
        value, expected = Decimal(stored), Decimal(_normal(sent).replace(",", "."))
    except InvalidOperation:
        return False
    if not value.is_finite():
        return False
    return abs(value - expected) <= max(abs(expected) * Decimal("1e-12"), Decimal("1e-300"))


@dataclass
class Answers:
    """The answers to send for one form (a phone page, or the whole paper sheet)."""

    sent: dict[str, Any]  # field -> value posted
    unknown_unit: set[str]  # fields answered "Không biết" by the unit's box

    def expected(self) -> dict[str, str]:
        """Question -> the answer sent, for the fields whose answer is predictable."""
        return {name.partition("@")[0]: value for name, value in self.sent.items()
                if name not in self.unknown_unit and isinstance(value, str)
                and not name.startswith("_") and name not in ("ft", "page", "action", "csrf_token")}


def answers_for(form: Any, hostile: dict[Any, Any]) -> Answers:
    """Plain answers for every field of ``form`` (first options, blank texts), with the
    ``hostile`` ones put in: a key is a field name, or the n-th field of the form; a
    value is a text, or ``Ref("option", n)``, the n-th option of that field."""
    fields = [*form.radios, *form.texts, *form.checkboxes]
    sent: dict[str, Any] = {**form.hidden, **{n: o[0] for n, o in form.radios.items()},
                            **dict.fromkeys(form.texts, "")}
    for key, value in hostile.items():
        if not fields:
            break
        name = fields[key % len(fields)] if isinstance(key, int) else key
        if name not in fields:
            continue
        if isinstance(value, Ref):
            options = form.radios.get(name) or ["1" if name in form.checkboxes else ""]
            value = options[value.index % len(options)]
        sent[name] = value
    unknown = set()
    for box in form.checkboxes:
        if sent.get(box) == "1":  # "I don't know this unit": its questions answer "Không biết"
            suffix = box.partition("@")[2]
            unknown |= {n for n in form.radios if n.partition("@")[2] == suffix}
    return Answers(sent, unknown)


def check_stored(site: Site, response_id: str, answers: dict[str, str], unknown: set[str]) -> None:
    """The response holds exactly the answers accepted, as sent (numbers finite and equal,
    texts in NFC without surrounding blanks)."""
    stored = dict(site.rows("SELECT question, value FROM response_answers WHERE response_id = :r",
                            r=response_id))
    for question, value in stored.items():
        if question in unknown:
            continue
        assert question in answers, f"{question} was stored but not sent"
        shown = f"{question}: sent {answers[question][:60]!r}, stored {value[:60]!r}"
        if question in NUMBER_QUESTIONS:
            assert _same_number(value, answers[question]), shown
        else:
            assert value == _normal(answers[question]), shown
    for question, value in answers.items():
        if question not in unknown and _normal(value):
            assert question in stored, f"{question}: sent {value[:60]!r} but not stored"


def new_response(site: Site, before: set[str]) -> str:
    """The id of the one response stored since ``before``."""
    new = [r[0] for r in site.rows("SELECT id FROM responses") if r[0] not in before]
    assert len(new) == 1, new
    return new[0]


class AdminSession(tuple):
    """(session cookie, CSRF token) of an admin signed in through the form."""

    def __repr__(self) -> str:
        return "<admin session>"


@pytest.fixture
def admin(site: Site) -> AdminSession:
    client, csrf = sign_in(site, "fuzzadmin")
    return AdminSession((client.get_cookie(site.app.config["SESSION_COOKIE_NAME"]).value, csrf))


def client_with(site: Site, cookie: str):  # type: ignore[no-untyped-def]
    """A new client carrying ``cookie`` as its session (nothing left from other examples)."""
    client = site.app.test_client()
    client.set_cookie(site.app.config["SESSION_COOKIE_NAME"], cookie)
    return client


hostile_answers = st.dictionaries(
    st.one_of(st.sampled_from([INTEGER_QUESTION, DECIMAL_QUESTION, TEXT_QUESTION]),
              st.integers(0, 63)),
    st.one_of(answer_text, st.integers(0, 9).map(lambda i: Ref("option", i))),
    min_size=1, max_size=4)


@settings(FUZZ, max_examples=30)
@given(hostile=hostile_answers)
@example(hostile={INTEGER_QUESTION: DIGITS_5000})
@example(hostile={DECIMAL_QUESTION: DECIMAL_400})
@example(hostile={TEXT_QUESTION: "a\x00b"})
def test_hostile_answers_are_stored_as_sent_or_refused(respondent: Respondent, admin, hostile):
    """Walk the whole form on the phone pages with a few hostile answers and send it;
    key the same answers in on the paper sheet of another slot."""
    site, url = respondent.site, respondent.url
    respondent.reset("issued")
    site.forget_refusals()
    client = site.app.test_client()
    before = {r[0] for r in site.rows("SELECT id FROM responses")}
    accepted: dict[str, str] = {}
    unknown: set[str] = set()
    response = checked(site, lambda: client.get(url))
    for _ in range(len(respondent.pages) + 2):
        form = parse(response.get_data(as_text=True))
        if "send" in form.buttons:
            break
        answers = answers_for(form, hostile)
        sent = {**answers.sent, "action": "next"}
        posted = checked(site, lambda sent=sent: client.post(url, data=sent), may_add={"drafts": 1})
        if posted.status_code != 303:  # refused: send the page again with plain answers
            assert 400 <= posted.status_code < 500, posted.status_code
            answers = answers_for(form, {})
            plain = {**answers.sent, "action": "next"}
            posted = checked(site, lambda plain=plain: client.post(url, data=plain))
            assert posted.status_code == 303, posted.status_code
        accepted.update(answers.expected())
        unknown |= answers.unknown_unit
        target = posted.headers["Location"]
        response = checked(site, lambda target=target: client.get(target))
    form = parse(response.get_data(as_text=True))
    assert "send" in form.buttons
    done = checked(site, lambda: client.post(url, data={**form.hidden, "action": "send"}))
    assert done.status_code == 200 and 'data-survey-status="completed"' in done.get_data(as_text=True)
    check_stored(site, new_response(site, before), accepted, unknown)

    # The same answers on paper: refused as a whole (nothing stored), or stored as sent.
    cookie, csrf = admin
    paper_client = client_with(site, cookie)
    respondent.reset_paper()
    sheet = parse(paper_client.get(respondent.paper_url).get_data(as_text=True))
    answers = answers_for(sheet, hostile)
    before = {r[0] for r in site.rows("SELECT id FROM responses")}
    saved = checked(site, lambda: paper_client.post(
        respondent.paper_url, data={**answers.sent, "csrf_token": csrf}))
    if saved.status_code == 302:
        check_stored(site, new_response(site, before), answers.expected(),
                     {n.partition("@")[0] for n in answers.unknown_unit})
    else:
        assert 400 <= saved.status_code < 500, saved.status_code


# --------------------------------------------------------------------------- sign-in


#: Staff pages and forms an anonymous visitor may try.
STAFF_PAGES = [
    "/staff/", "/staff/slots", "/staff/slots/cards.csv", "/staff/paper", "/staff/paper/11-0001-X",
    "/staff/paper/%00",
    "/staff/progress", "/staff/progress.csv", "/staff/report", "/staff/report.xlsx",
    "/staff/appraisal", "/staff/appraisal/so-noi-vu.xlsx", "/staff/audit", "/staff/users",
]
STAFF_POSTS = ["/staff/logout", "/staff/slots/hand-out", "/staff/slots/void", "/staff/paper",
               "/staff/users", "/staff/appraisal"]
names = st.one_of(st.sampled_from(list(USERS)), field_value,
                  st.sampled_from(list(USERS)).map(lambda n: n + "\x00"),
                  st.sampled_from(list(USERS)).map(lambda n: " " + n.upper()))
next_pages = st.one_of(st.none(), st.sampled_from(
    ["/staff/users", "//evil.example/", "/staff//x", "https://evil.example/staff/", "/staff/\x00",
     "javascript:alert(1)", "/staff/\u2028x"]), hostile_text)
encodings = st.sampled_from(["form", "form", "multipart", "json"])


def encoded(fields: dict[str, Any], encoding: str) -> dict[str, Any]:
    fields = _form(fields)
    return {"form": lambda: {"data": fields}, "multipart": lambda: multipart(fields),
            "json": lambda: {"json": fields}}[encoding]()


@settings(FUZZ, max_examples=40)
@given(fields=st.fixed_dictionaries({
           "name": names, "password": st.one_of(st.just(PASSWORD), field_value),
           "csrf_token": st.one_of(st.just(CSRF), st.just(CSRF), field_value)}),
       next_page=next_pages, encoding=encodings)
@example(fields={"name": "\x00", "password": PASSWORD, "csrf_token": CSRF}, next_page=None,
         encoding="form")
@example(fields={"name": "fuzzadmin", "password": PASSWORD, "csrf_token": CSRF},
         next_page="/staff/\r\nSet-Cookie: x=1", encoding="form")
def test_hostile_sign_in(site: Site, fields, next_page, encoding):
    site.forget_refusals()
    client = site.app.test_client()
    login = client.get("/staff/login")
    assert login.status_code == 200
    csrf = parse(login.get_data(as_text=True)).hidden["csrf_token"]
    kwargs = encoded(resolve(fields, lambda ref: csrf), encoding)
    response = checked(site, lambda: client.post("/staff/login" + query({"next": next_page}),
                                                 **kwargs))
    if response.status_code == 302:  # signed in: never sent to another site
        target = response.headers["Location"]
        assert target.startswith(("/staff/", "http://localhost/staff/")), target
        assert "//" not in target.removeprefix("http://"), target


@settings(FUZZ, max_examples=40)
@given(signed_in=st.booleans(), page=st.sampled_from(STAFF_PAGES + STAFF_POSTS),
       params=st.dictionaries(st.sampled_from(["group", "unit", "action", "lang", "next", "p"]) |
                              unicode_text, field_value, max_size=3),
       csrf=st.one_of(st.just(CSRF), field_value), encoding=encodings)
@example(signed_in=True, page="/staff/slots/cards.csv", params={"group": "\n"}, csrf=CSRF,
         encoding="form")
@example(signed_in=True, page="/staff/slots", params={"unit": "\x00"}, csrf=CSRF, encoding="form")
@example(signed_in=True, page="/staff/paper/%00", params={}, csrf=CSRF, encoding="form")
def test_staff_pages_with_hostile_query_strings(site: Site, admin, signed_in, page, params, csrf,
                                                encoding):
    """Every staff page and form, anonymously (sent to sign in) or as admin."""
    site.forget_refusals()
    cookie, token = admin
    client = client_with(site, cookie) if signed_in else site.app.test_client()
    if not signed_in:
        token = parse(client.get("/staff/login").get_data(as_text=True)).hidden["csrf_token"]
    if page in STAFF_POSTS:
        if signed_in and page == "/staff/logout":
            return
        kwargs = encoded({"csrf_token": resolve(csrf, lambda ref: token), **params}, encoding)
        response = checked(site, lambda: client.post(page, **kwargs))
    else:
        response = checked(site, lambda: client.get(page + query(params)))
    if not signed_in:
        assert response.status_code in (302, 400, 404, 413), response.status_code
        if response.status_code == 302:
            assert "/staff/login" in response.headers["Location"]


# --------------------------------------------------------------------------- staff forms


@dataclass(repr=False)
class Staff:
    """An admin's signed-in client on the site, and the values its forms take."""

    site: Site
    session_cookie: str
    csrf: str
    paper_codes: list[str]  # slots keyed in on paper (put back to 'issued' before each example)
    action_codes: list[str]  # slots handed out and voided
    units: list[str]
    groups: list[str]
    paper_pages: dict[str, Any] = field(default_factory=dict)
    templates: dict[str, bytes] = field(default_factory=dict)
    #: Every staff route of the app (but signing out) as (rule, methods), and the field
    #: names found on the pages: whatever forms are added, they are fuzzed too.
    routes: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    field_names: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return "<admin signed in>"

    def client(self):  # type: ignore[no-untyped-def]
        return client_with(self.site, self.session_cookie)

    def reset(self) -> None:
        """Put the paper-entry slots back to 'issued' with no draft."""
        with self.site.engine.begin() as conn:
            codes = {f"c{i}": c for i, c in enumerate(self.paper_codes)}
            names = ", ".join(f":{k}" for k in codes)
            conn.execute(sa.text(f"DELETE FROM drafts WHERE slot_id IN "
                                 f"(SELECT id FROM slots WHERE code IN ({names}))"), codes)
            conn.execute(sa.text(f"UPDATE slots SET status = 'issued' WHERE code IN ({names})"), codes)


@pytest.fixture
def staff(site: Site, admin) -> Staff:
    cookie, csrf = admin
    client = client_with(site, cookie)
    paper = [site.slots_of(NUMBER_GROUP, 2)[1][2], site.slots_of("I.3", 1)[0][2]]
    action = [row[2] for row in site.slots_of("II.2", 6)]
    units = [r[0] for r in site.rows("SELECT code FROM units ORDER BY id")]
    groups = [r[0] for r in site.rows("SELECT code FROM respondent_groups ORDER BY id")]
    found = Staff(site, cookie, csrf, paper, action, units[:3] + units[20:23], groups)
    for code in paper:
        page = client.get(f"/staff/paper/{code}")
        assert page.status_code == 200
        found.paper_pages[code] = parse(page.get_data(as_text=True))
    for unit in ("so-noi-vu", "huyen-tam-duong"):
        template = client.get(f"/staff/appraisal/{unit}.xlsx")
        assert template.status_code == 200
        found.templates[unit] = template.data
    names = set()
    for rule in site.app.url_map.iter_rules():
        path = str(rule)
        if not path.startswith("/staff/") or path == "/staff/logout":
            continue
        methods = tuple(sorted(set(rule.methods or ()) & {"GET", "POST"}))
        found.routes.append((path, methods))
        if "GET" in methods and not rule.arguments and "report" not in path:
            page = client.get(path)
            if page.mimetype == "text/html":
                names |= set(re.findall(r'name="([^"]+)"', page.get_data(as_text=True)))
    found.routes.sort()
    found.field_names = sorted(names)
    return found


def _spoilt_workbook(data: bytes, cells: list[tuple[int, int, Any]]) -> bytes:
    """The workbook ``data`` with hostile values written into some cells."""
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    for row, column, value in cells:
        if isinstance(value, str):  # a workbook cannot hold control characters
            value = "".join(c for c in value if unicodedata.category(c) != "Cc")[:30_000]
        sheet.cell(row=row, column=column).value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@st.composite
def staff_request(draw, staff: Staff) -> tuple[str, str, dict[str, Any]]:
    """(method, URL, client arguments) of one hostile request to a staff page or form."""
    csrf = draw(st.one_of(st.just(staff.csrf), st.just(staff.csrf), st.just(staff.csrf),
                          field_value))
    unit = draw(st.one_of(st.sampled_from(staff.units), field_value))
    group = draw(st.one_of(st.sampled_from(staff.groups), field_value))
    code = draw(st.one_of(st.sampled_from(staff.action_codes + staff.paper_codes), hostile_text))
    day = draw(st.one_of(st.sampled_from(["2021-02-01", "2021-02-30", "0001-01-01", "9999-12-31"]),
                         field_value))
    what = draw(st.sampled_from([
        "slots", "hand-out", "void", "cards", "paper", "paper-form", "paper-form", "paper-form",
        "progress", "report", "appraisal", "appraisal-template", "audit", "users", "users",
        "home", "route", "route", "route"]))
    if what == "route":  # any staff route, its path arguments and fields hostile
        path, methods = draw(st.sampled_from(staff.routes))
        arguments = st.one_of(st.sampled_from([*staff.paper_codes, *staff.units[:2], "csv", "xlsx",
                                               "pdf", "zip"]), hostile_text.filter(bool))
        path = re.sub(r"<[^>]+>", lambda _: segment(draw(arguments)), path)
        if "pdf" in path or "zip" in path:  # cards of a small group only (a PDF of all is slow)
            return "GET", path + query({"group": "I.2"}), {}
        method = draw(st.sampled_from(methods))
        params = draw(st.dictionaries(st.sampled_from(staff.field_names) | unicode_text,
                                      field_value, max_size=4))
        if method == "GET":
            return "GET", path + query(params), {}
        return "POST", path, draw(body({"csrf_token": csrf, **params}))
    if what == "slots":
        return "GET", "/staff/slots" + query({"group": group, "unit": unit}), {}
    if what in ("hand-out", "void"):
        slots = draw(st.one_of(st.lists(st.sampled_from(staff.action_codes), max_size=3),
                               field_value))
        fields = {"csrf_token": csrf, "slot": slots, "all": draw(st.one_of(st.just("1"), field_value)),
                  "group": group, "unit": unit, "on_date": day, "contact": draw(field_value),
                  "reason": draw(field_value)}
        return "POST", f"/staff/slots/{what}", draw(body(fields))
    if what == "cards":
        fmt = draw(st.one_of(st.sampled_from(["csv", "pdf", "zip"]), hostile_text))
        # never the whole plan: a PDF of every card takes many seconds
        small = draw(st.one_of(st.sampled_from(["I.1", "I.2"]), hostile_text.filter(bool)))
        return "GET", f"/staff/slots/cards.{segment(fmt)}" + query({"group": small, "unit": unit}), {}
    if what == "paper":
        if draw(st.booleans()):
            return "GET", "/staff/paper" + query({"code": code}), {}
        return "POST", "/staff/paper", draw(body({"csrf_token": csrf, "code": code}))
    if what == "paper-form":
        code = draw(st.one_of(st.sampled_from(staff.paper_codes), st.just(code)))
        url = f"/staff/paper/{segment(code)}"
        form = staff.paper_pages.get(code)
        if form is None or draw(st.integers(0, 3)) == 0:  # the bare form, or nothing at all
            method = draw(st.sampled_from(["GET", "POST"]))
            return method, url, draw(body({"csrf_token": csrf})) if method == "POST" else {}
        fields: dict[str, Any] = {"csrf_token": csrf}
        for name, options in form.radios.items():
            fields[name] = draw(st.one_of(st.just(options[0]), st.just(options[0]),
                                          st.sampled_from(options), field_value))
        for name in form.texts:
            fields[name] = draw(answer_text)
        for name in form.checkboxes:
            fields[name] = draw(st.one_of(st.none(), st.just("1"), field_value))
        return "POST", url, draw(body(fields))
    if what == "progress":
        fmt = draw(st.one_of(st.none(), st.sampled_from(["csv", "xlsx"]), hostile_text))
        path = "/staff/progress" if fmt is None else f"/staff/progress.{segment(fmt)}"
        return "GET", path + query(draw(st.dictionaries(unicode_text, field_value, max_size=2))), {}
    if what == "report":
        return "GET", draw(st.sampled_from(["/staff/report", "/staff/report.xlsx"])), {}
    if what == "appraisal":
        upload_unit = draw(st.one_of(st.sampled_from(list(staff.templates)), field_value))
        source = draw(st.sampled_from(["template", "spoilt", "bytes", "none", "nameless"]))
        fields = {"csrf_token": csrf, "unit": upload_unit}
        template = staff.templates[draw(st.sampled_from(sorted(staff.templates)))]
        if source == "template":
            fields["file"] = FileStorage(io.BytesIO(template), "filled.xlsx")
        elif source == "spoilt":
            cells = draw(st.lists(st.tuples(st.integers(1, 40), st.integers(1, 8), st.one_of(
                hostile_text, st.floats(), st.integers(-10**20, 10**20))), min_size=1, max_size=6))
            fields["file"] = FileStorage(io.BytesIO(_spoilt_workbook(template, cells)), "filled.xlsx")
        elif source == "bytes":
            junk = draw(st.one_of(st.binary(max_size=300), st.just(template[:500]),
                                  st.just(b"PK\x03\x04" + b"\x00" * 100)))
            fields["file"] = FileStorage(io.BytesIO(junk),
                                         draw(st.sampled_from(["a.xlsx", "\x00.xlsx", "a"])))
        elif source == "nameless":
            fields["file"] = FileStorage(io.BytesIO(template), "")
        return "POST", "/staff/appraisal", multipart(_form(fields))
    if what == "appraisal-template":
        name = draw(st.one_of(st.sampled_from(staff.units), hostile_text.filter(bool)))
        return "GET", f"/staff/appraisal/{segment(name)}.xlsx" + query({"lang": draw(field_value)}), {}
    if what == "audit":
        return "GET", "/staff/audit" + query({"action": draw(field_value)}), {}
    if what == "users":
        if draw(st.booleans()):
            return "GET", "/staff/users", {}
        fields = {"csrf_token": csrf,
                  "op": draw(st.one_of(st.sampled_from(["add", "toggle"]), field_value)),
                  "name": draw(st.one_of(st.sampled_from(["buudien", "fuzzadmin", "moi_1"]), field_value)),
                  "role": draw(st.one_of(st.sampled_from(["admin", "postoffice", "analyst"]), field_value)),
                  "password": draw(st.one_of(st.just(PASSWORD), field_value))}
        return "POST", "/staff/users", draw(body(fields))
    return "GET", draw(st.sampled_from(["/staff/", "/", "/healthz"])) + query(
        {"lang": draw(field_value)}), {}


@settings(FUZZ, max_examples=120)
@given(data=st.data())
def test_hostile_staff_forms_signed_in_as_admin(staff: Staff, data):
    staff.site.forget_refusals()
    staff.reset()
    method, url, kwargs = data.draw(staff_request(staff), label="request")
    client = staff.client()
    checked(staff.site, lambda: client.open(url, method=method, **kwargs))


# --------------------------------------------------------------------------- API


API_PATHS = ["plan", "codebook", "progress", "scores", "index", "openapi.json"]
ROLES = ["admin", "postoffice", "analyst"]


@settings(FUZZ, max_examples=80)
@given(key=st.one_of(st.sampled_from(ROLES).map(lambda role: Ref("key", ROLES.index(role))),
                     header_text),
       scheme=st.sampled_from(["Bearer {}", "Bearer {}", "bearer  {} ", "Basic {}", "Bearer {}x",
                               "Bearer {}\t", "Bearer", "{}", None]),
       path=st.one_of(st.sampled_from(API_PATHS), st.sampled_from(API_PATHS).map(lambda p: p + "/"),
                      hostile_text.map(segment)),
       params=st.dictionaries(unicode_text, field_value, max_size=3),
       method=st.sampled_from(["GET", "GET", "GET", "HEAD", "POST", "DELETE", "OPTIONS"]))
def test_hostile_api_requests(site: Site, key, scheme, path, params, method):
    site.forget_refusals()
    key = resolve(key, lambda ref: site.keys[ROLES[ref.index]])
    headers = {"Authorization": scheme.format(key)} if scheme is not None else {}
    client = site.app.test_client()
    response = checked(site, lambda: client.open(f"/api/v1/{path}" + query(params), method=method,
                                                 headers=headers))
    if response.status_code in (401, 403) and method == "GET":
        error = response.get_json()["error"]
        assert error["vi"] and error["en"]
