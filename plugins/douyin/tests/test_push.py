"""Push intake: valid, tampered, wrong app, replayed; the ASGI app; and the
sandbox sending pushes that lead to an incremental sync."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from orderkit.clock import FakeClock
from orderkit.errors import ConfigError, ConfigProblem
from orderkit.testing import make_kit
from structlog.testing import capture_logs

import orderkit_douyin
from orderkit_douyin.push import PushApp, PushIntake, PushMarks, event_sign, verify_event_sign
from orderkit_douyin.push import signature as signature_module

APP, SECRET = "7120000000000000001", "push-secret"
OTHER_APP, OTHER_SECRET = "7120000000000000002", "other-secret"
DOUYIN_SHOP = 4463798


def push_body(*messages: tuple[int, str, int]) -> bytes:
    """``(tag, msg_id, douyin shop id)`` messages as Douyin sends them."""
    items = [
        {
            "tag": str(tag),
            "msg_id": msg_id,
            "data": json.dumps(
                {
                    "p_id": 6920011000000000770,
                    "s_ids": [6920011000000000771],
                    "shop_id": shop,
                    "order_status": 2,
                }
            ),
        }
        for tag, msg_id, shop in messages
    ]
    return json.dumps(items).encode()


def signed(body: bytes, app: str = APP, secret: str = SECRET) -> dict[str, str]:
    return {"app-id": app, "event-sign": event_sign(app, body, secret)}


@pytest.fixture()
def intake() -> PushIntake:
    hub = PushIntake(PushMarks())
    hub.add_shop("dy-main", app_key=APP, app_secret=SECRET, douyin_shop_id=DOUYIN_SHOP)
    hub.add_shop("dy-outlet", app_key=APP, app_secret=SECRET, douyin_shop_id=5550001)
    hub.add_shop("dy-other", app_key=OTHER_APP, app_secret=lambda: OTHER_SECRET)
    return hub


def no_secret_in(events: list[Any], *secrets: str) -> None:
    text = json.dumps(events, default=str)
    for secret in secrets:
        assert secret not in text


def test_the_documented_event_sign() -> None:
    # md5(app_key + body + app_secret), digest from coreutils md5sum
    body = (
        b'[{"tag":"100","msg_id":"1",'
        b'"data":"{\\"p_id\\":6920000000000000010,\\"shop_id\\":4463798}"}]'
    )
    assert event_sign(APP, body, "secret") == "8fda6e3f3292e064b315a2eb504dda20"


def test_a_valid_push_marks_its_shop_and_answers_success(intake: PushIntake) -> None:
    body = push_body((101, "m-1", DOUYIN_SHOP))
    result = intake.handle(signed(body), body)
    assert (result.status, result.body) == (200, b'{"code":0,"msg":"success"}')
    assert result.verified and result.marked == {"dy-main"}
    assert intake.marks.take() == {"dy-main"}
    assert intake.marks.take() == frozenset()  # take clears


def test_a_tampered_body_is_refused_with_401_and_a_clean_log_line(intake: PushIntake) -> None:
    body = push_body((101, "m-1", DOUYIN_SHOP))
    headers = signed(body)
    tampered = body.replace(b"4463798", b"5550001")
    with capture_logs() as events:
        result = intake.handle(headers, tampered)
    assert (result.status, result.body) == (401, b'{"code":1,"msg":"fail"}')
    assert not result.verified and result.reason == "bad event-sign"
    assert len(intake.marks) == 0
    [line] = [e for e in events if e["event"] == "douyin.push.rejected"]
    assert line["reason"] == "bad event-sign" and line["log_level"] == "warning"
    no_secret_in(events, SECRET, headers["event-sign"])


def test_a_wrong_app_key_is_refused(intake: PushIntake) -> None:
    body = push_body((101, "m-1", DOUYIN_SHOP))
    unknown = intake.handle(signed(body, app="7129999999999999999", secret=SECRET), body)
    assert (unknown.status, unknown.reason) == (401, "unknown app-id")
    # a known app id, but signed with another app's secret
    crossed = intake.handle(signed(body, app=APP, secret=OTHER_SECRET), body)
    assert (crossed.status, crossed.reason) == (401, "bad event-sign")
    missing = intake.handle({"event-sign": signed(body)["event-sign"]}, body)
    assert missing.status == 401
    assert len(intake.marks) == 0


def test_a_replayed_push_is_harmless(intake: PushIntake) -> None:
    body = push_body((101, "m-1", DOUYIN_SHOP), (206, "m-2", DOUYIN_SHOP))
    first = intake.handle(signed(body), body)
    assert first.marked == {"dy-main"} and first.duplicates == 0
    assert intake.marks.take() == {"dy-main"}
    replay = intake.handle(signed(body), body)
    assert replay.status == 200  # Douyin must stop re-sending
    assert replay.duplicates == 2 and replay.marked == frozenset()
    assert intake.marks.take() == frozenset()


def test_a_shop_marked_twice_before_it_is_taken_is_one_sync(intake: PushIntake) -> None:
    for msg_id in ("a", "b", "c"):
        body = push_body((104, msg_id, DOUYIN_SHOP))
        intake.handle(signed(body), body)
    assert intake.marks.take() == {"dy-main"}


def test_headers_in_any_case_and_as_asgi_pairs(intake: PushIntake) -> None:
    body = push_body((100, "m-9", 5550001))
    headers = signed(body)
    pairs = [
        (b"App-Id", headers["app-id"].encode()),
        (b"EVENT-SIGN", headers["event-sign"].encode()),
    ]
    assert intake.handle(pairs, body).marked == {"dy-outlet"}


def test_messages_for_an_unknown_shop_mark_every_shop_of_the_app(intake: PushIntake) -> None:
    body = push_body((101, "m-1", 999))
    with capture_logs() as events:
        result = intake.handle(signed(body), body)
    assert result.marked == {"dy-main", "dy-outlet"}
    assert any(e["event"] == "douyin.push.unknown_shop" for e in events)


def test_product_messages_are_acknowledged_and_ignored(intake: PushIntake) -> None:
    body = push_body((400, "p-1", DOUYIN_SHOP))
    result = intake.handle(signed(body), body)
    assert (result.status, result.ignored, result.marked) == (200, 1, frozenset())


def test_a_verified_but_unreadable_push_still_marks_the_apps_shops(intake: PushIntake) -> None:
    body = b"not json"
    result = intake.handle(signed(body, OTHER_APP, OTHER_SECRET), body)
    assert result.status == 200 and result.marked == {"dy-other"}


def test_an_unavailable_secret_is_a_500_not_a_crash() -> None:
    def unset() -> str:
        raise ConfigError(
            [ConfigProblem("shops[0].app_secret", "environment variable X is not set")]
        )

    hub = PushIntake()
    hub.add_shop("dy", app_key=APP, app_secret=unset)
    body = push_body((101, "m", DOUYIN_SHOP))
    assert hub.handle(signed(body), body).status == 500


def test_signatures_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = signature_module.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signature_module.hmac, "compare_digest", spy)
    body = b"[]"
    assert verify_event_sign(APP, body, SECRET, event_sign(APP, body, SECRET).upper())
    assert not verify_event_sign(APP, body, SECRET, "0" * 32)
    assert len(calls) == 2


# -- the ASGI app -------------------------------------------------------------------------


def asgi_call(
    app: PushApp, method: str, headers: Mapping[str, str], chunks: list[bytes]
) -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []
    incoming = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": "/douyin/push",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_the_asgi_app_answers_pushes(intake: PushIntake) -> None:
    app = PushApp(intake, max_body=4096)
    body = push_body((102, "m-1", DOUYIN_SHOP))
    headers = signed(body)
    assert asgi_call(app, "POST", headers, [body[:10], body[10:]]) == (
        200,
        b'{"code":0,"msg":"success"}',
    )
    assert intake.marks.take() == {"dy-main"}
    assert asgi_call(app, "POST", headers, [body + b" "])[0] == 401  # tampered
    assert asgi_call(app, "GET", {}, [b""])[0] == 405
    assert asgi_call(app, "POST", headers, [b"x" * 5000])[0] == 413


def test_the_asgi_app_completes_the_lifespan(intake: PushIntake) -> None:
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(PushApp(intake)({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


# -- the sandbox sends pushes; a push leads to a sync ------------------------------------------

T0 = datetime(2026, 11, 11, tzinfo=UTC)


def douyin_kit(tmp_path: Path, **sandbox: Any) -> Any:
    shop = {
        "id": "dy-main",
        "channel": "douyin",
        "endpoint": "sandbox",
        "app_key": "sandbox-app",
        "app_secret": "sandbox:demo-secret",
        "access_token": "sandbox:demo-session",
        "settings": {
            "douyin_shop_id": DOUYIN_SHOP,
            "initial_lookback_hours": 2,
            "calls_per_second": 1000,
            "burst": 1000,
            "sandbox": {
                "orders": 200,
                "seed": 5,
                "start": T0 - timedelta(hours=1),
                "end": T0,
                "churn_rate": 0.5,
                **sandbox,
            },
        },
    }
    return make_kit(
        tmp_path,
        [("douyin", orderkit_douyin)],
        shops=[shop],
        clock=FakeClock(T0 + timedelta(minutes=1)),
    )


def test_sandbox_pushes_mark_the_shop_and_the_sync_picks_the_change_up(tmp_path: Path) -> None:
    marks = PushMarks()
    received: list[int] = []

    def deliver(headers: Mapping[str, str], body: bytes) -> Any:
        result = intake.handle(headers, body)
        received.append(result.status)
        return result

    kit = douyin_kit(tmp_path, push_to=deliver)
    intake = PushIntake.from_kit(kit, marks)
    box = kit.sandbox("dy-main")
    kit.sync("dy-main")
    assert marks.take() == frozenset()  # nothing changed yet
    before = box.ground_truth()
    kit.clock.advance(35 * 60)  # past every scheduled change
    deliveries = box.tick()
    assert deliveries and set(received) == {200}
    assert marks.take() == {"dy-main"}
    report = kit.sync("dy-main")
    after = box.ground_truth()
    changed = {k for k in after if after[k]["modified_at"] != before[k]["modified_at"]}
    assert changed and report.updated >= len(changed)
    for external_id in changed:
        stored = kit.get(f"dy-main/{external_id}")
        assert stored.order.modified_at == after[external_id]["modified_at"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_sandbox_pushes_reach_the_asgi_app_over_loopback(tmp_path: Path) -> None:
    uvicorn = pytest.importorskip("uvicorn")
    intake = PushIntake(PushMarks())
    intake.add_shop(
        "dy-main", app_key="sandbox-app", app_secret="demo-secret", douyin_shop_id=DOUYIN_SHOP
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(PushApp(intake), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        kit = douyin_kit(tmp_path, push_to=f"http://127.0.0.1:{port}/douyin/push")
        box = kit.sandbox("dy-main")
        box.add_order(modified_at=kit.clock.now())
        assert [d.status for d in box.pushes.deliveries] == [200]
        assert intake.marks.take() == {"dy-main"}
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_sandbox_pushes_only_to_loopback() -> None:
    from orderkit_douyin.sandbox import DouyinSandbox

    with pytest.raises(ValueError, match="loopback"):
        DouyinSandbox(orders=0, push_to="https://erp.example.com/push")


def test_marks_wait_wakes_a_scheduler() -> None:
    marks = PushMarks()
    woke: list[bool] = []
    waiter = threading.Thread(target=lambda: woke.append(marks.wait(5)))
    waiter.start()
    marks.mark("dy-main")
    waiter.join(5)
    assert woke == [True] and "dy-main" in marks
