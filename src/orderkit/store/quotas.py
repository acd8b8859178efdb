"""Gift quotas: limited-quantity gift rules (total and per day) claimed
atomically per (order, rule), released on cancel or refund.

Usage rows are counted with conditional UPDATEs (``used + n <= limit``), the
same guard stock reservations use, so concurrent workers never over-issue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from orderkit.clock import Clock
from orderkit.store.db import Database, utcnow_naive
from orderkit.store.orders import insert_ignore_prebuilt
from orderkit.store.schema import Tables

ALL_TIME = "*"


@dataclass(frozen=True)
class QuotaLimit:
    total: int | None
    per_day: int | None


class Quotas:
    def __init__(self, db: Database, tables: Tables, clock: Clock) -> None:
        self._db = db
        self._t = tables
        self._clock = clock

    # -- prebuilt statements (see ``Orders``) ----------------------------------------

    @cached_property
    def _usage(self) -> sa.Select[Any]:
        u = self._t.gift_quota_usage
        return sa.select(u.c.rule_id, u.c.day, u.c.used).where(
            u.c.rule_id.in_(sa.bindparam("b_rules", expanding=True)),
            u.c.day.in_(sa.bindparam("b_days", expanding=True)),
        )

    @cached_property
    def _claim(self) -> sa.Update:
        c = self._t.gift_quota_claims
        return c.update().where(
            c.c.order_id == sa.bindparam("b_order"),
            c.c.rule_id == sa.bindparam("b_rule"),
            c.c.state.in_(("new", "released")),
        )

    @cached_property
    def _set_claim(self) -> sa.Update:
        c = self._t.gift_quota_claims
        return c.update().where(
            c.c.order_id == sa.bindparam("b_order"), c.c.rule_id == sa.bindparam("b_rule")
        )

    def _count(self, capped: bool) -> sa.Update:
        return self._count_capped if capped else self._count_free

    @cached_property
    def _count_free(self) -> sa.Update:
        u = self._t.gift_quota_usage
        units = sa.bindparam("b_units", type_=sa.Integer)
        return (
            u.update()
            .where(u.c.rule_id == sa.bindparam("b_rule"), u.c.day == sa.bindparam("b_day"))
            .values(used=u.c.used + units)
        )

    @cached_property
    def _count_capped(self) -> sa.Update:
        u = self._t.gift_quota_usage
        units = sa.bindparam("b_units", type_=sa.Integer)
        return self._count_free.where(u.c.used + units <= sa.bindparam("b_cap", type_=sa.Integer))

    def left(self, limits: Mapping[str, QuotaLimit], day: str) -> dict[str, int | None]:
        """Units each rule may still give today (None: unlimited)."""
        if not limits:
            return {}
        with self._db.transaction() as conn:
            return self.left_in(conn, limits, day)

    def left_in(
        self, conn: sa.Connection, limits: Mapping[str, QuotaLimit], day: str
    ) -> dict[str, int | None]:
        """``left`` inside the caller's transaction."""
        if not limits:
            return {}
        rows = conn.execute(self._usage, {"b_rules": list(limits), "b_days": [ALL_TIME, day]}).all()
        used = {(r.rule_id, r.day): r.used for r in rows}
        out: dict[str, int | None] = {}
        for rule_id, limit in limits.items():
            room = [
                lim - used.get((rule_id, key), 0)
                for lim, key in ((limit.total, ALL_TIME), (limit.per_day, day))
                if lim is not None
            ]
            out[rule_id] = max(0, min(room)) if room else None
        return out

    def claim(
        self,
        conn: sa.Connection,
        *,
        order_id: str,
        rule_id: str,
        units: int,
        day: str,
        limit: QuotaLimit,
    ) -> bool:
        """Claim ``units`` for one order and rule; True if held (now or before)."""
        c, u = self._t.gift_quota_claims, self._t.gift_quota_usage
        now = utcnow_naive(self._clock.now())
        insert_ignore_prebuilt(
            conn,
            c,
            [
                {
                    "order_id": order_id,
                    "rule_id": rule_id,
                    "day": day,
                    "units": units,
                    "state": "new",
                    "updated_at": now,
                }
            ],
            key="order_id",
        )
        key = {"b_order": order_id, "b_rule": rule_id}
        claimed = conn.execute(
            self._claim, {**key, "state": "held", "units": units, "day": day, "updated_at": now}
        ).rowcount
        if claimed != 1:
            return True  # this order holds its quota already
        insert_ignore_prebuilt(
            conn,
            u,
            [
                {"rule_id": rule_id, "day": ALL_TIME, "used": 0},
                {"rule_id": rule_id, "day": day, "used": 0},
            ],
            key="rule_id",
        )
        counted: list[str] = []
        for bucket, cap in ((ALL_TIME, limit.total), (day, limit.per_day)):
            count = {"b_rule": rule_id, "b_day": bucket, "b_units": units, "b_cap": cap}
            if conn.execute(self._count(cap is not None), count).rowcount != 1:
                for done in counted:  # give back what this call counted
                    conn.execute(
                        self._count_free, {"b_rule": rule_id, "b_day": done, "b_units": -units}
                    )
                conn.execute(self._set_claim, {**key, "state": "released", "updated_at": now})
                return False
            counted.append(bucket)
        return True

    def release(
        self, conn: sa.Connection, order_id: str, rule_ids: Iterable[str] | None = None
    ) -> int:
        """Give back the order's held quota (all rules, or ``rule_ids``)."""
        c, u = self._t.gift_quota_claims, self._t.gift_quota_usage
        query = sa.select(c.c.rule_id, c.c.day, c.c.units).where(
            c.c.order_id == order_id, c.c.state == "held"
        )
        if rule_ids is not None:
            query = query.where(c.c.rule_id.in_(list(rule_ids)))
        now = utcnow_naive(self._clock.now())
        released = 0
        for row in conn.execute(query).all():
            moved = conn.execute(
                c.update()
                .where(c.c.order_id == order_id, c.c.rule_id == row.rule_id, c.c.state == "held")
                .values(state="released", updated_at=now)
            ).rowcount
            if moved != 1:
                continue
            conn.execute(
                u.update()
                .where(u.c.rule_id == row.rule_id, u.c.day.in_([ALL_TIME, row.day]))
                .values(used=u.c.used - row.units)
            )
            released += 1
        return released
