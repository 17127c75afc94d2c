"""Public pages that belong to no feature: the front page and the health check."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from .database import db_session
from .models import SurveyPlan

bp = Blueprint("core", __name__, template_folder="templates")


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    """What this service is, and where staff sign in."""
    plan = db_session().scalars(select(SurveyPlan).order_by(SurveyPlan.id.desc())).first()
    return render_template("index.html", plan=plan)


@bp.route("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """Liveness: the app answers and the database is reachable."""
    db_session().execute(select(1))
    return {"status": "ok"}
