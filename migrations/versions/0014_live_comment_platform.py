"""live comments: the platform each was written on, and why its private reply was not sent

``live_comments.platform`` is ``facebook`` (a Page post) or ``instagram`` (an Instagram post or
Live); comments recorded before this revision were all Facebook's. ``reply_problem`` holds the
relay's or Meta's words when the comment's one private reply could not be sent (a comment over
7 days old, a second reply…), empty otherwise; an index on ``reply_uid`` finds the comment
of a refused reply.

Revision ID: 0014
Revises: 0013 (live selling)
Create Date: 2026-12-06 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("live_comments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("platform", sa.String(length=10), nullable=False, server_default="facebook")
        )
        batch_op.add_column(
            sa.Column("reply_problem", sa.Text(), nullable=False, server_default="")
        )
        batch_op.create_index("ix_live_comments_reply_uid", ["reply_uid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("live_comments", schema=None) as batch_op:
        batch_op.drop_index("ix_live_comments_reply_uid")
        batch_op.drop_column("reply_problem")
        batch_op.drop_column("platform")
