"""Rosters of dossiers (read and checked), sample sizes and the seeded draw."""

from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sampling
from questionnaires.problems import DataFileError
from sampling import Quota, SampleSize, draw_sample, read_dossiers, sample_sizes
from sampling import rosters as rosters_module
from sampling.rosters import DRAW_COLUMNS, ROSTER_FRAME_COLUMNS

HEADER = "id,name,address,phone,service,date,commune\n"
GOOD = (HEADER
        + "HS-001,Lò Văn Anh,Bản Nà Khum,0912 345 678,Cấp giấy phép xây dựng,05/08/2020,Xã Sơn Bình\n"
        + "HS-002,Công ty TNHH Hoa Ban,\"Số 12, đường Trần Phú\",+84 213 3876 543,Đăng ký kinh doanh,"
          "2020-09-30,\n")


def read(text: str, **kwargs):
    return read_dossiers(text.encode("utf-8"), **kwargs)


def problems_of(source, **kwargs) -> DataFileError:
    with pytest.raises(DataFileError) as info:
        read_dossiers(source, **kwargs)
    return info.value


# --------------------------------------------------------------------------- reading


def test_a_good_roster_is_read_with_lines_and_clean_values():
    frame = read(GOOD)
    assert tuple(frame.columns) == ROSTER_FRAME_COLUMNS
    assert frame.to_dict("records") == [
        {"line": 2, "id": "HS-001", "name": "Lò Văn Anh", "address": "Bản Nà Khum",
         "phone": "0912345678", "service": "Cấp giấy phép xây dựng", "date": "2020-08-05",
         "commune": "Xã Sơn Bình"},
        {"line": 3, "id": "HS-002", "name": "Công ty TNHH Hoa Ban", "address": "Số 12, đường Trần Phú",
         "phone": "02133876543", "service": "Đăng ký kinh doanh", "date": "2020-09-30", "commune": ""}]
    assert frame["line"].dtype == "int64"


def test_bom_semicolons_blank_rows_and_a_multi_line_cell_keep_the_lines():
    text = ("\ufeffid;name;address;phone;service;date\n"
            "\n"
            "A1;Lò Văn A;\"Bản Nà Khum\nxã Sơn Bình\";;Cấp phép;1/2/2020\n"
            ";;;;;\n"
            "A2;Lò Văn B;Bản Mới;0987654321;Cấp phép;2020-02-03 10:15\n")
    frame = read(text)
    assert frame["line"].tolist() == [3, 6]
    assert frame["address"].tolist() == ["Bản Nà Khum xã Sơn Bình", "Bản Mới"]
    assert frame["phone"].tolist() == ["", "0987654321"]
    assert frame["date"].tolist() == ["2020-02-01", "2020-02-03"]
    assert frame["commune"].tolist() == ["", ""]


def test_vietnamese_headers_after_a_title_are_found():
    text = ("DANH SÁCH HỒ SƠ ĐÃ GIẢI QUYẾT QUÝ III/2020,,,,,,\n"
            ",,,,,,\n"
            "STT,Mã hồ sơ,Họ và tên,Địa chỉ,Số điện thoại,Tên thủ tục,Ngày tiếp nhận,Xã\n"
            "1,000.00.12.H33-200801-0001,Lò Văn A,Bản Nà Khum,912345678,Cấp phép,01/08/2020,Xã Sơn Bình\n")
    frame = read(text)
    assert frame.iloc[0][["line", "id", "phone", "commune"]].tolist() == [
        4, "000.00.12.H33-200801-0001", "0912345678", "Xã Sơn Bình"]


PERSONAL = ("Lò Thị Bí Mật", "Bản Ẩn Danh 99", "0999888777")


def test_every_problem_is_reported_by_line_and_no_personal_value_is_quoted():
    name, address, phone = PERSONAL
    text = (HEADER
            + f"HS-1,{name},{address},{phone},Cấp phép,2020-08-01,\n"
            + f"HS-1,{name},{address},{phone},Cấp phép,2020-08-02,\n"           # duplicate id
            + f",{name},{address},{phone},Cấp phép,2020-08-03,\n"               # blank id
            + f"HS-3,,{address},{phone},Cấp phép,2020-08-03,\n"                 # blank name
            + f"HS-4,{name},  ,{phone},Cấp phép,2020-08-03,\n"                  # blank address
            + f"HS-5,{name},{address},{phone},Cấp phép,31/02/2020,\n"           # no such date
            + f"HS-6,{name},{address},{phone},Cấp phép,{name},\n"               # not a date
            + f"HS-7,{name},{address},{name},Cấp phép,2020-08-03,\n"            # not a phone
            + f"HS-8,{name},{address},0912 34,Cấp phép,2020-08-03,\n"           # too short
            + f"HS-9,{name}\x07,{address},{phone},Cấp phép,2020-08-03,\n"       # control character
            + f"HS-10,{name},{address},{phone},Cấp phép,,\n")                    # blank date
    error = problems_of(text.encode("utf-8"))
    found = [(p.code, p.place) for p in error.problems]
    assert found == [
        ("duplicate_id", "roster:3, id"), ("blank_id", "roster:4, id"),
        ("blank_name", "roster:5, name"), ("blank_address", "roster:6, address"),
        ("bad_date", "roster:7, date"), ("bad_date", "roster:8, date"),
        ("bad_phone", "roster:9, phone"), ("bad_phone", "roster:10, phone"),
        ("control_character", "roster:11, name"), ("blank_date", "roster:12, date")]
    assert "HS-1" in error.problems[0].message("en") and "2" in error.problems[0].message("en")
    for lang in ("vi", "en"):
        report = error.report(lang)
        assert not any(value in report for value in PERSONAL), report
        assert "Traceback" not in report
    assert all(p.message("vi") != p.message("en") for p in error.problems)


def test_missing_and_repeated_columns():
    error = problems_of(b"id,name,phone,service,date\nA1,Lo Van A,,x,2020-01-01\n")
    assert error.codes == ["missing_columns"]
    assert error.problems[0].place == "roster:1" and "address" in error.problems[0].message("en")
    error = problems_of(b"id,name,address,phone,service,date,Dia chi\nA,B,C,,x,2020-01-01,D\n")
    assert error.codes == ["duplicate_column"] and error.problems[0].place == "roster:1, address"
    assert problems_of(b"").codes == ["missing_columns"]
    assert problems_of(HEADER.encode()).codes == ["empty"]


def test_a_file_that_is_not_utf8_says_so_with_its_line():
    data = GOOD.encode() + b"HS-003,L\xf2 V\xe3n S\xe1u,B\xe1n,,x,2020-01-01,\n"  # a legacy code page
    error = problems_of(data)
    assert error.codes == ["not_utf8"]
    assert "line 4" in error.problems[0].message("en") and "UTF-8" in error.problems[0].message("vi")


def test_too_many_rows_and_too_large_files_are_refused_before_checking(monkeypatch):
    monkeypatch.setattr(rosters_module, "MAX_ROWS", 2)
    text = GOOD + "HS-003,Lò Văn C,Bản Mới,,Cấp phép,2020-01-01,\n"
    assert len(read(GOOD)) == 2
    assert problems_of(text.encode()).codes == ["too_many_rows"]
    monkeypatch.setattr(rosters_module, "MAX_BYTES", 100)
    assert problems_of(text.encode()).codes == ["too_large"]


def test_problems_beyond_the_cap_are_counted(monkeypatch):
    monkeypatch.setattr(rosters_module, "MAX_PROBLEMS", 3)
    text = HEADER + "".join(f"HS-{i},,,,x,2020-01-01,\n" for i in range(5))
    error = problems_of(text.encode())
    assert error.codes == ["blank_name", "blank_address", "blank_name", "more_problems"]
    assert "7" in error.problems[-1].message("en")


def test_a_csv_line_that_cannot_be_read_is_reported_with_its_line():
    text = GOOD + 'HS-3,"' + "x" * 200_000 + '",a,,x,2020-01-01,\n'
    error = problems_of(text.encode())
    assert error.codes == ["bad_csv"] and error.problems[0].place == "roster:4"
    error = problems_of(('"' + "x" * 200_000 + '"\n').encode())
    assert error.codes == ["bad_csv"] and error.problems[0].place == "roster:1"


def test_a_cell_too_long_is_refused():
    text = HEADER + f"HS-1,Lò Văn A,{'Bản ' * 400},,x,2020-01-01,\n"
    error = problems_of(text.encode())
    assert error.codes == ["too_long"] and error.problems[0].place == "roster:2, address"


def test_paths_and_file_objects(tmp_path: Path):
    path = tmp_path / "so-tu-phap.csv"
    path.write_text(GOOD, encoding="utf-8")
    assert read_dossiers(path).equals(read(GOOD))
    assert read_dossiers(str(path)).equals(read(GOOD))
    with open(path, "rb") as handle:
        assert read_dossiers(handle).equals(read(GOOD))
    assert read_dossiers(io.StringIO(GOOD)).equals(read(GOOD))
    path.write_text(GOOD.replace("HS-002", "HS-001"), encoding="utf-8")
    error = problems_of(path)
    assert error.problems[0].place == "so-tu-phap.csv:3, id"
    assert problems_of(tmp_path / "nope.csv").codes == ["unreadable"]


def workbook(rows: list[list], tmp_path: Path | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_roster_with_dates_and_numeric_phones():
    data = workbook([
        ["Mã hồ sơ", "Họ tên", "Địa chỉ", "Điện thoại", "Thủ tục", "Ngày tiếp nhận"],
        ["HS-1", "Lò Văn A", "Bản Nà Khum", 912345678, "Cấp phép", dt.datetime(2020, 8, 5, 9, 30)],
        [None, None, None, None, None, None],
        [1002, "Lò Văn B", "Bản Mới", "0987 654 321", "Cấp phép", dt.date(2020, 9, 1)],
    ])
    frame = read_dossiers(data)
    assert frame[["line", "id", "phone", "date"]].values.tolist() == [
        [2, "HS-1", "0912345678", "2020-08-05"], [4, "1002", "0987654321", "2020-09-01"]]
    bad = workbook([list(ROSTER_FRAME_COLUMNS[1:7]),
                    ["HS-1", "Lò Văn A", None, "12", "x", 44075]])
    error = problems_of(bad, file_format="xlsx")
    assert [(p.code, p.place) for p in error.problems] == [
        ("blank_address", "roster:2, address"), ("bad_date", "roster:2, date"),
        ("bad_phone", "roster:2, phone")]


def test_an_xlsx_roster_goes_through_the_workbook_guard(monkeypatch):
    old_excel = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)
    error = problems_of(old_excel)
    assert error.codes[0].startswith("workbook_") and ".xlsx" in error.report("en")
    data = workbook([list(ROSTER_FRAME_COLUMNS[1:7])]
                    + [[f"HS-{i}", "A", "B", "", "x", "2020-01-01"] for i in range(50)])
    monkeypatch.setattr(rosters_module, "ROSTER_LIMITS",
                        sampling.rosters.WorkbookLimits(cells=100))
    assert problems_of(data).codes == ["workbook_too_many_cells"]
    assert problems_of(b"PK\x03\x04 not really a zip").codes == ["workbook_damaged"]


def test_file_format_must_be_known():
    with pytest.raises(ValueError, match="file_format"):
        read(GOOD, file_format="ods")


# --------------------------------------------------------------------------- sizes


SLOVIN = Quota(sampled=("department", "district"), margin=0.05, reserve=0.2)


def test_slovin_sizes_and_reserves():
    sizes = sample_sizes(SLOVIN, {"a": 2000, "b": 400, "c": 1, "d": 0, "e": 10})
    assert {u: (s.N, s.n, s.reserve) for u, s in sizes.items()} == {
        "a": (2000, 334, 67), "b": (400, 200, 40), "c": (1, 1, 0), "d": (0, 0, 0), "e": (10, 10, 0)}
    assert sizes["a"] == SampleSize("a", 2000, 334, 67) and sizes["a"].drawn == 401
    assert list(sizes) == ["a", "b", "c", "d", "e"]
    assert sample_sizes(Quota(sampled=("x",), margin=0.1, reserve=0.5), {"a": 100})["a"].n == 50


def test_per_unit_sizes_are_capped_at_the_roster():
    quota = Quota(sampled=("department",), per_unit=30, reserve=0.2)
    sizes = sample_sizes(quota, {"a": 100, "b": 32, "c": 12})
    assert [(s.n, s.reserve) for s in sizes.values()] == [(30, 6), (30, 2), (12, 0)]


def test_a_total_is_shared_by_largest_remainder():
    quota = Quota(sampled=("department",), total=10, reserve=0.0)
    sizes = sample_sizes(quota, {"b": 1, "a": 1, "c": 1})
    assert [s.n for s in sizes.values()] == [1, 1, 1]
    sizes = sample_sizes(Quota(sampled=("d",), total=2, reserve=0.0), {"b": 5, "a": 5, "c": 5})
    assert {u: s.n for u, s in sizes.items()} == {"b": 1, "a": 1, "c": 0}  # ties: first by code
    sizes = sample_sizes(Quota(sampled=("d",), total=7, reserve=0.2), {"a": 10, "b": 20, "c": 40})
    assert {u: s.n for u, s in sizes.items()} == {"a": 1, "b": 2, "c": 4}
    assert sum(s.reserve for s in sizes.values()) == 1 + 1 + 1


def test_sizes_refuse_what_is_not_a_sampled_quota_or_a_size():
    with pytest.raises(ValueError, match="sampled"):
        sample_sizes(Quota(per="department", count=15), {"a": 10})
    for bad in (-1, 2.5, True, "10", None):
        with pytest.raises(ValueError, match="roster size"):
            sample_sizes(SLOVIN, {"a": bad})


quotas = st.one_of(
    st.builds(lambda e, r: Quota(sampled=("k",), margin=e, reserve=r),
              st.floats(0.01, 0.49), st.floats(0, 1)),
    st.builds(lambda k, r: Quota(sampled=("k",), per_unit=k, reserve=r),
              st.integers(1, 50), st.floats(0, 1)),
    st.builds(lambda t, r: Quota(sampled=("k",), total=t, reserve=r),
              st.integers(1, 500), st.floats(0, 1)),
)
roster_sizes = st.dictionaries(st.text("abcdefgh", min_size=1, max_size=3),
                               st.integers(0, 400), max_size=6)


@given(quota=quotas, sizes=roster_sizes)
@settings(deadline=None, max_examples=150)
def test_sizes_never_exceed_the_roster(quota, sizes):
    out = sample_sizes(quota, sizes)
    assert list(out) == list(sizes)
    for unit, size in out.items():
        assert size.N == sizes[unit]
        assert 0 <= size.n <= size.N and 0 <= size.reserve <= size.N - size.n
        assert size.reserve == min(math.ceil(quota.reserve * size.n - 1e-9), size.N - size.n)
        if size.N == 0:
            assert size.n == 0
    if quota.rule == "total":
        population = sum(sizes.values())
        assert sum(s.n for s in out.values()) == min(quota.total, population)
        if population > quota.total:  # proportional, within one
            for unit, size in out.items():
                assert abs(size.n - quota.total * sizes[unit] / population) < 1


# --------------------------------------------------------------------------- the draw


def rosters_of(counts: dict[str, int]) -> dict[str, list[str]]:
    return {unit: [f"HS-{i:05d}" for i in range(n)] for unit, n in counts.items()}


def test_the_draw_gives_officials_then_ordered_reserves():
    rosters = rosters_of({"so-tu-phap": 400, "huyen-sin-ho": 60, "so-y-te": 0})
    sizes = sample_sizes(SLOVIN, {u: len(ids) for u, ids in rosters.items()})
    drawn = draw_sample(rosters, sizes, seed=2020)
    assert tuple(drawn.columns) == DRAW_COLUMNS
    counts = drawn.groupby(["unit", "role"]).size().to_dict()
    assert counts == {("huyen-sin-ho", "official"): 53, ("huyen-sin-ho", "reserve"): 7,
                      ("so-tu-phap", "official"): 200, ("so-tu-phap", "reserve"): 40}
    reserves = drawn[(drawn["unit"] == "so-tu-phap") & (drawn["role"] == "reserve")]
    assert reserves["order"].tolist() == list(range(1, 41))
    assert set(drawn["roster_size"]) == {400, 60}
    assert draw_sample(rosters, sizes, seed=2020).equals(drawn)
    assert not draw_sample(rosters, sizes, seed=2021).equals(drawn)


def test_ids_need_only_be_unique_within_a_unit():
    rosters = {"a": ["1", "2", "3"], "b": ["1", "2", "3"]}
    sizes = sample_sizes(Quota(sampled=("k",), per_unit=2, reserve=0.5), {"a": 3, "b": 3})
    drawn = draw_sample(rosters, sizes, seed=1)
    assert set(drawn["id"]) <= {"1", "2", "3"} and len(drawn) == 6
    with pytest.raises(ValueError, match="repeats"):
        draw_sample({"a": ["1", "1"]}, {"a": SampleSize("a", 2, 1, 0)}, seed=1)


def test_the_draw_refuses_sizes_that_do_not_fit():
    sizes = {"a": SampleSize("a", 3, 2, 1)}
    with pytest.raises(ValueError, match="roster of 3, not 2"):
        draw_sample({"a": ["x", "y"]}, sizes, seed=1)
    with pytest.raises(ValueError, match="no sizes"):
        draw_sample({"a": ["x", "y", "z"], "b": ["x"]}, sizes, seed=1)
    with pytest.raises(ValueError, match="no roster"):
        draw_sample({}, sizes, seed=1)
    with pytest.raises(ValueError, match="blank id"):
        draw_sample({"a": ["x", " ", "z"]}, sizes, seed=1)
    for seed in (-1, 1.5, None, True):
        with pytest.raises(ValueError, match="seed"):
            draw_sample({"a": ["x", "y", "z"]}, sizes, seed=seed)
    empty = draw_sample({"a": []}, {"a": SampleSize("a", 0, 0, 0)}, seed=1)
    assert empty.empty and tuple(empty.columns) == DRAW_COLUMNS


unit_rosters = st.dictionaries(
    st.sampled_from(["so-a", "so-b", "huyen-x", "huyen-y"]),
    st.sets(st.text("0123456789ABC-", min_size=1, max_size=6), max_size=60).map(sorted),
    min_size=1, max_size=4)


@given(rosters=unit_rosters, quota=quotas, seed=st.integers(0, 2**32), data=st.data())
@settings(deadline=None, max_examples=80)
def test_draw_properties(rosters, quota, seed, data):
    sizes = sample_sizes(quota, {u: len(ids) for u, ids in rosters.items()})
    drawn = draw_sample(rosters, sizes, seed=seed)
    # The same seed gives the same people, whatever the order of the rows and units.
    shuffled = {u: data.draw(st.permutations(ids)) for u, ids in reversed(list(rosters.items()))}
    assert draw_sample(shuffled, sizes, seed=seed).equals(drawn)
    for unit, ids in rosters.items():
        mine = drawn[drawn["unit"] == unit]
        official = mine[mine["role"] == "official"]
        reserve = mine[mine["role"] == "reserve"]
        assert len(official) == sizes[unit].n <= len(ids)
        assert len(reserve) == sizes[unit].reserve
        assert set(official["id"]).isdisjoint(reserve["id"])
        assert set(mine["id"]) <= set(ids) and mine["id"].is_unique
        assert official["order"].tolist() == list(range(1, len(official) + 1))
        assert reserve["order"].tolist() == list(range(1, len(reserve) + 1))
        # A unit's draw does not depend on the other units.
        alone = draw_sample({unit: ids}, {unit: sizes[unit]}, seed=seed)
        assert alone.reset_index(drop=True).equals(mine.reset_index(drop=True))
