"""``refresh_credentials`` for Douyin: new tokens from the token API (§2.5).

- With a refresh token (stored or configured): ``token.refresh`` with
  ``grant_type=refresh_token``.
- Without one: ``token.create`` with ``grant_type=authorization_self`` (and
  ``settings.douyin_shop_id`` when set): the self-use app (自用型应用) flow,
  which needs no seller interaction. A tool (ISV) app's shop must be
  configured with its refresh token; the platform refuses it otherwise.

The answer's ``access_token``, ``refresh_token`` and both expiries are
returned as a ``CredentialGrant``; the engine persists every value in the
credentials table (a lost refresh-token expiry once stopped a PHP SDK from
ever refreshing again, §2.5). A refusal is a ``ChannelAuthError``: the sync
stops with it and ``orderkit health`` shows the shop. New tokens join the
log redactor at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from orderkit.errors import ChannelAuthError, ChannelResponseError, ChannelSignatureError
from orderkit.logs import add_secret
from orderkit.specs import CredentialGrant, ShopContext

from orderkit_douyin.client import DoudianClient, optional_credential
from orderkit_douyin.protocol import CHANNEL, TOKEN_CREATE, TOKEN_REFRESH

#: Defaults when the answer leaves the lifetimes out (§2.5: 7 and 14 days).
ACCESS_TOKEN_TTL: Final = timedelta(days=7)
REFRESH_TOKEN_TTL: Final = timedelta(days=14)
REFRESH_EXPIRY_KEY: Final = "refresh_token_expires_at"


def token_request(shop: ShopContext) -> tuple[str, dict[str, Any]]:
    """The token API method and parameters for this shop (see the module docstring)."""
    refresh_token = optional_credential(shop.credential, "refresh_token")
    if refresh_token is not None:
        return TOKEN_REFRESH, {"grant_type": "refresh_token", "refresh_token": refresh_token}
    params: dict[str, Any] = {"grant_type": "authorization_self", "code": ""}
    douyin_shop = shop.settings.get("douyin_shop_id")
    if douyin_shop not in (None, ""):
        params["shop_id"] = str(douyin_shop)
    return TOKEN_CREATE, params


def grant_from_token_data(
    data: Mapping[str, Any], now: datetime, *, shop_id: str | None = None
) -> CredentialGrant:
    """The grant in a token API answer's ``data``.

    :raises ChannelAuthError: the answer carries no access token.
    """
    access = data.get("access_token")
    if not isinstance(access, str) or not access:
        raise ChannelAuthError(
            "the token API answered without an access_token", channel=CHANNEL, shop_id=shop_id
        )
    values: dict[str, str] = {"access_token": access}
    refresh = data.get("refresh_token")
    if isinstance(refresh, str) and refresh:
        values["refresh_token"] = refresh
        values[REFRESH_EXPIRY_KEY] = (now + REFRESH_TOKEN_TTL).isoformat()
    expires_in = data.get("expires_in")
    ttl = (
        timedelta(seconds=expires_in)
        if isinstance(expires_in, int) and not isinstance(expires_in, bool) and expires_in > 0
        else ACCESS_TOKEN_TTL
    )
    douyin_shop = data.get("shop_id")
    if douyin_shop not in (None, ""):
        values["douyin_shop_id"] = str(douyin_shop)
    return CredentialGrant(values=values, expires_at=now + ttl)


def refresh_credentials(shop: ShopContext) -> CredentialGrant:
    """New tokens for the shop; see the module docstring.

    :raises ChannelAuthError: the platform refused (the seller must re-authorise).
    """
    client = DoudianClient.for_shop(shop)
    method, params = token_request(shop)
    try:
        data = client.call(method, params)
    except ChannelSignatureError:
        raise  # the app secret is wrong: that message says what to fix
    except ChannelResponseError as exc:
        if exc.transient:
            raise  # worth another try later; not a refusal
        raise ChannelAuthError(
            f"{method} refused: {exc}; the seller must re-authorise this shop",
            channel=CHANNEL,
            shop_id=shop.shop_id,
        ) from exc
    grant = grant_from_token_data(data, shop.clock.now(), shop_id=shop.shop_id)
    for name in ("access_token", "refresh_token"):
        value = grant.values.get(name)
        if value:
            add_secret(value)
    return grant
