"""Facts of the TOP protocol that the client and the sandbox share.

Gateway URLs, API names, system-parameter values, the error-code table, the
"ban will last" message and the GMT+8 time format (channels.md §1.1-1.3, §1.8,
§1.11). Both sides import these so the sandbox cannot drift from the client on
a constant; the *behaviour* on each side is written separately.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from enum import IntEnum
from typing import Final

#: Production gateway (one path for every API; the API is the ``method`` parameter).
PRODUCTION_URL: Final = "https://eco.taobao.com/router/rest"
ROUTER_PATH: Final = "/router/rest"
#: Where ``endpoint: sandbox`` points. ``.invalid`` never resolves, so a client
#: that is not wired to the in-process transport fails instead of calling out.
SANDBOX_URL: Final = "http://taobao.sandbox.invalid/router/rest"

API_VERSION: Final = "2.0"
FORMAT_JSON: Final = "json"
SIGN_METHODS: Final = ("md5", "hmac", "hmac-sha256")
FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded;charset=utf-8"

INCREMENT_GET: Final = "taobao.trades.sold.increment.get"
FULLINFO_GET: Final = "taobao.trade.fullinfo.get"
OFFLINE_SEND: Final = "taobao.logistics.offline.send"

#: end_modified - start_modified may not exceed this (30 minutes recommended).
MAX_WINDOW: Final = timedelta(days=1)
RECOMMENDED_WINDOW: Final = timedelta(minutes=30)
#: Only trades of the last three months are served.
LOOKBACK: Final = timedelta(days=90)
MAX_PAGE_SIZE: Final = 100
DEFAULT_PAGE_SIZE: Final = 40  # the platform's default when page_size is absent
#: The request timestamp may differ from the server clock by at most this.
MAX_SKEW: Final = timedelta(minutes=10)
#: Trade types served when the ``type`` parameter is absent (§1.4); other types
#: silently do not appear.
DEFAULT_TRADE_TYPES: Final = ("guarantee_trade", "auto_delivery", "ec", "cod", "step")


class TopCode(IntEnum):
    """Top-level ``error_response.code`` values (channels.md §1.8)."""

    UPLOAD_FAIL = 3
    APP_CALL_LIMITED = 7
    HTTP_ACTION_NOT_ALLOWED = 9
    SERVICE_UNAVAILABLE = 10
    INSUFFICIENT_ISV_PERMISSIONS = 11
    INSUFFICIENT_USER_PERMISSIONS = 12
    INSUFFICIENT_PARTNER_PERMISSIONS = 13
    REMOTE_SERVICE_ERROR = 15
    MISSING_METHOD = 21
    INVALID_METHOD = 22
    INVALID_FORMAT = 23
    MISSING_SIGNATURE = 24
    INVALID_SIGNATURE = 25
    MISSING_SESSION = 26
    INVALID_SESSION = 27
    MISSING_APP_KEY = 28
    INVALID_APP_KEY = 29
    MISSING_TIMESTAMP = 30
    INVALID_TIMESTAMP = 31
    MISSING_VERSION = 32
    INVALID_VERSION = 33
    UNSUPPORTED_VERSION = 34
    MISSING_REQUIRED_ARGUMENTS = 40
    INVALID_ARGUMENTS = 41
    INSUFFICIENT_SESSION_PERMISSIONS = 42
    PARAMETER_ERROR = 43
    INVALID_ACCESS_TOKEN = 44
    INVALID_ENCODING = 47
    BUSINESS_ERROR = 50
    INSUFFICIENT_SECURITY_LEVEL = 53


#: The ``msg`` the platform sends with each code.
CODE_MESSAGES: Final[dict[int, str]] = {
    TopCode.UPLOAD_FAIL: "Upload Fail",
    TopCode.APP_CALL_LIMITED: "App Call Limited",
    TopCode.HTTP_ACTION_NOT_ALLOWED: "Http Action Not Allowed",
    TopCode.SERVICE_UNAVAILABLE: "Service Currently Unavailable",
    TopCode.INSUFFICIENT_ISV_PERMISSIONS: "Insufficient ISV Permissions",
    TopCode.INSUFFICIENT_USER_PERMISSIONS: "Insufficient User Permissions",
    TopCode.INSUFFICIENT_PARTNER_PERMISSIONS: "Insufficient Partner Permissions",
    TopCode.REMOTE_SERVICE_ERROR: "Remote service error",
    TopCode.MISSING_METHOD: "Missing Method",
    TopCode.INVALID_METHOD: "Invalid Method",
    TopCode.INVALID_FORMAT: "Invalid Format",
    TopCode.MISSING_SIGNATURE: "Missing Signature",
    TopCode.INVALID_SIGNATURE: "Invalid Signature",
    TopCode.MISSING_SESSION: "Missing Session",
    TopCode.INVALID_SESSION: "Invalid Session",
    TopCode.MISSING_APP_KEY: "Missing App Key",
    TopCode.INVALID_APP_KEY: "Invalid App Key",
    TopCode.MISSING_TIMESTAMP: "Missing Timestamp",
    TopCode.INVALID_TIMESTAMP: "Invalid Timestamp",
    TopCode.MISSING_VERSION: "Missing Version",
    TopCode.INVALID_VERSION: "Invalid Version",
    TopCode.UNSUPPORTED_VERSION: "Unsupported Version",
    TopCode.MISSING_REQUIRED_ARGUMENTS: "Missing Required Arguments",
    TopCode.INVALID_ARGUMENTS: "Invalid Arguments",
    TopCode.INSUFFICIENT_SESSION_PERMISSIONS: "Insufficient session permissions",
    TopCode.PARAMETER_ERROR: "Parameter Error",
    TopCode.INVALID_ACCESS_TOKEN: "Invalid access token",
    TopCode.INVALID_ENCODING: "Invalid encoding",
    TopCode.BUSINESS_ERROR: "Business Error",
    TopCode.INSUFFICIENT_SECURITY_LEVEL: "Insufficient security level",
}

#: Throttling sub_codes seen in the field (§1.8).
THROTTLE_SUB_CODES: Final = frozenset(
    {
        "accesscontrol.limited-by-api-access-count",
        "accesscontrol.limited-by-app-access-count",
        "accesscontrol.limited-by-app-api-access-count",
        "isp.call-limited",
    }
)

#: The ban message carried in ``sub_msg`` of a throttling error; parse N, wait N+1 s.
BAN_MESSAGE: Final = "This ban will last for {seconds} more seconds"
_BAN_RE: Final = re.compile(r"ban will last for (\d+) more second", re.IGNORECASE)


def ban_seconds(text: str | None) -> int | None:
    """N from "This ban will last for N more seconds", or None when absent."""
    if not text:
        return None
    match = _BAN_RE.search(text)
    return int(match.group(1)) if match else None


def response_key(method: str) -> str:
    """The success envelope's root key: ``taobao.trade.fullinfo.get`` ->
    ``trade_fullinfo_get_response``."""
    name = method.removeprefix("taobao.")
    return name.replace(".", "_") + "_response"


# -- time -------------------------------------------------------------------

#: TOP speaks GMT+8 in requests and responses. China has had no DST since 1991,
#: so a fixed offset equals Asia/Shanghai for every date TOP serves, and is faster.
GMT8: Final = timezone(timedelta(hours=8), "GMT+8")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def format_time(value: datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in GMT+8; sub-seconds are dropped (floored).

    :raises ValueError: ``value`` is naive (its zone would be a guess).
    """
    if value.tzinfo is None:
        raise ValueError("TOP times need a timezone-aware datetime")
    local = value.astimezone(GMT8)
    return (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d} "
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
    )


def parse_time(text: str) -> datetime:
    """Parse ``yyyy-MM-dd HH:mm:ss`` (GMT+8) into an aware datetime.

    Hand-sliced rather than ``strptime``: mapping parses several times per
    trade and the sandbox parses every request.

    :raises ValueError: anything else, with the text in the message.
    """
    if (
        len(text) != 19
        or text[4] != "-"
        or text[7] != "-"
        or text[10] != " "
        or text[13] != ":"
        or text[16] != ":"
    ):
        raise ValueError(f"not a TOP time (yyyy-MM-dd HH:mm:ss): {text!r}")
    try:
        return datetime(
            int(text[0:4]),
            int(text[5:7]),
            int(text[8:10]),
            int(text[11:13]),
            int(text[14:16]),
            int(text[17:19]),
            tzinfo=GMT8,
        )
    except ValueError as exc:
        raise ValueError(f"not a TOP time (yyyy-MM-dd HH:mm:ss): {text!r}") from exc


def epoch_seconds(value: datetime) -> int:
    """Whole seconds since the epoch, floored (TOP times have second resolution)."""
    return int((value - _EPOCH) // timedelta(seconds=1))


def from_epoch(seconds: int) -> datetime:
    """The UTC datetime of ``seconds`` since the epoch."""
    return _EPOCH + timedelta(seconds=seconds)
