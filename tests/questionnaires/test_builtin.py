"""The built-in forms: the six of the 2020 Lai Châu plan and the citizens' form HL-01."""

from __future__ import annotations

import re
from collections import defaultdict
from importlib import resources
from pathlib import Path

import pytest

from questionnaires import (
    DataFileError,
    Form,
    Kind,
    builtin_form_codes,
    builtin_forms,
    load_builtin,
    load_form,
)

#: The forms of the PAR index survey, then the citizens' satisfaction form.
PAR_CODES = ("CT-01", "CT-02", "CT-03", "CH-01", "CH-02", "CH-03")
CODES = (*PAR_CODES, "HL-01")
FORMS_DIR = Path(str(resources.files("questionnaires") / "forms"))
#: Forms answered about other units, question by question (matrix), and about the
#: respondent's own unit (plain choices); CH-01 is a matrix of one unit.
MATRIX_FORMS = {"CT-01", "CT-03", "CH-01", "CH-02"}
OWN_UNIT_FORMS = {"CT-02", "CH-03"}
#: Scored questions about the respondent's own practice: no "Không biết" option.
OWN_PRACTICE = {("CT-02", "q12"), ("CT-02", "q13"), ("CH-03", "q12")}
HEADER = "Để phục vụ cho công tác đánh giá, xác định Chỉ số cải cách hành chính năm 2020"
DEFAULT_WEIGHTS = {
    "muc_do": {"rat_tot": 1.0, "tot": 0.75, "kha": 0.5, "trung_binh": 0.25, "kem": 0.0,
               "khong_biet": None},
    "co_khong": {"co": 1.0, "khong": 0.0, "khong_biet": None},
}


@pytest.fixture(scope="module")
def forms() -> dict[str, Form]:
    return {form.code: form for form in builtin_forms()}


def test_codes_in_stable_order():
    assert builtin_form_codes() == CODES
    assert [form.code for form in builtin_forms()] == list(CODES)


def test_forms_folder_holds_exactly_the_builtin_forms():
    assert sorted(path.stem for path in FORMS_DIR.glob("*.yaml")) == sorted(CODES)


@pytest.mark.parametrize("code", CODES)
def test_builtin_form_loads_from_its_file(code):
    form = load_form(FORMS_DIR / f"{code}.yaml")
    assert form == load_builtin(code)
    assert form.code == code
    assert form.version == "2020.1"


def test_unknown_builtin_form():
    with pytest.raises(DataFileError) as info:
        load_builtin("CT-09")
    assert info.value.codes == ["unknown_builtin_form"]
    assert "CT-01" in info.value.problems[0].message("en")


@pytest.mark.parametrize("code", PAR_CODES)
def test_introduction_has_the_header_and_promises_anonymity(forms, code):
    introduction = forms[code].introduction
    assert introduction is not None
    assert introduction.vi.startswith(HEADER)
    assert "đề nghị Ông/Bà vui lòng cho biết ý kiến" in introduction.vi
    assert "ẩn danh" in introduction.vi and "anonymous" in introduction.en
    for text in (introduction.vi, introduction.en):
        assert "link" in text or "đường dẫn" in text
        assert "device" in text or "thiết bị" in text


@pytest.mark.parametrize("code", PAR_CODES)
def test_size_and_background(forms, code):
    form = forms[code]
    scored = list(form.scored_questions())
    background = [q for q in form.questions() if q.kind is Kind.BACKGROUND]
    assert 10 <= len(scored) <= 16
    assert 2 <= len(background) <= 3
    assert all(not q.scored and q.answer_kind is Kind.CHOICE for q in background)


@pytest.mark.parametrize("code", PAR_CODES)
def test_who_rates_what(forms, code):
    for question in forms[code].scored_questions():
        if code in MATRIX_FORMS:
            assert question.kind is Kind.UNIT_RATING
            assert "{unit}" in question.label.vi and "{unit}" in question.label.en
        else:
            assert code in OWN_UNIT_FORMS
            assert question.kind is Kind.CHOICE


@pytest.mark.parametrize("code", PAR_CODES)
def test_scored_questions_offer_dont_know(forms, code):
    for question in forms[code].scored_questions():
        weights = {o.value: o.weight for o in question.options}
        if (code, question.code) in OWN_PRACTICE:
            assert None not in weights.values()
        else:
            assert weights.get("khong_biet", 1) is None, question.code
            assert question.option("khong_biet").label.vi == "Không biết"
        assert max(w for w in weights.values() if w is not None) == 1.0
        assert min(w for w in weights.values() if w is not None) == 0.0


@pytest.mark.parametrize("code", PAR_CODES)
def test_default_weights(forms, code):
    for question in forms[code].scored_questions():
        values = {o.value for o in question.options}
        for scale in DEFAULT_WEIGHTS.values():
            if values == set(scale):
                assert {o.value: o.weight for o in question.options} == scale


@pytest.mark.parametrize("code", PAR_CODES)
def test_criterion_codes(forms, code):
    for criterion in forms[code].criteria():
        match = re.fullmatch(r"TC([1-8])\.[1-9]", criterion)
        assert match, criterion
        if match.group(1) == "8":
            assert code.startswith("CH"), "impact (area 8) is rated for districts only"


@pytest.mark.parametrize("code", PAR_CODES)
def test_vietnamese_labels_have_diacritics(forms, code):
    form = forms[code]
    labels = [form.title, *(s.title for s in form.sections),
              *(q.label for q in form.questions()),
              *(o.label for q in form.questions() for o in q.options)]
    for label in labels:
        assert not label.vi.isascii(), label.vi
        assert label.en != label.vi


def test_conditions_in_builtin_forms(forms):
    q15 = forms["CT-02"].question("q15")
    assert q15.relevant is not None
    assert q15.relevant.is_met({"q14": "co"})
    assert not q15.relevant.is_met({"q14": "khong"})


def test_readme_criterion_table_matches_the_forms(forms):
    readme = (FORMS_DIR / "README.md").read_text(encoding="utf-8")
    documented = {}
    for line in readme.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells and re.fullmatch(r"TC\d+\.\d+", cells[0]):
            assert cells[0] not in documented, f"{cells[0]} is listed twice"
            assert cells[1] == cells[0][2:].split(".")[0], f"{cells[0]}: wrong area"
            documented[cells[0]] = [item.strip() for item in cells[-1].split(",")]
    fed_by = defaultdict(list)
    for form in forms.values():
        for question in form.scored_questions():
            fed_by[question.criterion].append(f"{form.code} {question.code}")
    assert documented == dict(fed_by)


def test_shared_criteria_across_forms(forms):
    # The worked example of design-notes.md: one department criterion fed by CT-01 and
    # CT-03 (staff attitude).
    staff = {f.code for f in forms.values() if "TC5.4" in f.criteria()}
    assert {"CT-01", "CT-03"} <= staff


# -- the citizens' and organisations' satisfaction form --------------------------------

SATISFACTION_AREAS = ["tiep_can", "thu_tuc", "cong_chuc", "ket_qua", "phan_anh"]
SATISFACTION_SCALE = {"1": 0.0, "2": 0.25, "3": 0.5, "4": 0.75, "5": 1.0, "kb": None}


def test_citizens_form_areas_and_scale(forms):
    form = forms["HL-01"]
    assert form.title.vi == ("Phiếu khảo sát sự hài lòng của người dân, tổ chức đối với sự "
                             "phục vụ của cơ quan hành chính nhà nước")
    assert [s.code for s in form.sections] == [*SATISFACTION_AREAS, "thong_tin"]
    assert form.criteria() == ()  # no part of the PAR index in the 2020 rules
    for section in form.sections[:5]:
        ratings = [q for q in section.questions if q.kind is Kind.UNIT_RATING]
        assert 3 <= len(ratings) <= 5, section.code
        for question in ratings:
            assert {o.value: o.weight for o in question.options} == SATISFACTION_SCALE
            assert [o.label.vi for o in question.options] == [
                "Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng",
                "Rất hài lòng", "Không biết"]
            assert "{unit}" in question.label.vi and "{unit}" in question.label.en
            assert question.required


def test_citizens_form_channels_and_background(forms):
    form = forms["HL-01"]
    channels = form.question("kenh")
    assert channels.kind is Kind.SELECT_MULTIPLE
    assert channels.answer_kind is Kind.SELECT_MULTIPLE and not channels.scored
    assert [o.value for o in channels.options] == ["truc_tiep", "buu_chinh", "truc_tuyen",
                                                   "khac"]
    assert channels.parse_answer(["truc_tuyen", "truc_tiep"]) == "truc_tiep truc_tuyen"
    background = [q for q in form.questions() if q.kind is Kind.BACKGROUND]
    assert [q.label.en for q in background] == [
        "You answer this form as", "Sex", "Age", "Education", "Ethnic group", "Occupation"]
    ethnic = [o.label.vi for o in form.question("b5").options]
    assert ethnic == ["Kinh", "Thái", "Mông", "Dao", "Hà Nhì", "Giáy", "Lự", "Dân tộc khác"]
    introduction = form.introduction
    assert introduction is not None
    assert "ẩn danh" in introduction.vi and "anonymous" in introduction.en


def test_citizens_form_labels_have_diacritics(forms):
    form = forms["HL-01"]
    for question in form.questions():
        assert not question.label.vi.isascii(), question.code
        assert question.label.en != question.label.vi
