"""Thai formats: IDs, phones, postcodes, S10 tracking numbers, baht amounts and bahttext."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minichat_desktop.domain.thai import (
    ThaiFormatError,
    bahttext,
    chat_baht,
    decimal_to_satang,
    format_baht,
    is_valid_postcode,
    is_valid_s10,
    is_valid_thai_id,
    normalize_phone,
    normalize_thai_mobile,
    parse_baht,
    s10_check_digit,
    satang_to_decimal,
    thai_digits_to_arabic,
    thai_id_check_digit,
    validate_tax_id,
)

# --- Thai digits --------------------------------------------------------------------------------


def test_thai_digits_become_ascii_and_nothing_else_changes() -> None:
    """Each of ๐–๙ maps to 0–9; letters, ASCII digits and punctuation are untouched."""
    assert thai_digits_to_arabic("๐๑๒๓๔๕๖๗๘๙") == "0123456789"
    assert thai_digits_to_arabic("ราคา ๑,๒๕๐ บาท (x9)") == "ราคา 1,250 บาท (x9)"


# --- national ID / tax ID -----------------------------------------------------------------------

# Check digits worked by hand: 1101700230708 — 1·13+1·12+0·11+1·10+7·9+0·8+0·7+2·6+3·5+0·4
# +7·3+0·2 = 146, 146 mod 11 = 3, (11−3) mod 10 = 8. 1234567890121 — the sum is 352 = 32·11,
# r = 0 and (11−0) mod 10 = 1: the mod-10 edge.


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("1101700230708", "1101700230708"),
        ("1-1017-00230-70-8", "1101700230708"),
        (" 1 1017 00230 70 8 ", "1101700230708"),
        ("๑๑๐๑๗๐๐๒๓๐๗๐๘", "1101700230708"),
        ("1234567890121", "1234567890121"),
        ("0105553000008", "0105553000008"),
    ],
)
def test_valid_tax_ids_normalise_to_13_digits(raw: str, digits: str) -> None:
    """Dashes, spaces and Thai digits are accepted; the result is 13 ASCII digits."""
    assert validate_tax_id(raw) == digits
    assert is_valid_thai_id(raw)


def test_check_digit_follows_weights_13_to_2() -> None:
    """The hand-worked examples give 8 and 1 (the (11 − 0) mod 10 case)."""
    assert thai_id_check_digit("110170023070") == 8
    assert thai_id_check_digit("123456789012") == 1


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1101700230707", "tax_id.invalid_check_digit"),
        ("1111111111111", "tax_id.invalid_check_digit"),
        ("110170023070", "tax_id.invalid_format"),
        ("11017002307080", "tax_id.invalid_format"),
        ("11017OO230708", "tax_id.invalid_format"),
        ("", "tax_id.invalid_format"),
        ("１１０１７００２３０７０８", "tax_id.invalid_format"),  # full-width digits
    ],
)
def test_bad_tax_ids_raise_with_code(raw: str, code: str) -> None:
    """A wrong length or character is a format error; a wrong last digit a check-digit error."""
    with pytest.raises(ThaiFormatError) as info:
        validate_tax_id(raw)
    assert info.value.code == code
    assert info.value.value == raw
    assert repr(raw) in str(info.value)
    assert not is_valid_thai_id(raw)


def test_check_digit_input_must_be_12_digits() -> None:
    """thai_id_check_digit refuses anything but 12 ASCII digits."""
    with pytest.raises(ThaiFormatError) as info:
        thai_id_check_digit("12345")
    assert info.value.code == "tax_id.invalid_format"


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_appending_the_check_digit_makes_a_valid_id(first12: str) -> None:
    """Every 12 digits plus their check digit is valid, and any other last digit is not."""
    check = thai_id_check_digit(first12)
    assert validate_tax_id(first12 + str(check)) == first12 + str(check)
    for other in set(range(10)) - {check}:
        assert not is_valid_thai_id(first12 + str(other))


# --- phones and postcodes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "0812345678",
        "081-234-5678",
        "081 234 5678",
        "+66 81 234 5678",
        "+66812345678",
        "+66-81-234-5678",
        "+66 (0)81 234 5678",
        "66812345678",
        "0066812345678",
        "๐๘๑๒๓๔๕๖๗๘",
    ],
)
def test_mobile_numbers_normalise_to_10_digits(raw: str) -> None:
    """Every common writing of one mobile number gives 0812345678."""
    assert normalize_thai_mobile(raw) == "0812345678"
    assert normalize_phone(raw) == "0812345678"


@pytest.mark.parametrize("prefix", ["06", "08", "09"])
def test_all_mobile_prefixes_are_accepted(prefix: str) -> None:
    """06, 08 and 09 are mobile ranges."""
    assert normalize_thai_mobile(f"{prefix}1234567 8") == f"{prefix}12345678"


@pytest.mark.parametrize(
    "raw",
    [
        "02-123-4567",
        "021234567",
        "0712345678",
        "081234567",
        "08123456789",
        "1812345678",
        "+1 812 345 6789",
        "",
    ],
)
def test_non_mobile_numbers_are_refused(raw: str) -> None:
    """Landlines, wrong lengths, other countries and empty input are not Thai mobiles."""
    with pytest.raises(ThaiFormatError) as info:
        normalize_thai_mobile(raw)
    assert info.value.code == "phone.invalid_mobile"
    assert repr(raw) in str(info.value)


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("02-123-4567", "021234567"),
        ("+66 2 123 4567", "021234567"),
        ("053 123 456", "053123456"),
        ("074-123-456", "074123456"),
        ("09-1234-5678", "0912345678"),
    ],
)
def test_any_thai_number_normalises_to_national_digits(raw: str, digits: str) -> None:
    """Landlines give 9 digits, mobiles 10, both with the leading 0."""
    assert normalize_phone(raw) == digits


@pytest.mark.parametrize(
    "raw", ["1175", "0212345678", "061234567", "12-345-6789", "1812345678", "abc", ""]
)
def test_invalid_phone_numbers_are_refused(raw: str) -> None:
    """Short codes, wrong lengths for the prefix and non-numbers raise phone.invalid."""
    with pytest.raises(ThaiFormatError) as info:
        normalize_phone(raw)
    assert info.value.code == "phone.invalid"


@pytest.mark.parametrize(
    ("postcode", "valid"),
    [
        ("10110", True),
        ("96000", True),
        (" 50200 ", True),
        ("๑๐๑๑๐", True),
        ("09999", False),
        ("97000", False),
        ("1011", False),
        ("101100", False),
        ("1011a", False),
    ],
)
def test_postcodes_are_5_digits_from_10_to_96(postcode: str, valid: bool) -> None:
    """The first two digits name a province: 10 (Bangkok) to 96 (Narathiwat)."""
    assert is_valid_postcode(postcode) is valid


# --- UPU S10 -------------------------------------------------------------------------------------

# Worked by hand with weights 8,6,4,2,3,5,9,7:
# 47312482: 32+42+12+2+6+20+72+14 = 200, r = 2, check 9 (the UPU/Wikipedia example AA473124829GB)
# 12345678: 8+12+12+8+15+30+63+56 = 204, r = 6, check 5
# 00000000: sum 0, r = 0, 11 → 5
# 00300000: 3·4 = 12, r = 1, 10 → 0
# 00000003: 3·7 = 21, r = 10, check 1


@pytest.mark.parametrize(
    ("serial", "check"),
    [("47312482", 9), ("12345678", 5), ("00000000", 5), ("00300000", 0), ("00000003", 1)],
)
def test_s10_check_digit_matches_hand_worked_values(serial: str, check: int) -> None:
    """Including the 11 → 5 and 10 → 0 special cases."""
    assert s10_check_digit(serial) == check


@pytest.mark.parametrize(
    "tracking",
    ["AA473124829GB", "EE123456785TH", "ee123456785th", "EE 1234 5678 5 TH", "RB003000000TH"],
)
def test_valid_s10_numbers(tracking: str) -> None:
    """Case and spaces are ignored; any 2-letter country is accepted."""
    assert is_valid_s10(tracking)


@pytest.mark.parametrize(
    "tracking",
    ["EE123456784TH", "EE12345678TH", "E1123456785TH", "EE123456785T", "SHP5012345678", ""],
)
def test_invalid_s10_numbers(tracking: str) -> None:
    """A wrong check digit, length or layout (or another courier's format) is not S10."""
    assert not is_valid_s10(tracking)


@pytest.mark.parametrize("serial", ["1234567", "123456789", "1234567a", "๑๒๓๔๕๖๗๘"])
def test_s10_check_digit_needs_8_ascii_digits(serial: str) -> None:
    """Anything but exactly 8 ASCII digits raises s10.invalid."""
    with pytest.raises(ThaiFormatError) as info:
        s10_check_digit(serial)
    assert info.value.code == "s10.invalid"


@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_s10_with_its_own_check_digit_is_valid(serial: str) -> None:
    """The computed check digit validates, and every other digit does not."""
    check = s10_check_digit(serial)
    assert 0 <= check <= 9
    assert is_valid_s10(f"EE{serial}{check}TH")
    for other in set(range(10)) - {check}:
        assert not is_valid_s10(f"EE{serial}{other}TH")


# --- money ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "satang"),
    [
        ("1,250.00", 125000),
        ("1250", 125000),
        ("฿1,250.5", 125050),
        ("๑,๒๕๐", 125000),
        (" 99.99 ", 9999),
        ("1,250 บาท", 125000),
        ("0", 0),
        ("0.01", 1),
        (".5", 50),
        ("1,234,567.89", 123456789),
    ],
)
def test_parse_baht_reads_common_writings(text: str, satang: int) -> None:
    """Separators, ฿, บาท, Thai digits and whitespace are accepted; the result is satang."""
    assert parse_baht(text) == satang


@pytest.mark.parametrize(("text", "satang"), [("-5", -500), ("-฿1,250.50", -125050), ("฿-5", -500)])
def test_parse_baht_reads_negatives_when_allowed(text: str, satang: int) -> None:
    """allow_negative=True accepts a minus before or after ฿."""
    assert parse_baht(text, allow_negative=True) == satang


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("-5", "money.negative"),
        ("-฿0.01", "money.negative"),
        ("1.005", "money.too_many_decimals"),
        ("1.234", "money.too_many_decimals"),
        ("", "money.invalid"),
        ("abc", "money.invalid"),
        ("1,25", "money.invalid"),
        ("12,34.00", "money.invalid"),
        ("1.2.3", "money.invalid"),
        ("1.", "money.invalid"),
        ("฿", "money.invalid"),
        ("--5", "money.invalid"),
        ("1e3", "money.invalid"),
        ("1 250", "money.invalid"),
        ("NaN", "money.invalid"),
    ],
)
def test_parse_baht_refuses_with_code_naming_the_value(text: str, code: str) -> None:
    """Negatives (by default), a third decimal and garbage raise with their own code."""
    with pytest.raises(ThaiFormatError) as info:
        parse_baht(text)
    assert info.value.code == code
    assert info.value.value == text
    assert repr(text) in str(info.value)


@pytest.mark.parametrize(
    ("satang", "symbol", "text"),
    [
        (125000, False, "1,250.00"),
        (125000, True, "฿1,250.00"),
        (0, False, "0.00"),
        (5, False, "0.05"),
        (-500, True, "-฿5.00"),
        (123456789, False, "1,234,567.89"),
    ],
)
def test_format_baht(satang: int, symbol: bool, text: str) -> None:
    """Thousands separators, always two decimals, ฿ only on request, minus first."""
    assert format_baht(satang, symbol=symbol) == text


@given(st.integers(min_value=-(10**15), max_value=10**15), st.booleans())
def test_format_then_parse_round_trips(satang: int, symbol: bool) -> None:
    """parse_baht reads back whatever format_baht writes."""
    assert parse_baht(format_baht(satang, symbol=symbol), allow_negative=True) == satang


@pytest.mark.parametrize(
    ("satang", "options", "text"),
    [
        (125000, {"grouping": False}, "1250.00"),
        (-125005, {"grouping": False}, "-1250.05"),
        (123456789, {"symbol": True, "grouping": False}, "฿1234567.89"),
        (500, {"symbol": True, "plus": True}, "+฿5.00"),
        (-500, {"symbol": True, "plus": True}, "-฿5.00"),
        (0, {"symbol": True, "plus": True}, "฿0.00"),
        (129000, {"symbol": True, "trim_zero": True}, "฿1,290"),
        (129050, {"symbol": True, "trim_zero": True}, "฿1,290.50"),
        (129005, {"trim_zero": True}, "1,290.05"),
        (0, {"trim_zero": True}, "0"),
        (-100, {"trim_zero": True}, "-1"),
    ],
)
def test_format_baht_options(satang: int, options: dict[str, bool], text: str) -> None:
    """No separators for files, + for a positive difference, no .00 on whole baht in chat."""
    assert format_baht(satang, **options) == text


@given(st.integers(min_value=-(10**24), max_value=10**24), st.booleans(), st.booleans())
def test_format_baht_is_exact_without_grouping(satang: int, symbol: bool, trim: bool) -> None:
    """Whatever the amount, the text is exactly satang / 100 (no float on the way), and
    parse_baht reads it back."""
    text = format_baht(satang, symbol=symbol, grouping=False, trim_zero=trim)
    assert Decimal(text.replace("฿", "")) == Decimal(satang) / 100
    assert parse_baht(text, allow_negative=True) == satang


def test_satang_to_decimal_ignores_a_low_context_precision() -> None:
    """A caller's narrow decimal context does not round the amount."""
    with localcontext() as ctx:
        ctx.prec = 3
        assert satang_to_decimal(123456789) == Decimal("1234567.89")
        assert str(satang_to_decimal(-5)) == "-0.05"


@given(st.integers(min_value=-(10**30), max_value=10**30))
def test_satang_decimal_round_trip(satang: int) -> None:
    """satang → Decimal → satang is exact, however large, and the Decimal has two places."""
    d = satang_to_decimal(satang)
    assert d.as_tuple().exponent == -2
    assert decimal_to_satang(d) == satang


@pytest.mark.parametrize(
    ("amount", "satang"),
    [
        ("12.345", 1235),
        ("12.344", 1234),
        ("-12.345", -1235),
        ("0.005", 1),
        ("-0.004", 0),
        ("1E+3", 100000),
    ],
)
def test_decimal_to_satang_rounds_half_up(amount: str, satang: int) -> None:
    """Half a satang rounds away from zero."""
    assert decimal_to_satang(Decimal(amount)) == satang


def test_money_functions_refuse_floats_and_non_numbers() -> None:
    """A float is a programming error (TypeError); NaN is money.invalid."""
    with pytest.raises(TypeError):
        decimal_to_satang(12.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        satang_to_decimal(True)
    with pytest.raises(TypeError):
        format_baht(1.0)  # type: ignore[arg-type]
    with pytest.raises(ThaiFormatError) as info:
        decimal_to_satang(Decimal("NaN"))
    assert info.value.code == "money.invalid"


# --- bahttext ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("21", "ยี่สิบเอ็ดบาทถ้วน"),
        ("1299.25", "หนึ่งพันสองร้อยเก้าสิบเก้าบาทยี่สิบห้าสตางค์"),
        ("0", "ศูนย์บาทถ้วน"),
        ("0.00", "ศูนย์บาทถ้วน"),
        ("0.004", "ศูนย์บาทถ้วน"),
        ("-0.004", "ศูนย์บาทถ้วน"),
        ("-21", "ลบยี่สิบเอ็ดบาทถ้วน"),
        ("1", "หนึ่งบาทถ้วน"),
        ("10", "สิบบาทถ้วน"),
        ("11", "สิบเอ็ดบาทถ้วน"),
        ("20", "ยี่สิบบาทถ้วน"),
        ("101", "หนึ่งร้อยเอ็ดบาทถ้วน"),
        ("111", "หนึ่งร้อยสิบเอ็ดบาทถ้วน"),
        ("0.16", "สิบหกสตางค์"),
        ("0.01", "หนึ่งสตางค์"),
        ("0.11", "สิบเอ็ดสตางค์"),
        ("0.21", "ยี่สิบเอ็ดสตางค์"),
        ("0.005", "หนึ่งสตางค์"),
        ("-0.005", "ลบหนึ่งสตางค์"),
        ("1.01", "หนึ่งบาทหนึ่งสตางค์"),
        ("1.5", "หนึ่งบาทห้าสิบสตางค์"),
        ("1000000", "หนึ่งล้านบาทถ้วน"),
        ("1000001", "หนึ่งล้านเอ็ดบาทถ้วน"),
        ("11000000", "สิบเอ็ดล้านบาทถ้วน"),
        ("21000021", "ยี่สิบเอ็ดล้านยี่สิบเอ็ดบาทถ้วน"),
        ("1000000000000", "หนึ่งล้านล้านบาทถ้วน"),
        ("1000000000001", "หนึ่งล้านล้านเอ็ดบาทถ้วน"),
        ("2500000000000", "สองล้านห้าแสนล้านบาทถ้วน"),
        ("12345678.9", "สิบสองล้านสามแสนสี่หมื่นห้าพันหกร้อยเจ็ดสิบแปดบาทเก้าสิบสตางค์"),
        ("999999.99", "เก้าแสนเก้าหมื่นเก้าพันเก้าร้อยเก้าสิบเก้าบาทเก้าสิบเก้าสตางค์"),
        ("1.995", "สองบาทถ้วน"),
    ],
)
def test_bahttext_fixed_cases(amount: str, words: str) -> None:
    """The documented choices: เอ็ด after any higher digit, no ศูนย์บาท before satang, ล้านล้าน."""
    assert bahttext(Decimal(amount)) == words


def test_bahttext_refuses_ints_floats_and_nan() -> None:
    """An int (baht or satang?) and a float are TypeErrors; NaN is money.invalid."""
    with pytest.raises(TypeError):
        bahttext(21)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        bahttext(21.0)  # type: ignore[arg-type]
    with pytest.raises(ThaiFormatError) as info:
        bahttext(Decimal("Infinity"))
    assert info.value.code == "money.invalid"


@given(st.integers(min_value=-(10**20), max_value=10**20))
def test_bahttext_is_never_empty_and_ends_properly(satang: int) -> None:
    """ถ้วน exactly when there are no satang, otherwise สตางค์; ลบ exactly for negatives."""
    words = bahttext(satang_to_decimal(satang))
    assert words
    if satang % 100 == 0:
        assert words.endswith("บาทถ้วน")
    else:
        assert words.endswith("สตางค์")
        assert "ถ้วน" not in words
    assert words.startswith("ลบ") is (satang < 0)
    assert ("บาท" in words) is (abs(satang) >= 100 or satang == 0)
    assert "หนึ่งหนึ่ง" not in words
    assert "ศูนย์" not in words or satang == 0


def test_format_when_is_the_one_way_a_time_reads() -> None:
    """Thai: Buddhist era and Thai month abbreviations; English: Christian era; Bangkok time
    (16:59 UTC on 31 Dec is 23:59 in Bangkok, 17:00 UTC is already next year); lists drop this
    year and, for today, the date."""
    import datetime as dt

    from minichat_desktop.domain.thai import format_when

    t = dt.datetime(2026, 12, 6, 7, 5, tzinfo=dt.UTC)
    assert format_when(t) == "6 ธ.ค. 2569 14:05"
    assert format_when(t, "en") == "6 Dec 2026 14:05"
    assert format_when(t, time=False) == "6 ธ.ค. 2569"
    assert format_when(dt.date(2026, 3, 1), "th") == "1 มี.ค. 2569"
    today = dt.date(2026, 12, 6)
    assert format_when(t, short=True, today=today) == "14:05"
    assert format_when(t, short=True, today=dt.date(2026, 12, 7)) == "6 ธ.ค. 14:05"
    assert format_when(t, "en", short=True, today=dt.date(2027, 1, 2)) == "6 Dec 2026 14:05"
    eve = dt.datetime(2026, 12, 31, 16, 59, tzinfo=dt.UTC)
    assert format_when(eve) == "31 ธ.ค. 2569 23:59"
    assert format_when(eve + dt.timedelta(minutes=1)) == "1 ม.ค. 2570 00:00"
    assert format_when(None) == "–"
    with pytest.raises(ValueError):
        format_when(dt.datetime(2026, 1, 1, 12, 0))


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("0812345678", "081-234-5678"),
        ("081 234 5678", "081-234-5678"),
        ("021234567", "02-123-4567"),
        ("053123456", "053-123-456"),
        ("+66812345678", "081-234-5678"),
        ("+66 2 123 4567", "02-123-4567"),
        ("12345", "12345"),  # not a Thai number: as given
        ("", ""),
    ],
)
def test_phone_numbers_are_grouped_for_reading(raw: str, shown: str) -> None:
    from minichat_desktop.domain.thai import format_phone

    assert format_phone(raw) == shown


@pytest.mark.parametrize(
    ("satang", "written"),
    [(25900, "฿259"), (129050, "฿1,290.50"), (100000000, "฿1,000,000"), (5, "฿0.05"), (0, "฿0")],
)
def test_chat_money_reads_like_a_shop_writes_it(satang: int, written: str) -> None:
    """In a chat the symbol comes first and whole baht drop .00 (issue 16 item 3)."""
    assert chat_baht(satang) == written
