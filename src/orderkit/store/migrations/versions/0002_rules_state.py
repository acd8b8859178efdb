"""Rules state: buyer id and hold deadline on orders; gift quota usage and claims.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import mysql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    P = context.config.attributes["table_prefix"]
    with op.batch_alter_table(f"{P}orders") as batch:
        batch.add_column(sa.Column("buyer_id", sa.String(128), nullable=True))
        batch.add_column(sa.Column("hold_until", TS, nullable=True))
    op.create_index(f"{P}orders_buyer", f"{P}orders", ["shop_id", "buyer_id"])

    op.create_table(
        f"{P}gift_quota_usage",
        sa.Column("rule_id", sa.String(64), primary_key=True),
        # a China-time date, or "*" for the rule's all-time total
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("used", sa.Integer, nullable=False),
    )
    op.create_table(
        f"{P}gift_quota_claims",
        sa.Column("order_id", sa.String(32), primary_key=True),
        sa.Column("rule_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("units", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    P = context.config.attributes["table_prefix"]
    op.drop_table(f"{P}gift_quota_claims")
    op.drop_table(f"{P}gift_quota_usage")
    op.drop_index(f"{P}orders_buyer", f"{P}orders")
    with op.batch_alter_table(f"{P}orders") as batch:
        batch.drop_column("hold_until")
        batch.drop_column("buyer_id")
