"""Printed documents: issuing tax invoice and receipt numbers, and gathering what a document
or a shipping label shows into plain frozen dataclasses (the renderers in
``minichat_desktop.documents`` do no SQL).

Which document an order gets:

- a VAT-registered shop issues a **full tax invoice** (``full``, ใบกำกับภาษี/ใบเสร็จรับเงิน,
  Revenue Code s.86/4: needs the buyer's name and address) or an **abbreviated tax invoice**
  (``abbreviated``, ใบกำกับภาษีอย่างย่อ, s.86/6: the counter's slip);
- a shop that is not VAT-registered may not issue tax invoices: it issues a **receipt**
  (``receipt``, ใบเสร็จรับเงิน) only.

A document is issued once per order and kind — except credit notes, one per refund
(``refunds.py``: a sale refunded in parts has several). Its number comes from its own
gap-free counter per kind and Bangkok calendar year (``INV2026-000001``, ``ABB…``, ``RC…``),
taken inside the writer's transaction like order numbers; issuing again returns the same
number, date and buyer, so a reprint reads exactly as the original. Documents are issued for
paid orders only (the receipt says the money was received), and a sale's document is **dated
at its tax point** (``tax_point.py``: the sale, payment or delivery), however late it is
printed; a credit note is dated at its refund and credits exactly that refund.

Each number's life (docs/adr/0008-tax-point.md): the first print or save is the one original
(ต้นฉบับ); every later one is a copy (สำเนา); a lost original is replaced by a ใบแทน (Revenue
Code s.86/12: same number and date, marked, with the reason in the timeline and audit log).
A full tax invoice issued for a sale that had an abbreviated one cancels it (s.86/6 is the
counter's slip; the buyer asked for the full one): the full invoice names the abbreviated
number, which keeps its number and shows in the VAT report as cancelled.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from minichat_desktop.domain import shop as shop_mod
from minichat_desktop.domain.models import (
    AuditEntry,
    Order,
    OrderEvent,
    OrderPayment,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Refund,
    TaxDocument,
    utcnow,
)
from minichat_desktop.domain.sales.tax_point import TaxPointBasis, record_tax_point
from minichat_desktop.domain.sql import DriverConnection
from minichat_desktop.domain.thai import (
    ThaiFormatError,
    bahttext,
    format_phone,
    satang_to_decimal,
    validate_tax_id,
)
from minichat_desktop.errors import NotFound, UserError


class DocumentKind(StrEnum):
    FULL = "full"
    ABBREVIATED = "abbreviated"
    RECEIPT = "receipt"
    CREDIT_NOTE = "credit_note"  # issued only by refunding an order that had a tax invoice


TAX_INVOICES = (DocumentKind.FULL, DocumentKind.ABBREVIATED)


class Mark(StrEnum):
    """What a printed document says it is."""

    ORIGINAL = "original"  # ต้นฉบับ: the first print or save of the number
    COPY = "copy"  # สำเนา: every later print
    REPLACEMENT = "replacement"  # ใบแทน: replaces a lost original (s.86/12)
    CANCELLED = "cancelled"  # ยกเลิก: a cancelled document printed again


# Number prefixes: what an accountant reads at a glance.
PREFIXES: dict[DocumentKind, str] = {
    DocumentKind.FULL: "INV",
    DocumentKind.ABBREVIATED: "ABB",
    DocumentKind.RECEIPT: "RC",
    DocumentKind.CREDIT_NOTE: "CN",
}

TITLES: dict[DocumentKind, tuple[str, str]] = {
    DocumentKind.FULL: ("ใบกำกับภาษี / ใบเสร็จรับเงิน", "TAX INVOICE / RECEIPT"),
    DocumentKind.ABBREVIATED: ("ใบกำกับภาษีอย่างย่อ", "ABBREVIATED TAX INVOICE"),
    DocumentKind.RECEIPT: ("ใบเสร็จรับเงิน", "RECEIPT"),
    DocumentKind.CREDIT_NOTE: ("ใบลดหนี้", "CREDIT NOTE"),
}

PAYMENT_NAMES: dict[str, str] = {
    PaymentMethod.PROMPTPAY: "พร้อมเพย์",
    PaymentMethod.BANK_TRANSFER: "โอนเงิน",
    PaymentMethod.CASH: "เงินสด",
    PaymentMethod.CARD: "บัตร",
    PaymentMethod.COD: "เก็บเงินปลายทาง",
    PaymentMethod.OTHER: "อื่น ๆ",
}

_THAI_MONTHS = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)


def thai_date(when: dt.datetime | dt.date, *, with_time: bool = False) -> str:
    """A date as Thai documents print it, Buddhist Era year: ``23 พ.ย. 2569`` (``… 14:05``
    with the Bangkok time). Aware datetimes are shown in Bangkok time."""
    if isinstance(when, dt.datetime):
        local = when.astimezone(shop_mod.BANGKOK)
        day = local.date()
    else:
        local, day = None, when
    text = f"{day.day} {_THAI_MONTHS[day.month - 1]} {day.year + 543}"
    if with_time and local is not None:
        text += f" {local:%H:%M}"
    return text


def format_tax_id(tax_id: str) -> str:
    """A 13-digit tax ID grouped as on Thai cards: ``0-1055-65123-45-1``."""
    d = tax_id.strip()
    if len(d) == 13 and d.isdigit():
        return f"{d[0]}-{d[1:5]}-{d[5:10]}-{d[10:12]}-{d[12]}"
    return d


def branch_label(branch: str) -> str:
    """How a branch reads on a tax invoice: ``00000`` or empty is the head office."""
    b = branch.strip()
    if not b or b == "00000" or b in ("สำนักงานใหญ่", "head office", "Head office"):
        return "สำนักงานใหญ่"
    if b.isdigit():
        return f"สาขาที่ {b.zfill(5)}"
    return b if b.startswith("สาขา") else f"สาขา {b}"


# ---------------------------------------------------------------------------- views


@dataclass(frozen=True, slots=True)
class Buyer:
    """The buyer as printed on the document (kept with the document: later edits to the
    customer or the order do not change a reprint)."""

    name: str = ""
    tax_id: str = ""
    branch: str = ""
    address: str = ""
    phone: str = ""

    def to_json(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Buyer:
        return cls(**{k: str(data.get(k, "") or "") for k in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class DocumentView:
    id: int
    kind: DocumentKind
    number: str
    order_id: int
    issued_at: dt.datetime  # the date it carries: the sale's tax point (a credit note: refund)
    buyer: Buyer
    issued_by: str
    original_at: dt.datetime | None = None  # when the original was printed or saved
    reissues: int = 0  # ใบแทน printed
    replaces: str = ""  # the abbreviated tax invoice a full one cancelled
    cancelled_at: dt.datetime | None = None
    cancel_note: str = ""

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


@dataclass(frozen=True, slots=True)
class Seller:
    name: str
    name_en: str
    address: str
    phone: str
    email: str
    tax_id: str
    branch: str  # as printed: สำนักงานใหญ่ / สาขาที่ 00001
    vat_registered: bool
    logo_path: str
    pos_number: str = ""  # the registered cash register's number (on abbreviated invoices)


@dataclass(frozen=True, slots=True)
class DocLine:
    sku: str
    description: str
    quantity: int
    unit_price_satang: int
    discount_satang: int
    amount_satang: int


@dataclass(frozen=True, slots=True)
class DocTotals:
    """Money on the document, satang. ``prices_include_vat`` says whether line amounts are
    gross (VAT inside) or net (VAT added on top); ``before_vat`` is always the value before
    VAT and ``total`` what was paid."""

    subtotal: int
    discount: int
    shipping: int
    vat_rate_bp: int
    vat: int
    total: int
    prices_include_vat: bool

    @property
    def before_vat(self) -> int:
        return self.total - self.vat

    @property
    def goods_total(self) -> int:
        """Subtotal less discount plus shipping, as the lines are priced."""
        return self.subtotal - self.discount + self.shipping

    @property
    def vat_rate_text(self) -> str:
        whole, frac = divmod(self.vat_rate_bp, 100)
        return f"{whole}%" if not frac else f"{whole}.{frac:02d}".rstrip("0") + "%"


@dataclass(frozen=True, slots=True)
class Tender:
    method: str  # PaymentMethod value
    method_name: str  # Thai
    amount_satang: int
    tendered_satang: int
    change_satang: int
    ref: str


@dataclass(frozen=True, slots=True)
class Credit:
    """What a credit note adds (Revenue Code s.86/10): the tax invoice it reduces, the value
    on it, the right value, the difference, the VAT on the difference, and why. Satang."""

    invoice_number: str
    invoice_date: dt.datetime
    invoice_title: str
    original_value: int  # before VAT, as on the tax invoice
    correct_value: int
    difference: int
    vat: int
    reason: str
    earlier_credits: int = 0  # before VAT: the credit notes issued before this one

    @property
    def total(self) -> int:
        return self.difference + self.vat


@dataclass(frozen=True, slots=True)
class DocumentData:
    """Everything a tax invoice, receipt or credit note shows."""

    kind: DocumentKind
    number: str
    issued_at: dt.datetime
    issued_by: str
    title_th: str
    title_en: str
    seller: Seller
    buyer: Buyer
    order_number: str
    order_date: dt.datetime
    channel: str
    lines: tuple[DocLine, ...]
    totals: DocTotals
    paid_at: dt.datetime | None
    tenders: tuple[Tender, ...]
    amount_words: str
    credit: Credit | None = None  # a credit note's reference and amounts
    mark: Mark = Mark.ORIGINAL
    replaces: str = ""  # a full invoice: the abbreviated number it cancels
    reason: str = ""  # a ใบแทน: why it replaces the original; cancelled: why

    @property
    def is_tax_invoice(self) -> bool:
        return self.kind in TAX_INVOICES


@dataclass(frozen=True, slots=True)
class LabelData:
    """What a 100 × 150 mm shipping label shows."""

    order_id: int
    order_number: str
    code: str  # the barcode: the tracking number, or the order number before there is one
    carrier: str
    sender_name: str
    sender_address: str
    sender_phone: str
    recipient_name: str
    recipient_phone: str
    recipient_address: str  # street, subdistrict, district
    recipient_province: str
    recipient_postcode: str
    cod_satang: int
    items: tuple[tuple[str, int], ...]  # (description, quantity)
    item_count: int
    note: str
    created_at: dt.datetime


# ---------------------------------------------------------------------------- issuing


def _view(doc: TaxDocument) -> DocumentView:
    return DocumentView(
        id=doc.id,
        kind=DocumentKind(doc.kind),
        number=doc.number,
        order_id=doc.order_id,
        issued_at=doc.issued_at,
        buyer=Buyer.from_json(doc.buyer or {}),
        issued_by=doc.issued_by,
        original_at=doc.original_at,
        reissues=doc.reissues or 0,
        replaces=doc.replaces or "",
        cancelled_at=doc.cancelled_at,
        cancel_note=doc.cancel_note or "",
    )


def _order_row(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("order.not_found", f"no order {order_id}", order=str(order_id))
    return order


def resolve_order_id(session: Session, ref: int | str) -> int:
    """An order's id from its id or its number (``MC-2026-000123``, any case). Raises
    :class:`NotFound` naming the order."""
    if isinstance(ref, int):
        found = session.scalar(select(Order.id).where(Order.id == ref))
    else:
        found = session.scalar(select(Order.id).where(Order.number == ref.strip().upper()))
    if found is None:
        raise NotFound("order.not_found", f"no order {ref}", order=str(ref))
    return int(found)


def default_kind(session: Session, *, counter: bool = False) -> DocumentKind:
    """The document a sale gets: a VAT-registered shop's A4 document is the full tax invoice,
    its counter slip (``counter``) the abbreviated one; any other shop issues receipts."""
    profile = shop_mod.get_profile(session)
    if not profile.vat_registered:
        return DocumentKind.RECEIPT
    return DocumentKind.ABBREVIATED if counter else DocumentKind.FULL


def find_document(session: Session, order_id: int, kind: DocumentKind) -> DocumentView | None:
    """The order's ``kind`` document; for credit notes (one per refund) the newest."""
    doc = session.scalar(
        select(TaxDocument)
        .where(TaxDocument.order_id == order_id, TaxDocument.kind == kind)
        .order_by(TaxDocument.id.desc())
        .limit(1)
    )
    return _view(doc) if doc is not None else None


def find_by_number(session: Session, number: str) -> DocumentView:
    """A document by its number (``CN2026-000002``, any case). Raises :class:`NotFound`."""
    doc = session.scalar(select(TaxDocument).where(TaxDocument.number == number.strip().upper()))
    if doc is None:
        raise NotFound("document.not_found", f"no document {number}", number=number)
    return _view(doc)


def list_documents(session: Session, order_id: int) -> list[DocumentView]:
    """The documents issued for an order, oldest first."""
    rows = session.scalars(
        select(TaxDocument).where(TaxDocument.order_id == order_id).order_by(TaxDocument.id)
    )
    return [_view(d) for d in rows]


def _joined_address(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def buyer_from_order(order: Order) -> Buyer:
    """The buyer a document gets when none is given: the order's customer, with the shipping
    address (the address the shop has for them)."""
    address = _joined_address(
        order.ship_address,
        order.ship_subdistrict,
        order.ship_district,
        order.ship_province,
        order.ship_postcode,
    )
    return Buyer(
        name=(order.customer_name or order.ship_name).strip(),
        tax_id=order.customer_tax_id.strip(),
        branch=order.customer_branch.strip(),
        address=address,
        phone=(order.customer_phone or order.ship_phone).strip(),
    )


def suggested_buyer(session: Session, order: int | str) -> Buyer:
    """The buyer a full tax invoice of ``order`` would get (to prefill a form)."""
    return buyer_from_order(_order_row(session, resolve_order_id(session, order)))


def _clean_buyer(buyer: Buyer, kind: DocumentKind) -> Buyer:
    name, address = buyer.name.strip(), " ".join(buyer.address.split())
    tax_id = buyer.tax_id.strip()
    if tax_id:
        try:
            tax_id = validate_tax_id(tax_id)
        except ThaiFormatError as exc:
            raise UserError(
                "document.invalid_buyer_tax_id",
                f"the buyer's tax ID {buyer.tax_id!r} is not valid: {exc}",
                field="tax_id",
                value=buyer.tax_id,
            ) from exc
    if kind in (DocumentKind.FULL, DocumentKind.CREDIT_NOTE) and not (name and address):
        missing = "name" if not name else "address"
        what = "a full tax invoice" if kind is DocumentKind.FULL else "a credit note"
        raise UserError(
            "document.buyer_required",
            f"{what} needs the buyer's name and address; the {missing} is missing",
            field=missing,
        )
    return Buyer(name, tax_id, buyer.branch.strip(), address, buyer.phone.strip())


def _next_document_number(session: Session, kind: DocumentKind, when: dt.datetime) -> str:
    year = when.astimezone(shop_mod.BANGKOK).year
    raw = DriverConnection(session)
    (value,) = raw.execute(
        "INSERT INTO sequences (name, value) VALUES (?, 1)"
        " ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        (f"doc:{kind.value}:{year}",),
    ).fetchone()
    return f"{PREFIXES[kind]}{year}-{value:06d}"


def issue_document(
    session: Session,
    order_id: int,
    kind: DocumentKind | str,
    actor: str,
    buyer: Buyer | None = None,
    *,
    now: dt.datetime | None = None,
) -> DocumentView:
    """Issue the ``kind`` document of an order, or return the one already issued (same number,
    date and buyer: ``buyer`` is then ignored). Run it in a write unit of work: the number is
    taken from the kind's counter in the same transaction, so numbers have no gaps. ``now``
    (aware; default the current time) dates it and picks the Bangkok year of its number.

    Raises :class:`UserError`: ``document.unknown_kind``; ``document.needs_vat`` (a tax
    invoice from a shop that is not VAT-registered); ``document.vat_shop_receipt`` (a
    VAT-registered shop issues tax invoices, not plain receipts); ``document.not_paid``;
    ``document.order_closed`` (cancelled); ``document.buyer_required`` (a full tax invoice
    without the buyer's name or address); ``document.invalid_buyer_tax_id``;
    :class:`NotFound` for an unknown order.
    """
    try:
        kind = DocumentKind(kind)
    except ValueError as exc:
        raise UserError(
            "document.unknown_kind",
            f"unknown document kind {kind!r}; use one of " + ", ".join(DocumentKind),
            kind=str(kind),
        ) from exc
    existing = find_document(session, order_id, kind)
    if existing is not None:
        return existing
    if kind is DocumentKind.CREDIT_NOTE:
        raise UserError(
            "document.credit_note_by_refund",
            "a credit note is issued by refunding an order that has a tax invoice",
            kind=kind.value,
        )
    order = _order_row(session, order_id)
    profile = shop_mod.get_profile(session)
    if kind is not DocumentKind.RECEIPT and not profile.vat_registered:
        raise UserError(
            "document.needs_vat",
            "only a VAT-registered shop may issue tax invoices; this shop issues receipts",
            kind=kind.value,
        )
    if kind is DocumentKind.RECEIPT and profile.vat_registered:
        raise UserError(
            "document.vat_shop_receipt",
            "a VAT-registered shop issues a tax invoice (full or abbreviated), not a plain receipt",
            kind=kind.value,
        )
    if order.status == OrderStatus.CANCELLED:
        raise UserError(
            "document.order_closed",
            f"order {order.number} is cancelled; no document can be issued for it",
            order=order.number,
        )
    if order.payment_status not in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
        raise UserError(
            "document.not_paid",
            f"order {order.number} is not paid yet; its receipt or tax invoice is issued "
            "once the payment is recorded",
            order=order.number,
        )
    if order.payment_status == PaymentStatus.REFUNDED:
        raise UserError(
            "document.order_closed",
            f"order {order.number} was refunded; no new document can be issued for it",
            order=order.number,
        )
    if kind is DocumentKind.ABBREVIATED:
        full = find_document(session, order.id, DocumentKind.FULL)
        if full is not None:
            raise UserError(
                "document.full_issued",
                f"order {order.number} has the full tax invoice {full.number}; print it (or "
                "its copy) instead of an abbreviated one",
                order=order.number,
                number=full.number,
            )
    chosen = _clean_buyer(buyer if buyer is not None else buyer_from_order(order), kind)
    recorded = now or utcnow()
    if kind in TAX_INVOICES:
        record_tax_point(order, recorded, TaxPointBasis.INVOICE)
    # s.86: the tax invoice is due at the tax point; printed later, it still carries that date.
    dated = _tax_point(order) or recorded
    abbreviated = (
        find_document(session, order.id, DocumentKind.ABBREVIATED)
        if kind is DocumentKind.FULL
        else None
    )
    if abbreviated is not None and abbreviated.cancelled:
        abbreviated = None
    doc = _record(
        session,
        order.id,
        kind,
        chosen,
        actor,
        recorded,
        dated=dated,
        replaces=abbreviated.number if abbreviated else "",
        note=f" (ยกเลิกและออกแทน {abbreviated.number})" if abbreviated else "",
    )
    if abbreviated is not None:
        _cancel(
            session,
            abbreviated,
            actor,
            recorded,
            f"ออกใบกำกับภาษีเต็มรูป {doc.number} แทน",
        )
    return doc


def _log(
    session: Session,
    order_id: int,
    actor: str,
    when: dt.datetime,
    note: str,
    audit: tuple[str, str, dict[str, Any]] | None = None,
) -> None:
    """A document's line in the order's timeline and, with ``audit`` (action, document
    number, changes), in the audit log."""
    session.add(
        OrderEvent(
            order_id=order_id, kind="document", status="", note=note, actor=actor, created_at=when
        )
    )
    if audit is not None:
        action, number, changes = audit
        session.add(
            AuditEntry(
                at=when,
                actor=actor,
                action=action,
                entity="tax_document",
                entity_id=number,
                changes=changes,
            )
        )


def _tax_point(order: Order) -> dt.datetime | None:
    """The order's tax point as an aware time (None before it has one)."""
    at = order.tax_point_at
    return at.replace(tzinfo=dt.UTC) if at is not None and at.tzinfo is None else at


def _cancel(session: Session, doc: DocumentView, actor: str, when: dt.datetime, note: str) -> None:
    """Cancel a document: it keeps its number and date, and is listed as cancelled."""
    row = session.get(TaxDocument, doc.id)
    assert row is not None
    row.cancelled_at = when
    row.cancel_note = note
    _log(
        session,
        doc.order_id,
        actor,
        when,
        f"ยกเลิก{TITLES[doc.kind][0]} {doc.number}: {note}",
        ("document.cancel", doc.number, {"cancelled": [None, note]}),
    )
    session.flush()


def _record(
    session: Session,
    order_id: int,
    kind: DocumentKind,
    buyer: Buyer,
    actor: str,
    now: dt.datetime,
    note: str = "",
    *,
    dated: dt.datetime | None = None,
    replaces: str = "",
) -> DocumentView:
    """Number and store a document dated ``dated`` (default ``now``; its number's year is
    that date's Bangkok year), with its line in the order's timeline at ``now``."""
    when = dated or now
    number = _next_document_number(session, kind, when)
    doc = TaxDocument(
        kind=kind.value,
        number=number,
        order_id=order_id,
        issued_at=when,
        buyer=buyer.to_json(),
        issued_by=actor,
        replaces=replaces,
    )
    session.add(doc)
    _log(session, order_id, actor, now, f"{TITLES[kind][0]} {number}{note}")
    session.flush()
    return _view(doc)


def issue_credit_note(
    session: Session,
    order_id: int,
    actor: str,
    *,
    refund_id: int,
    now: dt.datetime | None = None,
    buyer: Buyer | None = None,
) -> DocumentView | None:
    """The credit note (ใบลดหนี้, s.86/10) of one refund (``refunds.refund_order`` and
    ``refund_rest`` call it in the refund's unit of work), dated at the refund, from its own
    gap-free sequence (``CN2026-000001``); an order refunded in parts has one per refund.
    What it credits is the refund's: its lines, their value and VAT (``_credit``).

    Output tax is reduced only through a credit note against a tax invoice (s.82/10): a
    VAT-registered shop's sale whose tax point has passed but whose tax invoice was never
    printed gets it now (dated at its tax point; full when the order names the buyer and
    address, else abbreviated), then the credit note. None when there is no output tax to
    reduce: a shop that is not VAT-registered, or a sale without a tax point.

    The credit note names the buyer: ``buyer``, else the one an earlier credit note of the
    sale named, else the tax invoice's, else the order's. A credit note against an
    abbreviated invoice that names nobody needs ``buyer`` (name and address):
    :class:`UserError` ``document.credit_note_buyer_required`` asks for it."""
    when = now or utcnow()
    order = _order_row(session, order_id)
    invoice = _tax_invoice(session, order_id) or _owed_invoice(session, order, actor, when)
    if invoice is None:
        return None
    earlier = find_document(session, order_id, DocumentKind.CREDIT_NOTE)
    chosen = _credit_buyer(order, invoice, buyer, earlier.buyer if earlier else None)
    return _record(
        session,
        order_id,
        DocumentKind.CREDIT_NOTE,
        chosen,
        actor,
        when,
        note=f" (อ้างอิง {invoice.number}, การคืนเงินครั้งที่ {_refund_ordinal(session, refund_id)})",
    )


def _refund_ordinal(session: Session, refund_id: int) -> int:
    """The refund's place among its order's refunds (1 for the first)."""
    refund = session.get(Refund, refund_id)
    assert refund is not None
    return int(
        session.scalar(
            select(func.count(Refund.id)).where(
                Refund.order_id == refund.order_id, Refund.id <= refund_id
            )
        )
        or 0
    )


def _owed_invoice(
    session: Session, order: Order, actor: str, when: dt.datetime
) -> DocumentView | None:
    """The tax invoice a VAT-registered shop owed since the sale's tax point, issued now
    (dated at the tax point) so that a refund can be credited against it."""
    dated = _tax_point(order)
    if dated is None or not shop_mod.get_profile(session).vat_registered:
        return None
    named = buyer_from_order(order)
    kind = DocumentKind.FULL if named.name and named.address else DocumentKind.ABBREVIATED
    return _record(session, order.id, kind, named, actor, when, dated=dated)


def _credit_buyer(
    order: Order, invoice: DocumentView, given: Buyer | None, earlier: Buyer | None = None
) -> Buyer:
    """Who a credit note names (s.86/10 asks for the buyer's name and address)."""
    if given is not None:
        chosen = _clean_buyer(given, DocumentKind.CREDIT_NOTE)
    elif earlier is not None and earlier.name and earlier.address:
        chosen = earlier
    elif invoice.buyer.name and invoice.buyer.address:
        chosen = invoice.buyer
    else:
        chosen = buyer_from_order(order)
    if not (chosen.name and chosen.address):
        missing = "name" if not chosen.name else "address"
        raise UserError(
            "document.credit_note_buyer_required",
            f"a credit note for order {order.number} needs the buyer's name and address "
            f"(its tax invoice {invoice.number} names none); the {missing} is missing",
            order=order.number,
            field=missing,
        )
    return chosen


def _tax_invoice(session: Session, order_id: int) -> DocumentView | None:
    """The order's tax invoice: the full one when both were issued (it names the buyer, and
    cancelled the abbreviated one)."""
    for kind in TAX_INVOICES:
        found = find_document(session, order_id, kind)
        if found is not None:
            return found
    return None


def _credited(session: Session, doc: DocumentView) -> Refund:
    refund = session.scalar(
        select(Refund).where(Refund.credit_note_id == doc.id).options(selectinload(Refund.lines))
    )
    if refund is None:  # every credit note is issued by a refund; never deleted
        raise NotFound(
            "document.no_refund", f"credit note {doc.number} has no refund", number=doc.number
        )
    return refund


def _credit(session: Session, order: Order, doc: DocumentView, refund: Refund) -> Credit:
    """What credit note ``doc`` credits: exactly its refund, against the sale's tax invoice
    (whose value it shows, less the credit notes before it)."""
    invoice = _tax_invoice(session, order.id)
    if invoice is None:  # a credit note is only issued against one; never deleted
        raise NotFound(
            "document.no_tax_invoice",
            f"order {order.number} has no tax invoice",
            order=order.number,
        )
    earlier = session.execute(
        select(
            func.coalesce(func.sum(Refund.amount_satang), 0),
            func.coalesce(func.sum(Refund.vat_satang), 0),
        ).where(
            Refund.order_id == order.id,
            Refund.credit_note_id.is_not(None),
            Refund.id < refund.id,
        )
    ).one()
    value = order.total_satang - order.vat_satang
    before = int(earlier[0]) - int(earlier[1])
    difference = refund.amount_satang - refund.vat_satang
    return Credit(
        invoice_number=invoice.number,
        invoice_date=invoice.issued_at,
        invoice_title=TITLES[invoice.kind][0],
        original_value=value,
        correct_value=value - before - difference,
        difference=difference,
        vat=refund.vat_satang,
        reason=refund.reason.strip() or "คืนสินค้าและคืนเงิน",
        earlier_credits=before,
    )


def _credit_lines(order: Order, refund: Refund) -> tuple[DocLine, ...]:
    """A credit note's lines: exactly what its refund gave back (a price reduction has no
    units; the shipping is a line of its own)."""
    items = {i.id: i for i in order.items}
    out: list[DocLine] = []
    for ln in refund.lines:
        item = items.get(ln.order_item_id) if ln.order_item_id is not None else None
        if item is None:
            out.append(DocLine("", "ค่าจัดส่ง (Shipping)", 0, 0, 0, ln.amount_satang))
            continue
        name = item.name + (f" ({item.variant_title})" if item.variant_title else "")
        if ln.quantity == 0:
            out.append(DocLine(item.sku, f"{name} — ลดราคา", 0, 0, 0, ln.amount_satang))
            continue
        gross = item.unit_price_satang * ln.quantity
        out.append(
            DocLine(
                item.sku,
                name,
                ln.quantity,
                item.unit_price_satang,
                max(0, gross - ln.amount_satang),
                ln.amount_satang,
            )
        )
    return tuple(out)


# ---------------------------------------------------------------------------- gathering


def _seller(session: Session) -> Seller:
    p = shop_mod.get_profile(session)
    return Seller(
        name=p.name,
        name_en=p.name_en,
        address=p.address,
        phone=format_phone(p.phone) if p.phone else "",
        email=p.email,
        tax_id=p.tax_id,
        branch=p.branch_label,
        vat_registered=p.vat_registered,
        logo_path=p.logo_path,
        pos_number=p.pos_number,
    )


def _tenders(session: Session, order: Order) -> tuple[Tender, ...]:
    rows = session.scalars(
        select(OrderPayment).where(OrderPayment.order_id == order.id).order_by(OrderPayment.id)
    ).all()
    if rows:
        return tuple(
            Tender(
                r.method,
                PAYMENT_NAMES.get(r.method, r.method),
                r.amount_satang,
                r.tendered_satang,
                r.change_satang,
                r.ref,
            )
            for r in rows
        )
    return (
        Tender(
            order.payment_method,
            PAYMENT_NAMES.get(order.payment_method, order.payment_method),
            order.total_satang,
            0,
            0,
            order.payment_ref,
        ),
    )


def _lines(order: Order) -> tuple[DocLine, ...]:
    return tuple(
        DocLine(
            sku=i.sku,
            description=i.name + (f" ({i.variant_title})" if i.variant_title else ""),
            quantity=i.quantity,
            unit_price_satang=i.unit_price_satang,
            discount_satang=i.discount_satang,
            amount_satang=i.line_total_satang,
        )
        for i in order.items
    )


def document_data(session: Session, doc: DocumentView) -> DocumentData:
    """What the issued document ``doc`` shows, read from the order and the shop profile."""
    order = session.scalar(
        select(Order).where(Order.id == doc.order_id).options(selectinload(Order.items))
    )
    if order is None:
        raise NotFound("order.not_found", f"no order {doc.order_id}", order=str(doc.order_id))
    title_th, title_en = TITLES[doc.kind]
    credit, lines = None, _lines(order)
    if doc.kind is DocumentKind.CREDIT_NOTE:
        refund = _credited(session, doc)
        credit, lines = _credit(session, order, doc, refund), _credit_lines(order, refund)
    totals = DocTotals(
        subtotal=order.subtotal_satang,
        discount=order.discount_satang,
        shipping=order.shipping_satang,
        vat_rate_bp=order.vat_rate_bp,
        vat=order.vat_satang,
        total=order.total_satang,
        prices_include_vat=order.prices_include_vat,
    )
    return DocumentData(
        kind=doc.kind,
        number=doc.number,
        issued_at=doc.issued_at,
        issued_by=doc.issued_by,
        title_th=title_th,
        title_en=title_en,
        seller=_seller(session),
        buyer=doc.buyer,
        order_number=order.number,
        order_date=order.created_at,
        channel=order.channel,
        lines=lines,
        totals=totals,
        paid_at=order.paid_at,
        tenders=_tenders(session, order),
        amount_words=bahttext(satang_to_decimal(credit.total if credit else order.total_satang)),
        credit=credit,
        mark=_mark_of(doc),
        replaces=doc.replaces,
        reason=doc.cancel_note,
    )


def _mark_of(doc: DocumentView) -> Mark:
    """What printing ``doc`` now would make, without recording it."""
    if doc.cancelled:
        return Mark.CANCELLED
    return Mark.COPY if doc.original_at is not None else Mark.ORIGINAL


def record_print(
    session: Session,
    doc: DocumentView,
    actor: str,
    *,
    replacement: str | None = None,
    now: dt.datetime | None = None,
) -> Mark:
    """Record that ``doc`` is printed (or saved) now and say what the print is: the one
    original the first time, a copy afterwards, ยกเลิก for a cancelled document; with
    ``replacement`` (the reason), a ใบแทน of a lost original (Revenue Code s.86/12: the same
    number and date, marked, the reason in the order's timeline and the audit log).

    Raises :class:`UserError` ``document.replacement_reason`` (no reason given),
    ``document.no_original_yet`` (nothing to replace: print the original) and
    ``document.cancelled`` (a cancelled document is not replaced)."""
    when = now or utcnow()
    row = session.get(TaxDocument, doc.id)
    if row is None:
        raise NotFound("document.not_found", f"no document {doc.number}", number=doc.number)
    if replacement is None:
        mark = _mark_of(doc)
        if mark is Mark.ORIGINAL:
            row.original_at = when
            session.flush()
        return mark
    if doc.cancelled:
        raise UserError(
            "document.cancelled",
            f"{doc.number} was cancelled ({doc.cancel_note}); it has no replacement",
            number=doc.number,
        )
    reason = " ".join(replacement.split())
    if not reason:
        raise UserError(
            "document.replacement_reason",
            "say why the original is replaced (e.g. the customer lost it)",
            number=doc.number,
        )
    if row.original_at is None:
        raise UserError(
            "document.no_original_yet",
            f"the original of {doc.number} has not been printed yet; print it instead",
            number=doc.number,
        )
    row.reissues = (row.reissues or 0) + 1
    _log(
        session,
        doc.order_id,
        actor,
        when,
        f"ใบแทน {TITLES[doc.kind][0]} {doc.number} ครั้งที่ {row.reissues}: {reason}",
        (
            "document.replacement",
            doc.number,
            {"reissues": [row.reissues - 1, row.reissues], "reason": [None, reason]},
        ),
    )
    session.flush()
    return Mark.REPLACEMENT


def issue_and_gather(
    session: Session,
    order: int | str,
    actor: str,
    *,
    kind: DocumentKind | str | None = None,
    counter: bool = False,
    buyer: Buyer | None = None,
    copy: bool = False,
    replacement: str | None = None,
) -> DocumentData:
    """Issue (or find) an order's document, record its print (:func:`record_print`; ``copy``
    prints a copy and leaves the original unprinted) and gather what it shows, in one write
    unit of work. ``kind`` defaults to :func:`default_kind` (``counter``: the counter slip)."""
    order_id = resolve_order_id(session, order)
    chosen = DocumentKind(kind) if kind is not None else default_kind(session, counter=counter)
    doc = issue_document(session, order_id, chosen, actor, buyer)
    if copy and replacement is None:
        mark = Mark.CANCELLED if doc.cancelled else Mark.COPY
    else:
        mark = record_print(session, doc, actor, replacement=replacement)
    data = document_data(session, doc)
    return replace(data, mark=mark, reason=replacement or data.reason)


def gather_issued(
    session: Session,
    order: int | str,
    *,
    kind: DocumentKind | str | None = None,
    counter: bool = False,
) -> DocumentData | None:
    """What an order's already-issued document shows, or None when it has not been issued
    (a reprint needs no write transaction). Its ``mark`` says what printing it now would be:
    :attr:`Mark.ORIGINAL` means the original is still to be printed (record it with
    :func:`issue_and_gather`)."""
    order_id = resolve_order_id(session, order)
    chosen = DocumentKind(kind) if kind is not None else default_kind(session, counter=counter)
    doc = find_document(session, order_id, chosen)
    return document_data(session, doc) if doc is not None else None


def label_data(session: Session, orders: Sequence[int | str]) -> list[LabelData]:
    """Shipping labels of ``orders`` (ids or numbers), in the order given. Raises
    :class:`NotFound` naming the first unknown order, and :class:`UserError`
    (``label.no_address``) naming an order that has no recipient address."""
    ids = [resolve_order_id(session, ref) for ref in orders]
    seller = _seller(session)
    rows = {
        o.id: o
        for o in session.scalars(
            select(Order).where(Order.id.in_(ids)).options(selectinload(Order.items))
        )
    }
    result: list[LabelData] = []
    for oid in ids:
        o = rows[oid]
        name = (o.ship_name or o.customer_name).strip()
        street = _joined_address(o.ship_address, o.ship_subdistrict, o.ship_district)
        if not name or not street:
            raise UserError(
                "label.no_address",
                f"order {o.number} has no recipient name and address to ship to",
                order=o.number,
            )
        items = tuple(
            (i.name + (f" ({i.variant_title})" if i.variant_title else ""), i.quantity)
            for i in o.items
        )
        cod = o.cod_satang if o.payment_status != PaymentStatus.PAID else 0
        result.append(
            LabelData(
                order_id=o.id,
                order_number=o.number,
                code=o.tracking_number or o.number,
                carrier=o.carrier or o.shipping_method,
                sender_name=seller.name,
                sender_address=seller.address,
                sender_phone=seller.phone,
                recipient_name=name,
                recipient_phone=format_phone(o.ship_phone or o.customer_phone),
                recipient_address=street,
                recipient_province=o.ship_province.strip(),
                recipient_postcode=o.ship_postcode.strip(),
                cod_satang=cod,
                items=items,
                item_count=sum(q for _, q in items),
                note="",
                created_at=o.created_at,
            )
        )
    return result


# ---------------------------------------------------------------------------- printer settings

PRINTING_KEY = "printing"


class ReceiptPrinterKind(StrEnum):
    NONE = "none"  # the print dialog each time
    SYSTEM = "system"  # a printer the operating system knows, by name
    NETWORK = "network"  # ESC/POS over TCP, host:port (usually port 9100)
    USB = "usb"  # ESC/POS over USB, vendor:product in hex
    FILE = "file"  # ESC/POS to a device or file path (/dev/usb/lp0, COM3, a test file)


@dataclass(frozen=True, slots=True)
class PrinterSettings:
    """How this shop prints. ``receipt_target`` is the system printer name, ``host:port``,
    ``vendor:product`` or a path, by ``receipt_kind``."""

    receipt_kind: ReceiptPrinterKind = ReceiptPrinterKind.NONE
    receipt_target: str = ""
    receipt_width: int = 80
    label_four_up: bool = False
    label_printer: str = ""  # a system printer for labels; empty: ask each time


def _port(text: str) -> int | None:
    return int(text) if text.isdigit() and 0 < int(text) < 65536 else None


def parse_network_target(target: str) -> tuple[str, int]:
    """``host`` or ``host:port`` (port 9100 by default, the raw printing port)."""
    text = target.strip()
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = text, "9100"
    port = _port(port_text)
    if not host or port is None or " " in host:
        raise UserError(
            "printer.bad_network",
            f"printer address {target!r} should look like 192.168.1.50 or 192.168.1.50:9100",
            value=target,
        )
    return host, port


def parse_usb_target(target: str) -> tuple[int, int]:
    """``vendor:product`` in hex (``04b8:0202``, as ``lsusb`` prints it)."""
    m = re.fullmatch(r"\s*(?:0x)?([0-9a-fA-F]{1,4})\s*:\s*(?:0x)?([0-9a-fA-F]{1,4})\s*", target)
    if m is None:
        raise UserError(
            "printer.bad_usb",
            f"USB printer {target!r} should be vendor:product in hex, e.g. 04b8:0202",
            value=target,
        )
    return int(m[1], 16), int(m[2], 16)


def check_printer_settings(settings: PrinterSettings) -> PrinterSettings:
    """The settings, checked and tidied. Raises :class:`UserError` naming the bad field."""
    kind = ReceiptPrinterKind(settings.receipt_kind)
    target = settings.receipt_target.strip()
    if settings.receipt_width not in (80, 58):
        raise UserError(
            "printer.bad_width",
            f"receipt paper is 80 or 58 mm wide, not {settings.receipt_width}",
            value=settings.receipt_width,
        )
    if kind is ReceiptPrinterKind.NETWORK:
        host, port = parse_network_target(target)
        target = f"{host}:{port}"
    elif kind is ReceiptPrinterKind.USB:
        vendor, product = parse_usb_target(target)
        target = f"{vendor:04x}:{product:04x}"
    elif kind in (ReceiptPrinterKind.FILE, ReceiptPrinterKind.SYSTEM) and not target:
        raise UserError(
            "printer.target_required",
            "choose the printer (its name or the device path)",
            field="receipt_target",
        )
    elif kind is ReceiptPrinterKind.NONE:
        target = ""
    return PrinterSettings(
        kind, target, settings.receipt_width, bool(settings.label_four_up), settings.label_printer
    )


def get_printer_settings(session: Session) -> PrinterSettings:
    raw = shop_mod.get_setting(session, PRINTING_KEY, {}) or {}
    try:
        kind = ReceiptPrinterKind(raw.get("receipt_kind", "none"))
    except ValueError:
        kind = ReceiptPrinterKind.NONE
    width = raw.get("receipt_width", 80)
    return PrinterSettings(
        receipt_kind=kind,
        receipt_target=str(raw.get("receipt_target", "")),
        receipt_width=width if width in (80, 58) else 80,
        label_four_up=bool(raw.get("label_four_up", False)),
        label_printer=str(raw.get("label_printer", "")),
    )


def save_printer_settings(session: Session, settings: PrinterSettings) -> PrinterSettings:
    """Check and store the printer settings; returns them as stored."""
    clean = check_printer_settings(settings)
    shop_mod.put_setting(
        session,
        PRINTING_KEY,
        {
            "receipt_kind": clean.receipt_kind.value,
            "receipt_target": clean.receipt_target,
            "receipt_width": clean.receipt_width,
            "label_four_up": clean.label_four_up,
            "label_printer": clean.label_printer,
        },
    )
    return clean


def order_numbers(session: Session, order_ids: Iterable[int]) -> dict[int, str]:
    """Order numbers by id (for file names and messages)."""
    ids = list(order_ids)
    rows = session.execute(select(Order.id, Order.number).where(Order.id.in_(ids)))
    return {int(oid): str(number) for oid, number in rows}
