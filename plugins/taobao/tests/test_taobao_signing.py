"""The TOP signature (channels.md §1.3), pinned to the documented example and
computed independently with hashlib/hmac here."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from orderkit_taobao.signing import canonical_string, sign, verify


def test_documented_ordering_example() -> None:
    # "foo, bar, foo_bar, foobar -> bar, foo, foo_bar, foobar", concatenated
    # name-then-value with no separators.
    params = {"foo": "1", "bar": "2", "foo_bar": "3", "foobar": "4"}
    assert canonical_string(params) == "bar2foo1foo_bar3foobar4"


def test_md5_wraps_the_concatenation_in_the_secret() -> None:
    params = {"foo": "1", "bar": "2", "foo_bar": "3", "foobar": "4"}
    expected = hashlib.md5(b"helloworld" + b"bar2foo1foo_bar3foobar4" + b"helloworld").hexdigest()
    assert sign(params, "helloworld", "md5") == expected.upper()


def test_hmac_keys_md5_with_the_secret_and_no_wrapping() -> None:
    params = {"foo": "1", "bar": "2", "foo_bar": "3", "foobar": "4"}
    expected = hmac.new(b"helloworld", b"bar2foo1foo_bar3foobar4", hashlib.md5).hexdigest()
    assert sign(params, "helloworld", "hmac") == expected.upper()


def test_hmac_sha256_is_64_upper_hex_chars() -> None:
    digest = sign({"a": "1"}, "s", "hmac-sha256")
    assert len(digest) == 64 and digest == digest.upper()
    assert digest == hmac.new(b"s", b"a1", hashlib.sha256).hexdigest().upper()


def test_sign_itself_and_empty_values_are_not_signed() -> None:
    base = {"method": "taobao.trade.fullinfo.get", "tid": "1"}
    assert sign({**base, "sign": "OLD", "buyer_nick": ""}, "k") == sign(base, "k")


def test_session_is_part_of_the_signed_set() -> None:
    # The PHP SDK that appended session after signing got code 25 (§1.11).
    base = {"method": "taobao.trades.sold.increment.get", "app_key": "12345678"}
    assert sign({**base, "session": "6102a"}, "k") != sign(base, "k")
    assert "session6102a" in canonical_string({**base, "session": "6102a"})


def test_values_are_raw_utf8_not_url_encoded() -> None:
    params = {"buyer_nick": "张三 t**2", "fields": "tid,status"}
    assert canonical_string(params) == "buyer_nick张三 t**2fieldstid,status"
    raw = "buyer_nick张三 t**2fieldstid,status".encode()
    assert (
        sign(params, "密钥")
        == hashlib.md5("密钥".encode() + raw + "密钥".encode()).hexdigest().upper()
    )


def test_verify_accepts_either_case_and_rejects_tampering() -> None:
    params = {"method": "m", "sign_method": "hmac", "v": "2.0"}
    params["sign"] = sign(params, "secret", "hmac").lower()
    assert verify(params, "secret")
    assert not verify({**params, "v": "2.1"}, "secret")
    assert not verify(params, "other-secret")
    assert not verify({**params, "sign_method": "sha1"}, "secret")


def test_unknown_sign_method_is_refused() -> None:
    with pytest.raises(ValueError, match="sign_method"):
        sign({"a": "1"}, "s", "sha1")
