"""Work the store concurrency tests run in separate OS processes.

Each worker is started with the ``spawn`` method (a fresh interpreter, as an
ERP's separate worker processes would be), builds its own kit on the shared
database URL and table prefix, meets the others at ``sync()`` so the work
really overlaps, and sends plain counts back to the test.
"""

from __future__ import annotations

import random
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from tests.conftest import kit_config, make_order_payload

#: How long a worker waits for the others at a sync point before giving up.
SYNC_TIMEOUT = 300.0

Sync = Callable[[], None]
Worker = Callable[[str, str, Any, Sync], Any]

# -- ingest race ---------------------------------------------------------------

RACE_SHOP = "own-race"
RACE_BASE = datetime(2026, 11, 11, 2, 0, tzinfo=UTC)
#: A payload's rank orders its versions: a higher rank is modified later and
#: further along the lifecycle, so the newest payload is also the furthest one.
RACE_STATUSES = ("WAIT_PAY", "PAID", "SHIPPED", "SIGNED")
RACE_LIFECYCLES = ("pending_payment", "paid", "shipped", "delivered")


def race_payload(key: int, rank: int) -> dict[str, Any]:
    """Version ``rank`` of order ``key``; two ranks of one key never share a
    modified time, and equal ranks are identical payloads."""
    return make_order_payload(
        shop_id=RACE_SHOP,
        external_id=f"R{key:05d}",
        created_at=RACE_BASE.isoformat(),
        modified_at=(RACE_BASE + timedelta(minutes=1 + rank)).isoformat(),
        platform_status={"status": RACE_STATUSES[rank]},
        seller_memo=f"rank {rank}",
    )


def ingest_batch(url: str, prefix: str, plan: list[tuple[int, int]], sync: Sync) -> dict[str, Any]:
    """Ingest the ``(key, rank)`` payloads of ``plan`` in one call."""
    from orderkit.kit import OrderKit

    kit = OrderKit.from_config(kit_config(url, prefix), entrypoints=False)
    payloads = [race_payload(key, rank) for key, rank in plan]
    try:
        kit.store.stock.balances()  # connect before the start line
        sync()
        started = time.monotonic()
        result = kit.ingest(payloads)
        finished = time.monotonic()
    finally:
        if kit.engine is not None:
            kit.engine.dispose()
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejected": [r.error for r in result.rejected],
        "created_ids": result.created_ids,
        "updated_ids": result.updated_ids,
        "span": (started, finished),  # CLOCK_MONOTONIC: comparable across processes
    }


# -- stock race ------------------------------------------------------------------

STOCK_SKU = "SKU-RACE"
STOCK_WAREHOUSE = "WH-HZ"
STOCK_LINE = "1"


@dataclass(frozen=True)
class StockPlan:
    reserve: list[str]
    release: list[str]
    seed: int


def reserve_release_reserve(
    url: str, prefix: str, plan: StockPlan, sync: Sync
) -> dict[str, list[str]]:
    """Three phases, each ended by two ``sync()`` calls (done, then go) so the
    test can inspect the database while nobody writes:

    1. reserve one unit for every order of ``plan.reserve``;
    2. release every order of ``plan.release`` (the same orders as the other
       workers release; some hold nothing);
    3. reserve every order of ``plan.release``: the units phase 2 freed are
       contended for again.

    Returns, per reserving phase, which orders came back reserved and which short.
    """
    from orderkit.kit import OrderKit

    kit = OrderKit.from_config(kit_config(url, prefix), entrypoints=False)
    line = [(STOCK_LINE, STOCK_SKU, STOCK_WAREHOUSE, 1)]
    shuffle = random.Random(plan.seed).shuffle
    outcome: dict[str, list[str]] = {
        "first_held": [],
        "first_short": [],
        "again_held": [],
        "again_short": [],
    }

    def reserve_all(phase: str, order_ids: list[str]) -> None:
        order_ids = list(order_ids)
        shuffle(order_ids)
        for order_id in order_ids:
            held = kit.reserve_stock(order_id, line)
            outcome[f"{phase}_held" if held else f"{phase}_short"].append(order_id)

    try:
        kit.store.stock.balances()  # connect before the start line
        sync()
        reserve_all("first", plan.reserve)
        sync()  # done
        sync()  # go
        for order_id in plan.release:
            kit.release_stock(order_id)
        sync()  # done
        sync()  # go
        reserve_all("again", plan.release)
    finally:
        if kit.engine is not None:
            kit.engine.dispose()
    return outcome


# -- process entry point -------------------------------------------------------


def run_worker(
    index: int,
    worker: Worker,
    url: str,
    prefix: str,
    plan: Any,
    barrier: Barrier,
    results: Queue[tuple[int, str, Any]],
) -> None:
    """The target of each spawned process: run ``worker`` and report its value
    or its traceback. A failing worker breaks the barrier so nobody waits on it."""

    def sync() -> None:
        barrier.wait(SYNC_TIMEOUT)

    try:
        value = worker(url, prefix, plan, sync)
    except BaseException:
        barrier.abort()
        results.put((index, "error", traceback.format_exc()))
    else:
        results.put((index, "ok", value))
    # let the queue's feeder thread flush before the interpreter exits
    results.close()
    results.join_thread()
