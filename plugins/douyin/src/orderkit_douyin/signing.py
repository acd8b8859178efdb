"""Doudian request signing (channels.md §2.3). Pure: no I/O.

1. ``param_json``: the business parameters as JSON with keys sorted at every
   level, no whitespace, nothing escaped that need not be (slashes, ``<>&``
   and non-ASCII stay as they are); no parameters is ``{}``.
2. The sign string: ``secret + "app_key" + app_key + "method" + method +
   "param_json" + param_json + "timestamp" + timestamp + "v" + "2" + secret``.
   ``access_token`` and ``sign_method`` are not part of it.
3. ``hmac-sha256`` keyed with the secret, or plain ``md5``; lower-case hex.
4. The body sent is exactly the ``param_json`` that was signed.

Push signing (``event-sign``) is a different recipe: see ``push.signature``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, Final

from orderkit_douyin.protocol import API_VERSION, SIGN_METHODS

# Go's encoder (the official SDK) escapes these two even with HTML escaping
# off, and so does PHP without JSON_UNESCAPED_LINE_TERMINATORS; Python's does
# not. Matching the official bytes keeps us safe if the server re-serialises.
_LINE_TERMINATORS: Final = {"\u2028": "\\u2028", "\u2029": "\\u2029"}


def canonical_json(params: Mapping[str, Any] | None) -> str:
    """The ``param_json`` form of ``params``: sorted keys at every level,
    compact separators, UTF-8 unescaped. Floats are refused: every Doudian
    number is an integer (ids, fen, seconds) and a float would lose digits."""
    if not params:
        return "{}"
    _refuse_floats(params, "param_json")
    text = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if "\u2028" in text or "\u2029" in text:
        for raw, escaped in _LINE_TERMINATORS.items():
            text = text.replace(raw, escaped)
    return text


def _refuse_floats(value: Any, path: str) -> None:
    if isinstance(value, float):
        raise TypeError(f"{path}: floats are not sent to Doudian (use integer fen or seconds)")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: JSON keys must be text, got {key!r}")
            _refuse_floats(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _refuse_floats(item, f"{path}[{index}]")


def sign_string(app_key: str, app_secret: str, method: str, param_json: str, timestamp: str) -> str:
    """The text that is hashed (step 2): fixed order, names and values glued."""
    return (
        f"{app_secret}app_key{app_key}method{method}param_json{param_json}"
        f"timestamp{timestamp}v{API_VERSION}{app_secret}"
    )


def sign(
    app_key: str,
    app_secret: str,
    method: str,
    param_json: str,
    timestamp: str,
    sign_method: str = "hmac-sha256",
) -> str:
    """The ``sign`` parameter of one request: lower-case hex.

    :param timestamp: exactly as sent (unix seconds as text, or the
        ``yyyy-MM-dd HH:mm:ss`` form some SDKs send).
    :raises ValueError: an unknown ``sign_method``.
    """
    text = sign_string(app_key, app_secret, method, param_json, timestamp).encode("utf-8")
    if sign_method == "hmac-sha256":
        return hmac.new(app_secret.encode("utf-8"), text, hashlib.sha256).hexdigest()
    if sign_method == "md5":
        return hashlib.md5(text).hexdigest()
    raise ValueError(f"sign_method {sign_method!r}: use one of {', '.join(SIGN_METHODS)}")


def sign_params(params: Mapping[str, Any], secret: str) -> str:
    """``sign`` from a flat mapping of the signed fields (``app_key``, ``method``,
    ``param_json``, ``timestamp``, optional ``sign_method``): the shape
    ``orderkit.testing.SignatureExample`` calls."""
    return sign(
        str(params["app_key"]),
        secret,
        str(params["method"]),
        str(params["param_json"]),
        str(params["timestamp"]),
        str(params.get("sign_method", "hmac-sha256")),
    )
