"""The published report from the report page: ``/staff/report/publish.docx|pdf|xlsx``
(analysts), of the current round (``?plan=CODE`` for another)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from ..accounts.security import role_required
from ..core.audit import record
from ..core.database import db_session
from ..core.downloads import attachment
from ..core.i18n import current_lang
from ..plans.queries import current_plan, get_plan_row
from .formats import FORMATS, file_name
from .queries import report_of

bp = Blueprint("publication", __name__, url_prefix="/staff/report", template_folder="templates")


def _download(fmt: str):  # type: ignore[no-untyped-def]
    session = db_session()
    row, plan = get_plan_row(session), current_plan(session)
    if row is None or plan is None:
        abort(404)
    report = report_of(session, row, plan, current_lang())
    if report is None:
        return render_template("publication/nothing.html", plan=plan)
    data = FORMATS[fmt].write(report)
    record(session, "publish_report", user=current_user, target=row.code, format=fmt,
           lang=report.lang, preliminary=report.preliminary)
    return attachment(data, file_name(report, fmt), FORMATS[fmt].mimetype)


@bp.get("/publish.docx")
@role_required("analyst")
def docx():  # type: ignore[no-untyped-def]
    """The published report as a Word file."""
    return _download("docx")


@bp.get("/publish.pdf")
@role_required("analyst")
def pdf():  # type: ignore[no-untyped-def]
    """The published report as a PDF."""
    return _download("pdf")


@bp.get("/publish.xlsx")
@role_required("analyst")
def xlsx():  # type: ignore[no-untyped-def]
    """The published report as an Excel workbook."""
    return _download("xlsx")
