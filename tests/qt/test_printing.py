"""Printing from the app (PDF pages painted on a QPrinter, here one that writes a PDF file) and
Settings → Printers on a real database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QWidget
from support.boxes import Boxes, choose_file

from minichat_desktop.documents import api
from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.models import Channel, OrderStatus
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales import tax_documents as docs
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.domain.sales.tax_documents import PrinterSettings, ReceiptPrinterKind
from minichat_desktop.storage.db import Database
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.printing import (
    BuyerDialog,
    print_credit_note,
    print_invoice,
    print_pdf,
    print_receipt,
    save_document,
)
from minichat_desktop.ui.settings_common import Tone
from minichat_desktop.ui.settings_printers import PrintersPage

MM = 72 / 25.4


class Owner(QWidget):
    """A window the dialogs belong to (``dialog`` is the one open)."""

    dialog: Any = None


def _sizes_mm(path: Path) -> list[tuple[float, float]]:
    doc = pdfium.PdfDocument(path.read_bytes())
    try:
        return [(round(p.get_width() / MM), round(p.get_height() / MM)) for p in doc]
    finally:
        doc.close()


def _file_printer(path: Path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


def _shop_with_orders(db: Database, n: int = 3) -> list[int]:
    with db.write() as s:
        shop.ensure_defaults(s)
        shop.update_profile(
            s, "owner", name="ร้านทดสอบ", tax_id="0105565123452", vat_registered=True
        )
        catalog.save_product(
            s, ProductInput(sku="P1", name_th="เสื้อยืด", price_satang=29000, stock=50), "o"
        )
        return [
            orders.place_order(
                s,
                NewOrder(
                    channel=Channel.POS,
                    lines=[LineInput(quantity=1, sku="P1")],
                    completed=True,
                    ship_name="สมศรี",
                    ship_phone="0812345678",
                    ship_address="1 ถนนสีลม",
                    ship_district="บางรัก",
                    ship_province="กรุงเทพมหานคร",
                    ship_postcode="10500",
                ),
                "staff",
            ).id
            for _ in range(n)
        ]


@pytest.fixture
def dialogs(qapp: Any) -> Iterator[list[tuple[str, str]]]:
    """The warning and crash boxes shown (each closed as a person would); questions are
    answered Yes."""
    boxes = Boxes().start()
    yield boxes.shown
    boxes.stop()


async def test_print_pdf_paints_every_page_on_the_paper_size(
    make_ctx: Callable[..., AppContext], tmp_path: Path
) -> None:
    ctx = make_ctx()
    ids = _shop_with_orders(ctx.ops.db)
    labels = api.labels_pdf(ctx.ops.db, ids)
    out = tmp_path / "printed-labels.pdf"
    assert await print_pdf(None, labels, "labels", printer=_file_printer(out), ask=False)
    assert _sizes_mm(out) == [(100, 150)] * 3

    invoice = api.invoice_pdf(ctx.ops.db, ids[0], kind="abbreviated")
    out2 = tmp_path / "printed-invoice.pdf"
    assert await print_pdf(None, invoice, "invoice", printer=_file_printer(out2), ask=False)
    assert _sizes_mm(out2) == [(210, 297)]


async def test_print_pdf_honours_a_page_range(
    make_ctx: Callable[..., AppContext], tmp_path: Path
) -> None:
    ctx = make_ctx()
    ids = _shop_with_orders(ctx.ops.db, 4)
    out = tmp_path / "range.pdf"
    printer = _file_printer(out)
    printer.setFromTo(2, 3)
    assert await print_pdf(
        None, api.labels_pdf(ctx.ops.db, ids), "labels", printer=printer, ask=False
    )
    assert len(_sizes_mm(out)) == 2


async def test_receipt_goes_to_the_escpos_printer_set(
    make_ctx: Callable[..., AppContext], tmp_path: Path, dialogs: list[tuple[str, str]]
) -> None:
    ctx = make_ctx()
    (oid,) = _shop_with_orders(ctx.ops.db, 1)
    device = tmp_path / "lp0"
    with ctx.ops.db.write() as s:
        docs.save_printer_settings(
            s, PrinterSettings(ReceiptPrinterKind.FILE, str(device), receipt_width=58)
        )
    changed: list[set[str]] = []
    ctx.ops.changed.connect(changed.append)
    assert await print_receipt(None, ctx, oid)  # type: ignore[arg-type]
    assert b"\x1dv0\x00" + bytes([48, 0]) in device.read_bytes()  # 384 dots = 48 bytes a row
    assert {"orders", "documents"} in changed
    assert dialogs == []


async def test_receipt_error_is_shown_in_thai(
    make_ctx: Callable[..., AppContext], dialogs: list[tuple[str, str]]
) -> None:
    ctx = make_ctx()
    with ctx.ops.db.write() as s:
        shop.ensure_defaults(s)
        docs.save_printer_settings(
            s, PrinterSettings(ReceiptPrinterKind.NETWORK, "127.0.0.1:1", receipt_width=80)
        )
    assert not await print_receipt(None, ctx, "MC-2026-999999")  # type: ignore[arg-type]
    assert [text for _, text in dialogs] == ["ไม่พบออเดอร์ MC-2026-999999"]


async def test_printers_page_saves_checks_and_prints_a_test_page(
    make_ctx: Callable[..., AppContext],
    qtbot: Any,
    tmp_path: Path,
    dialogs: list[tuple[str, str]],
) -> None:
    ctx = make_ctx()
    page = PrintersPage(ctx)
    qtbot.addWidget(page)
    page.resize(900, 700)
    page.show()
    assert page.current() == PrinterSettings()
    assert not page.target.isEnabled() and not page.system_printer.isEnabled()

    page.kind.setCurrentIndex(page.kind.findData("network"))
    assert page.target.isEnabled()
    assert page.target.placeholderText() == "192.168.1.50:9100"
    page.target.setText("printer:99999")
    assert not await page.save_now()
    assert page.feedback.tone is Tone.ERROR
    assert dialogs[-1][1] == "ที่อยู่เครื่องพิมพ์ควรเป็นแบบ 192.168.1.50 หรือ 192.168.1.50:9100"
    assert page.target.text() == "printer:99999"  # what was typed stays
    with ctx.ops.db.read() as s:
        assert docs.get_printer_settings(s) == PrinterSettings()

    page.target.setText("192.168.1.77")
    page.paper.setCurrentIndex(page.paper.findData(58))
    page.layout_combo.setCurrentIndex(page.layout_combo.findData(True))
    assert await page.save_now()
    assert page.feedback.text() == "บันทึกการตั้งค่าเครื่องพิมพ์แล้ว"
    assert page.feedback.status_tone == "ok"  # drawn with the check icon
    assert page.target.text() == "192.168.1.77:9100"
    with ctx.ops.db.read() as s:
        assert docs.get_printer_settings(s) == PrinterSettings(
            ReceiptPrinterKind.NETWORK, "192.168.1.77:9100", 58, True, ""
        )
    again = PrintersPage(ctx)
    qtbot.addWidget(again)
    assert again.current() == PrinterSettings(
        ReceiptPrinterKind.NETWORK, "192.168.1.77:9100", 58, True, ""
    )

    device = tmp_path / "lp0"
    page.kind.setCurrentIndex(page.kind.findData("file"))
    page.target.setText(str(device))
    assert await page.print_test_page()
    assert b"\x1dv0\x00" + bytes([48, 0]) in device.read_bytes()
    assert page.feedback.text() == "ส่งหน้าทดสอบไปที่เครื่องพิมพ์แล้ว"
    assert page.feedback.status_tone == "ok"  # drawn with the check icon
    await asyncio.sleep(0)
    page.grab().save(str(tmp_path / "printers-page.png"))


async def test_walk_in_full_tax_invoice_asks_for_the_buyer(
    make_ctx: Callable[..., AppContext], tmp_path: Path, dialogs: list[tuple[str, str]]
) -> None:
    """A counter sale has no buyer: the form asks, refuses an empty name, then the invoice is
    issued to the buyer typed and printed."""
    ctx = make_ctx()
    with ctx.ops.db.write() as s:
        shop.ensure_defaults(s)
        shop.update_profile(
            s, "owner", name="ร้านทดสอบ", tax_id="0105565123452", vat_registered=True
        )
        catalog.save_product(
            s, ProductInput(sku="P1", name_th="เสื้อยืด", price_satang=29000, stock=5), "o"
        )
        sale = orders.place_order(
            s,
            NewOrder(channel=Channel.POS, lines=[LineInput(quantity=1, sku="P1")], completed=True),
            "staff",
        )
    seen: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, BuyerDialog):  # not open yet: the PDF is being tried
            QTimer.singleShot(20, answer)
            return
        dialog.accept()  # empty: refused, stays open
        seen.append(dialog.problem.text())
        dialog.name.setText("บริษัท ลูกค้า จำกัด")
        dialog.address.setPlainText("9 ถนนสีลม\nบางรัก กรุงเทพมหานคร 10500")
        dialog.tax_id.setText("1-1017-00230-70-8")
        dialog.accept()

    QTimer.singleShot(50, answer)
    out = tmp_path / "invoice.pdf"
    assert await print_invoice(None, ctx, sale.id, printer=_file_printer(out))
    assert seen == ["กรุณาใส่ชื่อหรือบริษัทของผู้ซื้อ"]
    assert _sizes_mm(out) == [(210, 297)]
    with ctx.ops.db.read() as s:
        (doc,) = docs.list_documents(s, sale.id)
    assert doc.kind == "full"
    assert doc.buyer == docs.Buyer(
        "บริษัท ลูกค้า จำกัด", "1101700230708", "", "9 ถนนสีลม บางรัก กรุงเทพมหานคร 10500"
    )
    assert dialogs == []


async def test_save_document_writes_the_pdf_where_chosen(
    make_ctx: Callable[..., AppContext],
    tmp_path: Path,
    dialogs: list[tuple[str, str]],
) -> None:
    """Save as PDF: the file dialog suggests a name from the order; .pdf is added if left off."""
    ctx = make_ctx()
    ids = _shop_with_orders(ctx.ops.db, 2)
    owner = Owner()
    saving = asyncio.ensure_future(save_document(owner, ctx, "labels", ids))
    suggested = await choose_file(owner, str(tmp_path / "labels-today"))
    saved = await saving
    assert saved == tmp_path / "labels-today.pdf"
    assert _sizes_mm(saved) == [(100, 150)] * 2
    assert suggested == "labels-MC-2026-000001-and-1-more.pdf"
    owner.deleteLater()
    assert dialogs == []


async def test_credit_note_prints_after_a_refund_and_is_explained_before(
    make_ctx: Callable[..., AppContext], tmp_path: Path, dialogs: list[tuple[str, str]]
) -> None:
    """A refunded VAT sale prints its credit note — also one whose tax invoice was never
    printed (the refund issued the invoice it owed). A shop that is not VAT-registered issues
    none, and the owner is told why in Thai."""
    ctx = make_ctx()
    invoiced, bare, plain = _shop_with_orders(ctx.ops.db, 3)
    with ctx.ops.db.write() as s:
        docs.issue_document(s, invoiced, docs.DocumentKind.ABBREVIATED, "staff")
        for oid in (invoiced, bare):
            orders.change_status(s, oid, OrderStatus.REFUNDED, "owner", note="คืนสินค้า")
        shop.update_profile(s, "owner", vat_registered=False)
        orders.change_status(s, plain, OrderStatus.REFUNDED, "owner", note="คืนสินค้า")
    for oid in (invoiced, bare):
        out = tmp_path / f"credit-{oid}.pdf"
        assert await print_credit_note(None, ctx, oid, printer=_file_printer(out))
        assert _sizes_mm(out) == [(210, 297)]
    assert dialogs == []
    assert not await print_credit_note(None, ctx, plain, printer=_file_printer(tmp_path / "x.pdf"))
    assert dialogs == [
        ("กรุณาตรวจสอบ", "ออเดอร์นี้ไม่มีใบลดหนี้ ใบลดหนี้ออกให้เมื่อคืนเงินออเดอร์ที่ออกใบกำกับภาษีไปแล้ว")
    ]
    assert not (tmp_path / "x.pdf").exists()


async def test_an_order_refunded_in_parts_asks_which_credit_note(
    make_ctx: Callable[..., AppContext], tmp_path: Path, dialogs: list[tuple[str, str]]
) -> None:
    """A sale refunded in two parts has two credit notes: printing asks which (newest first)
    and prints the one chosen as its original; a number given prints that one straight."""
    from minichat_desktop.domain.sales import refunds
    from minichat_desktop.ui.pos_dialogs import PickDialog

    ctx = make_ctx()
    (oid,) = _shop_with_orders(ctx.ops.db, 1)
    with ctx.ops.db.write() as s:
        item = orders.get_order(s, oid).items[0].id
        buyer = docs.Buyer(name="สมศรี", address="1 ถนนสีลม")
        ask = refunds.RefundRequest(amounts={item: 1_000}, reason="ลดราคา")
        first = refunds.refund_order(s, oid, ask, "owner", buyer=buyer)
        second = refunds.refund_order(s, oid, ask, "owner")
    shown: list[list[str]] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, PickDialog):
            QTimer.singleShot(20, answer)
            return
        shown.append([dialog.list.item(i).text()[:13] for i in range(dialog.list.count())])
        dialog.list.setCurrentRow(1)  # the older one
        dialog._choose(dialog.list.currentItem())

    QTimer.singleShot(50, answer)
    assert await print_credit_note(None, ctx, oid, printer=_file_printer(tmp_path / "a.pdf"))
    assert shown == [[second.credit_note, first.credit_note]]

    def printed() -> dict[str, bool]:
        with ctx.ops.db.read() as s:
            return {d.number: d.original_at is not None for d in docs.list_documents(s, oid)}

    assert printed()[first.credit_note] and not printed()[second.credit_note]
    out = tmp_path / "b.pdf"
    assert await print_credit_note(
        None, ctx, oid, printer=_file_printer(out), number=second.credit_note
    )
    assert printed()[second.credit_note] and _sizes_mm(out) == [(210, 297)]
    assert dialogs == []


async def test_a_replacement_asks_why_and_is_recorded(
    make_ctx: Callable[..., AppContext], tmp_path: Path, dialogs: list[tuple[str, str]]
) -> None:
    """Orders → More → "Print a replacement for a lost original…": the form will not print
    without a reason; with one, the ใบแทน is printed and recorded with the reason."""
    from minichat_desktop.ui.printing import ReplacementDialog, print_replacement

    ctx = make_ctx()
    (oid,) = _shop_with_orders(ctx.ops.db, 1)
    assert await print_invoice(None, ctx, oid, printer=_file_printer(tmp_path / "original.pdf"))
    seen: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ReplacementDialog):
            QTimer.singleShot(20, answer)
            return
        assert dialog.windowTitle() == "ออกใบแทนต้นฉบับที่สูญหาย"
        dialog.accept()  # no reason: refused, stays open
        seen.append(dialog.problem.text())
        dialog.reason.setText("ลูกค้าทำต้นฉบับหาย")
        dialog.accept()

    QTimer.singleShot(50, answer)
    out = tmp_path / "replacement.pdf"
    assert await print_replacement(None, ctx, oid, printer=_file_printer(out))
    assert seen == ["กรุณาระบุเหตุผลที่ออกใบแทน"]
    assert _sizes_mm(out) == [(210, 297)]
    with ctx.ops.db.read() as s:
        (doc,) = docs.list_documents(s, oid)
        notes = [e.note for e in orders.get_order(s, oid).timeline]
    assert doc.reissues == 1
    assert any(n.endswith("ครั้งที่ 1: ลูกค้าทำต้นฉบับหาย") for n in notes)
    assert dialogs == []
