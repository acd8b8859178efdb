"""自动审单: each check, block vs warn, scoping, timed release, the trace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orderkit.decisions import DecisionContext
from orderkit.models import HoldSeverity, Order
from orderkit.rules import HOLD_CHECKS, explain_text
from tests.test_rules_support import line, order, plenty, rule_set


def codes(rules_yaml: str, o: Order, context: DecisionContext | None = None) -> list[str]:
    decision = rule_set(rules_yaml).review(o, context or plenty("山茶花润肤霜"))
    return [reason.code for reason in decision.reasons]


@pytest.mark.parametrize(
    ("check", "held", "clean", "context"),
    [
        (
            "address_changed",
            order(receiver={"province": "浙江", "flags": ["address_changed"]}),
            order(),
            None,
        ),
        ("refund_in_progress", order(line("1", "山茶花润肤霜", refund="requested")), order(), None),
        ("buyer_message", order(buyer={"message": "周末送"}), order(buyer={"message": "  "}), None),
        ("seller_memo", order(seller_memo="换色"), order(), None),
        ("unknown_sku", order(line("1", "未登记SKU")), order(), None),
        (
            "address_doubtful",
            order(receiver={"province": "浙江", "confidence": 0.5}),
            order(),
            None,
        ),
        (
            "address_doubtful",
            order(receiver={"province": "浙江", "confidence": 0.99, "flags": ["ambiguous"]}),
            order(),
            None,
        ),
        ("remote_area", order(province="西藏自治区"), order(), None),
    ],
)
def test_each_check_holds_what_it_should(
    check: str, held: Order, clean: Order, context: DecisionContext | None
) -> None:
    rules = f"holds: [{{id: r, check: {check}}}]"
    assert codes(rules, held, context) == [check]
    assert codes(rules, clean, context) == []


def test_address_changed_from_the_context() -> None:
    context = DecisionContext(address_changed_after_payment=True)
    assert codes("holds: [{id: r, check: address_changed}]", order(), context) == [
        "address_changed"
    ]


def test_amount_above_a_limit_in_yuan() -> None:
    rules = "holds: [{id: big, check: amount_above, limit: 5000}]"
    assert codes(rules, order(paid=5000.01)) == ["amount_above"]
    assert codes(rules, order(paid=5000)) == []


def test_blacklisted_buyer_and_duplicates_come_from_the_context() -> None:
    rules = "holds: [{id: bl, check: blacklisted}, {id: dup, check: duplicate}]"
    context = DecisionContext(blacklisted=True, recent_order_ids=["T1", "T0"])  # T1 is itself
    decision = rule_set(rules).review(order(), context)
    assert [r.code for r in decision.reasons] == ["blacklisted", "duplicate"]
    assert decision.reasons[1].detail == "possible duplicate of T0"


def test_out_of_stock_sums_every_warehouse() -> None:
    rules = "holds: [{id: oos, check: out_of_stock}]"
    o = order(line("1", "面膜", 3))
    split = DecisionContext(stock={("面膜", "HZ"): 2, ("面膜", "GZ"): 1})
    assert codes(rules, o, split) == []
    short = DecisionContext(stock={("面膜", "HZ"): 2})
    decision = rule_set(rules).review(o, short)
    assert decision.reasons[0].detail == "out of stock: 面膜 needs 3, 2 available"


def test_block_or_warn_and_every_reason_is_kept() -> None:
    rules = """
    holds:
      - {id: msg, check: buyer_message, severity: warn}
      - {id: memo, check: seller_memo}
    """
    decision = rule_set(rules).review(order(buyer={"message": "hi"}, seller_memo="x"), plenty())
    assert [(r.rule_id, r.severity) for r in decision.reasons] == [
        ("msg", HoldSeverity.WARN),
        ("memo", HoldSeverity.BLOCK),
    ]
    assert decision.blocked
    only_warn = rule_set(rules).review(order(buyer={"message": "hi"}), plenty())
    assert only_warn.reasons and not only_warn.blocked


def test_when_narrows_a_check_and_condition_holds_by_itself() -> None:
    rules = """
    holds:
      - id: xj-review
        check: condition
        when: {region: {province: [新疆]}}
        note: 新疆订单人工审核
      - id: vip-memo
        check: seller_memo
        when: {shop: [tmall-1]}
    """
    decision = rule_set(rules).review(order(province="新疆", seller_memo="x"), plenty())
    assert [r.rule_id for r in decision.reasons] == ["xj-review"]
    assert decision.reasons[0].detail == "matched its condition (新疆订单人工审核)"
    assert rule_set(rules).review(order(), plenty()).reasons == []


def test_timed_release_is_data_for_the_run_loop() -> None:
    rules = """
    holds:
      - {id: cool-off, check: condition, release_after: 2h}
      - {id: memo, check: seller_memo, release_after: 30m}
      - {id: msg, check: buyer_message}
    """
    held_at = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    timed = rule_set(rules).review(order(seller_memo="x"), plenty())
    assert timed.release_after == {"cool-off": 7200, "memo": 1800}
    assert timed.release_at(held_at) == held_at + timedelta(hours=2)
    by_hand = rule_set(rules).review(order(seller_memo="x", buyer={"message": "m"}), plenty())
    assert by_hand.release_at(held_at) is None


def test_trace_and_explain() -> None:
    rules = """
    holds:
      - {id: big, check: amount_above, limit: 300}
      - {id: memo, check: seller_memo}
      - {id: huge, check: buyer_message, when: {paid: {gte: 1000}}}
      - {id: xj, check: remote_area, when: {region: {province: [新疆]}}}
    """
    decision = rule_set(rules).review(order(paid=329), plenty())
    trace = decision.trace
    assert trace.stage == "holds" and trace.rule_set_version
    assert [s["result"] for s in trace.steps] == ["hold", "passed", "not_applicable"]
    assert trace.not_triggered == 1  # xj: the index knows 浙江 is not 新疆
    assert trace.steps[0]["facts"] == {"paid": 32900, "limit": 30000}
    assert explain_text(trace) == [
        "order held: 1 reason(s)",
        "held by rule big (amount_above): paid 329.00 above limit 300.00",
        "passed: memo",
        "rule huge does not apply: paid 329.00 < 1,000.00",
        "1 other hold rule(s) not triggered: they need a SKU, shop, channel, province or "
        "warehouse this order does not have",
    ]


def test_every_check_is_offered_by_the_schema() -> None:
    from orderkit._resources import load_schema

    enum = load_schema("config.schema.json")["$defs"]["hold_rule"]["properties"]["check"]["enum"]
    assert set(enum) == set(HOLD_CHECKS)
