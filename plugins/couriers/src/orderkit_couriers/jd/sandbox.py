"""A local JD Logistics LOP gateway for tests, the demo and ``orderkit sandbox jd``.

Checks: the path (404), the query parameters ``LOP-DN``, ``app_key``,
``access_token``, ``timestamp``, ``v``, ``sign``, ``algorithm`` (code 1), the
app key and access token (2), the timestamp against the sandbox clock (4,
±``max_skew`` seconds), ``md5-salt`` recomputed from the query and the raw
body (3; hex compared without case: the official sample upper-cases, a
PyPI SDK lower-cases), then the JSON-array body of ``orders/create``: one
order with ``orderId`` (1-50), both contacts' name, phone and full address
(1), and the configured ``customerCode`` (2). A reused ``orderId`` answers
success with subCode ``0_0001`` and the first waybill. Gateway codes are this
sandbox's choice (UNCONFIRMED; see the README).

Options (keyword, all optional; unknown ones are ignored): ``seed``,
``clock``, ``app_key`` (default ``sandbox-app``), ``app_secret`` (default
``sandbox-secret``), ``access_token`` (default ``sandbox-token``),
``customer_code`` (default ``010K000001``), ``max_skew`` (seconds, default
600), ``base_url``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from orderkit_couriers.jd.protocol import (
    ALGORITHM,
    API_VERSION,
    CODE,
    CREATE_ORDER_PATH,
    DUPLICATE_SUB_CODE,
    ERROR_CODES,
    GMT8,
    LOCAL_SANDBOX_URL,
    LOP_DN,
    MAX_ORDER_ID,
    TIME_FORMAT,
    sign,
)
from orderkit_couriers.sandboxing import (
    CourierSandbox,
    ReceivedCall,
    Refused,
    WireRequest,
    WireResponse,
)

_QUERY = ("LOP-DN", "app_key", "access_token", "timestamp", "v", "sign", "algorithm")


class JdSandbox(CourierSandbox):
    """JD's LOP gateway and ``/ecap/v1/orders/create``; see the module docstring."""

    code: ClassVar[str] = CODE
    local_url: ClassVar[str] = LOCAL_SANDBOX_URL
    throttle_code: ClassVar[str | int] = 5
    auth_code: ClassVar[str | int] = 2

    def __init__(
        self,
        *,
        seed: int = 0,
        clock: Any = None,
        app_key: str = "sandbox-app",
        app_secret: str = "sandbox-secret",
        access_token: str = "sandbox-token",
        customer_code: str = "010K000001",
        max_skew: float = 600.0,
        base_url: str | None = None,
        **ignored: Any,
    ) -> None:
        super().__init__(seed=seed, clock=clock, base_url=base_url, max_skew=max_skew)
        self.app_key = app_key
        self.app_secret = app_secret
        self.access_token = access_token
        self.customer_code = customer_code
        self.ignored_options = sorted(ignored)
        self._responses = 0

    def credentials(self) -> dict[str, str]:
        """What a courier config needs to talk to this sandbox."""
        return {
            "app_key": self.app_key,
            "app_secret": self.app_secret,
            "access_token": self.access_token,
            "customer_code": self.customer_code,
        }

    # -- CourierSandbox -------------------------------------------------------------

    def error(self, code: str | int, message: str | None = None) -> WireResponse:
        text = ERROR_CODES[int(code)]
        return self._envelope(False, int(code), text, str(code), message or text, None, str(code))

    def new_waybill(self, rng: random.Random) -> str:
        return f"JDV{rng.choice('ABCDE')}{rng.randrange(10**10, 10**11):011d}"

    def answer(self, request: WireRequest, call: ReceivedCall) -> WireResponse:
        if request.path.rstrip("/") != CREATE_ORDER_PATH:
            return WireResponse.json({"error": f"not found: {request.path}"}, "404", 404)
        self._gateway(request, call)
        return self._create_order(request.text())

    # -- gateway ----------------------------------------------------------------------

    def _gateway(self, request: WireRequest, call: ReceivedCall) -> None:
        query = request.query
        for name in _QUERY:
            if not query.get(name):
                raise Refused(1, f"{name} is required")
        if query["LOP-DN"] != LOP_DN or query["v"] != API_VERSION:
            raise Refused(1, f"LOP-DN must be {LOP_DN} and v {API_VERSION}")
        if query["algorithm"] != ALGORITHM:
            raise Refused(1, f"this sandbox verifies {ALGORITHM} only")
        if query["app_key"] != self.app_key or query["access_token"] != self.access_token:
            raise Refused(2, "app_key or access_token not recognised (expired?)")
        try:
            sent = datetime.strptime(query["timestamp"], TIME_FORMAT).replace(tzinfo=GMT8)
        except ValueError:
            raise Refused(4, "timestamp must be yyyy-MM-dd HH:mm:ss (GMT+8)") from None
        if abs(sent.timestamp() - self.now_seconds()) > self.max_skew:
            raise Refused(4, "timestamp too far from server time")
        expected = sign(
            app_secret=self.app_secret,
            access_token=query["access_token"],
            app_key=query["app_key"],
            method=request.path,
            param_json=request.text(),
            timestamp=query["timestamp"],
            version=query["v"],
        )
        call.signature = query["sign"]
        call.signature_ok = call.signature.upper() == expected
        if not call.signature_ok:
            raise Refused(3)

    # -- orders/create ----------------------------------------------------------------

    def _create_order(self, text: str) -> WireResponse:
        try:
            body = json.loads(text)
        except ValueError:
            raise Refused(1, "the body is not JSON") from None
        if not (isinstance(body, list) and len(body) == 1 and isinstance(body[0], dict)):
            raise Refused(1, "the body must be a JSON array holding one order")
        order: dict[str, Any] = body[0]
        order_id = str(order.get("orderId") or "")
        if not 1 <= len(order_id) <= MAX_ORDER_ID:
            raise Refused(1, f"orderId: 1-{MAX_ORDER_ID} characters")
        missing = _missing(order)
        if missing:
            raise Refused(1, f"{missing} is required")
        if order.get("customerCode") != self.customer_code:
            raise Refused(2, f"customerCode {order.get('customerCode')} not authorised")
        booking, repeat = self.book(order_id, order)
        data = {
            "waybillCode": booking.waybill,
            "orderCode": f"EO{booking.waybill[-11:]}",
            "presortResult": {"startSiteId": 1000 + int(booking.waybill[-3:]), "roadArea": "A1"},
        }
        if repeat:
            return self._envelope(
                True, 0, "成功", DUPLICATE_SUB_CODE, "商家订单号已被使用", data, "repeat"
            )
        return self._envelope(True, 0, "成功", "0", "", data, "booked")

    # -- envelopes --------------------------------------------------------------------

    def _envelope(
        self,
        success: bool,
        code: int,
        msg: str,
        sub_code: str,
        sub_msg: str,
        data: Mapping[str, Any] | None,
        outcome: str,
    ) -> WireResponse:
        self._responses += 1
        body = {
            "code": code,
            "success": success,
            "msg": msg,
            "requestId": f"sbx-{self.seed}-{self._responses:010d}",
            "subCode": sub_code,
            "subMsg": sub_msg,
            "data": data,
        }
        return WireResponse.json(body, outcome)


def _missing(order: Mapping[str, Any]) -> str | None:
    for role in ("senderContact", "receiverContact"):
        entry = order.get(role)
        if not isinstance(entry, dict):
            return role
        if not entry.get("name"):
            return f"{role}.name"
        if not (entry.get("mobile") or entry.get("phone")):
            return f"{role}.mobile"
        if not entry.get("fullAddress"):
            return f"{role}.fullAddress"
    return None
