"""Database fixtures: every store test runs on SQLite, and on PostgreSQL and
MariaDB when ``ORDERKIT_TEST_POSTGRES_URL`` / ``ORDERKIT_TEST_MYSQL_URL`` are
set. Under ``ORDERKIT_REQUIRE_DATABASES=1`` (CI) a missing server fails
instead of skipping. Each test gets its own table prefix, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

BACKENDS = ("sqlite", "postgres", "mysql")
_ENV = {"postgres": "ORDERKIT_TEST_POSTGRES_URL", "mysql": "ORDERKIT_TEST_MYSQL_URL"}


def server_url(backend: str) -> str:
    """The URL of a real server, or skip (fail under CI) when it is not configured."""
    url = os.environ.get(_ENV[backend])
    if not url:
        if os.environ.get("ORDERKIT_REQUIRE_DATABASES") == "1":
            pytest.fail(f"{_ENV[backend]} is not set but ORDERKIT_REQUIRE_DATABASES=1")
        pytest.skip(f"{_ENV[backend]} not set")
    return url


def database_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'orderkit.db'}"
    return server_url(backend)


def new_prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}_"


def drop_prefixed(url: str, prefix: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for name in sa.inspect(conn).get_table_names():
                if name.startswith(prefix):
                    conn.execute(
                        sa.text(f"DROP TABLE {conn.dialect.identifier_preparer.quote(name)}")
                    )
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def db_url(backend: str, tmp_path: Path) -> str:
    return database_url(backend, tmp_path)


@pytest.fixture()
def table_prefix(db_url: str) -> Iterator[str]:
    prefix = new_prefix()
    yield prefix
    drop_prefixed(db_url, prefix)
