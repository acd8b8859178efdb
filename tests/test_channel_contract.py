"""The contract suite against the reference channel, and proof it can fail:
deliberately broken copies of the plugin make the right checks fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orderkit.specs import FetchPage, ShopContext, SyncWindow
from orderkit.testing import ChannelContract, SignatureExample

from . import fake_channel
from .fake_channel import FakeChannel

DOCUMENTED = {"status": set(fake_channel.STATUSES)}
EXAMPLE = SignatureExample(
    params={"b": "2", "a": "1"},
    secret="k",
    expected=fake_channel.sign({"a": "1", "b": "2"}, "k"),
    sign=fake_channel.sign,
    source="fake docs",
)


class TestFakeChannelContract(ChannelContract):
    plugin_name = "fakeshop"
    plugin = FakeChannel()
    documented_statuses = DOCUMENTED
    signature_examples = [EXAMPLE]  # noqa: RUF012 - the contract reads it


class SkipsLastPage(FakeChannel):
    def fetch_orders(self, shop: ShopContext, window: SyncWindow, page: str | None) -> FetchPage:
        result = super().fetch_orders(shop, window, page)
        if result.next_page is not None and int(result.next_page) * 20 >= (result.total or 0):
            result.next_page = None  # "the last page is probably empty"
        return result


class MissesBoundary(FakeChannel):
    def fetch_orders(self, shop: ShopContext, window: SyncWindow, page: str | None) -> FetchPage:
        result = super().fetch_orders(shop, window, page)
        result.orders = [o for o in result.orders if o.modified_at != window.start]
        return result


class SwallowsAuthErrors(FakeChannel):
    def call(self, shop: ShopContext, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return super().call(shop, params)
        except fake_channel.ChannelAuthError:
            return {"total": 0, "items": []}  # "nothing new": the classic silent stop


class DropsBadItems(FakeChannel):
    def fetch_orders(self, shop: ShopContext, window: SyncWindow, page: str | None) -> FetchPage:
        result = super().fetch_orders(shop, window, page)
        result.problems = []
        return result


def contract_for(plugin: FakeChannel) -> ChannelContract:
    from orderkit import hookimpl

    for name in ("fetch_orders", "register_channels", "ship_order", "refresh_credentials"):
        method = getattr(type(plugin), name)
        if not hasattr(method, "orderkit_impl"):
            setattr(type(plugin), name, hookimpl(method))
    contract = TestFakeChannelContract()
    type(contract).plugin = plugin
    return contract


@pytest.mark.parametrize(
    ("broken", "check"),
    [
        (SkipsLastPage, "test_full_sync_is_schema_valid_complete_and_paged"),
        (MissesBoundary, "test_order_on_a_window_boundary_is_not_missed"),
        (SwallowsAuthErrors, "test_session_expiring_mid_run_stops_without_advancing"),
        (DropsBadItems, "test_malformed_order_is_dead_lettered_and_the_page_kept"),
    ],
)
def test_the_contract_catches_a_broken_plugin(broken: type, check: str, tmp_path: Path) -> None:
    contract = contract_for(broken())
    try:
        with pytest.raises((AssertionError, pytest.fail.Exception)):
            getattr(contract, check)(tmp_path)
    finally:
        type(contract).plugin = FakeChannel()
