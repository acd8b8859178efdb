"""分仓: which warehouse(s) ship an order, stock-aware, with a split policy.

::

    allocation:
      - id: east-china
        when: {region: {province: [华东]}}
        warehouses: [YW, HZ, GZ]          # in order of preference
        split: never                       # never | by_warehouse | fewest_packages
        thresholds:                        # "below 500 in HZ -> use the next one"
          - {sku: 山茶花润肤霜, warehouse: HZ, min_stock: 500}

The first rule (priority, then file order) whose condition holds decides.
With none, warehouses serving the province (config ``warehouses[].regions``)
come first, then the others, each by ``priority``, and the order is not split.

Stock comes from ``DecisionContext.stock``; a warehouse below a SKU's
threshold counts as having none of it. ``never`` ships from the first
warehouse that has everything, else returns no shipment and a transfer alert;
``by_warehouse`` sends each line from the first warehouse that has it;
``fewest_packages`` picks the fewest warehouses that together have everything.
A line no single warehouse can fill is split across warehouses (split
policies only); what no warehouse has is named in the transfer alert.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from orderkit.decisions import Allocation, DecisionContext
from orderkit.models.order import DecisionTrace, Line, Order
from orderkit.models.status import RefundState
from orderkit.rules import build
from orderkit.rules.common import Head, heads, in_order
from orderkit.rules.conditions import Record
from orderkit.rules.facts import Catalog, OrderFacts
from orderkit.rules.index import RuleIndex
from orderkit.rules.regions import expand_provinces
from orderkit.rules.trace import make_trace

SPLIT_POLICIES = ("never", "by_warehouse", "fewest_packages")
DEFAULT_SPLIT = "never"
#: Above this many warehouses, fewest_packages stops trying every combination.
_EXACT_UP_TO = 3
#: What any warehouse "has" of a line without SKU (no stock record to read).
_ANY_AMOUNT = 1 << 30


def shipment_id(warehouse: str) -> str:
    """Deterministic id of the parcel from ``warehouse`` (one per warehouse)."""
    return f"ship:{warehouse}"


@dataclass(frozen=True, slots=True)
class AllocationRule:
    head: Head
    warehouses: tuple[str, ...]
    split: str
    #: (sku or None for every SKU, warehouse) -> least stock to use that warehouse
    thresholds: Mapping[tuple[str | None, str], int]


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ is 3x slower
class AllocationPlan:
    """Where the lines go: warehouse -> line id -> quantity, in preference order."""

    placed: dict[str, dict[str, int]]
    reasons: dict[str, str]
    alert: str | None
    trace: DecisionTrace


#: line id, SKU, quantity, parent line id
_Need = tuple[str, str | None, int, str | None]


class AllocationRules:
    """The compiled ``rules.allocation`` section."""

    def __init__(self, items: Sequence[Mapping[str, Any]], catalog: Catalog, version: str) -> None:
        rules = [_compile(head, raw) for head, raw in heads(items, "allocation")]
        self.index: RuleIndex[AllocationRule] = RuleIndex(in_order(rules))
        self.catalog = catalog
        self.version = version
        ranked = sorted(catalog.warehouses.values(), key=lambda w: w.priority)
        self._default = [(w.code, expand_provinces(w.regions)) for w in ranked]

    def decide(self, order: Order, context: DecisionContext, facts: OrderFacts) -> Allocation:
        """Shipments for ``order`` (gift lines included), without couriers; pure."""
        plan = self.plan(order.external_id, order.lines, context, facts)
        shipments = [
            build.shipment(shipment_id(w), w, lines, plan.reasons[w])
            for w, lines in plan.placed.items()
        ]
        return Allocation(shipments=shipments, trace=plan.trace, transfer_alert=plan.alert)

    def plan(
        self,
        external_id: str,
        lines: Sequence[Line],
        context: DecisionContext,
        facts: OrderFacts,
    ) -> AllocationPlan:
        """Where each line goes, before any ``Shipment`` is built."""
        candidates = self.index.candidates(facts)
        steps: list[dict[str, Any]] = []
        chosen: AllocationRule | None = None
        for rule in candidates:
            checks: list[Record] = []
            ok = rule.head.condition.test(facts, checks)
            steps.append(
                {"rule": rule.head.id, "checks": checks, "result": "match" if ok else "no_match"}
            )
            if ok:
                chosen = rule
                break
        if chosen is not None:
            prefs, split, thresholds = chosen.warehouses, chosen.split, chosen.thresholds
            label = f"rule {chosen.head.id}"
        else:
            prefs = self._default_preference(facts.province)
            split, thresholds, label = DEFAULT_SPLIT, {}, "default order of warehouses"
        plan = _Plan(lines, context.stock, prefs, thresholds)
        getattr(plan, split)()
        placed = {w: plan.placed[w] for w in prefs if plan.placed.get(w)}
        alert = plan.alert(external_id, label, split)
        rule_id = chosen.head.id if chosen else None
        steps.append(
            {
                "rule": rule_id,
                "warehouses": list(prefs),
                "split": split,
                "tried": plan.tried,
                "chose": list(placed),
            }
        )
        outcome = {
            "rule": rule_id,
            "split": split,
            "shipments": [
                {"shipment_id": shipment_id(w), "warehouse": w, "lines": lines}
                for w, lines in placed.items()
            ],
            "short": plan.short,
            "transfer_alert": alert,
        }
        trace = make_trace(
            "allocation", self.version, outcome, steps, len(self.index) - len(candidates)
        )
        reasons = {w: f"warehouse {w}: {label}, split {split}" for w in placed}
        return AllocationPlan(placed, reasons, alert, trace)

    def _default_preference(self, province: str | None) -> tuple[str, ...]:
        serving = [code for code, regions in self._default if province in regions]
        others = [code for code, regions in self._default if province not in regions]
        return (*serving, *others)


class _Plan:
    """Stock bookkeeping for one allocation: what is left where, who goes where."""

    def __init__(
        self,
        lines: Sequence[Line],
        stock: Mapping[tuple[str, str], int],
        prefs: Sequence[str],
        thresholds: Mapping[tuple[str | None, str], int],
    ) -> None:
        self.prefs = tuple(prefs)
        # Gifts last: they follow the warehouse their main line went to.
        needs: list[_Need] = []
        gifts: list[_Need] = []
        for line in lines:
            if line.refund != RefundState.REFUNDED:
                # A plain tuple: a NamedTuple's constructor runs Python code.
                need = (line.line_id, line.sku, line.quantity, line.parent_line_id)
                (gifts if line.is_gift else needs).append(need)
        needs += gifts
        self.needs = needs
        self.left: dict[tuple[str, str], int] = {}
        self.tried: list[dict[str, Any]] = []
        self.placed: dict[str, dict[str, int]] = {}  # warehouse -> line_id -> qty
        self.short: dict[str, int] = {}  # line_id -> units nowhere to be had
        self._warehouse_of: dict[str, str] = {}
        left = self.left
        for _, sku, _, _ in needs:
            if sku is None:
                continue
            for warehouse in self.prefs:
                key = (sku, warehouse)
                if key in left:
                    continue
                have = stock.get(key, 0)
                if thresholds:
                    floor = thresholds.get(key, thresholds.get((None, warehouse)))
                    if floor is not None and have < floor:
                        self._note(warehouse, "below_threshold", sku, [have, floor])
                        have = 0
                left[key] = have

    def _note(self, warehouse: str, kind: str, sku: str, value: Any) -> None:
        for entry in self.tried:
            if entry["warehouse"] == warehouse:
                entry.setdefault(kind, {})[sku] = value
                return
        self.tried.append({"warehouse": warehouse, kind: {sku: value}})

    def _have(self, sku: str | None, warehouse: str) -> int:
        # A line without SKU has no stock record: any warehouse can take it.
        return self.left.get((sku, warehouse), 0) if sku is not None else _ANY_AMOUNT

    def _demand(self) -> dict[str | None, int]:
        demand: dict[str | None, int] = {}
        for _, sku, qty, _ in self.needs:
            demand[sku] = demand.get(sku, 0) + qty
        return demand

    def _lacks(
        self, warehouses: Sequence[str], demand: Mapping[str | None, int]
    ) -> dict[str, list[int]]:
        return {sku: [qty, have] for sku, qty, have in self._short(warehouses, demand)}

    def _covers(self, warehouses: Sequence[str], demand: Mapping[str | None, int]) -> bool:
        """``not self._lacks(warehouses, demand)``, stopping at the first SKU short."""
        return next(self._short(warehouses, demand), None) is None

    def _short(
        self, warehouses: Sequence[str], demand: Mapping[str | None, int]
    ) -> Iterator[tuple[str, int, int]]:
        """(sku, wanted, have) of each SKU ``warehouses`` together cannot cover."""
        left = self.left
        for sku, qty in demand.items():
            if sku is None:
                continue
            have = 0
            for warehouse in warehouses:
                have += left.get((sku, warehouse), 0)
            if have < qty:
                yield sku, qty, have

    # -- policies (called by name) -------------------------------------------------

    def never(self) -> None:
        demand = self._demand()
        for warehouse in self.prefs:
            lacking = self._lacks((warehouse,), demand)
            if not lacking:
                self._fill((warehouse,))
                return
            for sku, value in lacking.items():
                self._note(warehouse, "short", sku, value)
        for line_id, _, qty, _ in self.needs:
            self.short[line_id] = qty

    def by_warehouse(self) -> None:
        self._fill(self.prefs)

    def fewest_packages(self) -> None:
        demand = self._demand()
        for size in range(1, min(len(self.prefs), _EXACT_UP_TO) + 1):
            for group in combinations(self.prefs, size):
                if self._covers(group, demand):
                    self._fill(group)
                    return
        self._fill(self._greedy_cover(demand))

    def _greedy_cover(self, demand: Mapping[str | None, int]) -> tuple[str, ...]:
        chosen: list[str] = []
        missing = dict(demand)
        while True:
            gains = [
                (sum(min(self._have(s, w), q) for s, q in missing.items() if q > 0), w)
                for w in self.prefs
                if w not in chosen
            ]
            best = max(gains, default=(0, ""), key=lambda g: g[0])
            if best[0] <= 0:
                return tuple(w for w in self.prefs if w in chosen) or self.prefs
            chosen.append(best[1])
            for sku in missing:
                missing[sku] -= min(self._have(sku, best[1]), missing[sku])

    def _fill(self, warehouses: Sequence[str]) -> None:
        left, placed, homes = self.left, self.placed, self._warehouse_of
        for line_id, sku, qty, parent in self.needs:
            order: Sequence[str] = warehouses
            if parent is not None:
                parent_home = homes.get(parent)
                # A gift travels with its main item when it can.
                if parent_home is not None and parent_home in order:
                    order = list(warehouses)
                    order.remove(parent_home)
                    order.insert(0, parent_home)
            if sku is None:  # no stock record: the _have rule, rarely met
                self._fill_one(line_id, sku, qty, order)
                continue
            whole = None
            for warehouse in order:
                if left.get((sku, warehouse), 0) >= qty:
                    whole = warehouse
                    break
            if whole is None:
                self._fill_one(line_id, sku, qty, order)
                continue
            # _place, inlined: one warehouse taking the whole line is the common case
            lines = placed.get(whole)
            if lines is None:
                placed[whole] = lines = {}
            lines[line_id] = lines.get(line_id, 0) + qty
            if line_id not in homes:
                homes[line_id] = whole
            left[(sku, whole)] -= qty

    def _fill_one(self, line_id: str, sku: str | None, qty: int, order: Sequence[str]) -> None:
        """Place one line: whole from the first warehouse that has it, else split."""
        whole = next((w for w in order if self._have(sku, w) >= qty), None)
        if whole is not None:
            self._place(line_id, sku, whole, qty)
            return
        remaining = qty
        for warehouse in order:
            take = min(self._have(sku, warehouse), remaining)
            if take > 0:
                self._place(line_id, sku, warehouse, take)
                remaining -= take
        if remaining:
            self.short[line_id] = remaining

    def _place(self, line_id: str, sku: str | None, warehouse: str, qty: int) -> None:
        lines = self.placed.setdefault(warehouse, {})
        lines[line_id] = lines.get(line_id, 0) + qty
        self._warehouse_of.setdefault(line_id, warehouse)
        if sku is not None:
            self.left[(sku, warehouse)] -= qty

    # -- results -------------------------------------------------------------------

    def alert(self, external_id: str, label: str, split: str) -> str | None:
        if not self.short:
            return None
        if not self.prefs:
            return f"order {external_id}: no warehouse to ship from ({label})"
        if split == "never":
            lacking = "; ".join(
                f"{entry['warehouse']} lacks "
                + ", ".join(
                    f"{sku} ({have} of {need})"
                    for sku, (need, have) in entry.get("short", {}).items()
                )
                for entry in self.tried
                if entry.get("short")
            )
            return (
                f"order {external_id}: no single warehouse has everything and "
                f"{label} does not split it; transfer stock to {self.prefs[0]} ({lacking})"
            )
        missing = ", ".join(f"line {line_id} short by {qty}" for line_id, qty in self.short.items())
        return f"order {external_id}: not enough stock in {', '.join(self.prefs)}: {missing}"


def _compile(head: Head, raw: Mapping[str, Any]) -> AllocationRule:
    thresholds: dict[tuple[str | None, str], int] = {}
    for item in raw.get("thresholds") or []:
        sku = item.get("sku")
        thresholds[(str(sku) if sku is not None else None, str(item["warehouse"]))] = int(
            item["min_stock"]
        )
    return AllocationRule(
        head=head,
        warehouses=tuple(str(w) for w in raw.get("warehouses") or []),
        split=str(raw.get("split", DEFAULT_SPLIT)),
        thresholds=thresholds,
    )
