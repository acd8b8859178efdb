"""``RuleSet``: the four rule families of a validated config, compiled once.

::

    rules = RuleSet.from_config(config)
    decisions = rules.decide(order, context)      # holds -> gifts -> allocation -> courier
    decisions.order                               # gift lines and shipments merged in
    explain_text(decisions.gifts.trace)           # in words

Everything is pure: the context carries stock, buyer facts and quotas read
beforehand, and nothing is stored or reserved here. Each family can also be
called alone (``review``, ``gifts``, ``allocate``, ``choose_couriers``), which
is what the plugin hooks and ``kit.process`` do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from orderkit.decisions import Allocation, DecisionContext, GiftDecision
from orderkit.models.order import Order
from orderkit.rules import build
from orderkit.rules.allocation import AllocationRules, shipment_id
from orderkit.rules.courier import CourierRules, Parcel
from orderkit.rules.facts import Catalog, OrderFacts, order_facts
from orderkit.rules.gifts import GiftQuota, GiftRules
from orderkit.rules.holds import HoldRules
from orderkit.rules.outcome import (
    CourierDecision,
    Decisions,
    HoldDecision,
    merged_lines,
)
from orderkit.rules.trace import rule_set_version, version_of

if TYPE_CHECKING:
    from orderkit.config.model import Config

#: The rule families, in pipeline order; also the keys of the config's ``rules``.
SECTIONS = ("holds", "gifts", "allocation", "courier")


class RuleSet:
    """Compiled rules plus the config facts they read; immutable once built.

    :raises ConfigError: from the constructors, for what the schema cannot
        check (e.g. a date that does not exist).
    """

    def __init__(
        self,
        rules: Mapping[str, Sequence[Mapping[str, Any]]],
        catalog: Catalog | None = None,
        *,
        version: str | None = None,
    ) -> None:
        self.catalog = catalog or Catalog()
        self.version = version or version_of({"rules": rules})
        self.hold_rules = HoldRules(rules.get("holds", ()), self.catalog, self.version)
        self.gift_rules = GiftRules(rules.get("gifts", ()), self.catalog, self.version)
        self.allocation_rules = AllocationRules(
            rules.get("allocation", ()), self.catalog, self.version
        )
        self.courier_rules = CourierRules(rules.get("courier", ()), self.catalog, self.version)

    @classmethod
    def from_config(cls, config: Config) -> RuleSet:
        """The rule set of a config loaded by ``orderkit.config.load_config``."""
        return cls(config.rules, Catalog.from_config(config), version=rule_set_version(config))

    # -- what the context must hold --------------------------------------------------

    def stock_skus(self, order: Order) -> set[str]:
        """SKUs whose stock ``DecisionContext.stock`` should carry for ``order``."""
        return {line.sku for line in order.lines if line.sku} | self.gift_rules.skus()

    def gift_quotas(self) -> dict[str, GiftQuota]:
        """Rule id -> limits of every limited-quantity gift rule."""
        return self.gift_rules.quotas()

    # -- each family alone -----------------------------------------------------------

    def facts(self, order: Order, context: DecisionContext) -> OrderFacts:
        """The facts conditions read; pass them on to save recomputing."""
        return order_facts(order, context, self.catalog)

    def review(
        self, order: Order, context: DecisionContext, facts: OrderFacts | None = None
    ) -> HoldDecision:
        """自动审单: every hold reason for ``order``."""
        return self.hold_rules.decide(order, context, facts or self.facts(order, context))

    def gifts(
        self, order: Order, context: DecisionContext, facts: OrderFacts | None = None
    ) -> GiftDecision:
        """The gift lines the rules want on ``order`` (merge with ``with_gifts``)."""
        return self.gift_rules.decide(order, context, facts or self.facts(order, context))

    def allocate(
        self, order: Order, context: DecisionContext, facts: OrderFacts | None = None
    ) -> Allocation:
        """Shipments by warehouse for ``order`` (gift lines already merged)."""
        return self.allocation_rules.decide(order, context, facts or self.facts(order, context))

    def choose_couriers(
        self,
        order: Order,
        allocation: Allocation,
        context: DecisionContext,
        facts: OrderFacts | None = None,
    ) -> CourierDecision:
        """A courier for each shipment of ``allocation``."""
        return self.courier_rules.decide(
            order, allocation, context, facts or self.facts(order, context)
        )

    # -- the pipeline ----------------------------------------------------------------

    def decide(
        self, order: Order, context: DecisionContext, *, stop_on_block: bool = False
    ) -> Decisions:
        """holds -> gifts -> allocation -> courier; pure.

        :param stop_on_block: skip the later stages when a hold blocks (what
            ``kit.process`` wants); by default every stage runs, so simulate
            can show what a released order would get.
        """
        facts = self.facts(order, context)
        holds = self.hold_rules.decide(order, context, facts)
        if stop_on_block and holds.blocked:
            return Decisions(order, holds, None, None, None)
        gifts = self.gift_rules.decide(order, context, facts)
        lines = merged_lines(order, gifts)
        if lines is not order.lines:  # gift lines weigh and travel: re-weigh
            facts = facts.with_lines(lines, self.catalog)
        plan = self.allocation_rules.plan(order.external_id, lines, context, facts)
        parcels = [Parcel(shipment_id(w), w, placed) for w, placed in plan.placed.items()]
        picks, courier_trace = self.courier_rules.choose(parcels, lines, facts)
        # Each shipment is built once, with its warehouse and its courier.
        shipments = [
            build.shipment(
                p.shipment_id, p.warehouse, p.lines, f"{plan.reasons[p.warehouse]}; {why}", c
            )
            for p, (c, why) in zip(parcels, picks, strict=True)
        ]
        allocation = Allocation(shipments=shipments, trace=plan.trace, transfer_alert=plan.alert)
        courier = CourierDecision(shipments=shipments, trace=courier_trace)
        return Decisions(order, holds, gifts, allocation, courier)
