"""Judging an online slip check against its order: amount to the satang, the receiving account
(masked) against the shop's accounts and PromptPay id, the transfer's date, the service's own
duplicate answer — pure rules, no I/O."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from minichat_desktop.domain.payments.verification import (
    Code,
    Match,
    OnlineCheck,
    OrderToPay,
    Outcome,
    ShopTargets,
    judge,
    match_masked,
    receiver_match,
)

UTC = dt.UTC
PLACED = dt.datetime(2026, 12, 6, 7, 0, tzinfo=UTC)  # 14:00 in Bangkok
NOW = dt.datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
ORDER = OrderToPay("MC-2026-000042", 104000, PLACED)
SHOP = ShopTargets(bank_accounts=("123-4-51234-5",), promptpay_id="0812345678")
GOOD = OnlineCheck(
    Outcome.PASSED,
    Code.OK,
    provider="slipok",
    provider_code="ok",
    amount_satang=104000,
    trans_ref="016340141545BOR01234",
    when=dt.datetime(2026, 12, 6, 7, 30, tzinfo=UTC),
    sending_bank="004",
    receiving_bank="014",
    receiver_name="ร้าน มินิแชท",
    receiver_account="xxx-x-x1234-x",
)


def test_a_matching_slip_passes_with_no_reason() -> None:
    verdict = judge(GOOD, ORDER, SHOP, now=NOW)
    assert verdict.outcome is Outcome.PASSED
    assert verdict.passed
    assert verdict.reasons == ()


def test_one_satang_short_fails_with_both_amounts_in_thai_and_english() -> None:
    """฿1,039.99 against ฿1,040.00 is a mismatch, said with both figures."""
    verdict = judge(dataclasses.replace(GOOD, amount_satang=103999), ORDER, SHOP, now=NOW)
    assert verdict.outcome is Outcome.FAILED
    assert [r.code for r in verdict.reasons] == [Code.AMOUNT_MISMATCH]
    assert verdict.reasons[0].th == "ยอดโอน ฿1,039.99 ไม่ตรงกับยอดออเดอร์ ฿1,040.00"
    assert verdict.reasons[0].en == (
        "The transfer of ฿1,039.99 does not match the order total of ฿1,040.00"
    )


def test_a_transfer_to_another_account_fails() -> None:
    check = dataclasses.replace(GOOD, receiver_account="xxx-x-x9999-x")
    verdict = judge(check, ORDER, SHOP, now=NOW)
    assert [r.code for r in verdict.reasons] == [Code.RECEIVER_MISMATCH]
    assert verdict.reasons[0].th == ("บัญชีผู้รับ xxx-x-x9999-x ไม่ใช่บัญชีของร้าน (ตรวจเลขบัญชีในหน้าข้อมูลร้าน)")


def test_promptpay_to_the_shops_phone_matches_in_any_mobile_form() -> None:
    """The PromptPay proxy is compared with the shop's PromptPay id, "66…" read as "0…"."""
    for masked in ("xxx-xxx-5678", "66xxxxx5678", "+66-xx-xxx-5678"):
        check = dataclasses.replace(
            GOOD,
            receiver_account="xxx-x-x5555-x",
            receiver_proxy_type="MSISDN",
            receiver_proxy=masked,
        )
        assert receiver_match(check, SHOP) is Match.MATCH, masked
        assert judge(check, ORDER, SHOP, now=NOW).passed


def test_too_few_visible_digits_leave_the_receiver_unverified() -> None:
    check = dataclasses.replace(GOOD, receiver_account="xxx-x-xxx34-x")
    verdict = judge(check, ORDER, SHOP, now=NOW)
    assert [r.code for r in verdict.reasons] == [Code.RECEIVER_UNVERIFIED]
    assert not verdict.passed


def test_a_shop_with_no_accounts_never_passes() -> None:
    verdict = judge(GOOD, ORDER, ShopTargets(), now=NOW)
    assert [r.code for r in verdict.reasons] == [Code.RECEIVER_MISMATCH]


def test_a_transfer_before_the_order_was_placed_fails_with_both_times() -> None:
    check = dataclasses.replace(GOOD, when=PLACED - dt.timedelta(days=1))
    verdict = judge(check, ORDER, SHOP, now=NOW)
    assert [r.code for r in verdict.reasons] == [Code.BEFORE_ORDER]
    assert verdict.reasons[0].th == (
        "โอนเมื่อ 5 ธ.ค. 2569 14:00 ก่อนสั่งออเดอร์ MC-2026-000042 (6 ธ.ค. 2569 14:00) อาจเป็นสลิปเก่า"
    )


def test_a_transfer_in_the_same_minute_as_the_order_is_not_before_it() -> None:
    """A slip may give the minute only: 14:00 on a slip for an order placed at 14:00:40."""
    order = dataclasses.replace(ORDER, placed_at=PLACED.replace(second=40, microsecond=500_000))
    assert judge(dataclasses.replace(GOOD, when=PLACED), order, SHOP, now=NOW).passed
    earlier = dataclasses.replace(GOOD, when=PLACED - dt.timedelta(seconds=1))
    assert [r.code for r in judge(earlier, order, SHOP, now=NOW).reasons] == [Code.BEFORE_ORDER]


def test_a_transfer_in_the_future_fails_beyond_five_minutes_of_clock_difference() -> None:
    soon = dataclasses.replace(GOOD, when=NOW + dt.timedelta(minutes=4))
    assert judge(soon, ORDER, SHOP, now=NOW).passed
    later = dataclasses.replace(GOOD, when=NOW + dt.timedelta(minutes=6))
    assert [r.code for r in judge(later, ORDER, SHOP, now=NOW).reasons] == [Code.IN_FUTURE]


def test_the_services_duplicate_answer_fails_and_the_slip_data_is_still_judged() -> None:
    """A duplicate with the slip's data: the service's reason first, then the order's own."""
    dup = dataclasses.replace(
        GOOD, outcome=Outcome.FAILED, code=Code.DUPLICATE, amount_satang=100000
    )
    verdict = judge(dup, ORDER, SHOP, now=NOW)
    assert verdict.outcome is Outcome.FAILED
    assert [r.code for r in verdict.reasons] == [Code.DUPLICATE, Code.AMOUNT_MISMATCH]
    assert "016340141545BOR01234" in verdict.reasons[0].th


def test_a_duplicate_of_our_own_earlier_check_of_this_order_is_not_a_reuse() -> None:
    """The service says "duplicate" about a reference this shop already checked for this
    order (a second check, or an answer lost to a timeout): judged as found."""
    dup = dataclasses.replace(GOOD, outcome=Outcome.FAILED, code=Code.DUPLICATE)
    ours = frozenset({"016340141545BOR01234"})
    assert judge(dup, ORDER, SHOP, now=NOW, checked_refs=ours).passed
    other = frozenset({"SOMETHING-ELSE"})
    reasons = judge(dup, ORDER, SHOP, now=NOW, checked_refs=other).reasons
    assert [r.code for r in reasons] == [Code.DUPLICATE]


def test_the_services_amount_answer_is_replaced_by_ours_with_the_figures() -> None:
    wrong = dataclasses.replace(
        GOOD, outcome=Outcome.FAILED, code=Code.AMOUNT_MISMATCH, amount_satang=100000
    )
    reasons = judge(wrong, ORDER, SHOP, now=NOW).reasons
    assert [(r.code, r.th) for r in reasons] == [
        (Code.AMOUNT_MISMATCH, "ยอดโอน ฿1,000.00 ไม่ตรงกับยอดออเดอร์ ฿1,040.00")
    ]


def test_a_check_that_could_not_be_made_is_an_error_saying_what_to_do() -> None:
    err = OnlineCheck(Outcome.ERROR, Code.QUOTA, "easyslip", "quota_exceeded")
    verdict = judge(err, ORDER, SHOP, now=NOW)
    assert verdict.outcome is Outcome.ERROR
    assert [r.code for r in verdict.reasons] == [Code.QUOTA]
    assert verdict.reasons[0].th == ("โควตาตรวจสลิปหมดแล้ว เติมแพ็กเกจที่ผู้ให้บริการ หรือตรวจในแอปธนาคารแทน")


def test_a_check_must_carry_utc() -> None:
    bangkok = dt.timezone(dt.timedelta(hours=7))
    try:
        dataclasses.replace(GOOD, when=dt.datetime(2026, 12, 6, 14, 30, tzinfo=bangkok))
    except ValueError as exc:
        assert str(exc) == "OnlineCheck.when must be aware and in UTC"
    else:  # pragma: no cover - the assertion above is the test
        raise AssertionError("a Bangkok time was accepted")


@given(
    number=st.text(alphabet="0123456789", min_size=10, max_size=15),
    hidden=st.sets(st.integers(min_value=0, max_value=14)),
)
def test_any_mask_of_an_account_matches_it_or_cannot_tell(number: str, hidden: set[int]) -> None:
    """Masking digits of an account never makes it a mismatch of itself."""
    masked = "".join("x" if i in hidden else c for i, c in enumerate(number))
    visible = sum(1 for c in masked if c.isdigit())
    expected = Match.MATCH if visible >= 3 else Match.UNKNOWN
    assert match_masked(masked, number) is expected


@given(number=st.text(alphabet="0123456789", min_size=10, max_size=12), at=st.data())
def test_changing_a_visible_digit_is_a_mismatch(number: str, at: st.DataObject) -> None:
    i = at.draw(st.integers(min_value=0, max_value=len(number) - 1))
    other = str((int(number[i]) + 1) % 10)
    masked = number[:i] + other + number[i + 1 :]
    assert match_masked(masked, number) is Match.NO_MATCH
