"""customers keep their profile picture

A shopper who writes on Messenger, Instagram or LINE has a name and a picture there; the relay
now fetches them (a ``profile`` stream item) and the desktop keeps the picture as a file in
the data folder's ``media/`` (``customers.picture``: its path inside the data folder, empty for
none). Existing customers have none until their next message brings it.

Revision ID: 0015
Revises: 0014 (live comment platform)
Create Date: 2026-12-06 12:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "customers", sa.Column("picture", sa.String(300), nullable=False, server_default="")
    )


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("picture")
