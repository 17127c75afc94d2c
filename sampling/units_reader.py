"""The first half of the plan reader: typed values, unit kinds and the units table.

:class:`UnitsReader` reads the values every part of a plan document is made of (counts,
labels in Vietnamese and English, dates, unique codes), the unit kinds and the units,
given inline or as a CSV file beside the plan.  The reader of the whole document
(:func:`sampling.plan_reader.read_plan`) builds on it; problems are recorded with the
codes of :data:`sampling.plan_reader.PLAN_PROBLEMS`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from questionnaires.problems import ProblemList, format_path
from questionnaires.reading import DocumentReader
from questionnaires.text import Label

from .plan import Unit, UnitKind

_LANG_NAMES = {"vi": ("Việt", "Vietnamese"), "en": ("Anh", "English")}


@dataclass(frozen=True)
class _InlineRow:
    """A unit given inline in the plan: places are document paths."""

    path: tuple

    def at(self, key: str) -> tuple:
        return (*self.path, key)

    def describe(self) -> str:
        return format_path(self.path)


@dataclass(frozen=True)
class _FileRow:
    """A unit read from a CSV file: places are ``file:row, column``."""

    file: str
    row: int

    def at(self, key: str) -> str:
        return f"{self.file}:{self.row}, {key}"

    def describe(self) -> str:
        return f"{self.file}:{self.row}"


_Row = _InlineRow | _FileRow


class UnitsReader(DocumentReader):
    """Reads typed values, unit kinds and units, recording every problem with its path.

    ``base_dir`` is the folder a units file is read from (``None``: the working folder).
    """

    def __init__(self, problems: ProblemList, base_dir: Path | None):
        super().__init__(problems)
        self.base_dir = base_dir

    # -- small typed readers (mapping, items, text: see DocumentReader); each returns
    # None (and records why) on bad input
    def count(self, value: Any, path: tuple) -> int | None:
        if not isinstance(value, int) or isinstance(value, bool):
            self.p.add("not_int", path)
            return None
        if value < 0:
            self.p.add("negative", path, value=value)
            return None
        return value

    def count_at_least(self, value: Any, path: tuple, minimum: int) -> int | None:
        """A whole number of at least ``minimum``."""
        n = self.count(value, path)
        if n is not None and n < minimum:
            self.p.add("below_minimum", path, value=n, minimum=minimum)
            return None
        return n

    def label(self, value: Any, path: tuple) -> Label | None:
        if isinstance(value, str) and value.strip():
            # A bare text is taken as Vietnamese; English is then required too.
            value = {"vi": value}
        m = self.mapping(value, path, allowed=("vi", "en"))
        if m is None:
            return None
        texts = {}
        for lang in ("vi", "en"):
            t = m.get(lang)
            if not isinstance(t, str) or not t.strip():
                vi_name, en_name = _LANG_NAMES[lang]
                self.p.add("label_missing", (*path, lang) if lang in m else path,
                           lang=lang, lang_name=vi_name, lang_en=en_name)
            else:
                texts[lang] = t.strip()
        return Label(**texts) if len(texts) == 2 else None

    def date(self, value: Any, path: tuple) -> dt.date | None:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.p.add("not_date", path, value=value)
        return None

    def list_(self, value: Any, path: tuple) -> list[Any]:
        return [item for _, item in self.items(value, path)]

    def unique(self, seen: dict[str, tuple], code: str | None, path: tuple) -> bool:
        if code is None:
            return False
        if code in seen:
            self.p.add("duplicate_code", path, code=code, first=format_path(seen[code]))
            return False
        seen[code] = path
        return True


    # -- unit kinds and units
    def unit_kinds(self, value: Any) -> dict[str, UnitKind]:
        kinds: dict[str, UnitKind] = {}
        seen: dict[str, tuple] = {}
        raw_parents: dict[str, tuple[str, tuple]] = {}
        for i, item in enumerate(self.list_(value, ("unit_kinds",))):
            path = ("unit_kinds", i)
            m = self.mapping(item, path, allowed=("code", "name", "parent", "evaluated"),
                             required=("code", "name"))
            if m is None:
                continue
            code = self.text(m.get("code"), (*path, "code")) if "code" in m else None
            name = self.label(m.get("name"), (*path, "name")) if "name" in m else None
            if not self.unique(seen, code, (*path, "code")) or name is None:
                continue
            parent = m.get("parent")
            if parent is not None:
                raw_parents[code] = (str(parent), (*path, "parent"))
            kinds[code] = UnitKind(code, name, str(parent) if parent is not None else None,
                                   bool(m.get("evaluated", False)))
        for parent, path in raw_parents.values():
            if parent not in kinds:
                self.p.add("unknown_unit_kind", path, value=parent, known=", ".join(kinds))
        for code in kinds:  # a chain of parent kinds must end
            seen_chain, k = set(), code
            while k is not None and k in kinds and k not in seen_chain:
                seen_chain.add(k)
                k = kinds[k].parent
            if k is not None and k in seen_chain:
                self.p.add("parent_cycle", raw_parents[code][1], kind=code)
        return kinds

    def units(self, value: Any, kinds: Mapping[str, UnitKind]) -> list[Unit]:
        """Units from ``{file: units.csv}`` or an inline list; places name the row."""
        if isinstance(value, dict) and "file" in value:
            rows = self.units_file(value)
        else:
            rows = []
            for i, item in enumerate(self.list_(value, ("units",))):
                m = self.mapping(item, ("units", i),
                                 allowed=("code", "kind", "name", "parent", "gso_code", "confidence"),
                                 required=("code", "kind", "name"))
                if m is not None:
                    rows.append((m, _InlineRow(("units", i))))
        placed: list[tuple[Unit, _Row]] = []
        seen: dict[str, str] = {}
        for item, row in rows:
            code = self.text(item.get("code"), row.at("code"))
            kind = self.text(item.get("kind"), row.at("kind"))
            name = self.text(item.get("name"), row.at("name"))
            if code is None or kind is None or name is None:
                continue
            if code in seen:
                self.p.add("duplicate_code", row.at("code"), code=code, first=seen[code])
                continue
            seen[code] = row.describe()
            if kind not in kinds:
                self.p.add("unknown_unit_kind", row.at("kind"), value=kind, known=", ".join(kinds))
                continue
            parent = str(item.get("parent") or "").strip() or None
            placed.append((Unit(code, kind, name, parent,
                                str(item.get("gso_code") or "").strip() or None,
                                str(item.get("confidence") or "").strip() or None), row))
        by_code = {u.code: u for u, _ in placed}
        for u, row in placed:
            expected = kinds[u.kind].parent
            if u.parent is None:
                if expected is not None:
                    self.p.add("parent_required", row.at("parent"), kind=u.kind, expected=expected)
            elif expected is None:
                self.p.add("parent_not_allowed", row.at("parent"), kind=u.kind)
            elif u.parent not in by_code:
                self.p.add("unknown_parent", row.at("parent"), value=u.parent)
            elif by_code[u.parent].kind != expected:
                self.p.add("wrong_parent_kind", row.at("parent"), value=u.parent,
                           actual=by_code[u.parent].kind, expected=expected)
        return [u for u, _ in placed]

    def units_file(self, value: dict[str, Any]) -> list[tuple[dict[str, Any], _Row]]:
        name = str(value["file"])
        path = Path(name) if self.base_dir is None else self.base_dir / name
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            self.p.add("units_file", ("units", "file"), value=name, reason=reason)
            return []
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in ("code", "kind", "name", "parent") if c not in (reader.fieldnames or [])]
        if missing:
            self.p.add("units_columns", ("units", "file"), columns=", ".join(missing))
            return []
        return [(row, _FileRow(name, i)) for i, row in enumerate(reader, start=2)]

