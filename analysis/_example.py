"""The worked example of the design notes ("How answers become points"), as data.

Used by the docstring examples, so that each one runs on a few lines of data an
analyst can read:

- two forms, ``CT-01`` with question ``q5`` and ``CT-03`` with question ``q7``, both
  about a rated unit on the 5-level scale (Rất tốt 1.0, Tốt 0.75, Khá 0.5, Trung bình
  0.25, Kém 0, Không biết none), both feeding sub-criterion ``K``;
- rules with ``K`` worth 2.0 points for departments (a 98 + 2 split, so that the rules
  validate with this one survey sub-criterion) and one appraisal sub-criterion ``A``;
- two departments, ``so-tu-phap`` (the notes' Sở Tư pháp) and ``so-noi-vu``;
- answers of group I.1 (CT-01) and I.4 (CT-03).
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from questionnaires import Form, form_from_dict
from questionnaires.scoring import ScoringRules, rules_from_dict

_SCALE = [
    {"value": "rat_tot", "label": {"vi": "Rất tốt", "en": "Very good"}, "weight": 1.0},
    {"value": "tot", "label": {"vi": "Tốt", "en": "Good"}, "weight": 0.75},
    {"value": "kha", "label": {"vi": "Khá", "en": "Fairly good"}, "weight": 0.5},
    {"value": "trung_binh", "label": {"vi": "Trung bình", "en": "Average"}, "weight": 0.25},
    {"value": "kem", "label": {"vi": "Kém", "en": "Poor"}, "weight": 0.0},
    {"value": "khong_biet", "label": {"vi": "Không biết", "en": "Don't know"}, "weight": None},
]


class WorkedExample(NamedTuple):
    """Forms, rules, units, answers and appraisal points of the worked example."""

    forms: dict[str, Form]
    rules: ScoringRules
    units: pd.DataFrame
    answers: pd.DataFrame
    appraisal: pd.DataFrame


def _form(code: str, question: str) -> Form:
    return form_from_dict({
        "format": 1, "code": code, "version": "1",
        "title": {"vi": f"Phiếu {code}", "en": f"Form {code}"},
        "sections": [{
            "code": "s1", "title": {"vi": "Đánh giá", "en": "Rating"},
            "questions": [{
                "code": question, "kind": "unit_rating",
                "label": {"vi": "Đánh giá {unit}", "en": "Rate {unit}"},
                "options": _SCALE, "criterion": "K",
            }],
        }],
    })


def worked_example(pooling: str = "groups") -> WorkedExample:
    """The design notes' example; ``pooling`` is ``"groups"`` or ``"answers"``."""
    forms = {"CT-01": _form("CT-01", "q5"), "CT-03": _form("CT-03", "q7")}
    rules = rules_from_dict({
        "format": 1, "total_max": 100,
        "shares": {"department": {"appraisal": 98, "survey": 2}},
        "pooling": pooling,
        "bands": [
            {"code": "xuat_sac", "name": {"vi": "Xuất sắc", "en": "Excellent"}, "min": 90},
            {"code": "tot", "name": {"vi": "Tốt", "en": "Good"}, "min": 80},
            {"code": "kha", "name": {"vi": "Khá", "en": "Fair"}, "min": 70},
            {"code": "trung_binh", "name": {"vi": "Trung bình", "en": "Average"}, "min": 50},
            {"code": "yeu", "name": {"vi": "Yếu", "en": "Weak"}, "min": 0},
        ],
        "areas": [{
            "code": "LV1", "name": {"vi": "Lĩnh vực 1", "en": "Area 1"},
            "criteria": [{
                "code": "C1", "name": {"vi": "Tiêu chí 1", "en": "Criterion 1"},
                "subcriteria": [
                    {"code": "A", "name": {"vi": "Thẩm định", "en": "Appraised"},
                     "method": "appraisal", "max": {"department": 98}},
                    {"code": "K", "name": {"vi": "Điều tra", "en": "Surveyed"},
                     "method": "survey", "max": {"department": 2.0},
                     "questions": ["CT-01/q5", "CT-03/q7"]},
                ],
            }],
        }],
    }, forms)
    units = pd.DataFrame({"unit": ["so-tu-phap", "so-noi-vu"],
                          "kind": ["department", "department"],
                          "name": ["Sở Tư pháp", "Sở Nội vụ"]})
    rows = [
        # group I.1 answers CT-01 q5 about Sở Tư pháp: Tốt, Rất tốt, Không biết
        ("r01", "I.1", "CT-01", "so-tu-phap", "q5", "tot"),
        ("r02", "I.1", "CT-01", "so-tu-phap", "q5", "rat_tot"),
        ("r03", "I.1", "CT-01", "so-tu-phap", "q5", "khong_biet"),
        # group I.4 answers CT-03 q7 about Sở Tư pháp: Khá, Trung bình, Kém, Tốt
        ("r04", "I.4", "CT-03", "so-tu-phap", "q7", "kha"),
        ("r05", "I.4", "CT-03", "so-tu-phap", "q7", "trung_binh"),
        ("r06", "I.4", "CT-03", "so-tu-phap", "q7", "kem"),
        ("r07", "I.4", "CT-03", "so-tu-phap", "q7", "tot"),
        # the same respondents about Sở Nội vụ
        ("r01", "I.1", "CT-01", "so-noi-vu", "q5", "kha"),
        ("r02", "I.1", "CT-01", "so-noi-vu", "q5", "tot"),
        ("r03", "I.1", "CT-01", "so-noi-vu", "q5", "kha"),
        ("r04", "I.4", "CT-03", "so-noi-vu", "q7", "rat_tot"),
        ("r05", "I.4", "CT-03", "so-noi-vu", "q7", "tot"),
        ("r06", "I.4", "CT-03", "so-noi-vu", "q7", "tot"),
        ("r07", "I.4", "CT-03", "so-noi-vu", "q7", "khong_biet"),
    ]
    answers = pd.DataFrame(rows, columns=["response", "group", "form", "rated_unit",
                                          "question", "value"])
    appraisal = pd.DataFrame({"unit": ["so-tu-phap", "so-noi-vu"], "criterion": ["A", "A"],
                              "points": [80.0, 76.5]})
    return WorkedExample(forms, rules, units, answers, appraisal)
