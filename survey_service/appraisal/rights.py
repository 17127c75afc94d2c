"""Who may do what in the appraisal: a unit on its own self-assessment, a council member
on the sub-criteria of its field (the standing body, Sở Nội vụ, on any), admins on all.

Pages and the JSON API ask the same functions, so they refuse the same things (403).
"""

from __future__ import annotations

from typing import Protocol

from questionnaires.scoring import SubCriterion

from ..core.errors import ServiceError

#: The council's standing body: it may appraise every sub-criterion.
STANDING_BODY = "so-noi-vu"


class Account(Protocol):
    """A signed-in account: its role and, for unit and council accounts, its unit."""

    id: int
    name: str
    role: str
    unit: str | None


def forbidden() -> ServiceError:
    return ServiceError("Tài khoản này không có quyền với mục này.",
                        "This account has no right to this.", status=403)


def may_self_assess(user: Account, unit: str) -> bool:
    """The unit's own account, or an admin."""
    return user.role == "admin" or (user.role == "unit" and user.unit == unit)


def may_appraise(user: Account, sub: SubCriterion) -> bool:
    """The council member of the sub-criterion's field, the standing body, or an admin."""
    if user.role == "admin":
        return True
    return user.role == "council" and user.unit in (sub.appraiser, STANDING_BODY)


def may_read(user: Account, unit: str) -> bool:
    """A unit's rows and evidence: the unit itself, the council, admins."""
    return user.role in ("admin", "council") or (user.role == "unit" and user.unit == unit)


def may_oversee(user: Account) -> bool:
    """The status board: admins, analysts and the standing body."""
    return user.role in ("admin", "analyst") or (user.role == "council" and user.unit == STANDING_BODY)


def require(allowed: bool) -> None:
    """Raise the 403 :class:`ServiceError` unless ``allowed``."""
    if not allowed:
        raise forbidden()
