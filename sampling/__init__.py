"""Survey plans, quotas and slots: a plain library, usable in a notebook.

>>> from sampling import load_plan
>>> load_plan().totals()["total"]
1193
"""

from questionnaires.problems import DataFileError, Problem

from .plan import (
    DEFAULT_PLAN,
    Group,
    Label,
    Level,
    Plan,
    Quota,
    QuotaPlace,
    Rates,
    Unit,
    UnitKind,
    builtin_plan_names,
    load_plan,
    load_plan_text,
    name_in,
    plan_from_dict,
    resolve_plan_path,
)
from .rosters import (
    DOSSIER_COLUMNS,
    PERSONAL_COLUMNS,
    SampleSize,
    draw_sample,
    read_dossiers,
    sample_sizes,
)
from .selection import next_reserve, read_roster, select_respondents
from .statistics import (
    margin_of_error,
    quota_precision,
    sample_size_proportion,
    sample_size_slovin,
)

__all__ = [
    "DEFAULT_PLAN",
    "DOSSIER_COLUMNS",
    "DataFileError",
    "Group",
    "Label",
    "Level",
    "PERSONAL_COLUMNS",
    "Plan",
    "Problem",
    "Quota",
    "QuotaPlace",
    "Rates",
    "SampleSize",
    "Unit",
    "UnitKind",
    "builtin_plan_names",
    "draw_sample",
    "load_plan",
    "load_plan_text",
    "margin_of_error",
    "name_in",
    "next_reserve",
    "plan_from_dict",
    "quota_precision",
    "read_dossiers",
    "read_roster",
    "resolve_plan_path",
    "sample_size_proportion",
    "sample_size_slovin",
    "sample_sizes",
    "select_respondents",
]
