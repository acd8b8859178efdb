"""Guarded changes, the outbox, stock reservations and the ERP hooks, on every backend."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa

from orderkit import hookimpl
from orderkit.clock import FakeClock
from orderkit.errors import ConflictError
from orderkit.kit import OrderKit
from orderkit.models import Order, Shipment
from orderkit.store import StockLevel, TransitionError

from .conftest import kit_config, make_order_payload


def set_waybill(waybill: str) -> Any:
    def mutate(order: Order) -> Order:
        shipment = Shipment(shipment_id="p1", courier="zto", waybill=waybill)
        return order.model_copy(update={"shipments": [shipment]})

    return mutate


def test_tracking_number_race_one_wins_the_other_conflicts(kit: OrderKit) -> None:
    kit.ingest([make_order_payload(external_id="R1")])
    read = kit.get("own-mini/R1")  # both actors read the same version
    kit.update(
        "own-mini/R1",
        set_waybill("ZT7312345678901"),
        actor="user:warehouse",
        reason="printed waybill",
        expected_version=read.version,
        attempted={"waybill": "ZT7312345678901"},
    )
    with pytest.raises(ConflictError) as info:
        kit.update(
            "own-mini/R1",
            set_waybill("ZT0000000000000"),
            actor="user:service",
            reason="re-sent parcel",
            expected_version=read.version,
            attempted={"waybill": "ZT0000000000000"},
        )
    assert info.value.attempted == {"waybill": "ZT0000000000000"}
    assert (info.value.expected_version, info.value.actual_version) == (1, 2)
    stored = kit.get("own-mini/R1")
    assert stored.order.shipments[0].waybill == "ZT7312345678901"  # not overwritten
    rejected = [e for e in kit.timeline("own-mini/R1") if e.kind == "change_rejected"]
    assert len(rejected) == 1 and rejected[0].actor == "user:service"
    assert rejected[0].detail["attempted"] == {"waybill": "ZT0000000000000"}


def test_transitions_follow_the_table_and_record_the_actor(kit: OrderKit) -> None:
    kit.ingest([make_order_payload(external_id="T1")])
    v = kit.get("own-mini/T1").version
    kit.transition(
        "own-mini/T1", "approved", actor="user:alice", reason="checked", expected_version=v
    )
    with pytest.raises(TransitionError, match="approved -> completed is not allowed"):
        kit.transition(
            "own-mini/T1", "completed", actor="user:alice", reason="x", expected_version=v + 1
        )
    last = kit.timeline("own-mini/T1")[-1]
    assert (last.kind, last.actor, last.from_state, last.to_state, last.reason) == (
        "transition",
        "user:alice",
        "paid",
        "approved",
        "checked",
    )
    # a platform update keeps orderkit's internal state (platform still says paid)
    kit.ingest(
        [
            make_order_payload(
                external_id="T1", modified_at="2026-11-11T12:00:00+08:00", seller_memo="备注"
            )
        ]
    )
    assert kit.get("own-mini/T1").lifecycle == "approved"


def test_outbox_is_at_least_once_with_stable_ids(kit: OrderKit) -> None:
    kit.ingest([make_order_payload(external_id=f"O{i}") for i in range(3)])
    first = kit.outbox.poll(10)
    again = kit.outbox.poll(10)  # not acknowledged: delivered again, same ids
    assert [e.id for e in first] == [e.id for e in again]
    assert again[0].attempts == 2
    assert kit.outbox.ack([first[0].id]) == 1
    assert kit.outbox.ack([first[0].id]) == 0  # twice is harmless
    assert [e.id for e in kit.outbox.poll(10)] == [e.id for e in first[1:]]


def test_reservations_never_exceed_stock_and_are_idempotent(kit: OrderKit) -> None:
    kit.store.stock.refresh([StockLevel("SKU-SHCH-50", "HZ", 3)])
    kit.ingest([make_order_payload(external_id=f"S{i}") for i in range(5)])
    assert kit.reserve_stock("own-mini/S0", [("1", "SKU-SHCH-50", "HZ", 2)])
    assert kit.reserve_stock("own-mini/S0", [("1", "SKU-SHCH-50", "HZ", 2)])  # idempotent
    assert not kit.reserve_stock("own-mini/S1", [("1", "SKU-SHCH-50", "HZ", 2)])  # 1 left
    assert kit.reserve_stock("own-mini/S2", [("1", "SKU-SHCH-50", "HZ", 1)])
    balance = kit.store.stock.balances()[("SKU-SHCH-50", "HZ")]
    assert (balance.available, balance.reserved, balance.free) == (3, 3, 0)
    kit.store.stock.refresh([StockLevel("SKU-SHCH-50", "HZ", 10)])  # ERP refresh keeps holds
    assert kit.store.stock.balances()[("SKU-SHCH-50", "HZ")].reserved == 3


def test_cancel_from_the_platform_releases_stock(kit: OrderKit) -> None:
    kit.store.stock.refresh([StockLevel("SKU-SHCH-50", "HZ", 5)])
    kit.ingest([make_order_payload(external_id="C1")])
    assert kit.reserve_stock("own-mini/C1", [("1", "SKU-SHCH-50", "HZ", 4)])
    kit.ingest(
        [
            make_order_payload(
                external_id="C1",
                modified_at="2026-11-11T12:00:00+08:00",
                platform_status={"status": "CANCELLED"},
            )
        ]
    )
    assert kit.store.stock.balances()[("SKU-SHCH-50", "HZ")].reserved == 0
    r = kit.store.tables.reservations
    with kit.store.db.transaction() as conn:
        assert conn.execute(sa.select(r.c.state)).scalars().all() == ["released"]


def test_hook_persist_order_joins_the_ingest_transaction(db_url: str, table_prefix: str) -> None:
    written: list[tuple[str, bool, bool]] = []

    class Erp:
        @hookimpl
        def persist_order(self, order: Order, connection: Any, created: bool) -> None:
            written.append((order.external_id, created, isinstance(connection, sa.Connection)))
            if order.seller_memo == "boom":
                raise RuntimeError("ERP table is locked")

    kit = OrderKit.from_config(
        kit_config(db_url, table_prefix),
        entrypoints=False,
        plugins=[("erp", Erp())],
        clock=FakeClock(),
    )
    kit.upgrade_database()
    kit.ingest([make_order_payload(external_id="P1")])
    kit.ingest(
        [
            make_order_payload(
                external_id="P1", modified_at="2026-11-11T12:00:00+08:00", seller_memo="ok"
            )
        ]
    )
    assert written == [("P1", True, True), ("P1", False, True)]
    with pytest.raises(RuntimeError, match="locked"):
        kit.ingest([make_order_payload(external_id="P2", seller_memo="boom")])
    with pytest.raises(Exception, match="no order"):
        kit.get("own-mini/P2")  # the ERP failed, so orderkit's row rolled back too
    kit.engine.dispose()


def test_hook_stock_levels_refreshes_balances(db_url: str, table_prefix: str) -> None:
    class Erp:
        levels: ClassVar[list[StockLevel]] = [
            StockLevel("SKU-A", "HZ", 500),
            StockLevel("SKU-A", "GZ", 20),
        ]

        @hookimpl
        def stock_levels(self, skus: Sequence[str] | None, connection: Any) -> Iterable[StockLevel]:
            assert isinstance(connection, sa.Connection)  # inside the refresh's transaction
            return self.levels

    class NoStock:
        @hookimpl
        def stock_levels(self, skus: Sequence[str] | None) -> None:
            return None

    kit = OrderKit.from_config(
        kit_config(db_url, table_prefix),
        entrypoints=False,
        plugins=[("erp", Erp()), ("other", NoStock())],
        clock=FakeClock(),
    )
    kit.upgrade_database()
    assert kit.refresh_stock() == 2
    assert {k: b.available for k, b in kit.store.stock.balances().items()} == {
        ("SKU-A", "HZ"): 500,
        ("SKU-A", "GZ"): 20,
    }
    kit.clock.advance(60)  # type: ignore[attr-defined]
    Erp.levels = [StockLevel("SKU-A", "HZ", 480)]  # GZ no longer reported: 0, not a stale 20
    kit.refresh_stock()
    assert {k: b.available for k, b in kit.store.stock.balances().items()} == {
        ("SKU-A", "HZ"): 480,
        ("SKU-A", "GZ"): 0,
    }
    kit.engine.dispose()


def test_write_many_writes_chained_changes_and_hands_back_stale_ones(kit: OrderKit) -> None:
    kit.ingest([make_order_payload(external_id=f"W{i}") for i in range(3)])
    orders = kit.store.orders
    first, second, third = (kit.get(f"own-mini/W{i}") for i in range(3))
    # two changes of one order, the second built on the first
    a1 = orders.prepare(first, set_waybill("A1")(first.order), actor="t", reason="one")
    a2 = orders.prepare(a1.written, set_waybill("A2")(a1.written.order), actor="t", reason="two")
    b1 = orders.prepare(second, set_waybill("B1")(second.order), actor="t", reason="b")
    c1 = orders.prepare(third, set_waybill("C1")(third.order), actor="t", reason="c")
    c2 = orders.prepare(c1.written, set_waybill("C2")(c1.written.order), actor="t", reason="c2")
    # the third order moves on after its changes were worked out
    kit.update(
        "own-mini/W2", set_waybill("X"), actor="user:x", reason="x", expected_version=third.version
    )
    with kit.store.db.transaction() as conn:
        stale = orders.write_many(conn, [a1, b1, c1, a2, c2])
    assert stale == [c1, c2]  # and everything built on a stale change
    got = kit.get("own-mini/W0")
    assert (got.version, got.order.shipments[0].waybill) == (first.version + 2, "A2")
    assert kit.get("own-mini/W1").order.shipments[0].waybill == "B1"
    assert kit.get("own-mini/W2").order.shipments[0].waybill == "X"  # not overwritten
    kinds = [(e.reason, e.detail.get("version")) for e in kit.timeline("own-mini/W0")][-2:]
    assert kinds == [("one", first.version + 1), ("two", first.version + 2)]
    assert not [e for e in kit.timeline("own-mini/W2") if e.reason in ("c", "c2")]


def test_write_many_of_a_large_batch_applies_every_change_once(kit: OrderKit) -> None:
    """Large enough for PostgreSQL's one-statement path; each order changed
    twice (two rounds) and one decided (another set of keys)."""
    count = 24
    kit.ingest([make_order_payload(external_id=f"L{i}") for i in range(count)])
    orders = kit.store.orders
    pending = []
    for i in range(count):
        stored = kit.get(f"own-mini/L{i}")
        one = orders.prepare(stored, set_waybill(f"A{i}")(stored.order), actor="t", reason="1")
        two = orders.prepare(
            one.written,
            set_waybill(f"B{i}")(one.written.order),
            actor="t",
            reason="2",
            decided=i % 5 == 0,
        )
        pending += [one, two]
    with kit.store.db.transaction() as conn:
        assert orders.write_many(conn, pending) == []
    for i in range(count):
        got = kit.get(f"own-mini/L{i}")
        assert (got.version, got.order.shipments[0].waybill) == (3, f"B{i}")
    o = kit.store.tables.orders
    with kit.store.db.transaction() as conn:
        decided = conn.execute(sa.select(sa.func.count()).where(o.c.decided_version == 3))
        assert decided.scalar_one() == 5
