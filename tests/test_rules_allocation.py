"""分仓: preference lists, thresholds, each split policy, transfer alerts."""

from __future__ import annotations

from orderkit.decisions import Allocation, DecisionContext
from orderkit.models import Order
from orderkit.rules import explain_text
from tests.test_rules_support import line, order, rule_set, stocked


def placed(allocation: Allocation) -> dict[str, dict[str, int]]:
    return {
        s.warehouse or "": {sl.line_id: sl.quantity for sl in s.lines} for s in allocation.shipments
    }


def allocate(rules_yaml: str, o: Order, context: DecisionContext) -> Allocation:
    return rule_set(rules_yaml).allocate(o, context)


THRESHOLD = """
allocation:
  - id: camellia
    warehouses: [HZ, GZ]
    thresholds: [{sku: 山茶花润肤霜, warehouse: HZ, min_stock: 500}]
"""


def test_below_the_threshold_in_hz_ships_from_gz() -> None:
    low = stocked(HZ={"山茶花润肤霜": 499}, GZ={"山茶花润肤霜": 900})
    allocation = allocate(THRESHOLD, order(), low)
    assert placed(allocation) == {"GZ": {"1": 1}}
    assert allocation.shipments[0].shipment_id == "ship:GZ"
    text = explain_text(allocation.trace)
    assert "HZ not used for 山茶花润肤霜: 499 in stock, below threshold 500" in text
    assert text[-1] == "ship from GZ: 1 ×1"
    enough = stocked(HZ={"山茶花润肤霜": 500}, GZ={"山茶花润肤霜": 900})
    assert placed(allocate(THRESHOLD, order(), enough)) == {"HZ": {"1": 1}}


SPLIT = """
allocation:
  - id: east
    when: {{region: {{province: [华东]}}}}
    warehouses: [YW, HZ, GZ]
    split: {split}
"""
TWO_LINES = order(line("1", "面膜", 2), line("2", "山茶花润肤霜", 1))
YW_HAS_MASKS = stocked(
    YW={"面膜": 5}, HZ={"面膜": 1, "山茶花润肤霜": 1}, GZ={"面膜": 2, "山茶花润肤霜": 1}
)


def test_never_ships_from_the_first_warehouse_with_everything() -> None:
    allocation = allocate(SPLIT.format(split="never"), TWO_LINES, YW_HAS_MASKS)
    assert placed(allocation) == {"GZ": {"1": 2, "2": 1}}
    assert allocation.transfer_alert is None


def test_never_raises_a_transfer_alert_when_no_single_warehouse_can() -> None:
    context = stocked(YW={"面膜": 5}, HZ={"山茶花润肤霜": 1})
    allocation = allocate(SPLIT.format(split="never"), TWO_LINES, context)
    assert allocation.shipments == []
    assert allocation.transfer_alert == (
        "order T1: no single warehouse has everything and rule east does not split it; "
        "transfer stock to YW (YW lacks 山茶花润肤霜 (0 of 1); HZ lacks 面膜 (0 of 2); "
        "GZ lacks 面膜 (0 of 2), 山茶花润肤霜 (0 of 1))"
    )
    assert explain_text(allocation.trace)[-1].startswith("transfer alert: order T1")


def test_by_warehouse_sends_each_line_from_its_first_warehouse() -> None:
    allocation = allocate(SPLIT.format(split="by_warehouse"), TWO_LINES, YW_HAS_MASKS)
    assert placed(allocation) == {"YW": {"1": 2}, "HZ": {"2": 1}}


def test_fewest_packages_prefers_one_warehouse_further_down_the_list() -> None:
    allocation = allocate(SPLIT.format(split="fewest_packages"), TWO_LINES, YW_HAS_MASKS)
    assert placed(allocation) == {"GZ": {"1": 2, "2": 1}}


def test_fewest_packages_splits_a_line_when_it_must() -> None:
    context = stocked(YW={"面膜": 1}, HZ={"面膜": 1, "山茶花润肤霜": 1})
    allocation = allocate(SPLIT.format(split="fewest_packages"), TWO_LINES, context)
    assert placed(allocation) == {"YW": {"1": 1}, "HZ": {"1": 1, "2": 1}}
    assert allocation.transfer_alert is None


def test_a_split_policy_names_what_no_warehouse_has() -> None:
    context = stocked(YW={"面膜": 1})
    allocation = allocate(SPLIT.format(split="by_warehouse"), TWO_LINES, context)
    assert placed(allocation) == {"YW": {"1": 1}}
    assert allocation.transfer_alert == (
        "order T1: not enough stock in YW, HZ, GZ: line 1 short by 1, line 2 short by 1"
    )


def test_gifts_travel_with_their_main_line() -> None:
    o = order(line("1", "面膜", 1), line("g", "G-A", is_gift=True, parent_line_id="1", price=0))
    context = stocked(YW={"G-A": 5}, HZ={"面膜": 1, "G-A": 5})
    allocation = allocate(SPLIT.format(split="by_warehouse"), o, context)
    assert placed(allocation) == {"HZ": {"1": 1, "g": 1}}


def test_without_a_rule_the_warehouses_serving_the_province_come_first() -> None:
    context = stocked(HZ={"面膜": 9}, GZ={"面膜": 9})
    guangdong = order(line("1", "面膜"), province="广东省")
    allocation = rule_set("allocation: []").allocate(guangdong, context)
    assert placed(allocation) == {"GZ": {"1": 1}}
    assert explain_text(allocation.trace)[0] == (
        "warehouses tried in order GZ, HZ, YW (default order of warehouses, split never)"
    )


def test_the_first_matching_rule_decides() -> None:
    rules = """
    allocation:
      - {id: south, when: {region: {province: [华南]}}, warehouses: [GZ]}
      - {id: rest, warehouses: [YW]}
    """
    context = stocked(GZ={"面膜": 9}, YW={"面膜": 9})
    allocation = allocate(rules, order(line("1", "面膜")), context)
    assert placed(allocation) == {"YW": {"1": 1}}
    assert allocation.trace.not_triggered == 1  # south is filed under 华南 provinces
    assert explain_text(allocation.trace)[0] == "allocation rule rest applies: every order"
