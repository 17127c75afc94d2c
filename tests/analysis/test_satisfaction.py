"""The satisfaction index: figures by hand, intervals honest about clustered answers, rows,
bad input, and properties that hold for any answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis import ALL_AREAS, SATISFACTION_COLUMNS, satisfaction_index, scale_levels
from analysis.satisfaction import _example
from questionnaires import form_from_dict

COLUMNS = ["response", "rated_unit", "question", "value"]
SCALE = [{"value": str(i), "label": {"vi": f"Mức {i}", "en": f"Level {i}"}, "weight": w}
         for i, w in enumerate((0.0, 0.25, 0.5, 0.75, 1.0), 1)] + [
    {"value": "kb", "label": {"vi": "Không biết", "en": "Don't know"}, "weight": None}]


def _question(code: str, options=SCALE, kind: str = "unit_rating") -> dict:
    unit = " {unit}" if kind == "unit_rating" else ""
    return {"code": code, "kind": kind, "label": {"vi": f"{code}{unit}", "en": f"{code}{unit}"},
            "options": options}


def make_form(sections: dict[str, list[dict]]):
    return form_from_dict({
        "format": 1, "code": "HL-T", "version": "1", "title": {"vi": "Phiếu", "en": "Form"},
        "sections": [{"code": code, "title": {"vi": code, "en": code}, "questions": questions}
                     for code, questions in sections.items()]})


FORM = make_form({"a": [_question("q1"), _question("q2")], "b": [_question("q3")]})


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def row(table: pd.DataFrame, unit: str, area: str) -> pd.Series:
    found = table[(table["unit"] == unit) & (table["area"] == area)]
    assert len(found) == 1, (unit, area, table)
    return found.iloc[0]


def t2(df: float, confidence: float = 0.95) -> float:
    return stats.t.ppf(0.5 + confidence / 2, df) ** 2


def wilson(p: float, n: float, z2: float) -> tuple[float, float]:
    """Wilson's interval written out as in the textbooks."""
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = math.sqrt(z2) / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return centre - half, centre + half


# ----------------------------------------------------------------- figures by hand

def test_the_docstring_example_by_hand():
    answers, form = _example()
    s = satisfaction_index(answers, form)
    assert list(s.columns) == list(SATISFACTION_COLUMNS)
    assert s["area"].tolist() == ["thu_tuc", "cong_chuc", ALL_AREAS]
    proc = row(s, "so-tu-phap", "thu_tuc")
    # r1: 5, 4 (2 satisfied of 2); r2: 3, kb (0 of 1); r3: 4, 2 (1 of 2)
    assert proc["n"] == 3
    assert proc["satisfied_share"] == pytest.approx(3 / 5)
    assert proc["mean"] == pytest.approx(18 / 5)
    assert proc["dont_know_share"] == pytest.approx(1 / 6)
    # linearised variance: mean m = 5/3, d_r = (x_r - 0.6 m_r) / (5/3)
    d = np.array([2 - 1.2, 0 - 0.6, 1 - 1.2]) / (5 / 3)
    var = (d ** 2).sum() / (3 * 2)
    assert var == pytest.approx(0.0624)
    low, high = wilson(0.6, 0.24 / var, t2(2))
    assert proc["satisfied_low"] == pytest.approx(low)
    assert proc["satisfied_high"] == pytest.approx(high)
    assert (low, high) == pytest.approx((0.0638, 0.9706), abs=5e-5)
    # the mean level: on the 0..1 scale r1 gives 1.75 over 2 answers, r2 0.5 over 1, r3 1.0 over 2
    d = np.array([1.75 - 0.65 * 2, 0.5 - 0.65, 1.0 - 0.65 * 2]) / (5 / 3)
    half01 = math.sqrt(t2(2) * (d ** 2).sum() / 6)
    assert proc["ci_low"] == pytest.approx(1 + 4 * (0.65 - half01))
    assert proc["ci_high"] == 5.0  # clipped to the top of the scale
    both = row(s, "so-tu-phap", ALL_AREAS)
    assert both["n"] == 3
    assert both["satisfied_share"] == pytest.approx(5 / 7)
    assert both["mean"] == pytest.approx(27 / 7)
    assert both["dont_know_share"] == pytest.approx(2 / 9)


def test_one_answer_per_respondent_gives_the_textbook_figures():
    # 8 respondents, one answer each: 6 satisfied (levels 4 or 5), 2 not.
    values = ["5", "4", "4", "5", "4", "4", "2", "3"]
    s = satisfaction_index(frame([(f"r{i}", "u", "q3", v) for i, v in enumerate(values)]), FORM)
    b = row(s, "u", "b")
    p = 6 / 8
    # the linearised variance is then p(1 - p) / (R - 1): n* = R - 1
    low, high = wilson(p, 7, t2(7))
    assert (b["satisfied_low"], b["satisfied_high"]) == pytest.approx((low, high))
    levels = np.array([5, 4, 4, 5, 4, 4, 2, 3], dtype=float)
    half = math.sqrt(t2(7)) * levels.std(ddof=1) / math.sqrt(8)
    assert b["mean"] == pytest.approx(levels.mean())
    expected = (levels.mean() - half, min(5.0, levels.mean() + half))
    assert (b["ci_low"], b["ci_high"]) == pytest.approx(expected)


def test_answers_of_one_respondent_count_as_one_cluster_not_as_many_answers():
    once = [(f"r{i}", "u", "q1", v) for i, v in enumerate(["5", "4", "1", "4", "2", "5"])]
    # the same people, each giving the same level to a second question of the area
    twice = once + [(r, u, "q2", v) for r, u, _, v in once]
    a = row(satisfaction_index(frame(once), FORM), "u", "a")
    b = row(satisfaction_index(frame(twice), FORM), "u", "a")
    for column in ("n", "satisfied_share", "satisfied_low", "satisfied_high", "mean", "ci_low", "ci_high"):
        assert b[column] == pytest.approx(a[column]), column
    # whereas twice as many independent respondents give a narrower interval
    more = once + [(f"s{i}", u, q, v) for i, (_, u, q, v) in enumerate(once)]
    c = row(satisfaction_index(frame(more), FORM), "u", "a")
    assert c["satisfied_high"] - c["satisfied_low"] < a["satisfied_high"] - a["satisfied_low"]


def test_every_answer_satisfied_still_gives_an_interval_below_one():
    rows = [(f"r{i}", "u", q, "5") for i in range(12) for q in ("q1", "q2")]
    a = row(satisfaction_index(frame(rows), FORM), "u", "a")
    assert a["satisfied_share"] == 1.0 and a["satisfied_high"] == 1.0
    # variance 0: n* = the 24 answers; Wilson's lower bound for p = 1 is n / (n + t^2)
    assert a["satisfied_low"] == pytest.approx(24 / (24 + t2(11)))
    assert a["satisfied_low"] < 0.9
    # the mean level with no spread has the point interval (as the survey points do)
    assert (a["mean"], a["ci_low"], a["ci_high"]) == (5.0, 5.0, 5.0)


def test_large_samples_agree_with_the_linearised_wald_interval():
    rng = np.random.default_rng(3)
    rows = [(f"r{i}", "u", q, str(rng.choice([2, 3, 4, 5], p=[0.1, 0.2, 0.4, 0.3])))
            for i in range(3000) for q in ("q1", "q2")]
    a = row(satisfaction_index(frame(rows), FORM), "u", "a")
    half = (a["satisfied_high"] - a["satisfied_low"]) / 2
    centre = (a["satisfied_high"] + a["satisfied_low"]) / 2
    assert centre == pytest.approx(a["satisfied_share"], abs=1e-3)
    assert half == pytest.approx(1.96 * math.sqrt(0.7 * 0.3 / 6000), rel=0.3)  # within the design effect


def test_levels_are_ranks_of_the_weights_and_mixed_scales_have_no_mean():
    four = [{"value": v, "label": {"vi": v, "en": v}, "weight": w}
            for v, w in (("kem", 0.0), ("tb", 0.3), ("kha", 0.9), ("tot", 1.0), ("kb", None))]
    form = make_form({"a": [_question("q1"), _question("q2", four, kind="choice")],
                      "b": [_question("q3", four)],
                      "c": [_question("yn", [{"value": "co", "label": {"vi": "Có", "en": "Yes"}, "weight": 1},
                                             {"value": "khong", "label": {"vi": "Không", "en": "No"},
                                              "weight": 0}])]})
    levels = scale_levels(form)
    assert list(levels) == ["q1", "q2", "q3"]  # a yes/no question is not a scale
    assert levels["q3"] == ("b", {"kem": 1, "tb": 2, "kha": 3, "tot": 4, "kb": None}, 4)
    rows = [("r1", "u", "q3", "kha"), ("r2", "u", "q3", "tb"), ("r3", "u", "q3", "tot"),
            ("r1", "u", "q2", "kem"), ("r1", "u", "q1", "4"), ("r1", "u", "yn", "co")]
    s = satisfaction_index(frame(rows), form)
    b = row(s, "u", "b")
    assert b["satisfied_share"] == pytest.approx(2 / 3)  # kha and tot: the two top levels of four
    assert b["mean"] == pytest.approx(3.0)
    a = row(s, "u", "a")  # q1 has five levels, q2 four: no mean, but a share
    assert a["satisfied_share"] == pytest.approx(0.5)
    assert math.isnan(a["mean"]) and math.isnan(a["ci_low"])
    assert math.isnan(row(s, "u", ALL_AREAS)["mean"])
    assert "c" not in set(s["area"])


# ----------------------------------------------------------------- rows

def test_rows_only_for_units_and_areas_with_answers():
    rows = [("r1", "u2", "q1", "4"), ("r2", "u2", "q1", "5"), ("r1", "u1", "q3", "kb"),
            ("r2", "u1", "q3", "kb"), ("r3", "u3", "q1", ""), ("r3", "u3", "q3", None)]
    s = satisfaction_index(frame(rows), FORM)
    assert list(zip(s["unit"], s["area"])) == [("u1", "b"), ("u1", ALL_AREAS), ("u2", "a"), ("u2", ALL_AREAS)]
    only_dk = row(s, "u1", "b")
    assert only_dk["n"] == 0 and only_dk["dont_know_share"] == 1.0
    for column in ("satisfied_share", "satisfied_low", "satisfied_high", "mean", "ci_low", "ci_high"):
        assert math.isnan(only_dk[column]), column
    assert s["n"].dtype == np.int64


def test_each_unit_is_computed_on_its_own_answers():
    first = [(f"r{i}", "u1", q, v) for i, v in enumerate("5421") for q in ("q1", "q3")]
    second = [(f"r{i}", "u2", "q1", v) for i, v in enumerate(["3", "3", "5", "kb", "4"])]
    both = satisfaction_index(frame(second + first), FORM)
    for rows in (first, second):
        alone = satisfaction_index(frame(rows), FORM)
        mine = both[both["unit"] == alone["unit"][0]].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone)


def test_one_respondent_has_no_interval():
    s = satisfaction_index(frame([("r1", "u", "q1", "5"), ("r1", "u", "q2", "2")]), FORM)
    a = row(s, "u", "a")
    assert a["n"] == 1 and a["satisfied_share"] == 0.5 and a["mean"] == 3.5
    assert all(math.isnan(a[c]) for c in ("satisfied_low", "satisfied_high", "ci_low", "ci_high"))


def test_other_forms_and_other_questions_are_left_out():
    background = {"code": "b1", "kind": "background", "label": {"vi": "Tuổi", "en": "Age"},
                  "options": [{"value": "tre", "label": {"vi": "Trẻ", "en": "Young"}}]}
    text = {"code": "y", "kind": "text", "label": {"vi": "Ý kiến", "en": "Comment"}, "max_length": 100}
    form = make_form({"a": [_question("q1")], "bg": [background, text]})
    answers = pd.DataFrame([
        ("r1", "HL-T", "u", "q1", "4"), ("r1", "HL-T", "u", "b1", "tre"), ("r1", "HL-T", "u", "y", "tốt"),
        ("r2", "HL-T", "u", "q1", "2"), ("x1", "CT-01", "u", "q99", "rat_tot")],
        columns=["response", "form", "rated_unit", "question", "value"])
    s = satisfaction_index(answers, form)
    assert set(s["area"]) == {"a", ALL_AREAS}
    assert row(s, "u", "a")["n"] == 2


def test_confidence_widens_the_intervals():
    rows = [(f"r{i}", "u", "q1", v) for i, v in enumerate("5431254455")]
    narrow = row(satisfaction_index(frame(rows), FORM, confidence=0.8), "u", "a")
    wide = row(satisfaction_index(frame(rows), FORM, confidence=0.99), "u", "a")
    assert wide["satisfied_low"] < narrow["satisfied_low"] < narrow["satisfied_high"] < wide["satisfied_high"]
    assert wide["ci_low"] < narrow["ci_low"]


# ----------------------------------------------------------------- bad input

@pytest.mark.parametrize(("rows", "message"), [
    ([("r1", "u", "q9", "4")], "not in form HL-T 'q9'"),
    ([("r1", "u", "q1", "6")], "not an option of their question 'q1=6'"),
    ([("r1", "u", "q1", "4"), ("r1", "u", "q1", "5")], "answered twice in one response about one unit "
                                                       "'r1:q1@u'"),
    ([("r1", "", "q1", "4")], "have no rated_unit"),
    ([("", "u", "q1", "4")], "have no response"),
])
def test_bad_answers_are_refused_with_their_codes(rows, message):
    with pytest.raises(ValueError, match=message):
        satisfaction_index(frame(rows), FORM)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="missing the column"):
        satisfaction_index(pd.DataFrame({"response": ["r1"]}), FORM)
    with pytest.raises(ValueError, match="must be a pandas DataFrame"):
        satisfaction_index([("r1", "u", "q1", "4")], FORM)
    with pytest.raises(ValueError, match="questionnaires.Form"):
        satisfaction_index(frame([]), "HL-01")
    with pytest.raises(ValueError, match="confidence"):
        satisfaction_index(frame([]), FORM, confidence=1.0)
    with pytest.raises(ValueError, match="may not have the code 'all'"):
        satisfaction_index(frame([]), make_form({"all": [_question("q1")]}))


def test_no_answer_gives_an_empty_table_with_the_columns():
    s = satisfaction_index(frame([]), FORM)
    assert s.empty and list(s.columns) == list(SATISFACTION_COLUMNS)


# ----------------------------------------------------------------- properties

VALUES = ["1", "2", "3", "4", "5", "kb", ""]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def surveys(draw: st.DrawFn) -> pd.DataFrame:
    count = draw(st.integers(1, 8))
    rows = []
    for i in range(count):
        for unit in draw(st.lists(st.sampled_from(["u1", "u2", "u3"]), min_size=1, max_size=3, unique=True)):
            for q in ("q1", "q2", "q3"):
                if draw(st.booleans()):
                    rows.append((f"r{i}", unit, q, draw(st.sampled_from(VALUES))))
    return frame(rows)


@SETTINGS
@given(surveys())
def test_shares_and_means_lie_in_their_ranges_and_inside_their_intervals(answers):
    s = satisfaction_index(answers, FORM)
    stated = s.dropna(subset=["satisfied_share"])
    for low, mid, high in (("satisfied_low", "satisfied_share", "satisfied_high"),
                           ("ci_low", "mean", "ci_high")):
        has = stated.dropna(subset=[low])
        assert (has[low] <= has[mid] + 1e-12).all() and (has[mid] <= has[high] + 1e-12).all()
    for column in ("satisfied_share", "satisfied_low", "satisfied_high", "dont_know_share"):
        values = s[column].dropna()
        assert ((values >= 0) & (values <= 1)).all(), column
    for column in ("mean", "ci_low", "ci_high"):
        values = s[column].dropna()
        assert ((values >= 1) & (values <= 5)).all(), column
    # intervals exactly where two or more respondents carry the estimate
    assert (s["satisfied_low"].notna() == (s["n"] >= 2)).all()
    assert (s["satisfied_share"].notna() == (s["n"] >= 1)).all()


@SETTINGS
@given(surveys(), st.randoms(use_true_random=False))
def test_the_order_of_rows_and_the_response_ids_change_nothing(answers, rnd):
    expected = satisfaction_index(answers, FORM)
    shuffled = answers.sample(frac=1.0, random_state=rnd.randint(0, 2 ** 31)).reset_index(drop=True)
    pd.testing.assert_frame_equal(satisfaction_index(shuffled, FORM), expected)
    ids = sorted(set(answers["response"]))
    renamed = dict(zip(ids, rnd.sample([f"x{i:03d}" for i in range(100)], len(ids))))
    relabelled = answers.assign(response=answers["response"].map(renamed))
    pd.testing.assert_frame_equal(satisfaction_index(relabelled, FORM), expected)
