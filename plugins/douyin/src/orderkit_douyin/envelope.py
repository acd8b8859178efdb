"""Doudian response envelopes -> ``data`` or orderkit's typed errors (§2.4, §6.4).
Pure: no I/O.

Every answer is ``{code, msg, sub_code, sub_msg, log_id, data}``; ``code ==
10000`` is success. Anything else is classified, first match wins::

    60000 (触发限流)                                 -> ChannelRateLimited
    isv.signature-* sub_code                         -> ChannelSignatureError
    isv.access-token-* sub_code (expired, no-existed,
      invalid, missing), 50001 dop.token-generate-failed:*,
      30001 dop.authorization-* (shop authorisation
      lost or closed)                                -> ChannelAuthError
    20000, 20001, 50000, an isp.* sub_code (not 70000
      "API offline")                                 -> ChannelResponseError(transient=True)
    anything else                                    -> ChannelResponseError(transient=False)

Doudian's throttle answer carries no wait time that we know of; the client
passes an HTTP ``Retry-After`` when there is one, else the shop's
``throttle_wait`` setting (default 1 s).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from orderkit.errors import (
    ChannelAuthError,
    ChannelError,
    ChannelRateLimited,
    ChannelResponseError,
    ChannelSignatureError,
)

from orderkit_douyin.protocol import CHANNEL, SUCCESS, DoudianCode

DEFAULT_THROTTLE_WAIT: Final = 1.0

_TRANSIENT_CODES: Final = frozenset(
    {DoudianCode.SERVICE_UNAVAILABLE, DoudianCode.INTERNAL_TIMEOUT, DoudianCode.SERVER_ERROR}
)
#: The official SDK refreshes and retries on these two (§2.4); the others of
#: the family mean the token is wrong for this app or absent: re-authorise.
TOKEN_SUB_CODES: Final = frozenset(
    {
        "isv.access-token-expired",
        "isv.access-token-no-existed",
        "isv.access-token-invalid",
        "isv.access-token-missing",
    }
)


def unwrap(
    method: str,
    body: Any,
    *,
    shop_id: str | None = None,
    retry_after: float | None = None,
) -> dict[str, Any]:
    """The ``data`` of a successful envelope (``{}`` when it has none).

    :param retry_after: the HTTP ``Retry-After`` of the answer, if any.
    :raises ChannelError: the typed error of a failed envelope, or
        ``ChannelResponseError`` for a body that is not an envelope.
    """
    if not isinstance(body, Mapping) or "code" not in body:
        raise ChannelResponseError(
            f"{method}: the answer is not a Doudian envelope", channel=CHANNEL, shop_id=shop_id
        )
    if _as_int(body.get("code")) != SUCCESS:
        raise error_from_envelope(method, body, shop_id=shop_id, retry_after=retry_after)
    data = body.get("data")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ChannelResponseError(
            f"{method}: 'data' is not an object", channel=CHANNEL, shop_id=shop_id
        )
    return data


def error_from_envelope(
    method: str,
    body: Mapping[str, Any],
    *,
    shop_id: str | None = None,
    retry_after: float | None = None,
) -> ChannelError:
    """The orderkit error for one failed envelope (see the module docstring)."""
    code = _as_int(body.get("code"))
    msg = str(body.get("msg") or "")
    sub_code = str(body.get("sub_code") or "")
    sub_msg = str(body.get("sub_msg") or "")
    log_id = str(body.get("log_id") or "")
    text = f"{method}: error {code if code is not None else '?'} {msg}".rstrip()
    if sub_code or sub_msg:
        text += f" ({sub_code}: {sub_msg})" if sub_code else f" ({sub_msg})"
    if log_id:
        text += f" [log_id {log_id}]"
    code_text = str(code) if code is not None else None

    if code == DoudianCode.RATE_LIMITED:
        wait = retry_after if retry_after is not None and retry_after > 0 else DEFAULT_THROTTLE_WAIT
        return ChannelRateLimited(
            f"{text}; throttled, wait {wait:g} s",
            channel=CHANNEL,
            shop_id=shop_id,
            retry_after=wait,
        )
    if sub_code.startswith("isv.signature"):
        return ChannelSignatureError(
            f"{text}; check app_secret and sign_method, and that the body is the signed param_json",
            channel=CHANNEL,
            shop_id=shop_id,
            code=code_text,
            sub_code=sub_code,
        )
    if _is_auth_error(code, sub_code):
        return ChannelAuthError(
            f"{text}; the shop's access token is expired or refused: refresh it, "
            "or re-authorise the shop",
            channel=CHANNEL,
            shop_id=shop_id,
        )
    # isp.* is the platform's own trouble, worth another try; an API taken
    # offline (70000) will not come back by retrying.
    transient = (
        code in _TRANSIENT_CODES or sub_code.startswith("isp.")
    ) and code != DoudianCode.API_OFFLINE
    if sub_code.startswith("isv.timestamp"):
        text += "; Doudian wants the request time close to its clock: check the host clock"
    elif code == DoudianCode.IP_NOT_WHITELISTED:
        text += "; add this host's address to the app's IP whitelist"
    return ChannelResponseError(
        text,
        channel=CHANNEL,
        shop_id=shop_id,
        code=code_text,
        sub_code=sub_code or None,
        transient=transient,
    )


def _is_auth_error(code: int | None, sub_code: str) -> bool:
    if sub_code in TOKEN_SUB_CODES:
        return True
    if code == DoudianCode.PLATFORM_PROCESSING_FAILED and sub_code.startswith(
        "dop.token-generate-failed"
    ):
        return True  # a refused token.create / token.refresh: the seller must re-authorise
    return code == DoudianCode.NO_PERMISSION and sub_code in (
        "dop.authorization-no-existed",
        "dop.authorization-closed",
    )


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
