"""A local Doudian (抖店开放平台) for tests, the demo and benchmarks.

``DouyinSandbox(**options)`` (also ``ChannelSpec.sandbox_factory``) generates
deterministic shop orders and answers Doudian requests with one handler,
reachable two ways: in-process through ``transport()`` (an
``httpx.BaseTransport``, no sockets) and over HTTP through ``wsgi_app``
(``orderkit sandbox douyin --port N``, or ``python -m orderkit_douyin.sandbox``).
When its orders change it can send signed pushes to a configured target.

Options (all keyword, all optional):

=================  ==========================================================
seed               generation seed (default 0): same seed, same orders
orders             how many orders (default 1000)
start, end         update times spread over [start, end] (aware datetimes;
                   default: the day before the clock's now)
clock              the sandbox clock (``orderkit.clock.Clock``; default the
                   system clock); timestamps, token expiry and scheduled
                   changes are measured on it: pass the engine's FakeClock
app_key, app_secret
                   the app it accepts (default ``sandbox-app`` /
                   ``demo-secret``: the starter config's)
access_token       the token it accepts (default ``demo-session``; the
                   ``session`` option is taken as the same thing)
refresh_token      the refresh token it accepts (default ``demo-refresh``)
throttle_rate      share of calls answered 60000 at random (default 0)
retry_after        the ``Retry-After`` seconds sent with 60000 (default 1)
transient_rate     share of calls failing with 20000 (default 0)
malformed_rate     share of orders with one broken field (default 0)
churn_rate         share of orders that change after ``end`` (default 0.02)
churn_horizon      when they change: within (end, end + horizon] (default
                   30 minutes), as the sandbox clock passes
thin_rate          share of orders the list returns without SKU orders and
                   address, so ``order.orderDetail`` is needed (default 0.002)
max_skew           accepted timestamp skew (default 10 minutes; the
                   platform's is UNCONFIRMED)
max_window         longest update-time window accepted (default 1 day; the
                   platform's is UNCONFIRMED)
push_to            where pushes go: a callable ``(headers, body)`` or a
                   loopback URL (default None: no pushes)
push_client        the ``httpx.Client`` used for a URL ``push_to``
prerender          render every order's list JSON when the sandbox is built
                   (default True), as a server holds its data before it is
                   asked; a changed order is rendered when first served
base_url           the URL it answers as (default ``protocol.SANDBOX_URL``)
=================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import httpx
from orderkit.clock import Clock, SystemClock

from orderkit_douyin.protocol import SANDBOX_URL, epoch_seconds
from orderkit_douyin.sandbox.book import Change, OrderBook
from orderkit_douyin.sandbox.gateway import JSON_TYPE, Gateway, GatewayState, order_json
from orderkit_douyin.sandbox.generator import (
    ORDER_ID_STEP,
    SHOP_ID,
    Version,
    build_stage,
    generate,
    new_base,
)
from orderkit_douyin.sandbox.pushes import Delivery, PushSender, PushTarget, message

__all__ = ["DouyinSandbox", "SandboxTransport"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class DouyinSandbox:
    """A Doudian gateway with generated orders; see the module docstring for options."""

    def __init__(
        self,
        *,
        seed: int = 0,
        orders: int = 1000,
        start: datetime | None = None,
        end: datetime | None = None,
        clock: Clock | None = None,
        app_key: str = "sandbox-app",
        app_secret: str = "demo-secret",
        access_token: str | None = None,
        session: str | None = None,
        refresh_token: str = "demo-refresh",
        throttle_rate: float = 0.0,
        retry_after: float = 1.0,
        transient_rate: float = 0.0,
        malformed_rate: float = 0.0,
        churn_rate: float = 0.02,
        churn_horizon: timedelta = timedelta(minutes=30),
        thin_rate: float = 0.002,
        max_skew: timedelta = timedelta(minutes=10),
        max_window: timedelta = timedelta(days=1),
        push_to: PushTarget | str | None = None,
        push_client: httpx.Client | None = None,
        prerender: bool = True,
        base_url: str = SANDBOX_URL,
        **_: Any,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.base_url = base_url
        self.seed = seed
        now = self.clock.now()
        end = end or now.replace(microsecond=0)
        start = start or end - timedelta(days=1)
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware")
        if end < start:
            raise ValueError("end must not be before start")
        self.start, self.end = start, end
        generated = generate(
            orders,
            seed=seed,
            start_s=epoch_seconds(start),
            end_s=epoch_seconds(end),
            churn_rate=churn_rate,
            churn_horizon_s=int(churn_horizon.total_seconds()),
            malformed_rate=malformed_rate,
            thin_rate=thin_rate,
        )
        self._book = OrderBook(generated, epoch_seconds(now))
        self._state = GatewayState(
            app_key=app_key,
            app_secret=app_secret,
            access_token=access_token or session or "demo-session",
            refresh_token=refresh_token,
            retry_after=retry_after,
            throttle_rate=throttle_rate,
            transient_rate=transient_rate,
            max_skew_s=max_skew.total_seconds(),
            max_window_s=int(max_window.total_seconds()),
        )
        self.pushes = PushSender(
            app_key=app_key,
            app_secret=lambda: self._state.app_secret,
            target=push_to,
            client=push_client,
        )
        self._gateway = Gateway(
            self._book, self._state, self._now, seed=seed, on_changes=self._announce
        )
        self._added = 0
        if prerender:
            self.warm()

    # -- serving -------------------------------------------------------------------------

    def handle(
        self, path: str, query: str | bytes, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request: (HTTP status, headers, JSON body). Pushes for the
        changes it noticed are sent before it returns."""
        text = query.decode("ascii", "replace") if isinstance(query, bytes) else query
        answer = self._gateway.handle(path, dict(parse_qsl(text, keep_blank_values=True)), body)
        self.pushes.flush()
        return answer

    def transport(self) -> SandboxTransport:
        """An httpx transport answering in-process (``httpx.Client(transport=...)``)."""
        return SandboxTransport(self)

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """The same handler as a WSGI application."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        status, headers, content = self.handle(
            environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), body
        )
        start_response(
            f"{status} OK" if status == 200 else str(status),
            [*headers.items(), ("Content-Length", str(len(content)))],
        )
        return [content]

    # -- credentials -----------------------------------------------------------------------

    @property
    def app_key(self) -> str:
        return self._state.app_key

    @property
    def app_secret(self) -> str:
        return self._state.app_secret

    @property
    def access_token(self) -> str:
        """The access token the sandbox accepts now."""
        return self._state.access_token

    @property
    def refresh_token(self) -> str:
        return self._state.refresh_token

    @property
    def douyin_shop_id(self) -> int:
        """The shop's id on Douyin, as orders and pushes name it."""
        return SHOP_ID

    def credentials(self) -> dict[str, str]:
        """What a shop needs to talk to this sandbox, by ``ShopContext.credential`` name."""
        return {
            "app_key": self.app_key,
            "app_secret": self.app_secret,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
        }

    def expire_session(self, *, after_calls: int = 0, refreshable: bool = False) -> None:
        """Expire the access token now, or after ``after_calls`` more accepted
        calls (then 40003 ``isv.access-token-expired``). Unless ``refreshable``,
        ``token.refresh`` / ``token.create`` are refused too (50001: the
        seller revoked the authorisation)."""
        self._state.refreshable = refreshable
        if after_calls > 0:
            self._state.expire_after = after_calls
        else:
            self._state.expired.add(self._state.access_token)
            self._state.expire_after = None

    def refresh_session(self) -> dict[str, str]:
        """The seller authorised again: new tokens (the old ones stop working)."""
        self._state.refreshable = True
        access, refresh = self._gateway.issue_tokens()
        return {"access_token": access, "refresh_token": refresh}

    # -- throttling and failures -------------------------------------------------------------

    def throttle(self, *, calls: int, retry_after: float) -> None:
        """Answer the next ``calls`` calls with 60000 and ``Retry-After: retry_after``."""
        self._state.throttle_next += calls
        self._state.retry_after = retry_after

    @property
    def throttle_rate(self) -> float:
        return self._state.throttle_rate

    @throttle_rate.setter
    def throttle_rate(self, rate: float) -> None:
        self._state.throttle_rate = rate

    def fail_next(self, calls: int = 1) -> None:
        """Answer the next ``calls`` calls with 20000 ``isp.service-error``."""
        self._state.fail_next += calls

    # -- orders ----------------------------------------------------------------------------

    @property
    def calls(self) -> dict[str, int]:
        """Requests received, by method (errors included)."""
        return self._gateway.calls

    def now(self) -> datetime:
        return self.clock.now()

    def warm(self) -> None:
        """Render every visible order's list JSON now instead of on first
        serve (``prerender`` does it when the sandbox is built): producing the
        JSON is the platform's work, not the client's, and benchmarks time
        the client."""
        self._book.advance(int(self._now()))
        for record in self._book.visible():
            assert record.current is not None
            order_json(record.base, record.current, detail=False)

    def tick(self) -> list[Delivery]:
        """Let the sandbox see the clock: scheduled changes become visible and
        their pushes go out. (Every request does this too.)"""
        changes = self._book.advance(int(self._now()))
        self._announce(changes)
        return self.pushes.flush()

    def ground_truth(self) -> dict[str, dict[str, Any]]:
        """External id -> what a correct sync holds for it as of the sandbox's
        now: ``modified_at``, ``lifecycle``, ``refund``, ``presale`` (written
        per scenario by hand, not from the plugin's table), the raw
        ``order_status`` / ``main_status``. Malformed orders are left out:
        see ``malformed_ids``."""
        self._book.advance(int(self._now()))
        return self._book.truth()

    def malformed_ids(self) -> list[str]:
        self._book.advance(int(self._now()))
        return self._book.malformed()

    def external_ids(self) -> list[str]:
        """Ids of the orders visible now (malformed ones included)."""
        self._book.advance(int(self._now()))
        return [str(record.order_id) for record in self._book.visible()]

    def order(self, external_id: str) -> dict[str, Any]:
        """A copy of a shop order as ``order.orderDetail`` returns it now."""
        import json

        from orderkit_douyin.sandbox.generator import render

        self._book.advance(int(self._now()))
        record = self._book.get(int(external_id))
        if record is None or record.current is None:
            raise KeyError(external_id)
        rendered: dict[str, Any] = json.loads(
            json.dumps(render(record.base, record.current, detail=True))
        )
        return rendered

    def add_order(
        self, *, modified_at: datetime, malformed: bool = False, scenario: str = "happy"
    ) -> str:
        """Serve a new order updated exactly at ``modified_at`` (to ship, or
        ``scenario``'s first stage when not ``happy``); ``malformed`` breaks its
        pay amount (a yuan string). Announced with a push when ``modified_at``
        is not in the future."""
        import random

        self._added += 1
        rng = random.Random(f"{self.seed}:added:{self._added}")
        order_id = self._book.next_id(ORDER_ID_STEP)
        at = epoch_seconds(modified_at)
        base = new_base(rng, order_id, at, scenario=scenario)
        stage = build_stage(base, 2 if scenario == "happy" else 0, rng)
        version = Version(at, stage, "pay_amount" if malformed else None)
        change = self._book.add(base, version)
        if change is not None:
            self._announce([change])
            self.pushes.flush()
        return str(order_id)

    def touch(self, external_id: str, at: datetime | None = None) -> None:
        """Update an order (contents unchanged) at ``at`` (default: now), e.g.
        to move it out of a window while a sync walks it."""
        self._book.advance(int(self._now()))
        record = self._book.get(int(external_id))
        if record is None or record.current is None:
            raise KeyError(external_id)
        when = epoch_seconds(at) if at is not None else int(self._now())
        current = record.current
        version = Version(when, current.stage, current.malformed, dict(current.extra))
        change = self._book.put(record.order_id, version)
        if change is not None:
            self._announce([change])
            self.pushes.flush()

    def scan(self, external_id: str) -> None:
        """The courier's first scan of the order's uploaded parcel: Douyin now
        reports it shipped (3), which orderkit reads as ``in_transit``."""
        self._gateway.scan(int(external_id))
        self.pushes.flush()

    # -- pushes ----------------------------------------------------------------------------

    def _announce(self, changes: Iterable[Change]) -> None:
        self.pushes.enqueue(
            [message(change, self.pushes.next_msg_id(), SHOP_ID) for change in changes]
        )

    def _now(self) -> float:
        return (self.clock.now() - _EPOCH).total_seconds()


class SandboxTransport(httpx.BaseTransport):
    """Answers httpx requests with the sandbox's handler, in-process."""

    def __init__(self, sandbox: DouyinSandbox) -> None:
        self._sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        status, headers, content = self._sandbox.handle(
            request.url.path, request.url.query, request.read()
        )
        headers.setdefault("Content-Type", JSON_TYPE)
        return httpx.Response(status, headers=headers, content=content, request=request)
