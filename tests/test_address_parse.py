"""Hand-written addresses, one behaviour each (not from the generated corpus)."""

from __future__ import annotations

import pytest

from orderkit.address import AddressHints, clean


def levels(text: str) -> tuple[str | None, str | None, str | None]:
    r = clean(text)
    return (r.province, r.city, r.district)


def test_the_issue_example() -> None:
    r = clean("浙江杭州西湖区文三路478号华星时代广场A座1203 放门卫")
    assert (r.province, r.city, r.district) == ("浙江省", "杭州市", "西湖区")
    assert (r.province_code, r.city_code, r.district_code) == ("330000", "330100", "330106")
    assert r.detail == "文三路478号华星时代广场A座1203"
    assert r.remark == "放门卫"
    assert r.confidence == 1.0 and not r.unsure and r.flags == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("广东省深圳市南山区科技园南区R2-B栋", ("广东省", "深圳市", "南山区")),  # standard
        ("四川成都武侯人民南路四段1号", ("四川省", "成都市", "武侯区")),  # abbreviated
        ("苏州市吴中区东吴北路98号", ("江苏省", "苏州市", "吴中区")),  # no province
        ("余杭区文一西路969号", ("浙江省", "杭州市", "余杭区")),  # district only
        ("湖南省长沙市长沙市岳麓区麓山南路2号", ("湖南省", "长沙市", "岳麓区")),  # duplicated
        ("云南楚雄楚雄鹿城南路1号", ("云南省", "楚雄彝族自治州", "楚雄市")),  # short twice
        ("山东青岛市南区香港中路10号", ("山东省", "青岛市", "市南区")),  # 青岛市 + 南区
        ("河北雄安新区容城县奥威路1号", ("河北省", "保定市", "容城县")),  # not 安新县
        ("甘肃陇南礼县花园街8号", ("甘肃省", "陇南市", "礼县")),  # 礼县花园街 is no road name
    ],
)
def test_categories(text: str, expected: tuple[str, str, str]) -> None:
    assert levels(text) == expected


def test_full_width_and_ideographic_spaces() -> None:
    r = clean("浙江省\u3000杭州市\u3000西湖区\u3000文三路４７８号Ａ座１２０３")
    assert r.district == "西湖区" and r.detail == "文三路478号A座1203"


def test_municipality_city_is_the_municipality() -> None:
    r = clean("北京北京市朝阳区建国路88号")
    assert (r.province, r.city, r.district) == ("北京市", "北京市", "朝阳区")
    assert (r.province_code, r.city_code, r.district_code) == ("110000", "110100", "110105")
    assert levels("上海市市辖区奉贤区南桥镇1号") == ("上海市", "上海市", "奉贤区")
    assert levels("重庆城口县葛城街道1号") == ("重庆市", "重庆市", "城口县")


def test_province_level_county_has_no_city() -> None:
    r = clean("湖北仙桃市仙桃大道1号")
    assert (r.province, r.city, r.district) == ("湖北省", None, "仙桃市")
    assert (r.city_code, r.district_code) == (None, "429004")
    assert levels("新疆石河子市北四路1号") == ("新疆维吾尔自治区", None, "石河子市")
    assert levels("河南省济源市济水大街1号") == ("河南省", None, "济源市")


def test_prefecture_without_counties_is_complete() -> None:
    r = clean("广东省东莞市长安镇振安路1号")
    assert (r.province, r.city, r.district) == ("广东省", "东莞市", None)
    assert r.street == "长安镇" and r.street_code is not None and r.street_code.startswith("4419")
    assert r.confidence == 1.0 and "incomplete" not in r.flags


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("浙江省杭州市江干区景芳路1号", ("浙江省", "杭州市", "上城区")),
        ("山东省莱芜市莱城区凤城西大街1号", ("山东省", "济南市", "莱芜区")),
        ("山东莱芜市钢城区府前大街1号", ("山东省", "济南市", "钢城区")),
        ("上海市崇明县城桥镇1号", ("上海市", "上海市", "崇明区")),
        ("湖北省襄樊市樊城区人民路1号", ("湖北省", "襄阳市", "樊城区")),
        ("吉林省四平市公主岭市河南大街1号", ("吉林省", "长春市", "公主岭市")),
        ("浙江宁波奉化市南山路1号", ("浙江省", "宁波市", "奉化区")),
        ("重庆市渝北区龙溪街道1号", ("重庆市", "重庆市", "两江新区")),
    ],
)
def test_legacy_names_map_to_current_units(text: str, expected: tuple[str, str, str]) -> None:
    r = clean(text)
    assert (r.province, r.city, r.district) == expected
    assert "legacy_name" in r.flags and r.confidence < 1.0


def test_a_current_name_that_was_also_a_legacy_one_is_not_guessed() -> None:
    # 江北区: 宁波's today, 重庆's until 2025.
    assert levels("宁波市江北区人民路1号") == ("浙江省", "宁波市", "江北区")
    assert clean("江北区人民路1号").unsure


@pytest.mark.parametrize(
    "text", ["朝阳区建国路88号", "鼓楼区中山路1号", "西湖文三路1号", "普陀区1号"]
)
def test_ambiguous_text_is_not_guessed(text: str) -> None:
    r = clean(text)
    assert "ambiguous" in r.flags and r.confidence < 0.8 and r.unsure
    assert r.district is None and r.detail is not None and text[:2] in r.detail


def test_ambiguous_city_keeps_the_province() -> None:
    r = clean("江苏鼓楼区中山路1号")
    assert (r.province, r.city, r.district) == ("江苏省", None, None)
    assert "ambiguous" in r.flags and r.unsure


def test_context_settles_an_otherwise_ambiguous_name() -> None:
    assert levels("长春朝阳区红旗街1号") == ("吉林省", "长春市", "朝阳区")
    assert levels("北京朝阳区建国路88号") == ("北京市", "北京市", "朝阳区")


def test_upper_levels_inferred_only_from_a_unique_name() -> None:
    r = clean("萧山区市心中路1号")
    assert (r.province, r.city, r.district) == ("浙江省", "杭州市", "萧山区")
    assert "inferred" in r.flags and r.confidence == 0.95


def test_a_road_named_after_a_city_is_not_a_division() -> None:
    r = clean("浙江省杭州市延安路508号")
    assert (r.province, r.city, r.district) == ("浙江省", "杭州市", None)
    assert "incomplete" in r.flags and r.detail == "延安路508号"
    assert levels("上海市黄浦区南京东路1号") == ("上海市", "上海市", "黄浦区")


def test_street_and_detail_split_with_township_code() -> None:
    r = clean("浙江省杭州市西湖区西溪街道文三路478号")
    assert r.street == "西溪街道" and r.street_code == "330106004"
    assert r.detail == "文三路478号"


@pytest.mark.parametrize(
    ("text", "remark"),
    [
        ("上海市浦东新区张江路1号小区东门保安室", "小区东门保安室"),
        ("北京市海淀区中关村大街1号 送货前电话联系", "送货前电话联系"),
        ("广州市天河区体育西路1号，请放丰巢柜", "请放丰巢柜"),
        ("南京市鼓楼区中山路1号 工作日送货", "工作日送货"),
        ("杭州市上城区解放路100号放门卫", "放门卫"),
    ],
)
def test_delivery_instructions_go_to_the_remark(text: str, remark: str) -> None:
    r = clean(text)
    assert r.remark == remark
    assert r.detail is not None and remark not in r.detail


def test_road_names_are_not_instructions() -> None:
    r = clean("杭州市上城区解放路100号")
    assert r.remark is None and r.detail == "解放路100号"


def test_names_and_phones_are_pulled_out() -> None:
    r = clean("收货人：李四 电话：0571-88886666转123 地址：浙江省杭州市西湖区文三路1号")
    assert r.names == ["李四"] and r.phones == ["0571-88886666"]
    assert r.phone_extensions == {"0571-88886666": "123"}
    assert r.district == "西湖区" and r.detail == "文三路1号"
    r = clean("浙江省杭州市西湖区文三路1号 王五 13800138000-1234")
    assert r.names == ["王五"] and r.phones == ["13800138000"]
    assert r.phone_extensions == {"13800138000": "1234"} and r.detail == "文三路1号"


def test_hints_win_over_the_text() -> None:
    hints = AddressHints(province="浙江省", city="杭州市", district="西湖区", street="西溪街道")
    r = clean("西溪街道文三路478号", hints=hints)
    assert (r.province, r.city, r.district, r.street) == ("浙江省", "杭州市", "西湖区", "西溪街道")
    assert r.street_code == "330106004" and r.detail == "文三路478号" and r.confidence == 1.0


def test_hints_settle_an_ambiguous_text() -> None:
    r = clean("朝阳区建国路88号", hints=AddressHints(province="北京市"))
    assert (r.province, r.city, r.district) == ("北京市", "北京市", "朝阳区")
    assert r.detail == "建国路88号"


def test_douyin_style_hints_with_an_address_that_repeats_them() -> None:
    hints = AddressHints(province="广东省", city="深圳市", district="南山区")
    r = clean("广东省深圳市南山区科技园南区1号", hints=hints)
    assert r.district_code == "440305" and r.detail == "科技园南区1号"


def test_nothing_found() -> None:
    r = clean("请尽快发货")
    assert r.province is None and r.confidence == 0.0 and "not_found" in r.flags
    assert clean("").flags == ["not_found"]


def test_the_reader_memo_is_bounded_and_changes_no_result(monkeypatch: pytest.MonkeyPatch) -> None:
    from orderkit.address import resolve
    from orderkit.address.gazetteer import gazetteer

    texts = [
        "浙江杭州西湖区文三路1号",
        "朝阳区建国路1号",
        "湖北仙桃市1号",
        "山东莱芜市钢城区1号",
    ] * 3
    reference = resolve.Reader(gazetteer())
    monkeypatch.setattr(resolve, "MAX_STATES", 3)
    small = resolve.Reader(gazetteer())
    for text in texts:
        assert small.read(text)[0].settled == reference.read(text)[0].settled
        assert small.read(text)[1:] == reference.read(text)[1:]
        assert len(small._states) <= 4


def test_a_repeat_right_after_the_address_is_absorbed_but_not_a_place_name() -> None:
    assert clean("杭州市西湖区杭州市文三路1号").detail == "文三路1号"
    r = clean("北京市朝阳区朝阳门外大街1号")  # 朝阳门 is a gate, not 朝阳区 again
    assert r.district == "朝阳区" and r.detail == "朝阳门外大街1号"


def test_special_administrative_regions_have_nothing_below_them() -> None:
    r = clean("香港特别行政区中西区德辅道中1号")
    assert (r.province, r.city, r.district) == ("香港特别行政区", None, None)
    assert r.confidence == 1.0 and "incomplete" not in r.flags
