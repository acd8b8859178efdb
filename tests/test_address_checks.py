"""Phones (privacy extensions kept apart), remote areas, hard-to-deliver
keywords, the GB 11643 ID check digit, and the config defaults."""

from __future__ import annotations

import pytest

from orderkit.address import clean
from orderkit.address.checks import (
    DEFAULT_HARD_TO_DELIVER,
    DEFAULT_MIN_CONFIDENCE,
    DEFAULT_REMOTE_AREAS,
    Phone,
    hard_to_deliver,
    id_check_digit,
    is_landline,
    is_mobile,
    is_valid_id_number,
    parse_phone,
    remote_area,
)
from orderkit.config import AddressConfig


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", Phone("13800138000", None, "mobile")),
        ("+86 138 0013 8000", Phone("13800138000", None, "mobile")),
        ("0086-13800138000", Phone("13800138000", None, "mobile")),
        ("13800138000-1234", Phone("13800138000", "1234", "mobile")),
        ("13800138000转1234", Phone("13800138000", "1234", "mobile")),
        ("0571-88886666", Phone("0571-88886666", None, "landline")),
        ("057188886666", Phone("0571-88886666", None, "landline")),
        ("(010)62345678", Phone("010-62345678", None, "landline")),
        ("0571-88886666-808", Phone("0571-88886666", "808", "landline")),
        ("0571-88886666转808", Phone("0571-88886666", "808", "landline")),
        ("12345678901", Phone("12345678901", None, "invalid")),
        ("1380013800", Phone("1380013800", None, "invalid")),
        ("0571-0888666", Phone("05710888666", None, "invalid")),
    ],
)
def test_parse_phone(raw: str, expected: Phone) -> None:
    assert parse_phone(raw) == expected


def test_mobile_and_landline_predicates() -> None:
    assert is_mobile("19912345678") and not is_mobile("12912345678")
    assert is_landline("020-88886666") and not is_landline("13800138000")


def test_privacy_extension_never_joins_the_number() -> None:
    r = clean("浙江省杭州市西湖区文三路1号 张三 13800138000转5678")
    assert r.phones == ["13800138000"] and r.phone_extensions == {"13800138000": "5678"}
    assert "phone_invalid" not in r.flags


def test_invalid_phone_is_flagged_and_cut_out() -> None:
    r = clean("浙江省杭州市西湖区文三路1号 12345678901")
    assert "phone_invalid" in r.flags and r.detail == "文三路1号"


def test_masked_phone_is_kept_as_given() -> None:
    r = clean("浙江省杭州市西湖区文三路1号 138****5678")
    assert r.phones == ["138****5678"] and "phone_invalid" not in r.flags


def test_id_check_digit_gb11643() -> None:
    assert is_valid_id_number("11010519491231002X")
    assert is_valid_id_number("11010519491231002x")
    assert not is_valid_id_number("11010519491231003X")  # one digit changed
    assert not is_valid_id_number("1101051949123100")  # too short
    assert id_check_digit("11010519491231002") == "X"


def test_remote_areas_default_and_configured() -> None:
    assert "remote_area" in clean("新疆乌鲁木齐市天山区解放南路1号").flags
    assert "remote_area" in clean("内蒙古呼和浩特市新城区1号").flags
    assert "remote_area" not in clean("浙江省杭州市西湖区文三路1号").flags
    config = AddressConfig(remote_areas=["海南", "阿里地区"])
    assert "remote_area" in clean("海南省三亚市吉阳区1号", config=config).flags
    assert "remote_area" in clean("西藏阿里地区噶尔县1号", config=config).flags
    assert "remote_area" not in clean("新疆乌鲁木齐市天山区1号", config=config).flags
    assert remote_area(("西藏自治区", None, None), DEFAULT_REMOTE_AREAS) == "西藏"


def test_hard_to_deliver_keywords_default_and_configured() -> None:
    assert "hard_to_deliver" in clean("广东省广州市天河区某部队营区1号").flags
    assert "hard_to_deliver" in clean("浙江省杭州市西湖区文三路1号 放菜鸟驿站").flags
    config = AddressConfig(hard_to_deliver_keywords=["看守所"])
    assert "hard_to_deliver" in clean("江苏省南京市江宁区看守所路1号", config=config).flags
    assert "hard_to_deliver" not in clean("广东省广州市天河区某部队1号", config=config).flags
    assert hard_to_deliver("XX信箱", DEFAULT_HARD_TO_DELIVER)


def test_min_confidence_from_config_decides_unsure() -> None:
    text = "萧山区市心中路1号"  # 0.95: inferred upper levels
    assert not clean(text).unsure
    assert clean(text, config=AddressConfig(min_confidence=0.99)).unsure


def test_defaults_match_the_config_model() -> None:
    config = AddressConfig()
    assert tuple(config.remote_areas) == DEFAULT_REMOTE_AREAS
    assert tuple(config.hard_to_deliver_keywords) == DEFAULT_HARD_TO_DELIVER
    assert config.min_confidence == DEFAULT_MIN_CONFIDENCE
