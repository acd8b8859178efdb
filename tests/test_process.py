"""kit.process end to end on the store: the field's gift example, holds and
release, idempotence, quota and stock side effects, on every backend."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import yaml

from orderkit import hookimpl
from orderkit.clock import FakeClock, RecordingSleeper
from orderkit.decisions import PickupRequest, WaybillBooking
from orderkit.kit import OrderKit
from orderkit.specs import CourierSpec
from orderkit.store import StockLevel

from .conftest import kit_config, make_order_payload

RULES: dict[str, Any] = {
    "holds": [
        {"id": "msg", "check": "buyer_message", "severity": "warn"},
        {"id": "blacklist", "check": "blacklisted"},
        {"id": "big", "check": "amount_above", "limit": 5000, "release_after": "2h"},
    ],
    "gifts": [
        {
            "id": "spring-299",
            "when": {"paid": {"gte": 299}, "sku": {"any": ["山茶花润肤霜"]}},
            "add": ["G2026-01"],
            "limit": {"total": 3},
        },
    ],
    "allocation": [
        {
            "id": "east",
            "when": {"region": {"province": ["江浙沪"]}},
            "warehouses": ["HZ", "GZ"],
            "split": "never",
            "thresholds": [{"sku": "山茶花润肤霜", "warehouse": "HZ", "min_stock": 5}],
        },
    ],
    "courier": [
        {"id": "bulky", "when": {"bulky": True}, "courier": "deppon", "priority": 1},
        {"id": "remote", "when": {"region": {"remote_area": True}}, "courier": "yto"},
        {"id": "jzh", "when": {"region": {"province": ["江浙沪"]}}, "courier": "zto"},
    ],
}


def config(db_url: str, prefix: str) -> dict[str, Any]:
    return kit_config(
        db_url,
        prefix,
        warehouses=[
            {"code": "HZ", "name": "杭州仓", "regions": ["浙江", "江苏", "上海"]},
            {"code": "GZ", "name": "广州仓", "regions": ["广东"]},
        ],
        skus={
            "山茶花润肤霜": {"weight_g": 120},
            "G2026-01": {"weight_g": 30},
            "收纳柜": {"weight_g": 18000, "bulky": True},
        },
        couriers=[{"code": "zto"}, {"code": "yto"}, {"code": "deppon"}],
        buyers={"blacklist": ["bad-buyer"]},
        rules=RULES,
    )


def courier(code: str) -> tuple[str, object]:
    class Courier:
        @hookimpl
        def register_couriers(self, register: Any) -> None:
            register(CourierSpec(code=code, display_name=code))

        @hookimpl
        def book_pickup(self, request: PickupRequest) -> WaybillBooking:
            return WaybillBooking(courier=code, waybill=f"{code.upper()}{request.idempotency_key}")

    return (code, Courier())


COURIERS = [courier("zto"), courier("yto"), courier("deppon")]


@pytest.fixture()
def pkit(db_url: str, table_prefix: str) -> Any:
    clock = FakeClock()
    kit = OrderKit.from_config(
        config(db_url, table_prefix),
        entrypoints=False,
        clock=clock,
        sleeper=RecordingSleeper(clock),
        plugins=COURIERS,
    )
    kit.upgrade_database()
    kit.store.stock.refresh(
        [
            StockLevel("山茶花润肤霜", "HZ", 100),
            StockLevel("G2026-01", "HZ", 100),
            StockLevel("山茶花润肤霜", "GZ", 100),
            StockLevel("G2026-01", "GZ", 100),
            StockLevel("收纳柜", "GZ", 10),
        ]
    )
    yield kit
    kit.engine.dispose()


def order(
    ext: str,
    *,
    paid: int = 32900,
    sku: str = "山茶花润肤霜",
    qty: int = 1,
    address: str = "浙江省杭州市西湖区文三路478号",
    **extra: Any,
) -> dict[str, Any]:
    return make_order_payload(
        external_id=ext,
        amounts={"goods_total": paid, "paid": paid},
        lines=[{"line_id": "1", "sku": sku, "quantity": qty, "unit_price": paid // qty}],
        receiver={"raw": address},
        **extra,
    )


def test_field_gift_example_allocation_and_courier(pkit: OrderKit) -> None:
    pkit.ingest([order("P1")])
    outcome = pkit.process("own-mini/P1")
    assert outcome.status == "allocated", outcome
    assert outcome.gifts == {"gift:spring-299:G2026-01": "spring-299"}
    stored = pkit.get("own-mini/P1")
    gift = next(line for line in stored.order.lines if line.is_gift)
    assert (gift.sku, gift.parent_line_id, gift.unit_price) == ("G2026-01", "1", 0)
    [shipment] = stored.order.shipments
    assert (shipment.warehouse, shipment.courier) == ("HZ", "zto")
    assert stored.order.receiver.province == "浙江省" and stored.order.receiver.confidence
    words = " ".join(e.reason or "" for e in pkit.timeline("own-mini/P1"))
    assert "G2026-01" in words and "spring-299" in words
    # idempotent: a second run adds no gift and reserves nothing more
    again = pkit.process("own-mini/P1")
    assert again.status == "skipped"
    balances = pkit.store.stock.balances()
    assert (
        balances[("山茶花润肤霜", "HZ")].reserved == 1
        and balances[("G2026-01", "HZ")].reserved == 1
    )


def test_no_gift_below_the_threshold_and_why(pkit: OrderKit) -> None:
    pkit.ingest([order("P2", paid=19900)])
    assert pkit.process("own-mini/P2").gifts == {}
    reasons = " ".join(e.reason or "" for e in pkit.timeline("own-mini/P2"))
    assert "199.00" in reasons


def test_gift_quota_is_never_over_issued_and_refund_releases_it(pkit: OrderKit) -> None:
    pkit.ingest([order(f"Q{i}") for i in range(5)])
    gifted = [pkit.process(f"own-mini/Q{i}").gifts for i in range(5)]
    assert sum(1 for g in gifted if g) == 3  # limit total 3
    # a refund gives the quota back: the next order gets the gift again
    pkit.ingest(
        [
            order(
                "Q0",
                modified_at="2026-11-11T12:00:00+08:00",
                platform_status={"status": "PAID", "refund_status": "REFUNDED"},
            )
        ]
    )
    pkit.ingest([order("Q9")])
    assert pkit.process("own-mini/Q9").gifts


def test_block_hold_and_release_by_hand(pkit: OrderKit) -> None:
    pkit.ingest([order("H1", buyer={"buyer_id": "bad-buyer"})])
    held = pkit.process("own-mini/H1")
    assert held.status == "held" and held.holds == ["blacklisted"]
    assert pkit.process("own-mini/H1").status == "skipped"  # waits for a person
    pkit.release("own-mini/H1", reason="checked with the buyer", actor="user:alice")
    done = pkit.process("own-mini/H1")
    assert done.status == "allocated"
    stored = pkit.get("own-mini/H1")
    assert [h.released_by for h in stored.order.hold_reasons] == ["user:alice"]


def test_timed_hold_releases_itself(pkit: OrderKit) -> None:
    pkit.ingest([order("T1", paid=600000)])
    assert pkit.process("own-mini/T1").status == "held"
    pkit.clock.advance(3600)  # type: ignore[attr-defined]
    assert pkit.process("own-mini/T1").status == "skipped"
    pkit.clock.advance(3601)  # type: ignore[attr-defined]
    assert pkit.process("own-mini/T1").status in {"allocated", "approved"}


def test_warn_hold_does_not_stop_the_order(pkit: OrderKit) -> None:
    pkit.ingest([order("W1", buyer={"message": "请尽快发货"})])
    outcome = pkit.process("own-mini/W1")
    assert outcome.status == "allocated"
    assert [h.code for h in pkit.get("own-mini/W1").order.hold_reasons] == ["buyer_message"]


def test_threshold_moves_the_order_to_the_next_warehouse(pkit: OrderKit) -> None:
    pkit.store.stock.refresh([StockLevel("山茶花润肤霜", "HZ", 4)])  # below min_stock 5
    pkit.ingest([order("S1")])
    assert pkit.process("own-mini/S1").shipments[0]["warehouse"] == "GZ"


def test_bulky_goods_go_with_deppon(pkit: OrderKit) -> None:
    pkit.ingest([order("B1", sku="收纳柜", paid=59900, address="广东省广州市天河区体育西路1号")])
    [shipment] = pkit.process("own-mini/B1").shipments
    assert shipment["courier"] == "deppon"


def test_simulate_reports_an_exact_diff_without_writing(pkit: OrderKit, tmp_path: Any) -> None:
    import json as _json

    from orderkit.process.simulate import load_rules, simulate, stored_orders, write_diff

    pkit.ingest([order("D1"), order("D2", paid=19900), order("D3", buyer={"buyer_id": "vip"})])
    for ext in ("D1", "D2", "D3"):
        pkit.process(f"own-mini/{ext}")
    before = {ext: pkit.get(f"own-mini/{ext}").version for ext in ("D1", "D2", "D3")}
    new_rules = dict(RULES)
    new_rules["gifts"] = [{"id": "any-199", "when": {"paid": {"gte": 199}}, "add": ["G2026-01"]}]
    new_rules["holds"] = [
        *RULES["holds"],
        {"id": "vip", "check": "condition", "when": {"shop": ["own-mini"], "paid": {"gte": 300}}},
    ]
    path = tmp_path / "new.yaml"
    path.write_text(yaml.safe_dump({"rules": new_rules}, allow_unicode=True), encoding="utf-8")
    report = simulate(pkit, load_rules(pkit, path), stored_orders(pkit, timedelta(days=30)))
    by_id = {d.order_id: d for d in report.diffs}
    d1, d2 = pkit.get("own-mini/D1").order.id, pkit.get("own-mini/D2").order.id
    # D1: the spring gift goes, the new rule's gift comes; and the new hold holds it
    assert by_id[d1].gifts_removed == ["gift:spring-299:G2026-01"]
    assert by_id[d1].gifts_added == ["gift:any-199:G2026-01"]
    assert by_id[d1].hold == "newly held"
    # D2 (199.00): no gift before, a gift now; not held (below 300)
    assert by_id[d2].gifts_added == ["gift:any-199:G2026-01"] and by_id[d2].hold is None
    assert report.summary["newly held"] == 2 and report.summary["gifts added"] == 3
    csv_path, json_path = write_diff(report, tmp_path / "out")
    assert _json.loads(json_path.read_text(encoding="utf-8"))["changed"] == 3
    assert csv_path.read_text(encoding="utf-8").count("\n") == 4
    # nothing was written: same versions, same gifts
    assert {ext: pkit.get(f"own-mini/{ext}").version for ext in ("D1", "D2", "D3")} == before


def test_simulate_keeps_the_rule_families_a_file_leaves_out(pkit: OrderKit, tmp_path: Any) -> None:
    from orderkit.process.simulate import load_rules, replaced_sections

    current = pkit.processor.rules
    path = tmp_path / "gifts-only.yaml"
    path.write_text(
        "gifts:\n  - {id: any-199, when: {paid: {gte: 199}}, add: [G2026-01]}\n",
        encoding="utf-8",
    )
    new = load_rules(pkit, path)
    assert replaced_sections(path) == ["gifts"]
    assert [r.head.id for r in new.gift_rules.index.rules] == ["any-199"]

    # holds, allocation and courier are the current ones, rule for rule
    def ids(rules: Any) -> list[str]:
        return [r.head.id for r in rules.index.rules]

    assert ids(current.gift_rules) != ["any-199"]
    for family in ("hold_rules", "allocation_rules", "courier_rules"):
        assert ids(getattr(current, family))
        assert ids(getattr(new, family)) == ids(getattr(current, family))
    # an empty family is "none of these", not "keep"
    path.write_text("rules:\n  holds: []\n", encoding="utf-8")
    assert ids(load_rules(pkit, path).hold_rules) == []


def test_process_many_decides_like_one_at_a_time(pkit: OrderKit) -> None:
    pkit.ingest([order(f"B{i}") for i in range(5)])
    pkit.ingest([order("BX", buyer={"buyer_id": "bad-buyer"})])
    ids = [
        pkit.get(f"own-mini/{ext}").order.id or "" for ext in ("B0", "B1", "B2", "B3", "B4", "BX")
    ]
    batch = pkit.processor.process_many(ids)
    assert not batch.failed
    outcomes = {o.order_id: o for o in batch.outcomes}
    assert [outcomes[i].status for i in ids] == ["allocated"] * 5 + ["held"]
    # the gift quota (total 3) holds across the batch, as it does one by one
    assert sum(1 for i in ids if outcomes[i].gifts) == 3
    # stock read once for the batch still counts the batch's own reservations
    balance = pkit.store.stock.balances(["山茶花润肤霜"])
    assert sum(b.reserved for b in balance.values()) == 5
    versions = [pkit.get(i).version for i in ids]
    pkit.processor.process_many(ids)
    assert [pkit.get(i).version for i in ids] == versions  # nothing decided twice


@pytest.fixture()
def bkit(db_url: str, table_prefix: str) -> Any:
    """``pkit`` whose gift has no quota, so ``process_many`` writes in batches."""
    settings = config(db_url, table_prefix)
    settings["rules"] = {
        **RULES,
        "gifts": [{k: v for k, v in RULES["gifts"][0].items() if k != "limit"}],
        "allocation": [{"id": "hz", "warehouses": ["HZ"], "split": "never"}],
    }
    clock = FakeClock()
    kit = OrderKit.from_config(
        settings, entrypoints=False, clock=clock, sleeper=RecordingSleeper(clock), plugins=COURIERS
    )
    kit.upgrade_database()
    kit.store.stock.refresh([StockLevel(s, "HZ", 100) for s in ("山茶花润肤霜", "G2026-01")])
    yield kit
    kit.engine.dispose()


def test_process_many_redoes_what_changed_under_its_batch(
    bkit: OrderKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Orders are decided first and written together; one edited by a person
    meanwhile, and ones whose stock the ERP took meanwhile, are processed
    again alone: nothing is overwritten and no stock is reserved twice."""
    bkit.ingest([order(f"Q{i}", qty=2) for i in range(6)])
    ids = [bkit.get(f"own-mini/Q{i}").order.id or "" for i in range(6)]
    processor = bkit.processor
    decide = processor._decided
    calls = []

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 6:  # every order is decided, nothing written yet
            first = bkit.get(ids[0])
            bkit.update(
                ids[0],
                lambda o: o.model_copy(update={"seller_memo": "check the colour"}),
                actor="user:cs",
                reason="memo",
                expected_version=first.version,
            )
            # the ERP's count: room for two more orders of 2 units
            bkit.store.stock.refresh([StockLevel("山茶花润肤霜", "HZ", 4)])
        return decide(*args, **kwargs)

    monkeypatch.setattr(processor, "_decided", meanwhile)
    batch = processor.process_many(ids)
    assert not batch.failed
    assert [o.order_id for o in batch.outcomes] == ids
    statuses = [o.status for o in batch.outcomes]
    assert statuses.count("allocated") == 2, statuses
    edited = bkit.get(ids[0])
    assert edited.order.seller_memo == "check the colour"  # the person's edit survived
    balance = bkit.store.stock.balances(["山茶花润肤霜"])[("山茶花润肤霜", "HZ")]
    assert (balance.available, balance.reserved) == (4, 4)
    for oid in ids:  # decided once each: one processed event per order
        kinds = [e.kind for e in bkit.timeline(oid) if e.kind.startswith("processed:")]
        assert len(kinds) == 1, (oid, kinds)
