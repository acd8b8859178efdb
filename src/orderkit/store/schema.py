"""orderkit's tables, beside the ERP's own, all behind one prefix (default ``ok_``).

SQLAlchemy Core, not the ORM: the hot paths are batched statements. Times are
stored as naive UTC (``DateTime`` without zone) so SQLite, PostgreSQL and
MySQL/MariaDB behave alike; the store converts at the boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# MySQL's TEXT stops at 64 KB; an order snapshot with traces can exceed it.
LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
# Microsecond precision everywhere (MySQL's DATETIME defaults to seconds).
Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

ID = sa.String(32)
CODE = sa.String(64)


@dataclass(frozen=True)
class Tables:
    """The tables of one prefix."""

    prefix: str
    metadata: sa.MetaData
    orders: sa.Table
    timeline: sa.Table
    sync_cursors: sa.Table
    credentials: sa.Table
    outbox: sa.Table
    dead_letters: sa.Table
    stock_balances: sa.Table
    reservations: sa.Table
    gift_quota_usage: sa.Table
    gift_quota_claims: sa.Table
    jobs: sa.Table
    shipments: sa.Table
    deliveries: sa.Table
    alerts: sa.Table

    @property
    def version_table(self) -> str:
        """Alembic's version table, prefixed too so two prefixes never collide."""
        return f"{self.prefix}alembic_version"


def build_tables(prefix: str = "ok_") -> Tables:
    """Table objects for ``prefix``; the migrations create exactly these
    (``tests/test_store_migrations.py`` compares them)."""
    if not prefix.replace("_", "").isalnum() or not prefix[0].isalpha():
        raise ValueError(f"table prefix {prefix!r}: letters, digits and '_' only")
    md = sa.MetaData()
    p = prefix

    orders = sa.Table(
        f"{p}orders",
        md,
        sa.Column("id", ID, primary_key=True),
        sa.Column("channel", CODE, nullable=False),
        sa.Column("shop_id", CODE, nullable=False),
        sa.Column("external_id", CODE, nullable=False),
        # canonical lifecycle (may be internal, e.g. allocated) and what the
        # platform last said; the health index compares the two
        sa.Column("lifecycle", sa.String(24), nullable=False),
        sa.Column("platform_lifecycle", sa.String(24), nullable=True),
        sa.Column("refund", sa.String(24), nullable=False),
        sa.Column("presale", sa.String(24), nullable=False),
        sa.Column("on_hold", sa.Boolean, nullable=False, default=False),
        sa.Column("platform_created_at", Timestamp, nullable=False),
        sa.Column("platform_paid_at", Timestamp, nullable=True),
        sa.Column("platform_modified_at", Timestamp, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("snapshot", LongText, nullable=False),
        sa.Column("first_seen_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("buyer_id", sa.String(128), nullable=True),  # 0002
        sa.Column("hold_until", Timestamp, nullable=True),  # 0002: a hold that ends by itself
        # 0003: the version ``kit.process`` last wrote; a newer version needs deciding again
        sa.Column("decided_version", sa.Integer, nullable=True),
        sa.UniqueConstraint("channel", "shop_id", "external_id", name=f"{p}orders_binding"),
        sa.Index(f"{p}orders_lifecycle", "lifecycle", "updated_at"),
        sa.Index(f"{p}orders_shop_modified", "shop_id", "platform_modified_at"),
        sa.Index(f"{p}orders_buyer", "shop_id", "buyer_id"),
        # ``SHOP/EXTERNAL_ID`` lookups: the unique key starts with the channel
        sa.Index(f"{p}orders_shop_external", "shop_id", "external_id"),
    )

    timeline = sa.Table(
        f"{p}timeline",
        md,
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(48), nullable=False),
        sa.Column("from_state", sa.String(24), nullable=True),
        sa.Column("to_state", sa.String(24), nullable=True),
        sa.Column("reason", sa.String(512), nullable=True),
        sa.Column("detail", LongText, nullable=True),
        # replays of the same platform payload must not add a second event
        sa.Column("dedup_key", sa.String(160), nullable=True),
        sa.Index(f"{p}timeline_order", "order_id", "id"),
        sa.UniqueConstraint("dedup_key", name=f"{p}timeline_dedup"),
    )

    sync_cursors = sa.Table(
        f"{p}sync_cursors",
        md,
        sa.Column("shop_id", CODE, primary_key=True),
        sa.Column("channel", CODE, nullable=False),
        sa.Column("watermark", Timestamp, nullable=True),
        sa.Column("lease_owner", sa.String(128), nullable=True),
        sa.Column("lease_expires_at", Timestamp, nullable=True),
        sa.Column("last_success_at", Timestamp, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("consecutive_failures", sa.Integer, nullable=False, default=0),
        sa.Column("updated_at", Timestamp, nullable=False),
    )

    credentials = sa.Table(
        f"{p}credentials",
        md,
        sa.Column("shop_id", CODE, primary_key=True),
        # tokens a platform refresh returned; never logged, never in explain
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=True),
        sa.Column("refreshed_at", Timestamp, nullable=False),
    )

    outbox = sa.Table(
        f"{p}outbox",
        md,
        sa.Column("id", ID, primary_key=True),  # stable event id, for consumers' de-dup
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("order_id", ID, nullable=True),
        sa.Column("payload", LongText, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("acknowledged_at", Timestamp, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Index(f"{p}outbox_pending", "acknowledged_at", "created_at"),
    )

    dead_letters = sa.Table(
        f"{p}dead_letters",
        md,
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("channel", CODE, nullable=False),
        sa.Column("shop_id", CODE, nullable=False),
        sa.Column("external_id", CODE, nullable=True),
        sa.Column("payload_hash", sa.String(32), nullable=False),
        sa.Column("payload", LongText, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("first_seen_at", Timestamp, nullable=False),
        sa.Column("last_seen_at", Timestamp, nullable=False),
        sa.Column("seen_count", sa.Integer, nullable=False, default=1),
        sa.Column("resolved_at", Timestamp, nullable=True),
        sa.Column("resolution", sa.String(255), nullable=True),
        sa.UniqueConstraint("channel", "shop_id", "payload_hash", name=f"{p}dead_letters_payload"),
    )

    stock_balances = sa.Table(
        f"{p}stock_balances",
        md,
        sa.Column("sku", CODE, primary_key=True),
        sa.Column("warehouse", CODE, primary_key=True),
        sa.Column("available", sa.Integer, nullable=False),  # on hand, as the ERP says
        sa.Column("reserved", sa.Integer, nullable=False, default=0),  # held by orderkit
        sa.Column("refreshed_at", Timestamp, nullable=False),
        sa.CheckConstraint("reserved >= 0", name=f"{p}stock_reserved_nonneg"),
    )

    reservations = sa.Table(
        f"{p}reservations",
        md,
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("line_id", CODE, nullable=False),
        sa.Column("sku", CODE, nullable=False),
        sa.Column("warehouse", CODE, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),  # reserved | released | consumed
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.UniqueConstraint("order_id", "line_id", "warehouse", name=f"{p}reservations_line"),
        sa.Index(f"{p}reservations_stock", "sku", "warehouse", "state"),
    )

    gift_quota_usage = sa.Table(
        f"{p}gift_quota_usage",
        md,
        sa.Column("rule_id", CODE, primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),  # China date, or "*" = all time
        sa.Column("used", sa.Integer, nullable=False),
    )

    gift_quota_claims = sa.Table(
        f"{p}gift_quota_claims",
        md,
        sa.Column("order_id", ID, primary_key=True),
        sa.Column("rule_id", CODE, primary_key=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("units", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),  # held | released
        sa.Column("updated_at", Timestamp, nullable=False),
    )

    # 0003: run state
    jobs = sa.Table(
        f"{p}jobs",
        md,
        # "sync:SHOP", "process", "stock", ...: one row per scheduled job
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("lease_owner", sa.String(128), nullable=True),
        sa.Column("lease_expires_at", Timestamp, nullable=True),
        sa.Column("next_due_at", Timestamp, nullable=True),
        sa.Column("last_started_at", Timestamp, nullable=True),
        sa.Column("last_finished_at", Timestamp, nullable=True),
        sa.Column("last_ok_at", Timestamp, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("consecutive_failures", sa.Integer, nullable=False, default=0),
        sa.Column("runs", sa.Integer, nullable=False, default=0),
        sa.Column("updated_at", Timestamp, nullable=False),
    )

    shipments = sa.Table(
        f"{p}shipments",
        md,
        sa.Column("order_id", ID, primary_key=True),
        sa.Column("shipment_id", CODE, primary_key=True),
        sa.Column("channel", CODE, nullable=False),
        sa.Column("shop_id", CODE, nullable=False),
        sa.Column("courier", CODE, nullable=True),
        sa.Column("waybill", sa.String(64), nullable=True),
        # booked (waybill known, upload due) | uploaded | upload_failed | manual_entry
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(128), nullable=True),
        # the process uploading it right now (a killed one's claim is taken over)
        sa.Column("claimed_by", sa.String(128), nullable=True),
        sa.Column("waybill_at", Timestamp, nullable=True),
        sa.Column("uploaded_at", Timestamp, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        sa.Column("next_attempt_at", Timestamp, nullable=True),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Index(f"{p}shipments_due", "state", "next_attempt_at"),
    )

    deliveries = sa.Table(
        f"{p}deliveries",
        md,
        # one row per (outbox event, notifier): each notifier sees each event once
        sa.Column("event_id", ID, primary_key=True),
        sa.Column("notifier", CODE, primary_key=True),
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        sa.Column("next_attempt_at", Timestamp, nullable=True),
        sa.Column("delivered_at", Timestamp, nullable=True),
        sa.Column("gave_up_at", Timestamp, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Index(f"{p}deliveries_notifier", "notifier", "delivered_at"),
    )

    alerts = sa.Table(
        f"{p}alerts",
        md,
        sa.Column("id", ID, primary_key=True),  # stable: (monitor, subject, episode)
        sa.Column("monitor", CODE, nullable=False),
        sa.Column("subject", sa.String(160), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("detail", LongText, nullable=True),
        sa.Column("first_seen_at", Timestamp, nullable=False),
        sa.Column("last_seen_at", Timestamp, nullable=False),
        sa.Column("resolved_at", Timestamp, nullable=True),
        sa.Index(f"{p}alerts_open", "resolved_at", "monitor"),
    )

    return Tables(
        prefix=prefix,
        metadata=md,
        orders=orders,
        timeline=timeline,
        sync_cursors=sync_cursors,
        credentials=credentials,
        outbox=outbox,
        dead_letters=dead_letters,
        stock_balances=stock_balances,
        reservations=reservations,
        gift_quota_usage=gift_quota_usage,
        gift_quota_claims=gift_quota_claims,
        jobs=jobs,
        shipments=shipments,
        deliveries=deliveries,
        alerts=alerts,
    )
