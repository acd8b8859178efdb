"""What the sandbox's generated Douyin orders are made of: products, regions
with Douyin-style ``post_addr`` ids, messy address details as Douyin buyers
write them, buyer words and seller remarks. Data only.

Region ids follow the GB/T 2260 prefixes at each level (``33`` / ``3301`` /
``330106`` / ``330106010``): the real id scheme of ``post_addr`` is not in
the reference, so this is the sandbox's own choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Product:
    product_id: int
    name: str
    #: (spec name, spec value, out_sku_id or "", code or "")
    skus: tuple[tuple[str, str, str, str], ...]
    price_fen: int
    out_product_id: str


@dataclass(frozen=True, slots=True)
class Region:
    province: tuple[str, str]
    city: tuple[str, str]
    town: tuple[str, str]
    #: ("", "") when Douyin leaves the street out
    street: tuple[str, str]
    roads: tuple[str, ...]
    communities: tuple[str, ...]
    #: a district name buyers still write although it no longer exists
    legacy: str = ""


PRODUCTS: Final = (
    Product(3_581_104_321_001, "山茶花润肤霜 滋润保湿面霜", (
        ("规格", "50g", "SCH-CREAM-50", "G2026-01"),
        ("规格", "100g", "SCH-CREAM-100", ""),
    ), 16900, "SCH-CREAM"),
    Product(3_581_104_321_002, "婴儿纯棉隔尿垫 防水透气", (
        ("尺寸", "60×90cm", "BB-PAD-6090", ""),
        ("尺寸", "80×120cm", "", "BBPAD80120"),
    ), 5990, "BB-PAD"),
    Product(3_581_104_321_003, "冻干鸡肉猫粮 全价成猫粮", (
        ("重量", "1.5kg", "PET-CAT-15", "PC15"),
        ("重量", "5kg", "PET-CAT-50", "PC50"),
    ), 12800, "PET-CAT"),
    Product(3_581_104_321_004, "可折叠收纳箱 大号加厚", (
        ("颜色", "奶白", "HS-BOX-W", ""),
        ("颜色", "雾蓝", "HS-BOX-B", ""),
        ("颜色", "燕麦", "", ""),
    ), 3990, "HS-BOX"),
    Product(3_581_104_321_005, "汽车刹车片 前轮陶瓷", (
        ("车型", "朗逸/速腾", "AP-BRK-VW1", "BRK-VW1"),
        ("车型", "卡罗拉/雷凌", "AP-BRK-TY1", "BRK-TY1"),
    ), 26800, "AP-BRK"),
    Product(3_581_104_321_006, "儿童保温杯 316不锈钢吸管杯", (
        ("颜色", "恐龙绿", "KID-CUP-G", ""),
        ("颜色", "独角兽粉", "KID-CUP-P", ""),
    ), 8900, "KID-CUP"),
    Product(3_581_104_321_007, "每日坚果混合果仁 30袋礼盒", (
        ("规格", "750g", "NUT-30", "NUT30"),
    ), 9900, "NUT-30"),
    Product(3_581_104_321_008, "氨基酸洗面奶 温和控油", (
        ("规格", "120ml", "", "FW120"),
        ("规格", "120ml×2", "", "FW240"),
    ), 6900, "FW"),
    Product(3_581_104_321_009, "凉感冰丝四件套 夏季床品", (
        ("尺寸", "1.5m床", "BED-ICE-150", ""),
        ("尺寸", "1.8m床", "BED-ICE-180", ""),
    ), 19900, "BED-ICE"),
    Product(3_581_104_321_010, "试用装 山茶花润肤霜 5g", (
        ("规格", "5g", "SCH-TRIAL-5", ""),
    ), 0, "SCH-TRIAL"),
)  # fmt: skip

REGIONS: Final = (
    Region(("浙江省", "33"), ("杭州市", "3301"), ("西湖区", "330106"), ("文新街道", "330106010"),
           ("文三路", "古墩路", "学院路"), ("翠苑一区", "华星时代广场", "金都城市芯宇")),
    Region(("浙江省", "33"), ("杭州市", "3301"), ("上城区", "330102"), ("四季青街道", "330102016"),
           ("钱江路", "新业路"), ("钱江新城万象城", "新城时代广场"), legacy="江干区"),
    Region(("江苏省", "32"), ("苏州市", "3205"), ("吴中区", "320506"), ("郭巷街道", "320506406"),
           ("东方大道", "尹山湖路"), ("金鸡湖大厦", "尹山湖花园")),
    Region(("广东省", "44"), ("深圳市", "4403"), ("南山区", "440305"), ("粤海街道", "440305008"),
           ("高新南七道", "科苑路"), ("数字技术园", "海岸城")),
    Region(("广东省", "44"), ("广州市", "4401"), ("天河区", "440106"), ("石牌街道", "440106004"),
           ("天河路", "龙口西路"), ("天河南小区", "华港花园")),
    Region(("北京市", "11"), ("北京市", "1101"), ("朝阳区", "110105"), ("望京街道", "110105026"),
           ("阜通东大街", "望京西路"), ("望京SOHO", "花家地西里")),
    Region(("上海市", "31"), ("上海市", "3101"), ("浦东新区", "310115"), ("张江镇", "310115125"),
           ("碧波路", "祖冲之路"), ("汤臣豪园", "张江汤臣豪园三期")),
    Region(("重庆市", "50"), ("重庆市", "5001"), ("渝北区", "500112"), ("龙溪街道", "500112002"),
           ("新牌坊一路", "龙山大道"), ("龙湖花园", "金港新区")),
    Region(("四川省", "51"), ("成都市", "5101"), ("武侯区", "510107"), ("", ""),
           ("天府大道北段", "科华北路"), ("环球中心", "棕北小区")),
    Region(("湖北省", "42"), ("武汉市", "4201"), ("洪山区", "420111"), ("珞南街道", "420111002"),
           ("珞喻路", "雄楚大道"), ("光谷广场", "保利华都")),
    Region(("山东省", "37"), ("济南市", "3701"), ("莱芜区", "370116"), ("凤城街道", "370116001"),
           ("鲁中东大街", "汶源大街"), ("凤城小区", "万福花园"), legacy="莱芜市"),
    Region(("新疆维吾尔自治区", "65"), ("乌鲁木齐市", "6501"), ("天山区", "650102"),
           ("东门街道", "650102003"), ("解放南路", "新华南路"), ("东门小区", "红山新世界")),
    Region(("西藏自治区", "54"), ("拉萨市", "5401"), ("城关区", "540102"), ("", ""),
           ("北京中路", "江苏路"), ("雪新村", "太阳岛小区")),
    Region(("河南省", "41"), ("郑州市", "4101"), ("金水区", "410105"), ("花园路街道", "410105005"),
           ("花园路", "农业路"), ("国基路小区", "金成时代广场")),
    Region(("福建省", "35"), ("厦门市", "3502"), ("思明区", "350203"), ("鹭江街道", "350203001"),
           ("中山路", "鹭江道"), ("鹭江新城", "华侨大厦")),
)  # fmt: skip

#: How Douyin buyers write the detail. Fields: {road} {num} {community}
#: {bld} {room} and the levels {province} {city} {town} {legacy}.
DETAIL_TEMPLATES: Final = (
    "{road}{num}号{community}{bld}栋{room}室",
    "{community}小区东门保安室",
    "{road}{num}号{community} 放门卫",
    "{province}{city}{town}{road}{num}号{community}{bld}幢",
    "{community}{bld}栋{room} 送货前电话联系",
    "{road}{num}号 丰巢柜",
    "{community}菜鸟驿站 代收",
    "{road}{num_fw}号{community}",
    "{city}{town} {community}  {bld}-{room}",
    "{legacy}{road}{num}号{community}",
    "{community}北门快递柜 周末不在家",
    "{road}{num}号{community}{bld}栋{room}室（工作日送公司前台）",
)

SURNAMES: Final = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐"
BUYER_WORDS: Final = (
    "",
    "",
    "",
    "",
    "请尽快发货，谢谢",
    "周末不在家，放小区东门保安室",
    "送人的，不要放价格单",
    "到了打电话，不要放驿站",
    "要顺丰，运费可以补",
    "赠品别忘了",
)
SELLER_WORDS: Final = (
    "",
    "",
    "",
    "",
    "已备注赠品G2026-01",
    "客户要求改发顺丰",
    "加急，老客户",
    "地址已与客户电话确认",
)
#: (courier name, Doudian company code)
COMPANIES: Final = (
    ("中通快递", "zhongtong"),
    ("圆通速递", "yuantong"),
    ("韵达快递", "yunda"),
    ("顺丰速运", "shunfeng"),
    ("极兔速递", "jtexpress"),
)
