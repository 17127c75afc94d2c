"""The self-assessment / appraisal workbook: template, round trip, every import problem,
and hostile files (damaged, old format, encrypted, zip bombs) refused by the guard."""

from __future__ import annotations

import ast
import datetime as dt
import functools
import io
import math
import random
import re
import sys
import tempfile
import time
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sampling
from analysis.appraisal import (
    FRAME_COLUMNS,
    STATUS_CONFIRMED,
    STATUS_CORRECTED,
    STATUS_PENDING,
    corrections,
    final_points,
    rules_fingerprint,
)
from questionnaires.messages import FILE_PROBLEMS
from questionnaires.problems import DataFileError
from questionnaires.scoring import ScoringRules, rules_from_dict
from questionnaires.workbooks import WorkbookLimits
from survey_service.appraisal import layout as layout_module
from survey_service.appraisal import template as template_module
from survey_service.appraisal import workbook
from survey_service.appraisal.workbook import (
    PROBLEMS,
    WORKBOOK_PROBLEMS,
    appraisal_template,
    read_appraisal,
)

SHEET = "Tự đánh giá"
DEPARTMENT = "so-noi-vu"
OTHER_DEPARTMENT = "so-tu-phap"
DISTRICT = "huyen-tam-duong"
#: The columns of the template (the module documentation's table).
COL = {"code": "A", "max": "D", "self": "E", "evidence": "F", "appraised": "G", "reason": "H"}


# -- helpers ---------------------------------------------------------------------------

@functools.cache
def builtin_plan() -> sampling.Plan:
    return sampling.load_plan()


def builtin_rules() -> ScoringRules:
    scoring = builtin_plan().scoring
    assert scoring is not None
    return scoring


def subs(kind: str = "department") -> list[tuple[str, float]]:
    """(code, maximum) of the appraisal sub-criteria of ``kind``, in order."""
    return [(s.code, float(s.max_for(kind))) for _, _, s in builtin_rules().subcriteria(kind, "appraisal")]


@functools.cache
def template(kind: str = "department", unit: str | None = DEPARTMENT, lang: str = "vi") -> bytes:
    name = builtin_plan().unit(unit).name if unit else None
    return appraisal_template(builtin_rules(), kind=kind, unit_code=unit, unit_name=name, year=2020,
                              lang=lang)


def edit(data: bytes, change: Callable[[openpyxl.Workbook], None]) -> bytes:
    """``data`` changed by ``change`` (openpyxl ignores the sheet protection)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    change(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def row_of(sheet: Any, code: str) -> int:
    for (cell,) in sheet.iter_rows(min_col=1, max_col=1):
        if cell.value == code:
            return cell.row
    raise KeyError(code)


def fill(data: bytes, values: Mapping[str, Mapping[str, Any]], sheet: str = SHEET) -> bytes:
    """Type ``values`` (code -> {self, evidence, appraised, reason}) into the template."""
    def change(book: openpyxl.Workbook) -> None:
        ws = book[sheet]
        for code, cells in values.items():
            row = row_of(ws, code)
            for key, value in cells.items():
                ws[f"{COL[key]}{row}"] = value
    return edit(data, change)


def complete_values(kind: str = "department") -> dict[str, dict[str, Any]]:
    """Every row self-scored and appraised; every third row corrected by the council."""
    out = {}
    for i, (code, top) in enumerate(subs(kind)):
        own = round(top * 0.8, 2)
        row = {"self": own, "evidence": f"Báo cáo số {i + 1}/BC-SNV", "appraised": own}
        if i % 3 == 0:
            row.update(appraised=round(top * 0.5, 2), reason=f"Thiếu tài liệu kiểm chứng {i}")
        out[code] = row
    return out


def problems_of(excinfo: pytest.ExceptionInfo[DataFileError]) -> list[tuple[str, str]]:
    return [(p.code, p.place) for p in excinfo.value.problems]


def refuse(data: bytes, *, kind: str = "department", unit: str = DEPARTMENT,
           with_rules: ScoringRules | None = None, **options: Any) -> list[tuple[str, str]]:
    with pytest.raises(DataFileError) as excinfo:
        read_appraisal(data, with_rules or builtin_rules(), kind=kind, unit_code=unit, **options)
    for problem in excinfo.value.problems:
        assert problem.messages["vi"] and problem.messages["en"]
        assert problem.messages["vi"] != problem.messages["en"]
    return problems_of(excinfo)


def place(column: str, code: str, kind: str = "department", unit: str | None = DEPARTMENT) -> str:
    book = openpyxl.load_workbook(io.BytesIO(template(kind, unit)))
    return f"{SHEET}!{COL[column]}{row_of(book[SHEET], code)}"


# -- round trip ------------------------------------------------------------------------

@pytest.mark.parametrize("kind, unit", [("department", DEPARTMENT), ("district", DISTRICT)])
def test_round_trip_keeps_every_value(kind, unit):
    values = complete_values(kind)
    result = read_appraisal(fill(template(kind, unit), values), builtin_rules(), kind=kind, unit_code=unit)
    frame = result.frame
    assert list(frame.columns) == list(FRAME_COLUMNS)
    assert list(frame["criterion"]) == [code for code, _ in subs(kind)]
    assert list(frame["max_points"]) == [top for _, top in subs(kind)]
    assert set(frame["unit"]) == {unit}
    assert (result.unit, result.kind, result.year) == (unit, kind, 2020)
    for record in frame.to_dict("records"):
        given_ = values[record["criterion"]]
        assert record["self_score"] == given_["self"]
        assert record["evidence"] == given_["evidence"]
        assert record["appraised"] == given_["appraised"]
        assert record["reason"] == given_.get("reason", "")
        assert record["points"] == given_["appraised"]
        expected = STATUS_CORRECTED if "reason" in given_ else STATUS_CONFIRMED
        assert record["status"] == expected
    assert result.complete
    assert result.final_points().sum() == pytest.approx(sum(v["appraised"] for v in values.values()))


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_round_trip_of_any_two_decimal_scores(data):
    values = {}
    for code, top in subs():
        hundredths = data.draw(st.integers(0, int(top * 100)), label=code)
        as_text = data.draw(st.booleans(), label=f"{code} as text")
        score = hundredths / 100
        values[code] = {"self": f"{score:.2f}".replace(".", ",") if as_text else score,
                        "appraised": score}
    frame = read_appraisal(fill(template(), values), builtin_rules(), kind="department",
                           unit_code=DEPARTMENT).frame
    for record in frame.to_dict("records"):
        score = values[record["criterion"]]["appraised"]
        assert record["self_score"] == score and record["appraised"] == score
        assert record["status"] == STATUS_CONFIRMED


def test_sources_path_file_object_and_bytes(tmp_path: Path):
    data = fill(template(), {"LV1.TD1": {"self": 2}})
    path = tmp_path / "so-noi-vu.xlsx"
    path.write_bytes(data)
    frames = [read_appraisal(source, builtin_rules(), kind="department", unit_code=DEPARTMENT).frame
              for source in (data, str(path), path, io.BytesIO(data))]
    for frame in frames[1:]:
        pd.testing.assert_frame_equal(frame, frames[0])
    assert frames[0].set_index("criterion").loc["LV1.TD1", "self_score"] == 2


# -- what counts -----------------------------------------------------------------------

def test_pending_rows_have_no_points_and_final_points_refuses_them():
    values = {code: {"self": top} for code, top in subs()}
    values["LV1.TD1"].update(appraised=2.5, reason="Kế hoạch ban hành chậm")
    result = read_appraisal(fill(template(), values), builtin_rules(), kind="department",
                            unit_code=DEPARTMENT)
    frame = result.frame.set_index("criterion")
    assert frame.loc["LV1.TD1", "status"] == STATUS_CORRECTED
    assert frame.loc["LV1.TD1", "points"] == 2.5
    pending = frame[frame["status"] == STATUS_PENDING]
    assert len(pending) == len(subs()) - 1
    assert pending["points"].isna().all() and pending["appraised"].isna().all()
    assert not result.complete
    with pytest.raises(ValueError) as excinfo:  # a DataFileError is a ValueError
        final_points(result.frame)
    assert isinstance(excinfo.value, DataFileError)
    assert excinfo.value.codes == ["not_appraised"] * len(pending)
    assert [p.place for p in excinfo.value.problems] == [
        f"{DEPARTMENT} / {code}" for code, _ in subs() if code != "LV1.TD1"]
    assert f"(row {frame.loc['LV1.TD2', 'row']})" in excinfo.value.problems[0].message("en")


def test_final_points_are_the_appraised_scores():
    values = complete_values()
    result = read_appraisal(fill(template(), values), builtin_rules(), kind="department",
                            unit_code=DEPARTMENT)
    points = final_points(result.frame)
    assert points.name == "points"
    assert list(points.index.names) == ["unit", "criterion"]
    assert points[(DEPARTMENT, "LV1.TD1")] == values["LV1.TD1"]["appraised"]
    assert points[(DEPARTMENT, "LV1.TD1")] != values["LV1.TD1"]["self"]


def test_corrections_record_every_correction_with_its_reason():
    values = complete_values()
    values["LV2.TD3"] = {"appraised": 1, "reason": "Đơn vị không tự chấm"}  # no self-score
    frame = read_appraisal(fill(template(), values), builtin_rules(), kind="department",
                           unit_code=DEPARTMENT).frame
    table = corrections(frame)
    assert list(table.columns) == ["unit", "criterion", "max_points", "self_score", "appraised",
                                   "difference", "reason", "row"]
    expected = {code for code, row in values.items() if "reason" in row}
    assert set(table["criterion"]) == expected
    by_code = table.set_index("criterion")
    first = values["LV1.TD1"]
    assert by_code.loc["LV1.TD1", "difference"] == pytest.approx(first["appraised"] - first["self"])
    assert by_code.loc["LV1.TD1", "reason"] == first["reason"]
    # A blank self-score claims nothing: the council's 1 point is a correction of +1.
    assert math.isnan(by_code.loc["LV2.TD3", "self_score"])
    assert by_code.loc["LV2.TD3", "difference"] == 1
    assert (table["reason"] != "").all()


def test_confirmed_rows_need_no_reason_and_a_blank_self_score_confirmed_at_zero():
    data = fill(template(), {"LV1.TD1": {"self": 3, "appraised": "3,00"},
                             "LV1.TD2": {"appraised": 0}})
    frame = read_appraisal(data, builtin_rules(), kind="department", unit_code=DEPARTMENT).frame
    frame = frame.set_index("criterion")
    assert frame.loc["LV1.TD1", "status"] == STATUS_CONFIRMED
    assert frame.loc["LV1.TD2", "status"] == STATUS_CONFIRMED
    assert corrections(frame.reset_index()).empty


# -- numbers ---------------------------------------------------------------------------

def test_numbers_typed_as_text_with_a_decimal_comma():
    data = fill(template(), {
        "LV1.TD1": {"self": "2,5", "appraised": " 1,75 ", "reason": "Thiếu minh chứng"},
        "LV1.TD2": {"self": "1.5", "appraised": "1,50"},
        "LV1.TD3": {"self": "3", "appraised": ",5", "reason": "Chưa kiểm tra đủ"},
    })
    frame = read_appraisal(data, builtin_rules(), kind="department", unit_code=DEPARTMENT).frame
    frame = frame.set_index("criterion")
    assert frame.loc["LV1.TD1", ["self_score", "appraised"]].tolist() == [2.5, 1.75]
    assert frame.loc["LV1.TD2", ["self_score", "appraised"]].tolist() == [1.5, 1.5]
    assert frame.loc["LV1.TD3", ["self_score", "appraised"]].tolist() == [3.0, 0.5]


@pytest.mark.parametrize("column, value, code", [
    ("self", "hai điểm", "not_number"),
    ("self", "2,5,1", "not_number"),
    ("appraised", True, "not_number"),
    ("self", dt.datetime(2020, 5, 2), "not_number"),  # what Excel makes of "2.5" in some locales
    ("self", -1, "below_zero"),
    ("appraised", "-0,5", "below_zero"),
    ("self", 3.01, "above_max"),
    ("appraised", "4", "above_max"),
])
def test_a_bad_score_is_placed_by_its_cell(column, value, code):
    data = fill(template(), {"LV1.TD1": {column: value}})
    assert refuse(data) == [(code, place(column, "LV1.TD1"))]


def test_an_appraised_score_that_differs_needs_a_reason():
    data = fill(template(), {"LV1.TD1": {"self": 3, "appraised": 2},
                             "LV1.TD2": {"appraised": 1},
                             "LV1.TD3": {"self": 3, "appraised": 2, "reason": "  "}})
    assert refuse(data) == [("reason_missing", place("reason", "LV1.TD1")),
                            ("reason_missing", place("reason", "LV1.TD2")),
                            ("reason_missing", place("reason", "LV1.TD3"))]


def test_a_formula_without_a_computed_value_is_refused():
    data = fill(template(), {"LV1.TD1": {"self": "=1+1"}})
    assert refuse(data) == [("formula_not_computed", place("self", "LV1.TD1"))]


# -- the file and the template ---------------------------------------------------------

def test_not_an_xlsx_workbook(tmp_path: Path):
    assert refuse(b"ma;tieu chi;diem\nLV1.TD1;2,5\n") == [("workbook_damaged", "(workbook)")]
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    assert refuse(other_zip.getvalue()) == [("workbook_damaged", "(workbook)")]
    missing = tmp_path / "khong-co.xlsx"
    with pytest.raises(DataFileError) as excinfo:
        read_appraisal(missing, builtin_rules(), kind="department", unit_code=DEPARTMENT)
    assert problems_of(excinfo) == [("file_missing", str(missing))]


def test_missing_data_sheet():
    def drop(book):
        del book[SHEET]
        book["meta"].sheet_state = "visible"
    assert refuse(edit(template(), drop)) == [("sheet_missing", SHEET)]


def test_missing_meta_sheet_still_checks_the_rows():
    data = fill(edit(template(), lambda book: book.remove(book["meta"])),
                {"LV1.TD1": {"self": 9}})
    assert refuse(data) == [("sheet_missing", "meta"), ("above_max", place("self", "LV1.TD1"))]


def test_template_for_another_unit_is_refused():
    data = fill(template(), complete_values())
    assert refuse(data, unit=OTHER_DEPARTMENT) == [("wrong_unit", "meta!B3")]


def test_department_template_is_refused_as_a_districts():
    data = fill(template(), complete_values())
    # Only the template's identity is reported, not the rows it has no business having.
    assert refuse(data, kind="district", unit=DISTRICT) == [("wrong_unit", "meta!B3"),
                                                            ("wrong_kind", "meta!B4")]
    # Even a blank template (for any department) is no district's.
    assert refuse(template(unit=None), kind="district", unit=DISTRICT) == [
        ("wrong_kind", "meta!B4")]


def other_rules() -> ScoringRules:
    """The built-in rules with two maxima moved (another year's rules, say)."""
    doc = builtin_rules().to_dict()
    first = doc["areas"][0]["criteria"][0]["subcriteria"]
    first[0]["max"]["department"] += 1
    first[1]["max"]["department"] -= 1
    return rules_from_dict(doc, builtin_plan().forms)


def test_template_of_other_rules_is_refused():
    current = rules_fingerprint(builtin_rules(), "department")
    assert rules_fingerprint(other_rules(), "department") != current
    assert refuse(template(), with_rules=other_rules()) == [("rules_mismatch", "meta!B5")]
    tampered = edit(template(), lambda book: book["meta"].__setitem__("B5", "0123456789abcdef"))
    assert refuse(tampered) == [("rules_mismatch", "meta!B5")]


def test_fingerprint_ignores_wording_and_differs_by_kind():
    doc = builtin_rules().to_dict()
    doc["areas"][0]["criteria"][0]["subcriteria"][0]["name"]["vi"] = "Kế hoạch CCHC năm"
    reworded = rules_from_dict(doc, builtin_plan().forms)
    current = rules_fingerprint(builtin_rules(), "department")
    assert rules_fingerprint(reworded, "department") == current
    assert current != rules_fingerprint(builtin_rules(), "district")


@pytest.mark.parametrize("cell, value", [("B1", "bang-luong"), ("B2", 99)])
def test_not_our_template(cell, value):
    data = edit(template(), lambda book: book["meta"].__setitem__(cell, value))
    assert refuse(data) == [("template_unknown", f"meta!{cell}")]


def test_unknown_criterion_codes():
    def change(book):
        ws = book[SHEET]
        ws[f"A{row_of(ws, 'LV1.TD1')}"] = "LV9.TD9"
        ws[f"A{row_of(ws, 'LV1.TD2')}"] = "TC1.1"  # a survey sub-criterion
    data = edit(template(), change)
    span = f"{SHEET}!A6:A{openpyxl.load_workbook(io.BytesIO(data))[SHEET].max_row}"
    assert refuse(data) == [("unknown_criterion", place("code", "LV1.TD1")),
                            ("unknown_criterion", place("code", "LV1.TD2")),
                            ("missing_row", span), ("missing_row", span)]


def test_a_district_only_criterion_is_unknown_to_a_department():
    district_only = sorted({c for c, _ in subs("district")} - {c for c, _ in subs("department")})
    assert district_only
    data = edit(template(), lambda book: book[SHEET].__setitem__(
        f"A{row_of(book[SHEET], 'LV1.TD1')}", district_only[0]))
    found = refuse(data)
    assert found[0] == ("unknown_criterion", place("code", "LV1.TD1"))
    assert [code for code, _ in found[1:]] == ["missing_row"]


def test_a_duplicate_row():
    data = edit(template(), lambda book: book[SHEET].__setitem__(
        f"A{row_of(book[SHEET], 'LV1.TD2')}", "LV1.TD1"))
    found = refuse(data)
    assert found[0] == ("duplicate_row", place("code", "LV1.TD2"))
    assert [code for code, _ in found[1:]] == ["missing_row"]
    with pytest.raises(DataFileError) as excinfo:
        read_appraisal(data, builtin_rules(), kind="department", unit_code=DEPARTMENT)
    assert "LV1.TD2" in excinfo.value.problems[1].message("en")
    assert f"row {row_of(openpyxl.load_workbook(io.BytesIO(data))[SHEET], 'LV1.TD1')}" in \
        excinfo.value.problems[0].message("en")


def test_missing_rows():
    def change(book):
        ws = book[SHEET]
        ws.delete_rows(row_of(ws, "LV3.TD2"))
        ws.delete_rows(row_of(ws, "LV7.TD3"))
    found = refuse(edit(template(), change))
    assert [code for code, _ in found] == ["missing_row", "missing_row"]
    assert all(where.startswith(f"{SHEET}!A6:A") for _, where in found)
    with pytest.raises(DataFileError) as excinfo:
        read_appraisal(edit(template(), change), builtin_rules(), kind="department", unit_code=DEPARTMENT)
    assert "LV3.TD2" in excinfo.value.problems[0].message("vi")
    assert "LV7.TD3" in excinfo.value.problems[1].message("en")


def test_a_row_without_its_code():
    def change(book):
        ws = book[SHEET]
        row = row_of(ws, "LV2.TD1")
        ws[f"A{row}"] = None
        ws[f"E{row}"] = 2
    found = refuse(edit(template(), change))
    assert found[0] == ("code_missing", place("code", "LV2.TD1"))
    assert [code for code, _ in found[1:]] == ["missing_row"]


def test_an_edited_maximum():
    data = edit(template(), lambda book: book[SHEET].__setitem__(
        f"D{row_of(book[SHEET], 'LV1.TD1')}", 10))
    assert refuse(data) == [("max_mismatch", place("max", "LV1.TD1"))]


def test_every_problem_is_reported_at_once():
    def change(book):
        ws = book[SHEET]
        ws[f"A{row_of(ws, 'LV7.TD3')}"] = "LV9.TD9"
    data = fill(edit(template(), change), {
        "LV1.TD1": {"self": "ba"},
        "LV1.TD2": {"self": -2},
        "LV1.TD3": {"appraised": 7},
        "LV2.TD1": {"self": 4, "appraised": 3},
    })
    found = refuse(data)
    assert [code for code, _ in found] == ["not_number", "below_zero", "above_max",
                                           "reason_missing", "unknown_criterion", "missing_row"]
    assert all(where.startswith(f"{SHEET}!") for _, where in found)
    with pytest.raises(DataFileError) as excinfo:
        read_appraisal(data, builtin_rules(), kind="department", unit_code=DEPARTMENT)
    report = excinfo.value.report("vi")
    assert "có 6 lỗi" in report and f"{SHEET}!E{row_of_template('LV1.TD1')}" in report
    assert "6 problems found" in str(excinfo.value)


def row_of_template(code: str) -> int:
    return row_of(openpyxl.load_workbook(io.BytesIO(template()))[SHEET], code)


def test_every_problem_has_both_languages():
    for code, (vi, en) in WORKBOOK_PROBLEMS.items():
        assert vi.strip() and en.strip() and vi != en, code
    assert set(WORKBOOK_PROBLEMS) <= set(PROBLEMS)


# -- the template itself ---------------------------------------------------------------

def sub_rows(ws) -> dict[str, int]:
    codes = {code for code, _ in subs(ws.parent["meta"]["B4"].value)}
    return {cell.value: cell.row for (cell,) in ws.iter_rows(min_col=1, max_col=1)
            if cell.value in codes}


def test_template_has_data_validation_on_the_scores():
    ws = openpyxl.load_workbook(io.BytesIO(template()))[SHEET]
    validations = ws.data_validations.dataValidation
    assert validations
    maxima = dict(subs())
    for code, row in sub_rows(ws).items():
        for column in (COL["self"], COL["appraised"]):
            covering = [dv for dv in validations if f"{column}{row}" in dv.sqref]
            assert len(covering) == 1, (code, column)
            dv = covering[0]
            assert (dv.type, dv.operator, dv.formula1) == ("decimal", "between", "0")
            assert float(dv.formula2) == maxima[code]
            assert dv.showErrorMessage and dv.errorStyle == "stop" and dv.allow_blank
            assert dv.error and dv.prompt
    # No validation on the structure: the maxima, the area rows, the totals.
    covered = {str(c) for dv in validations for rng in dv.sqref.ranges for c in [rng.coord]}
    assert not any(c.startswith(COL["max"]) for c in covered)


def test_template_protects_its_structure_and_unlocks_the_fill_in_cells():
    book = openpyxl.load_workbook(io.BytesIO(template()))
    ws = book[SHEET]
    assert ws.protection.sheet and not ws.protection.password
    assert book.security is not None and book.security.lockStructure
    rows = sub_rows(ws)
    for row in rows.values():
        for column in "EFGH":
            assert ws[f"{column}{row}"].protection.locked is False
        for column in "ABCD":
            assert ws[f"{column}{row}"].protection.locked is True
    area_row = row_of(ws, "LV1")
    assert all(ws[f"{c}{area_row}"].protection.locked for c in "ABCDEFGH")
    meta = book["meta"]
    assert meta.sheet_state == "hidden" and meta.protection.sheet
    assert {meta[f"A{i}"].value: meta[f"B{i}"].value for i in range(1, 9)} == {
        "template": "par-appraisal", "template_version": 1, "unit": DEPARTMENT,
        "kind": "department", "rules_fingerprint": rules_fingerprint(builtin_rules(), "department"),
        "year": 2020, "lang": "vi", "unit_name": "Sở Nội vụ"}


def test_template_layout_is_readable():
    ws = openpyxl.load_workbook(io.BytesIO(template()))[SHEET]
    assert ws.freeze_panes == "A6"
    assert [c.value for c in ws[5]] == [
        "Mã", "Lĩnh vực", "Tiêu chí / tiêu chí thành phần", "Điểm tối đa", "Điểm tự chấm",
        "Giải trình, tài liệu kiểm chứng", "Điểm thẩm định", "Lý do điều chỉnh điểm"]
    assert all(c.font.bold for c in ws[5])
    assert "Sở Nội vụ" in ws["A2"].value and "2020" in ws["A1"].value
    assert ws.column_dimensions["C"].width >= 40 and ws.column_dimensions["F"].width >= 30
    row = row_of(ws, "LV1.TD1")
    for column in "DEG":
        assert ws[f"{column}{row}"].number_format == "0.00"
    for column in "CFH":
        assert ws[f"{column}{row}"].alignment.wrap_text
    assert ws[f"C{row_of(ws, 'LV1')}"].font.bold
    # Tree order: area, criterion, then its sub-criteria.
    codes = [c.value for (c,) in ws.iter_rows(min_row=6, min_col=1, max_col=1) if c.value]
    assert codes[:5] == ["LV1", "LV1.TD", "LV1.TD1", "LV1.TD2", "LV1.TD3"]


@pytest.mark.parametrize("kind, unit", [("department", DEPARTMENT), ("district", DISTRICT)])
def test_totals_equal_the_appraisal_share(kind, unit):
    share = builtin_rules().shares[kind]["appraisal"]
    assert share == 70
    ws = openpyxl.load_workbook(io.BytesIO(template(kind, unit)))[SHEET]
    total_row = ws.max_row
    assert ws[f"C{total_row}"].value == "Tổng cộng"
    assert ws[f"D{total_row}"].value == pytest.approx(share)
    rows = sub_rows(ws)
    assert sum(ws[f"D{r}"].value for r in rows.values()) == pytest.approx(share)
    for column in "EG":
        assert ws[f"{column}{total_row}"].value == \
            f"=SUBTOTAL(9,{column}6:{column}{total_row - 1})"
    frame = read_appraisal(template(kind, unit), builtin_rules(), kind=kind, unit_code=unit).frame
    assert frame["max_points"].sum() == pytest.approx(share)
    assert frame["status"].eq(STATUS_PENDING).all()


def test_english_template():
    data = template(lang="en")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Self-assessment", "meta"]
    ws = book["Self-assessment"]
    assert [c.value for c in ws[5]][:4] == ["Code", "Area", "Criterion / sub-criterion",
                                            "Maximum points"]
    assert ws[f"C{row_of(ws, 'LV1.TD1')}"].value == "Annual reform plan"
    assert ws[f"C{ws.max_row}"].value == "Total"
    filled = fill(data, {"LV1.TD1": {"self": "2,5", "appraised": 2, "reason": "Late"}},
                  sheet="Self-assessment")
    frame = read_appraisal(filled, builtin_rules(), kind="department", unit_code=DEPARTMENT).frame
    assert frame.set_index("criterion").loc["LV1.TD1", ["self_score", "appraised"]].tolist() == \
        [2.5, 2.0]
    bad = fill(data, {"LV1.TD1": {"self": 9}}, sheet="Self-assessment")
    assert refuse(bad) == [("above_max", f"Self-assessment!E{row_of(ws, 'LV1.TD1')}")]


def test_blank_template_is_for_any_unit_of_its_kind():
    data = fill(template(unit=None), {"LV1.TD1": {"self": 1}})
    for unit in (DEPARTMENT, OTHER_DEPARTMENT):
        result = read_appraisal(data, builtin_rules(), kind="department", unit_code=unit)
        assert set(result.frame["unit"]) == {unit}


def test_template_arguments_are_checked():
    with pytest.raises(ValueError, match="lang"):
        appraisal_template(builtin_rules(), kind="department", lang="fr")
    with pytest.raises(ValueError, match="commune"):
        appraisal_template(builtin_rules(), kind="commune")


@pytest.mark.parametrize("module", [layout_module, template_module, workbook],
                         ids=lambda m: m.__name__)
def test_the_module_imports_only_the_libraries(module):
    """The workbook modules may use analysis, questionnaires, openpyxl and each other, nothing
    else of the service (they are the service's, but stand on the plain libraries alone)."""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {f".{node.module}" if node.level else (node.module or "").split(".")[0]
                 for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    allowed = {"analysis", "questionnaires", "openpyxl", "__future__", "pandas", ".layout",
               ".template", ".core.spreadsheets"}  # the service's safe cell writer
    assert imported - allowed <= set(sys.stdlib_module_names), imported


# -- hostile files ---------------------------------------------------------------------
# Uploads are refused by the guard of questionnaires.workbooks before anything is
# expanded; the benchmark's targets are 1 s and 100 MB, the tests' bounds are generous.

MB = 1024 * 1024
MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
DATA_PART = "xl/worksheets/sheet1.xml"
META_PART = "xl/worksheets/sheet2.xml"


def replace_parts(data: bytes, parts: Mapping[str, bytes | Callable[[Any], None]],
                  level: int = 6) -> bytes:
    """``data`` with parts replaced or added: bytes, or a writer streaming them into the
    archive (so that a large part is never held in memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target:
        names = source.namelist()
        for name in names + [n for n in parts if n not in names]:
            new = parts.get(name)
            if new is None:
                target.writestr(source.getinfo(name), source.read(name))
            elif callable(new):
                with target.open(name, "w") as stream:
                    new(stream)
            else:
                target.writestr(name, new)
    return out.getvalue()


def part_of(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def refused_quickly(data: bytes, **options: Any) -> list[tuple[str, str]]:
    """The problems of ``data``, refused in little time (first run) and memory (second)."""
    start = time.perf_counter()
    found = refuse(data, **options)
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    try:
        assert refuse(data, **options) == found
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 5, f"refused in {elapsed:.2f} s"
    assert peak < 100 * MB, f"{peak / MB:.0f} MB at the peak"
    return found


@pytest.mark.parametrize("name, sheet", [(DATA_PART, SHEET), (META_PART, "meta")])
def test_a_truncated_sheet_is_refused_as_damaged(name, sheet):
    data = fill(template(), {"LV1.TD1": {"self": 2}})
    xml = part_of(data, name)
    assert refuse(replace_parts(data, {name: xml[: len(xml) * 2 // 3]})) == [
        ("workbook_damaged", sheet)]
    with pytest.raises(DataFileError) as excinfo:
        read_appraisal(replace_parts(data, {name: xml[:-40]}), builtin_rules(),
                       kind="department", unit_code=DEPARTMENT)
    assert "damaged or is not an Excel workbook (.xlsx)" in excinfo.value.report("en")
    assert "bị hỏng hoặc không phải là bảng tính Excel (.xlsx)" in excinfo.value.report("vi")


def test_a_truncated_upload(tmp_path: Path):
    data = fill(template(), {"LV1.TD1": {"self": 2}})
    path = tmp_path / "so-noi-vu.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFileError) as excinfo:
        read_appraisal(path, builtin_rules(), kind="department", unit_code=DEPARTMENT)
    assert excinfo.value.codes == ["workbook_damaged"]
    assert excinfo.value.what == str(path) and excinfo.value.problems[0].source == str(path)


def test_an_old_xls_workbook_is_to_be_saved_as_xlsx():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "Workbook".encode("utf-16-le") + \
        bytes(2000)
    assert refuse(data) == [("workbook_wrong_format", "(workbook)")]
    with pytest.raises(DataFileError) as excinfo:
        read_appraisal(data, builtin_rules(), kind="department", unit_code=DEPARTMENT)
    for lang in ("vi", "en"):
        assert ".xls)" in excinfo.value.report(lang) and ".xlsx)" in excinfo.value.report(lang)


def test_an_encrypted_workbook():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + \
        "EncryptedPackage".encode("utf-16-le") + bytes(2000)
    assert refuse(data) == [("workbook_encrypted", "(workbook)")]


def three_million_cells(stream: Any) -> None:
    stream.write(b"<worksheet " + MAIN + b'><dimension ref="A1:CV30000"/><sheetData>')
    rows = (b"<row>" + b"<c><v>2</v></c>" * 100 + b"</row>") * 1000
    for _ in range(30):
        stream.write(rows)
    stream.write(b"</sheetData></worksheet>")


def test_three_million_cells():
    """The tester's bomb: a self-assessment workbook of 3 million cells."""
    data = replace_parts(template(), {DATA_PART: three_million_cells})
    assert refused_quickly(data) == [("workbook_compression_ratio", SHEET)]
    assert refused_quickly(data, limits=WorkbookLimits(compression_ratio=10_000)) == [
        ("workbook_too_many_cells", SHEET)]


def test_cells_are_counted_while_streaming():
    generator = random.Random(3)
    rows = b"".join(b"<row>" + b"".join(b"<c><v>%.5f</v></c>" % generator.random()
                                        for _ in range(8)) + b"</row>" for _ in range(30_000))
    data = replace_parts(template(), {
        DATA_PART: b"<worksheet " + MAIN + b"><sheetData>" + rows + b"</sheetData></worksheet>"})
    assert refused_quickly(data) == [("workbook_too_many_cells", SHEET)]


def test_an_evidence_note_of_400_mb():
    """One shared string of 400 MB, as in the tester's XLSForm."""
    data = fill(template(), {"LV1.TD1": {"self": 2}})
    row = row_of_template("LV1.TD1")
    sheet = part_of(data, DATA_PART).replace(
        f'<c r="F{row}"'.encode(), f'<c r="F{row}" t="s"><v>0</v></c><c r="Z{row}"'.encode(), 1)

    def strings(stream: Any) -> None:
        stream.write(b"<sst " + MAIN + b"><si><t>")
        chunk = b"x" * MB
        for _ in range(400):
            stream.write(chunk)
        stream.write(b"</t></si></sst>")

    types = part_of(data, "[Content_Types].xml").replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    bomb = replace_parts(data, {DATA_PART: sheet, "[Content_Types].xml": types,
                                "xl/sharedStrings.xml": strings}, level=1)
    assert len(bomb) < 3 * MB
    assert refused_quickly(bomb) == [("workbook_part_too_large", "xl/sharedStrings.xml")]


def test_an_evidence_note_longer_than_excel_allows():
    row = row_of_template("LV1.TD1")
    data = fill(template(), {"LV1.TD1": {"self": 2, "evidence": "Báo cáo"}})
    part = part_of(data, DATA_PART)
    # The note is in the sheet as UTF-8 or as character references, by the XML writer used.
    for written in ("Báo cáo".encode(), "Báo cáo".encode("ascii", "xmlcharrefreplace")):
        part = part.replace(written, b"y" * 40_000)
    data = replace_parts(data, {DATA_PART: part})
    assert refused_quickly(data) == [("workbook_cell_too_long", f"{SHEET}!F{row}")]


def test_the_limits_are_the_callers():
    data = template()
    assert refuse(data, limits=WorkbookLimits(cells=100)) == [("workbook_too_many_cells", SHEET)]
    assert refuse(data, limits=WorkbookLimits(file_bytes=1000)) == [
        ("workbook_too_large", "(workbook)")]
    read_appraisal(data, builtin_rules(), kind="department", unit_code=DEPARTMENT,
                   limits=WorkbookLimits(cells=5_000))


def test_a_value_openpyxl_cannot_read_is_refused():
    """A number cell holding a text: openpyxl fails on it while it reads the rows."""
    row = row_of_template("LV1.TD1")
    data = fill(template(), {"LV1.TD1": {"self": 2}})
    sheet = re.sub(rf'(<c r="E{row}"[^>]*><v>)2(</v>)'.encode(), rb"\1hai\2",
                   part_of(data, DATA_PART))
    assert b"<v>hai</v>" in sheet
    assert refuse(replace_parts(data, {DATA_PART: sheet})) == [("workbook_damaged", "(workbook)")]


def test_no_library_warning_escapes():
    """A workbook saved by a newer Excel, with a data validation extension: openpyxl warns
    that it drops it, and nothing of that reaches the caller."""
    data = fill(template(), {"LV1.TD1": {"self": 2, "appraised": 2}})
    extension = (b'<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
                 b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
                 b'<x14:dataValidations count="0"/></ext></extLst></worksheet>')
    data = replace_parts(data, {
        DATA_PART: part_of(data, DATA_PART).replace(b"</worksheet>", extension)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        openpyxl.load_workbook(io.BytesIO(data))
    assert any("extension is not supported" in str(w.message) for w in caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sheet = read_appraisal(data, builtin_rules(), kind="department", unit_code=DEPARTMENT)
    assert caught == []
    assert sheet.frame.set_index("criterion").loc["LV1.TD1", "appraised"] == 2


def test_an_upload_stream():
    data = fill(template(), {"LV1.TD1": {"self": 2}})
    with tempfile.SpooledTemporaryFile(max_size=1024) as upload:
        upload.write(data)
        upload.seek(0)
        frame = read_appraisal(upload, builtin_rules(), kind="department",
                               unit_code=DEPARTMENT).frame
    assert frame.set_index("criterion").loc["LV1.TD1", "self_score"] == 2


def test_every_guard_problem_has_both_languages():
    for code in ("workbook_damaged", "workbook_wrong_format", "workbook_encrypted",
                 "workbook_too_many_cells", "workbook_cell_too_long", "file_missing"):
        vi, en = FILE_PROBLEMS[code]
        assert vi.strip() and en.strip() and vi != en, code


def test_a_damaged_upload_answers_422_with_the_problem(loaded, db):
    """The web upload answered 500 on a damaged workbook; now the page names the problem."""
    from survey_service.accounts.operations import add_user

    with db.session() as session:
        add_user(session, "phantich", "analyst", "mat-khau-dai-du")
    client = loaded.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    client.post("/staff/login", data={"csrf_token": token, "name": "phantich",
                                      "password": "mat-khau-dai-du"})
    data = fill(template(), {"LV1.TD1": {"self": 2}})
    xml = part_of(data, DATA_PART)
    broken = replace_parts(data, {DATA_PART: xml[: len(xml) // 2]})
    page = client.get("/staff/appraisal").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    response = client.post("/staff/appraisal", data={
        "csrf_token": token, "unit": DEPARTMENT, "file": (io.BytesIO(broken), "so-noi-vu.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "bị hỏng" in response.get_data(as_text=True)
