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
    plan_from_dict,
    resolve_plan_path,
)

__all__ = [
    "DEFAULT_PLAN",
    "DataFileError",
    "Group",
    "Label",
    "Level",
    "Plan",
    "Problem",
    "Quota",
    "QuotaPlace",
    "Rates",
    "Unit",
    "UnitKind",
    "builtin_plan_names",
    "load_plan",
    "load_plan_text",
    "plan_from_dict",
    "resolve_plan_path",
]
