"""YTO (圆通) "open" gateway protocol facts and the ``sign`` signature.

Reference: couriers_address.md A3. JSON POST to
``/open/<method>/<version>/<token>/<customerCode>`` with a body
``{timestamp (ms), param (JSON text), sign, format: "JSON"}`` and
sign = base64(md5(param + method + version + secret)).

The error envelope and codes are UNCONFIRMED (the reference has none); the
choice below is explained in the README.
"""

from __future__ import annotations

import re
from typing import Final

from orderkit_couriers.common import md5_base64

CODE: Final = "yto"
PRODUCTION_URL: Final = "https://openapi.yto.net.cn:11443"
#: YTO's own UAT environment.
YTO_UAT_URL: Final = "https://openuat.yto56test.com:6443"
#: orderkit's in-process sandbox.
LOCAL_SANDBOX_URL: Final = "http://yto.sandbox.invalid"
CREATE_ORDER: Final = "privacy_create_adapter"
VERSION: Final = "v1"
FORMAT_JSON: Final = "JSON"
JSON_CONTENT_TYPE: Final = "application/json;charset=UTF-8"

#: Error codes of orderkit's choice (UNCONFIRMED, README), in the envelope
#: ``{"success": false, "code": ..., "reason": ...}``.
ERROR_CODES: Final[dict[str, str]] = {
    "AUTH_ERROR": "customer code or API token not recognised",
    "SIGN_ERROR": "签名校验失败",
    "PARAM_ERROR": "参数错误",
    "RATE_LIMIT": "调用频率超限",
    "SYSTEM_ERROR": "系统异常",
}
TRANSIENT_CODES: Final = frozenset({"RATE_LIMIT", "SYSTEM_ERROR"})

#: "YT" + 13 digits (e.g. YT2819014489339).
WAYBILL_PATTERN: Final = re.compile(r"YT[0-9]{13}")
#: ``logisticsNo`` length: not in the reference; 32 is a safe choice (README).
MAX_ORDER_ID: Final = 32
#: One client limits ``goods`` to 20 entries.
MAX_GOODS: Final = 20


def api_path(method: str, token: str, customer_code: str) -> str:
    """The URL path of one API for one customer code and its per-API token."""
    return f"/open/{method}/{VERSION}/{token}/{customer_code}"


def sign(param: str, method: str, version: str, secret: str) -> str:
    """YTO's ``sign``: base64(md5(param + method + version + secret))."""
    return md5_base64(param + method + version + secret)
