"""The legacy ERP's own tables, as its vendor designed them years ago.

Nothing here is orderkit's: pinyin-initial names (销售订单主表 ``XS_DDZB``,
销售订单明细 ``XS_DDMX``, 库存表 ``KC_KCB``), integer surrogate keys, money in
yuan as ``NUMERIC(12,2)``, times as naive Beijing time. orderkit must feed
these tables and read stock from them without adding or changing a column.

The equivalent DDL, for readers who think in SQL::

    CREATE TABLE XS_DDZB (               -- 销售订单主表 sales order header
        DDID  INTEGER PRIMARY KEY,       -- 订单ID (autoincrement)
        DDBH  VARCHAR(20),               -- 订单编号 XS + yymmdd + DDID
        PTDM  VARCHAR(10)  NOT NULL,     -- 平台代码 TB / DY / PDD / ZY ...
        DPDM  VARCHAR(64)  NOT NULL,     -- 店铺代码
        WBDH  VARCHAR(64)  NOT NULL,     -- 外部单号 (platform order no.)
        DDZT  VARCHAR(2)   NOT NULL,     -- 订单状态, see ORDER_STATUS_NAMES
        TKZT  VARCHAR(1)   NOT NULL,     -- 退款状态, see REFUND_STATUS_NAMES
        GQBZ  VARCHAR(1)   NOT NULL,     -- 挂起标志 Y/N
        XDSJ, FKSJ  DATETIME,            -- 下单 / 付款时间
        SPJE, YHJE, YF, SFJE  NUMERIC(12,2),  -- 商品金额 优惠 运费 实付 (元)
        SHR, SJHM, SHDZ, MJLY  VARCHAR,  -- 收货人 手机 地址 买家留言
        BZ    VARCHAR(255),              -- 内部备注: the ERP's staff write it
        ZDR   VARCHAR(20), ZDSJ DATETIME,    -- 制单人 / 制单时间
        XGSJ  DATETIME,                  -- 修改时间
        UNIQUE (PTDM, DPDM, WBDH)
    );
    CREATE TABLE XS_DDMX (MXID, DDID -> XS_DDZB, HH, WBHH, SPBM, SPMC,
                          SL, DJ, YHJE, JE, ZPBZ);   -- 销售订单明细 lines
    CREATE TABLE KC_KCB  (KCID, SPBM, CKDM, KCSL, SDSL, GXSJ,
                          UNIQUE (SPBM, CKDM));      -- 库存表 inventory
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

#: Money in yuan, two decimals, as the ERP's reports and invoices expect.
Yuan = sa.Numeric(12, 2)

XS_DDZB = sa.Table(
    "XS_DDZB",
    metadata,
    sa.Column("DDID", sa.Integer, primary_key=True, autoincrement=True, comment="订单ID"),
    sa.Column("DDBH", sa.String(20), comment="订单编号"),
    sa.Column("PTDM", sa.String(10), nullable=False, comment="平台代码"),
    sa.Column("DPDM", sa.String(64), nullable=False, comment="店铺代码"),
    sa.Column("WBDH", sa.String(64), nullable=False, comment="外部单号"),
    sa.Column("DDZT", sa.String(2), nullable=False, comment="订单状态"),
    sa.Column("TKZT", sa.String(1), nullable=False, server_default="0", comment="退款状态"),
    sa.Column("GQBZ", sa.String(1), nullable=False, server_default="N", comment="挂起标志"),
    sa.Column("XDSJ", sa.DateTime, comment="下单时间"),
    sa.Column("FKSJ", sa.DateTime, comment="付款时间"),
    sa.Column("SPJE", Yuan, nullable=False, server_default="0", comment="商品金额"),
    sa.Column("YHJE", Yuan, nullable=False, server_default="0", comment="优惠金额"),
    sa.Column("YF", Yuan, nullable=False, server_default="0", comment="运费"),
    sa.Column("SFJE", Yuan, nullable=False, server_default="0", comment="实付金额"),
    sa.Column("SHR", sa.String(50), comment="收货人"),
    sa.Column("SJHM", sa.String(30), comment="手机号码"),
    sa.Column("SHDZ", sa.String(255), comment="收货地址"),
    sa.Column("MJLY", sa.String(255), comment="买家留言"),
    sa.Column("BZ", sa.String(255), comment="内部备注"),
    sa.Column("ZDR", sa.String(20), comment="制单人"),
    sa.Column("ZDSJ", sa.DateTime, server_default=sa.func.current_timestamp(), comment="制单时间"),
    sa.Column("XGSJ", sa.DateTime, comment="修改时间"),
    sa.UniqueConstraint("PTDM", "DPDM", "WBDH", name="UQ_XS_DDZB_WBDH"),
    comment="销售订单主表",
    mysql_charset="utf8mb4",  # addresses and product names are Chinese
)

XS_DDMX = sa.Table(
    "XS_DDMX",
    metadata,
    sa.Column("MXID", sa.Integer, primary_key=True, autoincrement=True, comment="明细ID"),
    sa.Column("DDID", sa.Integer, sa.ForeignKey("XS_DDZB.DDID"), nullable=False, comment="订单ID"),
    sa.Column("HH", sa.Integer, nullable=False, comment="行号"),
    sa.Column("WBHH", sa.String(64), comment="外部行号"),
    sa.Column("SPBM", sa.String(64), comment="商品编码"),
    sa.Column("SPMC", sa.String(200), comment="商品名称"),
    sa.Column("SL", sa.Integer, nullable=False, comment="数量"),
    sa.Column("DJ", Yuan, nullable=False, comment="单价"),
    sa.Column("YHJE", Yuan, nullable=False, server_default="0", comment="优惠金额"),
    sa.Column("JE", Yuan, nullable=False, comment="金额"),
    sa.Column("ZPBZ", sa.String(1), nullable=False, server_default="N", comment="赠品标志"),
    sa.Index("IX_XS_DDMX_DDID", "DDID"),
    comment="销售订单明细",
    mysql_charset="utf8mb4",
)

KC_KCB = sa.Table(
    "KC_KCB",
    metadata,
    sa.Column("KCID", sa.Integer, primary_key=True, autoincrement=True, comment="库存ID"),
    sa.Column("SPBM", sa.String(64), nullable=False, comment="商品编码"),
    sa.Column("CKDM", sa.String(20), nullable=False, comment="仓库代码"),
    sa.Column("KCSL", sa.Integer, nullable=False, server_default="0", comment="库存数量"),
    # held by the ERP itself (offline orders, quality checks): not sellable
    sa.Column("SDSL", sa.Integer, nullable=False, server_default="0", comment="锁定数量"),
    sa.Column("GXSJ", sa.DateTime, comment="更新时间"),
    sa.UniqueConstraint("SPBM", "CKDM", name="UQ_KC_KCB_SPBM_CKDM"),
    comment="库存表",
    mysql_charset="utf8mb4",
)

CK_FHD = sa.Table(
    "CK_FHD",
    metadata,
    sa.Column("FHID", sa.Integer, primary_key=True, autoincrement=True, comment="发货单ID"),
    sa.Column("DDID", sa.Integer, nullable=False, comment="订单ID"),
    sa.Column("BGH", sa.String(64), nullable=False, comment="包裹号"),
    sa.Column("CKDM", sa.String(20), comment="仓库代码"),
    sa.Column("KDGS", sa.String(20), comment="快递公司"),
    sa.Column("YDH", sa.String(64), comment="运单号"),
    # 0 printed, 1 tracking accepted by the platform, 2 platform refused it
    sa.Column("SCZT", sa.String(1), nullable=False, server_default="0", comment="上传状态"),
    sa.Column("DYSJ", sa.DateTime, server_default=sa.func.current_timestamp(), comment="打印时间"),
    sa.UniqueConstraint("DDID", "BGH", name="UQ_CK_FHD_BGH"),
    comment="发货单",
    mysql_charset="utf8mb4",
)

#: 订单状态: the ERP's own status codes (its screens and reports filter on them).
ORDER_STATUS_NAMES = {
    "00": "待付款",
    "10": "待审核",
    "11": "挂起",
    "20": "已审核",
    "30": "已配货",
    "40": "已打包",
    "45": "部分发货",
    "50": "已发货",
    "60": "已签收",
    "70": "已完成",
    "90": "已作废",
    "91": "已关闭",
}

#: 退款状态.
REFUND_STATUS_NAMES = {"0": "无", "1": "退款中", "2": "部分退款", "3": "已退款", "4": "拒绝退款"}

#: The ERP's own tables, by name.
ERP_TABLES = (XS_DDZB.name, XS_DDMX.name, KC_KCB.name, CK_FHD.name)


def create_erp_schema(engine: sa.Engine) -> None:
    """Create the ERP's tables (what its installer did, long before orderkit)."""
    metadata.create_all(engine)
