"""``fetch_orders`` for Taobao: one page of ``taobao.trades.sold.increment.get``.

The walk over a window's pages is described in ``paging``. Per page:

1. the window goes out as whole seconds, both ends floored; whether TOP
   includes ``end_modified`` is not documented, so nothing is filtered out
   afterwards: a trade on a boundary may come in two windows (ingest is
   idempotent) but is never dropped by both;
2. a trade that lacks what the list API does not return (``buyer_message``
   when ``has_buyer_message``, ``seller_memo`` when flagged, or its sub-orders)
   is completed with ``taobao.trade.fullinfo.get``, asking only for what it
   lacks; no other trade costs a call;
3. each trade is mapped; a malformed one becomes a ``FetchProblem`` naming the
   field, and the rest of the page is kept.

Shop settings read here: ``page_size`` (1-100, default 50, the platform's
recommended 40-50), ``trade_types`` (comma list; default every documented
type, because without ``type`` TOP silently leaves some out), ``fullinfo``
(``auto`` default; ``always``: every trade from fullinfo; ``never``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import structlog

from orderkit.errors import ChannelResponseError, ChannelSignatureError, MappingError
from orderkit.specs import FetchPage, FetchProblem, ShopContext, SyncWindow
from orderkit_taobao.client import TopClient
from orderkit_taobao.mapping import map_trade, platform_id
from orderkit_taobao.paging import MAX_RESTARTS, PageToken
from orderkit_taobao.protocol import (
    DEFAULT_TRADE_TYPES,
    FULLINFO_GET,
    INCREMENT_GET,
    MAX_PAGE_SIZE,
)

log = structlog.get_logger("orderkit.taobao")

DEFAULT_PAGE_SIZE: Final = 50

#: Every trade type the field docs list (``guarantee_trade`` covers fixed and
#: auction); the platform default (``DEFAULT_TRADE_TYPES``) omits several.
ALL_TRADE_TYPES: Final = (
    *DEFAULT_TRADE_TYPES,
    "nopaid",
    "pre_auth_type",
    "o2o_offlinetrade",
    "fenxiao",
    "external_trade",
    "independent_simple_trade",
    "independent_shop_trade",
    "shopex_trade",
    "netcn_trade",
    "game_equipment",
)

#: What the mapping needs. ``orders`` returns every sub-order field. The list
#: API may not return ``buyer_message`` and ``seller_memo``; asking costs
#: nothing and spares ``fullinfo.get`` where it does.
TRADE_FIELDS: Final = ",".join(
    (
        "tid",
        "tid_str",
        "status",
        "type",
        "created",
        "modified",
        "pay_time",
        "consign_time",
        "end_time",
        "payment",
        "post_fee",
        "total_fee",
        "discount_fee",
        "adjust_fee",
        "received_payment",
        "buyer_nick",
        "buyer_open_uid",
        "seller_nick",
        "has_buyer_message",
        "buyer_message",
        "seller_memo",
        "seller_flag",
        "shipping_type",
        "step_trade_status",
        "step_paid_fee",
        # oaid is only generated when the five receiver/created fields are asked for (§1.10).
        "receiver_name",
        "receiver_mobile",
        "receiver_phone",
        "receiver_address",
        "receiver_state",
        "receiver_city",
        "receiver_district",
        "receiver_town",
        "receiver_zip",
        "receiver_country",
        "oaid",
        "orders",
    )
)


#: What a trade the list left short is completed with: only the two fields
#: the list API does not return. A trade without its sub-orders gets
#: everything (``TRADE_FIELDS``) instead.
DETAIL_FIELDS: Final = "tid,buyer_message,seller_memo"
#: ``raw_ref`` source of a listed trade completed with fullinfo's two fields.
LIST_AND_DETAIL: Final = f"{INCREMENT_GET}+{FULLINFO_GET}"


def page_size(settings: Mapping[str, Any]) -> int:
    """``settings.page_size`` checked against TOP's 1-100."""
    size = settings.get("page_size", DEFAULT_PAGE_SIZE)
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_PAGE_SIZE:
        raise ValueError(f"taobao page_size must be 1-{MAX_PAGE_SIZE}, got {size!r}")
    return size


def trade_types(settings: Mapping[str, Any]) -> str:
    types = settings.get("trade_types")
    if types is None:
        return ",".join(ALL_TRADE_TYPES)
    return types if isinstance(types, str) else ",".join(types)


def needs_detail(trade: Mapping[str, Any]) -> bool:
    """True when the list API left out something the mapping needs."""
    if "orders" not in trade:
        return True
    if _truthy(trade.get("has_buyer_message")) and "buyer_message" not in trade:
        return True
    flag = trade.get("seller_flag")
    return flag not in (None, 0, "0", "") and "seller_memo" not in trade


def fetch_orders(shop: ShopContext, window: SyncWindow, page: str | None) -> FetchPage:
    """One page of the window; see the module docstring and ``paging``."""
    client = TopClient.for_shop(shop)
    token = PageToken.decode(page, window) if page is not None else None
    if token is None or token.page == 0:
        size = token.page_size if token is not None else page_size(shop.settings)
        content = _list(client, shop, window, page_no=1, size=size, use_has_next=False)
        total = _int(content.get("total_results"))
        if total <= size:
            return _page(shop, client, _trades(content), next_page=None, total=total)
        walk = PageToken.for_window(
            window, total=total, page_size=size, restarts=token.restarts if token else 0
        )
        # Page 1 is read again at the end of the walk: what shifted onto it
        # meanwhile would otherwise be missed.
        return FetchPage(orders=[], next_page=walk.encode(), total=total)

    content = _list(
        client, shop, window, page_no=token.page, size=token.page_size, use_has_next=True
    )
    following = token.following()
    if token.page == token.last and _truthy(content.get("has_next")):
        if token.restarts < MAX_RESTARTS:
            log.warning(
                "taobao.window_grew",
                shop_id=shop.shop_id,
                window_start=window.start.isoformat(),
                window_end=window.end.isoformat(),
                restarts=token.restarts + 1,
            )
            following = token.restarted()
        else:
            log.warning("taobao.window_still_growing", shop_id=shop.shop_id, total=token.total)
    next_page = following.encode() if following is not None else None
    return _page(shop, client, _trades(content), next_page=next_page, total=token.total)


def _list(
    client: TopClient,
    shop: ShopContext,
    window: SyncWindow,
    *,
    page_no: int,
    size: int,
    use_has_next: bool,
) -> dict[str, Any]:
    # TOP takes whole seconds; flooring both ends keeps the span within the
    # window (modified times are whole seconds, so nothing falls between).
    return client.call(
        INCREMENT_GET,
        {
            "fields": TRADE_FIELDS,
            "start_modified": window.start,
            "end_modified": window.end,
            "type": trade_types(shop.settings),
            "page_no": page_no,
            "page_size": size,
            "use_has_next": use_has_next,
        },
    )


def _page(
    shop: ShopContext,
    client: TopClient,
    trades: list[Any],
    *,
    next_page: str | None,
    total: int | None,
) -> FetchPage:
    result = FetchPage(next_page=next_page, total=total)
    mode = shop.settings.get("fullinfo", "auto")
    for raw in trades:
        if not isinstance(raw, Mapping):
            result.problems.append(FetchProblem(None, "trade is not a JSON object", raw=raw))
            continue
        trade, source = raw, INCREMENT_GET
        if mode == "always" or (mode == "auto" and needs_detail(raw)):
            trade, source = _complete(client, raw, whole=mode == "always")
        try:
            result.orders.append(map_trade(trade, shop_id=shop.shop_id, source=source))
        except MappingError as exc:
            result.problems.append(
                FetchProblem(_external_id(trade), str(exc), raw=dict(trade), field=exc.field)
            )
    return result


def _complete(
    client: TopClient, trade: Mapping[str, Any], *, whole: bool
) -> tuple[Mapping[str, Any], str]:
    """The trade completed with ``taobao.trade.fullinfo.get``, and its source.

    A trade with its sub-orders only lacks the message and memo: just those
    are asked for and merged (a later change to the trade comes with its next
    ``modified``); ``whole`` (or missing sub-orders) takes fullinfo's trade
    instead. A refused call is logged and the list's data used.
    """
    tid = _external_id(trade)
    if tid is None:
        return trade, INCREMENT_GET
    full = whole or "orders" not in trade
    try:
        content = client.call(
            FULLINFO_GET, {"fields": TRADE_FIELDS if full else DETAIL_FIELDS, "tid": tid}
        )
    except ChannelSignatureError:
        raise
    except ChannelResponseError as exc:
        if exc.transient:
            raise  # the engine retries the page
        log.warning("taobao.fullinfo_refused", tid=tid, code=exc.code, sub_code=exc.sub_code)
        return trade, INCREMENT_GET
    detailed = content.get("trade")
    if not isinstance(detailed, Mapping):
        return trade, INCREMENT_GET
    if full:
        return detailed, FULLINFO_GET
    merged = dict(trade)
    for name in ("buyer_message", "seller_memo"):
        if name in detailed:
            merged[name] = detailed[name]
    return merged, LIST_AND_DETAIL


def _trades(content: Mapping[str, Any]) -> list[Any]:
    trades = content.get("trades")
    if trades is None:  # TOP leaves "trades" out of an empty result
        return []
    if isinstance(trades, Mapping):
        trades = trades.get("trade", [])
    if not isinstance(trades, list):
        raise ChannelResponseError(
            f"{INCREMENT_GET}: 'trades' is neither a list nor {{'trade': [...]}}",
            channel="taobao",
        )
    return trades


def _external_id(trade: Mapping[str, Any]) -> str | None:
    try:
        return platform_id(trade, "tid")
    except MappingError:
        return None


def _int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0


def _truthy(value: Any) -> bool:
    return value is True or value == "true"
