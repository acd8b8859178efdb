"""Orders by shop and external id: ``kit.get("SHOP/EXTERNAL_ID")`` and the
push intake look orders up that way, and the unique key (channel first)
cannot serve it, so each lookup scanned the shop's orders.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import context, op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    P = context.config.attributes["table_prefix"]
    op.create_index(f"{P}orders_shop_external", f"{P}orders", ["shop_id", "external_id"])


def downgrade() -> None:
    P = context.config.attributes["table_prefix"]
    op.drop_index(f"{P}orders_shop_external", f"{P}orders")
