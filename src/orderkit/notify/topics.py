"""Topic patterns: ``*`` matches any text, every other character only itself,
and case is ignored. The same rule runs in Python and in SQL (``LIKE``), so
the dispatcher filters in the database and never fetches an event a consumer
does not want."""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa

#: ``LIKE`` escape character; "/" never appears in topics and, unlike "\\",
#: needs no quoting rules of its own on MySQL.
_ESCAPE = "/"


def matches(topic: str, patterns: Sequence[str]) -> bool:
    """True when ``topic`` matches one of ``patterns``."""
    return any(_regex(pattern).fullmatch(topic) for pattern in patterns)


def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.IGNORECASE)


def like_pattern(pattern: str) -> str:
    """``pattern`` as a lower-case ``LIKE`` pattern (escape ``/``)."""
    escaped = "".join(f"{_ESCAPE}{c}" if c in "%_/" else c for c in pattern.lower())
    return escaped.replace("*", "%")


def sql_filter(topic: sa.ColumnElement[str], patterns: Sequence[str]) -> sa.ColumnElement[bool]:
    """A WHERE clause selecting the topics ``patterns`` match (``true`` for ``*``).

    ``lower(topic) LIKE`` rather than ``ILIKE``: one spelling on every backend,
    and SQLite's and MariaDB's LIKE ignore case anyway."""
    if any(set(pattern) == {"*"} for pattern in patterns):
        return sa.true()
    if not patterns:
        return sa.false()
    lowered = sa.func.lower(topic)
    return sa.or_(*(lowered.like(like_pattern(p), escape=_ESCAPE) for p in patterns))
