"""PromptPay QR payloads (EMVCo merchant-presented mode, Bank of Thailand profile) and images.

A shop shows the QR; the buyer's banking app reads the target and, for a dynamic QR, the
amount. The payload is built with Decimal only, and every payload this module makes ends in
a CRC-16/CCITT-FALSE over itself, as banking apps require.

Two levels:

- :func:`promptpay_payload` takes what a person typed (a mobile number, a 13-digit national
  ID / tax ID, a 15-digit e-wallet ID), validates it and builds the payload;
- :func:`build_promptpay_payload` encodes an already-normalised target of a given kind and
  checks only its shape: for IDs stored before validation existed, and for interoperability
  tests against other encoders.
"""

from __future__ import annotations

import io
import os
import re
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from minichat_desktop.domain.thai import (
    ThaiFormatError,
    format_baht,
    normalize_thai_mobile,
    thai_digits_to_arabic,
    validate_tax_id,
)
from minichat_desktop.files import atomic_write_bytes

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

__all__ = [
    "MAX_AMOUNT",
    "PromptPayError",
    "PromptPayKind",
    "build_promptpay_payload",
    "crc16_ccitt_false",
    "has_valid_crc",
    "normalize_promptpay_id",
    "promptpay_card_png",
    "promptpay_payload",
    "promptpay_qr_png",
    "write_promptpay_card_png",
    "write_promptpay_qr_png",
]

MAX_AMOUNT: Final = Decimal("9999999.99")
"""The largest amount a PromptPay QR may carry (tag 54 holds at most 10 characters here)."""

_GUID_PROMPTPAY: Final = "A000000677010111"
_CENT: Final = Decimal("0.01")


class PromptPayError(ValueError):
    """A PromptPay target or amount cannot go into a QR.

    ``code`` is one of ``"promptpay.invalid_id"`` (not a mobile number, 13-digit ID or
    15-digit e-wallet ID), ``"promptpay.invalid_check_digit"`` (a 13-digit ID whose check
    digit is wrong: a typo), ``"promptpay.invalid_amount"`` (zero, negative, too large, more
    than two decimals, not a number) or ``"promptpay.invalid_payload"`` (a payload whose CRC
    does not match). ``value`` is the offending input as given. The English message names it
    and says what is expected.
    """

    def __init__(self, code: str, message: str, value: object = None) -> None:
        super().__init__(message)
        self.code: Final = code
        self.value: Final = value


class PromptPayKind(StrEnum):
    """What a PromptPay target is; the value is stored, the tag goes into the payload."""

    MOBILE = "mobile"
    NATIONAL_ID = "national_id"  # also a company's tax ID: same 13-digit format
    EWALLET = "ewallet"

    @property
    def tag(self) -> str:
        """The sub-tag of merchant template 29 that carries this kind of target."""
        return _TAGS[self]


_TAGS: Final = {
    PromptPayKind.MOBILE: "01",
    PromptPayKind.NATIONAL_ID: "02",
    PromptPayKind.EWALLET: "03",
}


def crc16_ccitt_false(data: bytes) -> int:
    """Return the CRC-16/CCITT-FALSE of ``data``: poly 0x1021, init 0xFFFF, no reflection,
    no final XOR. The check value of ``b"123456789"`` is 0x29B1.
    """
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def has_valid_crc(payload: str) -> bool:
    """Tell whether ``payload`` ends in field ``6304`` holding the CRC of everything before
    it plus ``6304`` itself, as upper-case hex. Never raises.
    """
    if len(payload) < 8 or payload[-8:-4] != "6304" or not payload.isascii():
        return False
    crc = payload[-4:]
    if re.fullmatch(r"[0-9A-F]{4}", crc) is None:
        return False
    return crc16_ccitt_false(payload[:-4].encode("ascii")) == int(crc, 16)


_ID_SEPARATORS: Final = re.compile(r"[\s\-.()]")


def normalize_promptpay_id(raw: str) -> tuple[PromptPayKind, str]:
    """Tell what kind of PromptPay target ``raw`` is and return it as digits.

    - a Thai mobile number in any common writing (``081-234-5678``, ``+66 81 234 5678``,
      ``66812345678``) → ``(MOBILE, "0812345678")``, always the 10-digit national form;
    - 13 digits (dashes and spaces allowed) → ``(NATIONAL_ID, digits)`` after checking the
      Thai ID check digit;
    - 15 digits → ``(EWALLET, digits)``.

    Thai digits are accepted. Exactly 13 digits always mean an ID, so a mobile number
    written ``0066…`` is refused: write it ``08…``, ``+66…`` or ``66…``.

    Raises:
        PromptPayError: ``promptpay.invalid_id`` for anything else;
            ``promptpay.invalid_check_digit`` for a 13-digit ID whose check digit is wrong.
    """
    compact = _ID_SEPARATORS.sub("", thai_digits_to_arabic(raw))
    if len(compact) == 13 and compact.isascii() and compact.isdigit():
        try:
            return PromptPayKind.NATIONAL_ID, validate_tax_id(compact)
        except ThaiFormatError as exc:
            raise PromptPayError(
                "promptpay.invalid_check_digit",
                f"invalid promptpay id {raw!r}: not a valid 13-digit national id or tax id "
                "(check digit does not match)",
                raw,
            ) from exc
    if len(compact) == 15 and compact.isascii() and compact.isdigit():
        return PromptPayKind.EWALLET, compact
    try:
        return PromptPayKind.MOBILE, normalize_thai_mobile(raw)
    except ThaiFormatError as exc:
        raise PromptPayError(
            "promptpay.invalid_id",
            f"invalid promptpay id {raw!r}: expected a thai mobile number (08x-xxx-xxxx), "
            "a 13-digit national id or tax id, or a 15-digit e-wallet id",
            raw,
        ) from exc


def _field(tag: str, value: str) -> str:
    if len(value) > 99:  # the length field has two digits; our fields never come close
        raise AssertionError(f"emv field {tag} too long: {len(value)} characters")
    return f"{tag}{len(value):02d}{value}"


def _format_amount(amount: object) -> str:
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal or None, got {type(amount).__name__}")
    # An amount with 20 or more integer digits is far out of range anyway; refusing it before
    # quantize keeps quantize inside the default 28-digit precision.
    rounded = (
        amount.quantize(_CENT, rounding=ROUND_HALF_UP)
        if amount.is_finite() and amount.adjusted() < 20
        else None
    )
    if rounded is not None and rounded != amount:
        raise PromptPayError(
            "promptpay.invalid_amount",
            f"invalid promptpay amount {amount!s}: more than two decimals "
            "(satang are the smallest unit)",
            amount,
        )
    if rounded is None or not (0 < rounded <= MAX_AMOUNT):
        raise PromptPayError(
            "promptpay.invalid_amount",
            f"invalid promptpay amount {amount!s}: expected more than 0.00 "
            f"and at most {MAX_AMOUNT:,} baht",
            amount,
        )
    return f"{rounded:.2f}"


def _target_value(kind: PromptPayKind, digits: str) -> str:
    lengths = {PromptPayKind.MOBILE: 10, PromptPayKind.NATIONAL_ID: 13, PromptPayKind.EWALLET: 15}
    ok = len(digits) == lengths[kind] and digits.isascii() and digits.isdigit()
    if kind is PromptPayKind.MOBILE:
        ok = ok and digits.startswith("0")
    if not ok:
        raise PromptPayError(
            "promptpay.invalid_id",
            f"invalid promptpay {kind} {digits!r}: expected {lengths[kind]} digits"
            + (" starting with 0" if kind is PromptPayKind.MOBILE else ""),
            digits,
        )
    if kind is PromptPayKind.MOBILE:
        # 0812345678 → 66812345678 → 0066812345678: country code, left-padded to 13.
        return ("66" + digits[1:]).rjust(13, "0")
    return digits


def build_promptpay_payload(kind: PromptPayKind, digits: str, amount: Decimal | None = None) -> str:
    """Encode a normalised target (as :func:`normalize_promptpay_id` returns it) as a payload.

    Only the shape is checked — a mobile is 10 digits starting with 0, a national ID 13
    digits, an e-wallet ID 15 digits — not the mobile prefix or the ID's check digit.
    Amount rules are those of :func:`promptpay_payload`.

    Raises:
        PromptPayError: ``promptpay.invalid_id`` or ``promptpay.invalid_amount``.
        TypeError: if ``amount`` is neither a Decimal nor None.
    """
    target = _target_value(kind, digits)
    amount_text = None if amount is None else _format_amount(amount)
    body = "".join(
        [
            _field("00", "01"),
            _field("01", "11" if amount_text is None else "12"),
            _field("29", _field("00", _GUID_PROMPTPAY) + _field(kind.tag, target)),
            _field("58", "TH"),
            _field("53", "764"),
            "" if amount_text is None else _field("54", amount_text),
            "6304",
        ]
    )
    return f"{body}{crc16_ccitt_false(body.encode('ascii')):04X}"


def promptpay_payload(target: str, amount: Decimal | None = None) -> str:
    """Return the PromptPay QR payload that pays ``target``, optionally a fixed ``amount``.

    ``target`` is what a person typed: see :func:`normalize_promptpay_id`. Without an amount
    the QR is static (``010211``: the buyer types the amount); with one it is dynamic
    (``010212``) and carries the amount, in baht and satang, written ``%.2f``. The
    payload ends in ``6304`` and its CRC-16/CCITT-FALSE as 4 upper-case hex digits.

    Raises:
        PromptPayError: ``promptpay.invalid_id`` / ``promptpay.invalid_check_digit`` for a
            bad target; ``promptpay.invalid_amount`` if the amount has more than two decimals
            (as everywhere money is typed), is not more than 0.00 and at most 9,999,999.99,
            or is NaN or infinite.
        TypeError: if ``amount`` is neither a Decimal nor None (a float is refused: money
            never goes through float).
    """
    kind, digits = normalize_promptpay_id(target)
    return build_promptpay_payload(kind, digits, amount)


def promptpay_qr_png(payload: str, box_size: int = 8) -> bytes:
    """Render ``payload`` as a QR code PNG (error correction M, 4-module quiet zone).

    ``box_size`` is the size of one module in pixels. The smallest QR version that holds the
    payload is used; a PromptPay payload fits in version 4 or 5.

    Raises:
        PromptPayError: ``promptpay.invalid_payload`` if ``payload`` does not end in a valid
            CRC (see :func:`has_valid_crc`): a QR that no banking app would accept is never
            drawn.
        ValueError: if ``box_size`` is less than 1.
    """
    # qrcode and Pillow load only when a picture is made (they slow the app's start).
    import qrcode
    import qrcode.constants
    from qrcode.image.pil import PilImage

    if not has_valid_crc(payload):
        raise PromptPayError(
            "promptpay.invalid_payload",
            f"invalid promptpay payload {payload!r}: expected one ending in 6304 and its crc",
            payload,
        )
    if box_size < 1:
        raise ValueError(f"box_size must be at least 1, got {box_size}")
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=box_size,
        border=4,
        image_factory=PilImage,
    )
    qr.add_data(payload)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image().save(buffer)
    return buffer.getvalue()


def write_promptpay_qr_png(payload: str, path: str | os.PathLike[str], box_size: int = 8) -> None:
    """Write the QR PNG of ``payload`` (see :func:`promptpay_qr_png`) to ``path``.

    The file is written next to its destination and renamed into place, so a reader never
    sees half an image and an existing file is replaced only by a complete one.

    Raises:
        PromptPayError, ValueError: as :func:`promptpay_qr_png`.
        OSError: if the file cannot be written (the directory is missing, the disk is full).
    """
    atomic_write_bytes(path, promptpay_qr_png(payload, box_size))


# The Thai QR Payment look (the standard's navy header band over the code).
CARD_NAVY = (14, 61, 100)
CARD_WIDTH = 560


def _card_font(size: int, bold: bool = False) -> FreeTypeFont:
    """Sarabun (the font the app ships for Thai), laid out by Raqm so tone marks sit right."""
    from pathlib import Path

    import fontpkg_sarabun
    from PIL import ImageFont

    name = "Sarabun-Bold.ttf" if bold else "Sarabun-Regular.ttf"
    path = Path(fontpkg_sarabun.__file__).parent / "files" / name
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.RAQM)


def promptpay_card_png(payload: str, shop: str, amount_satang: int | None = None) -> bytes:
    """The QR of ``payload`` on a Thai QR Payment card: the navy "THAI QR PAYMENT" band, the
    code, the shop's name and, for a fixed amount, the amount — what a shopper expects to scan
    (the bot sends it in the chat; the counter shows it). Raises as :func:`promptpay_qr_png`."""
    from PIL import Image, ImageDraw

    code = Image.open(io.BytesIO(promptpay_qr_png(payload, box_size=9))).convert("RGB")
    side = min(code.width, CARD_WIDTH - 80)
    code = code.resize((side, side), Image.Resampling.NEAREST)
    band, below = 78, 130 if amount_satang is not None else 86
    card = Image.new("RGB", (CARD_WIDTH, band + side + below), "white")
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, CARD_WIDTH, band), fill=CARD_NAVY)
    draw.text((CARD_WIDTH // 2, band // 2), "THAI QR PAYMENT", fill="white",
              font=_card_font(30, bold=True), anchor="mm")  # fmt: skip
    card.paste(code, ((CARD_WIDTH - side) // 2, band))
    y = band + side + 18
    draw.text((CARD_WIDTH // 2, y), "PromptPay · พร้อมเพย์", fill=CARD_NAVY,
              font=_card_font(22), anchor="mt")  # fmt: skip
    draw.text((CARD_WIDTH // 2, y + 34), shop[:40], fill=(31, 41, 51),
              font=_card_font(26, bold=True), anchor="mt")  # fmt: skip
    if amount_satang is not None:
        draw.text((CARD_WIDTH // 2, y + 74), format_baht(amount_satang, symbol=True),
                  fill=CARD_NAVY, font=_card_font(34, bold=True), anchor="mt")  # fmt: skip
    draw.rectangle((0, 0, card.width - 1, card.height - 1), outline=(203, 210, 217), width=2)
    buffer = io.BytesIO()
    card.save(buffer, format="PNG")
    return buffer.getvalue()


def write_promptpay_card_png(
    payload: str, path: str | os.PathLike[str], shop: str, amount_satang: int | None = None
) -> None:
    """Write :func:`promptpay_card_png` to ``path`` whole (atomically)."""
    atomic_write_bytes(path, promptpay_card_png(payload, shop, amount_satang))
