"""Rules ops write in the config: holds, gifts, warehouse allocation, courier.

Decisions are pure functions of (order, context, rule set) -> outcome + trace::

    from orderkit.rules import RuleSet, explain_text

    rules = RuleSet.from_config(config)
    decisions = rules.decide(order, context)
    for trace in decisions.traces:
        print("\\n".join(explain_text(trace)))

Modules, smallest first: ``regions`` and ``units`` (place names, yuan, kg,
China time), ``facts`` (what rules read about an order), ``conditions`` (the
one condition vocabulary, compiled), ``index`` (rules by trigger), ``common``
and ``trace``; one module per family (``holds``, ``gifts``, ``allocation``,
``courier``); ``ruleset`` (all four), ``explain``, ``lint`` and ``plugin``.
"""

from __future__ import annotations

from orderkit.rules.conditions import CONDITION_KEYS, Condition, compile_condition
from orderkit.rules.explain import describe, explain_text
from orderkit.rules.facts import Catalog, OrderFacts, order_facts
from orderkit.rules.gifts import GiftQuota, gift_line_id
from orderkit.rules.holds import CHECKS as HOLD_CHECKS
from orderkit.rules.lint import lint_rules
from orderkit.rules.outcome import (
    CourierDecision,
    Decisions,
    HoldDecision,
    merged_lines,
    with_gifts,
    with_shipments,
)
from orderkit.rules.plugin import RULES_PLUGIN, CoreRulesPlugin
from orderkit.rules.ruleset import SECTIONS, RuleSet
from orderkit.rules.trace import rule_set_version

__all__ = [
    "CONDITION_KEYS",
    "HOLD_CHECKS",
    "RULES_PLUGIN",
    "SECTIONS",
    "Catalog",
    "Condition",
    "CoreRulesPlugin",
    "CourierDecision",
    "Decisions",
    "GiftQuota",
    "HoldDecision",
    "OrderFacts",
    "RuleSet",
    "compile_condition",
    "describe",
    "explain_text",
    "gift_line_id",
    "lint_rules",
    "merged_lines",
    "order_facts",
    "rule_set_version",
    "with_gifts",
    "with_shipments",
]
