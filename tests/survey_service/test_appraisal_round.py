"""The rules of the online appraisal round, at the level of its operations, and its commands.

Who may do what (403), scores and comments (422), what a submission needs (422), the
deadline, the lock and the state of the round (409), the one explanation round, and that
only final scores enter the index (preliminary until finalised).  Every refusal leaves
the database as it was.  Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from survey_service.accounts.operations import add_user
from survey_service.appraisal import operations as ops
from survey_service.appraisal.evidence import LocalStore, check_upload
from survey_service.appraisal.models import AppraisalField, AppraisalScore, AppraisalUnit, EvidenceFile
from survey_service.appraisal.queries import board, unit_state
from survey_service.core.errors import ServiceError
from survey_service.core.models import AuditEntry
from survey_service.plans.queries import current_plan, get_plan_row
from survey_service.results.queries import compute

UNIT, OTHER = "so-y-te", "so-xay-dung"
UTC = dt.timezone.utc
#: During the self-assessment (its deadline, 29/01/2021, ends at 17:00 UTC).
BEFORE = dt.datetime(2021, 1, 20, 3, 0, tzinfo=UTC)
#: After the self-assessment deadline.
AFTER = dt.datetime(2021, 2, 3, 3, 0, tzinfo=UTC)
#: When a council field is sent; the explanation period (7 days) ends on 17/02 17:00 UTC.
SENT = dt.datetime(2021, 2, 10, 3, 0, tzinfo=UTC)
DUE = dt.datetime(2021, 2, 17, 17, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PASSWORD = "mat-khau-dai-du"
ACCOUNTS = {
    "admin": ("admin", None), "analyst": ("analyst", None), "postoffice": ("postoffice", None),
    "unit-a": ("unit", UNIT), "unit-b": ("unit", OTHER),
    "tai-chinh": ("council", "so-tai-chinh"), "tu-phap": ("council", "so-tu-phap"),
    "noi-vu": ("council", "so-noi-vu"),
}
LIMIT = 500 * 1024 * 1024


class Round:
    """The built-in plan, accounts of every kind, and each operation in its own transaction."""

    def __init__(self, db, store: LocalStore):
        self.db, self.store = db, store
        with db.session() as session:
            self.plan = current_plan(session)
            self.users = {}
            for name, (role, unit) in ACCOUNTS.items():
                user = add_user(session, name, role, PASSWORD, unit=unit)
                self.users[name] = SimpleNamespace(id=user.id, name=user.name, role=user.role, unit=user.unit)
        self.subs = {sub.code: (sub, sub.max_for("department"))
                     for _, _, sub in self.plan.scoring.subcriteria("department", "appraisal")}

    def field(self, appraiser: str) -> list[str]:
        return [code for code, (sub, _) in self.subs.items() if sub.appraiser == appraiser]

    def maximum(self, code: str) -> float:
        return self.subs[code][1]

    def do(self, operation, *args, **kwargs):
        with self.db.session() as session:
            return operation(session, get_plan_row(session), self.plan, *args, **kwargs)

    def score(self, who: str, unit: str, code: str, value, explanation: str | None = "Có văn bản",
              at: dt.datetime = BEFORE):
        return self.do(ops.set_self_score, unit, code, score=value, explanation=explanation,
                       user=self.users[who], at=at)

    def evidence(self, who: str, unit: str, code: str, *, stage: str = "self", at: dt.datetime = BEFORE,
                 data: bytes = PDF):
        upload = check_upload(data, "bao-cao.pdf", max_bytes=20 * 1024 * 1024)
        with self.db.session() as session:
            return ops.add_evidence(session, self.store, get_plan_row(session), self.plan, unit, code, upload,
                                    stage=stage, user=self.users[who], at=at, unit_limit=LIMIT)

    def fill(self, who: str, unit: str, *, at: dt.datetime = BEFORE, skip: tuple[str, ...] = ()) -> None:
        for code in self.subs:
            if code not in skip:
                self.score(who, unit, code, self.maximum(code), at=at)

    def submit(self, who: str, unit: str, at: dt.datetime = BEFORE):
        return self.do(ops.submit, unit, user=self.users[who], at=at)

    def appraise(self, who: str, unit: str, code: str, value, comment: str | None = None):
        return self.do(ops.appraise, unit, code, score=value, comment=comment, user=self.users[who])

    def send(self, who: str, unit: str, appraiser: str, at: dt.datetime = SENT):
        return self.do(ops.send_appraisal, unit, appraiser, user=self.users[who], at=at)

    def answer(self, who: str, unit: str, code: str, text: str = "Đã bổ sung văn bản", at: dt.datetime = SENT):
        return self.do(ops.answer, unit, code, text=text, user=self.users[who], at=at)

    def final(self, who: str, unit: str, code: str, value, reason: str | None = "Sau giải trình",
              at: dt.datetime = SENT):
        return self.do(ops.final_score, unit, code, score=value, reason=reason, user=self.users[who], at=at)

    def finalise(self, who: str | None = "admin", at: dt.datetime = SENT):
        with self.db.session() as session:
            return ops.finalise_appraisal(session, get_plan_row(session), user=self.users.get(who), at=at)

    def reopen(self, reason: str, who: str | None = "admin"):
        with self.db.session() as session:
            ops.reopen_appraisal(session, get_plan_row(session), reason=reason, user=self.users.get(who))

    def reopen_unit(self, who: str, unit: str, *, days: int = 3, reason: str = "Nộp muộn có lý do",
                    at: dt.datetime = AFTER):
        return self.do(ops.reopen_unit, unit, days=days, reason=reason, user=self.users[who], at=at)

    def appraise_field(self, who: str, unit: str, appraiser: str, *, corrected: dict | None = None) -> None:
        """Appraise every row of a field: unchanged but for ``corrected`` (code: score)."""
        for code in self.field(appraiser):
            if corrected and code in corrected:
                self.appraise(who, unit, code, corrected[code], "Thiếu văn bản chứng minh")
            else:
                self.appraise(who, unit, code, self.maximum(code))

    def snapshot(self) -> tuple:
        """Everything the round stores, to show that a refusal changed nothing."""
        with self.db.session() as session:
            def rows(model, *columns):
                return sorted(tuple(getattr(r, c) for c in columns) for r in session.scalars(sa.select(model)))
            return (rows(AppraisalScore, "unit", "criterion", "self_score", "evidence", "appraised", "reason",
                         "first_appraised", "explanation", "final"),
                    rows(AppraisalUnit, "unit", "submitted_at", "late", "reopened_until"),
                    rows(AppraisalField, "unit", "appraiser", "sent_at"),
                    rows(EvidenceFile, "unit", "criterion", "stage", "sha256"),
                    session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)))

    def index_of(self, unit: str) -> tuple[float, bool]:
        """The unit's appraisal points in the index, and whether they are preliminary."""
        with self.db.session() as session:
            index = compute(session, get_plan_row(session), self.plan, replicates=0).index
        line = index[index["unit"] == unit].iloc[0]
        return float(line["appraisal"]), bool(line["appraisal_preliminary"])


@pytest.fixture
def rnd(app, db, tmp_path) -> Round:
    return Round(db, LocalStore(tmp_path / "evidence"))


def refused(status: int, call, *args, **kwargs) -> ServiceError:
    """``call`` raises the :class:`ServiceError` of ``status``, with a message in both languages."""
    with pytest.raises(ServiceError) as caught:
        call(*args, **kwargs)
    assert caught.value.status == status, (caught.value.status, caught.value.message("en"))
    assert caught.value.message("vi") and caught.value.message("en")
    return caught.value


def _submitted(rnd: Round, unit: str = UNIT) -> None:
    rnd.fill("unit-a" if unit == UNIT else "unit-b", unit)
    rnd.submit("unit-a" if unit == UNIT else "unit-b", unit)


# --------------------------------------------------------------------------- rights


def test_a_unit_works_on_its_own_self_assessment_only(rnd):
    rnd.score("unit-a", UNIT, "LV6.TD1", 3)
    rnd.score("admin", OTHER, "LV6.TD1", 2)
    before = rnd.snapshot()
    for who, unit in (("unit-a", OTHER), ("unit-b", UNIT), ("tai-chinh", UNIT), ("noi-vu", UNIT),
                      ("analyst", UNIT), ("postoffice", UNIT)):
        refused(403, rnd.score, who, unit, "LV6.TD1", 1)
        refused(403, rnd.evidence, who, unit, "LV6.TD1")
        refused(403, rnd.submit, who, unit)
    assert rnd.snapshot() == before


def test_a_council_member_appraises_its_own_field_the_standing_body_and_admins_any(rnd):
    _submitted(rnd)
    finance, legal = rnd.field("so-tai-chinh"), rnd.field("so-tu-phap")
    before = rnd.snapshot()
    for code in finance:
        for who in ("tu-phap", "unit-a", "unit-b", "analyst", "postoffice"):
            refused(403, rnd.appraise, who, UNIT, code, 1, "x")
    for code in legal:
        for who in ("tai-chinh", "unit-a", "analyst"):
            refused(403, rnd.appraise, who, UNIT, code, 1, "x")
    for who in ("tu-phap", "unit-a", "analyst"):
        refused(403, rnd.send, who, UNIT, "so-tai-chinh")
    assert rnd.snapshot() == before
    rnd.appraise("tai-chinh", UNIT, finance[0], 1, "Thiếu văn bản")
    rnd.appraise("tu-phap", UNIT, legal[0], 1, "Thiếu văn bản")
    rnd.appraise("noi-vu", UNIT, finance[1], 1, "Thiếu văn bản")  # the standing body: any field
    rnd.appraise("noi-vu", UNIT, legal[1], 1, "Thiếu văn bản")
    rnd.appraise("admin", UNIT, legal[2], rnd.maximum(legal[2]))
    rnd.send("tu-phap", UNIT, "so-tu-phap")
    before = rnd.snapshot()
    refused(403, rnd.answer, "unit-b", UNIT, legal[0])
    refused(403, rnd.answer, "tu-phap", UNIT, legal[0])
    refused(403, rnd.final, "tai-chinh", UNIT, legal[0], 2)
    refused(403, rnd.final, "unit-a", UNIT, legal[0], 2)
    assert rnd.snapshot() == before


def test_only_admins_finalise_reopen_and_reopen_a_unit(rnd):
    before = rnd.snapshot()
    for who in ("noi-vu", "tai-chinh", "unit-a", "analyst", "postoffice"):
        refused(403, rnd.finalise, who)
        refused(403, rnd.reopen_unit, who, UNIT)
    rnd.finalise("admin")
    for who in ("noi-vu", "unit-a", "analyst"):
        refused(403, rnd.reopen, "Sửa điểm", who)
    assert rnd.snapshot()[2:4] == before[2:4]


# --------------------------------------------------------------------------- scores and comments


@pytest.mark.parametrize("value", [-0.5, 4.01, 5, "abc", "1e3", float("nan"), float("inf"), True, [1]])
def test_a_score_is_a_number_from_zero_to_the_maximum(rnd, value):
    assert rnd.maximum("LV6.TD1") == 4
    rnd.score("unit-a", UNIT, "LV6.TD1", 2)
    before = rnd.snapshot()
    refused(422, rnd.score, "unit-a", UNIT, "LV6.TD1", value)
    assert rnd.snapshot() == before


def test_scores_at_the_bounds_and_typed_with_a_comma_are_kept(rnd):
    for value, stored in ((0, 0.0), (4, 4.0), ("2,5", 2.5), ("", None), (None, None)):
        assert rnd.score("unit-a", UNIT, "LV6.TD1", value).self_score == stored
    _submitted(rnd)
    refused(422, rnd.appraise, "tai-chinh", UNIT, "LV6.TD1", 4.5, "x")
    refused(422, rnd.appraise, "tai-chinh", UNIT, "LV6.TD1", -1, "x")
    assert rnd.appraise("tai-chinh", UNIT, "LV6.TD1", 0, "Không có văn bản").appraised == 0


def test_a_correction_needs_a_comment(rnd):
    _submitted(rnd)
    before = rnd.snapshot()
    refused(422, rnd.appraise, "tai-chinh", UNIT, "LV6.TD1", 2)
    refused(422, rnd.appraise, "tai-chinh", UNIT, "LV6.TD1", 2, "   ")
    assert rnd.snapshot() == before
    assert rnd.appraise("tai-chinh", UNIT, "LV6.TD2", rnd.maximum("LV6.TD2")).reason == ""
    assert rnd.appraise("tai-chinh", UNIT, "LV6.TD1", 2, "Thiếu quyết định").reason == "Thiếu quyết định"


# --------------------------------------------------------------------------- submitting


def test_submitting_needs_every_score_and_evidence_or_an_explanation(rnd):
    rnd.fill("unit-a", UNIT, skip=("LV7.TD3",))
    before = rnd.snapshot()
    assert "LV7.TD3" in refused(422, rnd.submit, "unit-a", UNIT).message("en")
    assert rnd.snapshot() == before
    rnd.score("unit-a", UNIT, "LV7.TD3", 1, explanation="")  # neither an explanation nor a file
    assert rnd.subs["LV7.TD3"][0].evidence_required
    assert "LV7.TD3" in refused(422, rnd.submit, "unit-a", UNIT).message("en")
    rnd.evidence("unit-a", UNIT, "LV7.TD3")  # a file instead of an explanation
    state = rnd.submit("unit-a", UNIT)
    assert state.submitted_at is not None and state.late is False


def test_after_submission_nothing_changes(rnd):
    _submitted(rnd)
    before = rnd.snapshot()
    refused(409, rnd.score, "unit-a", UNIT, "LV6.TD1", 1)
    refused(409, rnd.score, "admin", UNIT, "LV6.TD1", 1)
    refused(409, rnd.evidence, "unit-a", UNIT, "LV6.TD1")
    refused(409, rnd.submit, "unit-a", UNIT)
    assert rnd.snapshot() == before


def test_after_the_deadline_only_a_reopened_unit_changes_and_its_submission_is_late(rnd):
    rnd.fill("unit-a", UNIT)
    before = rnd.snapshot()
    refused(409, rnd.score, "unit-a", UNIT, "LV6.TD1", 1, at=AFTER)
    refused(409, rnd.evidence, "unit-a", UNIT, "LV6.TD1", at=AFTER)
    refused(409, rnd.submit, "unit-a", UNIT, at=AFTER)
    refused(422, rnd.reopen_unit, "admin", UNIT, reason="  ")
    refused(422, rnd.reopen_unit, "admin", UNIT, days=0)
    assert rnd.snapshot() == before
    rnd.reopen_unit("admin", UNIT, days=3, reason="Sở gửi văn bản xin gia hạn")
    rnd.score("unit-a", UNIT, "LV6.TD1", 1, at=AFTER)
    state = rnd.submit("unit-a", UNIT, at=AFTER + dt.timedelta(days=1))
    assert state.late is True and state.reopened_until is None
    refused(409, rnd.score, "unit-a", UNIT, "LV6.TD1", 2, at=AFTER + dt.timedelta(days=1))
    with rnd.db.session() as session:
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "self_assessment_reopen")).one()
        assert entry.user_name == "admin" and entry.target == UNIT
        assert entry.detail["reason"] == "Sở gửi văn bản xin gia hạn" and entry.detail["days"] == 3
        assert [u["late"] for u in board(session, get_plan_row(session), rnd.plan) if u["unit"] == UNIT] == [True]


def test_a_reopening_ends_after_its_days(rnd):
    rnd.reopen_unit("admin", OTHER, days=2)
    rnd.score("unit-b", OTHER, "LV6.TD1", 1, at=AFTER + dt.timedelta(days=1))
    refused(409, rnd.score, "unit-b", OTHER, "LV6.TD1", 2, at=AFTER + dt.timedelta(days=2, seconds=1))


# --------------------------------------------------------------------------- the explanation round


def test_the_unit_explains_only_corrected_rows_of_a_sent_field_within_the_period(rnd):
    _submitted(rnd)
    corrected, kept = rnd.field("so-tai-chinh")
    rnd.appraise_field("tai-chinh", UNIT, "so-tai-chinh", corrected={corrected: 2})
    refused(409, rnd.answer, "unit-a", UNIT, corrected)  # not sent yet
    field = rnd.send("tai-chinh", UNIT, "so-tai-chinh")
    assert field.explanation_due.astimezone(UTC) == DUE
    before = rnd.snapshot()
    refused(409, rnd.answer, "unit-a", UNIT, kept)  # not corrected: final at once
    refused(409, rnd.evidence, "unit-a", UNIT, kept, stage="explanation")
    refused(409, rnd.answer, "unit-a", UNIT, "LV2.TD1")  # another field, not sent
    refused(409, rnd.answer, "unit-a", UNIT, corrected, at=DUE)  # the period has ended
    refused(409, rnd.evidence, "unit-a", UNIT, corrected, stage="explanation", at=DUE + dt.timedelta(hours=1))
    refused(422, rnd.answer, "unit-a", UNIT, corrected, text="  ")
    assert rnd.snapshot() == before
    rnd.evidence("unit-a", UNIT, corrected, stage="explanation", at=DUE - dt.timedelta(minutes=1))
    assert rnd.answer("unit-a", UNIT, corrected, at=DUE - dt.timedelta(minutes=1)).explanation


def test_the_final_score_comes_after_the_answer_or_the_period_and_once(rnd):
    _submitted(rnd)
    legal = rnd.field("so-tu-phap")
    rnd.appraise_field("tu-phap", UNIT, "so-tu-phap", corrected={legal[0]: 1, legal[1]: 1})
    refused(409, rnd.final, "tu-phap", UNIT, legal[0], 2)  # not sent yet
    rnd.send("tu-phap", UNIT, "so-tu-phap")
    before = rnd.snapshot()
    refused(409, rnd.final, "tu-phap", UNIT, legal[0], 2)  # the unit may still explain
    refused(409, rnd.final, "tu-phap", UNIT, legal[2], 2)  # not corrected: already final
    refused(409, rnd.appraise, "tu-phap", UNIT, legal[0], 2, "again")  # one first appraisal
    refused(409, rnd.send, "tu-phap", UNIT, "so-tu-phap")
    assert rnd.snapshot() == before
    rnd.answer("unit-a", UNIT, legal[0])
    refused(422, rnd.final, "tu-phap", UNIT, legal[0], 2, reason=" ")
    refused(422, rnd.final, "tu-phap", UNIT, legal[0], 99)
    assert rnd.final("tu-phap", UNIT, legal[0], 2).final is True
    refused(409, rnd.final, "tu-phap", UNIT, legal[0], 3)  # one round only
    refused(409, rnd.answer, "unit-a", UNIT, legal[0])
    # No answer: the final score waits for the end of the period.
    refused(409, rnd.final, "noi-vu", UNIT, legal[1], 2, at=DUE - dt.timedelta(seconds=1))
    assert rnd.final("noi-vu", UNIT, legal[1], 2, at=DUE).appraised == 2
    with rnd.db.session() as session:
        [unit] = [u for u in board(session, get_plan_row(session), rnd.plan) if u["unit"] == UNIT]
    assert unit["fields"]["so-tu-phap"] == "final" and unit["fields"]["so-tai-chinh"] == "submitted"


# --------------------------------------------------------------------------- the lock


def test_finalising_locks_everything_and_an_audited_reopen_unlocks(rnd):
    _submitted(rnd)
    corrected = rnd.field("so-tai-chinh")[0]
    rnd.appraise_field("tai-chinh", UNIT, "so-tai-chinh", corrected={corrected: 1})
    rnd.send("tai-chinh", UNIT, "so-tai-chinh")
    rnd.appraise("tu-phap", UNIT, "LV2.TD1", 1, "x")
    rnd.finalise("admin")
    before = rnd.snapshot()
    refused(409, rnd.score, "unit-b", OTHER, "LV6.TD1", 1)
    refused(409, rnd.evidence, "unit-b", OTHER, "LV6.TD1")
    refused(409, rnd.submit, "unit-b", OTHER)
    refused(409, rnd.appraise, "tu-phap", UNIT, "LV2.TD2", 1, "x")
    refused(409, rnd.send, "tu-phap", UNIT, "so-tu-phap")
    refused(409, rnd.answer, "unit-a", UNIT, corrected)
    refused(409, rnd.evidence, "unit-a", UNIT, corrected, stage="explanation")
    refused(409, rnd.final, "tai-chinh", UNIT, corrected, 2, at=DUE)
    refused(409, rnd.reopen_unit, "admin", OTHER)
    refused(409, rnd.finalise, "admin")
    refused(409, rnd.do, ops.import_sheet, OTHER, io.BytesIO(b""))
    refused(422, rnd.reopen, "   ")
    assert rnd.snapshot() == before
    rnd.reopen("Hội đồng xem lại điểm của Sở Y tế")
    refused(409, rnd.reopen, "again")
    with rnd.db.session() as session:
        actions = {e.action: e for e in session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action.in_(["appraisal_finalise", "appraisal_reopen"])))}
    assert actions["appraisal_finalise"].user_name == "admin"
    assert actions["appraisal_reopen"].detail == {"reason": "Hội đồng xem lại điểm của Sở Y tế"}
    rnd.score("unit-b", OTHER, "LV6.TD1", 1)
    assert rnd.final("tai-chinh", UNIT, corrected, 2, at=DUE).final


def test_only_final_scores_count_and_the_appraisal_is_preliminary_until_finalised(rnd):
    assert rnd.index_of(UNIT) == (0.0, True)
    _submitted(rnd)
    assert rnd.index_of(UNIT) == (0.0, True)  # self-scores count nothing
    finance = rnd.field("so-tai-chinh")
    rnd.appraise_field("tai-chinh", UNIT, "so-tai-chinh", corrected={finance[0]: 1})
    rnd.appraise_field("tu-phap", UNIT, "so-tu-phap")
    assert rnd.index_of(UNIT) == (0.0, True)  # first appraisals, not sent: nothing final
    rnd.send("tai-chinh", UNIT, "so-tai-chinh")
    assert rnd.index_of(UNIT) == (rnd.maximum(finance[1]), True)  # the unchanged row is final
    rnd.final("tai-chinh", UNIT, finance[0], 3, at=DUE)
    expected = rnd.maximum(finance[1]) + 3
    assert rnd.index_of(UNIT) == (expected, True)
    rnd.finalise("admin")
    assert rnd.index_of(UNIT) == (expected, False)
    assert rnd.index_of(OTHER) == (0.0, False)
    rnd.reopen("Xem lại")
    assert rnd.index_of(UNIT) == (expected, True)


def test_the_state_of_a_unit_and_its_fields(rnd):
    with rnd.db.session() as session:
        assert unit_state(session, get_plan_row(session), UNIT) is None
    _submitted(rnd)
    rnd.appraise("tai-chinh", UNIT, "LV6.TD1", 1, "x")
    with rnd.db.session() as session:
        [unit] = [u for u in board(session, get_plan_row(session), rnd.plan) if u["unit"] == UNIT]
    assert unit["fields"]["so-tai-chinh"] == "appraised" and unit["fields"]["so-tu-phap"] == "submitted"
    rnd.appraise("tai-chinh", UNIT, "LV6.TD2", rnd.maximum("LV6.TD2"))
    rnd.send("tai-chinh", UNIT, "so-tai-chinh")
    with rnd.db.session() as session:
        [unit] = [u for u in board(session, get_plan_row(session), rnd.plan) if u["unit"] == UNIT]
    assert unit["fields"]["so-tai-chinh"] == "explanation_asked" and unit["explanations_pending"] == 1


# --------------------------------------------------------------------------- the commands


def _audit(url: str, action: str) -> list[tuple[str, dict]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [(r.user_name, r.detail if isinstance(r.detail, dict) else json.loads(r.detail))
                    for r in conn.execute(sa.text(
                        "SELECT user_name, detail FROM audit_log WHERE action = :a ORDER BY id"), {"a": action})]
    finally:
        engine.dispose()


def test_finalise_reopen_and_status_commands(cli, cli_env):
    assert cli("appraisal", "finalise").exit_code == 2  # before init: says what to do
    assert cli("init").exit_code == 0
    status = cli("appraisal", "status", "--json")
    assert status.exit_code == 0, status.output
    doc = json.loads(status.stdout)
    assert doc["finalised"] is False and len(doc["units"]) == 28
    assert doc["deadlines"]["self_assessment"]["date"] == "2021-01-29"
    assert {u["fields"]["so-tai-chinh"] for u in doc["units"]} == {"not_submitted"}
    table = cli("--lang", "en", "appraisal", "status")
    assert table.exit_code == 0 and "not finalised" in table.stdout
    assert "huyen-tam-duong" in table.stdout and "F1 = so-khoa-hoc-va-cong-nghe" in table.stdout

    done = cli("--lang", "en", "appraisal", "finalise")
    assert done.exit_code == 0, done.output
    assert "Finalised the appraisal of plan laichau-2020" in done.stdout and "28 never submitted" in done.stdout
    again = cli("--lang", "en", "appraisal", "finalise")
    assert again.exit_code == 2 and "already finalised" in again.stderr and "Traceback" not in again.output
    assert json.loads(cli("appraisal", "status", "--json").stdout)["finalised"] is True
    assert "đã chốt" in cli("appraisal", "status").stdout

    assert cli("appraisal", "reopen").exit_code == 2  # --reason is required
    blank = cli("--lang", "en", "appraisal", "reopen", "--reason", "  ")
    assert blank.exit_code == 2 and "reason" in blank.stderr
    reopened = cli("--lang", "en", "appraisal", "reopen", "--reason", "Sửa điểm Sở Y tế")
    assert reopened.exit_code == 0 and "Reopened" in reopened.stdout
    not_final = cli("--lang", "en", "appraisal", "reopen", "--reason", "again")
    assert not_final.exit_code == 2 and "not finalised" in not_final.stderr
    assert json.loads(cli("appraisal", "status", "--json").stdout)["finalised"] is False
    url = cli_env["SURVEY_DATABASE_URL"]
    assert _audit(url, "appraisal_finalise") == [("command line", {})]
    assert _audit(url, "appraisal_reopen") == [("command line", {"reason": "Sửa điểm Sở Y tế"})]
