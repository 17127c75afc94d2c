"""Rosters and the seeded draw of respondents: official and reserve lists per unit.

Each sampled unit keeps three lists (Part B §7 of the domain notes): the full roster
(*danh sách tổng thể*), the official sample (*danh sách điều tra chính thức*) and the
reserve list (*danh sách dự phòng*), whose order is the order in which reserves replace
absent respondents.  This module reads a roster (:func:`read_roster`), draws both lists
(:func:`select_respondents`) and names the next replacement (:func:`next_reserve`).

The draw is simple random sampling without replacement within each unit, from a
:class:`numpy.random.Generator` derived from an explicit seed (or generator); the
global random state is never used.  The same roster and seed give the same lists on
any machine, whatever the order of the roster's rows.

pandas is imported inside the functions (see :mod:`sampling.statistics`), so that
``import sampling`` stays light for the command line and the web service.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import zipfile
from collections.abc import Collection, Iterable, Mapping
from numbers import Integral
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from questionnaires.problems import DataFileError, ProblemList

if TYPE_CHECKING:  # pragma: no cover - annotations only
    import pandas as pd

__all__ = [
    "ROSTER_COLUMNS",
    "SELECTION_COLUMNS",
    "next_reserve",
    "read_roster",
    "select_respondents",
]

#: The columns of a roster, in this order; extra columns (address, phone) follow them.
ROSTER_COLUMNS = ("unit", "id", "name", "position")

#: The columns of a selection, in this order; extra roster columns follow them.
SELECTION_COLUMNS = ("unit", "id", "name", "position", "role", "order", "roster_size", "note")

#: Roles in a selection.
OFFICIAL, RESERVE = "official", "reserve"

_REQUIRED = ("unit", "name")

_CATALOGUE: dict[str, tuple[str, str]] = {
    "unreadable": ("không đọc được danh sách: {reason}", "cannot read the roster: {reason}"),
    "missing_columns": ("thiếu cột {columns} (cần: unit, name; tùy chọn: id, position)",
                        "missing column(s) {columns} (required: unit, name; optional: id, position)"),
    "empty": ("danh sách không có người nào", "the roster lists nobody"),
    "blank_unit": ("mã đơn vị để trống", "the unit code is blank"),
    "blank_name": ("họ tên để trống", "the name is blank"),
    "blank_id": ("mã người để trống", "the id is blank"),
    "duplicate_id": ("mã người '{value}' bị trùng (đã có ở dòng {first})",
                     "duplicate id '{value}' (already at row {first})"),
    "unknown_unit": ("đơn vị không có trong kế hoạch '{value}'", "unit '{value}' is not in the plan"),
}


# --------------------------------------------------------------------------- rosters


def _is_excel(source: Any, file_format: str | None) -> bool:
    """True for an XLSX workbook: by ``file_format``, the file suffix, or the zip magic."""
    if file_format is not None:
        if file_format not in ("csv", "xlsx"):
            raise ValueError(f"file_format must be 'csv' or 'xlsx', got {file_format!r}")
        return file_format == "xlsx"
    if isinstance(source, str | os.PathLike):
        return Path(source).suffix.lower() in (".xlsx", ".xlsm")
    if isinstance(source, bytes | bytearray):
        return bytes(source[:4]) == b"PK\x03\x04"
    if hasattr(source, "peek"):
        return bytes(source.peek(4)[:4]) == b"PK\x03\x04"
    if hasattr(source, "seek") and hasattr(source, "tell"):
        start = source.tell()
        head = source.read(4)
        source.seek(start)
        return isinstance(head, bytes) and head == b"PK\x03\x04"
    return False


def read_roster(
    path_or_buffer: str | os.PathLike[str] | bytes | IO[str] | IO[bytes],
    *,
    known_units: Collection[str] | None = None,
    file_format: str | None = None,
    sheet_name: str | int = 0,
) -> pd.DataFrame:
    """Read and check a roster of named people per unit (CSV or XLSX).

    Parameters
    ----------
    path_or_buffer : path, bytes or file object
        A CSV file (UTF-8, with or without a byte-order mark) or an XLSX workbook.
        The header row names the columns: ``unit`` (the unit code of the plan) and
        ``name`` are required; ``id`` (a stable person id, e.g. a staff number) and
        ``position`` are optional; any other column (address, phone) is kept.
        Column names are matched without regard to case or surrounding spaces.
    known_units : collection of str, optional
        Unit codes the plan knows (e.g. ``[u.code for u in plan.units]``); a row
        with another code is reported.
    file_format : {'csv', 'xlsx'}, optional
        Default: from the file suffix, or from the content of a buffer.
    sheet_name : str or int
        The worksheet of an XLSX file.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit, id, name, position`` then the extra columns, all text with
        surrounding spaces removed, one row per person, in file order.  Without an
        ``id`` column the id is made from the row number (``R00002`` for row 2):
        stable only for the same file, so give real ids when the roster may change.
        Entirely blank rows are skipped.

    Raises
    ------
    questionnaires.problems.DataFileError
        A ``ValueError`` listing every problem with its row (the header is row 1):
        ``missing_columns``, ``empty``, ``blank_unit``, ``blank_name``, ``blank_id``,
        ``duplicate_id`` (ids must be unique in the whole roster), ``unknown_unit``,
        ``unreadable``.

    Examples
    --------
    >>> import io
    >>> text = "unit,id,name,position\\nso-noi-vu,NV01,Lò Văn A,Chuyên viên\\n"
    >>> read_roster(io.StringIO(text)).iloc[0].to_dict()
    {'unit': 'so-noi-vu', 'id': 'NV01', 'name': 'Lò Văn A', 'position': 'Chuyên viên'}
    >>> read_roster(io.StringIO("unit,name\\nso-noi-vu,\\n"))
    Traceback (most recent call last):
    ...
    questionnaires.problems.DataFileError: roster: 1 problem found
      - roster:2, name: the name is blank
    """
    import pandas as pd  # see the module docstring

    source_name = (Path(path_or_buffer).name if isinstance(path_or_buffer, str | os.PathLike)
                   else "roster")
    problems = ProblemList(_CATALOGUE)
    source: Any = io.BytesIO(path_or_buffer) if isinstance(path_or_buffer, bytes) else path_or_buffer
    excel = _is_excel(source, file_format)
    try:
        if excel:
            frame = pd.read_excel(source, sheet_name=sheet_name, dtype=str, engine="openpyxl",
                                  keep_default_na=False)
        else:
            frame = pd.read_csv(source, dtype=str, keep_default_na=False, skip_blank_lines=False,
                                encoding="utf-8-sig")
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        # OSError: no such file; ValueError: a bad encoding, CSV or sheet name (pandas'
        # parser errors are ValueErrors); KeyError, BadZipFile: a damaged workbook.
        problems.add("unreadable", source_name, reason=str(exc) or type(exc).__name__)
        raise DataFileError("roster", problems.problems) from exc

    frame.columns = [str(c).replace("\ufeff", "").strip().lower() for c in frame.columns]
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        problems.add("missing_columns", f"{source_name}:1", columns=", ".join(missing))
        problems.raise_if_any("roster")

    frame = frame.fillna("").astype(str)
    for column in frame.columns:
        frame[column] = frame[column].str.strip()
    rows = pd.Series(range(2, len(frame) + 2), index=frame.index)  # the header is row 1
    keep = (frame != "").any(axis=1)
    frame, rows = frame[keep], rows[keep]
    if frame.empty:
        problems.add("empty", source_name)
        problems.raise_if_any("roster")

    has_id = "id" in frame.columns
    known = set(known_units) if known_units is not None else None
    first_row: dict[str, int] = {}
    for row, unit, name, pid in zip(rows, frame["unit"], frame["name"],
                                    frame["id"] if has_id else [None] * len(frame)):
        where = f"{source_name}:{row}"
        if not unit:
            problems.add("blank_unit", f"{where}, unit")
        elif known is not None and unit not in known:
            problems.add("unknown_unit", f"{where}, unit", value=unit)
        if not name:
            problems.add("blank_name", f"{where}, name")
        if has_id:
            if not pid:
                problems.add("blank_id", f"{where}, id")
            elif pid in first_row:
                problems.add("duplicate_id", f"{where}, id", value=pid, first=first_row[pid])
            else:
                first_row[pid] = row
    problems.raise_if_any("roster")

    if not has_id:
        frame["id"] = [f"R{row:05d}" for row in rows]
    if "position" not in frame.columns:
        frame["position"] = ""
    extra = [c for c in frame.columns if c not in ROSTER_COLUMNS]
    return frame[[*ROSTER_COLUMNS, *extra]].reset_index(drop=True)


# --------------------------------------------------------------------------- selection


def _check_size(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    return int(value)


def _sizes_per_unit(name: str, value: object, units: list[Any],
                    default: Mapping[Any, int] | None = None) -> dict[Any, int]:
    """``value`` (a number, a {unit: number} mapping, or None for ``default``) per unit."""
    if value is None and default is not None:
        return dict(default)
    if isinstance(value, Mapping):
        missing = [u for u in units if u not in value]
        extra = [u for u in value if u not in set(units)]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"no {name} for the roster's unit(s) {', '.join(map(str, missing))}")
            if extra:
                parts.append(f"unit(s) {', '.join(map(str, extra))} are not in the roster")
            raise ValueError(f"{name}: " + "; ".join(parts))
        return {u: _check_size(f"{name}[{u!r}]", value[u]) for u in units}
    size = _check_size(name, value)
    return dict.fromkeys(units, size)


def _unit_generator(base: int, unit: Any) -> np.random.Generator:
    """A generator for one unit: from the base draw and a hash of the unit code, so a
    unit's draw does not depend on which other units the roster holds."""
    digest = hashlib.sha256(str(unit).encode("utf-8")).digest()
    words = [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 32, 4)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([base, *words])))


def select_respondents(
    roster: pd.DataFrame,
    *,
    per_unit: int | Mapping[str, int],
    reserve: int | Mapping[str, int] | None = None,
    rng: np.random.Generator | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """Draw the official and reserve respondents of every unit of a roster.

    Parameters
    ----------
    roster : pandas.DataFrame
        Columns ``unit``, ``id`` and ``name`` (``position`` and others optional), as
        :func:`read_roster` returns.  Ids must be unique.
    per_unit : int or mapping
        Official respondents per unit (the quota), or ``{unit: quota}`` naming every
        unit of the roster.
    reserve : int or mapping, optional
        Reserve respondents per unit.  Default ⌈per_unit / 2⌉, the ratio of PAPI
        (20 drawn and 10 in reserve per village).
    rng : numpy.random.Generator, optional
        The generator to draw from (advanced by one draw).
    seed : int, optional
        A seed for :func:`numpy.random.default_rng`; ``seed=s`` gives the same
        selection as ``rng=numpy.random.default_rng(s)``.  Give ``rng`` or ``seed``,
        not both: a selection that cannot be repeated is refused.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit, id, name, position, role, order, roster_size, note`` then
        the roster's extra columns; one row per selected person, sorted by unit,
        role (``official`` first, then ``reserve``) and ``order``.  ``order`` counts
        from 1 within a unit and role; a reserve's order is the order of use.
        ``roster_size`` is the unit's N (π = official count / N for a design weight).
        ``note`` says when a unit was taken whole (census) or has fewer reserves
        than asked; it is empty otherwise.

    Raises
    ------
    ValueError
        If columns are missing, ids are blank or repeated, sizes are not whole
        numbers >= 0, a mapping does not name exactly the roster's units, or
        ``rng``/``seed`` are both or neither given.

    Notes
    -----
    Within a unit the people are sorted by id (as text) and a uniformly random
    permutation is drawn: its first ``per_unit`` entries are the official list, the
    next ``reserve`` the reserve list, in order.  This is simple random sampling
    without replacement of ``per_unit + reserve`` people, with the reserve list a
    random order of the rest of that sample, so every person has the same chance
    min(1, per_unit / N) of being official.  A unit with N <= ``per_unit`` is a
    census (everyone official, no reserve).

    Each unit draws from its own generator, seeded by one draw from ``rng`` and by
    a hash of the unit code.  So the result depends only on the seed and on each
    unit's set of (id, person) rows: not on row order, nor on the other units.

    References
    ----------
    .. [1] Y. Tillé, *Sampling Algorithms*, Springer, 2006, §4.4 (SRSWOR by random
       sorting).
    .. [2] PAPI, "Chọn người trả lời phỏng vấn như thế nào", https://papi.org.vn :
       20 citizens drawn at random and 10 in reserve per village.

    Examples
    --------
    >>> import pandas as pd
    >>> roster = pd.DataFrame({"unit": ["A"] * 5 + ["B"] * 2,
    ...                        "id": [f"p{i}" for i in range(7)],
    ...                        "name": list("abcdefg")})
    >>> sel = select_respondents(roster, per_unit=3, reserve=1, seed=2021)
    >>> sel.groupby(["unit", "role"]).size().to_dict()
    {('A', 'official'): 3, ('A', 'reserve'): 1, ('B', 'official'): 2}
    >>> sel.loc[sel["unit"] == "B", "note"].iloc[0]
    'census: the roster has 2 people, not more than the quota of 3; all are taken, no reserve'
    """
    import pandas as pd  # see the module docstring

    if (rng is None) == (seed is None):
        raise ValueError("give exactly one of rng= (a numpy.random.Generator) and seed= (an int),"
                         " so that the selection can be repeated")
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0):
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    generator = rng if rng is not None else np.random.default_rng(seed)

    if not isinstance(roster, pd.DataFrame):
        raise ValueError(f"roster must be a pandas DataFrame, got {type(roster).__name__}")
    missing = [c for c in ("unit", "id", "name") if c not in roster.columns]
    if missing:
        raise ValueError(f"the roster lacks the column(s) {', '.join(missing)}")
    clash = [c for c in roster.columns if c in SELECTION_COLUMNS and c not in ROSTER_COLUMNS]
    if clash:
        raise ValueError(f"the roster has column(s) {', '.join(clash)}, which the selection adds")
    if roster["unit"].isna().any() or roster["id"].isna().any():
        raise ValueError("the roster has rows without a unit or an id")
    keys = roster["id"].astype(str)
    repeated = sorted(set(keys[keys.duplicated()]))
    if repeated:
        raise ValueError(f"the roster repeats the id(s) {', '.join(repeated)}")

    units = sorted(roster["unit"].unique(), key=str)
    if len({str(u) for u in units}) != len(units):
        raise ValueError("two unit codes of the roster are the same as text (e.g. 1 and '1')")
    quota = _sizes_per_unit("per_unit", per_unit, units)
    reserves = _sizes_per_unit("reserve", reserve, units,
                               default={u: math.ceil(quota[u] / 2) for u in units})
    base = int(generator.integers(0, 2**63))

    # One sort by (unit, id as text); then each unit's people are a run of positions.
    people = roster.assign(__unit__=roster["unit"].map(str), __id__=keys)
    people = people.sort_values(["__unit__", "__id__"], kind="stable").reset_index(drop=True)
    if "position" not in people.columns:
        people["position"] = ""
    runs = people.groupby("__unit__", sort=False).indices
    picked: list[np.ndarray] = []
    roles: list[str] = []
    orders: list[int] = []
    sizes: list[int] = []
    notes: list[str] = []
    for unit in units:
        members = runs[str(unit)]  # positions in ``people``, in id order
        size, want, spare = len(members), quota[unit], reserves[unit]
        drawn = members[_unit_generator(base, unit).permutation(size)[: want + spare]]
        official, reserve_ix = drawn[:want], drawn[want:]
        if size <= want:
            note = (f"census: the roster has {size} people, not more than the quota of {want};"
                    " all are taken, no reserve")
        elif len(reserve_ix) < spare:
            note = f"only {len(reserve_ix)} of {spare} reserves: the roster has {size} people"
        else:
            note = ""
        for role, positions in ((OFFICIAL, official), (RESERVE, reserve_ix)):
            picked.append(positions)
            roles += [role] * len(positions)
            orders += range(1, len(positions) + 1)
            sizes += [size] * len(positions)
            notes += [note] * len(positions)

    extra = [c for c in roster.columns if c not in ROSTER_COLUMNS]
    chosen = np.concatenate(picked) if picked else np.array([], dtype=np.intp)
    out = people.iloc[chosen].reset_index(drop=True)
    out["role"] = pd.Series(roles, dtype="str")
    out["order"] = np.asarray(orders, dtype=np.int64)
    out["roster_size"] = np.asarray(sizes, dtype=np.int64)
    out["note"] = pd.Series(notes, dtype="str")
    return out[[*SELECTION_COLUMNS, *extra]]


def next_reserve(selection: pd.DataFrame, unit: str, used_ids: Iterable[Any] = ()) -> dict[str, Any] | None:
    """The reserve who replaces the next absent respondent of ``unit``.

    Parameters
    ----------
    selection : pandas.DataFrame
        A selection from :func:`select_respondents`.
    unit : str
        The unit whose official respondent cannot answer.
    used_ids : iterable
        Ids of the unit's reserves already called (compared as text).

    Returns
    -------
    dict or None
        The row of the first reserve, in ``order``, whose id is not in ``used_ids``
        (``unit, id, name, position, role, order, ...``); ``None`` when the reserve
        list is used up (draw again from the rest of the roster, and record it).

    Raises
    ------
    ValueError
        If ``selection`` lacks the columns of a selection or ``unit`` is not in it.

    Notes
    -----
    Reserves are used strictly in their drawn order, skipping those already used, so
    the replacement of an absent respondent is decided by the draw and not by the
    enumerator.  Log every replacement as a substitution, not as a respondent of the
    original draw.

    Examples
    --------
    >>> import pandas as pd
    >>> roster = pd.DataFrame({"unit": ["A"] * 6, "id": list("uvwxyz"), "name": list("UVWXYZ")})
    >>> sel = select_respondents(roster, per_unit=3, reserve=2, seed=7)
    >>> first = next_reserve(sel, "A")
    >>> first["role"], first["order"]
    ('reserve', 1)
    >>> next_reserve(sel, "A", used_ids=sel.loc[sel["role"] == "reserve", "id"]) is None
    True
    """
    import pandas as pd  # see the module docstring

    if not isinstance(selection, pd.DataFrame):
        raise ValueError(f"selection must be a pandas DataFrame, got {type(selection).__name__}")
    missing = [c for c in ("unit", "id", "role", "order") if c not in selection.columns]
    if missing:
        raise ValueError(f"the selection lacks the column(s) {', '.join(missing)}")
    if not (selection["unit"] == unit).any():
        raise ValueError(f"unit {unit!r} is not in the selection")
    if isinstance(used_ids, str):
        used_ids = [used_ids]
    used = {str(i) for i in used_ids}
    reserves = selection[(selection["unit"] == unit) & (selection["role"] == RESERVE)]
    reserves = reserves.sort_values("order", kind="stable")
    for record in reserves.to_dict("records"):
        if str(record["id"]) not in used:
            return record
    return None
