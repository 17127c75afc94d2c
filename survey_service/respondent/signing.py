"""The form token of a respondent page: which link it belongs to, and since when.

Each page carries a signed token instead of a session-bound CSRF token (respondents
have no cookie).  It is ``<time>.<signature>``: the time it was issued (seconds, in
hexadecimal) and an HMAC-SHA256 over that time and a tag of the link, with a key
derived from the app's secret key.  It is checked in constant time, and refused once
older than the page's maximum age.  A token of the earlier format (``itsdangerous``'s
timed serializer, still in pages opened before an upgrade) is still accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "respondent-page"
#: A token dated this far ahead of the server's clock is accepted (servers' clocks differ).
CLOCK_SKEW = 60

_KEYS: dict[str | bytes, bytes] = {}


def _key(secret: str | bytes) -> bytes:
    key = _KEYS.get(secret)
    if key is None:
        raw = secret.encode() if isinstance(secret, str) else secret
        key = _KEYS[secret] = hashlib.sha256(SALT.encode() + b"\0" + raw).digest()
    return key


def _tag(token: str) -> bytes:
    return hashlib.sha256(token.encode()).hexdigest()[:16].encode()


def _signature(secret: str | bytes, token: str, issued: str) -> str:
    mac = hmac.new(_key(secret), issued.encode() + b"." + _tag(token), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def form_token(secret: str | bytes, token: str, now: float | None = None) -> str:
    """A new form token for the pages of the link ``token``."""
    issued = format(int(time.time() if now is None else now), "x")
    return f"{issued}.{_signature(secret, token, issued)}"


def form_token_ok(secret: str | bytes, token: str, sent: str | None, max_age: int,
                  now: float | None = None) -> bool:
    """Whether ``sent`` is a form token of the link ``token``, at most ``max_age`` seconds old."""
    if not sent:
        return False
    issued, dot, signature = sent.partition(".")
    if "." in signature:  # the earlier format: payload.time.signature
        try:
            serializer = URLSafeTimedSerializer(secret, salt=SALT)
            return bool(serializer.loads(sent, max_age=max_age) == _tag(token).decode())
        except BadSignature:  # also SignatureExpired
            return False
    if not dot or not 0 < len(issued) <= 12:
        return False
    try:
        age = (time.time() if now is None else now) - int(issued, 16)
    except ValueError:
        return False
    if not -CLOCK_SKEW <= age <= max_age:
        return False
    return hmac.compare_digest(signature, _signature(secret, token, issued))
