"""Writing the citizens' survey: import a roster, draw the sample, purge the personal data.

Operations add and flush, never commit (the request or the command commits once).  Each
is audited in the same transaction, with codes and counts only: no audit entry, message
or error here carries a name, an address or a phone (they may end up in logs).  The
delivery outcomes and replacements are in :mod:`.outcomes`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

import sampling
from questionnaires.problems import ProblemList
from sampling.rosters import SampleSize, draw_sample, read_dossiers, sample_sizes
from sampling.slots import SlotStatus, make_slot_code, new_token, slot_number

from ..core.audit import Actor, record
from ..core.errors import ServiceError
from ..core.models import QuotaPlace, Slot, SurveyPlan
from ..fieldwork.queries import group_slot_codes
from .models import OFFICIAL, Roster, RosterPerson, SampleMember
from .queries import group_rosters, group_row, places_of, sampled_group, sampled_unit, unit_row

#: The largest roster file taken (CSV or XLSX).
MAX_ROSTER_BYTES = 20 * 1024 * 1024

#: Column -> the most characters stored (longer is reported by line, nothing stored).
_LIMITS = {"id": 100, "name": 300, "address": 1000, "phone": 20, "commune": 200, "service": 1000}
_CATALOGUE = {"too_long": ("dài quá {limit} ký tự", "longer than {limit} characters")}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def roster_format(data: bytes, filename: str = "") -> str:
    """``csv`` or ``xlsx``, from the content (the name only tells an old ``.xls`` apart).

    >>> roster_format(b"PK\\x03\\x04..."), roster_format("id,name\\n".encode())
    ('xlsx', 'csv')
    """
    if data.startswith(b"\xd0\xcf\x11\xe0") or filename.lower().endswith(".xls"):
        raise ServiceError("Tệp Excel cũ (.xls) không đọc được: hãy mở bằng Excel hoặc LibreOffice và "
                           "lưu lại dưới dạng .xlsx (hoặc .csv UTF-8), rồi nhập lại.",
                           "An old Excel file (.xls) cannot be read: open it in Excel or LibreOffice, "
                           "save it as .xlsx (or UTF-8 .csv) and import it again.", status=415)
    return "xlsx" if data.startswith(b"PK\x03\x04") else "csv"


def _check_lengths(frame: Any) -> None:
    problems = ProblemList(_CATALOGUE)
    for line, *values in frame[["line", *_LIMITS]].itertuples(index=False, name=None):
        for column, value in zip(_LIMITS, values):
            if len(value) > _LIMITS[column]:
                problems.add("too_long", f"roster:{line}, {column}", limit=_LIMITS[column])
    problems.raise_if_any("roster")


def import_roster(session: Session, row: SurveyPlan, plan: sampling.Plan, group: str, unit: str,
                  data: bytes, *, filename: str = "", user: Actor | None) -> Roster:
    """Store ``data`` (a CSV or XLSX file of dossiers) as the roster of ``unit`` for ``group``.

    Every problem of the file is reported by line in one
    :class:`~questionnaires.problems.DataFileError` and nothing is stored.  A roster
    imported before is replaced, until the group's draw; a drawn or purged roster is
    refused (409).  Audited with the file's hash and size, never its content.
    """
    grp = sampled_group(plan, group)
    sampled_unit(plan, grp, unit)
    if len(data) > MAX_ROSTER_BYTES:
        raise ServiceError(f"Tệp danh sách quá lớn (tối đa {MAX_ROSTER_BYTES // 2**20} MB).",
                           f"The roster file is too large (at most {MAX_ROSTER_BYTES // 2**20} MB).",
                           status=413)
    frame = read_dossiers(data, file_format=roster_format(data, filename))
    _check_lengths(frame)
    group_id, unit_id = group_row(session, row, group).id, unit_row(session, row, unit).id
    roster = session.scalars(select(Roster).where(Roster.group_id == group_id,
                                                  Roster.unit_id == unit_id)).first()
    replaced = roster is not None
    if roster is not None and (roster.drawn_at is not None or roster.purged_at is not None):
        done_vi, done_en = ("đã bị xóa", "was purged") if roster.purged_at else ("đã được chọn mẫu",
                                                                              "was drawn from")
        raise ServiceError(f"Danh sách của {unit} (nhóm {group}) {done_vi}; không thay được nữa.",
                           f"The roster of {unit} (group {group}) {done_en}; it cannot be replaced.",
                           status=409)
    digest = hashlib.sha256(data).hexdigest()
    if roster is None:
        roster = Roster(plan_id=row.id, group_id=group_id, unit_id=unit_id, size=len(frame),
                        file_sha256=digest, user_id=user.id if user else None)
        session.add(roster)
        session.flush()
    else:
        session.execute(delete(RosterPerson).where(RosterPerson.roster_id == roster.id))
        roster.size, roster.file_sha256, roster.imported_at = len(frame), digest, _now()
        roster.user_id = user.id if user else None
    people = [{"roster_id": roster.id, "ref": r["id"], "name": r["name"], "address": r["address"],
               "phone": r["phone"], "commune": r["commune"], "service": r["service"],
               "served_on": dt.date.fromisoformat(r["date"]) if r["date"] else None,
               "line": int(r["line"])} for r in frame.to_dict("records")]
    if people:
        session.execute(insert(RosterPerson), people)
    record(session, "roster_import", user=user, target=f"{plan.code}/{group}/{unit}", size=len(frame),
           sha256=digest, replaced=replaced)
    session.flush()
    return roster


# --------------------------------------------------------------------------- the draw


@dataclass
class DrawReport:
    """What :func:`draw` did: the seed, and per unit N, n and the reserve."""

    group: str
    seed: int
    sizes: dict[str, SampleSize] = field(default_factory=dict)
    slots: int = 0


def draw(session: Session, row: SurveyPlan, plan: sampling.Plan, group: str, *, seed: int,
         user: Actor | None) -> DrawReport:
    """Draw the sample and its ordered reserve from every roster of ``group`` not drawn yet.

    Per unit, n quota places with one slot each, an official member on each, and the
    reserve members waiting in order.  The same rosters and seed give the same people.
    A unit whose roster arrives after the draw is drawn by another draw (with the
    group's first seed by default); a ``total`` quota, shared among all units, is drawn
    once only.  Refused (409) when nothing is left to draw.
    """
    grp = sampled_group(plan, group)
    group_id = group_row(session, row, group).id
    rosters = group_rosters(session, group_id)
    waiting = [(r, u) for r, u in rosters if r.drawn_at is None and r.purged_at is None]
    if not waiting:
        if not rosters:
            raise ServiceError(f"Nhóm {group} chưa có danh sách nào; hãy nhập danh sách trước "
                               f"(survey-service roster import {group} ĐƠN_VỊ TỆP).",
                               f"Group {group} has no roster yet; import the rosters first "
                               f"(survey-service roster import {group} UNIT FILE).", status=409)
        raise ServiceError(f"Mọi danh sách của nhóm {group} đều đã được chọn mẫu; không chọn lại.",
                           f"Every roster of group {group} has been drawn already; no new draw.",
                           status=409)
    if grp.quota.rule == "total" and len(waiting) < len(rosters):
        raise ServiceError(f"Hạn mức của nhóm {group} là một tổng chia theo quy mô mọi đơn vị: đã chọn mẫu "
                           "một lần thì không chọn thêm cho đơn vị khác.",
                           f"Group {group}'s quota is a total shared among all units: once drawn, no "
                           "unit can be drawn on its own.", status=409)
    for _roster, unit in waiting:
        if places_of(session, group_id, unit.id):
            raise ServiceError(f"Đơn vị {unit.code} đã có chỗ trong hạn mức của nhóm {group}.",
                               f"Unit {unit.code} already has quota places in group {group}.", status=409)
    people: dict[int, dict[str, int]] = defaultdict(dict)  # roster id -> ref -> person id
    for roster_id, ref, person_id in session.execute(
            select(RosterPerson.roster_id, RosterPerson.ref, RosterPerson.id)
            .where(RosterPerson.roster_id.in_([r.id for r, _ in waiting]))).all():
        people[roster_id][ref] = person_id
    ids = {u.code: sorted(people[r.id]) for r, u in waiting}
    sizes = sample_sizes(grp.quota, {code: len(refs) for code, refs in ids.items()})
    drawn = draw_sample(ids, sizes, seed=seed)
    number = max((slot_number(c) for c in group_slot_codes(session, group_id)), default=0)
    report = DrawReport(group, seed, sizes)
    at = _now()
    for roster, unit in waiting:
        mine = drawn[drawn["unit"] == unit.code]
        members = [SampleMember(roster_id=roster.id, person_id=people[roster.id][ref], role=role,
                                ord=int(order))
                   for role, order, ref in mine[["role", "order", "id"]].itertuples(index=False, name=None)]
        officials = sorted((m for m in members if m.role == OFFICIAL), key=lambda m: m.ord)
        places = [QuotaPlace(group_id=group_id, unit_id=unit.id, ordinal=m.ord) for m in officials]
        session.add_all(places)
        session.flush()
        slots = [Slot(plan_id=row.id, place_id=p.id, token=new_token(),
                      code=make_slot_code(group, number + i), status=SlotStatus.ISSUED.value)
                 for i, p in enumerate(places, start=1)]
        number += len(slots)
        session.add_all(slots)
        session.flush()
        for member, place, slot in zip(officials, places, slots):
            member.place_id, member.slot_id = place.id, slot.id
        session.add_all(members)
        report.slots += len(slots)
        roster.seed, roster.drawn_at = seed, at
    record(session, "sample_draw", user=user, target=f"{plan.code}/{group}", seed=seed,
           units={code: {"N": s.N, "n": s.n, "reserve": s.reserve} for code, s in sizes.items()})
    session.flush()
    return report


def group_seed(session: Session, row: SurveyPlan, group: str) -> int | None:
    """The seed of the group's first draw (None before any)."""
    seeds = [r.seed for r, _ in group_rosters(session, group_row(session, row, group).id)
             if r.seed is not None and r.drawn_at is not None]
    return seeds[0] if seeds else None


# --------------------------------------------------------------------------- the purge


@dataclass
class PurgeReport:
    """What :func:`purge` did: the people deleted, the rosters purged (now and before)."""

    group: str
    people: int
    rosters: int
    already: int


def purge(session: Session, row: SurveyPlan, plan: sampling.Plan, group: str, *,
          user: Actor | None) -> PurgeReport:
    """Delete every person of every roster of ``group`` for good.

    The sample members lose their link to a person (``person_id`` NULL); rosters keep
    their size and are marked purged; places, slots, answers and every count stay as
    they were.  On SQLite the deleted rows are overwritten with zeros
    (``secure_delete``); :func:`.storage.erase_freed_space`, run after the commit,
    rewrites the file so no copy is left.  Audited with counts only.
    """
    sampled_group(plan, group)
    rosters = group_rosters(session, group_row(session, row, group).id)
    if not rosters:
        raise ServiceError(f"Nhóm {group} không có danh sách nào để xóa.",
                           f"Group {group} has no roster to purge.", status=404)
    ids = [r.id for r, _ in rosters]
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete = ON"))
    session.execute(update(SampleMember).where(SampleMember.roster_id.in_(ids))
                    .values(person_id=None).execution_options(synchronize_session=False))
    deleted = session.execute(delete(RosterPerson).where(RosterPerson.roster_id.in_(ids))
                              .execution_options(synchronize_session=False)).rowcount
    already = sum(1 for r, _ in rosters if r.purged_at is not None)
    at = _now()
    for roster, _ in rosters:
        if roster.purged_at is None:
            roster.purged_at = at
    record(session, "roster_purge", user=user, target=f"{plan.code}/{group}", people=deleted,
           rosters=len(rosters), already_purged=already)
    session.flush()
    return PurgeReport(group, deleted, len(rosters), already)
