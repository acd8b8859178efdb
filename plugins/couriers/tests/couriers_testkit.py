"""Shared pieces of the courier plugins' tests: a context wired to a sandbox,
a pickup request, recorded-style payloads as plain dicts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from orderkit.clock import FakeClock, RecordingSleeper
from orderkit.decisions import PickupRequest
from orderkit.errors import CourierError
from orderkit.models import Shipment
from orderkit.specs import CourierContext
from orderkit.testing.courier_contract import NOW, SENDER, contract_order


def context(
    code: str,
    credentials: Mapping[str, str],
    *,
    transport: httpx.BaseTransport | None = None,
    handler: Callable[[httpx.Request], httpx.Response] | None = None,
    endpoint: str | None = "sandbox",
    settings: Mapping[str, Any] | None = None,
    clock: FakeClock | None = None,
) -> CourierContext:
    """A hand-built context: a sandbox transport or a MockTransport handler."""
    if handler is not None:
        transport = httpx.MockTransport(handler)
    clock = clock or FakeClock(NOW)

    def credential(name: str) -> str:
        if name not in credentials:
            raise CourierError(f"no {name} configured", courier=code)
        return credentials[name]

    return CourierContext(
        code=code,
        endpoint=endpoint,
        settings={"sender": SENDER, **(settings or {})},
        credential=credential,
        http=httpx.Client(transport=transport),
        clock=clock,
        sleeper=RecordingSleeper(clock),
    )


def pickup(code: str, key: str = "shop-a/CT1/p1", **order: Any) -> PickupRequest:
    """A pickup request for the contract order (fields of it overridden by ``order``)."""
    base = contract_order()
    return PickupRequest(
        order=base.model_copy(update=order) if order else base,
        shipment=Shipment(shipment_id="p1"),
        courier=code,
        idempotency_key=key,
    )


def answering(payload: Any, status: int = 200) -> Callable[[httpx.Request], httpx.Response]:
    """A MockTransport handler that answers every request with ``payload``."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=payload)

    return handler
