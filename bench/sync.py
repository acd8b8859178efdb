"""Sync throughput: a full sync of N sandbox orders into SQLite (sandbox
in-process) vs ``kit.ingest`` of the same canonical orders, same run.

    python bench/sync.py [--channel taobao] [--orders 50000] [--runs 3]

Reports orders/s, the share of time in the sandbox (standing in for the
network), the rest of the channel side (HTTP client, signing, mapping), and
the store; target: sync >= 0.5x ingest-only throughput.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import synced_orders

from orderkit.builtin import core_host
from orderkit.clock import FakeClock
from orderkit.models import Order
from orderkit.testing import make_kit

START = datetime(2026, 11, 10, 16, 0, tzinfo=UTC)


def one_run(channel: str, orders: int, workdir: Path) -> dict[str, float]:
    end = START + timedelta(hours=12)
    shop = {
        "id": "bench",
        "channel": channel,
        "endpoint": "sandbox",
        "app_key": "sandbox-app",
        "app_secret": "sandbox:demo-secret",
        "session": "sandbox:demo-session",
        "access_token": "sandbox:demo-access_token",
        "refresh_token": "sandbox:demo-refresh",
        "settings": {
            "initial_lookback_hours": 13,
            "calls_per_second": 1e6,
            "burst": 1000000,
            "sandbox": {"orders": orders, "seed": 3, "start": START, "end": end, "churn_rate": 0.0},
        },
    }
    if channel != "douyin":
        shop.pop("access_token"), shop.pop("refresh_token")
    else:
        shop.pop("session")
    plugin = core_host().channels[channel].plugin
    kit = make_kit(
        workdir / "sync",
        [(channel, plugin)],
        shops=[shop],
        clock=FakeClock(end + timedelta(minutes=1)),
    )
    box: Any = kit.sandbox("bench")
    # The sandbox's in-memory book is a test artefact: keep it out of the GC's
    # way in both measured phases. Neither phase keeps the orders it handles
    # either: a real sync does not, and 50,000 live orders make every full
    # collection during the sync scan them (they cost the sync ~25 % in an
    # earlier version of this script that collected the orders as it synced).
    gc.collect()
    gc.freeze()
    timings = {"fetch": 0.0, "store": 0.0, "sandbox": 0.0}
    fetched_ids: set[str] = set()
    host_fetch, kit_ingest = kit.host.fetch_orders, kit.ingest
    transport = box.transport()
    handle = transport.handle_request

    def timed_handle(request: Any) -> Any:
        t = time.perf_counter()
        try:
            return handle(request)
        finally:
            timings["sandbox"] += time.perf_counter() - t

    transport.handle_request = timed_handle  # type: ignore[method-assign]
    kit.sync_engine.runtime.context("bench").http._transport = transport

    def timed_fetch(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        page = host_fetch(*args, **kwargs)
        timings["fetch"] += time.perf_counter() - t
        fetched_ids.update(o.external_id for o in page.orders)
        return page

    def timed_ingest(items: Any) -> Any:
        t = time.perf_counter()
        result = kit_ingest(items)
        timings["store"] += time.perf_counter() - t
        return result

    kit.host.fetch_orders = timed_fetch  # type: ignore[method-assign]
    kit.ingest = timed_ingest  # type: ignore[method-assign]
    t0 = time.perf_counter()
    report = kit.sync("bench")
    sync_seconds = time.perf_counter() - t0
    assert report.created == len(fetched_ids), "sync lost orders"

    # The same canonical orders, fetched again untimed (the book did not
    # change), then ingest-only of them into a fresh database.
    fetched = collect_orders(channel, plugin, shop, box, workdir / "collect", end)
    assert {o.external_id for o in fetched} == fetched_ids
    gc.collect()
    gc.freeze()  # the input list, like the sync's book: not scanned while measured
    fresh = make_kit(workdir / "ingest", [(channel, plugin)], clock=FakeClock(end))
    t1 = time.perf_counter()
    fresh.ingest(fetched)
    ingest_seconds = time.perf_counter() - t1
    gc.unfreeze()
    n = report.created
    return {
        "orders": n,
        "sync_per_s": n / sync_seconds,
        "ingest_per_s": n / ingest_seconds,
        "ratio": ingest_seconds / sync_seconds,
        "share_sandbox": timings["sandbox"] / sync_seconds,
        "share_channel": (timings["fetch"] - timings["sandbox"]) / sync_seconds,
        "share_store": timings["store"] / sync_seconds,
    }


def collect_orders(
    channel: str, plugin: Any, shop: dict[str, Any], box: Any, workdir: Path, end: datetime
) -> list[Order]:
    """Every canonical order a sync of ``shop`` fetches from ``box`` (untimed)."""
    workdir.mkdir()
    kit = make_kit(
        workdir, [(channel, plugin)], shops=[shop], clock=FakeClock(end + timedelta(minutes=1))
    )
    kit.sync_engine.runtime.context("bench").http._transport = box.transport()
    return synced_orders(kit, "bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channel", default="taobao")
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "sync").mkdir()
            (Path(tmp) / "ingest").mkdir()
            runs.append(one_run(args.channel, args.orders, Path(tmp)))
    median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    if args.json:
        print(json.dumps({"channel": args.channel, "runs": runs, "median": median}, indent=2))
        return
    print(f"{args.channel}: {int(median['orders'])} orders, median of {len(runs)} runs")
    print(f"  sync          {median['sync_per_s']:10.0f} orders/s")
    print(f"  ingest-only   {median['ingest_per_s']:10.0f} orders/s")
    print(f"  ratio         {median['ratio']:10.2f}x   (target >= 0.5x)")
    print(
        f"  time shares   sandbox {median['share_sandbox']:.0%}, channel side (HTTP client, "
        f"signing, mapping) {median['share_channel']:.0%}, store {median['share_store']:.0%}"
    )


if __name__ == "__main__":
    main()
