"""The ``survey-service`` command (also ``python -m survey_service``): the core's group
with every feature's commands."""

from __future__ import annotations

from .accounts import cli as accounts
from .appraisal import cli as appraisal
from .citizens import cli as citizens
from .core.cli import main
from .demo import cli as demo
from .fieldwork import cli as fieldwork
from .plans import cli as plans
from .publication import cli as publication
from .results import cli as results

for _feature in (plans, fieldwork, results, publication, appraisal, citizens, accounts, demo):
    _feature.register(main)

__all__ = ["main"]

if __name__ == "__main__":  # pragma: no cover
    main()
