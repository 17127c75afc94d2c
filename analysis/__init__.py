"""From answers to the index: aggregation, normalisation, index, ranks and grades.

A plain library on pandas DataFrames, usable in a notebook; it never imports the web
service, Flask or SQLAlchemy (nor ``sampling``: data comes in as DataFrame columns).
Every function is pure: DataFrames and column names in, a new DataFrame out.

- :func:`answer_weights`: each answer's sub-criterion and option weight.
- :func:`survey_scores`: survey points per unit and sub-criterion, with a confidence
  interval and the share of "Không biết".
- :func:`unit_index`, :func:`area_indices`: appraisal + survey points, index in percent,
  rank within each kind, grade; the same per area.
- :func:`ranked_index`: rank and grade only the units with survey answers and a final
  appraisal, and say why the others are not ranked.
- :func:`compare_rounds`, :func:`grade_counts`: each unit against the previous round.
- :func:`rank_intervals`: bootstrap intervals of ranks and indices.
- :func:`cronbach_alpha`, :func:`form_alpha`: reliability of the questions of an area.
- :func:`quality_flags`: few answers, many "don't know", straight-lining, insider gaps.
- :func:`satisfaction_index`: the citizens' satisfaction per rated unit and area:
  satisfied share and mean level with intervals, share of "Không biết".

>>> import analysis
>>> from analysis._example import worked_example
>>> ex = worked_example()   # the design notes' "How answers become points"
>>> scores = analysis.survey_scores(ex.answers, ex.forms, ex.rules, ex.units)
>>> float(scores.loc[0, "points"])
1.25
"""

from .comparison import COMPARISON_COLUMNS, compare_rounds, grade_counts
from .index import STATUSES, area_indices, ranked_index, unit_index
from .quality import QUALITY_FLAGS, quality_flags
from .reliability import AlphaResult, cronbach_alpha, form_alpha
from .satisfaction import ALL_AREAS, SATISFACTION_COLUMNS, satisfaction_index, scale_levels
from .scoring import SCORE_COLUMNS, answer_weights, survey_scores
from .uncertainty import DEFAULT_SEED, rank_intervals

__all__ = [
    "ALL_AREAS",
    "COMPARISON_COLUMNS",
    "DEFAULT_SEED",
    "QUALITY_FLAGS",
    "SATISFACTION_COLUMNS",
    "SCORE_COLUMNS",
    "STATUSES",
    "AlphaResult",
    "answer_weights",
    "area_indices",
    "compare_rounds",
    "cronbach_alpha",
    "form_alpha",
    "grade_counts",
    "quality_flags",
    "rank_intervals",
    "ranked_index",
    "satisfaction_index",
    "scale_levels",
    "survey_scores",
    "unit_index",
]
