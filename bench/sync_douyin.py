"""Douyin sync throughput (issue 5), against ingest-only of the same orders.

    python bench/sync_douyin.py [--orders 50000] [--runs 3] [--json out.json]

or, from ``bench/sync.py``: ``sync_douyin.run(orders=50_000, runs=3)``.

Each run syncs N sandbox orders (spread over one day, in-process through the
sandbox's httpx transport; 0.2% of them come thin from the list so
``order.orderDetail`` is exercised) into an empty SQLite file, and ingests the
same canonical orders with ``kit.ingest`` into another empty file. The two
alternate within each run, so machine noise hits both; figures are medians.

The sync's (CPU) time is split into:

- **http**: ``DoudianClient.call``: building and signing the request, httpx,
  the sandbox checking it (signature, token, paging) and answering, JSON parsing;
- **mapping**: ``map_shop_order``, payload -> canonical ``Order``;
- **store**: ``kit.ingest`` of each page (and dead letters, if any);
- **engine**: the rest (windows, cursor, rate budget, page loop).

The sandbox renders each order's JSON once before timing (``warm()``): that
is the platform's work, done on Doudian's servers in production.

Target: sync >= 0.5x ingest-only throughput.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _common as bench
import orderkit_douyin
import orderkit_douyin.sync as douyin_sync
from orderkit_douyin.client import DoudianClient

from orderkit.clock import FakeClock, RecordingSleeper
from orderkit.kit import OrderKit
from orderkit.models import Order

TARGET = 0.5
T0 = datetime(2026, 11, 11, tzinfo=UTC)
SHOP = "bench-douyin"


def new_kit(directory: Path, name: str, *, with_shop: bool, orders: int) -> OrderKit:
    shops = []
    if with_shop:
        shops.append(
            {
                "id": SHOP,
                "channel": "douyin",
                "endpoint": "sandbox",
                "app_key": "sandbox-app",
                "app_secret": "sandbox:demo-secret",
                "access_token": "sandbox:demo-session",
                "settings": {
                    "initial_lookback_hours": 25,
                    "calls_per_second": 1_000_000,
                    "burst": 1_000_000,
                    "sandbox": {
                        "orders": orders,
                        "seed": 50,
                        "start": T0 - timedelta(days=1),
                        "end": T0,
                        "churn_rate": 0.0,
                    },
                },
            }
        )
    clock = FakeClock(T0 + timedelta(minutes=1))
    kit = OrderKit.from_config(
        {"version": 1, "database": {"url": bench.sqlite_url(directory, name)}, "shops": shops},
        plugins=[("douyin", orderkit_douyin)],
        entrypoints=False,
        clock=clock,
        sleeper=RecordingSleeper(clock),
    )
    kit.upgrade_database()
    return kit


def timed(fn: Callable[..., Any], *args: Any) -> tuple[Any, float, float]:
    """``fn(*args)``, its wall-clock seconds and this process's CPU seconds
    (less disturbed by other load on the machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn(*args)
    return value, time.perf_counter() - wall, time.process_time() - cpu


class Clocks:
    """CPU seconds spent in each part of a sync, by wrapping the functions."""

    def __init__(self) -> None:
        self.seconds = {"http": 0.0, "mapping": 0.0, "store": 0.0}
        self.orders: list[Order] = []

    def timed(self, part: str, fn: Callable[..., Any], keep: bool = False) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                result = fn(*args, **kwargs)
            finally:
                self.seconds[part] += time.process_time() - start
            if keep:
                self.orders.append(result)
            return result

        return wrapper


@contextmanager
def instrumented(kit: OrderKit, clocks: Clocks, *, keep: bool = False) -> Iterator[None]:
    original_map = douyin_sync.map_shop_order
    original_call = DoudianClient.call
    douyin_sync.map_shop_order = clocks.timed("mapping", original_map, keep)  # type: ignore[assignment]
    DoudianClient.call = clocks.timed("http", original_call)  # type: ignore[method-assign]
    kit.ingest = clocks.timed("store", kit.ingest)  # type: ignore[method-assign]
    store = kit.store
    store.record_problems = clocks.timed("store", store.record_problems)  # type: ignore[method-assign]
    try:
        yield
    finally:
        douyin_sync.map_shop_order = original_map  # type: ignore[assignment]
        DoudianClient.call = original_call  # type: ignore[method-assign]


FREEZE = True


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep what exists now out of the cyclic GC's way while timing.

    The in-process sandbox holds every order (a real platform keeps them on
    its own servers); without this, each collection during the sync walks
    that heap and the sync pays for the sandbox's memory. The ingest-only
    side is timed the same way (its input list is frozen likewise)."""
    if not FREEZE:
        yield
        return
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def one_sync(directory: Path, name: str, orders: int, *, keep: bool = False) -> dict[str, Any]:
    kit = new_kit(directory, name, with_shop=True, orders=orders)
    box = kit.sandbox(SHOP)
    box.warm()  # type: ignore[attr-defined]
    kit.sync_engine.runtime.context(SHOP)  # build the context (and its client) before timing
    clocks = Clocks()
    with instrumented(kit, clocks, keep=keep), frozen_heap():
        report, wall, cpu = timed(kit.sync, SHOP)
    assert report.created == orders, report
    parts = dict(clocks.seconds)
    parts["engine"] = max(0.0, cpu - sum(parts.values()))
    return {
        "seconds": wall,
        "cpu": cpu,
        "parts": parts,
        "pages": report.pages,
        "fetched": report.fetched,
        "calls": dict(box.calls),  # type: ignore[attr-defined]
        "orders": clocks.orders,
    }


def one_ingest(directory: Path, name: str, orders: list[Order]) -> tuple[float, float]:
    kit = new_kit(directory, name, with_shop=False, orders=0)
    kit.store  # noqa: B018 - build the store before timing
    with frozen_heap():
        result, wall, cpu = timed(kit.ingest, orders)
    assert result.created == len(orders)
    return wall, cpu


def run(orders: int = 50_000, runs: int = 3) -> dict[str, Any]:
    """Measure; return the figures (also what ``--json`` writes)."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        warmup = one_sync(directory, "warmup.db", orders, keep=True)
        canonical = list({o.external_id: o for o in warmup["orders"]}.values())
        assert len(canonical) == orders
        syncs: list[dict[str, Any]] = []
        ingests: list[tuple[float, float]] = []
        for index in range(runs):
            # alternate which goes first, so a noisy moment hits both alike
            if index % 2 == 0:
                syncs.append(one_sync(directory, f"sync{index}.db", orders))
                ingests.append(one_ingest(directory, f"ingest{index}.db", canonical))
            else:
                ingests.append(one_ingest(directory, f"ingest{index}.db", canonical))
                syncs.append(one_sync(directory, f"sync{index}.db", orders))
    sync_s = statistics.median(s["seconds"] for s in syncs)
    ingest_s = statistics.median(wall for wall, _ in ingests)
    sync_cpu = statistics.median(s["cpu"] for s in syncs)
    ingest_cpu = statistics.median(cpu for _, cpu in ingests)
    parts = {
        part: statistics.median(s["parts"][part] for s in syncs)
        for part in ("http", "mapping", "store", "engine")
    }
    total = sum(parts.values())
    figures = {
        "orders": orders,
        "runs": runs,
        "sync_orders_per_s": round(orders / sync_s, 1),
        "ingest_orders_per_s": round(orders / ingest_s, 1),
        "ratio": round(ingest_s / sync_s, 3),
        "ratio_cpu": round(ingest_cpu / sync_cpu, 3),
        "target": TARGET,
        "met": ingest_s / sync_s >= TARGET,
        "sync_s": [round(s["seconds"], 3) for s in syncs],
        "ingest_s": [round(wall, 3) for wall, _ in ingests],
        "sync_cpu_s": [round(s["cpu"], 3) for s in syncs],
        "ingest_cpu_s": [round(cpu, 3) for _, cpu in ingests],
        "shares": {part: round(value / total, 3) for part, value in parts.items()},
        "seconds": {part: round(value, 3) for part, value in parts.items()},
        "pages": syncs[0]["pages"],
        "fetched": syncs[0]["fetched"],
        "calls": syncs[0]["calls"],
        "gc_freeze": FREEZE,
        "machine": bench.machine(),
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--no-freeze", action="store_true", help="let the GC walk the sandbox's heap while timing"
    )
    args = parser.parse_args()
    global FREEZE
    FREEZE = not args.no_freeze
    figures = run(args.orders, args.runs)
    shares = figures["shares"]
    bench.print_table(
        [
            "orders",
            "sync/s",
            "ingest-only/s",
            "ratio",
            "ratio (CPU)",
            "target",
            *figures["shares"],
        ],
        [
            [
                figures["orders"],
                figures["sync_orders_per_s"],
                figures["ingest_orders_per_s"],
                figures["ratio"],
                figures["ratio_cpu"],
                f">= {TARGET}",
                f"{shares['http']:.0%}",
                f"{shares['mapping']:.0%}",
                f"{shares['store']:.0%}",
                f"{shares['engine']:.0%}",
            ]
        ],
    )
    print(f"calls: {figures['calls']}; pages {figures['pages']}, fetched {figures['fetched']}")
    print(f"machine: {figures['machine']}")
    if args.json is not None:
        bench.write_json(args.json, figures)


if __name__ == "__main__":
    main()
