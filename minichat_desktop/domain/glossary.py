"""The app's own names for things, in Thai and English: one place, so a screen, a notification
and a document call the same thing by the same word (issue 16 item 4).

Data (a product's name, a person's name as typed) is never translated; only the words the app
itself writes. Start here when a screen needs the name of an actor — who did something.
"""

from __future__ import annotations

__all__ = [
    "ACTORS",
    "CHANNEL",
    "CHAT_STATE",
    "OPENING_STOCK",
    "ORDER_STATUS",
    "PAYMENT_METHOD",
    "PAYMENT_STATUS",
    "PIPELINE",
    "SEGMENT",
    "STOCK_REASON",
    "actor_name",
    "name_of",
    "stock_note",
    "thai",
]

# (Thai, English) for each stored code. Screens, order messages to shoppers, the Excel exports
# and the reports all take these words from here, so an order is "กำลังแพ็กสินค้า" everywhere
# and never "กำลังเตรียมของ" on one screen and "กำลังแพ็ก" on the next.
ORDER_STATUS: dict[str, tuple[str, str]] = {
    "pending": ("รอดำเนินการ", "Pending"),
    "confirmed": ("ยืนยันแล้ว", "Confirmed"),
    "processing": ("กำลังแพ็กสินค้า", "Packing"),
    "shipped": ("จัดส่งแล้ว", "Shipped"),
    "delivered": ("ส่งถึงแล้ว", "Delivered"),
    "cancelled": ("ยกเลิกแล้ว", "Cancelled"),
    "refunded": ("คืนเงินแล้ว", "Refunded"),
}
PAYMENT_STATUS: dict[str, tuple[str, str]] = {
    "pending": ("ยังไม่ชำระ", "Unpaid"),
    "paid": ("ชำระแล้ว", "Paid"),
    "failed": ("ชำระไม่สำเร็จ", "Payment failed"),
    "refunded": ("คืนเงินแล้ว", "Refunded"),
}
PAYMENT_METHOD: dict[str, tuple[str, str]] = {
    "promptpay": ("พร้อมเพย์", "PromptPay"),
    "bank_transfer": ("โอนเงิน", "Bank transfer"),
    "cash": ("เงินสด", "Cash"),
    "card": ("บัตร", "Card"),
    "cod": ("เก็บเงินปลายทาง", "Cash on delivery"),
    "other": ("อื่นๆ", "Other"),
}
# Where an order or a customer came from.
CHANNEL: dict[str, tuple[str, str]] = {
    "widget": ("แชทหน้าเว็บ", "Website chat"),
    "line": ("LINE", "LINE"),
    "pos": ("หน้าร้าน", "Counter"),
    "manual": ("บันทึกเอง", "Entered by hand"),
    "messenger": ("Messenger", "Messenger"),
    "instagram": ("Instagram", "Instagram"),
}

# A customer's stage in the sales pipeline (Customers board, the inbox's customer panel, flows'
# "set stage" action, the customer export).
PIPELINE: dict[str, tuple[str, str]] = {
    "new": ("ลูกค้าใหม่", "New lead"),
    "contacted": ("ติดต่อแล้ว", "Contacted"),
    "qualified": ("สนใจจริง", "Qualified"),
    "converted": ("ซื้อแล้ว", "Converted"),
    "lost": ("ไม่สำเร็จ", "Lost deal"),
}
# RFM segments (domain.customers.rfm); "" is a customer with no counted order.
SEGMENT: dict[str, tuple[str, str]] = {
    "champions": ("ลูกค้าชั้นยอด", "Champions"),
    "loyal": ("ลูกค้าประจำ", "Loyal"),
    "potential_loyalist": ("มีแววเป็นขาประจำ", "Potential loyalist"),
    "new": ("เพิ่งซื้อครั้งแรก", "New customer"),
    "at_risk": ("เสี่ยงหาย", "At risk"),
    "cant_lose": ("ห้ามเสีย", "Can't lose"),
    "hibernating": ("เงียบหาย", "Hibernating"),
    "lost": ("หายไปแล้ว", "Lost customer"),
    "": ("ยังไม่มีออเดอร์", "No orders yet"),
}
# Who answers a chat now (the inbox's chip: the bot, nobody yet — the owner is needed —, or a
# person who took it over).
CHAT_STATE: dict[str, tuple[str, str]] = {
    "bot": ("บอท", "Bot"),
    "needs_you": ("รอคุณ", "Needs you"),
    "you": ("คนตอบ", "Human"),
}
# Why a stock movement happened (the product's stock ledger).
STOCK_REASON: dict[str, tuple[str, str]] = {
    "import": ("นำเข้า", "Import"),
    "adjustment": ("ปรับสต็อก", "Adjustment"),
    "reservation": ("ออเดอร์", "Order"),
    "cancellation": ("ยกเลิกคำสั่งซื้อ", "Order cancelled"),
    "sale": ("ขาย", "Sale"),
    "refund": ("คืนสินค้า", "Returned"),
}


def name_of(words: dict[str, tuple[str, str]], code: str, lang: str) -> str:
    """The word for ``code`` in ``lang`` ("th" or "en") from one of the tables above; an
    unknown code (a newer version's, or data typed elsewhere) as stored."""
    names = words.get(code)
    if names is None:
        return code
    return names[1] if lang == "en" else names[0]


def thai(words: dict[str, tuple[str, str]]) -> dict[str, str]:
    """The Thai words of a table, by code (documents and exports are in Thai)."""
    return {code: names[0] for code, names in words.items()}


# Who did something, as stored in ``actor`` / ``created_by`` columns (the app's own actors;
# a person's name typed at the counter is kept as typed).
ACTORS: dict[str, tuple[str, str]] = {
    "owner": ("เจ้าของร้าน", "Owner"),
    "bot": ("บอท", "Bot"),
    "system": ("MiniChat", "MiniChat"),
    "demo": ("ร้านตัวอย่าง", "Demo shop"),
    "slip check": ("ตรวจสลิปอัตโนมัติ", "Automatic slip check"),
    "import": ("นำเข้าไฟล์", "File import"),
}


def actor_name(actor: str, lang: str) -> str:
    """``actor`` in ``lang`` ("th" or "en") when it is one of the app's own, else as stored."""
    names = ACTORS.get(actor)
    if names is None:
        return actor
    return names[1] if lang == "en" else names[0]


# The notes the app itself writes on stock movements (stored as written: older rows too).
OPENING_STOCK = "opening stock"
_IMPORT = "import "  # then the file's name


def stock_note(note: str, lang: str) -> str:
    """A stock movement's note in ``lang``: the app's own ("opening stock", "import a.csv")
    translated, the owner's reason as typed."""
    if note == OPENING_STOCK:
        return "Opening stock" if lang == "en" else "สต็อกตั้งต้น"
    if note.startswith(_IMPORT):
        rest = note[len(_IMPORT) :]
        return f"Imported from {rest}" if lang == "en" else f"นำเข้าจาก {rest}"
    return note
