"""快递策略: the courier of each shipment.

::

    courier:
      - {id: bulky, when: {bulky: true}, courier: deppon, priority: 1}
      - {id: remote, when: {region: {remote_area: true}}, courier: yto}
      - id: jzh-light
        when: {warehouse: [HZ], region: {province: [江浙沪]}, weight_kg: {lte: 3}}
        couriers: [zto, yto]          # the first one permitted
      - {id: xj-no-sf, when: {region: {province: [新疆]}}, deny: [sf]}
      - {id: hz-contracts, when: {warehouse: [HZ]}, allow: [zto, yto, deppon, sf]}

Conditions are read per shipment: ``warehouse``, ``weight_kg``, ``sku``,
``category`` and ``bulky`` describe the parcel, the rest the order. Every
matching ``allow`` / ``deny`` rule narrows the couriers permitted (a disabled
or unconfigured courier never is); then the first choosing rule (priority,
then file order) whose courier is permitted decides. With none, the first
permitted courier of the config's ``couriers`` list is used, and the reason
says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orderkit.decisions import Allocation, DecisionContext
from orderkit.models.order import DecisionTrace, Line, Order
from orderkit.rules.common import Head, heads, in_order, tie_break
from orderkit.rules.conditions import Record
from orderkit.rules.facts import Catalog, OrderFacts
from orderkit.rules.index import RuleIndex
from orderkit.rules.outcome import CourierDecision
from orderkit.rules.trace import make_trace


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ is 3x slower
class Parcel:
    """What courier rules read of a shipment: its warehouse and line quantities."""

    shipment_id: str
    warehouse: str
    lines: dict[str, int]


@dataclass(frozen=True, slots=True)
class CourierRule:
    head: Head
    choices: tuple[str, ...]
    allow: frozenset[str] | None
    deny: frozenset[str]


class CourierRules:
    """The compiled ``rules.courier`` section."""

    def __init__(self, items: Sequence[Mapping[str, Any]], catalog: Catalog, version: str) -> None:
        rules = [_compile(head, raw) for head, raw in heads(items, "courier")]
        self.index: RuleIndex[CourierRule] = RuleIndex(in_order(rules))
        self.catalog = catalog
        self.version = version
        self._configured = tuple(catalog.couriers)
        self._configured_set = frozenset(self._configured)  # membership, not order
        self._enabled = frozenset(code for code, c in catalog.couriers.items() if c.enabled)

    def decide(
        self,
        order: Order,
        allocation: Allocation,
        context: DecisionContext,
        facts: OrderFacts,
    ) -> CourierDecision:
        """``allocation``'s shipments, each with a courier and the reason; pure."""
        parcels = [
            Parcel(s.shipment_id, s.warehouse or "", {sl.line_id: sl.quantity for sl in s.lines})
            for s in allocation.shipments
        ]
        picks, trace = self.choose(parcels, order.lines, facts)
        shipments = [
            s.model_copy(update={"courier": courier, "reason": f"{s.reason}; {why}"})
            for s, (courier, why) in zip(allocation.shipments, picks, strict=True)
        ]
        return CourierDecision(shipments=shipments, trace=trace)

    def choose(
        self, parcels: Sequence[Parcel], lines: Sequence[Line], facts: OrderFacts
    ) -> tuple[list[tuple[str | None, str]], DecisionTrace]:
        """(courier, reason) per parcel, and the trace; nothing is built."""
        skus = {line.line_id: line.sku for line in lines}
        steps: list[dict[str, Any]] = []
        chosen: dict[str, Any] = {}
        picks: list[tuple[str | None, str]] = []
        skipped = 0
        for parcel in parcels:
            narrowed = facts.for_shipment(
                ((skus.get(i), q) for i, q in parcel.lines.items()), parcel.warehouse, self.catalog
            )
            candidates = self.index.candidates(narrowed)
            skipped += len(self.index) - len(candidates)
            courier, rule_id, why = self._choose(parcel.shipment_id, narrowed, candidates, steps)
            chosen[parcel.shipment_id] = {"courier": courier, "rule": rule_id}
            picks.append((courier, f"courier {courier or 'none'}: {why}"))
        return picks, make_trace("courier", self.version, {"shipments": chosen}, steps, skipped)

    def _permitted(self, code: str, allowed: frozenset[str] | None, denied: set[str]) -> str | None:
        """None if ``code`` may be used, else why not."""
        configured = self._configured_set
        if configured and code not in configured:
            return "not in the config's couriers"
        if configured and code not in self._enabled:
            return "disabled in the config"
        if code in denied:
            return "denied here"
        if allowed is not None and code not in allowed:
            return "not in the allowed list here"
        return None

    def _choose(
        self,
        shipment_id: str,
        parcel: OrderFacts,
        candidates: Sequence[CourierRule],
        steps: list[dict[str, Any]],
    ) -> tuple[str | None, str | None, str]:
        allowed: frozenset[str] | None = None
        denied: set[str] = set()
        choosers: list[CourierRule] = []
        for rule in candidates:
            checks: list[Record] = []
            ok = rule.head.condition.test(parcel, checks)
            steps.append(
                {
                    "shipment": shipment_id,
                    "rule": rule.head.id,
                    "checks": checks,
                    "result": "match" if ok else "no_match",
                }
            )
            if not ok:
                continue
            if rule.allow is not None:
                allowed = rule.allow if allowed is None else allowed & rule.allow
            denied.update(rule.deny)
            if rule.choices:
                choosers.append(rule)
        passed_over: list[dict[str, Any]] = []
        decision: dict[str, Any] = {"shipment": shipment_id, "decided": True}
        if allowed is not None:
            decision["allowed"] = sorted(allowed)
        if denied:
            decision["denied"] = sorted(denied)
        for position, rule in enumerate(choosers):
            for code in rule.choices:
                why_not = self._permitted(code, allowed, denied)
                if why_not is None:
                    decision["courier"] = code
                    decision["rule"] = rule.head.id
                    decision["passed_over"] = passed_over
                    if position + 1 < len(choosers):
                        tie = tie_break(rule.head, choosers[position + 1].head)
                        if tie:
                            decision["tie_break"] = tie
                    steps.append(decision)
                    return code, rule.head.id, f"rule {rule.head.id}"
                passed_over.append({"rule": rule.head.id, "courier": code, "why": why_not})
        decision["passed_over"] = passed_over
        for code in self._configured:
            if self._permitted(code, allowed, denied) is None:
                decision.update(courier=code, rule=None, fallback=True)
                steps.append(decision)
                return (
                    code,
                    None,
                    "no courier rule chose one; first permitted courier in the config",
                )
        decision.update(courier=None, rule=None)
        steps.append(decision)
        return None, None, "no permitted courier: book by hand"


def _compile(head: Head, raw: Mapping[str, Any]) -> CourierRule:
    choices: list[str] = []
    if raw.get("courier"):
        choices.append(str(raw["courier"]))
    choices.extend(str(c) for c in raw.get("couriers") or [])
    allow = raw.get("allow")
    return CourierRule(
        head=head,
        choices=tuple(dict.fromkeys(choices)),
        allow=frozenset(str(c) for c in allow) if allow is not None else None,
        deny=frozenset(str(c) for c in raw.get("deny") or []),
    )
