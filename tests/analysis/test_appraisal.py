"""The appraisal rules on plain values: the rows entered for a unit, what counts, the
fingerprint.  The Excel workbook around them is tested with the service
(``tests/survey_service/test_appraisal_workbook.py``)."""

from __future__ import annotations

import ast
import datetime as dt
import doctest
import functools
import math
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import analysis.appraisal
import sampling
from analysis.appraisal import (
    APPRAISAL_PROBLEMS,
    FRAME_COLUMNS,
    ROW_KEYS,
    STATUS_CONFIRMED,
    STATUS_CORRECTED,
    STATUS_PENDING,
    AppraisalRow,
    AppraisalSheet,
    CellProblem,
    appraisal_frame,
    corrections,
    final_points,
    parse_score,
    rules_fingerprint,
)
from questionnaires.problems import DataFileError, ProblemList
from questionnaires.scoring import ScoringRules, rules_from_dict

UNIT = "so-noi-vu"
#: Where each value of a row is, as a caller would name it.
LETTER = {"code": "A", "name": "C", "max": "D", "self_score": "E", "evidence": "F",
          "appraised": "G", "reason": "H"}
MISSING = "Sheet!A6:A99"


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
    return [(s.code, float(s.max_for(kind)))
            for _, _, s in builtin_rules().subcriteria(kind, "appraisal")]


def place(row: int, key: str) -> str:
    return f"Sheet!{LETTER[key]}{row}"


def rows_of(values: Mapping[str, Mapping[str, Any]], kind: str = "department",
            headings: bool = True) -> list[AppraisalRow]:
    """One row per sub-criterion (from row 6), with its maximum and ``values`` (code ->
    {key: value}); the area and criterion heading rows before their sub-criteria."""
    out: list[AppraisalRow] = []
    number = 6
    last_area = last_criterion = None
    for area, criterion, sub in builtin_rules().subcriteria(kind, "appraisal"):
        if headings:
            for code, seen in ((area.code, last_area), (criterion.code, last_criterion)):
                if code != seen:
                    out.append(AppraisalRow(row=number, code=code, name="heading", max=99))
                    number += 1
            last_area, last_criterion = area.code, criterion.code
        given = {"max": sub.max_for(kind), **values.get(sub.code, {})}
        out.append(AppraisalRow(row=number, code=sub.code, name=sub.name.vi, **given))
        number += 1
    return out


def frame_of(rows: list[AppraisalRow], kind: str = "department",
             problems: ProblemList | None = None) -> pd.DataFrame | None:
    return appraisal_frame(rows, builtin_rules(), kind=kind, unit_code=UNIT,
                           problems=ProblemList(APPRAISAL_PROBLEMS) if problems is None else problems,
                           place=place, missing_place=MISSING)


def refuse(rows: list[AppraisalRow], catalogue: Mapping[str, tuple[str, str]] = APPRAISAL_PROBLEMS
           ) -> list[tuple[str, str]]:
    problems = ProblemList(catalogue)
    assert frame_of(rows, problems=problems) is None
    for problem in problems.problems:
        assert problem.messages["vi"] and problem.messages["en"]
        assert problem.messages["vi"] != problem.messages["en"]
    return [(p.code, p.place) for p in problems.problems]


def row_number(rows: list[AppraisalRow], code: str) -> int:
    return next(r.row for r in rows if r.code == code)


def complete_values(kind: str = "department") -> dict[str, dict[str, Any]]:
    """Every row self-scored and appraised; every third row corrected by the council."""
    out = {}
    for i, (code, top) in enumerate(subs(kind)):
        own = round(top * 0.8, 2)
        row = {"self_score": own, "evidence": f"Báo cáo số {i + 1}/BC-SNV", "appraised": own}
        if i % 3 == 0:
            row.update(appraised=round(top * 0.5, 2), reason=f"Thiếu tài liệu kiểm chứng {i}")
        out[code] = row
    return out


# -- the frame -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["department", "district"])
def test_frame_keeps_every_value_in_the_order_of_the_rules(kind):
    values = complete_values(kind)
    rows = rows_of(values, kind)
    frame = frame_of(rows, kind)
    assert frame is not None
    assert list(frame.columns) == list(FRAME_COLUMNS)
    assert list(frame["criterion"]) == [code for code, _ in subs(kind)]
    assert list(frame["max_points"]) == [top for _, top in subs(kind)]
    assert set(frame["unit"]) == {UNIT}
    for record in frame.to_dict("records"):
        given_ = values[record["criterion"]]
        assert record["row"] == row_number(rows, record["criterion"])
        assert record["self_score"] == given_["self_score"]
        assert record["evidence"] == given_["evidence"]
        assert record["appraised"] == record["points"] == given_["appraised"]
        assert record["reason"] == given_.get("reason", "")
        assert record["status"] == (STATUS_CORRECTED if "reason" in given_ else STATUS_CONFIRMED)
    sheet = AppraisalSheet(unit=UNIT, kind=kind, year=2020, frame=frame)
    assert sheet.complete
    assert sheet.final_points().sum() == pytest.approx(sum(v["appraised"] for v in values.values()))


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_any_two_decimal_score_typed_as_a_number_or_a_text(data):
    values = {}
    for code, top in subs():
        hundredths = data.draw(st.integers(0, int(top * 100)), label=code)
        as_text = data.draw(st.booleans(), label=f"{code} as text")
        score = hundredths / 100
        values[code] = {"self_score": f"{score:.2f}".replace(".", ",") if as_text else score,
                        "appraised": score}
    frame = frame_of(rows_of(values))
    assert frame is not None
    for record in frame.to_dict("records"):
        score = values[record["criterion"]]["appraised"]
        assert record["self_score"] == score and record["appraised"] == score
        assert record["status"] == STATUS_CONFIRMED


def test_pending_rows_have_no_points_and_final_points_refuses_them():
    values: dict[str, dict[str, Any]] = {code: {"self_score": top} for code, top in subs()}
    values["LV1.TD1"].update(appraised=2.5, reason="Kế hoạch ban hành chậm")
    rows = rows_of(values)
    frame = frame_of(rows)
    assert frame is not None
    by_code = frame.set_index("criterion")
    assert by_code.loc["LV1.TD1", "status"] == STATUS_CORRECTED
    assert by_code.loc["LV1.TD1", "points"] == 2.5
    pending = by_code[by_code["status"] == STATUS_PENDING]
    assert len(pending) == len(subs()) - 1
    assert pending["points"].isna().all() and pending["appraised"].isna().all()
    assert not AppraisalSheet(unit=UNIT, kind="department", year=None, frame=frame).complete
    with pytest.raises(ValueError) as excinfo:  # a DataFileError is a ValueError
        final_points(frame)
    assert isinstance(excinfo.value, DataFileError)
    assert excinfo.value.codes == ["not_appraised"] * len(pending)
    assert [p.place for p in excinfo.value.problems] == [
        f"{UNIT} / {code}" for code, _ in subs() if code != "LV1.TD1"]
    assert f"(row {row_number(rows, 'LV1.TD2')})" in excinfo.value.problems[0].message("en")


def test_final_points_are_the_appraised_scores():
    values = complete_values()
    points = final_points(frame_of(rows_of(values)))
    assert points.name == "points"
    assert list(points.index.names) == ["unit", "criterion"]
    assert points[(UNIT, "LV1.TD1")] == values["LV1.TD1"]["appraised"]
    assert points[(UNIT, "LV1.TD1")] != values["LV1.TD1"]["self_score"]


def test_corrections_record_every_correction_with_its_reason():
    values = complete_values()
    values["LV2.TD3"] = {"appraised": 1, "reason": "Đơn vị không tự chấm"}  # no self-score
    table = corrections(frame_of(rows_of(values)))
    assert list(table.columns) == ["unit", "criterion", "max_points", "self_score", "appraised",
                                   "difference", "reason", "row"]
    assert set(table["criterion"]) == {code for code, row in values.items() if "reason" in row}
    by_code = table.set_index("criterion")
    first = values["LV1.TD1"]
    assert by_code.loc["LV1.TD1", "difference"] == pytest.approx(
        first["appraised"] - first["self_score"])
    assert by_code.loc["LV1.TD1", "reason"] == first["reason"]
    # A blank self-score claims nothing: the council's 1 point is a correction of +1.
    assert math.isnan(by_code.loc["LV2.TD3", "self_score"])
    assert by_code.loc["LV2.TD3", "difference"] == 1
    assert (table["reason"] != "").all()


def test_corrections_of_a_frame_without_rows_numbers():
    frame = pd.DataFrame({"unit": [UNIT, UNIT], "criterion": ["A", "B"], "max_points": [3.0, 2.0],
                          "self_score": [3.0, math.nan], "appraised": [2.0, 0.0],
                          "reason": ["Thiếu minh chứng", ""]})
    table = corrections(frame)
    assert list(table["criterion"]) == ["A"] and "row" not in table.columns
    assert table.loc[0, "difference"] == -1


def test_confirmed_rows_need_no_reason_and_a_blank_self_score_confirmed_at_zero():
    frame = frame_of(rows_of({"LV1.TD1": {"self_score": 3, "appraised": "3,00"},
                              "LV1.TD2": {"appraised": 0}}))
    by_code = frame.set_index("criterion")
    assert by_code.loc["LV1.TD1", "status"] == STATUS_CONFIRMED
    assert by_code.loc["LV1.TD2", "status"] == STATUS_CONFIRMED
    assert corrections(frame).empty


# -- scores ----------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("2,5", 2.5), (" 1,75 ", 1.75), ("1.5", 1.5), (",5", 0.5), ("3", 3.0), ("+2", 2.0),
    ("1\u00a0,5", 1.5), (2, 2.0), (0.25, 0.25), (None, None), ("", None), ("  ", None),
])
def test_parse_score(value, expected):
    assert parse_score(value) == expected


@pytest.mark.parametrize("value", ["hai điểm", "2,5,1", "1e3", True, math.nan, math.inf,
                                   dt.datetime(2020, 5, 2), [2]])
def test_parse_score_refuses_what_is_not_a_number(value):
    with pytest.raises(ValueError):
        parse_score(value)


@pytest.mark.parametrize("key, value, code", [
    ("self_score", "hai điểm", "not_number"),
    ("self_score", "2,5,1", "not_number"),
    ("appraised", True, "not_number"),
    ("self_score", dt.datetime(2020, 5, 2), "not_number"),  # what Excel makes of "2.5" at times
    ("self_score", -1, "below_zero"),
    ("appraised", "-0,5", "below_zero"),
    ("self_score", 3.01, "above_max"),
    ("appraised", "4", "above_max"),
])
def test_a_bad_score_is_placed_by_its_value(key, value, code):
    rows = rows_of({"LV1.TD1": {key: value}})
    assert refuse(rows) == [(code, place(row_number(rows, "LV1.TD1"), key))]


def test_an_appraised_score_that_differs_needs_a_reason():
    rows = rows_of({"LV1.TD1": {"self_score": 3, "appraised": 2},
                    "LV1.TD2": {"appraised": 1},
                    "LV1.TD3": {"self_score": 3, "appraised": 2, "reason": "  "}})
    assert refuse(rows) == [("reason_missing", place(row_number(rows, code), "reason"))
                            for code in ("LV1.TD1", "LV1.TD2", "LV1.TD3")]


def test_a_cell_problem_of_the_caller_is_recorded_in_its_place_and_order():
    catalogue = {**APPRAISAL_PROBLEMS, "formula_not_computed": ("công thức {formula}",
                                                                "formula {formula}")}
    rows = rows_of({"LV1.TD1": {"self_score": CellProblem("formula_not_computed",
                                                          {"formula": "=1+1"}),
                                "appraised": 9},
                    "LV1.TD2": {"self_score": 1, "appraised": 2}})
    first, second = row_number(rows, "LV1.TD1"), row_number(rows, "LV1.TD2")
    assert refuse(rows, catalogue) == [("formula_not_computed", place(first, "self_score")),
                                       ("above_max", place(first, "appraised")),
                                       ("reason_missing", place(second, "reason"))]


def test_an_edited_maximum():
    rows = rows_of({"LV1.TD1": {"max": 10}, "LV1.TD2": {"max": "2,00"}, "LV1.TD3": {"max": None}})
    assert refuse(rows) == [("max_mismatch", place(row_number(rows, "LV1.TD1"), "max"))]


# -- the rows --------------------------------------------------------------------------

def test_unknown_criterion_codes():
    rows = [r if r.code not in ("LV1.TD1", "LV1.TD2") else
            AppraisalRow(row=r.row, code={"LV1.TD1": "LV9.TD9", "LV1.TD2": "TC1.1"}[r.code])
            for r in rows_of({})]  # TC1.1: a survey sub-criterion
    assert refuse(rows) == [("unknown_criterion", place(row_number(rows, "LV9.TD9"), "code")),
                            ("unknown_criterion", place(row_number(rows, "TC1.1"), "code")),
                            ("missing_row", MISSING), ("missing_row", MISSING)]


def test_a_district_only_criterion_is_unknown_to_a_department():
    district_only = sorted({c for c, _ in subs("district")} - {c for c, _ in subs("department")})
    assert district_only
    rows = rows_of({}) + [AppraisalRow(row=99, code=district_only[0], self_score=1)]
    assert refuse(rows) == [("unknown_criterion", place(99, "code"))]


def test_a_duplicate_row():
    rows = rows_of({"LV1.TD1": {"self_score": 1}})
    rows.append(AppraisalRow(row=99, code="LV1.TD1", self_score=2))
    assert refuse(rows) == [("duplicate_row", place(99, "code"))]
    problems = ProblemList(APPRAISAL_PROBLEMS)
    frame_of(rows, problems=problems)
    assert f"row {row_number(rows, 'LV1.TD1')}" in problems.problems[0].message("en")


def test_missing_rows_and_their_names_in_the_language_asked():
    rows = [r for r in rows_of({}) if r.code not in ("LV3.TD2", "LV7.TD3")]
    assert refuse(rows) == [("missing_row", MISSING), ("missing_row", MISSING)]
    for lang in ("vi", "en"):
        problems = ProblemList(APPRAISAL_PROBLEMS)
        appraisal_frame(rows, builtin_rules(), kind="department", unit_code=UNIT,
                        problems=problems, place=place, missing_place=MISSING, lang=lang)
        name = builtin_rules().subcriterion("LV3.TD2").name.get(lang)
        assert "LV3.TD2" in problems.problems[0].message("en")
        assert name in problems.problems[0].message("vi")


def test_a_row_with_values_but_no_code_and_empty_rows():
    rows = rows_of({}) + [AppraisalRow(row=99, self_score=2), AppraisalRow(row=100),
                          AppraisalRow(row=101, code="  ", name="Ghi chú", max=3),
                          AppraisalRow(row=102, evidence="Báo cáo")]
    assert refuse(rows) == [("code_missing", place(99, "code")),
                            ("code_missing", place(102, "code"))]


def test_heading_rows_are_not_checked():
    rows = rows_of({})
    assert any(r.code == "LV1" for r in rows)
    assert frame_of(rows) is not None
    assert frame_of(rows_of({}, headings=False)) is not None


def test_problems_recorded_before_mean_no_frame():
    problems = ProblemList(APPRAISAL_PROBLEMS)
    problems.add("not_number", "meta!B2", value="x")
    assert frame_of(rows_of({}), problems=problems) is None
    assert [p.code for p in problems.problems] == ["not_number"]


def test_every_problem_is_reported_at_once():
    rows = [r if r.code != "LV7.TD3" else AppraisalRow(row=r.row, code="LV9.TD9")
            for r in rows_of({"LV1.TD1": {"self_score": "ba"}, "LV1.TD2": {"self_score": -2},
                              "LV1.TD3": {"appraised": 7},
                              "LV2.TD1": {"self_score": 4, "appraised": 3}})]
    assert [code for code, _ in refuse(rows)] == [
        "not_number", "below_zero", "above_max", "reason_missing", "unknown_criterion",
        "missing_row"]


def test_row_keys_are_the_fields_of_a_row():
    assert set(ROW_KEYS) == set(AppraisalRow.__dataclass_fields__) - {"row"}


def test_every_problem_has_both_languages():
    for code, (vi, en) in APPRAISAL_PROBLEMS.items():
        assert vi.strip() and en.strip() and vi != en, code


# -- the fingerprint -------------------------------------------------------------------

def other_rules() -> ScoringRules:
    """The built-in rules with two maxima moved (another year's rules, say)."""
    doc = builtin_rules().to_dict()
    first = doc["areas"][0]["criteria"][0]["subcriteria"]
    first[0]["max"]["department"] += 1
    first[1]["max"]["department"] -= 1
    return rules_from_dict(doc, builtin_plan().forms)


def test_fingerprint_changes_with_the_points():
    assert rules_fingerprint(other_rules(), "department") != \
        rules_fingerprint(builtin_rules(), "department")


def test_fingerprint_ignores_wording_and_differs_by_kind():
    doc = builtin_rules().to_dict()
    doc["areas"][0]["criteria"][0]["subcriteria"][0]["name"]["vi"] = "Kế hoạch CCHC năm"
    reworded = rules_from_dict(doc, builtin_plan().forms)
    current = rules_fingerprint(builtin_rules(), "department")
    assert rules_fingerprint(reworded, "department") == current
    assert current != rules_fingerprint(builtin_rules(), "district")
    assert len(current) == 16


# -- the module ------------------------------------------------------------------------

def test_docstring_examples_run():
    result = doctest.testmod(analysis.appraisal, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


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


def test_no_module_of_the_package_reads_or_writes_workbooks():
    """Excel is the service's business: analysis works on DataFrames."""
    package = Path(analysis.appraisal.__file__).parent
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                    if isinstance(node, ast.Import) for alias in node.names}
        imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom)}
        assert "openpyxl" not in imported, path.name
