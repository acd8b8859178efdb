"""A local SF ``/std/service`` for tests, the demo and ``orderkit sandbox sf``.

Checks, in the order the gateway makes them: the path, the required form
fields (A1001), the partner (A1004), the timestamp against the sandbox clock
(A1002, ±``max_skew`` seconds), a repeated requestID (A1007), ``msgDigest``
(A1006), the service code (A1004); then the business checks of
``EXP_RECE_CREATE_ORDER`` (orderId, both contacts, cargo) and 筛单 against
``unserved`` names (filterResult 3, remark 2). A reused orderId returns the
first order's answer, as SF documents.

Options (keyword, all optional; unknown ones are ignored): ``seed``,
``clock``, ``partner_id`` (default ``sandbox-partner``), ``check_word``
(default ``sandbox-check-word``), ``unserved`` (division or address words the
sandbox does not deliver to), ``max_skew`` (seconds, default 600),
``base_url``.
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from orderkit_couriers.common import json_text
from orderkit_couriers.sandboxing import (
    CourierSandbox,
    ReceivedCall,
    Refused,
    WireRequest,
    WireResponse,
)
from orderkit_couriers.sf.protocol import (
    API_CODES,
    API_OK,
    BUSINESS_OK,
    CODE,
    CREATE_ORDER,
    FILTER_OK,
    FILTER_REFUSED,
    LOCAL_SANDBOX_URL,
    PARENT_WAYBILL,
    SERVICE_PATH,
    msg_digest,
)

_REQUIRED = ("partnerID", "requestID", "serviceCode", "timestamp", "msgData")
# Business error codes for missing contact fields. UNCONFIRMED: recalled from
# SF's public code table, not in the reference; SBX* codes are the sandbox's own.
_CONTACT_CODES = {
    (1, "address"): ("1010", "寄件地址不能为空"),
    (1, "contact"): ("1011", "寄件联系人不能为空"),
    (1, "phone"): ("1012", "寄件电话不能为空"),
    (2, "address"): ("1014", "到件地址不能为空"),
    (2, "contact"): ("1015", "到件联系人不能为空"),
    (2, "phone"): ("1016", "到件电话不能为空"),
}


class SfSandbox(CourierSandbox):
    """SF's gateway and ``EXP_RECE_CREATE_ORDER``; see the module docstring."""

    code: ClassVar[str] = CODE
    local_url: ClassVar[str] = LOCAL_SANDBOX_URL
    throttle_code: ClassVar[str | int] = "A1005"  # 流量受控
    auth_code: ClassVar[str | int] = "A1004"  # 无对应服务权限

    def __init__(
        self,
        *,
        seed: int = 0,
        clock: Any = None,
        partner_id: str = "sandbox-partner",
        check_word: str = "sandbox-check-word",
        unserved: Iterable[str] = (),
        max_skew: float = 600.0,
        base_url: str | None = None,
        **ignored: Any,
    ) -> None:
        super().__init__(seed=seed, clock=clock, base_url=base_url, max_skew=max_skew)
        self.partner_id = partner_id
        self.check_word = check_word
        self.unserved = tuple(unserved)
        self.ignored_options = sorted(ignored)
        self._request_ids: set[str] = set()
        self._responses = 0

    def credentials(self) -> dict[str, str]:
        """What a courier config needs to talk to this sandbox."""
        return {"partner_id": self.partner_id, "check_word": self.check_word}

    # -- CourierSandbox -------------------------------------------------------------

    def error(self, code: str | int, message: str | None = None) -> WireResponse:
        body = self._envelope(str(code), message or API_CODES[str(code)], None)
        return WireResponse.json(body, str(code))

    def new_waybill(self, rng: random.Random) -> str:
        return f"SF{rng.randrange(10**12, 10**13)}"

    def answer(self, request: WireRequest, call: ReceivedCall) -> WireResponse:
        if request.path.rstrip("/") != SERVICE_PATH:
            return WireResponse.json({"error": f"not found: use {SERVICE_PATH}"}, "404", 404)
        return self._create_order(self._gateway(request.form(), call))

    # -- gateway ----------------------------------------------------------------------

    def _gateway(self, form: dict[str, str], call: ReceivedCall) -> dict[str, str]:
        for name in (*_REQUIRED, "msgDigest"):
            if not form.get(name):
                detail = f"{API_CODES['A1001']}: {name}"
                if name == "msgDigest" and form.get("accessToken"):
                    detail += " (this sandbox offers the digital-signature mode only)"
                raise Refused("A1001", detail)
        if form["partnerID"] != self.partner_id:
            raise Refused("A1004", f"partnerID {form['partnerID']}无对应服务权限")
        stamp = form["timestamp"]
        if not stamp.isdigit() or abs(int(stamp) / 1000 - self.now_seconds()) > self.max_skew:
            raise Refused("A1002")
        if form["requestID"] in self._request_ids:
            raise Refused("A1007")
        call.signature = form["msgDigest"]
        call.signature_ok = call.signature == msg_digest(form["msgData"], stamp, self.check_word)
        if not call.signature_ok:
            raise Refused("A1006")
        self._request_ids.add(form["requestID"])
        if form["serviceCode"] != CREATE_ORDER:
            raise Refused("A1004", f"{form['serviceCode']}无对应服务权限")
        return form

    # -- EXP_RECE_CREATE_ORDER ----------------------------------------------------------

    def _create_order(self, form: Mapping[str, str]) -> WireResponse:
        try:
            data = json.loads(form["msgData"])
        except ValueError:
            return self._business_error("SBX001", "msgData is not JSON")
        if not isinstance(data, dict):
            return self._business_error("SBX001", "msgData must be a JSON object")
        order_id = str(data.get("orderId") or "")
        if not order_id or len(order_id) > 64:
            return self._business_error("8013", "未传入订单号 (orderId: 1-64 characters)")
        problem = _contact_problem(data.get("contactInfoList"))
        if problem:
            return self._business_error(*problem)
        cargo = data.get("cargoDetails")
        if not isinstance(cargo, list) or not cargo or not all(_named(c) for c in cargo):
            return self._business_error("SBX002", "cargoDetails[].name is required")
        receiver = next(c for c in data["contactInfoList"] if c.get("contactType") == 2)
        if self._unserved(receiver):
            return self._result(
                {"orderId": order_id, "filterResult": FILTER_REFUSED, "remark": "2"},
                "not_deliverable",
            )
        booking, repeat = self.book(order_id, data)
        sender = next(c for c in data["contactInfoList"] if c.get("contactType") == 1)
        dest = _area_code(receiver)
        return self._result(
            {
                "orderId": order_id,
                "originCode": _area_code(sender),
                "destCode": dest,
                "filterResult": FILTER_OK,
                "remark": "",
                "waybillNoInfoList": [
                    {"waybillType": PARENT_WAYBILL, "waybillNo": booking.waybill}
                ],
                "routeLabelInfo": [
                    {
                        "code": "1000",
                        "routeLabelData": {"waybillNo": booking.waybill, "destRouteLabel": dest},
                    }
                ],
            },
            "repeat" if repeat else "booked",
        )

    def _unserved(self, receiver: Mapping[str, Any]) -> bool:
        text = "".join(
            str(receiver.get(k) or "") for k in ("province", "city", "county", "address")
        )
        return any(word and word in text for word in self.unserved)

    # -- envelopes --------------------------------------------------------------------

    def _envelope(self, api_code: str, message: str, result: Any) -> dict[str, Any]:
        self._responses += 1
        return {
            "apiResultCode": api_code,
            "apiErrorMsg": message,
            "apiResponseID": f"SBX{self.seed:04d}{self._responses:012d}",
            # SF sends the business result as JSON text inside the JSON.
            "apiResultData": None if result is None else json_text(result),
        }

    def _business_error(self, code: str, message: str) -> WireResponse:
        result = {"success": False, "errorCode": code, "errorMsg": message, "msgData": None}
        return WireResponse.json(self._envelope(API_OK, "", result), code)

    def _result(self, msg_data: dict[str, Any], outcome: str) -> WireResponse:
        result = {"success": True, "errorCode": BUSINESS_OK, "errorMsg": None, "msgData": msg_data}
        return WireResponse.json(self._envelope(API_OK, "", result), outcome)


def _named(item: Any) -> bool:
    return isinstance(item, dict) and bool(item.get("name"))


def _contact_problem(contacts: Any) -> tuple[str, str] | None:
    entries = contacts if isinstance(contacts, list) else []
    for contact_type in (1, 2):
        found = [c for c in entries if isinstance(c, dict) and c.get("contactType") == contact_type]
        entry = found[0] if found else {}
        checks = (
            ("address", entry.get("address")),
            ("contact", entry.get("contact")),
            ("phone", entry.get("mobile") or entry.get("tel")),
        )
        for field, value in checks:
            if not value:
                return _CONTACT_CODES[(contact_type, field)]
    return None


def _area_code(contact: Mapping[str, Any]) -> str:
    # A stable 3-digit stand-in for SF's area code (755 Shenzhen, 010 Beijing...).
    city = str(contact.get("city") or contact.get("address") or "")
    return f"{zlib.crc32(city.encode('utf-8')) % 1000:03d}"
