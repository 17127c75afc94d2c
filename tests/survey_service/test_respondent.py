"""The respondent's form over HTTP: paging, nothing lost, exactly once, anonymity."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from sampling.slots import new_token
from survey_service.core.models import Draft, Response, ResponseAnswer, Slot

from .formwalk import Walk, page_number, parse


def _token(db, group: str = "I.1", status: str | None = None) -> str:
    from survey_service.core.models import QuotaPlace, RespondentGroup

    with db.session() as session:
        slot = session.scalars(
            sa.select(Slot).join(QuotaPlace, Slot.place_id == QuotaPlace.id)
            .join(RespondentGroup, QuotaPlace.group_id == RespondentGroup.id)
            .where(RespondentGroup.code == group).order_by(Slot.id).limit(1)).one()
        if status:
            slot.status = status
        return slot.token


def _status(db, token: str) -> str:
    with db.session() as session:
        return session.scalar(sa.select(Slot.status).where(Slot.token == token))


def _count(db, model) -> int:
    with db.session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_opening_a_link_shows_the_introduction_and_starts_the_slot(loaded, db, client):
    token = _token(db)
    assert _status(db, token) == "issued"
    page = client.get(f"/s/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "ẩn danh" in html  # the anonymity sentence
    assert "Trang 1/24" in html  # intro, background, 20 departments, comments, review
    assert _status(db, token) == "started"
    assert "<script" not in html and "http://" not in html.split("<main", 1)[1]


def test_a_whole_form_with_a_change_of_mind(loaded, db, client):
    token = _token(db)
    walk = Walk(client, token)
    response = walk.open()
    # Intro, background, then the first department page.
    for _ in range(2):
        response = client.get(walk.post(response.get_data(as_text=True)).headers["Location"])
    html = response.get_data(as_text=True)
    assert "Đơn vị 1/20" in html and "Sở Nội vụ" in html
    first_unit_page = page_number(html)
    response = client.get(walk.post(html).headers["Location"])  # answers "Rất tốt" everywhere
    assert "Đơn vị 2/20" in response.get_data(as_text=True)
    # Back to the first department, change q01 to "Kém": the page shows the saved answers.
    back = walk.post(response.get_data(as_text=True), action="back")
    html = client.get(back.headers["Location"]).get_data(as_text=True)
    assert page_number(html) == first_unit_page
    assert parse(html).checked["q01"] == "rat_tot"
    changed = walk.post(html, choose=lambda name, options: "kem" if name == "q01" else options[0])
    assert changed.status_code == 303
    done = walk.finish()
    assert done.status_code == 200
    assert 'data-survey-status="completed"' in done.get_data(as_text=True)
    assert _status(db, token) == "completed"
    with db.session() as session:
        response_row = session.scalars(sa.select(Response)).one()
        answers = {(a.rated_unit, a.question): a.value for a in response_row.answers}
        assert response_row.group_code == "I.1" and response_row.form_code == "CT-01"
        assert response_row.channel == "web" and response_row.own_unit is None
        assert isinstance(response_row.completed_on, dt.date)
        assert answers[("so-noi-vu", "q01")] == "kem"
        assert answers[("so-tu-phap", "q01")] == "rat_tot"
        assert len({unit for unit, _ in answers if unit}) == 20
        assert session.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0
    # The spent link: 410 with the completion page; a repeated send: the same page, 200.
    again = client.get(f"/s/{token}")
    assert again.status_code == 410
    assert 'data-survey-status="completed"' in again.get_data(as_text=True)
    repeat = client.post(f"/s/{token}", data={"action": "send", "page": "23"})
    assert repeat.status_code == 200
    assert 'data-survey-status="completed"' in repeat.get_data(as_text=True)
    assert _count(db, Response) == 1


def test_missing_required_answer_is_shown_next_to_the_question(loaded, db, client):
    walk = Walk(client, _token(db))
    response = client.get(walk.post(walk.open().get_data(as_text=True)).headers["Location"])
    html = client.get(walk.post(response.get_data(as_text=True)).headers["Location"]).get_data(
        as_text=True)
    # On a department page, answer everything except q02.
    skipped = walk.post(html, choose=lambda name, options: None if name == "q02" else options[1])
    assert skipped.status_code == 422
    page = skipped.get_data(as_text=True)
    assert 'id="e-q02"' in page and "Câu này bắt buộc" in page or "bắt buộc" in page
    form = parse(page)
    assert "q02" not in form.checked
    assert form.checked["q01"] == "tot"  # the other answers are kept
    english = client.post(f"/s/{walk.token}?lang=en", data={
        **form.hidden, **{k: v for k, v in form.checked.items()}, "action": "next"})
    assert english.status_code == 422
    assert 'id="e-q02"' in english.get_data(as_text=True)


def test_resume_on_another_device_where_it_was_left(loaded, db, app):
    token = _token(db, "I.3")
    first = app.test_client()
    walk = Walk(first, token)
    response = walk.open()
    for _ in range(3):
        response = first.get(walk.post(response.get_data(as_text=True)).headers["Location"])
    left_at = page_number(response.get_data(as_text=True))
    other = app.test_client()  # no cookies, no session
    resumed = other.get(f"/s/{token}").get_data(as_text=True)
    assert page_number(resumed) == left_at - 0
    earlier = other.get(f"/s/{token}?p=1").get_data(as_text=True)
    assert parse(earlier).checked  # the answers given on the first device
    # A page beyond the furthest reached is not shown (required answers come first).
    assert page_number(other.get(f"/s/{token}?p=99").get_data(as_text=True)) == left_at


def test_stale_form_token_keeps_the_answers(loaded, db, client):
    walk = Walk(client, _token(db))
    response = client.get(walk.post(walk.open().get_data(as_text=True)).headers["Location"])
    html = response.get_data(as_text=True)
    stale = walk.post(html, choose=lambda n, o: o[-1], extra={"ft": "expired-or-forged"})
    assert stale.status_code == 200
    page = stale.get_data(as_text=True)
    assert "chưa được lưu" in page
    form = parse(page)
    assert form.checked == {name: options[-1] for name, options in form.radios.items()}
    with db.session() as session:
        assert "b1" not in session.scalars(sa.select(Draft)).one().answers  # not saved yet
    # Pressing the button again (the page now has a fresh token) saves.
    assert walk.post(page).status_code == 303


def test_unknown_unit_box_answers_dont_know(loaded, db, client):
    walk = Walk(client, _token(db))
    response = walk.open()
    for _ in range(2):
        response = client.get(walk.post(response.get_data(as_text=True)).headers["Location"])
    html = response.get_data(as_text=True)
    form = parse(html)
    posted = client.post(walk.url, data={**form.hidden, "_khong_biet_don_vi": "1", "action": "next"})
    assert posted.status_code == 303
    with db.session() as session:
        answers = session.scalars(sa.select(Draft)).one().answers
    unit = {k: v for k, v in answers.items() if k.endswith("@so-noi-vu")}
    assert len(unit) == 12 and set(unit.values()) == {"khong_biet"}


def test_own_unit_is_recorded_only_for_groups_rating_their_own_unit(loaded, db, app):
    for group, own in (("I.3", "so-noi-vu"), ("II.4", "tp-lai-chau"), ("II.2", None)):
        done = Walk(app.test_client(), _token(db, group)).finish()
        assert done.status_code == 200, group
        with db.session() as session:
            row = session.scalars(sa.select(Response).where(Response.group_code == group)).one()
            assert row.own_unit == own


def test_responses_keep_no_link_to_the_slot(loaded, db, client):
    Walk(client, _token(db)).finish()
    columns = {c.name for c in Response.__table__.columns} | {
        c.name for c in ResponseAnswer.__table__.columns}
    assert not columns & {"slot_id", "token", "slot", "ip", "created_at", "completed_at"}
    with db.session() as session:
        row = session.scalars(sa.select(Response)).one()
        assert len(row.id) == 32 and not row.id.isdigit()
        tokens = set(session.scalars(sa.select(Slot.token)))
        codes = set(session.scalars(sa.select(Slot.code)))
        values = set(session.scalars(sa.select(ResponseAnswer.value)))
        assert not values & (tokens | codes)


def test_invalid_page_number_is_refused(loaded, db, client):
    walk = Walk(client, _token(db))
    form = parse(walk.open().get_data(as_text=True))
    for page in ("7", "-1", "x"):
        response = client.post(walk.url, data={**form.hidden, "page": page, "action": "next"})
        assert response.status_code == 400
    assert _count(db, Draft) == 0


def test_send_with_a_gap_goes_back_to_the_gap(loaded, db, client):
    token = _token(db)
    walk = Walk(client, token)
    walk.finish(choose=lambda n, o: o[0])  # complete normally first, on another slot below
    other = _token_second(db)
    w2 = Walk(client, other)
    # Fill to the review page, then remove an answer behind the respondent's back.
    response = w2.open()
    while "send" not in parse(response.get_data(as_text=True)).buttons:
        response = client.get(w2.post(response.get_data(as_text=True)).headers["Location"])
    with db.session() as session:
        draft = session.scalars(sa.select(Draft)).one()
        answers = dict(draft.answers)
        answers.pop("q05@so-tu-phap")
        draft.answers = answers
    sent = w2.post(response.get_data(as_text=True), action="send")
    assert sent.status_code == 303
    assert "Sở Tư pháp" in client.get(sent.headers["Location"]).get_data(as_text=True)
    assert _status(db, other) == "started"


def _token_second(db) -> str:
    with db.session() as session:
        return session.scalars(sa.select(Slot.token).where(Slot.status == "issued")
                               .order_by(Slot.id)).first()


def test_unknown_and_voided_links(loaded, db, client):
    assert client.get(f"/s/{new_token()}").status_code == 404
    assert client.post(f"/s/{new_token()}", data={"action": "send"}).status_code == 404
    voided = _token(db, status="voided")
    assert client.get(f"/s/{voided}").status_code == 410
    assert client.post(f"/s/{voided}", data={"action": "send"}).status_code == 410


@pytest.mark.parametrize("group", ["I.1", "I.2", "I.3", "I.4", "II.1", "II.2", "II.3", "II.4"])
def test_every_group_can_complete_its_form(loaded, db, client, group):
    done = Walk(client, _token(db, group)).finish(choose=lambda n, o: o[-1])
    assert done.status_code == 200
    assert 'data-survey-status="completed"' in done.get_data(as_text=True)
