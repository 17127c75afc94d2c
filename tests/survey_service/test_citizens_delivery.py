"""Delivery by the post office: the list on its page, as PDF, XLSX and CSV, outcomes per
slot, replacements from the reserve in order with their reasons, 409 once the reserve is
used up, and personal data for admins and the post office only."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
import sqlalchemy as sa

from survey_service.citizens.models import SampleMember
from survey_service.citizens.operations import draw, import_roster
from survey_service.core.models import AuditEntry, DistributionEvent, Slot
from survey_service.plans.queries import get_plan_row

from .citizens_setup import csrf, load_round, person, roster_csv, roster_rows, sign_in, small_plan

UNIT = "so-tu-phap"


@pytest.fixture
def drawn(app, db):
    """III.1 of a small round: 3 drawn per unit and 2 in reserve, from rosters of 10 dossiers;
    the first person's name looks like a formula."""
    plan = small_plan(per_unit=3, reserve=0.5)
    load_round(db, plan)
    rows = {unit: roster_rows(unit, 10) for unit in (UNIT, "huyen-sin-ho")}
    for row in rows[UNIT]:
        row["name"] = "=" + row["name"]
    with db.session() as session:
        round_row = get_plan_row(session, plan.code)
        for unit, dossiers in rows.items():
            import_roster(session, round_row, plan, "III.1", unit, roster_csv(dossiers), user=None)
        draw(session, round_row, plan, "III.1", seed=11, user=None)
    return plan, rows


def _members(db, unit: str = UNIT) -> list[tuple[str, int, str, str, bool]]:
    """(role, order, outcome, reason, holds a place) of a unit's members."""
    from survey_service.citizens.models import Roster
    from survey_service.core.models import Unit

    with db.session() as session:
        return [(m.role, m.ord, m.outcome, m.reason, m.place_id is not None) for m in session.scalars(
            sa.select(SampleMember).join(Roster, SampleMember.roster_id == Roster.id)
            .join(Unit, Roster.unit_id == Unit.id).where(Unit.code == unit)
            .order_by(SampleMember.role, SampleMember.ord))]


def _slots(page: str) -> list[str]:
    return re.findall(r'name="slot" value="([^"]+)"', page)


def test_the_delivery_list_and_its_files(app, db, drawn):
    plan, rows = drawn
    post = sign_in(app, db, "postoffice")
    page = post.get(f"/staff/citizens/delivery?group=III.1&unit={UNIT}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert len(_slots(text)) == 3
    names = [r["name"] for r in rows[UNIT]]
    shown = [n for n in names if n.replace('"', "&#34;") in text]
    assert len(shown) == 3  # the three officials, and no reserve
    query = f"group=III.1&unit={UNIT}"
    pdf = post.get(f"/staff/citizens/delivery.pdf?{query}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.headers["Cache-Control"] == "no-store"
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    cards = post.get(f"/staff/citizens/delivery.cards?{query}")
    assert cards.status_code == 200 and cards.data.startswith(b"%PDF")
    book = openpyxl.load_workbook(io.BytesIO(post.get(f"/staff/citizens/delivery.xlsx?{query}").data))
    sheet = book["giao_phat"]
    header = [c.value for c in sheet[1]]
    assert header[:8] == ["unit", "unit_name", "commune", "slot", "name", "address", "phone", "service"]
    cells = list(sheet.iter_rows(min_row=2))
    assert len(cells) == 3
    for line in cells:
        name, phone = line[header.index("name")], line[header.index("phone")]
        assert name.data_type == "s" and name.value.startswith("=") and name.quotePrefix
        assert phone.data_type == "s" and phone.value.startswith("09")
    csv_text = post.get(f"/staff/citizens/delivery.csv?{query}").get_data(as_text=True)
    assert csv_text.count(",'=Lò Thị") == 3
    # By commune: only that commune's people.
    commune = person(UNIT, 1)["commune"]
    page = post.get(f"/staff/citizens/delivery?group=III.1&unit={UNIT}&commune={commune}")
    assert all(commune in line for line in re.findall(r"<tr>.*?</tr>", page.get_data(as_text=True),
                                                      flags=re.S)[1:])
    with db.session() as session:
        exports = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export_delivery")).all()
    assert [e.detail["format"] for e in exports] == ["pdf", "cards", "xlsx", "csv"]
    assert all(n not in str(e.detail) for e in exports for n in names)
    # The respondent's link of a drawn slot opens the citizens' form.
    with db.session() as session:
        token = session.scalar(sa.select(Slot.token).where(Slot.code == _slots(text)[0]))
    form = app.test_client().get(f"/s/{token}")
    assert form.status_code == 200


def test_two_replacements_from_the_reserve_in_order_then_409(app, db, drawn):
    post = sign_in(app, db, "postoffice")
    url = f"/staff/citizens/delivery?group=III.1&unit={UNIT}"
    page = post.get(url).get_data(as_text=True)
    first, second, third = _slots(page)
    base = {"csrf_token": csrf(page), "group": "III.1", "unit": UNIT, "on_date": "2020-10-05"}
    outcome = "/staff/citizens/delivery/outcome"
    assert post.post(outcome, data={**base, "slot": first, "outcome": "handed_out"}).status_code == 302
    assert post.post(outcome, data={**base, "slot": first, "outcome": "returned"}).status_code == 302
    response = post.post(outcome, data={**base, "slot": first, "outcome": "unreachable",
                                        "reason": "Chuyển đi nơi khác"})
    assert response.status_code == 302
    text = post.get(response.headers["Location"]).get_data(as_text=True)
    assert "người dự phòng số 1" in text
    response = post.post(outcome, data={**base, "slot": second.lower(), "outcome": "refused",
                                        "reason": "Không muốn trả lời"})
    assert "người dự phòng số 2" in post.get(response.headers["Location"]).get_data(as_text=True)
    with db.session() as session:
        outcomes = {code: (outcome, reason) for code, outcome, reason in session.execute(
            sa.select(Slot.code, SampleMember.outcome, SampleMember.reason)
            .join(Slot, Slot.id == SampleMember.slot_id).where(SampleMember.outcome != "")).all()}
    assert outcomes == {first: ("unreachable", "Chuyển đi nơi khác"), second: ("refused", "Không muốn trả lời")}
    members = _members(db)
    assert [m for m in members if m[0] == "reserve"] == [("reserve", 1, "", "", True),
                                                         ("reserve", 2, "", "", True)]
    page = post.get(url).get_data(as_text=True)
    holders = _slots(page)
    assert len(holders) == 3 and first not in holders and second not in holders and third in holders
    assert "Chuyển đi nơi khác" in page and "Không muốn trả lời" in page  # the reasons are kept

    # The reserve is used up: 409, nothing changed.
    with db.session() as session:
        before = session.execute(sa.select(Slot.code, Slot.status).order_by(Slot.code)).all()
    response = post.post(outcome, data={**base, "slot": third, "outcome": "unreachable", "reason": "x"})
    assert response.status_code == 409
    assert "dự phòng" in response.get_data(as_text=True)
    with db.session() as session:
        assert session.execute(sa.select(Slot.code, Slot.status).order_by(Slot.code)).all() == before
        events = session.execute(sa.select(DistributionEvent.action, DistributionEvent.detail)
                                 .order_by(DistributionEvent.id)).all()
        audit = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "delivery_replace")).all()
    assert [a for a, _ in events] == ["handed_out", "returned", "voided", "replacement", "voided",
                                      "replacement"]
    assert ("voided", "unreachable") in events and ("voided", "refused") in events
    assert [a.detail["reserve_order"] for a in audit] == [1, 2]
    assert _members(db) == members
    # A voided slot takes no outcome; nor does an unknown slot or outcome.
    assert post.post(outcome, data={**base, "slot": first, "outcome": "handed_out"}).status_code == 409
    assert post.post(outcome, data={**base, "slot": "31-9999-X", "outcome": "refused"}).status_code == 404
    assert post.post(outcome, data={**base, "slot": third, "outcome": "lost"}).status_code == 400


def test_the_reserves_replace_in_their_order(app, db, drawn):
    """The reserve taking each place is the next one in order, whichever official drops out."""
    post = sign_in(app, db, "postoffice")
    url = "/staff/citizens/delivery?group=III.1&unit=huyen-sin-ho"
    page = post.get(url).get_data(as_text=True)
    slots = _slots(page)
    base = {"csrf_token": csrf(page), "group": "III.1", "unit": "huyen-sin-ho"}
    for code in (slots[2], slots[0]):
        post.post("/staff/citizens/delivery/outcome", data={**base, "slot": code, "outcome": "refused"})
    with db.session() as session:
        rows = session.execute(sa.select(SampleMember.role, SampleMember.ord, Slot.code, Slot.replaces_id)
                               .join(Slot, Slot.id == SampleMember.slot_id)
                               .where(SampleMember.role == "reserve")
                               .order_by(SampleMember.ord)).all()
        replaced = dict(session.execute(sa.select(Slot.id, Slot.code)).all())
    assert [(r.ord, replaced[r.replaces_id]) for r in rows] == [(1, slots[2]), (2, slots[0])]


def test_personal_data_is_for_admins_and_the_post_office_only(app, db, drawn):
    from werkzeug.security import generate_password_hash

    from survey_service.core.models import User

    clients = {role: sign_in(app, db, role) for role in ("admin", "postoffice", "analyst")}
    with db.session() as session:  # a unit's and a council member's accounts, bound to units
        for role in ("unit", "council"):
            session.add(User(name=role, role=role, unit="so-noi-vu",
                             password_hash=generate_password_hash("mat-khau-dai-du")))
    for role in ("unit", "council"):
        client = app.test_client()
        page = client.get("/staff/login").get_data(as_text=True)
        assert client.post("/staff/login", data={"csrf_token": csrf(page), "name": role,
                                                 "password": "mat-khau-dai-du"}).status_code == 302
        clients[role] = client
    gets = {"/staff/citizens": {"admin"},
            "/staff/citizens/delivery?group=III.1": {"admin", "postoffice"},
            **{f"/staff/citizens/delivery.{fmt}?group=III.1": {"admin", "postoffice"}
               for fmt in ("pdf", "xlsx", "csv", "cards")}}
    posts = {"/staff/citizens/roster": {"admin"}, "/staff/citizens/draw": {"admin"},
             "/staff/citizens/purge": {"admin"}, "/staff/citizens/delivery/outcome": {"admin", "postoffice"}}
    for role, client in clients.items():
        token = csrf(client.get("/staff/login").get_data(as_text=True))
        for url, allowed in gets.items():
            status = client.get(url).status_code
            assert status == (200 if role in allowed else 403), (role, url, status)
        for url, allowed in posts.items():
            status = client.post(url, data={"csrf_token": token}).status_code
            assert status == (302 if role in allowed else 403), (role, url, status)
    anonymous = app.test_client()
    for url in gets:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
