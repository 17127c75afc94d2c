"""The index report page and its workbook (analysts), and the round picker of staff pages.

Every staff page and API answer works on the current round: the round loaded last,
unless a staff member chose another with the picker (kept in the session) or the
request names one (``?plan=CODE``); see :mod:`survey_service.plans.rounds`.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from ..accounts.security import ROLES, role_required
from ..core.api import PREFIX, json_error
from ..core.audit import record
from ..core.database import db_session
from ..core.downloads import XLSX, attachment
from ..core.i18n import current_lang, t
from ..core.svg import format_number
from ..plans.queries import current_plan, get_plan_row, latest_round_code, list_rounds
from ..plans.rounds import SESSION_KEY, chosen_round, use_round
from . import charts, exports
from .queries import compute

bp = Blueprint("results", __name__, url_prefix="/staff", template_folder="templates")


# --------------------------------------------------------------------------- rounds


@bp.before_app_request
def _select_round():  # type: ignore[no-untyped-def]
    """The round of this request: ``?plan=CODE`` (API and staff pages), else the staff
    member's choice; an unknown ``?plan=`` is 404.  Respondent links keep their own round."""
    api = request.path.startswith(PREFIX + "/")
    if not (api or request.path.startswith("/staff")):
        return None
    asked = request.args.get("plan")
    code = asked or (None if api else session.get(SESSION_KEY))
    if not code:
        return None
    if get_plan_row(db_session(), code) is not None:
        use_round(code)
        return None
    if not asked:  # a choice kept from a database that no longer has that round
        session.pop(SESSION_KEY, None)
        return None
    vi, en = f"Không có đợt khảo sát '{asked}'.", f"There is no round '{asked}'."
    if api:
        return json_error(404, vi, en)
    return render_template("message.html", heading=t("Không tìm thấy", "Not found"), text=t(vi, en),
                           css="error"), 404


@bp.app_context_processor
def _round_picker() -> dict[str, Any]:
    def survey_rounds() -> list[dict[str, Any]]:
        rows = list_rounds(db_session())
        current = chosen_round() or (rows[0].code if rows else None)
        return [{"code": r.code, "year": r.year, "current": r.code == current} for r in rows]

    return {"survey_rounds": survey_rounds}


@bp.post("/round")
@role_required(*ROLES)
def choose_round():  # type: ignore[no-untyped-def]
    """Make a round current for this staff member's pages (kept in the session)."""
    code = request.form.get("plan", "")
    target = request.form.get("next", "")
    if not target.startswith("/staff") or "//" in target or "\\" in target:
        target = url_for("accounts.home")
    if get_plan_row(db_session(), code) is None:
        flash(t(f"Không có đợt khảo sát '{code}'.", f"There is no round '{code}'."), "error")
        return redirect(target)
    if code == latest_round_code(db_session()):
        session.pop(SESSION_KEY, None)  # the current one follows the next round loaded
    else:
        session[SESSION_KEY] = code
    flash(t(f"Đang xem đợt {code}.", f"Now showing the round {code}."))
    return redirect(target)


# --------------------------------------------------------------------------- the report


def _results():  # type: ignore[no-untyped-def]
    session_ = db_session()
    row, plan = get_plan_row(session_), current_plan(session_)
    if row is None or plan is None:
        abort(404)
    if plan.scoring is None:  # a round of the satisfaction survey only: no index to show
        heading = t("Không có chỉ số CCHC", "No PAR index")
        abort(make_response(render_template("message.html", heading=heading, text=t(
            f"Đợt {plan.code} không có quy tắc chấm điểm nên không có điểm hay xếp hạng. Chỉ số hài lòng "
            "của đợt có trong báo cáo công bố và lệnh survey-service export satisfaction.",
            f"The round {plan.code} has no scoring rules, so no scores or ranking. Its satisfaction index "
            "is in the published report and in survey-service export satisfaction."), css="notice")))
    return plan, compute(session_, row, plan)


def _change(r: dict[str, Any], has_previous: bool) -> str:
    if not has_previous:
        return ""
    if r["new_unit"]:
        return t("mới", "new")
    change = exports.plain_value(r["rank_change"])
    if change is None:
        return "–"
    return f"+{change}" if change > 0 else str(change)


@bp.get("/report")
@role_required("analyst")
def report():  # type: ignore[no-untyped-def]
    """The ranking of departments and of districts, with rank intervals, grades, the change
    against the previous round, component indices per area and a chart of each unit's index
    with its interval; or, for a round with nothing measured yet, a page that says so."""
    plan, computed = _results()
    lang = current_lang()
    if computed.empty:
        return render_template("results/report.html", plan=plan, computed=computed, sections=[],
                               nothing=True, format_number=format_number)
    index = computed.index.assign(_r=computed.index["rank"].astype("Float64").fillna(1e9)).sort_values(
        ["kind", "_r", "index_pct"], ascending=[True, True, False])
    areas = computed.areas.pivot_table(index="unit", columns="area", values="index_pct")
    bands = [(b.min, b.name.get(lang)) for b in plan.scoring.bands if b.min > 0]
    has_previous = computed.previous is not None
    sections = []
    for kind in (k for k in plan.unit_kinds if k.evaluated):
        part = index[index["kind"] == kind.code]
        rows = [{**r, "change": _change(r, has_previous)} for r in exports.records(part.drop(columns="_r"))]
        # Every unit's index so far; only the ranked ones have an interval.
        chart = charts.index_intervals(
            [{"label": r["name"], "index_pct": r["index_pct"], "index_low": r.get("index_low"),
              "index_high": r.get("index_high")} for r in rows],
            title=t("Chỉ số và khoảng 90%", "Index and its 90% interval"), lang=lang, bands=bands)
        sections.append({"kind": kind.code, "title": kind.name.get(lang), "rows": rows, "chart": chart})
    return render_template("results/report.html", plan=plan, computed=computed, sections=sections,
                           areas=areas, nothing=False,
                           area_names={a.code: a.name.get(lang) for a in plan.scoring.areas},
                           grade_names={b.code: b.name.get(lang) for b in plan.scoring.bands},
                           has_previous=has_previous, format_number=format_number)


@bp.get("/report.xlsx")
@role_required("analyst")
def report_xlsx():  # type: ignore[no-untyped-def]
    """The report's tables as a workbook: index, scores, component indices (two decimals)."""
    _, computed = _results()
    record(db_session(), "export_report", user=current_user, format="xlsx", plan=computed.plan)
    data = exports.formatted_xlsx({"chi_so": exports.index_frame(computed),
                                   "diem_khao_sat": exports.score_frame(computed),
                                   "linh_vuc": exports.rounded(computed.areas)})
    return attachment(data, f"chi-so-cchc-{computed.plan}.xlsx", XLSX)
