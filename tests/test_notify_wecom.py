"""WeCom (企业微信) group robot: the message format, the robot's answers, and a
run against a local server standing in for qyapi.weixin.qq.com."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from orderkit.config.model import NotificationConfig
from orderkit.notify import Dispatcher, Notification
from orderkit.notify.wecom import WeComNotifier
from orderkit.notify.wecom_text import MAX_CONTENT_BYTES, event_text, fit, robot_message
from orderkit.specs import Event

from .conftest import make_order_payload
from .notify_support import (
    OK_JSON,
    Reply,
    add_event,
    clock_of,
    deliveries,
    notify_kit,
    scripted_server,
)

ROBOT_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
AT = datetime(2026, 11, 11, 2, 5, tzinfo=UTC)  # 10:05 in China


def event(topic: str, payload: dict[str, Any], order_id: str | None = "o1") -> Event:
    return Event(id="e1", topic=topic, order_id=order_id, payload=payload, created_at=AT)


# --- the words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "payload", "ref", "text"),
    [
        (
            "shipment.upload_failed",
            {"error": "运单号不存在", "waybill": "ZT7312345678901"},
            "tb-main/3105",
            "【orderkit】订单 tb-main/3105 物流单号上传失败: 运单号不存在 (11-11 10:05)",
        ),
        (
            "shipment.manual_entry",
            {"reason": {"code": "courier_down", "message": "中通接口超时三次"}},
            "dy-1/66",
            "【orderkit】订单 dy-1/66 需要人工录入物流单号: 中通接口超时三次 (11-11 10:05)",
        ),
        (
            "sync.failed",
            {"shop_id": "tb-main", "error": "session expired"},
            None,
            "【orderkit】店铺 tb-main 同步失败: session expired (11-11 10:05)",
        ),
        (
            "alert.stock_low",
            {"severity": "warning", "message": "SKU-SHCH-50 库存只剩 3 件"},
            None,
            "【orderkit】告警[警告] SKU-SHCH-50 库存只剩 3 件 (11-11 10:05)",
        ),
        (
            "order.held",
            {"holds": ["address_incomplete", "blacklist"]},
            "own-mini/T1",
            "【orderkit】订单 own-mini/T1 已挂起: 原因 address_incomplete, blacklist (11-11 10:05)",
        ),
        ("custom.thing", {}, None, "【orderkit】订单 o1 custom.thing (11-11 10:05)"),
    ],
)
def test_one_plain_line_per_event(
    topic: str, payload: dict[str, Any], ref: str | None, text: str
) -> None:
    assert event_text(Notification(event(topic, payload), ref)) == text


def test_no_phone_or_address_reaches_the_chat() -> None:
    payload = {
        "error": "收件人电话 13812345678 无效",
        "receiver": {"name": "张三", "phone": "13812345678", "address": "文三路90号"},
        "address": "浙江省杭州市西湖区文三路90号",
    }
    text = event_text(Notification(event("shipment.upload_failed", payload), "tb/1"))
    assert "13812345678" not in text and "138****5678" in text
    assert "文三路" not in text and "张三" not in text


def test_content_stays_under_the_robot_limit() -> None:
    long = {"message": "库存不足" * 400}  # 4800 bytes of UTF-8
    text = event_text(Notification(event("alert.stock", long)))
    assert len(text.encode("utf-8")) <= MAX_CONTENT_BYTES
    assert text.endswith("…") and text.startswith("【orderkit】告警")
    assert fit("短") == "短"
    assert fit("汉字" * 10, limit=10) == "汉字…"  # cut on a character, never mid-byte


def test_message_shape() -> None:
    message = robot_message(Notification(event("sync.failed", {"shop_id": "a"})))
    assert message == {"msgtype": "text", "text": {"content": message["text"]["content"]}}


# --- the robot's answers (MockTransport) ---------------------------------------------


def answer_with(response: httpx.Response, monkeypatch: pytest.MonkeyPatch) -> Any:
    url = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={ROBOT_KEY}"
    monkeypatch.setenv("WECOM_URL", url)
    config = NotificationConfig(id="ops", type="wecom", url="env:WECOM_URL")
    notifier = WeComNotifier(config, transport=httpx.MockTransport(lambda request: response))
    return notifier.send(Notification(event("sync.failed", {"shop_id": "a"})))


@pytest.mark.parametrize(
    ("response", "ok", "retry_after", "error"),
    [
        (httpx.Response(200, content=OK_JSON), True, None, None),
        (httpx.Response(200, json={"errcode": 45009, "errmsg": "api freq out of limit"}),
         False, 60.0, "errcode 45009: api freq out of limit"),
        (httpx.Response(200, json={"errcode": 93000, "errmsg": f"invalid url, key={ROBOT_KEY}"}),
         False, None, "errcode 93000: invalid url"),
        (httpx.Response(200, text="<html>"), False, None, "did not answer with JSON"),
        (httpx.Response(502), False, None, "HTTP 502"),
    ],
)  # fmt: skip
def test_robot_answers(
    response: httpx.Response,
    ok: bool,
    retry_after: float | None,
    error: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = answer_with(response, monkeypatch)
    assert (result.ok, result.retry_after) == (ok, retry_after)
    if error is not None:
        assert error in result.error
        assert ROBOT_KEY not in result.error


# --- against a local robot, on every backend ------------------------------------------


def test_robot_gets_alerts_only_and_waits_out_its_rate_limit(
    db_url: str, table_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    limited = Reply(200, json.dumps({"errcode": 45009, "errmsg": "api freq out of limit"}).encode())
    with scripted_server(Reply(200, OK_JSON), limited, default=Reply(200, OK_JSON)) as robot:
        monkeypatch.setenv("WECOM_URL", robot.url(f"/cgi-bin/webhook/send?key={ROBOT_KEY}"))
        ops = {"id": "ops", "type": "wecom", "url": "env:WECOM_URL"}
        with notify_kit(db_url, table_prefix, notifications=[ops]) as kit:
            kit.ingest([make_order_payload(external_id="3105")])
            order_id = kit.get("own-mini/3105").order.id
            clock = clock_of(kit)
            ids = {}
            stalled = {"severity": "critical", "message": "淘宝店 2 小时没有新订单"}
            for topic, payload in [
                ("order.approved", {}),  # not an alert: a robot does not get it
                ("shipment.upload_failed", {"error": "运单号不存在"}),
                ("alert.sync_stalled", stalled),
                ("sync.failed", {"shop_id": "tb-main", "error": "session expired"}),
            ]:
                ids[topic] = add_event(kit, topic, payload, order_id=order_id)
                clock.advance(1)
            dispatcher = Dispatcher(kit)
            first = dispatcher.drain()
            assert first.consumers["ops"].stopped == "throttled"
            assert (first.delivered, first.retried) == (1, 1)
            clock.advance(30)
            assert dispatcher.drain().total == 0  # the robot's minute is not over
            clock.advance(31)
            assert dispatcher.drain().delivered == 2
            rows = deliveries(kit, "ops")

    texts = [r.json["text"]["content"] for r in robot.received]
    assert all(r.path == f"/cgi-bin/webhook/send?key={ROBOT_KEY}" for r in robot.received)
    assert texts[0] == "【orderkit】订单 own-mini/3105 物流单号上传失败: 运单号不存在 (11-11 08:00)"
    assert texts[1] == texts[2]  # the rate-limited message, sent again
    assert texts[2].startswith("【orderkit】告警[严重] 淘宝店 2 小时没有新订单")
    assert texts[3].startswith("【orderkit】店铺 tb-main 同步失败: session expired")
    assert len(robot.received) == 4
    assert ids["order.approved"] not in rows
    assert rows[ids["alert.sync_stalled"]].attempts == 1  # the rate limit cost no attempt
    assert all(r.delivered_at is not None for r in rows.values())
