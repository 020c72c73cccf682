"""The app's own names for things, in Thai and English: one place, so a screen, a notification
and a document call the same thing by the same word (issue 16 item 4).

Data (a product's name, a person's name as typed) is never translated; only the words the app
itself writes. Start here when a screen needs the name of an actor — who did something.
"""

from __future__ import annotations

__all__ = ["ACTORS", "OPENING_STOCK", "actor_name", "stock_note"]

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
