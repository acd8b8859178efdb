"""Pushes the sandbox sends when its orders change, signed as Douyin signs
them (``event-sign`` = md5(app_key + body + app_secret), §2.9).

A target is a callable ``(headers, body) -> status`` (e.g. a ``PushIntake``'s
``handle`` wrapped, for in-process tests) or a URL on the loopback interface
(posted with an ``httpx.Client``, e.g. to ``PushApp`` under uvicorn). The
sandbox never posts anywhere else: it is for trying an intake, not for
sending traffic out.

Message ``data`` follows the documented tag-100 shape (``p_id``, ``s_ids``,
``shop_id``, ``order_status``, ``order_type``, ``biz``, ``create_time``, ids as
JSON numbers) plus ``update_time``; other tags' exact shapes are not in the
reference, so the sandbox uses the same one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from orderkit_douyin.push.signature import event_sign
from orderkit_douyin.sandbox.book import Change

PushTarget = Callable[[Mapping[str, str], bytes], Any]
#: Messages per POST; Douyin batches messages into one array.
BATCH: Final = 20
_LOOPBACK: Final = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def tag_for(change: Change) -> int:
    """The push tag a change is announced with (§2.9 tag list)."""
    after = change.after.stage
    before = change.before.stage if change.before is not None else None
    uploaded = bool(change.after.extra.get("logistics_info"))
    if uploaded and not (change.before is not None and change.before.extra.get("logistics_info")):
        return 102  # seller shipped (tracking uploaded)
    if before is None:
        return 100  # order created
    sales_before = [s[2] for s in before.skus]
    sales_after = [s[2] for s in after.skus]
    if sales_after != sales_before:
        statuses = {sale[1] for sale in sales_after if sale is not None}
        if statuses & {12, 51, 53}:
            return 206  # refund succeeded
        if statuses & {27, 29}:
            return 204  # refund refused
        if statuses & {28, 14}:
            return 207  # after-sale closed
        return 200  # buyer applied / after-sale moved on
    code = after.order_status
    if code == 4:
        return 106  # cancelled
    if code == 5:
        return 103  # trade completed
    if code == 3:
        return 104 if before.order_status in (2, 101, 105) else 102  # first scan
    if code == 101:
        return 108  # partial shipment
    if code in (105, 2):
        return 101 if before.order_status == 1 else 110
    return 100


def message(change: Change, msg_id: str, shop_id: int) -> dict[str, Any]:
    """One push message for a change."""
    base = change.record.base
    stage = change.after.stage
    data = {
        "p_id": base.order_id,
        "s_ids": [sku.order_id for sku in base.skus],
        "shop_id": shop_id,
        "order_status": stage.order_status,
        "order_type": 0,
        "biz": 2,
        "create_time": base.created_s,
        "update_time": change.after.at,
    }
    return {"tag": str(tag_for(change)), "msg_id": msg_id, "data": json.dumps(data)}


@dataclass
class Delivery:
    """One POST the sandbox made: what it sent and what came back."""

    body: bytes
    headers: dict[str, str]
    status: int | None
    error: str | None = None


class PushSender:
    """Queues messages and delivers them to the configured target."""

    def __init__(
        self,
        *,
        app_key: str,
        app_secret: Callable[[], str],
        target: PushTarget | str | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        if isinstance(target, str):
            host = urlsplit(target).hostname or ""
            if host not in _LOOPBACK:
                raise ValueError(f"the sandbox pushes to loopback URLs only, not {target!r}")
        self.app_key = app_key
        self._secret = app_secret
        self.target = target
        self._client = client
        self.queue: list[dict[str, Any]] = []
        self.deliveries: list[Delivery] = []
        self._counter = 0

    def next_msg_id(self) -> str:
        self._counter += 1
        return f"{7_300_000_000_000_000_000 + self._counter}:0"

    def enqueue(self, messages: list[dict[str, Any]]) -> None:
        if self.target is not None:
            self.queue.extend(messages)

    def flush(self) -> list[Delivery]:
        """Send every queued message (in batches); return the deliveries made."""
        made: list[Delivery] = []
        while self.queue:
            batch, self.queue = self.queue[:BATCH], self.queue[BATCH:]
            made.append(self.send(batch))
        return made

    def send(self, messages: list[dict[str, Any]]) -> Delivery:
        """POST one array of messages now, signed."""
        body = json.dumps(messages, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {
            "content-type": "application/json",
            "app-id": self.app_key,
            "event-sign": event_sign(self.app_key, body, self._secret()),
        }
        delivery = Delivery(body=body, headers=headers, status=None)
        try:
            if callable(self.target):
                answer = self.target(headers, body)
                delivery.status = int(getattr(answer, "status", 200))
            elif isinstance(self.target, str):
                client = self._client or httpx.Client(timeout=5.0)
                try:
                    response = client.post(self.target, content=body, headers=headers)
                    delivery.status = response.status_code
                finally:
                    if self._client is None:
                        client.close()
        except Exception as exc:  # a broken receiver must not break the sandbox
            delivery.error = f"{type(exc).__name__}: {exc}"
        self.deliveries.append(delivery)
        return delivery
