"""The codebook: what every question of every form asks, which criterion it feeds, and
what each answer is worth.

Analysts read it next to the exported answers, which name forms, questions and options
by code only.  :func:`codebook` gives one entry per question (the shape of the
``codebook`` export and of ``GET /api/v1/codebook``); :func:`codebook_rows` flattens it
to one row per option for a CSV file.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .model import Form

#: Keys of a :func:`codebook` entry, in order.
CODEBOOK_FIELDS: tuple[str, ...] = (
    "form", "form_version", "question", "section", "kind", "criterion", "label",
    "label_en", "options", "required",
)
#: Columns of a :func:`codebook_rows` row, in order (for ``csv.DictWriter``).
CODEBOOK_ROW_FIELDS: tuple[str, ...] = (
    "form", "form_version", "question", "section", "kind", "criterion", "label",
    "label_en", "required", "option_value", "option_label", "option_label_en", "weight",
)


def codebook(forms: Iterable[Form]) -> list[dict[str, Any]]:
    """One entry per question of every form, forms in the order given, questions in
    form order.

    Parameters
    ----------
    forms:
        The forms to describe, for example :func:`questionnaires.builtin_forms`.

    Returns
    -------
    list of dict
        With the keys of :data:`CODEBOOK_FIELDS`: ``form`` and ``form_version``,
        ``question``, ``section`` (codes), ``kind``, ``criterion`` (``""`` when the
        question is not scored), ``label`` (Vietnamese) and ``label_en``, ``options``
        (each ``{value, label, label_en, weight}``, where a ``None`` weight marks an
        answer without score such as "Không biết"; empty for number and text
        questions) and ``required``.  The answer to a ``select_multiple`` question is
        exported as the chosen option values joined by one space, in option order
        (``truc_tiep truc_tuyen``); its options carry no weight.

    Examples
    --------
    >>> from questionnaires import load_builtin
    >>> entry = codebook([load_builtin("CT-01")])[3]
    >>> entry["question"], entry["kind"], entry["criterion"]
    ('q01', 'unit_rating', 'TC1.1')
    >>> [(o["value"], o["weight"]) for o in entry["options"]][-2:]
    [('kem', 0.0), ('khong_biet', None)]
    """
    return [
        {
            "form": form.code,
            "form_version": form.version,
            "question": question.code,
            "section": section.code,
            "kind": question.kind.value,
            "criterion": question.criterion or "",
            "label": question.label.vi,
            "label_en": question.label.en,
            "options": [
                {"value": option.value, "label": option.label.vi,
                 "label_en": option.label.en, "weight": option.weight}
                for option in question.options
            ],
            "required": question.required,
        }
        for form in forms
        for section in form.sections
        for question in section.questions
    ]


def codebook_rows(forms: Iterable[Form]) -> list[dict[str, Any]]:
    """The codebook flattened to one row per option, for a CSV file.

    Parameters
    ----------
    forms:
        The forms to describe, as for :func:`codebook`.

    Returns
    -------
    list of dict
        One row per option (one row for a question without options), in the order of
        :func:`codebook`, with the keys of :data:`CODEBOOK_ROW_FIELDS`: the question's
        fields, then ``option_value``, ``option_label``, ``option_label_en`` (``""`` for
        a question without options) and ``weight`` (``None``, an empty CSV cell, for an
        answer without score).  Ready for ``csv.DictWriter(f, CODEBOOK_ROW_FIELDS)``.

    Examples
    --------
    >>> from questionnaires import load_builtin
    >>> row = codebook_rows([load_builtin("CT-01")])[0]
    >>> row["question"], row["option_value"], row["weight"]
    ('b1', 'dai_bieu_chuyen_trach', None)
    """
    rows: list[dict[str, Any]] = []
    for entry in codebook(forms):
        question = {key: entry[key] for key in CODEBOOK_FIELDS if key != "options"}
        options = entry["options"] or [{"value": "", "label": "", "label_en": "",
                                        "weight": None}]
        rows.extend({
            **question,
            "option_value": option["value"],
            "option_label": option["label"],
            "option_label_en": option["label_en"],
            "weight": option["weight"],
        } for option in options)
    return rows
