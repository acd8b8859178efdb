"""orderkit tables: orders, timeline, sync cursors, credentials, outbox,
dead letters, stock balances, reservations.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
TS = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    P = context.config.attributes["table_prefix"]
    op.create_table(
        f"{P}orders",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("lifecycle", sa.String(24), nullable=False),
        sa.Column("platform_lifecycle", sa.String(24), nullable=True),
        sa.Column("refund", sa.String(24), nullable=False),
        sa.Column("presale", sa.String(24), nullable=False),
        sa.Column("on_hold", sa.Boolean, nullable=False),
        sa.Column("platform_created_at", TS, nullable=False),
        sa.Column("platform_paid_at", TS, nullable=True),
        sa.Column("platform_modified_at", TS, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("snapshot", LONG_TEXT, nullable=False),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("channel", "shop_id", "external_id", name=f"{P}orders_binding"),
    )
    op.create_index(f"{P}orders_lifecycle", f"{P}orders", ["lifecycle", "updated_at"])
    op.create_index(f"{P}orders_shop_modified", f"{P}orders", ["shop_id", "platform_modified_at"])

    op.create_table(
        f"{P}timeline",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.String(32), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(48), nullable=False),
        sa.Column("from_state", sa.String(24), nullable=True),
        sa.Column("to_state", sa.String(24), nullable=True),
        sa.Column("reason", sa.String(512), nullable=True),
        sa.Column("detail", LONG_TEXT, nullable=True),
        sa.Column("dedup_key", sa.String(160), nullable=True),
        sa.UniqueConstraint("dedup_key", name=f"{P}timeline_dedup"),
    )
    op.create_index(f"{P}timeline_order", f"{P}timeline", ["order_id", "id"])

    op.create_table(
        f"{P}sync_cursors",
        sa.Column("shop_id", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("watermark", TS, nullable=True),
        sa.Column("lease_owner", sa.String(128), nullable=True),
        sa.Column("lease_expires_at", TS, nullable=True),
        sa.Column("last_success_at", TS, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("consecutive_failures", sa.Integer, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )

    op.create_table(
        f"{P}credentials",
        sa.Column("shop_id", sa.String(64), primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("expires_at", TS, nullable=True),
        sa.Column("refreshed_at", TS, nullable=False),
    )

    op.create_table(
        f"{P}outbox",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("order_id", sa.String(32), nullable=True),
        sa.Column("payload", LONG_TEXT, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("acknowledged_at", TS, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index(f"{P}outbox_pending", f"{P}outbox", ["acknowledged_at", "created_at"])

    op.create_table(
        f"{P}dead_letters",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=True),
        sa.Column("payload_hash", sa.String(32), nullable=False),
        sa.Column("payload", LONG_TEXT, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("seen_count", sa.Integer, nullable=False),
        sa.Column("resolved_at", TS, nullable=True),
        sa.Column("resolution", sa.String(255), nullable=True),
        sa.UniqueConstraint("channel", "shop_id", "payload_hash", name=f"{P}dead_letters_payload"),
    )

    op.create_table(
        f"{P}stock_balances",
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("warehouse", sa.String(64), primary_key=True),
        sa.Column("available", sa.Integer, nullable=False),
        sa.Column("reserved", sa.Integer, nullable=False),
        sa.Column("refreshed_at", TS, nullable=False),
        sa.CheckConstraint("reserved >= 0", name=f"{P}stock_reserved_nonneg"),
    )

    op.create_table(
        f"{P}reservations",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.String(32), nullable=False),
        sa.Column("line_id", sa.String(64), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("warehouse", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("order_id", "line_id", "warehouse", name=f"{P}reservations_line"),
    )
    op.create_index(f"{P}reservations_stock", f"{P}reservations", ["sku", "warehouse", "state"])


def downgrade() -> None:
    P = context.config.attributes["table_prefix"]
    for name in (
        "reservations",
        "stock_balances",
        "dead_letters",
        "outbox",
        "credentials",
        "sync_cursors",
        "timeline",
        "orders",
    ):
        op.drop_table(f"{P}{name}")
