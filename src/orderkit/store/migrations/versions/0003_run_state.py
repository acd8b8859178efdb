"""Run state: job leases, shipments (waybill and tracking upload), notifier
deliveries, monitor alerts; the version an order was last decided at.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import mysql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def upgrade() -> None:
    P = context.config.attributes["table_prefix"]
    with op.batch_alter_table(f"{P}orders") as batch:
        batch.add_column(sa.Column("decided_version", sa.Integer, nullable=True))

    op.create_table(
        f"{P}jobs",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("lease_owner", sa.String(128), nullable=True),
        sa.Column("lease_expires_at", TS, nullable=True),
        sa.Column("next_due_at", TS, nullable=True),
        sa.Column("last_started_at", TS, nullable=True),
        sa.Column("last_finished_at", TS, nullable=True),
        sa.Column("last_ok_at", TS, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("consecutive_failures", sa.Integer, nullable=False),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )

    op.create_table(
        f"{P}shipments",
        sa.Column("order_id", sa.String(32), primary_key=True),
        sa.Column("shipment_id", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("courier", sa.String(64), nullable=True),
        sa.Column("waybill", sa.String(64), nullable=True),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(128), nullable=True),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        sa.Column("waybill_at", TS, nullable=True),
        sa.Column("uploaded_at", TS, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index(f"{P}shipments_due", f"{P}shipments", ["state", "next_attempt_at"])

    op.create_table(
        f"{P}deliveries",
        sa.Column("event_id", sa.String(32), primary_key=True),
        sa.Column("notifier", sa.String(64), primary_key=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("delivered_at", TS, nullable=True),
        sa.Column("gave_up_at", TS, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index(f"{P}deliveries_notifier", f"{P}deliveries", ["notifier", "delivered_at"])

    op.create_table(
        f"{P}alerts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("monitor", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(160), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("detail", LONG_TEXT, nullable=True),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("resolved_at", TS, nullable=True),
    )
    op.create_index(f"{P}alerts_open", f"{P}alerts", ["resolved_at", "monitor"])


def downgrade() -> None:
    P = context.config.attributes["table_prefix"]
    op.drop_index(f"{P}alerts_open", f"{P}alerts")
    op.drop_table(f"{P}alerts")
    op.drop_index(f"{P}deliveries_notifier", f"{P}deliveries")
    op.drop_table(f"{P}deliveries")
    op.drop_index(f"{P}shipments_due", f"{P}shipments")
    op.drop_table(f"{P}shipments")
    op.drop_table(f"{P}jobs")
    with op.batch_alter_table(f"{P}orders") as batch:
        batch.drop_column("decided_version")
