"""The core defaults of ``allocate_warehouse`` and ``apply_gifts``: the rule set.

Registered by the host as a built-in plugin under ``RULES_PLUGIN``. The host
is built before the config is read, so the plugin starts empty and the kit
hands it the rule set with ``use`` once the config is valid; until then both
hooks answer None ("not mine").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orderkit._markers import hookimpl

if TYPE_CHECKING:
    from orderkit.decisions import Allocation, DecisionContext, GiftDecision
    from orderkit.models.order import Order
    from orderkit.rules.ruleset import RuleSet

#: Plugin name of the rules engine's hook implementations.
RULES_PLUGIN = "orderkit.rules"


class CoreRulesPlugin:
    """Hook implementations backed by a ``RuleSet``."""

    def __init__(self, rules: RuleSet | None = None) -> None:
        self.rules = rules

    def use(self, rules: RuleSet) -> None:
        """Decide with ``rules`` from now on (e.g. after the config is reloaded)."""
        self.rules = rules

    @hookimpl(trylast=True)
    def allocate_warehouse(self, order: Order, context: DecisionContext) -> Allocation | None:
        """The allocation rules; a plugin's own ``allocate_warehouse`` runs first."""
        if self.rules is None:
            return None
        return self.rules.allocate(order, context)

    @hookimpl
    def apply_gifts(self, order: Order, context: DecisionContext) -> GiftDecision | None:
        """The gift rules. Returns the decision even when it adds nothing: its
        trace answers "why no gift?"."""
        if self.rules is None:
            return None
        return self.rules.gifts(order, context)
