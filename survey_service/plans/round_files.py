"""Next year's round as files the province can edit: ``survey-service round new``.

The old round's plan (from the database, or a plan folder) is written out with the new
code and year and its deadlines moved (:func:`sampling.rounds.next_round`), as the
files of a plan folder: ``plan.yaml``, ``units.csv`` (the same stable unit codes),
``scoring.yaml`` and one file per questionnaire under ``forms/``.  The province edits
them (names, legal basis, deadlines, quotas, forms, points), then loads the folder with
``survey-service init --plan FOLDER``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

import sampling
from sampling.rounds import next_round

from ..core.errors import ServiceError

#: The columns of the units file (as :mod:`sampling.units_reader` reads them).
UNIT_COLUMNS = ("code", "kind", "name", "parent", "gso_code", "confidence")


def _yaml(data: Any, header: str) -> str:
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines()) + body


def _units_csv(units: list[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(UNIT_COLUMNS)
    for unit in units:
        writer.writerow(["" if unit.get(c) is None else unit[c] for c in UNIT_COLUMNS])
    return out.getvalue()


def round_files(plan: sampling.Plan, *, code: str, year: int,
                deadlines: Mapping[str, dt.date] | None = None) -> dict[str, str]:
    """The files of the new round's plan folder: relative path -> text."""
    document = next_round(plan.to_dict(), code=code, year=year, deadlines=deadlines)
    forms = document.pop("questionnaires", [])
    scoring = document.pop("scoring", None)
    units = document.pop("units")
    files: dict[str, str] = {}
    form_paths = []
    for form in forms:
        path = f"forms/{form['code']}.yaml"
        form_paths.append(path)
        files[path] = _yaml(form, f"Phiếu {form['code']} của đợt {code} (chép từ đợt {plan.code}).\n"
                                  f"Form {form['code']} of the round {code} (copied from {plan.code}).")
    plan_doc: dict[str, Any] = {}
    for key, value in document.items():
        plan_doc[key] = value
        if key == "unit_kinds":
            plan_doc["units"] = {"file": "units.csv"}
    if form_paths:
        plan_doc["questionnaires"] = form_paths
    if scoring is not None:
        plan_doc["scoring"] = {"file": "scoring.yaml"}
        files["scoring.yaml"] = _yaml(scoring, (
            f"Quy tắc chấm điểm của đợt {code}, chép từ đợt {plan.code}: sửa điểm tối đa, "
            "mức xếp loại và phân công thẩm định theo văn bản của năm nay.\n"
            f"Scoring rules of the round {code}, copied from {plan.code}: change the maxima, "
            "bands and appraisers to this year's documents."))
    files["units.csv"] = _units_csv(units)
    files["plan.yaml"] = _yaml(plan_doc, (
        f"Đợt {code} ({year}), mở từ đợt {plan.code} ({plan.year}).  Xem lại tên, căn cứ pháp lý\n"
        "(source), thời hạn (deadlines), đơn vị, nhóm và hạn mức; giữ mã đơn vị để so sánh với\n"
        "năm trước.  Rồi nạp: survey-service init --plan <thư mục này>\n"
        f"Round {code} ({year}), opened from {plan.code} ({plan.year}).  Check the title, the legal\n"
        "basis (source), deadlines, units, groups and quotas; keep the unit codes so that the\n"
        "results compare with last year.  Then load it: survey-service init --plan <this folder>"))
    return files


def write_round(plan: sampling.Plan, folder: Path, *, code: str, year: int,
                deadlines: Mapping[str, dt.date] | None = None) -> sampling.Plan:
    """Write the new round's plan folder (whole or not at all) and return it as loaded.

    Raises :class:`ServiceError` if ``folder`` exists and is not empty, or the year or a
    deadline is wrong; a folder that does not load as a plan is removed again.
    """
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ServiceError(f"Thư mục {folder} đã có và không trống; hãy chọn thư mục khác (-o).",
                           f"The folder {folder} exists and is not empty; choose another (-o).")
    try:
        files = round_files(plan, code=code, year=year, deadlines=deadlines)
    except ValueError as exc:
        raise ServiceError(f"Không mở được đợt mới: {exc}", f"Cannot open the new round: {exc}") from None
    part = folder.with_name(folder.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    try:
        for name, text in files.items():
            path = part / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        sampling.load_plan(part / "plan.yaml")  # refuses a folder that would not load
        folder.parent.mkdir(parents=True, exist_ok=True)
        if folder.exists():
            folder.rmdir()
        part.replace(folder)
    finally:
        shutil.rmtree(part, ignore_errors=True)
    return sampling.load_plan(folder / "plan.yaml")
