"""What every courier sandbox shares: the in-process transport and the WSGI
app around one handler, injected failures, the record of calls and bookings,
and waybill numbers handed out once per customer order id.

A courier's sandbox subclasses :class:`CourierSandbox` and implements
``answer`` (verify the request as the real gateway would, then book; raise
:class:`Refused` to refuse), ``error`` (its error envelope for a code),
``new_waybill`` (a number in the courier's real format), and names its
``throttle_code`` and ``auth_code``.

Failure kinds for ``fail_next(n, kind)``:

============  ================================================================
timeout       the request is processed (a booking is made) but the reply is
              lost: ``transport()`` raises ``httpx.ReadTimeout``, the WSGI
              app answers 504. The worst case for idempotency, on purpose.
server_error  HTTP 502 with an HTML page, before anything is processed
throttle      the courier's throttling envelope
auth          the courier's credentials-refused envelope
============  ================================================================
"""

from __future__ import annotations

import json
import random
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final
from urllib.parse import parse_qsl

import httpx

from orderkit.clock import Clock, SystemClock

FAILURE_KINDS: Final = ("timeout", "server_error", "throttle", "auth")
JSON_TYPE: Final = "application/json;charset=UTF-8"
_BAD_GATEWAY: Final = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


@dataclass(frozen=True)
class WireRequest:
    """One HTTP request as the gateway sees it (header names lower-cased)."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        """The form-encoded body as a dict (a repeated name keeps its last value)."""
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass(frozen=True)
class WireResponse:
    """What the handler answers; ``outcome`` is for the call record only."""

    status: int
    body: bytes
    outcome: str
    content_type: str = JSON_TYPE

    @classmethod
    def json(cls, value: Any, outcome: str, status: int = 200) -> WireResponse:
        body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return cls(status, body, outcome)


@dataclass
class ReceivedCall:
    """One request the sandbox received, as far as it got.

    ``signature`` is what the client sent; ``signature_ok`` is None when the
    request was refused before the signature was checked (or a failure was
    injected), else whether it verified.
    """

    path: str
    signature: str | None = None
    signature_ok: bool | None = None
    outcome: str = ""
    injected: str | None = None


@dataclass(frozen=True)
class Booking:
    """A booking the sandbox made: the customer order id, the waybill, and the
    business payload exactly as received (decoded JSON)."""

    order_id: str
    waybill: str
    payload: Mapping[str, Any] = field(default_factory=dict)


class Refused(Exception):
    """Raised inside ``answer``: answer with the courier's error ``code``;
    ``message`` None means the courier's usual text for it."""

    def __init__(self, code: str | int, message: str | None = None) -> None:
        super().__init__(f"{code}: {message or ''}")
        self.code = code
        self.message = message


class LostReply(Exception):
    """Raised inside the handler for an injected ``timeout``: the reply is lost."""


class CourierSandbox:
    """Base of the courier sandboxes (see the module docstring)."""

    code: ClassVar[str]
    #: Where the in-process sandbox answers (never resolvable on a network).
    local_url: ClassVar[str]
    #: The courier's error codes for injected ``throttle`` and ``auth`` failures.
    throttle_code: ClassVar[str | int]
    auth_code: ClassVar[str | int]

    def __init__(
        self,
        *,
        seed: int = 0,
        clock: Clock | None = None,
        base_url: str | None = None,
        max_skew: float = 600.0,
    ) -> None:
        self.seed = seed
        self.clock: Clock = clock or SystemClock()
        self.base_url = base_url or self.local_url
        #: Accepted clock difference in seconds for timestamped requests.
        self.max_skew = max_skew
        #: Factory options this sandbox does not know (``orders`` from the CLI...).
        self.ignored_options: list[str] = []
        self.calls: list[ReceivedCall] = []
        self._bookings: dict[str, Booking] = {}
        self._waybills: set[str] = set()
        self._failures: deque[str] = deque()
        self._lock = threading.RLock()  # controls may be called from inside answer()

    # -- what a courier implements ---------------------------------------------------

    def answer(self, request: WireRequest, call: ReceivedCall) -> WireResponse:
        """Verify and answer one request; set ``call.signature``/``signature_ok``."""
        raise NotImplementedError

    def error(self, code: str | int, message: str | None = None) -> WireResponse:
        """The courier's error envelope for ``code``."""
        raise NotImplementedError

    def refusal(self, kind: str) -> WireResponse:
        """The courier's envelope for an injected ``throttle`` or ``auth`` failure."""
        return self.error(self.throttle_code if kind == "throttle" else self.auth_code)

    def new_waybill(self, rng: random.Random) -> str:
        """A fresh waybill number in the courier's format."""
        raise NotImplementedError

    # -- controls -------------------------------------------------------------------

    def fail_next(self, n: int = 1, kind: str = "server_error") -> None:
        """Fail the next ``n`` requests with ``kind`` (see the module docstring)."""
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {kind!r} (use one of {FAILURE_KINDS})")
        if n < 0:
            raise ValueError("n must not be negative")
        with self._lock:
            self._failures.extend([kind] * n)

    @property
    def bookings(self) -> list[Booking]:
        """Every booking made, once per customer order id, in booking order."""
        with self._lock:
            return list(self._bookings.values())

    def booking(self, order_id: str) -> Booking | None:
        with self._lock:
            return self._bookings.get(order_id)

    # -- booking ----------------------------------------------------------------------

    def book(self, order_id: str, payload: Mapping[str, Any]) -> tuple[Booking, bool]:
        """The booking for ``order_id``: the first one again (True) or a new one
        with a fresh waybill (False). Called by ``answer`` under the lock."""
        known = self._bookings.get(order_id)
        if known is not None:
            return known, True
        # derived from the order id, not from a running sequence: two sandboxes
        # with one seed give an order the same waybill whatever came before it
        rng = random.Random(f"{self.code}:{self.seed}:{order_id}")
        waybill = self.new_waybill(rng)
        while waybill in self._waybills:
            waybill = self.new_waybill(rng)
        self._waybills.add(waybill)
        booking = Booking(order_id, waybill, dict(payload))
        self._bookings[order_id] = booking
        return booking, False

    def now_seconds(self) -> float:
        """The sandbox clock as epoch seconds."""
        return self.clock.now().timestamp()

    # -- serving ----------------------------------------------------------------------

    def handle(self, request: WireRequest) -> WireResponse:
        """Answer one request (raises ``LostReply`` for an injected timeout)."""
        with self._lock:
            call = ReceivedCall(path=request.path)
            self.calls.append(call)
            kind = self._failures.popleft() if self._failures else None
            call.injected = kind
            if kind == "server_error":
                call.outcome = "server_error"
                return WireResponse(502, _BAD_GATEWAY, "server_error", "text/html")
            if kind in ("throttle", "auth"):
                response = self.refusal(kind)
                call.outcome = response.outcome
                return response
            try:
                response = self.answer(request, call)
            except Refused as refused:
                response = self.error(refused.code, refused.message)
            call.outcome = response.outcome
            if kind == "timeout":
                raise LostReply(response.outcome)
            return response

    def transport(self) -> SandboxTransport:
        """An httpx transport that answers in-process (no sockets)."""
        return SandboxTransport(self)

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """The same handler as a WSGI app (``orderkit sandbox CODE --port N``)."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = str(environ["CONTENT_TYPE"])
        request = WireRequest(
            method=str(environ.get("REQUEST_METHOD", "GET")),
            path=str(environ.get("PATH_INFO", "")),
            query=dict(parse_qsl(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)),
            headers=headers,
            body=body,
        )
        try:
            response = self.handle(request)
        except LostReply:
            response = WireResponse(504, b"gateway timeout", "timeout", "text/plain")
        start_response(
            f"{response.status} {'OK' if response.status == 200 else 'Error'}",
            [("Content-Type", response.content_type), ("Content-Length", str(len(response.body)))],
        )
        return [response.body]


class SandboxTransport(httpx.BaseTransport):
    """Answers httpx requests with a courier sandbox's handler, in-process."""

    def __init__(self, sandbox: CourierSandbox) -> None:
        self._sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        wire = WireRequest(
            method=request.method,
            path=request.url.path,
            query=dict(parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True)),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=request.read(),
        )
        try:
            response = self._sandbox.handle(wire)
        except LostReply:
            raise httpx.ReadTimeout(
                "the sandbox lost the reply (injected)", request=request
            ) from None
        return httpx.Response(
            response.status,
            headers={"Content-Type": response.content_type},
            content=response.body,
            request=request,
        )
