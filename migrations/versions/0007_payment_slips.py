"""payment slips and what their check found

``payment_slips``: each slip picture received for an order — where it is kept, its SHA-256,
the slip-verification QR read from it (sending bank, transaction reference), the offline check
(``read`` / ``no_qr`` / ``not_slip`` / ``reused``, and the other order when reused) and the
optional online check's answer (``verify_*``). Indexed for the reuse check: the transfer
(bank code, reference) and the file's hash. Slips attached before this version keep only
``orders.slip_path`` (their picture was never read; the owner checks them by eye).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_slips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("conversation_ref", sa.String(200), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("qr_payload", sa.Text(), nullable=False),
        sa.Column("bank_code", sa.String(3), nullable=False),
        sa.Column("trans_ref", sa.String(100), nullable=False),
        sa.Column("check", sa.String(16), nullable=False),
        sa.Column("reused_order_id", sa.Integer(), nullable=True),
        sa.Column("verify_status", sa.String(20), nullable=False),
        sa.Column("verify_note", sa.Text(), nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("verified_amount_satang", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name="fk_payment_slips_order_id_orders",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reused_order_id"],
            ["orders.id"],
            name="fk_payment_slips_reused_order_id_orders",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_payment_slips"),
    )
    op.create_index("ix_payment_slips_order_id", "payment_slips", ["order_id"])
    op.create_index("ix_payment_slips_transfer", "payment_slips", ["bank_code", "trans_ref"])
    op.create_index("ix_payment_slips_sha256", "payment_slips", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_payment_slips_sha256", "payment_slips")
    op.drop_index("ix_payment_slips_transfer", "payment_slips")
    op.drop_index("ix_payment_slips_order_id", "payment_slips")
    op.drop_table("payment_slips")
