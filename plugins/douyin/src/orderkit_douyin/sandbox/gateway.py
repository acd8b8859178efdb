"""The sandbox's Doudian gateway: checks a request as the platform does and
answers with the documented envelope (§2.1-2.6, §2.10).

Checks, in order (first failure answers): known method path and a matching
``method``; ``app_key``; ``v=2``; ``sign_method``; ``timestamp`` (unix seconds
or ``yyyy-MM-dd HH:mm:ss`` China time, within ``max_skew``); ``sign`` over
the body exactly as received; the body in canonical ``param_json`` form
(sorted keys, compact, unescaped: what the official SDKs send); then the
access token, throttling (60000), injected failures (20000), and the
method's own parameters (pages from 0, ``size`` 1-100, the window).

Codes and ``sub_code`` s come from the platform's table (§2.4). Where the
reference gives a code but no sub_code (40004 bad business parameters, 50002
refused shipments, 60000), the ``sub_code`` text is the sandbox's own.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

from orderkit.clock import CHINA_TZ

from orderkit_douyin.protocol import (
    LOGISTICS_ADD,
    MAX_PAGE_SIZE,
    ORDER_DETAIL,
    SEARCH_LIST,
    SIGN_METHODS,
    TOKEN_CREATE,
    TOKEN_METHODS,
    TOKEN_REFRESH,
    DoudianCode,
    path_method,
)
from orderkit_douyin.sandbox.book import Change, OrderBook
from orderkit_douyin.sandbox.generator import Expected, Stage, Version, render
from orderkit_douyin.signing import canonical_json, sign

JSON_TYPE: Final = "application/json;charset=UTF-8"
METHODS: Final = frozenset({SEARCH_LIST, ORDER_DETAIL, LOGISTICS_ADD, TOKEN_CREATE, TOKEN_REFRESH})
TOKEN_TTL_S: Final = 7 * 86400

Answer = tuple[int, dict[str, str], bytes]


class Refusal(Exception):
    """An error envelope to answer with."""

    def __init__(self, code: int, sub_code: str, sub_msg: str, *, retry_after: float | None = None):
        super().__init__(f"{code} {sub_code}: {sub_msg}")
        self.code = code
        self.sub_code = sub_code
        self.sub_msg = sub_msg
        self.retry_after = retry_after


_MSG: Final = {
    DoudianCode.SERVICE_UNAVAILABLE: "服务不可用",
    DoudianCode.MISSING_PLATFORM_PARAM: "缺少必选参数",
    DoudianCode.MISSING_BUSINESS_PARAM: "缺少业务参数",
    DoudianCode.INVALID_PLATFORM_PARAM: "非法的参数",
    DoudianCode.INVALID_BUSINESS_PARAM: "非法的业务参数",
    DoudianCode.PLATFORM_PROCESSING_FAILED: "平台处理失败",
    DoudianCode.BUSINESS_FAILURE: "业务处理失败",
    DoudianCode.RATE_LIMITED: "触发限流",
    DoudianCode.PARAM_ERROR: "参数错误",
}


@dataclass
class GatewayState:
    """Credentials the gateway accepts and the failures it injects."""

    app_key: str
    app_secret: str
    access_token: str
    refresh_token: str
    expired: set[str] = field(default_factory=set)
    #: accepted calls left before the current access token expires (None: never)
    expire_after: int | None = None
    #: may the token be refreshed (False: the seller revoked the authorisation)
    refreshable: bool = True
    throttle_next: int = 0
    retry_after: float = 1.0
    throttle_rate: float = 0.0
    fail_next: int = 0
    transient_rate: float = 0.0
    max_skew_s: float = 600.0
    max_window_s: int = 86400
    tokens_issued: int = 0


class Gateway:
    """Answers Doudian calls against an ``OrderBook``."""

    def __init__(
        self,
        book: OrderBook,
        state: GatewayState,
        now: Callable[[], float],
        *,
        seed: int,
        on_changes: Callable[[list[Change]], None],
    ) -> None:
        self.book = book
        self.state = state
        self._now = now
        self._rng = random.Random(seed ^ 0x5EED)
        self._on_changes = on_changes
        self._log_ids = 0
        self.calls: dict[str, int] = {}

    # -- one request --------------------------------------------------------------------

    def handle(self, path: str, query: Mapping[str, str], body: bytes) -> Answer:
        """Answer one request: (HTTP status, headers, JSON body)."""
        method = path_method(path)
        self.calls[method] = self.calls.get(method, 0) + 1
        try:
            self._advance()
            params = self._check(method, query, body)
            data = self._dispatch(method, params)
        except Refusal as refusal:
            return self._error(refusal)
        return self._ok(data)

    def _advance(self) -> None:
        changes = self.book.advance(int(self._now()))
        if changes:
            self._on_changes(changes)

    def _check(self, method: str, query: Mapping[str, str], body: bytes) -> dict[str, Any]:
        if method not in METHODS:
            raise Refusal(30000, "isv.method-not-found", f"unknown API {method!r}")
        if query.get("method") != method:
            raise Refusal(40003, "isv.parameter-format-invalid", "method must match the URL path")
        state = self.state
        app_key = query.get("app_key")
        if not app_key:
            raise Refusal(40001, "isv.app-id-missing", "缺少app_key")
        if app_key != state.app_key:
            raise Refusal(40003, "isv.app-id-invalid", "app_key不存在")
        if query.get("v") != "2":
            raise Refusal(40003, "isv.parameter-format-invalid", "v must be 2")
        sign_method = query.get("sign_method") or "md5"  # omitted -> md5 (older SDKs)
        if sign_method not in SIGN_METHODS:
            raise Refusal(40003, "isv.parameter-format-invalid", f"sign_method {sign_method}")
        timestamp = query.get("timestamp", "")
        when = _parse_timestamp(timestamp)
        if when is None:
            raise Refusal(40003, "isv.timestamp-format-error", "timestamp格式错误")
        if abs(when - self._now()) > state.max_skew_s:
            raise Refusal(40003, "isv.timestamp-invalid", "timestamp已过期或超前")
        given = query.get("sign")
        if not given:
            raise Refusal(40001, "isv.signature-missing", "缺少sign")
        try:
            param_json = body.decode("utf-8")
        except UnicodeDecodeError:
            raise Refusal(40003, "isv.parameter-format-invalid", "body is not UTF-8") from None
        # The body is verified exactly as received: what was signed is what came.
        expected = sign(app_key, state.app_secret, method, param_json, timestamp, sign_method)
        if given.lower() != expected:
            raise Refusal(40003, "isv.signature-invalid", "签名校验失败")
        try:
            params = json.loads(param_json) if param_json else {}
        except ValueError:
            raise Refusal(40003, "isv.parameter-format-invalid", "param_json is not JSON") from None
        if not isinstance(params, dict) or canonical_json(params) != (param_json or "{}"):
            raise Refusal(
                40003, "isv.parameter-format-invalid", "param_json is not in canonical form"
            )
        if method not in TOKEN_METHODS:
            self._check_token(query.get("access_token"))
        if state.throttle_next > 0 or (
            state.throttle_rate and self._rng.random() < state.throttle_rate
        ):
            state.throttle_next = max(0, state.throttle_next - 1)
            raise Refusal(60000, "isp.flow-limit", "触发限流", retry_after=state.retry_after)
        if state.fail_next > 0 or (
            state.transient_rate and self._rng.random() < state.transient_rate
        ):
            state.fail_next = max(0, state.fail_next - 1)
            raise Refusal(20000, "isp.service-error", "服务暂不可用，请稍后重试")
        return params

    def _check_token(self, token: str | None) -> None:
        state = self.state
        if not token:
            raise Refusal(40001, "isv.access-token-missing", "缺少access_token")
        if token in state.expired:
            raise Refusal(40003, "isv.access-token-expired", "access_token已过期")
        if token != state.access_token:
            raise Refusal(40003, "isv.access-token-no-existed", "access_token不存在")
        if state.expire_after is not None:
            if state.expire_after <= 0:
                state.expired.add(token)
                state.expire_after = None
                raise Refusal(40003, "isv.access-token-expired", "access_token已过期")
            state.expire_after -= 1

    def _dispatch(self, method: str, params: dict[str, Any]) -> bytes:
        if method == SEARCH_LIST:
            return self._search(params)
        if method == ORDER_DETAIL:
            return self._detail(params)
        if method == LOGISTICS_ADD:
            return self._logistics_add(params)
        return self._token(method, params)

    # -- order APIs ---------------------------------------------------------------------

    def _search(self, params: Mapping[str, Any]) -> bytes:
        page = _whole(params, "page", default=0)
        size = _whole(params, "size", default=10)
        if page < 0:
            raise _bad_param("page starts at 0")
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise _bad_param(f"size must be 1-{MAX_PAGE_SIZE}")
        order_by = params.get("order_by", "create_time")
        if order_by not in ("create_time", "update_time"):
            raise _bad_param("order_by is create_time or update_time")
        ascending = params.get("order_asc", False)
        if not isinstance(ascending, bool):
            raise _bad_param("order_asc is a boolean")
        if "update_time_start" in params or "update_time_end" in params:
            start = _whole(params, "update_time_start", default=0)
            end = _whole(params, "update_time_end", default=int(self._now()))
            key = "update"
        else:
            start = _whole(params, "create_time_start", default=0)
            end = _whole(params, "create_time_end", default=int(self._now()))
            key = "create"
        if end < start:
            raise _bad_param("the window ends before it starts")
        if end - start > self.state.max_window_s:
            raise _bad_param(f"the window may not exceed {self.state.max_window_s} s")
        hits = (
            self.book.by_update_time(start, end)
            if key == "update"
            else self.book.by_create_time(start, end)
        )
        if key != order_by.split("_")[0]:  # sorted by the other time
            hits = sorted(hits, key=lambda hit: self._sort_time(hit[1], order_by))
        if not ascending:
            hits = hits[::-1]
        chosen = hits[page * size : (page + 1) * size]
        items = []
        for _, order_id in chosen:
            record = self.book.get(order_id)
            assert record is not None and record.current is not None
            items.append(order_json(record.base, record.current, detail=False))
        return b'{"page":%d,"shop_order_list":[%s],"size":%d,"total":%d}' % (
            page,
            b",".join(items),
            size,
            len(hits),
        )

    def _sort_time(self, order_id: int, order_by: str) -> tuple[int, int]:
        record = self.book.get(order_id)
        assert record is not None and record.current is not None
        at = record.current.at if order_by == "update_time" else record.base.created_s
        return (at, order_id)

    def _detail(self, params: Mapping[str, Any]) -> bytes:
        record = self._record(params.get("shop_order_id"), "shop_order_id")
        assert record.current is not None
        return b'{"shop_order_detail":%s}' % order_json(record.base, record.current, detail=True)

    def _record(self, value: Any, name: str) -> Any:
        if value in (None, ""):
            raise Refusal(40002, "isv.missing-parameter", f"缺少{name}")
        if not isinstance(value, str) or not value.isdigit():
            raise _bad_param(f"{name} is the order id as a string")
        record = self.book.get(int(value))
        if record is None:
            raise Refusal(40004, "isv.business-parameter-invalid", "订单不存在")
        return record

    def _logistics_add(self, params: Mapping[str, Any]) -> bytes:
        for name in ("order_id", "company_code", "logistics_code"):
            if not params.get(name):
                raise Refusal(40002, "isv.missing-parameter", f"缺少{name}")
        record = self._record(params["order_id"], "order_id")
        current = record.current
        assert current is not None  # get() returns visible records only
        stage = current.stage
        uploaded = current.extra.get("logistics_info") or []
        if any(p.get("tracking_no") == params["logistics_code"] for p in uploaded):
            raise Refusal(50002, "isv.business-failed:already-shipped", "订单已发货")
        if stage.order_status not in (105, 2, 101):
            raise Refusal(50002, "isv.business-failed:status-invalid", "订单状态不允许发货")
        refund_pending = any(s[2] is not None and s[2][1] in (6, 7, 11) for s in stage.skus)
        if refund_pending and params.get("is_refund_reject") is not True:
            raise Refusal(50002, "isv.business-failed:refund-pending", "订单有售后，不能发货")
        now = max(int(self._now()), current.at + 1)
        parcel = {
            "tracking_no": params["logistics_code"],
            "company": params["company_code"],
            "company_name": params["company_code"],
            "ship_time": now,
        }
        # Douyin still says "to ship" (2) until the courier's first scan: see scan().
        version = Version(now, stage, current.malformed, {"logistics_info": [*uploaded, parcel]})
        change = self.book.put(record.order_id, version)
        if change is not None:
            self._on_changes([change])
        return b"{}"

    def scan(self, order_id: int) -> Change | None:
        """The courier's first scan of an uploaded parcel: Douyin now says 3."""
        record = self.book.get(order_id)
        if record is None:
            raise KeyError(str(order_id))
        current = record.current
        assert current is not None  # get() returns visible records only
        if not current.extra.get("logistics_info"):
            raise ValueError(f"order {order_id} has no uploaded tracking number to scan")
        stage = current.stage
        shipped = Stage(
            3,
            3,
            Expected("in_transit", stage.expected.refund, stage.expected.presale),
            tuple((3, 3, sale, True) for _, _, sale, _ in stage.skus),
            stage.presale,
        )
        now = max(int(self._now()), current.at + 1)
        change = self.book.put(order_id, replace(current, at=now, stage=shipped, cache={}))
        if change is not None:
            self._on_changes([change])
        return change

    # -- tokens ---------------------------------------------------------------------------

    def _token(self, method: str, params: Mapping[str, Any]) -> bytes:
        state = self.state
        grant = params.get("grant_type")
        if method == TOKEN_REFRESH:
            if grant != "refresh_token":
                raise Refusal(50001, "dop.token-generate-failed:grant-type-invalid", "grant_type")
            if params.get("refresh_token") != state.refresh_token:
                raise Refusal(50001, "dop.token-generate-failed:token-invalid", "refresh_token无效")
        elif grant not in ("authorization_self", "authorization_code"):
            raise Refusal(50001, "dop.token-generate-failed:grant-type-invalid", "grant_type")
        if not state.refreshable:
            raise Refusal(50001, "dop.token-generate-failed:no-authorization", "店铺授权已失效")
        access, refresh = self.issue_tokens()
        return json.dumps(
            {
                "access_token": access,
                "expires_in": TOKEN_TTL_S,
                "refresh_token": refresh,
                "scope": "SCOPE",
                "shop_id": 4_463_798,
                "shop_name": "orderkit 抖店沙箱",
                "authority_id": "",
                "auth_subject_type": "MiniApp",
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")

    def issue_tokens(self) -> tuple[str, str]:
        """New access and refresh tokens; the old ones stop working."""
        state = self.state
        state.tokens_issued += 1
        state.expired.add(state.access_token)
        state.access_token = f"{state.access_token.split('~', 1)[0]}~{state.tokens_issued}"
        state.refresh_token = f"{state.refresh_token.split('~', 1)[0]}~{state.tokens_issued}"
        state.expire_after = None
        state.expired.discard(state.access_token)
        return state.access_token, state.refresh_token

    # -- envelopes --------------------------------------------------------------------------

    def _log_id(self) -> bytes:
        self._log_ids += 1
        return b"2026111100000000%010d" % self._log_ids

    def _ok(self, data: bytes) -> Answer:
        body = (
            b'{"code":10000,"data":%s,"log_id":"%s","msg":"success","sub_code":"","sub_msg":""}'
            % (data, self._log_id())
        )
        return 200, {"Content-Type": JSON_TYPE}, body

    def _error(self, refusal: Refusal) -> Answer:
        body = json.dumps(
            {
                "code": refusal.code,
                "data": None,
                "log_id": self._log_id().decode(),
                "msg": _MSG.get(refusal.code, "error"),  # type: ignore[call-overload]
                "sub_code": refusal.sub_code,
                "sub_msg": refusal.sub_msg,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        headers = {"Content-Type": JSON_TYPE}
        if refusal.retry_after is not None:
            headers["Retry-After"] = f"{refusal.retry_after:g}"
        return 200, headers, body


def order_json(base: Any, version: Version, *, detail: bool) -> bytes:
    cached = version.cache.get(detail)
    if cached is None:
        cached = json.dumps(
            render(base, version, detail=detail), ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
        version.cache[detail] = cached
    return cached


def _parse_timestamp(text: str) -> float | None:
    # DISAGREEMENT (§2.2): the official SDKs send unix seconds, community
    # SDKs "yyyy-MM-dd HH:mm:ss" China time; both are accepted.
    if text.isdigit():
        return float(text)
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA_TZ).timestamp()
    except ValueError:
        return None


def _whole(params: Mapping[str, Any], name: str, *, default: int) -> int:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad_param(f"{name} must be a whole number")
    return value


def _bad_param(message: str) -> Refusal:
    return Refusal(40004, "isv.business-parameter-invalid", message)
