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
    # one statement: its rowcount is the number of rows that went in
    return conn.exec_driver_sql(sql, _arrays(rows, columns, processors)).rowcount


def update_unnest(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    *,
    match: dict[str, str],
) -> int:
    """PostgreSQL: one ``UPDATE ... FROM unnest(...)`` for many rows. Each
    row's ``match`` keys (parameter -> column) pick the table row, which gets
    every other key as a column value; returns how many rows were updated.

    A table row may be picked by one row only (PostgreSQL updates it once):
    callers split repeated keys into separate calls. All rows share one set
    of keys.
    """
    keys = tuple(rows[0])
    sql, processors = _update_unnest_statement(
        table, keys, tuple(sorted(match.items())), conn.dialect
    )
    return conn.exec_driver_sql(sql, _arrays(rows, keys, processors)).rowcount


def _arrays(
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    processors: Sequence[Callable[[Any], Any] | None],
) -> dict[str, list[Any]]:
    params: dict[str, list[Any]] = {}
    for n, (key, process) in enumerate(zip(keys, processors, strict=True)):
        values = [row[key] for row in rows]
        params[f"c{n}"] = values if process is None else [process(v) for v in values]
    return params


def _array_of(
    table: sa.Table, column: str, n: int, dialect: sa.Dialect
) -> tuple[str, Callable[[Any], Any] | None]:
    """The ``%(cN)b::type[]`` parameter of one column, and its bind processor."""
    impl = table.c[column].type.dialect_impl(dialect)
    return f"%(c{n})b::{impl.compile(dialect=dialect)}[]", impl.bind_processor(dialect)


@lru_cache(maxsize=128)
def _update_unnest_statement(
    table: sa.Table,
    keys: tuple[str, ...],
    match: tuple[tuple[str, str], ...],
    dialect: sa.Dialect,
) -> tuple[str, list[Callable[[Any], Any] | None]]:
    quote = dialect.identifier_preparer
    matched = dict(match)
    arrays, processors = zip(
        *(_array_of(table, matched.get(key, key), n, dialect) for n, key in enumerate(keys)),
        strict=True,
    )
    name = quote.format_table(table)
    sets = [f"{quote.quote(key)} = v.c{n}" for n, key in enumerate(keys) if key not in matched]
    wheres = [
        f"{name}.{quote.quote(matched[key])} = v.c{n}"
        for n, key in enumerate(keys)
        if key in matched
    ]
    sql = (
        f"UPDATE {name} SET {', '.join(sets)} "
        f"FROM unnest({', '.join(arrays)}) AS v({', '.join(f'c{n}' for n in range(len(keys)))}) "
        f"WHERE {' AND '.join(wheres)}"
    )
    return sql, list(processors)


@lru_cache(maxsize=128)
def _unnest_statement(
    table: sa.Table, columns: tuple[str, ...], dialect: sa.Dialect
) -> tuple[str, list[Callable[[Any], Any] | None]]:
    quote = dialect.identifier_preparer
    arrays, processors = zip(
        *(_array_of(table, name, n, dialect) for n, name in enumerate(columns)), strict=True
    )
    sql = (
        f"INSERT INTO {quote.format_table(table)} "
        f"({', '.join(quote.quote(c) for c in columns)}) "
        f"SELECT * FROM unnest({', '.join(arrays)}) ON CONFLICT DO NOTHING"
    )
    return sql, list(processors)
