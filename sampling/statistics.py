"""Precision of a quota plan: margins of error and sample sizes, as pure functions.

Two directions of one formula (simple random sampling without replacement, SRSWOR):

* :func:`margin_of_error` -- the quota is fixed by the plan (15 civil servants per
  department, 2 leaders per commune); how precise is a unit's mean?
* :func:`sample_size_proportion` and :func:`sample_size_slovin` -- the precision is
  fixed; how many answers are needed?

:func:`quota_precision` applies the first to every group of a :class:`~sampling.plan.Plan`
so that a planner sees, before the field work, which per-unit means will carry usable
precision and which must be pooled at a higher level.

Notation: ``N`` roster (population) size, ``n`` number of answers, ``σ`` population
standard deviation of an answer (``N`` in the denominator), ``p`` an expected proportion,
``e`` a margin of error (the half-width of a two-sided interval).

scipy is imported inside the functions that need a quantile, not at the top of the
module: ``import sampling`` is on the start-up path of the command line and the web
service, and ``scipy.stats`` takes seconds to load there.  pandas is imported the same
way, in :func:`quota_precision` only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from numbers import Integral, Real
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pragma: no cover - annotations only
    import pandas as pd

    from .plan import Group, Plan

__all__ = [
    "SLOVIN_E",
    "margin_of_error",
    "quota_precision",
    "sample_size_proportion",
    "sample_size_slovin",
]

#: Margin of error the satisfaction surveys (SIPAS and the province's plan 1516/KH-UBND)
#: use in Slovin's formula n = N / (1 + N·e²).
SLOVIN_E = 0.05

#: Tolerance when rounding a sample size up, so that a size that is an integer up to
#: floating-point error (400 / (1 + 400 · 0.05²) = 199.99999999999997) is not pushed
#: to the next integer.
_CEIL_TOLERANCE = 1e-9


# --------------------------------------------------------------------------- checks


def _check_count(name: str, value: object, minimum: int = 0) -> int:
    """``value`` as an ``int`` >= ``minimum`` (bool and float are refused)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return int(value)


def _check_real(name: str, value: object, *, low: float, high: float = math.inf,
                low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite ``float`` in the interval from ``low`` to ``high``."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    x = float(value)
    too_low = x <= low if low_open else x < low
    too_high = x >= high if high_open else x > high
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {left}{low:g}, {high:g}{right}, got {value!r}")
    return x


def _check_confidence(confidence: object) -> float:
    return _check_real("confidence", confidence, low=0.0, high=1.0, low_open=True, high_open=True)


def _critical_value(confidence: float, df: int | None) -> float:
    """Two-sided critical value: z (``df`` None) or Student's t with ``df`` degrees."""
    from scipy import stats  # see the module docstring: imported where needed

    q = 0.5 + confidence / 2.0
    return float(stats.norm.ppf(q) if df is None else stats.t.ppf(q, df))


def _ceil(x: float) -> int:
    """``x`` rounded up, ignoring floating-point noise below :data:`_CEIL_TOLERANCE`."""
    return math.ceil(x - _CEIL_TOLERANCE)


# --------------------------------------------------------------------------- margin of error


def margin_of_error(
    n: int,
    *,
    sd: float | None = None,
    p: float | None = None,
    N: int | None = None,
    confidence: float = 0.95,
    scale: float = 1.0,
    dist: Literal["t", "z"] | None = None,
    deff: float = 1.0,
) -> float:
    r"""Half-width of the confidence interval of a unit's mean from ``n`` answers.

    Parameters
    ----------
    n : int
        Number of answers (the quota of the unit).  ``n < 2`` returns ``math.inf``.
    sd : float, optional
        Assumed population standard deviation σ of one answer, on the answer scale
        (for a 1-5 Likert item σ = 1 is a common planning value; the largest
        possible is 2, half the answers at each end).  Give ``sd`` or ``p``.
    p : float, optional
        Expected proportion, for the mean of a yes/no answer; the variance is
        p(1 − p).  Give ``sd`` or ``p``.
    N : int, optional
        Roster size of the unit.  When known, the finite population correction is
        applied; ``n == N`` (a census) gives 0.
    confidence : float
        Two-sided confidence level, in (0, 1).
    scale : float
        Multiplies the result, to report it on another scale: a 1-5 answer mapped
        to 0-100 by y = (x − 1) · 100 / 4 has ``scale=25``.
    dist : {'t', 'z'}, optional
        The distribution of the critical value.  Default: Student's t with n − 1
        degrees of freedom for a mean (``sd``), the normal z for a proportion
        (``p``), so that this function inverts :func:`sample_size_proportion`.
    deff : float
        Design effect, > 0: the variance is multiplied by it (e.g. answers pooled
        from several offices of a district, deff ≈ 1 + (m − 1)ρ).

    Returns
    -------
    float
        The margin e, in the units of ``sd`` times ``scale`` (or of a proportion
        times ``scale``).  ``math.inf`` when ``n < 2``: one answer (or none) gives no
        estimate of the spread, so the unit's mean has no stated precision at all --
        not even a census of one.

    Raises
    ------
    ValueError
        If neither or both of ``sd`` and ``p`` are given, or any argument is out of
        range (``n`` not a whole number >= 0, ``N < n``, ``p`` outside [0, 1], ...).

    Notes
    -----
    .. math::

        e = c \cdot \sqrt{\mathrm{deff} \cdot \frac{\sigma^2}{n}}
            \cdot \sqrt{\frac{N - n}{N - 1}} \cdot \mathrm{scale}

    with σ² = ``sd``² or p(1 − p), c = t_{1−α/2, n−1} or z_{1−α/2}, and the last
    square root (the finite population correction) only when ``N`` is given.  With σ
    the population SD with denominator N, (N − n)/(N − 1) · σ²/n equals the textbook
    (1 − n/N) · S²/n with S² the SD² with denominator N − 1.

    At n = 2 (two leaders per commune) the margin is finite but useless: t with one
    degree of freedom is 12.71, so σ = 1 gives ±9.0 on a 1-5 scale, far wider than
    the scale itself.  Such units must be pooled at a higher level.

    References
    ----------
    .. [1] W. G. Cochran, *Sampling Techniques*, 3rd ed., Wiley, 1977, §2.5-2.6 and §4.4.
    .. [2] S. L. Lohr, *Sampling: Design and Analysis*, 2nd ed., 2010, §2.3-2.5.

    Examples
    --------
    The reference's worked example: σ = 1 point on a 1-5 scale, 15 of 100 civil
    servants, 95 %:

    >>> round(margin_of_error(15, sd=1.0, N=100), 2)
    0.51
    >>> round(margin_of_error(15, sd=1.0, N=100, scale=100 / 4))  # on 0-100
    13
    >>> margin_of_error(15, sd=1.0, N=15)
    0.0
    >>> margin_of_error(1, sd=1.0)
    inf
    >>> round(margin_of_error(15, p=0.5), 3)
    0.253
    """
    n = _check_count("n", n)
    if (sd is None) == (p is None):
        raise ValueError("give exactly one of sd (for a mean) and p (for a proportion)")
    if sd is not None:
        variance = _check_real("sd", sd, low=0.0) ** 2
    else:
        p = _check_real("p", p, low=0.0, high=1.0)
        variance = p * (1.0 - p)
    if N is not None:
        N = _check_count("N", N)
        if n > N:
            raise ValueError(f"n ({n}) cannot exceed the roster size N ({N})")
    confidence = _check_confidence(confidence)
    scale = _check_real("scale", scale, low=0.0, low_open=True)
    deff = _check_real("deff", deff, low=0.0, low_open=True)
    if dist is None:
        dist = "t" if sd is not None else "z"
    elif dist not in ("t", "z"):
        raise ValueError(f"dist must be 't' or 'z', got {dist!r}")

    if n < 2:
        return math.inf
    fpc = math.sqrt((N - n) / (N - 1)) if N is not None else 1.0
    crit = _critical_value(confidence, n - 1 if dist == "t" else None)
    return crit * math.sqrt(deff * variance / n) * fpc * scale


# --------------------------------------------------------------------------- sample sizes


def sample_size_slovin(N: int, e: float = SLOVIN_E) -> int:
    r"""Slovin's sample size n = N / (1 + N·e²), rounded up.

    The rule of the province's satisfaction surveys of citizens and organisations
    (groups III.1 and III.2 of the Lai Châu 2020 plan, and SIPAS).

    Parameters
    ----------
    N : int
        Population size (e.g. people who used a unit's services in the period), >= 0.
    e : float
        Margin of error, in (0, 1).

    Returns
    -------
    int
        ⌈N / (1 + N·e²)⌉, never more than ``N``.

    Raises
    ------
    ValueError
        If ``N`` is not a whole number >= 0 or ``e`` is not in (0, 1).

    Notes
    -----
    Slovin's formula is the FPC-corrected size for a proportion with p = 0.5 and
    z = 2 (n₀ = 1/e²), up to the "− 1": n = n₀ / (1 + n₀/N).  It ignores the
    confidence level and the design effect; :func:`sample_size_proportion` states
    both.

    References
    ----------
    .. [1] T. Yamane, *Statistics: An Introductory Analysis*, 2nd ed., 1967, p. 886
       (the formula usually credited to Slovin).
    .. [2] Bộ Nội vụ, phương pháp đo lường sự hài lòng (SIPAS): n = N / (1 + N·e²),
       e = 5 %.

    Examples
    --------
    >>> sample_size_slovin(2000)
    334
    >>> sample_size_slovin(400)
    200
    """
    N = _check_count("N", N)
    e = _check_real("e", e, low=0.0, high=1.0, low_open=True, high_open=True)
    return min(N, _ceil(N / (1.0 + N * e * e)))


def sample_size_proportion(
    p: float = 0.5,
    e: float = 0.05,
    confidence: float = 0.95,
    N: int | None = None,
    deff: float = 1.0,
    response_rate: float = 1.0,
    *,
    z: float | None = None,
    round_up: bool = True,
) -> float | int:
    r"""Sample size to estimate a proportion ``p`` within ±``e``.

    Parameters
    ----------
    p : float
        Expected proportion, in (0, 1); 0.5 gives the largest (safest) size.
    e : float
        Margin of error (half-width), in (0, 1).
    confidence : float
        Two-sided confidence level, in (0, 1); gives z = 1.959964 for 0.95
        (scipy's normal quantile).  Ignored when ``z`` is given.
    N : int, optional
        Population (roster) size; applies the finite population correction and caps
        the result at ``N``.
    deff : float
        Design effect, > 0.
    response_rate : float
        Expected response rate, in (0, 1]: the size is divided by it, so that the
        expected number of answers reaches the target.
    z : float, optional
        A critical value to use instead of the one from ``confidence``, e.g. the
        textbooks' rounded ``z=1.96``.
    round_up : bool
        Round the result up to a whole number (default).  ``False`` returns the exact
        value, useful to check each step.

    Returns
    -------
    int or float
        The number of people to contact (``int`` when ``round_up``).

    Raises
    ------
    ValueError
        If any argument is out of range.

    Notes
    -----
    The steps, in this order (the order matters, see [2]):

    1. n₀ = z² · p(1 − p) / e²  (simple random sampling, infinite population);
    2. n₁ = deff · n₀;
    3. n₂ = n₁ / (1 + (n₁ − 1)/N)  (finite population correction, only with ``N``;
       equal to N·n₁ / (N + n₁ − 1));
    4. n₃ = n₂ / response_rate, capped at ``N`` (no more people can be contacted than
       the roster holds: at the cap the unit is taken whole);
    5. n = ⌈n₃⌉ (with ``round_up``).

    Applying the FPC after the design effect keeps n₂ <= N; applying it first, as an
    older samplics did, gave n = 591 for N = 400.  Step 3 is the exact inverse of
    :func:`margin_of_error` with ``p``, ``N`` and ``dist='z'``.  The Wald formula
    understates the size when p is near 0 or 1 (Fleiss' correction is not applied).

    References
    ----------
    .. [1] W. G. Cochran, *Sampling Techniques*, 3rd ed., Wiley, 1977, §4.4.
    .. [2] svy (successor of samplics), size-and-power engine: n₀ → deff → FPC →
       nonresponse, https://github.com/samplics-org/svy/pull/84 .

    Examples
    --------
    >>> round(sample_size_proportion(z=1.96, round_up=False), 2)
    384.16
    >>> sample_size_proportion(z=1.96)
    385
    >>> sample_size_proportion(N=2000)
    323
    >>> sample_size_proportion(N=2000, response_rate=0.8)
    403
    """
    p = _check_real("p", p, low=0.0, high=1.0, low_open=True, high_open=True)
    e = _check_real("e", e, low=0.0, high=1.0, low_open=True, high_open=True)
    if z is None:
        z = _critical_value(_check_confidence(confidence), None)
    else:
        z = _check_real("z", z, low=0.0, low_open=True)
    if N is not None:
        N = _check_count("N", N, minimum=1)
    deff = _check_real("deff", deff, low=0.0, low_open=True)
    response_rate = _check_real("response_rate", response_rate, low=0.0, high=1.0, low_open=True)

    n = z * z * p * (1.0 - p) / (e * e)
    n *= deff
    if N is not None:
        n = n / (1.0 + (n - 1.0) / N)
    n /= response_rate
    if N is not None:
        n = min(n, float(N))
    return _ceil(n) if round_up else n


# --------------------------------------------------------------------------- a plan's precision

_PRECISION_COLUMNS = [
    "group", "level", "name", "quota", "unit_kind", "unit", "units", "n", "N", "df",
    "moe", "moe_scaled", "rated_kind", "n_rated", "moe_rated_scaled", "note",
]


def _roster_sizes_for(plan: Plan, roster_sizes: Mapping[str, int | Mapping[str, int]] | None,
                      ) -> dict[str, dict[str | None, int]]:
    """Validate ``roster_sizes`` against the plan: group -> {unit code or None: N}."""
    if roster_sizes is None:
        return {}
    if not isinstance(roster_sizes, Mapping):
        raise ValueError("roster_sizes must map group codes to a size or to {unit: size}")
    groups = {g.code: g for g in plan.groups}
    problems: list[str] = []
    out: dict[str, dict[str | None, int]] = {}
    for code, sizes in roster_sizes.items():
        group = groups.get(code)
        if group is None:
            problems.append(f"unknown group {code!r} (known: {', '.join(groups)})")
            continue
        units = _quota_units(plan, group)
        if isinstance(sizes, Mapping):
            if units == [None]:
                problems.append(f"group {code!r} is not tied to units: give one roster size")
                continue
            pairs = list(sizes.items())
            kinds = group.quota.per or ", ".join(group.quota.sampled or ())
            for unit, _ in pairs:
                if unit not in units:
                    problems.append(f"group {code!r}: {unit!r} is not a {kinds} of the plan")
        else:
            pairs = [(u, sizes) for u in units]
        for unit, size in pairs:
            try:
                out.setdefault(code, {})[unit] = _check_count(f"roster size of {code}/{unit}", size)
            except ValueError as exc:
                problems.append(str(exc))
    if problems:
        raise ValueError("roster_sizes: " + "; ".join(problems))
    return out


def _quota_units(plan: Plan, group: Group) -> list[str | None]:
    """The units a group's quota is set per (or drawn from); ``[None]`` for a group not
    tied to units."""
    if group.quota.per:
        return [u.code for u in plan.units_of_kind(group.quota.per)]
    if group.quota.is_sampled:
        return [u.code for u in plan.sampled_units(group)]
    return [None]


def _rated_sizes(plan: Plan, group: Group,
                 per_unit: Mapping[str, int] | None = None) -> dict[str, int]:
    """Answers each rated unit gets from ``group``'s quota (rated unit code -> n); for a
    sampled group, from the sizes ``per_unit`` of the units it is drawn from."""
    q = group.quota
    total = plan.group_total(group) if per_unit is None else sum(per_unit.values())
    rated = [u.code for kind in group.rates.kinds for u in plan.units_of_kind(kind)]
    if group.rates.mode == "every":
        return dict.fromkeys(rated, total)
    if per_unit is None:
        per_unit = {u.code: q.count or 0 for u in plan.units_of_kind(q.per or "")}
    counts = dict.fromkeys(rated, 0)
    reached: set[str] = set()
    for unit, n in per_unit.items():
        own = plan.own_unit(group, unit)
        if own is not None:
            counts[own.code] = counts.get(own.code, 0) + n
            reached.add(own.kind)
    # Of several rated kinds, only those the respondents' units lead to.
    return {code: n for code, n in counts.items()
            if len(group.rates.kinds) == 1 or plan.unit(code).kind in reached}


def _rated_n(plan: Plan, group: Group, rated: Mapping[str, int], unit: str | None) -> int:
    """Answers pooled into the rated unit of a quota ``unit``; the fewest over all rated
    units when ``unit`` is None or every respondent rates every unit."""
    if unit is None or group.rates.mode == "every":
        return min(rated.values(), default=0)
    own = plan.own_unit(group, unit)
    return rated[own.code] if own is not None else 0


def _sampled_rows(plan: Plan, group: Group, group_sizes: Mapping[str | None, int],
                  by_unit: bool) -> list[dict[str, object]]:
    """The (unit, n, N, rated n) of a sampled group: n from the roster sizes that are
    known (:func:`sampling.rosters.sample_sizes`); NA where n cannot be known yet."""
    from .rosters import sample_sizes  # rosters imports this module

    q = group.quota
    units = [u for u in _quota_units(plan, group) if u is not None]
    known = {u: group_sizes[u] for u in units if u in group_sizes}
    # A total is shared in proportion to every unit's N: all of them are needed.
    complete = q.rule != "total" or len(known) == len(units)
    sizes = {u: s.n for u, s in sample_sizes(q, known).items()} if complete else {}

    def n_of(unit: str) -> int | None:
        return sizes.get(unit, q.per_unit if q.rule == "per_unit" else None)

    # The respondents rate the unit whose desk served them, or its ancestor.
    same_unit = set(q.sampled or ()) <= set(group.rates.kinds)
    all_known = all(n_of(u) is not None for u in units)
    rated = _rated_sizes(plan, group, {u: n_of(u) or 0 for u in units}) if all_known else {}
    cases = []
    for unit in units:
        n = n_of(unit)
        rated_n = n if same_unit else (_rated_n(plan, group, rated, unit) if rated else None)
        cases.append({"unit": unit, "n": n, "N": known.get(unit), "n_rated": rated_n})
    if by_unit or not cases:
        return cases
    if not all_known:
        return [{"unit": None, "n": None, "N": None, "n_rated": None}]
    # The group row: the unit with the fewest answers (the widest margin).
    widest = min(cases, key=lambda c: (c["n"], -(c["N"] or 0)))
    if not same_unit:
        widest = {**widest, "n_rated": min(rated.values(), default=0)}
    return [{**widest, "unit": None}]


def quota_precision(
    plan: Plan,
    roster_sizes: Mapping[str, int | Mapping[str, int]] | None = None,
    *,
    sd: float = 1.0,
    answer_range: tuple[float, float] = (1.0, 5.0),
    scale: float = 100.0,
    confidence: float = 0.95,
    by_unit: bool = False,
    lang: str = "vi",
) -> pd.DataFrame:
    r"""The margin of error each group's quota gives, per unit and per rated unit.

    Parameters
    ----------
    plan : Plan
        A loaded plan (:func:`sampling.load_plan`).
    roster_sizes : mapping, optional
        Roster sizes N by group code: one number for every unit of the group
        (``{"I.3": 100}``), or ``{unit code: N}`` (``{"I.3": {"so-noi-vu": 62}}``).
        For a fixed-quota group, the size of the whole group (e.g. the province's
        People's Council delegates).  For a group under a separate plan, the
        population from which Slovin's size is taken (:func:`sample_size_slovin`).
        For a sampled group, the roster size of each unit it is drawn from: its n is
        then the plan's rule (:func:`sampling.rosters.sample_sizes`).
        Without a size, no finite population correction is applied (the margin is
        then an upper bound).
    sd : float
        Assumed SD σ of one answer on the answer scale (1 on a 1-5 scale; 2 is the
        largest possible).
    answer_range : (float, float)
        Lowest and highest answer, mapped to 0 and ``scale``.
    scale : float
        Top of the reporting scale: 100 reports in points out of 100, 10 as PAPI.
    confidence : float
        Two-sided confidence level.
    by_unit : bool
        One row per (group, unit) with that unit's roster size, instead of one row
        per group.  A group row uses its largest roster size (the widest margin).
    lang : {'vi', 'en'}
        Language of the group names.

    Returns
    -------
    pandas.DataFrame
        One row per group (or per group and unit), in plan order, with columns

        ``group, level, name, quota``
            The group and its quota rule in words.
        ``unit_kind, unit, units``
            The kind of unit a quota is set per (NA for a fixed quota), the unit
            (``by_unit`` only, else NA) and how many units of that kind there are.
        ``n, N, df``
            Answers per unit (capped at N: a unit smaller than its quota is taken
            whole), roster size (NA if unknown), t degrees of freedom n − 1.
        ``moe, moe_scaled``
            Margin of error of the unit's mean on the answer scale and on 0-``scale``
            (:func:`margin_of_error` with t, the FPC when N is known); ``inf`` when
            n < 2.
        ``rated_kind, n_rated, moe_rated_scaled``
            The kind of unit the group rates, the fewest answers any rated unit gets
            (every respondent of an ``every`` group rates every unit; an ``own``
            group's answers are pooled into their own unit or ancestor), and the
            margin for that many (with the FPC only when those answers are the quota
            unit's own: an ``own`` group rating the unit it is drawn from, or a fixed
            group; otherwise the rated unit's population is not known here).
        ``note``
            Why a margin is useless, or a take-all unit, or the separate plan; empty
            otherwise.

    Raises
    ------
    ValueError
        For a roster size of an unknown group or unit, or bad parameters.

    Notes
    -----
    ``moe_scaled = margin_of_error(n, sd=sd, N=N) · scale / (hi − lo)`` for
    ``answer_range = (lo, hi)``: the linear map y = (x − lo) · scale / (hi − lo)
    multiplies every distance by scale / (hi − lo), 25 for 1-5 to 0-100.  A margin
    counts as *no usable precision* when the interval ±moe is at least as wide as
    the whole scale (2 · moe_scaled >= scale), which is the case for 2 answers per
    unit (t₁ = 12.71) and for 3 (t₂ = 4.30).

    References
    ----------
    .. [1] W. G. Cochran, *Sampling Techniques*, 3rd ed., Wiley, 1977, §2.5.

    Examples
    --------
    >>> from sampling import load_plan
    >>> table = quota_precision(load_plan(), {"I.3": 100})
    >>> row = table.set_index("group").loc["I.3"]
    >>> int(row["n"]), int(row["N"]), round(row["moe_scaled"])
    (15, 100, 13)
    >>> table.set_index("group").loc["II.4", "note"].startswith("no usable precision")
    True
    """
    import pandas as pd  # see the module docstring: imported where needed

    sd = _check_real("sd", sd, low=0.0)
    confidence = _check_confidence(confidence)
    scale = _check_real("scale", scale, low=0.0, low_open=True)
    if not isinstance(answer_range, tuple | list) or len(answer_range) != 2:
        raise ValueError(f"answer_range must be (lowest, highest), got {answer_range!r}")
    lo = _check_real("answer_range[0]", answer_range[0], low=-math.inf)
    hi = _check_real("answer_range[1]", answer_range[1], low=-math.inf)
    if hi <= lo:
        raise ValueError(f"answer_range must go from low to high, got {answer_range!r}")
    factor = scale / (hi - lo)
    sizes = _roster_sizes_for(plan, roster_sizes)

    def moe(n: int, N: int | None) -> float:
        return margin_of_error(n, sd=sd, N=N, confidence=confidence)

    def usable(m_scaled: float) -> bool:
        return 2.0 * m_scaled < scale

    rows: list[dict[str, object]] = []
    for group in plan.groups:
        q = group.quota
        base: dict[str, object] = {
            "group": group.code, "level": group.level, "name": group.name.get(lang),
            "quota": q.describe(lang), "unit_kind": q.per, "unit": None,
            "rated_kind": ", ".join(group.rates.kinds),
        }
        group_sizes = sizes.get(group.code, {})
        if q.is_sampled:
            rows += _sampled_table_rows(plan, group, base, group_sizes, by_unit, moe, factor)
            continue
        if not q.is_fixed_size:
            N = group_sizes.get(None)
            n = sample_size_slovin(N) if N is not None else None
            m = moe(n, N) if n is not None else math.nan
            rows.append({**base, "units": pd.NA, "n": n, "N": N, "df": n - 1 if n is not None and n >= 2 else None,
                         "moe": m, "moe_scaled": m * factor, "n_rated": n,
                         "moe_rated_scaled": m * factor,
                         "note": f"separate plan: n = N / (1 + N·e²), e = {SLOVIN_E:g}"
                                 + ("" if N is not None else " (give N in roster_sizes)")})
            continue
        quota_n = q.fixed if q.fixed is not None else q.count
        units: list[str | None] = [u.code for u in plan.units_of_kind(q.per)] if q.per else [None]
        rated = _rated_sizes(plan, group)
        # The rated unit's answers are exactly the quota unit's: an 'own' group rating
        # the unit it is drawn from, or a fixed group (one pool rating every unit).
        same_unit = q.fixed is not None or (group.rates.mode == "own" and q.per == group.rates.kinds[0])
        if by_unit:
            cases = [(u, group_sizes.get(u)) for u in units]
        else:
            known = [group_sizes.get(u) for u in units]
            cases = [(None, None if None in known else max(s for s in known if s is not None))]
        for unit, N in cases:
            n = min(quota_n, N) if N is not None else quota_n
            m = moe(n, N)
            if same_unit:  # the answers are about the quota unit itself
                rated_n, m_rated = n, m
            else:  # pooled into the rated unit; its roster size is not known here
                rated_n = _rated_n(plan, group, rated, unit)
                m_rated = moe(rated_n, None)
            notes = []
            if N is not None and N <= quota_n:
                notes.append(f"take-all: the roster ({N}) is not larger than the quota ({quota_n})")
            if n < 2:
                notes.append("no precision: fewer than 2 answers give no estimate of the spread")
            elif not usable(m * factor):
                notes.append(f"no usable precision per unit: ±{m * factor:.0f} on 0-{scale:g}"
                             f" (t with {n - 1} df = {_critical_value(confidence, n - 1):.2f})")
            if notes and not (N is not None and N <= quota_n) and not same_unit \
                    and usable(m_rated * factor):
                notes.append(f"pooled per {base['rated_kind']} (n >= {rated_n}):"
                             f" ±{m_rated * factor:.0f}")
            rows.append({**base, "unit": unit, "units": len(units) if q.per else pd.NA,
                         "n": n, "N": N, "df": n - 1 if n >= 2 else None,
                         "moe": m, "moe_scaled": m * factor,
                         "n_rated": rated_n, "moe_rated_scaled": m_rated * factor,
                         "note": "; ".join(notes)})

    table = pd.DataFrame(rows, columns=_PRECISION_COLUMNS)
    table["note"] = table["note"].fillna("")
    for column in ("level", "unit_kind", "unit"):
        table[column] = table[column].astype("str")
    for column in ("units", "n", "N", "df", "n_rated"):
        table[column] = table[column].astype("Int64")
    for column in ("moe", "moe_scaled", "moe_rated_scaled"):
        table[column] = table[column].astype(float)
    return table


def _sampled_table_rows(plan: Plan, group: Group, base: Mapping[str, object],
                        group_sizes: Mapping[str | None, int], by_unit: bool,
                        moe: Callable[[int, int | None], float], factor: float,
                        ) -> list[dict[str, object]]:
    """The rows of :func:`quota_precision` for a sampled group."""
    q = group.quota
    units = _quota_units(plan, group)
    rule = {"margin": f"n = N / (1 + N·e²), e = {q.margin:g}" if q.margin is not None else "",
            "per_unit": f"n = {q.per_unit} per unit", "total": f"n = {q.total} in all"}
    out = []
    for case in _sampled_rows(plan, group, group_sizes, by_unit):
        n, N, n_rated = case["n"], case["N"], case["n_rated"]
        m = moe(n, N) if n is not None else math.nan
        m_rated = (m if n_rated == n else moe(n_rated, None)) if n_rated is not None else math.nan
        notes = [f"sampled from rosters: {rule[q.rule or 'margin']}; reserve {q.reserve:g}"]
        if n is None:
            notes.append("give N in roster_sizes")
        elif N is not None and n == N:
            notes.append(f"take-all: the roster ({N}) is not larger than the sample")
        out.append({**base, "unit_kind": ", ".join(q.sampled or ()), "unit": case["unit"],
                    "units": len(units), "n": n, "N": N,
                    "df": n - 1 if n is not None and n >= 2 else None,
                    "moe": m, "moe_scaled": m * factor, "n_rated": n_rated,
                    "moe_rated_scaled": m_rated * factor, "note": "; ".join(notes)})
    return out
