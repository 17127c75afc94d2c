"""Fixtures for the questionnaire tests: a small valid form that uses every kind."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from questionnaires import DataFileError, Form, form_from_dict, load_form_text

#: A valid form with every question kind, a scale, inline options, two conditions.
#: Tests that need a broken file change one line of it.
SAMPLE_YAML = """\
format: 1
code: TEST-01
version: "1"
title: {vi: "Phiếu thử", en: "Test form"}
introduction: {vi: "Giới thiệu phiếu", en: "About this form"}
scales:
  muc_do:
    - {value: tot, label: {vi: "Tốt", en: "Good"}, weight: 1.0}
    - {value: kem, label: {vi: "Kém", en: "Poor"}, weight: 0}
    - {value: khong_biet, label: {vi: "Không biết", en: "Don't know"}, weight: null}
sections:
  - code: A
    title: {vi: "Phần A", en: "Part A"}
    questions:
      - code: b1
        kind: background
        label: {vi: "Số năm công tác", en: "Years in the post"}
        min: 0
        max: 45
      - code: b2
        kind: background
        label: {vi: "Chức vụ", en: "Position"}
        options:
          - {value: lanh_dao, label: {vi: "Lãnh đạo", en: "Leader"}}
          - {value: cong_chuc, label: {vi: "Công chức", en: "Civil servant"}}
      - code: q01
        kind: choice
        label: {vi: "Có kế hoạch không?", en: "Is there a plan?"}
        options:
          - {value: co, label: {vi: "Có", en: "Yes"}, weight: 1}
          - {value: khong, label: {vi: "Không", en: "No"}, weight: 0}
          - {value: khong_biet, label: {vi: "Không biết", en: "Don't know"}, weight: null}
        criterion: TC1.2
        required: true
      - code: q02
        kind: unit_rating
        label: {vi: "Lãnh đạo {unit}", en: "Leaders of {unit}"}
        scale: muc_do
        criterion: TC1.1
        required: true
        relevant: {question: q01, op: "=", value: co}
  - code: B
    title: {vi: "Phần B", en: "Part B"}
    questions:
      - code: q03
        kind: number
        label: {vi: "Số lần góp ý", en: "Number of comments"}
        min: 0.5
        max: 10
        integer: false
      - code: q04
        kind: text
        label: {vi: "Ý kiến khác", en: "Other comments"}
        max_length: 20
        relevant: {question: q03, op: ">=", value: 2}
"""


@pytest.fixture
def sample_yaml() -> str:
    return SAMPLE_YAML


@pytest.fixture
def sample_form() -> Form:
    return load_form_text(SAMPLE_YAML, source="sample.yaml")


@pytest.fixture
def sample_dict(sample_form: Form) -> dict[str, Any]:
    """A fresh, mutable document of the sample form."""
    return copy.deepcopy(sample_form.to_dict())


@pytest.fixture
def load_errors() -> Callable[[str | dict[str, Any]], DataFileError]:
    """Load YAML text or a document that must fail; return the error."""

    def load(source: str | dict[str, Any]) -> DataFileError:
        with pytest.raises(DataFileError) as info:
            if isinstance(source, str):
                load_form_text(source, source="broken.yaml")
            else:
                form_from_dict(source)
        return info.value

    return load


@pytest.fixture
def line_of() -> Callable[[str, str], int]:
    """The 1-based line of the first line of ``text`` containing ``needle``."""

    def find(text: str, needle: str) -> int:
        for number, line in enumerate(text.splitlines(), start=1):
            if needle in line:
                return number
        raise AssertionError(f"{needle!r} is not in the text")

    return find
