"""Checks the JSON Schema cannot express: uniqueness, codes known to the installed
plugins, secrets written inline, passwords in database URLs, zero intervals.

Every check is defensive about types: it runs even when the schema already
found problems, so one run reports everything.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from orderkit.config.model import is_sandbox_endpoint, parse_duration
from orderkit.config.yaml_lines import LineMap, PathKey, line_for, render_path
from orderkit.errors import ConfigProblem

INLINE_SECRET = "must be an env: reference"

# Secrets by position; any other key is a secret when its name says so.
_SECRET_FIELDS = {
    "shops": ("app_secret", "session", "access_token", "refresh_token"),
    "couriers": ("account", "check_word", "app_secret", "access_token"),
}
_SECRET_WORDS = ("secret", "password", "token")
_ENV_REF = re.compile(r"^env:[A-Za-z_][A-Za-z0-9_]*$")


def plain_data(data: Any, lines: LineMap | None) -> tuple[Any, list[ConfigProblem]]:
    """JSON-like copy of ``data``: dicts with text keys, lists; flags non-text keys.

    YAML reads ``00123:`` as the number 83 and ``yes:`` as true, so such keys are
    reported rather than silently turned into text.
    """
    problems: list[ConfigProblem] = []

    def convert(value: Any, path: PathKey) -> Any:
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for key, item in value.items():
                text = str(key)
                if not isinstance(key, str):
                    where = (*path, text)
                    message = (
                        f"key {text} must be text: quote it as written in the file "
                        f"(unquoted, YAML reads it as {type(key).__name__} {text})"
                    )
                    problems.append(
                        ConfigProblem(render_path(where), message, line_for(lines, where))
                    )
                out[text] = convert(item, (*path, text))
            return out
        if isinstance(value, Sequence) and not isinstance(value, str | bytes):
            return [convert(item, (*path, i)) for i, item in enumerate(value)]
        return value

    return convert(data, ()), problems


def check_semantics(
    doc: Any,
    lines: LineMap | None,
    *,
    known_channels: Collection[str] | None = None,
    known_couriers: Collection[str] | None = None,
) -> list[ConfigProblem]:
    """Problems the schema cannot find; ``doc`` is the output of ``plain_data``."""
    if not isinstance(doc, dict):
        return []  # the schema already says the file must be a mapping
    found = [
        *_duplicates(doc, "shops", key="id", what="shop id"),
        *_duplicates(doc, "warehouses", key="code", what="warehouse code"),
        *_duplicates(doc, "couriers", key="code", what="courier code"),
        *_rule_duplicates(doc),
        *_check_secrets(doc),
        *_check_database_url(doc),
        *_check_intervals(doc),
        *_check_fallbacks(doc),
        *_check_notifications(doc),
    ]
    if known_channels is not None:
        found.extend(_unknown_channels(doc, known_channels))
    if known_couriers is not None:
        found.extend(_unknown_codes(_items(doc, "couriers"), "code", known_couriers, "courier"))
    problems = [ConfigProblem(render_path(p), msg, line_for(lines, p)) for p, msg in found]
    return problems + _lint_rules(doc, lines)


def _lint_rules(doc: Mapping[str, Any], lines: LineMap | None) -> list[ConfigProblem]:
    """Rule lint (overlaps, unreachable rules, expired windows, unknown codes):
    warnings with lines, plus errors for impossible dates."""
    from orderkit.rules import lint_rules  # the rules package is only needed here

    return lint_rules(doc, lines)


Found = Iterator[tuple[PathKey, str]]


def _items(doc: Mapping[str, Any], *path: str) -> Iterator[tuple[PathKey, dict[str, Any]]]:
    """(path, item) for each mapping in the list at ``path``."""
    node: Any = doc
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, list):
        for i, item in enumerate(node):
            if isinstance(item, dict):
                yield (*path, i), item


def _duplicates(doc: Mapping[str, Any], *section: str, key: str, what: str) -> Found:
    seen: dict[str, PathKey] = {}
    for path, item in _items(doc, *section):
        value = item.get(key)
        if not isinstance(value, str):
            continue
        if value in seen:
            yield (*path, key), f"duplicate {what} {value!r} (also {render_path(seen[value])})"
        else:
            seen[value] = path


def _rule_duplicates(doc: Mapping[str, Any]) -> Found:
    rules = doc.get("rules")
    if isinstance(rules, dict):
        for section in rules:
            yield from _duplicates(doc, "rules", section, key="id", what="rule id")


def _unknown_channels(doc: Mapping[str, Any], known: Collection[str]) -> Found:
    yield from _unknown_codes(_items(doc, "shops"), "channel", known, "channel")
    overrides = doc.get("status_overrides")
    if isinstance(overrides, dict):
        for code in overrides:
            if code not in known:
                yield ("status_overrides", code), _unknown_message("channel", code, known)


def _unknown_codes(
    items: Iterator[tuple[PathKey, dict[str, Any]]], key: str, known: Collection[str], what: str
) -> Found:
    for path, item in items:
        code = item.get(key)
        if isinstance(code, str) and code not in known:
            yield (*path, key), _unknown_message(what, code, known)


def _unknown_message(what: str, code: str, known: Collection[str]) -> str:
    if not known:
        return f"unknown {what} {code!r}: no {what} plugins are installed"
    close = difflib.get_close_matches(code, list(known), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"installed: {', '.join(sorted(known))}"
    return f"unknown {what} {code!r} ({hint})"


def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def secret_leaves(
    node: Any, path: PathKey = (), owner: Mapping[str, Any] | None = None
) -> Iterator[tuple[PathKey, Any, Mapping[str, Any] | None]]:
    """(path, value, owner) of every secret in ``node``: fixed secret fields and any
    key named like a secret. ``owner`` is the shop or courier entry holding it."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            item_owner = item if len(path) == 1 and path[0] in _SECRET_FIELDS else owner
            yield from secret_leaves(item, (*path, i), item_owner)
        return
    if not isinstance(node, dict):
        return
    fixed = _SECRET_FIELDS.get(str(path[0]), ()) if len(path) == 2 else ()
    for key, value in node.items():
        if isinstance(value, dict | list):
            yield from secret_leaves(value, (*path, key), owner)
        elif key in fixed or _is_secret_key(key):
            yield (*path, key), value, owner


def _check_secrets(doc: Mapping[str, Any]) -> Found:
    # The owner's endpoint decides whether a sandbox: value is acceptable.
    for path, value, owner in secret_leaves(doc):
        message = _secret_problem(value, owner)
        if message:
            yield path, message


def _secret_problem(value: Any, owner: Mapping[str, Any] | None) -> str | None:
    if value is None or isinstance(value, bool):
        return None  # not a secret value at all; the schema checks types
    if not isinstance(value, str):
        return INLINE_SECRET
    if value.startswith("env:"):
        if _ENV_REF.match(value):
            return None
        return f"{INLINE_SECRET} like env:TAOBAO_APP_SECRET (letters, digits and _ after env:)"
    if value.startswith("sandbox:") and len(value) > len("sandbox:"):
        endpoint = owner.get("endpoint") if owner is not None else None
        if isinstance(endpoint, str) and is_sandbox_endpoint(endpoint):
            return None
        return (
            f"{INLINE_SECRET} (sandbox: values are accepted only when the endpoint is "
            "'sandbox' or a local sandbox URL such as http://127.0.0.1:PORT)"
        )
    return INLINE_SECRET


def _check_fallbacks(doc: Mapping[str, Any]) -> Found:
    # A fallback is booked with its own couriers[] entry (endpoint, credentials).
    couriers = list(_items(doc, "couriers"))
    configured = [str(c["code"]) for _, c in couriers if isinstance(c.get("code"), str)]
    for path, courier in couriers:
        fallback = courier.get("fallback")
        if not isinstance(fallback, list):
            continue
        for i, code in enumerate(fallback):
            if not isinstance(code, str):
                continue  # the schema reports the type
            where = (*path, "fallback", i)
            if code == courier.get("code"):
                yield where, f"courier {code!r} cannot be its own fallback"
            elif code not in configured:
                known = ", ".join(c for c in configured if c != courier.get("code")) or "none"
                yield where, f"fallback {code!r} is not configured under couriers ({known})"


def _check_database_url(doc: Mapping[str, Any]) -> Found:
    database = doc.get("database")
    url = database.get("url") if isinstance(database, dict) else None
    if not isinstance(url, str) or url.startswith("env:"):
        return
    try:
        password = urlsplit(url).password
    except ValueError:
        return  # malformed: the schema's URL pattern reports it
    if password:
        yield ("database", "url"), f"{INLINE_SECRET} when the URL contains a password"


def _check_intervals(doc: Mapping[str, Any]) -> Found:
    for path, shop in _items(doc, "shops"):
        value = shop.get("sync_interval")
        try:
            seconds = parse_duration(value) if isinstance(value, int | str) else None
        except ValueError:
            continue  # the schema reports the format
        if seconds == 0:
            yield (*path, "sync_interval"), "must be longer than 0 seconds"


# Query parameters that make a notifier URL a secret (WeCom: ?key=...).
_URL_SECRET_PARAMS = ("key", "token", "secret", "sign", "password")


def _check_notifications(doc: Mapping[str, Any]) -> Found:
    yield from _duplicates(doc, "notifications", key="id", what="notifier id")
    for path, item in _items(doc, "notifications"):
        url = item.get("url")
        if isinstance(url, str) and not url.startswith("env:") and _url_holds_secret(url):
            yield (
                (*path, "url"),
                (
                    f"{INLINE_SECRET} when the URL holds a key or password "
                    "(a WeCom robot URL carries its key: write url: env:WECOM_ROBOT_URL)"
                ),
            )
        if item.get("type") == "wecom" and "secret" in item:
            yield (*path, "secret"), "not used by wecom (the robot's key is part of its url)"
        timeout = item.get("timeout")
        try:
            seconds = parse_duration(timeout) if isinstance(timeout, int | str) else None
        except ValueError:
            continue  # the schema reports the format
        if seconds == 0:
            yield (*path, "timeout"), "must be longer than 0 seconds"


def _url_holds_secret(url: str) -> bool:
    try:
        parts = urlsplit(url)
        params = parse_qsl(parts.query, keep_blank_values=True)
        password = parts.password
    except ValueError:
        return False  # malformed: the schema's URL pattern reports it
    names = (name.lower() for name, _value in params)
    return bool(password) or any(
        name.endswith(_URL_SECRET_PARAMS) or _is_secret_key(name) for name in names
    )
