"""One cell's value read as text, money (integer satang), a count or a yes/no, the way
spreadsheets hold them: text with Thai digits or thousands separators, or XLSX numbers.
Errors are :class:`CellError` carrying an ``import.*`` problem code."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Final

from minichat_desktop.domain.thai import ThaiFormatError, parse_baht, thai_digits_to_arabic
from minichat_desktop.formats.importer.columns import MAX_PRICE_SATANG
from minichat_desktop.formats.importer.problems import CellError

CellValue = (
    str | int | float | bool | Decimal | dt.datetime | dt.date | dt.time | dt.timedelta | None
)


def _shown(value: CellValue) -> str:
    text = cell_text(value)
    return f'"{text}"' if len(text) <= 40 else f'"{text[:37]}..."'


def cell_text(value: CellValue) -> str:
    """A cell as trimmed text: whole numbers without ``.0`` (barcodes typed as numbers stay
    digits), other floats as Excel shows them (15 significant digits)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


_SATANG: Final = Decimal("0.01")
_PLAIN_MONEY: Final = re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]{1,2}))?")


def parse_money_cell(value: CellValue, *, label: str = "price") -> int:
    """Integer satang from a money cell: text (``1,250.00``, ``฿1,250``, Thai digits) or a number.

    A float (XLSX number cell) goes through its 15-significant-digit decimal text — what Excel
    shows — so ``19.99`` is 1999 satang and float noise such as ``0.30000000000000004`` (a
    formula result) reads as 0.30; there is no float arithmetic. Raises :class:`CellError`
    (``import.bad_price``, ``import.negative_price``, ``import.too_many_decimals``,
    ``import.price_too_high``). Blank is the caller's business (it raises here too).
    """
    if isinstance(value, bool | dt.datetime | dt.date | dt.time):
        raise CellError("import.bad_price", f"{_shown(value)} is not a {label}")
    if isinstance(value, int | float | Decimal):
        if isinstance(value, float) and not math.isfinite(value):
            raise CellError("import.bad_price", f"{_shown(value)} is not a {label}")
        amount = Decimal(format(value, ".15g")) if isinstance(value, float) else Decimal(value)
        if amount < 0:
            raise CellError(
                "import.negative_price", f"{label} cannot be negative ({_shown(value)})"
            )
        if amount > MAX_PRICE_SATANG / 100:
            raise CellError(
                "import.price_too_high", f"{_shown(value)} is more than 10,000,000 baht"
            )
        try:
            quantized = amount.quantize(_SATANG)
        except InvalidOperation as exc:  # pragma: no cover - guarded by the range check
            raise CellError("import.bad_price", f"{_shown(value)} is not a {label}") from exc
        if quantized != amount:
            raise CellError(
                "import.too_many_decimals",
                f"{_shown(value)} has more than 2 decimals (satang are the smallest unit)",
            )
        satang = int(quantized.scaleb(2))
    elif isinstance(value, str) and (m := _PLAIN_MONEY.fullmatch(value)) is not None:
        # The common case (``1,250.00``, ``35``) without the general parser's work.
        satang = int(m[1].replace(",", "")) * 100 + int((m[2] or "").ljust(2, "0"))
    else:
        text = cell_text(value)
        try:
            satang = parse_baht(text)
        except ThaiFormatError as exc:
            code = {
                "money.negative": "import.negative_price",
                "money.too_many_decimals": "import.too_many_decimals",
            }.get(exc.code, "import.bad_price")
            message = {
                "import.negative_price": f"{label} cannot be negative ({_shown(value)})",
                "import.too_many_decimals": (
                    f"{_shown(value)} has more than 2 decimals (satang are the smallest unit)"
                ),
            }.get(code, f"{_shown(value)} is not a {label} (write it like 1,250.00)")
            raise CellError(code, message) from exc
    if satang > MAX_PRICE_SATANG:
        raise CellError("import.price_too_high", f"{_shown(value)} is more than 10,000,000 baht")
    return satang


_INT_TEXT: Final = re.compile(r"([+-]?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.0*)?")


def parse_count_cell(value: CellValue, *, code: str = "import.bad_stock", maximum: int) -> int:
    """A whole number ≥ 0 from a cell (``12``, ``1,200``, ``๑๒``, ``12.0``, a number cell).

    Raises :class:`CellError` with ``code`` for text, fractions and too-large numbers, and
    ``import.negative_stock`` for negative numbers when ``code`` is ``import.bad_stock``.
    """
    negative_code = "import.negative_stock" if code == "import.bad_stock" else code
    number: int
    if isinstance(value, bool) or value is None:
        raise CellError(code, f"{_shown(value)} is not a whole number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float | Decimal):
        if isinstance(value, float) and not math.isfinite(value):
            raise CellError(code, f"{_shown(value)} is not a whole number")
        if value != int(value):
            raise CellError(code, f"{_shown(value)} is not a whole number")
        number = int(value)
    elif isinstance(value, str):
        m = _INT_TEXT.fullmatch(thai_digits_to_arabic(value).strip())
        if m is None:
            raise CellError(code, f"{_shown(value)} is not a whole number")
        number = int(m[2].replace(",", ""))
        if m[1] == "-":
            number = -number
    else:
        raise CellError(code, f"{_shown(value)} is not a whole number")
    if number < 0:
        raise CellError(negative_code, f"{_shown(value)} is negative; use 0 or more")
    if number > maximum:
        raise CellError(code, f"{_shown(value)} is too large (at most {maximum:,})")
    return number


_YES: Final = frozenset({"yes", "y", "1", "true", "t", "ใช่", "เปิด", "เปิดขาย", "on", "x", "✓"})
_NO: Final = frozenset({"no", "n", "0", "false", "f", "ไม่", "ไม่ใช่", "ปิด", "ปิดขาย", "off"})


def parse_flag(value: CellValue) -> bool:
    if isinstance(value, bool):
        return value
    text = cell_text(value).casefold()
    if text == "" or text in _YES:
        return True
    if text in _NO:
        return False
    raise CellError("import.bad_active", f"{_shown(value)} is not yes/no (use yes, no, ใช่, ไม่)")


_TAG_SEPARATORS: Final = re.compile(r"[,،、，]")


def split_tags(text: str) -> list[str]:
    """Tags from a cell: split at commas (Latin, Arabic, CJK), trimmed, duplicates dropped."""
    if not text:
        return []
    parts = _TAG_SEPARATORS.split(text)
    return list(dict.fromkeys(t.strip() for t in parts if t.strip()))
