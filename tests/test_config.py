"""The config layer: every mistake ops make is reported with its path and line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from orderkit._resources import load_schema
from orderkit.config import (
    STARTER_CONFIG,
    AddressConfig,
    Config,
    LoggingConfig,
    SecretRef,
    ShopConfig,
    load_config,
    parse_duration,
    validate_config,
    validate_config_text,
)
from orderkit.config.model import NotificationConfig
from orderkit.config.validate import _PATTERN_HINTS
from orderkit.errors import ConfigError, ConfigProblem

CHANNELS = {"taobao", "douyin", "pinduoduo"}
COURIERS = {"sf", "zto", "yto"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "orderkit.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str, **known: Any) -> list[ConfigProblem]:
    return validate_config(write(tmp_path, text), **known)


def only(found: list[ConfigProblem]) -> ConfigProblem:
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


# --- the mistakes, each with its exact path and line ---------------------------


def test_yaml_syntax_error_has_its_line(tmp_path: Path) -> None:
    p = only(
        problems(
            tmp_path,
            """
            version: 1
            shops:
              - id: a
                channel: taobao
                name: "unclosed
            logging:
              level: info
            """,
        )
    )
    assert p.path == ""
    assert p.message.startswith("YAML syntax error")
    assert p.line is not None and p.line >= 5


def test_tab_indentation_says_use_spaces(tmp_path: Path) -> None:
    p = only(problems(tmp_path, "version: 1\nlogging:\n\tlevel: info\n"))
    assert p.line == 3
    assert "indent with spaces" in p.message


def test_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    p = only(
        problems(
            tmp_path,
            """
            version: 1
            logging:
              level: info
              format: json
              level: debug
            """,
        )
    )
    assert (p.path, p.line) == ("logging.level", 5)
    assert p.message == "duplicate key 'level' (first written on line 3)"


def test_missing_required_field_points_at_the_item(tmp_path: Path) -> None:
    p = only(
        problems(
            tmp_path,
            """
            version: 1
            shops:
              - id: a
                channel: taobao
              - id: b
                name: no channel here
            """,
        )
    )
    assert str(p) == "shops[1].channel: required (line 5)"


def test_wrong_type_shows_the_value(tmp_path: Path) -> None:
    p = only(
        problems(
            tmp_path,
            """
            version: 1
            warehouses:
              - code: HZ
                name: 杭州仓
                priority: abc
            """,
        )
    )
    assert str(p) == "warehouses[0].priority: must be an integer, got 'abc' (line 5)"


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    p = only(
        problems(
            tmp_path,
            """
            version: 1
            shops:
              - id: a
                channel: taobao
                app_secrt: env:TAOBAO_SECRET
            """,
        )
    )
    assert str(p) == (
        "shops[0].app_secrt: unknown key 'app_secrt' (did you mean 'app_secret'?) (line 5)"
    )


def test_inline_secret_is_refused(tmp_path: Path) -> None:
    p = only(
        problems(
            tmp_path,
            """
            version: 1
            shops:
              - id: a
                channel: taobao
                app_secret: env:A_SECRET
              - id: b
                channel: taobao
                app_key: "12345678"
                app_secret: 9f86d081884c7d659a2feaa0c55ad015
            """,
        )
    )
    assert str(p) == "shops[1].app_secret: must be an env: reference (line 9)"


def test_secret_named_keys_anywhere_must_be_env_refs(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        shops:
          - id: a
            channel: taobao
            settings:
              decrypt_password: hunter2
        couriers:
          - code: sf
            account: "12345"
        notifications:
          - id: erp
            type: webhook
            secret: SEC123
            url: https://erp.example.com/orderkit
        """,
    )
    assert [str(p) for p in found] == [
        "shops[0].settings.decrypt_password: must be an env: reference (line 6)",
        "couriers[0].account: must be an env: reference (line 9)",
        "notifications[0].secret: must be an env: reference (line 13)",
    ]


def test_sandbox_secret_on_a_real_endpoint_is_refused(tmp_path: Path) -> None:
    p = only(
        problems(
            tmp_path,
            """
            version: 1
            shops:
              - id: a
                channel: taobao
                endpoint: https://eco.taobao.com/router/rest
                session: "sandbox:demo-session"
            """,
        )
    )
    assert (p.path, p.line) == ("shops[0].session", 6)
    assert p.message.startswith("must be an env: reference (sandbox: values are accepted only")


@pytest.mark.parametrize(
    "endpoint", ["sandbox", "http://127.0.0.1:8765/router", "http://localhost"]
)
def test_sandbox_secret_on_a_sandbox_endpoint_is_accepted(tmp_path: Path, endpoint: str) -> None:
    text = f"""
    version: 1
    shops:
      - id: a
        channel: taobao
        endpoint: {endpoint}
        app_secret: "sandbox:demo-secret"
    """
    assert problems(tmp_path, text) == []


def test_duplicate_shop_id(tmp_path: Path) -> None:
    p = only(
        problems(
            tmp_path,
            """
            version: 1
            shops:
              - id: flagship
                channel: taobao
              - id: flagship
                channel: douyin
            """,
        )
    )
    assert str(p) == "shops[1].id: duplicate shop id 'flagship' (also shops[0]) (line 5)"


def test_unknown_channel_code(tmp_path: Path) -> None:
    p = only(
        problems(
            tmp_path,
            """
            version: 1
            shops:
              - id: a
                channel: taobo
            """,
            known_channels=CHANNELS,
        )
    )
    assert str(p) == "shops[0].channel: unknown channel 'taobo' (did you mean 'taobao'?) (line 4)"


def test_unknown_courier_code(tmp_path: Path) -> None:
    p = only(
        problems(
            tmp_path,
            """
            version: 1
            couriers:
              - code: sf
              - code: zt0
                name: 中通
            """,
            known_couriers=COURIERS,
        )
    )
    assert str(p) == "couriers[1].code: unknown courier 'zt0' (did you mean 'zto'?) (line 4)"


def test_bad_enum_lists_the_allowed_values(tmp_path: Path) -> None:
    p = only(problems(tmp_path, "version: 1\nlogging:\n  format: xml\n"))
    assert str(p) == "logging.format: must be one of 'console', 'json', got 'xml' (line 3)"


def test_min_confidence_out_of_range(tmp_path: Path) -> None:
    p = only(problems(tmp_path, "version: 1\naddress:\n  min_confidence: 80\n"))
    assert str(p) == "address.min_confidence: must be between 0 and 1, got 80 (line 3)"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("5 minutes", "must be a duration like '30s', '5m', '2h' or a number of seconds"),
        ("0m", "must be longer than 0 seconds"),
    ],
)
def test_bad_duration(tmp_path: Path, value: str, message: str) -> None:
    text = f"""
    version: 1
    shops:
      - id: a
        channel: taobao
        sync_interval: {value}
    """
    p = only(problems(tmp_path, text))
    assert (p.path, p.line) == ("shops[0].sync_interval", 5)
    assert p.message.startswith(message)


def test_password_in_database_url(tmp_path: Path) -> None:
    p = only(
        problems(tmp_path, "version: 1\ndatabase:\n  url: postgresql://erp:hunter2@db:5432/erp\n")
    )
    assert (p.path, p.line) == ("database.url", 3)
    assert p.message.startswith("must be an env: reference")
    assert "hunter2" not in str(p)


@pytest.mark.parametrize(
    "url", ["env:ORDERKIT_DATABASE_URL", "sqlite:///orderkit.db", "postgresql://erp@db/erp"]
)
def test_database_url_without_password_is_fine(tmp_path: Path, url: str) -> None:
    assert problems(tmp_path, f"version: 1\ndatabase:\n  url: {url}\n") == []


def test_notification_mistakes(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        notifications:
          - id: erp
            type: webhook
            url: https://erp.example.com/orderkit
          - id: erp
            type: wecom
            url: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx
            secret: env:WECOM_SECRET
            timeout: 0s
          - id: ding
            type: dingtalk
            url: ftp://example.com/robot
            max_attempts: 0
        """,
    )
    assert [str(p) for p in found] == [
        "notifications[0].secret: required (line 3)",
        "notifications[1].id: duplicate notifier id 'erp' (also notifications[0]) (line 6)",
        "notifications[1].url: must be an env: reference when the URL holds a key or password"
        " (a WeCom robot URL carries its key: write url: env:WECOM_ROBOT_URL) (line 8)",
        "notifications[1].secret: not used by wecom (the robot's key is part of its url) (line 9)",
        "notifications[1].timeout: must be longer than 0 seconds (line 10)",
        "notifications[2].type: must be one of 'webhook', 'wecom', got 'dingtalk' (line 12)",
        "notifications[2].url: must match ^(env:[A-Za-z_][A-Za-z0-9_]*|https?://[^\\s/]+.*)$,"
        " got 'ftp://example.com/robot' (line 13)",
        "notifications[2].max_attempts: must be between 1 and 100, got 0 (line 14)",
    ]
    assert not any("693a91f6" in str(p) for p in found)


def test_notifications_load_with_their_type_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(
        write(
            tmp_path,
            """
            version: 1
            notifications:
              - id: erp
                type: webhook
                url: https://erp.example.com/orderkit?tenant=7
                secret: env:ERP_HOOK_SECRET
                timeout: 5s
              - id: ops-robot
                type: wecom
                url: env:WECOM_ROBOT_URL
                topics: [alert.*, order.held]
                enabled: false
            """,
        )
    )
    erp, robot = config.notifications
    assert (erp.timeout, erp.max_attempts, erp.enabled) == (5, 8, True)
    assert erp.topic_patterns == ("*",)
    assert erp.secret == SecretRef("env:ERP_HOOK_SECRET")
    assert erp.secret.path == "notifications[0].secret"
    assert robot.topic_patterns == ("alert.*", "order.held") and not robot.enabled
    wecom = NotificationConfig(id="r", type="wecom", url="env:WECOM_ROBOT_URL")
    assert wecom.topic_patterns == (
        "alert.*",
        "shipment.upload_failed",
        "shipment.manual_entry",
        "sync.failed",
    )
    monkeypatch.setenv("WECOM_ROBOT_URL", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
    assert robot.resolve_url().endswith("?key=k")
    monkeypatch.delenv("WECOM_ROBOT_URL")
    with pytest.raises(ConfigError, match="WECOM_ROBOT_URL is not set"):
        robot.resolve_url()


def test_numeric_key_must_be_quoted(tmp_path: Path) -> None:
    p = only(problems(tmp_path, "version: 1\nskus:\n  10086:\n    weight_g: 100\n"))
    assert (p.path, p.line) == ("skus.10086", 3)
    assert p.message.startswith("key 10086 must be text")


def test_status_override_shapes(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        status_overrides:
          douyin:
            order_status:
              "2": paid
              "3": {to: shipped, before_shipping: approved, note: first scan}
              "4": {too: shipped}
              "5": 7
        """,
        known_channels=CHANNELS,
    )
    assert [str(p) for p in found] == [
        "status_overrides.douyin.order_status.4.to: required (line 7)",
        "status_overrides.douyin.order_status.4.too: unknown key 'too' (did you mean 'to'?)"
        " (line 7)",
        "status_overrides.douyin.order_status.5: must be text or a mapping (key: value lines),"
        " got 7 (line 8)",
    ]


def test_rule_ids_are_required_and_unique(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        rules:
          gifts:
            - id: camellia-gift
            - id: camellia-gift
            - when: {paid: {gte: 299}}
        """,
    )
    # (lint also warns that these rules give nothing; only errors matter here)
    assert [str(p) for p in found if p.severity == "error"] == [
        "rules.gifts[1].id: duplicate rule id 'camellia-gift' (also rules.gifts[0]) (line 5)",
        "rules.gifts[2].id: required (line 6)",
    ]


# --- all problems at once ------------------------------------------------------


def test_every_problem_is_reported_in_line_order(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        shops:
          - id: a
            channel: taobo
            app_secret: plain-secret
            sync_interval: soon
          - id: a
            channel: taobao
        address:
          min_confidence: -0.1
        logging:
          format: xml
          levle: info
        """,
        known_channels=CHANNELS,
    )
    assert [(p.path, p.line) for p in found] == [
        ("shops[0].channel", 4),
        ("shops[0].app_secret", 5),
        ("shops[0].sync_interval", 6),
        ("shops[1].id", 7),
        ("address.min_confidence", 10),
        ("logging.format", 12),
        ("logging.levle", 13),
    ]
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, STARTER_CONFIG + "\nbogus: 1\n" + "shops: 3\n"))
    assert len(caught.value.problems) >= 2  # the duplicate `shops` key and `bogus`


def test_load_config_raises_with_all_problems_and_the_source(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 2\nlogging:\n  level: loud\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert [p.path for p in caught.value.problems] == ["version", "logging.level"]
    assert caught.value.source == str(path)
    assert "logging.level: must be one of" in str(caught.value)


def test_missing_file_is_one_clear_problem(tmp_path: Path) -> None:
    p = only(validate_config(tmp_path / "nope.yaml"))
    assert "config file not found" in p.message
    assert "nope.yaml" in p.message


def test_empty_file(tmp_path: Path) -> None:
    assert "empty" in only(problems(tmp_path, "")).message


# --- the starter, sources, models ----------------------------------------------


def test_starter_config_validates_and_loads(tmp_path: Path) -> None:
    assert validate_config_text(STARTER_CONFIG, known_channels={"taobao", "own"}) == []
    config = load_config(write(tmp_path, STARTER_CONFIG), known_channels={"taobao", "own"})
    shop = config.shop("demo-taobao")
    assert shop.endpoint == "sandbox" and shop.uses_builtin_sandbox and shop.is_sandbox
    assert shop.app_secret is not None and shop.app_secret.resolve() == "demo-secret"
    assert shop.sync_interval == 300
    assert [w.code for w in config.warehouses] == ["HZ", "GZ"]
    assert "山茶花润肤霜" in config.skus


def test_mapping_source_works_without_lines() -> None:
    data = {
        "version": 1,
        "shops": [{"id": "a", "channel": "taobao", "app_secret": "env:A", "overlap": "2m"}],
    }
    config = load_config(data)
    assert isinstance(config, Config)
    assert config.shops[0].overlap == 120
    assert config.shops[0].app_secret == SecretRef("env:A")
    bad = only(
        validate_config({"version": 1, "shops": [{"id": "a", "channel": "taobao", "session": "x"}]})
    )
    assert (bad.path, bad.line) == ("shops[0].session", None)


def test_secret_ref_resolves_late_and_never_shows_its_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = load_config(
        {"version": 1, "shops": [{"id": "a", "channel": "taobao", "app_secret": "env:OK_SECRET"}]}
    )
    ref = config.shops[0].app_secret
    assert ref is not None
    monkeypatch.setenv("OK_SECRET", "s3cr3t-value")
    assert ref.resolve() == "s3cr3t-value"
    for shown in (repr(ref), str(ref), repr(config), str(config.shops[0])):
        assert "s3cr3t-value" not in shown
    assert repr(ref) == "SecretRef('env:OK_SECRET')"

    monkeypatch.delenv("OK_SECRET")
    with pytest.raises(ConfigError) as caught:
        ref.resolve()
    assert str(caught.value.problems[0]) == (
        "shops[0].app_secret: environment variable OK_SECRET is not set"
    )


def test_sandbox_secret_ref_is_masked() -> None:
    ref = SecretRef("sandbox:demo-secret")
    assert ref.resolve() == "demo-secret"
    assert "demo-secret" not in repr(ref) and "demo-secret" not in str(ref)


def test_secrets_in_settings_become_secret_refs() -> None:
    config = load_config(
        {
            "version": 1,
            "shops": [{"id": "a", "channel": "douyin", "settings": {"decrypt_token": "env:T"}}],
        }
    )
    ref = config.shops[0].settings["decrypt_token"]
    assert isinstance(ref, SecretRef) and ref.path == "shops[0].settings.decrypt_token"


@pytest.mark.parametrize(
    ("text", "seconds"), [(45, 45), ("30s", 30), ("5m", 300), ("2h", 7200), ("1h30m", 5400)]
)
def test_parse_duration(text: int | str, seconds: int) -> None:
    assert parse_duration(text) == seconds


# --- schema and models stay in step --------------------------------------------


def test_schema_defaults_agree_with_model_defaults() -> None:
    schema = load_schema("config.schema.json")
    props = schema["properties"]
    address = {k: v["default"] for k, v in props["address"]["properties"].items()}
    assert address == AddressConfig().model_dump()
    logging = {k: v["default"] for k, v in props["logging"]["properties"].items()}
    assert logging == LoggingConfig().model_dump()
    shop = ShopConfig(id="a", channel="taobao")
    shop_props = schema["$defs"]["shop"]["properties"]
    assert parse_duration(shop_props["sync_interval"]["default"]) == shop.sync_interval
    assert props["database"]["properties"]["table_prefix"]["default"] == "ok_"
    notifier = NotificationConfig(id="n", type="wecom", url="env:U")
    notifier_props = schema["$defs"]["notifier"]["properties"]
    assert parse_duration(notifier_props["timeout"]["default"]) == notifier.timeout
    for name in ("max_attempts", "enabled"):
        assert notifier_props[name]["default"] == getattr(notifier, name), name
    assert schema["$id"] == "https://orderkit.dev/schemas/config/1.0.0/config.schema.json"


def test_every_pattern_hint_matches_a_schema_pattern() -> None:
    text = json.dumps(load_schema("config.schema.json"))
    for pattern in _PATTERN_HINTS:
        assert json.dumps(pattern) in text, pattern


def test_every_schema_property_has_a_description() -> None:
    missing: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                if "description" not in prop:
                    missing.append(f"{where}.{name}")
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    walk(load_schema("config.schema.json"), "")
    assert missing == []
