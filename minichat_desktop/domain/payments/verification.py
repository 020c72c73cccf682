"""Judging an online slip check against the order it is meant to pay — pure rules, no I/O.

A slip-verification service (SlipOK, EasySlip: :mod:`minichat_desktop.formats.slip_services`)
reads the bank's record of a transfer from the slip's QR payload and answers with an
:class:`OnlineCheck`, the same neutral shape whichever service the owner chose. :func:`judge`
then holds it against the order and the shop:

- the amount equals the order's total to the satang;
- the receiving account is one of the shop's bank accounts, or its PromptPay id. Services send
  accounts masked ("xxx-x-x1234-x", "xxx-xxx-5678"): only the visible digits are compared,
  position by position, and only between strings of the same length (the masks seen in both
  services' documentation keep the account's length). Fewer than three visible digits, or
  lengths that differ, prove nothing: the receiver is then *unverified*, never matched;
- the transfer is not before the order was placed, nor in the future (five minutes of clock
  difference allowed);
- the service did not call the slip a duplicate (already checked before).

Every failure is a :class:`Reason` with a stable code and its Thai and English text, e.g.
"ยอดโอน ฿1,000.00 ไม่ตรงกับยอดออเดอร์ ฿1,040.00". A :class:`Verdict` passes only when the
service found the slip and no reason stands against it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum, StrEnum

from minichat_desktop.domain.thai import format_baht, format_when

FUTURE_GRACE = dt.timedelta(minutes=5)
MIN_VISIBLE_DIGITS = 3


class Outcome(StrEnum):
    PASSED = "passed"  # the service found the transfer
    FAILED = "failed"  # the service looked and found something wrong with the slip
    ERROR = "error"  # the check could not be made (network, key, quota, the service's fault)


class Code(StrEnum):
    """Neutral codes for what a service said (``OnlineCheck.code``) and for what
    :func:`judge` found (``Reason.code``)."""

    OK = "slip.ok"
    DUPLICATE = "slip.duplicate"
    AMOUNT_MISMATCH = "slip.amount_mismatch"
    RECEIVER_MISMATCH = "slip.receiver_mismatch"
    RECEIVER_UNVERIFIED = "slip.receiver_unverified"
    BEFORE_ORDER = "slip.before_order"
    IN_FUTURE = "slip.in_future"
    NO_AMOUNT = "slip.no_amount"
    NO_DATE = "slip.no_date"
    NOT_FOUND = "slip.not_found"
    NOT_A_SLIP = "slip.not_a_slip"
    NOT_SET_UP = "slip.not_set_up"
    NO_KEY = "slip.no_key"
    BAD_KEY = "slip.bad_key"
    BAD_BRANCH = "slip.bad_branch"
    ACCOUNT_BLOCKED = "slip.account_blocked"
    QUOTA = "slip.quota"
    TOO_SOON = "slip.too_soon"
    UNAVAILABLE = "slip.unavailable"
    TIMEOUT = "slip.timeout"
    BAD_ANSWER = "slip.bad_answer"
    BAD_REQUEST = "slip.bad_request"


@dataclass(frozen=True, slots=True)
class OnlineCheck:
    """What a slip-verification service answered, in one shape for every service.

    ``amount_satang`` is exact (the service's JSON number read as a Decimal); ``when`` is the
    transfer's time, aware, in UTC; ``receiver_account`` and ``receiver_proxy`` are masked as
    the service sent them; ``provider_code`` is the service's own code ("1012",
    "duplicate_slip", "http 502") for the log; ``message`` a short English note."""

    outcome: Outcome
    code: Code
    provider: str = ""
    provider_code: str = ""
    amount_satang: int | None = None
    trans_ref: str = ""
    when: dt.datetime | None = None
    sending_bank: str = ""
    receiving_bank: str = ""
    receiver_name: str = ""
    receiver_account: str = ""
    receiver_proxy_type: str = ""  # NATID, MSISDN, EWALLETID, EMAIL, BILLERID
    receiver_proxy: str = ""
    message: str = ""

    def __post_init__(self) -> None:
        if self.when is not None and self.when.utcoffset() != dt.timedelta(0):
            raise ValueError("OnlineCheck.when must be aware and in UTC")


@dataclass(frozen=True, slots=True)
class OrderToPay:
    """The order a slip is meant to pay: its number, total and when it was placed (aware)."""

    number: str
    total_satang: int
    placed_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ShopTargets:
    """Where the shop is paid: its bank account numbers (as typed, dashes allowed) and its
    PromptPay id (digits: 10-digit mobile, 13-digit ID or 15-digit e-wallet; "" if none)."""

    bank_accounts: tuple[str, ...] = ()
    promptpay_id: str = ""


@dataclass(frozen=True, slots=True)
class Reason:
    """One thing against accepting the slip, said in Thai and English."""

    code: Code
    th: str
    en: str

    def text(self, lang: str = "th") -> str:
        return self.th if lang == "th" else self.en


@dataclass(frozen=True, slots=True)
class Verdict:
    """The check and what stands against it. ``outcome`` is PASSED only when the service
    found the transfer and :attr:`reasons` is empty; ERROR when the check could not be made."""

    outcome: Outcome
    check: OnlineCheck
    reasons: tuple[Reason, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED and not self.reasons


class Match(Enum):
    MATCH = "match"
    NO_MATCH = "no_match"
    UNKNOWN = "unknown"


_SEPARATORS = re.compile(r"[\s\-.()/]")


def _digits_only(text: str) -> str:
    return "".join(c for c in text if c.isascii() and c.isdigit())


def match_masked(masked: str, full: str) -> Match:
    """Whether a masked account ("xxx-x-x1234-x") can be ``full`` ("123-4-51234-5"): the
    visible digits must sit at the same places of two strings of the same length (separators
    ignored). Fewer than three visible digits, or different lengths, give UNKNOWN."""
    shown = _SEPARATORS.sub("", masked)
    digits = _digits_only(full)
    visible = [(i, c) for i, c in enumerate(shown) if c.isascii() and c.isdigit()]
    if not digits or len(visible) < MIN_VISIBLE_DIGITS or len(shown) != len(digits):
        return Match.UNKNOWN
    if all(digits[i] == c for i, c in visible):
        return Match.MATCH
    return Match.NO_MATCH


def _national_mobile(masked: str) -> str:
    """A masked mobile number in the 10-character national form ("66xxxxx5678" and
    "0066xxxxx5678" → "0xxxxx5678")."""
    shown = _SEPARATORS.sub("", masked).lstrip("+")
    for prefix in ("0066", "66"):
        if shown.startswith(prefix) and len(shown) == len(prefix) + 9:
            return "0" + shown[len(prefix) :]
    return shown


def receiver_match(check: OnlineCheck, targets: ShopTargets) -> Match:
    """The best of the receiving account against each bank account and the receiving
    PromptPay proxy against the PromptPay id: MATCH if any matches, else UNKNOWN if any
    comparison could not tell, else NO_MATCH (also when there is nothing to compare)."""
    results: list[Match] = []
    if check.receiver_account:
        results += [match_masked(check.receiver_account, a) for a in targets.bank_accounts]
    if check.receiver_proxy and targets.promptpay_id:
        proxy = check.receiver_proxy
        if check.receiver_proxy_type.upper() == "MSISDN":
            proxy = _national_mobile(proxy)
        results.append(match_masked(proxy, targets.promptpay_id))
    if Match.MATCH in results:
        return Match.MATCH
    if Match.UNKNOWN in results:
        return Match.UNKNOWN
    return Match.NO_MATCH


# ---------------------------------------------------------------------------- texts


def _when(when: dt.datetime, lang: str) -> str:
    return format_when(when, lang)


def reason_for(code: Code, check: OnlineCheck | None = None) -> Reason:
    """The Thai and English text of a code without figures to fill in (what the service
    said, or why the check could not be made — and what to do)."""
    ref = check.trans_ref if check is not None else ""
    texts: dict[Code, tuple[str, str]] = {
        Code.DUPLICATE: (
            "ผู้ให้บริการตรวจสลิปแจ้งว่าสลิปนี้เคยถูกตรวจแล้ว (อาจเป็นสลิปที่ใช้ซ้ำ)"
            + (f" เลขอ้างอิง {ref}" if ref else ""),
            "The slip service says this slip was checked before (it may be reused)"
            + (f"; reference {ref}" if ref else ""),
        ),
        Code.AMOUNT_MISMATCH: (
            "ผู้ให้บริการตรวจสลิปแจ้งว่ายอดในสลิปไม่ตรงกับยอดที่ต้องชำระ",
            "The slip service says the slip's amount is not the amount due",
        ),
        Code.RECEIVER_MISMATCH: (
            "ผู้ให้บริการตรวจสลิปแจ้งว่าบัญชีผู้รับไม่ใช่บัญชีของร้าน",
            "The slip service says the receiving account is not the shop's",
        ),
        Code.RECEIVER_UNVERIFIED: (
            "ตรวจบัญชีผู้รับไม่ได้ (ผู้ให้บริการไม่ได้ส่งเลขบัญชีที่เทียบได้) โปรดดูในแอปธนาคาร",
            "The receiving account could not be compared (the service sent no comparable "
            "number): check it in the bank's app",
        ),
        Code.NO_AMOUNT: (
            "ผู้ให้บริการไม่ได้ส่งยอดโอนมา โปรดดูยอดในแอปธนาคาร",
            "The service sent no amount: check it in the bank's app",
        ),
        Code.NO_DATE: (
            "ผู้ให้บริการไม่ได้ส่งวันเวลาโอนมา โปรดดูในแอปธนาคาร",
            "The service sent no transfer time: check it in the bank's app",
        ),
        Code.NOT_FOUND: (
            "ไม่พบรายการโอนนี้ที่ธนาคาร (สลิปอาจปลอม หรือ QR หมดอายุ) โปรดดูในแอปธนาคาร",
            "The bank has no such transfer (the slip may be fake, or its QR expired): check "
            "the bank's app",
        ),
        Code.NOT_A_SLIP: (
            "QR นี้ไม่ใช่ QR ของสลิปโอนเงิน ขอสลิปใหม่จากลูกค้า",
            "This QR is not a transfer slip's QR: ask the shopper for the slip again",
        ),
        Code.NOT_SET_UP: (
            "ยังไม่ได้ตั้งค่าการตรวจสลิปออนไลน์ (ตั้งค่า → ตรวจสลิปออนไลน์)",
            "Online slip check is not set up (Settings → Online slip check)",
        ),
        Code.NO_KEY: (
            "ยังไม่ได้บันทึกคีย์ API ของผู้ให้บริการตรวจสลิป (ตั้งค่า → ตรวจสลิปออนไลน์)",
            "No API key saved for the slip service (Settings → Online slip check)",
        ),
        Code.BAD_KEY: (
            "ผู้ให้บริการตรวจสลิปไม่รับคีย์ API โปรดตรวจคีย์ในหน้าตั้งค่า",
            "The slip service refused the API key: check it in Settings",
        ),
        Code.BAD_BRANCH: (
            "ไม่พบรหัสสาขา (Branch ID) ที่ผู้ให้บริการ โปรดตรวจในหน้าตั้งค่า",
            "The slip service does not know the branch ID: check it in Settings",
        ),
        Code.ACCOUNT_BLOCKED: (
            "บัญชีผู้ให้บริการตรวจสลิปใช้งานไม่ได้ (หมดอายุหรือถูกระงับ) โปรดเข้าเว็บผู้ให้บริการ",
            "The slip service account cannot be used (expired or suspended): see the "
            "service's website",
        ),
        Code.QUOTA: (
            "โควตาตรวจสลิปหมดแล้ว เติมแพ็กเกจที่ผู้ให้บริการ หรือตรวจในแอปธนาคารแทน",
            "The slip-check quota is used up: top up with the service, or check the bank's app",
        ),
        Code.TOO_SOON: (
            "ธนาคารยังไม่ส่งข้อมูลรายการนี้ ลองตรวจอีกครั้งในอีกสักครู่",
            "The bank has not released this transfer yet: check again in a few minutes",
        ),
        Code.UNAVAILABLE: (
            "ติดต่อผู้ให้บริการตรวจสลิปไม่ได้ ตรวจอินเทอร์เน็ตแล้วลองใหม่",
            "Could not reach the slip service: check the internet connection and try again",
        ),
        Code.TIMEOUT: (
            "ผู้ให้บริการตรวจสลิปไม่ตอบในเวลาที่กำหนด ลองใหม่อีกครั้ง",
            "The slip service did not answer in time: try again",
        ),
        Code.BAD_ANSWER: (
            "ผู้ให้บริการตรวจสลิปตอบในรูปแบบที่อ่านไม่ได้ ลองใหม่ หรือตรวจในแอปธนาคาร",
            "The slip service answered in a form MiniChat cannot read: try again, or check "
            "the bank's app",
        ),
        Code.BAD_REQUEST: (
            "ผู้ให้บริการตรวจสลิปไม่รับคำขอ (ข้อมูล QR ไม่ครบ) ขอสลิปใหม่จากลูกค้า",
            "The slip service did not accept the request (incomplete QR data): ask for the "
            "slip again",
        ),
    }
    th, en = texts.get(code, ("ตรวจสลิปไม่สำเร็จ", "The slip check failed"))
    return Reason(code, th, en)


def amount_reason(slip_satang: int, order_satang: int) -> Reason:
    slip, due = format_baht(slip_satang, True), format_baht(order_satang, True)
    return Reason(
        Code.AMOUNT_MISMATCH,
        f"ยอดโอน {slip} ไม่ตรงกับยอดออเดอร์ {due}",
        f"The transfer of {slip} does not match the order total of {due}",
    )


def receiver_reason(check: OnlineCheck) -> Reason:
    shown = check.receiver_account or check.receiver_proxy or "-"
    return Reason(
        Code.RECEIVER_MISMATCH,
        f"บัญชีผู้รับ {shown} ไม่ใช่บัญชีของร้าน (ตรวจเลขบัญชีในหน้าข้อมูลร้าน)",
        f"The receiving account {shown} is not one of the shop's accounts (see Shop profile)",
    )


def before_order_reason(when: dt.datetime, order: OrderToPay) -> Reason:
    return Reason(
        Code.BEFORE_ORDER,
        f"โอนเมื่อ {_when(when, 'th')} ก่อนสั่งออเดอร์ {order.number} "
        f"({_when(order.placed_at, 'th')}) อาจเป็นสลิปเก่า",
        f"Transferred on {_when(when, 'en')}, before order {order.number} was placed "
        f"({_when(order.placed_at, 'en')}): it may be an old slip",
    )


def future_reason(when: dt.datetime) -> Reason:
    return Reason(
        Code.IN_FUTURE,
        f"เวลาโอนในสลิป ({_when(when, 'th')}) อยู่ในอนาคต ตรวจนาฬิกาเครื่องหรือสลิป",
        f"The slip's transfer time ({_when(when, 'en')}) is in the future: check the "
        "computer's clock or the slip",
    )


# ---------------------------------------------------------------------------- the judge


def _own_reasons(
    check: OnlineCheck, order: OrderToPay, targets: ShopTargets, now: dt.datetime
) -> Iterable[Reason]:
    if check.amount_satang is None:
        yield reason_for(Code.NO_AMOUNT)
    elif check.amount_satang != order.total_satang:
        yield amount_reason(check.amount_satang, order.total_satang)
    receiver = receiver_match(check, targets)
    if receiver is Match.NO_MATCH:
        yield receiver_reason(check)
    elif receiver is Match.UNKNOWN:
        yield reason_for(Code.RECEIVER_UNVERIFIED)
    if check.when is None:
        yield reason_for(Code.NO_DATE)
    # Slips and services may give the minute only: a transfer in the minute the order was
    # placed is not "before" it.
    elif check.when < order.placed_at.replace(second=0, microsecond=0):
        yield before_order_reason(check.when, order)
    elif check.when > now + FUTURE_GRACE:
        yield future_reason(check.when)


def judge(
    check: OnlineCheck,
    order: OrderToPay,
    targets: ShopTargets,
    *,
    now: dt.datetime,
    checked_refs: frozenset[str] = frozenset(),
) -> Verdict:
    """Hold ``check`` against ``order`` and the shop's ``targets`` at ``now`` (aware).

    An ERROR check is passed through with the reason it could not be made. A FAILED check
    keeps the service's own reason first, then whatever the order shows wrong in the data the
    service still sent (a duplicate's slip data, say). A PASSED check becomes FAILED when any
    of the rules above finds a reason. Never raises for what a service sent.

    ``checked_refs`` are the transaction references this shop already checked *for this
    order*: the service's "duplicate" about one of them is our own earlier check (the owner
    pressed "check again", or an answer was lost to a timeout after the service logged it),
    not a slip reused, and the slip is judged as found (the verdict's check then reads
    PASSED/``slip.ok``, its ``provider_code`` still the service's own, e.g. "1012")."""
    if now.tzinfo is None or order.placed_at.tzinfo is None:
        raise ValueError("judge needs aware times")
    if check.code is Code.DUPLICATE and check.trans_ref and check.trans_ref in checked_refs:
        check = dataclasses.replace(check, outcome=Outcome.PASSED, code=Code.OK)
    if check.outcome is Outcome.ERROR:
        return Verdict(Outcome.ERROR, check, (reason_for(check.code, check),))
    reasons: list[Reason] = []
    if check.outcome is Outcome.FAILED:
        reasons.append(reason_for(check.code, check))
    has_data = check.outcome is Outcome.PASSED or check.amount_satang is not None
    if has_data:
        for reason in _own_reasons(check, order, targets, now):
            if reason.code == check.code and check.outcome is Outcome.FAILED:
                reasons[0] = reason  # the same finding, with the figures filled in
            else:
                reasons.append(reason)
    outcome = Outcome.FAILED if reasons else Outcome.PASSED
    return Verdict(outcome, check, tuple(reasons))
