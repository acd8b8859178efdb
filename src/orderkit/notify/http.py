"""One POST, its failure modes turned into a ``SendResult``; shared by the
webhook and WeCom notifiers.

- 2xx: the caller looks at the reply (a webhook is delivered; WeCom still
  checks ``errcode``);
- 429: throttled, tried again after ``Retry-After`` (default 60 s) without
  counting an attempt;
- any other status, a redirect (never followed: re-sending a POST elsewhere
  is the receiver's call, not ours), a timeout or a network error: a failed
  attempt, retried with backoff until ``max_attempts``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import parse_qsl, urlsplit

import httpx

from orderkit.notify.base import SendResult, short_error

DEFAULT_RETRY_AFTER = 60.0
USER_AGENT = "orderkit-notify/0.1"


class Poster:
    """An ``httpx.Client`` made on first use (``transport`` is injectable for tests)."""

    def __init__(self, timeout: float, transport: httpx.BaseTransport | None = None) -> None:
        self._timeout = timeout
        self._transport = transport
        self._client: httpx.Client | None = None

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str]
    ) -> httpx.Response | SendResult:
        """The response (any status), or the failed ``SendResult`` when there is none."""
        if self._client is None:
            self._client = httpx.Client(
                transport=self._transport,
                timeout=self._timeout,
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT},
            )
        try:
            return self._client.post(
                url, content=body, headers={"Content-Type": "application/json", **headers}
            )
        except httpx.TimeoutException:
            return SendResult.failed(f"timed out after {self._timeout:g}s")
        except httpx.HTTPError as exc:
            # The message of a transport error can quote the URL, which may hold a key.
            return SendResult.failed(
                short_error(f"request failed: {type(exc).__name__}: {exc}", url_secrets(url))
            )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def status_failure(response: httpx.Response, secrets: Sequence[str]) -> SendResult | None:
    """None for a 2xx response, else how the non-2xx answer counts; ``secrets``
    are masked in the error (a receiver may echo what it was sent)."""
    if response.is_success:
        return None
    excerpt = response.text[:200] if response.content else ""
    error = short_error(
        f"HTTP {response.status_code} {response.reason_phrase} {excerpt}".strip(), secrets
    )
    if response.status_code == 429:
        return SendResult.throttled(error, _retry_after(response))
    if response.is_redirect:
        return SendResult.failed(f"{error} (redirects are not followed: configure the final URL)")
    return SendResult.failed(error)


def url_secrets(url: str) -> list[str]:
    """The parts of ``url`` that must never be shown: the URL itself and its query values."""
    try:
        values = [value for _name, value in parse_qsl(urlsplit(url).query)]
    except ValueError:
        values = []
    return [url, *values]


def _retry_after(response: httpx.Response) -> float:
    try:
        return float(response.headers.get("Retry-After", DEFAULT_RETRY_AFTER))
    except ValueError:  # an HTTP date: rare enough to simply wait the default
        return DEFAULT_RETRY_AFTER
