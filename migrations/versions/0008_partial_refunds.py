"""partial refunds: a refund record per refund, a credit note per refund

``refunds`` (order, time, reason, money back with its VAT, who, whether the goods went back into
stock, its credit note) and ``refund_lines`` (an order line, or the shipping, with the quantity
given back and its value). An order may now have several credit notes, one per refund, but still
one tax invoice, abbreviated invoice or receipt: the unique (order_id, kind) constraint becomes a
partial unique index that leaves credit notes out.

Backfill: every refunded order (refunds were of the whole order) becomes one refund at the time
of its move to ``refunded``, with its whole lines (the order discount shared over them by the
largest remainder, as the app does), its shipping, the goods back in stock, and the credit note
it already had.

Downgrade: refused rows are not deleted — a shop with two credit notes on one order cannot go
back to 0006 (the old unique constraint would not hold).

Revision ID: 0008
Revises: 0007 (payment slips)
Create Date: 2026-12-06 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("amount_satang", sa.Integer(), nullable=False),
        sa.Column("vat_satang", sa.Integer(), nullable=False),
        sa.Column("restocked", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("credit_note_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "amount_satang >= 0 AND vat_satang >= 0 AND vat_satang <= amount_satang",
            name=op.f("ck_refunds_money"),
        ),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["tax_documents.id"],
            name=op.f("fk_refunds_credit_note_id_tax_documents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_refunds_order_id_orders"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("credit_note_id", name=op.f("uq_refunds_credit_note_id")),
    )
    op.create_index(op.f("ix_refunds_order_id"), "refunds", ["order_id"], unique=False)
    op.create_table(
        "refund_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refund_id", sa.Integer(), nullable=False),
        sa.Column("order_item_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount_satang", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "quantity >= 0 AND amount_satang >= 0", name=op.f("ck_refund_lines_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["order_item_id"],
            ["order_items.id"],
            name=op.f("fk_refund_lines_order_item_id_order_items"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"],
            ["refunds.id"],
            name=op.f("fk_refund_lines_refund_id_refunds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_lines")),
    )
    op.create_index(
        op.f("ix_refund_lines_order_item_id"), "refund_lines", ["order_item_id"], unique=False
    )
    op.create_index(op.f("ix_refund_lines_refund_id"), "refund_lines", ["refund_id"], unique=False)
    with op.batch_alter_table("tax_documents") as batch_op:
        batch_op.drop_constraint("uq_tax_documents_order_kind", type_="unique")
    op.create_index(
        "uq_tax_documents_order_kind",
        "tax_documents",
        ["order_id", "kind"],
        unique=True,
        sqlite_where=sa.text("kind <> 'credit_note'"),
    )
    _backfill()


def _shares(total: int, weights: list[int]) -> list[int]:
    """``total`` split in proportion to ``weights``, integer parts summing to ``total``
    (largest remainder; ties to the earlier line) — the app's rule, frozen here."""
    whole = sum(weights)
    if whole <= 0:
        return [0] * len(weights)
    parts = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _backfill() -> None:
    bind = op.get_bind()
    refunded = bind.execute(
        sa.text(
            "SELECT id, discount_satang, shipping_satang, total_satang, vat_satang, updated_at"
            " FROM orders WHERE status = 'refunded' ORDER BY id"
        )
    ).fetchall()
    for order_id, discount, shipping, total, vat, updated_at in refunded:
        event = bind.execute(
            sa.text(
                "SELECT created_at, note, actor FROM order_events WHERE order_id = :o"
                " AND kind = 'status' AND status = 'refunded' ORDER BY id DESC LIMIT 1"
            ),
            {"o": order_id},
        ).fetchone()
        at, reason, actor = event if event is not None else (updated_at, "", "")
        credit = bind.execute(
            sa.text(
                "SELECT id FROM tax_documents WHERE order_id = :o AND kind = 'credit_note'"
                " ORDER BY id LIMIT 1"
            ),
            {"o": order_id},
        ).scalar()
        refund_id = bind.execute(
            sa.text(
                "INSERT INTO refunds (order_id, at, reason, amount_satang, vat_satang,"
                " restocked, actor, credit_note_id) VALUES (:o, :at, :reason, :amount, :vat, 1,"
                " :actor, :credit) RETURNING id"
            ),
            {
                "o": order_id,
                "at": at,
                "reason": reason or "",
                "amount": total,
                "vat": vat,
                "actor": actor or "",
                "credit": credit,
            },
        ).scalar()
        items = bind.execute(
            sa.text(
                "SELECT id, quantity, line_total_satang FROM order_items WHERE order_id = :o"
                " ORDER BY id"
            ),
            {"o": order_id},
        ).fetchall()
        off = _shares(discount, [line for _i, _q, line in items])
        rows = [
            {"r": refund_id, "item": item_id, "q": qty, "a": line - cut}
            for (item_id, qty, line), cut in zip(items, off, strict=True)
        ]
        if shipping:
            rows.append({"r": refund_id, "item": None, "q": 0, "a": shipping})
        for row in rows:
            bind.execute(
                sa.text(
                    "INSERT INTO refund_lines (refund_id, order_item_id, quantity, amount_satang)"
                    " VALUES (:r, :item, :q, :a)"
                ),
                row,
            )


def downgrade() -> None:
    op.drop_index("uq_tax_documents_order_kind", "tax_documents")
    with op.batch_alter_table("tax_documents") as batch_op:
        batch_op.create_unique_constraint("uq_tax_documents_order_kind", ["order_id", "kind"])
    op.drop_index(op.f("ix_refund_lines_refund_id"), "refund_lines")
    op.drop_index(op.f("ix_refund_lines_order_item_id"), "refund_lines")
    op.drop_table("refund_lines")
    op.drop_index(op.f("ix_refunds_order_id"), "refunds")
    op.drop_table("refunds")
