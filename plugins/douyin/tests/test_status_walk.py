"""The Douyin half of the cross-platform status walk: the same physical steps
as on Taobao (paid -> tracking uploaded by orderkit -> first courier scan),
on the canonical axes. The Taobao half joins this walk once its plugin lands:
both must show ``STEPS``' canonical status at each step where the platform
tells us."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from douyin_helpers import SHOP, empty_shop_kit, new_paid_order, ship, whole
from orderkit.kit import OrderKit
from orderkit.models import Lifecycle, Order

#: physical step -> the canonical lifecycle every platform must end up showing
STEPS: Final = (
    ("paid", Lifecycle.PAID),
    ("tracking uploaded by orderkit", Lifecycle.SHIPPED),
    ("first courier scan", Lifecycle.IN_TRANSIT),
)


def douyin_walk(kit: OrderKit) -> list[tuple[str, Lifecycle, str]]:
    """Walk one Douyin order through ``STEPS``; after each, sync and record
    (step, canonical lifecycle, what Douyin's order_status says)."""
    box = kit.sandbox(SHOP)
    order: Order = new_paid_order(kit)
    seen: list[tuple[str, Lifecycle, str]] = []

    def look(step: str) -> None:
        kit.clock.advance(60)  # type: ignore[attr-defined]
        kit.sync(SHOP)
        stored = kit.get(order)
        seen.append((step, stored.lifecycle, stored.order.platform_status["order_status"]))

    look("paid")
    stored = kit.get(order)
    for step in (Lifecycle.APPROVED, Lifecycle.ALLOCATED):  # orderkit's own pipeline moves
        stored = kit.transition(
            order, step, actor="test", reason="pipeline", expected_version=stored.version
        )
    assert ship(kit, stored.order, whole(stored.order)).accepted
    kit.transition(
        order,
        Lifecycle.SHIPPED,
        actor="orderkit",
        reason="tracking number accepted by Douyin",
        expected_version=stored.version,
    )
    look("tracking uploaded by orderkit")
    box.scan(order.external_id)  # the courier scans the parcel
    look("first courier scan")
    return seen


def test_the_douyin_half_of_the_cross_platform_status_walk(tmp_path: Path) -> None:
    """Douyin reports "shipped" (3) only after the first scan: orderkit's own
    ``shipped`` comes from its upload (Douyin still says 2, which does not move
    the order back), and Douyin's 3 is ``in_transit``."""
    walk = douyin_walk(empty_shop_kit(tmp_path))
    assert [(step, lifecycle) for step, lifecycle, _ in walk] == list(STEPS)
    assert [douyin for _, _, douyin in walk] == ["2", "2", "3"]
