"""The TOP HTTP client: system parameters, signing, form POST, envelope parsing.

It takes an injected ``httpx.Client`` (the engine's, or one wired to the
sandbox transport) and the shop's clock. A client lives for one hook call
(one page, one upload) and resolves each credential once in that time: a
session refreshed between two hook calls is picked up by the next, and the
resolver (which may read a database) is not asked three times per request.
It never logs the app secret, the session or the signature.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote_plus, urlsplit, urlunsplit

import httpx
from pydantic_core import from_json

from orderkit.errors import ChannelResponseError
from orderkit_taobao.envelope import CHANNEL, unwrap
from orderkit_taobao.protocol import (
    API_VERSION,
    FORM_CONTENT_TYPE,
    FORMAT_JSON,
    PRODUCTION_URL,
    ROUTER_PATH,
    SANDBOX_URL,
    SIGN_METHODS,
    format_time,
)
from orderkit_taobao.signing import sign

if TYPE_CHECKING:
    from orderkit.clock import Clock
    from orderkit.specs import ShopContext

#: Values a business parameter may have; None means "do not send".
ParamValue = str | int | bool | datetime | Sequence[str] | None

_HEADERS: Final = {"Content-Type": FORM_CONTENT_TYPE, "Accept": "application/json"}


def resolve_url(endpoint: str | None) -> str:
    """The gateway URL for a shop's ``endpoint`` setting.

    None -> production; ``sandbox`` -> the in-process sandbox; a URL without a
    path (``http://127.0.0.1:8080``) gets ``/router/rest``.
    """
    if endpoint is None or endpoint == "":
        return PRODUCTION_URL
    if endpoint == "sandbox":
        return SANDBOX_URL
    parts = urlsplit(endpoint)
    if parts.path in ("", "/"):
        return urlunsplit((parts.scheme, parts.netloc, ROUTER_PATH, "", ""))
    return endpoint


@lru_cache(maxsize=1024)
def _quote(value: str) -> str:
    # Most values repeat on every call (the field list, method, app key...);
    # quoting the long field list each time was a visible share of a call.
    return quote_plus(value, safe="")


def form_body(fields: Mapping[str, str]) -> bytes:
    """``application/x-www-form-urlencoded`` UTF-8 body of ``fields``."""
    return "&".join(f"{_quote(name)}={_quote(value)}" for name, value in fields.items()).encode(
        "ascii"
    )


def _text(value: ParamValue) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, str):
        return value
    return ",".join(value)


class TopClient:
    """Calls TOP APIs for one shop.

    :param http: the injected HTTP client (timeouts and transport are its business).
    :param credential: resolves ``app_key``, ``app_secret`` and ``session``;
        asked once per name for the client's lifetime.
    :param clock: the source of the request ``timestamp``.
    :param url: the gateway URL (see ``resolve_url``).
    :param sign_method: ``md5`` (default), ``hmac`` or ``hmac-sha256``.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        credential: Callable[[str], str],
        clock: Clock,
        url: str = PRODUCTION_URL,
        sign_method: str = "md5",
        shop_id: str | None = None,
    ) -> None:
        if sign_method not in SIGN_METHODS:
            raise ValueError(f"sign_method {sign_method!r}: use one of {', '.join(SIGN_METHODS)}")
        self._http = http
        self._resolve = credential
        self._credentials: dict[str, str] = {}
        self._clock = clock
        self.url = url
        self.sign_method = sign_method
        self.shop_id = shop_id

    @classmethod
    def for_shop(cls, shop: ShopContext) -> TopClient:
        """A client from the shop's context (``settings.sign_method`` optional)."""
        return cls(
            shop.http,
            credential=shop.credential,
            clock=shop.clock,
            url=resolve_url(shop.endpoint),
            sign_method=str(shop.settings.get("sign_method", "md5")),
            shop_id=shop.shop_id,
        )

    def _credential(self, name: str) -> str:
        value = self._credentials.get(name)
        if value is None:
            value = self._credentials[name] = self._resolve(name)
        return value

    def request_params(self, method: str, params: Mapping[str, ParamValue]) -> dict[str, str]:
        """The complete, signed form fields of one call (a fresh timestamp each time)."""
        fields: dict[str, str] = {
            "method": method,
            "app_key": self._credential("app_key"),
            "session": self._credential("session"),
            "timestamp": format_time(self._clock.now()),
            "format": FORMAT_JSON,
            "v": API_VERSION,
            "sign_method": self.sign_method,
        }
        for name, value in params.items():
            text = _text(value)
            if text:  # empty values are neither sent nor signed
                fields[name] = text
        fields["sign"] = sign(fields, self._credential("app_secret"), self.sign_method)
        return fields

    def call(self, method: str, params: Mapping[str, ParamValue]) -> dict[str, Any]:
        """POST one API call and return the content of ``<api>_response``.

        :raises ChannelAuthError, ChannelRateLimited, ChannelSignatureError,
            ChannelResponseError: see ``envelope``; network failures and 5xx
            answers are ``ChannelResponseError(transient=True)``.
        """
        # Everything, session and sign included, goes in the form body: a URL
        # query would put them in proxy and httpx logs.
        content = form_body(self.request_params(method, params))
        try:
            response = self._http.post(self.url, content=content, headers=_HEADERS)
        except httpx.TimeoutException as exc:
            raise self._transient(method, f"timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise self._transient(method, f"transport error ({type(exc).__name__})") from exc
        try:
            # pydantic-core's parser: ~3x the stdlib's on these page bodies,
            # which carry up to 100 trades each
            body = from_json(response.content)
        except ValueError:
            body = None
        if body is None or (response.status_code >= 500 and "error_response" not in body):
            raise ChannelResponseError(
                f"{method}: HTTP {response.status_code} without a TOP envelope",
                channel=CHANNEL,
                shop_id=self.shop_id,
                code=str(response.status_code),
                transient=response.status_code >= 500 or response.status_code == 429,
            )
        return unwrap(method, body, shop_id=self.shop_id)

    def _transient(self, method: str, what: str) -> ChannelResponseError:
        return ChannelResponseError(
            f"{method}: {what}", channel=CHANNEL, shop_id=self.shop_id, transient=True
        )
