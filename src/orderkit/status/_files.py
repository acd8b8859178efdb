"""Read status data files (JSON or YAML) and report problems with their place.

Both ``json`` and PyYAML silently keep the last of two equal keys; in a status
table that would hide a raw code mapped twice, so duplicates are recorded while
parsing and refused. YAML mapping keys are kept as their verbatim text, so a
Douyin code written ``105:`` is the string ``"105"`` and ``01`` stays ``"01"``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import yaml

from orderkit._resources import load_schema
from orderkit.errors import MappingError

if TYPE_CHECKING:
    from jsonschema.protocols import Validator


@dataclass(frozen=True)
class Problem:
    """One problem in a data file: a dotted path inside it and what is wrong."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.path or "<root>"
        suffix = f" (line {self.line})" if self.line is not None else ""
        return f"{where}: {self.message}{suffix}"


class _Obj(dict[str, Any]):
    """A parsed mapping that remembers the keys it saw more than once."""

    def __init__(self) -> None:
        super().__init__()
        self.duplicates: list[tuple[str, int | None]] = []

    def put(self, key: str, value: Any, line: int | None = None) -> None:
        if key in self:
            self.duplicates.append((key, line))
        self[key] = value


def _json_object(pairs: list[tuple[str, Any]]) -> _Obj:
    obj = _Obj()
    for key, value in pairs:
        obj.put(key, value)
    return obj


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML loader that keeps key text verbatim and records duplicate keys."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> _Obj:
    loader.flatten_mapping(node)  # resolves "<<" merge keys like SafeLoader does
    obj = _Obj()
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            key = str(key_node.value)
        else:
            key = str(loader.construct_object(key_node, deep=True))
        value = loader.construct_object(value_node, deep=True)
        obj.put(key, value, key_node.start_mark.line + 1)
    return obj


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def dotted(parts: Iterable[str | int]) -> str:
    """``["fields", "status", "codes"]`` -> ``"fields.status.codes"``."""
    return ".".join(str(part) for part in parts)


def _duplicate_problems(node: Any, path: tuple[str | int, ...] = ()) -> list[Problem]:
    problems: list[Problem] = []
    if isinstance(node, _Obj):
        for key, line in node.duplicates:
            problems.append(
                Problem(dotted((*path, key)), f"key {key!r} appears more than once", line)
            )
        for key, value in node.items():
            problems.extend(_duplicate_problems(value, (*path, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            problems.extend(_duplicate_problems(value, (*path, index)))
    return problems


def read_document(path: Path) -> tuple[Any, list[Problem]]:
    """Parse a ``.json``, ``.yaml`` or ``.yml`` file; return the data and any problems.

    Problems are syntax errors and duplicate keys; the data is None on a syntax
    error.
    """
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [Problem("", f"cannot read file: {exc.strerror or exc}")]
    if suffix == ".json":
        try:
            data = json.loads(text, object_pairs_hook=_json_object)
        except json.JSONDecodeError as exc:
            return None, [Problem("", f"invalid JSON: {exc.msg}", exc.lineno)]
    elif suffix in (".yaml", ".yml"):
        try:
            data = yaml.load(text, Loader=_UniqueKeyLoader)  # safe: a SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            return None, [Problem("", f"invalid YAML: {getattr(exc, 'problem', exc)}", line)]
    else:
        return None, [Problem("", f"unsupported file type {suffix!r}; use .json, .yaml or .yml")]
    return data, _duplicate_problems(data)


@cache
def _validator(schema_name: str) -> Validator:
    # jsonschema is imported here so that importing orderkit.status stays cheap.
    from jsonschema import Draft202012Validator

    validator: Validator = Draft202012Validator(load_schema(schema_name))
    return validator


def schema_problems(schema_name: str, data: Any) -> list[Problem]:
    """Every violation of ``schemas/<schema_name>`` by ``data``, in path order."""
    errors = sorted(
        _validator(schema_name).iter_errors(data),
        key=lambda err: [str(part) for part in err.absolute_path],
    )
    return [Problem(dotted(err.absolute_path), err.message) for err in errors]


def raise_problems(origin: str, problems: Sequence[Problem]) -> NoReturn:
    """Raise one ``MappingError`` naming the file and listing every problem.

    ``field`` is the first problem's path; the message leads with that
    problem and lists the others, one a line.
    """
    first, *rest = problems
    line = f", line {first.line}" if first.line is not None else ""
    message = f"{first.message} (in {origin}{line})"
    if rest:
        message += f"; {len(rest)} more problem(s):\n" + "\n".join(f"  {p}" for p in rest)
    raise MappingError(message, field=first.path or "<root>")
