"""WeCom (企业微信) group-robot notifier.

The robot answers HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}`` on success;
any other ``errcode`` is a failed attempt, except 45009 (more than 20
messages a minute) which waits a minute without counting as one. The robot
URL holds its key, so it comes from ``env:NAME`` and is masked in every
stored error.
"""

from __future__ import annotations

import json

import httpx

from orderkit.config.model import NotificationConfig
from orderkit.errors import ConfigError
from orderkit.notify.base import Notification, SendResult, short_error
from orderkit.notify.http import Poster, status_failure, url_secrets
from orderkit.notify.wecom_text import robot_message

#: errcode of the robot's rate limit (20 messages a minute per robot).
RATE_LIMITED = 45009
RATE_LIMIT_WAIT = 60.0


def parse_reply(response: httpx.Response, url: str) -> SendResult:
    """How the robot's answer counts."""
    failure = status_failure(response, url_secrets(url))
    if failure is not None:
        return failure
    try:
        reply = response.json()
        code = int(reply.get("errcode", -1))
    except (ValueError, AttributeError, TypeError):
        return SendResult.failed("the robot did not answer with JSON errcode/errmsg")
    if code == 0:
        return SendResult.delivered()
    error = short_error(f"errcode {code}: {reply.get('errmsg', '')}", url_secrets(url))
    if code == RATE_LIMITED:
        return SendResult.throttled(error, RATE_LIMIT_WAIT)
    return SendResult.failed(error)


class WeComNotifier:
    """Posts one text message per event to a group robot."""

    def __init__(
        self, config: NotificationConfig, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._config = config
        self._poster = Poster(config.timeout, transport)

    def send(self, notification: Notification) -> SendResult:
        try:
            url = self._config.resolve_url()
        except ConfigError as exc:
            return SendResult.failed(short_error(str(exc.problems[0])))
        body = json.dumps(robot_message(notification), ensure_ascii=False).encode("utf-8")
        answer = self._poster.post(url, body, {})
        if isinstance(answer, SendResult):
            return answer
        return parse_reply(answer, url)

    def close(self) -> None:
        self._poster.close()
