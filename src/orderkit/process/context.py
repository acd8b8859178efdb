"""Gather the facts a decision reads, before deciding (no writes)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

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
    balances = kit.store.stock.balances(rules.stock_skus(order))
    stock = {key: balance.free for key, balance in balances.items()}
    buyer = order.buyer.buyer_id
    first, recent = None, []
    if buyer:
        o = kit.store.tables.orders
        with kit.store.db.transaction() as conn:
            rows = conn.execute(
                sa.select(o.c.id, o.c.platform_created_at).where(
                    o.c.shop_id == order.shop_id,
                    o.c.buyer_id == buyer,
                    o.c.id != order.id,
                    o.c.lifecycle != "cancelled",
                )
            ).all()
        created = order.created_at.replace(tzinfo=None)
        first = not any(r.platform_created_at < created for r in rows)
        recent = [r.id for r in rows if abs(r.platform_created_at - created) <= DUPLICATE_WINDOW]
    limits = {rule_id: QuotaLimit(q.total, q.per_day) for rule_id, q in rules.gift_quotas().items()}
    return DecisionContext(
        stock=stock,
        first_purchase_in_shop=first,
        blacklisted=bool(buyer and buyer in kit.config.buyers.blacklist),
        recent_order_ids=recent,
        gift_quota_left=kit.store.quotas.left(limits, china_day(kit)),
        address_changed_after_payment=any(
            h.code == ADDRESS_CHANGED_HOLD and h.released_by is None for h in order.hold_reasons
        ),
    )
