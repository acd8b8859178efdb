"""Shared helpers of the Taobao plugin's tests (a module with a unique name, so
it never clashes with another plugin's test helpers on ``sys.path``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from orderkit.clock import FakeClock, RecordingSleeper
from orderkit.specs import ShopContext
from orderkit_taobao.sandbox import TaobaoSandbox

PAYLOADS = Path(__file__).with_name("payloads")

#: 2026-11-11 12:00 in China (04:00 UTC).
NOW = datetime(2026, 11, 11, 4, 0, tzinfo=UTC)
#: The sandbox's trades are modified over the 24 hours before 11:00 China time.
START = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
END = datetime(2026, 11, 11, 3, 0, tzinfo=UTC)


def load_payload(name: str) -> Any:
    """A recorded payload from ``tests/payloads``."""
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def make_shop(
    sandbox: TaobaoSandbox,
    clock: FakeClock,
    *,
    settings: dict[str, Any] | None = None,
    credentials: dict[str, str] | None = None,
) -> ShopContext:
    """A shop talking to ``sandbox`` in-process; ``credentials`` is live (mutate it)."""
    creds = credentials if credentials is not None else sandbox.credentials()
    return ShopContext(
        shop_id="tb-babycare-flagship",
        channel="taobao",
        endpoint="sandbox",
        settings=settings or {},
        credential=lambda name: creds[name],
        http=httpx.Client(transport=sandbox.transport()),
        clock=clock,
        sleeper=RecordingSleeper(clock),
    )
