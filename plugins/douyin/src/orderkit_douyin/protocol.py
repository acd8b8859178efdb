"""Facts about the Doudian open platform (抖店开放平台) the client, the sync and
the sandbox share (channels.md §2). Pure: no I/O.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from enum import IntEnum
from typing import Final

CHANNEL: Final = "douyin"

PRODUCTION_URL: Final = "https://openapi-fxg.jinritemai.com"
#: The platform's own sandbox gateway (§2.1); the in-process sandbox answers as
#: ``SANDBOX_URL`` below, which is not a real host.
PLATFORM_SANDBOX_URL: Final = "https://openapi-sandbox.jinritemai.com"
SANDBOX_URL: Final = "http://douyin.sandbox.invalid"

API_VERSION: Final = "2"
SIGN_METHODS: Final = ("hmac-sha256", "md5")
DEFAULT_SIGN_METHOD: Final = "hmac-sha256"  # what the official SDKs send
JSON_CONTENT_TYPE: Final = "application/json;charset=UTF-8"
#: Sent by the official Go SDK ("opt into the new error codes", by its name).
NEW_ERROR_CODES_HEADER: Final = ("x-open-no-old-err-code", "1")

SEARCH_LIST: Final = "order.searchList"
ORDER_DETAIL: Final = "order.orderDetail"
LOGISTICS_ADD: Final = "order.logisticsAdd"
TOKEN_CREATE: Final = "token.create"
TOKEN_REFRESH: Final = "token.refresh"
#: Methods called without an ``access_token`` (they issue one).
TOKEN_METHODS: Final = frozenset({TOKEN_CREATE, TOKEN_REFRESH})

MAX_PAGE_SIZE: Final = 100  # order.searchList ``size``; pages count from 0
SUCCESS: Final = 10000


class DoudianCode(IntEnum):
    """Envelope ``code`` values (platform base error codes, §2.4)."""

    SUCCESS = 10000
    PARTIAL_FAILURE = 10001
    SERVICE_UNAVAILABLE = 20000
    INTERNAL_TIMEOUT = 20001
    PARAM_ERROR = 30000
    NO_PERMISSION = 30001
    IP_NOT_WHITELISTED = 30002
    MISSING_PLATFORM_PARAM = 40001
    MISSING_BUSINESS_PARAM = 40002
    INVALID_PLATFORM_PARAM = 40003
    INVALID_BUSINESS_PARAM = 40004
    SERVER_ERROR = 50000
    PLATFORM_PROCESSING_FAILED = 50001
    BUSINESS_FAILURE = 50002
    RATE_LIMITED = 60000
    API_OFFLINE = 70000
    SECURITY_ERROR = 80000
    OTHER = 90000


def method_path(method: str) -> str:
    """``order.searchList`` -> ``/order/searchList`` (§2.1)."""
    if not method or method.startswith(".") or method.endswith(".") or "/" in method:
        raise ValueError(f"not a Doudian method name: {method!r}")
    return "/" + method.replace(".", "/")


def path_method(path: str) -> str:
    """``/order/searchList`` -> ``order.searchList`` (the sandbox's routing)."""
    return path.strip("/").replace("/", ".")


def epoch_seconds(value: datetime) -> int:
    """An aware datetime -> whole unix seconds, floored."""
    if value.tzinfo is None:
        raise ValueError("a naive datetime has no unix time: pass an aware one")
    return math.floor(value.timestamp())


def epoch_seconds_ceil(value: datetime) -> int:
    """An aware datetime -> whole unix seconds, rounded up."""
    if value.tzinfo is None:
        raise ValueError("a naive datetime has no unix time: pass an aware one")
    return math.ceil(value.timestamp())


def from_epoch(seconds: int) -> datetime:
    """Unix seconds -> aware UTC datetime (Douyin times are unix seconds, §2.12)."""
    return datetime.fromtimestamp(seconds, UTC)
