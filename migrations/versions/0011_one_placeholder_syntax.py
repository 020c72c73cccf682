"""canned replies name placeholders the way order messages do

Canned replies wrote ``{{order_number}}`` while order messages write ``{order_number}``; both
now use single braces and one vocabulary (``minichat_desktop.domain.placeholders``), so
``{{order_status}}`` becomes ``{status}`` and ``{{tracking_number}}`` becomes ``{tracking}``.
A brace the owner typed as text is written twice (``{{``), as single braces now name a
placeholder. ``{{total}} บาท`` loses its "บาท": the total now reads "฿1,040" as in every
other message.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 09:40:00.000000
"""

import re
import string
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOUBLE = re.compile(r"{{\s*(\w+)\s*}}")
_RENAMED = {"order_status": "status", "tracking_number": "tracking"}
_BAHT_AFTER_TOTAL = re.compile(r"(\{\{\s*total\s*\}\})\s?บาท")


def _single(text: str) -> str:
    text = _BAHT_AFTER_TOTAL.sub(r"\1", text)
    out, at = [], 0
    for m in _DOUBLE.finditer(text):
        out.append(text[at : m.start()].replace("{", "{{").replace("}", "}}"))
        out.append("{" + _RENAMED.get(m.group(1), m.group(1)) + "}")
        at = m.end()
    out.append(text[at:].replace("{", "{{").replace("}", "}}"))
    return "".join(out)


def _rewrite(change: Callable[[str], str]) -> None:
    bind = op.get_bind()
    for row_id, text in bind.execute(sa.text("SELECT id, text FROM canned_responses")).all():
        new = change(text or "")
        if new != text:
            bind.execute(
                sa.text("UPDATE canned_responses SET text = :t WHERE id = :i").bindparams(
                    t=new, i=row_id
                )
            )


def upgrade() -> None:
    _rewrite(_single)


def _double(text: str) -> str:
    back = {v: k for k, v in _RENAMED.items()}
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return text
    out = []
    for literal, name, _spec, _conversion in parsed:
        out.append(literal)
        if name is not None:
            out.append("{{" + back.get(name, name) + "}}")
    return "".join(out)


def downgrade() -> None:
    _rewrite(_double)
