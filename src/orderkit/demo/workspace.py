"""The demo's config: one sandbox shop per installed channel that ships a
sandbox, the own-site channel, two warehouses, the field's rules."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

SHOP = """\
  - id: demo-{code}
    channel: {code}
    name: Demo {code} shop
    endpoint: sandbox
    app_key: sandbox-app
    app_secret: "sandbox:demo-secret"
{credentials}    settings:
      initial_lookback_hours: 7
      calls_per_second: 1000
      burst: 1000
      sandbox: {{orders: {orders}, seed: {seed}, start: "{start}", end: "{end}"}}
"""

CONFIG = """\
# Written by `orderkit demo`: sandbox shops, a SQLite file, the field's rules.
version: 1
database:
  url: sqlite:///{db}
shops:
{shops}  - id: own-mini
    channel: own
    name: Own mini-program
warehouses:
  - {{code: HZ, name: 杭州仓, regions: [浙江, 江苏, 上海, 安徽, 江西, 福建],
     province: 浙江省, city: 杭州市, district: 余杭区, address: 仓前街道文一西路1500号,
     contact: 王仓管, phone: "0571-88880000"}}
  - {{code: GZ, name: 广州仓, regions: [广东, 广西, 海南, 湖南, 云南, 贵州, 四川, 重庆],
     province: 广东省, city: 广州市, district: 白云区, address: 太和镇大源北路88号,
     contact: 李仓管, phone: "020-66660000"}}
skus:
{skus}
couriers:
  - code: zto
    name: 中通
    endpoint: sandbox
    app_key: demo-zto
    app_secret: "sandbox:demo-zto"
    fallback: [sf]
  - code: yto
    name: 圆通
    endpoint: sandbox
    customer_code: DEMO01
    app_key: demo-yto
    app_secret: "sandbox:demo-yto"
    fallback: [sf]
  - code: jd
    name: 京东物流
    endpoint: sandbox
    customer_code: DEMO01
    app_key: demo-jd
    app_secret: "sandbox:demo-jd"
    access_token: "sandbox:demo-jd-token"
  - code: sf
    name: 顺丰
    endpoint: sandbox
    partner_id: DEMO_PARTNER
    check_word: "sandbox:demo-sf"
{run}rules:
  holds:
    - {{id: refund, check: refund_in_progress}}
    # Taobao PAID_FORBID_CONSIGN (group buy forming): the platform refuses a waybill
    - {{id: forbid-consign, check: condition, when: {{tags: {{any: [forbid_consign]}}}}}}
    - {{id: addr, check: address_changed}}
    - {{id: doubtful-address, check: address_doubtful}}
    - {{id: big, check: amount_above, limit: 2000}}
    - {{id: memo, check: seller_memo, severity: warn}}
    - {{id: message, check: buyer_message, severity: warn}}
  gifts:
    # the field's example: paid >= 299 and contains 山茶花润肤霜 -> gift G2026-01
    - id: spring-299
      when: {{paid: {{gte: 299}}, sku: {{any: [{camellia}]}}}}
      add: [G2026-01]
  allocation:
    - id: camellia-threshold
      when: {{region: {{province: [华东]}}}}
      warehouses: [HZ, GZ]
      split: fewest_packages
      thresholds:
        - {{sku: SCH-200ML, warehouse: HZ, min_stock: 500}}
  courier:
    # the field's: bulky goods -> a freight courier (JD here), remote areas -> YTO,
    # 江浙沪 -> ZTO; everything else: the first courier above that serves it
    - {{id: bulky, when: {{bulky: true}}, courier: jd, priority: 1}}
    - {{id: remote, when: {{region: {{remote_area: true}}}}, courier: yto}}
    - {{id: jzh, when: {{region: {{province: [江浙沪]}}}}, courier: zto}}
    - id: elsewhere
      when: {{not: {{region: {{province: [江浙沪]}}}}}}
      courier: sf
      priority: 50
"""

#: The SKUs the sandboxes sell (merchant codes), weight in grams; the gift SKU.
SKUS = {
    # the Taobao sandbox's baby-care shop
    "SCH-200ML": 260, "SCH-50ML": 90, "SCH-10ML": 20, "WIPE-80X3": 900, "WIPE-80X12": 3600,
    "BOTTLE-PPSU-240": 180, "BOTTLE-PPSU-160": 150, "WASH-500": 620, "DIAPER-L52": 1800,
    "DIAPER-XL44": 1800, "BUTT-30": 60, "PASTE-50-STRAW": 80,
    # the Douyin sandbox's shop (home, pet and auto parts too)
    "SCH-CREAM-50": 90, "SCH-CREAM-100": 150, "SCH-TRIAL-5": 15, "AP-BRK-TY1": 2400,
    "AP-BRK-VW1": 2400, "BB-PAD-6090": 300, "BBPAD80120": 450, "BED-ICE-150": 4200,
    "BED-ICE-180": 5200, "FW120": 900, "FW240": 1700, "HS-BOX-B": 2600, "HS-BOX-W": 2600,
    "KID-CUP-G": 220, "KID-CUP-P": 220, "NUT-30": 600, "NUT30": 600, "PC15": 300, "PC50": 900,
    "PET-CAT-15": 1600, "PET-CAT-50": 5100,
    # the gift
    "G2026-01": 60,
}  # fmt: skip
BULKY = {"BED-ICE-150", "BED-ICE-180", "HS-BOX-B", "HS-BOX-W"}
CAMELLIA = ("SCH-200ML", "SCH-50ML", "SCH-CREAM-50", "SCH-CREAM-100")


#: Credential names per channel; Taobao (TOP) speaks of a session.
_TOKENS = {"douyin": ("access_token", "refresh_token")}


def _credentials(code: str) -> str:
    names = _TOKENS.get(code, ("session",))
    return "".join(f'    {name}: "sandbox:demo-{name}"\n' for name in names)


def write_config(
    directory: Path,
    channels: list[str],
    *,
    orders: int,
    start: datetime,
    end: datetime,
    orderkit_books: bool = False,
) -> Path:
    """The demo's config. ``orderkit_books``: no ERP prints waybills, so
    orderkit books the couriers itself (``run.book_pickups``)."""
    shops = "".join(
        SHOP.format(
            code=code,
            orders=orders,
            seed=index + 7,
            start=start.isoformat(),
            end=end.isoformat(),
            credentials=_credentials(code),
        )
        for index, code in enumerate(sorted(channels))
    )
    skus = "\n".join(
        f"  {sku}: {{weight_g: {grams}, bulky: {str(sku in BULKY).lower()}}}"
        for sku, grams in SKUS.items()
    )
    text = CONFIG.format(
        db=directory / "orderkit.db",
        shops=shops,
        skus=skus,
        camellia=", ".join(CAMELLIA),
        run="run: {book_pickups: true}\n" if orderkit_books else "",
    )
    path = directory / "orderkit.yaml"
    path.write_text(text, encoding="utf-8")
    return path
