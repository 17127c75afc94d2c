"""``python -m survey_service``: the same as the ``survey-service`` command."""

from .cli import main

main()
