"""The condition vocabulary: every key, the combinators, records and triggers."""

from __future__ import annotations

from typing import Any

import pytest

from orderkit.decisions import DecisionContext
from orderkit.errors import ConfigError
from orderkit.models import Order
from orderkit.rules import Catalog, compile_condition, describe, order_facts
from orderkit.rules.conditions import CONDITION_KEYS, Trigger
from orderkit.rules.facts import OrderFacts
from orderkit.rules.regions import expand_provinces, local_name, province_short
from orderkit.rules.units import time_point
from tests.test_rules_support import line, order, rule_set

CATALOG = rule_set("gifts: []").catalog


def facts_of(o: Order, context: DecisionContext | None = None) -> OrderFacts:
    return order_facts(o, context or DecisionContext(), CATALOG)


def check(
    spec: dict[str, Any], o: Order, context: DecisionContext | None = None
) -> tuple[bool, list[dict[str, Any]]]:
    out: list[dict[str, Any]] = []
    ok = compile_condition(spec)(facts_of(o, context), out)
    return ok, out


def holds(spec: dict[str, Any], o: Order, context: DecisionContext | None = None) -> bool:
    return check(spec, o, context)[0]


# -- amounts --------------------------------------------------------------------------


def test_paid_in_yuan_is_compared_in_fen_exactly() -> None:
    assert holds({"paid": {"gte": 299.9}}, order(paid=299.9))
    assert not holds({"paid": {"gte": 299.9}}, order(paid=299.89))
    assert holds({"paid": {"lte": 299}}, order(paid=299))
    assert holds({"paid": {"between": [100, 299]}}, order(paid=100))
    assert not holds({"paid": {"between": [100, 299]}}, order(paid=299.01))


def test_goods_total_and_item_count() -> None:
    o = order(line("1", "面膜", 3, price=5000), line("2", "山茶花润肤霜", 1, price=1000), paid=160)
    assert holds({"items": {"gte": 4}}, o)
    assert not holds({"items": {"gte": 5}}, o)
    assert holds({"goods_total": {"gte": 160, "lte": 160}}, o)


def test_a_failed_amount_records_what_was_read() -> None:
    ok, out = check({"paid": {"gte": 299}}, order(paid=199))
    assert not ok
    assert out == [{"if": "paid", "op": "range", "want": [29900, None], "got": 19900, "ok": False}]
    assert describe(out[0]) == "paid 199.00 < 299.00"


# -- SKUs -------------------------------------------------------------------------------


def test_sku_any_all_none() -> None:
    o = order(line("1", "面膜", 2), line("2", "山茶花润肤霜"))
    assert holds({"sku": {"any": ["面膜", "X"]}}, o)
    assert not holds({"sku": {"all": ["面膜", "X"]}}, o)
    assert holds({"sku": {"all": ["面膜", "山茶花润肤霜"]}}, o)
    assert holds({"sku": {"none": ["X"]}}, o)
    assert not holds({"sku": {"none": ["面膜"]}}, o)


def test_sku_quantities() -> None:
    o = order(line("1", "面膜", 2), line("2", "面膜", 1))  # two lines of one SKU add up
    assert holds({"sku": {"any": [{"sku": "面膜", "qty": {"gte": 3}}]}}, o)
    assert not holds({"sku": {"any": [{"sku": "面膜", "qty": {"gte": 4}}]}}, o)
    assert holds({"sku": {"all": [{"sku": "面膜", "qty": {"between": [1, 3]}}]}}, o)


def test_gift_and_refunded_lines_are_not_bought() -> None:
    o = order(
        line("1", "面膜"),
        line("2", "山茶花润肤霜", refund="refunded"),
        line("g", "G-A", is_gift=True, parent_line_id="1", price=0),
    )
    assert not holds({"sku": {"any": ["山茶花润肤霜"]}}, o)
    assert not holds({"sku": {"any": ["G-A"]}}, o)
    assert holds({"items": {"lte": 1}}, o)


# -- place ----------------------------------------------------------------------------


def test_region_names_codes_and_groups() -> None:
    o = order(
        receiver={
            "province": "浙江省",
            "city": "杭州市",
            "district": "西湖区",
            "district_code": "330106",
        }
    )
    assert holds({"region": {"province": ["浙江"]}}, o)
    assert holds({"region": {"province": ["330000"]}}, o)
    assert holds({"region": {"province": ["华东"]}}, o)
    assert holds({"region": {"province": "江浙沪", "city": ["杭州"]}}, o)
    assert holds({"region": {"district": ["330106"]}}, o)
    assert not holds({"region": {"province": ["广东", "华南"]}}, o)


def test_remote_area_from_config_or_cleaner_flag() -> None:
    assert holds({"region": {"remote_area": True}}, order(province="新疆维吾尔自治区"))
    flagged = order(receiver={"province": "四川省", "flags": ["remote_area"]})
    assert holds({"region": {"remote_area": True}}, flagged)
    assert holds({"region": {"remote_area": False}}, order())


def test_place_name_folding() -> None:
    assert province_short("广西壮族自治区") == "广西"
    assert province_short("内蒙古自治区") == "内蒙古"
    assert province_short("650000") == "新疆"
    assert local_name("杭州市") == "杭州"
    assert local_name("恩施土家族苗族自治州") == "恩施土家族苗族"
    assert expand_provinces(["江浙沪", "广东省"]) == {"江苏", "浙江", "上海", "广东"}


# -- time, buyer, text, flags -------------------------------------------------------------


def test_time_window_on_the_chosen_clock() -> None:
    o = order(created_at="2026-02-28T23:00:00+08:00")  # paid 2026-03-05 10:00 (China)
    march = {"from": "2026-03-01", "until": "2026-03-31"}
    assert holds({"window": march}, o)
    assert not holds({"window": {**march, "clock": "created"}}, o)
    assert holds({"window": {"clock": "created", "until": "2026-02-28"}}, o)  # whole day included
    unpaid = order(paid_at=None)
    ok, out = check({"window": march}, unpaid)
    assert not ok and describe(out[0]) == "not paid yet"


def test_time_points_are_china_time_unless_an_offset_is_written() -> None:
    assert time_point("2026-03-01 08:00") == time_point("2026-03-01T00:00:00+00:00")
    assert time_point("2026-03-01", end_of_day=True) == time_point("2026-03-01 23:59:59.999999")


def test_buyer_facts_come_from_the_context() -> None:
    o = order()
    first = DecisionContext(first_purchase_in_shop=True)
    assert holds({"buyer": {"first_purchase": True}}, o, first)
    assert not holds(
        {"buyer": {"first_purchase": True}}, o, DecisionContext(first_purchase_in_shop=False)
    )
    # Unknown is neither yes nor no: a first-purchase gift is not given on a guess.
    assert not holds({"buyer": {"first_purchase": True}}, o)
    assert not holds({"buyer": {"first_purchase": False}}, o)
    assert holds({"buyer": {"blacklisted": True}}, o, DecisionContext(blacklisted=True))


def test_message_and_memo_keywords_record_only_the_keywords() -> None:
    o = order(buyer={"message": "请加急 电话13800000000"}, seller_memo="VIP客户")
    ok, out = check({"buyer_message": {"contains": ["加急", "改地址"]}}, o)
    assert ok and out[0]["got"] == ["加急"]
    assert "13800000000" not in str(out)
    assert holds({"seller_memo": {"contains": "vip"}}, o)  # case-insensitive
    assert holds({"buyer_message": {"present": True}}, o)
    assert holds({"seller_memo": {"present": False}}, order())


def test_flag_colour_order_type_and_tags() -> None:
    o = order(seller_flag="red", order_type="presale", tags=["直播", "会员"])
    assert holds({"seller_flag": ["red", "yellow"]}, o)
    assert holds({"order_type": "presale"}, o)
    assert holds({"tags": {"all": ["直播", "会员"], "none": ["刷单"]}}, o)
    assert not holds({"tags": {"any": ["刷单"]}}, o)


def test_weight_category_and_bulky_from_config_skus() -> None:
    o = order(line("1", "收纳柜-大号"), line("2", "面膜", 5))
    assert holds({"weight_kg": {"gte": 18.4, "lte": 18.4}}, o)
    assert holds({"bulky": True}, o)
    assert holds({"category": {"all": ["家居", "护肤"]}}, o)
    ok, out = check({"weight_kg": {"lte": 1}}, order(line("1", "未知SKU")))
    assert ok and out[0]["unknown"] == ["未知SKU"]


def test_shop_and_channel() -> None:
    assert holds({"shop": "own-mini", "channel": ["own", "taobao"]}, order())
    assert not holds({"shop": ["tmall-1"]}, order())


# -- combinators and compile -------------------------------------------------------------


def test_all_any_not() -> None:
    o = order(paid=350)
    spec = {
        "any": [{"paid": {"gte": 500}}, {"sku": {"any": ["山茶花润肤霜"]}}],
        "not": {"tags": {"any": ["刷单"]}},
        "all": [{"paid": {"gte": 300}}],
    }
    ok, out = check(spec, o)
    assert ok
    assert [r["if"] for r in out] == ["any", "not", "paid"]
    assert describe(out[0]) == "contains 山茶花润肤霜"


def test_evaluation_stops_at_the_first_failure() -> None:
    ok, out = check({"paid": {"gte": 999}, "sku": {"any": ["山茶花润肤霜"]}}, order())
    assert not ok and len(out) == 1


def test_triggers_pick_the_most_selective_fact() -> None:
    cond = compile_condition({"shop": "s1", "sku": {"any": ["A", "B"]}, "paid": {"gte": 1}})
    assert cond.trigger == Trigger("sku", frozenset({"A", "B"}))
    assert compile_condition({"paid": {"gte": 1}}).trigger is None
    either = compile_condition({"any": [{"shop": "a"}, {"shop": "b"}]})
    assert either.trigger == Trigger("shop", frozenset({"a", "b"}))
    assert compile_condition({"not": {"shop": "a"}}).trigger is None
    assert compile_condition({"region": {"province": ["江浙沪"]}}).trigger == Trigger(
        "province", frozenset({"江苏", "浙江", "上海"})
    )


def test_a_date_that_does_not_exist_is_a_config_error_with_its_path() -> None:
    with pytest.raises(ConfigError) as caught:
        compile_condition({"window": {"from": "2026-02-30"}}, "rules.gifts[0].when")
    assert str(caught.value.problems[0]).startswith("rules.gifts[0].when.window: not a date")


def test_every_condition_key_is_in_the_schema() -> None:
    from orderkit._resources import load_schema

    schema_keys = load_schema("config.schema.json")["$defs"]["condition"]["properties"]
    assert set(CONDITION_KEYS) == set(schema_keys)


def test_catalog_defaults_without_config() -> None:
    facts = order_facts(order(), DecisionContext(), Catalog())
    assert facts.weight_unknown == ("山茶花润肤霜",)
    assert facts.province == "浙江"
