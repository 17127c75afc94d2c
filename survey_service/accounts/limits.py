"""The limits on hostile input: sign-in attempts and unknown respondent links.

Pure rules and keys, no database: the counters themselves are written by
:mod:`.operations` (one atomic upsert each) and read by :mod:`.queries`.

Sign-in (per window of :data:`SIGN_IN_WINDOW`, starting at a key's first failure):

* a name from one address (:data:`PAIR_LIMIT` failures) locks that name *for that
  address only*, so an attacker elsewhere cannot lock the owner out;
* an address across all names (:data:`ADDRESS_LIMIT` failures) locks that address;
* a name that failed :data:`NAME_LIMIT` times across all addresses is "under attack":
  an address gets one try at it per window, and only while its own record for that name
  is clean (the owner signing in from a clean address is never refused).

Unknown links (``/s/<token>`` answering 404): :data:`LINK_MISS_LIMIT` per address and
minute, then 429 until the minute ends.  Valid links are never counted nor limited.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import unicodedata

from ..core.errors import ServiceError

SIGN_IN_WINDOW = dt.timedelta(minutes=15)
#: Failures of one name from one address within the window.
PAIR_LIMIT = 5
#: Failures from one address within the window, whatever the names.
ADDRESS_LIMIT = 20
#: Failures of one name from all addresses after which the name is under attack.
NAME_LIMIT = 20

LINK_WINDOW = dt.timedelta(minutes=1)
#: Unknown links one address may ask for per minute before it is answered 429.
LINK_MISS_LIMIT = 20

#: How long (from its start) a sign-in counter is kept for the audit page.
SIGN_IN_COUNTERS_KEPT = dt.timedelta(days=7)
#: How long (from its hour) an unknown-link counter is kept for the audit page.
LINK_COUNTERS_KEPT = dt.timedelta(days=90)


def now() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.timezone.utc)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` as aware UTC (SQLite gives stored times back without their zone).

    >>> as_utc(dt.datetime(2021, 2, 1, 8, 0)).isoformat()
    '2021-02-01T08:00:00+00:00'
    """
    return moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment


def seconds_until(end: dt.datetime, moment: dt.datetime) -> int:
    """Whole seconds from ``moment`` to ``end``, at least 1 (a ``Retry-After`` value).

    >>> start = dt.datetime(2021, 2, 1, tzinfo=dt.timezone.utc)
    >>> seconds_until(start + SIGN_IN_WINDOW, start + dt.timedelta(seconds=0.5))
    900
    """
    return max(1, math.ceil((as_utc(end) - as_utc(moment)).total_seconds()))


def client_key(address: str | None) -> str:
    """The key under which a client address is counted.

    An IPv4 address as it is; an IPv6 address as its /64 network (one subscriber holds a
    whole /64, so counting single addresses would let it rotate through them).

    >>> client_key("203.0.113.9"), client_key("2001:db8:1:2:3:4:5:6"), client_key("::ffff:10.0.0.1")
    ('203.0.113.9', '2001:db8:1:2::/64', '10.0.0.1')
    >>> client_key(None)
    'unknown'
    """
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def check_text(name: str, password: str) -> None:
    """Refuse (400) a user name or password holding a NUL or other control character.

    >>> check_text("admin", "mật khẩu dài")
    >>> check_text("ad\\x00min", "x")
    Traceback (most recent call last):
    ...
    survey_service.core.errors.ServiceError: A user name cannot hold control characters ...
    """
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise ServiceError("Tên đăng nhập không được chứa ký tự điều khiển (như NUL, xuống dòng).",
                           "A user name cannot hold control characters (such as NUL or a line break).")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in password):
        raise ServiceError("Mật khẩu không được chứa ký tự điều khiển (như NUL, xuống dòng).",
                           "A password cannot hold control characters (such as NUL or a line break).")


def normal_name(name: str) -> str:
    """A user name as stored and looked up: stripped, in Unicode NFC.

    >>> normal_name(" Nguye\\u0302\\u0303n ") == "Nguyễn"
    True
    """
    return unicodedata.normalize("NFC", name.strip())


def name_key(name: str) -> str:
    """The key under which sign-in failures for ``name`` are counted: also case-folded.

    >>> name_key(" ADMIN "), name_key("ADMI\\u0301N") == name_key("admín")
    ('admin', True)
    """
    return normal_name(name).casefold()[:255]


def minutes(seconds: int) -> int:
    """Whole minutes to wait, rounded up.

    >>> minutes(899), minutes(60), minutes(1)
    (15, 1, 1)
    """
    return max(1, math.ceil(seconds / 60))
