"""Builders shared by the ``test_rules_*`` files (no tests here).

A rule test reads best as: the YAML ops would write, an order, a context, the
outcome. These helpers keep each of those to a line or two.
"""

from __future__ import annotations

import textwrap
from typing import Any

from orderkit.config import load_config_text
from orderkit.decisions import DecisionContext
from orderkit.models import Order
from orderkit.rules import RuleSet
from tests.conftest import make_order_payload

BASE_CONFIG = """\
version: 1
warehouses:
  - {code: HZ, name: 杭州仓, regions: [浙江, 上海], priority: 1}
  - {code: GZ, name: 广州仓, regions: [广东], priority: 2}
  - {code: YW, name: 义乌仓, regions: [华东], priority: 3}
skus:
  山茶花润肤霜: {weight_g: 120, category: 护肤}
  面膜: {weight_g: 80, category: 护肤}
  收纳柜-大号: {weight_g: 18000, category: 家居, bulky: true}
  G2026-01: {weight_g: 50}
  G-A: {weight_g: 10}
  G-B: {weight_g: 10}
  G-C: {weight_g: 10}
couriers:
  - {code: zto}
  - {code: yto}
  - {code: sf}
  - {code: deppon}
address:
  remote_areas: [新疆, 西藏]
"""


def rule_set(rules_yaml: str, base: str = BASE_CONFIG) -> RuleSet:
    """A rule set from a ``rules:`` block (indented or not) on top of ``base``."""
    text = base + "rules:\n" + textwrap.indent(textwrap.dedent(rules_yaml).strip("\n"), "  ")
    return RuleSet.from_config(load_config_text(text + "\n"))


def line(
    line_id: str, sku: str | None, quantity: int = 1, price: int = 10000, **extra: Any
) -> dict[str, Any]:
    return {"line_id": line_id, "sku": sku, "quantity": quantity, "unit_price": price, **extra}


def order(
    *lines: dict[str, Any],
    paid: float = 329,
    province: str | None = "浙江省",
    **overrides: Any,
) -> Order:
    """An order; ``paid`` in yuan (converted exactly), lines default to one 山茶花润肤霜."""
    fen = round(paid * 100)
    receiver = overrides.pop(
        "receiver", {"province": province, "city": "杭州市", "confidence": 0.95}
    )
    payload = make_order_payload(
        lines=list(lines) or [line("1", "山茶花润肤霜", price=fen)],
        amounts={"goods_total": fen, "paid": fen},
        receiver=receiver,
        **{"paid_at": "2026-03-05T10:00:00+08:00", **overrides},
    )
    return Order.model_validate(payload)


def stocked(**by_warehouse: dict[str, int]) -> DecisionContext:
    """A context with stock: ``stocked(HZ={"面膜": 3}, GZ={...})``."""
    return DecisionContext(
        stock={(sku, wh): n for wh, skus in by_warehouse.items() for sku, n in skus.items()}
    )


def plenty(*skus: str, units: int = 10_000) -> DecisionContext:
    """Every listed SKU in every warehouse, ``units`` each."""
    return DecisionContext(stock={(s, w): units for s in skus for w in ("HZ", "GZ", "YW")})
