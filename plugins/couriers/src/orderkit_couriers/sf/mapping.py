"""Pure SF mapping: a ``PickupRequest`` -> ``EXP_RECE_CREATE_ORDER`` msgData,
and an SF response -> ``WaybillBooking`` or ``CourierError``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from orderkit.decisions import PickupRequest, WaybillBooking
from orderkit.errors import CourierError
from orderkit_couriers.common import (
    Party,
    cargo_items,
    customer_order_id,
    receiver_party,
    sender_party,
)
from orderkit_couriers.sf.protocol import (
    API_CODES,
    API_OK,
    BUSINESS_OK,
    CODE,
    DUPLICATE_ORDER,
    FILTER_REASONS,
    FILTER_REFUSED,
    MAX_ORDER_ID,
    PARENT_WAYBILL,
    TRANSIENT_API_CODES,
)

SENDER, RECEIVER = 1, 2  # contactType


def order_id(request: PickupRequest) -> str:
    """SF's ``orderId`` for the request: reusing it returns the first waybill."""
    return customer_order_id(request.idempotency_key, MAX_ORDER_ID)


def contact(party: Party, contact_type: int) -> dict[str, Any]:
    """One ``contactInfoList`` entry; a mobile number goes in ``mobile``, else ``tel``."""
    entry: dict[str, Any] = {"contactType": contact_type, "contact": party.name}
    entry["mobile" if party.is_mobile else "tel"] = party.phone
    if party.company:
        entry["company"] = party.company
    entry["country"] = "CN"
    # Standard names or nothing: without province and city, address carries them.
    for key, value in (("province", party.province), ("city", party.city)):
        if value:
            entry[key] = value
    if party.district:
        entry["county"] = party.district
    entry["address"] = party.address
    return entry


def msg_data(
    request: PickupRequest, settings: Mapping[str, Any], monthly_card: str | None
) -> dict[str, Any]:
    """The ``EXP_RECE_CREATE_ORDER`` business JSON for one shipment."""
    sender = sender_party(request, settings, CODE)
    receiver = receiver_party(request.order, CODE)
    data: dict[str, Any] = {
        "language": str(settings.get("language", "zh-CN")),
        "orderId": order_id(request),
        "cargoDetails": [{"name": name, "count": count} for name, count in cargo_items(request)],
        "contactInfoList": [contact(sender, SENDER), contact(receiver, RECEIVER)],
        "payMethod": int(settings.get("pay_method", 1)),
        "parcelQty": 1,
        "isDocall": int(settings.get("is_docall", 1)),  # book a pickup: send a courier
        "custReferenceNo": request.order.external_id,
    }
    if monthly_card:
        data["monthlyCard"] = monthly_card
    if "express_type_id" in settings:
        data["expressTypeId"] = int(settings["express_type_id"])
    if request.order.seller_memo:
        data["remark"] = request.order.seller_memo[:100]
    return data


def parse_response(payload: Mapping[str, Any]) -> WaybillBooking:
    """The waybill from an SF answer, or the ``CourierError`` it means."""
    api_code = str(payload.get("apiResultCode", ""))
    if api_code != API_OK:
        text = payload.get("apiErrorMsg") or API_CODES.get(api_code, "unknown platform error")
        raise CourierError(
            f"{api_code or 'no apiResultCode'}: {text}{_hint(api_code)}",
            courier=CODE,
            transient=api_code in TRANSIENT_API_CODES,
        )
    result = _decoded(payload.get("apiResultData"))
    data = _decoded(result.get("msgData")) if result.get("msgData") is not None else {}
    if not result.get("success") or str(result.get("errorCode", BUSINESS_OK)) != BUSINESS_OK:
        code = str(result.get("errorCode", ""))
        waybill = _parent_waybill(data) if code == DUPLICATE_ORDER else None
        if waybill:  # a reused orderId: the first order's waybill is the answer
            return WaybillBooking(courier=CODE, waybill=waybill)
        raise CourierError(f"{code}: {result.get('errorMsg') or 'refused'}", courier=CODE)
    if int(data.get("filterResult", 2) or 2) == FILTER_REFUSED:
        reason = FILTER_REASONS.get(str(data.get("remark", "")).split("：")[0], "")
        raise CourierError(
            f"not deliverable (filterResult 3{': ' + reason if reason else ''})", courier=CODE
        )
    waybill = _parent_waybill(data)
    if not waybill:
        raise CourierError("accepted the order but sent no waybill number", courier=CODE)
    return WaybillBooking(courier=CODE, waybill=waybill)


def _decoded(value: Any) -> dict[str, Any]:
    # apiResultData and msgData often arrive as JSON text inside the JSON.
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise CourierError("sent a result that is not JSON", courier=CODE) from None
    return dict(value) if isinstance(value, Mapping) else {}


def _parent_waybill(data: Mapping[str, Any]) -> str | None:
    numbers = [n for n in data.get("waybillNoInfoList") or [] if isinstance(n, Mapping)]
    parents = [n for n in numbers if int(n.get("waybillType", PARENT_WAYBILL)) == PARENT_WAYBILL]
    for entry in parents or numbers:
        if entry.get("waybillNo"):
            return str(entry["waybillNo"])
    return None


def _hint(api_code: str) -> str:
    if api_code in ("A1004", "A1006"):
        return " (check partner_id and check_word)"
    if api_code == "A1002":
        return " (check the machine's clock)"
    return ""
