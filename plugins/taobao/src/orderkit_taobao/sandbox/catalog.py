"""The sandbox's raw material: regions, addresses, products, messages, memos.

Shaped after the companies in FIELD.md (a baby-care brand on Tmall) and the
address mess they report: municipalities, 省直辖县级 units whose city Taobao
leaves empty, prefecture cities without districts, district names abolished
years ago, buyers who repeat the province in the detail, and delivery
instructions (放门卫, 小区东门保安室) inside the address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Region:
    """One receiver region as Taobao splits it (empty strings as Taobao sends them)."""

    state: str
    city: str
    district: str
    town: str
    zip: str
    weight: int
    remote: bool = False


REGIONS: Final = (
    Region("浙江省", "杭州市", "西湖区", "古荡街道", "310012", 14),
    Region("浙江省", "杭州市", "余杭区", "五常街道", "311121", 8),
    Region("浙江省", "杭州市", "江干区", "笕桥街道", "310021", 2),  # merged into 上城区 in 2021
    Region("浙江省", "杭州市", "下城区", "武林街道", "310006", 1),  # merged into 拱墅区 in 2021
    Region("浙江省", "宁波市", "鄞州区", "钟公庙街道", "315100", 5),
    Region(
        "江苏省", "苏州市", "苏州工业园区", "斜塘街道", "215028", 5
    ),  # not an official district name
    Region("江苏省", "南京市", "鼓楼区", "湖南路街道", "210009", 5),
    Region("上海", "上海市", "浦东新区", "张江镇", "201203", 10),
    Region("上海", "上海市", "闸北区", "大宁路街道", "200072", 2),  # merged into 静安区 in 2015
    Region("上海", "上海市", "卢湾区", "淮海中路街道", "200020", 1),  # merged into 黄浦区 in 2011
    Region("北京", "北京市", "朝阳区", "望京街道", "100102", 9),
    Region("北京", "北京市", "崇文区", "天坛街道", "100061", 1),  # merged into 东城区 in 2010
    Region("北京", "北京市", "宣武区", "广安门内街道", "100053", 1),  # merged into 西城区 in 2010
    Region("天津", "天津市", "塘沽区", "新港街道", "300450", 1),  # merged into 滨海新区 in 2009
    Region("天津", "天津市", "南开区", "学府街道", "300071", 3),
    Region("重庆", "重庆市", "渝中区", "解放碑街道", "400010", 4),
    Region("广东省", "广州市", "天河区", "石牌街道", "510630", 8),
    Region("广东省", "广州市", "萝岗区", "夏港街道", "510730", 1),  # merged into 黄埔区 in 2014
    Region("广东省", "深圳市", "南山区", "粤海街道", "518057", 7),
    Region("广东省", "东莞市", "", "长安镇", "523850", 3),  # a prefecture city without districts
    Region(
        "河南省", "", "济源市", "沁园街道", "459000", 2
    ),  # 省直辖县级: Taobao leaves the city empty
    Region("湖北省", "", "仙桃市", "干河街道", "433000", 2),  # 省直辖县级
    Region("海南省", "", "琼海市", "嘉积镇", "571400", 1),  # 省直辖县级
    Region(
        "四川省", "成都市", "高新区", "芳草街街道", "610041", 5
    ),  # a development zone, not a district
    Region("湖北省", "武汉市", "洪山区", "珞南街道", "430070", 4),
    Region("山东省", "青岛市", "市南区", "八大峡街道", "266001", 3),
    Region("新疆维吾尔自治区", "乌鲁木齐市", "天山区", "燕儿窝街道", "830002", 1, remote=True),
    Region("西藏自治区", "拉萨市", "城关区", "八廓街道", "850000", 1, remote=True),
    Region("内蒙古自治区", "呼和浩特市", "赛罕区", "大学西路街道", "010020", 1, remote=True),
)

#: Street names for the masked detail part.
ROADS: Final = (
    "文三路",
    "教工路",
    "五常大道",
    "钱江路",
    "张江路",
    "望京西路",
    "天河北路",
    "科技园南路",
    "沁园路",
    "解放碑步行街",
    "中山路",
    "人民路",
    "建设大道",
    "长安路",
)

#: Building / compound words the detail may end with.
PLACES: Final = ("小区", "花园", "公寓", "大厦", "家园", "新村", "广场")

#: Delivery instructions buyers type into the address itself.
ADDRESS_REMARKS: Final = (
    "放门卫",
    "小区东门保安室",
    "放快递柜",
    "菜鸟驿站代收",
    "送货前打电话",
    "工作日送公司前台",
)

SURNAMES: Final = (
    "张",
    "王",
    "李",
    "赵",
    "刘",
    "陈",
    "杨",
    "黄",
    "周",
    "吴",
    "徐",
    "孙",
    "欧阳",
    "司马",
)

BUYER_MESSAGES: Final = (
    "请周末送货，别放快递柜",
    "放门卫",
    "送到小区东门保安室就行",
    "发顺丰可以吗，差价我补",
    "宝宝急用，尽快发货",
    "不要发韵达",
    "帮忙看一下生产日期，要新鲜的",
    "赠品别忘了",
    "地址写错了，改成公司地址：同城 科技园南路",
    "是送人的，不要放发票和价格单",
)

SELLER_MEMOS: Final = (
    "双11 首单，加急",
    "已联系买家改地址",
    "补发赠品 G2026-01",
    "客户要求发顺丰，已补运费",
    "VIP 客户，手写贺卡",
    "质量问题换货，原单号见备注",
    "拆单发货：湿巾杭州仓先发",
)

SELLER_NICK: Final = "宝贝护理旗舰店"


@dataclass(frozen=True, slots=True)
class Product:
    """One sellable SKU. ``outer_sku_id`` empty: an item without SKU variants
    (its merchant code is ``outer_iid``); ``outer_iid`` empty too: the merchant
    never filled it in."""

    title: str
    num_iid: int
    sku_id: str
    outer_iid: str
    outer_sku_id: str
    properties: str
    price_fen: int
    weight: int


PRODUCTS: Final = (
    Product(
        "山茶花润肤霜 200ml 婴儿面霜",
        712345678901,
        "5012345678901",
        "SCH",
        "SCH-200ML",
        "规格:200ml",
        12900,
        14,
    ),
    Product(
        "山茶花润肤霜 50ml 便携装",
        712345678901,
        "5012345678902",
        "SCH",
        "SCH-50ML",
        "规格:50ml",
        4900,
        6,
    ),
    Product(
        "婴儿手口湿巾 80抽×3包",
        698765432109,
        "4987654321098",
        "WIPE",
        "WIPE-80X3",
        "规格:80抽×3包",
        3990,
        16,
    ),
    Product(
        "婴儿手口湿巾 80抽×12包 整箱",
        698765432109,
        "4987654321099",
        "WIPE",
        "WIPE-80X12",
        "规格:整箱12包",
        13900,
        6,
    ),
    Product(
        "PPSU 宽口径奶瓶 240ml",
        687654321098,
        "4876543210987",
        "BOTTLE",
        "BOTTLE-PPSU-240",
        "容量:240ml;颜色:奶油白",
        4590,
        8,
    ),
    Product(
        "PPSU 宽口径奶瓶 160ml",
        687654321098,
        "4876543210986",
        "BOTTLE",
        "BOTTLE-PPSU-160",
        "容量:160ml;颜色:雾霾蓝",
        3990,
        5,
    ),
    Product("婴儿洗发沐浴露二合一 500ml", 676543210987, "", "WASH-500", "", "", 6800, 8),
    Product(
        "纸尿裤 L码 52片",
        665432109876,
        "4654321098765",
        "DIAPER",
        "DIAPER-L52",
        "尺码:L",
        11900,
        10,
    ),
    Product(
        "纸尿裤 XL码 44片",
        665432109876,
        "4654321098766",
        "DIAPER",
        "DIAPER-XL44",
        "尺码:XL",
        11900,
        6,
    ),
    Product("护臀膏 30g", 654321098765, "", "BUTT-30", "", "", 3500, 5),
    Product(
        "儿童牙膏 无氟 50g",
        643210987654,
        "4432109876543",
        "PASTE",
        "PASTE-50-STRAW",
        "口味:草莓",
        2900,
        4,
    ),
    Product(
        "宝宝面霜 50g 限定礼盒", 632109876543, "", "", "", "", 19900, 2
    ),  # no merchant code at all
    Product(
        "山茶花润肤霜 试用装 10ml", 621098765432, "", "SCH-10ML", "", "", 0, 2
    ),  # a 0-yuan trial
)

#: Courier names for sub-orders the seller shipped (as Taobao shows them).
COURIER_NAMES: Final = (
    ("ZTO", "中通快递"),
    ("YTO", "圆通速递"),
    ("SF", "顺丰速运"),
    ("YUNDA", "韵达快递"),
)
#: Waybill prefixes per company, for plausible invoice numbers.
WAYBILL_PREFIX: Final = {"ZTO": "7", "YTO": "YT", "SF": "SF", "YUNDA": "43"}

#: Company codes the sandbox's logistics.offline.send accepts.
COMPANY_CODES: Final = frozenset(
    {"SF", "ZTO", "YTO", "STO", "YUNDA", "EMS", "POST", "POSTB", "JD", "DBL", "HTKY", "JTSD", "ZJS"}
)
