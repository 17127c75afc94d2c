"""The codebook of the built-in forms."""

from __future__ import annotations

import csv
import io

import pytest

from questionnaires import (
    CODEBOOK_FIELDS,
    CODEBOOK_ROW_FIELDS,
    builtin_form_codes,
    builtin_forms,
    codebook,
    codebook_rows,
)


@pytest.fixture(scope="module")
def forms():
    return builtin_forms()


@pytest.fixture(scope="module")
def entries(forms):
    return codebook(forms)


def test_one_entry_per_question_of_every_form(forms, entries):
    assert [(e["form"], e["question"]) for e in entries] == [
        (form.code, question.code) for form in forms for question in form.questions()]
    assert list(dict.fromkeys(e["form"] for e in entries)) == list(builtin_form_codes())
    assert all(tuple(entry) == CODEBOOK_FIELDS for entry in entries)


def test_entries_describe_the_questions(forms, entries):
    by_key = {(e["form"], e["question"]): e for e in entries}
    for form in forms:
        for section in form.sections:
            for question in section.questions:
                entry = by_key[(form.code, question.code)]
                assert entry["section"] == section.code
                assert entry["form_version"] == "2020.1"
                assert entry["kind"] == question.kind.value
                assert entry["label"] == question.label.vi
                assert entry["label_en"] == question.label.en
                assert entry["required"] == question.required
                assert entry["criterion"] == (question.criterion or "")
                assert [o["value"] for o in entry["options"]] == [
                    o.value for o in question.options]


def test_scored_entries_have_weighted_options(entries):
    scored = [e for e in entries if e["criterion"]]
    assert len(scored) == 79
    for entry in scored:
        weights = [o["weight"] for o in entry["options"]]
        assert any(w is not None for w in weights)
        assert all(w is None or 0 <= w <= 1 for w in weights)
    dont_know = [o for e in scored for o in e["options"] if o["value"] == "khong_biet"]
    assert dont_know and all(o["weight"] is None and o["label_en"] == "Don't know"
                             for o in dont_know)


def test_unscored_entries(entries):
    unscored = [e for e in entries if not e["criterion"]]
    par_unscored = [e for e in unscored if e["form"] != "HL-01"]
    assert {e["kind"] for e in par_unscored} == {"background", "text"}
    assert all(e["options"] == [] for e in unscored if e["kind"] == "text")
    # The citizens' form feeds no criterion: its ratings count in the satisfaction index.
    citizens = [e for e in entries if e["form"] == "HL-01"]
    assert citizens and all(e in unscored for e in citizens)
    assert {e["kind"] for e in citizens} == {"unit_rating", "select_multiple", "background"}
    channels = next(e for e in citizens if e["kind"] == "select_multiple")
    assert [o["value"] for o in channels["options"]] == ["truc_tiep", "buu_chinh",
                                                         "truc_tuyen", "khac"]
    assert all(o["weight"] is None for o in channels["options"])


def test_codebook_is_deterministic(forms, entries):
    assert codebook(forms) == entries
    assert codebook(builtin_forms()) == entries


def test_rows_one_per_option(entries, forms):
    rows = codebook_rows(forms)
    assert len(rows) == sum(max(1, len(e["options"])) for e in entries)
    assert all(tuple(row) == CODEBOOK_ROW_FIELDS for row in rows)
    kem = [r for r in rows if (r["form"], r["question"], r["option_value"]) ==
           ("CT-03", "q09", "kem")]
    assert kem == [{
        "form": "CT-03", "form_version": "2020.1", "question": "q09", "section": "cong_chuc",
        "kind": "unit_rating", "criterion": "TC5.5", "label": kem[0]["label"],
        "label_en": kem[0]["label_en"], "required": True, "option_value": "kem",
        "option_label": "Kém", "option_label_en": "Poor", "weight": 0.0}]
    text_rows = [r for r in rows if r["kind"] == "text"]
    assert len(text_rows) == len([f for f in forms if f.code != "HL-01"])
    assert all(r["option_value"] == "" and r["weight"] is None for r in text_rows)


def test_rows_write_as_csv(forms):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CODEBOOK_ROW_FIELDS)
    writer.writeheader()
    writer.writerows(codebook_rows(forms))
    read = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    dont_know = next(r for r in read if r["option_value"] == "khong_biet")
    assert dont_know["weight"] == ""
    assert next(r for r in read if r["option_value"] == "rat_tot")["weight"] == "1.0"
