"""``ship_order`` for Taobao: upload a waybill with ``taobao.logistics.offline.send``.

A shipment that carries only some of the trade's sub-orders is a split
shipment: ``is_split=1`` and ``sub_tid`` lists their oids (channels.md §1.9).
Gift lines added by orderkit are not Taobao sub-orders and are left out, and
so are sub-orders already shipped, refunded or closed (TOP would refuse the
upload); leaving any out makes the upload a split.

What comes back:

- ``shipping.is_success`` true -> accepted;
- a platform refusal (``isv.*`` business errors, bad arguments) -> a
  ``ShipResult(accepted=False, error_code, error_message)``; one exception:
  ``B04`` ("already shipped or closed") for a shipment whose sub-orders already
  carry this waybill is a retry of an upload that went through: accepted;
- throttling, expired session, signature and transient errors are raised
  (the host retries or re-authorises).

Courier codes: orderkit's courier code is looked up in
``settings.company_codes`` and then ``COMPANY_CODES``; unknown codes are sent
upper-cased.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from orderkit.errors import ChannelResponseError, ChannelSignatureError, MappingError
from orderkit.models import Lifecycle, Line, Order, RefundState, Shipment
from orderkit.specs import ShipResult, ShopContext
from orderkit_taobao.client import TopClient
from orderkit_taobao.mapping import sub_orders
from orderkit_taobao.protocol import FULLINFO_GET, OFFLINE_SEND

#: orderkit courier code -> TOP ``company_code`` (as listed by
#: ``taobao.logistics.companies.get``; verify against it for your account).
COMPANY_CODES: Final[Mapping[str, str]] = {
    "sf": "SF",
    "zto": "ZTO",
    "yto": "YTO",
    "sto": "STO",
    "yunda": "YUNDA",
    "ems": "EMS",
    "post": "POSTB",
    "jd": "JD",
    "deppon": "DBL",
    "best": "HTKY",
    "jt": "JTSD",
    "zjs": "ZJS",
}

#: Refused because the trade is already shipped or closed (B04): checked against
#: the trade before reporting a refusal, since a retried upload ends here too.
ALREADY_SHIPPED: Final = "isv.logistics-offline-service-error:B04"
#: Local refusal: the shipment holds no sub-order that can still ship.
NOTHING_TO_SHIP: Final = "no_shippable_lines"


def company_code(courier: str, settings: Mapping[str, Any]) -> str:
    """TOP's company code for an orderkit courier code."""
    overrides = settings.get("company_codes") or {}
    return str(overrides.get(courier) or COMPANY_CODES.get(courier) or courier.upper())


def upload_params(
    order: Order, shipment: Shipment, settings: Mapping[str, Any]
) -> dict[str, str] | ShipResult:
    """The business parameters of the upload, or a local refusal when there is
    nothing Taobao could accept."""
    if not shipment.waybill or not shipment.courier:
        return ShipResult(
            accepted=False,
            error_code="missing_waybill",
            error_message=f"shipment {shipment.shipment_id} has no courier or waybill yet",
        )
    if order.platform_status.get("status") == "TRADE_CLOSED_BY_TAOBAO":
        return ShipResult(
            accepted=False,
            error_code="TRADE_CLOSED_BY_TAOBAO",
            error_message="the trade was closed before payment; Taobao says never ship it",
        )
    platform, chosen = _platform_lines(order, shipment)
    shippable = [line.line_id for line in chosen if _shippable(line)]
    if not shippable:
        return ShipResult(
            accepted=False,
            error_code=NOTHING_TO_SHIP,
            error_message=(
                f"shipment {shipment.shipment_id} holds no Taobao sub-order that can still "
                "ship (only orderkit gift lines, or lines already shipped or refunded)"
            ),
        )
    params = {
        "tid": order.external_id,
        "out_sid": shipment.waybill,
        "company_code": company_code(shipment.courier, settings),
    }
    if len(shippable) < len(platform):
        params["is_split"] = "1"
        params["sub_tid"] = ",".join(shippable)
    return params


_SHIPPED: Final = frozenset(
    {Lifecycle.SHIPPED, Lifecycle.IN_TRANSIT, Lifecycle.DELIVERED, Lifecycle.COMPLETED}
)
_DONE: Final = _SHIPPED | {Lifecycle.CANCELLED, Lifecycle.CLOSED}


def _platform_lines(order: Order, shipment: Shipment) -> tuple[list[Line], list[Line]]:
    """(the trade's Taobao sub-orders, those the shipment carries)."""
    platform = [line for line in order.lines if not line.is_gift]
    wanted = {item.line_id for item in shipment.lines}
    # An empty shipment.lines means "the whole order".
    return platform, [line for line in platform if line.line_id in wanted] if wanted else platform


def _shippable(line: Line) -> bool:
    # A sub-order already shipped, refunded or closed would make TOP refuse
    # the whole upload; such lines are left out (and the upload becomes a split).
    return line.refund != RefundState.REFUNDED and line.lifecycle not in _DONE


def ship_order(shop: ShopContext, order: Order, shipment: Shipment) -> ShipResult:
    """Upload one shipment's waybill; see the module docstring."""
    params = upload_params(order, shipment, shop.settings)
    if isinstance(params, ShipResult):
        shipped = [
            line.line_id
            for line in _platform_lines(order, shipment)[1]
            if line.refund != RefundState.REFUNDED and line.lifecycle in _SHIPPED
        ]
        if params.error_code != NOTHING_TO_SHIP or not shipped or not shipment.waybill:
            return params
        # Taobao already shows these sub-orders shipped: a repeat of an upload
        # that went through is accepted, one with another waybill is refused.
        check = {
            "tid": order.external_id,
            "out_sid": shipment.waybill,
            "sub_tid": ",".join(shipped),
        }
        if _already_uploaded(TopClient.for_shop(shop), check):
            return ShipResult(accepted=True, platform_ref=f"{check['tid']}:{check['out_sid']}")
        return params
    client = TopClient.for_shop(shop)
    try:
        content = client.call(OFFLINE_SEND, params)
    except ChannelSignatureError:
        raise
    except ChannelResponseError as exc:
        if exc.transient:
            raise
        if exc.sub_code == ALREADY_SHIPPED and _already_uploaded(client, params):
            return ShipResult(accepted=True, platform_ref=f"{params['tid']}:{params['out_sid']}")
        return ShipResult(
            accepted=False,
            error_code=exc.sub_code or exc.code,
            error_message=str(exc),
        )
    shipping = content.get("shipping")
    if isinstance(shipping, Mapping) and shipping.get("is_success") in (True, "true"):
        return ShipResult(accepted=True, platform_ref=f"{params['tid']}:{params['out_sid']}")
    return ShipResult(
        accepted=False,
        error_code="not_successful",
        error_message=f"{OFFLINE_SEND} answered without shipping.is_success: {content!r}",
    )


def _already_uploaded(client: TopClient, params: Mapping[str, str]) -> bool:
    """True when every sub-order of the upload already carries this waybill."""
    try:
        content = client.call(FULLINFO_GET, {"fields": "tid,status,orders", "tid": params["tid"]})
        trade = content.get("trade")
        orders = sub_orders(trade) if isinstance(trade, Mapping) else []
    except MappingError:
        return False
    except ChannelResponseError as exc:
        if exc.transient or isinstance(exc, ChannelSignatureError):
            raise
        return False  # the check is best effort; the refusal stands
    wanted = set(params["sub_tid"].split(",")) if "sub_tid" in params else None
    matched = [
        order
        for order in orders
        if wanted is None or str(order.get("oid_str") or order.get("oid")) in wanted
    ]
    return bool(matched) and all(order.get("invoice_no") == params["out_sid"] for order in matched)
