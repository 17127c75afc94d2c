"""Typed readers shared by the loaders of plans and scoring rules.

Each reader walks a parsed YAML document once; the small methods here check one value
each, record a problem at its path when it is wrong (see :mod:`.problems`), and return
``None`` (or an empty list) so the walk goes on and every problem is reported at once.
The catalogue of the :class:`~.problems.ProblemList` must hold
:data:`~.problems.STRUCTURE_PROBLEMS`.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from .problems import ProblemList


class DocumentReader:
    """Base of the document readers: ``self.p`` collects the problems."""

    def __init__(self, problems: ProblemList):
        self.p = problems

    def mapping(self, value: Any, path: tuple, allowed: Collection[str] | None = None,
                required: Collection[str] = ()) -> dict[str, Any] | None:
        """``value`` if it is a mapping; every missing required and unknown key is reported."""
        if not isinstance(value, dict):
            self.p.add("not_mapping", path)
            return None
        for key in required:
            if key not in value:
                self.p.add("missing", path, key=key)
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    self.p.add("unknown_key", (*path, key), key=key, allowed=", ".join(allowed))
        return value

    def items(self, value: Any, path: tuple) -> list[tuple[tuple, Any]]:
        """The (path, item) pairs of a list (empty, with a problem, if it is not one)."""
        if not isinstance(value, list):
            self.p.add("not_list", path)
            return []
        return [((*path, i), item) for i, item in enumerate(value)]

    def text(self, value: Any, path: tuple) -> str | None:
        """A non-empty text (numbers are taken as their text), stripped."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.p.add("not_text", path)
            return None
        return value.strip()
