"""the built-in flows' Thai reads naturally

Shops got the built-in flows' texts when the flows were installed, so a better wording in the
program never reaches them by itself. A text (or answer button) still exactly as shipped is
replaced by the new wording: the budget question and its re-ask, the size button "ไม่ระบุ"
("ไซส์ไหนก็ได้", as the colour button says "สีอะไรก็ได้"), the cart reminder's discount
offer, the review question and its apology. Anything the owner reworded is kept.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 09:05:00.000000
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As shipped before → as shipped now. Whole texts only: a text the owner changed is theirs.
WORDING = {
    "ยินดีช่วยเลือกค่ะ 😊 งบประมาณเท่าไหร่คะ (พิมพ์ตัวเลขเป็นบาทได้เลย)": (
        "ยินดีช่วยเลือกค่ะ 😊 มีงบประมาณเท่าไหร่คะ (พิมพ์เป็นตัวเลขได้เลย เช่น 500)"
    ),
    "ขอเป็นตัวเลขงบประมาณ เช่น 500 หรือกดปุ่มด้านล่างได้เลยค่ะ": (
        "รบกวนพิมพ์งบเป็นตัวเลข เช่น 500 หรือกดปุ่มด้านล่างได้เลยค่ะ"
    ),
    "ให้โค้ด {discount_code} ลดเพิ่ม {discount_percent}% ใช้ได้ถึง {discount_until} ใส่ไว้ในตะกร้าให้แล้วค่ะ": (
        "รับโค้ด {discount_code} ลดเพิ่ม {discount_percent}% ไปเลยค่ะ 🎁 "
        "ใส่ไว้ในตะกร้าให้แล้ว ใช้ได้ถึง {discount_until}"
    ),
    "ได้รับสินค้าออเดอร์ {order_number} แล้วใช่ไหมคะ 😊 รบกวนให้คะแนนความพึงพอใจหน่อยนะคะ": (
        "ได้รับสินค้าจากออเดอร์ {order_number} แล้วใช่ไหมคะ 😊 รบกวนให้คะแนนความพึงพอใจหน่อยนะคะ"
    ),
    "ขอโทษที่ยังไม่ประทับใจนะคะ 🙏 เจ้าหน้าที่จะรีบติดต่อกลับเพื่อดูแลค่ะ": (
        "ขออภัยที่ยังไม่ประทับใจนะคะ 🙏 เจ้าหน้าที่จะรีบติดต่อกลับไปดูแลค่ะ"
    ),
}
OLD_ANY_SIZE = {"label": "ไม่ระบุ", "value": ""}
NEW_ANY_SIZE = {"label": "ไซส์ไหนก็ได้", "value": ""}


def reworded(value: Any, wording: dict[str, str]) -> Any:
    """``value`` (a flow's nodes, JSON) with every text still as shipped before reworded."""
    if isinstance(value, str):
        return wording.get(value, value)
    if isinstance(value, list):
        return [reworded(v, wording) for v in value]
    if isinstance(value, dict):
        if value == OLD_ANY_SIZE and wording is WORDING:
            return dict(NEW_ANY_SIZE)
        if value == NEW_ANY_SIZE and wording is not WORDING:
            return dict(OLD_ANY_SIZE)
        return {k: reworded(v, wording) for k, v in value.items()}
    return value


def _apply(wording: dict[str, str]) -> None:
    bind = op.get_bind()
    for flow_id, nodes in bind.execute(
        sa.text("SELECT id, nodes FROM flows WHERE builtin <> ''")
    ).fetchall():
        data = json.loads(nodes) if isinstance(nodes, str) else nodes
        fixed = reworded(data, wording)
        if fixed != data:
            bind.execute(
                sa.text("UPDATE flows SET nodes = :nodes WHERE id = :id"),
                {"nodes": json.dumps(fixed), "id": flow_id},
            )


def upgrade() -> None:
    _apply(WORDING)


def downgrade() -> None:
    """Back to the older wording where the text is still as this version shipped it."""
    _apply({new: old for old, new in WORDING.items()})
