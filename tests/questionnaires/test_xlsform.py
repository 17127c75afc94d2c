"""XLSForm export (checked with pyxform), round trips and import of ODK-style workbooks."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from typing import Any

import openpyxl
import pytest
from pyxform.xls2xform import convert

from questionnaires import (
    Condition,
    DataFileError,
    Form,
    Kind,
    Op,
    builtin_form_codes,
    from_xlsform,
    load_builtin,
    load_form_text,
    to_xlsform,
)
from questionnaires.workbooks import check_workbook, workbook_modified


def export(form: Form) -> bytes:
    buffer = io.BytesIO()
    to_xlsform(form, buffer)
    return buffer.getvalue()


def workbook(survey: Sequence[Sequence[Any]], choices: Sequence[Sequence[Any]] = (),
             settings: Sequence[Sequence[Any]] | None = None) -> io.BytesIO:
    """An XLSForm workbook from rows (the first row of each sheet is its header)."""
    book = openpyxl.Workbook()
    sheets = {"survey": survey, "choices": choices}
    if settings is not None:
        sheets["settings"] = settings
    for index, (name, rows) in enumerate(sheets.items()):
        sheet = book.active if index == 0 else book.create_sheet(name)
        sheet.title = name
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def compile_xlsform(data: bytes) -> str:
    """Compile with pyxform; fail on any pyxform warning."""
    warnings: list[str] = []
    result = convert(data, file_type=".xlsx", warnings=warnings)
    assert warnings == []
    return result.xform


SETTINGS = [["form_title", "form_id", "version", "default_language", "par_title_en"],
            ["Phiếu ODK", "odk_form", 2024031501, "Vietnamese (vi)", "ODK form"]]


# -- export and round trip -------------------------------------------------------------

@pytest.mark.parametrize("code", builtin_form_codes())
def test_builtin_form_is_valid_xlsform(code):
    form = load_builtin(code)
    xform = compile_xlsform(export(form))
    assert f'id="{code}"' in xform and 'version="2020.1"' in xform
    for question in form.questions():
        assert f"/{question.code}" in xform


@pytest.mark.parametrize("code", builtin_form_codes())
def test_builtin_form_round_trips(code):
    form = load_builtin(code)
    again = from_xlsform(io.BytesIO(export(form)))
    assert again == form
    assert again.to_dict() == form.to_dict()
    assert again.content_hash == form.content_hash


def test_sample_form_is_valid_and_round_trips(sample_form, tmp_path):
    compile_xlsform(export(sample_form))
    path = tmp_path / "sample.xlsx"
    to_xlsform(sample_form, path)
    assert from_xlsform(path) == sample_form
    assert from_xlsform(str(path)) == sample_form


def test_exported_sheets(sample_form):
    book = openpyxl.load_workbook(io.BytesIO(export(sample_form)))
    assert book.sheetnames == ["survey", "choices", "settings"]
    survey = [dict(zip(next(book["survey"].iter_rows(values_only=True)), row))
              for row in book["survey"].iter_rows(min_row=2, values_only=True)]
    by_name = {row["name"]: row for row in survey if row["name"]}
    assert by_name["introduction"]["type"] == "note"
    assert by_name["A"]["type"] == "begin_group"
    assert by_name["q02"]["type"] == "select_one q02"
    assert by_name["q02"]["par_kind"] == "unit_rating"
    assert by_name["q02"]["par_criterion"] == "TC1.1"
    assert by_name["q02"]["relevant"] == "${q01} = 'co'"
    assert by_name["q02"]["required"] == "yes"
    assert by_name["b1"]["type"] == "integer" and by_name["b1"]["par_kind"] == "background"
    assert by_name["b1"]["constraint"] == ". >= 0 and . <= 45"
    assert by_name["q03"]["type"] == "decimal"
    assert by_name["q04"]["constraint"] == "string-length(.) <= 20"
    assert by_name["q04"]["relevant"] == "${q03} >= 2"
    assert [row["type"] for row in survey].count("end_group") == 2
    choices = [row for row in book["choices"].iter_rows(min_row=2, values_only=True)]
    assert ("q02", "khong_biet", "Không biết", "Don't know", None) in choices
    assert ("q01", "co", "Có", "Yes", 1) in choices
    settings = list(book["settings"].iter_rows(values_only=True))
    assert dict(zip(*settings)) == {
        "form_title": "Phiếu thử", "form_id": "TEST-01", "version": "1",
        "default_language": "Vietnamese (vi)", "par_title_en": "Test form"}


def test_shared_options_become_one_list():
    form = load_builtin("CT-01")
    book = openpyxl.load_workbook(io.BytesIO(export(form)))
    lists = {row[0] for row in book["choices"].iter_rows(min_row=2, values_only=True)}
    # q01 names the 5-level scale used by most questions; b1, b2, b3, q04, q05, q06 have
    # their own sets.
    assert lists == {"b1", "b2", "b3", "q01", "q04", "q05", "q06"}


def test_in_condition_and_formula_like_label_round_trip(sample_yaml):
    text = (sample_yaml.replace('op: "=", value: co', "op: in, value: [co, khong]")
            .replace('vi: "Ý kiến khác"', 'vi: "= ý kiến khác"'))
    form = load_form_text(text)
    data = export(form)
    compile_xlsform(data)
    again = from_xlsform(io.BytesIO(data))
    assert again == form
    assert again.question("q02").relevant == Condition("q01", Op.IN, ("co", "khong"))
    assert again.question("q04").label.vi == "= ý kiến khác"


# -- import of ODK / Kobo workbooks ----------------------------------------------------

ODK_SURVEY = [
    ["type", "name", "label", "label::English (en)", "hint", "hint::English (en)", "required",
     "relevant", "constraint", "appearance"],
    ["start", "start"],
    ["end", "end"],
    ["note", "welcome", "Chào mừng Ông/Bà", "Welcome"],
    ["text", "ykien", "Ý kiến", "Comment", "Ghi ngắn gọn", "Keep it short", None, None,
     "string-length(.) <= 100"],
    ["begin group", "ttc", "Thông tin chung", "General", None, None, None, None, None,
     "field-list"],
    ["integer", "tuoi", "Số năm công tác", "Years in the post", None, None, "yes", None,
     ". >= 0 and . <= 40"],
    ["select one yesno", "co_hd", "Có hướng dẫn không?", "Any guidance?", None, None, "TRUE"],
    ["note", "mid", "Ghi chú giữa phiếu", "A note"],
    ["select_one danhgia", "danh_gia", "Đánh giá", "Rating", None, None, "yes",
     "${co_hd} = 'yes'"],
    ["decimal", "diem", "Điểm", "Score", None, None, None,
     "selected(${co_hd}, 'no') or ${co_hd} = 'dk'", ". >= 0.5"],
    ["text", "them", "Thêm", "More", None, None, "no", "${tuoi} > 3"],
    ["end group"],
]
ODK_CHOICES = [
    ["list_name", "name", "label", "label::English (en)"],
    ["yesno", "yes", "Có", "Yes"],
    ["yesno", "no", "Không", "No"],
    ["yesno", "dk", "Không biết", "Don't know"],
    ["danhgia", 1, "Tốt", "Good"],
    ["danhgia", 2, "Kém", "Poor"],
]


def test_odk_workbook_is_valid_xlsform():
    compile_xlsform(workbook(ODK_SURVEY, ODK_CHOICES, SETTINGS).getvalue())


def test_odk_workbook_imports():
    form = from_xlsform(workbook(ODK_SURVEY, ODK_CHOICES, SETTINGS))
    assert (form.code, form.version) == ("odk_form", "2024031501")
    assert (form.title.vi, form.title.en) == ("Phiếu ODK", "ODK form")
    assert form.introduction is not None and form.introduction.en == "Welcome"
    assert [s.code for s in form.sections] == ["s1", "ttc"]
    assert [q.code for q in form.questions()] == ["ykien", "tuoi", "co_hd", "danh_gia",
                                                   "diem", "them"]
    ykien, tuoi, co_hd, danh_gia, diem, them = form.questions()
    assert ykien.kind is Kind.TEXT and ykien.max_length == 100
    assert (tuoi.kind, tuoi.integer, tuoi.minimum, tuoi.maximum) == (Kind.NUMBER, True, 0, 40)
    assert tuoi.required and co_hd.required and not them.required
    assert [o.value for o in danh_gia.options] == ["1", "2"]
    assert all(o.weight is None for o in danh_gia.options) and not danh_gia.scored
    assert danh_gia.relevant == Condition("co_hd", Op.EQ, "yes")
    assert (diem.integer, diem.minimum, diem.maximum) == (False, 0.5, None)
    assert diem.relevant == Condition("co_hd", Op.IN, ("no", "dk"))
    assert them.relevant == Condition("tuoi", Op.GT, 3)
    assert co_hd.option("dk").label.vi == "Không biết"


def test_odk_workbook_with_language_columns_and_weights():
    survey = [["type", "name", "label::Vietnamese (vi)", "label::English (en)",
               "par_criterion"],
              ["begin_group", "g", "Nhóm", "Group"],
              ["select_one yn", "a", "Câu A", "Question A", "TC1.1"],
              ["end_group"]]
    choices = [["list name", "name", "label::Tiếng Việt", "label::English", "weight"],
               ["yn", "y", "Có", "Yes", "1"],
               ["yn", "n", "Không", "No", 0],
               ["yn", "dk", "Không biết", "Don't know", None]]
    form = from_xlsform(workbook(survey, choices, SETTINGS))
    question = form.question("a")
    assert question.criterion == "TC1.1"
    assert [o.weight for o in question.options] == [1.0, 0.0, None]


BASE_SURVEY_HEADER = ["type", "name", "label::Vietnamese (vi)", "label::English (en)",
                      "required", "relevant", "constraint", "calculation", "choice_filter",
                      "par_kind"]
BASE_CHOICES = [["list_name", "name", "label::Vietnamese (vi)", "label::English (en)"],
                ["yn", "y", "Có", "Yes"], ["yn", "n", "Không", "No"]]


def survey_with(row: dict[str, Any]) -> tuple[list[list[Any]], int]:
    """A small valid survey with ``row`` inserted in its group; returns the rows and
    the inserted row's number in the sheet."""
    rows = [BASE_SURVEY_HEADER,
            ["begin_group", "g", "Nhóm", "Group"],
            ["select_one yn", "a", "Câu A", "Question A"]]
    rows.append([row.get(column) for column in BASE_SURVEY_HEADER])
    number = len(rows)
    rows.append(["end_group"])
    return rows, number


REFUSED_ROWS = [
    pytest.param({"type": "rank yn", "name": "b", "label::Vietnamese (vi)": "B",
                  "label::English (en)": "B"}, "xlsform_unsupported_type", id="rank"),
    pytest.param({"type": "begin_repeat", "name": "r", "label::Vietnamese (vi)": "R",
                  "label::English (en)": "R"}, "xlsform_unsupported_type", id="repeat"),
    pytest.param({"type": "calculate", "name": "c", "calculation": "1 + 1"},
                 "xlsform_unsupported_type", id="calculate"),
    pytest.param({"type": "geopoint", "name": "gp", "label::Vietnamese (vi)": "Vị trí",
                  "label::English (en)": "Location"}, "xlsform_unsupported_type",
                 id="geopoint"),
    pytest.param({"type": "text", "name": "t", "label::Vietnamese (vi)": "T",
                  "label::English (en)": "T", "relevant": "${a} = 'y' and ${a} != 'n'"},
                 "xlsform_bad_relevant", id="relevant-with-and"),
    pytest.param({"type": "text", "name": "t", "label::Vietnamese (vi)": "T",
                  "label::English (en)": "T", "relevant": "${a} = 'y' or ${g} = 'n'"},
                 "xlsform_bad_relevant", id="relevant-or-on-two-questions"),
    pytest.param({"type": "text", "name": "t", "label::Vietnamese (vi)": "T",
                  "label::English (en)": "T", "relevant": "not(${a} = 'y')"},
                 "xlsform_bad_relevant", id="relevant-not"),
    pytest.param({"type": "text", "name": "t", "label::Vietnamese (vi)": "T",
                  "label::English (en)": "T", "required": "${a} = 'y'"},
                 "xlsform_bad_required", id="required-expression"),
    pytest.param({"type": "integer", "name": "i", "label::Vietnamese (vi)": "I",
                  "label::English (en)": "I", "constraint": ". > 3"},
                 "xlsform_bad_constraint", id="constraint-strict"),
    pytest.param({"type": "select_one nolist", "name": "s", "label::Vietnamese (vi)": "S",
                  "label::English (en)": "S"}, "xlsform_unknown_list", id="unknown-list"),
    pytest.param({"type": "text", "name": "t", "label::Vietnamese (vi)": "T",
                  "label::English (en)": "T", "choice_filter": "x = 1"},
                 "xlsform_unsupported_column", id="choice-filter"),
    pytest.param({"type": "integer", "name": "i", "label::Vietnamese (vi)": "I",
                  "label::English (en)": "I", "par_kind": "unit_rating"},
                 "xlsform_kind_mismatch", id="kind-mismatch"),
    pytest.param({"type": "begin_group", "name": "g2", "label::Vietnamese (vi)": "G2",
                  "label::English (en)": "G2"}, "xlsform_nested_group", id="nested-group"),
    pytest.param({"name": "untyped", "label::Vietnamese (vi)": "X"}, "xlsform_missing_column",
                 id="row-without-type"),
]


@pytest.mark.parametrize(("row", "code"), REFUSED_ROWS)
def test_outside_the_subset_is_refused_with_sheet_and_row(row, code):
    rows, number = survey_with(row)
    with pytest.raises(DataFileError) as info:
        from_xlsform(workbook(rows, BASE_CHOICES, SETTINGS))
    places = {(p.code, p.place) for p in info.value.problems}
    assert (code, f"survey!{number}") in places, info.value.report("en")


def test_every_refused_row_is_reported():
    rows = [BASE_SURVEY_HEADER,
            ["rank yn", "m", "M", "M"],
            ["begin_repeat", "r", "R", "R"],
            ["text", "t", "T", "T"],
            ["end_repeat"]]
    with pytest.raises(DataFileError) as info:
        from_xlsform(workbook(rows, BASE_CHOICES, SETTINGS))
    assert [(p.code, p.place) for p in info.value.problems] == [
        ("xlsform_unsupported_type", "survey!2"),
        ("xlsform_unsupported_type", "survey!3"),
        ("xlsform_unsupported_type", "survey!5"),
    ]
    assert "rank yn" in info.value.problems[0].message("en")


def test_end_group_without_begin():
    rows = [BASE_SURVEY_HEADER, ["end_group"], ["begin_group", "g", "Nhóm", "Group"],
            ["select_one yn", "a", "Câu A", "Question A"], ["end_group"]]
    with pytest.raises(DataFileError) as info:
        from_xlsform(workbook(rows, BASE_CHOICES, SETTINGS))
    assert [(p.code, p.place) for p in info.value.problems] == [
        ("xlsform_end_without_begin", "survey!2")]


def test_unclosed_group():
    rows = [BASE_SURVEY_HEADER, ["begin_group", "g", "Nhóm", "Group"],
            ["select_one yn", "a", "Câu A", "Question A"]]
    with pytest.raises(DataFileError) as info:
        from_xlsform(workbook(rows, BASE_CHOICES, SETTINGS))
    assert [(p.code, p.place) for p in info.value.problems] == [
        ("xlsform_group_not_closed", "survey!2")]


def test_settings_without_version_or_english_title():
    rows, _ = survey_with({"type": "note", "name": "n", "label::Vietnamese (vi)": "N",
                           "label::English (en)": "N"})
    settings = [["form_title", "form_id"], ["Tiêu đề", "f"]]
    data = workbook(rows, BASE_CHOICES, settings).getvalue()
    form = from_xlsform(data)
    assert form.code == "f"
    # XLSForm has no translated title: the one title serves both languages.
    assert (form.title.vi, form.title.en) == ("Tiêu đề", "Tiêu đề")
    # The version is the time the workbook was saved (openpyxl stamps it, in UTC).
    saved = workbook_modified(check_workbook(data, what="f"))
    assert saved is not None and form.version == f"{saved:%Y%m%d%H%M}"
    assert re.fullmatch(r"20[0-9]{10}", form.version)


def test_without_settings_sheet_the_file_gives_code_version_and_title(tmp_path):
    rows, _ = survey_with({"type": "note", "name": "n", "label::Vietnamese (vi)": "N",
                           "label::English (en)": "N"})
    path = tmp_path / "Phiếu đánh giá 2024.xlsx"
    path.write_bytes(workbook(rows, BASE_CHOICES).getvalue())
    form = from_xlsform(path)
    assert form.code == "Phieu_danh_gia_2024"
    assert form.title.vi == form.title.en == "Phiếu đánh giá 2024"
    assert re.fullmatch(r"20[0-9]{10}", form.version)
    assert from_xlsform(path) == form  # the same file, the same form
    # A workbook without a name (bytes) and without saved properties.
    unnamed = from_xlsform(_without_properties(path.read_bytes()))
    assert unnamed.code == "XLSForm" and unnamed.title.vi == "XLSForm"
    assert re.fullmatch(r"[0-9a-f]{12}", unnamed.version)


def _without_properties(data: bytes) -> bytes:
    """The workbook without docProps/core.xml (as some generators write it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename != "docProps/core.xml":
                target.writestr(info, source.read(info))
    return out.getvalue()


def test_a_sheet_without_a_language_is_one_problem():
    survey = [["type", "name", "label"],
              ["select_one yn", "a", "Câu A"], ["select_one yn", "b", "Câu B"],
              ["text", "c", "Câu C"]]
    choices = [["list_name", "name", "label"], ["yn", "y", "Có"], ["yn", "n", "Không"]]
    with pytest.raises(DataFileError) as info:
        from_xlsform(workbook(survey, choices))
    assert [(p.code, p.place) for p in info.value.problems] == [
        ("xlsform_missing_language", "survey!1"), ("xlsform_missing_language", "choices!1")]
    message = info.value.problems[0]
    assert "label::English (en)" in message.message("en") and "English" in message.message("en")
    assert "tiếng Anh" in message.message("vi")


# -- select_multiple -------------------------------------------------------------------

MULTIPLE_SURVEY = [
    ["type", "name", "label", "label::English (en)", "relevant"],
    ["begin_group", "g", "Nhóm", "Group"],
    ["select_multiple kenh", "kenh", "Kênh nộp hồ sơ", "Channels"],
    ["text", "khac", "Kênh khác", "Other channel", "selected(${kenh}, 'khac')"],
    ["text", "vi_sao", "Vì sao không trực tuyến", "Why not online",
     "not(selected(${kenh}, 'truc_tuyen'))"],
    ["select_multiple kenh", "kenh2", "Kênh nhận kết quả", "Channels for the result", None],
    ["end_group"],
]
MULTIPLE_CHOICES = [
    ["list_name", "name", "label", "label::English (en)"],
    ["kenh", "truc_tiep", "Trực tiếp", "In person"],
    ["kenh", "truc_tuyen", "Trực tuyến", "Online"],
    ["kenh", "khac", "Khác", "Other"],
]


def test_select_multiple_imports_with_its_conditions():
    data = workbook(MULTIPLE_SURVEY, MULTIPLE_CHOICES, SETTINGS).getvalue()
    compile_xlsform(data)
    form = from_xlsform(data)
    kenh = form.question("kenh")
    assert kenh.kind is Kind.SELECT_MULTIPLE and form.question("kenh2").options == kenh.options
    assert form.question("khac").relevant == Condition("kenh", Op.EQ, "khac")
    assert form.question("vi_sao").relevant == Condition("kenh", Op.NE, "truc_tuyen")
    assert form.question("khac").relevant.is_met({"kenh": "truc_tiep khac"})
    assert form.question("vi_sao").relevant.is_met({"kenh": "truc_tiep khac"})
    assert not form.question("vi_sao").relevant.is_met({"kenh": "truc_tuyen"})


def test_select_multiple_exports_and_round_trips():
    form = from_xlsform(workbook(MULTIPLE_SURVEY, MULTIPLE_CHOICES, SETTINGS))
    data = export(form)
    assert "/kenh" in compile_xlsform(data)
    book = openpyxl.load_workbook(io.BytesIO(data))
    rows = {row[1]: row for row in book["survey"].iter_rows(min_row=2, values_only=True)}
    assert rows["kenh"][0] == "select_multiple kenh"
    assert rows["khac"][5] == "selected(${kenh}, 'khac')"
    assert rows["vi_sao"][5] == "not(selected(${kenh}, 'truc_tuyen'))"
    assert from_xlsform(io.BytesIO(data)) == form


def test_select_multiple_takes_no_criterion_in_a_workbook():
    survey = [["type", "name", "label", "label::English (en)", "par_criterion"],
              ["select multiple kenh", "kenh", "Kênh", "Channels", "TC1.1"]]
    with pytest.raises(DataFileError) as info:
        from_xlsform(workbook(survey, MULTIPLE_CHOICES, SETTINGS))
    assert info.value.codes == ["criterion_not_allowed"]


def test_missing_survey_sheet():
    book = openpyxl.Workbook()
    book.active.title = "settings"
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(DataFileError) as info:
        from_xlsform(io.BytesIO(buffer.getvalue()))
    assert ("xlsform_missing_sheet", "survey") in {(p.code, p.place)
                                                   for p in info.value.problems}


def test_form_problem_in_a_workbook_has_the_survey_row_as_line():
    rows, number = survey_with({"type": "select_one yn", "name": "b",
                                "label::Vietnamese (vi)": "Câu B"})
    with pytest.raises(DataFileError) as info:
        from_xlsform(workbook(rows, BASE_CHOICES, SETTINGS))
    problem, = info.value.problems
    assert (problem.code, problem.place, problem.line) == (
        "label_missing", "odk_form / g / b", number)


def test_weight_out_of_range_in_a_workbook():
    survey = [["type", "name", "label::Vietnamese (vi)", "label::English (en)",
               "par_criterion"],
              ["begin_group", "g", "Nhóm", "Group"],
              ["select_one yn", "a", "Câu A", "Question A", "TC1.1"],
              ["end_group"]]
    choices = [["list_name", "name", "label::Vietnamese (vi)", "label::English (en)",
                "weight"],
               ["yn", "y", "Có", "Yes", 1.5], ["yn", "n", "Không", "No", 0]]
    with pytest.raises(DataFileError) as info:
        from_xlsform(workbook(survey, choices, SETTINGS))
    assert [(p.code, p.place) for p in info.value.problems] == [
        ("weight_out_of_range", "odk_form / g / a / y")]


def test_not_a_workbook():
    with pytest.raises(DataFileError) as info:
        from_xlsform(io.BytesIO(b"this is not a spreadsheet"))
    assert info.value.codes == ["workbook_damaged"]


def test_missing_workbook_file(tmp_path):
    with pytest.raises(DataFileError) as info:
        from_xlsform(tmp_path / "nope.xlsx")
    assert info.value.codes == ["file_missing"]
