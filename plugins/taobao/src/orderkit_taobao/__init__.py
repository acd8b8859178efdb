"""orderkit channel plugin for Taobao / Tmall (TOP, 淘宝开放平台).

Registers the channel ``taobao`` and implements its routed hooks; the work is
in the modules behind them:

- ``client``: TOP HTTP calls (signing in ``signing``, envelopes and typed
  errors in ``envelope``, shared protocol facts in ``protocol``);
- ``sync`` + ``paging``: ``fetch_orders`` over ``taobao.trades.sold.increment.get``,
  pages walked last to first;
- ``mapping``: a TOP trade -> canonical ``Order`` (pure);
- ``shipping``: ``ship_order`` over ``taobao.logistics.offline.send``;
- ``status.json`` / ``statuses``: the status table and documented codes;
- ``sandbox``: a local TOP that serves generated orders.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from orderkit import hookimpl
from orderkit.specs import ChannelSpec, PagingStyle
from orderkit_taobao.statuses import STATUS_TABLE_PATH

if TYPE_CHECKING:
    from orderkit.models import Order, Shipment
    from orderkit.specs import FetchPage, ShipResult, ShopContext, SyncWindow
    from orderkit_taobao.sandbox import TaobaoSandbox

__version__ = "0.1.0"

CODE: Final = "taobao"


def sandbox_factory(**options: Any) -> TaobaoSandbox:
    """A ``TaobaoSandbox`` (imported on demand: production never loads it)."""
    from orderkit_taobao.sandbox import TaobaoSandbox

    return TaobaoSandbox(**options)


def channel_spec() -> ChannelSpec:
    """What the plugin registers."""
    return ChannelSpec(
        code=CODE,
        display_name="Taobao / Tmall (淘宝/天猫)",
        max_window=timedelta(days=1),  # end_modified - start_modified <= 1 day
        default_window=timedelta(minutes=30),  # the platform's recommendation
        default_overlap=timedelta(minutes=5),  # covers late index updates
        paging=PagingStyle.PAGE_LAST_TO_FIRST,
        status_table=STATUS_TABLE_PATH,
        sandbox_factory=sandbox_factory,
        required_hooks=("fetch_orders", "ship_order"),
    )


@hookimpl
def register_channels(register: Callable[[ChannelSpec], None]) -> None:
    register(channel_spec())


@hookimpl
def fetch_orders(shop: ShopContext, window: SyncWindow, page: str | None) -> FetchPage:
    from orderkit_taobao.sync import fetch_orders as fetch

    return fetch(shop, window, page)


@hookimpl
def ship_order(shop: ShopContext, order: Order, shipment: Shipment) -> ShipResult:
    from orderkit_taobao.shipping import ship_order as ship

    return ship(shop, order, shipment)
