from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _clean_plugin_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Tests build their own hosts; the developer's switches must not leak in.
    for var in (
        "ORDERKIT_STRICT_PLUGINS",
        "ORDERKIT_LOAD_PLUGINS",
        "ORDERKIT_DISABLE_PLUGINS",
        "ORDERKIT_TRACE_PLUGINS",
        "ORDERKIT_CONFIG",
    ):
        monkeypatch.delenv(var, raising=False)
    yield


def make_order_payload(**overrides: Any) -> dict[str, Any]:
    """A small valid canonical order as a dict."""
    payload: dict[str, Any] = {
        "channel": "own",
        "shop_id": "own-mini",
        "external_id": "T1",
        "created_at": "2026-11-11T10:00:00+08:00",
        "modified_at": "2026-11-11T10:05:00+08:00",
        "amounts": {"goods_total": 32900, "paid": 32900},
        "lines": [{"line_id": "1", "sku": "SKU-SHCH-50", "quantity": 1, "unit_price": 32900}],
        "platform_status": {"status": "PAID"},
    }
    payload.update(overrides)
    return payload


@pytest.fixture()
def now() -> datetime:
    return datetime(2026, 11, 11, 2, 0, tzinfo=UTC)


pytest_plugins = ["tests.databases", "orderkit.testing"]


def kit_config(db_url: str, prefix: str, **extra: Any) -> dict[str, Any]:
    """A minimal valid config pointing at ``db_url`` with ``prefix``."""
    return {"version": 1, "database": {"url": db_url, "table_prefix": prefix}, **extra}


@pytest.fixture()
def kit(db_url: str, table_prefix: str) -> Any:
    """An upgraded kit on each backend (built-ins only, a fake clock)."""
    from orderkit.clock import FakeClock, RecordingSleeper
    from orderkit.kit import OrderKit

    clock = FakeClock()
    kit = OrderKit.from_config(
        kit_config(db_url, table_prefix),
        entrypoints=False,
        clock=clock,
        sleeper=RecordingSleeper(clock),
    )
    kit.upgrade_database()
    yield kit
    if kit.engine is not None:
        kit.engine.dispose()
