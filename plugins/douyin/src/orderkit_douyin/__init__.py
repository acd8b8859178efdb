"""orderkit channel plugin for Douyin shop (抖店, Doudian open platform).

Registers the channel ``douyin`` and implements its hooks; the work is in the
modules behind them:

- ``client``: Doudian HTTP calls (signing in ``signing``, envelopes and typed
  errors in ``envelope``, shared protocol facts in ``protocol``);
- ``sync`` + ``paging``: ``fetch_orders`` over ``order.searchList`` by update
  time, ``order.orderDetail`` only where the list left fields out;
- ``mapping``: a shop order with its SKU orders -> canonical ``Order`` (pure);
- ``shipping``: ``ship_order`` over ``order.logisticsAdd``;
- ``tokens``: ``refresh_credentials`` over ``token.refresh`` / ``token.create``;
- ``address``: ``post_addr`` levels as ``clean_address`` hints;
- ``push``: the webhook intake (``PushIntake``, ``PushMarks``, ``PushApp``);
- ``status.json`` / ``statuses``: the status table and documented codes;
- ``sandbox``: a local Doudian that serves generated orders and sends pushes.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from orderkit import hookimpl
from orderkit.specs import ChannelSpec, PagingStyle

from orderkit_douyin.statuses import STATUS_TABLE_PATH

if TYPE_CHECKING:
    from orderkit.address.types import AddressRequest
    from orderkit.models import Order, Shipment
    from orderkit.specs import CredentialGrant, FetchPage, ShipResult, ShopContext, SyncWindow

    from orderkit_douyin.sandbox import DouyinSandbox

__version__ = "0.1.0"

CODE: Final = "douyin"


def sandbox_factory(**options: Any) -> DouyinSandbox:
    """A ``DouyinSandbox`` (imported on demand: production never loads it)."""
    from orderkit_douyin.sandbox import DouyinSandbox

    return DouyinSandbox(**options)


def channel_spec() -> ChannelSpec:
    """What the plugin registers."""
    return ChannelSpec(
        code=CODE,
        display_name="Douyin shop (抖店)",
        # The platform's window limit is UNCONFIRMED (§2.6): a day is the most
        # we ever ask for, and 30 minutes is what we ask for by default (§4).
        max_window=timedelta(days=1),
        default_window=timedelta(minutes=30),
        default_overlap=timedelta(minutes=5),  # covers late index updates
        paging=PagingStyle.PAGE_FROM_0,
        status_table=STATUS_TABLE_PATH,
        sandbox_factory=sandbox_factory,
        required_hooks=("fetch_orders", "ship_order", "refresh_credentials"),
        refresh_ahead=timedelta(days=1),  # access tokens live 7 days (§2.5)
    )


@hookimpl
def register_channels(register: Callable[[ChannelSpec], None]) -> None:
    register(channel_spec())


@hookimpl
def fetch_orders(shop: ShopContext, window: SyncWindow, page: str | None) -> FetchPage:
    from orderkit_douyin.sync import fetch_orders as fetch

    return fetch(shop, window, page)


@hookimpl
def ship_order(shop: ShopContext, order: Order, shipment: Shipment) -> ShipResult:
    from orderkit_douyin.shipping import ship_order as ship

    return ship(shop, order, shipment)


@hookimpl
def refresh_credentials(shop: ShopContext) -> CredentialGrant:
    from orderkit_douyin.tokens import refresh_credentials as refresh

    return refresh(shop)


@hookimpl(wrapper=True)
def clean_address(request: AddressRequest) -> Generator[None, Any, Any]:
    """For Douyin requests: hand the ``post_addr`` levels to the cleaner as hints."""
    from orderkit_douyin.address import hint_request

    hint_request(request)
    return (yield)
