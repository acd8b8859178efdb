"""Traces in words an ops person acts on.

``explain_text`` reads only the trace (a ``DecisionTrace`` or its JSON as
stored on the timeline), never the rules, so ``orderkit explain`` works on
last month's orders after the rules have changed::

    gift G2026-01 added by rule spring-299: paid 329.00 >= 299.00 and contains 山茶花润肤霜
    no gift from rule spring-299: paid 199.00 < 299.00
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from orderkit.models.order import DecisionTrace
from orderkit.rules.units import china_time, kilograms, yuan

_RANGE_NAMES = {
    "paid": "paid",
    "goods_total": "goods total",
    "items": "items",
    "weight_kg": "weight",
}
_RANGE_FORMATS: dict[str, Callable[[Any], str]] = {
    "paid": lambda v: yuan(int(v)),
    "goods_total": lambda v: yuan(int(v)),
    "items": str,
    "weight_kg": kilograms,
}
_FLAG_WORDS = {
    "remote_area": ("remote area", "not a remote area"),
    "bulky": ("bulky goods", "no bulky goods"),
    "first_purchase": ("first purchase in this shop", "not the first purchase in this shop"),
    "blacklisted": ("buyer blacklisted", "buyer not blacklisted"),
}
_FAMILY = {"holds": "hold", "gifts": "gift", "allocation": "allocation", "courier": "courier"}
_LABELS = {
    "shop": "shop",
    "channel": "channel",
    "order_type": "order type",
    "seller_flag": "seller flag",
    "warehouse": "warehouse",
    "province": "province",
    "city": "city",
    "district": "district",
    "buyer_message": "buyer message",
    "seller_memo": "seller memo",
    "tags": "tags",
    "category": "categories",
}


def explain_text(trace: DecisionTrace | Mapping[str, Any]) -> list[str]:
    """Plain sentences for one stage's trace (holds, gifts, allocation, courier)."""
    data = trace.model_dump() if isinstance(trace, DecisionTrace) else dict(trace)
    render = _STAGES.get(str(data.get("stage")))
    lines = render(data) if render else [f"{data.get('stage')}: {data.get('outcome')}"]
    skipped = int(data.get("not_triggered") or 0)
    if skipped:
        family = _FAMILY.get(str(data.get("stage")), str(data.get("stage")))
        lines.append(
            f"{skipped} other {family} rule(s) not triggered: they need a SKU, "
            "shop, channel, province or warehouse this order does not have"
        )
    return lines


def describe(record: Mapping[str, Any]) -> str:
    """One condition record (``{"if", "op", "want", "got", "ok"}``) in words."""
    key, op, ok = record.get("if"), record.get("op"), bool(record.get("ok"))
    want, got = record.get("want"), record.get("got")
    if key == "any":
        inner = record.get("of") or []
        if ok:
            return describe(inner[-1]) if inner else "any: yes"
        return "none of: " + "; ".join(describe(r) for r in inner)
    if key == "not":
        inner_text = " and ".join(describe(r) for r in record.get("of") or [])
        return f"not ({inner_text})" if ok else f"excluded because {inner_text}"
    if op == "range":
        return _range(str(key), want or [None, None], got, ok, record.get("unknown"))
    if key == "sku":
        return _sku(str(op), want or [], got or {}, ok)
    if key == "window":
        return _window(str(op), want or [None, None], got, ok)
    if key == "multiply":
        every, _, of = want or [1, None, []]
        what = " / ".join(of) if of else "items"
        if ok:
            return f"bought {got} of {what}: one set per {every}"
        return f"bought {got} of {what}, needs {every} for a gift"
    if op == "is":
        yes, no = _FLAG_WORDS.get(str(key), (str(key), f"not {key}"))
        if got is None:
            return f"{yes}: unknown"
        return yes if got else no
    label = _LABELS.get(str(key), str(key))
    if op == "present":
        return f"{label} present" if got else f"no {label}"
    if op == "contains":
        return f"{label} mentions {_join(got)}" if ok else f"{label} mentions none of {_join(want)}"
    if op in ("any", "all", "none"):
        return _set(label, str(op), want or [], got or [], ok)
    shown = got if got is not None else "unknown"
    return f"{label} {shown} {'in' if ok else 'not in'} {_join(want)}"


def because(checks: Sequence[Mapping[str, Any]]) -> str:
    """A matched rule's records joined: ``paid 329.00 >= 299.00 and contains X``."""
    return " and ".join(describe(r) for r in checks) or "every order"


def why_not(checks: Sequence[Mapping[str, Any]]) -> str:
    """The first failing record of a rule that did not match."""
    failing = [r for r in checks if not r.get("ok")]
    return describe(failing[0]) if failing else "no condition failed"


def _join(values: Any) -> str:
    if isinstance(values, str):
        return values
    return ", ".join(str(v) for v in values or [])


def _range(key: str, want: Sequence[Any], got: Any, ok: bool, unknown: Any) -> str:
    name, fmt = _RANGE_NAMES.get(key, key), _RANGE_FORMATS.get(key, str)
    lo, hi = want
    value = fmt(got)
    if ok and lo is not None and hi is not None:
        text = f"{name} {value} between {fmt(lo)} and {fmt(hi)}"
    elif ok:
        text = f"{name} {value} >= {fmt(lo)}" if lo is not None else f"{name} {value} <= {fmt(hi)}"
    elif lo is not None and got < lo:
        text = f"{name} {value} < {fmt(lo)}"
    else:
        text = f"{name} {value} > {fmt(hi)}"
    if unknown:
        text += f" (no weight in the config for {_join(unknown)})"
    return text


def _sku(op: str, want: Sequence[Any], got: Mapping[str, int], ok: bool) -> str:
    if want and isinstance(want[0], Mapping):
        parts = []
        for item in want:
            lo, hi = item["qty"]
            needed = f">= {lo}" if hi is None else f"{lo} to {hi}"
            parts.append(f"{item['sku']} ×{got.get(item['sku'], 0)} (wanted {needed})")
        verdict = {"any": "one of", "all": "all of", "none": "none of"}[op]
        return f"{verdict}: {', '.join(parts)}" + ("" if ok else " (not met)")
    codes = [str(w) for w in want]
    if op == "any":
        return f"contains {_join(list(got))}" if ok else f"does not contain {' or '.join(codes)}"
    if op == "all":
        missing = [c for c in codes if c not in got]
        return f"contains {_join(codes)}" if ok else f"does not contain {_join(missing)}"
    return f"contains none of {_join(codes)}" if ok else f"contains {_join(list(got))}"


def _set(label: str, op: str, want: Sequence[Any], got: Sequence[Any], ok: bool) -> str:
    if op == "any":
        return f"{label} include {_join(got)}" if ok else f"{label} include none of {_join(want)}"
    if op == "all":
        missing = [w for w in want if w not in got]
        return f"{label} include {_join(want)}" if ok else f"{label} lack {_join(missing)}"
    return f"{label} include none of {_join(want)}" if ok else f"{label} include {_join(got)}"


def _window(clock: str, want: Sequence[Any], got: Any, ok: bool) -> str:
    start, end = want
    if got is None:
        return "not paid yet" if clock == "paid" else f"no {clock} time"
    when = china_time(float(got))
    span = f"{start or 'the start'} to {end or 'no end'}"
    if ok:
        return f"{clock} {when} within {span}"
    if start is not None and when < start:
        return f"{clock} {when} before the window opens ({span})"
    return f"{clock} {when} after the window closed ({span})"


# -- stages ----------------------------------------------------------------------


def _holds(data: Mapping[str, Any]) -> list[str]:
    steps = data.get("steps") or []
    hits = [s for s in steps if s.get("result") == "hold"]
    blocked = any(s.get("severity") == "block" for s in hits)
    if blocked:
        lines = [f"order held: {sum(1 for s in hits if s.get('severity') == 'block')} reason(s)"]
    elif hits:
        lines = [f"order not held; {len(hits)} warning(s)"]
    else:
        lines = ["order passed every hold check"]
    for step in hits:
        severity = "held" if step.get("severity") == "block" else "warning"
        text = f"{severity} by rule {step['rule']} ({step['check']}): {step.get('detail', '')}"
        if step.get("release_after"):
            text += f"; releases itself after {_duration(int(step['release_after']))}"
        lines.append(text)
    passed = [str(s["rule"]) for s in steps if s.get("result") == "passed"]
    if passed:
        lines.append(f"passed: {', '.join(passed)}")
    for step in steps:
        if step.get("result") == "not_applicable":
            lines.append(f"rule {step['rule']} does not apply: {why_not(step.get('checks') or [])}")
    return lines


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def _gift_step(step: Mapping[str, Any]) -> list[str]:
    rule, result = step.get("rule"), step.get("result")
    checks = list(step.get("checks") or [])
    tiers = step.get("tiers") or []
    given = step.get("tiers_given") or []
    if result in ("added", "kept"):
        reached = [t for t in tiers if t.get("tier") in given]
        reasons = because(checks + [r for t in reached for r in t.get("checks") or []])
        tier_note = f" (tier {', '.join(str(t) for t in given)})" if given else ""
        lines = []
        for gift in step.get("gifts") or []:
            qty = f" ×{gift['qty']}" if gift.get("qty", 1) != 1 else ""
            verb = "added" if result == "added" else "kept (given on an earlier run)"
            lines.append(f"gift {gift['sku']}{qty} {verb} by rule {rule}{tier_note}: {reasons}")
        for pool in step.get("pool") or []:
            out = [f"{p['sku']} ({p['available']} of {p['needed']})" for p in pool[:-1]]
            if out:
                lines.append(
                    f"gift pool of rule {rule}: out of stock {', '.join(out)}; "
                    f"gave {pool[-1]['sku']}"
                )
        if step.get("capped_by_quota"):
            wanted, left = step["capped_by_quota"]
            lines.append(f"rule {rule}: {wanted} set(s) earned, only {left} left in its quota")
        return lines
    if result == "no_match":
        if not checks or all(r.get("ok") for r in checks):
            if tiers:
                return [f"no gift from rule {rule}: no tier reached: {why_not(tiers[0]['checks'])}"]
            return [f"no gift from rule {rule}: it has nothing to give"]
        return [f"no gift from rule {rule}: {why_not(checks)}"]
    tie = f" ({step['tie_break']})" if step.get("tie_break") else ""
    if result == "exclusive_applied":
        return [f"no gift from rule {rule}: exclusive rule {step['because']} already applied{tie}"]
    if result == "not_combined":
        return [
            f"no gift from rule {rule}: it is exclusive and rule {step['because']} "
            f"already gave a gift{tie}"
        ]
    if result == "quota_exhausted":
        return [f"no gift from rule {rule}: its limited quantity is used up"]
    if result == "out_of_stock":
        tried = [
            f"{p['sku']} ({p['available']} of {p['needed']})"
            for pool in step.get("pool") or []
            for p in pool
        ]
        return [f"no gift from rule {rule}: every gift in its pool is out of stock: {_join(tried)}"]
    return [f"rule {rule}: {result}"]


def _gifts(data: Mapping[str, Any]) -> list[str]:
    lines = [line for step in data.get("steps") or [] for line in _gift_step(step)]
    for line_id in (data.get("outcome") or {}).get("removed") or []:
        lines.append(f"gift line {line_id} removed: no rule gives it any more")
    if not lines:
        lines.append("no gift rule applies to this order")
    return lines


def _allocation(data: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for step in data.get("steps") or []:
        if "checks" in step:
            if step.get("result") == "match":
                lines.append(f"allocation rule {step['rule']} applies: {because(step['checks'])}")
            else:
                lines.append(
                    f"allocation rule {step['rule']} does not apply: {why_not(step['checks'])}"
                )
            continue
        source = f"rule {step['rule']}" if step.get("rule") else "default order of warehouses"
        lines.append(
            f"warehouses tried in order {_join(step.get('warehouses'))} ({source}, "
            f"split {step.get('split')})"
        )
        for entry in step.get("tried") or []:
            where = entry["warehouse"]
            below = entry.get("below_threshold") or {}
            for sku, (have, floor) in below.items():
                lines.append(
                    f"{where} not used for {sku}: {have} in stock, below threshold {floor}"
                )
            for sku, (need, have) in (entry.get("short") or {}).items():
                if sku not in below:  # already said why it counts as none
                    lines.append(f"{where} lacks {sku}: {have} of {need}")
    outcome = data.get("outcome") or {}
    for shipment in outcome.get("shipments") or []:
        parts = ", ".join(f"{lid} ×{qty}" for lid, qty in (shipment.get("lines") or {}).items())
        lines.append(f"ship from {shipment['warehouse']}: {parts}")
    if outcome.get("transfer_alert"):
        lines.append(f"transfer alert: {outcome['transfer_alert']}")
    return lines


def _courier(data: Mapping[str, Any]) -> list[str]:
    steps = data.get("steps") or []
    lines: list[str] = []
    for step in steps:
        if not step.get("decided"):
            continue
        shipment = step["shipment"]
        for skip in step.get("passed_over") or []:
            lines.append(
                f"{skip['courier']} from rule {skip['rule']} not used for {shipment}: {skip['why']}"
            )
        courier, rule = step.get("courier"), step.get("rule")
        if courier is None:
            lines.append(f"no courier for {shipment}: no permitted courier; book by hand")
        elif rule is None:
            lines.append(
                f"courier {courier} for {shipment}: no courier rule chose one; "
                "first permitted courier in the config"
            )
        else:
            checks = _checks_of(steps, shipment, rule)
            text = f"courier {courier} for {shipment} by rule {rule}: {because(checks)}"
            if step.get("tie_break"):
                text += f" ({step['tie_break']})"
            lines.append(text)
        if step.get("denied"):
            lines.append(f"denied for {shipment}: {_join(step['denied'])}")
    return lines


def _checks_of(steps: Sequence[Mapping[str, Any]], shipment: str, rule: str) -> list[Any]:
    for step in steps:
        if step.get("shipment") == shipment and step.get("rule") == rule and "checks" in step:
            return list(step["checks"])
    return []


_STAGES: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "holds": _holds,
    "gifts": _gifts,
    "allocation": _allocation,
    "courier": _courier,
}
