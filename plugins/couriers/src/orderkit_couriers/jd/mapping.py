"""Pure JD mapping: a ``PickupRequest`` -> ``/ecap/v1/orders/create`` order,
and an LOP answer -> ``WaybillBooking`` or ``CourierError``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orderkit.decisions import PickupRequest, WaybillBooking
from orderkit.errors import CourierError
from orderkit_couriers.common import (
    Party,
    cargo_summary,
    customer_order_id,
    receiver_party,
    sender_party,
)
from orderkit_couriers.jd.protocol import (
    CODE,
    DUPLICATE_SUB_CODE,
    ERROR_CODES,
    MAX_ORDER_ID,
    TRANSIENT_CODES,
)

#: orderOrigin 1 = express B2C; customerCode is required for 1 and 2.
B2C = 1
#: settleType 3 = monthly settlement (月结).
MONTHLY = 3
STANDARD_EXPRESS = "ed-m-0001"  # 京东标快
REMARK_PRINTED = 50  # only the first 50 characters print


def order_id(request: PickupRequest) -> str:
    """JD's ``orderId`` for the request (1-50, unique per merchant)."""
    return customer_order_id(request.idempotency_key, MAX_ORDER_ID)


def contact(party: Party) -> dict[str, str]:
    """``senderContact`` / ``receiverContact``."""
    entry = {"name": party.name, "mobile" if party.is_mobile else "phone": party.phone}
    if party.company:
        entry["company"] = party.company
    entry["fullAddress"] = party.full_address
    return entry


def create_order(
    request: PickupRequest, settings: Mapping[str, Any], customer_code: str
) -> dict[str, Any]:
    """The order object of ``/ecap/v1/orders/create`` (sent wrapped in a list)."""
    sender = sender_party(request, settings, CODE)
    receiver = receiver_party(request.order, CODE)
    name, quantity = cargo_summary(request)
    cargo: dict[str, Any] = {"name": name, "quantity": quantity}
    if "cargo_weight_kg" in settings:  # orderkit knows no parcel weight yet
        cargo["weight"] = float(settings["cargo_weight_kg"])
    if "cargo_volume_cm3" in settings:
        cargo["volume"] = float(settings["cargo_volume_cm3"])
    order: dict[str, Any] = {
        "orderId": order_id(request),
        "senderContact": contact(sender),
        "receiverContact": contact(receiver),
        "orderOrigin": int(settings.get("order_origin", B2C)),
        "customerCode": customer_code,
        "productsReq": {"productCode": str(settings.get("product_code", STANDARD_EXPRESS))},
        "settleType": int(settings.get("settle_type", MONTHLY)),
        "cargoes": [cargo],
        "pickupType": 1,  # door pickup
        "deliveryType": 1,  # to the door
    }
    if request.order.seller_memo:
        order["remark"] = request.order.seller_memo[:REMARK_PRINTED]
    return order


def parse_response(payload: Mapping[str, Any]) -> WaybillBooking:
    """``data.waybillCode`` of an LOP answer, or the ``CourierError`` it means.

    A reused ``orderId`` (subCode 0_0001) is a success: the first waybill.
    """
    code = payload.get("code")
    if payload.get("success") is not True or code not in (0, "0"):
        number = int(str(code)) if str(code).lstrip("-").isdigit() else None
        text = payload.get("subMsg") or payload.get("msg") or ERROR_CODES.get(number or -1, "")
        hint = (
            " (check app_key, app_secret, access_token, customer_code)" if number in (2, 3) else ""
        )
        raise CourierError(
            f"{code}/{payload.get('subCode') or '-'}: {text or 'refused'}{hint}",
            courier=CODE,
            transient=number in TRANSIENT_CODES,
        )
    data = payload.get("data")
    waybill = data.get("waybillCode") if isinstance(data, Mapping) else None
    if not waybill:
        what = (
            "the order id was used before"
            if payload.get("subCode") == DUPLICATE_SUB_CODE
            else "accepted the order"
        )
        raise CourierError(f"{what} but sent no waybillCode", courier=CODE)
    return WaybillBooking(courier=CODE, waybill=str(waybill))
