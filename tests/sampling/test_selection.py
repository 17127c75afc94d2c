"""Rosters and the seeded draw of official and reserve respondents."""

from __future__ import annotations

import io
import random
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from questionnaires.problems import DataFileError
from sampling import load_plan
from sampling.selection import (
    SELECTION_COLUMNS,
    next_reserve,
    read_roster,
    select_respondents,
)

ROSTER_CSV = """\
unit,id,name,position,phone
so-noi-vu,NV01,Lò Văn An,Chuyên viên,0912
so-noi-vu,NV02,Tòng Thị Bình,Trưởng phòng,
so-tu-phap,TP01,Nguyễn Văn Cường,Chuyên viên,
"""


def make_roster(sizes: dict[str, int]) -> pd.DataFrame:
    rows = [(unit, f"{unit}-{i:03d}", f"Person {unit} {i}") for unit, k in sizes.items() for i in range(k)]
    return pd.DataFrame(rows, columns=["unit", "id", "name"])


# --------------------------------------------------------------------------- read_roster


def test_read_roster_csv():
    roster = read_roster(io.StringIO(ROSTER_CSV))
    assert list(roster.columns) == ["unit", "id", "name", "position", "phone"]
    assert roster["id"].tolist() == ["NV01", "NV02", "TP01"]
    assert roster.loc[1, "name"] == "Tòng Thị Bình"
    assert roster.loc[2, "phone"] == ""


def test_read_roster_from_a_file_with_bom_and_loose_headers(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(("\ufeff Unit ,NAME,Position\nso-noi-vu,  Lò Văn An ,\n\nso-noi-vu,B,x\n").encode())
    roster = read_roster(path)
    assert list(roster.columns) == ["unit", "id", "name", "position"]
    assert roster["name"].tolist() == ["Lò Văn An", "B"]
    # ids made from the row number (the blank row 3 is skipped but counted)
    assert roster["id"].tolist() == ["R00002", "R00004"]


def test_read_roster_xlsx(tmp_path):
    path = tmp_path / "roster.xlsx"
    pd.DataFrame({"unit": ["so-noi-vu", "so-tu-phap"], "id": [101, 102], "name": ["A", "B"]}).to_excel(
        path, index=False)
    from_path = read_roster(path)
    assert from_path["id"].tolist() == ["101", "102"]  # ids are text
    assert from_path["position"].tolist() == ["", ""]
    pd.testing.assert_frame_equal(read_roster(path.read_bytes()), from_path)
    with path.open("rb") as handle:
        pd.testing.assert_frame_equal(read_roster(handle), from_path)


def test_read_roster_reports_every_problem_with_its_row():
    text = (
        "unit,id,name\n"  # row 1
        "so-noi-vu,1,A\n"  # row 2
        "so-noi-vu,2,\n"  # row 3: blank name
        "so-xyz,3,C\n"  # row 4: unknown unit
        "so-noi-vu,1,D\n"  # row 5: duplicate of row 2
        ",4,E\n"  # row 6: blank unit
        "so-noi-vu,,F\n"  # row 7: blank id
    )
    with pytest.raises(ValueError) as caught:
        read_roster(io.StringIO(text), known_units={"so-noi-vu", "so-tu-phap"})
    error = caught.value
    assert isinstance(error, DataFileError)
    assert error.codes == ["blank_name", "unknown_unit", "duplicate_id", "blank_unit", "blank_id"]
    places = [p.place for p in error.problems]
    assert places == ["roster:3, name", "roster:4, unit", "roster:5, id", "roster:6, unit", "roster:7, id"]
    assert "already at row 2" in str(error)
    assert "dòng 2" in error.report("vi")


def test_read_roster_missing_columns():
    with pytest.raises(DataFileError) as caught:
        read_roster(io.StringIO("don_vi,ho_ten\nA,B\n"))
    assert caught.value.codes == ["missing_columns"]
    assert "unit, name" in str(caught.value)


def test_read_roster_without_known_units_accepts_any_unit():
    assert len(read_roster(io.StringIO("unit,name\nanything,A\n"))) == 1


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "unreadable"),
        ("unit,name\nA,Lò\n".encode("latin-1"), "unreadable"),
        (b'unit,name\nA,"unclosed\n', "unreadable"),
        (b"unit,name\n\n,\n", "empty"),
        (b"PK\x03\x04 not a workbook", "unreadable"),
    ],
)
def test_read_roster_unreadable_files(data, code):
    with pytest.raises(DataFileError) as caught:
        read_roster(data)
    assert caught.value.codes == [code]


def test_read_roster_missing_file(tmp_path):
    with pytest.raises(DataFileError) as caught:
        read_roster(tmp_path / "nowhere.csv")
    assert caught.value.codes == ["unreadable"]


def test_read_roster_refuses_an_unknown_format():
    with pytest.raises(ValueError):
        read_roster(io.StringIO(ROSTER_CSV), file_format="ods")


# --------------------------------------------------------------------------- select_respondents


def test_selection_columns_and_roles():
    roster = read_roster(io.StringIO(ROSTER_CSV))
    sel = select_respondents(roster, per_unit=1, reserve=1, seed=2021)
    assert list(sel.columns) == [*SELECTION_COLUMNS, "phone"]
    nv = sel[sel["unit"] == "so-noi-vu"]
    assert nv["role"].tolist() == ["official", "reserve"]
    assert nv["order"].tolist() == [1, 1]
    assert set(nv["id"]) == {"NV01", "NV02"}
    assert (nv["roster_size"] == 2).all() and (nv["note"] == "").all()
    tp = sel[sel["unit"] == "so-tu-phap"]
    assert tp["role"].tolist() == ["official"]
    assert tp["note"].iloc[0].startswith("census")


def test_default_reserve_is_half_the_quota_rounded_up():
    sel = select_respondents(make_roster({"A": 100}), per_unit=15, seed=1)
    assert Counter(sel["role"]) == {"official": 15, "reserve": 8}


def test_per_unit_mapping():
    roster = make_roster({"A": 30, "B": 30})
    sel = select_respondents(roster, per_unit={"A": 15, "B": 3}, reserve={"A": 2, "B": 0}, seed=5)
    assert sel.groupby(["unit", "role"]).size().to_dict() == {
        ("A", "official"): 15, ("A", "reserve"): 2, ("B", "official"): 3}
    with pytest.raises(ValueError, match="no per_unit for"):
        select_respondents(roster, per_unit={"A": 15}, seed=5)
    with pytest.raises(ValueError, match="not in the roster"):
        select_respondents(roster, per_unit={"A": 1, "B": 1, "C": 1}, seed=5)


def test_fewer_reserves_than_asked_are_noted():
    sel = select_respondents(make_roster({"A": 17}), per_unit=15, reserve=5, seed=3)
    assert Counter(sel["role"]) == {"official": 15, "reserve": 2}
    assert sel["note"].iloc[0] == "only 2 of 5 reserves: the roster has 17 people"


def test_seed_is_the_same_as_a_generator_from_it():
    roster = make_roster({"A": 40, "B": 25})
    by_seed = select_respondents(roster, per_unit=10, reserve=3, seed=99)
    by_rng = select_respondents(roster, per_unit=10, reserve=3, rng=np.random.default_rng(99))
    pd.testing.assert_frame_equal(by_seed, by_rng)
    assert not by_seed.equals(select_respondents(roster, per_unit=10, reserve=3, seed=100))


def test_the_global_random_state_is_neither_used_nor_changed():
    np.random.seed(12345)
    random.seed(12345)
    numpy_state, python_state = np.random.get_state(), random.getstate()
    first = select_respondents(make_roster({"A": 50}), per_unit=5, seed=8)
    after = np.random.get_state()
    assert all(np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b
               for a, b in zip(numpy_state, after))
    assert random.getstate() == python_state
    np.random.seed(0)  # changing the global state changes nothing
    pd.testing.assert_frame_equal(first, select_respondents(make_roster({"A": 50}), per_unit=5, seed=8))


def test_a_unit_does_not_depend_on_the_other_units():
    both = select_respondents(make_roster({"A": 30, "B": 30}), per_unit=5, reserve=2, seed=11)
    alone = select_respondents(make_roster({"A": 30}), per_unit=5, reserve=2, seed=11)
    pd.testing.assert_frame_equal(both[both["unit"] == "A"].reset_index(drop=True), alone)


def test_every_person_has_the_same_chance():
    """In 2,000 units of 10 people (one draw each), the k-th person by id is official
    in about 3 / 10 of the units and the first reserve in about 1 / 10."""
    units = 2000
    roster = make_roster({f"u{j:04d}": 10 for j in range(units)})
    sel = select_respondents(roster, per_unit=3, reserve=2, seed=2021)
    rank = sel["id"].str[-3:].astype(int)  # the person's place in the unit's id order
    official = Counter(rank[sel["role"] == "official"])
    first_reserve = Counter(rank[(sel["role"] == "reserve") & (sel["order"] == 1)])
    # binomial(2000, 0.3): sd ≈ 20.5, so ±100 is about 5 sd (and the seed is fixed)
    assert all(abs(official[k] - 600) < 100 for k in range(10))
    assert all(abs(first_reserve[k] - 200) < 70 for k in range(10))  # p = 0.1, sd ≈ 13.4


def test_different_seeds_give_different_draws():
    roster = make_roster({"A": 10})
    draws = {frozenset(select_respondents(roster, per_unit=3, reserve=0, seed=seed)["id"])
             for seed in range(40)}
    assert len(draws) > 25  # 120 possible sets of 3; 40 draws rarely repeat much


@pytest.mark.parametrize(
    "kwargs",
    [
        {"per_unit": 3},  # neither seed nor rng
        {"per_unit": 3, "seed": 1, "rng": np.random.default_rng(1)},  # both
        {"per_unit": 3, "rng": np.random.RandomState(1)},  # legacy global-style generator
        {"per_unit": 3, "seed": -1},
        {"per_unit": 3, "seed": 1.5},
        {"per_unit": -1, "seed": 1},
        {"per_unit": 2.0, "seed": 1},
        {"per_unit": 3, "reserve": -1, "seed": 1},
    ],
)
def test_select_respondents_refuses_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        select_respondents(make_roster({"A": 5}), **kwargs)


def test_select_respondents_refuses_bad_rosters():
    with pytest.raises(ValueError, match="lacks"):
        select_respondents(pd.DataFrame({"unit": ["A"], "name": ["x"]}), per_unit=1, seed=1)
    with pytest.raises(ValueError, match="repeats the id"):
        select_respondents(pd.DataFrame({"unit": ["A", "B"], "id": [1, 1], "name": ["x", "y"]}),
                           per_unit=1, seed=1)
    with pytest.raises(ValueError, match="the selection adds"):
        select_respondents(make_roster({"A": 3}).assign(role="x"), per_unit=1, seed=1)
    with pytest.raises(ValueError, match="DataFrame"):
        select_respondents([("A", 1, "x")], per_unit=1, seed=1)


def test_select_from_an_empty_roster():
    empty = pd.DataFrame({"unit": [], "id": [], "name": []})
    assert list(select_respondents(empty, per_unit=3, seed=1).columns) == list(SELECTION_COLUMNS)


def test_a_plan_sized_draw():
    """15 civil servants per department (group I.3) from 60-person rosters."""
    plan = load_plan()
    departments = [u.code for u in plan.units_of_kind("department")]
    roster = make_roster(dict.fromkeys(departments, 60))
    quota = plan.group("I.3").quota.count
    sel = select_respondents(roster, per_unit=quota, seed=2021)
    assert (sel[sel["role"] == "official"].groupby("unit").size() == 15).all()
    assert len(sel) == len(departments) * (15 + 8)


# --------------------------------------------------------------------------- properties

rosters = st.dictionaries(
    keys=st.sampled_from(["so-noi-vu", "so-tu-phap", "huyen-tam-duong", "xa-1", "xa-2"]),
    values=st.integers(min_value=1, max_value=40),
    min_size=1,
)


@given(sizes=rosters, per_unit=st.integers(0, 20), reserve=st.integers(0, 10),
       seed=st.integers(0, 2**32), data=st.data())
@settings(deadline=None, max_examples=60)
def test_selection_properties(sizes, per_unit, reserve, seed, data):
    roster = make_roster(sizes)
    sel = select_respondents(roster, per_unit=per_unit, reserve=reserve, seed=seed)

    # no one twice, everyone from the roster of their own unit
    assert not sel["id"].duplicated().any()
    merged = sel.merge(roster, on="id", suffixes=("", "_roster"))
    assert len(merged) == len(sel)
    assert (merged["unit"] == merged["unit_roster"]).all()
    assert (merged["name"] == merged["name_roster"]).all()

    for unit, N in sizes.items():
        rows = sel[sel["unit"] == unit]
        official = rows[rows["role"] == "official"]
        reserves = rows[rows["role"] == "reserve"]
        assert len(official) == min(per_unit, N)
        assert len(reserves) == min(reserve, max(N - per_unit, 0))
        assert set(official["id"]).isdisjoint(reserves["id"])
        assert official["order"].tolist() == list(range(1, len(official) + 1))
        assert reserves["order"].tolist() == list(range(1, len(reserves) + 1))
        assert (rows["roster_size"] == N).all()
        if N <= per_unit:  # census
            assert (rows["note"].str.startswith("census")).all()
            assert set(official["id"]) == set(roster.loc[roster["unit"] == unit, "id"])

    # same seed, same selection; shuffled roster rows, same selection
    again = select_respondents(roster, per_unit=per_unit, reserve=reserve, seed=seed)
    pd.testing.assert_frame_equal(sel, again)
    order = data.draw(st.permutations(range(len(roster))))
    shuffled = roster.iloc[list(order)].reset_index(drop=True)
    pd.testing.assert_frame_equal(sel, select_respondents(shuffled, per_unit=per_unit,
                                                          reserve=reserve, seed=seed))


@given(sizes=rosters, seed=st.integers(0, 2**32))
@settings(deadline=None, max_examples=30)
def test_reserves_are_used_in_order(sizes, seed):
    sel = select_respondents(make_roster(sizes), per_unit=2, reserve=3, seed=seed)
    for unit in sizes:
        expected = sel[(sel["unit"] == unit) & (sel["role"] == "reserve")].sort_values("order")["id"].tolist()
        used: list[str] = []
        while (person := next_reserve(sel, unit, used)) is not None:
            assert person["role"] == "reserve" and person["unit"] == unit
            used.append(person["id"])
        assert used == expected


# --------------------------------------------------------------------------- next_reserve


def test_next_reserve_skips_used_ids_and_ends_with_none():
    sel = select_respondents(make_roster({"A": 10}), per_unit=3, reserve=3, seed=4)
    reserves = sel[sel["role"] == "reserve"].sort_values("order")["id"].tolist()
    assert next_reserve(sel, "A")["id"] == reserves[0]
    assert next_reserve(sel, "A", [reserves[0]])["id"] == reserves[1]
    assert next_reserve(sel, "A", {reserves[1]})["id"] == reserves[0]  # an unused earlier one first
    assert next_reserve(sel, "A", reserves[0])["id"] == reserves[1]  # a single id
    assert next_reserve(sel, "A", reserves) is None
    first = next_reserve(sel, "A")
    assert set(first) >= set(SELECTION_COLUMNS)
    assert isinstance(first["order"], int)


def test_next_reserve_for_a_census_unit_is_none():
    sel = select_respondents(make_roster({"A": 2}), per_unit=3, seed=4)
    assert next_reserve(sel, "A") is None


def test_next_reserve_refuses_an_unknown_unit():
    sel = select_respondents(make_roster({"A": 10}), per_unit=3, seed=4)
    with pytest.raises(ValueError, match="not in the selection"):
        next_reserve(sel, "B")
    with pytest.raises(ValueError, match="lacks"):
        next_reserve(sel.drop(columns="role"), "A")
