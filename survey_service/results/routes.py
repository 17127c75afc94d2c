"""The index report page and its workbook (analysts)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from ..accounts.security import role_required
from ..core.audit import record
from ..core.database import db_session
from ..core.downloads import XLSX, attachment
from ..core.i18n import current_lang, t
from ..plans.queries import current_plan, get_plan_row
from . import charts, exports
from .queries import compute

bp = Blueprint("results", __name__, url_prefix="/staff", template_folder="templates")


def _results():  # type: ignore[no-untyped-def]
    session = db_session()
    row, plan = get_plan_row(session), current_plan(session)
    if row is None or plan is None:
        abort(404)
    return plan, compute(session, row, plan)


@bp.get("/report")
@role_required("analyst")
def report():  # type: ignore[no-untyped-def]
    """The ranking of departments and of districts, with rank intervals, grades,
    component indices per area and a chart of each unit's index with its interval."""
    plan, computed = _results()
    lang = current_lang()
    index = computed.index.sort_values(["kind", "rank", "unit"])
    areas = computed.areas.pivot_table(index="unit", columns="area", values="index_pct")
    bands = [(b.min, b.name.get(lang)) for b in plan.scoring.bands if b.min > 0]
    grade_names = {b.code: b.name.get(lang) for b in plan.scoring.bands}
    sections = []
    for kind, title in (("department", t("Sở, ban, ngành", "Departments")),
                        ("district", t("UBND huyện, thành phố", "District People's Committees"))):
        part = index[index["kind"] == kind]
        rows = part.to_dict(orient="records")
        chart = charts.index_intervals(
            [{"label": r["name"], "index_pct": r["index_pct"], "index_low": r.get("index_low"),
              "index_high": r.get("index_high")} for r in rows],
            title=t("Chỉ số và khoảng 90%", "Index and its 90% interval"), lang=lang, bands=bands)
        sections.append({"kind": kind, "title": title, "rows": rows, "chart": chart})
    return render_template("results/report.html", plan=plan, sections=sections, areas=areas,
                           area_names={a.code: a.name.get(lang) for a in plan.scoring.areas},
                           grade_names=grade_names, responses=computed.responses,
                           preliminary=bool(computed.index["appraisal_preliminary"].any())
                           if not computed.index.empty else True)


@bp.get("/report.xlsx")
@role_required("analyst")
def report_xlsx():  # type: ignore[no-untyped-def]
    """The report's tables as a workbook: index, scores, component indices."""
    _, computed = _results()
    record(db_session(), "export_report", user=current_user, format="xlsx")
    data = exports.to_xlsx({"chi_so": computed.index, "diem_khao_sat": computed.scores,
                            "linh_vuc": computed.areas})
    return attachment(data, "chi-so-cchc.xlsx", XLSX)
