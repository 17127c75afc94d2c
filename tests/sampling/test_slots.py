"""Slot lifecycle, link tokens and the check character of slot codes."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from questionnaires import BilingualError
from sampling.slots import (
    CODE_ALPHABET,
    OPEN_STATES,
    TOKEN_BYTES,
    SlotStatus,
    SlotTransitionError,
    can_transition,
    check_transition,
    is_token,
    make_slot_code,
    new_token,
    next_slot_code,
    parse_slot_code,
    slot_number,
)

ALLOWED = {
    ("issued", "handed_out"), ("issued", "started"), ("issued", "completed"), ("issued", "voided"),
    ("handed_out", "started"), ("handed_out", "completed"), ("handed_out", "voided"),
    ("started", "completed"), ("started", "voided"),
}


@pytest.mark.parametrize("current", [s.value for s in SlotStatus])
@pytest.mark.parametrize("target", [s.value for s in SlotStatus])
def test_transitions_are_guarded(current, target):
    assert can_transition(current, target) == ((current, target) in ALLOWED)
    if (current, target) in ALLOWED:
        assert check_transition(current, target) is SlotStatus(target)
    else:
        with pytest.raises(SlotTransitionError):
            check_transition(current, target)


def test_a_refused_transition_is_a_bilingual_value_error():
    with pytest.raises(ValueError) as info:
        check_transition("completed", "started")
    error = info.value
    assert isinstance(error, SlotTransitionError)
    assert isinstance(error, BilingualError)
    assert (error.current, error.target, error.status) == (SlotStatus.COMPLETED, SlotStatus.STARTED, 409)
    assert error.message("en") == str(error) == "a slot that is completed cannot become started"
    assert error.message("vi") == "phiếu 'đã hoàn thành' không thể chuyển sang 'đã mở'"
    assert set(error.messages) == {"vi", "en"}


@pytest.mark.parametrize("current", list(SlotStatus))
@pytest.mark.parametrize("target", list(SlotStatus))
def test_every_refusal_has_a_vietnamese_message(current, target):
    error = SlotTransitionError(current, target)
    assert error.message("vi") != error.message("en")
    assert current.value not in error.message("vi")


def test_final_states_are_final_and_open_states_can_be_voided():
    for final in (SlotStatus.COMPLETED, SlotStatus.VOIDED):
        assert not final.is_open
        assert not any(can_transition(final, s) for s in SlotStatus)
    assert all(can_transition(s, SlotStatus.VOIDED) for s in OPEN_STATES)


def test_tokens_are_long_unique_and_url_safe():
    tokens = [new_token() for _ in range(20_000)]
    assert len(set(tokens)) == len(tokens)
    assert TOKEN_BYTES * 8 >= 128
    for token in tokens[:1000]:
        assert is_token(token)
        assert len(token) == 22  # short enough for a small QR code
    # Every character of the URL-safe alphabet turns up, at roughly even rates:
    # a crude check that the source is not biased or truncated.
    # (The 22nd character holds only the last 2 bits, so it is left out.)
    counts = Counter("".join(t[:21] for t in tokens))
    assert len(counts) == 64
    expected = sum(counts.values()) / 64
    assert max(abs(c - expected) / expected for c in counts.values()) < 0.1


def test_malformed_tokens_are_recognised():
    for bad in ("", "short", "x" * 23, "abc/def" + "x" * 15, "ü" * 22):
        assert not is_token(bad)


def test_slot_codes_are_short_and_parse_back():
    code = make_slot_code("II.4", 131)
    assert code.startswith("24-0131-")
    assert len(code) <= 12
    assert parse_slot_code(code) == code
    assert parse_slot_code(f"  {code.lower()} ") == code
    assert parse_slot_code("24-0131") is None
    assert parse_slot_code("nonsense") is None
    with pytest.raises(ValueError):
        make_slot_code("II.4", 0)


def _with_substitution(code: str, index: int, char: str) -> str:
    return code[:index] + char + code[index + 1:]


@given(group=st.sampled_from(["I.1", "I.2", "I.3", "I.4", "II.1", "II.2", "II.3", "II.4"]),
       number=st.integers(min_value=1, max_value=9999),
       data=st.data())
def test_check_character_catches_every_single_typo(group, number, data):
    code = make_slot_code(group, number)
    positions = [i for i, ch in enumerate(code) if ch != "-"]
    index = data.draw(st.sampled_from(positions))
    alphabet = CODE_ALPHABET if index == len(code) - 1 else "0123456789"
    char = data.draw(st.sampled_from([c for c in alphabet if c != code[index]]))
    assert parse_slot_code(_with_substitution(code, index, char)) is None


@given(number=st.integers(min_value=1, max_value=9999), data=st.data())
def test_check_character_catches_swapped_neighbours(number, data):
    code = make_slot_code("II.3", number)
    digits = [i for i in range(3, 6) if code[i] != code[i + 1]]  # the four number digits
    if not digits:
        return
    i = data.draw(st.sampled_from(digits))
    swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
    assert parse_slot_code(swapped) is None


def test_slot_code_numbers_cover_a_large_quota():
    codes = {make_slot_code("II.3", n) for n in range(1, 2001)}
    assert len(codes) == 2000
    # The check character spreads over the alphabet instead of clustering.
    spread = Counter(c[-1] for c in codes)
    assert len(spread) >= math.floor(len(CODE_ALPHABET) * 0.9)


def test_slot_number_reads_the_running_number():
    assert slot_number("24-0131-F") == 131
    assert slot_number(make_slot_code("I.1", 1)) == 1
    assert slot_number(make_slot_code("A.2", 123456)) == 123456
    assert slot_number(parse_slot_code(" 24-0131-f ")) == 131


@pytest.mark.parametrize("bad", ["", "24-0131", "24-131-F", "24-0131-F-1", "24/0131/F", "24-0131-f",
                                 " 24-0131-F", "24-0131-F\n", "II.4-0131-F", "24-01a1-F"])
def test_slot_number_refuses_a_malformed_code(bad):
    with pytest.raises(ValueError):
        slot_number(bad)


@given(group=st.sampled_from(["I.1", "II.4", "A.2", "III"]), number=st.integers(1, 999_999))
def test_slot_number_inverts_make_slot_code(group, number):
    assert slot_number(make_slot_code(group, number)) == number


def test_next_slot_code_follows_the_highest_number():
    assert next_slot_code("II.4", []) == make_slot_code("II.4", 1)
    assert next_slot_code("II.4", iter([])) == make_slot_code("II.4", 1)
    existing = [make_slot_code("II.4", n) for n in (3, 12, 7)]
    assert next_slot_code("II.4", existing) == make_slot_code("II.4", 13)
    # Gaps (voided and replaced slots) are never filled: numbers are not reused.
    assert next_slot_code("II.4", (code for code in existing[1:2])) == make_slot_code("II.4", 13)
    # Numbers compare as numbers, not as text.
    wider = [make_slot_code("II.4", 9999), make_slot_code("II.4", 10000)]
    assert next_slot_code("II.4", wider) == make_slot_code("II.4", 10001)


def test_next_slot_code_refuses_a_malformed_existing_code():
    with pytest.raises(ValueError):
        next_slot_code("II.4", [make_slot_code("II.4", 1), "nonsense"])
