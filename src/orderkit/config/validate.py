"""Check config data against ``schemas/config.schema.json`` plus the semantic
checks in ``semantic.py``; report EVERY problem, in words ops understand.

jsonschema's own messages ("'abc' is not of type 'integer'") are rewritten:
``must be an integer, got 'abc'``; unknown keys get a did-you-mean suggestion.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection, Iterable, Iterator, Mapping
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from orderkit._resources import load_schema
from orderkit.config.semantic import check_semantics, plain_data
from orderkit.config.yaml_lines import LineMap, PathKey, line_for, render_path
from orderkit.errors import ConfigProblem

SCHEMA_NAME = "config.schema.json"

_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "string": "text",
    "boolean": "true or false",
    "object": "a mapping (key: value lines)",
    "array": "a list",
    "null": "empty",
}

# Pattern errors explained by what the pattern means, not by the regex.
_PATTERN_HINTS = {
    "^[a-z0-9_-]+$": "a code in lowercase letters, digits, '_' or '-'",
    "^([0-9]+[smhd])+$": "a duration like '30s', '5m', '2h' or a number of seconds",
    "^(sandbox|https?://[^\\s/]+.*)$": "'sandbox' or an http(s):// URL",
    "^[A-Za-z0-9][A-Za-z0-9_-]*$": "letters, digits, '-' or '_' (no spaces or '/')",
    "^[a-z][a-z0-9_]{0,19}$": "a lowercase SQL name of at most 20 characters, like 'ok_'",
    "^(env:[A-Za-z_][A-Za-z0-9_]*|sqlite(\\+[a-z0-9]+)?://.*|postgres(ql)?(\\+[a-z0-9]+)?://.+"
    "|(mysql|mariadb)(\\+[a-z0-9]+)?://.+)$": "a database URL (sqlite:///file.db, "
    "postgresql://…, mysql+pymysql://…) or env:NAME",
}


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema(SCHEMA_NAME))


def _secret_pattern() -> str:
    pattern: str = load_schema(SCHEMA_NAME)["$defs"]["secret"]["pattern"]
    return pattern


def check_data(
    data: Any,
    lines: LineMap | None = None,
    *,
    known_channels: Collection[str] | None = None,
    known_couriers: Collection[str] | None = None,
) -> list[ConfigProblem]:
    """Every problem in ``data`` (parsed config), sorted by line then path."""
    plain, problems = plain_data(data, lines)
    if plain is None:
        return [ConfigProblem("", "the config is empty; start from `orderkit init`", None)]
    for error in _validator().iter_errors(plain):
        problems.extend(_explain(error, lines))
    problems.extend(
        check_semantics(plain, lines, known_channels=known_channels, known_couriers=known_couriers)
    )
    return sort_problems(problems)


def sort_problems(problems: Iterable[ConfigProblem]) -> list[ConfigProblem]:
    """Drop exact repeats; order by line (problems without a line last), then path."""
    unique = dict.fromkeys(problems)
    return sorted(unique, key=lambda p: (p.line if p.line is not None else math.inf, p.path))


def _problem(path: PathKey, message: str, lines: LineMap | None) -> ConfigProblem:
    return ConfigProblem(render_path(path), message, line_for(lines, path))


def _explain(error: ValidationError, lines: LineMap | None) -> Iterator[ConfigProblem]:
    path: PathKey = tuple(error.absolute_path)
    kind, expected, value, schema = (
        error.validator,
        error.validator_value,
        error.instance,
        error.schema,
    )
    if kind == "required":
        for name in expected:
            if isinstance(value, Mapping) and name not in value:
                yield _problem((*path, name), "required", lines)
    elif kind == "additionalProperties":
        known = list(schema.get("properties", {}))
        for key in value:
            if key not in known:
                yield _problem((*path, key), _unknown_key(key, known), lines)
    elif kind in ("anyOf", "oneOf"):
        yield from _explain_any_of(error, lines)
    elif kind == "pattern" and expected == _secret_pattern():
        return  # semantic.check_secrets reports these, knowing the sandbox rule
    else:
        yield _problem(path, _message(kind, expected, value, schema, error.message), lines)


def _explain_any_of(error: ValidationError, lines: LineMap | None) -> Iterator[ConfigProblem]:
    # Report the branch whose type fits the value; if none fits, list the types.
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or []:
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    wanted: list[str] = []
    for errors in branches.values():
        type_errors = [e for e in errors if e.validator == "type" and not e.relative_path]
        if not type_errors:
            for sub in errors:
                yield from _explain(sub, lines)
            return
        wanted.extend(_types(type_errors[0].validator_value))
    words = " or ".join(_TYPE_WORDS.get(t, t) for t in dict.fromkeys(wanted))
    message = f"must be {words}, got {_show(error.instance)}"
    yield _problem(tuple(error.absolute_path), message, lines)


def _message(kind: str, expected: Any, value: Any, schema: Mapping[str, Any], fallback: str) -> str:
    got = _show(value)
    if kind == "type":
        words = " or ".join(_TYPE_WORDS.get(t, t) for t in _types(expected))
        return f"must be {words}, got {got}"
    if kind == "enum":
        allowed = ", ".join(repr(v) for v in expected)
        return f"must be one of {allowed}, got {got}"
    if kind == "const":
        return f"must be {expected!r}, got {got}"
    if kind in ("minimum", "maximum") and "minimum" in schema and "maximum" in schema:
        return f"must be between {schema['minimum']} and {schema['maximum']}, got {got}"
    if kind == "minimum":
        return f"must be at least {expected}, got {got}"
    if kind == "maximum":
        return f"must be at most {expected}, got {got}"
    if kind == "minLength":
        return "must not be empty" if expected == 1 else f"must be at least {expected} characters"
    if kind == "pattern":
        hint = _PATTERN_HINTS.get(expected)
        return f"must be {hint}, got {got}" if hint else f"must match {expected}, got {got}"
    return fallback


def _unknown_key(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"unknown key {key!r} (did you mean {close[0]!r}?)"
    return f"unknown key {key!r} (allowed: {', '.join(known)})"


def _types(expected: str | list[str]) -> list[str]:
    return [expected] if isinstance(expected, str) else list(expected)


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "...'"
