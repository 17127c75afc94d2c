"""The self-assessment / appraisal workbook: template, round trip, every import problem."""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import subprocess
import sys
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
    APPRAISAL_PROBLEMS,
    FRAME_COLUMNS,
    STATUS_CONFIRMED,
    STATUS_CORRECTED,
    STATUS_PENDING,
    appraisal_template,
    corrections,
    final_points,
    read_appraisal,
    rules_fingerprint,
)
from questionnaires.problems import DataFileError
from questionnaires.scoring import ScoringRules, rules_from_dict

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
           with_rules: ScoringRules | None = None) -> list[tuple[str, str]]:
    with pytest.raises(DataFileError) as excinfo:
        read_appraisal(data, with_rules or builtin_rules(), kind=kind, unit_code=unit)
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
    assert refuse(b"ma;tieu chi;diem\nLV1.TD1;2,5\n") == [("file_unreadable", "(workbook)")]
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    assert refuse(other_zip.getvalue()) == [("file_unreadable", "(workbook)")]
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
    for code, (vi, en) in APPRAISAL_PROBLEMS.items():
        assert vi.strip() and en.strip() and vi != en, code


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


def test_the_module_loads_neither_the_web_stack_nor_sampling():
    code = ("import sys, analysis.appraisal\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('flask', 'sqlalchemy', 'survey_service', 'sampling'))\n"
            "print(','.join(bad))\n")
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
