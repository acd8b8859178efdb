"""The courier contract of ``orderkit.testing``, run for SF, ZTO, YTO and JD."""

from __future__ import annotations

from typing import ClassVar

from orderkit.testing import CourierContract, CourierSignatureExample
from orderkit_couriers import jd, sf, yto, zto
from orderkit_couriers.jd.protocol import sign as jd_sign
from orderkit_couriers.sf.protocol import msg_digest
from orderkit_couriers.yto.protocol import sign as yto_sign
from orderkit_couriers.zto.protocol import data_digest

# Expected values below were computed outside Python, e.g.
#   printf '%s' 'BODY''SECRET' | openssl md5 -binary | base64
# from the formulas in couriers_address.md; SF's is SF's own documented example.


class TestSfContract(CourierContract):
    plugin_name = "sf"
    plugin: ClassVar[object] = sf
    waybill_pattern = sf.WAYBILL_PATTERN
    credentials: ClassVar = {"partner_id": "OKPARTNER", "check_word": "sandbox:contract-cw"}
    secret_name = "check_word"
    signature_examples: ClassVar = [
        CourierSignatureExample(
            inputs={
                "msg_data": '{"language":"zh-CN","orderId":"QIAO-20200618-004"}',
                "timestamp": "12312334453453",
                "check_word": "fjcg5PGKaNpPSHFAZ4QsCOkV71R3zVci",
            },
            expected="IIKJtuLVzoFTu4kHI8M8vA==",
            sign=msg_digest,
            source="SF digital-signature doc example (couriers_address.md A1)",
        )
    ]


class TestZtoContract(CourierContract):
    plugin_name = "zto"
    plugin: ClassVar[object] = zto
    waybill_pattern = zto.WAYBILL_PATTERN
    credentials: ClassVar = {"app_key": "OKCOMPANY", "app_secret": "sandbox:contract-secret"}
    secret_name = "app_secret"
    signature_examples: ClassVar = [
        CourierSignatureExample(
            inputs={
                "body": '{"partnerOrderCode":"OK-1001","receiveInfo":{"receiverName":"李**"}}',
                "app_secret": "zto-app-secret",
            },
            expected="imAuICo5CrMCbZxScnYRdQ==",
            sign=data_digest,
            source="base64(md5(body + appSecret)), couriers_address.md A2",
        )
    ]


class TestYtoContract(CourierContract):
    plugin_name = "yto"
    plugin: ClassVar[object] = yto
    waybill_pattern = yto.WAYBILL_PATTERN
    credentials: ClassVar = {
        "customer_code": "K99910001",
        "app_key": "OkTokn",
        "app_secret": "sandbox:contract-secret",
    }
    secret_name = "app_secret"
    signature_examples: ClassVar = [
        CourierSignatureExample(
            inputs={
                "param": '{"logisticsNo":"OK-1001","recipientName":"李**"}',
                "method": "privacy_create_adapter",
                "version": "v1",
                "secret": "yto-secret",
            },
            expected="dXd2Fz4xJx4h3yuoWENxlw==",
            sign=yto_sign,
            source="base64(md5(param + method + version + secret)), couriers_address.md A3",
        )
    ]


class TestJdContract(CourierContract):
    plugin_name = "jd"
    plugin: ClassVar[object] = jd
    waybill_pattern = jd.WAYBILL_PATTERN
    credentials: ClassVar = {
        "app_key": "okapp",
        "app_secret": "sandbox:contract-secret",
        "access_token": "sandbox:contract-token",
        "customer_code": "010K123456",
    }
    secret_name = "app_secret"
    signature_examples: ClassVar = [
        CourierSignatureExample(
            inputs={
                "app_secret": "jd-secret",
                "access_token": "jd-token",
                "app_key": "jd-app",
                "method": "/ecap/v1/orders/create",
                "param_json": '[{"orderId":"OK-1001"}]',
                "timestamp": "2026-11-11 10:00:00",
            },
            expected="CD73E6CD297BB45885F51741B610764F",
            sign=jd_sign,
            source="md5-salt, upper hex as the official sample, couriers_address.md A4",
        )
    ]
