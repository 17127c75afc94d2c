"""What careful testers found on the pages (issue 14), one test per finding.

1. switching language saves the page's answers first, without a script, both ways, on
   every kind of page; 2. every name the plan has in English shows in English; 3. every
   status and code shown to people is in words, in both languages; 4. required questions
   are announced, and the error page's title says how many answers need attention;
   5. the "I don't know this unit" box shows as it was saved and says what it does;
   6. staff pages read at 360 px (tables scroll in their own box, chart text ≥ 11 px);
   8. the small things, and the paper sheet in the sections of the phone form.
   (7, the API, is tests/survey_service/test_api_contract.py.)
"""

from __future__ import annotations

import html as htmllib
import re
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa

import sampling
from sampling.slots import status_label
from survey_service.accounts.operations import add_user
from survey_service.core.models import Draft, QuotaPlace, RespondentGroup, Response, Slot
from survey_service.respondent.operations import save_page
from survey_service.respondent.pages import RatedUnit, answer_key, build_pages

from .formwalk import parse

PASSWORD = "mat-khau-dai-du"
PLAN = sampling.load_plan()
#: CT-01 (group I.1, rating the 20 departments): intro, background, 20 units, comments, review.
INTRO, BACKGROUND, UNIT, COMMENTS, REVIEW = 0, 1, 2, 22, 23
PAGE_KINDS = {"intro": INTRO, "questions": BACKGROUND, "unit": UNIT, "text": COMMENTS, "review": REVIEW}
#: The column of a staff page at 360 px: the viewport less the page's padding (2 × 12 px).
PHONE_COLUMN_PX = 360 - 2 * 12
SMALLEST_TEXT_PX = 11


# --------------------------------------------------------------------------- helpers


def _token(db, group: str = "I.1", index: int = 0) -> str:
    with db.session() as session:
        return session.scalars(
            sa.select(Slot.token).join(QuotaPlace, Slot.place_id == QuotaPlace.id)
            .join(RespondentGroup, QuotaPlace.group_id == RespondentGroup.id)
            .where(RespondentGroup.code == group).order_by(Slot.id).offset(index).limit(1)).one()


def _pages(group: str = "I.1", unit: str | None = None):
    form = PLAN.forms[PLAN.group(group).form]
    return form, build_pages(form, [RatedUnit(u.code, u.name) for u in PLAN.rated_units(group, unit)])


def _open_up_to_review(db, token: str) -> dict[str, str]:
    """Store a draft of the I.1 slot that has reached the review page, with the first
    option of every question; returns those answers."""
    form, pages = _pages()
    answers = {answer_key(q, p.unit): q.options[0].value for p in pages for q in p.questions() if q.options}
    with db.session() as session:
        slot_id = session.scalar(sa.select(Slot.id).where(Slot.token == token))
        assert save_page(session, slot_id, form.content_hash, answers, len(pages) - 1, len(pages) - 1)
    return answers


def _draft(db, token: str) -> dict[str, str]:
    with db.session() as session:
        return dict(session.scalars(sa.select(Draft.answers).join(Slot, Draft.slot_id == Slot.id)
                                    .where(Slot.token == token)).one())


def _text(html: str) -> str:
    """The page's text as read (tags dropped, entities decoded)."""
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", html))


def _title(html: str) -> str:
    return htmllib.unescape(re.search(r"<title>(.*?)</title>", html, re.S).group(1)).strip()


def _tags(html: str, tag: str) -> list[dict[str, str]]:
    """The attributes of every ``tag`` of the page."""
    return [{k: htmllib.unescape(v or "") for k, v in re.findall(r'([\w:-]+)(?:="([^"]*)")?', attrs)}
            for attrs in re.findall(rf"<{tag}\b([^>]*)>", html)]


def _form_action(html: str) -> str:
    return htmllib.unescape(re.search(r'<form\b[^>]*action="([^"]+)"', html).group(1))


def _lang_button(html: str, lang: str) -> dict[str, str]:
    """The language switch of a form page: a submit button of the page's form."""
    buttons = [b for b in _tags(html, "button") if b.get("value") == f"lang-{lang}"]
    assert len(buttons) == 1, f"no single button switching to {lang}"
    return buttons[0]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


@pytest.fixture
def sign_in(loaded, db):
    """``sign_in(role)``: a client of a new user of that role, signed in."""
    made: set[str] = set()

    def signed_in(role: str):
        if role not in made:
            with db.session() as session:
                add_user(session, role, role, PASSWORD)
            made.add(role)
        client = loaded.test_client()
        page = client.get("/staff/login").get_data(as_text=True)
        response = client.post("/staff/login", data={"csrf_token": _csrf(page), "name": role,
                                                     "password": PASSWORD})
        assert response.status_code == 302
        return client

    return signed_in


# --------------------------------------------------------------------------- 1. language switch


@pytest.mark.parametrize("kind", list(PAGE_KINDS))
@pytest.mark.parametrize("source,target", [("vi", "en"), ("en", "vi")])
def test_switching_language_saves_the_page_first(loaded, db, client, kind, source, target):
    token = _token(db)
    _open_up_to_review(db, token)
    index = PAGE_KINDS[kind]
    html = client.get(f"/s/{token}?p={index}&lang={source}").get_data(as_text=True)
    button = _lang_button(html, target)
    form_id = re.search(r'<form\b[^>]*\bid="([^"]+)"', html).group(1)
    assert button.get("form") == form_id and button.get("lang") == target
    # Change every answer of the page (the last option; a new text), then switch.
    page = parse(html)
    data = {**page.hidden, **{name: options[-1] for name, options in page.radios.items()},
            **{name: "Ý kiến thêm" for name in page.texts}, "action": f"lang-{target}"}
    moved = client.post(_form_action(html), data=data)
    assert moved.status_code == 303, moved.status_code
    location = moved.headers["Location"]
    assert f"p={index}" in location and f"lang={target}" in location
    saved = _draft(db, token)
    _, pages = _pages()
    unit = pages[index].unit
    for name, options in page.radios.items():
        assert saved[answer_key(name, unit)] == options[-1], name
    for name in page.texts:
        assert saved[answer_key(name, unit)] == "Ý kiến thêm"
    shown = client.get(location).get_data(as_text=True)
    assert f'<html lang="{target}"' in shown
    again = parse(shown)
    assert again.checked == {name: options[-1] for name, options in page.radios.items()}
    assert all(again.texts[name] == "Ý kiến thêm" for name in page.texts)
    assert ("Next" if target == "en" else "Tiếp tục") in shown or kind == "review"
    _lang_button(shown, source)  # and back again from there


def test_switching_language_keeps_an_answer_that_needs_fixing(loaded, db, client):
    token = _token(db)
    _open_up_to_review(db, token)
    html = client.get(f"/s/{token}?p={COMMENTS}").get_data(as_text=True)
    data = {**parse(html).hidden, "y1": "dòng một\x0bdòng hai", "action": "lang-en"}
    shown = client.post(_form_action(html), data=data)
    # Shown again in English with the text kept and the reason, nothing thrown away.
    assert shown.status_code == 422
    page = shown.get_data(as_text=True)
    assert '<html lang="en"' in page and "dòng mộtdòng hai" in page
    assert parse(page).texts["y1"] == "dòng mộtdòng hai"
    assert _lang_button(page, "vi")


def test_switching_language_on_a_half_answered_page_does_not_complain(loaded, db, client):
    token = _token(db)
    _open_up_to_review(db, token)
    with db.session() as session:  # a fresh unit page: nothing answered there yet
        draft = session.scalars(sa.select(Draft)).one()
        draft.answers = {k: v for k, v in draft.answers.items() if not k.endswith("@so-noi-vu")}
    html = client.get(f"/s/{token}?p={UNIT}").get_data(as_text=True)
    data = {**parse(html).hidden, "q01": "tot", "action": "lang-en"}
    moved = client.post(_form_action(html), data=data)
    assert moved.status_code == 303  # the required questions left open are no error yet
    assert _draft(db, token)["q01@so-noi-vu"] == "tot"
    assert parse(client.get(moved.headers["Location"]).get_data(as_text=True)).checked == {"q01": "tot"}


def test_pages_without_a_form_keep_a_plain_link(loaded, db, client):
    from sampling.slots import new_token

    for url in (f"/s/{new_token()}", "/", "/staff/login"):
        html = client.get(url + "?lang=vi").get_data(as_text=True)
        links = [a for a in _tags(html, "a") if a.get("hreflang") == "en"]
        assert len(links) == 1 and links[0].get("lang") == "en", url
        english = client.get(url + "?lang=en").get_data(as_text=True)
        links = [a for a in _tags(english, "a") if a.get("hreflang") == "vi"]
        assert len(links) == 1 and links[0].get("lang") == "vi", url


def test_the_paper_sheet_switches_language_keeping_what_was_typed(sign_in, db):
    client = sign_in("postoffice")
    with db.session() as session:
        code = session.scalars(sa.select(Slot.code).where(Slot.code.like("11-%")).order_by(Slot.code)).first()
    url = f"/staff/paper/{code}"
    form = parse(client.get(url + "?lang=vi").get_data(as_text=True))
    html = client.post(url, data={**form.hidden, **{n: o[0] for n, o in form.radios.items()},
                                  "action": "next"}).get_data(as_text=True)
    form = parse(html)
    typed = {n: o[-1] for n, o in form.radios.items()}
    button = _lang_button(html, "en")
    assert button.get("form") == "f" and button.get("lang") == "en"
    english = client.post(url, data={**form.hidden, **typed, "action": "lang-en"})
    assert english.status_code == 200
    page = english.get_data(as_text=True)
    assert '<html lang="en"' in page and parse(page).checked == typed
    back = client.post(url, data={**parse(page).hidden, "action": "back"}).get_data(as_text=True)
    assert '<html lang="en"' in back and len(parse(back).checked) == 3  # the first section kept too


# --------------------------------------------------------------------------- 2. names in English


def test_the_intro_names_the_group_in_the_page_language(loaded, db, client):
    token = _token(db)
    group = PLAN.group("I.1").name
    english = _text(client.get(f"/s/{token}?lang=en").get_data(as_text=True))
    assert group.en in english and group.vi not in english
    assert group.vi in _text(client.get(f"/s/{token}").get_data(as_text=True))


def test_the_progress_page_and_its_charts_name_groups_in_english(sign_in):
    client = sign_in("analyst")
    html = client.get("/staff/progress?lang=en").get_data(as_text=True)
    text = _text(html)
    charts = re.findall(r"<svg\b.*?</svg>", html, re.S)
    spoken = " ".join(htmllib.unescape(" ".join(re.findall(r'aria-label="([^"]*)"', svg)
                                                 + re.findall(r"<(?:title|desc)>(.*?)</", svg)))
                      for svg in charts)
    for group in PLAN.groups:
        if not group.quota.is_fixed_size:
            continue
        assert group.name.en in text, group.code
        assert group.name.vi not in text, group.code
        assert group.name.en in spoken, group.code  # what a screen reader reads of the chart
    vietnamese = _text(client.get("/staff/progress?lang=vi").get_data(as_text=True))
    assert PLAN.group("II.4").name.vi in vietnamese


def test_the_paper_sheet_names_the_group_in_english(sign_in, db):
    client = sign_in("postoffice")
    with db.session() as session:
        code = session.scalars(sa.select(Slot.code).where(Slot.code.like("11-%")).order_by(Slot.code)).first()
    text = _text(client.get(f"/staff/paper/{code}?lang=en").get_data(as_text=True))
    assert PLAN.group("I.1").name.en in text and PLAN.group("I.1").name.vi not in text


def test_one_lookup_gives_every_name(loaded):
    from survey_service.fieldwork.card_content import card_for
    from survey_service.fieldwork.queries import SlotRow

    group = PLAN.group("II.4")
    assert sampling.name_in(group, "en") == group.name.en
    assert sampling.name_in(group, "vi") == group.name.vi
    unit = PLAN.unit("xa-then-sin")
    assert sampling.name_in(unit, "en") == unit.name  # the plan has units in Vietnamese only
    assert sampling.name_in(PLAN, "en") == PLAN.title.en
    row = SlotRow("24-0001-X", "II.4", "CH-03", "xa-then-sin", unit.name, "huyen-tam-duong",
                  "http://survey.test/s/x", "issued")
    assert card_for(row, PLAN, "en").group_name == group.name.en


# --------------------------------------------------------------------------- 3. statuses in words


def test_slot_statuses_and_roles_are_shown_in_words(sign_in, db):
    with db.session() as session:
        slots = session.scalars(sa.select(Slot).where(Slot.code.like("13-%")).order_by(Slot.code)
                                .limit(15)).all()
        slots[0].status, slots[1].status = "completed", "handed_out"
    client = sign_in("admin")
    for lang in ("vi", "en"):
        html = client.get(f"/staff/slots?group=I.3&unit=so-noi-vu&lang={lang}").get_data(as_text=True)
        cells = [htmllib.unescape(c).strip() for c in re.findall(r"<td>([^<]*)</td>", html)]
        for status in ("completed", "handed_out", "issued"):
            assert status_label(status).get(lang) in cells, (lang, status)
        if lang == "vi":
            assert not {"completed", "handed_out", "issued"} & set(cells)
        nav = re.search(r'<nav class="staff".*?</nav>', html, re.S).group(0)
        assert ("quản trị" if lang == "vi" else "administrator") in _text(nav)
    users = _text(client.get("/staff/users?lang=vi").get_data(as_text=True))
    assert "quản trị" in users


# --------------------------------------------------------------------------- 4. required answers


def test_required_questions_are_announced(loaded, db, client):
    token = _token(db)
    _open_up_to_review(db, token)
    for lang in ("vi", "en"):
        unit_page = client.get(f"/s/{token}?p={UNIT}&lang={lang}").get_data(as_text=True)
        groups = _tags(unit_page, "fieldset")
        assert len(groups) == 12
        assert all(g.get("role") == "radiogroup" and g.get("aria-required") == "true" for g in groups)
        background = client.get(f"/s/{token}?p={BACKGROUND}&lang={lang}").get_data(as_text=True)
        assert all(g.get("aria-required") is None for g in _tags(background, "fieldset"))  # optional


@pytest.mark.parametrize("lang,title,summary", [
    ("vi", "Lỗi: 2 câu cần bổ sung hoặc sửa · CT-01 · 3/24", "Có 2 câu cần bổ sung hoặc sửa"),
    ("en", "Error: 2 answers need attention · CT-01 · 3/24", "2 answers need to be given or corrected"),
])
def test_the_error_page_title_says_how_many_answers_need_attention(loaded, db, client, lang, title,
                                                                   summary):
    token = _token(db)
    _open_up_to_review(db, token)
    html = client.get(f"/s/{token}?p={UNIT}&lang={lang}").get_data(as_text=True)
    assert _title(html) == "CT-01 · 3/24"
    page = parse(html)
    data = {**page.hidden, **{n: o[0] for n, o in page.radios.items() if n not in ("q02", "q07")},
            "action": "next"}
    shown = client.post(_form_action(html), data=data)
    assert shown.status_code == 422
    error_page = shown.get_data(as_text=True)
    assert _title(error_page) == title
    alert = re.search(r'<p class="error" role="alert">(.*?)</p>', error_page, re.S).group(1)
    assert alert.startswith(summary)  # no leading space in English
    one = client.post(_form_action(html), data={**data, "q07": "tot"}).get_data(as_text=True)
    assert _title(one).startswith("Lỗi: 1 câu" if lang == "vi" else "Error: 1 answer needs")


# --------------------------------------------------------------------------- 5. the unit box


def test_the_unknown_unit_box_is_shown_as_saved_and_says_what_it_does(loaded, db, client):
    token = _token(db)
    _open_up_to_review(db, token)
    with db.session() as session:
        draft = session.scalars(sa.select(Draft)).one()
        draft.answers = {k: v for k, v in draft.answers.items() if not k.endswith("@so-noi-vu")}
    html = client.get(f"/s/{token}?p={UNIT}").get_data(as_text=True)
    (box,) = [i for i in _tags(html, "input") if i.get("type") == "checkbox"]
    assert "checked" not in box
    # It says what it will do, next to it, before it is ticked.
    help_id = box["aria-describedby"]
    said = _text(re.search(rf'id="{help_id}"[^>]*>(.*?)</', html, re.S).group(1))
    assert "Không biết" in said and "thay" in said
    data = {**parse(html).hidden, "q01": "rat_tot", "_khong_biet_don_vi": "1", "action": "next"}
    assert client.post(_form_action(html), data=data).status_code == 303
    back = client.get(f"/s/{token}?p={UNIT}").get_data(as_text=True)
    (box,) = [i for i in _tags(back, "input") if i.get("type") == "checkbox"]
    assert "checked" in box  # as saved
    assert set(parse(back).checked.values()) == {"khong_biet"}
    # Unticked, with answers chosen: the answers count, and the box shows unticked.
    answers = {name: options[0] for name, options in parse(back).radios.items()}
    assert client.post(_form_action(back), data={**parse(back).hidden, **answers,
                                                  "action": "next"}).status_code == 303
    again = client.get(f"/s/{token}?p={UNIT}").get_data(as_text=True)
    assert "checked" not in [i for i in _tags(again, "input") if i.get("type") == "checkbox"][0]
    assert parse(again).checked == answers


# --------------------------------------------------------------------------- 6. staff pages on a phone


def _svg_text_px(svg: str, column_px: float = PHONE_COLUMN_PX) -> float:
    """The smallest text of a chart, in CSS px, once it is scaled to fill ``column_px``."""
    root = ET.fromstring(svg)
    view_width = float(root.get("viewBox").split()[2])
    sizes = [float(e.get("font-size")) for e in root.iter() if e.get("font-size")]
    return min(sizes) * column_px / view_width


def _staff_pages(sign_in, db) -> dict[str, str]:
    client = sign_in("admin")
    with db.session() as session:
        code = session.scalars(sa.select(Slot.code).where(Slot.code.like("11-%")).order_by(Slot.code)).first()
    return {url: client.get(url).get_data(as_text=True) for url in (
        "/staff/", "/staff/progress", "/staff/slots?group=I.3&unit=so-noi-vu", "/staff/users",
        "/staff/audit", f"/staff/paper/{code}")}


def test_staff_tables_scroll_in_their_own_box(sign_in, db):
    for url, html in _staff_pages(sign_in, db).items():
        assert re.search(r"\.scroll\{[^}]*overflow-x:auto", html), url
        for match in re.finditer(r"<table\b", html):
            before = html[:match.start()]
            opened = before.rfind('<div class="scroll"')
            assert opened != -1 and before.rfind("</div>") < opened, (url, "a table outside a scroll box")
            box = _tags(html[opened:match.start()], "div")[0]
            assert box.get("tabindex") == "0" and box.get("role") == "region" and box.get("aria-label")


def test_progress_charts_keep_11px_text_on_a_phone(sign_in):
    html = sign_in("analyst").get("/staff/progress").get_data(as_text=True)
    charts = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(charts) == 2
    for svg in charts:
        assert _svg_text_px(svg) >= SMALLEST_TEXT_PX


def test_the_report_reads_on_a_phone(sign_in, db, loaded):
    """The report page (results): its tables scroll in their own box, its charts keep
    11 px text at 360 px."""
    from .formwalk import Walk

    with db.session() as session:
        tokens = list(session.scalars(sa.select(Slot.token).where(Slot.code.like("13-%"))
                                      .order_by(Slot.id).limit(3)))
    for token in tokens:
        assert Walk(loaded.test_client(), token).finish(choose=lambda n, o: o[1]).status_code == 200
    html = sign_in("analyst").get("/staff/report").get_data(as_text=True)
    charts = re.findall(r"<svg\b.*?</svg>", html, re.S)
    tables = list(re.finditer(r"<table\b", html))
    assert charts and tables
    for match in tables:
        before = html[:match.start()]
        opened = before.rfind('<div class="scroll"')
        assert opened != -1 and before.rfind("</div>") < opened, "a table of the report outside a scroll box"
    for svg in charts:
        assert _svg_text_px(svg) >= SMALLEST_TEXT_PX, f"report chart text at {_svg_text_px(svg):.1f} px"


# --------------------------------------------------------------------------- 8. small things


def test_back_comes_before_next(loaded, db, client):
    token = _token(db)
    _open_up_to_review(db, token)
    for index in (BACKGROUND, UNIT, REVIEW):
        html = client.get(f"/s/{token}?p={index}").get_data(as_text=True)
        nav = re.search(r'<div class="nav">(.*?)</div>', html, re.S).group(1)
        values = [b.get("value") for b in _tags(nav, "button")]
        assert values == ["back", "send" if index == REVIEW else "next"], values


def test_every_form_page_has_one_h1(loaded, db, client):
    token = _token(db)
    _open_up_to_review(db, token)
    for index in range(REVIEW + 1):
        html = client.get(f"/s/{token}?p={index}").get_data(as_text=True)
        assert html.count("<h1") == 1, index


def test_landmarks_are_labelled_and_headers_never_empty(sign_in, db, loaded):
    pages = _staff_pages(sign_in, db)
    pages["/s/"] = loaded.test_client().get(f"/s/{_token(db)}").get_data(as_text=True)
    for url, html in pages.items():
        navs = _tags(html, "nav")
        assert navs and all(n.get("aria-label") for n in navs), url
        assert len({n["aria-label"] for n in navs}) == len(navs), url
        for header in re.findall(r"<th\b[^>]*>(.*?)</th>", html, re.S):
            assert _text(header).strip(), (url, "an empty table header")


def _paper_sheet(client, code: str, *, lang: str = "vi"):
    return client.get(f"/staff/paper/{code}?lang={lang}")


def test_the_paper_sheet_comes_in_the_sections_of_the_phone_form(sign_in, db):
    client = sign_in("postoffice")
    with db.session() as session:
        code = session.scalars(sa.select(Slot.code).where(Slot.code.like("11-%")).order_by(Slot.code)).first()
    _, pages = _pages()
    sections = [p for p in pages if p.kind not in ("intro", "review")]
    required = sum(1 for p in sections for q in p.questions() if q.required)
    html = _paper_sheet(client, code).get_data(as_text=True)
    url = f"/staff/paper/{code}"
    # One section at a time, with the list of every section and what is still missing.
    assert len(re.findall(r'<button[^>]*name="action" value="goto-\d+"', html)) == len(sections)
    assert len(_tags(html, "fieldset")) == len(sections[0].questions())
    missing = re.search(r'data-missing="(\d+)"', html)
    assert int(missing.group(1)) == required
    # Section by section: each Next carries the answers so far, and the total goes down.
    for number in range(len(sections)):
        form = parse(html)
        data = {**form.hidden, **{n: o[0] for n, o in form.radios.items()},
                "action": "next" if number < len(sections) - 1 else "save"}
        response = client.post(url, data=data)
        if number == len(sections) - 1:
            assert response.status_code == 302
            break
        assert response.status_code == 200, (number, response.status_code)
        html = response.get_data(as_text=True)
        done = sum(1 for p in sections[:number + 1] for q in p.questions() if q.required)
        assert int(re.search(r'data-missing="(\d+)"', html).group(1)) == required - done
    with db.session() as session:
        assert session.scalar(sa.select(Slot.status).where(Slot.code == code)) == "completed"
        response_row = session.scalars(sa.select(Response)).one()
        assert response_row.channel == "paper"
        assert len({a.rated_unit for a in response_row.answers if a.rated_unit}) == 20


def test_the_paper_sheet_keeps_answers_when_moving_back_and_saves_only_when_complete(sign_in, db):
    client = sign_in("postoffice")
    with db.session() as session:
        code = session.scalars(sa.select(Slot.code).where(Slot.code.like("13-%")).order_by(Slot.code)).first()
    url = f"/staff/paper/{code}"
    html = _paper_sheet(client, code).get_data(as_text=True)
    form = parse(html)
    first = {n: o[-1] for n, o in form.radios.items()}
    html = client.post(url, data={**form.hidden, **first, "action": "next"}).get_data(as_text=True)
    back = client.post(url, data={**parse(html).hidden, "action": "back"})
    assert back.status_code == 200 and parse(back.get_data(as_text=True)).checked == first
    # Saving with sections left open goes to the first gap, says so, and stores nothing.
    refused = client.post(url, data={**parse(back.get_data(as_text=True)).hidden, **first, "action": "save"})
    assert refused.status_code == 422
    assert "bắt buộc" in refused.get_data(as_text=True)
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0
