"""Payment slips checked offline: the slip-verification QR parsed (published vectors, CRC,
round trip, mangled input), told apart from other QRs, recorded on the order with reuse across
orders flagged, and the online check's answer stored."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.models import Channel, OrderStatus, SlipCheck
from minichat_desktop.domain.payments import slips
from minichat_desktop.domain.payments.slips import QrKind, SlipQrError
from minichat_desktop.domain.promptpay import promptpay_payload
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.errors import NotFound
from minichat_desktop.storage.db import Database

# maythiwat/promptparse src/index.test.ts ("Generate Slip Verify", "Validate Slip Verify").
BBL = "004000060000010103002021900021231231212000115102TH91049C30"
SCB = "004100060000010103014022000111222233344ABCD125102TH910417DF"
KBANK = slips.build_slip_qr("004", "016340141523ATF05798")
AT = dt.datetime(2026, 12, 6, 7, 5, tzinfo=dt.UTC)


# ---------------------------------------------------------------------------- parsing


def test_published_vectors_parse_to_their_bank_and_reference() -> None:
    """The two payloads promptparse's tests publish read back as its tests say."""
    bbl = slips.parse_slip_qr(BBL)
    assert (bbl.bank_code, bbl.trans_ref, bbl.bank_name_th, bbl.bank_name_en) == (
        "002",
        "0002123123121200011",
        "กรุงเทพ",
        "BBL",
    )
    scb = slips.parse_slip_qr(SCB)
    assert (scb.bank_code, scb.trans_ref, scb.bank_name_en) == (
        "014",
        "00111222233344ABCD12",
        "SCB",
    )


def test_build_gives_the_published_payload() -> None:
    """Building bank 002's transfer gives byte for byte the published payload."""
    assert slips.build_slip_qr("002", "0002123123121200011") == BBL


def test_a_broken_crc_is_refused_with_its_code() -> None:
    """One character of the CRC changed (an edited slip): slip_qr.crc."""
    with pytest.raises(SlipQrError) as err:
        slips.parse_slip_qr(BBL[:-1] + "1")
    assert err.value.code == "slip_qr.crc"
    with pytest.raises(SlipQrError) as err:  # the reference edited, CRC left as it was
        slips.parse_slip_qr(BBL.replace("0002123123121200011", "0002123123121200012"))
    assert err.value.code == "slip_qr.crc"


def test_the_example_in_the_brief_has_a_wrong_crc() -> None:
    """The payload quoted in our brief ends in E3F6 but its CRC is 34DF: refused; with the
    right CRC it reads as KBank's."""
    quoted = "0041000600000101030040220014242082547BPM049885102TH9104E3F6"
    with pytest.raises(SlipQrError) as err:
        slips.parse_slip_qr(quoted)
    assert err.value.code == "slip_qr.crc"
    fixed = slips.parse_slip_qr(quoted[:-4] + "34DF")
    assert (fixed.bank_code, fixed.trans_ref, fixed.bank_name_th) == (
        "004",
        "014242082547BPM04988",
        "กสิกรไทย",
    )


def test_a_crc_that_lost_its_leading_zero_still_reads() -> None:
    """Some bank apps drop the CRC's leading zeros; a 3-digit tail is padded back."""
    payload = next(
        p
        for p in (slips.build_slip_qr("014", f"REF{n:08d}") for n in range(10_000))
        if p[-4] == "0"
    )
    assert slips.parse_slip_qr(payload[:-4] + payload[-3:]).trans_ref.startswith("REF")


def test_a_promptpay_payment_qr_is_not_a_slip() -> None:
    """The shop's own PromptPay QR forwarded back: not_slip, never an exception to callers."""
    qr = promptpay_payload("0812345678")
    with pytest.raises(SlipQrError) as err:
        slips.parse_slip_qr(qr)
    assert err.value.code == "slip_qr.not_slip"
    reading = slips.classify([qr])
    assert (reading.kind, reading.slip, reading.payload, reading.problem) == (
        QrKind.NOT_SLIP,
        None,
        qr,
        "slip_qr.not_slip",
    )


def test_classify_prefers_the_slip_among_several_qrs_and_tells_none() -> None:
    """A picture with a URL QR and a slip QR reads as the slip; no QR reads as none."""
    reading = slips.classify(["https://example.com/app", SCB])
    assert reading.kind == QrKind.SLIP and reading.slip is not None
    assert reading.slip.trans_ref == "00111222233344ABCD12"
    assert slips.classify([]).kind == QrKind.NONE
    assert slips.classify(["hello"]).problem == "slip_qr.malformed"


refs = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=60
).filter(lambda s: s.strip() == s)


@given(bank=st.sampled_from(sorted(slips.BANKS)), ref=refs)
@settings(max_examples=300, deadline=None)
def test_build_then_parse_round_trips(bank: str, ref: str) -> None:
    """Any bank and printable reference: parse(build(x)) gives x back."""
    got = slips.parse_slip_qr(slips.build_slip_qr(bank, ref))
    assert (got.bank_code, got.trans_ref) == (bank, ref)


@given(
    base=st.sampled_from([BBL, SCB, KBANK, promptpay_payload("0812345678")]),
    cut=st.integers(0, 80),
    insert=st.text(max_size=6),
    drop=st.integers(0, 6),
)
@settings(max_examples=500, deadline=None)
def test_mangled_payloads_raise_only_the_parse_error(
    base: str, cut: int, insert: str, drop: int
) -> None:
    """Characters inserted or removed anywhere: a parse, or SlipQrError — nothing else."""
    mangled = base[:cut] + insert + base[cut + drop :]
    try:
        got = slips.parse_slip_qr(mangled)
    except SlipQrError as exc:
        assert exc.code in ("slip_qr.malformed", "slip_qr.crc", "slip_qr.not_slip")
    else:
        assert got.bank_code.isdigit() and len(got.bank_code) == 3


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_any_text_raises_only_the_parse_error(text: str) -> None:
    """Arbitrary text (Thai, control characters, digits) never raises anything else."""
    try:
        got = slips.parse_slip_qr(text)
    except SlipQrError as exc:
        assert exc.code in ("slip_qr.malformed", "slip_qr.crc", "slip_qr.not_slip")
    else:
        assert isinstance(got, slips.SlipQr)


# ---------------------------------------------------------------------------- stored slips


def _shop(db: Database) -> None:
    with db.write() as s:
        shop.ensure_defaults(s)
        catalog.save_product(
            s, ProductInput(sku="P1", name_th="สินค้า", price_satang=104000, stock=20), "owner"
        )


def _order(db: Database) -> orders.OrderView:
    with db.write() as s:
        return orders.place_order(
            s, NewOrder(channel=Channel.LINE, lines=[LineInput(quantity=1, sku="P1")]), "bot"
        )


def _attach(db: Database, order_id: int, payloads: tuple[str, ...], sha: str) -> orders.OrderView:
    with db.write() as s:
        return orders.attach_slip(
            s, order_id, f"media/slips/{sha}.jpg", "bot", sha256=sha, payloads=payloads
        )


def test_a_read_slip_is_recorded_and_the_order_view_carries_it(db: Database) -> None:
    """attach_slip stores the slip with its bank and reference; the order's view shows it."""
    _shop(db)
    o = _order(db)
    view = _attach(db, o.id, (KBANK,), "a" * 64)
    check = view.slip_check
    assert check is not None
    assert (check.check, check.bank_code, check.trans_ref, check.bank_name_th) == (
        SlipCheck.READ,
        "004",
        "016340141523ATF05798",
        "กสิกรไทย",
    )
    assert (check.path, check.sha256, check.qr_payload, check.verify_status) == (
        f"media/slips/{'a' * 64}.jpg",
        "a" * 64,
        KBANK,
        "",
    )
    assert view.slip_path == check.path
    with db.read() as s:
        assert orders.get_order(s, o.id).slip_check == check


def test_the_same_transfer_on_another_order_is_flagged_with_that_order(db: Database) -> None:
    """A second order given the same transfer (another file: a re-screenshot) is flagged
    reused, naming the first order; the first keeps its clean check."""
    _shop(db)
    first, second = _order(db), _order(db)
    _attach(db, first.id, (KBANK,), "1" * 64)
    view = _attach(db, second.id, (KBANK,), "2" * 64)
    check = view.slip_check
    assert check is not None
    assert (check.check, check.reused_order_id, check.reused_order_number) == (
        SlipCheck.REUSED,
        first.id,
        first.number,
    )
    assert slips.owner_note(check) == (f"⚠ สลิปนี้เคยใช้กับออเดอร์ {first.number} — ตรวจก่อนยืนยัน")
    with db.read() as s:
        again = orders.get_order(s, first.id).slip_check
    assert again is not None and again.check == SlipCheck.READ


def test_the_same_file_twice_for_one_order_is_one_slip_not_reuse(db: Database) -> None:
    """The shopper sends the same picture twice: one slip row, still read."""
    _shop(db)
    o = _order(db)
    one = _attach(db, o.id, (KBANK,), "3" * 64).slip_check
    two = _attach(db, o.id, (KBANK,), "3" * 64).slip_check
    assert one is not None and two is not None
    assert (two.id, two.check) == (one.id, SlipCheck.READ)
    another = _attach(db, o.id, (KBANK,), "4" * 64).slip_check  # a second screenshot
    assert another is not None and another.check == SlipCheck.READ


def test_without_a_qr_the_same_file_on_another_order_is_reuse(db: Database) -> None:
    """No QR: the file's hash is what is compared; another file is not reuse."""
    _shop(db)
    first, second, third = _order(db), _order(db), _order(db)
    assert (c := _attach(db, first.id, (), "5" * 64).slip_check) and c.check == SlipCheck.NO_QR
    reused = _attach(db, second.id, (), "5" * 64).slip_check
    assert reused is not None and (reused.check, reused.reused_order_id) == (
        SlipCheck.REUSED,
        first.id,
    )
    other = _attach(db, third.id, (), "6" * 64).slip_check
    assert other is not None and other.check == SlipCheck.NO_QR


def test_a_cancelled_order_does_not_count_for_reuse(db: Database) -> None:
    """The slip of a cancelled order may go on the order that replaced it."""
    _shop(db)
    first, second = _order(db), _order(db)
    _attach(db, first.id, (SCB,), "7" * 64)
    with db.write() as s:
        orders.change_status(s, first.id, OrderStatus.CANCELLED, "owner", "สั่งใหม่")
    check = _attach(db, second.id, (SCB,), "8" * 64).slip_check
    assert check is not None and check.check == SlipCheck.READ


def test_a_promptpay_qr_and_an_unreadable_picture_are_told_apart(db: Database) -> None:
    """A forwarded PromptPay QR is not_slip (its payload kept); nothing read is no_qr."""
    _shop(db)
    o = _order(db)
    qr = promptpay_payload("0812345678")
    check = _attach(db, o.id, (qr,), "9" * 64).slip_check
    assert check is not None and (check.check, check.qr_payload, check.bank_code) == (
        SlipCheck.NOT_SLIP,
        qr,
        "",
    )
    with db.write() as s:  # the relay URL kept when the picture could not be fetched
        view = orders.attach_slip(s, o.id, "https://relay/media/m1", "bot")
    assert view.slip_check is not None and view.slip_check.check == SlipCheck.NO_QR
    assert slips.owner_note(view.slip_check) == "อ่าน QR บนสลิปไม่ได้ — ตรวจยอดเองก่อนยืนยัน"


def test_record_verification_stores_the_online_answer(db: Database) -> None:
    """The online check's status, note, amount and time land on the slip (UTC), and a later
    answer replaces the earlier; unknown slips and statuses are refused."""
    _shop(db)
    o = _order(db)
    check = _attach(db, o.id, (KBANK,), "b" * 64).slip_check
    assert check is not None
    bangkok = dt.timezone(dt.timedelta(hours=7))
    with db.write() as s:
        slips.record_verification(s, check.id, "error", "timeout", None, AT)
        got = slips.record_verification(
            s, check.id, "passed", " ยอดตรง ", 104000, AT.astimezone(bangkok)
        )
    assert (got.verify_status, got.verify_note, got.verified_amount_satang, got.verified_at) == (
        "passed",
        "ยอดตรง",
        104000,
        AT,
    )
    with db.read() as s:
        assert slips.latest_check(s, o.id) == got
    with db.write() as s, pytest.raises(NotFound) as err:
        slips.record_verification(s, 999, "failed", "", None, AT)
    assert err.value.code == "slip.not_found"
    with db.write() as s, pytest.raises(ValueError):
        slips.record_verification(s, check.id, "maybe", "", None, AT)


def test_reuse_lookup_uses_the_indexes(db: Database) -> None:
    """The reuse checks are index searches, not scans of every slip ever received."""
    from sqlalchemy import text

    with db.read() as s:
        plans = [
            " ".join(
                str(r[-1])
                for r in s.execute(
                    text(f"EXPLAIN QUERY PLAN SELECT order_id FROM payment_slips WHERE {where}")
                )
            )
            for where in ("bank_code = '004' AND trans_ref = 'x'", "sha256 = 'y'")
        ]
    assert "ix_payment_slips_transfer" in plans[0]
    assert "ix_payment_slips_sha256" in plans[1]
