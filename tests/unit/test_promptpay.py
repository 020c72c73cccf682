"""PromptPay payloads against public vectors, their CRC, their errors, and the QR image."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minichat_desktop.domain.promptpay import (
    PromptPayError,
    PromptPayKind,
    build_promptpay_payload,
    crc16_ccitt_false,
    has_valid_crc,
    normalize_promptpay_id,
    promptpay_payload,
    promptpay_qr_png,
    write_promptpay_card_png,
    write_promptpay_qr_png,
)
from minichat_desktop.domain.thai import thai_id_check_digit

# Public vectors from github.com/dtinth/promptpay-qr, index.test.js (commit 904f90d5), copied
# verbatim. That library derives the kind from the digit count alone and checks nothing, so
# three of its inputs are not valid here: 1111111111111 and 0123456789012 fail the Thai ID
# check digit and 000-000-0000 is not a Thai mobile number. Those go through the unchecked
# encoder, build_promptpay_payload, and promptpay_payload must refuse them.
VECTORS_VALID = [
    (
        "0801234567",
        None,
        "00020101021129370016A000000677010111011300668012345675802TH530376463046197",
    ),
    (
        "080-123-4567",
        None,
        "00020101021129370016A000000677010111011300668012345675802TH530376463046197",
    ),
    (
        "+66-89-123-4567",
        None,
        "00020101021129370016A000000677010111011300668912345675802TH5303764630429C1",
    ),
    (
        "012345678901234",
        None,
        "00020101021129390016A00000067701011103150123456789012345802TH530376463049781",
    ),
]
# (kind, digits, amount, expected payload, the input as the vector types it, our error code)
VECTORS_UNCHECKED = [
    (
        PromptPayKind.NATIONAL_ID,
        "1111111111111",
        None,
        "00020101021129370016A000000677010111021311111111111115802TH530376463047B5A",
        "1-1111-11111-11-1",
        "promptpay.invalid_check_digit",
    ),
    (
        PromptPayKind.NATIONAL_ID,
        "0123456789012",
        None,
        "00020101021129370016A000000677010111021301234567890125802TH530376463040CBD",
        "0123456789012",
        "promptpay.invalid_check_digit",
    ),
    (
        PromptPayKind.MOBILE,
        "0000000000",
        Decimal("4.22"),
        "00020101021229370016A000000677010111011300660000000005802TH530376454044.226304E469",
        "000-000-0000",
        "promptpay.invalid_id",
    ),
]


@pytest.mark.parametrize(("target", "amount", "expected"), VECTORS_VALID)
def test_public_vectors_with_valid_targets(
    target: str, amount: Decimal | None, expected: str
) -> None:
    """promptpay_payload reproduces dtinth/promptpay-qr for mobile and e-wallet targets."""
    assert promptpay_payload(target, amount) == expected


@pytest.mark.parametrize(
    ("kind", "digits", "amount", "expected", "typed", "code"), VECTORS_UNCHECKED
)
def test_public_vectors_with_unchecked_targets(
    kind: PromptPayKind,
    digits: str,
    amount: Decimal | None,
    expected: str,
    typed: str,
    code: str,
) -> None:
    """The encoder reproduces the remaining vectors; the checked entry point refuses them."""
    assert build_promptpay_payload(kind, digits, amount) == expected
    with pytest.raises(PromptPayError) as info:
        promptpay_payload(typed, amount)
    assert info.value.code == code


def test_crc_check_value() -> None:
    """CRC-16/CCITT-FALSE of "123456789" is 0x29B1 (the catalogue check value)."""
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    assert crc16_ccitt_false(b"") == 0xFFFF


def test_valid_national_id_goes_in_tag_02_and_amount_makes_it_dynamic() -> None:
    """A checked 13-digit ID is tag 02; an amount switches 010211 to 010212 and adds tag 54."""
    payload = promptpay_payload("1-1017-00230-70-8", Decimal("1299.25"))
    fields = parse_tlv(payload)
    assert fields["01"] == "12"
    assert parse_tlv(fields["29"]) == {"00": "A000000677010111", "02": "1101700230708"}
    assert fields["54"] == "1299.25"
    assert list(fields) == ["00", "01", "29", "58", "53", "54", "63"]
    assert has_valid_crc(payload)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("4.22", "4.22"),
        ("100", "100.00"),
        ("1E+2", "100.00"),
        ("0.01", "0.01"),
        ("12.3400", "12.34"),
        ("9999999.99", "9999999.99"),
    ],
)
def test_amount_is_written_with_two_decimals(amount: str, text: str) -> None:
    """Tag 54 holds the amount in baht and satang, as %.2f."""
    assert parse_tlv(promptpay_payload("0812345678", Decimal(amount)))["54"] == text


@pytest.mark.parametrize(
    ("raw", "kind", "digits"),
    [
        ("0812345678", PromptPayKind.MOBILE, "0812345678"),
        ("+66 812345678", PromptPayKind.MOBILE, "0812345678"),
        ("081 234 5678", PromptPayKind.MOBILE, "0812345678"),
        ("66812345678", PromptPayKind.MOBILE, "0812345678"),
        ("1101700230708", PromptPayKind.NATIONAL_ID, "1101700230708"),
        ("0105553000008", PromptPayKind.NATIONAL_ID, "0105553000008"),
        ("๑-๑๐๑๗-๐๐๒๓๐-๗๐-๘", PromptPayKind.NATIONAL_ID, "1101700230708"),
        ("012-345678901234", PromptPayKind.EWALLET, "012345678901234"),
    ],
)
def test_normalize_promptpay_id(raw: str, kind: PromptPayKind, digits: str) -> None:
    """Mobiles come back in 10-digit national form, IDs as their digits."""
    assert normalize_promptpay_id(raw) == (kind, digits)


def test_mobile_forms_give_the_same_payload() -> None:
    """0812345678, +66 812345678 and dashed forms encode as 0066812345678 in tag 01."""
    payloads = {promptpay_payload(t) for t in ["0812345678", "+66 812345678", "081-234-5678"]}
    assert len(payloads) == 1
    assert parse_tlv(parse_tlv(payloads.pop())["29"])["01"] == "0066812345678"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "promptpay.invalid_id"),
        ("hello", "promptpay.invalid_id"),
        ("021234567", "promptpay.invalid_id"),
        ("081234567", "promptpay.invalid_id"),
        ("12345678901234", "promptpay.invalid_id"),
        ("1234567890123456", "promptpay.invalid_id"),
        ("1101700230707", "promptpay.invalid_check_digit"),
    ],
)
def test_bad_targets_raise_with_code_and_name_the_value(raw: str, code: str) -> None:
    """A target that is no mobile, ID or e-wallet ID, or has a wrong check digit, is refused."""
    with pytest.raises(PromptPayError) as info:
        promptpay_payload(raw)
    assert info.value.code == code
    assert info.value.value == raw
    assert repr(raw) in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "amount",
    ["0", "0.00", "-1", "10000000", "1E+40", "NaN", "-Infinity", "sNaN"],
)
def test_bad_amounts_raise_invalid_amount(amount: str) -> None:
    """Zero, negatives, more than 9,999,999.99 and non-numbers are refused."""
    with pytest.raises(PromptPayError) as info:
        promptpay_payload("0812345678", Decimal(amount))
    assert info.value.code == "promptpay.invalid_amount"
    assert amount in str(info.value)
    assert "9,999,999.99" in str(info.value)


@pytest.mark.parametrize("amount", ["0.004", "0.005", "12.345", "12.3449", "9999999.994"])
def test_amounts_with_more_than_two_decimals_are_refused(amount: str) -> None:
    """As everywhere money is typed: satang are the smallest unit, nothing is rounded away."""
    with pytest.raises(PromptPayError) as info:
        promptpay_payload("0812345678", Decimal(amount))
    assert info.value.code == "promptpay.invalid_amount"
    assert f"{amount}: more than two decimals" in str(info.value)


def test_float_amount_is_a_type_error() -> None:
    """Money never goes through float."""
    with pytest.raises(TypeError):
        promptpay_payload("0812345678", 4.22)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "digits"),
    [
        (PromptPayKind.MOBILE, "812345678"),
        (PromptPayKind.MOBILE, "1812345678"),
        (PromptPayKind.NATIONAL_ID, "110170023070"),
        (PromptPayKind.EWALLET, "01234567890123x"),
    ],
)
def test_encoder_checks_the_shape_of_the_target(kind: PromptPayKind, digits: str) -> None:
    """build_promptpay_payload refuses a target of the wrong length or characters."""
    with pytest.raises(PromptPayError) as info:
        build_promptpay_payload(kind, digits)
    assert info.value.code == "promptpay.invalid_id"


# --- properties ----------------------------------------------------------------------------------


@st.composite
def targets(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["mobile", "id", "ewallet"]))
    if kind == "mobile":
        prefix = draw(st.sampled_from(["06", "08", "09"]))
        return prefix + draw(st.from_regex(r"[0-9]{8}", fullmatch=True))
    if kind == "id":
        first12 = draw(st.from_regex(r"[0-9]{12}", fullmatch=True))
        return first12 + str(thai_id_check_digit(first12))
    return draw(st.from_regex(r"[0-9]{15}", fullmatch=True))


amounts = st.none() | st.integers(min_value=1, max_value=999_999_999).map(
    lambda satang: Decimal(satang).scaleb(-2)
)


@given(targets(), amounts)
def test_payload_always_ends_with_its_own_crc(target: str, amount: Decimal | None) -> None:
    """The last field is 6304 + the upper-case CRC of everything up to and including 6304."""
    payload = promptpay_payload(target, amount)
    assert payload[-8:-4] == "6304"
    assert payload[-4:] == f"{crc16_ccitt_false(payload[:-4].encode('ascii')):04X}"
    assert has_valid_crc(payload)
    assert not has_valid_crc(payload[:-1] + ("0" if payload[-1] != "0" else "1"))


@given(targets(), amounts)
def test_amount_and_target_round_trip(target: str, amount: Decimal | None) -> None:
    """Parsing the payload gives back the amount (tag 54) and the normalised target."""
    fields = parse_tlv(promptpay_payload(target, amount))
    if amount is None:
        assert fields["01"] == "11"
        assert "54" not in fields
    else:
        assert fields["01"] == "12"
        assert Decimal(fields["54"]) == amount
        assert fields["54"] == f"{amount:.2f}"
    kind, digits = normalize_promptpay_id(target)
    merchant = parse_tlv(fields["29"])
    assert merchant["00"] == "A000000677010111"
    if kind is PromptPayKind.MOBILE:
        assert merchant["01"] == "0066" + digits[1:]
    else:
        assert merchant[kind.tag] == digits


# --- QR image ------------------------------------------------------------------------------------


def zbar_decode(png: Path) -> str:
    zbarimg = shutil.which("zbarimg")
    assert zbarimg is not None, "zbarimg is required: apt-get install zbar-tools"
    result = subprocess.run(
        [zbarimg, "--raw", "-q", str(png)], capture_output=True, text=True, check=True, timeout=30
    )
    return result.stdout.rstrip("\n")


@pytest.mark.parametrize(
    ("target", "amount"), [("0812345678", None), ("1101700230708", Decimal("1299.25"))]
)
def test_qr_png_decodes_to_the_payload(tmp_path: Path, target: str, amount: Decimal | None) -> None:
    """zbarimg reads back exactly the payload from the written PNG."""
    payload = promptpay_payload(target, amount)
    path = tmp_path / "qr.png"
    write_promptpay_qr_png(payload, path)
    assert path.read_bytes() == promptpay_qr_png(payload)
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert zbar_decode(path) == payload
    assert [p.name for p in tmp_path.iterdir()] == ["qr.png"]


def test_qr_png_size_follows_box_size_and_quiet_zone() -> None:
    """A version-N QR has 17 + 4N modules plus 4 on each side, each box_size pixels wide."""
    from io import BytesIO

    from PIL import Image

    payload = promptpay_payload("0812345678")
    with Image.open(BytesIO(promptpay_qr_png(payload, box_size=3))) as img:
        width, height = img.size
    assert width == height
    modules = width // 3
    assert width % 3 == 0
    assert (modules - 8 - 17) % 4 == 0


def test_qr_png_refuses_a_payload_with_a_bad_crc() -> None:
    """A QR no banking app would accept is never drawn."""
    payload = promptpay_payload("0812345678")
    broken = payload[:-4] + "0000"
    with pytest.raises(PromptPayError) as info:
        promptpay_qr_png(broken)
    assert info.value.code == "promptpay.invalid_payload"
    assert broken in str(info.value)


def test_qr_png_refuses_box_size_below_one() -> None:
    """box_size 0 is a programming error."""
    with pytest.raises(ValueError, match="box_size"):
        promptpay_qr_png(promptpay_payload("0812345678"), box_size=0)


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    """A bad payload raises before anything is written."""
    with pytest.raises(PromptPayError):
        write_promptpay_qr_png("not a payload", tmp_path / "qr.png")
    assert list(tmp_path.iterdir()) == []


# --- helpers -------------------------------------------------------------------------------------


def parse_tlv(data: str) -> dict[str, str]:
    """Split an EMV string into {tag: value}, checking every length is consistent."""
    fields: dict[str, str] = {}
    i = 0
    while i < len(data):
        tag, length = data[i : i + 2], int(data[i + 2 : i + 4])
        value = data[i + 4 : i + 4 + length]
        assert len(value) == length
        assert tag not in fields
        fields[tag] = value
        i += 4 + length
    return fields


def test_the_thai_qr_payment_card_scans_to_the_same_payload(tmp_path: Path) -> None:
    """The card a shopper scans (navy band, code, shop, amount) still reads as the exact
    payload, read by a real decoder from the PNG written to disk."""
    import zxingcpp
    from PIL import Image

    payload = promptpay_payload("0812345678", Decimal("1040.50"))
    path = tmp_path / "card.png"
    write_promptpay_card_png(payload, path, "ร้านมินิแชท เซเลกต์", 104_050)
    with Image.open(path) as card:
        assert card.width == 560 and card.height > card.width
        assert card.getpixel((5, 5)) == (14, 61, 100)  # the Thai QR Payment band
        assert [r.text for r in zxingcpp.read_barcodes(card)] == [payload]
