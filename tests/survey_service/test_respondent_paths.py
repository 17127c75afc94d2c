"""The respondent's fast paths answer exactly as the plain ones did.

* One query reads a link's slot, group, unit, round and draft; the plan and the pages
  come from per-process caches keyed by content hashes, never shared between units.
* The final submit takes the draft as it is once the slot is locked, not as it was
  when the request began.
* The form token: its own compact format, the earlier format still accepted, and
  forged, foreign, expired or malformed tokens refused.
* Respondent pages carry the Content-Security-Policy the app computes, set no cookie,
  and small pages go out gzip-compressed when the client takes gzip.
"""

from __future__ import annotations

import gzip
import re
import time

import brotli
import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from survey_service.core.app import security_headers
from survey_service.core.models import (
    Draft,
    QuotaPlace,
    RespondentGroup,
    Response,
    ResponseAnswer,
    Slot,
    Unit,
)
from survey_service.respondent import signing

from .formwalk import Walk, parse


def _tokens(db, group: str, count: int) -> list[tuple[str, str | None]]:
    """(token, unit code) of the first ``count`` slots of ``group``."""
    with db.session() as session:
        rows = session.execute(
            sa.select(Slot.token, Unit.code).join(QuotaPlace, Slot.place_id == QuotaPlace.id)
            .join(RespondentGroup, QuotaPlace.group_id == RespondentGroup.id)
            .outerjoin(Unit, QuotaPlace.unit_id == Unit.id)
            .where(RespondentGroup.code == group).order_by(Slot.id).limit(count)).all()
    return [(r[0], r[1]) for r in rows]


def _without_form_token(html: bytes) -> bytes:
    """The page without its form token (which holds the second it was issued)."""
    return re.sub(rb'(name="ft" value=")[^"]*(")', rb"\1\2", html)


def _review(client, token: str) -> str:
    """Walk the form of ``token`` up to its review page; its HTML."""
    walk = Walk(client, token)
    response = walk.open()
    for _ in range(60):
        html = response.get_data(as_text=True)
        if "send" in parse(html).buttons:
            return html
        response = client.get(walk.post(html).headers["Location"])
    raise AssertionError("no review page")


def test_each_unit_gets_its_own_pages(loaded, db, client):
    # I.3 (CT-02) rates its own department: the responses of two slots of two
    # departments must each name their own unit, whichever was cached first.
    seen: dict[str, str] = {}
    for token, unit in _tokens(db, "I.3", 40):
        seen.setdefault(unit, token)
    units = list(seen.items())[:2]
    assert len(units) == 2
    for _unit, token in units:
        html = _review(client, token)
        send = dict(parse(html).hidden, action="send")
        assert client.post(f"/s/{token}", data=send).status_code == 200
    with db.session() as session:
        own = sorted(session.scalars(sa.select(Response.own_unit)))
    assert own == sorted(unit for unit, _ in units)


def test_the_submit_takes_the_draft_as_it_is_when_the_slot_is_locked(loaded, db, client, app):
    (token, _), = _tokens(db, "I.3", 1)
    html = _review(client, token)
    # Another device changes an answer after this device's review page was read (the
    # draft row changes, the form is still complete).
    with db.session() as session:
        draft = session.scalars(sa.select(Draft).join(Slot).where(Slot.token == token)).one()
        key = next(k for k, v in draft.answers.items() if isinstance(v, str) and v)
        draft.answers = {**draft.answers, key: draft.answers[key] + "-changed"}
    send = dict(parse(html).hidden, action="send")
    assert client.post(f"/s/{token}", data=send).status_code == 200
    with db.session() as session:
        values = set(session.scalars(sa.select(ResponseAnswer.value)))
        assert session.scalar(sa.select(sa.func.count()).select_from(Draft).join(Slot)
                              .where(Slot.token == token)) == 0
    assert any(v.endswith("-changed") for v in values)
    # Exactly once: a second send lands on the completion page and writes nothing.
    assert client.post(f"/s/{token}", data=send).status_code == 200
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
    assert client.get(f"/s/{token}").status_code == 410


def test_form_tokens():
    secret, link, other = "s3cret", "AAAAAAAAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBBBBBBBB"
    now = 1_700_000_000.0
    token = signing.form_token(secret, link, now=now)
    assert len(token) < 40 and token.count(".") == 1
    assert signing.form_token_ok(secret, link, token, 3600, now=now + 3599)
    assert signing.form_token_ok(secret, link, token, 3600, now=now - 30)  # clocks differ a little
    assert not signing.form_token_ok(secret, link, token, 3600, now=now + 3601)  # too old
    assert not signing.form_token_ok(secret, link, token, 3600, now=now - 3600)  # from the future
    assert not signing.form_token_ok(secret, other, token, 3600, now=now)  # another link's
    assert not signing.form_token_ok("other-secret", link, token, 3600, now=now)
    issued, _, signature = token.partition(".")
    forged = [f"{int(issued, 16) + 1:x}.{signature}", f"{issued}.{signature[:-1]}A",
              f"{issued}.", f".{signature}", "zz." + signature, "", "x" * 300, "a.b.c", "1.2"]
    for sent in forged:
        assert not signing.form_token_ok(secret, link, sent, 3600, now=now), sent
    # A page opened before the upgrade carries a token of the earlier format.
    earlier = URLSafeTimedSerializer(secret, salt="respondent-page").dumps(
        signing._tag(link).decode())
    assert signing.form_token_ok(secret, link, earlier, 3600)
    assert not signing.form_token_ok(secret, other, earlier, 3600)
    assert not signing.form_token_ok(secret, link, earlier[:-2] + "xx", 3600)
    assert not signing.form_token_ok(secret, link, earlier, -1)
    assert signing.form_token_ok(secret, link, signing.form_token(secret, link), 10)
    assert time.time() > now


def test_pages_carry_the_apps_policy_no_cookie_and_are_compressed(loaded, db, client, app):
    (token, _), = _tokens(db, "I.1", 1)
    for path in (f"/s/{token}", f"/s/{token}?p=0&lang=en", "/s/AAAAAAAAAAAAAAAAAAAAAA"):
        response = client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert response.status_code in (200, 404)
        # Brotli whenever the phone takes it: the fewest bytes on a slow link.
        assert response.headers["Content-Encoding"] == "br"
        body = brotli.decompress(response.get_data())
        assert "Set-Cookie" not in response.headers
        with app.test_request_context(path):
            probe = app.response_class(body, mimetype="text/html")
            expected = security_headers(probe).headers["Content-Security-Policy"]
        assert response.headers["Content-Security-Policy"] == expected
        assert "style-src 'sha256-" in expected
        only_gzip = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert only_gzip.headers["Content-Encoding"] == "gzip"
        assert _without_form_token(gzip.decompress(only_gzip.get_data())) == _without_form_token(body)


@pytest.mark.parametrize("size", [2_000, 20_000])
def test_answers_get_brotli_when_the_client_takes_it(app, size):
    from survey_service.core.compression import compress

    text = "".join(f"<p>{i} {i * i}</p>" for i in range(size // 10))
    with app.test_request_context("/", headers={"Accept-Encoding": "gzip, br"}):
        response = compress(app.response_class(text, mimetype="text/html"))
        assert response.headers["Content-Encoding"] == "br"
        assert brotli.decompress(response.get_data()).decode() == text
