"""Property tests: any valid small form survives to_dict and XLSForm round trips."""

from __future__ import annotations

import io
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questionnaires import Form, Kind, form_from_dict, from_xlsform, to_xlsform
from questionnaires.loader import IDENTIFYING_LABEL_WORDS

# Precomposed Vietnamese letters, digits and punctuation; no "_" (Excel reads "_x0041_"
# as an escape) and no braces (only unit_rating labels may hold "{unit}").
ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợ" \
           "úùủũụứừửữựýỳỷỹỵĐÔƠƯ 0123456789?,.:-/()'\"=%"

# Labels that the loader would refuse on a background question ("name", "tên", ...)
# are left out: generated forms are meant to be valid.
_IDENTIFYING = re.compile(r"\b(?:" + "|".join(map(re.escape, IDENTIFYING_LABEL_WORDS)) + r")\b",
                          re.IGNORECASE)
texts = (st.text(ALPHABET, min_size=1, max_size=24).map(str.strip).filter(bool)
         .filter(lambda text: not _IDENTIFYING.search(text)))


@st.composite
def labels(draw: st.DrawFn, unit: bool = False) -> dict[str, str]:
    vi, en = draw(texts), draw(texts)
    if unit and draw(st.booleans()):
        vi, en = f"{vi} {{unit}}", f"{{unit}} {en}"
    return {"vi": vi, "en": en}


@st.composite
def options(draw: st.DrawFn, scored: bool) -> list[dict[str, Any]]:
    values = draw(st.lists(st.from_regex(r"[a-z0-9][a-z0-9_]{0,7}", fullmatch=True),
                           min_size=1, max_size=4, unique=True))
    weights = st.none() | st.floats(0, 1)
    out = [{"value": value, "label": draw(labels()), "weight": draw(weights)}
           for value in values]
    if scored:
        out[0]["weight"] = draw(st.floats(0, 1))
    return out


def numbers(integer: bool) -> st.SearchStrategy[int | float]:
    if integer:
        return st.integers(-1000, 1000)
    return st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def condition(draw: st.DrawFn, target: dict[str, Any]) -> dict[str, Any]:
    if "options" in target:
        values = [o["value"] for o in target["options"]]
        op = draw(st.sampled_from(["=", "!=", "in"]))
        if op == "in":
            return {"question": target["code"], "op": op,
                    "value": draw(st.lists(st.sampled_from(values), min_size=1, unique=True))}
        return {"question": target["code"], "op": op, "value": draw(st.sampled_from(values))}
    return {"question": target["code"],
            "op": draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="])),
            "value": draw(numbers(target.get("integer", True)))}


@st.composite
def question(draw: st.DrawFn, code: str, earlier: list[dict[str, Any]]) -> dict[str, Any]:
    kind = draw(st.sampled_from(list(Kind)))
    out: dict[str, Any] = {"code": code, "kind": kind.value,
                           "label": draw(labels(unit=kind is Kind.UNIT_RATING)),
                           "required": draw(st.booleans())}
    if kind in (Kind.CHOICE, Kind.UNIT_RATING, Kind.SELECT_MULTIPLE) or (
            kind is Kind.BACKGROUND and draw(st.booleans())):
        scored = kind in (Kind.CHOICE, Kind.UNIT_RATING) and draw(st.booleans())
        out["options"] = draw(options(scored))
        if scored:
            out["criterion"] = draw(st.from_regex(r"TC[1-8]\.[1-9]", fullmatch=True))
    elif kind is Kind.TEXT:
        out["max_length"] = draw(st.integers(1, 10_000))
    else:
        out["integer"] = integer = draw(st.booleans())
        bounds = sorted(draw(st.lists(numbers(integer), min_size=2, max_size=2)))
        for key, bound in zip(("min", "max"), bounds):
            if draw(st.booleans()):
                out[key] = bound
    if earlier and draw(st.booleans()):
        out["relevant"] = draw(condition(draw(st.sampled_from(earlier))))
    return out


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    sections: list[dict[str, Any]] = []
    earlier: list[dict[str, Any]] = []  # questions a condition may refer to
    count = 0
    for index in range(draw(st.integers(1, 3))):
        questions = []
        for _ in range(draw(st.integers(1, 3))):
            count += 1
            item = draw(question(f"q{count}", earlier))
            questions.append(item)
            if item["kind"] != Kind.TEXT.value:
                earlier.append(item)
        sections.append({"code": f"sec{index}", "title": draw(labels()),
                         "questions": questions})
    document: dict[str, Any] = {
        "format": 1,
        "code": draw(st.from_regex(r"[A-Z]{2}-[0-9]{2}", fullmatch=True)),
        "version": draw(st.from_regex(r"[0-9]{4}(\.[0-9]{1,2})?", fullmatch=True)),
        "title": draw(labels()),
        "sections": sections,
    }
    if draw(st.booleans()):
        document["introduction"] = draw(labels())
    return document


# Each example writes and reads a workbook (some 30 ms): keep the count modest.
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_generated_forms_round_trip(document):
    form = form_from_dict(document)
    assert form_from_dict(form.to_dict()) == form

    buffer = io.BytesIO()
    to_xlsform(form, buffer)
    buffer.seek(0)
    again: Form = from_xlsform(buffer)
    assert again == form
    assert again.content_hash == form.content_hash
