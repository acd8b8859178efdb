"""The demo: a generated workspace, the Taobao and Douyin sandboxes in-process,
the legacy-ERP example as the ERP, and one ``orderkit run --once`` over a few
thousand orders; then what happened, counted from the database."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from orderkit._resources import data_path
from orderkit.demo.erp import STOCK, install_erp, legacy_erp
from orderkit.demo.workspace import SKUS, write_config
from orderkit.store import StockLevel

if TYPE_CHECKING:
    from orderkit.health import HealthReport
    from orderkit.kit import OrderKit
    from orderkit.run import RunReport

Progress = Callable[[str], None]


@dataclass
class DemoReport:
    workspace: Path
    channels: list[str]
    erp: str
    run: RunReport | None = None
    #: (channel, lifecycle) -> orders
    statuses: Counter[tuple[str, str]] = field(default_factory=Counter)
    dead_letters: int = 0
    holds: Counter[str] = field(default_factory=Counter)
    gifts: Counter[str] = field(default_factory=Counter)
    warehouses: Counter[str] = field(default_factory=Counter)
    couriers: Counter[str] = field(default_factory=Counter)
    #: shipment state (uploaded, upload_failed, booked, manual_entry) -> parcels
    tracking: Counter[str] = field(default_factory=Counter)
    health: HealthReport | None = None
    examples: list[str] = field(default_factory=list)


def own_site_orders() -> list[dict[str, Any]]:
    """Orders of the merchant's own mini-program, as the ERP would push them."""
    with data_path("demo", "own_orders.json").open(encoding="utf-8") as fh:
        orders: list[dict[str, Any]] = json.load(fh)
    return orders


def build_kit(workspace: Path, *, orders: int) -> tuple[OrderKit, str]:
    """Write the workspace's config and build its kit with the ERP plugged in."""
    from orderkit.builtin import core_host
    from orderkit.clock import SystemClock
    from orderkit.store import create_engine

    now = SystemClock().now()
    channels = [code for code, reg in core_host().channels.items() if reg.spec.sandbox_factory]
    erp = legacy_erp()
    write_config(
        workspace,
        channels,
        orders=orders,
        start=now - timedelta(hours=6),
        end=now - timedelta(minutes=2),
        orderkit_books=erp is None,
    )
    engine = create_engine(f"sqlite:///{workspace / 'orderkit.db'}")
    if erp is not None:
        install_erp(erp, engine, list(SKUS))
    engine.dispose()
    kit = open_kit(workspace)
    kit.upgrade_database()
    if erp is None:  # no ERP to ask: stock as it would have reported it
        kit.store.stock.refresh([StockLevel(sku, wh, n) for sku in SKUS for wh, n in STOCK.items()])
    return kit, "legacy ERP example" if erp is not None else "none (orderkit books couriers)"


def open_kit(workspace: Path) -> OrderKit:
    """The kit of an existing demo workspace, with its ERP plugged in (as the
    ERP vendor's own process would build it)."""
    from orderkit.kit import OrderKit
    from orderkit.store import create_engine

    engine = create_engine(f"sqlite:///{workspace / 'orderkit.db'}")
    erp = legacy_erp()
    plugins: list[tuple[str, object]] = []
    if erp is not None:
        plugins.append(("legacy_erp", erp.LegacyErpPlugin(engine)))
    return OrderKit.from_config(workspace / "orderkit.yaml", engine=engine, plugins=plugins)


def run_demo(
    workspace: Path, *, orders: int = 1500, progress: Progress | None = None
) -> DemoReport:
    from orderkit.health import health_report
    from orderkit.run import Runner

    say = progress or (lambda _: None)
    kit, erp = build_kit(workspace, orders=orders)
    channels = sorted(shop.channel for shop in kit.config.shops if shop.channel != "own")
    report = DemoReport(workspace=workspace, channels=channels, erp=erp)
    say("the ERP pushes its own-site orders")
    kit.ingest(own_site_orders())
    runner = Runner(kit, on_job=lambda job, outcome: say(f"{job.name}: {job.description}"))
    report.run = runner.run_once()
    say("counting what happened")
    _count(kit, report)
    report.health = health_report(kit)
    return report


def _count(kit: OrderKit, report: DemoReport) -> None:
    o, s = kit.store.tables.orders, kit.store.tables.shipments
    with kit.store.db.transaction() as conn:
        for channel, lifecycle, n in conn.execute(
            sa.select(o.c.channel, o.c.lifecycle, sa.func.count()).group_by(
                o.c.channel, o.c.lifecycle
            )
        ):
            report.statuses[(channel, lifecycle)] = n
        for state, n in conn.execute(sa.select(s.c.state, sa.func.count()).group_by(s.c.state)):
            report.tracking[state] = n
        decided = conn.execute(
            sa.select(o.c.id, o.c.lifecycle, o.c.snapshot)
            .where(o.c.decided_version.is_not(None))
            .order_by(o.c.id)
        ).all()
    for row in decided:
        snapshot = json.loads(row.snapshot)
        # a generic `condition` check is better named by its rule
        holds = [
            h["rule_id"] if h["code"] == "condition" and h.get("rule_id") else h["code"]
            for h in snapshot.get("hold_reasons", [])
            if not h.get("released_by")
        ]
        if row.lifecycle == "on_hold":
            report.holds.update(holds)
        gifts = [
            line["line_id"].split(":")[1]
            for line in snapshot.get("lines", [])
            if line["line_id"].startswith("gift:")
        ]
        report.gifts.update(gifts)
        for shipment in snapshot.get("shipments", []):
            report.warehouses[shipment.get("warehouse") or "?"] += 1
            report.couriers[shipment.get("courier") or "?"] += 1
        interesting = (gifts and row.lifecycle in ("shipped", "allocated")) or (
            row.lifecycle == "on_hold" and holds
        )
        if len(report.examples) < 3 and (interesting or len(report.examples) == 0):
            report.examples.append(row.id)
    report.dead_letters = len(kit.dead_letters())
