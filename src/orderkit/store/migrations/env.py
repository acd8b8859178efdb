"""Alembic environment for orderkit's tables. Always run through
``orderkit.store.migrate``, which passes the connection and the table prefix."""

from __future__ import annotations

from alembic import context

from orderkit.store.schema import build_tables

config = context.config
prefix: str = config.attributes["table_prefix"]
connection = config.attributes["connection"]
tables = build_tables(prefix)

# Only our prefixed tables: the ERP's own tables in the same database are
# never touched (no autogenerate drops, no version-table clash).
context.configure(
    connection=connection,
    target_metadata=tables.metadata,
    version_table=tables.version_table,
    include_name=lambda name, type_, parent: type_ != "table" or str(name).startswith(prefix),
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
