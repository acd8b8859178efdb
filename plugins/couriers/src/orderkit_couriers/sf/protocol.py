"""SF Express (顺丰开放平台 / 丰桥) protocol facts and the ``msgDigest`` signature.

Reference: couriers_address.md A1. One URL (``/std/service``) for every API,
a form POST whose ``serviceCode`` selects the API, business JSON in
``msgData``; ``msgDigest`` = base64(md5(urlencode(msgData + timestamp +
checkWord))) with Java's ``URLEncoder`` rules.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote_plus

from orderkit_couriers.common import md5_base64

CODE: Final = "sf"
PRODUCTION_URL: Final = "https://bspgw.sf-express.com"
#: SF's own sandbox (丰桥 sandbox), for a real sandbox account.
SF_SANDBOX_URL: Final = "https://sfapi-sbox.sf-express.com"
#: orderkit's in-process sandbox.
LOCAL_SANDBOX_URL: Final = "http://sf.sandbox.invalid"
SERVICE_PATH: Final = "/std/service"
FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded;charset=UTF-8"

CREATE_ORDER: Final = "EXP_RECE_CREATE_ORDER"

#: Platform envelope: the call was accepted and the service answered.
API_OK: Final = "A1000"
#: Business result inside ``apiResultData``.
BUSINESS_OK: Final = "S0000"
#: 重复下单 (a third-party constants file; the doc says a reused orderId
#: returns the first order's result instead).
DUPLICATE_ORDER: Final = "8016"

#: Platform result codes other than A1000. Only A1000 is in the reference; the
#: rest are SF's public code table as recalled: UNCONFIRMED (see README).
API_CODES: Final[dict[str, str]] = {
    "A1001": "必传参数不可为空",
    "A1002": "请求时效已过期",
    "A1003": "IP无效",
    "A1004": "无对应服务权限",
    "A1005": "流量受控",
    "A1006": "数字签名无效",
    "A1007": "重复请求",
    "A1008": "数据解密失败",
    "A1009": "目标服务异常或不可达",
    "A1099": "系统异常",
}
#: Worth retrying: throttled, the service behind the gateway down, system error.
TRANSIENT_API_CODES: Final = frozenset({"A1005", "A1009", "A1099"})

#: ``filterResult`` (筛单) and the reason codes in ``remark`` when it is 3.
FILTER_MANUAL, FILTER_OK, FILTER_REFUSED = 1, 2, 3
FILTER_REASONS: Final[dict[str, str]] = {
    "1": "收方超范围 (pickup side not served)",
    "2": "派方超范围 (destination not served)",
    "3": "other reason",
}

#: ``waybillType`` of the parent waybill (2 child, 3 sign-back).
PARENT_WAYBILL: Final = 1
#: 15 characters: "SF" + 13 digits (e.g. SF7444496931331, the sandbox example).
WAYBILL_PATTERN: Final = re.compile(r"SF[0-9]{13}")
#: ``orderId`` is at most 64 characters.
MAX_ORDER_ID: Final = 64


def java_urlencode(text: str) -> str:
    """``URLEncoder.encode(text, "UTF-8")`` as Java does it.

    Python's ``quote_plus`` differs on two characters only: Java leaves ``*``
    alone and encodes ``~``.
    """
    return quote_plus(text, safe="*").replace("~", "%7E")


def msg_digest(msg_data: str, timestamp: str, check_word: str) -> str:
    """SF's ``msgDigest`` for the digital-signature mode."""
    return md5_base64(java_urlencode(msg_data + timestamp + check_word))
