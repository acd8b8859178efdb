"""How orderkit reaches the database: its own engine, or the ERP's connection
or session, in which case every write joins the ERP's transaction."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from orderkit.clock import Sleeper, SystemSleeper

T = TypeVar("T")

# PostgreSQL SQLSTATEs and MySQL error numbers that mean "run it again".
_RETRY_SQLSTATES = {"40P01", "40001", "55P03"}
_RETRY_MYSQL = {1213, 1205, 1020}


#: SQLite: WAL pages between automatic checkpoints.
SQLITE_CHECKPOINT_PAGES = 8192


def create_engine(url: str, **kwargs: Any) -> sa.Engine:
    """An engine with sane defaults per dialect (SQLite: WAL and a busy timeout)."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = sa.create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            if ":memory:" not in url and url not in {"sqlite://", "sqlite:///"}:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Order and event ids are hashes, so each chunk of inserts dirties
            # index pages all over the file. A checkpoint every 8,192 WAL pages
            # (32 MiB) instead of SQLite's 1,000 writes each such page once per
            # many chunks, not once per chunk: fresh ingest of 100,000 orders
            # ran ~20 % faster (bench/ingest.py). A larger page cache did not
            # help, so it stays at SQLite's default (memory per connection).
            cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_CHECKPOINT_PAGES}")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


def is_retryable(exc: BaseException) -> bool:
    """A deadlock, serialization failure or lock timeout: worth running again."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in _RETRY_SQLSTATES:
        return True
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and args[0] in _RETRY_MYSQL:
        return True
    return "database is locked" in str(orig)


def utcnow_naive(value: datetime) -> datetime:
    """Aware datetime -> naive UTC, as stored."""
    return value.astimezone(UTC).replace(tzinfo=None)


def aware(value: datetime | None) -> datetime | None:
    """Stored naive UTC -> aware UTC."""
    return None if value is None else value.replace(tzinfo=UTC)


class Database:
    """Wraps what the ERP handed us.

    - an ``Engine``: orderkit opens and commits its own transactions and
      retries deadlocks;
    - a ``Connection`` or ``Session``: orderkit writes inside the caller's
      transaction and never commits; the caller's rollback removes our rows.
    """

    def __init__(
        self, bind: sa.Engine | sa.Connection | Session, *, sleeper: Sleeper | None = None
    ) -> None:
        self._bind = bind
        self._sleeper = sleeper or SystemSleeper()

    @property
    def owns_transactions(self) -> bool:
        return isinstance(self._bind, sa.Engine)

    @property
    def dialect(self) -> str:
        if isinstance(self._bind, Session):
            return self._bind.get_bind().dialect.name
        return self._bind.dialect.name

    @property
    def engine(self) -> sa.Engine | None:
        return self._bind if isinstance(self._bind, sa.Engine) else None

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        if isinstance(self._bind, sa.Engine):
            with self._bind.begin() as conn:
                yield conn
        elif isinstance(self._bind, Session):
            yield self._bind.connection()
        else:
            yield self._bind

    def run(self, work: Callable[[sa.Connection], T], *, attempts: int = 8) -> T:
        """Run ``work`` in one transaction, again on a deadlock when we own it."""
        for attempt in range(1, attempts + 1):
            try:
                with self.transaction() as conn:
                    return work(conn)
            except sa.exc.DBAPIError as exc:
                if not (self.owns_transactions and is_retryable(exc)) or attempt == attempts:
                    raise
                # jittered backoff so racing workers do not collide again
                self._sleeper.sleep(min(2.0, 0.02 * 2**attempt) * random.uniform(0.5, 1.5))
        raise AssertionError("unreachable")
