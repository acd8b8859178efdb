"""Pure mapping: one TOP trade (as ``trades.sold.increment.get`` or
``trade.fullinfo.get`` returns it) -> a canonical ``Order``.

- Money: yuan strings (``"200.07"``) -> integer fen, exactly (no floats).
- Ids: ``tid_str``/``oid_str`` when present, else the JSON integer as text
  (Python parses 19-digit ids exactly; a float id is refused).
- Times: ``yyyy-MM-dd HH:mm:ss`` GMT+8 -> aware datetimes.
- Lines: ``outer_sku_id`` is the SKU (``outer_iid`` for items without SKUs),
  per-line raw status, lifecycle (when it differs from the trade's) and refund.
- Receiver: masked name/phone as sent (masked here if a payload ever carries
  them in clear), OAID as ``address_token``, ``receiver_state/city/district/
  town`` kept as levels plus the joined raw text. For 省直辖县级 units (河南
  济源) Taobao leaves ``receiver_city`` empty and puts the unit in
  ``receiver_district``: city stays None, the district is the unit.
- ``platform_status``: ``status``, the refund code that speaks for the trade,
  and ``step_trade_status``; plus two derived fields (see ``status.json``):
  ``closed_after_consign`` and ``refund_scope``.

Every problem raises ``MappingError`` (``InvalidOrder`` for model validation)
with ``field`` naming the trade field, e.g. ``orders[1].price``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from orderkit.errors import MappingError
from orderkit.logs import mask_name, mask_phone
from orderkit.models import Lifecycle, Order, RefundState, SellerFlag
from orderkit.status import CodeRow
from orderkit.validation import validate_order
from orderkit_taobao.protocol import INCREMENT_GET, parse_time
from orderkit_taobao.statuses import status_table

CHANNEL: Final = "taobao"

SELLER_FLAGS: Final[dict[int, SellerFlag]] = {
    0: SellerFlag.NONE,
    1: SellerFlag.RED,
    2: SellerFlag.YELLOW,
    3: SellerFlag.GREEN,
    4: SellerFlag.BLUE,
    5: SellerFlag.PURPLE,
}

#: Which sub-order refund_status speaks for the trade, most urgent first: a
#: refund under way needs ops now; then money that moved; then the rest.
REFUND_PRECEDENCE: Final = (
    "WAIT_SELLER_AGREE",
    "WAIT_BUYER_RETURN_GOODS",
    "WAIT_SELLER_CONFIRM_GOODS",
    "SUCCESS",
    "SELLER_REFUSE_BUYER",
    "CLOSED",
    "NO_REFUND",
)
_REFUND_RANK: Final = {code: rank for rank, code in enumerate(REFUND_PRECEDENCE)}
_ACTIVE_REFUNDS: Final = frozenset(REFUND_PRECEDENCE[:3])

_YUAN: Final = re.compile(r"([0-9]{1,15})(?:\.([0-9]{1,2}))?")


# -- scalar helpers -----------------------------------------------------------


def yuan_to_fen(value: Any, field: str) -> int:
    """``"200.07"`` -> 20007. Accepts up to two decimals; refuses floats,
    numbers, negatives and anything that is not a plain decimal string."""
    if isinstance(value, str):
        # Fast path for TOP's own form, "200.07" (ASCII digits only: str.isdigit
        # also accepts digits int() would read from other scripts).
        if len(value) > 3 and value[-3] == "." and value.isascii():
            whole, cents = value[:-3], value[-2:]
            if whole.isdigit() and cents.isdigit() and len(whole) <= 15:
                return int(whole) * 100 + int(cents)
        match = _YUAN.fullmatch(value)
        if match is not None:
            whole, cents = match.groups()
            return int(whole) * 100 + (int(cents.ljust(2, "0")) if cents else 0)
    raise MappingError(f"not a yuan amount (a string like '19.90'): {value!r}", field=field)


def top_time(value: Any, field: str) -> datetime:
    """A TOP time string -> aware datetime (GMT+8)."""
    if isinstance(value, str):
        try:
            return parse_time(value)
        except ValueError:
            pass
    raise MappingError(f"not a time as yyyy-MM-dd HH:mm:ss: {value!r}", field=field)


def platform_id(record: Mapping[str, Any], name: str, field_prefix: str = "") -> str:
    """``tid``/``oid`` as text: the ``*_str`` variant, else the JSON integer."""
    text = record.get(f"{name}_str")
    if isinstance(text, str) and text.isdigit():
        return text
    value = record.get(name)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and value.isdigit():
        return value
    if isinstance(value, float):
        raise MappingError(
            f"id parsed as a float loses digits beyond 2^53: {value!r}; use {name}_str",
            field=field_prefix + name,
        )
    raise MappingError(f"missing or invalid {name}: {value!r}", field=field_prefix + name)


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    text = (value if isinstance(value, str) else str(value)).strip()
    return text or None


def _count(value: Any, field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    if isinstance(value, str) and value.isdigit() and int(value) >= 1:
        return int(value)
    raise MappingError(f"quantity must be a whole number >= 1: {value!r}", field=field)


def _masked_phone(value: str | None) -> str | None:
    # Taobao masks phones ("*******5678"); never keep one that arrived in clear.
    if value is None or "*" in value:
        return value
    return mask_phone(value)


def _masked_name(value: str | None) -> str | None:
    if value is None or "*" in value:
        return value
    return mask_name(value)


def seller_flag(value: Any) -> tuple[SellerFlag, str | None]:
    """``seller_flag`` 0-5 -> colour; another number -> none plus a tag naming it."""
    if value is None or value == "":
        return SellerFlag.NONE, None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise MappingError(f"seller_flag must be a number 0-5: {value!r}", field="seller_flag")
    flag = SELLER_FLAGS.get(value)
    if flag is None:  # newer colours exist in the seller UI; keep the number visible
        return SellerFlag.NONE, f"seller_flag:{value}"
    return flag, None


def sub_orders(trade: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The trade's sub-orders: ``{"order": [...]}`` (full JSON) or a list (simplified)."""
    orders = trade.get("orders")
    if isinstance(orders, Mapping):
        orders = orders.get("order")
    if not isinstance(orders, list) or not orders:
        raise MappingError("a trade needs at least one sub-order", field="orders")
    for index, order in enumerate(orders):
        if not isinstance(order, Mapping):
            raise MappingError("a sub-order must be an object", field=f"orders[{index}]")
    return orders


# -- status -------------------------------------------------------------------


def trade_refund(codes: Sequence[str]) -> tuple[str, bool]:
    """The refund code that speaks for the trade, and whether it is partial.

    Partial: some but not all sub-orders refunded (SUCCESS) while none has a
    refund under way. An unknown code wins outright, so the trade is UNMAPPED
    (held) instead of being summarised without it.
    """
    unknown = [code for code in codes if code not in _REFUND_RANK]
    if unknown:
        return unknown[0], False
    best = min(codes, key=_REFUND_RANK.__getitem__, default="NO_REFUND")
    partial = best == "SUCCESS" and any(code != "SUCCESS" for code in codes)
    return best, partial


def _row(field: str, code: str | None) -> CodeRow | None:
    if code is None:
        return None
    table = status_table().fields.get(field)
    return table.codes.get(code) if table is not None else None


def line_lifecycle(code: str | None, consigned: bool) -> Lifecycle | None:
    """A sub-order's lifecycle from the table; a closed line that never shipped is cancelled."""
    row = _row("status", code)
    if row is None:
        return None
    if row.before_shipping is not None and not consigned:
        return row.before_shipping
    return Lifecycle(row.to)


def line_refund(code: str | None) -> RefundState:
    """A sub-order's refund state from the table (unknown codes surface at trade level)."""
    row = _row("refund_status", code)
    return RefundState(row.to) if row is not None else RefundState.NONE


# -- the trade ---------------------------------------------------------------


def map_trade(trade: Mapping[str, Any], *, shop_id: str, source: str = INCREMENT_GET) -> Order:
    """Map one TOP trade to a canonical order.

    :param source: the API the trade came from; recorded in ``raw_ref``.
    :raises MappingError: naming the field that could not be mapped.
    """
    external_id = platform_id(trade, "tid")
    status = _text(trade.get("status"))
    if status is None:
        raise MappingError("missing trade status", field="status")
    modified_text = trade.get("modified")
    modified = top_time(modified_text, "modified")
    created = top_time(trade.get("created"), "created")
    pay_time = trade.get("pay_time")
    paid_at = top_time(pay_time, "pay_time") if pay_time else None
    post_fee = yuan_to_fen(trade.get("post_fee", "0.00"), "post_fee")

    orders = sub_orders(trade)
    single = len(orders) == 1
    lines: list[dict[str, Any]] = []
    refunds: list[str] = []
    goods_total = 0
    any_consigned = False
    for index, order in enumerate(orders):
        line, refund_code, consigned = _line(order, index, status, single, post_fee)
        lines.append(line)
        refunds.append(refund_code)
        goods_total += line["unit_price"] * line["quantity"]
        any_consigned = any_consigned or consigned

    if "total_fee" in trade:
        goods_total = yuan_to_fen(trade["total_fee"], "total_fee")
    paid = yuan_to_fen(trade.get("payment"), "payment")
    flag, flag_tag = seller_flag(trade.get("seller_flag"))
    trade_type = _text(trade.get("type"))
    step = _text(trade.get("step_trade_status"))

    platform_status: dict[str, str] = {"status": status}
    consigned = bool(trade.get("consign_time")) or any_consigned
    if status == "TRADE_CLOSED" and consigned:
        platform_status["closed_after_consign"] = status
    refund_code, partial = trade_refund(refunds)
    platform_status["refund_status"] = refund_code
    if partial:
        platform_status["refund_scope"] = "PARTIAL"
    if step is not None:
        platform_status["step_trade_status"] = step

    tags: list[str] = []
    if status == "PAID_FORBID_CONSIGN":
        tags.append("forbid_consign")
    if trade_type == "cod":
        tags.append("cod")
    if flag_tag is not None:
        tags.append(flag_tag)

    payload: dict[str, Any] = {
        "channel": CHANNEL,
        "shop_id": shop_id,
        "external_id": external_id,
        "order_type": "presale" if trade_type == "step" or step is not None else "normal",
        "created_at": created,
        "paid_at": paid_at,
        "modified_at": modified,
        "amounts": {
            "goods_total": goods_total,
            "discount": max(0, goods_total + post_fee - paid),
            "post_fee": post_fee,
            "paid": paid,
        },
        "lines": lines,
        "receiver": _receiver(trade),
        "buyer": {
            "buyer_id": _text(trade.get("buyer_open_uid")),
            "nick": _text(trade.get("buyer_nick")),
            "message": _text(trade.get("buyer_message")),
        },
        "seller_memo": _text(trade.get("seller_memo")),
        "seller_flag": flag,
        "tags": tags,
        "platform_status": platform_status,
        "raw_ref": f"{source}:{external_id}@{modified_text}",
    }
    return validate_order(payload, context=f"trade {external_id}")


def _line(
    order: Mapping[str, Any], index: int, trade_status: str, single: bool, post_fee: int
) -> tuple[dict[str, Any], str, bool]:
    where = f"orders[{index}]."
    line_id = platform_id(order, "oid", where)
    price = yuan_to_fen(order.get("price"), where + "price")
    quantity = _count(order.get("num"), where + "num")
    if order.get("divide_order_fee"):
        paid = yuan_to_fen(order["divide_order_fee"], where + "divide_order_fee")
    else:
        paid = yuan_to_fen(order.get("payment"), where + "payment")
        if single:  # on a one-line trade, order.payment includes the postage (§1.4)
            paid = max(0, paid - post_fee)
    status = _text(order.get("status"))
    refund_code = _text(order.get("refund_status")) or "NO_REFUND"
    consigned = bool(order.get("consign_time") or order.get("invoice_no"))
    num_iid = order.get("num_iid")
    line: dict[str, Any] = {
        "line_id": line_id,
        "sku": _text(order.get("outer_sku_id")) or _text(order.get("outer_iid")),
        "item_id": str(num_iid) if num_iid not in (None, "") else None,
        "sku_id": _text(order.get("sku_id")),
        "title": _text(order.get("title")) or "",
        "quantity": quantity,
        "unit_price": price,
        "discount": max(0, price * quantity - paid),
        "paid": paid,
        "platform_status": status,
        "lifecycle": line_lifecycle(status, consigned) if status != trade_status else None,
        "refund": line_refund(refund_code),
    }
    return line, refund_code, consigned


def _receiver(trade: Mapping[str, Any]) -> dict[str, Any]:
    state = _text(trade.get("receiver_state"))
    city = _text(trade.get("receiver_city"))  # empty for 省直辖县级 units
    district = _text(trade.get("receiver_district"))
    town = _text(trade.get("receiver_town"))
    address = _text(trade.get("receiver_address"))
    parts = [part for part in (state, city, district, town, address) if part]
    return {
        "raw": " ".join(parts) or None,
        "province": state,
        "city": city,
        "district": district,
        "street": town,
        "detail": address,
        "zip": _text(trade.get("receiver_zip")),
        "name_masked": _masked_name(_text(trade.get("receiver_name"))),
        "phone_masked": _masked_phone(
            _text(trade.get("receiver_mobile")) or _text(trade.get("receiver_phone"))
        ),
        "address_token": _text(trade.get("oaid")),
    }
