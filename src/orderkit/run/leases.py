"""Job leases in the shared database (``jobs`` table).

A runner takes a job with one conditional UPDATE: only when nobody holds it
(or the holder's lease ran out) and, outside ``--once``, only when it is due.
Two ``orderkit run`` processes on one PostgreSQL or MySQL database therefore
never run the same job at once; a crashed runner's lease simply expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from orderkit.store.db import Database, aware, utcnow_naive
from orderkit.store.dialect import insert_ignore
from orderkit.store.schema import Tables


@dataclass(frozen=True)
class JobState:
    name: str
    lease_owner: str | None
    lease_expires_at: datetime | None
    next_due_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    runs: int


class JobLeases:
    def __init__(self, db: Database, tables: Tables) -> None:
        self._db = db
        self._t = tables.jobs

    def ensure(self, names: list[str], now: datetime) -> None:
        """Create missing job rows (due at once)."""
        at = utcnow_naive(now)
        rows = [
            {"name": n, "consecutive_failures": 0, "runs": 0, "next_due_at": at, "updated_at": at}
            for n in names
        ]
        self._db.run(lambda conn: insert_ignore(conn, self._t, rows, key="name"))

    def acquire(
        self, name: str, owner: str, now: datetime, ttl: timedelta, *, due_only: bool
    ) -> bool:
        t = self._t
        at = utcnow_naive(now)
        free = sa.or_(
            t.c.lease_owner.is_(None), t.c.lease_expires_at < at, t.c.lease_owner == owner
        )
        where = [t.c.name == name, free]
        if due_only:
            where.append(sa.or_(t.c.next_due_at.is_(None), t.c.next_due_at <= at))
        stmt = (
            t.update()
            .where(*where)
            .values(
                lease_owner=owner,
                lease_expires_at=utcnow_naive(now + ttl),
                last_started_at=at,
                updated_at=at,
            )
        )
        return bool(self._db.run(lambda conn: conn.execute(stmt).rowcount))

    def renew(self, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
        """Keep a long job's lease; False means another runner took it over."""
        t = self._t
        stmt = (
            t.update()
            .where(t.c.name == name, t.c.lease_owner == owner)
            .values(lease_expires_at=utcnow_naive(now + ttl), updated_at=utcnow_naive(now))
        )
        return bool(self._db.run(lambda conn: conn.execute(stmt).rowcount))

    def finish(
        self,
        name: str,
        owner: str,
        now: datetime,
        *,
        next_due: datetime,
        error: str | None,
    ) -> None:
        t = self._t
        at = utcnow_naive(now)
        values: dict[str, object] = {
            "lease_owner": None,
            "lease_expires_at": None,
            "last_finished_at": at,
            "next_due_at": utcnow_naive(next_due),
            "runs": t.c.runs + 1,
            "updated_at": at,
        }
        if error is None:
            values.update(last_ok_at=at, last_error=None, consecutive_failures=0)
        else:
            values.update(
                last_error=error[:2000], consecutive_failures=t.c.consecutive_failures + 1
            )
        stmt = t.update().where(t.c.name == name, t.c.lease_owner == owner).values(**values)
        self._db.run(lambda conn: conn.execute(stmt))

    def release(self, name: str, owner: str) -> None:
        """Drop ``owner``'s lease (a runner that is known to be gone)."""
        t = self._t
        stmt = (
            t.update()
            .where(t.c.name == name, t.c.lease_owner == owner)
            .values(lease_owner=None, lease_expires_at=None)
        )
        self._db.run(lambda conn: conn.execute(stmt))

    def make_due(self, name: str, now: datetime) -> None:
        """Run a job at the next tick (a push marked a shop)."""
        t = self._t
        stmt = t.update().where(t.c.name == name).values(next_due_at=utcnow_naive(now))
        self._db.run(lambda conn: conn.execute(stmt))

    def states(self) -> list[JobState]:
        t = self._t
        with self._db.transaction() as conn:
            rows = conn.execute(sa.select(t).order_by(t.c.name)).all()
        return [
            JobState(
                name=r.name,
                lease_owner=r.lease_owner,
                lease_expires_at=aware(r.lease_expires_at),
                next_due_at=aware(r.next_due_at),
                last_ok_at=aware(r.last_ok_at),
                last_error=r.last_error,
                consecutive_failures=int(r.consecutive_failures or 0),
                runs=int(r.runs or 0),
            )
            for r in rows
        ]

    def holder(self, name: str, now: datetime) -> str | None:
        """Who holds ``name`` right now (an unexpired lease), if anyone."""
        t = self._t
        with self._db.transaction() as conn:
            row = conn.execute(
                sa.select(t.c.lease_owner, t.c.lease_expires_at).where(t.c.name == name)
            ).first()
        if row is None or row.lease_owner is None:
            return None
        expires = aware(row.lease_expires_at)
        return row.lease_owner if expires is not None and expires > now else None
