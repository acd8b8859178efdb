"""The words a WeCom (企业微信) group robot posts for an event: one short
Chinese line a person can act on, e.g.
``【orderkit】订单 tb-main/3105 物流单号上传失败: 面单号不存在 (11-11 10:05)``.

Pure functions, no HTTP. Only a few named payload fields are read (message,
error, reason, hold codes, shop, severity), so receiver names, phones and
addresses never reach a chat; the text is scrubbed for phone numbers anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orderkit.clock import CHINA_TZ
from orderkit.logs import Redactor
from orderkit.notify.base import Notification

PREFIX = "【orderkit】"
#: The robot refuses text content over 2048 bytes (UTF-8).
MAX_CONTENT_BYTES = 2048

# What happened, in the words ops use; keyed by topic.
_WHAT = {
    "shipment.upload_failed": "物流单号上传失败",
    "shipment.manual_entry": "需要人工录入物流单号",
    "shipment.uploaded": "物流单号已上传",
    "sync.failed": "同步失败",
    "order.held": "已挂起",
    "order.approved": "已审核通过",
    "order.allocated": "已分配仓库",
    "order.skipped": "未处理",
}
_SEVERITY = {"critical": "严重", "error": "错误", "warning": "警告", "info": "提示"}
_DETAIL_KEYS = ("message", "error", "reason")
_scrubber = Redactor()


def robot_message(notification: Notification) -> dict[str, Any]:
    """The JSON body posted to the robot."""
    return {"msgtype": "text", "text": {"content": event_text(notification)}}


def event_text(notification: Notification) -> str:
    """The message text, under ``MAX_CONTENT_BYTES``."""
    event = notification.event
    payload = event.payload
    when = event.created_at.astimezone(CHINA_TZ).strftime("%m-%d %H:%M")
    if event.topic.startswith("alert."):
        severity = _text(payload.get("severity"))
        head = f"告警[{_SEVERITY.get(severity, severity)}]" if severity else "告警"
        body = f"{head} {_detail(payload) or event.topic}"
    elif event.topic == "sync.failed":
        shop = _text(payload.get("shop_id")) or "?"
        body = _join(f"店铺 {shop} 同步失败", _detail(payload))
    else:
        what = _WHAT.get(event.topic, event.topic)
        ref = notification.order_ref or event.order_id
        subject = f"订单 {ref} {what}" if ref else what
        body = _join(subject, _detail(payload))
    return fit(f"{PREFIX}{body} ({when})")


def fit(text: str, limit: int = MAX_CONTENT_BYTES) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, on a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    cut = data[: limit - len("…".encode())].decode("utf-8", errors="ignore")
    return cut + "…"


def _detail(payload: Mapping[str, Any]) -> str:
    for key in _DETAIL_KEYS:
        text = _text(payload.get(key))
        if text:
            return _scrubber.scrub(" ".join(text.split()))
    holds = payload.get("holds")
    if isinstance(holds, list) and holds:
        return "原因 " + ", ".join(_text(code) for code in holds)
    return ""


def _join(subject: str, detail: str) -> str:
    return f"{subject}: {detail}" if detail else subject


def _text(value: Any) -> str:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, Mapping):  # an error object: {"code": ..., "message": ...}
        return _text(value.get("message")) or _text(value.get("code"))
    return ""
