"""Placeholders in the texts an owner writes for shoppers: one syntax, one vocabulary.

Order messages (``sales.order_notify``) and canned replies (``conversations``) both name
order facts as a plain name in single braces, ``{order_number}``, and the app shows each one
by its Thai or English name (:data:`FIELDS`: "เลขออเดอร์") so an owner never has to type the
code. A literal brace is written twice (``{{``), as in Python's own format strings, whose
parser this uses. Canned replies once used ``{{order_number}}`` and two other names
(``order_status``, ``tracking_number``); migration 0011 rewrote the stored ones.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Final

__all__ = [
    "FIELDS",
    "UNNAMED",
    "BadPlaceholder",
    "field_name",
    "names_in",
    "render",
]

# The order facts a text may name, with their (Thai, English) names, in the order the editors
# offer them.
FIELDS: Final[dict[str, tuple[str, str]]] = {
    "customer_name": ("ชื่อลูกค้า", "Customer name"),
    "order_number": ("เลขออเดอร์", "Order number"),
    "total": ("ยอดรวม", "Order total"),
    "status": ("สถานะออเดอร์", "Order status"),
    "carrier": ("ขนส่ง", "Carrier"),
    "tracking": ("เลขพัสดุ", "Tracking number"),
    "tracking_url": ("ลิงก์ติดตามพัสดุ", "Tracking link"),
    "refunded": ("ยอดที่คืน", "Amount refunded"),
    "shop_name": ("ชื่อร้าน", "Shop name"),
}


# {customer_name} for a shopper who gave no name: texts say "คุณ{customer_name}", so it reads
# "คุณลูกค้า" (never "คุณ " nor "คุณคุณลูกค้า").
UNNAMED: Final = "ลูกค้า"


class BadPlaceholder(ValueError):
    """A text whose braces cannot be read: ``kind`` is "braces" (a brace not closed) or
    "placeholder" (empty braces, or a format spec such as ``{total:,}``)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def names_in(text: str) -> list[str]:
    """The placeholder names in ``text``, in order; raises :class:`BadPlaceholder`."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise BadPlaceholder("braces") from exc
    names = []
    for _text, name, spec, conversion in parsed:
        if name is None:
            continue
        if name == "" or spec or conversion:
            raise BadPlaceholder("placeholder")
        names.append(name)
    return names


def field_name(name: str, lang: str) -> str:
    """How the app shows a placeholder to the owner ("เลขออเดอร์"); an unknown one as typed."""
    names = FIELDS.get(name)
    if names is None:
        return name
    return names[1] if lang == "en" else names[0]


def render(template: str, values: Mapping[str, str]) -> str:
    """The text with its placeholders filled (an unknown one empty); a line whose
    placeholders all came out empty, and that held nothing else but punctuation, is dropped
    (no "ลิงก์: " without its link)."""
    lines = []
    for line in template.splitlines():
        parsed = list(string.Formatter().parse(line))
        names = [n for _t, n, _s, _c in parsed if n]
        filled = line.format_map({n: values.get(n, "") for n in names})
        if names and all(not values.get(n) for n in names):
            rest = "".join(t for t, _n, _s, _c in parsed)
            if not any(ch.isalnum() for ch in rest):
                continue
        lines.append(filled.rstrip())
    return "\n".join(lines).strip()
