"""``ship_order`` for Douyin: upload a waybill with ``order.logisticsAdd`` (§2.10).

``order.logisticsAdd`` ships a whole shop order: ``order_id``,
``company_code`` and ``logistics_code`` (the waybill). A shipment carrying
every SKU order that can still ship (orderkit's gift lines and SKU orders
already refunded or cancelled left aside) is uploaded that way. A split
parcel (only some SKU orders) goes through ``order.logisticsAddSinglePack`` /
``MultiPack`` on Douyin, whose parameters the reference does not give: such a
shipment is refused here, visibly, rather than uploaded as the whole order.

What comes back:

- success envelope -> accepted; note that Douyin itself still says 2 (to
  ship) until the courier's first scan, when it says 3 (``in_transit``);
- a platform refusal (business errors, bad arguments, a pending refund
  unless ``settings.reject_refund_on_ship``) -> ``ShipResult(accepted=False)``
  with the platform's code; when the order already carries this waybill (a
  retry of an upload that went through) it is accepted instead;
- throttling, expired token, signature and transient errors are raised (the
  host retries or refreshes).

Courier codes: orderkit's courier code is looked up in
``settings.company_codes`` and then ``COMPANY_CODES``; an unknown code is sent
as is. Check them against ``/order/logisticsCompanyList`` for your account.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from orderkit.errors import ChannelResponseError, ChannelSignatureError
from orderkit.models import Lifecycle, Line, Order, RefundState, Shipment
from orderkit.specs import ShipResult, ShopContext

from orderkit_douyin.client import DoudianClient
from orderkit_douyin.protocol import LOGISTICS_ADD, ORDER_DETAIL

#: orderkit courier code -> Doudian ``company_code``. UNCONFIRMED: the codes
#: come from ``/order/logisticsCompanyList`` per account; these are the
#: pinyin-style codes that list is known to use for the big couriers.
COMPANY_CODES: Final[Mapping[str, str]] = {
    "sf": "shunfeng",
    "zto": "zhongtong",
    "yto": "yuantong",
    "sto": "shentong",
    "yunda": "yunda",
    "ems": "ems",
    "post": "youzhengguonei",
    "jd": "jd",
    "deppon": "debangwuliu",
    "jt": "jtexpress",
    "best": "huitongkuaidi",
}

#: Platform codes that end the order: never upload a waybill for it.
_ENDED: Final = frozenset({"4", "21", "22", "39"})
_GONE: Final = frozenset({Lifecycle.CANCELLED, Lifecycle.CLOSED})


def company_code(courier: str, settings: Mapping[str, Any]) -> str:
    """Doudian's company code for an orderkit courier code."""
    overrides = settings.get("company_codes") or {}
    return str(overrides.get(courier) or COMPANY_CODES.get(courier) or courier)


def _can_ship(line: Line) -> bool:
    return not line.is_gift and line.refund != RefundState.REFUNDED and line.lifecycle not in _GONE


def upload_params(
    order: Order, shipment: Shipment, settings: Mapping[str, Any]
) -> dict[str, Any] | ShipResult:
    """The ``order.logisticsAdd`` parameters, or a local refusal when there is
    nothing Douyin could accept this way."""
    if not shipment.waybill or not shipment.courier:
        return ShipResult(
            accepted=False,
            error_code="missing_waybill",
            error_message=f"shipment {shipment.shipment_id} has no courier or waybill yet",
        )
    status = order.platform_status
    if status.get("main_status") in _ENDED or status.get("order_status") in _ENDED:
        return ShipResult(
            accepted=False,
            error_code="order_ended",
            error_message=f"Douyin order {order.external_id} is cancelled or refunded: do not ship",
        )
    shippable = {line.line_id for line in order.lines if _can_ship(line)}
    carried = {item.line_id for item in shipment.lines}
    if carried and not shippable <= carried:
        return ShipResult(
            accepted=False,
            error_code="split_not_supported",
            error_message=(
                f"shipment {shipment.shipment_id} carries only some SKU orders of "
                f"{order.external_id}; Douyin split parcels need order.logisticsAddSinglePack/"
                "MultiPack, which this plugin does not call yet: upload this one by hand"
            ),
        )
    params: dict[str, Any] = {
        "order_id": order.external_id,
        "company_code": company_code(shipment.courier, settings),
        "logistics_code": shipment.waybill,
    }
    if settings.get("reject_refund_on_ship"):
        params["is_refund_reject"] = True  # reject a pending refund and ship anyway
    return params


def ship_order(shop: ShopContext, order: Order, shipment: Shipment) -> ShipResult:
    """Upload one shipment's waybill; see the module docstring."""
    params = upload_params(order, shipment, shop.settings)
    if isinstance(params, ShipResult):
        return params
    client = DoudianClient.for_shop(shop)
    ref = f"{params['order_id']}:{params['logistics_code']}"
    try:
        client.call(LOGISTICS_ADD, params)
    except ChannelSignatureError:
        raise
    except ChannelResponseError as exc:
        if exc.transient:
            raise
        if _already_uploaded(client, params["order_id"], params["logistics_code"]):
            return ShipResult(accepted=True, platform_ref=ref)
        return ShipResult(
            accepted=False, error_code=exc.sub_code or exc.code, error_message=str(exc)
        )
    return ShipResult(accepted=True, platform_ref=ref)


def _already_uploaded(client: DoudianClient, order_id: str, waybill: str) -> bool:
    """True when the shop order already carries this waybill (best effort)."""
    try:
        data = client.call(ORDER_DETAIL, {"shop_order_id": order_id})
    except ChannelResponseError as exc:
        if exc.transient or isinstance(exc, ChannelSignatureError):
            raise
        return False  # the check is best effort; the refusal stands
    detail = data.get("shop_order_detail")
    infos = detail.get("logistics_info") if isinstance(detail, Mapping) else None
    if not isinstance(infos, list):
        return False
    return any(isinstance(i, Mapping) and i.get("tracking_no") == waybill for i in infos)
