"""Several OS processes writing one store at once (PostgreSQL and MariaDB).

SQLite serialises writers, so the races worth testing need a server. Each
worker is a spawned process with its own kit (see ``tests/store_workers.py``);
the test meets the workers at sync points and checks the database itself.
"""

from __future__ import annotations

import multiprocessing
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from orderkit.kit import OrderKit
from orderkit.models import Order
from orderkit.store import StockLevel, build_tables
from orderkit.store.db import utcnow_naive
from orderkit.store.ids import order_id
from orderkit.store.ingest import platform_digest
from tests import store_workers as w
from tests.conftest import kit_config
from tests.databases import drop_prefixed, new_prefix, server_url

PROCESSES = 4
#: Wall-clock limit for one crew: only a guard against a hang, far above the
#: usual 5-20 s, because a 2-core CI machine can be very busy.
CREW_TIMEOUT = 300.0


@pytest.fixture(params=["postgres", "mysql"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """(url, prefix) of an upgraded, empty store on a real server."""
    url = server_url(str(request.param))
    prefix = new_prefix()
    kit = OrderKit.from_config(kit_config(url, prefix), entrypoints=False)
    kit.upgrade_database()
    try:
        yield url, prefix
    finally:
        if kit.engine is not None:
            kit.engine.dispose()
        drop_prefixed(url, prefix)


class Crew:
    """``len(plans)`` spawned processes, each running ``worker(url, prefix,
    plan, sync)``. The test takes part in every ``sync()`` with :meth:`meet`."""

    def __init__(self, worker: w.Worker, url: str, prefix: str, plans: Sequence[Any]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._deadline = time.monotonic() + CREW_TIMEOUT
        self._barrier = ctx.Barrier(len(plans) + 1)
        self._results: Any = ctx.Queue()
        self._processes = [
            ctx.Process(
                target=w.run_worker,
                name=f"store-worker-{i}",
                daemon=True,
                args=(i, worker, url, prefix, plan, self._barrier, self._results),
            )
            for i, plan in enumerate(plans)
        ]

    def _left(self) -> float:
        return max(0.1, self._deadline - time.monotonic())

    def meet(self) -> None:
        """Wait until every worker reached its next ``sync()``."""
        try:
            self._barrier.wait(min(self._left(), w.SYNC_TIMEOUT))
        except threading.BrokenBarrierError:
            self.results()  # a worker failed: raise with its traceback
            raise

    def results(self) -> list[Any]:
        """Every worker's return value, in plan order; fails on any worker's error."""
        got: dict[int, tuple[str, Any]] = {}
        while len(got) < len(self._processes):
            try:
                index, status, value = self._results.get(timeout=self._left())
            except queue.Empty:
                break
            got[index] = (status, value)
        errors = [f"worker {i}:\n{v}" for i, (s, v) in sorted(got.items()) if s == "error"]
        assert not errors, "\n".join(errors)
        missing = [p.name for i, p in enumerate(self._processes) if i not in got]
        assert not missing, f"no result (died or timed out): {missing}"
        for process in self._processes:
            process.join(self._left())
            assert process.exitcode == 0, f"{process.name} exited with {process.exitcode}"
        return [got[i][1] for i in range(len(self._processes))]

    @contextmanager
    def running(self) -> Iterator[Crew]:
        for process in self._processes:
            process.start()
        try:
            yield self
        finally:
            self._barrier.abort()
            for process in self._processes:
                if process.is_alive():
                    process.terminate()
                    process.join(5)


# -- four processes ingest overlapping batches ------------------------------------------

KEYS = 3000
PER_PROCESS = 1500


def _ingest_plans() -> tuple[list[list[tuple[int, int]]], dict[int, int]]:
    """Each process gets 1,500 of the 3,000 keys: 600 keys go to all four
    processes, 1,200 to two, 1,200 to one. Most shared keys come in versions
    at different modified times (updates race updates); some in one identical
    payload (inserts race inserts). Returns the ``(key, rank)`` plans and the
    newest rank per key."""
    rng = random.Random(3)
    plans: list[list[tuple[int, int]]] = [[] for _ in range(PROCESSES)]
    newest: dict[int, int] = {}
    for key in range(KEYS):
        if key < 600:
            holders = list(range(PROCESSES))
        elif key < 1800:
            holders = [key % PROCESSES, (key + 1) % PROCESSES]
        else:
            holders = [key % PROCESSES]
        if key % 5 == 0:
            ranks = [rng.randrange(4)] * len(holders)
        else:
            ranks = rng.sample(range(4), len(holders))
        for p, rank in zip(holders, ranks, strict=True):
            plans[p].append((key, rank))
        newest[key] = max(ranks)
    for plan in plans:
        assert len(plan) == PER_PROCESS
        rng.shuffle(plan)  # each process meets the shared keys in its own order
    return plans, newest


def test_four_processes_ingest_overlapping_batches(server: tuple[str, str]) -> None:
    url, prefix = server
    plans, newest = _ingest_plans()

    crew = Crew(w.ingest_batch, url, prefix, plans)
    with crew.running():
        crew.meet()  # all connected: go
        results = crew.results()

    # the batches really overlapped in time (else this tested nothing)
    assert max(r["span"][0] for r in results) < min(r["span"][1] for r in results)
    assert all(r["rejected"] == [] for r in results)
    assert sum(r["created"] + r["updated"] + r["unchanged"] for r in results) == PROCESSES * (
        PER_PROCESS
    )
    created = Counter(oid for r in results for oid in r["created_ids"])
    expected_ids = {order_id("own", w.RACE_SHOP, f"R{key:05d}"): key for key in range(KEYS)}
    assert set(created) == set(expected_ids)
    twice = [oid for oid, n in created.items() if n > 1]
    assert not twice, f"{len(twice)} orders created by two processes, e.g. {twice[:3]}"
    updates = Counter(oid for r in results for oid in r["updated_ids"])
    updated_total = sum(r["updated"] for r in results)
    assert updated_total == updates.total()

    engine = sa.create_engine(url)
    tables = build_tables(prefix)
    o, tl, box = tables.orders, tables.timeline, tables.outbox
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    o.c.id,
                    o.c.external_id,
                    o.c.platform_modified_at,
                    o.c.content_hash,
                    o.c.lifecycle,
                    o.c.version,
                    o.c.snapshot,
                )
            ).all()
            events = conn.execute(sa.select(tl.c.order_id, tl.c.kind, tl.c.dedup_key)).all()
            outbox = conn.execute(sa.select(box.c.id, box.c.topic, box.c.order_id)).all()
    finally:
        engine.dispose()

    # exactly the distinct keys, each in its newest state
    assert sorted(r.id for r in rows) == sorted(expected_ids)
    stale = []
    for row in rows:
        rank = newest[expected_ids[row.id]]
        payload = Order.model_validate(w.race_payload(expected_ids[row.id], rank))
        if (
            row.platform_modified_at != utcnow_naive(payload.modified_at)
            or row.content_hash != platform_digest(payload)
            or row.lifecycle != w.RACE_LIFECYCLES[rank]
            or Order.model_validate_json(row.snapshot).seller_memo != f"rank {rank}"
        ):
            stale.append(row.external_id)
    assert not stale, f"{len(stale)} orders not in their newest state, e.g. {stale[:5]}"

    # every applied update bumped the version once and was reported once
    assert {row.id: row.version for row in rows} == {oid: 1 + updates[oid] for oid in expected_ids}
    identical = {oid for oid, key in expected_ids.items() if key % 5 == 0 or key >= 1800}
    assert not identical & set(updates)

    # no duplicate timeline events: one "created" per order, dedup keys unique
    kinds = Counter(e.kind for e in events)
    assert set(kinds) <= {"created", "platform_update"}, kinds
    assert kinds["created"] == KEYS
    assert Counter(e.order_id for e in events if e.kind == "created") == Counter(list(expected_ids))
    assert Counter(e.order_id for e in events if e.kind == "platform_update") == updates
    dedup = [e.dedup_key for e in events]
    assert None not in dedup and len(set(dedup)) == len(dedup)

    # outbox: unique ids, one created event per order, one per applied update
    assert len({e.id for e in outbox}) == len(outbox)
    topics = Counter(e.topic for e in outbox)
    assert topics == Counter({"order.created": KEYS, "order.updated": updated_total})
    assert {e.order_id for e in outbox if e.topic == "order.created"} == set(expected_ids)


# -- four processes reserve stock ------------------------------------------------------

ORDERS = 2000
UNITS = 500
RELEASED = 300


def _held_orders(url: str, prefix: str) -> set[str]:
    """Orders holding a reservation, after checking the ledger balances and no
    order line holds two reservations."""
    tables = build_tables(prefix)
    r, b = tables.reservations, tables.stock_balances
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            held = conn.execute(
                sa.select(r.c.order_id, r.c.quantity).where(r.c.state == "reserved")
            ).all()
            balance = conn.execute(
                sa.select(b.c.reserved, b.c.available).where(
                    b.c.sku == w.STOCK_SKU, b.c.warehouse == w.STOCK_WAREHOUSE
                )
            ).one()
            doubled = conn.execute(
                sa.select(r.c.order_id, r.c.line_id, sa.func.count())
                .where(r.c.state == "reserved")
                .group_by(r.c.order_id, r.c.line_id)
                .having(sa.func.count() > 1)
            ).all()
    finally:
        engine.dispose()
    assert doubled == []
    assert balance.available == UNITS
    assert balance.reserved == sum(h.quantity for h in held), "the ledger does not balance"
    return {h.order_id for h in held}


def test_four_processes_reserve_stock(server: tuple[str, str]) -> None:
    url, prefix = server
    kit = OrderKit.from_config(kit_config(url, prefix), entrypoints=False)
    try:
        kit.store.stock.refresh([StockLevel(w.STOCK_SKU, w.STOCK_WAREHOUSE, UNITS)])
    finally:
        if kit.engine is not None:
            kit.engine.dispose()

    orders = [order_id("own", "own-stock", f"S{n:05d}") for n in range(ORDERS)]
    released = orders[:RELEASED]  # some hold stock after phase 1, some do not
    step = ORDERS // PROCESSES
    plans = []
    for p in range(PROCESSES):
        # each order is tried by exactly two processes: idempotency under a race
        share = [orders[(p * step + i) % ORDERS] for i in range(2 * step)]
        release = list(released)
        random.Random(p).shuffle(release)
        plans.append(w.StockPlan(reserve=share, release=release, seed=p))

    def told(results: list[dict[str, list[str]]], phase: str) -> tuple[set[str], set[str]]:
        """The orders the workers were told are reserved, and short."""
        held = {oid for r in results for oid in r[f"{phase}_held"]}
        return held, {oid for r in results for oid in r[f"{phase}_short"]}

    crew = Crew(w.reserve_release_reserve, url, prefix, plans)
    with crew.running():
        crew.meet()  # all connected: go
        crew.meet()  # phase 1 (reserve) done
        first = _held_orders(url, prefix)
        assert len(first) == UNITS  # demand (2,000) exceeds supply: all of it, no more
        crew.meet()
        crew.meet()  # phase 2 (release) done
        after_release = _held_orders(url, prefix)
        assert after_release == first - set(released)
        crew.meet()
        results = crew.results()  # phase 3 (the released orders reserve again) done
    final = _held_orders(url, prefix)
    assert len(final) == UNITS  # the freed units are taken again, no more
    assert after_release <= final

    for phase, tried, held in (("first", orders, first), ("again", released, final)):
        told_held, told_short = told(results, phase)
        assert told_held == held & set(tried), phase
        assert not told_short & held, phase
        assert told_held | told_short == set(tried), phase
