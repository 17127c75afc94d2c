"""Read YAML while remembering the line of every value.

A validation message that says "line 42, groups[3].quota.per" is worth ten that say
"invalid quota".  PyYAML's composer keeps a mark on every node; this module turns the
node tree into plain Python values and a mapping from each value's path to its line.
Only the safe subset of YAML is read (no tags that build Python objects).
"""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Any

import yaml

from .problems import DataFileError, Path, Problem


def _construct_scalar(node: yaml.ScalarNode) -> Any:
    # Resolve the scalar exactly as yaml.safe_load would (ints, floats, bools,
    # null, dates), without building any Python object beyond those.
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _to_python(node: yaml.Node, path: Path, lines: dict[Path, int], problems: list[Problem],
               source: str | None) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _construct_scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                problems.append(_syntax_problem(
                    ("khóa phải là một từ đơn giản", "a mapping key must be a plain word"),
                    key_node.start_mark.line + 1, source))
                continue
            key = str(key)
            if key in out:
                problems.append(_syntax_problem(
                    (f"khóa '{key}' xuất hiện hai lần trong cùng một khối",
                     f"key '{key}' appears twice in the same mapping"),
                    key_node.start_mark.line + 1, source))
            out[key] = _to_python(value_node, (*path, key), lines, problems, source)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*path, i), lines, problems, source)
                for i, item in enumerate(node.value)]
    return _construct_scalar(node)


def _syntax_problem(detail: str | tuple[str, str], line: int | None,
                    source: str | None) -> Problem:
    vi, en = (detail, detail) if isinstance(detail, str) else detail
    return Problem(
        code="yaml_syntax",
        place="(YAML)",
        messages={
            "vi": f"tệp YAML không đọc được: {vi}",
            "en": f"the YAML file cannot be read: {en}",
        },
        line=line,
        source=source,
    )


def load_yaml(text: str, source: str | None = None) -> tuple[Any, dict[Path, int]]:
    """Parse YAML ``text``; return ``(data, lines)``.

    ``lines`` maps each value's path (a tuple of keys and list indices) to its
    1-based line.  Syntax errors, duplicate keys and non-scalar keys raise
    :class:`~questionnaires.problems.DataFileError` with the line.

    >>> data, lines = load_yaml("a:\\n  b: [1, 2]\\n")
    >>> data, lines[("a", "b", 1)]
    ({'a': {'b': [1, 2]}}, 2)
    """
    what = source or "YAML"
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise DataFileError(what, [_syntax_problem(
            str(exc.problem or exc.context), mark.line + 1 if mark else None, source)]) from None
    except yaml.YAMLError as exc:
        raise DataFileError(what, [_syntax_problem(str(exc), None, source)]) from None
    if node is None:
        return None, {}
    lines: dict[Path, int] = {}
    problems: list[Problem] = []
    try:
        data = _to_python(node, (), lines, problems, source)
    except yaml.YAMLError as exc:
        raise DataFileError(what, [_syntax_problem(str(exc), None, source)]) from None
    if problems:
        raise DataFileError(what, problems)
    return data, lines


def read_yaml_file(path: str | FsPath) -> tuple[Any, dict[Path, int]]:
    """Read and parse a YAML file (UTF-8); see :func:`load_yaml`."""
    path = FsPath(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(str(path), [Problem(
            code="file_missing", place=str(path),
            messages={"vi": "không tìm thấy tệp", "en": "file not found"})]) from None
    except UnicodeDecodeError as exc:
        raise DataFileError(str(path), [Problem(
            code="not_utf8", place=str(path),
            messages={"vi": f"tệp không phải UTF-8 (byte {exc.start})",
                      "en": f"the file is not UTF-8 (byte {exc.start})"})]) from None
    except OSError as exc:
        raise DataFileError(str(path), [Problem(
            code="file_unreadable", place=str(path),
            messages={"vi": f"không đọc được tệp: {exc.strerror}",
                      "en": f"cannot read the file: {exc.strerror}"})]) from None
    return load_yaml(text, source=str(path))
