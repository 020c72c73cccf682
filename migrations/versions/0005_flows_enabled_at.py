"""flows remember when they were switched on

An event flow (abandoned cart, review request) acts only on events after ``enabled_at``, never
on history: imported orders or the demo shop's delivered orders got 83 review requests on the
first demo start. Existing flows count from this upgrade, so an upgrade sends nothing for the
past either.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 01:40:00.000000
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("flows", sa.Column("enabled_at", sa.DateTime(), nullable=True))
    # Stored as the models store times: naive UTC text.
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    op.execute(sa.text("UPDATE flows SET enabled_at = :now").bindparams(now=now))


def downgrade() -> None:
    op.drop_column("flows", "enabled_at")  # SQLite >= 3.35 drops a column in place
