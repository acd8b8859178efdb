"""快递策略: weight bands, remote areas, bulky goods, allow and deny lists."""

from __future__ import annotations

from orderkit.models import Order
from orderkit.rules import RuleSet, explain_text
from orderkit.rules.outcome import CourierDecision
from tests.test_rules_support import BASE_CONFIG, line, order, plenty, rule_set

COURIERS = """
allocation:
  - {id: hz-first, warehouses: [HZ, GZ], split: by_warehouse}
courier:
  - {id: bulky, when: {bulky: true}, courier: deppon, priority: 1}
  - {id: remote, when: {region: {remote_area: true}}, courier: yto, priority: 5}
  - id: jzh-light
    when: {warehouse: [HZ], region: {province: [江浙沪]}, weight_kg: {lte: 3}}
    courier: zto
  - {id: anywhere, courier: sf}
"""


def couriers(rules: RuleSet | str, o: Order) -> CourierDecision:
    rs = rule_set(rules) if isinstance(rules, str) else rules
    context = plenty("山茶花润肤霜", "面膜", "收纳柜-大号")
    return rs.choose_couriers(o, rs.allocate(o, context), context)


def chosen(decision: CourierDecision) -> list[str | None]:
    return [s.courier for s in decision.shipments]


def test_warehouse_region_and_weight_band() -> None:
    decision = couriers(COURIERS, order())
    assert chosen(decision) == ["zto"]
    assert decision.shipments[0].reason == (
        "warehouse HZ: rule hz-first, split by_warehouse; courier zto: rule jzh-light"
    )
    assert explain_text(decision.trace) == [
        "courier zto for ship:HZ by rule jzh-light: warehouse HZ in HZ and province 浙江 in 江浙沪 "
        "and weight 0.12 kg <= 3.00 kg (rules jzh-light and anywhere have the same priority 100; "
        "jzh-light is written first)"
    ]
    heavy = order(line("1", "面膜", 40))  # 3.2 kg: out of the band
    assert chosen(couriers(COURIERS, heavy)) == ["sf"]


def test_remote_area_courier() -> None:
    decision = couriers(COURIERS, order(province="新疆维吾尔自治区"))
    assert chosen(decision) == ["yto"]
    assert explain_text(decision.trace)[0] == "courier yto for ship:HZ by rule remote: remote area"


def test_bulky_goods_go_by_deppon_even_to_remote_areas() -> None:
    decision = couriers(COURIERS, order(line("1", "收纳柜-大号"), province="西藏"))
    assert chosen(decision) == ["deppon"]


def test_conditions_are_read_per_parcel() -> None:
    rules = COURIERS.replace("[HZ, GZ], split: by_warehouse", "[HZ, GZ], split: by_warehouse")
    rs = rule_set(rules)
    o = order(line("1", "收纳柜-大号"), line("2", "面膜"))
    context = plenty("面膜")
    context.stock[("收纳柜-大号", "GZ")] = 1  # the cabinet is only in GZ
    allocation = rs.allocate(o, context)
    decision = rs.choose_couriers(o, allocation, context)
    assert [(s.warehouse, s.courier) for s in decision.shipments] == [
        ("HZ", "zto"),
        ("GZ", "deppon"),
    ]


def test_deny_and_allow_lists_narrow_the_choice() -> None:
    rules = (
        COURIERS
        + """
  - {id: xj-no-yto, when: {region: {province: [新疆]}}, deny: [yto]}
  - {id: hz-contracts, when: {warehouse: [HZ]}, allow: [zto, sf, deppon]}
"""
    )
    decision = couriers(rules, order(province="新疆"))
    assert chosen(decision) == ["sf"]
    assert explain_text(decision.trace) == [
        "yto from rule remote not used for ship:HZ: denied here",
        "courier sf for ship:HZ by rule anywhere: every order",
        "denied for ship:HZ: yto",
    ]
    only_allowed = """
courier:
  - {id: jzh, couriers: [yto, zto]}
  - {id: hz-contracts, when: {warehouse: [HZ]}, allow: [zto]}
"""
    assert chosen(couriers(only_allowed, order())) == ["zto"]


def test_disabled_couriers_are_skipped_and_the_config_order_is_the_fallback() -> None:
    base = BASE_CONFIG.replace("  - {code: zto}", "  - {code: zto, enabled: false}")
    rs = rule_set("courier: [{id: jzh, courier: zto}]", base=base)
    decision = couriers(rs, order())
    assert chosen(decision) == ["yto"]
    assert explain_text(decision.trace) == [
        "zto from rule jzh not used for ship:HZ: disabled in the config",
        "courier yto for ship:HZ: no courier rule chose one; first permitted courier in the config",
    ]


def test_no_permitted_courier_says_book_by_hand() -> None:
    rules = "courier: [{id: none, allow: []}]"
    decision = couriers(rules, order())
    assert chosen(decision) == [None]
    assert explain_text(decision.trace) == [
        "no courier for ship:HZ: no permitted courier; book by hand"
    ]


def test_equal_priority_choosers_record_the_tie_break() -> None:
    rules = "courier: [{id: a, courier: zto}, {id: b, courier: yto}]"
    decision = couriers(rules, order())
    assert chosen(decision) == ["zto"]
    assert explain_text(decision.trace)[0].endswith(
        "(rules a and b have the same priority 100; a is written first)"
    )
