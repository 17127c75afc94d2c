"""How sure are the ranks?  A stratified bootstrap of respondents.

The survey part of the index rests on a few dozen respondents per unit, so two units a
point apart may well swap places in another draw of respondents.  :func:`rank_intervals`
resamples respondents, recomputes every unit's survey points, index and rank, and
reports percentile intervals of the rank and the index.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from questionnaires import Form
from questionnaires.scoring import ScoringRules

from .index import min_rank, unit_index, unit_totals
from .scoring import ScoredAnswers, code_factors, combine_codes, criterion_grid, score_answers

__all__ = ["DEFAULT_SEED", "rank_intervals", "rank_intervals_of"]

#: The seed used when neither ``seed`` nor ``rng`` is given, so that a report computed
#: twice from the same answers shows the same intervals.
DEFAULT_SEED = 2020

#: Upper bound on the number of resampling weights held in memory at once
#: (replicates x respondent-unit cells); replicates are drawn in chunks below it.
_CHUNK_CELLS = 4_000_000


def _first(codes: np.ndarray, count: int) -> np.ndarray:
    """A row (any one) of each of the ``count`` codes 0, 1, ..., each of which occurs."""
    rows = np.zeros(count, dtype=np.int64)
    rows[codes] = np.arange(len(codes))
    return rows


class _Resampler:
    """The answers reduced to what a replicate needs, as sparse matrices.

    A *position* is one respondent within one (rated unit, group) cell; a *slot* is one
    (unit, sub-criterion, group); a *pair* is one (unit, sub-criterion).  ``S`` and ``M``
    (positions x slots) hold each respondent's sum of valid weights and number of valid
    answers; a replicate is a vector of how many times each position is drawn.
    """

    def __init__(self, resp: pd.DataFrame, units: pd.DataFrame, rules: ScoringRules,
                 fixed: np.ndarray, top: np.ndarray) -> None:
        self.pooling = rules.pooling
        self.fixed = fixed
        self.top = top
        # Everything is numbered on integer codes that sort as the texts do, so positions,
        # cells and slots come in the order of their codes' texts.
        unit, criterion, group, response = (code_factors(resp[k]) for k in
                                            ("unit", "criterion", "group", "response"))
        positions, row = np.unique(combine_codes(unit, group, response), return_inverse=True)
        # Positions sorted by (unit, group, response): each cell is a run of positions.
        _, cell = np.unique(combine_codes(unit, group)[_first(row, len(positions))],
                            return_inverse=True)
        sizes = np.bincount(cell)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        #: For each position: the first position of its cell and the cell's size.
        self.start = starts[cell]
        self.size = sizes[cell]
        self.n_positions = len(positions)

        slots, col = np.unique(combine_codes(unit, criterion, group), return_inverse=True)
        shape = (len(positions), len(slots))
        from scipy import sparse  # imported where needed: scipy takes long to load

        self.S_t = sparse.csr_matrix((resp["s"].to_numpy(dtype=float), (row, col)), shape).T.tocsr()
        self.M_t = sparse.csr_matrix((resp["m"].to_numpy(dtype=float), (row, col)), shape).T.tocsr()

        grid = criterion_grid(units, rules)
        slot_rows = _first(col, len(slots))
        _, pair_of_slot = np.unique(combine_codes(unit, criterion)[slot_rows], return_inverse=True)
        pair_rows = slot_rows[_first(pair_of_slot, pair_of_slot.max() + 1 if len(slots) else 0)]
        pairs = pd.DataFrame({"unit": unit[1][unit[0][pair_rows]],
                              "criterion": criterion[1][criterion[0][pair_rows]]})
        #: Slots -> pairs (summing), transposed: pairs x slots.
        self.P_t = sparse.csr_matrix(
            (np.ones(len(slots)), (pair_of_slot, np.arange(len(slots)))), (len(pairs), len(slots)))
        maxima = pairs.merge(grid, on=["unit", "criterion"], how="left")
        unit_pos = pd.Index(units["unit"]).get_indexer(pairs["unit"])
        #: Pairs -> units, each pair weighted by its maximum points.
        self.to_units = np.zeros((len(pairs), len(units)))
        self.to_units[np.arange(len(pairs)), unit_pos] = maxima["max_points"].to_numpy(dtype=float)

    def draw(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """``count`` replicates: how many times each position is drawn (count x positions).

        Each position draws one member of its own cell, so each cell of size n is
        resampled n times with replacement, independently of every other cell."""
        pick = self.start + rng.integers(0, self.size, size=(count, self.n_positions))
        flat = (np.arange(count)[:, None] * self.n_positions + pick).ravel()
        return np.bincount(flat, minlength=count * self.n_positions).reshape(
            count, self.n_positions).astype(float)

    def index_pct(self, weights: np.ndarray) -> np.ndarray:
        """Index in percent (replicates x units) for resampling ``weights``."""
        slot_s = (self.S_t @ weights.T).T
        slot_m = (self.M_t @ weights.T).T
        if self.pooling == "groups":
            has = slot_m > 0
            group_mean = np.zeros_like(slot_s)
            np.divide(slot_s, slot_m, out=group_mean, where=has)
            num = (self.P_t @ group_mean.T).T
            den = (self.P_t @ has.T.astype(float)).T
        else:
            num = (self.P_t @ slot_s.T).T
            den = (self.P_t @ slot_m.T).T
        mean = np.zeros_like(num)  # no valid answer: 0 points
        np.divide(num, den, out=mean, where=den > 0)
        total = np.clip(self.fixed + mean @ self.to_units, 0.0, self.top)
        out = np.zeros_like(total)
        np.divide(100.0 * total, self.top, out=out, where=self.top > 0)
        return out


def rank_intervals(answers: pd.DataFrame, forms: Mapping[str, Form], rules: ScoringRules,
                   units: pd.DataFrame, appraisal: pd.DataFrame, replicates: int = 1000,
                   seed: int | None = DEFAULT_SEED, rng: np.random.Generator | None = None, *,
                   adjustments: pd.DataFrame | None = None, coverage: float = 0.90
                   ) -> pd.DataFrame:
    r"""Bootstrap intervals of every unit's rank and index.

    Parameters
    ----------
    answers, forms, rules, units
        As for :func:`analysis.survey_scores`.
    appraisal : pandas.DataFrame
        As for :func:`analysis.unit_index`; held fixed in every replicate.
    replicates : int, default 1000
        Number of bootstrap replicates.
    seed : int or None, default ``DEFAULT_SEED``
        Seed of a new :func:`numpy.random.default_rng` when ``rng`` is not given (None:
        fresh entropy, results differ from run to run).
    rng : numpy.random.Generator, optional
        The random generator to draw from (it advances); takes precedence over
        ``seed``.  The global NumPy random state is never used.
    adjustments : pandas.DataFrame, optional
        As for :func:`analysis.unit_index`; held fixed.
    coverage : float, default 0.90
        Central coverage of the intervals: 0.90 gives the 5th and 95th percentiles.

    Returns
    -------
    pandas.DataFrame
        One row per unit, in the order of ``units``: ``unit``, ``kind``, ``index_pct``
        and ``rank`` (the estimates of :func:`analysis.unit_index`), ``rank_low``,
        ``rank_median``, ``rank_high`` (5th, 50th and 95th percentile of the unit's rank
        within its kind over the replicates; integers) and ``index_low``, ``index_high``
        (5th and 95th percentile of its index in percent).

    Raises
    ------
    ValueError
        For the reasons of :func:`analysis.survey_scores` and :func:`analysis.unit_index`;
        if ``replicates`` is not a positive integer, ``coverage`` not strictly between 0
        and 1, or ``rng`` not a :class:`numpy.random.Generator`.

    Notes
    -----
    **Design.** Respondents are resampled with replacement within each cell (rated
    unit, respondent group), keeping each cell's size: the survey is a quota sample
    stratified by group, and each unit's score rests on its own respondents.  A
    respondent who rates 20 units belongs to 20 cells and is drawn independently in
    each, so the replicates ignore the correlation between the scores one respondent
    gives to different units (it would have to be kept by drawing respondents once for
    all their units, which makes the cells' sizes vary).  Within a cell a drawn
    respondent brings all their answers about that unit, on every sub-criterion, so the
    correlation across sub-criteria is kept.  Appraisal points, bonus and penalty are
    held fixed: the intervals show the sampling uncertainty of the survey part only.

    **Replicate.** For each replicate *b* the survey points are recomputed with the
    rule of :func:`analysis.survey_scores` (per-group means averaged with equal weight,
    or pooled answers; no valid answer gives 0 points), then the index and the ranks
    ("min" method, within each kind, as :func:`analysis.unit_index`).

    **Intervals.** Percentile intervals: ``rank_low``/``rank_high`` are empirical
    quantiles of the replicate ranks without interpolation (NumPy's ``inverted_cdf``),
    so they are ranks that occurred; ``index_low``/``index_high`` interpolate linearly.
    No bias correction (BCa is unstable for ranks, which are discrete and often
    degenerate).  The point rank usually lies in the interval but need not: the
    interval describes the replicates, and a unit whose rank is at the edge of a tie
    may fall outside it.  Cells of one respondent do not vary; cells of very few
    respondents give intervals that are too narrow (the naive bootstrap's known
    small-sample bias).

    **Computation.** Per (unit, sub-criterion, group, respondent) the sum and number
    of valid weights are computed once; a replicate is a vector of how many times each
    respondent-in-cell is drawn, and the per-group sums are one sparse matrix product
    per chunk of replicates.  About 1,200 responses (~75,000 answers) and 1,000
    replicates take a few seconds.

    References
    ----------
    B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*, 1993, ch. 13
    (percentile intervals).  J. N. K. Rao and C. F. J. Wu, "Resampling inference with
    complex survey data", *JASA* 83 (1988) 231-241 (bootstrap within strata).  M. Saisana,
    A. Saltelli and S. Tarantola, "Uncertainty and sensitivity analysis techniques as
    tools for the quality assessment of composite indicators", *JRSS A* 168 (2005)
    307-323 (rank intervals, 5th-95th percentiles).  Goldstein and Spiegelhalter, "League
    tables and their limitations", *JRSS A* 159 (1996) 385-443.

    Examples
    --------
    >>> from analysis._example import worked_example
    >>> ex = worked_example()
    >>> r = rank_intervals(ex.answers, ex.forms, ex.rules, ex.units, ex.appraisal,
    ...                    replicates=200, seed=1)
    >>> r[["unit", "rank", "rank_low", "rank_high"]]
             unit  rank  rank_low  rank_high
    0  so-tu-phap     1         1          1
    1   so-noi-vu     2         2          2
    """
    _generator(replicates, coverage, seed, rng)
    return rank_intervals_of(score_answers(answers, forms, rules, units), appraisal, replicates,
                             seed, rng, adjustments=adjustments, coverage=coverage)


def _generator(replicates: int, coverage: float, seed: int | None,
               rng: np.random.Generator | None) -> np.random.Generator:
    """The random generator to draw from, once the arguments are checked."""
    if isinstance(replicates, bool) or not isinstance(replicates, (int, np.integer)) \
            or replicates < 1:
        raise ValueError(f"replicates must be a positive integer, not {replicates!r}")
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must lie strictly between 0 and 1, not {coverage!r}")
    if rng is None:
        return np.random.default_rng(seed)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, not {type(rng).__name__}")
    return rng


def rank_intervals_of(scored: ScoredAnswers, appraisal: pd.DataFrame, replicates: int = 1000,
                      seed: int | None = DEFAULT_SEED, rng: np.random.Generator | None = None, *,
                      adjustments: pd.DataFrame | None = None, coverage: float = 0.90
                      ) -> pd.DataFrame:
    """:func:`rank_intervals` of answers already scored (:func:`analysis.scoring.score_answers`),
    so that answers scored for the survey points are not scored a second time.

    The units are the scored units; for the intervals among some of them only, pass
    ``scored.among(those units)``.  Other arguments, the result and the errors are those
    of :func:`rank_intervals`, which gives exactly the same table.

    >>> from analysis._example import worked_example
    >>> from analysis.scoring import score_answers
    >>> ex = worked_example()
    >>> scored = score_answers(ex.answers, ex.forms, ex.rules, ex.units)
    >>> rank_intervals_of(scored, ex.appraisal, replicates=200, seed=1).equals(
    ...     rank_intervals(ex.answers, ex.forms, ex.rules, ex.units, ex.appraisal,
    ...                    replicates=200, seed=1))
    True
    """
    rng = _generator(replicates, coverage, seed, rng)
    clean_units, rules, resp = scored.units, scored.rules, scored.sums
    survey = scored.scores()
    point = unit_index(survey, appraisal, rules, clean_units, adjustments)
    totals = unit_totals(survey, appraisal, rules, clean_units, adjustments)
    fixed = (totals["appraisal"] + totals["bonus"] - totals["penalty"]).to_numpy(dtype=float)
    top = totals["max"].to_numpy(dtype=float)
    resampler = _Resampler(resp, clean_units, rules, fixed, top)

    kinds = clean_units["kind"].to_numpy()
    ranks = np.zeros((replicates, len(clean_units)), dtype=np.int64)
    index = np.zeros((replicates, len(clean_units)))
    chunk = max(1, _CHUNK_CELLS // max(1, resampler.n_positions))
    for first in range(0, replicates, chunk):
        count = min(chunk, replicates - first)
        pct = resampler.index_pct(resampler.draw(rng, count))
        index[first:first + count] = pct
        for kind in np.unique(kinds):
            cols = np.flatnonzero(kinds == kind)
            ranks[first:first + count, cols] = min_rank(pct[:, cols])

    lo, hi = (1 - coverage) / 2, 1 - (1 - coverage) / 2
    rank_q = np.quantile(ranks, [lo, 0.5, hi], axis=0, method="inverted_cdf")
    index_q = np.quantile(index, [lo, hi], axis=0)
    return pd.DataFrame({
        "unit": point["unit"], "kind": point["kind"],
        "index_pct": point["index_pct"], "rank": point["rank"],
        "rank_low": rank_q[0].astype(np.int64), "rank_median": rank_q[1].astype(np.int64),
        "rank_high": rank_q[2].astype(np.int64),
        "index_low": index_q[0], "index_high": index_q[1],
    })
