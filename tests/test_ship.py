"""``kit.ship``: a waybill is recorded, uploaded to the channel, and the order
is ``shipped`` only when the channel accepted it; refusals stay visible,
transient failures are retried by the run loop's upload job."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from orderkit import hookimpl
from orderkit.clock import FakeClock, RecordingSleeper
from orderkit.errors import ChannelResponseError
from orderkit.kit import OrderKit
from orderkit.models import Lifecycle, Order, Shipment, ShipmentLine, ShipmentStatus, StatusAxes
from orderkit.ship import ShipError
from orderkit.specs import ShipResult, ShopContext
from orderkit.store import StockLevel

from .conftest import kit_config, make_order_payload
from .fake_channel import CODE, FakeChannel

SHOP = "fs"


class ScriptedShipping(FakeChannel):
    """The fake channel, answering uploads from a script (default: accept)."""

    def __init__(self) -> None:
        self.answers: list[ShipResult | Exception] = []
        self.uploads: list[tuple[str, str, str | None]] = []
        #: called with each order as it is uploaded (someone at work meanwhile)
        self.meanwhile: Callable[[Order], None] | None = None

    @hookimpl
    def ship_order(self, shop: ShopContext, order: Order, shipment: Shipment) -> ShipResult:
        self.uploads.append((order.external_id, shipment.shipment_id, shipment.waybill))
        if self.meanwhile is not None:
            self.meanwhile(order)
        answer = self.answers.pop(0) if self.answers else ShipResult(accepted=True)
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture()
def channel() -> ScriptedShipping:
    return ScriptedShipping()


@pytest.fixture()
def skit(db_url: str, table_prefix: str, channel: ScriptedShipping) -> Iterator[OrderKit]:
    clock = FakeClock()
    shop = {
        "id": SHOP,
        "channel": CODE,
        "endpoint": "http://127.0.0.1:9",  # never called: the scripted plugin answers
        "app_key": "k",
        "app_secret": "sandbox:s",
        "session": "sandbox:t",
    }
    kit = OrderKit.from_config(
        kit_config(db_url, table_prefix, shops=[shop]),
        plugins=[(CODE, channel)],
        entrypoints=False,
        clock=clock,
        sleeper=RecordingSleeper(clock),
    )
    kit.upgrade_database()
    yield kit
    if kit.engine is not None:
        kit.engine.dispose()


def allocated(kit: OrderKit, external_id: str = "T1", parcels: int = 1) -> str:
    """An order of the fake channel, allocated into ``parcels`` shipments with stock reserved."""
    lines = [
        {"line_id": str(n), "sku": f"SKU{n}", "quantity": 1, "unit_price": 10000}
        for n in range(1, parcels + 1)
    ]
    payload = make_order_payload(
        channel=CODE,
        shop_id=SHOP,
        external_id=external_id,
        lines=lines,
        amounts={"goods_total": 10000 * parcels, "paid": 10000 * parcels},
    )
    kit.ingest([payload])
    ref = f"{SHOP}/{external_id}"
    stored = kit.get(ref)
    shipments = [
        Shipment(
            shipment_id=f"p{n}",
            warehouse="HZ",
            lines=[ShipmentLine(line_id=str(n), quantity=1)],
            courier="zto",
        )
        for n in range(1, parcels + 1)
    ]

    def allocate(order: Order) -> Order:
        axes = (order.status or StatusAxes(lifecycle=Lifecycle.PAID)).model_copy(
            update={"lifecycle": Lifecycle.ALLOCATED}
        )
        return order.model_copy(update={"shipments": shipments, "status": axes})

    kit.update(
        ref, allocate, actor="system:test", reason="allocated", expected_version=stored.version
    )
    kit.store.stock.refresh([StockLevel(f"SKU{n}", "HZ", 10) for n in range(1, parcels + 1)])
    assert kit.reserve_stock(ref, [(str(n), f"SKU{n}", "HZ", 1) for n in range(1, parcels + 1)])
    return stored.order.id or ""


def topics(kit: OrderKit, order_id: str) -> list[str]:
    box = kit.store.tables.outbox
    with kit.store.db.transaction() as conn:
        return sorted(
            conn.execute(sa.select(box.c.topic).where(box.c.order_id == order_id)).scalars()
        )


def test_accepted_upload_ships_the_order_once(skit: OrderKit, channel: ScriptedShipping) -> None:
    oid = allocated(skit)
    outcome = skit.ship(oid, courier="zto", waybill="ZT7730001", actor="user:wh-1")
    assert outcome.uploaded
    stored = skit.get(oid)
    assert stored.lifecycle is Lifecycle.SHIPPED
    assert stored.order.shipments[0].status is ShipmentStatus.SHIPPED
    assert stored.order.shipments[0].waybill == "ZT7730001"
    kinds = [e.kind for e in skit.timeline(oid)]
    assert kinds[-2:] == ["waybill", "tracking_uploaded"]
    assert [e.actor for e in skit.timeline(oid)][-2] == "user:wh-1"
    assert {"order.shipped", "shipment.booked", "shipment.uploaded"} <= set(topics(skit, oid))
    assert "shipment.upload_failed" not in topics(skit, oid)
    # the reservation left the shelf with the parcel
    balance = skit.store.stock.balances(["SKU1"])[("SKU1", "HZ")]
    assert (balance.available, balance.reserved) == (9, 0)

    again = skit.ship(oid, courier="zto", waybill="ZT7730001", actor="user:wh-1")
    assert again.uploaded and len(channel.uploads) == 1  # recorded once, uploaded once
    assert skit.get(oid).version == stored.version

    with pytest.raises(ShipError, match="already accepted waybill ZT7730001"):
        skit.ship(oid, courier="zto", waybill="ZT9999999", actor="user:wh-2")


def test_a_refusal_is_visible_and_never_shipped(skit: OrderKit, channel: ScriptedShipping) -> None:
    oid = allocated(skit)
    channel.answers = [
        ShipResult(accepted=False, error_code="isv.logistics-invalid", error_message="运单号不合法")
    ]
    outcome = skit.ship(oid, courier="zto", waybill="BAD", actor="user:wh-1")
    assert outcome.state == "upload_failed"
    assert outcome.error_code == "isv.logistics-invalid"
    stored = skit.get(oid)
    assert stored.lifecycle is Lifecycle.ALLOCATED  # not a pretend "shipped"
    assert stored.order.shipments[0].status is ShipmentStatus.UPLOAD_FAILED
    assert "shipment.upload_failed" in topics(skit, oid)
    assert skit.timeline(oid)[-1].kind == "tracking_refused"
    assert "运单号不合法" in (skit.timeline(oid)[-1].reason or "")
    # the run loop does not retry a refusal on its own: a person must act
    skit.clock.advance(7200)  # type: ignore[attr-defined]
    assert skit.shipper.upload_due() == 0

    fixed = skit.ship(oid, courier="zto", waybill="ZT7730002", actor="user:wh-1")
    assert fixed.uploaded and skit.get(oid).lifecycle is Lifecycle.SHIPPED


def test_transient_failures_are_retried_later_by_the_run_loop(
    skit: OrderKit, channel: ScriptedShipping
) -> None:
    oid = allocated(skit)
    down = ChannelResponseError("502", channel=CODE, code="502", transient=True)
    channel.answers = [down, down, down]
    outcome = skit.ship(oid, courier="zto", waybill="ZT7730003", actor="user:wh-1")
    assert outcome.state == "booked" and outcome.retry_at is not None
    assert len(channel.uploads) == 3  # retried in-line first
    assert skit.get(oid).lifecycle is Lifecycle.ALLOCATED
    assert skit.shipper.upload_due() == 0  # not due yet
    clock: Any = skit.clock
    clock.advance(120)
    assert skit.shipper.upload_due() == 1
    assert skit.get(oid).lifecycle is Lifecycle.SHIPPED
    assert len(channel.uploads) == 4


def test_split_shipments_ship_the_order_when_the_last_is_accepted(skit: OrderKit) -> None:
    oid = allocated(skit, parcels=2)
    with pytest.raises(ShipError, match="say which one"):
        skit.ship(oid, courier="zto", waybill="ZT1", actor="user:wh-1")
    skit.ship(oid, shipment="p1", courier="zto", waybill="ZT1", actor="user:wh-1")
    assert skit.get(oid).lifecycle is Lifecycle.PARTIALLY_SHIPPED
    skit.ship(oid, shipment="p2", courier="sf", waybill="SF1", actor="user:wh-1")
    stored = skit.get(oid)
    assert stored.lifecycle is Lifecycle.SHIPPED
    assert [(s.courier, s.waybill) for s in stored.order.shipments] == [
        ("zto", "ZT1"),
        ("sf", "SF1"),
    ]


def test_a_channel_without_uploads_records_the_waybill(skit: OrderKit) -> None:
    skit.ingest([make_order_payload(external_id="OWN1")])
    outcome = skit.ship("own-mini/OWN1", courier="sf", waybill="SF100", actor="user:wh-1")
    assert outcome.uploaded
    assert skit.get("own-mini/OWN1").lifecycle is Lifecycle.SHIPPED


def test_a_finished_order_cannot_be_shipped(skit: OrderKit) -> None:
    skit.ingest([make_order_payload(external_id="C1", platform_status={"status": "CANCELLED"})])
    with pytest.raises(ShipError, match="nothing to ship"):
        skit.ship("own-mini/C1", courier="sf", waybill="SF1", actor="user:x")


def test_ship_many_records_uploads_and_reports_each(
    skit: OrderKit, channel: ScriptedShipping
) -> None:
    from orderkit.ship import Waybill

    first, second, third = (allocated(skit, f"M{n}") for n in range(3))
    channel.answers = [
        ShipResult(accepted=True),
        ShipResult(accepted=False, error_code="B60", error_message="运单号重复"),
    ]
    batch = skit.shipper.ship_many(
        [
            Waybill(first, "zto", "ZT100"),
            Waybill(second, "zto", "ZT101"),
            Waybill(third, "zto", "ZT102", shipment="nope"),  # refused before any upload
        ],
        actor="user:wh-1",
    )
    assert [(o.order_id, o.state) for o in batch.outcomes] == [
        (first, "uploaded"),
        (second, "upload_failed"),
    ]
    assert [(w.order_id, type(e).__name__) for w, e in batch.failed] == [(third, "ShipError")]
    assert skit.get(first).lifecycle is Lifecycle.SHIPPED
    assert skit.get(second).lifecycle is Lifecycle.ALLOCATED
    assert skit.get(third).order.shipments[0].waybill is None
    again = skit.shipper.ship_many([Waybill(first, "zto", "ZT100")], actor="user:wh-1")
    assert [o.state for o in again.outcomes] == ["uploaded"] and len(channel.uploads) == 2


def test_ship_many_settles_a_mixed_batch_together(
    skit: OrderKit, channel: ScriptedShipping
) -> None:
    """Two parcels of one order, an order changed by someone else while its
    upload ran, and a transient failure, all in one batch: each settles as
    ``ship`` alone would settle it."""
    from orderkit.ship import Waybill

    split = allocated(skit, "S1", parcels=2)
    moved = allocated(skit, "S2")
    flaky = allocated(skit, "S3")
    memo_on = {"S2"}

    def edit_memo(order: Order) -> None:  # a person edits S2 while its upload is on the wire
        if order.external_id in memo_on:
            memo_on.discard(order.external_id)
            current = skit.get(moved)
            skit.update(
                moved,
                lambda o: o.model_copy(update={"seller_memo": "call first"}),
                actor="user:cs",
                reason="memo",
                expected_version=current.version,
            )

    channel.meanwhile = edit_memo
    channel.answers = [
        ShipResult(accepted=True),
        ShipResult(accepted=True),
        ShipResult(accepted=True),
        *[ChannelResponseError("timeout", channel=CODE, code="isp", transient=True)] * 3,
    ]
    batch = skit.shipper.ship_many(
        [
            Waybill(split, "zto", "ZT1", shipment="p1"),
            Waybill(split, "sf", "SF1", shipment="p2"),
            Waybill(moved, "zto", "ZT2"),
            Waybill(flaky, "zto", "ZT3"),
        ],
        actor="user:wh-1",
    )
    assert not batch.failed
    assert [(o.order_id, o.shipment_id, o.state) for o in batch.outcomes] == [
        (split, "p1", "uploaded"),
        (split, "p2", "uploaded"),
        (moved, "p1", "uploaded"),
        (flaky, "p1", "booked"),
    ]
    assert skit.get(split).lifecycle is Lifecycle.SHIPPED
    changed = skit.get(moved)
    assert changed.lifecycle is Lifecycle.SHIPPED and changed.order.seller_memo == "call first"
    assert skit.get(flaky).lifecycle is Lifecycle.ALLOCATED
    # stock of both shipped orders left the shelf; the flaky one still holds its unit
    balances = skit.store.stock.balances()
    assert (balances[("SKU1", "HZ")].available, balances[("SKU1", "HZ")].reserved) == (8, 1)
    assert (balances[("SKU2", "HZ")].available, balances[("SKU2", "HZ")].reserved) == (9, 0)
    assert topics(skit, split).count("shipment.uploaded") == 2
    assert topics(skit, split).count("order.shipped") == 1
    assert topics(skit, moved).count("order.shipped") == 1
    kinds = [e.kind for e in skit.timeline(split)]
    assert kinds.count("waybill") == 2 and kinds.count("tracking_uploaded") == 2


def test_book_pickups_books_each_courier_then_ships_the_print_run_together(
    db_url: str, table_prefix: str, channel: ScriptedShipping
) -> None:
    from orderkit.decisions import PickupRequest, WaybillBooking
    from orderkit.errors import CourierError
    from orderkit.specs import CourierSpec

    class Zto:
        """Books every parcel but those of K2 (its address is out of range)."""

        @hookimpl
        def register_couriers(self, register: Any) -> None:
            register(CourierSpec(code="zto", display_name="中通"))

        @hookimpl
        def book_pickup(self, request: PickupRequest) -> WaybillBooking:
            if request.order.external_id == "K2":
                raise CourierError("address out of range", courier="zto")
            return WaybillBooking(courier="zto", waybill=f"7310{len(request.idempotency_key):09d}")

    shop = {"id": SHOP, "channel": CODE, "endpoint": "http://127.0.0.1:9", "app_key": "k",
            "app_secret": "sandbox:s", "session": "sandbox:t"}  # fmt: skip
    clock = FakeClock()
    kit = OrderKit.from_config(
        kit_config(db_url, table_prefix, shops=[shop], couriers=[{"code": "zto"}]),
        plugins=[(CODE, channel), ("zto", Zto())],
        entrypoints=False,
        clock=clock,
        sleeper=RecordingSleeper(clock),
    )
    kit.upgrade_database()
    split, refused, single = (
        allocated(kit, "K1", parcels=2),
        allocated(kit, "K2"),
        allocated(kit, "K3"),
    )
    wanted = [(split, "p1"), (split, "p2"), (refused, "p1"), (single, "p1")]
    batch = kit.book_pickups(wanted, actor="erp:打单")
    assert not batch.failed
    states = {(o.order_id, o.shipment_id): o.state for o in batch.outcomes}
    assert states == {
        (split, "p1"): "uploaded",
        (split, "p2"): "uploaded",
        (refused, "p1"): "manual_entry",
        (single, "p1"): "uploaded",
    }
    assert len(channel.uploads) == 3
    assert kit.get(split).lifecycle is Lifecycle.SHIPPED
    assert kit.get(refused).lifecycle is Lifecycle.ALLOCATED  # waits for a person
    assert "shipment.manual_entry" in topics(kit, refused)
    again = kit.book_pickups(wanted, actor="erp:打单")  # booked before: nothing new
    assert [o.state for o in again.outcomes] == ["uploaded", "uploaded", "manual_entry", "uploaded"]
    assert len(channel.uploads) == 3
    if kit.engine is not None:
        kit.engine.dispose()


def test_one_answer_failing_to_record_does_not_hold_back_the_others(
    db_url: str, table_prefix: str, channel: ScriptedShipping
) -> None:
    """The ERP's ``persist_order`` refuses one order as it becomes shipped:
    the chunk's answers are then recorded one by one, the others ship, and
    the refused one stays claimed for the run loop to upload again."""

    class Erp:
        @hookimpl
        def persist_order(self, order: Order, connection: Any, created: bool) -> None:
            shipped = any(s.status is ShipmentStatus.SHIPPED for s in order.shipments)
            if order.external_id == "F2" and shipped:
                raise RuntimeError("ERP: 发货单 locked by a clerk")

    shop = {"id": SHOP, "channel": CODE, "endpoint": "http://127.0.0.1:9", "app_key": "k",
            "app_secret": "sandbox:s", "session": "sandbox:t"}  # fmt: skip
    clock = FakeClock()
    kit = OrderKit.from_config(
        kit_config(db_url, table_prefix, shops=[shop]),
        plugins=[(CODE, channel), ("erp", Erp())],
        entrypoints=False,
        clock=clock,
        sleeper=RecordingSleeper(clock),
    )
    kit.upgrade_database()
    from orderkit.ship import Waybill

    ids = [allocated(kit, f"F{n}") for n in range(1, 4)]
    batch = kit.shipper.ship_many(
        [Waybill(oid, "zto", f"ZT90{n}") for n, oid in enumerate(ids)], actor="wh:1"
    )
    assert [(o.order_id, o.state) for o in batch.outcomes] == [
        (ids[0], "uploaded"),
        (ids[2], "uploaded"),
    ]
    assert [(w.order_id, str(e)) for w, e in batch.failed] == [
        (ids[1], "ERP: 发货单 locked by a clerk")
    ]
    assert [kit.get(oid).lifecycle for oid in ids] == [
        Lifecycle.SHIPPED,
        Lifecycle.ALLOCATED,
        Lifecycle.SHIPPED,
    ]
    assert kit.shipper.outcome(ids[1], "p1").state == "booked"  # claimed: uploaded again later
    if kit.engine is not None:
        kit.engine.dispose()
