"""End to end: sync -> process -> ship of N Taobao sandbox orders, against
``kit.ingest`` of the same canonical orders, in the same run.

    python bench/e2e.py [--orders 5000] [--runs 3] [--postgres-url URL]

The pipeline is the run loop's jobs: a full incremental sync (sandbox
in-process), ``kit.process`` for every paid order (address, holds, gifts,
warehouse, courier; batched as the process job does), then ``kit.ship`` of
every allocated shipment with a waybill the ERP printed (``ship_many``: the
waybills are recorded in batches, each tracking number is uploaded to the
sandbox and the order becomes shipped). Orders/s counts the orders synced.
Target: the pipeline runs at >= 0.25x of ingest-only, on SQLite and on
PostgreSQL.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import drop_prefixed, postgres_url, synced_orders

from orderkit.builtin import core_host
from orderkit.clock import FakeClock, RecordingSleeper
from orderkit.demo.workspace import BULKY, SKUS
from orderkit.kit import OrderKit
from orderkit.models import Order
from orderkit.run.jobs import decide_query
from orderkit.ship import Waybill
from orderkit.store import StockLevel

START = datetime(2026, 11, 10, 16, 0, tzinfo=UTC)
END = START + timedelta(hours=12)
RULES: dict[str, Any] = {
    "holds": [
        {"id": "refund", "check": "refund_in_progress"},
        {"id": "big", "check": "amount_above", "limit": 2000},
        {"id": "memo", "check": "seller_memo", "severity": "warn"},
    ],
    "gifts": [
        {
            "id": "spring-299",
            "when": {"paid": {"gte": 299}, "sku": {"any": ["SCH-200ML", "SCH-50ML"]}},
            "add": ["G2026-01"],
        }
    ],
    "allocation": [
        {"id": "east", "when": {"region": {"province": ["华东"]}}, "warehouses": ["HZ", "GZ"],
         "split": "fewest_packages"},
    ],
    "courier": [
        {"id": "bulky", "when": {"bulky": True}, "courier": "jd", "priority": 1},
        {"id": "remote", "when": {"region": {"remote_area": True}}, "courier": "yto"},
        {"id": "jzh", "when": {"region": {"province": ["江浙沪"]}}, "courier": "zto"},
        {"id": "default", "when": {}, "courier": "sf", "priority": 100},
    ],
}  # fmt: skip


def config(url: str, prefix: str, orders: int) -> dict[str, Any]:
    shop = {
        "id": "bench",
        "channel": "taobao",
        "endpoint": "sandbox",
        "app_key": "sandbox-app",
        "app_secret": "sandbox:demo-secret",
        "session": "sandbox:demo-session",
        "settings": {
            "initial_lookback_hours": 13,
            "calls_per_second": 1e6,
            "burst": 1000000,
            "sandbox": {"orders": orders, "seed": 5, "start": START, "end": END,
                        "churn_rate": 0.0},
        },
    }  # fmt: skip
    return {
        "version": 1,
        "database": {"url": url, "table_prefix": prefix},
        "shops": [shop],
        "warehouses": [
            {"code": "HZ", "name": "杭州仓", "regions": ["浙江", "江苏", "上海", "安徽"]},
            {"code": "GZ", "name": "广州仓", "regions": ["广东", "广西", "湖南"]},
        ],
        "skus": {sku: {"weight_g": g, "bulky": sku in BULKY} for sku, g in SKUS.items()},
        "rules": RULES,
    }


def build(url: str, prefix: str, orders: int) -> OrderKit:
    clock = FakeClock(END + timedelta(minutes=1))
    plugin = core_host().channels["taobao"].plugin
    kit = OrderKit.from_config(
        config(url, prefix, orders),
        plugins=[("taobao", plugin)],
        entrypoints=False,
        clock=clock,
        sleeper=RecordingSleeper(clock),
    )
    kit.upgrade_database()
    kit.store.stock.refresh([StockLevel(sku, wh, 100_000) for sku in SKUS for wh in ("HZ", "GZ")])
    return kit


def pipeline(kit: OrderKit) -> tuple[int, dict[str, float]]:
    """Sync, process, ship; returns orders synced and seconds per stage."""
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    report = kit.sync("bench")
    seconds["sync"] = time.perf_counter() - t

    t = time.perf_counter()
    while True:
        with kit.store.db.transaction() as conn:
            batch = list(conn.execute(decide_query(kit, 0, 1, 500)).scalars())
        if not batch:
            break
        kit.processor.process_many(batch)  # what the run loop's process job calls
    seconds["process"] = time.perf_counter() - t

    t = time.perf_counter()
    o = kit.store.tables.orders
    with kit.store.db.transaction() as conn:
        allocated = list(
            conn.execute(sa.select(o.c.id).where(o.c.lifecycle == "allocated")).scalars()
        )
    # the ERP's print run: every allocated order's shipments, read in one query
    orders = kit.store.orders.get_many(allocated)
    waybills = [
        Waybill(
            order_id,
            courier=shipment.courier or "sf",
            waybill=f"SF{1400000000000 + n * 10 + len(shipment.shipment_id)}",
            shipment=shipment.shipment_id,
        )
        for n, order_id in enumerate(allocated)
        for shipment in orders[order_id].order.shipments
    ]
    # the warehouse's print run: ``kit.ship`` of each waybill, recorded in batches
    outcomes = kit.shipper.ship_many(waybills, actor="bench:erp").outcomes
    shipped = sum(int(outcome.uploaded) for outcome in outcomes)
    seconds["ship"] = time.perf_counter() - t
    seconds["shipped"] = shipped
    return report.created, seconds


def canonical_orders(url: str, prefix: str, orders: int) -> list[Order]:
    """The canonical orders a sync of the bench shop fetches (untimed)."""
    return synced_orders(build(url, prefix, orders), "bench")


def one_run(url: str, orders: int) -> dict[str, float]:
    prefixes = [f"b{uuid.uuid4().hex[:6]}_" for _ in range(3)]
    kit = build(url, prefixes[0], orders)
    kit.sandbox("bench")
    try:
        # The sandbox's book is a test artefact, and the ingest-only input is
        # the baseline's: neither is scanned by the GC while measured. The
        # pipeline keeps no orders (a run loop does not): they are fetched
        # again, untimed, for the ingest-only baseline.
        gc.collect()
        gc.freeze()
        t0 = time.perf_counter()
        n, stages = pipeline(kit)
        total = time.perf_counter() - t0
        fetched = canonical_orders(url, prefixes[1], orders)
        gc.collect()
        gc.freeze()
        fresh = build(url, prefixes[2], orders)
        t1 = time.perf_counter()
        fresh.ingest(fetched)
        ingest = time.perf_counter() - t1
        gc.unfreeze()
    finally:
        if not url.startswith("sqlite"):
            engine = sa.create_engine(url)
            for prefix in prefixes:
                drop_prefixed(engine, prefix)
            engine.dispose()
    return {
        "orders": n,
        "shipped": stages["shipped"],
        "e2e_per_s": n / total,
        "ingest_per_s": n / ingest,
        "ratio": ingest / total,
        "share_sync": stages["sync"] / total,
        "share_process": stages["process"] / total,
        "share_ship": stages["ship"] / total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from orderkit.logs import configure_logging

    configure_logging(fmt="console", level="warning")  # as `orderkit run` logs: no per-parcel lines
    targets = [("sqlite", None)]
    pg = postgres_url(args.postgres_url)
    if pg:
        targets.append(("postgresql", pg))
    results: dict[str, Any] = {}
    for name, url in targets:
        runs = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                runs.append(one_run(url or f"sqlite:///{Path(tmp) / 'e2e.db'}", args.orders))
        results[name] = {
            "runs": runs,
            "median": {key: statistics.median(r[key] for r in runs) for key in runs[0]},
        }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name, data in results.items():
        m = data["median"]
        print(f"{name}: {int(m['orders'])} orders ({int(m['shipped'])} parcels shipped), "
              f"median of {len(data['runs'])} runs")  # fmt: skip
        print(f"  end to end    {m['e2e_per_s']:8.0f} orders/s (sync -> process -> ship)")
        print(f"  ingest-only   {m['ingest_per_s']:8.0f} orders/s")
        print(f"  ratio         {m['ratio']:8.2f}x   (target >= 0.25x)")
        print(f"  time shares   sync {m['share_sync']:.0%}, process {m['share_process']:.0%}, "
              f"ship {m['share_ship']:.0%}")  # fmt: skip


if __name__ == "__main__":
    main()
