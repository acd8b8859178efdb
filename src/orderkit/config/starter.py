"""The commented starter config that ``orderkit init`` writes. It must validate
(a test loads it): ops learn the format by editing a file that already works."""

from __future__ import annotations

from collections.abc import Iterable

STARTER_TEMPLATE = """\
# orderkit configuration. Every key is described in schemas/config.schema.json.
# Check this file with:  orderkit config validate
#
# Secrets are never written here. Write env:NAME and set the environment
# variable NAME where orderkit runs. Only a sandbox shop may use sandbox:VALUE.

version: 1

database:
  # SQLite file next to this config; for PostgreSQL/MySQL use env:ORDERKIT_DATABASE_URL
  # so that the password stays out of this file.
  url: sqlite:///orderkit.db
  table_prefix: ok_

shops:
{sandbox_shops}
  # A real shop looks like this (remove the # in front of each line):
  # - id: tmall-flagship
  #   channel: taobao
  #   name: Tmall flagship store
  #   app_key: "12345678"
  #   app_secret: env:TAOBAO_APP_SECRET
  #   session: env:TAOBAO_SESSION_FLAGSHIP
  #   sync_interval: 5m
  #   overlap: 2m         # reach back over the last fetch so late updates are not missed

warehouses:
  - code: HZ
    name: 杭州仓
    regions: [浙江, 江苏, 上海, 安徽]
    priority: 1
  - code: GZ
    name: 广州仓
    regions: [广东, 广西, 福建, 海南]
    priority: 2

skus:
  # Facts rules read, by SKU code. Quote codes made only of digits: "00123".
  山茶花润肤霜:
    weight_g: 120
    volume_cm3: 180
    category: 护肤
  收纳柜-大号:
    weight_g: 18000
    volume_cm3: 240000
    category: 家居
    bulky: true        # bulky goods may need a bulky-goods courier

address:
  remote_areas: [新疆, 西藏, 青海, 内蒙古, 甘肃, 宁夏]
  hard_to_deliver_keywords: [信箱, 部队, 监狱, 驿站]
  min_confidence: 0.8   # cleaned addresses below this confidence are held for review

rules:
  # Every rule has an id; the id is written into each decision's trace.
  holds:
    # Taobao: paid but shipping forbidden (PAID_FORBID_CONSIGN, e.g. a group buy
    # still forming); the platform would refuse a waybill until it clears
    - {id: forbid-consign, check: condition, when: {tags: {any: [forbid_consign]}}}
    - {id: refund, check: refund_in_progress}
  gifts: []
  # gifts:
  #   - id: camellia-gift
  #     ... (see the rules documentation)
  allocation: []
  courier: []

logging:
  format: console   # console for people, json for log collectors
  level: info       # debug, info, warning or error
"""


_SANDBOX_SHOP = """\
  # A {channel} shop on the built-in sandbox: try orderkit without a platform account.
  - id: demo-{channel}
    channel: {channel}
    name: Demo {channel} shop
    endpoint: sandbox
    app_key: sandbox-app
    app_secret: "sandbox:demo-secret"
    session: "sandbox:demo-session"
    sync_interval: 5m     # seconds, or 30s / 5m / 2h
    enabled: true
"""

_OWN_SHOP = """\
  # Orders of your own site or mini-program, pushed in by the ERP (no polling).
  - id: own-mini
    channel: own
    name: Own mini-program
    enabled: true
"""


def starter_config(sandbox_channels: Iterable[str] = ("taobao",)) -> str:
    """The starter config with one sandbox shop per channel in ``sandbox_channels``
    (channels whose plugin ships a sandbox), plus the built-in ``own`` channel."""
    shops = "".join(_SANDBOX_SHOP.format(channel=code) for code in sorted(sandbox_channels))
    return STARTER_TEMPLATE.replace("{sandbox_shops}", shops + _OWN_SHOP)


#: The starter as it reads with the Taobao plugin installed (the documented case).
STARTER_CONFIG = starter_config()
