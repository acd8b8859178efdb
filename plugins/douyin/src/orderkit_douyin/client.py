"""The Doudian HTTP client: public parameters, signing, POST, envelope parsing.

One call is ``POST <gateway>/<method with . -> />?app_key=…&method=…&v=2&
timestamp=…&sign_method=…&sign=…&access_token=…`` with the signed
``param_json`` as the raw JSON body, as the official SDKs send it (§2.1).

It takes an injected ``httpx.Client`` (the engine's, or one wired to the
sandbox transport) and the shop's clock. Credentials are resolved on the
client's first call and kept for its life, which is one ``fetch_orders`` page
(or one upload, one refresh): a token refreshed between two pages is used at
once, and a page's calls do not each read the credentials table. Each attempt
gets a fresh timestamp and signature (§2.12). It never logs the app secret,
the token or the signature.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit, urlunsplit

import httpx
from orderkit.errors import ChannelAuthError, ChannelRateLimited, ChannelResponseError
from pydantic_core import from_json

from orderkit_douyin.envelope import DEFAULT_THROTTLE_WAIT, unwrap
from orderkit_douyin.protocol import (
    API_VERSION,
    CHANNEL,
    DEFAULT_SIGN_METHOD,
    JSON_CONTENT_TYPE,
    NEW_ERROR_CODES_HEADER,
    PRODUCTION_URL,
    SANDBOX_URL,
    SIGN_METHODS,
    TOKEN_METHODS,
    epoch_seconds,
    method_path,
)
from orderkit_douyin.signing import canonical_json, sign

if TYPE_CHECKING:
    from orderkit.clock import Clock
    from orderkit.specs import ShopContext

_HEADERS: Final = {
    "Content-Type": JSON_CONTENT_TYPE,
    "Accept": "application/json",
    NEW_ERROR_CODES_HEADER[0]: NEW_ERROR_CODES_HEADER[1],
}


def resolve_url(endpoint: str | None) -> str:
    """The gateway base URL for a shop's ``endpoint`` setting.

    None -> production; ``sandbox`` -> the in-process sandbox; any other URL
    is used as the base (its path, if any, is kept as a prefix).
    """
    if endpoint is None or endpoint == "":
        return PRODUCTION_URL
    if endpoint == "sandbox":
        return SANDBOX_URL
    parts = urlsplit(endpoint)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def access_token(credential: Callable[[str], str]) -> str:
    """The shop's access token: ``access_token`` (refreshed or configured),
    else the generic ``session`` the starter config and the contract use."""
    try:
        return credential("access_token")
    except ChannelAuthError:
        return credential("session")


def optional_credential(credential: Callable[[str], str], name: str) -> str | None:
    """A credential, or None when the shop has none configured or stored."""
    try:
        return credential(name) or None
    except ChannelAuthError:
        return None


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The HTTP ``Retry-After`` hint in seconds, if the answer carries one."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date: not something Doudian is known to send
    return seconds if seconds >= 0 else None


class DoudianClient:
    """Calls Doudian APIs for one shop.

    :param http: the injected HTTP client (timeouts and transport are its business).
    :param credential: resolves ``app_key``, ``app_secret`` and the token late.
    :param clock: the source of the request ``timestamp``.
    :param url: the gateway base URL (see ``resolve_url``).
    :param sign_method: ``hmac-sha256`` (default, the official SDKs') or ``md5``.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        credential: Callable[[str], str],
        clock: Clock,
        url: str = PRODUCTION_URL,
        sign_method: str = DEFAULT_SIGN_METHOD,
        shop_id: str | None = None,
        throttle_wait: float | None = None,
    ) -> None:
        if sign_method not in SIGN_METHODS:
            raise ValueError(f"sign_method {sign_method!r}: use one of {', '.join(SIGN_METHODS)}")
        self._http = http
        self._credential = credential
        self._clock = clock
        self.url = url
        self.sign_method = sign_method
        self.shop_id = shop_id
        self.throttle_wait = throttle_wait
        self._resolved: dict[str, str] = {}

    @classmethod
    def for_shop(cls, shop: ShopContext) -> DoudianClient:
        """A client from the shop's context (``settings.sign_method`` and
        ``settings.throttle_wait`` optional)."""
        wait = shop.settings.get("throttle_wait")
        return cls(
            shop.http,
            credential=shop.credential,
            clock=shop.clock,
            url=resolve_url(shop.endpoint),
            sign_method=str(shop.settings.get("sign_method", DEFAULT_SIGN_METHOD)),
            shop_id=shop.shop_id,
            throttle_wait=float(wait) if wait is not None else None,
        )

    def request(self, method: str, params: Mapping[str, Any] | None) -> httpx.Request:
        """The complete, signed request of one call (a fresh timestamp each time)."""
        param_json = canonical_json(params)
        app_key = self._resolve("app_key")
        timestamp = str(epoch_seconds(self._clock.now()))
        query: dict[str, str] = {
            "app_key": app_key,
            "method": method,
            "v": API_VERSION,
            "timestamp": timestamp,
            "sign_method": self.sign_method,
            "sign": sign(
                app_key,
                self._resolve("app_secret"),
                method,
                param_json,
                timestamp,
                self.sign_method,
            ),
        }
        if method not in TOKEN_METHODS:
            query["access_token"] = self._resolve("access_token")
        return self._http.build_request(
            "POST",
            self.url + method_path(method),
            params=query,
            content=param_json.encode("utf-8"),
            headers=_HEADERS,
        )

    def _resolve(self, name: str) -> str:
        value = self._resolved.get(name)
        if value is None:
            value = (
                access_token(self._credential) if name == "access_token" else self._credential(name)
            )
            self._resolved[name] = value
        return value

    def call(self, method: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """POST one API call and return the envelope's ``data``.

        :raises ChannelAuthError, ChannelRateLimited, ChannelSignatureError,
            ChannelResponseError: see ``envelope``; network failures and 5xx
            answers without an envelope are ``ChannelResponseError(transient=True)``.
        """
        request = self.request(method, params)
        try:
            response = self._http.send(request)
        except httpx.TimeoutException as exc:
            raise self._transient(method, f"timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise self._transient(method, f"transport error ({type(exc).__name__})") from exc
        try:
            # pydantic-core's parser: several times the stdlib's on page
            # bodies that carry up to 100 orders each
            body = from_json(response.content)
        except ValueError:
            body = None
        hint = retry_after_seconds(response)
        if hint is None:
            hint = self.throttle_wait
        if not isinstance(body, dict) or "code" not in body:
            status = response.status_code
            if status == 429:  # a gateway in front of Doudian throttling over HTTP
                raise ChannelRateLimited(
                    f"{method}: HTTP 429",
                    channel=CHANNEL,
                    shop_id=self.shop_id,
                    retry_after=hint if hint is not None else DEFAULT_THROTTLE_WAIT,
                )
            raise ChannelResponseError(
                f"{method}: HTTP {status} without a Doudian envelope",
                channel=CHANNEL,
                shop_id=self.shop_id,
                code=str(status),
                transient=status >= 500,
            )
        return unwrap(method, body, shop_id=self.shop_id, retry_after=hint)

    def _transient(self, method: str, what: str) -> ChannelResponseError:
        return ChannelResponseError(
            f"{method}: {what}", channel=CHANNEL, shop_id=self.shop_id, transient=True
        )
