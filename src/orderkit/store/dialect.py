"""The few statements that differ between SQLite, PostgreSQL and MySQL/MariaDB."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite


def insert_ignore(
    conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]], *, key: str
) -> None:
    """Insert ``rows``; a row whose unique key already exists is skipped.

    MySQL gets ``ON DUPLICATE KEY UPDATE key=key`` rather than ``INSERT
    IGNORE``, which would also swallow truncation and other real errors.
    """
    if not rows:
        return
    name = conn.dialect.name
    stmt: Any
    if name == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing()
    elif name == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing()
    elif name in ("mysql", "mariadb"):
        ins = mysql.insert(table)
        stmt = ins.on_duplicate_key_update({key: table.c[key]})
    else:  # pragma: no cover - other dialects are not supported
        raise NotImplementedError(f"dialect {name} is not supported")
    conn.execute(stmt, list(rows))


def upsert(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str],
    update: dict[str, Any],
) -> None:
    """Insert ``rows``; on a unique conflict on ``conflict`` apply ``update``.

    An ``update`` value is a constant, an expression over the existing row
    (``table.c.seen_count + 1``), or a callable given the incoming row's
    columns (``lambda new: new.last_seen_at``)."""
    if not rows:
        return
    name = conn.dialect.name
    stmt: Any
    if name in ("postgresql", "sqlite"):
        ins = (postgresql if name == "postgresql" else sqlite).insert(table)
        values = {k: (v(ins.excluded) if callable(v) else v) for k, v in update.items()}
        stmt = ins.on_conflict_do_update(index_elements=list(conflict), set_=values)
    elif name in ("mysql", "mariadb"):
        mins = mysql.insert(table)
        values = {k: (v(mins.inserted) if callable(v) else v) for k, v in update.items()}
        stmt = mins.on_duplicate_key_update(values)
    else:  # pragma: no cover
        raise NotImplementedError(f"dialect {name} is not supported")
    conn.execute(stmt, list(rows))
