"""Test data of the citizens' survey: generated rosters of dossiers, the round loaded,
a smaller plan, and staff signed in.  Imported by the tests ``test_citizens_*.py``."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable

import sampling

HAILONG = "laichau-2020-hailong"
PASSWORD = "mat-khau-dai-du"
COLUMNS = ["id", "name", "address", "phone", "service", "date", "commune"]
COMMUNES = ("Xã Bản Hon", "Xã Nùng Nàng", "Thị trấn Tam Đường", "")


def person(unit: str, i: int) -> dict[str, str]:
    """The ``i``-th dossier of ``unit``'s generated roster: a name, address and phone that
    appear nowhere else (so a search for them finds only this person)."""
    tag = hashlib.sha256(f"{unit}/{i}".encode()).hexdigest()
    digits = str(int(tag[:12], 16))[-8:].rjust(8, "0")
    return {"id": f"HS-{unit[:6]}-{i:05d}", "name": f"Lò Thị Zq{tag[:10]}",
            "address": f"Bản Khum{tag[10:18]}, tổ {i % 9 + 1}", "phone": f"09{digits}",
            "service": "Cấp giấy chứng nhận quyền sử dụng đất", "date": f"2020-0{i % 9 + 1}-1{i % 10}",
            "commune": COMMUNES[i % len(COMMUNES)]}


def roster_rows(unit: str, n: int) -> list[dict[str, str]]:
    return [person(unit, i) for i in range(1, n + 1)]


def roster_csv(rows: Iterable[dict[str, str]]) -> bytes:
    """A roster file as a one-stop desk exports it (UTF-8 with a byte-order mark)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def roster_xlsx(rows: Iterable[dict[str, str]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([row[c] for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def small_plan(code: str = "hailong-test", **quota: object) -> sampling.Plan:
    """The citizens' round with another code and group III.1's quota changed."""
    data = sampling.load_plan(HAILONG).to_dict()
    data["code"] = code
    for group in data["groups"]:
        if group["code"] == "III.1":
            group["quota"] = {"sampled": ["department", "district"], **quota}
    return sampling.plan_from_dict(data)


def load_round(db, plan: sampling.Plan | None = None) -> sampling.Plan:
    """Load the citizens' round (the built-in one by default) into ``db``: it becomes current."""
    from survey_service.plans.operations import sync_plan

    plan = plan or sampling.load_plan(HAILONG)
    with db.session() as session:
        sync_plan(session, plan)
    return plan


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def sign_in(app, db, role: str, *, unit: str | None = None, name: str | None = None):
    """A test client signed in as a new user of ``role``."""
    from survey_service.accounts.operations import add_user

    name = name or f"{role}-{unit or 'x'}"
    with db.session() as session:
        add_user(session, name, role, PASSWORD, unit=unit)
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    response = client.post("/staff/login", data={"csrf_token": csrf(page), "name": name,
                                                 "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client
