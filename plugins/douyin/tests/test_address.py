"""``post_addr`` levels as ``clean_address`` hints (the wrapper and the helper)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from orderkit import hookimpl
from orderkit.address.types import AddressHints, AddressRequest, AddressResult
from orderkit.builtin import core_host

import orderkit_douyin
from orderkit_douyin.address import address_hints
from orderkit_douyin.mapping import map_shop_order


class RecordingCleaner:
    """Stands in for the core cleaner: records the hints it was given."""

    def __init__(self) -> None:
        self.seen: list[AddressHints | None] = []

    @hookimpl(tryfirst=True)
    def clean_address(self, request: AddressRequest) -> AddressResult:
        self.seen.append(request.hints)
        hints = request.hints or AddressHints()
        return AddressResult(province=hints.province, district=hints.district, confidence=0.5)


@pytest.fixture()
def receiver(load_payload: Callable[[str], Any]) -> Any:
    item = load_payload("search_list_page.json")["data"]["shop_order_list"][0]
    return map_shop_order(item, shop_id="dy-main").receiver


def test_hints_carry_the_levels_and_douyin_region_ids(receiver: Any) -> None:
    assert address_hints(receiver) == AddressHints(
        province="浙江省",
        city="杭州市",
        district="西湖区",
        street="文新街道",
        platform_ids={"province": "33", "city": "3301", "town": "330106", "street": "330106010"},
    )
    nothing = {"province": None, "city": None, "district": None, "street": None}
    assert address_hints(receiver.model_copy(update=nothing)) is None


def test_the_wrapper_hints_douyin_requests_that_carry_their_receiver(receiver: Any) -> None:
    cleaner = RecordingCleaner()
    host = core_host(plugins=[("douyin", orderkit_douyin), ("cleaner", cleaner)], entrypoints=False)
    request = AddressRequest(receiver.raw, channel="douyin", shop_id="dy-main")
    request.receiver = receiver  # type: ignore[attr-defined]  # the core field this needs
    result = host.pm.hook.clean_address(request=request)
    assert result.province == "浙江省" and result.district == "西湖区"
    assert cleaner.seen == [address_hints(receiver)]


def test_the_wrapper_leaves_other_requests_alone(receiver: Any) -> None:
    cleaner = RecordingCleaner()
    host = core_host(plugins=[("douyin", orderkit_douyin), ("cleaner", cleaner)], entrypoints=False)
    taobao = AddressRequest("杭州西湖区文三路", channel="taobao")
    taobao.receiver = receiver  # type: ignore[attr-defined]
    given = AddressHints(province="江苏省")
    already = AddressRequest("苏州吴中区", channel="douyin", hints=given)
    bare = AddressRequest("浙江杭州西湖区翠苑一区小区东门保安室", channel="douyin")
    for request in (taobao, already, bare):
        host.pm.hook.clean_address(request=request)
    assert cleaner.seen == [None, given, None]
