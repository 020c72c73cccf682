"""Thai formats a shop meets every day: tax IDs, phone numbers, postcodes, parcel tracking
numbers, Thai digits, baht amounts and the amount in words (bahttext).

Everything here is pure and deterministic. Money is integer satang or :class:`~decimal.Decimal`,
never float: functions that take money refuse a float with :class:`TypeError` (a programming
error), and refuse a bad value a person typed with :class:`ThaiFormatError` (something the user
can fix), whose ``code`` the UI translates.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Final
from zoneinfo import ZoneInfo

BANGKOK: Final = ZoneInfo("Asia/Bangkok")  # shops show Thai time; times are stored in UTC

THAI_MONTHS: Final = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip
ENGLISH_MONTHS: Final = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip


def format_when(
    when: dt.datetime | dt.date | None,
    lang: str = "th",
    *,
    time: bool = True,
    short: bool = False,
    today: dt.date | None = None,
) -> str:
    """The one way a date or time reads on a screen: ``6 ธ.ค. 2569 14:05`` in Thai (Buddhist
    era), ``6 Dec 2026 14:05`` in English, in Bangkok time (a datetime must be aware).
    ``time=False`` leaves the time out (a date is shown without one anyway); ``short`` drops
    the year within the current year (``6 ธ.ค. 14:05``) and the day for today (``14:05``)
    — for lists. None reads as a dash."""
    if when is None:
        return "–"
    clock = ""
    if isinstance(when, dt.datetime):
        if when.tzinfo is None:
            raise ValueError("a time to show must be aware (stored times are UTC)")
        local = when.astimezone(BANGKOK)
        day = local.date()
        clock = f"{local:%H:%M}" if time else ""
    else:
        day = when
    now = today or dt.datetime.now(BANGKOK).date()
    if short and day == now and clock:
        return clock
    months = THAI_MONTHS if lang == "th" else ENGLISH_MONTHS
    text = f"{day.day} {months[day.month - 1]}"
    if not (short and day.year == now.year):
        text += f" {day.year + 543 if lang == 'th' else day.year}"
    return f"{text} {clock}" if clock else text


__all__ = [
    "ThaiFormatError",
    "bahttext",
    "decimal_to_satang",
    "format_baht",
    "is_valid_postcode",
    "is_valid_s10",
    "is_valid_thai_id",
    "normalize_phone",
    "normalize_thai_mobile",
    "parse_baht",
    "s10_check_digit",
    "satang_to_decimal",
    "thai_digits_to_arabic",
    "thai_id_check_digit",
    "validate_tax_id",
]


class ThaiFormatError(ValueError):
    """A value a person typed is not in the expected Thai format.

    ``code`` is a stable identifier the UI translates (for example ``"tax_id.invalid_format"``,
    ``"money.invalid"``); ``value`` is the text as given, so a dialog can show it back. The
    English message names the bad value and says what was expected.
    """

    def __init__(self, code: str, message: str, value: object = None) -> None:
        super().__init__(message)
        self.code: Final = code
        self.value: Final = value


# --- digits -----------------------------------------------------------------------------------

_THAI_DIGITS: Final = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_ASCII_DIGITS: Final = frozenset("0123456789")


def thai_digits_to_arabic(s: str) -> str:
    """Return ``s`` with every Thai digit (๐–๙) replaced by its ASCII digit (0–9).

    Nothing else changes: other characters, including other scripts' digits, pass through.
    """
    return s.translate(_THAI_DIGITS)


def _is_ascii_digits(s: str) -> bool:
    # str.isdigit() also accepts superscripts and other scripts' digits: be explicit.
    return bool(s) and all(c in _ASCII_DIGITS for c in s)


# --- 13-digit national ID / tax ID --------------------------------------------------------------

_ID_SEPARATORS: Final = re.compile(r"[\s\-]")


def thai_id_check_digit(twelve_digits: str) -> int:
    """Return the check digit (0–9) of a Thai national ID / tax ID from its first 12 digits.

    The first 12 digits are weighted 13 down to 2; the check digit is
    ``(11 - sum % 11) % 10``.

    Raises:
        ThaiFormatError: ``tax_id.invalid_format`` if the input is not exactly 12 ASCII digits.
    """
    if len(twelve_digits) != 12 or not _is_ascii_digits(twelve_digits):
        raise ThaiFormatError(
            "tax_id.invalid_format",
            f"expected the first 12 digits of a thai id, got {twelve_digits!r}",
            twelve_digits,
        )
    total = sum(int(d) * w for d, w in zip(twelve_digits, range(13, 1, -1), strict=True))
    return (11 - total % 11) % 10


def validate_tax_id(s: str) -> str:
    """Return the 13 digits of a Thai national ID or tax ID, checked.

    Spaces and dashes in the input are ignored (``1-1017-00230-70-8``) and Thai digits are
    accepted. The ID of a company (leading 0) and of a person share the format.

    Raises:
        ThaiFormatError: ``tax_id.invalid_format`` if what remains is not 13 digits;
            ``tax_id.invalid_check_digit`` if the last digit does not match the other 12
            (almost always a typo).
    """
    digits = _ID_SEPARATORS.sub("", thai_digits_to_arabic(s))
    if len(digits) != 13 or not _is_ascii_digits(digits):
        raise ThaiFormatError(
            "tax_id.invalid_format",
            f"invalid thai id {s!r}: expected 13 digits (dashes and spaces allowed)",
            s,
        )
    expected = thai_id_check_digit(digits[:12])
    if int(digits[12]) != expected:
        raise ThaiFormatError(
            "tax_id.invalid_check_digit",
            f"invalid thai id {s!r}: check digit is {digits[12]}, expected {expected}",
            s,
        )
    return digits


def is_valid_thai_id(s: str) -> bool:
    """Tell whether ``s`` is a well-formed Thai national ID / tax ID (see :func:`validate_tax_id`).

    Never raises.
    """
    try:
        validate_tax_id(s)
    except ThaiFormatError:
        return False
    return True


# --- phones and postcodes -------------------------------------------------------------------------

_PHONE_SEPARATORS: Final = re.compile(r"[\s\-.()]")


def _national_phone_digits(s: str) -> str | None:
    """Digits of a Thai phone number in national form (leading 0), or None if not digits.

    ``+66``, ``0066`` and a bare ``66`` country code become a leading 0; the "(0)" people
    write after a country code (``+66 (0)81…``) is dropped.
    """
    compact = _PHONE_SEPARATORS.sub("", thai_digits_to_arabic(s))
    if compact.startswith("+"):
        if not compact.startswith("+66"):
            return None
        rest = compact[3:]
    elif compact.startswith("0066"):
        rest = compact[4:]
    elif compact.startswith("66") and len(compact) in (10, 11, 12):
        rest = compact[2:]
    else:
        return compact if _is_ascii_digits(compact) else None
    if rest.startswith("0"):
        rest = rest[1:]
    if not _is_ascii_digits(rest):
        return None
    return "0" + rest


def normalize_thai_mobile(s: str) -> str:
    """Return a Thai mobile number as 10 digits starting with 06, 08 or 09.

    Accepts ``081-234-5678``, ``081 234 5678``, ``+66 81 234 5678``, ``+66 (0)81…``,
    ``66812345678``, ``0066812345678`` and Thai digits.

    Raises:
        ThaiFormatError: ``phone.invalid_mobile`` for anything else, landlines included.
    """
    digits = _national_phone_digits(s)
    if digits is None or len(digits) != 10 or digits[:2] not in ("06", "08", "09"):
        raise ThaiFormatError(
            "phone.invalid_mobile",
            f"invalid thai mobile number {s!r}: expected 10 digits starting with 06, 08 or 09",
            s,
        )
    return digits


def format_phone(phone: str) -> str:
    """A Thai phone number grouped for reading: ``081-234-5678``, ``02-123-4567``,
    ``053-123-456``. Anything else is returned as given."""
    digits = re.sub(r"\D", "", phone)
    if phone.strip().startswith("+66") and len(digits) in (10, 11):
        digits = "0" + digits[2:]  # +66 81 234 5678 reads as 081-234-5678 in Thailand
    if len(digits) == 10 and digits[0] == "0":
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    if len(digits) == 9 and digits.startswith("02"):
        return f"{digits[:2]}-{digits[2:5]}-{digits[5:]}"
    if len(digits) == 9 and digits[0] == "0":
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    return phone.strip()


def normalize_phone(s: str) -> str:
    """Return any Thai phone number as digits in national form.

    A mobile number gives 10 digits starting with 06, 08 or 09; a landline
    (``02-123-4567``, ``053 123 456``) gives 9 digits starting with 02, 03, 04, 05 or 07.
    Country-code forms are accepted as in :func:`normalize_thai_mobile`. Short codes
    (``1175``) are not phone numbers here.

    Raises:
        ThaiFormatError: ``phone.invalid`` for anything else.
    """
    digits = _national_phone_digits(s)
    if digits is None or not (
        (len(digits) == 10 and digits[:2] in ("06", "08", "09"))
        or (len(digits) == 9 and digits[:2] in ("02", "03", "04", "05", "07"))
    ):
        raise ThaiFormatError(
            "phone.invalid",
            f"invalid thai phone number {s!r}: expected a 10-digit mobile (08x-xxx-xxxx) "
            "or a 9-digit landline (02-xxx-xxxx)",
            s,
        )
    return digits


def is_valid_postcode(s: str) -> bool:
    """Tell whether ``s`` is a Thai postcode: 5 digits whose first two are 10 to 96.

    Surrounding whitespace and Thai digits are accepted. Never raises.
    """
    code = thai_digits_to_arabic(s).strip()
    return len(code) == 5 and _is_ascii_digits(code) and 10 <= int(code[:2]) <= 96


# --- UPU S10 tracking numbers (Thailand Post, EMS) ----------------------------------------------

_S10_WEIGHTS: Final = (8, 6, 4, 2, 3, 5, 9, 7)
_S10: Final = re.compile(r"[A-Z]{2}([0-9]{8})([0-9])[A-Z]{2}")


def s10_check_digit(eight_digits: str) -> int:
    """Return the UPU S10 check digit of a tracking number's 8-digit serial.

    Weights 8,6,4,2,3,5,9,7; r = sum mod 11; check = 11 − r, except that 10 gives 0 and
    11 gives 5.

    Raises:
        ThaiFormatError: ``s10.invalid`` if the input is not exactly 8 ASCII digits.
    """
    if len(eight_digits) != 8 or not _is_ascii_digits(eight_digits):
        raise ThaiFormatError(
            "s10.invalid",
            f"expected the 8-digit serial of a tracking number, got {eight_digits!r}",
            eight_digits,
        )
    check = 11 - sum(int(d) * w for d, w in zip(eight_digits, _S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def is_valid_s10(tracking: str) -> bool:
    """Tell whether ``tracking`` is a valid UPU S10 item number such as ``EE123456785TH``.

    Two letters, 8 digits, the check digit, a 2-letter country code; case and spaces are
    ignored. Any country is accepted, not only ``TH``. Couriers with their own formats
    (Kerry, Flash, J&T) are not S10: this returns False for them. Never raises.
    """
    match = _S10.fullmatch(re.sub(r"\s", "", tracking).upper())
    return match is not None and s10_check_digit(match[1]) == int(match[2])


# --- money ----------------------------------------------------------------------------------------

_SATANG: Final = Decimal("0.01")


def _require_decimal(amount: object, what: str) -> Decimal:
    if not isinstance(amount, Decimal):
        raise TypeError(f"{what} must be a Decimal, got {type(amount).__name__}")
    if not amount.is_finite():
        raise ThaiFormatError("money.invalid", f"invalid amount {amount!r}: not a number", amount)
    return amount


def decimal_to_satang(d: Decimal) -> int:
    """Return the amount ``d`` in baht as integer satang, rounding half up (away from zero).

    ``Decimal("12.345")`` gives 1235, ``Decimal("-0.005")`` gives -1.

    Raises:
        TypeError: if ``d`` is not a Decimal (a float would already have lost precision).
        ThaiFormatError: ``money.invalid`` for NaN or infinity.
    """
    amount = _require_decimal(d, "amount")
    with localcontext() as ctx:
        # Enough precision that quantize never fails, however large the amount.
        ctx.prec = max(28, amount.adjusted() + 4)
        return int(amount.quantize(_SATANG, rounding=ROUND_HALF_UP).scaleb(2))


def satang_to_decimal(satang: int) -> Decimal:
    """Return ``satang`` as a Decimal amount in baht with exactly two places (1250 → 12.50).

    Raises:
        TypeError: if ``satang`` is not an int (bool included).
    """
    if not isinstance(satang, int) or isinstance(satang, bool):
        raise TypeError(f"satang must be an int, got {type(satang).__name__}")
    # Built from text, which is exact whatever the context's precision (scaleb would round).
    return Decimal(f"{satang}e-2")


def format_baht(
    satang: int,
    symbol: bool = False,
    *,
    grouping: bool = True,
    plus: bool = False,
    trim_zero: bool = False,
) -> str:
    """Format integer satang as baht with two decimals: the one money formatter.

    ``format_baht(125000)`` is ``"1,250.00"``, ``format_baht(125000, symbol=True)`` is
    ``"฿1,250.00"``, and a negative amount gets a leading minus (``"-฿5.00"``). The options:

    - ``grouping=False`` leaves out the thousands separators (``"1250.00"``), as CSV files
      and spreadsheet XML want them;
    - ``plus=True`` puts ``+`` before a positive amount (``"+฿5.00"``; zero gets no sign), for
      differences such as counted minus expected cash;
    - ``trim_zero=True`` drops ``.00`` from a whole amount (``"฿1,290"`` but ``"฿1,290.50"``),
      the way prices read in a chat.

    Never goes through float. :func:`parse_baht` reads back every output made without
    ``plus`` (with ``allow_negative=True`` for negatives).

    Raises:
        TypeError: if ``satang`` is not an int (bool included).
    """
    # The exact type test first: this runs for every money cell of a 100k-row export.
    if type(satang) is not int and (not isinstance(satang, int) or isinstance(satang, bool)):
        raise TypeError(f"satang must be an int, got {type(satang).__name__}")
    if satang < 0:
        sign = "-"
        baht, rest = divmod(-satang, 100)
    else:
        sign = "+" if plus and satang else ""
        baht, rest = divmod(satang, 100)
    whole = f"{baht:,}" if grouping else baht
    if trim_zero and not rest:
        return f"{sign}{'฿' if symbol else ''}{whole}"
    return f"{sign}{'฿' if symbol else ''}{whole}.{rest:02d}"


_MONEY: Final = re.compile(
    r"""
    (?P<sign>-?)\s*฿?\s*(?P<sign2>-?)          # "-฿5", "฿-5" or neither
    (?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?  # 1,250 or 1250 (grouping must be by threes)
    (?:\.(?P<frac>[0-9]+))?
    \s*(?:บาท)?
    """,
    re.VERBOSE,
)


def chat_baht(satang: int) -> str:
    """Money as a shopper reads it in a chat: the symbol first, whole baht without ``.00``
    (``"฿259"``, ``"฿1,290.50"``), never "259.00 บาท". Every amount the bot and the order
    messages write goes through this one function."""
    return format_baht(satang, symbol=True, trim_zero=True)


def parse_baht(text: str, *, allow_negative: bool = False) -> int:
    """Read an amount of baht a person typed and return it as integer satang.

    Accepts ``1250``, ``1,250.00``, ``฿1,250.5``, ``1,250 บาท``, Thai digits (``๑,๒๕๐``) and
    surrounding whitespace; ``-`` before or after ``฿`` for negatives. Commas must group by
    threes. Never goes through float.

    Raises:
        ThaiFormatError: ``money.invalid`` if the text is not an amount (empty, letters,
            ``1,25``, ``1.2.3``); ``money.too_many_decimals`` for more than two decimals
            (``1.005``: satang are the smallest unit); ``money.negative`` for a negative
            amount unless ``allow_negative`` is true.
    """
    cleaned = thai_digits_to_arabic(text).strip()
    match = _MONEY.fullmatch(cleaned)
    if (
        match is None
        or (match["int"] is None and match["frac"] is None)
        or (match["sign"] and match["sign2"])
    ):
        raise ThaiFormatError(
            "money.invalid",
            f"invalid amount {text!r}: expected baht such as 1,250.00 or 99.5",
            text,
        )
    frac = match["frac"] or ""
    if len(frac) > 2:
        raise ThaiFormatError(
            "money.too_many_decimals",
            f"invalid amount {text!r}: at most 2 decimals (satang) allowed",
            text,
        )
    whole = int((match["int"] or "0").replace(",", ""))
    satang = whole * 100 + int(frac.ljust(2, "0"))
    if match["sign"] or match["sign2"]:
        satang = -satang
    if satang < 0 and not allow_negative:
        raise ThaiFormatError(
            "money.negative",
            f"invalid amount {text!r}: expected an amount of zero or more",
            text,
        )
    return satang


# --- amount in words ------------------------------------------------------------------------------

_DIGIT_WORDS: Final = ("", "หนึ่ง", "สอง", "สาม", "สี่", "ห้า", "หก", "เจ็ด", "แปด", "เก้า")
_PLACE_WORDS: Final = ("", "สิบ", "ร้อย", "พัน", "หมื่น", "แสน")


def _below_million(n: int, *, ed_for_one: bool) -> str:
    """Words for 0 < n < 1,000,000; ``ed_for_one`` says a lone 1 in the units is read เอ็ด."""
    words: list[str] = []
    digits = f"{n:06d}"
    for place, ch in zip(range(5, -1, -1), digits, strict=True):
        d = int(ch)
        if d == 0:
            continue
        if place == 1:
            words.append({1: "สิบ", 2: "ยี่สิบ"}.get(d, _DIGIT_WORDS[d] + "สิบ"))
        elif place == 0 and d == 1 and (ed_for_one or n > 1):
            words.append("เอ็ด")
        else:
            words.append(_DIGIT_WORDS[d] + _PLACE_WORDS[place])
    return "".join(words)


def _number_words(n: int) -> str:
    """Words for n > 0, with ล้าน repeated for each further factor of a million."""
    high, low = divmod(n, 1_000_000)
    head = _number_words(high) + "ล้าน" if high else ""
    return head + (_below_million(low, ed_for_one=bool(high)) if low else "")


def bahttext(amount: Decimal) -> str:
    """Return an amount of baht in Thai words, as printed on receipts and tax invoices.

    The amount is first rounded to whole satang with ROUND_HALF_UP (away from zero). The
    choices where implementations differ (Royal Institute / Excel BAHTTEXT style):

    - a 1 in the units after any higher digit is เอ็ด, also across ล้าน:
      101 → หนึ่งร้อยเอ็ดบาทถ้วน, 1,000,001 → หนึ่งล้านเอ็ดบาทถ้วน; a lone 1 is หนึ่ง
      (1 → หนึ่งบาทถ้วน, 1,000,000 → หนึ่งล้านบาทถ้วน, 0.01 → หนึ่งสตางค์);
    - less than one baht names only the satang: 0.16 → สิบหกสตางค์ (no ศูนย์บาท);
    - whole baht end in ถ้วน, otherwise the text ends in สตางค์ and has no ถ้วน:
      1,299.25 → หนึ่งพันสองร้อยเก้าสิบเก้าบาทยี่สิบห้าสตางค์;
    - zero (also anything that rounds to zero) → ศูนย์บาทถ้วน;
    - millions of millions repeat ล้าน: 10**12 → หนึ่งล้านล้านบาทถ้วน;
    - a negative amount gets the prefix ลบ: -21 → ลบยี่สิบเอ็ดบาทถ้วน.

    The result is never empty.

    Raises:
        TypeError: unless ``amount`` is a Decimal. An int is refused on purpose: in this code
            base integer money means satang, so ``bahttext(21)`` would be ambiguous; use
            ``bahttext(satang_to_decimal(n))``.
        ThaiFormatError: ``money.invalid`` for NaN or infinity.
    """
    satang = decimal_to_satang(amount)
    if satang == 0:
        return "ศูนย์บาทถ้วน"
    baht, rest = divmod(abs(satang), 100)
    text = "ลบ" if satang < 0 else ""
    if baht:
        text += _number_words(baht) + "บาท"
    return text + (_number_words(rest) + "สตางค์" if rest else "ถ้วน")


def tracking_url(carrier: str, tracking: str) -> str | None:
    """Thailand Post's public tracking page for its (UPU S10) numbers; other carriers' pages
    change too often to link."""
    if tracking and re.fullmatch(r"[A-Z]{2}\d{9}TH", tracking):
        return f"https://track.thailandpost.co.th/?trackNumber={tracking}"
    return None
