"""A small reference channel for testing the engine and the contract itself:
a signed JSON API with page-number paging, a sandbox with the contract's
controls, and thin hookimpls. Real plugins follow the same shape."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from orderkit import hookimpl
from orderkit.clock import Clock, SystemClock
from orderkit.errors import ChannelAuthError, ChannelRateLimited, ChannelResponseError
from orderkit.models import Order, Shipment
from orderkit.specs import (
    ChannelSpec,
    CredentialGrant,
    FetchPage,
    FetchProblem,
    PagingStyle,
    ShipResult,
    ShopContext,
    SyncWindow,
)

CODE = "fakeshop"
TABLE = Path(__file__).parent / "data" / "status" / "fakeshop.json"
STATUSES = ("WAIT_PAY", "PAID", "SHIPPED", "DONE", "CANCELLED")


def sign(params: Mapping[str, Any], secret: str) -> str:
    text = "".join(f"{k}{params[k]}" for k in sorted(params) if k != "sign")
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


class FakeSandbox:
    base_url = "https://fakeshop.sandbox"

    def __init__(
        self,
        *,
        orders: int = 100,
        seed: int = 1,
        start: datetime,
        end: datetime,
        clock: Clock | None = None,
        app_key: str = "k",
        app_secret: str = "s",
        session: str = "t",
        **_: Any,
    ) -> None:
        self.clock = clock or SystemClock()
        self.app_key, self.app_secret, self.session = app_key, app_secret, session
        rng = random.Random(seed)
        span = (end - start).total_seconds()
        self.orders: dict[str, dict[str, Any]] = {}
        for i in range(orders):
            modified = start + timedelta(seconds=int(rng.random() * span))
            self._put(f"F{seed}{i:06d}", modified, rng.choice(STATUSES))
        self.calls = 0
        self._expire_after: int | None = None
        self._throttle = 0
        self._retry_after = 0.0
        self._refreshable = True

    def _put(self, ext: str, modified: datetime, status: str, malformed: bool = False) -> None:
        self.orders[ext] = {
            "id": ext,
            "modified": modified.timestamp(),
            "status": status,
            "amount": "bad" if malformed else 3290,
            "sku": "SKU-1",
        }

    # -- contract controls ---------------------------------------------------
    def ground_truth(self) -> dict[str, dict[str, Any]]:
        return {
            k: {"modified_at": datetime.fromtimestamp(v["modified"], UTC)}
            for k, v in self.orders.items()
            if v["amount"] != "bad"
        }

    def add_order(self, *, modified_at: datetime, malformed: bool = False) -> str:
        ext = f"X{len(self.orders):06d}"
        self._put(ext, modified_at, "PAID", malformed)
        return ext

    def expire_session(self, *, after_calls: int = 0, refreshable: bool = False) -> None:
        self._expire_after = self.calls + after_calls
        self._refreshable = refreshable

    def refresh_session(self) -> dict[str, str]:
        self.session = self.session + "-r"
        self._expire_after = None
        return {"session": self.session}

    def throttle(self, *, calls: int, retry_after: float) -> None:
        self._throttle, self._retry_after = calls, retry_after

    # -- the protocol ------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        params = json.loads(request.content)
        if params.get("sign") != sign(params, self.app_secret):
            return httpx.Response(200, json={"error": {"code": "bad_sign"}})
        if params.get("method") == "refresh":
            if not self._refreshable:
                return httpx.Response(200, json={"error": {"code": "refresh_refused"}})
            return httpx.Response(200, json=self.refresh_session() | {"expires_in": 604800})
        if self._expire_after is not None and self.calls > self._expire_after:
            return httpx.Response(200, json={"error": {"code": "session_expired"}})
        if params.get("session") != self.session:
            return httpx.Response(200, json={"error": {"code": "session_expired"}})
        if self._throttle > 0:
            self._throttle -= 1
            return httpx.Response(
                200, json={"error": {"code": "throttled", "retry_after": self._retry_after}}
            )
        start, end = float(params["start"]), float(params["end"])
        if end - start > 86400:
            return httpx.Response(200, json={"error": {"code": "window_too_large"}})
        hits = sorted(
            (o for o in self.orders.values() if start <= o["modified"] < end),
            key=lambda o: (o["modified"], o["id"]),
        )
        size, page = int(params["page_size"]), int(params["page"])
        return httpx.Response(
            200, json={"total": len(hits), "items": hits[(page - 1) * size : page * size]}
        )

    def transport(self) -> httpx.BaseTransport:
        return httpx.MockTransport(self.handle)

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        raise NotImplementedError


def map_order(item: dict[str, Any], shop_id: str) -> Order:
    when = datetime.fromtimestamp(item["modified"], UTC)
    return Order.model_validate(
        {
            "channel": CODE,
            "shop_id": shop_id,
            "external_id": item["id"],
            "created_at": when,
            "modified_at": when,
            "amounts": {"goods_total": item["amount"], "paid": item["amount"]},
            "lines": [
                {"line_id": "1", "sku": item["sku"], "quantity": 1, "unit_price": item["amount"]}
            ],
            "platform_status": {"status": item["status"]},
        }
    )


class FakeChannel:
    """The plugin. Subclasses break it on purpose for the contract's own tests."""

    @hookimpl
    def register_channels(self, register: Callable[[ChannelSpec], None]) -> None:
        register(
            ChannelSpec(
                code=CODE,
                display_name="Fake shop",
                max_window=timedelta(days=1),
                default_window=timedelta(minutes=30),
                default_overlap=timedelta(minutes=5),
                paging=PagingStyle.PAGE_FROM_1,
                status_table=TABLE,
                sandbox_factory=FakeSandbox,
            )
        )

    def call(self, shop: ShopContext, params: dict[str, Any]) -> dict[str, Any]:
        params = {
            **params,
            "app_key": shop.credential("app_key"),
            "session": shop.credential("session"),
        }
        params["sign"] = sign(params, shop.credential("app_secret"))
        body: dict[str, Any] = shop.http.post(
            f"{shop.endpoint}/api", content=json.dumps(params)
        ).json()
        error = body.get("error")
        if error:
            code = error["code"]
            if code in ("session_expired", "refresh_refused"):
                raise ChannelAuthError("session expired", channel=CODE, shop_id=shop.shop_id)
            if code == "throttled":
                raise ChannelRateLimited(
                    "throttled",
                    channel=CODE,
                    shop_id=shop.shop_id,
                    retry_after=float(error["retry_after"]),
                )
            raise ChannelResponseError(code, channel=CODE, shop_id=shop.shop_id, code=code)
        return body

    @hookimpl
    def fetch_orders(self, shop: ShopContext, window: SyncWindow, page: str | None) -> FetchPage:
        number = int(page or 1)
        size = int(shop.settings.get("page_size", 100))
        body = self.call(
            shop,
            {
                "start": window.start.timestamp(),
                "end": window.end.timestamp(),
                "page": number,
                "page_size": size,
            },
        )
        result = FetchPage(total=body["total"])
        for item in body["items"]:
            try:
                result.orders.append(map_order(item, shop.shop_id))
            except Exception as exc:
                result.problems.append(FetchProblem(item["id"], str(exc), raw=item))
        result.next_page = str(number + 1) if number * size < body["total"] else None
        return result

    @hookimpl
    def refresh_credentials(self, shop: ShopContext) -> CredentialGrant:
        body = self.call(shop, {"method": "refresh"})
        expires = shop.clock.now() + timedelta(seconds=body["expires_in"])
        return CredentialGrant({"session": body["session"]}, expires)

    @hookimpl
    def ship_order(self, shop: ShopContext, order: Order, shipment: Shipment) -> ShipResult:
        return ShipResult(accepted=True)
