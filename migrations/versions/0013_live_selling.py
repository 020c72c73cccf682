"""live selling: a live session, its products under short codes, carts, the comments

``live_sessions`` (started, ended, how long unpaid carts are held after the end),
``live_products`` (a variant shown under a code such as ``A12``), ``live_carts`` and
``live_cart_items`` (what one commenter reserved; the stock itself is held by reservation
movements in the stock ledger), ``live_comments`` (every comment once, by its id, with what it
did and the reply queued for it). New tables only: nothing to backfill.

Revision ID: 0013
Revises: 0012 (the built-in flows' wording)
Create Date: 2026-12-06 09:29:28.081068
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "live_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("release_minutes", sa.Integer(), nullable=False),
        sa.Column("release_at", sa.DateTime(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "release_minutes >= 0", name=op.f("ck_live_sessions_release_nonnegative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_sessions")),
    )
    op.create_table(
        "live_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("live_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.String(length=100), nullable=False),
        sa.Column("commenter_id", sa.String(length=100), nullable=False),
        sa.Column("commenter_name", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("commented_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("result", sa.String(length=14), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reply_uid", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["live_id"],
            ["live_sessions.id"],
            name=op.f("fk_live_comments_live_id_live_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_comments")),
        sa.UniqueConstraint("comment_id", name=op.f("uq_live_comments_comment_id")),
    )
    with op.batch_alter_table("live_comments", schema=None) as batch_op:
        batch_op.create_index("ix_live_comments_live", ["live_id", "id"], unique=False)

    op.create_table(
        "live_carts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("live_id", sa.Integer(), nullable=False),
        sa.Column("commenter_id", sa.String(length=100), nullable=False),
        sa.Column("commenter_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["live_id"],
            ["live_sessions.id"],
            name=op.f("fk_live_carts_live_id_live_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_live_carts_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_carts")),
        sa.UniqueConstraint("live_id", "commenter_id", name="uq_live_carts_commenter"),
    )
    op.create_table(
        "live_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("live_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["live_id"],
            ["live_sessions.id"],
            name=op.f("fk_live_products_live_id_live_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["product_variants.id"],
            name=op.f("fk_live_products_variant_id_product_variants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_products")),
        sa.UniqueConstraint("live_id", "code", name="uq_live_products_code"),
    )
    op.create_table(
        "live_cart_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cart_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_satang", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_live_cart_items_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["cart_id"],
            ["live_carts.id"],
            name=op.f("fk_live_cart_items_cart_id_live_carts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["live_products.id"],
            name=op.f("fk_live_cart_items_product_id_live_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_cart_items")),
        sa.UniqueConstraint("cart_id", "product_id", name="uq_live_cart_items_product"),
    )


def downgrade() -> None:
    op.drop_table("live_cart_items")
    op.drop_table("live_products")
    op.drop_table("live_carts")
    with op.batch_alter_table("live_comments", schema=None) as batch_op:
        batch_op.drop_index("ix_live_comments_live")

    op.drop_table("live_comments")
    op.drop_table("live_sessions")
