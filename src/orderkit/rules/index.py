"""Put in front of an order only the rules it could trigger.

Each rule is filed under its condition's ``Trigger`` (one of these SKUs, this
shop, this province...); rules without one are always candidates. Looking an
order up costs one dict probe per SKU and one per other dimension, so 1,000
gift rules keyed on SKUs cost about what 10 do. The rules skipped this way
are counted (``DecisionTrace.not_triggered``), never silently ignored: their
condition needs a fact the order does not have.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from orderkit.rules.common import Ruled
from orderkit.rules.conditions import Trigger
from orderkit.rules.facts import OrderFacts

R = TypeVar("R", bound=Ruled)


class RuleIndex(Generic[R]):
    """Rules of one family, in evaluation order, filed by trigger.

    :param rules: already in evaluation order (priority, then file order).
    """

    def __init__(self, rules: Sequence[R]) -> None:
        self.rules: tuple[R, ...] = tuple(rules)
        self._always: list[int] = []
        self._by: dict[str, dict[str, list[int]]] = {}
        for position, rule in enumerate(self.rules):
            trigger: Trigger | None = rule.head.condition.trigger
            if trigger is None:
                self._always.append(position)
                continue
            table = self._by.setdefault(trigger.dimension, {})
            for value in trigger.values:
                table.setdefault(value, []).append(position)
        self._sku = self._by.get("sku")
        self._single = [
            (dimension, table) for dimension, table in self._by.items() if dimension != "sku"
        ]
        # Most orders trigger no keyed rule at all: they get this tuple as it is.
        self._always_rules: tuple[R, ...] = tuple(self.rules[p] for p in self._always)

    def __len__(self) -> int:
        return len(self.rules)

    def candidates(self, facts: OrderFacts) -> Sequence[R]:
        """The rules ``facts`` could trigger, in evaluation order (do not mutate)."""
        if not self._by:
            return self.rules
        found: list[int] = []
        table = self._sku
        if table is not None:
            for sku in facts.skus:
                hits = table.get(sku)
                if hits is not None:
                    found += hits
        for dimension, table in self._single:
            hits = table.get(getattr(facts, dimension))
            if hits is not None:
                found += hits
        if not found:
            return self._always_rules
        rules = self.rules
        return [rules[position] for position in sorted({*self._always, *found})]

    @staticmethod
    def keys(facts: OrderFacts) -> dict[str, Any]:
        """What the order offered the index, for the trace ("why not triggered")."""
        return {
            "sku": list(facts.skus),
            "shop": facts.shop,
            "channel": facts.channel,
            "province": facts.province,
        }
