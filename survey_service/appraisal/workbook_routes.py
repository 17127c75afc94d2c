"""The self-assessment workbook's pages (the Excel way, beside the online round): a unit's
template out, the filled and appraised workbook in.  Same blueprint as :mod:`.routes`."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from questionnaires.problems import DataFileError

from ..accounts.security import role_required
from ..core.database import db_session
from ..core.downloads import XLSX, attachment
from ..core.errors import ServiceError
from ..core.i18n import current_lang, t, tr
from . import queries as q
from .operations import import_sheet, template_for
from .routes import bp, plan_or_404


@bp.route("/appraisal", methods=["GET", "POST"])
@role_required("analyst")
def appraisal():  # type: ignore[no-untyped-def]
    """Self-assessment workbooks: download a unit's template, upload it filled and appraised."""
    row, plan = plan_or_404()
    session = db_session()
    problems, status = None, 200
    if request.method == "POST":
        unit = request.form.get("unit", "")
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(t("Hãy chọn tệp Excel đã điền.", "Choose the filled Excel file."), "error")
            status = 400
        else:
            try:
                sheet = import_sheet(session, row, plan, unit, upload.stream, user=current_user)
                flash(t(f"Đã nhập {len(sheet.frame)} tiêu chí của {unit}; "
                        f"{len(sheet.corrections())} điểm được hội đồng điều chỉnh.",
                        f"Imported {len(sheet.frame)} criteria of {unit}; "
                        f"{len(sheet.corrections())} scores corrected by the council."), "notice")
                return redirect(url_for("appraisal.appraisal"))
            except DataFileError as exc:
                session.rollback()
                problems, status = exc.problems, 422
            except ServiceError as exc:
                session.rollback()
                flash(tr(exc), "error")
                status = 400
    return render_template("appraisal/appraisal.html", units=q.appraisal_status(session, row, plan),
                           problems=problems), status


@bp.get("/appraisal/<unit>.xlsx")
@role_required("analyst")
def appraisal_template_download(unit: str):  # type: ignore[no-untyped-def]
    """The self-assessment template of one unit."""
    _, plan = plan_or_404()
    try:
        data = template_for(plan, unit, current_lang())
    except ServiceError:
        abort(404)
    return attachment(data, f"tu-danh-gia-{unit}.xlsx", XLSX)
