"""Create and upgrade orderkit's tables with the Alembic migrations shipped in
the package (``orderkit db upgrade`` / ``orderkit db current``)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from orderkit.store.schema import build_tables

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _alembic_config(connection: sa.Connection, prefix: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = connection
    cfg.attributes["table_prefix"] = prefix
    return cfg


def upgrade(bind: sa.Engine | sa.Connection, prefix: str = "ok_", revision: str = "head") -> None:
    """Bring orderkit's tables to ``revision``. On an engine it commits; on a
    connection it runs inside the caller's transaction."""
    if isinstance(bind, sa.Engine):
        with bind.begin() as connection:
            command.upgrade(_alembic_config(connection, prefix), revision)
    else:
        command.upgrade(_alembic_config(bind, prefix), revision)


def current(bind: sa.Engine | sa.Connection, prefix: str = "ok_") -> str | None:
    """The revision the database is at, or None if orderkit's tables are absent."""
    version_table = build_tables(prefix).version_table

    def read(connection: sa.Connection) -> str | None:
        ctx = MigrationContext.configure(connection, opts={"version_table": version_table})
        return ctx.get_current_revision()

    if isinstance(bind, sa.Engine):
        with bind.connect() as connection:
            return read(connection)
    return read(bind)


def head() -> str:
    """The newest revision shipped with this orderkit."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    revision = ScriptDirectory.from_config(cfg).get_current_head()
    assert revision is not None
    return revision
