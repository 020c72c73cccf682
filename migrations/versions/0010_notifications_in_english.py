"""notifications keep their English words too

A notification was stored in Thai only, so an owner who switched the app to English still read
"ออเดอร์ใหม่ MC-…". Each now keeps an English title and body beside the Thai ones, written when
it is made; older notifications have none and show in Thai.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 06:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "notifications", sa.Column("title_en", sa.String(200), nullable=False, server_default="")
    )
    op.add_column(
        "notifications", sa.Column("body_en", sa.Text(), nullable=False, server_default="")
    )


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("body_en")
        batch.drop_column("title_en")
