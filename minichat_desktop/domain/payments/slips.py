"""Payment slips checked offline: the banks' slip-verification QR read, and reuse caught.

A Thai banking app's transfer slip carries a small QR (the "mini QR") whose only purpose is to
let a bank's slip-verification API find the transfer. It is not a payment QR: its payload is
EMVCo-style TLV (2-digit tag, 2-digit length, value) with its own root tags —

- ``00`` a template of sub-TLVs: ``00`` the API id ``000001``, ``01`` the sending bank's 3-digit
  Bank of Thailand code (``004`` KBank, ``014`` SCB…), ``02`` the transaction reference;
- ``51`` the country, ``TH``;
- ``91`` (length ``04``) the CRC-16/CCITT-FALSE, as 4 hex digits, of everything before it
  including the literal ``9104`` — the same CRC as PromptPay's tag ``63``
  (:func:`minichat_desktop.domain.promptpay.crc16_ccitt_false`).

Where this comes from (checked 2026-12 with the project's code search):
maythiwat/promptparse ``src/generate/SlipVerify.ts`` builds exactly this (tag 00 with sub-tags
00 ``000001`` / 01 sendingBank / 02 transRef, tag 51 ``TH``, CRC in tag 91) and
``src/validate/SlipVerify.ts`` reads it back; its tests give two vectors used in ours
(``004000060000010103002021900021231231212000115102TH91049C30`` → bank 002, reference
``0002123123121200011``; ``…014…00111222233344ABCD12…910417DF``). The thai-qr-payment docs
(thai-qr-payment.js.org/guide/slip-verify) describe the same envelope as the Bank of Thailand's
Thai QR Payment supplement and note that some bank apps drop the CRC's leading zeros (a 1-3
digit tail is left-padded with ``0`` before checking; we do the same). SCB's developer
document "extracting data from mini QR" is the bank's own description (cited by
codustry/thanakan). The bank codes are the Bank of Thailand's, as listed by the same sources.
Note: the example payload in our brief (``…5102TH9104E3F6``) has a wrong CRC — its CRC is
``34DF`` — so it is refused here as "not a slip's QR".

What a picture's QRs are told apart into (:func:`classify`): a slip's QR (read); a QR that is
not a slip's (the shop's own PromptPay QR forwarded back, a URL, a slip QR whose CRC is wrong);
no QR at all. :func:`record_slip` stores a received picture with that finding, in the caller's
unit of work, and flags **reuse**: the same transfer (bank, reference) — or, with no slip QR,
the same file — already attached to another order that is not cancelled. The same file received
twice for the same order is one slip, not reuse. Nothing here marks an order paid: the owner
does, after looking (or an online check the owner allowed to confirm).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from minichat_desktop.domain.models import Order, OrderStatus, PaymentSlip, SlipCheck, utcnow
from minichat_desktop.domain.promptpay import crc16_ccitt_false
from minichat_desktop.errors import NotFound

API_ID: Final = "000001"
COUNTRY: Final = "TH"
MAX_PAYLOAD: Final = 512  # a slip's QR holds ~60 characters; anything far longer is not one


# ---------------------------------------------------------------------------- banks


@dataclass(frozen=True, slots=True)
class Bank:
    """A bank as a slip names it: the Bank of Thailand code and short names in Thai and English."""

    code: str
    short_th: str
    short_en: str


BANKS: Final[dict[str, Bank]] = {
    b.code: b
    for b in (
        Bank("002", "กรุงเทพ", "BBL"),
        Bank("004", "กสิกรไทย", "KBank"),
        Bank("006", "กรุงไทย", "KTB"),
        Bank("011", "ทีทีบี", "ttb"),
        Bank("014", "ไทยพาณิชย์", "SCB"),
        Bank("022", "ซีไอเอ็มบี ไทย", "CIMB Thai"),
        Bank("024", "ยูโอบี", "UOB"),
        Bank("025", "กรุงศรี", "Krungsri"),
        Bank("030", "ออมสิน", "GSB"),
        Bank("033", "ธอส.", "GH Bank"),
        Bank("034", "ธ.ก.ส.", "BAAC"),
        Bank("066", "อิสลามแห่งประเทศไทย", "IBank"),
        Bank("067", "ทิสโก้", "TISCO"),
        Bank("069", "เกียรตินาคินภัทร", "KKP"),
        Bank("070", "ไอซีบีซี (ไทย)", "ICBC Thai"),
        Bank("071", "ไทยเครดิต", "Thai Credit"),
        Bank("073", "แลนด์ แอนด์ เฮ้าส์", "LH Bank"),
        Bank("098", "ธพว.", "SME D Bank"),
    )
}


def bank_name(code: str, lang: str = "th") -> str:
    """The bank's short name (``กสิกรไทย`` / ``KBank``); an unknown code reads "bank 099"."""
    bank = BANKS.get(code)
    if bank is None:
        return f"ธนาคารรหัส {code}" if lang == "th" else f"bank {code}"
    return bank.short_th if lang == "th" else bank.short_en


# ---------------------------------------------------------------------------- the QR payload


class SlipQrError(ValueError):
    """A payload that is not a valid slip-verification QR. ``code``: ``slip_qr.malformed``
    (not TLV, too long, missing or repeated fields), ``slip_qr.crc`` (the CRC does not match:
    damaged or edited) or ``slip_qr.not_slip`` (well-formed TLV, but not a slip's — a PromptPay
    payment QR, another API id). The message names the bad part."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code: Final = code


@dataclass(frozen=True, slots=True)
class SlipQr:
    """A slip's QR, read and its CRC checked."""

    payload: str
    bank_code: str
    trans_ref: str

    @property
    def bank_name_th(self) -> str:
        return bank_name(self.bank_code, "th")

    @property
    def bank_name_en(self) -> str:
        return bank_name(self.bank_code, "en")


def _tlv(text: str) -> list[tuple[str, str]]:
    """``text`` split into (tag, value) pairs; :class:`SlipQrError` unless it is exactly that."""
    fields: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        head = text[i : i + 4]
        if len(head) < 4 or not head.isdigit() or not head.isascii():
            raise SlipQrError("slip_qr.malformed", f"no tag and length at {i}: {head!r}")
        size = int(head[2:])
        value = text[i + 4 : i + 4 + size]
        if len(value) != size:
            raise SlipQrError("slip_qr.malformed", f"tag {head[:2]} is cut short at {i}")
        fields.append((head[:2], value))
        i += 4 + size
    return fields


def _crc_hex(body: str) -> str:
    return f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def _pad_crc(payload: str) -> str:
    """A payload whose CRC lost its leading zeros (some bank apps) given them back."""
    at = payload.rfind("9104")
    tail = payload[at + 4 :] if at >= 0 else ""
    if 0 < len(tail) < 4 and re.fullmatch(r"[0-9A-Fa-f]+", tail):
        return payload[: at + 4] + tail.rjust(4, "0")
    return payload


def parse_slip_qr(payload: str) -> SlipQr:
    """The slip QR in ``payload`` (surrounding whitespace ignored). Raises only
    :class:`SlipQrError`."""
    if not isinstance(payload, str):
        raise SlipQrError("slip_qr.malformed", f"not text: {type(payload).__name__}")
    text = _pad_crc(payload.strip())
    if not text.isascii() or len(text) > MAX_PAYLOAD:
        raise SlipQrError("slip_qr.malformed", "not a short ASCII payload")
    fields = _tlv(text)
    tags = [tag for tag, _ in fields]
    if "63" in tags and "00" in tags and dict(fields).get("00") == "01":
        raise SlipQrError("slip_qr.not_slip", "an EMVCo payment QR (PromptPay), not a slip's")
    if tags != ["00", "51", "91"]:
        raise SlipQrError("slip_qr.not_slip", f"tags {'/'.join(tags)}, not 00/51/91")
    root = dict(fields)
    if len(root["91"]) != 4 or root["51"] != COUNTRY:
        raise SlipQrError("slip_qr.not_slip", f"country {root['51']!r}, CRC {root['91']!r}")
    if root["91"].upper() != _crc_hex(text[:-4]):
        raise SlipQrError("slip_qr.crc", f"CRC {root['91']} does not match the payload")
    sub = dict(_tlv(root["00"]))
    if sub.get("00") != API_ID:
        raise SlipQrError("slip_qr.not_slip", f"API id {sub.get('00')!r}, not {API_ID}")
    bank, ref = sub.get("01", ""), sub.get("02", "")
    if re.fullmatch(r"[0-9]{3}", bank) is None or not ref.strip():
        raise SlipQrError("slip_qr.malformed", f"bank {bank!r} or reference {ref!r} missing")
    return SlipQr(text, bank, ref)


def _field(tag: str, value: str) -> str:
    if len(value) > 99:
        raise SlipQrError("slip_qr.malformed", f"tag {tag} longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def build_slip_qr(bank_code: str, trans_ref: str) -> str:
    """The payload a bank app puts on a slip for this transfer (tests, the demo)."""
    inner = _field("00", API_ID) + _field("01", bank_code) + _field("02", trans_ref)
    body = _field("00", inner) + _field("51", COUNTRY) + "9104"
    return body + _crc_hex(body)


class QrKind(StrEnum):
    SLIP = "slip"
    NOT_SLIP = "not_slip"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class SlipReading:
    """What a picture's QRs are: a slip's (``slip`` set), other QRs only (``payload`` is the
    first of them, ``problem`` why it is not a slip's), or none."""

    kind: QrKind
    slip: SlipQr | None = None
    payload: str = ""
    problem: str = ""


def classify(payloads: Sequence[str]) -> SlipReading:
    """Tell the QRs found in one picture apart: the first valid slip QR wins."""
    first_error: SlipQrError | None = None
    for payload in payloads:
        try:
            return SlipReading(QrKind.SLIP, parse_slip_qr(payload), payload)
        except SlipQrError as exc:
            first_error = first_error or exc
    if not payloads:
        return SlipReading(QrKind.NONE)
    problem = first_error.code if first_error is not None else ""
    return SlipReading(QrKind.NOT_SLIP, None, payloads[0][:MAX_PAYLOAD], problem)


# ---------------------------------------------------------------------------- stored slips


@dataclass(frozen=True, slots=True)
class SlipPicture:
    """What was read from a received picture's file (by ``formats.qr_read``, off the UI
    thread): its SHA-256 and the texts of the QRs in it. Empty when there is no file."""

    sha256: str = ""
    payloads: tuple[str, ...] = ()


class VerifyStatus(StrEnum):
    """What a slip-verification service said (the online check); "" = not checked."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # the service could not answer (network, key, quota): nothing is known


@dataclass(frozen=True, slots=True)
class SlipCheckView:
    """A received slip and what its checks found."""

    id: int
    order_id: int
    check: SlipCheck
    path: str
    sha256: str
    received_at: dt.datetime
    qr_payload: str
    bank_code: str
    trans_ref: str
    reused_order_id: int | None
    reused_order_number: str
    verify_status: str
    verify_note: str
    verified_at: dt.datetime | None
    verified_amount_satang: int | None

    @property
    def bank_name_th(self) -> str:
        return bank_name(self.bank_code, "th") if self.bank_code else ""

    @property
    def bank_name_en(self) -> str:
        return bank_name(self.bank_code, "en") if self.bank_code else ""


def slip_view(row: PaymentSlip) -> SlipCheckView:
    other = row.reused_order
    return SlipCheckView(
        id=row.id,
        order_id=row.order_id,
        check=SlipCheck(row.check),
        path=row.path,
        sha256=row.sha256,
        received_at=row.received_at,
        qr_payload=row.qr_payload,
        bank_code=row.bank_code,
        trans_ref=row.trans_ref,
        reused_order_id=row.reused_order_id,
        reused_order_number=other.number if other is not None else "",
        verify_status=row.verify_status,
        verify_note=row.verify_note,
        verified_at=row.verified_at,
        verified_amount_satang=row.verified_amount_satang,
    )


def _used_by(session: Session, order_id: int, slip: SlipQr | None, sha256: str) -> int | None:
    """Another order, not cancelled, that already has this transfer (or, without a slip QR,
    this very file); the earliest such slip's order."""
    stmt = (
        select(PaymentSlip.order_id)
        .join(Order, Order.id == PaymentSlip.order_id)
        .where(PaymentSlip.order_id != order_id, Order.status != OrderStatus.CANCELLED)
        .order_by(PaymentSlip.id)
        .limit(1)
    )
    if slip is not None:
        stmt = stmt.where(
            PaymentSlip.bank_code == slip.bank_code, PaymentSlip.trans_ref == slip.trans_ref
        )
    elif sha256:
        stmt = stmt.where(PaymentSlip.sha256 == sha256)
    else:
        return None
    return session.scalar(stmt)


def record_slip(
    session: Session,
    order_id: int,
    path: str,
    *,
    sha256: str = "",
    payloads: Sequence[str] = (),
    conversation_ref: str = "",
    at: dt.datetime | None = None,
) -> SlipCheckView:
    """Store a slip picture received for ``order_id`` with what its check finds, in the
    caller's unit of work. ``payloads``: the texts of the QRs read from the picture (none when
    it could not be read or fetched); ``sha256``: the file's hash ("" when there is no file).
    The same file (same hash) received again for the same order returns the slip already
    stored. Raises :class:`NotFound` for an unknown order."""
    if session.get(Order, order_id) is None:
        raise NotFound("order.not_found", f"no order {order_id}", order=str(order_id))
    if sha256:
        same = session.scalar(
            select(PaymentSlip).where(
                PaymentSlip.order_id == order_id, PaymentSlip.sha256 == sha256
            )
        )
        if same is not None:
            return slip_view(same)
    reading = classify(payloads)
    other = _used_by(session, order_id, reading.slip, sha256)
    if other is not None:
        check = SlipCheck.REUSED
    elif reading.kind == QrKind.SLIP:
        check = SlipCheck.READ
    elif reading.kind == QrKind.NOT_SLIP:
        check = SlipCheck.NOT_SLIP
    else:
        check = SlipCheck.NO_QR
    row = PaymentSlip(
        order_id=order_id,
        conversation_ref=conversation_ref,
        path=path,
        sha256=sha256,
        received_at=at or utcnow(),
        qr_payload=reading.payload,
        bank_code=reading.slip.bank_code if reading.slip else "",
        trans_ref=reading.slip.trans_ref if reading.slip else "",
        check=check,
        reused_order_id=other,
    )
    session.add(row)
    session.flush()
    return slip_view(row)


def get_slip(session: Session, slip_id: int) -> SlipCheckView:
    """A recorded slip; :class:`NotFound` ``slip.not_found`` when there is none."""
    row = session.get(PaymentSlip, slip_id)
    if row is None:
        raise NotFound("slip.not_found", f"no payment slip {slip_id}", slip=str(slip_id))
    return slip_view(row)


def latest_check(session: Session, order_id: int) -> SlipCheckView | None:
    """The check of the order's latest slip, or None when none was recorded."""
    row = session.scalar(
        select(PaymentSlip)
        .where(PaymentSlip.order_id == order_id)
        .order_by(PaymentSlip.id.desc())
        .limit(1)
    )
    return slip_view(row) if row is not None else None


def slips_of(session: Session, order_id: int) -> list[SlipCheckView]:
    """Every slip recorded for the order, oldest first."""
    rows = session.scalars(
        select(PaymentSlip).where(PaymentSlip.order_id == order_id).order_by(PaymentSlip.id)
    )
    return [slip_view(r) for r in rows]


def slip_at_path(session: Session, path: str) -> SlipCheckView | None:
    """The latest slip recorded with the picture at ``path`` (as stored: relative to the data
    folder), or None."""
    row = session.scalar(
        select(PaymentSlip).where(PaymentSlip.path == path).order_by(PaymentSlip.id.desc()).limit(1)
    )
    return slip_view(row) if row is not None else None


def record_verification(
    session: Session,
    slip_id: int,
    status: str,
    note: str,
    amount_satang: int | None,
    at: dt.datetime,
) -> SlipCheckView:
    """Store what the online check (a slip-verification service) answered for a slip:
    ``status`` one of :class:`VerifyStatus` (``passed`` / ``failed`` / ``error``), the
    service's words or the reasons against (``note``), the amount it reports in satang (None
    when it reported none) and when it answered (aware; stored in UTC). A later answer
    replaces an earlier one. Raises :class:`NotFound` for an unknown slip and ``ValueError``
    for an unknown status or a naive time (caller bugs)."""
    verdict = VerifyStatus(status)
    if at.tzinfo is None:
        raise ValueError("record_verification takes an aware time")
    row = session.get(PaymentSlip, slip_id)
    if row is None:
        raise NotFound("slip.not_found", f"no payment slip {slip_id}", slip=str(slip_id))
    row.verify_status = verdict.value
    row.verify_note = note.strip()
    row.verified_amount_satang = amount_satang
    row.verified_at = at.astimezone(dt.UTC)
    session.flush()
    return slip_view(row)


# What a check found, for the owner's notification: Thai, then English.
_OWNER_NOTES: dict[str, tuple[str, str]] = {
    SlipCheck.REUSED: (
        "⚠ สลิปนี้เคยใช้กับออเดอร์ {other} — ตรวจก่อนยืนยัน",
        "⚠ This slip was already used for order {other}: check it",
    ),
    SlipCheck.NO_QR: (
        "อ่าน QR บนสลิปไม่ได้ — ตรวจยอดเองก่อนยืนยัน",
        "The slip's QR could not be read: check the amount yourself",
    ),
    SlipCheck.NOT_SLIP: (
        "QR บนรูปไม่ใช่ QR ของสลิปโอนเงิน — ตรวจยอดเองก่อนยืนยัน",
        "The QR in the picture is not a bank slip's: check the amount yourself",
    ),
    SlipCheck.READ: ("QR สลิป {bank_th} เลขอ้างอิง {ref}", "{bank_en} slip QR, ref. {ref}"),
}


def owner_note(view: SlipCheckView, lang: str = "th") -> str:
    """One line for the owner's notification, in ``lang`` ("th" or "en"): what the check
    found and, where it found a problem, what to do."""
    thai, english = _OWNER_NOTES[view.check]
    return (english if lang == "en" else thai).format(
        other=view.reused_order_number,
        bank_th=view.bank_name_th,
        bank_en=view.bank_name_en,
        ref=view.trans_ref,
    )
