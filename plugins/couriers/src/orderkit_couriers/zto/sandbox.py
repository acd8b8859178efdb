"""A local ZTO open platform (ZOP) gateway for tests, the demo and
``orderkit sandbox zto``.

Checks: the API path (S207), the company-id and digest headers (S208; both
``x-companyid``/``x-datadigest`` and ``x-appKey``/``x-dataDigest`` spellings,
see the README), the company id (S210), ``data_digest`` over the raw body
(S211), then the body of ``zto.open.createOrder`` (S208 naming the missing
field). A repeated ``partnerOrderCode`` returns the first order's answer
(UNCONFIRMED for the real ZOP; see the README).

Options (keyword, all optional; unknown ones are ignored): ``seed``,
``clock``, ``app_key`` (default ``sandbox-company``), ``app_secret``
(default ``sandbox-secret``), ``base_url``.
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Mapping
from typing import Any, ClassVar

from orderkit_couriers.sandboxing import (
    CourierSandbox,
    ReceivedCall,
    Refused,
    WireRequest,
    WireResponse,
)
from orderkit_couriers.zto.protocol import (
    ALT_COMPANY_HEADER,
    CODE,
    COMPANY_HEADER,
    CREATE_ORDER_PATH,
    DIGEST_HEADER,
    LOCAL_SANDBOX_URL,
    OK_STATUS,
    SYSTEM_CODES,
    data_digest,
)

_SITES = (("021001", "上海青浦"), ("571010", "杭州西湖"), ("755020", "深圳南山"))


class ZtoSandbox(CourierSandbox):
    """ZOP's gateway and ``zto.open.createOrder``; see the module docstring."""

    code: ClassVar[str] = CODE
    local_url: ClassVar[str] = LOCAL_SANDBOX_URL
    throttle_code: ClassVar[str | int] = "S221"  # QPS flow control
    auth_code: ClassVar[str | int] = "S210"  # no permission

    def __init__(
        self,
        *,
        seed: int = 0,
        clock: Any = None,
        app_key: str = "sandbox-company",
        app_secret: str = "sandbox-secret",
        base_url: str | None = None,
        **ignored: Any,
    ) -> None:
        super().__init__(seed=seed, clock=clock, base_url=base_url)
        self.app_key = app_key
        self.app_secret = app_secret
        self.ignored_options = sorted(ignored)

    def credentials(self) -> dict[str, str]:
        """What a courier config needs to talk to this sandbox."""
        return {"app_key": self.app_key, "app_secret": self.app_secret}

    # -- CourierSandbox -------------------------------------------------------------

    def error(self, code: str | int, message: str | None = None) -> WireResponse:
        body = {
            "status": False,
            "statusCode": str(code),
            "message": message or SYSTEM_CODES.get(str(code), ""),
            "result": None,
        }
        return WireResponse.json(body, str(code))

    def new_waybill(self, rng: random.Random) -> str:
        return f"73{rng.randrange(10**11, 10**12)}"

    def answer(self, request: WireRequest, call: ReceivedCall) -> WireResponse:
        self._gateway(request, call)
        return self._create_order(request)

    # -- gateway ----------------------------------------------------------------------

    def _gateway(self, request: WireRequest, call: ReceivedCall) -> None:
        if request.path.rstrip("/") != CREATE_ORDER_PATH:
            raise Refused("S207", f"no such API: {request.path.lstrip('/')}")
        company = request.headers.get(COMPANY_HEADER) or request.headers.get(ALT_COMPANY_HEADER)
        digest = request.headers.get(DIGEST_HEADER)
        if not company or not digest:
            raise Refused("S208", f"missing header {COMPANY_HEADER} or {DIGEST_HEADER}")
        if company != self.app_key:
            raise Refused("S210", f"no permission for company id {company}")
        call.signature = digest
        call.signature_ok = digest == data_digest(request.text(), self.app_secret)
        if not call.signature_ok:
            raise Refused("S211")

    # -- zto.open.createOrder -----------------------------------------------------------

    def _create_order(self, request: WireRequest) -> WireResponse:
        try:
            body = json.loads(request.text())
        except ValueError:
            raise Refused("S208", "the body is not JSON") from None
        if not isinstance(body, dict):
            raise Refused("S208", "the body must be a JSON object")
        missing = _missing(body)
        if missing:
            raise Refused("S208", f"missing parameter: {missing}")
        order_code = str(body["partnerOrderCode"])
        booking, repeat = self.book(order_code, body)
        site_code, site_name = _SITES[int(booking.waybill[-1]) % len(_SITES)]
        result = {
            "billCode": booking.waybill,
            "orderCode": f"{zlib.crc32(order_code.encode('utf-8')):010d}",
            "partnerOrderCode": order_code,
            "siteCode": site_code,
            "siteName": site_name,
            "bigMarkInfo": {
                "mark": f"{site_code[:3]}-{booking.waybill[-3:]}",
                "bagAddr": site_name,
            },
        }
        outcome = "repeat" if repeat else "booked"
        return WireResponse.json(
            {"status": True, "statusCode": OK_STATUS, "message": "请求成功", "result": result},
            outcome,
        )


def _missing(body: Mapping[str, Any]) -> str | None:
    if not body.get("partnerOrderCode"):
        return "partnerOrderCode"
    for section, prefix in (("senderInfo", "sender"), ("receiveInfo", "receiver")):
        info = body.get(section)
        if not isinstance(info, dict):
            return section
        for field in ("Name", "Address"):
            if not info.get(prefix + field):
                return f"{section}.{prefix}{field}"
        if not (info.get(prefix + "Mobile") or info.get(prefix + "Phone")):
            return f"{section}.{prefix}Mobile"
    return None
