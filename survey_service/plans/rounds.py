"""Which round a request or a command works on.

The database holds every year's round; one is *current*: the round loaded last, unless
another is chosen for the request or command.  Staff choose one with the round picker
(kept in their session), the JSON API with ``?plan=CODE``, commands with ``--plan
CODE``.  The choice lives on :data:`flask.g` (one per request, one per command), so
every feature that asks :func:`~survey_service.plans.queries.get_plan_row` for the
current round gets the chosen one without knowing how it was chosen.

Respondent links never follow a choice: a slot belongs to its own round.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context

#: The key in a staff member's session that holds the chosen round's code.
SESSION_KEY = "round"

#: ``?plan=CODE`` in the OpenAPI document of an API path that reads one round.
ROUND_PARAMETER: dict[str, Any] = {
    "name": "plan", "in": "query", "required": False,
    "description": "The round's code (default: the round loaded last)",
    "schema": {"type": "string"}}


def use_round(code: str | None) -> None:
    """Make ``code`` the current round for the rest of this request or command
    (None: back to the round loaded last)."""
    g.survey_round = code


def chosen_round() -> str | None:
    """The round chosen for this request or command, if any."""
    return g.get("survey_round") if has_app_context() else None
