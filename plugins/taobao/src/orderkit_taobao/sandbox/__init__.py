"""A local Taobao Open Platform (TOP) for tests, the demo and benchmarks.

``TaobaoSandbox(**options)`` (also ``ChannelSpec.sandbox_factory``) generates
deterministic trades and answers TOP requests with one handler, reachable two
ways: in-process through ``transport()`` (an ``httpx.BaseTransport``, no
sockets) and over HTTP through ``wsgi_app`` (``orderkit sandbox taobao --port N``,
or ``python -m orderkit_taobao.sandbox --port N``).

Options (all keyword, all optional):

=================  ==========================================================
seed               generation seed (default 0): same seed, same trades
orders             how many trades (default 1000)
start, end         modified times spread over [start, end] (datetimes or ISO
                   text, naive ones in China time; default: the day before
                   the clock's now)
clock              the sandbox clock (``orderkit.clock.Clock``; default the
                   system clock); timestamp skew, bans and scheduled changes
                   are measured on it, so pass the engine's FakeClock in tests
app_key, app_secret, session
                   credentials it accepts (default ``sandbox-app``,
                   ``demo-secret``, ``demo-session``: the starter config's;
                   ``access_token`` is taken as the session if that is not
                   given, ``refresh_token`` is accepted and unused)
throttle_rate      share of calls throttled at random (default 0)
ban_seconds        how long a throttle bans (default 1; said in sub_msg)
transient_rate     share of calls failing with code 15 isp.* (default 0)
malformed_rate     share of trades with one broken field (default 0)
churn_rate         share of trades that change after ``end`` (default 0.02)
churn_horizon      when they change: within (end, end + horizon]
                   (timedelta or seconds; default 30 minutes), as the
                   sandbox clock passes
list_omits         fields the list API leaves out (default buyer_message and
                   seller_memo, as TOP's list response does): fetch them with
                   ``taobao.trade.fullinfo.get``
max_skew           accepted timestamp skew (default 10 minutes)
base_url           the URL it answers as (default ``protocol.SANDBOX_URL``)
=================  ==========================================================
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

import httpx

from orderkit.clock import Clock, SystemClock
from orderkit_taobao.protocol import (
    GMT8,
    MAX_SKEW,
    ROUTER_PATH,
    SANDBOX_URL,
    epoch_seconds,
    parse_time,
)
from orderkit_taobao.sandbox.book import ExpectedOrder, TradeBook
from orderkit_taobao.sandbox.generator import (
    Version,
    break_trade,
    generate,
    one_trade,
    top_time,
)
from orderkit_taobao.sandbox.handler import JSON_TYPE, GatewayState, TopHandler

__all__ = ["ExpectedOrder", "SandboxTransport", "TaobaoSandbox"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NOT_FOUND = b'{"error":"not found: the TOP gateway is /router/rest"}'


class TaobaoSandbox:
    """A TOP gateway with generated trades; see the module docstring for options."""

    def __init__(
        self,
        *,
        seed: int = 0,
        orders: int = 1000,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        clock: Clock | None = None,
        app_key: str = "sandbox-app",
        app_secret: str = "demo-secret",
        session: str | None = None,
        access_token: str | None = None,
        refresh_token: str | None = None,
        throttle_rate: float = 0.0,
        ban_seconds: int = 1,
        transient_rate: float = 0.0,
        malformed_rate: float = 0.0,
        churn_rate: float = 0.02,
        churn_horizon: timedelta | float = timedelta(minutes=30),
        list_omits: Iterable[str] = ("buyer_message", "seller_memo"),
        max_skew: timedelta | float = MAX_SKEW,
        base_url: str = SANDBOX_URL,
    ) -> None:
        # TOP calls its token "session" (a.k.a. access_token); a refresh token
        # is not part of the TOP call protocol, so it is accepted and unused.
        del refresh_token
        session = session or access_token or "demo-session"
        self.clock: Clock = clock or SystemClock()
        self.base_url = base_url
        self.seed = seed
        now = self.clock.now()
        end_at = _aware(end) if end is not None else now.replace(microsecond=0)
        start_at = _aware(start) if start is not None else end_at - timedelta(days=1)
        if end_at < start_at:
            raise ValueError("end must not be before start")
        self.start, self.end = start_at, end_at
        start, end = start_at, end_at
        trades = generate(
            orders,
            seed=seed,
            start_s=epoch_seconds(start),
            end_s=epoch_seconds(end),
            churn_rate=churn_rate,
            churn_horizon_s=int(_seconds(churn_horizon)),
            malformed_rate=malformed_rate,
        )
        self._book = TradeBook(trades, epoch_seconds(now))
        self._gateway = GatewayState(
            app_key=app_key,
            app_secret=app_secret,
            sessions={session},
            ban_seconds=ban_seconds,
            throttle_rate=throttle_rate,
            transient_rate=transient_rate,
            max_skew_s=_seconds(max_skew),
        )
        self._session = session
        self._refreshes = 0
        self._added = orders  # the next generated trade's number (add_order)
        self._handler = TopHandler(
            self._book, self._gateway, self._now, seed=seed, list_omits=frozenset(list_omits)
        )

    # -- serving -------------------------------------------------------------

    def handle(self, params: Mapping[str, str]) -> tuple[int, bytes]:
        """Answer one request given its form parameters: (HTTP status, JSON body)."""
        return self._handler.handle(params)

    def transport(self) -> SandboxTransport:
        """An httpx transport answering in-process (``httpx.Client(transport=...)``)."""
        return SandboxTransport(self)

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """The same handler as a WSGI application."""
        if environ.get("PATH_INFO", "").rstrip("/") != ROUTER_PATH:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [_NOT_FOUND]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        params = form_params(environ.get("QUERY_STRING", ""), body)
        status, content = self.handle(params)
        start_response(
            f"{status} OK" if status == 200 else str(status),
            [("Content-Type", JSON_TYPE), ("Content-Length", str(len(content)))],
        )
        return [content]

    # -- credentials ---------------------------------------------------------

    @property
    def app_key(self) -> str:
        return self._gateway.app_key

    @property
    def app_secret(self) -> str:
        return self._gateway.app_secret

    @property
    def session(self) -> str:
        """The session the sandbox currently accepts."""
        return self._session

    def credentials(self) -> dict[str, str]:
        """``app_key``, ``app_secret`` and ``session``, for a shop's ``credential``."""
        return {"app_key": self.app_key, "app_secret": self.app_secret, "session": self.session}

    def expire_session(self, *, after_calls: int = 0, refreshable: bool = False) -> None:
        """Expire the current session now, or after ``after_calls`` more accepted
        calls. Calls with it then get code 27 (``session-expired``).

        ``refreshable`` is accepted for ``orderkit.testing``'s contract and
        changes nothing: TOP offers token refresh to service-market apps only,
        so the plugin has no refresh flow and the seller re-authorises; here
        that is ``refresh_session()`` or ``set_session()``.
        """
        del refreshable
        if after_calls > 0:
            self._gateway.expire_after = after_calls
            return
        self._gateway.sessions.discard(self._session)
        self._gateway.expired.add(self._session)
        self._gateway.expire_after = None

    def refresh_session(self) -> dict[str, str]:
        """Issue a new session (the old one stops working), as a re-authorisation
        would; returns the new credentials: ``{"session": ...}``."""
        self._refreshes += 1
        new = f"{self._session.split('~', 1)[0]}~{self._refreshes}"
        self.set_session(new)
        return {"session": new}

    def set_session(self, session: str) -> None:
        """Accept ``session`` from now on, and only it."""
        self._gateway.sessions = {session}
        self._gateway.expired.discard(session)
        self._gateway.expire_after = None
        self._session = session

    # -- throttling and failures ----------------------------------------------

    def throttle(
        self,
        *,
        calls: int = 1,
        retry_after: float | None = None,
        ban_seconds: int | None = None,
    ) -> None:
        """Throttle the next ``calls`` calls; each answers code 7 and starts a ban.

        Give the ban as TOP states it (``ban_seconds``: "This ban will last for
        N more seconds") or as the wait a client should derive from it
        (``retry_after`` = N + 1, the reference's advice). Default: the
        ``ban_seconds`` option.
        """
        if retry_after is not None and ban_seconds is not None:
            raise ValueError("give retry_after or ban_seconds, not both")
        if retry_after is not None:
            ban_seconds = max(0, round(retry_after) - 1)
        if ban_seconds is not None:
            self._gateway.ban_seconds = ban_seconds
        self._gateway.throttle_next += calls

    def ban(self, seconds: int) -> None:
        """Refuse every call for ``seconds`` on the sandbox clock, as TOP does after a throttle."""
        self._gateway.ban_until = self._now() + seconds

    @property
    def throttle_rate(self) -> float:
        return self._gateway.throttle_rate

    @throttle_rate.setter
    def throttle_rate(self, rate: float) -> None:
        self._gateway.throttle_rate = rate

    def fail_next(self, calls: int = 1) -> None:
        """Fail the next ``calls`` calls with code 15 ``isp.top-remote-connection-timeout``."""
        self._gateway.fail_next += calls

    # -- trades ----------------------------------------------------------------

    @property
    def calls(self) -> Counter[str]:
        """Requests received, by ``method`` (errors included)."""
        return self._handler.calls

    def now(self) -> datetime:
        return self.clock.now()

    def external_ids(self) -> list[str]:
        """Ids of the trades visible now."""
        return [record.external_id for record in self._book.visible()]

    def trade(self, external_id: str) -> dict[str, Any]:
        """A copy of a trade as ``fullinfo.get`` would return it now."""
        self._book.advance(int(self._now()))
        record = self._book.get(int(external_id))
        if record is None:
            raise KeyError(external_id)
        version = record.version
        merged: dict[str, Any] = json.loads(json.dumps({**version.raw, **version.detail}))
        return merged

    def touch(self, external_id: str, at: datetime | None = None) -> None:
        """Modify a trade (contents unchanged) at ``at`` (default: now), e.g. to
        put it exactly on a window boundary."""
        self._book.advance(int(self._now()))
        record = self._book.get(int(external_id))
        if record is None:
            raise KeyError(external_id)
        when = epoch_seconds(at) if at is not None else int(self._now())
        current = record.version
        raw = json.loads(json.dumps(current.raw))
        raw["modified"] = top_time(when)
        version = Version(
            at=when, raw=raw, detail=dict(current.detail), malformed=current.malformed
        )
        self._book.put(record.tid, version, record.base)

    def add_trade(
        self,
        raw: Mapping[str, Any],
        *,
        modified: datetime | None = None,
        detail: Mapping[str, Any] | None = None,
        malformed: str | None = None,
    ) -> str:
        """Serve a hand-made trade (e.g. a recorded or deliberately broken one).

        :param raw: the trade as the list API returns it; needs ``tid``.
        :param modified: its modified time, when ``raw["modified"]`` is absent or broken.
        :param malformed: the field you broke, for ``ground_truth``.
        :returns: its external id.
        """
        tid = int(raw["tid"])
        when = modified if modified is not None else parse_time(str(raw["modified"]))
        version = Version(
            at=epoch_seconds(when),
            raw=json.loads(json.dumps(dict(raw))),
            detail=dict(detail or {}),
            malformed=malformed,
        )
        self._book.put(tid, version)
        return str(tid)

    def add_order(
        self, *, modified_at: datetime, malformed: bool = False, scenario: str = "to_ship"
    ) -> str:
        """Generate one more trade (paid, to ship, by default) modified exactly at
        ``modified_at``; ``malformed`` breaks its ``payment``. Returns its id."""
        index = self._added
        self._added += 1
        rng = random.Random(f"{self.seed}:{index}")
        generated = one_trade(rng, index, scenario, epoch_seconds(_aware(modified_at)))
        if malformed:
            break_trade(generated)
        version = generated.versions[-1]
        record = self._book.put(int(version.raw["tid"]), version, generated.base)
        return record.external_id

    def ground_truth(self) -> dict[str, ExpectedOrder]:
        """External id -> what a correct sync holds for it as of the sandbox's now:
        lifecycle, refund and presale (platform semantics), modified time, and
        whether it is malformed (then expect a dead letter, not an order)."""
        self._book.advance(int(self._now()))
        return self._book.truth()

    def _now(self) -> float:
        return (self.clock.now() - _EPOCH).total_seconds()


@lru_cache(maxsize=2048)
def _unquote(text: str) -> str:
    # The long field list and the other constant values repeat on every call.
    return unquote_plus(text)


def _parse_form(text: str, into: dict[str, str]) -> None:
    for part in text.split("&"):
        if part:
            name, _, value = part.partition("=")
            into[_unquote(name)] = _unquote(value)


def _aware(value: datetime | str) -> datetime:
    # Config files give times as text or naive datetimes: those are China time.
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when if when.tzinfo is not None else when.replace(tzinfo=GMT8)


def _seconds(value: timedelta | float) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def form_params(query: str | bytes, body: bytes) -> dict[str, str]:
    """Query-string and form-body parameters (the body wins on a clash)."""
    params: dict[str, str] = {}
    if query:
        _parse_form(query.decode("ascii", "replace") if isinstance(query, bytes) else query, params)
    if body:
        _parse_form(body.decode("utf-8", "replace"), params)
    return params


class SandboxTransport(httpx.BaseTransport):
    """Answers httpx requests with the sandbox's handler, in-process."""

    def __init__(self, sandbox: TaobaoSandbox) -> None:
        self._sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.rstrip("/") != ROUTER_PATH:
            return httpx.Response(404, content=_NOT_FOUND, request=request)
        params = form_params(request.url.query, request.read())
        status, content = self._sandbox.handle(params)
        return httpx.Response(
            status, headers={"Content-Type": JSON_TYPE}, content=content, request=request
        )
