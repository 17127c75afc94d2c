"""The survey service: a Flask application over the plain libraries, one room per feature.

``create_app()`` builds an application from the environment (see
:mod:`survey_service.core.config`); tests pass their own settings.  The features:
``respondent`` (the form behind each link), ``fieldwork`` (cards, hand-out, void and
replace, paper entry, progress), ``appraisal``, ``results`` (scores, index, report,
exports), ``accounts`` (users, sign-in, API keys, audit log), ``plans`` (loading the
plan and its questionnaires) and ``demo``, on a small ``core``.
"""

from __future__ import annotations

from .core.app import create_app
from .core.database import db_session, get_db

__all__ = ["create_app", "db_session", "get_db"]
