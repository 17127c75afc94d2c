"""XLSForm workbooks as ODK and KoboToolbox users write them: no settings sheet (or one
without a version), groups, notes, select_multiple, metadata rows, extra columns; an
old .xls file; library warnings kept out of the way.  Through the library and through
``survey-service forms import`` / ``forms check``."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

import questionnaires
from questionnaires import DataFileError, Kind

#: A survey sheet as Kobo's form builder exports it (``$kuid`` columns, ``hint``,
#: ``appearance``, metadata rows, a label in the default language and one in English).
KOBO_SURVEY = [
    ["type", "name", "label", "label::English (en)", "hint", "required", "relevant",
     "appearance", "$kuid"],
    ["start", "start", None, None, None, None, None, None, "k1"],
    ["end", "end", None, None, None, None, None, None, "k2"],
    ["note", "chao", "Xin chào Ông/Bà", "Welcome", None, None, None, None, "k3"],
    ["begin group", "tiep_can", "Tiếp cận dịch vụ", "Access", None, None, None, "field-list",
     "k4"],
    ["select_multiple kenh", "kenh", "Ông/Bà nộp hồ sơ qua kênh nào?", "Which channels?",
     "Chọn tất cả", "true", None, None, "k5"],
    ["text", "kenh_khac", "Kênh khác", "Other channel", None, "false",
     "selected(${kenh}, 'khac')", None, "k6"],
    ["note", "giua", "Phần tiếp theo về thủ tục", "Next: the procedure", None, None, None,
     None, "k7"],
    ["select_one muc", "hai_long", "Mức độ hài lòng", "Satisfaction", None, "true",
     "not(selected(${kenh}, 'khac'))", "horizontal", "k8"],
    ["end group", None, None, None, None, None, None, None, "k9"],
    ["integer", "so_lan", "Số lần đến", "Visits", None, None, None, None, "k10"],
]
KOBO_CHOICES = [
    ["list_name", "name", "label", "label::English (en)", "$kuid"],
    ["kenh", "truc_tiep", "Trực tiếp", "In person", "c1"],
    ["kenh", "truc_tuyen", "Trực tuyến", "Online", "c2"],
    ["kenh", "khac", "Khác", "Other", "c3"],
    ["muc", "1", "Không hài lòng", "Dissatisfied", "c4"],
    ["muc", "2", "Hài lòng", "Satisfied", "c5"],
]


def write_workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    for index, (name, rows) in enumerate(sheets.items()):
        sheet = book.active if index == 0 else book.create_sheet(name)
        sheet.title = name
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


def without_default_style(path: Path) -> Path:
    """The workbook without its named cell styles, as some generators write it: openpyxl
    then warns "Workbook contains no default style"."""
    data = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(data, "w") as target:
        for info in source.infolist():
            part = source.read(info)
            if info.filename == "xl/styles.xml":
                part = re.sub(rb"<cellStyles.*?</cellStyles>", b"", part, flags=re.S)
            target.writestr(info, part)
    path.write_bytes(data.getvalue())
    return path


@pytest.fixture
def kobo_book(tmp_path: Path) -> Path:
    return write_workbook(tmp_path / "Khảo sát Kobo.xlsx",
                          {"survey": KOBO_SURVEY, "choices": KOBO_CHOICES})


def test_kobo_workbook_without_settings_imports(kobo_book):
    form = questionnaires.from_xlsform(kobo_book)
    assert form.code == "Khao_sat_Kobo"
    assert form.title.vi == form.title.en == "Khảo sát Kobo"
    assert re.fullmatch(r"20[0-9]{10}", form.version)  # when the workbook was saved
    assert form.introduction is not None and form.introduction.en == "Welcome"
    assert [s.code for s in form.sections] == ["tiep_can", "s2"]
    assert [q.code for q in form.questions()] == ["kenh", "kenh_khac", "hai_long", "so_lan"]
    kenh = form.question("kenh")
    assert kenh.kind is Kind.SELECT_MULTIPLE and kenh.required
    assert kenh.parse_answer(["khac", "truc_tiep"]) == "truc_tiep khac"
    assert form.question("kenh_khac").relevant.is_met({"kenh": "truc_tiep khac"})
    assert not form.question("hai_long").relevant.is_met({"kenh": "khac"})
    # What it becomes round-trips through the service's own formats.
    assert questionnaires.form_from_dict(form.to_dict()) == form
    again = io.BytesIO()
    questionnaires.to_xlsform(form, again)
    assert questionnaires.from_xlsform(io.BytesIO(again.getvalue())) == form


def test_forms_check_and_import_of_a_kobo_workbook(cli, kobo_book, tmp_path):
    checked = cli("--lang", "en", "forms", "check", str(kobo_book))
    assert checked.exit_code == 0, checked.output
    assert "form Khao_sat_Kobo" in checked.stdout and "is valid: 4 questions" in checked.stdout
    target = tmp_path / "out.yaml"
    imported = cli("--lang", "en", "forms", "import", str(kobo_book), "-o", str(target))
    assert imported.exit_code == 0, imported.output
    assert "Imported form Khao_sat_Kobo" in imported.stdout
    written = questionnaires.load_form(target)
    assert written == questionnaires.from_xlsform(kobo_book)
    kinds = [q["kind"] for s in yaml.safe_load(target.read_text(encoding="utf-8"))["sections"]
             for q in s["questions"]]
    assert kinds == ["select_multiple", "text", "choice", "number"]
    # The default output is FORM-CODE.yaml beside the workbook.
    assert cli("forms", "import", str(kobo_book)).exit_code == 0
    assert (kobo_book.parent / "Khao_sat_Kobo.yaml").is_file()


def test_settings_without_version_or_form_id(cli, tmp_path):
    book = write_workbook(tmp_path / "hl.xlsx", {
        "survey": KOBO_SURVEY, "choices": KOBO_CHOICES,
        "settings": [["form_title", "default_language"],
                     ["Phiếu hài lòng", "Vietnamese (vi)"]]})
    form = questionnaires.from_xlsform(book)
    assert (form.code, form.title.vi, form.title.en) == ("hl", "Phiếu hài lòng", "Phiếu hài lòng")
    assert re.fullmatch(r"20[0-9]{10}", form.version)
    result = cli("forms", "check", str(book))
    assert result.exit_code == 0 and "hợp lệ" in result.stdout


def test_english_default_language_and_a_stated_version(tmp_path):
    survey = [[cell.replace("label::English (en)", "label::Vietnamese (vi)")
               if isinstance(cell, str) else cell for cell in KOBO_SURVEY[0]], *KOBO_SURVEY[1:]]
    book = write_workbook(tmp_path / "x.xlsx", {
        "survey": survey, "choices": [["list_name", "name", "label::Vietnamese (vi)", "label"],
                                      *[row[:4] for row in KOBO_CHOICES[1:]]],
        "settings": [["form_id", "version", "default_language", "form_title"],
                     ["kobo_hl", 3, "English (en)", "Satisfaction"]]})
    form = questionnaires.from_xlsform(book)
    assert (form.code, form.version) == ("kobo_hl", "3")
    # The plain label column is English here; the title serves both languages.
    assert form.question("kenh").label.en == "Ông/Bà nộp hồ sơ qua kênh nào?"
    assert form.title.en == form.title.vi == "Satisfaction"


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024)


@pytest.mark.parametrize("name", ["phieu.xls", "renamed.xlsx"])
@pytest.mark.parametrize("command", ["import", "check"])
def test_old_xls_gets_a_clear_bilingual_message(cli, tmp_path, name, command):
    path = tmp_path / name
    path.write_bytes(OLE2)
    vietnamese = cli("forms", command, str(path))
    english = cli("--lang", "en", "forms", command, str(path))
    for result in (vietnamese, english):
        assert result.exit_code == 2
        assert "Traceback" not in result.output and "Warning" not in result.output
        assert "Excel 97-2003 (.xls)" in result.stderr and ".xlsx" in result.stderr
    assert "hãy mở tệp bằng Excel" in vietnamese.stderr
    assert "save it as an Excel Workbook (.xlsx)" in english.stderr
    assert not list(tmp_path.glob("*.yaml"))  # nothing written


def test_library_refuses_xls_with_one_problem(tmp_path):
    path = tmp_path / "phieu.xls"
    path.write_bytes(OLE2)
    with pytest.raises(DataFileError) as info:
        questionnaires.from_xlsform(path)
    assert info.value.codes == ["workbook_wrong_format"]
    assert "Excel 97-2003" in info.value.report("vi") and ".xlsx" in info.value.report("en")


def test_library_warnings_never_escape(cli, kobo_book, tmp_path):
    """openpyxl's warning about the workbook is silenced, by the library and the command."""
    book = without_default_style(kobo_book)
    with warnings.catch_warnings(record=True) as probe:
        warnings.simplefilter("always")
        import openpyxl as reader

        reader.load_workbook(book, read_only=True).close()
    assert any("default style" in str(w.message) for w in probe)  # the file does warn
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        form = questionnaires.from_xlsform(book)
        result = cli("--lang", "en", "forms", "import", str(book), "-o", str(tmp_path / "o.yaml"))
    assert form.code == "Khao_sat_Kobo" and result.exit_code == 0, result.output
    assert [str(w.message) for w in caught] == []
    assert result.stderr == "" and "Warning" not in result.stdout


def test_the_command_prints_only_its_message(cli_env, kobo_book, tmp_path):
    """The real command line, with every warning turned on: the first line on the error
    stream is the message itself."""
    old = tmp_path / "old.xls"
    old.write_bytes(OLE2)
    env = {**os.environ, **cli_env, "PYTHONWARNINGS": "always"}
    for path, code in ((without_default_style(kobo_book), 0), (old, 2)):
        result = subprocess.run([sys.executable, "-m", "survey_service", "--lang", "en", "forms",
                                 "check", str(path)], capture_output=True, text=True, env=env,
                                timeout=120)
        assert result.returncode == code, result.stderr
        assert "Warning" not in result.stderr and "warn(" not in result.stderr
        if code:
            assert result.stderr.startswith(f"{old}: 1 problem found")
        else:
            assert "is valid" in result.stdout and result.stderr == ""
