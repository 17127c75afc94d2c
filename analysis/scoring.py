"""From answers to points: option weights, then survey points per unit and sub-criterion.

The rule (scoring rules, ``questionnaires.scoring``; worked by hand in the design notes,
"How answers become points"): an answer is *valid* when its option has a weight (not
"Không biết", not blank); for one rated unit *u* and survey sub-criterion *k* with
maximum *M*, the valid answers to every question feeding *k* about *u* are averaged per
respondent group, the group means averaged with equal weight (``pooling: groups``) or
all valid answers pooled (``pooling: answers``), and the points are *M* x mean.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from questionnaires import Form
from questionnaires.scoring import ScoringRules

from ._checks import (
    ANSWER_COLUMNS,
    check_units,
    examples,
    require_frame,
)

__all__ = ["SCORE_COLUMNS", "answer_weights", "survey_scores"]

#: The columns of :func:`survey_scores`, in order.
SCORE_COLUMNS = ("unit", "criterion", "n", "mean", "points", "max_points", "ci_low", "ci_high",
                 "dont_know_share", "flag", "groups")

#: The flag of a unit and sub-criterion without any valid answer.
NO_VALID_ANSWER = "no_valid_answer"

_SEP = "\x1f"  # joins codes into one look-up key; never part of a code


def answer_weights(answers: pd.DataFrame, forms: Mapping[str, Form]) -> pd.DataFrame:
    """Attach each answer's sub-criterion and option weight.

    Parameters
    ----------
    answers : pandas.DataFrame
        One row per answer with the columns ``response`` (id of a completed form),
        ``group`` (respondent group), ``form``, ``rated_unit`` (``""`` for a question not
        about a unit), ``question`` and ``value`` (the chosen option's value; numbers or
        text for unscored questions; blank or missing for no answer).
    forms : mapping of str to questionnaires.Form
        The questionnaires by code, e.g.
        ``{f.code: f for f in questionnaires.builtin_forms()}``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``answers`` with three more columns:

        ``criterion`` (str)
            The sub-criterion the question feeds; ``""`` for an unscored question.
        ``weight`` (float)
            The option's weight in [0, 1]; NaN for "Không biết" (an option without a
            weight), for a blank answer and for an unscored question.
        ``valid`` (bool)
            Whether the answer has a weight.

    Raises
    ------
    ValueError
        If a column is missing, a form or a question is unknown, an answer to a scored
        question is not one of its options, one response is recorded under two groups
        or forms, or one question is answered twice about the same unit in one
        response.  The message names the offending codes.

    Notes
    -----
    Blank means a missing value or text that is empty after stripping spaces; a blank
    answer is kept (it counts as "not valid" in the don't-know share of
    :func:`survey_scores`).  Values of unscored questions are not checked.

    References
    ----------
    Design notes, "How answers become points"; ``questionnaires/forms/README.md``,
    "Answer scales and default weights".

    Examples
    --------
    >>> from analysis._example import worked_example
    >>> ex = worked_example()
    >>> w = answer_weights(ex.answers, ex.forms)
    >>> w.loc[:2, ["response", "value", "criterion", "weight", "valid"]]
      response       value criterion  weight  valid
    0      r01         tot         K    0.75   True
    1      r02     rat_tot         K    1.00   True
    2      r03  khong_biet         K     NaN  False
    """
    frame = require_frame(answers, "answers", ANSWER_COLUMNS)
    weighed = _weigh(frame, forms)
    out = frame.copy()
    out["criterion"] = weighed.criterion_of_pair[weighed.pairs]
    out["weight"] = weighed.weight
    out["valid"] = ~np.isnan(weighed.weight)
    return out


def survey_scores(answers: pd.DataFrame, forms: Mapping[str, Form], rules: ScoringRules,
                  units: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    r"""Survey points of every unit on every survey sub-criterion that applies to it.

    Parameters
    ----------
    answers : pandas.DataFrame
        Long answers, as for :func:`answer_weights`.  Every answer to a question that
        feeds a survey sub-criterion must name its ``rated_unit`` (for questions about
        the respondent's own unit the service fills in that unit).
    forms : mapping of str to questionnaires.Form
        The questionnaires by code.
    rules : questionnaires.scoring.ScoringRules
        The scoring rules: the questions feeding each sub-criterion, its maximum per kind
        of unit, and ``pooling``.
    units : pandas.DataFrame
        The evaluated units: ``unit`` (code) and ``kind`` (a kind of ``rules.shares``).
    confidence : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per unit and survey sub-criterion that applies to the unit's kind
        (units in the order given, sub-criteria in the order of the rules), columns:

        ``unit``, ``criterion``
            Codes.
        ``n`` (int)
            Number of valid answers.
        ``mean`` (float)
            Mean weight on the 0..1 scale (NaN without a valid answer).
        ``points``, ``max_points`` (float)
            ``max_points`` x ``mean``; 0 without a valid answer.
        ``ci_low``, ``ci_high`` (float)
            Confidence interval of ``mean``, on the 0..1 mean-weight scale (multiply by
            ``max_points`` for points); see Notes for when it is NaN.
        ``dont_know_share`` (float)
            Share of the recorded answers (valid, "Không biết" and blank) that are not
            valid; NaN when no answer was recorded.
        ``flag`` (str)
            ``""``, or ``"no_valid_answer"`` when there is no valid answer (points 0).
        ``groups`` (int)
            Number of respondent groups with at least one valid answer.

    Raises
    ------
    ValueError
        For the reasons of :func:`answer_weights`; if ``units`` lacks a column, repeats a
        code or has a kind the rules do not know; if a scored answer has no rated unit,
        rates a unit not in ``units``, or rates a unit on a sub-criterion that does not
        apply to its kind; if ``confidence`` is not strictly between 0 and 1.

    Notes
    -----
    Only answers to questions the rules list for a survey sub-criterion are used; other
    answers (background, comments) are ignored.  Let group *g* have respondents *r* with
    :math:`m_r` valid answers summing to :math:`s_r` (all questions feeding the
    sub-criterion about the unit, together).  The group mean is the mean over those
    answers, :math:`\bar y_g = \sum_r s_r / \sum_r m_r`, and with :math:`G` groups having
    a valid answer

    .. math::

        \bar y = \frac{1}{G}\sum_g \bar y_g \quad (\text{pooling: groups}), \qquad
        \bar y = \frac{\sum s_r}{\sum m_r} \quad (\text{pooling: answers}),

    points :math:`= M \bar y`.

    **Interval.** The respondent is the sampling unit (answers of one respondent are not
    independent); only respondents with at least one valid answer count.  Each mean
    above is a ratio of sums over respondents, so its variance is estimated by
    linearisation (the one-stage cluster / ratio estimator): with
    :math:`\bar m = \sum m_r / R` and :math:`d_r = (s_r - \bar y\, m_r)/\bar m`,

    .. math::

        \widehat{V}(\bar y) = \frac{1}{R(R-1)} \sum_r d_r^2 .

    When every respondent gives the same number of valid answers (the usual case: one
    question per form and sub-criterion), :math:`d_r = y_r - \bar y` with
    :math:`y_r = s_r/m_r` the respondent's mean, and this is the textbook
    :math:`s^2/R` of the respondents' means.  With ``pooling: answers`` all respondents
    form one sample and the interval is :math:`\bar y \pm t_{R-1}\sqrt{\widehat V}`.  With
    ``pooling: groups`` the group means are independent, so
    :math:`\widehat V = \sum_g v_g / G^2` with :math:`v_g = s_g^2/R_g` computed as above
    within each group, and the *t* quantile takes the Welch-Satterthwaite degrees of
    freedom :math:`\nu = (\sum_g v_g)^2 / \sum_g v_g^2/(R_g - 1)`.  The bounds are NaN
    when fewer than 2 respondents carry the estimate: with ``pooling: answers`` when
    :math:`R < 2`; with ``pooling: groups`` when any group that enters the mean has
    :math:`R_g < 2` (its variance cannot be estimated, and a variance of 0 would
    understate the uncertainty).  When the estimated variance is 0 (every respondent
    gave the same mean) the interval is the point ``[mean, mean]``.  Bounds are clipped
    to [0, 1], the range of a mean weight.  The interval reflects sampling of
    respondents only, not the finite size of the groups (no finite-population
    correction, so it is conservative for groups that are nearly censused).

    References
    ----------
    Design notes, "How answers become points" (the rule, worked by hand).
    S. L. Lohr, *Sampling: Design and Analysis*, 2nd ed., 2010, section 5.3 (ratio
    estimation in one-stage cluster samples) and section 3.1 (stratified estimates).
    B. L. Welch, "The generalization of Student's problem when several different
    population variances are involved", *Biometrika* 34 (1947) 28-35.

    Examples
    --------
    The design notes' example: group I.1 answered Tốt, Rất tốt, Không biết and group I.4
    Khá, Trung bình, Kém, Tốt about Sở Tư pháp on K (2.0 points).

    >>> from analysis._example import worked_example
    >>> ex = worked_example()
    >>> s = survey_scores(ex.answers, ex.forms, ex.rules, ex.units)
    >>> s[["unit", "criterion", "n", "mean", "points", "max_points", "groups"]]
             unit criterion  n      mean    points  max_points  groups
    0  so-tu-phap         K  6  0.625000  1.250000         2.0       2
    1   so-noi-vu         K  6  0.708333  1.416667         2.0       2
    >>> round(float(s.loc[0, "dont_know_share"]), 4), s.loc[0, "flag"]
    (0.1429, '')
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, not {confidence!r}")
    return score_answers(answers, forms, rules, units).scores(confidence)


# --------------------------------------------------------------------- answers scored once

@dataclass(frozen=True)
class ScoredAnswers:
    """Answers scored once, to be reused: survey points, then the rank intervals.

    Made by :func:`score_answers`.  ``sums`` has one row per (rated unit, sub-criterion,
    group, respondent), sorted by those codes: ``s`` (sum of valid weights), ``m`` (valid
    answers) and ``a`` (recorded answers); its code columns are categorical, so a
    million answers take a few tens of megabytes.  ``units`` are the checked units.
    """

    sums: pd.DataFrame
    units: pd.DataFrame
    rules: ScoringRules

    def scores(self, confidence: float = 0.95) -> pd.DataFrame:
        """The table of :func:`survey_scores`, from the sums."""
        if not 0 < confidence < 1:
            raise ValueError(f"confidence must lie strictly between 0 and 1, not {confidence!r}")
        return scores_from_sums(self.sums, self.units, self.rules, confidence)

    def among(self, units: pd.DataFrame) -> ScoredAnswers:
        """The same answers about ``units`` only (some of :attr:`units`, in any order): what
        scoring the answers about those units alone would give."""
        clean = check_units(units, self.rules)
        stray = clean.loc[~clean["unit"].isin(self.units["unit"]), "unit"]
        if len(stray):
            raise ValueError(f"units: not among the scored units {examples(stray)}")
        keep = self.sums["unit"].isin(clean["unit"]).to_numpy()
        return ScoredAnswers(self.sums.loc[keep].reset_index(drop=True), clean, self.rules)


def score_answers(answers: pd.DataFrame, forms: Mapping[str, Form], rules: ScoringRules,
                  units: pd.DataFrame) -> ScoredAnswers:
    """Check and score ``answers`` once, for :meth:`ScoredAnswers.scores` (the table of
    :func:`survey_scores`) and :func:`analysis.uncertainty.rank_intervals_of`.

    Arguments, checks and errors are those of :func:`survey_scores`.  Code columns may be
    categorical, which keeps a large table small and makes it faster to score.

    >>> from analysis._example import worked_example
    >>> ex = worked_example()
    >>> scored = score_answers(ex.answers, ex.forms, ex.rules, ex.units)
    >>> scored.scores().equals(survey_scores(ex.answers, ex.forms, ex.rules, ex.units))
    True
    """
    clean_units = check_units(units, rules)
    sums = respondent_sums(_scored(answers, forms, rules, clean_units), compact=True)
    return ScoredAnswers(sums, clean_units, rules)


# --------------------------------------------------------------------- shared helpers
# Used by index, uncertainty and quality as well; not part of the public API.

def scores_from_sums(resp: pd.DataFrame, units: pd.DataFrame, rules: ScoringRules,
                     confidence: float = 0.95) -> pd.DataFrame:
    """:func:`survey_scores` from the output of :func:`respondent_sums`."""
    est = _estimates(resp, rules.pooling, confidence)
    grid = criterion_grid(units, rules)
    out = grid.merge(est, on=["unit", "criterion"], how="left")
    n = out["n"].fillna(0).to_numpy(dtype=np.int64)
    mean = out["mean"].to_numpy(dtype=float)
    out["n"] = n
    out["points"] = np.where(n > 0, out["max_points"].to_numpy(dtype=float) * np.nan_to_num(mean),
                             0.0)
    out["flag"] = np.where(n > 0, "", NO_VALID_ANSWER)
    out["groups"] = out["groups"].fillna(0).to_numpy(dtype=np.int64)
    return out[list(SCORE_COLUMNS)].reset_index(drop=True)


def criterion_grid(units: pd.DataFrame, rules: ScoringRules, method: str = "survey"
                   ) -> pd.DataFrame:
    """Every (unit, sub-criterion of ``method`` that applies to its kind): ``unit``,
    ``kind``, ``criterion``, ``max_points``, ``area``; units in order, then rules order."""
    rows = []
    by_kind: dict[str, list[tuple[str, float, str]]] = {}
    for kind in units["kind"].unique():
        by_kind[kind] = [(sub.code, float(sub.max_for(kind) or 0.0), area.code)
                         for area, _, sub in rules.subcriteria(kind=kind, method=method)]
    for unit, kind in zip(units["unit"], units["kind"]):
        rows.extend((unit, kind, code, mx, area) for code, mx, area in by_kind[kind])
    return pd.DataFrame(rows, columns=["unit", "kind", "criterion", "max_points", "area"])


# A code column is handled as (codes, labels): ``labels[codes]`` is the column as text
# (``as_code``), and the labels are unique and sorted, so that codes sort as the texts do.
# A million answers are then checked and grouped on integers, never text by text.
Codes = tuple[np.ndarray, np.ndarray]


def code_factors(series: pd.Series) -> Codes:
    """``(codes, labels)`` of a code column, missing values as ``""`` (see ``as_code``).

    A categorical column is read from its codes, without making a text per row.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        raw = series.cat.codes.to_numpy()
        uniques = series.cat.categories
    else:
        raw, uniques = pd.factorize(series, use_na_sentinel=True)
    texts = np.array([*(str(v) for v in uniques), ""], dtype=object)
    order, labels = pd.factorize(texts, sort=True)
    codes = order[np.where(raw < 0, len(texts) - 1, raw)]
    return codes.astype(np.int64), np.asarray(labels, dtype=object)


def _blank_labels(labels: np.ndarray) -> np.ndarray:
    return np.array([not v.strip() for v in labels], dtype=bool)


def combine_codes(*columns: Codes) -> np.ndarray:
    """One integer key per row for several code columns, sorting as their tuples do."""
    key = np.zeros(len(columns[0][0]), dtype=np.int64)
    size = 1
    for codes, labels in columns:
        width = max(1, len(labels))
        if size * width >= 2 ** 62:  # renumber the key so far, keeping its order
            uniques, key = np.unique(key, return_inverse=True)
            size = len(uniques)
        key = key * width + codes
        size *= width
    return key


def _texts(column: Codes, rows: np.ndarray | None = None) -> np.ndarray:
    codes, labels = column
    return labels[codes if rows is None else codes[rows]]


@dataclass(frozen=True)
class _Weighed:
    """Answers checked and weighed (:func:`answer_weights`), as code columns."""

    columns: dict[str, Codes]
    #: Per row: its (form, question) pair; per pair: the feeding sub-criterion's code
    #: in the form ("" if unscored), and ``form<SEP>question``.
    pairs: np.ndarray
    criterion_of_pair: np.ndarray
    pair_keys: list[str]
    weight: np.ndarray


def _weigh(frame: pd.DataFrame, forms: Mapping[str, Form]) -> _Weighed:
    columns = {c: code_factors(frame[c]) for c in ANSWER_COLUMNS}
    form, question, value = columns["form"], columns["question"], columns["value"]
    present = form[1][np.unique(form[0])] if len(frame) else []
    unknown_forms = sorted(set(present) - set(forms))
    if unknown_forms:
        raise ValueError(f"answers: unknown form(s) {examples(unknown_forms)}; "
                         f"known: {', '.join(forms) or 'none'}")

    criterion_of: dict[str, str] = {}
    weight_of: dict[str, float] = {}
    for code, f in forms.items():
        for q in f.questions():
            key = f"{code}{_SEP}{q.code}"
            criterion_of[key] = q.criterion or ""
            if q.scored:
                for option in q.options:
                    weight_of[f"{key}{_SEP}{option.value}"] = (
                        math.nan if option.weight is None else float(option.weight))

    pairs, first = pd.factorize(combine_codes(form, question))
    first_rows = _first_rows(pairs, len(first))
    pair_keys = [f"{f}{_SEP}{q}" for f, q in zip(_texts(form, first_rows),
                                                  _texts(question, first_rows))]
    found = [criterion_of.get(k) for k in pair_keys]
    unknown_q = np.array([c is None for c in found], dtype=bool)[pairs]
    if unknown_q.any():
        bad = [f"{f}/{q}" for f, q in zip(_texts(form, unknown_q), _texts(question, unknown_q))]
        raise ValueError(f"answers: unknown question(s) {examples(bad)}")
    criterion_of_pair = np.array([c or "" for c in found], dtype=object)

    blank = _blank_labels(value[1])[value[0]]
    look = np.array([c != "" for c in criterion_of_pair], dtype=bool)[pairs] & ~blank
    options, first_option = pd.factorize(pairs[look] * len(value[1]) + value[0][look])
    option_keys = [f"{pair_keys[p]}{_SEP}{value[1][v]}"
                   for p, v in zip(first_option // len(value[1]), first_option % len(value[1]))]
    known = np.array([k in weight_of for k in option_keys], dtype=bool)[options]
    if not known.all():
        bad_rows = np.flatnonzero(look)[~known]
        bad = [f"{f}/{q}={v}" for f, q, v in zip(_texts(form, bad_rows), _texts(question, bad_rows),
                                                 _texts(value, bad_rows))]
        raise ValueError(f"answers: value(s) that are not an option of their question "
                         f"{examples(bad)}")
    weight = np.full(len(frame), math.nan)
    weight[look] = np.array([weight_of[k] for k in option_keys], dtype=float)[options]
    _check_consistency(columns)
    return _Weighed(columns, pairs, criterion_of_pair, pair_keys, weight)


def _first_rows(codes: np.ndarray, count: int) -> np.ndarray:
    """The first row of each of ``count`` codes numbered in order of appearance."""
    first = np.full(count, len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes)))
    return first


def _check_consistency(columns: dict[str, Codes]) -> None:
    for column in ("response", "group", "form", "question"):
        blank = _blank_labels(columns[column][1])[columns[column][0]]
        if blank.any():
            raise ValueError(f"answers: {int(blank.sum())} row(s) have no {column!r}")
    response = columns["response"]
    per_response = pd.Series(combine_codes(response, columns["group"], columns["form"]))
    firsts = per_response.drop_duplicates().index.to_numpy()
    split_rows = firsts[pd.Series(response[0][firsts]).duplicated().to_numpy()]
    if len(split_rows):
        raise ValueError(f"answers: response(s) recorded under more than one group or form "
                         f"{examples(_texts(response, split_rows))}")
    twice = pd.Series(combine_codes(response, columns["rated_unit"], columns["question"])
                      ).duplicated().to_numpy()
    if twice.any():
        bad = [f"{r}:{q}@{u}" for r, q, u in zip(_texts(response, twice),
                                                 _texts(columns["question"], twice),
                                                 _texts(columns["rated_unit"], twice))]
        raise ValueError(f"answers: question(s) answered twice in one response about one unit "
                         f"{examples(bad)}")


#: The columns of :func:`scored_answers` that hold codes.
_SCORED_CODES = ("unit", "criterion", "group", "response", "form", "question", "value")


def scored_answers(answers: pd.DataFrame, forms: Mapping[str, Form], rules: ScoringRules,
                   units: pd.DataFrame) -> pd.DataFrame:
    """The answers that feed a survey sub-criterion of ``rules``: ``unit`` (the rated
    unit), ``criterion``, ``group``, ``response``, ``form``, ``question``, ``value``,
    ``weight``, ``valid``, ``kind``.  ``units`` is a frame checked by ``check_units``."""
    scored = _scored(answers, forms, rules, units)
    out = pd.DataFrame({c: _texts(scored[c]) for c in _SCORED_CODES})
    out["weight"] = scored["weight"]
    out["valid"] = scored["valid"]
    out["kind"] = pd.Series(_texts(scored["kind"]), index=out.index, dtype=object).astype(str)
    return out


def _scored(answers: pd.DataFrame, forms: Mapping[str, Form], rules: ScoringRules,
            units: pd.DataFrame) -> dict[str, Any]:
    """:func:`scored_answers` as code columns (and ``weight``, ``valid``)."""
    weighed = _weigh(require_frame(answers, "answers", ANSWER_COLUMNS), forms)
    feeds = {f"{ref.form}{_SEP}{ref.question}": sub.code
             for _, _, sub in rules.subcriteria(method="survey") for ref in sub.questions}
    feeding = [feeds.get(k) for k in weighed.pair_keys]
    keep = np.array([c is not None for c in feeding], dtype=bool)[weighed.pairs]
    rows = np.flatnonzero(keep)
    criteria = np.array(sorted({c for c in feeding if c is not None}), dtype=object)
    code_of = {c: i for i, c in enumerate(criteria)}
    pair_criterion = np.array([code_of.get(c, 0) for c in feeding], dtype=np.int64)
    criterion = (pair_criterion[weighed.pairs[rows]], criteria)
    columns = weighed.columns
    scored: dict[str, Any] = {"unit": (columns["rated_unit"][0][rows], columns["rated_unit"][1]),
                              "criterion": criterion}
    for name in ("group", "response", "form", "question", "value"):
        scored[name] = (columns[name][0][rows], columns[name][1])
    scored["weight"] = weighed.weight[rows]
    scored["valid"] = ~np.isnan(scored["weight"])

    unit = scored["unit"]
    no_unit = _blank_labels(unit[1])[unit[0]]
    if no_unit.any():
        bad = [f"{f}/{q}" for f, q in zip(_texts(scored["form"], no_unit),
                                          _texts(scored["question"], no_unit))]
        raise ValueError(f"answers: {int(no_unit.sum())} scored answer(s) have no rated_unit "
                         f"(questions {examples(bad)})")
    kind_of = dict(zip(units["unit"], units["kind"]))
    kinds = [kind_of.get(u) for u in unit[1]]
    unknown = np.array([k is None for k in kinds], dtype=bool)[unit[0]]
    if unknown.any():
        raise ValueError(f"answers: rated unit(s) not in units {examples(_texts(unit, unknown))}")
    kind_labels = np.array(sorted({k for k in kinds if k is not None}), dtype=object)
    kind_index = {k: i for i, k in enumerate(kind_labels)}
    kind_code = np.array([kind_index.get(k, 0) for k in kinds], dtype=np.int64)
    scored["kind"] = (kind_code[unit[0]], kind_labels)
    pairs, _ = pd.factorize(combine_codes(scored["kind"], scored["criterion"]))
    for row in _first_rows(pairs, pairs.max() + 1 if len(pairs) else 0):
        kind, code = _texts(scored["kind"], row), _texts(scored["criterion"], row)
        if rules.subcriterion(code).max_for(kind) is None:
            bad_units = _texts(unit, pairs == pairs[row])
            raise ValueError(f"answers: sub-criterion {code!r} does not apply to units of kind "
                             f"{kind!r}, but answers rate {examples(bad_units)} on it")
    return scored


def respondent_sums(scored: pd.DataFrame | dict[str, Any], *, compact: bool = False
                    ) -> pd.DataFrame:
    """Per (unit, criterion, group, response): ``s`` (sum of valid weights), ``m`` (valid
    answers) and ``a`` (recorded answers), sorted by those keys.

    ``scored``: the table of :func:`scored_answers` (or its code columns).  ``compact``:
    the four key columns are categorical instead of text."""
    keys = ("unit", "criterion", "group", "response")
    if isinstance(scored, pd.DataFrame):
        columns = {k: code_factors(scored[k]) for k in keys}
        weight = scored["weight"].to_numpy(dtype=float)
        valid = scored["valid"].to_numpy(dtype=np.int64)
    else:
        columns = {k: scored[k] for k in keys}
        weight, valid = scored["weight"], scored["valid"].astype(np.int64)
    frame = pd.DataFrame({"key": combine_codes(*(columns[k] for k in keys)),
                          "s": np.nan_to_num(weight), "m": valid, "a": 1})
    sums = frame.groupby("key", sort=True).sum()
    # A row of each key, to read its codes back.
    rows = _first_rows(np.searchsorted(sums.index.to_numpy(), frame["key"].to_numpy()), len(sums))
    out = {}
    for k in keys:
        codes, labels = columns[k]
        picked = codes[rows]
        out[k] = (pd.Categorical.from_codes(picked, categories=labels) if compact
                  else labels[picked])
    return pd.DataFrame({**out, "s": sums["s"].to_numpy(), "m": sums["m"].to_numpy(),
                         "a": sums["a"].to_numpy()})


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den where den > 0, else NaN (without a floating-point warning)."""
    out = np.full(np.shape(num), math.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _estimates(resp: pd.DataFrame, pooling: str, confidence: float) -> pd.DataFrame:
    """Per (unit, criterion): n, mean, ci_low, ci_high, dont_know_share, groups."""
    pair_keys = ["unit", "criterion"]
    group_keys = ["unit", "criterion", "group"]
    s = resp["s"].to_numpy(dtype=float)
    m = resp["m"].to_numpy(dtype=float)
    carry = m > 0
    # Grouped on integer codes (in the order of the texts): the same groups, in the same
    # order, as on the texts themselves.
    codes = {k: code_factors(resp[k]) for k in group_keys}
    work = pd.DataFrame({k: codes[k][0] for k in group_keys})
    work["s"], work["m"], work["a"], work["carry"] = s, m, resp["a"].to_numpy(), carry

    levels = group_keys if pooling == "groups" else pair_keys
    by = work.groupby(levels, sort=False)
    s_tot = by["s"].transform("sum").to_numpy(dtype=float)
    m_tot = by["m"].transform("sum").to_numpy(dtype=float)
    r_tot = by["carry"].transform("sum").to_numpy(dtype=float)
    ybar = _ratio(s_tot, m_tot)
    mbar = _ratio(m_tot, r_tot)
    resid = np.zeros(len(work))
    np.divide(s - np.nan_to_num(ybar) * m, mbar, out=resid, where=carry)
    work["d2"] = resid ** 2

    if pooling == "groups":
        g = work.groupby(group_keys, sort=False).agg(
            S=("s", "sum"), M=("m", "sum"), A=("a", "sum"), R=("carry", "sum"),
            SS=("d2", "sum")).reset_index()
        S, M, R, SS = (g[c].to_numpy(dtype=float) for c in ("S", "M", "R", "SS"))
        has = M > 0
        enough = has & (R >= 2)
        v = np.zeros(len(g))
        np.divide(SS, R * (R - 1), out=v, where=enough)
        ws = np.zeros(len(g))
        np.divide(v ** 2, R - 1, out=ws, where=enough)
        g["ybar"] = np.where(has, np.nan_to_num(_ratio(S, M)), 0.0)
        g["has"], g["short"], g["v"], g["ws"] = has, has & ~enough, v, ws
        p = g.groupby(pair_keys, sort=False).agg(
            n=("M", "sum"), A=("A", "sum"), groups=("has", "sum"), ysum=("ybar", "sum"),
            short=("short", "sum"), V=("v", "sum"), WS=("ws", "sum")).reset_index()
        G = p["groups"].to_numpy(dtype=float)
        mean = _ratio(p["ysum"].to_numpy(dtype=float), G)
        vsum = p["V"].to_numpy(dtype=float)
        var = _ratio(vsum, G ** 2)
        df = _ratio(vsum ** 2, p["WS"].to_numpy(dtype=float))
        ok = (G > 0) & (p["short"].to_numpy() == 0)
    else:
        gh = work.groupby(group_keys, sort=False)["m"].sum().gt(0).groupby(level=pair_keys).sum()
        p = work.groupby(pair_keys, sort=False).agg(
            S=("s", "sum"), n=("m", "sum"), A=("a", "sum"), R=("carry", "sum"),
            SS=("d2", "sum")).reset_index()
        p["groups"] = gh.reindex(pd.MultiIndex.from_frame(p[pair_keys])).to_numpy()
        R = p["R"].to_numpy(dtype=float)
        mean = _ratio(p["S"].to_numpy(dtype=float), p["n"].to_numpy(dtype=float))
        var = np.full(len(p), math.nan)
        np.divide(p["SS"].to_numpy(dtype=float), R * (R - 1), out=var, where=R >= 2)
        df = R - 1
        ok = R >= 2

    low, high = t_interval(mean, var, df, ok, confidence)
    n = p["n"].to_numpy(dtype=float)
    return pd.DataFrame({
        "unit": codes["unit"][1][p["unit"].to_numpy()],
        "criterion": codes["criterion"][1][p["criterion"].to_numpy()],
        "n": n.astype(np.int64), "mean": mean, "ci_low": low, "ci_high": high,
        "dont_know_share": 1.0 - _ratio(n, p["A"].to_numpy(dtype=float)),
        "groups": p["groups"].to_numpy(dtype=np.int64),
    })


def t_interval(mean: np.ndarray, var: np.ndarray, df: np.ndarray, ok: np.ndarray,
               confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """``mean -/+ t_{df} * sqrt(var)`` where ``ok``, clipped to [0, 1]; NaN elsewhere.

    A variance of 0 gives the point interval whatever ``df`` is."""
    low = np.full(len(mean), math.nan)
    high = np.full(len(mean), math.nan)
    point = ok & (np.nan_to_num(var) == 0) & ~np.isnan(mean)
    spread = ok & ~point & (np.nan_to_num(var) > 0) & (np.nan_to_num(df) > 0)
    if spread.any():
        from scipy import stats  # imported where needed: scipy takes long to load
        half = stats.t.ppf(0.5 + confidence / 2, df[spread]) * np.sqrt(var[spread])
        low[spread] = mean[spread] - half
        high[spread] = mean[spread] + half
    low[point] = mean[point]
    high[point] = mean[point]
    return np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)
