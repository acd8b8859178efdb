"""The per-shop sync cursor and its lease, in the store's ``sync_cursors`` table.

The lease is one conditional UPDATE, so two workers never sync one shop at
once; the watermark moves only for the lease holder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from orderkit._process import holder_is_dead
from orderkit.clock import Clock
from orderkit.store.db import Database, aware, utcnow_naive
from orderkit.store.dialect import insert_ignore
from orderkit.store.schema import Tables


@dataclass(frozen=True)
class CursorState:
    shop_id: str
    watermark: datetime | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    consecutive_failures: int


class Cursors:
    def __init__(self, db: Database, tables: Tables, clock: Clock) -> None:
        self._db = db
        self._c = tables.sync_cursors
        self._clock = clock

    def state(self, shop_id: str) -> CursorState | None:
        with self._db.transaction() as conn:
            row = conn.execute(sa.select(self._c).where(self._c.c.shop_id == shop_id)).first()
        if row is None:
            return None
        return CursorState(
            shop_id=row.shop_id,
            watermark=aware(row.watermark),
            lease_owner=row.lease_owner,
            lease_expires_at=aware(row.lease_expires_at),
            last_success_at=aware(row.last_success_at),
            last_error=row.last_error,
            consecutive_failures=row.consecutive_failures,
        )

    def acquire(self, shop_id: str, channel: str, owner: str, ttl: timedelta) -> bool:
        """Take (or renew) the shop's lease; False if another worker holds it."""
        c = self._c
        now = utcnow_naive(self._clock.now())

        def work(conn: sa.Connection) -> bool:
            insert_ignore(
                conn,
                c,
                [
                    {
                        "shop_id": shop_id,
                        "channel": channel,
                        "watermark": None,
                        "consecutive_failures": 0,
                        "updated_at": now,
                    }
                ],
                key="shop_id",
            )
            taken = conn.execute(
                c.update()
                .where(c.c.shop_id == shop_id)
                .where(
                    sa.or_(
                        c.c.lease_owner.is_(None),
                        c.c.lease_owner == owner,
                        c.c.lease_expires_at < now,
                    )
                )
                .values(lease_owner=owner, lease_expires_at=now + ttl, updated_at=now)
            ).rowcount
            if taken != 1:
                # a worker of this host that was killed holds it: take it over now
                # rather than after the lease runs out
                holder = conn.execute(
                    sa.select(c.c.lease_owner).where(c.c.shop_id == shop_id)
                ).scalar()
                if holder_is_dead(holder):
                    taken = conn.execute(
                        c.update()
                        .where(c.c.shop_id == shop_id, c.c.lease_owner == holder)
                        .values(lease_owner=owner, lease_expires_at=now + ttl, updated_at=now)
                    ).rowcount
            return bool(taken == 1)

        return self._db.run(work)

    def advance(self, shop_id: str, owner: str, watermark: datetime, ttl: timedelta) -> bool:
        """Move the watermark (and renew the lease) if we still hold the lease."""
        c = self._c
        now = utcnow_naive(self._clock.now())
        with self._db.transaction() as conn:
            moved = conn.execute(
                c.update()
                .where(c.c.shop_id == shop_id, c.c.lease_owner == owner)
                .values(
                    watermark=utcnow_naive(watermark), lease_expires_at=now + ttl, updated_at=now
                )
            ).rowcount
        return bool(moved == 1)

    def finish(self, shop_id: str, owner: str, *, error: str | None) -> None:
        """Release the lease and record how the pass ended."""
        c = self._c
        now = utcnow_naive(self._clock.now())
        values: dict[str, object] = {
            "lease_owner": None,
            "lease_expires_at": None,
            "updated_at": now,
        }
        if error is None:
            values |= {"last_success_at": now, "last_error": None, "consecutive_failures": 0}
        else:
            values |= {
                "last_error": error[:2000],
                "consecutive_failures": c.c.consecutive_failures + 1,
            }
        with self._db.transaction() as conn:
            conn.execute(
                c.update().where(c.c.shop_id == shop_id, c.c.lease_owner == owner).values(values)
            )
