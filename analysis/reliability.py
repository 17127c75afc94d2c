"""Reliability: do the questions of one area measure one thing?  Cronbach's alpha.

Alpha is computed on the option weights (the 0..1 scale the points use), with
"Không biết" and blank as missing and listwise deletion, and comes with Feldt's
confidence interval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from questionnaires import Form
from questionnaires.scoring import ScoringRules

from ._checks import as_code
from .scoring import answer_weights

__all__ = ["AlphaResult", "cronbach_alpha", "form_alpha"]


class AlphaResult(NamedTuple):
    """Cronbach's alpha with its confidence interval, as :func:`cronbach_alpha` returns."""

    #: The coefficient (NaN when it is not defined).
    alpha: float
    #: Feldt's interval.
    ci_low: float
    ci_high: float
    #: Respondents used (complete rows) and items.
    n: int
    k: int


def cronbach_alpha(items: pd.DataFrame, confidence: float = 0.95) -> AlphaResult:
    r"""Cronbach's alpha of a set of items, with Feldt's confidence interval.

    Parameters
    ----------
    items : pandas.DataFrame
        One row per respondent, one numeric column per item; NaN marks a missing answer.
    confidence : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    AlphaResult
        ``alpha``, ``ci_low``, ``ci_high``, ``n`` (complete rows used), ``k`` (items).
        ``alpha`` and the bounds are NaN when fewer than 2 complete rows remain or the
        total score does not vary.

    Raises
    ------
    ValueError
        If ``items`` is not a DataFrame, has fewer than 2 columns or a column that is not
        numeric, or ``confidence`` is not strictly between 0 and 1.

    Notes
    -----
    Rows with any missing item are dropped (listwise deletion), so every variance
    comes from the same respondents.  With :math:`k` items, item variances
    :math:`\sigma^2_j` and the variance :math:`\sigma^2_T` of the row totals (both with
    :math:`N - 1` in the denominator),

    .. math::

        \alpha = \frac{k}{k-1}\left(1 - \frac{\sum_j \sigma^2_j}{\sigma^2_T}\right).

    Feldt's interval at level :math:`1-\gamma` uses :math:`(1-\alpha)/(1-\hat\alpha)
    \sim F(N-1, (N-1)(k-1))`:

    .. math::

        \bigl[\,1 - (1-\hat\alpha) F_{1-\gamma/2},\ 1 - (1-\hat\alpha) F_{\gamma/2}\,\bigr].

    Alpha is not bounded below: items that vary against each other give negative
    values.  Results agree with pingouin's ``cronbach_alpha(nan_policy="listwise")``
    and R ``psych::alpha(use = "complete.obs")``.

    References
    ----------
    L. J. Cronbach, "Coefficient alpha and the internal structure of tests",
    *Psychometrika* 16 (1951) 297-334.  L. S. Feldt, D. J. Woodruff and F. A. Salih,
    "Statistical inference for coefficient alpha", *Applied Psychological Measurement*
    11 (1987) 93-103.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"q1": [1, 2, 3, 4, 5], "q2": [2, 2, 3, 5, 4],
    ...                       "q3": [1, 3, 3, 4, 5]})
    >>> res = cronbach_alpha(items)
    >>> round(res.alpha, 4), res.n, res.k
    (0.9451, 5, 3)
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, not {confidence!r}")
    if not isinstance(items, pd.DataFrame):
        raise ValueError(f"items must be a pandas DataFrame, not {type(items).__name__}")
    k = items.shape[1]
    if k < 2:
        raise ValueError(f"Cronbach's alpha needs at least 2 items (columns), not {k}")
    not_numeric = [str(c) for c in items.columns
                   if not pd.api.types.is_numeric_dtype(items[c]) or
                   pd.api.types.is_bool_dtype(items[c])]
    if not_numeric:
        raise ValueError(f"items must be numeric; not numeric: {', '.join(not_numeric)}")
    data = items.to_numpy(dtype=float)
    data = data[~np.isnan(data).any(axis=1)]
    n = len(data)
    nan = AlphaResult(math.nan, math.nan, math.nan, n, k)
    if n < 2:
        return nan
    total_var = float(np.var(data.sum(axis=1), ddof=1))
    if total_var <= 0:
        return nan
    alpha = k / (k - 1) * (1 - float(np.var(data, axis=0, ddof=1).sum()) / total_var)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    gamma = 1 - confidence
    from scipy import stats  # imported where needed: scipy takes long to load
    low = 1 - (1 - alpha) * float(stats.f.ppf(1 - gamma / 2, df1, df2))
    high = 1 - (1 - alpha) * float(stats.f.ppf(gamma / 2, df1, df2))
    return AlphaResult(alpha, low, high, n, k)


def form_alpha(answers: pd.DataFrame, forms: Mapping[str, Form], rules: ScoringRules, *,
               confidence: float = 0.95) -> pd.DataFrame:
    """Cronbach's alpha of the scored questions of each form within each area.

    Parameters
    ----------
    answers : pandas.DataFrame
        Long answers, as for :func:`analysis.answer_weights`.
    forms : mapping of str to questionnaires.Form
        The questionnaires by code.
    rules : questionnaires.scoring.ScoringRules
        The scoring rules, which place each scored question's sub-criterion in an area.
    confidence : float, default 0.95
        Confidence level of Feldt's interval.

    Returns
    -------
    pandas.DataFrame
        One row per form (in the order of ``forms``) and area (in the order of the
        rules) with at least 2 scored questions: ``form``, ``area``, ``k`` (items),
        ``n`` (complete rows), ``alpha``, ``ci_low``, ``ci_high``.

    Raises
    ------
    ValueError
        For the reasons of :func:`analysis.answer_weights` and :func:`cronbach_alpha`.

    Notes
    -----
    Items are the form's scored questions whose sub-criterion lies in the area, scored
    by their option weights.  A row is one respondent about one rated unit: for
    ``unit_rating`` questions a respondent who rates 20 units gives 20 rows (which are
    not independent, so the interval is optimistic for those forms); for the ``choice``
    forms about the respondent's own unit, one row per respondent.  "Không biết" and
    blank are missing, and rows with a missing item are dropped (see
    :func:`cronbach_alpha`), so alpha describes the respondents who answered every item.

    References
    ----------
    L. J. Cronbach (1951), see :func:`cronbach_alpha`; OECD/JRC, *Handbook on
    Constructing Composite Indicators*, 2008, step 4 (multivariate analysis).

    Examples
    --------
    >>> from analysis._example import worked_example
    >>> ex = worked_example()
    >>> form_alpha(ex.answers, ex.forms, ex.rules)  # one item per form: no alpha
    Empty DataFrame
    Columns: [form, area, k, n, alpha, ci_low, ci_high]
    Index: []
    """
    weighted = answer_weights(answers, forms)
    area_of = {sub.code: area.code for area, _, sub in rules.subcriteria()}
    rows = []
    for form_code, form in forms.items():
        by_area: dict[str, list[str]] = {}
        for q in form.scored_questions():
            area = area_of.get(q.criterion or "")
            if area is not None:
                by_area.setdefault(area, []).append(q.code)
        mine = weighted.loc[as_code(weighted["form"]).to_numpy() == form_code]
        for area in (a.code for a in rules.areas):
            questions = by_area.get(area, [])
            if len(questions) < 2:
                continue
            sub = mine.loc[mine["question"].isin(questions)]
            table = pd.DataFrame({
                "row": as_code(sub["response"]) + "\x1f" + as_code(sub["rated_unit"]),
                "question": as_code(sub["question"]),
                "weight": sub["weight"].to_numpy(dtype=float),
            })
            wide = table.pivot(index="row", columns="question", values="weight")
            wide = wide.reindex(columns=questions)
            res = cronbach_alpha(wide.astype(float), confidence)
            rows.append((form_code, area, res.k, res.n, res.alpha, res.ci_low, res.ci_high))
    out = pd.DataFrame(rows, columns=["form", "area", "k", "n", "alpha", "ci_low", "ci_high"])
    return out.astype({"k": np.int64, "n": np.int64})
