"""Four processes decide gifts for the same orders at once (PostgreSQL,
MariaDB): the limited gift is never over-issued and the quota ledger balances."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from orderkit.kit import OrderKit
from orderkit.store import StockLevel

from .databases import drop_prefixed, new_prefix, server_url
from .process_workers import process_orders
from .test_process import COURIERS, RULES, config, order

LIMIT = 25


@pytest.fixture(params=["postgres", "mysql"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    url = server_url(str(request.param))
    prefix = new_prefix()
    yield url, prefix
    drop_prefixed(url, prefix)


def test_quota_exhausted_by_four_processes_is_never_over_issued(server: tuple[str, str]) -> None:
    url, prefix = server
    cfg: dict[str, Any] = config(url, prefix)
    rules = dict(RULES)
    rules["gifts"] = [{**RULES["gifts"][0], "limit": {"total": LIMIT}}]
    cfg["rules"] = rules
    kit = OrderKit.from_config(cfg, entrypoints=False, plugins=COURIERS)
    kit.upgrade_database()
    kit.store.stock.refresh(
        [StockLevel("山茶花润肤霜", "HZ", 10_000), StockLevel("G2026-01", "HZ", 10_000)]
    )
    refs = [f"own-mini/C{i:03d}" for i in range(120)]
    kit.ingest([order(ref.split("/")[1]) for ref in refs])
    # each worker takes an overlapping slice, so orders are raced for too
    slices = [refs[i * 30 : i * 30 + 45] for i in range(4)]
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.starmap(process_orders, [(cfg, s) for s in slices])
    usage = kit.store.tables.gift_quota_usage
    claims = kit.store.tables.gift_quota_claims
    with kit.store.db.transaction() as conn:
        used = conn.execute(sa.select(usage.c.used).where(usage.c.day == "*")).scalar_one()
        held = conn.execute(
            sa.select(sa.func.count()).select_from(claims).where(claims.c.state == "held")
        ).scalar_one()
    gifted = sum(1 for ref in refs if any(line.is_gift for line in kit.get(ref).order.lines))
    assert used == held == gifted == LIMIT, (used, held, gifted, results)
    assert all(kit.get(ref).lifecycle == "allocated" for ref in refs)
    kit.engine.dispose()
