"""dashboard covering indexes

The dashboard's statements over a range of days read only the columns these indexes hold, so
SQLite answers them from the index without visiting the wide table rows (orders, order lines,
the message events, customers and conversations; ``bench/bench_dashboard.py``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_orders_dashboard",
        "orders",
        ["created_at", "status", "channel", "total_satang", "conversation_ref"],
        unique=False,
    )
    op.create_index(
        "ix_order_items_dashboard",
        "order_items",
        ["order_id", "product_id", "sku", "quantity", "line_total_satang"],
        unique=False,
    )
    op.create_index(
        "ix_analytics_events_dashboard",
        "analytics_events",
        ["kind", "at", "conversation_id", "data"],
        unique=False,
    )
    op.create_index(
        "ix_customers_created_merged", "customers", ["created_at", "merged_into_id"], unique=False
    )
    # Partial: the inbox's "status = ?" (a parameter) cannot use it, and keeps walking
    # last_message_at in order (a full index on status made a 100-row page take ~50 ms).
    op.create_index(
        "ix_conversations_dashboard",
        "conversations",
        ["status"],
        unique=False,
        sqlite_where=sa.text("status IN ('escalated', 'resolved')"),
    )
    op.create_index(
        "ix_conversations_taken_over_at", "conversations", ["taken_over_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_taken_over_at", table_name="conversations")
    op.drop_index("ix_conversations_dashboard", table_name="conversations")
    op.drop_index("ix_customers_created_merged", table_name="customers")
    op.drop_index("ix_analytics_events_dashboard", table_name="analytics_events")
    op.drop_index("ix_order_items_dashboard", table_name="order_items")
    op.drop_index("ix_orders_dashboard", table_name="orders")
