"""Pure mapping: one Doudian shop order (an ``order.searchList`` item or an
``order.orderDetail`` ``shop_order_detail``) -> a canonical ``Order``.

- Ids: ``order_id`` is text in the order APIs; an integer (as pushes send
  them) is taken as its exact digits; a float is refused (19-digit ids).
- Money: integer fen already (§2.6); a digit string is accepted, a yuan
  string or a float is refused.
- Times: unix seconds -> aware UTC datetimes; ``0`` means "not yet".
- Shop order vs SKU orders: the shop order is the canonical order, each
  ``sku_order_list[]`` item a line whose ``parent_order_id`` must be the shop
  order's id. The SKU is ``out_sku_id``, else the back-office ``code``, else
  ``out_product_id``.
- Receiver: ``post_addr`` province / city / town / street named objects become
  ``province`` / ``city`` / ``district`` / ``street`` with their platform ids
  in ``platform_region_ids`` (``clean_address`` gets them as hints); the
  ciphertexts (``encrypt_post_receiver``, ``encrypt_post_tel``,
  ``post_addr.encrypt_detail``) are kept as they are, next to the masked text;
  ``open_address_id`` is the ``address_token`` used to merge orders.
- ``platform_status``: ``order_status``, ``main_status``, the after-sale codes
  that speak for the order, and two derived fields (see ``status.json``).

Every problem raises ``MappingError`` (``InvalidOrder`` for model validation)
with ``field`` naming the payload field, e.g. ``sku_order_list[1].item_num``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeGuard

from orderkit.errors import MappingError
from orderkit.logs import mask_name, mask_phone
from orderkit.models import Lifecycle, Order, RefundState, SellerFlag
from orderkit.status import CodeRow
from orderkit.validation import validate_order

from orderkit_douyin.protocol import CHANNEL, SEARCH_LIST, from_epoch
from orderkit_douyin.statuses import (
    AFTER_SALE_TYPES,
    PRICE_PROTECTION,
    REFUND_STATUSES,
    REFUND_TYPES,
    status_table,
)

#: ``seller_remark_stars`` 0-5 -> colour. The numbering is our reading of the
#: seller back-office (灰 紫 青 绿 橙 红) and is UNCONFIRMED, so the raw number
#: is also kept as a ``douyin_star:N`` tag.
SELLER_STARS: Final[Mapping[int, SellerFlag]] = {
    0: SellerFlag.NONE,
    1: SellerFlag.PURPLE,
    2: SellerFlag.BLUE,
    3: SellerFlag.GREEN,
    4: SellerFlag.YELLOW,
    5: SellerFlag.RED,
}

#: Which after-sale speaks for the order, most urgent first: one under way
#: needs service staff now; then money that moved; then refusals; then the rest.
AFTER_SALE_PRECEDENCE: Final = (
    "6",
    "11",
    "7",
    "8",
    "13",
    "12",
    "51",
    "53",
    "27",
    "29",
    "28",
    "14",
    "0",
)
_PRECEDENCE_RANK: Final = {code: rank for rank, code in enumerate(AFTER_SALE_PRECEDENCE)}
_REFUNDED_CODES: Final = frozenset({"12", "51", "53"})
#: A SKU order in one of these has left the warehouse (its cancellation is a close).
_LINE_SHIPPED: Final = frozenset({"101", "3", "5", "22", "39"})
#: After-sale codes that say nothing is (or was) happening, for tags.
_IDLE_AFTER_SALE: Final = frozenset({"0", "28"})


# -- scalar helpers -----------------------------------------------------------


def fen(value: Any, field: str) -> int:
    """An amount in fen: an integer >= 0 (a digit string is accepted)."""
    if type(value) is int and value >= 0:  # the common case first: bool is not int here
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise MappingError(f"not an amount in fen (a whole number): {value!r}", field=field)


def unix_time(value: Any, field: str, *, required: bool = True) -> datetime | None:
    """Unix seconds -> aware datetime; 0 or absent is None unless ``required``."""
    seconds: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str) and value.isdigit():
        seconds = int(value)
    elif value is None or value == "":
        seconds = 0
    if seconds is None or seconds < 0:
        raise MappingError(f"not a time in unix seconds: {value!r}", field=field)
    if seconds == 0:
        if required:
            raise MappingError("missing time", field=field)
        return None
    return from_epoch(seconds)


def platform_id(value: Any, field: str) -> str:
    """An id as text: a digit string as is, an integer as its exact digits."""
    if type(value) is str and value.isdigit():  # the usual case, checked first
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, float):
        raise MappingError(
            f"id parsed as a float loses digits beyond 2^53: {value!r}; parse ids as integers",
            field=field,
        )
    raise MappingError(f"missing or invalid id: {value!r}", field=field)


def code_text(value: Any) -> str | None:
    """A status code as text (``2`` -> ``"2"``); None when absent or empty."""
    if type(value) is int:
        return str(value)
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = (value if type(value) is str else str(value)).strip()
    return text or None


def _is_object(value: Any) -> TypeGuard[Mapping[str, Any]]:
    # dict first: JSON gives dicts, and the Mapping ABC check costs ten times more
    return type(value) is dict or isinstance(value, Mapping)


def _count(value: Any, field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    if isinstance(value, str) and value.isdigit() and int(value) >= 1:
        return int(value)
    raise MappingError(f"quantity must be a whole number >= 1: {value!r}", field=field)


def _masked(value: str | None, mask: Callable[[str], str]) -> str | None:
    # Douyin masks receivers; never keep one that arrived in clear.
    if value is None or "*" in value:
        return value
    return mask(value)


def seller_flag(value: Any) -> tuple[SellerFlag, str | None]:
    """``seller_remark_stars`` -> colour, plus a tag keeping the raw number."""
    if value is None or value == "" or value == 0:
        return SellerFlag.NONE, None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise MappingError(
            f"seller_remark_stars must be a number 0-5: {value!r}", field="seller_remark_stars"
        )
    return SELLER_STARS.get(value, SellerFlag.NONE), f"douyin_star:{value}"


# -- SKU orders ----------------------------------------------------------------


def sku_orders(order: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The shop order's SKU orders (at least one, each an object)."""
    items = order.get("sku_order_list")
    if not isinstance(items, list) or not items:
        raise MappingError("a shop order needs at least one SKU order", field="sku_order_list")
    for index, item in enumerate(items):
        if not _is_object(item):
            raise MappingError("a SKU order must be an object", field=f"sku_order_list[{index}]")
    return items


@dataclass(frozen=True, slots=True)
class AfterSale:
    """One SKU order's after-sale, as far as the status axes care."""

    status: str
    refund_status: str | None
    kind: int | None

    @property
    def is_refund(self) -> bool:
        """Money goes back (unknown kinds count, so their codes are checked)."""
        return self.kind is None or self.kind in REFUND_TYPES or self.kind not in AFTER_SALE_TYPES

    @property
    def refunded(self) -> bool:
        if self.status in _REFUNDED_CODES:
            return True
        return self.status == "" and self.refund_status == "3"


def after_sale(sku: Mapping[str, Any]) -> AfterSale | None:
    """The SKU order's ``after_sale_info``, or None when it has none."""
    info = sku.get("after_sale_info")
    if info is None or not _is_object(info):  # most SKU orders have none
        return None
    status = code_text(info.get("after_sale_status")) or ""
    refund = code_text(info.get("refund_status"))
    if refund == "0":  # undocumented "no refund" filler: not a code to map
        refund = None
    kind_raw = info.get("after_sale_type")
    kind = int(kind_raw) if isinstance(kind_raw, int | str) and str(kind_raw).isdigit() else None
    if not status and refund is None:
        return None
    return AfterSale(status, refund, kind)


def _row(field: str, code: str | None) -> CodeRow | None:
    if code is None:
        return None
    table = status_table().fields.get(field)
    return table.codes.get(code) if table is not None else None


def line_lifecycle(code: str | None, main_code: str | None) -> Lifecycle | None:
    """A SKU order's lifecycle from the table; a cancelled one that never
    shipped is cancelled, else closed."""
    row = _row("order_status", code)
    if row is None:
        return None
    if row.before_shipping is not None and main_code not in _LINE_SHIPPED:
        return row.before_shipping
    return Lifecycle(row.to)


def line_refund(sale: AfterSale | None) -> RefundState:
    """A SKU order's refund state from the table (unknown codes surface at order level)."""
    if sale is None or not sale.is_refund:
        return RefundState.NONE
    row = _row("after_sale_status", sale.status or None) or _row(
        "refund_status", sale.refund_status
    )
    if row is None:
        return RefundState.NONE
    refund = RefundState(row.to)
    if refund == RefundState.REFUNDED and sale.kind == PRICE_PROTECTION:
        return RefundState.PARTIALLY_REFUNDED
    return refund


def order_refund(sales: Sequence[AfterSale | None], lines: int) -> dict[str, str]:
    """The refund fields of ``platform_status`` for the whole order.

    The money-back after-sale that speaks for the order is picked by
    ``AFTER_SALE_PRECEDENCE``; an unknown code wins outright, so the order is
    UNMAPPED (held) instead of being summarised without it.
    """
    refunds = [sale for sale in sales if sale is not None and sale.is_refund]
    if not refunds:
        return {}
    chosen = min(refunds, key=_urgency)
    fields: dict[str, str] = {}
    if chosen.status:
        fields["after_sale_status"] = chosen.status
    if chosen.refund_status is not None:
        fields["refund_status"] = chosen.refund_status
    if chosen.refunded:
        refunded = sum(1 for sale in refunds if sale.refunded)
        if chosen.kind == PRICE_PROTECTION or refunded < lines:
            fields["refund_scope"] = "PARTIAL"
    return fields


def _urgency(sale: AfterSale) -> int:
    # An unknown code comes first: it must be seen (and held), not summarised away.
    if not sale.status:  # only a refund_status: after every after_sale_status
        return len(AFTER_SALE_PRECEDENCE) if sale.refund_status in REFUND_STATUSES else -1
    return _PRECEDENCE_RANK.get(sale.status, -1)


def after_sale_tags(sales: Sequence[AfterSale | None]) -> list[str]:
    """Tags for after-sales that are not refunds (exchange, re-send, repair)
    and for after-sale types nobody documented."""
    tags: list[str] = []
    for sale in sales:
        if sale is None or sale.status in _IDLE_AFTER_SALE:
            continue
        if sale.kind is not None and sale.kind not in AFTER_SALE_TYPES:
            tag = f"after_sale_type:{sale.kind}"
        elif sale.kind is not None and sale.kind not in REFUND_TYPES:
            tag = f"after_sale:{AFTER_SALE_TYPES[sale.kind]}"
        else:
            continue
        if tag not in tags:
            tags.append(tag)
    return tags


def _line(
    sku: Mapping[str, Any], index: int, order_id: str, order_status: str
) -> tuple[dict[str, Any], AfterSale | None]:
    # Every line of every order passes here: the usual shapes are checked
    # inline, and the helpers (which name the field) run only for the rest.
    where = f"sku_order_list[{index}]."
    line_id = sku.get("order_id")
    if type(line_id) is not str or not line_id.isdigit():
        line_id = platform_id(line_id, where + "order_id")
    parent = sku.get("parent_order_id")
    if (
        parent != order_id
        and parent not in (None, "")
        and platform_id(parent, where + "parent_order_id") != order_id
    ):
        raise MappingError(
            f"SKU order {line_id} belongs to shop order {parent}, not {order_id}",
            field=where + "parent_order_id",
        )
    quantity = sku.get("item_num")
    if type(quantity) is not int or quantity < 1:
        quantity = _count(quantity, where + "item_num")
    unit_price = sku.get("origin_amount")
    if type(unit_price) is not int or unit_price < 0:
        unit_price = fen(unit_price, where + "origin_amount")
    total = sku.get("sum_amount")
    if total is None:
        total = unit_price * quantity
    elif type(total) is not int or total < 0:
        total = fen(total, where + "sum_amount")
    paid = sku.get("pay_amount")
    if type(paid) is not int or paid < 0:
        paid = fen(paid, where + "pay_amount")
    status = code_text(sku.get("order_status"))
    sale = after_sale(sku)
    spec = sku.get("spec")
    values = (
        [str(s.get("value")) for s in spec if _is_object(s) and s.get("value")]
        if isinstance(spec, list)
        else []
    )
    title = _text(sku.get("product_name")) or ""
    if values:
        title = f"{title} {'/'.join(values)}".strip()
    product_id = sku.get("product_id")
    line: dict[str, Any] = {
        "line_id": line_id,
        "sku": _text(sku.get("out_sku_id"))
        or _text(sku.get("code"))
        or _text(sku.get("out_product_id")),
        "item_id": _text(product_id),
        "sku_id": _text(sku.get("sku_id")),
        "title": title,
        "quantity": quantity,
        "unit_price": unit_price,
        "discount": max(0, total - paid),
        "paid": paid,
        "platform_status": status,
        "lifecycle": (
            line_lifecycle(status, code_text(sku.get("main_status")))
            if status != order_status
            else None
        ),
        "refund": line_refund(sale),
    }
    return line, sale


# -- the receiver -------------------------------------------------------------


def _named(addr: Mapping[str, Any], level: str) -> tuple[str | None, str | None]:
    part = addr.get(level)
    if not part or not _is_object(part):
        return None, None
    return _text(part.get("name")), _text(part.get("id"))


#: post_addr level -> canonical level. Douyin's "town" is the county level (区/县).
ADDRESS_LEVELS: Final = (
    ("province", "province"),
    ("city", "city"),
    ("town", "district"),
    ("street", "street"),
)


def receiver(order: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical receiver of a shop order (see the module docstring)."""
    raw_addr = order.get("post_addr")
    addr: Mapping[str, Any] = raw_addr if _is_object(raw_addr) else {}
    raw_masked = order.get("mask_post_addr")
    masked_addr: Mapping[str, Any] = raw_masked if _is_object(raw_masked) else {}
    levels: dict[str, str | None] = {}
    region_ids: dict[str, str] = {}
    for source, target in ADDRESS_LEVELS:
        name, region_id = _named(addr, source)
        if name is None:
            name, region_id = _named(masked_addr, source)
        levels[target] = name
        if region_id is not None:
            region_ids[source] = region_id
    detail = _text(masked_addr.get("detail")) or _text(addr.get("detail"))
    parts = [part for part in (*levels.values(), detail) if part]
    return {
        "raw": " ".join(parts) or None,
        **levels,
        "detail": detail,
        "platform_region_ids": region_ids,
        "name_masked": _masked(
            _text(order.get("mask_post_receiver")) or _text(order.get("post_receiver")), mask_name
        ),
        "phone_masked": _masked(
            _text(order.get("mask_post_tel")) or _text(order.get("post_tel")), mask_phone
        ),
        "name_encrypted": _text(order.get("encrypt_post_receiver")),
        "phone_encrypted": _text(order.get("encrypt_post_tel")),
        "address_encrypted": _text(addr.get("encrypt_detail")),
        "address_token": _text(order.get("open_address_id")),
    }


# -- the shop order -----------------------------------------------------------


def presale_phase(order: Mapping[str, Any], order_status: str, main: str | None) -> str | None:
    """``DEPOSIT_PAID`` / ``BALANCE_PAID`` for presale orders, else None."""
    phases = order.get("order_phase_list")
    if main == "103":
        return "DEPOSIT_PAID"
    if isinstance(phases, list) and phases and order_status != "1":
        return "BALANCE_PAID"
    return None


def map_shop_order(order: Mapping[str, Any], *, shop_id: str, source: str = SEARCH_LIST) -> Order:
    """Map one Doudian shop order to a canonical order.

    :param source: the API the order came from; recorded in ``raw_ref``.
    :raises MappingError: naming the field that could not be mapped.
    """
    external_id = platform_id(order.get("order_id"), "order_id")
    order_status = code_text(order.get("order_status"))
    if order_status is None:
        raise MappingError("missing order_status", field="order_status")
    main = code_text(order.get("main_status"))
    created = unix_time(order.get("create_time"), "create_time")
    modified = unix_time(order.get("update_time"), "update_time")
    paid_at = unix_time(order.get("pay_time"), "pay_time", required=False)
    post_fee = fen(order.get("post_amount", 0), "post_amount")
    paid = fen(order.get("pay_amount"), "pay_amount")

    lines: list[dict[str, Any]] = []
    sales: list[AfterSale | None] = []
    goods_total = 0
    for index, sku in enumerate(sku_orders(order)):
        line, sale = _line(sku, index, external_id, order_status)
        lines.append(line)
        sales.append(sale)
        goods_total += line["unit_price"] * line["quantity"]

    platform_status: dict[str, str] = {"order_status": order_status}
    if main is not None:
        platform_status["main_status"] = main
    platform_status.update(order_refund(sales, len(lines)))
    phase = presale_phase(order, order_status, main)
    if phase is not None:
        platform_status["presale_phase"] = phase

    flag, star_tag = seller_flag(order.get("seller_remark_stars"))
    tags = after_sale_tags(sales)
    if star_tag is not None:
        tags.append(star_tag)
    if order_status == "105":
        tags.append("risk_review")  # paid, but Douyin may still be reviewing it
    phases = order.get("order_phase_list")

    payload: dict[str, Any] = {
        "channel": CHANNEL,
        "shop_id": shop_id,
        "external_id": external_id,
        "order_type": "presale"
        if (isinstance(phases, list) and phases) or main == "103"
        else "normal",
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
        "receiver": receiver(order),
        "buyer": {
            "buyer_id": _text(order.get("doudian_open_id")),
            "message": _text(order.get("buyer_words")),
        },
        "seller_memo": _text(order.get("seller_words")),
        "seller_flag": flag,
        "tags": tags,
        "platform_status": platform_status,
        "raw_ref": f"{source}:{external_id}@{order.get('update_time')}",
    }
    return validate_order(payload, context=f"shop order {external_id}")
