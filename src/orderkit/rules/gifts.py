"""赠品: gift rules, from the field's two-liner to tiers, multipliers and pools.

The field's example::

    gifts:
      - id: spring-299
        when: {paid: {gte: 299}, sku: {any: [山茶花润肤霜]}}
        add: [G2026-01]

How rules combine, in the order the trace shows them:

1. Rules are walked by ``priority`` (lower first), then file order.
2. A stackable rule (the default) adds its gifts and the walk goes on.
3. An ``exclusive: true`` rule is never combined with another: it gives only
   when no gift was given yet, and then ends the walk.
4. ``tiers`` give the highest tier reached (``tier_mode: highest``, list tiers
   lowest first) or every tier reached (``cumulative``).
5. ``multiply: {every: 2, of: [SKU], max: 3}`` gives one set per 2 units bought.
6. ``limit`` rules claim quota (``GiftDecision.quota_claims``, in sets); the
   store reserves it atomically afterwards. A rule whose lines are already on
   the order keeps them and claims nothing, so processing twice gives once.
7. ``{pool: [A, B]}`` gives the first SKU in stock (a plain SKU is always given).

Gift line ids are ``gift:<rule id>:<sku>``: deterministic, so a second run
finds the first run's lines instead of adding new ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orderkit.decisions import DecisionContext, GiftDecision
from orderkit.models.order import Line, Order
from orderkit.rules.build import gift_line
from orderkit.rules.common import Head, heads, in_order, tie_break
from orderkit.rules.conditions import Condition, Record, compile_condition
from orderkit.rules.facts import Catalog, OrderFacts, available, bought_lines
from orderkit.rules.index import RuleIndex
from orderkit.rules.trace import make_trace

GIFT_PREFIX = "gift:"


def gift_line_id(rule_id: str, sku: str) -> str:
    """The id of the line a rule adds for ``sku``; the same on every run."""
    return f"{GIFT_PREFIX}{rule_id}:{sku}"


@dataclass(frozen=True, slots=True)
class GiftItem:
    skus: tuple[str, ...]  # one SKU, or a pool in order of preference
    qty: int
    pool: bool
    title: str


@dataclass(frozen=True, slots=True)
class Tier:
    condition: Condition
    items: tuple[GiftItem, ...]


@dataclass(frozen=True, slots=True)
class Multiplier:
    every: int
    of: tuple[str, ...]  # empty: every unit bought counts
    max: int | None


@dataclass(frozen=True, slots=True)
class GiftQuota:
    """A limited-quantity rule's limits, in gift sets; the store enforces them."""

    total: int | None
    per_day: int | None


@dataclass(frozen=True, slots=True)
class GiftRule:
    head: Head
    exclusive: bool
    items: tuple[GiftItem, ...]
    tiers: tuple[Tier, ...]
    cumulative: bool
    multiplier: Multiplier | None
    quota: GiftQuota | None
    #: SKUs that trigger the rule: the gift binds to the first line with one
    parent_skus: tuple[str, ...]
    #: SKU -> id of the line the rule adds for it, for every SKU it may add
    #: (derived from the fields above: left out of ==, and a dict cannot be hashed)
    line_ids: Mapping[str, str] = field(compare=False)


class GiftRules:
    """The compiled ``rules.gifts`` section."""

    def __init__(self, items: Sequence[Mapping[str, Any]], catalog: Catalog, version: str) -> None:
        rules = [_compile(head, raw) for head, raw in heads(items, "gifts")]
        self.index: RuleIndex[GiftRule] = RuleIndex(in_order(rules))
        self.catalog = catalog
        self.version = version

    def quotas(self) -> dict[str, GiftQuota]:
        """Rule id -> limits, for every rule with ``limit`` (what the store must count)."""
        return {r.head.id: r.quota for r in self.index.rules if r.quota is not None}

    def skus(self) -> set[str]:
        """Every SKU a rule may add (stock of these feeds the pool fallback)."""
        found: set[str] = set()
        for rule in self.index.rules:
            for item in (*rule.items, *(i for tier in rule.tiers for i in tier.items)):
                found.update(item.skus)
        return found

    def decide(self, order: Order, context: DecisionContext, facts: OrderFacts) -> GiftDecision:
        """The gift lines the rules want on ``order``; pure."""
        run = _Run(order, context, self.catalog)
        candidates = self.index.candidates(facts)
        apply = run.apply
        steps = [apply(rule, facts) for rule in candidates]
        existing, wanted = run.existing, run.wanted
        if existing:
            removed = [line_id for line_id in existing if line_id not in wanted]
            added = [line_id for line_id in wanted if line_id not in existing]
        else:  # the first run: every wanted line is new, none removed
            removed, added = [], list(wanted)
        lines = list(wanted.values())
        outcome = {
            "lines": {line.line_id: line.quantity for line in lines},
            "added": added,
            "removed": removed,
            "quota_claims": run.claims,
            "index": RuleIndex.keys(facts),
        }
        trace = make_trace("gifts", self.version, outcome, steps, len(self.index) - len(candidates))
        return GiftDecision(
            lines=lines, trace=trace, quota_claims=run.claims, removed_line_ids=removed
        )


class _Run:
    """One order's walk through the gift rules."""

    def __init__(self, order: Order, context: DecisionContext, catalog: Catalog) -> None:
        self.order = order
        self.context = context
        self.catalog = catalog
        self.existing = {
            line.line_id: line
            for line in order.lines
            if line.is_gift and line.line_id.startswith(GIFT_PREFIX)
        }
        self.wanted: dict[str, Line] = {}
        self.claims: dict[str, int] = {}
        self.gave: GiftRule | None = None  # the first rule that gave
        self.closed_by: GiftRule | None = None  # an exclusive rule that gave
        self._bought: list[Line] | None = None
        self._main: str | None = None  # the line that cost the most, once needed

    def apply(self, rule: GiftRule, facts: OrderFacts) -> dict[str, Any]:
        """Walk one rule; returns its trace step."""
        head = rule.head
        step: dict[str, Any] = {"rule": head.id, "priority": head.priority}
        if self.closed_by is not None:
            self._skip(step, rule, self.closed_by, "exclusive_applied")
            return step
        checks: list[Record] = []
        step["checks"] = checks
        if not head.condition.test(facts, checks):
            step["result"] = "no_match"
            return step
        items = self._items(rule, facts, step) if rule.tiers else rule.items
        if not items:
            step["result"] = "no_match"
            return step
        sets = 1 if rule.multiplier is None else self._sets(rule, facts, checks)
        if sets == 0:
            step["result"] = "no_match"
            return step
        if rule.exclusive and self.gave is not None:
            self._skip(step, rule, self.gave, "not_combined")
            return step
        existing = self.existing
        mine: list[str] = []
        if existing:
            prefix = gift_line_id(head.id, "")
            mine = [line_id for line_id in existing if line_id.startswith(prefix)]
        if rule.quota is not None:
            if mine:
                # Already given (and reserved) by an earlier run: keep it as it is.
                for line_id in mine:
                    self.wanted[line_id] = existing[line_id]
                self._gave(rule, step, "kept", [self._shown(existing[i]) for i in mine])
                return step
            left = self.context.gift_quota_left.get(head.id)
            step["quota_left"] = left
            if left is not None and left < sets:
                if left <= 0:
                    step["result"] = "quota_exhausted"
                    return step
                step["capped_by_quota"] = [sets, left]
                sets = left
        given = self._give(rule, items, sets, mine, step)
        if not given:
            step["result"] = "out_of_stock"
            return step
        if rule.quota is not None:
            self.claims[head.id] = sets
        step["sets"] = sets
        self._gave(rule, step, "added", given)
        return step

    def _skip(self, step: dict[str, Any], rule: GiftRule, by: GiftRule, why: str) -> None:
        step["result"] = why
        step["because"] = by.head.id
        tie = tie_break(by.head, rule.head)
        if tie:
            step["tie_break"] = tie

    def _gave(self, rule: GiftRule, step: dict[str, Any], result: str, gifts: list[Any]) -> None:
        step["result"] = result
        step["gifts"] = gifts
        if self.gave is None:
            self.gave = rule
        if rule.exclusive:
            self.closed_by = rule

    def _items(self, rule: GiftRule, facts: OrderFacts, step: dict[str, Any]) -> list[GiftItem]:
        """The rule's items plus those of the tiers reached (rules with tiers only)."""
        items = list(rule.items)
        reached: list[int] = []
        tiers: list[dict[str, Any]] = []
        for number, tier in enumerate(rule.tiers, start=1):
            checks: list[Record] = []
            ok = tier.condition.test(facts, checks)
            tiers.append({"tier": number, "ok": ok, "checks": checks})
            if ok:
                reached.append(number)
        step["tiers"] = tiers
        if not reached:
            return items
        chosen = reached if rule.cumulative else reached[-1:]
        step["tiers_given"] = chosen
        for number in chosen:
            items.extend(rule.tiers[number - 1].items)
        return items

    @staticmethod
    def _sets(rule: GiftRule, facts: OrderFacts, checks: list[Record]) -> int:
        multiplier = rule.multiplier
        assert multiplier is not None  # apply calls this for multiplied rules only
        if multiplier.of:
            count = sum(facts.skus.get(sku, 0) for sku in multiplier.of)
        else:
            count = facts.items
        sets = count // multiplier.every
        if multiplier.max is not None:
            sets = min(sets, multiplier.max)
        checks.append(
            {
                "if": "multiply",
                "op": "every",
                "want": [multiplier.every, multiplier.max, list(multiplier.of)],
                "got": count,
                "ok": sets > 0,
            }
        )
        return sets

    def _give(
        self,
        rule: GiftRule,
        items: Sequence[GiftItem],
        sets: int,
        mine: list[str],
        step: dict[str, Any],
    ) -> list[dict[str, Any]]:
        parent = self._parent(rule)
        line_ids = rule.line_ids
        wanted, existing = self.wanted, self.existing
        given: list[dict[str, Any]] = []
        for item in items:
            quantity = item.qty * sets
            sku = self._choose(rule, item, quantity, mine, step) if item.pool else item.skus[0]
            if sku is None:
                continue
            line_id = line_ids[sku]
            earlier = wanted.get(line_id)
            if earlier is not None:  # cumulative tiers giving the same SKU twice
                quantity += earlier.quantity
            line = existing.get(line_id)
            if line is None or line.quantity != quantity or line.parent_line_id != parent:
                line = gift_line(line_id, sku, quantity, parent, item.title)
            wanted[line_id] = line
            given.append({"sku": sku, "qty": item.qty * sets, "line_id": line_id})
        return given

    def _choose(
        self, rule: GiftRule, item: GiftItem, quantity: int, mine: list[str], step: dict[str, Any]
    ) -> str | None:
        """The pool member to give: one given before, else the first in stock."""
        for sku in item.skus:  # a pool member given before stays (no swapping on re-runs)
            if rule.line_ids[sku] in mine:
                return sku
        tried: list[dict[str, Any]] = []
        step.setdefault("pool", []).append(tried)
        for sku in item.skus:
            have = available(self.context.stock, sku, self.catalog)
            tried.append({"sku": sku, "available": have, "needed": quantity})
            if have >= quantity:
                return sku
        return None

    def _parent(self, rule: GiftRule) -> str:
        if self._bought is None:
            self._bought = bought_lines(self.order) or list(self.order.lines)
        parents = rule.parent_skus
        if parents:
            for line in self._bought:
                if line.sku in parents:
                    return line.line_id
        if self._main is None:
            # No trigger SKU (an amount rule): bind to the line that cost the most.
            main = max(
                self._bought, key=lambda line: line.unit_price * line.quantity - line.discount
            )
            self._main = main.line_id
        return self._main

    @staticmethod
    def _shown(line: Line) -> dict[str, Any]:
        return {"sku": line.sku, "qty": line.quantity, "line_id": line.line_id}


def _compile(head: Head, raw: Mapping[str, Any]) -> GiftRule:
    items = _gift_items(raw.get("add"))
    tiers = tuple(
        Tier(
            compile_condition(tier.get("when"), f"{head.path}.tiers[{i}].when"),
            _gift_items(tier.get("add")),
        )
        for i, tier in enumerate(raw.get("tiers") or [])
    )
    multiplier = None
    spec = raw.get("multiply")
    if isinstance(spec, Mapping):
        multiplier = Multiplier(
            every=int(spec.get("every", 1)),
            of=tuple(str(s) for s in spec.get("of") or []),
            max=spec.get("max"),
        )
    limit = raw.get("limit")
    quota = None
    if isinstance(limit, Mapping):
        quota = GiftQuota(total=limit.get("total"), per_day=limit.get("per_day"))
    parents = [*head.condition.skus, *(multiplier.of if multiplier else ())]
    for tier in tiers:
        parents.extend(tier.condition.skus)
    gifts = (*items, *(item for tier in tiers for item in tier.items))
    return GiftRule(
        head=head,
        exclusive=bool(raw.get("exclusive", False)),
        items=items,
        tiers=tiers,
        cumulative=raw.get("tier_mode", "highest") == "cumulative",
        multiplier=multiplier,
        quota=quota,
        parent_skus=tuple(dict.fromkeys(parents)),
        line_ids={sku: gift_line_id(head.id, sku) for item in gifts for sku in item.skus},
    )


def _gift_items(value: Any) -> tuple[GiftItem, ...]:
    items: list[GiftItem] = []
    for item in value if isinstance(value, list) else ([value] if value else []):
        if isinstance(item, Mapping):
            pool = item.get("pool")
            skus = tuple(str(s) for s in pool) if pool else (str(item.get("sku")),)
            title = str(item.get("title", ""))
            items.append(GiftItem(skus, int(item.get("qty", 1)), bool(pool), title))
        else:
            items.append(GiftItem((str(item),), 1, False, ""))
    return tuple(items)
