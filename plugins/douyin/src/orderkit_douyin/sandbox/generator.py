"""Deterministic Douyin shop orders for the sandbox.

``generate(n, seed, start_s, end_s, ...)`` returns ``n`` orders whose update
times spread over [start_s, end_s] (unix seconds), each as one or two
versions. Same arguments, same orders: everything random comes from one
``random.Random(seed)`` consumed in a fixed order (ciphertexts and address
ids are hashes of the order's own fields).

An order is a ``Base`` (ids, SKU orders, amounts, receiver, buyer) shown at a
``Stage`` of its ``Scenario`` (the shop and SKU statuses, after-sales,
parcels). A share of orders (``churn_rate``) get a second version, the next
stage, stamped in (end_s, end_s + churn_horizon]: they change while a sync
runs. Scenarios cover every ``order_status`` and ``main_status``, the
after-sale statuses and types, partial shipment (101), presale (103) and
risk review (105). Each stage carries what a correct sync must show on the
canonical axes, written by hand here, independently of the plugin's table.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from orderkit_douyin.sandbox import catalog
from orderkit_douyin.sandbox.catalog import Product, Region

#: Douyin shop order ids are 19 digits, beyond 2^53. Ids step by 10; a shop
#: order's SKU orders are id + 1 ... id + 4, so no two ids ever collide.
ORDER_ID_BASE: Final = 6_920_000_000_000_000_000
ORDER_ID_STEP: Final = 10
SHOP_ID: Final = 4_463_798  # the sandbox shop's Douyin id


@dataclass(frozen=True, slots=True)
class Expected:
    """What a correct sync holds for a version, on the canonical axes."""

    lifecycle: str
    refund: str = "none"
    presale: str = "none"


#: (after_sale_type, after_sale_status, refund_status)
AfterSale = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Stage:
    order_status: int
    main_status: int
    expected: Expected
    #: per SKU order: (order_status, main_status, after-sale or None, shipped)
    skus: tuple[tuple[int, int, AfterSale | None, bool], ...]
    presale: bool = False


@dataclass(slots=True)
class SkuBase:
    order_id: int
    product: Product
    sku: int
    num: int
    discount_fen: int

    @property
    def sum_fen(self) -> int:
        return self.product.price_fen * self.num

    @property
    def pay_fen(self) -> int:
        return self.sum_fen - self.discount_fen


@dataclass(slots=True)
class Base:
    """What stays the same across an order's versions."""

    order_id: int
    created_s: int
    pay_s: int
    skus: tuple[SkuBase, ...]
    post_fen: int
    region: Region
    detail: str
    name: str
    phone_tail: int
    buyer_words: str
    seller_words: str
    stars: int
    scenario: str
    thin: bool = False


@dataclass(slots=True)
class Version:
    """One state of an order: its stage, update time and (lazily) its JSON."""

    at: int
    stage: Stage
    malformed: str | None = None
    #: extra top-level fields set by the sandbox (logistics uploads...)
    extra: dict[str, Any] = field(default_factory=dict)
    cache: dict[bool, bytes] = field(default_factory=dict)  # detail? -> JSON bytes


@dataclass(slots=True)
class Generated:
    base: Base
    versions: list[Version]


# -- scenarios ------------------------------------------------------------------

StageBuilder = Callable[[int, random.Random], Stage]


def _same(
    code: int,
    main: int,
    expected: Expected,
    *,
    sale: AfterSale | None = None,
    shipped: bool = False,
    presale: bool = False,
) -> StageBuilder:
    """Every SKU order in ``code`` / ``main``; ``sale`` on every one of them."""

    def build(n: int, rng: random.Random) -> Stage:
        return Stage(
            code, main, expected, tuple((code, main, sale, shipped) for _ in range(n)), presale
        )

    return build


def _first(
    code: int,
    main: int,
    expected: Expected,
    sale: AfterSale,
    *,
    shipped: bool = False,
    first_code: int | None = None,
    first_main: int | None = None,
) -> StageBuilder:
    """``sale`` on the first SKU order only (optionally in its own status)."""

    def build(n: int, rng: random.Random) -> Stage:
        head = (first_code or code, first_main or main, sale, shipped)
        rest = tuple((code, main, None, shipped) for _ in range(n - 1))
        return Stage(code, main, expected, (head, *rest))

    return build


def _partly_shipped(n: int, rng: random.Random) -> Stage:
    shipped = rng.randint(1, n - 1)
    skus = tuple((3, 3, None, True) if i < shipped else (2, 2, None, False) for i in range(n))
    return Stage(101, 101, Expected("partially_shipped"), skus)


PAID = Expected("paid")
IN_TRANSIT = Expected("in_transit")
COMPLETED = Expected("completed")

#: name -> (weight, minimum SKU orders, stages in order)
SCENARIOS: Final[dict[str, tuple[float, int, tuple[StageBuilder, ...]]]] = {
    "happy": (52, 1, (
        _same(1, 1, Expected("pending_payment")),
        _same(105, 105, PAID),
        _same(2, 2, PAID),
        _same(3, 3, IN_TRANSIT, shipped=True),
        _same(5, 5, COMPLETED, shipped=True),
    )),
    "split_parcels": (6, 2, (
        _same(2, 2, PAID),
        _partly_shipped,
        _same(3, 3, IN_TRANSIT, shipped=True),
    )),
    "cancel_unpaid": (5, 1, (
        _same(1, 1, Expected("pending_payment")),
        _same(4, 4, Expected("cancelled")),
    )),
    "user_cancel": (2, 1, (
        _same(2, 2, PAID),
        _same(4, 4, Expected("cancelled", "refunded"), sale=(5, 51, 3)),
    )),
    "refund_before_ship": (4, 1, (
        _first(2, 2, Expected("paid", "requested"), (2, 6, 1)),
        _same(4, 21, Expected("cancelled", "refunded"), sale=(2, 12, 3)),
    )),
    "refund_after_ship": (3, 1, (
        _first(3, 3, Expected("in_transit", "requested"), (1, 6, 1), shipped=True),
        _same(4, 22, Expected("closed", "refunded"), sale=(1, 12, 3), shipped=True),
    )),
    "return_after_receipt": (3, 1, (
        _first(5, 5, Expected("completed", "requested"), (0, 6, 1), shipped=True),
        _first(5, 5, Expected("completed", "in_progress"), (0, 7, 1), shipped=True),
        _same(4, 39, Expected("closed", "refunded"), sale=(0, 12, 3), shipped=True),
    )),
    "refund_refused": (2, 1, (
        _first(2, 2, Expected("paid", "rejected"), (2, 27, 1)),
    )),
    "refused_after_return": (1, 1, (
        _first(5, 5, Expected("completed", "rejected"), (0, 29, 1), shipped=True),
    )),
    "refund_withdrawn": (2, 1, (
        _first(3, 3, IN_TRANSIT, (1, 28, 1), shipped=True),
    )),
    "partial_refund": (3, 2, (
        _first(3, 3, Expected("in_transit", "partially_refunded"), (1, 12, 3), shipped=True,
               first_code=4, first_main=22),
    )),
    "price_protection": (1, 1, (
        _first(2, 2, Expected("paid", "partially_refunded"), (6, 12, 3)),
    )),
    "exchange": (2, 1, (
        _first(5, 5, COMPLETED, (3, 8, 0), shipped=True),
        _first(5, 5, COMPLETED, (3, 13, 0), shipped=True),
        _first(5, 5, COMPLETED, (3, 14, 0), shipped=True),
    )),
    "resend": (1, 1, (_first(3, 3, IN_TRANSIT, (7, 13, 0), shipped=True),)),
    "repair": (1, 1, (_first(5, 5, COMPLETED, (8, 14, 0), shipped=True),)),
    "reverse_done": (1, 1, (
        _same(4, 22, Expected("closed", "refunded"), sale=(1, 53, 3), shipped=True),
    )),
    "after_sale_shipped": (1, 1, (
        _first(3, 3, Expected("in_transit", "in_progress"), (0, 11, 1), shipped=True),
    )),
    "after_sale_idle": (1, 1, (_same(2, 2, PAID, sale=(0, 0, 0)),)),
    "presale": (3, 1, (
        _same(1, 103, Expected("pending_payment", presale="deposit_paid"), presale=True),
        _same(2, 2, Expected("paid", presale="balance_paid"), presale=True),
        _same(3, 3, Expected("in_transit", presale="balance_paid"), shipped=True, presale=True),
    )),
}  # fmt: skip

_NAMES: Final = tuple(SCENARIOS)
_WEIGHTS: Final = tuple(SCENARIOS[name][0] for name in _NAMES)
_SKU_COUNTS: Final = (1, 1, 1, 1, 1, 1, 2, 2, 3, 4)
MALFORMATIONS: Final = (
    "pay_amount",
    "sku_order_list[0].item_num",
    "create_time",
    "sku_order_list[0].parent_order_id",
)


def stage_count(scenario: str) -> int:
    return len(SCENARIOS[scenario][2])


def build_stage(base: Base, index: int, rng: random.Random) -> Stage:
    return SCENARIOS[base.scenario][2][index](len(base.skus), rng)


# -- bases ------------------------------------------------------------------------


def _detail(rng: random.Random, region: Region) -> str:
    template = rng.choice(catalog.DETAIL_TEMPLATES)
    num = rng.randint(1, 999)
    return template.format(
        road=rng.choice(region.roads),
        num=num,
        num_fw=str(num).translate(_FULL_WIDTH),
        community=rng.choice(region.communities),
        bld=rng.randint(1, 30),
        room=rng.randint(101, 2604),
        province=region.province[0],
        city=region.city[0],
        town=region.town[0],
        legacy=region.legacy or region.town[0],
    )


_FULL_WIDTH: Final = str.maketrans("0123456789", "０１２３４５６７８９")


def new_base(
    rng: random.Random,
    order_id: int,
    at: int,
    *,
    scenario: str | None = None,
    buyer: Base | None = None,
    thin_rate: float = 0.0,
) -> Base:
    """One order's unchanging part, created before ``at`` (its first update)."""
    name = scenario or rng.choices(_NAMES, _WEIGHTS)[0]
    minimum = SCENARIOS[name][1]
    count = max(minimum, rng.choice(_SKU_COUNTS))
    skus = []
    for k in range(count):
        product = rng.choice(catalog.PRODUCTS)
        num = rng.choice((1, 1, 1, 2, 3))
        discount = (product.price_fen * num * rng.choice((0, 0, 5, 10, 15))) // 100
        skus.append(
            SkuBase(order_id + 1 + k, product, rng.randrange(len(product.skus)), num, discount)
        )
    created = at - rng.randint(60, 36 * 3600)
    pay = created + rng.randint(5, 900)
    if buyer is not None:  # a returning buyer: same receiver, so the same open_address_id
        region, detail, person, tail = buyer.region, buyer.detail, buyer.name, buyer.phone_tail
    else:
        region = rng.choice(catalog.REGIONS)
        detail = _detail(rng, region)
        person = rng.choice(catalog.SURNAMES) + rng.choice("伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞")
        tail = rng.randrange(10_000)
    return Base(
        order_id=order_id,
        created_s=created,
        pay_s=min(pay, at),
        skus=tuple(skus),
        post_fen=rng.choice((0, 0, 0, 600, 1000)),
        region=region,
        detail=detail,
        name=person,
        phone_tail=tail,
        buyer_words=rng.choice(catalog.BUYER_WORDS),
        seller_words=rng.choice(catalog.SELLER_WORDS),
        stars=rng.choice((0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5)),
        scenario=name,
        thin=rng.random() < thin_rate,
    )


def generate(
    n: int,
    *,
    seed: int,
    start_s: int,
    end_s: int,
    churn_rate: float = 0.02,
    churn_horizon_s: int = 1800,
    malformed_rate: float = 0.0,
    thin_rate: float = 0.002,
    first_id: int | None = None,
) -> list[Generated]:
    """``n`` orders; see the module docstring."""
    rng = random.Random(seed)
    base_id = first_id if first_id is not None else ORDER_ID_BASE + seed * 10**12
    orders: list[Generated] = []
    span = max(0, end_s - start_s)
    for index in range(n):
        at = start_s + (rng.randint(0, span) if span else 0)
        buyer = orders[rng.randrange(len(orders))].base if orders and rng.random() < 0.15 else None
        base = new_base(rng, base_id + index * ORDER_ID_STEP, at, buyer=buyer, thin_rate=thin_rate)
        stages = stage_count(base.scenario)
        first = rng.randrange(stages)
        malformed = rng.choice(MALFORMATIONS) if rng.random() < malformed_rate else None
        versions = [Version(at, build_stage(base, first, rng), malformed)]
        if first + 1 < stages and rng.random() < churn_rate:
            later = end_s + rng.randint(1, max(1, churn_horizon_s))
            versions.append(Version(later, build_stage(base, first + 1, rng), malformed))
        orders.append(Generated(base, versions))
    return orders


# -- rendering -------------------------------------------------------------------


def _ciphers(order_id: int) -> tuple[str, str, str]:
    """Opaque name, phone and address ciphertexts shaped like Douyin's
    (``#…#…#1##``, ``$…$…$1$$``, ``##…##…#1##``), from one hash of the id."""
    digest = hashlib.blake2b(str(order_id).encode(), digest_size=63).digest()
    text = base64.b64encode(digest).decode("ascii")  # 84 characters
    name = f"#{text[0:16]}#{text[16:32]}#1##"
    phone = f"${text[32:48]}${text[48:64]}$1$$"
    address = f"##{text[64:84]}##{text[0:8]}#1##"
    return name, phone, address


_DIGITS: Final = re.compile(r"\d")


def _mask_digits(text: str) -> str:
    # Douyin's masked detail hides the numbers (door, building, room), full-width ones too
    return _DIGITS.sub("*", text)


def _named(pair: tuple[str, str]) -> dict[str, str]:
    return {"name": pair[0], "id": pair[1]} if pair[0] else {}


def _static(base: Base) -> dict[str, Any]:
    """The fields of an order no stage changes."""
    region = base.region
    masked_detail = _mask_digits(base.detail)
    # one receiver, one address id: a returning buyer's orders share it (order merging)
    person = f"{region.town[1]}|{base.detail}|{base.name}|{base.phone_tail}".encode()
    address_hash = hashlib.blake2b(person, digest_size=18).digest()
    name_cipher, phone_cipher, address_cipher = _ciphers(base.order_id)
    levels = {
        "province": _named(region.province),
        "city": _named(region.city),
        "town": _named(region.town),
        "street": _named(region.street),
    }
    phone_masked = f"1{3 + base.phone_tail % 6}{base.phone_tail % 10}****{base.phone_tail:04d}"
    sum_fen = sum(s.sum_fen for s in base.skus)
    static: dict[str, Any] = {
        "order_id": str(base.order_id),
        "shop_id": SHOP_ID,
        "order_type": 0,
        "biz": 2,
        "create_time": base.created_s,
        "order_amount": sum_fen + base.post_fen,
        "pay_amount": sum(s.pay_fen for s in base.skus) + base.post_fen,
        "post_amount": base.post_fen,
        "promotion_amount": sum(s.discount_fen for s in base.skus),
        "tax_amount": 0,
        "buyer_words": base.buyer_words,
        "seller_words": base.seller_words,
        "seller_remark_stars": base.stars,
        "doudian_open_id": "1@#" + base64.b64encode(address_hash[:12]).decode("ascii"),
        "post_receiver": base.name[0] + "**",
        "encrypt_post_receiver": name_cipher,
        "post_tel": phone_masked,
        "encrypt_post_tel": phone_cipher,
        "post_addr": {**levels, "detail": masked_detail, "encrypt_detail": address_cipher},
        "mask_post_receiver": base.name[0] + "**",
        "mask_post_tel": phone_masked,
        "mask_post_addr": {**levels, "detail": masked_detail},
        "open_address_id": "#" + address_hash[12:].hex(),
    }
    skus = []
    for sku in base.skus:
        spec_name, spec_value, out_sku_id, merchant_code = sku.product.skus[sku.sku]
        skus.append(
            {
                "order_id": str(sku.order_id),
                "parent_order_id": str(base.order_id),
                "product_id": str(sku.product.product_id),
                "product_name": sku.product.name,
                "sku_id": str(sku.product.product_id * 100 + sku.sku),
                "out_product_id": sku.product.out_product_id,
                "out_sku_id": out_sku_id,
                "code": merchant_code,
                "spec": [{"name": spec_name, "value": spec_value}],
                "item_num": sku.num,
                "origin_amount": sku.product.price_fen,
                "sum_amount": sku.sum_fen,
                "pay_amount": sku.pay_fen,
                "order_amount": sku.sum_fen,
                "post_amount": 0,
                "goods_type": 0,
            }
        )
    static["sku_order_list"] = skus
    return static


def render(base: Base, version: Version, *, detail: bool) -> dict[str, Any]:
    """The shop order as ``order.orderDetail`` (``detail``) or ``order.searchList``
    returns it at ``version``: a new dict, free to change."""
    stage = version.stage
    static = _static(base)
    skus = []
    parcels = []
    rows = zip(static["sku_order_list"], stage.skus, strict=True)
    for index, (fixed, (code, main, sale, shipped)) in enumerate(rows):
        item = {**fixed, "order_status": code, "main_status": main}
        if sale is not None:  # most SKU orders carry no after-sale at all
            item["after_sale_info"] = {
                "after_sale_type": sale[0],
                "after_sale_status": sale[1],
                "refund_status": sale[2],
            }
        skus.append(item)
        if shipped:
            company = catalog.COMPANIES[(base.order_id // 10 + index) % len(catalog.COMPANIES)]
            parcels.append(
                {
                    "tracking_no": f"7{(base.order_id // 10) % 10**11:011d}{index}",
                    "company": company[1],
                    "company_name": company[0],
                    "ship_time": base.pay_s + 3600,
                }
            )
    paid = stage.order_status != 1 or stage.main_status == 103
    order: dict[str, Any] = {
        **static,
        "order_status": stage.order_status,
        "main_status": stage.main_status,
        "update_time": version.at,
        "pay_time": base.pay_s if paid else 0,
        "finish_time": version.at if stage.order_status == 5 else 0,
        "logistics_info": parcels,
        "order_phase_list": (
            [
                {"phase": 1, "pay_success": True},
                {"phase": 2, "pay_success": stage.main_status != 103},
            ]
            if stage.presale
            else []
        ),
        "sku_order_list": skus,
        **version.extra,
    }
    if not detail and base.thin:  # the list leaves these out: orderDetail has them
        del order["sku_order_list"]
        del order["post_addr"]
    if version.malformed is not None:
        _break(order, version.malformed)
    return order


def _break(order: dict[str, Any], field_name: str) -> None:
    """Put one defect a mapping must refuse into ``order``."""
    skus = order.get("sku_order_list")
    if field_name == "pay_amount":
        order["pay_amount"] = f"{order['pay_amount'] / 100:.2f}"  # yuan text, not fen
    elif field_name == "create_time":
        order["create_time"] = "2026-11-11 10:00:00"
    elif skus and field_name == "sku_order_list[0].item_num":
        skus[0]["item_num"] = 0
    elif skus and field_name == "sku_order_list[0].parent_order_id":
        skus[0]["parent_order_id"] = str(int(order["order_id"]) + ORDER_ID_STEP)
    else:  # a thin list item: break what is left
        order["pay_amount"] = "0.00"
