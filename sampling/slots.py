"""Slots: one per quota place, each with a one-time link and a code a person can read.

Pure decisions only (no database): the slot lifecycle and its guarded transitions,
the secret token of a link, and the human-readable slot code with its check
character.  The web service stores slots and applies these rules.

A slot code is ``PREFIX-NNNN-C``: the group's prefix, the slot's running number in the
group and a check character.  Only this module knows that format:
:func:`make_slot_code` writes it, :func:`parse_slot_code` reads a typed code back,
:func:`slot_number` gives the number and :func:`next_slot_code` the group's next code.

Lifecycle::

    issued ──► handed_out ──► started ──► completed
       │            │            │
       └────────────┴────────────┴──► voided      (issued / handed_out may also
                                                   go straight to started or,
                                                   for a paper form, completed)

``completed`` and ``voided`` are final.  A voided slot's quota place gets a new slot
(see the service), so a quota never overfills and never silently shrinks.
"""

from __future__ import annotations

import enum
import re
import secrets
from collections.abc import Iterable

from questionnaires.text import BilingualError, Label

#: Bytes of randomness in a link token: 16 bytes = 128 bits, from the OS's CSPRNG.
TOKEN_BYTES = 16

#: A token as :func:`new_token` makes it: 22 characters of the URL-safe base64 alphabet.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")

#: Characters of a slot code's check character and of group prefixes: Crockford's
#: base 32 (no I, L, O, U, so 1/I/L and 0/O cannot be confused when typed).
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

_SLOT_CODE = re.compile(r"^([0-9A-Z]{1,6})-(\d{4,6})-([0-9A-Z])$")


class SlotStatus(str, enum.Enum):
    """Where a slot is in its life."""

    ISSUED = "issued"
    HANDED_OUT = "handed_out"
    STARTED = "started"
    COMPLETED = "completed"
    VOIDED = "voided"

    @property
    def is_open(self) -> bool:
        """True while the slot can still be answered."""
        return self in OPEN_STATES


#: States in which a slot can still be answered (and voided).
OPEN_STATES = frozenset({SlotStatus.ISSUED, SlotStatus.HANDED_OUT, SlotStatus.STARTED})

#: Allowed moves.  Anything else is refused by :func:`check_transition`.
TRANSITIONS: dict[SlotStatus, frozenset[SlotStatus]] = {
    SlotStatus.ISSUED: frozenset({SlotStatus.HANDED_OUT, SlotStatus.STARTED,
                                  SlotStatus.COMPLETED, SlotStatus.VOIDED}),
    SlotStatus.HANDED_OUT: frozenset({SlotStatus.STARTED, SlotStatus.COMPLETED,
                                      SlotStatus.VOIDED}),
    SlotStatus.STARTED: frozenset({SlotStatus.COMPLETED, SlotStatus.VOIDED}),
    SlotStatus.COMPLETED: frozenset(),
    SlotStatus.VOIDED: frozenset(),
}


#: Each status in words, as the staff pages show it.
_STATUS_LABELS: dict[SlotStatus, Label] = {
    SlotStatus.ISSUED: Label("chưa phát", "issued"),
    SlotStatus.HANDED_OUT: Label("đã phát", "handed out"),
    SlotStatus.STARTED: Label("đã mở", "started"),
    SlotStatus.COMPLETED: Label("đã hoàn thành", "completed"),
    SlotStatus.VOIDED: Label("đã hủy", "voided"),
}


def status_label(status: SlotStatus | str) -> Label:
    """A slot status in words, in Vietnamese and English, as people read it.

    >>> status_label("completed").get("vi"), status_label(SlotStatus.ISSUED).get("en")
    ('đã hoàn thành', 'issued')
    """
    return _STATUS_LABELS[SlotStatus(status)]


class SlotTransitionError(BilingualError, ValueError):
    """A slot was asked to move to a state its current state does not allow.

    A :class:`~questionnaires.text.BilingualError` with HTTP status 409 (the request
    conflicts with the slot's state).

    >>> error = SlotTransitionError(SlotStatus.COMPLETED, SlotStatus.VOIDED)
    >>> error.message("vi")
    "phiếu 'đã hoàn thành' không thể chuyển sang 'đã hủy'"
    >>> str(error), error.status
    ('a slot that is completed cannot become voided', 409)
    """

    def __init__(self, current: SlotStatus, target: SlotStatus):
        self.current = current
        self.target = target
        super().__init__(
            f"phiếu '{_STATUS_LABELS[current].vi}' không thể chuyển sang '{_STATUS_LABELS[target].vi}'",
            f"a slot that is {current.value} cannot become {target.value}",
            status=409,
        )


def can_transition(current: SlotStatus | str, target: SlotStatus | str) -> bool:
    """Whether a slot in ``current`` may move to ``target``.

    >>> can_transition("issued", "handed_out"), can_transition("completed", "started")
    (True, False)
    """
    return SlotStatus(target) in TRANSITIONS[SlotStatus(current)]


def check_transition(current: SlotStatus | str, target: SlotStatus | str) -> SlotStatus:
    """Return ``target`` as a status, or raise :class:`SlotTransitionError`."""
    current, target = SlotStatus(current), SlotStatus(target)
    if target not in TRANSITIONS[current]:
        raise SlotTransitionError(current, target)
    return target


def new_token() -> str:
    """A new link token: 128 bits from :mod:`secrets`, URL-safe, 22 characters.

    >>> bool(TOKEN_PATTERN.fullmatch(new_token()))
    True
    """
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_token(text: str) -> bool:
    """Whether ``text`` has the shape of a token (not whether it exists)."""
    return bool(TOKEN_PATTERN.fullmatch(text))


_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9}


def group_prefix(group_code: str) -> str:
    """The group part of a slot code, in the code alphabet.

    A leading Roman numeral (the plan's part number) becomes digits, so that no
    letter of the prefix can be mistaken for a digit when read or typed.

    >>> group_prefix("II.4"), group_prefix("I.1"), group_prefix("A.2")
    ('24', '11', 'A2')
    """
    head, dot, tail = group_code.partition(".")
    if dot and head.upper() in _ROMAN:
        group_code = f"{_ROMAN[head.upper()]}{tail}"
    prefix = _normalise(re.sub(r"[^0-9A-Za-z]", "", group_code))
    if not prefix or len(prefix) > 6:
        raise ValueError(f"group code {group_code!r} cannot make a slot-code prefix (1-6 letters/digits)")
    return prefix


def check_character(text: str) -> str:
    """Luhn mod 32 check character of ``text`` over :data:`CODE_ALPHABET`.

    It catches every single mistyped character and every swap of two
    neighbouring characters.  Characters outside the alphabet (I, L, O, U) are
    read as the ones they are usually mistaken for (1, 1, 0, V).
    """
    n = len(CODE_ALPHABET)
    factor, total = 2, 0
    for ch in reversed(_normalise(text)):
        if ch == "-":
            continue
        addend = factor * CODE_ALPHABET.index(ch)
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return CODE_ALPHABET[(n - total % n) % n]


def _normalise(text: str) -> str:
    return text.upper().translate(str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"}))


def make_slot_code(group_code: str, number: int) -> str:
    """The code printed on a card: group prefix, number, check character.

    >>> make_slot_code("II.4", 131)
    '24-0131-F'
    """
    if number < 1:
        raise ValueError("slot numbers start at 1")
    body = f"{group_prefix(group_code)}-{number:04d}"
    return f"{body}-{check_character(body)}"


def slot_number(code: str) -> int:
    """The running number of a slot code, within its group.

    ``code`` must be well formed (as :func:`make_slot_code` writes it, or as
    :func:`parse_slot_code` returns it); the check character is not verified.

    >>> slot_number("24-0131-F")
    131
    >>> slot_number("24-131")
    Traceback (most recent call last):
    ...
    ValueError: '24-131' is not a slot code (such as '24-0131-F')
    """
    match = _SLOT_CODE.fullmatch(code)
    if not match:
        raise ValueError(f"{code!r} is not a slot code (such as '24-0131-F')")
    return int(match.group(2))


def next_slot_code(group_code: str, existing_codes: Iterable[str]) -> str:
    """The code of a group's next slot: the number after the highest among
    ``existing_codes`` (the group's slot codes so far), or 1 if there are none.

    Raises :class:`ValueError` if one of ``existing_codes`` is malformed.

    >>> next_slot_code("II.4", [])
    '24-0001-M'
    >>> next_slot_code("II.4", ["24-0001-M", make_slot_code("II.4", 212)])
    '24-0213-B'
    """
    highest = max((slot_number(code) for code in existing_codes), default=0)
    return make_slot_code(group_code, highest + 1)


def parse_slot_code(text: str) -> str | None:
    """Normalise a typed slot code and verify its check character.

    Spaces and case do not matter, and the letters I, L, O, U typed for 1, 1,
    0, V are forgiven.  Returns the canonical code, or None if it is not a
    well-formed code with a correct check character.

    >>> parse_slot_code(" 24-0131-f ")
    '24-0131-F'
    >>> parse_slot_code("24-0132-F") is None
    True
    """
    cleaned = re.sub(r"\s+", "", text).upper()
    match = _SLOT_CODE.match(cleaned)
    if not match:
        return None
    prefix, number, check = match.groups()
    body = f"{prefix}-{number}"
    if check_character(body) != _normalise(check):
        return None
    return f"{body}-{_normalise(check)}"
