"""Margins of error and sample sizes: textbook values, the FPC, and a plan's precision."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sampling import load_plan
from sampling.statistics import (
    margin_of_error,
    quota_precision,
    sample_size_proportion,
    sample_size_slovin,
)

Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)


@pytest.fixture(scope="module")
def plan():
    return load_plan("laichau-2020")


# --------------------------------------------------------------------------- margin of error


def test_worked_example_of_the_reference():
    """σ = 1 on a 1-5 scale, 15 of 100 civil servants: about ±0.51 points."""
    t14 = stats.t.ppf(0.975, 14)
    assert t14 == pytest.approx(2.1448, abs=1e-4)
    expected = t14 * (1 / math.sqrt(15)) * math.sqrt((100 - 15) / (100 - 1))
    moe = margin_of_error(15, sd=1.0, N=100)
    assert moe == pytest.approx(expected, rel=1e-12)
    assert round(moe, 2) == 0.51


def test_worked_example_on_a_0_to_100_scale():
    """A 1-5 answer x becomes y = (x − 1) · 100 / 4 on 0-100 (1 → 0, 3 → 50, 5 → 100).

    The map is linear with slope 25, so every distance, the SD and the margin alike,
    is multiplied by 25: ±0.513 points on 1-5 is ±12.8, about ±13, points on 0-100.
    Passing ``scale=25`` and passing the SD already mapped (σ = 25) agree.
    """

    def to_100(x: float) -> float:
        return (x - 1) * 100 / (5 - 1)

    assert [to_100(x) for x in (1, 3, 5)] == [0, 50, 100]
    slope = to_100(2) - to_100(1)
    assert slope == 25
    on_1_to_5 = margin_of_error(15, sd=1.0, N=100)
    on_0_to_100 = margin_of_error(15, sd=1.0, N=100, scale=slope)
    assert on_0_to_100 == pytest.approx(25 * on_1_to_5)
    assert on_0_to_100 == pytest.approx(margin_of_error(15, sd=slope * 1.0, N=100))
    assert on_0_to_100 == pytest.approx(12.83, abs=0.01)
    assert round(on_0_to_100) == 13


def test_two_leaders_per_commune_give_no_usable_precision():
    """t with 1 df is 12.71: the margin is wider than the whole 1-5 scale."""
    assert stats.t.ppf(0.975, 1) == pytest.approx(12.706, abs=1e-3)
    moe = margin_of_error(2, sd=1.0)
    assert moe == pytest.approx(12.706 / math.sqrt(2), abs=1e-3)
    assert 2 * moe > 5 - 1


@pytest.mark.parametrize("n", [0, 1])
def test_fewer_than_two_answers_give_no_precision(n):
    assert margin_of_error(n, sd=1.0) == math.inf
    assert margin_of_error(n, sd=1.0, N=1) == math.inf
    assert margin_of_error(n, p=0.5) == math.inf


def test_proportion_uses_z_by_default_and_t_on_request():
    se = math.sqrt(0.25 / 15)
    assert margin_of_error(15, p=0.5) == pytest.approx(Z95 * se)
    assert round(margin_of_error(15, p=0.5), 2) == 0.25  # the reference's ±0.25
    assert margin_of_error(15, p=0.5, dist="t") == pytest.approx(stats.t.ppf(0.975, 14) * se)
    assert margin_of_error(15, sd=1.0, dist="z") == pytest.approx(Z95 / math.sqrt(15))


def test_census_has_no_sampling_error():
    assert margin_of_error(15, sd=1.0, N=15) == 0.0
    assert margin_of_error(40, p=0.3, N=40) == 0.0


def test_large_roster_approaches_no_fpc():
    without = margin_of_error(15, sd=1.0)
    assert margin_of_error(15, sd=1.0, N=10**9) == pytest.approx(without, rel=1e-7)
    widths = [margin_of_error(15, sd=1.0, N=N) for N in (15, 16, 30, 100, 1000, 10**6)]
    assert widths == sorted(widths)
    assert widths[-1] < without


def test_confidence_and_deff():
    assert margin_of_error(30, sd=1.0, confidence=0.99) > margin_of_error(30, sd=1.0)
    assert margin_of_error(30, sd=1.0, deff=2.0) == pytest.approx(math.sqrt(2) * margin_of_error(30, sd=1.0))
    assert margin_of_error(30, sd=0.0) == 0.0


@given(
    n=st.integers(min_value=2, max_value=5000),
    sd=st.floats(min_value=0.01, max_value=100),
    extra=st.one_of(st.none(), st.integers(min_value=1, max_value=10**6)),
)
@settings(deadline=None, max_examples=60)
def test_margin_decreases_in_n(n, sd, extra):
    N = None if extra is None else n + extra  # room for n + 1
    assert margin_of_error(n + 1, sd=sd, N=N) < margin_of_error(n, sd=sd, N=N)


@given(
    n=st.integers(min_value=2, max_value=2000),
    p=st.floats(min_value=0.01, max_value=0.99),
    N=st.integers(min_value=2000, max_value=10**6),
)
@settings(deadline=None, max_examples=60)
def test_fpc_never_widens_the_margin(n, p, N):
    assert margin_of_error(n, p=p, N=N) <= margin_of_error(n, p=p)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n": 15},  # neither sd nor p
        {"n": 15, "sd": 1.0, "p": 0.5},  # both
        {"n": -1, "sd": 1.0},
        {"n": 15.0, "sd": 1.0},
        {"n": True, "sd": 1.0},
        {"n": 15, "sd": -1.0},
        {"n": 15, "sd": math.nan},
        {"n": 15, "p": 1.5},
        {"n": 15, "sd": 1.0, "N": 10},  # n > N
        {"n": 15, "sd": 1.0, "confidence": 1.0},
        {"n": 15, "sd": 1.0, "confidence": 95},
        {"n": 15, "sd": 1.0, "scale": 0},
        {"n": 15, "sd": 1.0, "deff": 0},
        {"n": 15, "sd": 1.0, "dist": "normal"},
    ],
)
def test_margin_of_error_refuses_bad_input(kwargs):
    n = kwargs.pop("n")
    with pytest.raises(ValueError):
        margin_of_error(n, **kwargs)


# --------------------------------------------------------------------------- sample sizes


def test_textbook_proportion_sizes():
    """p = 0.5, e = 0.05: n₀ = 1.96² · 0.25 / 0.0025 = 384.16; with N = 2,000, 323."""
    assert sample_size_proportion(z=1.96, round_up=False) == pytest.approx(384.16, abs=1e-9)
    assert sample_size_proportion(z=1.96) == 385
    assert sample_size_proportion(z=1.96, N=2000) == 323
    assert sample_size_proportion(z=1.96, N=2000, round_up=False) == pytest.approx(322.40, abs=0.01)


def test_default_z_comes_from_scipy():
    """Without ``z=``, z = 1.959964 from the confidence level, not the rounded 1.96."""
    exact = sample_size_proportion(round_up=False)
    assert exact == pytest.approx(Z95**2 * 0.25 / 0.05**2, rel=1e-12)
    assert exact == pytest.approx(384.146, abs=1e-3)
    assert exact < sample_size_proportion(z=1.96, round_up=False)
    assert sample_size_proportion() == 385
    assert sample_size_proportion(N=2000) == 323
    assert sample_size_proportion(confidence=0.99, round_up=False) == pytest.approx(
        stats.norm.ppf(0.995) ** 2 * 0.25 / 0.0025)


def test_slovin():
    assert sample_size_slovin(2000) == 334  # 2000 / (1 + 2000 · 0.0025) = 333.33
    assert sample_size_slovin(400) == 200  # exactly 200, not pushed to 201 by rounding noise
    assert sample_size_slovin(1) == 1
    assert sample_size_slovin(0) == 0
    assert sample_size_slovin(2000, e=0.1) == 96  # 2000 / 21 = 95.2


@given(N=st.integers(min_value=0, max_value=10**7), e=st.floats(min_value=0.005, max_value=0.5))
def test_slovin_never_exceeds_the_population(N, e):
    n = sample_size_slovin(N, e)
    assert 0 <= n <= N
    assert n >= N / (1 + N * e * e) - 1e-6


def test_steps_apply_in_the_documented_order():
    """n₀ → × deff → FPC → ÷ response rate, each step checked by hand."""
    n0 = 1.96**2 * 0.3 * 0.7 / 0.04**2
    n1 = 1.5 * n0
    n2 = n1 / (1 + (n1 - 1) / 3000)
    n3 = n2 / 0.8
    got = sample_size_proportion(0.3, 0.04, N=3000, deff=1.5, response_rate=0.8, z=1.96, round_up=False)
    assert got == pytest.approx(n3, rel=1e-12)
    assert sample_size_proportion(0.3, 0.04, N=3000, deff=1.5, response_rate=0.8, z=1.96) == math.ceil(n3)


def test_fpc_after_deff_keeps_the_size_below_n():
    """Applying the FPC after the design effect caps the size at N (the svy fix)."""
    n = sample_size_proportion(N=400, deff=2.0, z=1.96, round_up=False)
    n1 = 2 * 384.16
    assert n == pytest.approx(n1 / (1 + (n1 - 1) / 400))
    assert n < 400


def test_nonresponse_inflation_is_capped_at_the_roster():
    assert sample_size_proportion(N=100, response_rate=0.5) == 100
    assert sample_size_proportion(N=2000, response_rate=0.8) == 403


@given(
    p=st.floats(min_value=0.02, max_value=0.98),
    e=st.floats(min_value=0.01, max_value=0.3),
    N=st.one_of(st.none(), st.integers(min_value=2, max_value=10**6)),
)
@settings(deadline=None, max_examples=80)
def test_size_and_margin_are_inverses(p, e, N):
    """The rounded-up size reaches the margin; one answer fewer does not."""
    n = sample_size_proportion(p, e, N=N)
    assert margin_of_error(n, p=p, N=N) <= e * (1 + 1e-9) or n < 2
    if n > 2:
        assert margin_of_error(n - 1, p=p, N=N) > e * (1 - 1e-9)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"p": 0.0}, {"p": 1.0}, {"e": 0.0}, {"e": 1.0}, {"confidence": 0.0}, {"N": 0},
        {"N": 10.5}, {"deff": 0.0}, {"response_rate": 0.0}, {"response_rate": 1.2}, {"z": -1.96},
    ],
)
def test_sample_size_proportion_refuses_bad_input(kwargs):
    with pytest.raises(ValueError):
        sample_size_proportion(**kwargs)


@pytest.mark.parametrize("args", [(-1,), (100, 0.0), (100, 1.0), (100.0,), (100, math.inf)])
def test_slovin_refuses_bad_input(args):
    with pytest.raises(ValueError):
        sample_size_slovin(*args)


# --------------------------------------------------------------------------- a plan's precision


def test_quota_precision_of_the_builtin_plan(plan):
    table = quota_precision(plan, {"I.3": 100}).set_index("group")
    assert list(table.index) == [g.code for g in plan.groups]

    i3 = table.loc["I.3"]
    assert (i3["unit_kind"], i3["units"], i3["n"], i3["N"], i3["df"]) == ("department", 20, 15, 100, 14)
    assert i3["moe"] == pytest.approx(margin_of_error(15, sd=1.0, N=100))
    assert round(i3["moe_scaled"]) == 13
    assert i3["note"] == ""

    ii4 = table.loc["II.4"]
    assert (ii4["unit_kind"], ii4["units"], ii4["n"], ii4["df"]) == ("commune", 106, 2, 1)
    assert ii4["moe_scaled"] > 100
    assert ii4["note"].startswith("no usable precision per unit")
    # pooled per district: 2 leaders × the communes of the smallest district
    fewest = min(sum(1 for c in plan.units_of_kind("commune") if c.parent == d.code)
                 for d in plan.units_of_kind("district"))
    assert ii4["n_rated"] == 2 * fewest
    assert ii4["moe_rated_scaled"] == pytest.approx(25 * margin_of_error(2 * fewest, sd=1.0))
    assert "pooled per district" in ii4["note"]

    # every department is rated by all 16 district leaders of group I.2
    assert table.loc["I.2", "n_rated"] == 16
    # groups under a separate plan have no quota here
    assert table.loc["III.1", "n"] is pd.NA
    assert table.loc["III.1", "note"].startswith("separate plan")


def test_quota_precision_uses_slovin_for_a_separate_plan(plan):
    row = quota_precision(plan, {"III.1": 2000}).set_index("group").loc["III.1"]
    assert row["n"] == 334
    assert row["moe"] == pytest.approx(margin_of_error(334, sd=1.0, N=2000))


def test_quota_precision_by_unit(plan):
    sizes = {"I.3": {"so-noi-vu": 10, "so-tu-phap": 200}}
    table = quota_precision(plan, sizes, by_unit=True)
    i3 = table[table["group"] == "I.3"].set_index("unit")
    assert len(i3) == 20
    assert i3.loc["so-noi-vu", "n"] == 10  # take-all
    assert i3.loc["so-noi-vu", "moe"] == 0.0
    assert i3.loc["so-noi-vu", "note"].startswith("take-all")
    assert i3.loc["so-tu-phap", "moe"] == pytest.approx(margin_of_error(15, sd=1.0, N=200))
    assert i3["N"].isna().sum() == 18
    # the group row reports the widest margin: a unit without a size has no FPC
    summary = quota_precision(plan, sizes).set_index("group").loc["I.3"]
    assert summary["N"] is pd.NA
    assert summary["moe"] == pytest.approx(margin_of_error(15, sd=1.0))


def test_quota_precision_scales(plan):
    ten = quota_precision(plan, {"I.3": 100}, scale=10).set_index("group").loc["I.3", "moe_scaled"]
    hundred = quota_precision(plan, {"I.3": 100}).set_index("group").loc["I.3", "moe_scaled"]
    assert ten == pytest.approx(hundred / 10)
    wider = quota_precision(plan, sd=2.0).set_index("group").loc["I.3", "moe"]
    assert wider == pytest.approx(2 * margin_of_error(15, sd=1.0))


@pytest.mark.parametrize(
    ("sizes", "kwargs"),
    [
        ({"X.9": 10}, {}),  # unknown group
        ({"I.3": {"nowhere": 10}}, {}),  # unknown unit
        ({"I.1": {"so-noi-vu": 10}}, {}),  # a fixed group has one roster
        ({"I.3": -5}, {}),
        (None, {"answer_range": (5, 1)}),
        (None, {"sd": -1}),
        (None, {"scale": 0}),
    ],
)
def test_quota_precision_refuses_bad_input(plan, sizes, kwargs):
    with pytest.raises(ValueError):
        quota_precision(plan, sizes, **kwargs)


def test_statistics_and_selection_load_neither_pandas_nor_scipy():
    """``import sampling`` is on the CLI's start-up path: both heavy imports are lazy."""
    code = (
        "import sys\n"
        "import sampling.plan\n"
        "before = set(sys.modules)\n"
        "import sampling.statistics, sampling.selection\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "print(sorted(new & {'pandas', 'scipy'}))\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
