"""Helpers for the health tests: a kit with shops and a fake clock, and
direct inserts for tables whose producing code belongs to other modules
(shipments, sync cursors, deliveries, jobs)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from orderkit.clock import FakeClock, RecordingSleeper
from orderkit.kit import OrderKit
from orderkit.store.db import utcnow_naive

from .conftest import kit_config

#: An hour after ``make_order_payload``'s orders were placed (02:00 UTC).
T0 = datetime(2026, 11, 11, 3, 0, tzinfo=UTC)

SHOPS = [
    {"id": "own-mini", "channel": "own"},
    {"id": "own-b", "channel": "own"},
    {"id": "paused", "channel": "own", "enabled": False},
]

MakeKit = Callable[..., OrderKit]


def kit_factory(db_url: str, table_prefix: str) -> Iterator[MakeKit]:
    """Behind each module's ``health_kit`` fixture: kits on one database and
    prefix, each with its own config; all share one FakeClock at ``T0``."""
    clock = FakeClock(T0)
    made: list[OrderKit] = []

    def make(**extra: Any) -> OrderKit:
        config = kit_config(db_url, table_prefix, shops=SHOPS, **extra)
        kit = OrderKit.from_config(
            config, entrypoints=False, clock=clock, sleeper=RecordingSleeper(clock)
        )
        kit.upgrade_database()
        made.append(kit)
        return kit

    yield make
    for kit in made:
        if kit.engine is not None:
            kit.engine.dispose()


def clock(kit: OrderKit) -> FakeClock:
    assert isinstance(kit.clock, FakeClock)
    return kit.clock


def at(kit: OrderKit, when: datetime) -> None:
    clock(kit).set(when)


def write(kit: OrderKit, table: str, rows: list[dict[str, Any]]) -> None:
    t = getattr(kit.store.tables, table)
    with kit.store.db.transaction() as conn:
        conn.execute(t.insert(), rows)


def update(kit: OrderKit, table: str, where: dict[str, Any], **values: Any) -> None:
    t = getattr(kit.store.tables, table)
    with kit.store.db.transaction() as conn:
        conn.execute(t.update().where(*(t.c[k] == v for k, v in where.items())).values(**values))


def naive(when: datetime) -> datetime:
    return utcnow_naive(when)


def shipment(
    order_id: str,
    shipment_id: str,
    state: str,
    *,
    waybill: str | None = "ZT7312345678901",
    waybill_at: datetime | None = T0,
    shop_id: str = "own-mini",
    last_error: str | None = None,
) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "shipment_id": shipment_id,
        "channel": "own",
        "shop_id": shop_id,
        "courier": "zto",
        "waybill": waybill,
        "state": state,
        "actor": "system:ship",
        "waybill_at": naive(waybill_at) if waybill_at else None,
        "uploaded_at": naive(waybill_at) if waybill_at and state == "uploaded" else None,
        "attempts": 1,
        "last_error": last_error,
        "updated_at": naive(waybill_at or T0),
    }


def cursor(
    shop_id: str,
    *,
    failures: int = 0,
    watermark: datetime | None = T0,
    last_error: str | None = None,
) -> dict[str, Any]:
    return {
        "shop_id": shop_id,
        "channel": "own",
        "watermark": naive(watermark) if watermark else None,
        "last_success_at": naive(T0 - timedelta(hours=1)),
        "last_error": last_error,
        "consecutive_failures": failures,
        "updated_at": naive(T0),
    }


def delivery(
    event_id: str,
    notifier: str,
    *,
    attempts: int,
    delivered_at: datetime | None = None,
    gave_up_at: datetime | None = None,
    last_error: str | None = "HTTP 502",
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "notifier": notifier,
        "attempts": attempts,
        "delivered_at": naive(delivered_at) if delivered_at else None,
        "gave_up_at": naive(gave_up_at) if gave_up_at else None,
        "last_error": last_error,
        "updated_at": naive(T0),
    }


def job(name: str, failures: int, last_error: str | None = "RuntimeError: boom") -> dict[str, Any]:
    return {
        "name": name,
        "consecutive_failures": failures,
        "last_error": last_error if failures else None,
        "runs": 10,
        "updated_at": naive(T0),
    }


def outbox_events(kit: OrderKit, prefix: str = "alert.") -> list[dict[str, Any]]:
    """Outbox events whose topic starts with ``prefix``, oldest first."""
    o = kit.store.tables.outbox
    with kit.store.db.transaction() as conn:
        rows = conn.execute(
            sa.select(o.c.id, o.c.topic, o.c.order_id, o.c.payload)
            .where(o.c.topic.startswith(prefix))
            .order_by(o.c.created_at, o.c.id)
        ).all()
    return [
        {"id": r.id, "topic": r.topic, "order_id": r.order_id, **json.loads(r.payload)}
        for r in rows
    ]


def open_subjects(kit: OrderKit, monitor: str) -> set[str]:
    a = kit.store.tables.alerts
    with kit.store.db.transaction() as conn:
        return set(
            conn.execute(
                sa.select(a.c.subject).where(a.c.monitor == monitor, a.c.resolved_at.is_(None))
            ).scalars()
        )
