"""Writing staff accounts: creation, passwords, switching on and off, sessions, API keys,
and the counters of sign-in attempts and unknown links (:mod:`.limits`).

Operations add and flush; the request or the command commits.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from ..core.audit import Actor, record
from ..core.errors import ServiceError
from ..core.models import LinkMiss, SignInCounter, User
from ..plans.queries import current_plan
from . import limits
from .limits import check_text, client_key, name_key, normal_name, seconds_until
from .queries import authenticate, get_user, hash_api_key
from .security import ROLES, UNIT_ROLES

MIN_PASSWORD_LENGTH = 10


def _check_password(password: str) -> None:
    check_text("", password)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.",
                           f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")


def add_user(session: Session, name: str, role: str, password: str, *, unit: str | None = None) -> User:
    """Create a staff account; :class:`ServiceError` on a bad name, role, unit or password.

    Accounts of the roles ``unit`` and ``council`` act for one unit of the current plan:
    an evaluated unit, or a council member that appraises sub-criteria.
    """
    check_text(name, "")
    name = normal_name(name)
    if not name or len(name) > 80 or any(c.isspace() for c in name):
        raise ServiceError("Tên đăng nhập phải có 1 đến 80 ký tự, không có khoảng trắng.",
                           "A user name has 1 to 80 characters and no spaces.")
    if role not in ROLES:
        raise ServiceError(f"Vai trò '{role}' không hợp lệ (có: {', '.join(ROLES)}).",
                           f"Unknown role '{role}' (roles: {', '.join(ROLES)}).")
    unit = _check_unit(session, role, (unit or "").strip() or None)
    _check_password(password)
    if get_user(session, name) is not None:
        raise ServiceError(f"Đã có người dùng tên '{name}'.", f"A user named '{name}' already exists.",
                           status=409)
    user = User(name=name, role=role, password_hash=generate_password_hash(password), unit=unit)
    session.add(user)
    session.flush()
    return user


def _check_unit(session: Session, role: str, unit: str | None) -> str | None:
    """The unit an account of ``role`` is bound to, checked against the current plan."""
    if role not in UNIT_ROLES:
        if unit:
            raise ServiceError("Chỉ tài khoản đơn vị và thành viên hội đồng gắn với một đơn vị.",
                               "Only unit and council accounts are bound to a unit.")
        return None
    if not unit:
        raise ServiceError(f"Tài khoản vai trò '{role}' cần mã đơn vị (--unit).",
                           f"An account of the role '{role}' needs a unit code (--unit).")
    plan = current_plan(session)
    if plan is None:
        raise ServiceError("Chưa nạp kế hoạch (survey-service init).", "No plan is loaded (survey-service init).",
                           status=409)
    evaluated = {k.code for k in plan.unit_kinds if k.evaluated}
    allowed = ({u.code for u in plan.units if u.kind in evaluated} if role == "unit"
               else (plan.scoring.appraisers() if plan.scoring else set()))
    if unit not in allowed:
        what_vi = "đơn vị được đánh giá" if role == "unit" else "thành viên hội đồng thẩm định"
        what_en = "an evaluated unit" if role == "unit" else "a member of the appraisal council"
        raise ServiceError(f"'{unit}' không phải là {what_vi} của kế hoạch {plan.code} (có: "
                           f"{', '.join(sorted(allowed)[:8])}{' ...' if len(allowed) > 8 else ''}).",
                           f"'{unit}' is not {what_en} of the plan {plan.code} (for example: "
                           f"{', '.join(sorted(allowed)[:8])}{' ...' if len(allowed) > 8 else ''}).")
    return unit


def end_sessions(session: Session, user: User) -> None:
    """End every sign-in session of ``user`` (at sign-out, password change, deactivation).

    Sessions carry the user's ``session_version``; raising it makes every cookie issued
    before refer to a version that no longer exists (:func:`.security._load_user`).
    """
    user.session_version = User.session_version + 1
    session.flush()


def set_password(session: Session, name: str, password: str, *, by: Actor | None = None) -> User:
    """Give ``name`` a new password and end all its sessions (an admin, or the command line)."""
    user = get_user(session, normal_name(name))
    if user is None:
        raise ServiceError(f"Không có người dùng tên '{name}'.", f"There is no user named '{name}'.",
                           status=404)
    _check_password(password)
    user.password_hash = generate_password_hash(password)
    end_sessions(session, user)
    record(session, "password_set", user=by, target=user.name, **({} if by else {"via": "command line"}))
    return user


def change_password(session: Session, user: User, new: str, confirm: str) -> None:
    """A signed-in user's own new password (the current one already checked by the caller)."""
    if new != confirm:
        raise ServiceError("Hai lần nhập mật khẩu mới không giống nhau.",
                           "The two new passwords differ.")
    _check_password(new)
    user.password_hash = generate_password_hash(new)
    end_sessions(session, user)
    record(session, "password_change", user=user, target=user.name)


def toggle_active(session: Session, name: str, *, by: Actor) -> User:
    """Switch the account ``name`` on or off (never one's own), audited; off ends its sessions."""
    user = get_user(session, name)
    if user is None or user.id == by.id:
        raise ServiceError("Không đổi được tài khoản này.", "This account cannot be changed here.")
    user.active = not user.active
    if not user.active:
        end_sessions(session, user)
    record(session, "user_active" if user.active else "user_inactive", user=by, target=user.name)
    return user


def new_api_key(session: Session, name: str) -> str:
    """Give user ``name`` a new API key (replacing any old one) and return it."""
    user = get_user(session, name)
    if user is None:
        raise ServiceError(f"Không có người dùng tên '{name}'.", f"There is no user named '{name}'.",
                           status=404)
    key = "psk_" + secrets.token_urlsafe(32)
    user.api_key_hash = hash_api_key(key)
    return key


# --------------------------------------------------------------------------- limits


def _insert(session: Session, table: Table) -> Any:
    """An INSERT that can turn into an UPDATE on conflict (PostgreSQL and SQLite alike)."""
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def _count_failure(session: Session, key: str, address: str, at: dt.datetime) -> tuple[int, dt.datetime]:
    """Add one to a sign-in counter, atomically; its new count and window start.

    One upsert: a new key starts at 1, an expired window starts again at 1, else the
    count goes up by one.  The row stays locked until the request's transaction ends,
    so concurrent attempts on one key are counted one after the other, exactly.
    """
    table = SignInCounter.__table__
    expired = table.c.window_start <= at - limits.SIGN_IN_WINDOW
    statement = _insert(session, table).values(
        name_key=key, address=address, window_start=at, failures=1, last_at=at,
    ).on_conflict_do_update(index_elements=[table.c.name_key, table.c.address], set_={
        "failures": case((expired, 1), else_=table.c.failures + 1),
        "window_start": case((expired, at), else_=table.c.window_start),
        "last_at": at,
    }).returning(table.c.failures, table.c.window_start)
    failures, start = session.execute(statement).one()
    return failures, limits.as_utc(start)


def _failures_of_name(session: Session, key: str, at: dt.datetime) -> int:
    """Failures for a name from every address in its current window (read, not locked)."""
    row = session.execute(select(SignInCounter.failures, SignInCounter.window_start).where(
        SignInCounter.name_key == key, SignInCounter.address == "")).one_or_none()
    if row is None or limits.as_utc(row.window_start) <= at - limits.SIGN_IN_WINDOW:
        return 0
    return row.failures


@dataclass(frozen=True)
class SignInOutcome:
    """What became of a sign-in attempt."""

    #: The user, when name and password were right.
    user: User | None = None
    #: Why it was refused before the password was looked at: ``address`` (too many failures
    #: from this address), ``name`` (for this name from this address), ``attack`` (the name
    #: is under attack and this address already failed for it); None when it was checked.
    locked: str | None = None
    #: Seconds until a refused attempt may be tried again.
    retry_after: int = 0


def check_sign_in(session: Session, name: str, password: str, address: str | None,
                  *, at: dt.datetime | None = None) -> SignInOutcome:
    """Check a sign-in within the limits of :mod:`.limits`; the caller records a success.

    The attempt is reserved first, by counting it as a failure of its address and of its
    (name, address) with one atomic upsert each, then the limits are applied to those
    counts, and only then is the password checked; a success gives the reservation back.
    So 40 simultaneous attempts lead to at most :data:`limits.PAIR_LIMIT` password checks.

    A failure that reached the password check is audited (at most
    :data:`limits.ADDRESS_LIMIT` per address and window), and the first refusal of each
    lock; later refusals are only counted (the audit page shows the counters).
    :class:`ServiceError` (400) for a control character in the name or password.
    """
    check_text(name, password)
    at = at or limits.now()
    name, key, client = normal_name(name), name_key(name), client_key(address)
    shown = name[:80]

    def refuse(scope: str, count: int, limit: int, start: dt.datetime) -> SignInOutcome:
        if count == limit + 1:  # the first refusal of this window only
            record(session, "sign_in_locked", user_name=shown, target=client, scope=scope,
                   failures=count - 1)
        return SignInOutcome(locked=scope, retry_after=seconds_until(start + limits.SIGN_IN_WINDOW, at))

    from_address, address_start = _count_failure(session, "", client, at)
    if from_address > limits.ADDRESS_LIMIT:
        return refuse("address", from_address, limits.ADDRESS_LIMIT, address_start)
    pair, pair_start = _count_failure(session, key, client, at)
    if pair > limits.PAIR_LIMIT:
        return refuse("name", pair, limits.PAIR_LIMIT, pair_start)
    if pair > 1 and _failures_of_name(session, key, at) >= limits.NAME_LIMIT:
        return refuse("attack", pair, 1, pair_start)
    user = authenticate(session, name, password)
    if user is None:
        _count_failure(session, key, "", at)
        record(session, "sign_in_failed", user_name=shown, target=client)
        return SignInOutcome()
    # The reservation was no failure: give it back, and forget this address's failures for the name.
    session.execute(delete(SignInCounter).where(SignInCounter.name_key == key,
                                                SignInCounter.address == client))
    session.execute(update(SignInCounter).where(
        SignInCounter.name_key == "", SignInCounter.address == client, SignInCounter.failures > 0,
    ).values(failures=SignInCounter.failures - 1))
    _forget_old_counters(session, at)
    return SignInOutcome(user=user)


def _forget_old_counters(session: Session, at: dt.datetime) -> None:
    """Drop counters older than the audit page shows (done at each successful sign-in)."""
    session.execute(delete(SignInCounter).where(
        SignInCounter.window_start < at - limits.SIGN_IN_COUNTERS_KEPT))
    session.execute(delete(LinkMiss).where(LinkMiss.hour < at - limits.LINK_COUNTERS_KEPT))


def count_unknown_link(session: Session, address: str | None, *, at: dt.datetime | None = None) -> int:
    """Count a request for an unknown respondent link; seconds to wait if over the limit, else 0.

    One upsert per unknown link: the address's count of the hour (kept for the audit
    page) and of the minute (which :data:`limits.LINK_MISS_LIMIT` applies to).
    """
    at = at or limits.now()
    hour = at.replace(minute=0, second=0, microsecond=0)
    minute = at.replace(second=0, microsecond=0)
    table = LinkMiss.__table__
    statement = _insert(session, table).values(
        address=client_key(address), hour=hour, misses=1, minute=minute, minute_misses=1, last_at=at,
    ).on_conflict_do_update(index_elements=[table.c.address, table.c.hour], set_={
        "misses": table.c.misses + 1,
        "minute_misses": case((table.c.minute == minute, table.c.minute_misses + 1), else_=1),
        "minute": minute,
        "last_at": at,
    }).returning(table.c.minute_misses)
    if session.execute(statement).scalar_one() <= limits.LINK_MISS_LIMIT:
        return 0
    return seconds_until(minute + limits.LINK_WINDOW, at)
