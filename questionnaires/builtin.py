"""The questionnaires shipped with the package: the six forms of Lai Châu's 2020 plan
and the citizens' and organisations' satisfaction form of its separate round (HL-01).

They live in ``questionnaires/forms/<code>.yaml``; their criterion codes are listed in
``questionnaires/forms/README.md``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from .loader import load_form_text
from .messages import FILE_PROBLEMS
from .model import Form
from .problems import ProblemList

#: Codes of the built-in forms, in the order of the plan: department level (CT), then
#: district level (CH), then the citizens' satisfaction form (HL).
BUILTIN_FORM_CODES: tuple[str, ...] = ("CT-01", "CT-02", "CT-03", "CH-01", "CH-02", "CH-03",
                                       "HL-01")


def builtin_form_codes() -> tuple[str, ...]:
    """The codes of the built-in forms, in a stable order.

    >>> builtin_form_codes()
    ('CT-01', 'CT-02', 'CT-03', 'CH-01', 'CH-02', 'CH-03', 'HL-01')
    """
    return BUILTIN_FORM_CODES


@lru_cache(maxsize=None)
def load_builtin(code: str) -> Form:
    """Load and check one built-in form (read once per process; forms are immutable).

    Parameters
    ----------
    code:
        One of :func:`builtin_form_codes`.

    Returns
    -------
    Form

    Raises
    ------
    DataFileError
        If there is no built-in form with that code.

    Examples
    --------
    >>> form = load_builtin("CT-02")
    >>> form.code, form.version
    ('CT-02', '2020.1')
    """
    if code not in BUILTIN_FORM_CODES:
        problems = ProblemList(FILE_PROBLEMS)
        problems.add("unknown_builtin_form", code, name=code,
                     codes=", ".join(BUILTIN_FORM_CODES))
        problems.raise_if_any(code)
    resource = resources.files(__package__).joinpath("forms", f"{code}.yaml")
    return load_form_text(resource.read_text(encoding="utf-8"), source=str(resource))


def builtin_forms() -> tuple[Form, ...]:
    """Load and check all built-in forms.

    Returns
    -------
    tuple of Form
        In the order of :func:`builtin_form_codes`.
    """
    return tuple(load_builtin(code) for code in BUILTIN_FORM_CODES)
