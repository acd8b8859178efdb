"""The few statements that differ between SQLite, PostgreSQL and MySQL/MariaDB."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite


def insert_ignore(
    conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]], *, key: str
) -> int | None:
    """Insert ``rows``; a row whose unique key already exists is skipped.

    MySQL gets ``ON DUPLICATE KEY UPDATE key=key`` rather than ``INSERT
    IGNORE``, which would also swallow truncation and other real errors.

    :returns: how many rows went in where the database says so exactly (a
        batch on PostgreSQL), else None.
    """
    if not rows:
        return 0
    name = conn.dialect.name
    stmt: Any
    if name == "postgresql" and len(rows) >= UNNEST_FROM and _same_keys(rows):
        return _insert_unnest(conn, table, rows)
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
    return None


def among(column: sa.ColumnElement[Any], values: Sequence[Any], dialect: str) -> Any:
    """``column IN values``; on PostgreSQL ``column = ANY(array)``: one
    parameter instead of one per value, so the statement's text is the same
    for every batch and neither SQLAlchemy nor psycopg build it again (the
    duplicate check of every ingest chunk asks for 500 ids)."""
    if dialect == "postgresql":
        array = postgresql.ARRAY(column.type)
        return column == sa.any_(sa.bindparam(None, list(values), type_=array))
    return column.in_(list(values))


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


#: From this many rows PostgreSQL gets one ``INSERT ... SELECT FROM unnest(...)``
#: with one array per column instead of a pipelined ``executemany``: one
#: statement for the server to plan and run instead of one per row (about
#: twice as fast for the 500-row chunks ingest writes).
UNNEST_FROM = 16


def _same_keys(rows: Sequence[dict[str, Any]]) -> bool:
    keys = rows[0].keys()
    return all(row.keys() == keys for row in rows)


def _insert_unnest(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> int:
    columns = tuple(rows[0])
    sql, processors = _unnest_statement(table, columns, conn.dialect)
    params: dict[str, list[Any]] = {}
    for n, (column, process) in enumerate(zip(columns, processors, strict=True)):
        values = [row[column] for row in rows]
        params[f"c{n}"] = values if process is None else [process(v) for v in values]
    # one statement: its rowcount is the number of rows that went in
    return conn.exec_driver_sql(sql, params).rowcount


@lru_cache(maxsize=128)
def _unnest_statement(
    table: sa.Table, columns: tuple[str, ...], dialect: sa.Dialect
) -> tuple[str, list[Callable[[Any], Any] | None]]:
    quote = dialect.identifier_preparer
    arrays = []
    processors: list[Callable[[Any], Any] | None] = []
    for n, name in enumerate(columns):
        impl = table.c[name].type.dialect_impl(dialect)
        arrays.append(f"%(c{n})b::{impl.compile(dialect=dialect)}[]")
        processors.append(impl.bind_processor(dialect))
    sql = (
        f"INSERT INTO {quote.format_table(table)} "
        f"({', '.join(quote.quote(c) for c in columns)}) "
        f"SELECT * FROM unnest({', '.join(arrays)}) ON CONFLICT DO NOTHING"
    )
    return sql, processors
