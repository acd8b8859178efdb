"""One test per hook (the hookspec meta-test checks each exists), plus the
host's routing and registration rules."""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from orderkit import hookimpl
from orderkit._resources import data_path
from orderkit.address.types import AddressHints, AddressRequest
from orderkit.builtin import core_host
from orderkit.clock import FakeClock, RecordingSleeper, SystemClock, SystemSleeper
from orderkit.decisions import Allocation, DecisionContext, GiftDecision, PickupRequest
from orderkit.errors import DuplicateCodeError, PluginContractError, PluginError
from orderkit.models import DecisionTrace, Line, Order, Shipment
from orderkit.specs import (
    ChannelSpec,
    CourierContext,
    CourierSpec,
    FetchPage,
    JobSpec,
    PagingStyle,
    ShopContext,
    SyncWindow,
)

from .conftest import make_order_payload

OWN_TABLE = data_path("status", "own.json")


def channel_spec(code: str, **kw: Any) -> ChannelSpec:
    return ChannelSpec(
        code=code,
        display_name=code,
        max_window=timedelta(days=1),
        default_overlap=timedelta(minutes=5),
        paging=PagingStyle.PAGE_FROM_1,
        status_table=kw.pop("status_table", OWN_TABLE),
        **kw,
    )


class FakeChannel:
    def __init__(self, code: str, orders: list[Order]) -> None:
        self.code, self.orders, self.calls = code, orders, 0

    @hookimpl
    def register_channels(self, register: Callable[[ChannelSpec], None]) -> None:
        register(channel_spec(self.code))

    @hookimpl
    def fetch_orders(self, shop: ShopContext, window: SyncWindow, page: str | None) -> FetchPage:
        self.calls += 1
        return FetchPage(orders=[o for o in self.orders if o.channel == shop.channel])


def shop_for(channel: str) -> ShopContext:
    clock = FakeClock()
    return ShopContext(
        shop_id="s1",
        channel=channel,
        endpoint=None,
        settings={},
        credential=lambda name: "x",
        http=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500))),
        clock=clock,
        sleeper=RecordingSleeper(clock),
    )


def window() -> SyncWindow:
    start = datetime(2026, 11, 11, tzinfo=UTC)
    return SyncWindow(start, start + timedelta(minutes=30))


def an_order(channel: str = "own", **kw: Any) -> Order:
    return Order.model_validate(make_order_payload(channel=channel, **kw))


# -- one test per hook ---------------------------------------------------------


def test_hook_register_channels() -> None:
    host = core_host(plugins=[("alpha", FakeChannel("alpha", []))], entrypoints=False)
    assert host.channels["alpha"].plugin_name == "alpha"
    assert host.channel("alpha").paging is PagingStyle.PAGE_FROM_1
    assert "own" in host.channels  # the built-in channel


def test_hook_register_couriers() -> None:
    class Courier:
        @hookimpl
        def register_couriers(self, register: Callable[[CourierSpec], None]) -> None:
            register(CourierSpec(code="zto", display_name="中通"))

        @hookimpl
        def book_pickup(self, request: PickupRequest) -> Any:
            raise NotImplementedError

    host = core_host(plugins=[("zto", Courier())], entrypoints=False)
    assert host.courier("zto").display_name == "中通"


def test_hook_fetch_orders_is_routed_by_channel_code() -> None:
    alpha = FakeChannel("alpha", [an_order("alpha")])
    beta = FakeChannel("beta", [an_order("beta")])
    host = core_host(plugins=[("alpha", alpha), ("beta", beta)], entrypoints=False)
    page = host.fetch_orders(shop_for("beta"), window(), None)
    assert [o.channel for o in page.orders] == ["beta"]
    assert (alpha.calls, beta.calls) == (0, 1)


def test_hook_map_status_default_reads_the_channel_table() -> None:
    host = core_host(entrypoints=False)
    result = host.pm.hook.map_status(channel="own", raw={"status": "PAID"}, current=None)
    assert result.axes.lifecycle == "paid"
    unknown = host.pm.hook.map_status(channel="own", raw={"status": "NOPE"}, current=None)
    assert unknown.is_unmapped and unknown.unmapped == {"status": "NOPE"}


def test_hook_clean_address_channel_wrapper_passes_hints() -> None:
    # The core default (orderkit.address, trylast) answers; a channel's
    # wrapper gives it hints for that channel's orders only.
    class DouyinHints:
        @hookimpl(wrapper=True)
        def clean_address(self, request: AddressRequest) -> Generator[None, Any, Any]:
            if request.channel == "douyin":
                request.hints = AddressHints(province="北京市")
            return (yield)

    host = core_host(plugins=[("dy", DouyinHints())], entrypoints=False)
    text = "朝阳区建国路88号"  # 北京 or 长春: only the hint can tell
    douyin = host.pm.hook.clean_address(request=AddressRequest(text, channel="douyin"))
    other = host.pm.hook.clean_address(request=AddressRequest(text, channel="taobao"))
    assert (douyin.province, douyin.district, douyin.unsure) == ("北京市", "朝阳区", False)
    assert other.district is None and "ambiguous" in other.flags and other.unsure


def test_hook_allocate_warehouse_first_result_wins() -> None:
    trace = DecisionTrace(stage="allocation")

    class Rules:
        @hookimpl(trylast=True)
        def allocate_warehouse(self, order: Order, context: DecisionContext) -> Allocation:
            return Allocation(shipments=[Shipment(shipment_id="s", warehouse="GZ")], trace=trace)

    class Override:
        @hookimpl
        def allocate_warehouse(self, order: Order, context: DecisionContext) -> Allocation | None:
            if order.shop_id != "vip":
                return None  # not mine: fall through to the default
            return Allocation(shipments=[Shipment(shipment_id="s", warehouse="HZ")], trace=trace)

    host = core_host(plugins=[("rules", Rules()), ("vip", Override())], entrypoints=False)
    call = host.pm.hook.allocate_warehouse
    assert (
        call(order=an_order(shop_id="vip"), context=DecisionContext()).shipments[0].warehouse
        == "HZ"
    )
    assert call(order=an_order(), context=DecisionContext()).shipments[0].warehouse == "GZ"


def test_hook_apply_gifts_collects_isolates_and_sorts() -> None:
    def gift_plugin(sku: str) -> Any:
        class Gifts:
            @hookimpl
            def apply_gifts(self, order: Order, context: DecisionContext) -> GiftDecision:
                line = Line(
                    line_id=f"g-{sku}",
                    sku=sku,
                    quantity=1,
                    unit_price=0,
                    is_gift=True,
                    parent_line_id="1",
                )
                return GiftDecision(lines=[line], trace=DecisionTrace(stage="gifts"))

        return Gifts()

    class Broken:
        @hookimpl
        def apply_gifts(self, order: Order) -> None:
            raise RuntimeError("quota service down")

    host = core_host(
        plugins=[("zeta", gift_plugin("G2")), ("broken", Broken()), ("alpha", gift_plugin("G1"))],
        entrypoints=False,
    )
    results = host.apply_gifts(an_order(), DecisionContext())
    assert [name for name, _ in results.decisions] == ["alpha", "zeta"]
    assert [e.plugin_name for e in results.errors] == ["broken"]
    assert "quota service down" in str(results.errors[0])


def test_hook_book_pickup_is_routed_by_courier_code() -> None:
    import importlib.util

    path = (
        Path(__file__).resolve().parents[1] / "examples/hello_plugin/src/orderkit_hello/__init__.py"
    )
    spec = importlib.util.spec_from_file_location("orderkit_hello_example", path)
    assert spec and spec.loader
    hello = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hello)
    host = core_host(plugins=[("hello", hello)], entrypoints=False)
    order = an_order()
    request = PickupRequest(
        order=order,
        shipment=Shipment(shipment_id="p1"),
        courier="hello",
        idempotency_key="own-mini/T1/p1",
    )
    context = CourierContext(
        code="hello",
        endpoint=None,
        settings={},
        credential=lambda name: "",
        http=httpx.Client(),
        clock=SystemClock(),
        sleeper=SystemSleeper(),
    )
    first, again = host.book_pickup(context, request), host.book_pickup(context, request)
    assert first.courier == "hello" and first.waybill == again.waybill  # idempotent


def test_hook_ship_order_is_routed_by_channel_code() -> None:
    from orderkit.specs import ShipResult

    class Shipping(FakeChannel):
        @hookimpl
        def ship_order(self, shop: ShopContext, order: Order, shipment: Shipment) -> ShipResult:
            if not shipment.waybill:
                return ShipResult(
                    accepted=False,
                    error_code="isv.logistics-invalid",
                    error_message="waybill required",
                )
            return ShipResult(accepted=True, platform_ref=f"{shop.channel}:{shipment.waybill}")

    host = core_host(plugins=[("alpha", Shipping("alpha", []))], entrypoints=False)
    ok = host.ship_order(
        shop_for("alpha"),
        an_order("alpha"),
        Shipment(shipment_id="p1", courier="zto", waybill="7312345678901"),
    )
    refused = host.ship_order(shop_for("alpha"), an_order("alpha"), Shipment(shipment_id="p2"))
    assert ok.accepted and ok.platform_ref == "alpha:7312345678901"
    assert not refused.accepted and refused.error_code == "isv.logistics-invalid"


def test_hook_refresh_credentials_is_routed_and_persisted(tmp_path: Path) -> None:
    from orderkit.specs import CredentialGrant
    from orderkit.testing import make_kit

    class Refreshing(FakeChannel):
        @hookimpl
        def refresh_credentials(self, shop: ShopContext) -> CredentialGrant:
            return CredentialGrant(
                {"access_token": "new-token"}, datetime(2026, 11, 18, tzinfo=UTC)
            )

    kit = make_kit(tmp_path, [("alpha", Refreshing("alpha", []))])
    assert kit.host.can_refresh("alpha") and not kit.host.can_refresh("own")
    grant = kit.host.refresh_credentials(shop_for("alpha"))
    kit.save_credentials("alpha-shop", dict(grant.values), grant.expires_at)
    assert kit.store.credentials("alpha-shop") == (
        {"access_token": "new-token"},
        datetime(2026, 11, 18, tzinfo=UTC),
    )


# -- registration rules ----------------------------------------------------------


def test_two_plugins_claiming_one_code_is_an_error() -> None:
    class Impostor(FakeChannel):
        @hookimpl
        def register_channels(self, register: Callable[[ChannelSpec], None]) -> None:
            register(channel_spec("alpha"))

    with pytest.raises(DuplicateCodeError, match="already registered by plugin 'alpha'"):
        core_host(
            plugins=[("alpha", FakeChannel("alpha", [])), ("beta", Impostor("beta", []))],
            entrypoints=False,
        )


def test_code_must_equal_plugin_name() -> None:
    with pytest.raises(PluginContractError, match="entry-point name must equal the code"):
        core_host(plugins=[("taobao-v2", FakeChannel("taobao", []))], entrypoints=False)


def test_missing_required_hook_is_refused() -> None:
    class NoFetch:
        @hookimpl
        def register_channels(self, register: Callable[[ChannelSpec], None]) -> None:
            register(channel_spec("lazy"))

    with pytest.raises(PluginContractError, match=r"required hook.*fetch_orders"):
        core_host(plugins=[("lazy", NoFetch())], entrypoints=False)


def test_misspelled_hookimpl_is_refused_at_registration() -> None:
    from pluggy import PluginValidationError

    bad = SimpleNamespace(fetch_order=hookimpl(lambda shop: None))
    with pytest.raises(PluginValidationError, match="unknown hook 'fetch_order'"):
        core_host(plugins=[("bad", bad)], entrypoints=False)


def test_runtime_registration_revalidates() -> None:
    host = core_host(entrypoints=False)
    host.register_plugin(FakeChannel("late", []), name="late")
    assert "late" in host.channels


def test_plugin_bug_is_attributed_and_wrappers_still_run() -> None:
    calls: list[str] = []

    class Crashing(FakeChannel):
        @hookimpl
        def fetch_orders(self, shop: ShopContext, window: SyncWindow, page: str | None) -> Any:
            raise KeyError("items")

    class Timing:
        @hookimpl(wrapper=True)
        def fetch_orders(self) -> Generator[None, Any, Any]:
            calls.append("before")
            try:
                return (yield)
            finally:
                calls.append("after")

    host = core_host(
        plugins=[("crash", Crashing("crash", [])), ("timing", Timing())], entrypoints=False
    )
    with pytest.raises(PluginError) as info:
        host.fetch_orders(shop_for("crash"), window(), None)
    assert info.value.plugin_name == "crash" and info.value.hook_name == "fetch_orders"
    assert calls == ["before", "after"]


def test_unknown_channel_names_what_is_installed() -> None:
    host = core_host(entrypoints=False)
    with pytest.raises(Exception, match=r"no plugin provides channel .taobao.*own"):
        host.channel("taobao")


def test_bad_spec_values_are_refused() -> None:
    with pytest.raises(ValueError, match="lowercase"):
        channel_spec("TaoBao")
    with pytest.raises(ValueError, match="default_window exceeds"):
        channel_spec("x", default_window=timedelta(days=2))


def test_hook_register_jobs_collects_named_jobs_and_refuses_duplicates() -> None:
    def job_plugin(name: str) -> object:
        class Jobs:
            @hookimpl
            def register_jobs(self, register: Callable[[JobSpec], None]) -> None:
                register(JobSpec(name=name, interval=timedelta(minutes=5), run=lambda kit: 0))

        return Jobs()

    host = core_host(plugins=[("erp", job_plugin("erp.print-waybills"))], entrypoints=False)
    jobs = host.jobs()
    assert list(jobs) == ["erp.print-waybills"]
    assert jobs["erp.print-waybills"][0] == "erp"
    assert jobs["erp.print-waybills"][1].interval == timedelta(minutes=5)

    clash = core_host(
        plugins=[("a", job_plugin("same")), ("b", job_plugin("same"))], entrypoints=False
    )
    with pytest.raises(PluginContractError, match="already registered"):
        clash.jobs()
    with pytest.raises(ValueError, match="interval must be positive"):
        JobSpec(name="x", interval=timedelta(0), run=lambda kit: 0)
