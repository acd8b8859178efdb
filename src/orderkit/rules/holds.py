"""自动审单: ordered hold checks, each block or warn, each with its reason code.

::

    holds:
      - {id: addr-changed, check: address_changed, release_after: 2h}
      - {id: big-order, check: amount_above, limit: 5000, severity: warn}
      - id: xinjiang-review
        check: condition
        when: {region: {province: [新疆]}}
        note: 新疆订单人工审核

Every check runs (a reviewer wants all the reasons at once, not the first);
``when`` narrows a check to some orders. ``HoldReason.code`` is the check's
name, so reports can count holds by reason whatever the rule ids are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orderkit.config.model import parse_duration
from orderkit.decisions import DecisionContext
from orderkit.models.order import HoldReason, HoldSeverity, Order
from orderkit.models.status import RefundState
from orderkit.rules.build import hold_reason
from orderkit.rules.common import Head, heads, in_order
from orderkit.rules.conditions import ALWAYS, FEN, Record
from orderkit.rules.facts import Catalog, OrderFacts, available
from orderkit.rules.index import RuleIndex
from orderkit.rules.outcome import HoldDecision
from orderkit.rules.trace import make_trace
from orderkit.rules.units import scaled, yuan

#: The cleaner's flag for an address it could read more than one way.
AMBIGUOUS_FLAG = "ambiguous"
ADDRESS_CHANGED_FLAG = "address_changed"
_REFUNDING = frozenset({RefundState.REQUESTED, RefundState.IN_PROGRESS})

#: (hit, facts read)
Finding = tuple[bool, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class HoldRule:
    head: Head
    check: str
    severity: HoldSeverity
    release_after: int | None
    limit: int | None  # fen, for amount_above
    amount: str  # paid | goods_total, for amount_above
    min_confidence: float | None
    note: str | None
    #: the check itself, ``CHECKS[check]``, looked up once
    run: Callable[[_Probe], Finding]


class _Probe:
    """What a check may read. Plain slots: one is built per order, not per check."""

    __slots__ = ("catalog", "context", "facts", "order", "rule")

    def __init__(
        self, order: Order, facts: OrderFacts, context: DecisionContext, catalog: Catalog
    ) -> None:
        self.order, self.facts, self.context, self.catalog = order, facts, context, catalog
        self.rule: HoldRule | None = None

    @property
    def current(self) -> HoldRule:
        assert self.rule is not None  # set by HoldRules.decide before each check
        return self.rule


def _address_changed(p: _Probe) -> Finding:
    changed = p.context.address_changed_after_payment or (
        ADDRESS_CHANGED_FLAG in p.order.receiver.flags
    )
    return changed, {"address_changed_after_payment": changed}


def _refund_in_progress(p: _Probe) -> Finding:
    status = p.order.status
    order_state = status.refund.value if status is not None else None
    lines = [line.line_id for line in p.order.lines if line.refund in _REFUNDING]
    hit = (status is not None and status.refund in _REFUNDING) or bool(lines)
    return hit, {"refund": order_state, "lines": lines}


def _refund_detail(p: _Probe, read: dict[str, Any]) -> str:
    lines = read["lines"]
    where = f"lines {', '.join(lines)}" if lines else f"order: {read['refund']}"
    return f"refund in progress ({where})"


def _buyer_message(p: _Probe) -> Finding:
    present = bool(p.facts.message)
    return present, {"buyer_message": present}


def _seller_memo(p: _Probe) -> Finding:
    present = bool(p.facts.memo)
    return present, {"seller_memo": present, "seller_flag": p.facts.seller_flag}


def _amount_above(p: _Probe) -> Finding:
    rule = p.current
    value = p.facts.paid if rule.amount == "paid" else p.facts.goods_total
    return rule.limit is not None and value > rule.limit, {rule.amount: value, "limit": rule.limit}


def _amount_detail(p: _Probe, read: dict[str, Any]) -> str:
    amount = p.current.amount
    return f"{amount} {yuan(read[amount])} above limit {yuan(read['limit'])}"


def _blacklisted(p: _Probe) -> Finding:
    return p.facts.blacklisted, {"blacklisted": p.facts.blacklisted}


def _unknown_sku(p: _Probe) -> Finding:
    known = p.catalog.skus
    unknown = [
        line.sku or f"(line {line.line_id} has no SKU)"
        for line in p.order.lines
        if not line.is_gift and (line.sku is None or line.sku not in known)
    ]
    return bool(unknown), {"unknown": unknown}


def _address_doubtful(p: _Probe) -> Finding:
    receiver = p.order.receiver
    floor = p.current.min_confidence
    if floor is None:
        floor = p.catalog.min_confidence
    ambiguous = AMBIGUOUS_FLAG in receiver.flags
    low = receiver.confidence is not None and receiver.confidence < floor
    facts = {"confidence": receiver.confidence, "min_confidence": floor, "ambiguous": ambiguous}
    return ambiguous or low, facts


def _doubt_detail(p: _Probe, read: dict[str, Any]) -> str:
    if read["ambiguous"]:
        return "address can be read more than one way"
    return f"address confidence {read['confidence'] or 0:.2f} below {read['min_confidence']:.2f}"


def _remote_area(p: _Probe) -> Finding:
    return p.facts.remote, {"remote_area": p.facts.remote, "province": p.facts.province}


def _out_of_stock(p: _Probe) -> Finding:
    short: dict[str, list[int]] = {}
    for sku, needed in p.facts.skus.items():
        have = available(p.context.stock, sku, p.catalog)
        if have < needed:
            short[sku] = [needed, have]
    return bool(short), {"short": short}


def _stock_detail(p: _Probe, read: dict[str, Any]) -> str:
    words = "; ".join(f"{sku} needs {n}, {a} available" for sku, (n, a) in read["short"].items())
    return f"out of stock: {words}"


def _duplicate(p: _Probe) -> Finding:
    own = {p.order.id, p.order.external_id}
    return any(i not in own for i in p.context.recent_order_ids), {
        "recent_order_ids": [i for i in p.context.recent_order_ids if i not in own]
    }


def _condition(p: _Probe) -> Finding:
    return True, {}


def _fixed(text: str) -> Callable[[_Probe, dict[str, Any]], str]:
    return lambda p, read: text


CHECKS: dict[str, Callable[[_Probe], Finding]] = {
    "address_changed": _address_changed,
    "refund_in_progress": _refund_in_progress,
    "buyer_message": _buyer_message,
    "seller_memo": _seller_memo,
    "amount_above": _amount_above,
    "blacklisted": _blacklisted,
    "unknown_sku": _unknown_sku,
    "address_doubtful": _address_doubtful,
    "remote_area": _remote_area,
    "out_of_stock": _out_of_stock,
    "duplicate": _duplicate,
    "condition": _condition,
}
"""Every hold check by name; the name is the ``HoldReason.code``."""

# The reason in words, built only when a check holds (most orders pass most checks).
DETAILS: dict[str, Callable[[_Probe, dict[str, Any]], str]] = {
    "address_changed": _fixed("address changed after payment"),
    "refund_in_progress": _refund_detail,
    "buyer_message": _fixed("buyer left a message"),
    "seller_memo": _fixed("seller memo present"),
    "amount_above": _amount_detail,
    "blacklisted": _fixed("buyer is blacklisted"),
    "unknown_sku": lambda p, read: f"SKU not in config: {', '.join(read['unknown'])}",
    "address_doubtful": _doubt_detail,
    "remote_area": lambda p, read: f"remote area ({read['province'] or 'unknown province'})",
    "out_of_stock": _stock_detail,
    "duplicate": lambda p, read: f"possible duplicate of {', '.join(read['recent_order_ids'])}",
    "condition": _fixed("matched its condition"),
}


class HoldRules:
    """The compiled ``rules.holds`` section."""

    def __init__(self, items: Sequence[Mapping[str, Any]], catalog: Catalog, version: str) -> None:
        rules = [_compile(head, raw) for head, raw in heads(items, "holds")]
        self.index: RuleIndex[HoldRule] = RuleIndex(in_order(rules))
        self.catalog = catalog
        self.version = version

    def decide(self, order: Order, context: DecisionContext, facts: OrderFacts) -> HoldDecision:
        """Run every check that applies to ``order``; pure."""
        candidates = self.index.candidates(facts)
        reasons: list[HoldReason] = []
        release: dict[str, int] = {}
        steps: list[dict[str, Any]] = []
        probe = _Probe(order, facts, context, self.catalog)
        for rule in candidates:
            head = rule.head
            condition = head.condition
            # Steps are written whole where they can be: most checks apply to
            # every order and pass, and a dict literal is cheaper than growing one.
            if condition is ALWAYS:
                probe.rule = rule
                hit, read = rule.run(probe)
                if not hit:
                    steps.append(
                        {"rule": head.id, "check": rule.check, "facts": read, "result": "passed"}
                    )
                    continue
                step: dict[str, Any] = {"rule": head.id, "check": rule.check, "facts": read}
            else:
                checks: list[Record] = []
                if not condition.test(facts, checks):
                    steps.append(
                        {
                            "rule": head.id,
                            "check": rule.check,
                            "checks": checks,
                            "result": "not_applicable",
                        }
                    )
                    continue
                probe.rule = rule
                hit, read = rule.run(probe)
                step = {"rule": head.id, "check": rule.check, "checks": checks, "facts": read}
                if not hit:
                    step["result"] = "passed"
                    steps.append(step)
                    continue
            steps.append(step)
            reasons.append(self._hold(rule, probe, read, step, release))
        blocked = any(r.severity == HoldSeverity.BLOCK for r in reasons)
        outcome = {
            "blocked": blocked,
            "reasons": [
                {"code": r.code, "severity": r.severity.value, "rule_id": r.rule_id}
                for r in reasons
            ],
            "release_after": release,
        }
        trace = make_trace("holds", self.version, outcome, steps, len(self.index) - len(candidates))
        return HoldDecision(reasons=reasons, trace=trace, release_after=release)

    @staticmethod
    def _hold(
        rule: HoldRule,
        probe: _Probe,
        read: dict[str, Any],
        step: dict[str, Any],
        release: dict[str, int],
    ) -> HoldReason:
        """The reason of a check that holds; completes its step and ``release``."""
        detail = DETAILS[rule.check](probe, read)
        if rule.note:
            detail = f"{detail} ({rule.note})"
        step["result"] = "hold"
        step["severity"] = rule.severity.value
        step["detail"] = detail
        if rule.release_after is not None:
            release[rule.head.id] = rule.release_after
            step["release_after"] = rule.release_after
        return hold_reason(rule.check, detail, rule.severity, rule.head.id)


def _compile(head: Head, raw: Mapping[str, Any]) -> HoldRule:
    limit = raw.get("limit")
    release = raw.get("release_after")
    check = str(raw.get("check", "condition"))
    return HoldRule(
        head=head,
        check=check,
        severity=HoldSeverity(raw.get("severity", HoldSeverity.BLOCK.value)),
        release_after=parse_duration(release) if release is not None else None,
        limit=scaled(limit, FEN) if limit is not None else None,
        amount=str(raw.get("amount", "paid")),
        min_confidence=raw.get("min_confidence"),
        note=raw.get("note"),
        run=CHECKS.get(check) or _unknown_check(check),
    )


def _unknown_check(name: str) -> Callable[[_Probe], Finding]:
    # The schema lists the checks; a rule set built by hand fails when the check runs.
    def run(p: _Probe) -> Finding:
        raise KeyError(name)

    return run
