"""The facts rules read about one order, computed once per decision.

Conditions compare against these plain attributes instead of walking the
pydantic order each time: a thousand rules then cost a thousand attribute
reads, not a thousand walks over the lines. ``Catalog`` holds what the config
says about SKUs, warehouses, couriers and remote areas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from orderkit.models.status import RefundState
from orderkit.rules.regions import (
    local_name,
    province_code,
    province_short,
)

if TYPE_CHECKING:
    from orderkit.config.model import Config, CourierConfig, SkuConfig, WarehouseConfig
    from orderkit.decisions import DecisionContext
    from orderkit.models.order import Line, Order

#: Receiver flag the address cleaner sets for remote areas.
REMOTE_FLAG = "remote_area"
#: Lines in these refund states no longer count as bought.
_GONE = frozenset({RefundState.REFUNDED})


@dataclass(frozen=True)
class Catalog:
    """Config facts the rules read: SKUs, warehouses, couriers, remote areas."""

    skus: Mapping[str, SkuConfig] = field(default_factory=dict)
    warehouses: Mapping[str, WarehouseConfig] = field(default_factory=dict)
    couriers: Mapping[str, CourierConfig] = field(default_factory=dict)
    remote_areas: frozenset[str] = frozenset()
    min_confidence: float = 0.8

    @classmethod
    def from_config(cls, config: Config) -> Catalog:
        remote: set[str] = set()
        for area in config.address.remote_areas:
            remote.add(province_short(area) or area)
            remote.add(local_name(area) or area)
        return cls(
            skus=dict(config.skus),
            warehouses={w.code: w for w in config.warehouses},
            couriers={c.code: c for c in config.couriers},
            remote_areas=frozenset(remote),
            min_confidence=config.address.min_confidence,
        )

    def is_remote(self, province: str | None, city: str | None, flags: Iterable[str]) -> bool:
        """Remote by the cleaner's flag, or by ``address.remote_areas`` in the config."""
        if REMOTE_FLAG in flags:
            return True
        areas = self.remote_areas
        return (province is not None and province in areas) or (city is not None and city in areas)


class OrderFacts:
    """What conditions read. One per order; ``for_shipment`` narrows it to a parcel.

    Money in fen, weight in grams, times as POSIX seconds; ``skus`` counts
    bought units (gifts and refunded lines excluded).
    """

    shop: str
    channel: str
    order_type: str
    paid: int
    goods_total: int
    items: int
    skus: dict[str, int]
    weight_g: float
    weight_unknown: tuple[str, ...]
    categories: frozenset[str]
    bulky: bool
    province: str | None
    province_code: str | None
    city: str | None
    city_code: str | None
    district: str | None
    district_code: str | None
    remote: bool
    created_ts: float
    paid_ts: float | None
    message: str
    memo: str
    seller_flag: str
    tags: frozenset[str]
    first_purchase: bool | None
    blacklisted: bool
    warehouse: str | None
    #: SKU -> units that weight_g, weight_unknown, categories and bulky describe
    #: (None on facts put together by hand rather than weighed here)
    _weighed: Mapping[str, int] | None = None

    def _copy(self) -> OrderFacts:
        # A plain __dict__ (no __slots__) so that a copy is one dict copy:
        # copying 27 slots by name cost more than the conditions reading them.
        twin = OrderFacts.__new__(OrderFacts)
        twin.__dict__.update(self.__dict__)
        return twin

    def with_lines(self, lines: Iterable[Line], catalog: Catalog) -> OrderFacts:
        """These facts with the weight, categories and bulk of ``lines`` (gift lines
        included). What was bought does not change: gifts are never bought."""
        twin = self._copy()
        shipped: dict[str, int] = {}
        for line in lines:
            if line.sku is not None and line.refund not in _GONE:
                shipped[line.sku] = shipped.get(line.sku, 0) + line.quantity
        _weigh(twin, shipped, catalog)
        return twin

    def for_shipment(
        self, lines: Iterable[tuple[str | None, int]], warehouse: str, catalog: Catalog
    ) -> OrderFacts:
        """These facts with SKUs, weight and categories of one parcel (gifts included)."""
        narrowed = self._copy()
        skus: dict[str, int] = {}
        for sku, quantity in lines:
            if sku is not None:
                skus[sku] = skus.get(sku, 0) + quantity
        narrowed.skus = skus
        narrowed.items = sum(skus.values())
        weighed = self._weighed
        # A parcel of everything, in the same order, weighs what the order does
        # (same order: float sums and the list of unknown SKUs follow it).
        if weighed is None or skus != weighed or list(skus) != list(weighed):
            _weigh(narrowed, skus, catalog)
        narrowed.warehouse = warehouse
        return narrowed


def order_facts(order: Order, context: DecisionContext, catalog: Catalog) -> OrderFacts:
    """The facts of ``order`` under ``context``; pure, no I/O."""
    facts = OrderFacts()
    facts.shop = order.shop_id
    facts.channel = order.channel
    facts.order_type = order.order_type.value
    facts.paid = order.amounts.paid
    facts.goods_total = order.amounts.goods_total
    bought: dict[str, int] = {}
    shipped: dict[str, int] = {}  # everything that travels, gifts included
    for line in order.lines:
        sku = line.sku
        if sku is None or line.refund in _GONE:
            continue
        shipped[sku] = shipped.get(sku, 0) + line.quantity
        if not line.is_gift:
            bought[sku] = bought.get(sku, 0) + line.quantity
    facts.skus = bought
    facts.items = sum(bought.values())
    _weigh(facts, shipped, catalog)
    receiver = order.receiver
    facts.province = province_short(receiver.province or receiver.province_code)
    facts.province_code = receiver.province_code or province_code(facts.province)
    facts.city = local_name(receiver.city)
    facts.city_code = receiver.city_code
    facts.district = local_name(receiver.district)
    facts.district_code = receiver.district_code
    facts.remote = catalog.is_remote(facts.province, facts.city, receiver.flags)
    facts.created_ts = order.created_at.timestamp()
    facts.paid_ts = order.paid_at.timestamp() if order.paid_at is not None else None
    facts.message = (order.buyer.message or "").strip()
    facts.memo = (order.seller_memo or "").strip()
    facts.seller_flag = order.seller_flag.value
    facts.tags = frozenset(order.tags)
    facts.first_purchase = context.first_purchase_in_shop
    facts.blacklisted = context.blacklisted
    facts.warehouse = None
    return facts


def _weigh(facts: OrderFacts, skus: Mapping[str, int], catalog: Catalog) -> None:
    weight = 0.0
    unknown: list[str] = []
    categories: set[str] = set()
    bulky = False
    known = catalog.skus
    for sku, quantity in skus.items():
        info = known.get(sku)
        if info is None:
            unknown.append(sku)
            continue
        if info.weight_g is None:
            unknown.append(sku)
        else:
            weight += info.weight_g * quantity
        if info.category is not None:
            categories.add(info.category)
        if info.bulky:
            bulky = True
    facts.weight_g = weight
    facts.weight_unknown = tuple(unknown)
    facts.categories = frozenset(categories)
    facts.bulky = bulky
    facts._weighed = skus


def bought_lines(order: Order) -> list[Line]:
    """Lines the buyer paid for and still wants (no gifts, no refunded lines)."""
    return [line for line in order.lines if not line.is_gift and line.refund not in _GONE]


def available(stock: Mapping[tuple[str, str], int], sku: str, catalog: Catalog) -> int:
    """Units of ``sku`` in all warehouses (those of the config, else those in ``stock``)."""
    warehouses: Iterable[str] = catalog.warehouses or {w for _, w in stock}
    units = 0
    for warehouse in warehouses:  # a loop: sum() over a generator costs a frame
        units += stock.get((sku, warehouse), 0)
    return units
