"""ZTO (中通开放平台 ZOP) protocol facts and the ``data_digest`` signature.

Reference: couriers_address.md A2. JSON POST with the API name in the URL
path; ``x-companyid`` (the app key) and ``x-datadigest`` =
base64(md5(body + appSecret)) headers, as ZTO's own ``zopsdk-php`` does.
"""

from __future__ import annotations

import re
from typing import Final

from orderkit_couriers.common import md5_base64

CODE: Final = "zto"
PRODUCTION_URL: Final = "https://japi.zto.com"
#: ZTO's own test environment.
ZTO_TEST_URL: Final = "https://japi-test.zto.com"
#: orderkit's in-process sandbox.
LOCAL_SANDBOX_URL: Final = "http://zto.sandbox.invalid"
CREATE_ORDER: Final = "zto.open.createOrder"
CREATE_ORDER_PATH: Final = "/" + CREATE_ORDER
JSON_CONTENT_TYPE: Final = "application/json; charset=UTF-8"

#: Header names of ZTO's SDK. DISAGREEMENT: a 2025 note writes x-appKey /
#: x-dataDigest; the sandbox accepts both spellings (see README).
COMPANY_HEADER: Final = "x-companyid"
DIGEST_HEADER: Final = "x-datadigest"
ALT_COMPANY_HEADER: Final = "x-appkey"

OK_STATUS: Final = "0000"

#: Public (system) error codes from the reference.
SYSTEM_CODES: Final[dict[str, str]] = {
    "S200": "timeout",
    "S202": "backend error",
    "S203": "unavailable",
    "S206": "per-minute/hour call quota reached",
    "S207": "no such API",
    "S208": "missing parameter",
    "S210": "no permission",
    "S211": "bad signature",
    "S212": "IP allow-list",
    "S214": "bad timestamp",
    "S221": "QPS flow control",
}
#: Worth retrying: timeouts, backend trouble, quotas and flow control.
TRANSIENT_CODES: Final = frozenset({"S200", "S202", "S203", "S206", "S221"})

#: The reference's example is 14 digits (73100196611386); older numbers have
#: 12 digits starting 5, 6 or 7. Both are accepted.
WAYBILL_PATTERN: Final = re.compile(r"7[0-9]{13}|[567][0-9]{11}")
#: ``partnerOrderCode`` length: not in the reference; 32 is a safe choice (README).
MAX_ORDER_ID: Final = 32

#: Sample values of ``partnerType`` / ``orderType`` (meanings UNCONFIRMED, README).
DEFAULT_PARTNER_TYPE: Final = "2"
DEFAULT_ORDER_TYPE: Final = "1"


def data_digest(body: str, app_secret: str) -> str:
    """ZTO's ``x-datadigest`` for a JSON body: base64(md5(body + appSecret))."""
    return md5_base64(body + app_secret)
