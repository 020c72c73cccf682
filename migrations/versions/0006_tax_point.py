"""the tax point of each sale, and the life of each document

``orders.tax_point_at``/``tax_point_basis``: when the VAT on a sale became due (Revenue Code
s.78(1): the delivery, or an earlier payment or tax invoice; a counter sale at the sale),
recorded once and never changed; the VAT sales report groups by it (docs/adr/0008).
Existing orders get the earliest of what they already record: a counter sale's time, the
payment, a tax invoice (full or abbreviated), the delivery.

``shop.pos_number``: the cash register's registration number, printed on abbreviated tax
invoices. The built-in product-finder flow's doubled word is corrected where the owner left it as
shipped. ``tax_documents``: ``original_at`` (the original was printed; existing documents were),
``reissues`` (ใบแทน printed, s.86/12), ``replaces`` (the abbreviated invoice a full one
cancels), ``cancelled_at``/``cancel_note``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("tax_point_at", sa.DateTime(), nullable=True))
    op.add_column(
        "orders",
        sa.Column("tax_point_basis", sa.String(20), nullable=False, server_default=""),
    )
    op.create_index("ix_orders_tax_point_at", "orders", ["tax_point_at"])
    op.add_column("tax_documents", sa.Column("original_at", sa.DateTime(), nullable=True))
    op.add_column(
        "tax_documents", sa.Column("reissues", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "tax_documents",
        sa.Column("replaces", sa.String(40), nullable=False, server_default=""),
    )
    op.add_column("tax_documents", sa.Column("cancelled_at", sa.DateTime(), nullable=True))
    op.add_column(
        "tax_documents", sa.Column("cancel_note", sa.Text(), nullable=False, server_default="")
    )
    op.add_column("shop", sa.Column("pos_number", sa.String(40), nullable=False, server_default=""))
    op.execute("UPDATE tax_documents SET original_at = issued_at")
    # The earliest recorded event of each sale, with what it was (at the same moment: a
    # cash-on-delivery parcel is delivered and paid at once — the delivery, as the app records
    # it). Times are stored as naive UTC text of one format, so text order is time order.
    op.execute(
        """
        WITH events(order_id, at, basis) AS (
            SELECT id, created_at, 'sale' FROM orders
             WHERE channel = 'pos' AND payment_status IN ('paid', 'refunded')
               AND delivered_at IS NOT NULL AND delivered_at = created_at
            UNION ALL SELECT id, paid_at, 'payment' FROM orders WHERE paid_at IS NOT NULL
            UNION ALL SELECT order_id, issued_at, 'invoice' FROM tax_documents
             WHERE kind IN ('full', 'abbreviated')
            UNION ALL SELECT id, delivered_at, 'delivery' FROM orders
             WHERE delivered_at IS NOT NULL
        ),
        first AS (
            SELECT order_id, at, basis,
                   ROW_NUMBER() OVER (
                       PARTITION BY order_id ORDER BY at,
                       CASE basis WHEN 'sale' THEN 0 WHEN 'delivery' THEN 1
                                  WHEN 'payment' THEN 2 ELSE 3 END
                   ) AS n
            FROM events
        )
        UPDATE orders SET tax_point_at = first.at, tax_point_basis = first.basis
        FROM first WHERE first.order_id = orders.id AND first.n = 1
        """
    )

    _fix_builtin_typo()


TYPO = "งบประมาณประมาณเท่าไหร่คะ"


def _fix_builtin_typo() -> None:
    """The built-in product-finder flow asked "งบประมาณประมาณ…" (a doubled word); shops that
    have it unedited get the corrected question (their own edits are kept)."""
    import json

    bind = op.get_bind()
    for flow_id, nodes in bind.execute(
        sa.text("SELECT id, nodes FROM flows WHERE builtin <> ''")
    ).fetchall():
        text = nodes if isinstance(nodes, str) else json.dumps(nodes)
        data = json.loads(text)
        fixed = json.loads(json.dumps(data, ensure_ascii=False).replace(TYPO, "งบประมาณเท่าไหร่คะ"))
        if fixed != data:
            bind.execute(
                sa.text("UPDATE flows SET nodes = :nodes WHERE id = :id"),
                {"nodes": json.dumps(fixed), "id": flow_id},
            )


def downgrade() -> None:
    op.drop_column("shop", "pos_number")
    for column in ("cancel_note", "cancelled_at", "replaces", "reissues", "original_at"):
        op.drop_column("tax_documents", column)
    op.drop_index("ix_orders_tax_point_at", "orders")
    op.drop_column("orders", "tax_point_basis")
    op.drop_column("orders", "tax_point_at")
