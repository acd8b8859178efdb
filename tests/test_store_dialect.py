"""The statements that differ by database: ``insert_ignore`` (PostgreSQL writes
a batch as one ``INSERT ... SELECT FROM unnest(arrays)``) and ``among``
(PostgreSQL: ``= ANY(array)``), on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from orderkit.store import create_engine
from orderkit.store.dialect import UNNEST_FROM, among, insert_ignore
from orderkit.store.schema import ID, LongText, Timestamp

TRICKY = "a'b\"c\\d{e},f NULL 中文 \N{EM DASH} \x01"


def table(prefix: str) -> tuple[sa.MetaData, sa.Table]:
    metadata = sa.MetaData()
    return metadata, sa.Table(
        f"{prefix}items",
        metadata,
        sa.Column("id", ID, primary_key=True),
        sa.Column("at", Timestamp, nullable=True),
        sa.Column("flag", sa.Boolean, nullable=True),
        sa.Column("n", sa.Integer, nullable=True),
        sa.Column("body", LongText, nullable=True),
    )


def rows(ids: range, **values: Any) -> list[dict[str, Any]]:
    out = []
    for i in ids:
        row: dict[str, Any] = {
            "id": f"k{i:03d}",
            "at": datetime(2026, 11, 22, 8, i % 60, 5, 123456) if i % 3 else None,
            "flag": None if i % 5 == 0 else i % 2 == 0,
            "n": i if i % 4 else None,
            "body": None if i % 7 == 0 else f"{TRICKY} #{i}",
        }
        row.update(values)
        out.append(row)
    return out


def test_a_batch_goes_in_once_with_every_value_intact(db_url: str, table_prefix: str) -> None:
    engine = create_engine(db_url)
    metadata, items = table(table_prefix)
    metadata.create_all(engine)
    first = rows(range(0, 2 * UNNEST_FROM))
    # overlapping: half already there (changed values must not overwrite them)
    second = rows(range(UNNEST_FROM, 3 * UNNEST_FROM), body="overwritten?")
    with engine.begin() as conn:
        inserted_first = insert_ignore(conn, items, first, key="id")
        inserted_second = insert_ignore(conn, items, second, key="id")
        assert insert_ignore(conn, items, [], key="id") == 0
    if engine.dialect.name == "postgresql":
        # one statement per batch: its count is exact, conflicts excluded
        assert (inserted_first, inserted_second) == (2 * UNNEST_FROM, UNNEST_FROM)
    else:
        assert inserted_first is None and inserted_second is None
    with engine.connect() as conn:
        stored = {row.id: row._asdict() for row in conn.execute(sa.select(items))}
    expected = {row["id"]: row for row in first + second[UNNEST_FROM:]}
    assert stored == expected
    engine.dispose()


def test_among_finds_the_same_rows_as_in(db_url: str, table_prefix: str) -> None:
    engine = create_engine(db_url)
    metadata, items = table(table_prefix)
    metadata.create_all(engine)
    with engine.begin() as conn:
        insert_ignore(conn, items, rows(range(40)), key="id")
        wanted = ["k001", "k017", "k039", "missing", "k017"]
        found = conn.execute(
            sa.select(items.c.id).where(among(items.c.id, wanted, conn.dialect.name))
        ).scalars()
        assert sorted(found) == ["k001", "k017", "k039"]
        none = conn.execute(
            sa.select(items.c.id).where(among(items.c.id, ["nope"], conn.dialect.name))
        ).all()
        assert none == []
    engine.dispose()
