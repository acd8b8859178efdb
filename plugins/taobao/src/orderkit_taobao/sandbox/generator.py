"""Deterministic TOP trades for the sandbox.

``generate(n, seed, start_s, end_s, ...)`` returns ``n`` trades whose modified
times spread over [start_s, end_s] (epoch seconds), each as a list of
versions. Same arguments, same trades: everything random comes from one
``random.Random(seed)`` consumed in a fixed order.

A trade is a ``Base`` (ids, items, amounts, receiver, buyer) rendered in a
``Scenario`` (which statuses its trade and sub-orders have). A fraction of
trades (``churn_rate``) get a second version, the next step of their
scenario, stamped in (end_s, end_s + churn_horizon]: they change while a sync
runs. Scenarios cover every trade status and refund status, refunds on some
lines, partial shipments, presale, cash on delivery, 0-yuan trials.
"""

from __future__ import annotations

import base64
import random
import time
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate
from typing import Any, Final

from pydantic_core import to_json

from orderkit_taobao.protocol import epoch_seconds, parse_time
from orderkit_taobao.sandbox import catalog
from orderkit_taobao.sandbox.catalog import Product, Region

#: Taobao tids are 19 digits, beyond 2^53: ids here start past that too.
TID_BASE: Final = 3_856_120_074_419_282_791
TID_STEP: Final = 1_000_003  # sub-order ids are tid + k * 1000, so they never collide


@dataclass(slots=True)
class LineBase:
    oid: int
    product: Product
    num: int
    discount_fen: int
    mjz_fen: int  # the line's share of a shop-wide 满减 discount

    @property
    def paid_fen(self) -> int:
        return self.product.price_fen * self.num - self.discount_fen - self.mjz_fen


@dataclass(slots=True)
class Base:
    """What stays the same across a trade's versions."""

    tid: int
    created_s: int
    pay_s: int
    lines: tuple[LineBase, ...]
    post_fee_fen: int
    region: Region
    detail: str
    name: str
    mobile: str
    phone: str
    oaid: str
    nick: str
    open_uid: str
    message: str
    memo: str
    flag: int
    trade_type: str


@dataclass(slots=True)
class LineState:
    status: str
    refund: str = "NO_REFUND"
    consigned: bool = False


@dataclass(slots=True)
class Shape:
    """A scenario applied to one trade: its statuses."""

    status: str
    lines: tuple[LineState, ...]
    step: str | None = None
    paid: bool = True
    ended: bool = False


@dataclass(slots=True)
class Version:
    """One state of a trade: list-visible fields and fullinfo-only fields.

    Treat ``raw`` as frozen once served: its JSON is cached (a change makes a
    new version, as on the platform).
    """

    at: int
    raw: dict[str, Any]
    detail: dict[str, Any]
    malformed: str | None = None  # the field a defect was put in
    _json: str | None = None

    def raw_json(self) -> str:
        """``raw`` as compact JSON, serialised once: serving a trade twice
        (overlapping windows, fullinfo after the list) costs nothing more."""
        if self._json is None:
            # pydantic-core's encoder: compact, UTF-8 kept, like the platform's
            self._json = to_json(self.raw).decode()
        return self._json


@dataclass(slots=True)
class Generated:
    base: Base | None
    versions: list[Version] = field(default_factory=list)


# -- scenarios ---------------------------------------------------------------


def _l(status: str, refund: str = "NO_REFUND", consigned: bool = False) -> LineState:
    return LineState(status, refund, consigned)


_PAY: Final = _l("WAIT_BUYER_PAY")
_TO_SHIP: Final = _l("WAIT_SELLER_SEND_GOODS")
_SHIPPED: Final = _l("WAIT_BUYER_CONFIRM_GOODS", consigned=True)
_FINISHED: Final = _l("TRADE_FINISHED", consigned=True)
_BY_TAOBAO: Final = _l("TRADE_CLOSED_BY_TAOBAO")


@dataclass(frozen=True)
class Scenario:
    """Which statuses a trade has: every sub-order in ``line``, except one
    (picked at random) in ``special``; ``some_shipped`` ships a random part."""

    weight: float
    status: str
    line: LineState
    special: LineState | None = None
    some_shipped: bool = False
    min_lines: int = 1
    trade_type: str = "fixed"
    step: str | None = None
    paid: bool = True
    ended: bool = False
    then: str | None = None  # the next step when the trade changes (churn)

    def shape(self, rng: random.Random, n: int) -> Shape:
        if self.some_shipped:
            cut = _between(rng, 1, n - 1)
            lines = tuple(_SHIPPED if i < cut else _TO_SHIP for i in range(n))
        elif self.special is not None:
            pick = _below(rng, n)
            lines = tuple(self.special if i == pick else self.line for i in range(n))
        else:
            lines = (self.line,) * n
        return Shape(self.status, lines, self.step, self.paid, self.ended)


_WSSG: Final = "WAIT_SELLER_SEND_GOODS"
_WBCG: Final = "WAIT_BUYER_CONFIRM_GOODS"

#: Every trade status and refund status of channels.md §1.6/1.7, refunds on
#: some lines, partial shipments, presale, COD, 0-yuan trials. Weights are
#: relative shares.
SCENARIOS: Final[dict[str, Scenario]] = {
    "unpaid": Scenario(5, "WAIT_BUYER_PAY", _PAY, paid=False, then="to_ship"),
    "no_create_pay": Scenario(1, "TRADE_NO_CREATE_PAY", _l("TRADE_NO_CREATE_PAY"), paid=False),
    "pay_pending": Scenario(0.5, "PAY_PENDING", _l("PAY_PENDING"), paid=False, then="to_ship"),
    "pre_auth": Scenario(
        0.5, "WAIT_PRE_AUTH_CONFIRM", _PAY, trade_type="pre_auth_type", paid=False
    ),
    "forbid_consign": Scenario(1, "PAID_FORBID_CONSIGN", _TO_SHIP, then="to_ship"),
    "to_ship": Scenario(28, _WSSG, _TO_SHIP, then="shipped"),
    "free_trial": Scenario(0.5, _WSSG, _TO_SHIP, trade_type="nopaid", then="shipped"),
    "refund_requested": Scenario(
        3, _WSSG, _TO_SHIP, special=_l(_WSSG, "WAIT_SELLER_AGREE"), then="refund_rejected"
    ),
    "partial_refund": Scenario(
        2, _WSSG, _TO_SHIP, special=_l("TRADE_CLOSED", "SUCCESS"), min_lines=2
    ),
    "refund_rejected": Scenario(
        1, _WSSG, _TO_SHIP, special=_l(_WSSG, "SELLER_REFUSE_BUYER"), then="shipped"
    ),
    "part_shipped": Scenario(
        4, "SELLER_CONSIGNED_PART", _TO_SHIP, some_shipped=True, min_lines=2, then="shipped"
    ),
    "shipped": Scenario(20, _WBCG, _SHIPPED, then="finished"),
    "return_requested": Scenario(
        2, _WBCG, _SHIPPED, special=_l(_WBCG, "WAIT_BUYER_RETURN_GOODS", True), then="returned"
    ),
    "returned": Scenario(1, _WBCG, _SHIPPED, special=_l(_WBCG, "WAIT_SELLER_CONFIRM_GOODS", True)),
    "cod_signed": Scenario(
        1, "TRADE_BUYER_SIGNED", _l("TRADE_BUYER_SIGNED", consigned=True), trade_type="cod"
    ),
    "finished": Scenario(18, "TRADE_FINISHED", _FINISHED, ended=True),
    "finished_partial_refund": Scenario(
        1.5,
        "TRADE_FINISHED",
        _FINISHED,
        special=_l("TRADE_CLOSED", "SUCCESS", True),
        min_lines=2,
        ended=True,
    ),
    "finished_refund_closed": Scenario(
        1, "TRADE_FINISHED", _FINISHED, special=_l("TRADE_FINISHED", "CLOSED", True), ended=True
    ),
    "closed_before_shipping": Scenario(
        3, "TRADE_CLOSED", _l("TRADE_CLOSED", "SUCCESS"), ended=True
    ),
    "closed_after_shipping": Scenario(
        2, "TRADE_CLOSED", _l("TRADE_CLOSED", "SUCCESS", True), ended=True
    ),
    "closed_by_taobao": Scenario(
        4, "TRADE_CLOSED_BY_TAOBAO", _BY_TAOBAO, paid=False, ended=True
    ),
    "presale_deposit_unpaid": Scenario(
        0.5, "WAIT_BUYER_PAY", _PAY, trade_type="step", step="FRONT_NOPAID_FINAL_NOPAID",
        paid=False, then="presale_deposit_paid",
    ),
    "presale_deposit_paid": Scenario(
        1.5, "WAIT_BUYER_PAY", _PAY, trade_type="step", step="FRONT_PAID_FINAL_NOPAID",
        paid=False, then="presale_balance_paid",
    ),
    "presale_balance_paid": Scenario(
        1.5, _WSSG, _TO_SHIP, trade_type="step", step="FRONT_PAID_FINAL_PAID",
        then="presale_shipped",
    ),
    "presale_shipped": Scenario(
        0.5, _WBCG, _SHIPPED, trade_type="step", step="FRONT_PAID_FINAL_PAID"
    ),
    "presale_forfeited": Scenario(
        0.5, "TRADE_CLOSED_BY_TAOBAO", _BY_TAOBAO, trade_type="step",
        step="FRONT_PAID_FRONT_FORFEITED", paid=False, ended=True,
    ),
}  # fmt: skip

_GMT8_SECONDS: Final = 8 * 3600  # GMT8's offset; China has no DST
_SCENARIO_NAMES: Final = tuple(SCENARIOS)
_SCENARIO_CUM: Final = tuple(accumulate(spec.weight for spec in SCENARIOS.values()))
_REGION_CUM: Final = tuple(accumulate(region.weight for region in catalog.REGIONS))
_PRODUCT_CUM: Final = tuple(accumulate(product.weight for product in catalog.PRODUCTS))
_LINE_COUNTS: Final = (1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4)
_QUANTITIES: Final = (1, 1, 1, 1, 1, 1, 1, 2, 2, 3)

#: Scenario age ranges (seconds between creation and the first version).
_AGES: Final = {
    False: (60, 6 * 3600),  # unpaid trades are young
    True: (5 * 60, 12 * 86400),
}

#: The defects ``malformed_rate`` puts into trades: (field, how).
DEFECTS: Final = (
    ("payment", "12.3.4"),
    ("orders", None),
    ("created", "2026/11/11 10:00"),
    ("orders[0].num", 0),
    ("orders[0].price", "-5.00"),
)


def _pick(rng: random.Random, cumulative: Sequence[float], items: Sequence[Any]) -> Any:
    return items[bisect(cumulative, rng.random() * cumulative[-1])]


# random.choice/randint/randrange are ~5x slower than one random() call, and
# generation makes dozens of draws per trade; these keep 50,000 trades quick.
def _choice(rng: random.Random, items: Sequence[Any]) -> Any:
    return items[int(rng.random() * len(items))]


def _below(rng: random.Random, n: int) -> int:
    return int(rng.random() * n)


def _between(rng: random.Random, lo: int, hi: int) -> int:
    return lo + int(rng.random() * (hi - lo + 1))


def yuan(fen: int) -> str:
    """20007 -> ``"200.07"``."""
    return f"{fen // 100}.{fen % 100:02d}"


def top_time(epoch: int) -> str:
    """Epoch seconds -> ``yyyy-MM-dd HH:mm:ss`` GMT+8 (China has no DST)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch + _GMT8_SECONDS))


def _token(rng: random.Random, nbytes: int) -> str:
    raw = rng.getrandbits(nbytes * 8).to_bytes(nbytes, "big")
    return base64.b64encode(raw, altchars=b"Aa").decode("ascii").rstrip("=")


# -- one trade ---------------------------------------------------------------


def _base(rng: random.Random, index: int, scenario: str, first_s: int) -> Base:
    spec = SCENARIOS[scenario]
    trade_type = spec.trade_type
    count = max(spec.min_lines, _choice(rng, _LINE_COUNTS))
    picked: list[int] = []
    while len(picked) < count:  # distinct SKUs per trade
        number = bisect(_PRODUCT_CUM, rng.random() * _PRODUCT_CUM[-1])
        if number not in picked:
            picked.append(number)
    products = [catalog.PRODUCTS[number] for number in picked]
    tid = TID_BASE + index * TID_STEP
    mjz_total = _choice(rng, (0, 0, 0, 1000, 2000, 3000)) if count > 1 else 0
    lines = []
    for k, product in enumerate(products):
        num = _choice(rng, _QUANTITIES)
        gross = product.price_fen * num
        discount = min(gross // 4, _choice(rng, (0, 0, 0, 500, 1000, 2000)))
        mjz = min(gross - discount, mjz_total // count)
        if trade_type == "nopaid":
            discount, mjz = gross, 0  # a 0-yuan trial: fully discounted
        lines.append(LineBase(tid + (k + 1) * 1000, product, num, discount, mjz))
    region: Region = _pick(rng, _REGION_CUM, catalog.REGIONS)
    post_fee = 0 if rng.random() < 0.8 else (2000 if region.remote else _choice(rng, (800, 1000)))
    lo, hi = _AGES[spec.paid]
    created = first_s - _between(rng, lo, hi)
    pay_s = created + _between(rng, 5, max(6, min(900, first_s - created)))
    surname = _choice(rng, catalog.SURNAMES)
    mobile_tail = f"{_below(rng, 10000):04d}"
    has_message = rng.random() < 0.08
    flag = _choice(rng, (1, 1, 2, 3, 4, 5)) if rng.random() < 0.04 else 0
    return Base(
        tid=tid,
        created_s=created,
        pay_s=pay_s,
        lines=tuple(lines),
        post_fee_fen=post_fee,
        region=region,
        detail=_detail(rng, region),
        name=surname + "*" * (1 if rng.random() < 0.3 else 2),
        # A privacy (virtual) number now and then: 18877771111-1234, masked.
        mobile=f"*******{mobile_tail}"
        + (f"-{_below(rng, 10000):04d}" if rng.random() < 0.05 else ""),
        phone="" if rng.random() < 0.9 else f"0571-****{_below(rng, 10000):04d}",
        oaid=_token(rng, 48),
        nick=f"{_choice(rng, 'tabcxyz')}**{_below(rng, 10)}",
        open_uid="AAG" + _token(rng, 15),
        message=_choice(rng, catalog.BUYER_MESSAGES) if has_message else "",
        memo=_choice(rng, catalog.SELLER_MEMOS)
        if flag
        else ("" if rng.random() < 0.97 else "已核对"),
        flag=flag,
        trade_type=trade_type,
    )


def _detail(rng: random.Random, region: Region) -> str:
    road = _choice(rng, catalog.ROADS)
    text = f"{road}***号{_choice(rng, catalog.PLACES)}**幢***室"
    roll = rng.random()
    if roll < 0.12:  # the buyer repeats the region in the detail
        text = f"{region.state}{region.city}{region.district}{text}"
    if rng.random() < 0.15:
        sep = _choice(rng, ("，", " ", "（", ","))
        remark = _choice(rng, catalog.ADDRESS_REMARKS)
        text = f"{text}{sep}{remark}" + ("）" if sep == "（" else "")
    return text


def render(base: Base, shape: Shape, at: int, consign_s: int | None) -> Version:
    """The trade as TOP returns it, in ``shape``, modified at ``at``."""
    consigned_any = any(line.consigned for line in shape.lines)
    if consigned_any and consign_s is None:
        consign_s = min(at, base.pay_s + (at - base.pay_s) // 2)
    total = sum(line.product.price_fen * line.num for line in base.lines)
    discount = sum(line.discount_fen + line.mjz_fen for line in base.lines)
    payment = sum(line.paid_fen for line in base.lines) + base.post_fee_fen
    single = len(base.lines) == 1
    orders = []
    for index, (line, state) in enumerate(zip(base.lines, shape.lines, strict=True)):
        product = line.product
        order: dict[str, Any] = {
            "oid": line.oid,
            "oid_str": str(line.oid),
            "num_iid": product.num_iid,
            "title": product.title,
            "num": line.num,
            "price": yuan(product.price_fen),
            "total_fee": yuan(line.paid_fen),
            # A one-line trade's order.payment includes the postage (§1.4).
            "payment": yuan(line.paid_fen + (base.post_fee_fen if single else 0)),
            "discount_fee": yuan(line.discount_fen),
            "adjust_fee": "0.00",
            "divide_order_fee": yuan(line.paid_fen),
            "part_mjz_discount": yuan(line.mjz_fen),
            "status": state.status,
            "refund_status": state.refund,
            "is_oversold": False,
            "shipping_type": "express",
        }
        if product.sku_id:
            order["sku_id"] = product.sku_id
            order["sku_properties_name"] = product.properties
        if product.outer_iid:
            order["outer_iid"] = product.outer_iid
        if product.outer_sku_id:
            order["outer_sku_id"] = product.outer_sku_id
        if state.refund != "NO_REFUND":
            order["refund_id"] = str(line.oid + 7)
        if state.consigned and consign_s is not None:
            code, name = catalog.COURIER_NAMES[
                (base.tid // TID_STEP + index) % len(catalog.COURIER_NAMES)
            ]
            order["consign_time"] = top_time(consign_s)
            order["logistics_company"] = name
            order["invoice_no"] = f"{catalog.WAYBILL_PREFIX[code]}{line.oid % 10**12:012d}"
        if shape.ended or state.status in ("TRADE_CLOSED", "TRADE_FINISHED"):
            order["end_time"] = top_time(at)
        orders.append(order)
    region = base.region
    raw: dict[str, Any] = {
        "tid": base.tid,
        "tid_str": str(base.tid),
        "status": shape.status,
        "type": base.trade_type,
        "created": top_time(base.created_s),
        "modified": top_time(at),
        "payment": yuan(payment),
        "post_fee": yuan(base.post_fee_fen),
        "total_fee": yuan(total),
        "discount_fee": yuan(discount),
        "adjust_fee": "0.00",
        "received_payment": yuan(payment) if shape.status == "TRADE_FINISHED" else "0.00",
        "buyer_nick": base.nick,
        "buyer_open_uid": base.open_uid,
        "seller_nick": catalog.SELLER_NICK,
        "has_buyer_message": bool(base.message),
        "seller_flag": base.flag,
        "shipping_type": "express",
        "receiver_name": base.name,
        "receiver_mobile": base.mobile,
        "receiver_phone": base.phone,
        "receiver_address": base.detail,
        "receiver_state": region.state,
        "receiver_city": region.city,
        "receiver_district": region.district,
        "receiver_town": region.town,
        "receiver_zip": region.zip,
        "receiver_country": "",
        "oaid": base.oaid,
        "orders": {"order": orders},
    }
    if shape.paid:
        raw["pay_time"] = top_time(base.pay_s)
    if consigned_any and consign_s is not None:
        raw["consign_time"] = top_time(consign_s)
    if shape.ended:
        raw["end_time"] = top_time(at)
    if shape.step is not None:
        raw["step_trade_status"] = shape.step
        deposit = payment // 5 if shape.step != "FRONT_NOPAID_FINAL_NOPAID" else 0
        raw["step_paid_fee"] = yuan(payment if shape.step == "FRONT_PAID_FINAL_PAID" else deposit)
    detail: dict[str, Any] = {}
    if base.message:
        detail["buyer_message"] = base.message
    if base.memo:
        detail["seller_memo"] = base.memo
    return Version(at=at, raw=raw, detail=detail)


def _break(version: Version, rng: random.Random, defect: int | None = None) -> None:
    """Put one defect into a version (``malformed_rate``; ``defect`` picks one)."""
    field_name, value = DEFECTS[_below(rng, len(DEFECTS)) if defect is None else defect]
    raw = version.raw
    if field_name == "orders":
        del raw["orders"]
    elif field_name.startswith("orders[0]."):
        raw["orders"]["order"][0][field_name.split(".", 1)[1]] = value
    else:
        raw[field_name] = value
    version.malformed = field_name


def consign_time_of(version: Version) -> int | None:
    """The version's consign time in epoch seconds, if it has one."""
    text = version.raw.get("consign_time")
    if not isinstance(text, str):
        return None
    return epoch_seconds(parse_time(text))


def generate(
    count: int,
    *,
    seed: int,
    start_s: int,
    end_s: int,
    churn_rate: float,
    churn_horizon_s: int,
    malformed_rate: float,
) -> list[Generated]:
    """``count`` trades, modified over [start_s, end_s]; see the module docstring."""
    rng = random.Random(seed)
    span = max(0, end_s - start_s)
    trades: list[Generated] = []
    for index in range(count):
        first = start_s + int(rng.random() * (span + 1))
        if rng.random() < 0.01:  # on a half-hour mark: where sync windows start and end
            first = min(end_s, max(start_s, first - first % 1800))
        scenario = _pick(rng, _SCENARIO_CUM, _SCENARIO_NAMES)
        generated = one_trade(rng, index, scenario, first)
        base, version = generated.base, generated.versions[0]
        assert base is not None
        successor = SCENARIOS[scenario].then
        if successor is not None and rng.random() < churn_rate:
            later = end_s + 1 + int(rng.random() * max(1, churn_horizon_s))
            generated.versions.append(next_version(base, version, successor, later, rng))
        if malformed_rate and rng.random() < malformed_rate:
            _break(generated.versions[-1], rng)
        trades.append(generated)
    return trades


def one_trade(rng: random.Random, index: int, scenario: str, at: int) -> Generated:
    """Trade number ``index`` in ``scenario``, modified at ``at``."""
    base = _base(rng, index, scenario, at)
    shape = SCENARIOS[scenario].shape(rng, len(base.lines))
    return Generated(base, [render(base, shape, at, None)])


def break_trade(generated: Generated) -> None:
    """Break the latest version's ``payment`` (a defect every mapping must catch)."""
    _break(generated.versions[-1], random.Random(0), defect=0)


def next_version(
    base: Base, current: Version, scenario: str, at: int, rng: random.Random
) -> Version:
    """The trade moved on to ``scenario`` at ``at``."""
    shape = SCENARIOS[scenario].shape(rng, len(base.lines))
    if shape.paid and "pay_time" not in current.raw:
        base = replace(base, pay_s=at)  # it was paid just now
    # Sub-orders consigned now carry this version's time; earlier ones keep theirs.
    return render(base, shape, at, consign_time_of(current) or at)
