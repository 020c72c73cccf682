"""What a comment under a live asks for: an order (a code and a quantity), a mention of a code
(a question about it), or nothing to act on.

The grammar, after the text is normalised (Unicode NFKC, so full-width ``ＣＦ　Ａ１２`` reads as
``CF A12``; Thai digits ๐–๙ read as 0–9; case ignored; runs of spaces as one)::

    order    := keyword sep? code (sep? times? sep? quantity)? sep? unit? polite*
    keyword  := "cf" | "f" (then a space) | "เอา" | "รับ" | "จอง"
    code     := letters{1,3} digits{1,4}  |  digits{1,4}      (the code as shown: A12, TS3, 12)
    times    := "x" | "×" | "*"
    quantity := digits{1,2}   (1–99; none means 1)
    unit     := "ตัว" | "ชิ้น" | "อัน" | "กล่อง" | "pcs" | "pc"
    polite   := "ค่ะ" | "คะ" | "ค่า" | "ครับ" | "คับ" | "จ้า" | "จ้ะ" | "นะ" | "na" | "ka" | "krub"

Orders (code, quantity)::

    CF A12            → A12 × 1        cf a12 2        → A12 × 2
    CF A12 x2         → A12 × 2        cfa12           → A12 × 1
    เอา A12 2 ตัว     → A12 × 2        F A12           → A12 × 1
    cf12              → 12 × 1         จอง b3 ค่ะ       → B3 × 1
    ｃｆ　Ａ１２      → A12 × 1        CF A12 ๒        → A12 × 2

``cf12`` is code ``12``: a live whose codes are plain numbers uses it; in a live of ``A12``
codes it is an unknown code, answered with a hint rather than guessed.

Not an order — a question or a look, answered with the product's price and how to order::

    A12 ราคาเท่าไหร่   ขอดู A12   CF A12 ได้ไหม?   A12 มีสีอื่นไหม

and nothing at all (no reply): comments that name no code (``สวยมาก``, ``cf`` alone), a
quantity of 0 or over 99, several codes in one comment (``CF A12 B3``: one code per comment, so
each reservation answers one comment).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

MAX_QUANTITY = 99

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_CODE = r"(?:[a-z]{1,3}\d{1,4}|\d{1,4})"
_POLITE = r"(?:\s*(?:ค่ะ|คะ|ค่า|ครับ|คับ|จ้า|จ้ะ|นะ|na|ka|krub))*"
_ORDER = re.compile(
    rf"^(?:cf\s*|f\s+|เอา\s*|รับ\s*|จอง\s*)(?P<code>{_CODE})"
    r"(?:\s*(?:x|×|\*)?\s*(?P<qty>\d{1,3}))?"
    r"\s*(?:ตัว|ชิ้น|อัน|กล่อง|pcs|pc)?"
    rf"{_POLITE}\s*$"
)
_MENTION = re.compile(r"(?<![a-z0-9])(?P<code>[a-z]{1,3}\d{1,4})(?![a-z0-9])")


class Intent(StrEnum):
    ORDER = "order"  # reserve ``quantity`` of ``code``
    MENTION = "mention"  # asks about ``code``: answer with its price and how to order
    OTHER = "other"  # nothing to act on


@dataclass(frozen=True, slots=True)
class Parsed:
    intent: Intent
    code: str = ""
    quantity: int = 0


NOTHING = Parsed(Intent.OTHER)


def normalise(text: str) -> str:
    """Full-width to ASCII, Thai digits to ASCII digits, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_THAI_DIGITS).casefold()
    return " ".join(text.split())


def parse(text: str) -> Parsed:
    """What the comment ``text`` asks for (see the module's grammar)."""
    clean = normalise(text)
    if not clean:
        return NOTHING
    match = _ORDER.match(clean)
    if match is not None and "?" not in clean:
        qty = int(match["qty"]) if match["qty"] else 1
        if not 1 <= qty <= MAX_QUANTITY:
            return NOTHING
        return Parsed(Intent.ORDER, match["code"].upper(), qty)
    codes = {m["code"] for m in _MENTION.finditer(clean)}
    if len(codes) == 1:
        return Parsed(Intent.MENTION, codes.pop().upper())
    return NOTHING
