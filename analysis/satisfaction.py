r"""The satisfaction index of citizens and organisations: per rated unit and area.

The citizens' form (``HL-01``) asks people who went through an administrative procedure
at a unit's one-stop desk how satisfied they are, question by question, on one shared
scale ("Rất không hài lòng" ... "Rất hài lòng", plus "Không biết").  The index reports,
for every rated unit and every area of the form (a section; plus ``all``), the share of
satisfied answers and the mean level, each with an interval, and the share of "Không
biết".  The rule, in full:

*Scale questions.*  The form's ``choice`` and ``unit_rating`` questions with at least
three distinct option weights.  The *level* of an answer is the rank of its option's
weight among the question's distinct weights (1 = lowest, *k* = highest; options of
equal weight share a level); an option without a weight is "don't know" and has no
level.  *Satisfied* means one of the two top levels (*k* - 1 or *k*: "Hài lòng" or "Rất
hài lòng" on the five-level scale).  Other questions (background, free text, multiple
choice) are left out.

*Estimates.*  For a unit and an area, let respondent *r* give :math:`m_r` answers with a
level, :math:`x_r` of them satisfied, with levels summing to :math:`l_r`, and
:math:`a_r \ge m_r` answers in all (don't know included; blank answers are not
answers).  Then

.. math::

    \hat p = \frac{\sum_r x_r}{\sum_r m_r}, \qquad
    \bar L = \frac{\sum_r l_r}{\sum_r m_r}, \qquad
    \text{dont\_know\_share} = 1 - \frac{\sum_r m_r}{\sum_r a_r},

and ``n`` is the number :math:`R` of respondents with :math:`m_r > 0`.

*Intervals.*  One respondent answers several questions about the same unit, and their
answers are alike: the respondent, not the answer, is the sampling unit.  Both
:math:`\hat p` and :math:`\bar L` are ratios of sums over respondents (one-stage
cluster samples), so their variances are estimated by linearisation, exactly as for
the survey points of :func:`analysis.survey_scores`: with :math:`\bar m = \sum m_r / R`
and :math:`d_r = (x_r - \hat p\, m_r)/\bar m`,
:math:`\widehat V(\hat p) = \sum_r d_r^2 / (R(R-1))`, and likewise for :math:`\bar L`.

- The mean level's interval is :math:`\bar L \pm t_{R-1}\sqrt{\widehat V}`, clipped to
  [1, *k*] (the helper of :func:`analysis.survey_scores`, on the 0..1 scale
  :math:`(L-1)/(k-1)`); a variance of 0 gives the point interval.
- The satisfied share's interval is the **Wilson score interval with the effective
  sample size** :math:`n^* = \hat p(1-\hat p)/\widehat V(\hat p)` (at most the number
  of answers :math:`M = \sum m_r`; :math:`M` when :math:`\widehat V = 0`) and the
  critical value :math:`t_{R-1}` in place of *z* (Korn and Graubard 1998).  Why not the
  Wald interval :math:`\hat p \pm t\sqrt{\widehat V}` of the points: the satisfied
  share of a small unit is often near or at 1, where the Wald interval has poor
  coverage and collapses to the point [1, 1] when every answer is satisfied, claiming a
  certainty a dozen respondents cannot give.  Wilson's interval always lies within
  [0, 1], always contains :math:`\hat p`, and for large samples agrees with the
  linearised Wald interval; the design effect enters through :math:`n^*`, so the
  clustering of answers within respondents is kept.  Using :math:`t_{R-1}` instead of
  *z* is the degrees-of-freedom adjustment of :math:`n^*` (it equals Wilson's interval
  with :math:`n^*(z/t_{R-1})^2` and *z*), which widens the interval when few
  respondents carry it.

Both intervals need :math:`R \ge 2` (a variance from one respondent cannot be
estimated); with fewer they are NaN.  They reflect the sampling of respondents only
(no finite-population correction: conservative when a desk's roster is nearly
censused).

*Rows.*  One row per rated unit and area with at least one (non-blank) answer to a
scale question; units without any answer do not appear (the table knows no list of
units: a report joins it to the plan's units).  A unit whose answers in an area are
all "don't know" has a row with ``n`` 0, ``dont_know_share`` 1 and empty (NaN)
statistics.  The mean level of an area whose scale questions do not all have the same
number of levels *k* is NaN (levels of different scales cannot be averaged); the
satisfied share is still given.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from questionnaires import Form, Kind, form_from_dict

from ._checks import as_code, examples, is_blank, require_frame
from .scoring import t_interval

__all__ = ["ALL_AREAS", "SATISFACTION_COLUMNS", "satisfaction_index", "scale_levels"]

#: The columns of :func:`satisfaction_index`, in order.
SATISFACTION_COLUMNS = ("unit", "area", "n", "satisfied_share", "satisfied_low", "satisfied_high",
                        "mean", "ci_low", "ci_high", "dont_know_share")

#: The area code of the rows over every scale question of the form.
ALL_AREAS = "all"

#: The columns :func:`satisfaction_index` needs in its answers.
ANSWER_COLUMNS = ("response", "rated_unit", "question", "value")

_SEP = "\x1f"  # joins codes into one look-up key; never part of a code
_KINDS = (Kind.CHOICE, Kind.UNIT_RATING)


def scale_levels(form: Form) -> dict[str, tuple[str, dict[str, int | None], int]]:
    """The scale questions of ``form`` with the level of each option.

    Parameters
    ----------
    form : questionnaires.Form
        A questionnaire.

    Returns
    -------
    dict
        Question code -> ``(area, levels, k)``, in the form's order: ``area`` is the
        code of the question's section, ``levels`` maps each option's value to its level
        (1..k) or to None for an option without a weight ("don't know"), ``k`` is the
        number of levels.

    Raises
    ------
    ValueError
        If a section holding scale questions has the code ``all`` (kept for the rows over
        every area).

    Notes
    -----
    A scale question is a ``choice`` or ``unit_rating`` question with at least three
    distinct option weights; the level of an option is the rank of its weight among
    them (equal weights share a level).

    References
    ----------
    ``questionnaires/forms/README.md``, "Answer scales and default weights".

    Examples
    --------
    >>> form = _example()[1]
    >>> area, levels, k = scale_levels(form)["tt1"]
    >>> area, k, levels["4"], levels["kb"]
    ('thu_tuc', 5, 4, None)
    """
    out: dict[str, tuple[str, dict[str, int | None], int]] = {}
    for section in form.sections:
        for q in section.questions:
            if q.kind not in _KINDS:
                continue
            weights = sorted({o.weight for o in q.options if o.weight is not None})
            if len(weights) < 3:
                continue
            if section.code == ALL_AREAS:
                raise ValueError(f"form {form.code}: a section with scale questions may not have the "
                                 f"code {ALL_AREAS!r} (it names the rows over every area)")
            rank = {w: i for i, w in enumerate(weights, 1)}
            levels = {o.value: (None if o.weight is None else rank[o.weight]) for o in q.options}
            out[q.code] = (section.code, levels, len(weights))
    return out


def satisfaction_index(answers: pd.DataFrame, form: Form, *, confidence: float = 0.95) -> pd.DataFrame:
    r"""Satisfied share and mean level per rated unit and area, with intervals.

    Parameters
    ----------
    answers : pandas.DataFrame
        One row per answer with the columns ``response`` (id of a completed form),
        ``rated_unit`` (the unit the answer is about), ``question`` and ``value`` (the
        chosen option's value; blank or missing for no answer), as in the responses
        export.  With a ``form`` column, only the rows of ``form.code`` are used.
        Answers to questions that are not scale questions are ignored.
    form : questionnaires.Form
        The questionnaire the answers are to.
    confidence : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per rated unit and area with an answer, units in code order, areas in
        the form's order then ``all``; the columns of :data:`SATISFACTION_COLUMNS`:

        ``unit``, ``area`` (str)
            The rated unit; the section code, or ``all`` for every scale question.
        ``n`` (int)
            Respondents with at least one answer with a level.
        ``satisfied_share``, ``satisfied_low``, ``satisfied_high`` (float)
            Share of the answers with a level that are at one of the two top levels,
            and its interval (Wilson, effective sample size); in [0, 1].
        ``mean``, ``ci_low``, ``ci_high`` (float)
            Mean level on the 1..k scale and its interval (linearised, *t*).
        ``dont_know_share`` (float)
            Share of the answers that are "don't know".

        Statistics are NaN when ``n`` is 0, intervals NaN when ``n`` < 2.

    Raises
    ------
    ValueError
        If ``answers`` is not a DataFrame or lacks a column; if ``form`` is not a
        :class:`questionnaires.Form`; if a question is not in the form; if an answer to
        a scale question is not one of its options, has no response or no rated unit, or
        is given twice in one response about one unit; if ``confidence`` is not strictly
        between 0 and 1.  The message names the offending codes.

    Notes
    -----
    The method (levels, ratio estimators, linearised variances, Wilson's interval with
    the effective sample size and why) is written out in the module's documentation,
    :mod:`analysis.satisfaction`.

    References
    ----------
    S. L. Lohr, *Sampling: Design and Analysis*, 2nd ed., 2010, section 5.3 (ratio
    estimation in one-stage cluster samples).  E. B. Wilson, "Probable inference, the
    law of succession, and statistical inference", *JASA* 22 (1927) 209-212.  E. L. Korn
    and B. I. Graubard, "Confidence intervals for proportions with small expected number
    of positive counts estimated from survey data", *Survey Methodology* 24 (1998)
    193-201.  N. Dean and M. Pagano, "Evaluating confidence interval methods for binomial
    proportions in clustered surveys", *J. Survey Statistics and Methodology* 3 (2015)
    484-503.  L. Kish, *Survey Sampling*, 1965, section 8.2 (design effect).

    Examples
    --------
    Three citizens rate Sở Tư pháp on the five-level scale: on the procedure (``tt1``,
    ``tt2``) r1 says 5 and 4, r2 says 3 and "don't know", r3 says 4 and 2; on the civil
    servants (``cc1``) r1 does not know, r2 says 4, r3 says 5.  On the procedure, 3 of
    5 answers with a level are satisfied (0.6), the mean level is 18 / 5 = 3.6, and 1
    of 6 answers is "don't know"; over all three questions 5 of 7 are satisfied.

    >>> answers, form = _example()
    >>> s = satisfaction_index(answers, form)
    >>> s[["unit", "area", "n", "satisfied_share", "mean", "dont_know_share"]].round(4)
             unit       area  n  satisfied_share    mean  dont_know_share
    0  so-tu-phap    thu_tuc  3           0.6000  3.6000           0.1667
    1  so-tu-phap  cong_chuc  2           1.0000  4.5000           0.3333
    2  so-tu-phap        all  3           0.7143  3.8571           0.2222

    The interval of the satisfied share on the procedure: the linearised variance is
    0.0624 (respondents' residuals 0.48, -0.36, -0.12), so n* = 0.24 / 0.0624 = 3.85
    answers' worth, and Wilson's interval with t(2) = 4.30 is wide:

    >>> s.loc[0, ["satisfied_low", "satisfied_high"]].astype(float).round(4).tolist()
    [0.0638, 0.9706]
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, not {confidence!r}")
    if not isinstance(form, Form):
        raise ValueError(f"form must be a questionnaires.Form, not {type(form).__name__}")
    scales = scale_levels(form)
    per = _respondent_sums(_levels(answers, form, scales))
    return _estimates(per, form, scales, confidence)


def _levels(answers: pd.DataFrame, form: Form,
            scales: dict[str, tuple[str, dict[str, int | None], int]]) -> pd.DataFrame:
    """The non-blank answers to scale questions: ``unit, area, response, level, top``
    (``level`` NaN for "don't know"; ``top`` the question's k)."""
    frame = require_frame(answers, "answers", ANSWER_COLUMNS)
    if "form" in frame.columns:
        frame = frame.loc[(as_code(frame["form"]) == form.code).to_numpy()]
    question = as_code(frame["question"])
    known = {q.code for q in form.questions()}
    unknown = ~question.isin(known).to_numpy()
    if unknown.any():
        raise ValueError(f"answers: question(s) not in form {form.code} {examples(question[unknown])}")
    value = as_code(frame["value"])
    keep = question.isin(scales.keys()).to_numpy() & ~is_blank(value)
    codes = pd.DataFrame({
        "unit": as_code(frame["rated_unit"]).to_numpy()[keep],
        "response": as_code(frame["response"]).to_numpy()[keep],
        "question": question.to_numpy()[keep],
        "value": value.to_numpy()[keep],
    })
    for column, what in (("response", "response"), ("unit", "rated_unit")):
        blank = is_blank(codes[column])
        if blank.any():
            raise ValueError(f"answers: {int(blank.sum())} answer(s) to scale questions have no {what} "
                             f"(questions {examples(codes.loc[blank, 'question'])})")
    level_of = {f"{q}{_SEP}{v}": (math.nan if lv is None else float(lv))
                for q, (_, levels, _) in scales.items() for v, lv in levels.items()}
    keys = codes["question"] + _SEP + codes["value"]
    level = keys.map(level_of)
    bad = level.isna().to_numpy() & ~keys.isin(level_of.keys()).to_numpy()
    if bad.any():
        raise ValueError(f"answers: value(s) that are not an option of their question "
                         f"{examples((codes['question'] + '=' + codes['value'])[bad])}")
    twice = codes.duplicated(["response", "unit", "question"]).to_numpy()
    if twice.any():
        where = codes[twice]
        raise ValueError(f"answers: question(s) answered twice in one response about one unit "
                         f"{examples(where['response'] + ':' + where['question'] + '@' + where['unit'])}")
    return pd.DataFrame({
        "unit": codes["unit"].to_numpy(),
        "area": codes["question"].map({q: s[0] for q, s in scales.items()}).to_numpy(),
        "response": codes["response"].to_numpy(),
        "level": level.to_numpy(dtype=float),
        "top": codes["question"].map({q: s[2] for q, s in scales.items()}).to_numpy(dtype=float),
    })


def _respondent_sums(answers: pd.DataFrame) -> pd.DataFrame:
    """Per (unit, area, response), each area and ``all``: ``m`` answers with a level,
    ``x`` satisfied, ``y`` sum of levels on the 0..1 scale, ``a`` answers."""
    has = ~np.isnan(answers["level"].to_numpy())
    level = np.nan_to_num(answers["level"].to_numpy())
    top = answers["top"].to_numpy()
    base = pd.DataFrame({
        "unit": answers["unit"].to_numpy(), "area": answers["area"].to_numpy(),
        "response": answers["response"].to_numpy(),
        "m": has.astype(np.int64), "x": (has & (level >= top - 1)).astype(np.int64),
        "y": np.where(has, (level - 1) / (top - 1), 0.0), "a": 1,
    })
    both = pd.concat([base, base.assign(area=ALL_AREAS)], ignore_index=True)
    return both.groupby(["unit", "area", "response"], sort=True).sum().reset_index()


def _ratio_variance(per: pd.DataFrame, column: str, keys: list[str]) -> pd.Series:
    """Linearised variance of sum(column) / sum(m) per ``keys`` over respondents with
    m > 0: sum(d_r^2) / (R (R - 1)), d_r = (column_r - ratio m_r) / mean m; NaN if R < 2."""
    by = per.groupby(keys, sort=False)
    m = per["m"].to_numpy(dtype=float)
    s = per[column].to_numpy(dtype=float)
    m_tot = by["m"].transform("sum").to_numpy(dtype=float)
    r_tot = by["carry"].transform("sum").to_numpy(dtype=float)
    ratio = np.zeros(len(per))
    np.divide(by[column].transform("sum").to_numpy(dtype=float), m_tot, out=ratio, where=m_tot > 0)
    d = np.zeros(len(per))
    np.divide((s - ratio * m) * r_tot, m_tot, out=d, where=m > 0)
    ss = pd.Series(d ** 2, index=per.index).groupby([per[k] for k in keys], sort=False).sum()
    r = per.groupby(keys, sort=False)["carry"].sum()
    return (ss / (r * (r - 1))).where(r >= 2)


def _wilson(p: np.ndarray, var: np.ndarray, answers: np.ndarray, df: np.ndarray, ok: np.ndarray,
            confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's interval with n* = p(1-p)/var (at most ``answers``; ``answers`` when var is 0)
    and t_df as the critical value, where ``ok``; NaN elsewhere."""
    low = np.full(len(p), math.nan)
    high = np.full(len(p), math.nan)
    if not ok.any():
        return low, high
    p, var, m, df = p[ok], var[ok], answers[ok], df[ok]
    n_eff = m.copy()
    spread = var > 0
    n_eff[spread] = np.minimum(m[spread], p[spread] * (1 - p[spread]) / var[spread])
    n_eff = np.maximum(n_eff, np.finfo(float).tiny)  # p strictly inside (0, 1) with var > 0
    from scipy import stats  # imported where needed: scipy takes long to load
    z2 = stats.t.ppf(0.5 + confidence / 2, df) ** 2
    scale = 1 + z2 / n_eff
    centre = (p + z2 / (2 * n_eff)) / scale
    half = np.sqrt(z2) / scale * np.sqrt(p * (1 - p) / n_eff + z2 / (4 * n_eff ** 2))
    low[ok] = np.clip(np.minimum(centre - half, p), 0.0, 1.0)
    high[ok] = np.clip(np.maximum(centre + half, p), 0.0, 1.0)
    return low, high


def _estimates(per: pd.DataFrame, form: Form, scales: dict[str, tuple[str, dict[str, int | None], int]],
               confidence: float) -> pd.DataFrame:
    keys = ["unit", "area"]
    per = per.assign(carry=(per["m"] > 0).astype(np.int64))
    sums = per.groupby(keys, sort=False)[["m", "x", "y", "a", "carry"]].sum()
    sums["var_x"] = _ratio_variance(per, "x", keys)
    sums["var_y"] = _ratio_variance(per, "y", keys)
    sums = sums.reset_index()
    order = [s.code for s in form.sections] + [ALL_AREAS]
    sums["_area"] = sums["area"].map({a: i for i, a in enumerate(order)})
    sums = sums.sort_values(["unit", "_area"], kind="stable").reset_index(drop=True)

    levels_of: dict[str, set[int]] = {ALL_AREAS: set()}
    for area, _, k in scales.values():
        levels_of.setdefault(area, set()).add(k)
        levels_of[ALL_AREAS].add(k)
    k = sums["area"].map({a: (next(iter(v)) if len(v) == 1 else math.nan)
                          for a, v in levels_of.items()}).to_numpy(dtype=float)

    m = sums["m"].to_numpy(dtype=float)
    r = sums["carry"].to_numpy(dtype=float)
    ok = r >= 2
    p = np.full(len(sums), math.nan)
    np.divide(sums["x"].to_numpy(dtype=float), m, out=p, where=m > 0)
    y01 = np.full(len(sums), math.nan)
    np.divide(sums["y"].to_numpy(dtype=float), m, out=y01, where=m > 0)
    var_x = sums["var_x"].to_numpy(dtype=float)
    var_y = sums["var_y"].to_numpy(dtype=float)
    s_low, s_high = _wilson(p, var_x, m, r - 1, ok, confidence)
    y_low, y_high = t_interval(y01, var_y, r - 1, ok, confidence)
    a = sums["a"].to_numpy(dtype=float)
    return pd.DataFrame({
        "unit": sums["unit"].to_numpy(), "area": sums["area"].to_numpy(),
        "n": r.astype(np.int64),
        "satisfied_share": p, "satisfied_low": s_low, "satisfied_high": s_high,
        "mean": 1 + (k - 1) * y01, "ci_low": 1 + (k - 1) * y_low, "ci_high": 1 + (k - 1) * y_high,
        "dont_know_share": (a - m) / a,
    }, columns=list(SATISFACTION_COLUMNS))


# --------------------------------------------------------------------- the example

_SCALE = [
    {"value": "1", "label": {"vi": "Rất không hài lòng", "en": "Very dissatisfied"}, "weight": 0.0},
    {"value": "2", "label": {"vi": "Không hài lòng", "en": "Dissatisfied"}, "weight": 0.25},
    {"value": "3", "label": {"vi": "Bình thường", "en": "Neutral"}, "weight": 0.5},
    {"value": "4", "label": {"vi": "Hài lòng", "en": "Satisfied"}, "weight": 0.75},
    {"value": "5", "label": {"vi": "Rất hài lòng", "en": "Very satisfied"}, "weight": 1.0},
    {"value": "kb", "label": {"vi": "Không biết", "en": "Don't know"}, "weight": None},
]


def _example() -> tuple[pd.DataFrame, Form]:
    """The docstrings' example: a small citizens' form and three respondents' answers."""
    def rating(code: str) -> dict[str, object]:
        return {"code": code, "kind": "unit_rating", "options": _SCALE,
                "label": {"vi": f"{code} {{unit}}", "en": f"{code} {{unit}}"}}

    form = form_from_dict({
        "format": 1, "code": "HL-X", "version": "1",
        "title": {"vi": "Phiếu hài lòng", "en": "Satisfaction form"},
        "sections": [
            {"code": "thu_tuc", "title": {"vi": "Thủ tục", "en": "Procedure"},
             "questions": [rating("tt1"), rating("tt2")]},
            {"code": "cong_chuc", "title": {"vi": "Công chức", "en": "Civil servants"},
             "questions": [rating("cc1")]},
            {"code": "thong_tin", "title": {"vi": "Thông tin", "en": "Background"},
             "questions": [{"code": "b1", "kind": "background", "label": {"vi": "Giới tính", "en": "Sex"},
                            "options": [{"value": "nam", "label": {"vi": "Nam", "en": "Male"}},
                                        {"value": "nu", "label": {"vi": "Nữ", "en": "Female"}}]}]},
        ],
    })
    rows = [("r1", "tt1", "5"), ("r1", "tt2", "4"), ("r1", "cc1", "kb"), ("r1", "b1", "nam"),
            ("r2", "tt1", "3"), ("r2", "tt2", "kb"), ("r2", "cc1", "4"),
            ("r3", "tt1", "4"), ("r3", "tt2", "2"), ("r3", "cc1", "5"), ("r3", "b1", "nu")]
    answers = pd.DataFrame([(r, "so-tu-phap", q, v) for r, q, v in rows], columns=list(ANSWER_COLUMNS))
    return answers, form
