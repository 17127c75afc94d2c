"""Field work: roles on every route, hand-out, void and replace, paper entry, progress,
the audit log and sign-in throttling."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from survey_service.accounts.operations import add_user, new_api_key
from survey_service.core.models import AuditEntry, Response, Slot

PASSWORD = "mat-khau-dai-du"

#: Who may use each staff endpoint (admin may use all).  A new route must be added
#: here, or the walk below fails: no page is left unprotected by accident.
ACCESS = {
    "results.choose_round": {"admin", "postoffice", "analyst"},
    "publication.docx": {"admin", "analyst"},
    "publication.pdf": {"admin", "analyst"},
    "publication.xlsx": {"admin", "analyst"},
    "accounts.home": {"admin", "postoffice", "analyst"},
    "accounts.logout": {"admin", "postoffice", "analyst"},
    "fieldwork.slots": {"admin", "postoffice", "analyst"},
    "fieldwork.record_hand_out": {"admin", "postoffice"},
    "fieldwork.record_void": {"admin", "postoffice"},
    "fieldwork.cards": {"admin", "postoffice"},
    "fieldwork.paper": {"admin", "postoffice"},
    "fieldwork.paper_form": {"admin", "postoffice"},
    "fieldwork.progress_page": {"admin", "postoffice", "analyst"},
    "fieldwork.progress_download": {"admin", "postoffice", "analyst"},
    "accounts.audit_log": {"admin"},
    "accounts.users": {"admin"},
    "results.report": {"admin", "analyst"},
    "appraisal.appraisal": {"admin", "analyst"},
    "appraisal.appraisal_template_download": {"admin", "analyst"},
    "appraisal.self_assessment": {"admin"},
    "appraisal.self_area": {"admin"},
    "appraisal.explanation": {"admin"},
    "appraisal.council": {"admin"},
    "appraisal.council_unit": {"admin"},
    "appraisal.council_appraise": {"admin"},
    "appraisal.council_send": {"admin"},
    "appraisal.council_final": {"admin"},
    "appraisal.status_board": {"admin", "analyst"},
    "appraisal.status_board_xlsx": {"admin", "analyst"},
    "appraisal.finalise": {"admin"},
    "appraisal.reopen": {"admin"},
    "appraisal.reopen_unit": {"admin"},
    "results.report_xlsx": {"admin", "analyst"},
    "api_plans.plan": {"admin", "postoffice", "analyst"},
    "api_results.scores": {"admin", "analyst"},
    "api_results.index": {"admin", "analyst"},
    "api_plans.codebook": {"admin", "postoffice", "analyst"},
    "api_fieldwork.progress": {"admin", "postoffice", "analyst"},
    "api_appraisal.unit_rows": {"admin"},
    "api_appraisal.status_board": {"admin", "analyst"},
    "api_results.satisfaction": {"admin", "analyst"},
    "citizens.overview": {"admin"},
    "citizens.upload_roster": {"admin"},
    "citizens.draw_sample": {"admin"},
    "citizens.purge_rosters": {"admin"},
    "citizens.delivery": {"admin", "postoffice"},
    "citizens.record_delivery_outcome": {"admin", "postoffice"},
}
#: Staff endpoints that need a stored object to answer 200: walked by role in their own tests
#: (the evidence download: tests/survey_service/test_appraisal_pages.py).
WALKED_ELSEWHERE = {"appraisal.evidence"}
#: The delivery lists answer 404 without a drawn sample: walked by role in
#: tests/survey_service/test_citizens_delivery.py.
WALKED_ELSEWHERE |= {"citizens.delivery_download"}
#: The appraisal API's writes and its evidence download answer by the state of the round
#: (409, 422): walked as every role, unit and council member, each with its exact status,
#: in tests/survey_service/test_appraisal_api.py.
WALKED_ELSEWHERE |= {"api_appraisal.set_row", "api_appraisal.add_file", "api_appraisal.submit_unit",
                     "api_appraisal.appraise_row", "api_appraisal.send_field", "api_appraisal.answer_row",
                     "api_appraisal.final_row", "api_appraisal.finalise", "api_appraisal.evidence"}
PUBLIC = {"static", "core.index", "core.healthz", "accounts.login", "respondent.form", "respondent.save",
          "api.openapi"}
SAMPLE_ARGS = {"fmt": "csv", "code": "11-0001-V", "unit": "so-noi-vu", "area": "LV1"}


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


@pytest.fixture
def staff(loaded, db):
    """Users of every role, and a function to sign one in on a fresh client."""
    with db.session() as session:
        for role in ("admin", "postoffice", "analyst"):
            add_user(session, role, role, PASSWORD)

    def sign_in(name: str):
        client = loaded.test_client()
        page = client.get("/staff/login").get_data(as_text=True)
        response = client.post("/staff/login", data={"csrf_token": _csrf(page), "name": name,
                                                     "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


def _url(app, rule) -> str:
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **{a: SAMPLE_ARGS[a] for a in rule.arguments})


def test_every_route_is_classified(loaded):
    endpoints = {rule.endpoint for rule in loaded.url_map.iter_rules()}
    classified = set(ACCESS) | PUBLIC | WALKED_ELSEWHERE
    assert endpoints == classified, endpoints ^ classified


def test_route_permission_walk(loaded, staff, db):
    clients = {role: staff(role) for role in ("admin", "postoffice", "analyst")}
    keys = {}
    with db.session() as session:
        for role in clients:
            keys[role] = new_api_key(session, role)
    anonymous = loaded.test_client()
    # A real CSRF token for each client, so that the walk tests roles, not CSRF.
    tokens = {role: _csrf(client.get("/staff/login").get_data(as_text=True))
              for role, client in clients.items()}
    tokens[None] = _csrf(anonymous.get("/staff/login").get_data(as_text=True))
    # Signing out comes last, or it would sign the clients out for the rest of the walk.
    rules = sorted(loaded.url_map.iter_rules(), key=lambda r: r.endpoint == "accounts.logout")
    for rule in rules:
        if rule.endpoint not in ACCESS:
            continue
        url = _url(loaded, rule)
        method = "GET" if "GET" in rule.methods else "POST"
        is_api = rule.endpoint.startswith("api")
        # Anonymous: the API says 401, a staff page sends to the login page.
        response = anonymous.open(url, method=method, data={"csrf_token": tokens[None]})
        if is_api:
            assert response.status_code == 401, url
        else:
            assert response.status_code == 302 and "/staff/login" in response.headers["Location"], url
        for role, client in clients.items():
            if is_api:
                response = anonymous.open(url, method=method,
                                          headers={"Authorization": f"Bearer {keys[role]}"})
            else:
                response = client.open(url, method=method, data={"csrf_token": tokens[role]})
            allowed = role in ACCESS[rule.endpoint]
            if allowed:
                # The page itself, or (for a form sent without its fields) back where it came from.
                expected = 302 if method == "POST" else 200
                assert response.status_code == expected, (role, url, response.status_code)
            else:
                assert response.status_code == 403, (role, url, response.status_code)


def test_hand_out_records_only_issued_slots(staff, db):
    client = staff("postoffice")
    page = client.get("/staff/slots?group=I.3&unit=so-tu-phap").get_data(as_text=True)
    assert page.count('name="slot"') == 15
    form = {"csrf_token": _csrf(page), "group": "I.3", "unit": "so-tu-phap", "contact": "Văn phòng Sở",
            "on_date": "2021-02-01"}
    first = client.post("/staff/slots/hand-out", data={**form, "all": "1"})
    assert first.status_code == 302
    assert "Đã ghi nhận phát 15 phiếu; 0 phiếu" in client.get(first.headers["Location"]).get_data(
        as_text=True)
    again = client.post("/staff/slots/hand-out", data={**form, "all": "1"})
    text = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Đã ghi nhận phát 0 phiếu; 15 phiếu" in text
    missing = client.post("/staff/slots/hand-out", data={**form, "all": "1", "contact": " "})
    assert "nơi nhận" in client.get(missing.headers["Location"]).get_data(as_text=True)
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Slot).where(
            Slot.status == "handed_out")) == 15


def test_analyst_cannot_record_a_hand_out(staff, db):
    client = staff("analyst")
    page = client.get("/staff/slots?group=I.3&unit=so-tu-phap").get_data(as_text=True)
    assert 'name="slot"' not in page  # no action controls for analysts
    token = _csrf(client.get("/staff/login").get_data(as_text=True))
    response = client.post("/staff/slots/hand-out", data={"csrf_token": token, "group": "I.3",
                                                          "all": "1", "contact": "x"})
    assert response.status_code == 403
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Slot).where(
            Slot.status == "handed_out")) == 0


def _live_per_place(db) -> list[int]:
    with db.session() as session:
        return list(session.scalars(sa.select(sa.func.count()).select_from(Slot).where(
            Slot.status != "voided").group_by(Slot.place_id)))


def test_void_and_replace_keeps_one_live_slot_per_place(staff, db):
    client = staff("postoffice")
    page = client.get("/staff/slots?group=II.1&unit=huyen-tam-duong").get_data(as_text=True)
    codes = re.findall(r'name="slot" value="([^"]+)"', page)[:3]
    response = client.post("/staff/slots/void", data={"csrf_token": _csrf(page), "group": "II.1",
                                                      "unit": "huyen-tam-duong", "slot": codes,
                                                      "reason": "mất thẻ", "on_date": "2021-02-02"})
    text = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã hủy và thay 3 phiếu" in text
    counts = _live_per_place(db)
    assert len(counts) == 1193 and set(counts) == {1}
    with db.session() as session:
        voided = session.scalars(sa.select(Slot).where(Slot.code.in_(codes))).all()
        assert {s.status for s in voided} == {"voided"}
        replacements = session.scalars(sa.select(Slot).where(
            Slot.replaces_id.in_([s.id for s in voided]))).all()
        assert len(replacements) == 3
        assert all(r.code.startswith("21-01") for r in replacements)  # numbering goes on past 120
    # Voiding the same cards again is refused, and nothing changes.
    again = client.post("/staff/slots/void", data={"csrf_token": _csrf(page), "slot": codes,
                                                   "reason": "mất thẻ"})
    assert "không hủy được" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert set(_live_per_place(db)) == {1}


def _paper(client, code: str, fill: bool = True):
    start = client.get("/staff/paper").get_data(as_text=True)
    response = client.post("/staff/paper", data={"csrf_token": _csrf(start), "code": code})
    if response.status_code != 302:
        return response
    form_page = client.get(response.headers["Location"])
    if form_page.status_code != 200:
        return form_page
    # The sheet comes in the sections of the phone form: fill each, then save from the last.
    from .formwalk import parse

    html = form_page.get_data(as_text=True)
    for _ in range(100):
        data = {**parse(html).hidden, "action": "save"}
        if fill:
            for name, value in re.findall(r'type="radio" name="([^"]+)" value="([^"]+)"', html):
                data.setdefault(name, value)
            if 'value="next"' in html.split('<div class="nav">', 1)[1]:
                data["action"] = "next"
        posted = client.post(response.headers["Location"], data=data)
        if data["action"] == "save" or posted.status_code != 200:
            return posted
        html = posted.get_data(as_text=True)
    raise AssertionError("the paper sheet did not end")


def test_paper_entry_completes_a_slot_once(staff, db):
    client = staff("postoffice")
    with db.session() as session:
        code = session.scalars(sa.select(Slot.code).where(Slot.code.like("13-%")).order_by(
            Slot.code)).first()
    saved = _paper(client, code.lower().replace("-", " - "))
    assert saved.status_code == 302
    with db.session() as session:
        response = session.scalars(sa.select(Response)).one()
        assert response.channel == "paper" and response.form_code == "CT-02"
        assert response.own_unit == "so-noi-vu"
        assert session.scalar(sa.select(Slot.status).where(Slot.code == code)) == "completed"
    again = _paper(client, code)
    assert again.status_code == 409
    assert "không nhập lại được" in again.get_data(as_text=True)
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1


def test_paper_entry_validates_like_the_phone_form(staff, db):
    client = staff("postoffice")
    with db.session() as session:
        code = session.scalars(sa.select(Slot.code).where(Slot.code.like("13-%"))).first()
    empty = _paper(client, code, fill=False)
    assert empty.status_code == 422
    assert "bắt buộc" in empty.get_data(as_text=True)
    bad = _paper(client, "13-0001-0")  # wrong check character
    assert bad.status_code == 400
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_paper_entry_of_an_online_answer_is_refused(staff, db, loaded):
    from .formwalk import Walk

    with db.session() as session:
        slot = session.scalars(sa.select(Slot).where(Slot.code.like("13-%"))).first()
    assert Walk(loaded.test_client(), slot.token).finish().status_code == 200
    refused = _paper(staff("postoffice"), slot.code)
    assert refused.status_code == 409


def test_progress_counts_hand_out_and_paper(staff, db):
    client = staff("postoffice")
    page = client.get("/staff/slots?group=I.3&unit=so-noi-vu").get_data(as_text=True)
    client.post("/staff/slots/hand-out", data={"csrf_token": _csrf(page), "group": "I.3",
                                               "unit": "so-noi-vu", "all": "1", "contact": "Sở Nội vụ"})
    code = re.findall(r'name="slot" value="([^"]+)"', page)[0]
    assert _paper(client, code).status_code == 302
    dashboard = client.get("/staff/progress").get_data(as_text=True)
    assert "<strong>1/1193</strong>" in dashboard
    assert "<svg" in dashboard and "<script" not in dashboard
    with db.session() as session:
        key = new_api_key(session, "analyst")
    data = loaded_api(client, key)
    assert data["total"]["planned"] == 1193
    assert data["total"]["handed_out"] == 15 and data["total"]["completed"] == 1
    cell = next(c for c in data["cells"] if c["group"] == "I.3" and c["unit"] == "so-noi-vu")
    assert cell == {"group": "I.3", "unit": "so-noi-vu", "planned": 15, "handed_out": 15,
                    "started": 1, "completed": 1}
    csv_text = client.get("/staff/progress.csv").get_data(as_text=True)
    assert "I.3,so-noi-vu,15,15,1,1" in csv_text
    xlsx = client.get("/staff/progress.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def loaded_api(client, key: str) -> dict:
    response = client.get("/api/v1/progress", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    return response.get_json()


def test_audit_log_records_actions_and_refuses_changes(staff, db):
    client = staff("postoffice")
    page = client.get("/staff/slots?group=I.3&unit=so-noi-vu").get_data(as_text=True)
    client.post("/staff/slots/hand-out", data={"csrf_token": _csrf(page), "group": "I.3",
                                               "unit": "so-noi-vu", "all": "1", "contact": "Sở"})
    client.get("/staff/slots/cards.csv?group=I.3&unit=so-noi-vu")
    with db.session() as session:
        actions = [e.action for e in session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-3:] == ["sign_in", "hand_out", "export_cards"]
    with pytest.raises(DBAPIError):
        with db.session() as session:
            session.execute(sa.update(AuditEntry).values(action="nothing"))
    with pytest.raises(DBAPIError):
        with db.session() as session:
            session.execute(sa.delete(AuditEntry))
    admin = staff("admin")
    log = admin.get("/staff/audit").get_data(as_text=True)
    assert "hand_out" in log and "export_cards" in log


def test_sign_in_failures_are_throttled(staff, loaded, db):
    client = loaded.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    for _ in range(5):
        wrong = client.post("/staff/login", data={"csrf_token": _csrf(page), "name": "postoffice",
                                                  "password": "sai-mat-khau"})
        assert wrong.status_code == 401
    blocked = client.post("/staff/login", data={"csrf_token": _csrf(page), "name": "postoffice",
                                                "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Xin thử lại sau 15 phút" in blocked.get_data(as_text=True)
    # Other accounts are not affected.
    assert staff("analyst").get("/staff/").status_code == 200


def test_admin_manages_users(staff, db):
    admin = staff("admin")
    page = admin.get("/staff/users").get_data(as_text=True)
    added = admin.post("/staff/users", data={"csrf_token": _csrf(page), "op": "add",
                                             "name": "buudien2", "role": "postoffice",
                                             "password": PASSWORD})
    assert added.status_code == 302
    short = admin.post("/staff/users", data={"csrf_token": _csrf(page), "op": "add", "name": "x",
                                             "role": "analyst", "password": "ngan"})
    assert short.status_code == 400
    admin.post("/staff/users", data={"csrf_token": _csrf(page), "op": "toggle", "name": "buudien2"})
    with db.session() as session:
        from survey_service.core.models import User
        assert session.scalar(sa.select(User.active).where(User.name == "buudien2")) is False
        actions = {e.action for e in session.scalars(sa.select(AuditEntry))}
    assert {"user_add", "user_inactive"} <= actions


def test_anonymous_visitor_sees_only_the_login_page(loaded):
    client = loaded.test_client()
    for url in ("/staff/", "/staff/progress", "/staff/slots", "/staff/paper", "/staff/audit"):
        response = client.get(url)
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert client.get("/staff/login").status_code == 200
