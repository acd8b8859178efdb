"""The demo pipeline: sync every sandbox shop, take in the own-site orders the
ERP pushes, process every paid order, and count what happened."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from orderkit._resources import data_path
from orderkit.demo.workspace import SKUS, write_config
from orderkit.store import StockLevel

Progress = Callable[[str], None]


@dataclass
class DemoReport:
    workspace: Path
    channels: list[str]
    synced: dict[str, int] = field(default_factory=dict)
    #: (channel, lifecycle) -> orders
    statuses: Counter[tuple[str, str]] = field(default_factory=Counter)
    dead_letters: int = 0
    processed: Counter[str] = field(default_factory=Counter)
    holds: Counter[str] = field(default_factory=Counter)
    gifts: Counter[str] = field(default_factory=Counter)
    warehouses: Counter[str] = field(default_factory=Counter)
    couriers: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)


def own_site_orders() -> list[dict[str, Any]]:
    """Orders of the merchant's own mini-program, as the ERP would push them."""
    with data_path("demo", "own_orders.json").open(encoding="utf-8") as fh:
        orders: list[dict[str, Any]] = json.load(fh)
    return orders


def run_demo(
    workspace: Path, *, orders: int = 1500, progress: Progress | None = None
) -> DemoReport:
    from orderkit.builtin import core_host
    from orderkit.clock import SystemClock
    from orderkit.kit import OrderKit

    say = progress or (lambda _: None)
    now = SystemClock().now()
    channels = [code for code, reg in core_host().channels.items() if reg.spec.sandbox_factory]
    path = write_config(
        workspace,
        channels,
        orders=orders,
        start=now - timedelta(hours=6),
        end=now - timedelta(minutes=2),
    )
    kit = OrderKit.from_config(path)
    kit.upgrade_database()
    # The ERP's stock, as its stock_levels would report it.
    kit.store.stock.refresh(
        [StockLevel(sku, wh, 400 if wh == "HZ" else 5000) for sku in SKUS for wh in ("HZ", "GZ")]
    )
    report = DemoReport(workspace=workspace, channels=channels)
    for code in channels:
        say(f"syncing the {code} sandbox shop")
        result = kit.sync(f"demo-{code}")
        report.synced[code] = result.fetched
    say("taking in the own-site orders the ERP pushes")
    kit.ingest(own_site_orders())
    say("processing paid orders: address, holds, gifts, warehouse, courier")
    for order_id in _paid(kit):
        outcome = kit.process(order_id)
        report.processed[outcome.status] += 1
        report.holds.update(outcome.holds)
        report.gifts.update(outcome.gifts.values())
        for shipment in outcome.shipments:
            report.warehouses[shipment["warehouse"] or "?"] += 1
            report.couriers[shipment["courier"] or "?"] += 1
        if (
            outcome.status in {"held", "allocated"}
            and len(report.examples) < 3
            and (outcome.gifts or outcome.holds or len(report.examples) == 0)
        ):
            report.examples.append(order_id)
    _count(kit, report)
    return report


def _paid(kit: Any) -> list[str]:
    o = kit.store.tables.orders
    with kit.store.db.transaction() as conn:
        return list(
            conn.execute(
                sa.select(o.c.id).where(o.c.lifecycle == "paid").order_by(o.c.id)
            ).scalars()
        )


def _count(kit: Any, report: DemoReport) -> None:
    o = kit.store.tables.orders
    with kit.store.db.transaction() as conn:
        for channel, lifecycle, n in conn.execute(
            sa.select(o.c.channel, o.c.lifecycle, sa.func.count()).group_by(
                o.c.channel, o.c.lifecycle
            )
        ):
            report.statuses[(channel, lifecycle)] = n
    report.dead_letters = len(kit.dead_letters())
