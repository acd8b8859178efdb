"""TOP response envelopes: unwrap ``<api>_response``, turn ``error_response`` into
orderkit's typed errors (channels.md §1.8, §6.4). Pure: no I/O.

How an ``error_response`` is classified, first match wins::

    code 7, an accesscontrol.* / isp.call-limited sub_code,
    or "ban will last for N more seconds"            -> ChannelRateLimited(retry_after=N+1)
    code 24/25 (missing/invalid signature)           -> ChannelSignatureError
    code 26/27/42/44, or a session-ish sub_code      -> ChannelAuthError
    code 10, code 15 without an isv.* sub_code,
    an isp.* sub_code, or a known retry-later code   -> ChannelResponseError(transient=True)
    anything else                                    -> ChannelResponseError(transient=False)
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
from orderkit_taobao.protocol import THROTTLE_SUB_CODES, TopCode, ban_seconds, response_key

CHANNEL: Final = "taobao"

#: Wait when a throttling error carries no ban time. The daily app quota
#: (limited-by-app-access-count) normally says how long; this is the fallback.
DEFAULT_THROTTLE_WAIT: Final = 60.0

_AUTH_CODES: Final = frozenset(
    {
        TopCode.MISSING_SESSION,
        TopCode.INVALID_SESSION,
        TopCode.INSUFFICIENT_SESSION_PERMISSIONS,
        TopCode.INVALID_ACCESS_TOKEN,
    }
)
_SIGNATURE_CODES: Final = frozenset({TopCode.MISSING_SIGNATURE, TopCode.INVALID_SIGNATURE})
#: Retried automatically by a long-lived Python TOP client (§1.8), each also
#: with a "-tmall" suffix; every other isp.* code is treated alike.
_TRANSIENT_SUB_CODES: Final = frozenset(
    {
        "isp.top-remote-connection-timeout",
        "isp.top-remote-service-unavailable",
        "isp.top-remote-connection-control-error",
        "isp.top-remote-unknown-error",
        "isp.remote-connection-error",
        "isp.service-error",
        # 发货异常，请稍等后重试 ("shipping failed, retry later"): seen in public
        # ERP code handling logistics.offline.send, not in the reference.
        "isv.logistics-offline-service-error:B150",
    }
)


def unwrap(method: str, body: Any, *, shop_id: str | None = None) -> dict[str, Any]:
    """The content of ``<api>_response``.

    :raises ChannelError: the typed error for an ``error_response``;
        ``ChannelResponseError`` for a body that is neither envelope.
    """
    if not isinstance(body, dict):
        raise ChannelResponseError(
            f"{method}: response is not a JSON object", channel=CHANNEL, shop_id=shop_id
        )
    error = body.get("error_response")
    if error is not None:
        raise error_from_response(method, error, shop_id=shop_id)
    content = body.get(response_key(method))
    if not isinstance(content, dict):
        keys = ", ".join(sorted(body)) or "nothing"
        raise ChannelResponseError(
            f"{method}: expected {response_key(method)!r} in the response, got {keys}",
            channel=CHANNEL,
            shop_id=shop_id,
        )
    return content


def error_from_response(
    method: str, error: Mapping[str, Any] | Any, *, shop_id: str | None = None
) -> ChannelError:
    """The orderkit error for one ``error_response`` object (see the module docstring)."""
    if not isinstance(error, Mapping):
        error = {}
    code = _as_int(error.get("code"))
    msg = str(error.get("msg") or "")
    sub_code = str(error.get("sub_code") or "")
    sub_msg = str(error.get("sub_msg") or "")
    request_id = str(error.get("request_id") or "")
    text = f"{method}: error {code if code is not None else '?'} {msg}".rstrip()
    if sub_code or sub_msg:
        text += f" ({sub_code}: {sub_msg})" if sub_code else f" ({sub_msg})"
    if request_id:
        text += f" [request_id {request_id}]"
    code_text = str(code) if code is not None else None

    ban = ban_seconds(sub_msg) if sub_msg else None
    if ban is None:
        ban = ban_seconds(msg)
    if code == TopCode.APP_CALL_LIMITED or sub_code in THROTTLE_SUB_CODES or ban is not None:
        wait = float(ban + 1) if ban is not None else DEFAULT_THROTTLE_WAIT
        return ChannelRateLimited(
            f"{text}; throttled, wait {wait:g} s",
            channel=CHANNEL,
            shop_id=shop_id,
            retry_after=wait,
        )
    if code in _SIGNATURE_CODES or "signature" in sub_code.lower():
        return ChannelSignatureError(
            f"{text}; check app_secret and sign_method (the session must be signed too)",
            channel=CHANNEL,
            shop_id=shop_id,
            code=code_text,
            sub_code=sub_code or None,
        )
    if code in _AUTH_CODES or _is_session_error(sub_code, sub_msg, msg):
        return ChannelAuthError(
            f"{text}; the shop's session is expired or refused: re-authorise the shop",
            channel=CHANNEL,
            shop_id=shop_id,
        )
    transient = (
        code == TopCode.SERVICE_UNAVAILABLE
        or (code == TopCode.REMOTE_SERVICE_ERROR and not sub_code.startswith("isv."))
        or sub_code.startswith("isp.")
        or sub_code.removesuffix("-tmall") in _TRANSIENT_SUB_CODES
    )
    if code == TopCode.INVALID_TIMESTAMP:
        text += "; TOP wants GMT+8 within 10 minutes of its clock: check the host clock"
    return ChannelResponseError(
        text,
        channel=CHANNEL,
        shop_id=shop_id,
        code=code_text,
        sub_code=sub_code or None,
        transient=transient,
    )


def _is_session_error(sub_code: str, sub_msg: str, msg: str) -> bool:
    # Session expiry is reported as code 27 with "invalid-sessionkey" /
    # "SessionKey" in the text; "session-expired" is also seen in the field.
    lowered = f"{sub_code} {sub_msg} {msg}".lower()
    return "sessionkey" in lowered or "session-expired" in lowered or "session-not-exist" in lowered


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
