"""``fetch_orders`` for Douyin: one page of ``order.searchList`` by update time.

The walk over a window's pages is described in ``paging``. Per page:

1. the window goes out as whole unix seconds, start floored and end rounded
   up, both as ``update_time_start`` / ``update_time_end``; whether Doudian
   includes the end is not documented, so nothing is filtered out afterwards:
   an order on a boundary may come in two windows (ingest is idempotent) but
   is never dropped by both;
2. an order that lacks what the mapping needs (SKU orders, the address, the
   receiver) is completed with ``order.orderDetail``; nothing else is;
3. each order is mapped; a malformed one becomes a ``FetchProblem`` naming the
   field, and the rest of the page is kept.

Shop settings read here: ``page_size`` (default and cap 100), ``detail``
(``auto`` default, ``always``, ``never``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import structlog
from orderkit.errors import ChannelResponseError, ChannelSignatureError, MappingError
from orderkit.specs import FetchPage, FetchProblem, ShopContext, SyncWindow

from orderkit_douyin.client import DoudianClient
from orderkit_douyin.mapping import map_shop_order, platform_id
from orderkit_douyin.paging import PageToken
from orderkit_douyin.protocol import (
    CHANNEL,
    MAX_PAGE_SIZE,
    ORDER_DETAIL,
    SEARCH_LIST,
    epoch_seconds,
    epoch_seconds_ceil,
)

log = structlog.get_logger("orderkit.douyin")

DEFAULT_PAGE_SIZE: Final = MAX_PAGE_SIZE


def page_size(settings: Mapping[str, Any]) -> int:
    """``settings.page_size``, capped at Doudian's 100."""
    size = settings.get("page_size", DEFAULT_PAGE_SIZE)
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValueError(f"douyin page_size must be a whole number >= 1, got {size!r}")
    return min(size, MAX_PAGE_SIZE)


def search_params(window: SyncWindow, page: int, size: int) -> dict[str, Any]:
    """``order.searchList`` parameters for one page of a window."""
    return {
        "update_time_start": epoch_seconds(window.start),
        "update_time_end": epoch_seconds_ceil(window.end),
        "order_by": "update_time",
        "order_asc": True,
        "page": page,
        "size": size,
    }


def needs_detail(order: Mapping[str, Any]) -> bool:
    """True when the list left out something the mapping needs."""
    skus = order.get("sku_order_list")
    if not isinstance(skus, list) or not skus:
        return True
    if not isinstance(order.get("post_addr"), Mapping):
        return True
    return not any(
        order.get(name) for name in ("encrypt_post_receiver", "mask_post_receiver", "post_receiver")
    )


def fetch_orders(shop: ShopContext, window: SyncWindow, page: str | None) -> FetchPage:
    """One page of the window; see the module docstring and ``paging``."""
    client = DoudianClient.for_shop(shop)
    token = (
        PageToken.decode(page, window)
        if page is not None
        else PageToken.first(window, page_size(shop.settings))
    )
    data = client.call(SEARCH_LIST, search_params(window, token.page, token.size))
    total = _int(data.get("total"))
    items = data.get("shop_order_list")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise ChannelResponseError(
            f"{SEARCH_LIST}: 'shop_order_list' is not a list", channel=CHANNEL, shop_id=shop.shop_id
        )
    following = token.following(total)
    if token.grew(total):
        log.warning(
            "douyin.window_grew",
            shop_id=shop.shop_id,
            window_start=window.start.isoformat(),
            window_end=window.end.isoformat(),
            before=token.total,
            after=total,
            restarting=following is not None,
        )
    next_page = following.encode() if following is not None else None
    if not token.keeps_orders(total):
        return FetchPage(next_page=next_page, total=total)
    return _page(shop, client, items, next_page=next_page, total=total)


def _page(
    shop: ShopContext,
    client: DoudianClient,
    items: list[Any],
    *,
    next_page: str | None,
    total: int,
) -> FetchPage:
    result = FetchPage(next_page=next_page, total=total)
    mode = shop.settings.get("detail", "auto")
    for raw in items:
        if not isinstance(raw, Mapping):
            result.problems.append(FetchProblem(None, "shop order is not a JSON object", raw=raw))
            continue
        order, source = raw, SEARCH_LIST
        if mode == "always" or (mode == "auto" and needs_detail(raw)):
            detailed = _detail(client, raw)
            if detailed is not None:
                order, source = detailed, ORDER_DETAIL
        try:
            result.orders.append(map_shop_order(order, shop_id=shop.shop_id, source=source))
        except MappingError as exc:
            result.problems.append(
                FetchProblem(_external_id(order), str(exc), raw=dict(order), field=exc.field)
            )
    return result


def _detail(client: DoudianClient, order: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The full shop order, or None to go on with the list's data (logged)."""
    order_id = _external_id(order)
    if order_id is None:
        return None
    try:
        data = client.call(ORDER_DETAIL, {"shop_order_id": order_id})
    except ChannelSignatureError:
        raise
    except ChannelResponseError as exc:
        if exc.transient:
            raise  # the engine retries the page
        log.warning(
            "douyin.detail_refused", order_id=order_id, code=exc.code, sub_code=exc.sub_code
        )
        return None
    detailed = data.get("shop_order_detail")
    return detailed if isinstance(detailed, Mapping) else None


def _external_id(order: Mapping[str, Any]) -> str | None:
    try:
        return platform_id(order.get("order_id"), "order_id")
    except MappingError:
        return None


def _int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0
