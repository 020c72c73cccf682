"""order messages an owner reworded write money the new way

``{total}`` in the messages to shoppers now reads "฿1,040" (it read "1,040.00"), so a template
the owner edited and saved as "ยอดรวม {total} บาท" would say "ยอดรวม ฿1,040 บาท". The words
around the placeholder are taken out where they repeat the currency: "{total} บาท",
"{total}บาท" and "฿{total}" become "{total}". Anything else the owner wrote is kept.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 07:40:00.000000
"""

import json
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = "orders.notify_templates"
_AROUND = re.compile(r"฿\s?\{total\}|\{total\}\s?บาท")


def upgrade() -> None:
    bind = op.get_bind()
    row = bind.execute(
        sa.text("SELECT value FROM settings WHERE key = :k").bindparams(k=KEY)
    ).first()
    if row is None or row[0] is None:
        return
    wrapper = json.loads(row[0]) if isinstance(row[0], str) else row[0]
    stored = wrapper.get("v") if isinstance(wrapper, dict) else None  # as put_setting keeps it
    if not isinstance(stored, dict):
        return
    fixed = {k: _AROUND.sub("{total}", v) if isinstance(v, str) else v for k, v in stored.items()}
    if fixed != stored:
        bind.execute(
            sa.text("UPDATE settings SET value = :v WHERE key = :k").bindparams(
                v=json.dumps({"v": fixed}, ensure_ascii=False), k=KEY
            )
        )


def downgrade() -> None:
    """Nothing to undo: "{total}" alone reads right in the older version too."""
