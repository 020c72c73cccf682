"""Documents for screens and the command line: order ids or numbers in, PDF bytes out.

Each function issues what must be issued (a tax invoice or receipt number) in one short write
unit of work, then draws the PDF outside it, so the database's single writer is never held
while reportlab works. They block for tens of milliseconds (labels: about 50 ms each): screens
run them off the GUI thread (see ``ui/printing.py``).

Orders are given as ids (``int``) or numbers (``"MC-2026-000123"``). Errors are the domain's:
:class:`UserError` (unknown order, not paid, a full tax invoice without the buyer's address…)
and :class:`EnvironmentProblem` (a printer that cannot be reached).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from minichat_desktop.documents import escpos
from minichat_desktop.documents.invoice import render_invoice
from minichat_desktop.documents.label import render_labels
from minichat_desktop.documents.receipt import render_receipt, render_test_page
from minichat_desktop.domain import shop
from minichat_desktop.domain.sales import tax_documents as docs
from minichat_desktop.domain.sales.tax_documents import Buyer, DocumentKind, PrinterSettings
from minichat_desktop.domain.sql import UnitOfWork
from minichat_desktop.errors import UserError
from minichat_desktop.files import atomic_write_bytes

OrderRef = int | str


def merge_pdfs(parts: Sequence[bytes]) -> bytes:
    """One PDF of the pages of ``parts``, in order."""
    if len(parts) == 1:
        return parts[0]
    import pypdfium2 as pdfium

    out = pdfium.PdfDocument.new()
    try:
        for part in parts:
            src = pdfium.PdfDocument(part)
            try:
                out.import_pages(src)
            finally:
                src.close()
        buf = io.BytesIO()
        out.save(buf)
        return buf.getvalue()
    finally:
        out.close()


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through :func:`~minichat_desktop.files.atomic_write`: a
    reader never sees half a PDF. Raises :class:`EnvironmentProblem` ``env.write_failed`` when
    the folder cannot be written."""
    atomic_write_bytes(path.expanduser(), data, problem="env.write_failed")


def _gather(
    db: UnitOfWork,
    orders: Sequence[OrderRef],
    actor: str,
    *,
    kind: DocumentKind | str | None = None,
    counter: bool = False,
    buyer: Buyer | None = None,
    copy: bool = False,
    replacement: str | None = None,
) -> list[docs.DocumentData]:
    """The documents of ``orders``, marked as what this print is. Read only when every one
    was issued and printed before (or ``copy`` is asked): copies. Otherwise issued and their
    print recorded in one write unit of work (all or none): the first print of a number is
    its original, a ``replacement`` (the reason) its ใบแทน."""
    if buyer is None and replacement is None:
        with db.read() as session:
            found = [docs.gather_issued(session, r, kind=kind, counter=counter) for r in orders]
        if all(d is not None and (copy or d.mark is not docs.Mark.ORIGINAL) for d in found):
            return [
                replace(d, mark=docs.Mark.COPY) if copy and d.mark is docs.Mark.ORIGINAL else d
                for d in found
                if d is not None
            ]
    with db.write() as session:
        return [
            docs.issue_and_gather(
                session,
                r,
                actor,
                kind=kind,
                counter=counter,
                buyer=buyer,
                copy=copy,
                replacement=replacement,
            )
            for r in orders
        ]


def _need_orders(orders: Sequence[OrderRef]) -> None:
    if not orders:
        raise UserError("document.no_orders", "choose at least one order")


def invoices_pdf(
    db: UnitOfWork,
    orders: Sequence[OrderRef],
    *,
    actor: str = "owner",
    kind: DocumentKind | str | None = None,
    copy: bool = False,
) -> bytes:
    """A4 documents of ``orders`` in one PDF: the full tax invoice of a VAT-registered shop,
    else the receipt (or the ``kind`` asked for). Numbers are issued for all the orders or,
    when one cannot have its document, for none (the error names that order). Each is marked
    original the first time it is printed or saved, copy afterwards (or with ``copy``)."""
    _need_orders(orders)
    data = _gather(db, orders, actor, kind=kind, copy=copy)
    return merge_pdfs([render_invoice(d) for d in data])


def invoice_pdf(
    db: UnitOfWork,
    order: OrderRef,
    *,
    actor: str = "owner",
    kind: DocumentKind | str | None = None,
    buyer: Buyer | None = None,
    copy: bool = False,
    replacement: str | None = None,
) -> bytes:
    """The A4 document of one order (see :func:`invoices_pdf`). ``buyer`` sets the name,
    address and tax ID printed on a full tax invoice issued now (a reprint keeps the first).
    The first print of a number is its original (ต้นฉบับ), later ones copies (สำเนา);
    ``replacement`` (the reason) prints a ใบแทน of a lost original."""
    (data,) = _gather(
        db, [order], actor, kind=kind, buyer=buyer, copy=copy, replacement=replacement
    )
    return render_invoice(data)


def credit_note_pdf(
    db: UnitOfWork, number: str, *, actor: str = "owner", copy: bool = False
) -> bytes:
    """The A4 credit note numbered ``number`` (``CN2026-000002``: an order refunded in parts
    has one per refund), recorded as printed: the original the first time, a copy after (or
    with ``copy``). Raises :class:`UserError` ``document.not_found`` or
    ``document.not_credit_note``."""
    with db.write() as session:
        doc = docs.find_by_number(session, number)
        if doc.kind is not DocumentKind.CREDIT_NOTE:
            raise UserError(
                "document.not_credit_note",
                f"{doc.number} is not a credit note; print it with `minichat invoice`",
                number=doc.number,
            )
        mark = docs.Mark.COPY if copy else docs.record_print(session, doc, actor)
        data = replace(docs.document_data(session, doc), mark=mark)
    return render_invoice(data)


def receipts_pdf(
    db: UnitOfWork,
    orders: Sequence[OrderRef],
    *,
    width: int = 80,
    actor: str = "owner",
    printable_only: bool = False,
) -> bytes:
    """Counter receipts on a ``width`` (80 or 58) mm roll, one page each: the abbreviated tax
    invoice of a VAT-registered shop, else the receipt."""
    _need_orders(orders)
    if width not in (80, 58):
        raise UserError("printer.bad_width", f"receipt paper is 80 or 58 mm wide, not {width}")
    data = _gather(db, orders, actor, counter=True)
    return merge_pdfs([render_receipt(d, width, printable_only=printable_only) for d in data])


def receipt_pdf(
    db: UnitOfWork,
    order: OrderRef,
    *,
    width: int = 80,
    actor: str = "owner",
    printable_only: bool = False,
) -> bytes:
    """The counter receipt of one order (see :func:`receipts_pdf`)."""
    return receipts_pdf(db, [order], width=width, actor=actor, printable_only=printable_only)


def labels_pdf(db: UnitOfWork, orders: Sequence[OrderRef], *, four_up: bool = False) -> bytes:
    """Shipping labels (100 × 150 mm, or four to an A4 sheet) of ``orders`` in one PDF.
    Nothing is issued: labels only read."""
    _need_orders(orders)
    with db.read() as session:
        data = docs.label_data(session, orders)
    return render_labels(data, four_up=four_up)


def _now_text() -> str:
    return docs.thai_date(dt.datetime.now(dt.UTC), with_time=True)


def test_page_pdf(
    width: int = 80, *, shop_name: str = "", printer: str = "", printable_only: bool = False
) -> bytes:
    """A printer test page for a ``width`` mm roll."""
    if width not in (80, 58):
        raise UserError("printer.bad_width", f"receipt paper is 80 or 58 mm wide, not {width}")
    return render_test_page(
        width, shop_name=shop_name, printer=printer, when=_now_text(), printable_only=printable_only
    )


def label_test_pdf(db: UnitOfWork, *, four_up: bool = False) -> bytes:
    """A test shipping label (100 × 150 mm, or four to an A4 sheet) from the shop to a sample
    recipient, marked as a test: the label printer's test page."""
    with db.read() as session:
        seller = shop.get_profile(session)
    sample = docs.LabelData(
        order_id=0,
        order_number="TEST-0001",
        code="TEST0001",
        carrier="ทดสอบการพิมพ์ / printer test",
        sender_name=seller.name or "MiniChat",
        sender_address=seller.address,
        sender_phone=seller.phone,
        recipient_name="ตัวอย่าง ผู้รับ (ทดสอบ)",
        recipient_phone="081-234-5678",
        recipient_address="99/9 ถนนตัวอย่าง แขวงทดสอบ เขตทดสอบ",
        recipient_province="กรุงเทพมหานคร",
        recipient_postcode="10110",
        cod_satang=0,
        items=(("หน้าทดสอบเครื่องพิมพ์ฉลาก", 1),),
        item_count=1,
        note="หน้าทดสอบ ไม่ต้องส่ง",
        created_at=dt.datetime.now(dt.UTC),
    )
    return render_labels([sample] * (4 if four_up else 1), four_up=four_up)


def printer_settings(db: UnitOfWork) -> PrinterSettings:
    with db.read() as session:
        return docs.get_printer_settings(session)


def print_escpos(
    db: UnitOfWork,
    order: OrderRef,
    *,
    settings: PrinterSettings | None = None,
    actor: str = "owner",
    open_drawer: bool | None = None,
) -> None:
    """Print an order's counter receipt on the ESC/POS printer of ``settings`` (default: the
    shop's printer settings), as an image, and open the cash drawer wired to the printer when
    ``open_drawer`` (default: when part of the sale was paid in cash). Raises
    :class:`UserError` when no ESC/POS printer is set, :class:`EnvironmentProblem` when it
    cannot be reached."""
    chosen = settings or printer_settings(db)
    escpos.open_printer(chosen)  # says clearly when no ESC/POS printer is set
    if chosen.receipt_width not in (80, 58):
        raise UserError("printer.bad_width", "receipt paper is 80 or 58 mm wide")
    (data,) = _gather(db, [order], actor, counter=True)
    if open_drawer is None:
        open_drawer = any(t.method == "cash" for t in data.tenders)
    pdf = render_receipt(data, chosen.receipt_width, printable_only=True)
    escpos.print_pdf(chosen, pdf, open_drawer=open_drawer)


def print_escpos_test_page(db: UnitOfWork | None, settings: PrinterSettings) -> None:
    """Print the test page on the ESC/POS printer of ``settings``."""
    name = ""
    if db is not None:
        with db.read() as session:
            name = shop.get_profile(session).name
    pdf = test_page_pdf(
        settings.receipt_width,
        shop_name=name,
        printer=f"{settings.receipt_kind.value} {settings.receipt_target}".strip(),
        printable_only=True,
    )
    escpos.print_pdf(settings, pdf)


test_page_pdf.__test__ = False  # type: ignore[attr-defined]  # a printer test page, not a pytest test
