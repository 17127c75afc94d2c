"""HTTP: the respondent link's answers for every slot state, and staff sign-in."""

from __future__ import annotations

import re

import sqlalchemy as sa

from sampling.slots import new_token
from survey_service.accounts.operations import add_user
from survey_service.core.models import Slot


def _slot(db, status: str | None = None) -> str:
    with db.session() as session:
        slot = session.scalars(sa.select(Slot).order_by(Slot.id).limit(1)).one()
        if status:
            slot.status = status
        return slot.token


def test_valid_link_answers_200(loaded, db, client):
    response = client.get(f"/s/{_slot(db)}")
    assert response.status_code == 200
    assert "Đại biểu HĐND tỉnh" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_unknown_and_malformed_links_answer_404(loaded, client):
    for token in (new_token(), "short", "x" * 40, "%00%01"):
        response = client.get(f"/s/{token}")
        assert response.status_code == 404, token
        assert "không đúng" in response.get_data(as_text=True)


def test_spent_link_answers_410_with_the_completion_page(loaded, db, client):
    completed = _slot(db, "completed")
    response = client.get(f"/s/{completed}")
    assert response.status_code == 410
    assert "đã được gửi" in response.get_data(as_text=True)
    english = client.get(f"/s/{completed}?lang=en")
    assert "has been sent" in english.get_data(as_text=True)
    # A repeated send (double tap, retry) lands on the same completion page, writing nothing.
    again = client.post(f"/s/{completed}", data={"page": "0", "action": "send"})
    assert again.status_code == 200 and "đã được gửi" in again.get_data(as_text=True)


def test_voided_link_answers_410_and_says_it_was_replaced(loaded, db, client):
    voided = _slot(db, "voided")
    response = client.get(f"/s/{voided}")
    assert response.status_code == 410
    text = response.get_data(as_text=True)
    assert "đã bị hủy và thay bằng phiếu khác" in text and "đã được gửi" not in text
    assert client.post(f"/s/{voided}", data={"page": "0"}).status_code == 410


def test_index_and_health(loaded, client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    page = client.get("/").get_data(as_text=True)
    assert "Lai Châu" in page


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_staff_sign_in(app, db, client):
    with db.session() as session:
        add_user(session, "phantich", "analyst", "mat-khau-dai-du")
    assert client.get("/staff/").status_code == 302  # signed out: to the login page
    page = client.get("/staff/login").get_data(as_text=True)
    wrong = client.post("/staff/login", data={"csrf_token": _csrf(page), "name": "phantich",
                                              "password": "sai-mat-khau"})
    assert wrong.status_code == 401
    assert "không đúng" in wrong.get_data(as_text=True)
    no_csrf = client.post("/staff/login", data={"name": "phantich", "password": "mat-khau-dai-du"})
    assert no_csrf.status_code == 400  # refused before the password is looked at
    ok = client.post("/staff/login", data={"csrf_token": _csrf(page), "name": "phantich",
                                           "password": "mat-khau-dai-du"})
    assert ok.status_code == 302
    home = client.get("/staff/")
    assert home.status_code == 200 and "phantich" in home.get_data(as_text=True)
