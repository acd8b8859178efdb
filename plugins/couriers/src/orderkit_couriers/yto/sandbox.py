"""A local YTO "open" gateway for tests, the demo and ``orderkit sandbox yto``.

Checks: the path ``/open/<method>/<version>/<token>/<customerCode>`` (404 for
another method), the version, the token and customer code (AUTH_ERROR), the
body fields and ``format`` (PARAM_ERROR), ``sign`` recomputed from the raw
``param`` text and the path's method and version (SIGN_ERROR), then the
param of ``privacy_create_adapter``: ``logisticsNo``, sender and recipient
name, mobile and address, at most 20 goods (PARAM_ERROR). A repeated
``logisticsNo`` returns the first order's answer. The error envelope and codes
are this sandbox's choice (UNCONFIRMED; see the README).

Options (keyword, all optional; unknown ones are ignored): ``seed``,
``clock``, ``customer_code`` (default ``K21000119``, the UAT sample code),
``app_key`` (the per-API path token, default ``Ef4kfE``), ``app_secret``
(default ``sandbox-secret``), ``base_url``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from typing import Any, ClassVar

from orderkit_couriers.sandboxing import (
    CourierSandbox,
    ReceivedCall,
    Refused,
    WireRequest,
    WireResponse,
)
from orderkit_couriers.yto.protocol import (
    CODE,
    CREATE_ORDER,
    ERROR_CODES,
    FORMAT_JSON,
    LOCAL_SANDBOX_URL,
    MAX_GOODS,
    VERSION,
    sign,
)


class YtoSandbox(CourierSandbox):
    """YTO's open gateway and ``privacy_create_adapter``; see the module docstring."""

    code: ClassVar[str] = CODE
    local_url: ClassVar[str] = LOCAL_SANDBOX_URL
    throttle_code: ClassVar[str | int] = "RATE_LIMIT"
    auth_code: ClassVar[str | int] = "AUTH_ERROR"

    def __init__(
        self,
        *,
        seed: int = 0,
        clock: Any = None,
        customer_code: str = "K21000119",
        app_key: str = "Ef4kfE",
        app_secret: str = "sandbox-secret",
        base_url: str | None = None,
        **ignored: Any,
    ) -> None:
        super().__init__(seed=seed, clock=clock, base_url=base_url)
        self.customer_code = customer_code
        self.app_key = app_key
        self.app_secret = app_secret
        self.ignored_options = sorted(ignored)

    def credentials(self) -> dict[str, str]:
        """What a courier config needs to talk to this sandbox."""
        return {
            "customer_code": self.customer_code,
            "app_key": self.app_key,
            "app_secret": self.app_secret,
        }

    # -- CourierSandbox -------------------------------------------------------------

    def error(self, code: str | int, message: str | None = None) -> WireResponse:
        body = {"success": False, "code": str(code), "reason": message or ERROR_CODES[str(code)]}
        return WireResponse.json(body, str(code))

    def new_waybill(self, rng: random.Random) -> str:
        return f"YT{rng.randrange(10**12, 10**13)}"

    def answer(self, request: WireRequest, call: ReceivedCall) -> WireResponse:
        parts = request.path.strip("/").split("/")
        if len(parts) != 5 or parts[0] != "open" or parts[1] != CREATE_ORDER:
            return WireResponse.json({"error": f"not found: {request.path}"}, "404", 404)
        _, method, version, token, customer = parts
        param = self._gateway(request, call, method, version, token, customer)
        return self._create_order(param)

    # -- gateway ----------------------------------------------------------------------

    def _gateway(
        self,
        request: WireRequest,
        call: ReceivedCall,
        method: str,
        version: str,
        token: str,
        customer: str,
    ) -> str:
        if version != VERSION:
            raise Refused("PARAM_ERROR", f"unsupported version {version}")
        if token != self.app_key or customer != self.customer_code:
            raise Refused("AUTH_ERROR")
        try:
            body = json.loads(request.text())
        except ValueError:
            raise Refused("PARAM_ERROR", "the body is not JSON") from None
        if not isinstance(body, dict):
            raise Refused("PARAM_ERROR", "the body must be a JSON object")
        for name in ("timestamp", "param", "sign", "format"):
            if body.get(name) in (None, ""):
                raise Refused("PARAM_ERROR", f"{name} is required")
        if str(body["format"]).upper() != FORMAT_JSON:
            raise Refused("PARAM_ERROR", "format must be JSON")
        param = body["param"]
        if not isinstance(param, str):
            raise Refused("PARAM_ERROR", "param must be JSON text")
        call.signature = str(body["sign"])
        call.signature_ok = call.signature == sign(param, method, version, self.app_secret)
        if not call.signature_ok:
            raise Refused("SIGN_ERROR")
        return param

    # -- privacy_create_adapter ---------------------------------------------------------

    def _create_order(self, param_text: str) -> WireResponse:
        try:
            param = json.loads(param_text)
        except ValueError:
            raise Refused("PARAM_ERROR", "param is not JSON") from None
        if not isinstance(param, dict):
            raise Refused("PARAM_ERROR", "param must be a JSON object")
        missing = _missing(param)
        if missing:
            raise Refused("PARAM_ERROR", f"{missing}不能为空")
        goods = param.get("goods") or []
        if not isinstance(goods, list) or len(goods) > MAX_GOODS:
            raise Refused("PARAM_ERROR", f"goods: at most {MAX_GOODS} entries")
        booking, repeat = self.book(str(param["logisticsNo"]), param)
        body = {
            "logisticsNo": booking.order_id,
            "mailNo": booking.waybill,
            # 三段码 (sort code); the field name is UNCONFIRMED.
            "shortAddress": f"{booking.waybill[2:5]}-{booking.waybill[5:8]}-{booking.waybill[-2:]}",
        }
        return WireResponse.json(body, "repeat" if repeat else "booked")


def _missing(param: Mapping[str, Any]) -> str | None:
    names = ["logisticsNo"]
    for role in ("sender", "recipient"):
        names += [f"{role}Name", f"{role}Mobile", f"{role}Address"]
    return next((name for name in names if not param.get(name)), None)
