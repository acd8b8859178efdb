"""Logs never carry secrets or raw buyer PII, in either output format.

Every test renders real output into a ``StringIO`` through the chain that
``configure_logging`` installs and looks at the text, because the text is what
leaks.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from orderkit.logs import (
    MASK,
    LogFormat,
    Redactor,
    add_secret,
    configure_logging,
    get_logger,
    redact_processor,
)
from orderkit.models import Receiver

SECRET = "sk_live_7Qm2xZ9pT4vB"
PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"  # the GB 11643 sample number, valid check digit
LEAKS = (SECRET, PHONE, ID_NUMBER)

Render = Callable[[], str]


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    # configure_logging is process-global: put back whatever other tests expect.
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.fixture(params=["console", "json"])
def fmt(request: pytest.FixtureRequest) -> LogFormat:
    value: LogFormat = request.param
    return value


@pytest.fixture()
def output(fmt: LogFormat) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(fmt=fmt, stream=stream, secrets=[SECRET])
    return stream


def assert_no_leaks(text: str) -> None:
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} reached the output:\n{text}"
    # Formatted variants of the same number must not slip through either.
    assert "138 1234 5678" not in text and "138-1234-5678" not in text


def test_event_text(output: io.StringIO) -> None:
    get_logger("orderkit.test").info(f"buyer {PHONE} / {ID_NUMBER} via {SECRET}")
    text = output.getvalue()
    assert_no_leaks(text)
    assert "138****5678" in text
    assert "110***********002X" in text


def test_positional_format_args(output: io.StringIO) -> None:
    get_logger().info("calling %s with %s", PHONE, SECRET)
    assert_no_leaks(output.getvalue())


def test_nested_values(output: io.StringIO) -> None:
    get_logger().info(
        "payload",
        payload={
            "trade": {"buyer_message": f"电话 +86 138-1234-5678，身份证 {ID_NUMBER}"},
            "pages": [[{"note": f"retry with {SECRET}"}], (PHONE,)],
            PHONE: "a phone as a key",
        },
    )
    assert_no_leaks(output.getvalue())


def test_secret_keys_are_masked(output: io.StringIO, fmt: LogFormat) -> None:
    get_logger().info(
        "token refreshed",
        app_secret="a1b2c3d4e5",
        access_token="6201f1c9ZZ0aa",
        refresh_token="6202b7d8YY1bb",
        sign="A94F3C2B1D",
        headers={"Authorization": "Bearer eyJhbGciOi.x.y", "event-sign": "9c1d"},
        config={"shops": [{"session": "62017a9f", "appKey": "12345678"}]},
        url="https://eco.taobao.com/router/rest?method=taobao.trade.fullinfo.get"
        "&session=6201f1c9&sign=9A8B7C&sign_method=md5",
    )
    text = output.getvalue()
    for value in ("a1b2c3d4e5", "6201f1c9", "6202b7d8", "A94F3C2B1D", "eyJhbGciOi", "9c1d"):
        assert value not in text
    assert "62017a9f" not in text
    assert "12345678" in text  # an app key is public (it travels in every request)
    assert "sign_method=md5" in text  # a neighbour of a secret is no secret
    if fmt == "json":
        event = json.loads(text)
        assert event["app_secret"] == MASK
        assert event["headers"]["Authorization"] == MASK


def test_registered_secret_anywhere(output: io.StringIO) -> None:
    late = "tok_2Hd8Kq7Lw3"
    add_secret(late)  # e.g. a token refreshed after configure_logging
    log = get_logger()
    log.info("refreshed", note=f"new token is {late}!", items=[{"x": f"..{late}.."}])
    log.info(f"{late}")
    assert late not in output.getvalue()


def test_exception_text(output: io.StringIO) -> None:
    log = get_logger("orderkit.channels")
    try:
        raise PermissionError(f"session {SECRET} refused for {PHONE}, id {ID_NUMBER}")
    except PermissionError:
        log.exception("refresh failed")
    text = output.getvalue()
    assert "PermissionError" in text and "Traceback" in text
    assert_no_leaks(text)


def test_exception_as_value(output: io.StringIO) -> None:
    error = ValueError(f"bad phone {PHONE}")
    get_logger().warning("mapping failed", error=error)
    text = output.getvalue()
    assert_no_leaks(text)
    assert "ValueError" in text


def test_buyer_pii_keys(output: io.StringIO, fmt: LogFormat) -> None:
    get_logger().info(
        "receiver",
        receiver_name="张三丰",
        receiver_mobile=PHONE,
        receiver_phone="0571-88886666",
        receiver_address="浙江省杭州市西湖区文三路90号东部软件园3幢501",
        id_card_no=ID_NUMBER,
        post_addr={"province": {"name": "浙江省", "id": "33"}, "detail": "文三路90号"},
    )
    text = output.getvalue()
    assert_no_leaks(text)
    for raw in ("张三丰", "88886666", "文三路90号", "东部软件园"):
        assert raw not in text
    if fmt == "json":
        event = json.loads(text)
        assert event["receiver_name"] == "张**"
        assert event["receiver_mobile"] == "138****5678"
        assert event["receiver_phone"] == "057****6666"
        assert event["receiver_address"] == "浙江省杭州市***"
        assert event["post_addr"]["province"] == {"name": "浙江省", "id": "33"}


def test_canonical_receiver_model(output: io.StringIO, fmt: LogFormat) -> None:
    receiver = Receiver(
        raw=f"浙江省杭州市西湖区文三路90号 张三 {PHONE}",
        province="浙江省",
        detail="文三路90号东部软件园",
        name_masked="张**",
        phone_masked="138****5678",
        address_token="1ZZD2Q7x2l2ibwhSOm3ZC",
    )
    get_logger().info("cleaned", receiver=receiver)
    text = output.getvalue()
    assert_no_leaks(text)
    assert "文三路90号" not in text and "张三" not in text
    if fmt == "json":
        logged = json.loads(text)["receiver"]
        # Platform-masked values and tokens are safe and kept for operators.
        assert logged["name_masked"] == "张**"
        assert logged["phone_masked"] == "138****5678"
        assert logged["address_token"] == "1ZZD2Q7x2l2ibwhSOm3ZC"
        assert logged["province"] == "浙江省"


def test_ordinary_fields_untouched(output: io.StringIO, fmt: LogFormat) -> None:
    fields: dict[str, Any] = {
        "external_id": "3856120074419282791",  # 19-digit tid: not a phone, not an ID
        "douyin_id": "692813371028273764",  # 18 digits, fails the ID check digit
        "waybill": "SF1412345678901",
        "shop_id": "tb-babycare-flagship",
        "count": 3,
        "paid": 26790,
        "ratio": 0.25,
        "ok": True,
        "missing": None,
        "created_at": "2026-11-11T00:02:13+08:00",
        "lines": [{"sku": "SCH-200ML", "quantity": 2}],
        "hold": {"code": "vague_address", "detail": "address ends at a gate"},
        "province": "浙江省",
        "nick": "t**2",
    }
    get_logger("orderkit.ingest").info("order ingested", **fields)
    text = output.getvalue()
    if fmt == "json":
        event = json.loads(text)
        for key, value in fields.items():
            assert event[key] == value, key
        assert event["event"] == "order ingested"
        assert event["logger"] == "orderkit.ingest"
        assert event["level"] == "info"
        assert event["timestamp"].endswith("Z")
    else:
        assert "order ingested" in text and "[orderkit.ingest]" in text
        for key in ("external_id", "douyin_id", "waybill", "shop_id", "created_at"):
            assert f"{key}={fields[key]}" in text
        assert MASK not in text


def test_level_filters(fmt: LogFormat) -> None:
    stream = io.StringIO()
    configure_logging(fmt=fmt, level="warning", stream=stream)
    log = get_logger()
    log.info("quiet")
    log.warning("loud")
    assert "quiet" not in stream.getvalue()
    assert "loud" in stream.getvalue()


def test_reconfigure_reaches_existing_loggers() -> None:
    log = get_logger("orderkit.early")  # created at import time, before configuring
    first, second = io.StringIO(), io.StringIO()
    configure_logging(fmt="json", stream=first)
    log.info("one")
    configure_logging(fmt="console", stream=second)
    log.info("two")
    assert json.loads(first.getvalue())["event"] == "one"
    assert "two" in second.getvalue() and "two" not in first.getvalue()


def test_plain_structlog_logger_gets_the_chain(output: io.StringIO) -> None:
    # Modules that call structlog.get_logger(name) directly are covered too.
    structlog.get_logger("orderkit.plugins").info("loaded", token=SECRET)
    text = output.getvalue()
    assert_no_leaks(text)
    assert "orderkit.plugins" in text


def test_capture_logs_still_works(output: io.StringIO) -> None:
    with capture_logs() as captured:
        get_logger("orderkit.test").info("captured", order="T1")
    assert captured == [{"event": "captured", "order": "T1", "log_level": "info"}]
    assert output.getvalue() == ""
    get_logger().info("after")  # the configured chain is back
    assert "after" in output.getvalue()


def test_capture_logs_with_redaction() -> None:
    # Other tests can assert on redacted event dicts without rendering.
    configure_logging(stream=io.StringIO(), secrets=[SECRET])
    with capture_logs(processors=[redact_processor]) as captured:
        get_logger().info("x", app_secret=SECRET, phone=PHONE)
    assert captured[0]["app_secret"] == MASK
    assert captured[0]["phone"] == "138****5678"


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="log format"):
        configure_logging(fmt="xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="log level"):
        configure_logging(level="loud")


# --- the Redactor on its own ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call 13812345678 now", "call 138****5678 now"),
        ("call 138 1234 5678", "call 138****5678"),
        ("tel +86-138-1234-5678", "tel 138****5678"),
        ("tel:+8613812345678", "tel:138****5678"),
        ("office 010-62345678", "office 010****5678"),
        ("身份证440304199001011233号", "身份证440***********1233号"),
        ("身份证11010519491231002x", "身份证110***********002x"),
        ("tid 3856120074419282791", "tid 3856120074419282791"),
        ("order 440304199001011234", "order 440304199001011234"),  # bad check digit
        ("ms 1731254405123", "ms 1731254405123"),
        ("Authorization: Bearer abc.def", "Authorization: ***"),
        ("curl -H 'x: Bearer abc.def'", "curl -H 'x: Bearer ***'"),
        ('{"access_token": "abc123"}', '{"access_token": "***"}'),
        ("design=flat sign_method=md5", "design=flat sign_method=md5"),
        ("masked 138****5678 stays", "masked 138****5678 stays"),
    ],
)
def test_scrub(text: str, expected: str) -> None:
    assert Redactor().scrub(text) == expected


def test_short_secrets_ignored() -> None:
    redactor = Redactor(secrets=["abc", "   ", "abcd"])
    assert redactor.scrub("abc abcd") == f"abc {MASK}"


def test_longest_secret_wins() -> None:
    redactor = Redactor(secrets=["secret-1", "secret-1-and-more"])
    assert redactor.scrub("x secret-1-and-more y") == f"x {MASK} y"


def test_processor_keeps_unchanged_objects() -> None:
    redactor = Redactor()
    payload = {"lines": [{"sku": "A"}]}
    marker = object()
    event = redactor(None, "info", {"event": "e", "payload": payload, "obj": marker})
    assert event["payload"] == payload
    assert event["obj"] is marker


def test_pii_keys_mask_text_that_only_looks_masked() -> None:
    redactor = Redactor()
    assert redactor.redact("浙江省杭州市文三路90号 *放门口", "address") == "浙江省杭州市***"
    assert redactor.redact("张**", "name") == "张**"
    assert redactor.redact("*******5678", "phone") == "*******5678"
    assert redactor.redact(13812345678, "phone") == "138****5678"


def test_resolved_config_secret_and_httpx_urls_are_redacted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import logging

    from orderkit.config.model import SecretRef
    from orderkit.logs import configure_logging

    monkeypatch.setenv("OK_TEST_SESSION", "6102a7b9c8d7e6f5session")
    value = SecretRef("env:OK_TEST_SESSION", "shops[0].session").resolve()
    out = io.StringIO()
    configure_logging(fmt="json", stream=out)
    handler = logging.StreamHandler(out)
    httpx_logger = logging.getLogger("httpx")
    httpx_logger.addHandler(handler)
    httpx_logger.setLevel(logging.INFO)
    try:
        httpx_logger.info("HTTP Request: POST %s", f"https://gw/router/rest?session={value}&x=1")
        get_logger("t").info("calling", note=f"using {value}")
    finally:
        httpx_logger.removeHandler(handler)
    assert value not in out.getvalue()
    assert "x=1" in out.getvalue()
