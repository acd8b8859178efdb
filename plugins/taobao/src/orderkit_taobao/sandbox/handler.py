"""The sandbox's one request handler: form parameters in, (HTTP status, JSON
body) out. The httpx transport and the WSGI app are thin adapters around it.

Checks, in the order a gateway would make them, each answered with the
documented ``error_response`` (channels.md §1.2, §1.3, §1.8):
method (21/22), app_key (28/29), timestamp and its ±10 min skew against the
sandbox clock (30/31), version (32/33), format (23), signature (24/25, md5,
hmac and hmac-sha256), session (26/27), then throttling (7, "This ban will
last for N more seconds") and injected transient failures (15 + isp.*), then
the API's own argument checks (40/41) and business errors (15 + isv.*).

APIs: ``taobao.trades.sold.increment.get`` (window <= 1 day, 3-month lookback,
page_size 1-100, modified-descending pages, ``use_has_next``, ``type`` and
``status`` filters, ``trades`` left out when empty), ``taobao.trade.fullinfo.get``
and ``taobao.logistics.offline.send`` (split by ``sub_tid``; B01 unknown trade,
B04 not shippable, B60 bad waybill, P38 split check failed).

Some sub_code strings for argument errors are this sandbox's choice (the
reference documents the codes, not every sub_code); see the README.
"""

from __future__ import annotations

import json
import math
import random
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic_core import to_json

from orderkit_taobao.protocol import (
    API_VERSION,
    BAN_MESSAGE,
    CODE_MESSAGES,
    DEFAULT_PAGE_SIZE,
    DEFAULT_TRADE_TYPES,
    FORMAT_JSON,
    FULLINFO_GET,
    INCREMENT_GET,
    LOOKBACK,
    MAX_PAGE_SIZE,
    MAX_SKEW,
    MAX_WINDOW,
    OFFLINE_SEND,
    SIGN_METHODS,
    TopCode,
    epoch_seconds,
    parse_time,
    response_key,
)
from orderkit_taobao.sandbox import catalog
from orderkit_taobao.sandbox.book import Record, TradeBook, expected_types, sub_orders_of
from orderkit_taobao.sandbox.generator import Version, top_time
from orderkit_taobao.signing import verify

JSON_TYPE: Final = "application/json;charset=UTF-8"
_WAYBILL: Final = re.compile(r"[A-Za-z0-9]{8,30}")
_SHIPPABLE: Final = frozenset({"WAIT_SELLER_SEND_GOODS", "SELLER_CONSIGNED_PART"})


class Fragment(str):
    """A value that is already JSON text; spliced into the body as is."""


def _encode(value: Any) -> str:
    if isinstance(value, Fragment):
        return value
    return to_json(value).decode()  # compact, UTF-8 kept; several times json.dumps


class TopError(Exception):
    """An ``error_response`` to send back."""

    def __init__(self, code: int, sub_code: str = "", sub_msg: str = "") -> None:
        super().__init__(f"{code} {sub_code}")
        self.code = code
        self.sub_code = sub_code
        self.sub_msg = sub_msg


@dataclass
class GatewayState:
    """What the control methods change: credentials, bans, injected failures."""

    app_key: str
    app_secret: str
    sessions: set[str]
    expired: set[str] = field(default_factory=set)
    ban_until: float = 0.0
    ban_seconds: int = 1
    throttle_rate: float = 0.0
    transient_rate: float = 0.0
    throttle_next: int = 0
    fail_next: int = 0
    expire_after: int | None = None  # calls until the current session expires
    max_skew_s: float = MAX_SKEW.total_seconds()


class TopHandler:
    """Answers TOP requests from a ``TradeBook``.

    :param now: the sandbox clock, as epoch seconds (float).
    """

    def __init__(
        self,
        book: TradeBook,
        gateway: GatewayState,
        now: Callable[[], float],
        *,
        seed: int = 0,
        list_omits: frozenset[str] = frozenset(),
    ) -> None:
        self.book = book
        self.gateway = gateway
        self._now = now
        self._rng = random.Random(seed ^ 0x70B)  # throttling/failure draws, apart from generation
        self._list_omits = list_omits
        self._lock = threading.Lock()
        self._requests = 0
        self.calls: Counter[str] = Counter()
        self._fields_cache: dict[str, tuple[frozenset[str], frozenset[str] | None]] = {}

    # -- entry point ----------------------------------------------------------

    def handle(self, params: Mapping[str, str]) -> tuple[int, bytes]:
        """One request: its parameters -> (HTTP status, JSON body)."""
        with self._lock:
            self._requests += 1
            method = params.get("method", "")
            self.calls[method or "<none>"] += 1
            now = self._now()
            self.book.advance(int(now))
            try:
                self._check_gateway(params, now)
                content = self._dispatch(method, params, now)
            except TopError as error:
                return 200, self._error(error)
            content["request_id"] = self._request_id()
            # Built by hand so cached trade JSON (Fragment) is spliced, not re-encoded.
            inner = ",".join(f"{_encode(k)}:{_encode(v)}" for k, v in content.items())
            return 200, f'{{"{response_key(method)}":{{{inner}}}}}'.encode()

    def _error(self, error: TopError) -> bytes:
        body: dict[str, Any] = {
            "code": error.code,
            "msg": CODE_MESSAGES.get(error.code, "Error"),
        }
        if error.sub_code:
            body["sub_code"] = error.sub_code
        if error.sub_msg:
            body["sub_msg"] = error.sub_msg
        body["request_id"] = self._request_id()
        return json.dumps({"error_response": body}, ensure_ascii=False).encode("utf-8")

    def _request_id(self) -> str:
        return f"sbx{self._requests:010x}"

    # -- gateway checks ------------------------------------------------------

    def _check_gateway(self, params: Mapping[str, str], now: float) -> None:
        gw = self.gateway
        method = params.get("method")
        if not method:
            raise TopError(TopCode.MISSING_METHOD)
        if method not in _APIS:
            raise TopError(TopCode.INVALID_METHOD, "isv.invalid-method", f"unknown method {method}")
        app_key = params.get("app_key")
        if not app_key:
            raise TopError(TopCode.MISSING_APP_KEY)
        if app_key != gw.app_key:
            raise TopError(TopCode.INVALID_APP_KEY, "isv.appkey-not-exists", "app_key not found")
        stamp = params.get("timestamp")
        if not stamp:
            raise TopError(TopCode.MISSING_TIMESTAMP)
        try:
            sent = epoch_seconds(parse_time(stamp))
        except ValueError:
            raise TopError(
                TopCode.INVALID_TIMESTAMP, "isv.invalid-timestamp", "yyyy-MM-dd HH:mm:ss, GMT+8"
            ) from None
        if abs(sent - now) > gw.max_skew_s:
            raise TopError(
                TopCode.INVALID_TIMESTAMP,
                "isv.invalid-timestamp",
                f"timestamp {stamp} differs from server time {top_time(int(now))} (GMT+8) "
                "by more than 10 minutes",
            )
        version = params.get("v")
        if not version:
            raise TopError(TopCode.MISSING_VERSION)
        if version != API_VERSION:
            raise TopError(TopCode.INVALID_VERSION, "isv.invalid-version", "use v=2.0")
        if params.get("format", "xml") != FORMAT_JSON:
            raise TopError(
                TopCode.INVALID_FORMAT, "isv.invalid-format", "the sandbox answers format=json only"
            )
        if not params.get("sign"):
            raise TopError(TopCode.MISSING_SIGNATURE)
        if params.get("sign_method", "md5") not in SIGN_METHODS:
            raise TopError(TopCode.INVALID_ARGUMENTS, "isv.invalid-parameter:sign_method")
        if not verify(params, gw.app_secret):
            raise TopError(TopCode.INVALID_SIGNATURE, "isv.invalid-signature", "Invalid signature")
        session = params.get("session")
        if not session:
            raise TopError(TopCode.MISSING_SESSION)
        if session in gw.expired:
            raise TopError(TopCode.INVALID_SESSION, "session-expired", "SessionKey expired")
        if session not in gw.sessions:
            raise TopError(TopCode.INVALID_SESSION, "invalid-sessionkey", "Invalid SessionKey")
        if gw.expire_after is not None:
            if gw.expire_after <= 0:
                gw.expired.add(session)
                gw.sessions.discard(session)
                gw.expire_after = None
                raise TopError(TopCode.INVALID_SESSION, "session-expired", "SessionKey expired")
            gw.expire_after -= 1
        self._check_throttle(now)
        if gw.fail_next > 0 or (gw.transient_rate and self._rng.random() < gw.transient_rate):
            gw.fail_next = max(0, gw.fail_next - 1)
            raise TopError(
                TopCode.REMOTE_SERVICE_ERROR,
                "isp.top-remote-connection-timeout",
                "remote service timed out, retry later",
            )

    def _check_throttle(self, now: float) -> None:
        gw = self.gateway
        if now < gw.ban_until:
            self._ban(math.ceil(gw.ban_until - now))
        if gw.throttle_next > 0 or (gw.throttle_rate and self._rng.random() < gw.throttle_rate):
            gw.throttle_next = max(0, gw.throttle_next - 1)
            gw.ban_until = now + gw.ban_seconds
            self._ban(gw.ban_seconds)

    @staticmethod
    def _ban(seconds: int) -> None:
        raise TopError(
            TopCode.APP_CALL_LIMITED,
            "accesscontrol.limited-by-app-api-access-count",
            BAN_MESSAGE.format(seconds=seconds),
        )

    # -- APIs ---------------------------------------------------------------

    def _dispatch(self, method: str, params: Mapping[str, str], now: float) -> dict[str, Any]:
        return _APIS[method](self, params, now)

    def _increment_get(self, params: Mapping[str, str], now: float) -> dict[str, Any]:
        fields = _required(params, "fields")
        start = _time_arg(params, "start_modified")
        end = _time_arg(params, "end_modified")
        if end < start:
            raise TopError(
                TopCode.INVALID_ARGUMENTS,
                "isv.invalid-parameter:end_modified",
                "end_modified must not be earlier than start_modified",
            )
        if end - start > MAX_WINDOW.total_seconds():
            raise TopError(
                TopCode.INVALID_ARGUMENTS,
                "isv.invalid-parameter:end_modified",
                "查询修改时间跨度不能大于一天 (end_modified - start_modified exceeds 1 day)",
            )
        if start < now - LOOKBACK.total_seconds():
            raise TopError(
                TopCode.INVALID_ARGUMENTS,
                "isv.invalid-parameter:start_modified",
                "只能查询三个月以内的交易 (only the last 3 months can be queried)",
            )
        page_no = _int_arg(params, "page_no", 1, lo=1)
        page_size = _int_arg(params, "page_size", DEFAULT_PAGE_SIZE, lo=1, hi=MAX_PAGE_SIZE)
        types = expected_types(params.get("type"), DEFAULT_TRADE_TYPES)
        found = self.book.query(start, end, types, params.get("status") or None)
        page = found[(page_no - 1) * page_size : page_no * page_size]
        content: dict[str, Any] = {}
        if params.get("use_has_next") == "true":
            content["has_next"] = page_no * page_size < len(found)
        else:
            content["total_results"] = len(found)
        if page:
            wanted = self._fields(fields)
            trades = ",".join(self._project(r.version, wanted, detail=False) for r in page)
            content["trades"] = Fragment(f'{{"trade":[{trades}]}}')
        return content

    def _fullinfo_get(self, params: Mapping[str, str], now: float) -> dict[str, Any]:
        fields = _required(params, "fields")
        record = self._record(_required(params, "tid"), "isv.trade-not-exist")
        return {"trade": Fragment(self._project(record.version, self._fields(fields), detail=True))}

    def _offline_send(self, params: Mapping[str, str], now: float) -> dict[str, Any]:
        tid_text = _required(params, "tid")
        out_sid = _required(params, "out_sid")
        company = _required(params, "company_code")
        record = self._record(tid_text, "isv.logistics-offline-service-error:B01", "订单不存在")
        raw = record.version.raw
        if company not in catalog.COMPANY_CODES:
            raise TopError(
                TopCode.REMOTE_SERVICE_ERROR,
                "isv.invalid-parameter:company_code",
                f"物流公司编码不存在: {company}",
            )
        if not _WAYBILL.fullmatch(out_sid):
            raise TopError(
                TopCode.REMOTE_SERVICE_ERROR,
                "isv.logistics-offline-service-error:B60",
                "运单号不符合规则",
            )
        if raw.get("status") not in _SHIPPABLE:
            raise TopError(
                TopCode.REMOTE_SERVICE_ERROR,
                "isv.logistics-offline-service-error:B04",
                "订单状态不对，该物流订单已经发货或者已关闭，不能重复发货",
            )
        orders = sub_orders_of(raw)
        open_oids = {
            str(o.get("oid"))
            for o in orders
            if o.get("status") == "WAIT_SELLER_SEND_GOODS"
            and o.get("refund_status", "NO_REFUND") != "SUCCESS"
        }
        if params.get("is_split") == "1":
            chosen = {oid.strip() for oid in params.get("sub_tid", "").split(",") if oid.strip()}
            if not chosen or not chosen <= open_oids:
                raise TopError(
                    TopCode.REMOTE_SERVICE_ERROR,
                    "isv.logistics-offline-service-error:P38",
                    "拆单校验未通过：子订单不存在、已发货或已退款",
                )
        else:
            chosen = open_oids
        if not chosen:
            raise TopError(
                TopCode.REMOTE_SERVICE_ERROR,
                "isv.logistics-offline-service-error:B04",
                "订单状态不对，没有可发货的子订单",
            )
        self._ship(record, chosen, out_sid, company, int(now))
        return {"shipping": {"is_success": True}}

    # -- helpers ------------------------------------------------------------

    def _record(self, tid_text: str, missing_code: str, missing_msg: str = "交易不存在") -> Record:
        record = self.book.get(int(tid_text)) if tid_text.isdigit() else None
        if record is None:
            raise TopError(TopCode.REMOTE_SERVICE_ERROR, missing_code, missing_msg)
        return record

    def _fields(self, text: str) -> tuple[frozenset[str], frozenset[str] | None]:
        """(requested top-level names, requested sub-order fields or None for all)."""
        cached = self._fields_cache.get(text)
        if cached is None:
            names = frozenset(name.strip() for name in text.split(",") if name.strip())
            top = frozenset(name.split(".", 1)[0] for name in names)
            partial = frozenset(n.split(".", 1)[1] for n in names if n.startswith("orders."))
            cached = (top, None if "orders" in names or not partial else partial)
            self._fields_cache[text] = cached
        return cached

    def _project(
        self,
        version: Version,
        wanted: tuple[frozenset[str], frozenset[str] | None],
        *,
        detail: bool,
    ) -> str:
        """The trade's JSON with only the requested fields (the cached JSON of
        the whole trade when that is what was asked, as a sync does)."""
        top, order_fields = wanted
        raw = version.raw
        extra = (
            version.detail
            if detail
            else {k: v for k, v in version.detail.items() if k not in self._list_omits}
        )
        if order_fields is None and top.issuperset(raw):
            extra = {k: v for k, v in extra.items() if k in top}
            if not extra:
                return version.raw_json()
            return f"{version.raw_json()[:-1]},{_encode(extra)[1:]}"
        out = {k: v for k, v in raw.items() if k in top}
        out.update((k, v) for k, v in extra.items() if k in top)
        if order_fields is not None and "orders" in out:
            out["orders"] = {
                "order": [
                    {k: v for k, v in order.items() if k in order_fields}
                    for order in sub_orders_of(raw)
                ]
            }
        return _encode(out)

    def _ship(self, record: Record, oids: set[str], out_sid: str, company: str, now_s: int) -> None:
        """The trade after a successful upload: a new current version."""
        current = record.version
        at = max(now_s, current.at + 1)  # modified always moves forward
        raw: dict[str, Any] = json.loads(json.dumps(current.raw))  # a deep copy
        stamp = top_time(at)
        name = dict(catalog.COURIER_NAMES).get(company, company)
        orders: list[dict[str, Any]] = raw["orders"]["order"]
        for order in orders:
            if str(order.get("oid")) in oids:
                order["status"] = "WAIT_BUYER_CONFIRM_GOODS"
                order["consign_time"] = stamp
                order["invoice_no"] = out_sid
                order["logistics_company"] = name
        waiting = [o for o in orders if o.get("status") == "WAIT_SELLER_SEND_GOODS"]
        raw["status"] = "SELLER_CONSIGNED_PART" if waiting else "WAIT_BUYER_CONFIRM_GOODS"
        raw["consign_time"] = raw.get("consign_time") or stamp
        raw["modified"] = stamp
        self.book.put(record.tid, Version(at=at, raw=raw, detail=dict(current.detail)), record.base)


_APIS: Final[dict[str, Callable[[TopHandler, Mapping[str, str], float], dict[str, Any]]]] = {
    INCREMENT_GET: TopHandler._increment_get,
    FULLINFO_GET: TopHandler._fullinfo_get,
    OFFLINE_SEND: TopHandler._offline_send,
}


def _required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise TopError(
            TopCode.MISSING_REQUIRED_ARGUMENTS,
            f"isv.missing-parameter:{name}",
            f"{name} is required",
        )
    return value


def _time_arg(params: Mapping[str, str], name: str) -> int:
    text = _required(params, name)
    try:
        return epoch_seconds(parse_time(text))
    except ValueError:
        raise TopError(
            TopCode.INVALID_ARGUMENTS,
            f"isv.invalid-parameter:{name}",
            f"{name} must be yyyy-MM-dd HH:mm:ss (GMT+8)",
        ) from None


def _int_arg(
    params: Mapping[str, str], name: str, default: int, *, lo: int, hi: int | None = None
) -> int:
    text = params.get(name)
    if not text:
        return default
    if not text.isdigit() or int(text) < lo or (hi is not None and int(text) > hi):
        limit = f"{lo}-{hi}" if hi is not None else f">= {lo}"
        raise TopError(
            TopCode.INVALID_ARGUMENTS,
            f"isv.invalid-parameter:{name}",
            f"{name} must be {limit}",
        )
    return int(text)
