"""Public pages that belong to no feature: the front page and the health check."""

from __future__ import annotations

from flask import Blueprint, render_template

from .database import db_session
from .queries import latest_plan_row, ping

bp = Blueprint("core", __name__, template_folder="templates")


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    """What this service is, and where staff sign in."""
    return render_template("index.html", plan=latest_plan_row(db_session()))


@bp.route("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """Liveness: the app answers and the database is reachable."""
    ping(db_session())
    return {"status": "ok"}
