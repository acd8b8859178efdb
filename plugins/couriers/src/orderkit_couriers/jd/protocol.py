"""JD Logistics (京东物流开放平台 LOP) protocol facts and the ``md5-salt`` signature.

Reference: couriers_address.md A4. JSON-array body, API path in the URL, auth
in the query string (``LOP-DN``, ``app_key``, ``access_token``, ``timestamp``,
``v``, ``sign``, ``algorithm``); sign = MD5 hex of
secret + "access_token" + token + "app_key" + appKey + "method" + path +
"param_json" + body + "timestamp" + ts + "v" + "2.0" + secret, upper-cased as
the official Java sample does.

The gateway's error codes are UNCONFIRMED (the reference has none); the
choice below is explained in the README.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Final

from orderkit_couriers.common import md5_hex

CODE: Final = "jd"
PRODUCTION_URL: Final = "https://api.jdl.com"
#: JD's pre-release (UAT) and sandbox hosts.
JD_UAT_URL: Final = "https://uat-api.jdl.com"
JD_SANDBOX_URL: Final = "https://test-api.jdl.com"
#: orderkit's in-process sandbox.
LOCAL_SANDBOX_URL: Final = "http://jd.sandbox.invalid"
CREATE_ORDER_PATH: Final = "/ecap/v1/orders/create"
LOP_DN: Final = "ECAP"
API_VERSION: Final = "2.0"
ALGORITHM: Final = "md5-salt"
JSON_CONTENT_TYPE: Final = "application/json;charset=utf-8"
USER_AGENT: Final = "lop-http/python"
#: ``lop-tz``: the timestamp's UTC offset in hours.
TIMEZONE_HOURS: Final = 8
GMT8: Final = timezone(timedelta(hours=TIMEZONE_HOURS))
TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"

#: A reused ``orderId``: success with this subCode ("商家订单号已被使用").
DUPLICATE_SUB_CODE: Final = "0_0001"

#: Gateway error codes of orderkit's choice (UNCONFIRMED, README) in the
#: documented envelope ``{code, success: false, msg, requestId, subCode, subMsg}``.
ERROR_CODES: Final[dict[int, str]] = {
    1: "参数错误",
    2: "鉴权失败 (app_key, access_token or customerCode refused)",
    3: "签名错误",
    4: "时间戳错误",
    5: "调用频率超限",
    6: "系统繁忙",
}
TRANSIENT_CODES: Final = frozenset({5, 6})

#: "JD" + two letters + 11 digits (e.g. JDVE00132449789).
WAYBILL_PATTERN: Final = re.compile(r"JD[A-Z]{2}[0-9]{11}")
#: ``orderId``: 1-50 characters, unique per merchant.
MAX_ORDER_ID: Final = 50


def lop_timestamp(when: datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in GMT+8, as LOP wants it."""
    return when.astimezone(GMT8).strftime(TIME_FORMAT)


def sign_content(
    *,
    app_secret: str,
    access_token: str,
    app_key: str,
    method: str,
    param_json: str,
    timestamp: str,
    version: str = API_VERSION,
) -> str:
    """The text ``md5-salt`` hashes (the secret salts both ends)."""
    return (
        f"{app_secret}access_token{access_token}app_key{app_key}method{method}"
        f"param_json{param_json}timestamp{timestamp}v{version}{app_secret}"
    )


def sign(
    *,
    app_secret: str,
    access_token: str,
    app_key: str,
    method: str,
    param_json: str,
    timestamp: str,
    version: str = API_VERSION,
) -> str:
    """LOP's ``md5-salt`` signature, upper-case hex."""
    content = sign_content(
        app_secret=app_secret,
        access_token=access_token,
        app_key=app_key,
        method=method,
        param_json=param_json,
        timestamp=timestamp,
        version=version,
    )
    return md5_hex(content, upper=True)
