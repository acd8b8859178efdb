"""Migrations from empty on every backend; they create exactly the tables the
code expects, and never touch the ERP's own tables."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from orderkit.store import build_tables, create_engine, migrate


def test_upgrade_from_empty_matches_the_code(db_url: str, table_prefix: str) -> None:
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:  # an ERP table that must survive untouched
            conn.execute(sa.text(f"CREATE TABLE {table_prefix}erp_keep (id INTEGER PRIMARY KEY)"))
        assert migrate.current(engine, table_prefix) is None
        migrate.upgrade(engine, table_prefix)
        migrate.upgrade(engine, table_prefix)  # a second upgrade is a no-op
        assert migrate.current(engine, table_prefix) == migrate.head()

        tables = build_tables(table_prefix)
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn,
                opts={
                    "include_name": lambda name, type_, parent: (
                        type_ != "table"
                        or (
                            str(name).startswith(table_prefix)
                            and not str(name).startswith(f"{table_prefix}erp")
                        )
                    ),
                    "compare_type": True,
                },
            )
            diffs = [
                d
                for d in compare_metadata(ctx, tables.metadata)
                if not (isinstance(d, tuple) and d[0] == "remove_table")
            ]
            names = set(sa.inspect(conn).get_table_names())
        assert diffs == [], diffs
        assert {t.name for t in tables.metadata.sorted_tables} <= names
        assert f"{table_prefix}erp_keep" in names

        from alembic import command

        from orderkit.store.migrate import _alembic_config

        with engine.begin() as conn:
            command.downgrade(_alembic_config(conn, table_prefix), "base")
        with engine.connect() as conn:
            left = {n for n in sa.inspect(conn).get_table_names() if n.startswith(table_prefix)}
        assert left == {f"{table_prefix}erp_keep", tables.version_table}
    finally:
        engine.dispose()


def test_two_prefixes_live_side_by_side(db_url: str, table_prefix: str) -> None:
    engine = create_engine(db_url)
    other = table_prefix + "b_"
    try:
        migrate.upgrade(engine, table_prefix)
        migrate.upgrade(engine, other)
        assert migrate.current(engine, other) == migrate.head()
    finally:
        from tests.databases import drop_prefixed

        drop_prefixed(db_url, other)
        engine.dispose()
