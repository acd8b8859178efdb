"""Gather the facts a decision reads, before deciding (no writes).

For one order (``gather_context``) or for a batch (``Facts.read``): the stock
of every SKU, the buyers' other orders and the gift quota left, in a few
queries; each order's ``DecisionContext`` is then cut from them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from orderkit.clock import CHINA_TZ
from orderkit.decisions import DecisionContext
from orderkit.store.merge import ADDRESS_CHANGED_HOLD
from orderkit.store.quotas import QuotaLimit

if TYPE_CHECKING:
    from orderkit.kit import OrderKit
    from orderkit.models import Order
    from orderkit.rules import RuleSet

DUPLICATE_WINDOW = timedelta(hours=24)


def china_day(kit: OrderKit) -> str:
    return kit.clock.now().astimezone(CHINA_TZ).date().isoformat()


def gather_context(kit: OrderKit, rules: RuleSet, order: Order) -> DecisionContext:
    """Stock, buyer facts and remaining gift quota for ``order``; this order
    itself never counts as the buyer's earlier purchase or a duplicate."""
    return Facts.read(kit, rules, [order]).context(order)


@dataclass
class Facts:
    """What the decisions of a batch of orders read, gathered up front.

    A batch applies its orders one by one: ``took`` keeps the stock current
    with what they reserved, and quota is read again after a claim, so each
    order sees what it would have seen when decided alone.
    """

    kit: OrderKit
    rules: RuleSet
    #: (sku, warehouse) -> free units
    stock: dict[tuple[str, str], int]
    #: (shop id, buyer id) -> the buyer's orders there that are not cancelled
    buyers: dict[tuple[str, str], list[tuple[str, datetime]]]
    #: gift rule id -> units left today; None: read again when next needed
    quota_left: dict[str, int | None] | None

    @classmethod
    def read(cls, kit: OrderKit, rules: RuleSet, orders: Sequence[Order]) -> Facts:
        with kit.store.db.transaction() as conn:
            return cls.read_in(kit, rules, orders, conn)

    @classmethod
    def read_in(
        cls, kit: OrderKit, rules: RuleSet, orders: Sequence[Order], conn: sa.Connection
    ) -> Facts:
        """``read`` inside the caller's transaction."""
        skus = set().union(*(rules.stock_skus(order) for order in orders)) if orders else set()
        balances = kit.store.stock.balances_in(conn, skus)
        return cls(
            kit,
            rules,
            stock={key: balance.free for key, balance in balances.items()},
            buyers=_buyers(kit, conn, orders),
            quota_left=kit.store.quotas.left_in(conn, _limits(rules), china_day(kit)),
        )

    def context(self, order: Order) -> DecisionContext:
        skus = self.rules.stock_skus(order)
        buyer = order.buyer.buyer_id
        first, recent = None, []
        if buyer:
            others = [
                (oid, at)
                for oid, at in self.buyers.get((order.shop_id, buyer), ())
                if oid != order.id
            ]
            created = order.created_at.replace(tzinfo=None)
            first = not any(at < created for _, at in others)
            recent = [oid for oid, at in others if abs(at - created) <= DUPLICATE_WINDOW]
        if self.quota_left is None:
            self.quota_left = self.kit.store.quotas.left(_limits(self.rules), china_day(self.kit))
        return DecisionContext(
            stock={key: free for key, free in self.stock.items() if key[0] in skus},
            first_purchase_in_shop=first,
            blacklisted=bool(buyer and buyer in self.kit.config.buyers.blacklist),
            recent_order_ids=recent,
            gift_quota_left=dict(self.quota_left),
            address_changed_after_payment=any(
                h.code == ADDRESS_CHANGED_HOLD and h.released_by is None for h in order.hold_reasons
            ),
        )

    def took(self, lines: Iterable[tuple[str, str, str, int]], quota: bool) -> None:
        """An order reserved ``(line_id, sku, warehouse, quantity)`` lines and
        maybe claimed or gave back gift quota."""
        for _, sku, warehouse, quantity in lines:
            if (sku, warehouse) in self.stock:
                self.stock[sku, warehouse] -= quantity
        if quota:
            self.quota_left = None


def _limits(rules: RuleSet) -> dict[str, QuotaLimit]:
    return {rule_id: QuotaLimit(q.total, q.per_day) for rule_id, q in rules.gift_quotas().items()}


def _buyers(
    kit: OrderKit, conn: sa.Connection, orders: Sequence[Order]
) -> dict[tuple[str, str], list[tuple[str, datetime]]]:
    shops = sorted({o.shop_id for o in orders if o.buyer.buyer_id})
    names = sorted({o.buyer.buyer_id for o in orders if o.buyer.buyer_id})
    out: dict[tuple[str, str], list[tuple[str, datetime]]] = {}
    if not names:
        return out
    wanted = {(o.shop_id, o.buyer.buyer_id) for o in orders}
    rows = conn.execute(
        _buyer_orders(kit.store.tables.orders), {"b_shops": shops, "b_buyers": names}
    )
    for row in rows:
        if (row.shop_id, row.buyer_id) in wanted:
            out.setdefault((row.shop_id, row.buyer_id), []).append(
                (row.id, row.platform_created_at)
            )
    return out


@lru_cache(maxsize=16)
def _buyer_orders(o: sa.Table) -> sa.Select[Any]:
    # built once per table: see ``Orders`` on prebuilt statements
    return (
        sa.select(o.c.id, o.c.shop_id, o.c.buyer_id, o.c.platform_created_at)
        .where(
            o.c.shop_id.in_(sa.bindparam("b_shops", expanding=True)),
            o.c.buyer_id.in_(sa.bindparam("b_buyers", expanding=True)),
            o.c.lifecycle != "cancelled",
        )
        .order_by(o.c.id)
    )
