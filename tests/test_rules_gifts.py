"""赠品: the field's example, tiers, stacking and exclusivity, multipliers, pools,
first purchase, windows, quota claims, idempotence and parent binding."""

from __future__ import annotations

from orderkit.decisions import DecisionContext, GiftDecision
from orderkit.models import Order
from orderkit.rules import RuleSet, explain_text, with_gifts
from tests.test_rules_support import line, order, plenty, rule_set

FIELD_EXAMPLE = """
gifts:
  - id: spring-299
    when: {paid: {gte: 299}, sku: {any: [山茶花润肤霜]}}
    add: [G2026-01]
"""


def gifts(rules: RuleSet | str, o: Order, context: DecisionContext | None = None) -> GiftDecision:
    rs = rule_set(rules) if isinstance(rules, str) else rules
    return rs.gifts(o, context or plenty("G2026-01", "G-A", "G-B", "G-C"))


def given(decision: GiftDecision) -> dict[str, int]:
    return {g.sku or "": g.quantity for g in decision.lines}


# -- the field's example -----------------------------------------------------------------


def test_field_example_adds_the_gift_bound_to_its_main_line() -> None:
    o = order(line("1", "面膜", price=2900), line("2", "山茶花润肤霜", price=30000), paid=329)
    decision = gifts(FIELD_EXAMPLE, o)
    [gift] = decision.lines
    assert (gift.line_id, gift.sku, gift.quantity) == ("gift:spring-299:G2026-01", "G2026-01", 1)
    assert gift.is_gift and gift.unit_price == 0 and gift.parent_line_id == "2"
    assert explain_text(decision.trace) == [
        "gift G2026-01 added by rule spring-299: paid 329.00 >= 299.00 and contains 山茶花润肤霜"
    ]
    # The merged order is still a valid canonical order.
    Order.model_validate(with_gifts(o, decision).model_dump())


def test_field_example_says_why_not() -> None:
    assert explain_text(gifts(FIELD_EXAMPLE, order(paid=199)).trace) == [
        "no gift from rule spring-299: paid 199.00 < 299.00"
    ]
    cheap = gifts(FIELD_EXAMPLE, order(line("1", "面膜", price=40000), paid=400))
    assert cheap.lines == []
    assert cheap.trace.not_triggered == 1  # the index never put the rule in front of it
    assert explain_text(cheap.trace)[-1].startswith("1 other gift rule(s) not triggered")


def test_processing_twice_adds_no_second_gift() -> None:
    rules = rule_set(FIELD_EXAMPLE)
    first = gifts(rules, order())
    again = gifts(rules, with_gifts(order(), first))
    assert [g.line_id for g in again.lines] == ["gift:spring-299:G2026-01"]
    assert again.trace.outcome["added"] == [] and again.removed_line_ids == []
    assert with_gifts(with_gifts(order(), first), again).lines == with_gifts(order(), first).lines


def test_a_gift_no_longer_earned_is_removed() -> None:
    rules = rule_set(FIELD_EXAMPLE)
    with_gift = with_gifts(order(), gifts(rules, order()))
    refunded = with_gift.model_copy(
        update={
            "lines": [
                with_gift.lines[0].model_copy(update={"refund": "refunded"}),
                with_gift.lines[1],
            ]
        }
    )
    decision = gifts(rules, refunded)
    assert decision.lines == [] and decision.removed_line_ids == ["gift:spring-299:G2026-01"]
    assert explain_text(decision.trace)[0] == (
        "gift line gift:spring-299:G2026-01 removed: no rule gives it any more"
    )


# -- tiers ---------------------------------------------------------------------------------

TIERS = """
gifts:
  - id: spend
    tier_mode: {mode}
    tiers:
      - {{when: {{paid: {{gte: 199}}}}, add: [G-A]}}
      - {{when: {{paid: {{gte: 299}}}}, add: [G-B]}}
      - {{when: {{paid: {{gte: 499}}}}, add: [G-C]}}
"""


def test_highest_tier_only() -> None:
    rules = TIERS.format(mode="highest")
    assert given(gifts(rules, order(paid=350))) == {"G-B": 1}
    assert given(gifts(rules, order(paid=100))) == {}
    text = explain_text(gifts(rules, order(paid=350)).trace)
    assert text == ["gift G-B added by rule spend (tier 2): paid 350.00 >= 299.00"]
    assert explain_text(gifts(rules, order(paid=100)).trace) == [
        "no gift from rule spend: no tier reached: paid 100.00 < 199.00"
    ]


def test_cumulative_tiers() -> None:
    assert given(gifts(TIERS.format(mode="cumulative"), order(paid=350))) == {"G-A": 1, "G-B": 1}


# -- stacking, exclusivity, priority ---------------------------------------------------------


def test_stackable_rules_all_give() -> None:
    rules = """
    gifts:
      - {id: a, add: [G-A]}
      - {id: b, when: {paid: {gte: 300}}, add: [G-B]}
    """
    assert given(gifts(rules, order())) == {"G-A": 1, "G-B": 1}


def test_an_exclusive_rule_ends_the_walk() -> None:
    rules = """
    gifts:
      - {id: stack, add: [G-A], priority: 20}
      - {id: vip, add: [G-B], exclusive: true, priority: 10}
    """
    decision = gifts(rules, order())
    assert given(decision) == {"G-B": 1}
    assert (
        explain_text(decision.trace)[1]
        == "no gift from rule stack: exclusive rule vip already applied"
    )


def test_an_exclusive_rule_is_not_combined_with_earlier_gifts() -> None:
    rules = """
    gifts:
      - {id: stack, add: [G-A], priority: 10}
      - {id: vip, add: [G-B], exclusive: true, priority: 20}
    """
    decision = gifts(rules, order())
    assert given(decision) == {"G-A": 1}
    assert decision.trace.steps[1]["result"] == "not_combined"


def test_equal_priority_exclusives_tie_break_on_file_order_and_say_so() -> None:
    rules = """
    gifts:
      - {id: first, add: [G-A], exclusive: true}
      - {id: second, add: [G-B], exclusive: true}
    """
    decision = gifts(rules, order())
    assert given(decision) == {"G-A": 1}
    assert explain_text(decision.trace)[1] == (
        "no gift from rule second: exclusive rule first already applied (rules first and second "
        "have the same priority 100; first is written first)"
    )


# -- multipliers ---------------------------------------------------------------------------


def test_every_two_units_give_one_set_capped() -> None:
    rules = """
    gifts:
      - id: masks
        when: {sku: {any: [面膜]}}
        multiply: {every: 2, of: [面膜], max: 3}
        add: [{sku: G-A, qty: 2}]
    """
    assert given(gifts(rules, order(line("1", "面膜", 5)))) == {"G-A": 4}  # 2 sets x 2
    assert given(gifts(rules, order(line("1", "面膜", 20)))) == {"G-A": 6}  # capped at 3 sets
    one = gifts(rules, order(line("1", "面膜", 1)))
    assert one.lines == []
    assert explain_text(one.trace) == [
        "no gift from rule masks: bought 1 of 面膜, needs 2 for a gift"
    ]


# -- pools, first purchase, windows -----------------------------------------------------------

POOL = """
gifts:
  - id: pool
    add: [{pool: [G-A, G-B, G-C]}]
"""


def test_pool_falls_back_to_the_next_gift_in_stock() -> None:
    context = DecisionContext(stock={("G-A", "HZ"): 0, ("G-B", "GZ"): 5, ("G-C", "HZ"): 9})
    decision = gifts(POOL, order(), context)
    assert given(decision) == {"G-B": 1}
    assert explain_text(decision.trace) == [
        "gift G-B added by rule pool: every order",
        "gift pool of rule pool: out of stock G-A (0 of 1); gave G-B",
    ]
    empty = gifts(POOL, order(), DecisionContext())
    assert empty.lines == [] and empty.trace.steps[0]["result"] == "out_of_stock"


def test_a_pool_gift_already_given_is_kept_when_stock_changes() -> None:
    rules = rule_set(POOL)
    first = gifts(rules, order(), DecisionContext(stock={("G-B", "HZ"): 5}))
    later = gifts(rules, with_gifts(order(), first), DecisionContext(stock={("G-A", "HZ"): 5}))
    assert given(later) == {"G-B": 1}


def test_first_purchase_gift() -> None:
    rules = "gifts: [{id: welcome, when: {buyer: {first_purchase: true}}, add: [G-A]}]"
    assert given(gifts(rules, order(), DecisionContext(first_purchase_in_shop=True))) == {"G-A": 1}
    assert given(gifts(rules, order(), DecisionContext(first_purchase_in_shop=False))) == {}


def test_time_window() -> None:
    rules = """
    gifts:
      - id: march
        when: {window: {clock: paid, from: 2026-03-01, until: "2026-03-04 23:59"}}
        add: [G-A]
    """
    decision = gifts(rules, order())  # paid 2026-03-05 10:00
    assert decision.lines == []
    assert explain_text(decision.trace) == [
        "no gift from rule march: paid 2026-03-05 10:00 after the window closed "
        "(2026-03-01 00:00 to 2026-03-04 23:59)"
    ]


# -- limited quantity -------------------------------------------------------------------------

LIMITED = """
gifts:
  - id: first-500
    limit: {total: 500, per_day: 100}
    multiply: {every: 1, max: 5}
    add: [G-A]
"""


def test_limited_rules_claim_quota_in_sets() -> None:
    rules = rule_set(LIMITED)
    assert rules.gift_quotas()["first-500"].total == 500
    decision = gifts(rules, order(line("1", "面膜", 3)))
    assert decision.quota_claims == {"first-500": 3}


def test_quota_caps_and_exhausts() -> None:
    rules = rule_set(LIMITED)
    o = order(line("1", "面膜", 3))
    capped = gifts(rules, o, DecisionContext(gift_quota_left={"first-500": 2}))
    assert given(capped) == {"G-A": 2} and capped.quota_claims == {"first-500": 2}
    assert "rule first-500: 3 set(s) earned, only 2 left in its quota" in explain_text(capped.trace)
    gone = gifts(rules, o, DecisionContext(gift_quota_left={"first-500": 0}))
    assert gone.lines == [] and gone.quota_claims == {}
    assert explain_text(gone.trace) == [
        "no gift from rule first-500: its limited quantity is used up"
    ]


def test_a_limited_gift_already_on_the_order_claims_nothing_again() -> None:
    rules = rule_set(LIMITED)
    o = order(line("1", "面膜", 3))
    first = gifts(rules, o)
    # The quota is used up now, partly by this very order: it keeps its gift.
    again = gifts(rules, with_gifts(o, first), DecisionContext(gift_quota_left={"first-500": 0}))
    assert given(again) == {"G-A": 3} and again.quota_claims == {}
    assert again.trace.steps[0]["result"] == "kept"


# -- the index --------------------------------------------------------------------------------


def test_a_thousand_sku_rules_put_only_the_relevant_ones_in_front() -> None:
    many = "\n".join(
        f"  - {{id: r{i}, when: {{sku: {{any: [S{i}]}}}}, add: [G-A]}}" for i in range(1000)
    )
    rules = rule_set("gifts:\n" + many)
    decision = gifts(rules, order(line("1", "S7"), line("2", "S993")))
    assert [s["rule"] for s in decision.trace.steps] == ["r7", "r993"]
    assert decision.trace.not_triggered == 998
    assert decision.trace.outcome["index"]["sku"] == ["S7", "S993"]
