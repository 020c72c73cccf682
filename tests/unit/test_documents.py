"""Documents: tax invoice and receipt numbers (issued once, gap-free), what they show (VAT
included or added, the total in words), the PDFs read back, printer settings and ESC/POS."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from sqlalchemy import func, select

from minichat_desktop.documents import api, escpos
from minichat_desktop.documents.common import para
from minichat_desktop.documents.invoice import total_rows
from minichat_desktop.domain import shop, thai_lines
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.models import Channel, OrderStatus, PaymentMethod, TaxDocument
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales import tax_documents as docs
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.domain.sales.tax_documents import (
    Buyer,
    DocumentKind,
    PrinterSettings,
    ReceiptPrinterKind,
)
from minichat_desktop.domain.thai import bahttext
from minichat_desktop.errors import EnvironmentProblem, NotFound, UserError
from minichat_desktop.storage.db import Database

SHOP_TAX_ID = "0105565123452"
BUYER_TAX_ID = "1101700230708"
MM = 72 / 25.4


def _shop(db: Database, *, vat: bool = True, include: bool = True, price: int = 10700) -> None:
    with db.write() as s:
        shop.ensure_defaults(s)
        shop.update_profile(
            s,
            "owner",
            name="ร้านทดสอบที่นี่",
            address="1 ถนนพระรามที่ 4 กรุงเทพมหานคร 10330",
            phone="0215 88 99",
            tax_id=SHOP_TAX_ID,
            vat_registered=vat,
            prices_include_vat=include,
        )
        catalog.save_product(
            s,
            ProductInput(sku="P1", name_th="น้ำปั่นญี่ปุ่น", price_satang=price, stock=500),
            "owner",
        )


def _order(
    db: Database, *, qty: int = 1, paid: bool = True, channel: Channel = Channel.POS, **kw: object
) -> orders.OrderView:
    new = NewOrder(
        channel=channel,
        lines=[LineInput(quantity=qty, sku="P1")],
        payment_method=PaymentMethod.CASH,
        completed=paid and channel == Channel.POS,
        **kw,  # type: ignore[arg-type]
    )
    with db.write() as s:
        view = orders.place_order(s, new, "staff")
        if paid and channel != Channel.POS:
            view = orders.mark_paid(s, view.id, "owner")
        return view


ADDRESS = {
    "customer_name": "สมศรี ใจดี",
    "customer_phone": "0812345678",
    "ship_name": "สมศรี ใจดี",
    "ship_phone": "0812345678",
    "ship_address": "99/1 ซอยสุขุมวิท 11",
    "ship_subdistrict": "คลองเตยเหนือ",
    "ship_district": "วัฒนา",
    "ship_province": "กรุงเทพมหานคร",
    "ship_postcode": "10110",
}


def _issue(
    db: Database, order_id: int, kind: DocumentKind, buyer: Buyer | None = None
) -> docs.DocumentView:
    with db.write() as s:
        return docs.issue_document(s, order_id, kind, "owner", buyer)


def _year() -> int:
    return dt.datetime.now(shop.BANGKOK).year


def _pdf_text(pdf: bytes) -> str:
    """The PDF's text as a reader copies it, in compatibility form (ำ is ํ + า in a PDF),
    lines joined by single spaces."""
    doc = pdfium.PdfDocument(pdf)
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _page_sizes_mm(pdf: bytes) -> list[tuple[float, float]]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [(round(p.get_width() / MM, 1), round(p.get_height() / MM, 1)) for p in doc]
    finally:
        doc.close()


# ---------------------------------------------------------------------------- numbering


def test_numbers_run_per_kind_and_year_without_gaps(db: Database) -> None:
    """Each kind counts from 1 in the Bangkok year; another kind has its own counter."""
    _shop(db)
    a, b, c = _order(db, **ADDRESS), _order(db, **ADDRESS), _order(db)
    y = _year()
    assert _issue(db, a.id, DocumentKind.FULL).number == f"INV{y}-000001"
    assert _issue(db, b.id, DocumentKind.FULL).number == f"INV{y}-000002"
    assert _issue(db, c.id, DocumentKind.ABBREVIATED).number == f"ABB{y}-000001"


def test_numbers_restart_with_the_bangkok_year(db: Database) -> None:
    """A document carries its sale's tax point, and its number counts in that date's Bangkok
    year: sales at 23:59 on New Year's Eve and a minute later get INV2026-000001 and
    INV2027-000001, whenever they are printed."""
    _shop(db)
    eve = dt.datetime(2026, 12, 31, 16, 59, tzinfo=dt.UTC)  # 23:59 in Bangkok
    a, b, c = (_order(db, created_at=eve + dt.timedelta(minutes=m), **ADDRESS) for m in (0, 1, 2))
    printed = dt.datetime.now(dt.UTC)
    with db.write() as s:
        first, second, third = (
            docs.issue_document(s, o.id, DocumentKind.FULL, "owner", now=printed) for o in (a, b, c)
        )
    assert [first.number, second.number, third.number] == [
        "INV2026-000001",
        "INV2027-000001",
        "INV2027-000002",
    ]
    assert first.issued_at == eve
    with db.read() as s:
        d = docs.document_data(s, second)
    assert docs.thai_date(d.issued_at) == "1 ม.ค. 2570"


def test_split_tenders_and_change_on_the_receipt(db: Database) -> None:
    """A sale paid part cash (with change) and part PromptPay shows both tenders."""
    from minichat_desktop.domain.models import OrderPayment

    _shop(db)
    o = _order(db, qty=3)  # 321.00
    with db.write() as s:
        s.add_all(
            [
                OrderPayment(
                    order_id=o.id,
                    method="cash",
                    amount_satang=20000,
                    tendered_satang=50000,
                    change_satang=30000,
                ),
                OrderPayment(order_id=o.id, method="promptpay", amount_satang=12100, ref="PP1"),
            ]
        )
    text = _pdf_text(api.receipt_pdf(db, o.id))
    for expected in ("เงินสด 200.00", "รับเงิน 500.00", "เงินทอน 300.00", "พร้อมเพย์ 121.00"):
        assert _nfkc(expected) in text, expected


def test_issuing_again_returns_the_same_document(db: Database) -> None:
    """A reprint keeps the number, date and buyer; a new buyer given later is ignored."""
    _shop(db)
    o = _order(db, **ADDRESS)
    first = _issue(db, o.id, DocumentKind.FULL)
    again = _issue(db, o.id, DocumentKind.FULL, Buyer(name="คนอื่น", address="ที่อื่น"))
    assert again == first
    assert first.buyer.name == "สมศรี ใจดี"
    with db.read() as s:
        assert s.scalar(select(func.count(TaxDocument.id))) == 1
        assert [e.note for e in orders.get_order(s, o.id).timeline if e.kind == "document"] == [
            f"ใบกำกับภาษี / ใบเสร็จรับเงิน {first.number}"
        ]


def test_a_refused_document_uses_no_number(db: Database) -> None:
    """An order that cannot have its document leaves the counter where it was."""
    _shop(db)
    unpaid = _order(db, paid=False, channel=Channel.WIDGET, **ADDRESS)
    paid = _order(db, **ADDRESS)
    with pytest.raises(UserError) as err:
        _issue(db, unpaid.id, DocumentKind.FULL)
    assert err.value.code == "document.not_paid"
    assert _issue(db, paid.id, DocumentKind.FULL).number == f"INV{_year()}-000001"


def test_several_orders_are_issued_all_or_nothing(db: Database) -> None:
    """One unpaid order in a batch: no number is issued for any of them."""
    _shop(db)
    paid = _order(db, **ADDRESS)
    unpaid = _order(db, paid=False, channel=Channel.WIDGET, **ADDRESS)
    with pytest.raises(UserError) as err:
        api.invoices_pdf(db, [paid.number, unpaid.number])
    assert err.value.params["order"] == unpaid.number
    with db.read() as s:
        assert docs.list_documents(s, paid.id) == []


def test_cancelled_order_gets_no_document(db: Database) -> None:
    _shop(db)
    o = _order(db, paid=False, channel=Channel.WIDGET, **ADDRESS)
    with db.write() as s:
        orders.change_status(s, o.id, OrderStatus.CANCELLED, "owner")
    with pytest.raises(UserError) as err:
        _issue(db, o.id, DocumentKind.FULL)
    assert err.value.code == "document.order_closed"


def test_unknown_order_and_kind(db: Database) -> None:
    _shop(db)
    o = _order(db)
    with pytest.raises(NotFound):
        api.invoice_pdf(db, "MC-2026-999999")
    with pytest.raises(UserError) as err:
        _issue(db, o.id, "credit")  # type: ignore[arg-type]
    assert err.value.code == "document.unknown_kind"


# ---------------------------------------------------------------------------- kinds and buyers


def test_shop_without_vat_issues_receipts_only(db: Database) -> None:
    _shop(db, vat=False)
    o = _order(db, **ADDRESS)
    with db.read() as s:
        assert docs.default_kind(s) is DocumentKind.RECEIPT
        assert docs.default_kind(s, counter=True) is DocumentKind.RECEIPT
    for kind in (DocumentKind.FULL, DocumentKind.ABBREVIATED):
        with pytest.raises(UserError) as err:
            _issue(db, o.id, kind)
        assert err.value.code == "document.needs_vat"
    assert _issue(db, o.id, DocumentKind.RECEIPT).number == f"RC{_year()}-000001"
    text = _pdf_text(api.invoice_pdf(db, o.number))
    assert "ใบเสร็จรับเงิน" in text
    assert "ใบกำกับภาษี" not in text
    assert "ภาษีมูลค่าเพิ่ม VAT" not in text


def test_vat_shop_issues_tax_invoices_not_plain_receipts(db: Database) -> None:
    _shop(db)
    o = _order(db)
    with pytest.raises(UserError) as err:
        _issue(db, o.id, DocumentKind.RECEIPT)
    assert err.value.code == "document.vat_shop_receipt"
    with db.read() as s:
        assert docs.default_kind(s) is DocumentKind.FULL
        assert docs.default_kind(s, counter=True) is DocumentKind.ABBREVIATED


def test_full_tax_invoice_needs_buyer_name_and_address(db: Database) -> None:
    """A walk-in sale has no buyer: the full tax invoice asks for one; the abbreviated one
    does not."""
    _shop(db)
    o = _order(db)
    with pytest.raises(UserError) as err:
        _issue(db, o.id, DocumentKind.FULL)
    assert (err.value.code, err.value.params["field"]) == ("document.buyer_required", "name")
    assert _issue(db, o.id, DocumentKind.ABBREVIATED).buyer == Buyer()
    buyer = Buyer("บริษัท ตัวอย่าง จำกัด", "1-1017-00230-70-8", "00001", "9 ถนนสีลม บางรัก")
    doc = _issue(db, o.id, DocumentKind.FULL, buyer)
    assert doc.buyer == Buyer("บริษัท ตัวอย่าง จำกัด", BUYER_TAX_ID, "00001", "9 ถนนสีลม บางรัก")
    with pytest.raises(UserError) as bad:
        _issue(db, _order(db).id, DocumentKind.FULL, Buyer("ก", "1101700230700", "", "ที่อยู่"))
    assert bad.value.code == "document.invalid_buyer_tax_id"


# ---------------------------------------------------------------------------- money


def test_vat_included_prices(db: Database) -> None:
    """Prices include VAT: 2 × 107.00 = 214.00 paid, of which 14.00 VAT on 200.00."""
    _shop(db, include=True, price=10700)
    o = _order(db, qty=2)
    with db.write() as s:
        d = docs.issue_and_gather(s, o.id, "owner", counter=True)
    t = d.totals
    assert (t.subtotal, t.vat, t.before_vat, t.total) == (21400, 1400, 20000, 21400)
    assert [(label, v) for label, v, _ in total_rows(d)] == [
        ("รวมเป็นเงิน Subtotal", 21400),
        ("ราคารวมภาษีมูลค่าเพิ่ม Total incl. VAT", 21400),
        ("มูลค่าก่อนภาษี Value before VAT", 20000),
        ("ภาษีมูลค่าเพิ่ม VAT 7%", 1400),
        ("จำนวนเงินรวมทั้งสิ้น Grand total", 21400),
    ]
    assert d.amount_words == "สองร้อยสิบสี่บาทถ้วน"


def test_vat_excluded_prices(db: Database) -> None:
    """Prices exclude VAT: 2 × 100.00 = 200.00, plus 14.00 VAT, 214.00 paid."""
    _shop(db, include=False, price=10000)
    o = _order(db, qty=2)
    with db.write() as s:
        d = docs.issue_and_gather(s, o.id, "owner", counter=True)
    assert [(label, v) for label, v, _ in total_rows(d)] == [
        ("รวมเป็นเงิน Subtotal", 20000),
        ("มูลค่าก่อนภาษี Value before VAT", 20000),
        ("ภาษีมูลค่าเพิ่ม VAT 7%", 1400),
        ("จำนวนเงินรวมทั้งสิ้น Grand total", 21400),
    ]


def test_discount_and_shipping_lines(db: Database) -> None:
    _shop(db, include=True, price=10700)
    o = _order(
        db,
        qty=3,
        channel=Channel.WIDGET,
        discount_satang=2100,
        shipping_satang=5000,
        **ADDRESS,
    )
    with db.write() as s:
        d = docs.issue_and_gather(s, o.id, "owner")
    rows = dict((label, v) for label, v, _ in total_rows(d))
    assert rows["ส่วนลด Discount"] == -2100
    assert rows["ค่าจัดส่ง Shipping"] == 5000
    assert rows["จำนวนเงินรวมทั้งสิ้น Grand total"] == 32100 - 2100 + 5000
    assert rows["ภาษีมูลค่าเพิ่ม VAT 7%"] + rows["มูลค่าก่อนภาษี Value before VAT"] == 35000


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        # The choices where implementations differ (see thai.bahttext and docs/adr/0005):
        ("101", "หนึ่งร้อยเอ็ดบาทถ้วน"),
        ("0.16", "สิบหกสตางค์"),
        ("1000001", "หนึ่งล้านเอ็ดบาทถ้วน"),
        # and the usual ones
        ("21", "ยี่สิบเอ็ดบาทถ้วน"),
        ("1299.25", "หนึ่งพันสองร้อยเก้าสิบเก้าบาทยี่สิบห้าสตางค์"),
        ("1", "หนึ่งบาทถ้วน"),
        ("11", "สิบเอ็ดบาทถ้วน"),
        ("1000000", "หนึ่งล้านบาทถ้วน"),
        ("0.01", "หนึ่งสตางค์"),
        ("0", "ศูนย์บาทถ้วน"),
        ("2038.00", "สองพันสามสิบแปดบาทถ้วน"),
    ],
)
def test_bahttext_fixed_cases(amount: str, words: str) -> None:
    assert bahttext(Decimal(amount)) == words


# ---------------------------------------------------------------------------- PDFs read back


def test_full_tax_invoice_pdf_shows_what_s86_4_asks(db: Database) -> None:
    _shop(db, include=True, price=10700)
    o = _order(db, qty=2, **ADDRESS, customer_tax_id=BUYER_TAX_ID)
    pdf = api.invoice_pdf(db, o.number)
    text = _pdf_text(pdf)
    y = _year()
    for expected in (
        "ใบกำกับภาษี / ใบเสร็จรับเงิน",
        "ร้านทดสอบที่นี่",
        "1 ถนนพระรามที่ 4 กรุงเทพมหานคร 10330",
        "เลขประจำตัวผู้เสียภาษี 0-1055-65123-45-2",
        "สำนักงานใหญ่",
        f"INV{y}-000001",
        "สมศรี ใจดี",
        "99/1 ซอยสุขุมวิท 11 คลองเตยเหนือ วัฒนา กรุงเทพมหานคร 10110",
        "1-1017-00230-70-8",
        "น้ำปั่นญี่ปุ่น",
        "107.00",
        "214.00",
        "200.00",
        "14.00",
        "ภาษีมูลค่าเพิ่ม VAT 7%",
        "(สองร้อยสิบสี่บาทถ้วน)",
        o.number,
    ):
        assert _nfkc(expected) in text, expected
    assert _page_sizes_mm(pdf) == [(210.0, 297.0)]


def test_reprint_is_the_same_document(db: Database) -> None:
    _shop(db)
    o = _order(db, **ADDRESS)
    first = _pdf_text(api.invoice_pdf(db, o.id))
    second = _pdf_text(api.invoice_pdf(db, o.id, copy=True))
    assert first.replace(_nfkc("ต้นฉบับ (ORIGINAL)"), "") == second.replace(_nfkc("สำเนา (COPY)"), "")


def test_abbreviated_invoice_says_vat_included(db: Database) -> None:
    _shop(db)
    o = _order(db)
    text = _pdf_text(api.invoice_pdf(db, o.id, kind=DocumentKind.ABBREVIATED))
    assert _nfkc("ใบกำกับภาษีอย่างย่อ") in text
    assert _nfkc("ราคาสินค้ารวมภาษีมูลค่าเพิ่มแล้ว") in text


def test_many_lines_run_onto_more_pages(db: Database) -> None:
    _shop(db)
    lines = [LineInput(quantity=1, sku="P1", unit_price_satang=100 + n) for n in range(70)]
    with db.write() as s:
        o = orders.place_order(
            s, NewOrder(channel=Channel.POS, lines=lines, completed=True, **ADDRESS), "staff"
        )
    pdf = api.invoice_pdf(db, o.id)
    pages = len(_page_sizes_mm(pdf))
    assert pages >= 2
    text = _pdf_text(pdf)
    for n in range(1, pages + 1):
        assert _nfkc(f"หน้า {n}/{pages}") in text
    assert "1.00" in text and "1.69" in text  # the first line and the last


@pytest.mark.parametrize("width", [80, 58])
def test_roll_receipt_width_and_content(db: Database, width: int) -> None:
    _shop(db)
    o = _order(db, qty=3)
    pdf = api.receipt_pdf(db, o.number, width=width)
    ((w, h),) = _page_sizes_mm(pdf)
    assert w == width
    assert 90 < h < 250  # as long as its content, not a fixed page
    text = _pdf_text(pdf)
    assert _nfkc("ใบกำกับภาษีอย่างย่อ") in text
    assert f"ABB{_year()}-000001" in text
    assert "321.00" in text
    assert _nfkc("สามร้อยยี่สิบเอ็ดบาทถ้วน") in text
    printable = api.receipt_pdf(db, o.number, width=width, printable_only=True)
    assert _page_sizes_mm(printable)[0][0] == {80: 72.0, 58: 48.0}[width]


LONG_NAME = "เสื้อยืดคอกลมผ้าฝ้ายสีแดงเลือดหมูไซส์ใหญ่พิเศษสำหรับผู้ชาย"


def _lines_of(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    try:
        text = "\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()
    return [_nfkc(line.strip()) for line in text.replace("\r", "").split("\n") if line.strip()]


@pytest.mark.parametrize("width", [58, 80])
def test_long_thai_names_wrap_between_words_on_rolls(db: Database, width: int) -> None:
    """A product name longer than the roll is wide breaks between Thai words, never inside
    one, and nothing of it is lost."""
    _shop(db)
    with db.write() as s:
        catalog.save_product(
            s, ProductInput(sku="P2", name_th=LONG_NAME, price_satang=29000, stock=9), "owner"
        )
        o = orders.place_order(
            s,
            NewOrder(channel=Channel.POS, lines=[LineInput(quantity=1, sku="P2")], completed=True),
            "staff",
        )
    lines = _lines_of(api.receipt_pdf(db, o.number, width=width))
    words = [_nfkc(w) for w in thai_lines.words(LONG_NAME)]
    start = next(i for i, line in enumerate(lines) if line and _nfkc(LONG_NAME).startswith(line))
    got, i = "", start
    while got != _nfkc(LONG_NAME):
        line = lines[i]
        assert _nfkc(LONG_NAME).startswith(got + line), (got, line)
        # the line is whole words: its end falls on a word boundary
        ends = {len("".join(words[:k])) for k in range(len(words) + 1)}
        assert len(got + line) in ends, line
        got, i = got + line, i + 1
    assert i - start >= (2 if width == 58 else 1)


def test_thai_marks_copy_out_of_the_pdf_as_typed() -> None:
    """Shaped glyphs without a code point (a lowered tone mark) still read back as Thai."""
    import io

    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf)
    p = para("ที่นี่ ผู้ซื้อ ปั่น ญี่ปุ่น น้ำ", 14)
    p.wrapOn(c, 400, 100)
    p.drawOn(c, 50, 700)
    c.save()
    text = _pdf_text(buf.getvalue()).strip()
    assert "\ue000" not in text
    assert text == _nfkc("ที่นี่ ผู้ซื้อ ปั่น ญี่ปุ่น น้ำ").replace("ํ้", "้ํ")


def test_labels_one_pdf_single_and_four_up(db: Database) -> None:
    _shop(db)
    a = _order(db, channel=Channel.WIDGET, **ADDRESS)
    b = _order(db, channel=Channel.WIDGET, cod=True, paid=False, **ADDRESS)
    with db.write() as s:
        orders.set_shipping(
            s, a.id, "staff", carrier="Thailand Post", tracking_number="EF582621930TH"
        )
    pdf = api.labels_pdf(db, [a.number, b.number, a.id])
    assert _page_sizes_mm(pdf) == [(100.0, 150.0)] * 3
    text = _pdf_text(pdf)
    assert "EF582621930TH" in text and b.number in text
    assert "081-234-5678" in text and "10110" in text
    assert _nfkc("เก็บเงินปลายทาง") in text and "107.00" in text
    four = api.labels_pdf(db, [a.id, b.id] * 3, four_up=True)
    assert _page_sizes_mm(four) == [(210.0, 297.0)] * 2


def test_label_needs_an_address(db: Database) -> None:
    _shop(db)
    o = _order(db)
    with pytest.raises(UserError) as err:
        api.labels_pdf(db, [o.number])
    assert (err.value.code, err.value.params["order"]) == ("label.no_address", o.number)


def test_test_page_in_both_widths() -> None:
    for width in (80, 58):
        pdf = api.test_page_pdf(width, shop_name="ร้านทดสอบ")
        assert _page_sizes_mm(pdf)[0][0] == width
        assert _nfkc("หน้าทดสอบเครื่องพิมพ์") in _pdf_text(pdf)
    with pytest.raises(UserError):
        api.test_page_pdf(76)


# ---------------------------------------------------------------------------- printer settings


def test_printer_settings_round_trip_and_checks(db: Database) -> None:
    with db.write() as s:
        assert docs.get_printer_settings(s) == PrinterSettings()
        stored = docs.save_printer_settings(
            s, PrinterSettings(ReceiptPrinterKind.NETWORK, " 192.168.1.50 ", 58, True, "")
        )
    assert stored.receipt_target == "192.168.1.50:9100"
    with db.read() as s:
        assert docs.get_printer_settings(s) == stored
    assert (
        docs.check_printer_settings(
            PrinterSettings(ReceiptPrinterKind.USB, "0x04B8:0202")
        ).receipt_target
        == "04b8:0202"
    )
    for bad, code in (
        (PrinterSettings(ReceiptPrinterKind.NETWORK, "printer:99999"), "printer.bad_network"),
        (PrinterSettings(ReceiptPrinterKind.USB, "epson"), "printer.bad_usb"),
        (PrinterSettings(ReceiptPrinterKind.FILE, ""), "printer.target_required"),
        (PrinterSettings(receipt_width=76), "printer.bad_width"),
    ):
        with pytest.raises(UserError) as err:
            docs.check_printer_settings(bad)
        assert err.value.code == code


# ---------------------------------------------------------------------------- ESC/POS


def _raster_header(dots: int) -> bytes:
    return b"\x1dv0\x00" + bytes([dots // 8 % 256, dots // 8 // 256])


def test_receipt_raster_is_one_bit_at_the_printer_width(db: Database) -> None:
    _shop(db)
    o = _order(db)
    pdf = api.receipt_pdf(db, o.id, width=58, printable_only=True)
    image = escpos.pdf_to_raster(pdf, 384)
    assert image.mode == "1" and image.width == 384
    black = image.histogram()[0]
    assert 0.02 < black / (image.width * image.height) < 0.5


def test_escpos_to_a_file(db: Database, tmp_path: Path) -> None:
    _shop(db)
    o = _order(db)
    out = tmp_path / "printer.bin"
    settings = PrinterSettings(ReceiptPrinterKind.FILE, str(out), 80)
    api.print_escpos(db, o.number, settings=settings)
    data = out.read_bytes()
    assert data.startswith(b"\x1b@")  # initialise
    assert _raster_header(576) in data
    cut = data.rindex(b"\x1dV")
    assert data[cut:].find(b"\x1bp\x00") > 0  # a cash sale opens the drawer after the cut
    out.unlink()
    api.print_escpos(db, o.number, settings=settings, open_drawer=False)
    assert b"\x1bp" not in out.read_bytes()[-16:]


@pytest.fixture
def printer_server() -> Iterator[tuple[int, bytearray, threading.Event]]:
    """A TCP server on port 0 that takes what a network printer would receive."""
    srv = socket.create_server(("127.0.0.1", 0))
    got = bytearray()
    done = threading.Event()

    def serve() -> None:
        conn, _ = srv.accept()
        with conn:
            while chunk := conn.recv(65536):
                got.extend(chunk)
        done.set()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield srv.getsockname()[1], got, done
    srv.close()
    thread.join(timeout=5)


def test_escpos_over_the_network(
    db: Database, printer_server: tuple[int, bytearray, threading.Event]
) -> None:
    port, got, done = printer_server
    settings = PrinterSettings(ReceiptPrinterKind.NETWORK, f"127.0.0.1:{port}", 58)
    api.print_escpos_test_page(None, settings)
    assert done.wait(10)
    assert _raster_header(384) in got and b"\x1dV" in got[-8:]


def test_escpos_unreachable_printer_is_an_environment_problem() -> None:
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    settings = PrinterSettings(ReceiptPrinterKind.NETWORK, f"127.0.0.1:{port}", 80)
    with pytest.raises(EnvironmentProblem) as err:
        api.print_escpos_test_page(None, settings)
    assert err.value.code == "printer.unreachable"


def test_escpos_usb_printer_missing_is_an_environment_problem() -> None:
    """No such USB printer here (or no pyusb/libusb): said plainly, never a crash."""
    settings = PrinterSettings(ReceiptPrinterKind.USB, "04b8:0e15", 80)
    with pytest.raises(EnvironmentProblem) as err:
        api.print_escpos_test_page(None, settings)
    assert err.value.code in ("printer.unreachable", "printer.usb_unavailable")


def test_escpos_without_a_printer_set(db: Database) -> None:
    _shop(db)
    o = _order(db)
    with pytest.raises(UserError) as err:
        api.print_escpos(db, o.id)
    assert err.value.code == "printer.not_escpos"
    with db.read() as s:
        assert docs.list_documents(s, o.id) == []  # nothing issued for a print that cannot be


def test_documents_drawn_from_several_threads_read_right(db: Database) -> None:
    """Screens draw documents on worker threads: each PDF still carries its own order and
    readable Thai."""
    from concurrent.futures import ThreadPoolExecutor

    _shop(db)
    ids = [_order(db, **ADDRESS).id for _ in range(6)]
    with ThreadPoolExecutor(4) as pool:
        pdfs = list(pool.map(lambda oid: api.invoice_pdf(db, oid), ids))
    y = _year()
    numbers = set()
    for pdf in pdfs:
        text = _pdf_text(pdf)
        assert "\ue000" not in text and _nfkc("น้ำปั่นญี่ปุ่น") in text
        numbers.add(next(f"INV{y}-{n:06d}" for n in range(1, 7) if f"INV{y}-{n:06d}" in text))
    assert len(numbers) == 6


def _images_on_first_page(pdf: bytes) -> int:
    doc = pdfium.PdfDocument(pdf)
    try:
        from pypdfium2 import raw

        return sum(1 for o in doc[0].get_objects() if o.type == raw.FPDF_PAGEOBJ_IMAGE)
    finally:
        doc.close()


def test_shop_logo_is_printed_and_a_missing_one_is_skipped(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from PIL import Image

    _shop(db)
    o = _order(db, **ADDRESS)
    path = tmp_path / "logo.png"
    Image.new("RGB", (400, 120), "#0E8F6E").save(path)
    with db.write() as s:
        shop.update_profile(s, "owner", logo_path=str(path))
    assert _images_on_first_page(api.invoice_pdf(db, o.id)) == 1
    assert _images_on_first_page(api.receipt_pdf(db, _order(db).id)) == 1
    path.unlink()
    assert _images_on_first_page(api.invoice_pdf(db, o.id)) == 0
    assert "cannot be read; printing without it" in caplog.text


# ---------------------------------------------------------------------------- credit notes


def test_refund_of_an_invoiced_sale_issues_a_credit_note(db: Database) -> None:
    """Refunding a sale that had a tax invoice issues the next credit note number, naming the
    invoice and its buyer; the PDF shows what s.86/10 asks and reprints the same."""
    _shop(db, include=True, price=10700)
    o = _order(db, qty=2, **ADDRESS, customer_tax_id=BUYER_TAX_ID)
    invoice = _issue(db, o.id, DocumentKind.FULL)
    with db.write() as s:
        orders.change_status(s, o.id, OrderStatus.REFUNDED, "owner", note="สินค้าชำรุด")
        note = docs.find_document(s, o.id, DocumentKind.CREDIT_NOTE)
    y = _year()
    assert note is not None and note.number == f"CN{y}-000001"
    assert note.buyer == invoice.buyer and note.buyer.tax_id == BUYER_TAX_ID
    with db.read() as s:
        data = docs.gather_issued(s, o.number, kind=DocumentKind.CREDIT_NOTE)
    assert data is not None and data.credit is not None
    c = data.credit
    assert (c.invoice_number, c.original_value, c.correct_value) == (invoice.number, 20000, 0)
    assert (c.difference, c.vat, c.total, c.reason) == (20000, 1400, 21400, "สินค้าชำรุด")
    assert data.amount_words == "สองร้อยสิบสี่บาทถ้วน"
    pdf = api.invoice_pdf(db, o.number, kind=DocumentKind.CREDIT_NOTE)
    text = _pdf_text(pdf)
    for expected in (
        "ใบลดหนี้",
        "CREDIT NOTE",
        f"CN{y}-000001",
        f"INV{y}-000001",
        "สมศรี ใจดี",
        "1-1017-00230-70-8",
        "เลขประจำตัวผู้เสียภาษี 0-1055-65123-45-2",
        "มูลค่าตามใบกำกับภาษีเดิม",
        "มูลค่าที่ถูกต้อง",
        "ผลต่าง",
        "200.00",
        "14.00",
        "214.00",
        "(สองร้อยสิบสี่บาทถ้วน)",
        "เหตุที่ออกใบลดหนี้ (Reason): สินค้าชำรุด",
    ):
        assert _nfkc(expected) in text, expected
    reprint = api.invoice_pdf(db, o.number, kind=DocumentKind.CREDIT_NOTE)
    # the same number, date and amounts; the one original was printed: this is a copy
    original, copy = _nfkc("ต้นฉบับ (ORIGINAL)"), _nfkc("สำเนา (COPY)")
    assert original in text
    assert _pdf_text(reprint) == text.replace(original, copy)


def test_a_refund_recorded_at_its_own_time_dates_its_credit_note_then(db: Database) -> None:
    """``change_status(at=…)`` (the demo shop's past refunds): the refund event and the credit
    note carry that time, not the moment it was recorded."""
    _shop(db, include=True, price=10700)
    o = _order(db, **ADDRESS, customer_tax_id=BUYER_TAX_ID)
    _issue(db, o.id, DocumentKind.FULL)
    at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=5)
    with db.write() as s:
        view = orders.change_status(s, o.id, OrderStatus.REFUNDED, "owner", note="คืน", at=at)
        note = docs.find_document(s, o.id, DocumentKind.CREDIT_NOTE)
    assert note is not None and note.issued_at == at
    assert [e.created_at for e in view.timeline if e.status == OrderStatus.REFUNDED] == [at]


WALK_IN = Buyer(name="สมชาย ขายดี", address="7 ถนนเจริญกรุง กรุงเทพฯ 10500")


def test_counter_sale_refund_credits_the_abbreviated_invoice(db: Database) -> None:
    """A counter sale with only its abbreviated tax invoice gets a credit note against it;
    the credit note must name the buyer (s.86/10), so the refund asks for the name and address
    the abbreviated invoice lacks and does nothing until it has them. Numbers run on from the
    year's last credit note."""
    _shop(db, include=True, price=10700)
    first, second = _order(db), _order(db)
    for o in (first, second):
        _issue(db, o.id, DocumentKind.ABBREVIATED)
        with pytest.raises(UserError) as caught, db.write() as s:
            orders.change_status(s, o.id, OrderStatus.REFUNDED, "staff", note="")
        assert caught.value.code == "document.credit_note_buyer_required"
        with db.read() as s:
            assert orders.get_order(s, o.id).status == OrderStatus.DELIVERED  # nothing changed
        with db.write() as s:
            orders.change_status(s, o.id, OrderStatus.REFUNDED, "staff", note="", buyer=WALK_IN)
    with db.read() as s:
        notes = [
            docs.gather_issued(s, o.id, kind=DocumentKind.CREDIT_NOTE) for o in (first, second)
        ]
    y = _year()
    assert [n.number for n in notes if n] == [f"CN{y}-000001", f"CN{y}-000002"]
    credit = notes[0].credit if notes[0] else None
    assert credit is not None and credit.invoice_number == f"ABB{y}-000001"
    assert credit.invoice_title == "ใบกำกับภาษีอย่างย่อ"
    assert credit.reason == "คืนสินค้าและคืนเงินเต็มจำนวน"  # no reason typed
    assert notes[0] is not None and notes[0].buyer == WALK_IN


def test_a_refund_before_the_invoice_was_printed_issues_the_invoice_it_owed(db: Database) -> None:
    """VAT became due at the sale (its tax point) although no tax invoice was printed: the
    refund issues that invoice, dated at the sale, then the credit note — output tax is
    reduced only through a credit note against a tax invoice (s.82/10, s.86/10). A shop that is
    not VAT-registered issues none; a credit note cannot be issued by hand."""
    _shop(db, include=True)
    sold = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=3)
    o = _order(db, created_at=sold, **ADDRESS)
    with db.write() as s:
        orders.change_status(s, o.id, OrderStatus.REFUNDED, "owner", note="ลูกค้าเปลี่ยนใจ")
        owed = docs.find_document(s, o.id, DocumentKind.FULL)  # the order names buyer + address
        note = docs.find_document(s, o.id, DocumentKind.CREDIT_NOTE)
    assert owed is not None and owed.issued_at == sold
    assert note is not None and note.issued_at > sold and note.buyer.name == "สมศรี ใจดี"
    paid = _order(db)
    with pytest.raises(UserError) as caught:
        _issue(db, paid.id, DocumentKind.CREDIT_NOTE)
    assert caught.value.code == "document.credit_note_by_refund"
    with pytest.raises(UserError) as caught:
        api.invoice_pdf(db, paid.number, kind=DocumentKind.CREDIT_NOTE)
    assert caught.value.code == "document.credit_note_by_refund"
    with db.write() as s:
        shop.update_profile(s, "owner", vat_registered=False)
        before = s.scalar(select(func.count()).select_from(TaxDocument))
        orders.change_status(s, paid.id, OrderStatus.REFUNDED, "owner", note="")
        assert s.scalar(select(func.count()).select_from(TaxDocument)) == before


# ---------------------------------------------------------------------------- the life of a number


def test_one_original_then_copies_and_a_replacement_with_its_reason(db: Database) -> None:
    """The first print (or save) of a number is its original; every later print says สำเนา;
    a lost original is replaced by a ใบแทน that needs a reason, keeps the number and date, and
    is written in the order's timeline and the audit log (s.86/12)."""
    _shop(db)
    o = _order(db, **ADDRESS)
    original, copy_mark = _nfkc("ต้นฉบับ (ORIGINAL)"), _nfkc("สำเนา (COPY)")
    first = _pdf_text(api.invoice_pdf(db, o.id))
    second = _pdf_text(api.invoice_pdf(db, o.id))
    assert original in first and copy_mark not in first
    assert copy_mark in second and original not in second
    with pytest.raises(UserError) as caught:
        api.invoice_pdf(db, o.id, replacement="   ")
    assert caught.value.code == "document.replacement_reason"
    again = _pdf_text(api.invoice_pdf(db, o.id, replacement="ลูกค้าทำต้นฉบับหาย"))
    assert _nfkc("ใบแทน (REPLACEMENT)") in again and _nfkc("ลูกค้าทำต้นฉบับหาย") in again
    number = f"INV{_year()}-000001"
    assert all(number in t for t in (first, second, again))
    with db.read() as s:
        doc = docs.find_document(s, o.id, DocumentKind.FULL)
        timeline = [e.note for e in orders.get_order(s, o.id).timeline]
        audit = shop.audit_log(s, entity="tax_document")
    assert doc is not None and doc.reissues == 1 and doc.original_at is not None
    assert any(n.startswith(f"ใบแทน ใบกำกับภาษี / ใบเสร็จรับเงิน {number}") for n in timeline)
    assert [(a.action, a.entity_id) for a in audit] == [("document.replacement", number)]


def test_a_replacement_before_the_original_is_refused(db: Database) -> None:
    _shop(db)
    o = _order(db, **ADDRESS)
    _issue(db, o.id, DocumentKind.FULL)  # issued (e.g. by a refund) but never printed
    with pytest.raises(UserError) as caught:
        api.invoice_pdf(db, o.id, replacement="หาย")
    assert caught.value.code == "document.no_original_yet"
    assert _nfkc("ต้นฉบับ (ORIGINAL)") in _pdf_text(api.invoice_pdf(db, o.id))


def test_a_full_invoice_cancels_the_abbreviated_one_it_replaces(db: Database) -> None:
    """The counter printed the abbreviated invoice; the buyer then asks for a full one: the
    full invoice names the abbreviated number, which is cancelled (kept, reprinted as ยกเลิก),
    and an abbreviated one cannot be asked for again. The POS number is on the slip."""
    _shop(db)
    with db.write() as s:
        shop.update_profile(s, "owner", pos_number=" e0123456789012 ")
    o = _order(db)
    y = _year()
    slip = _pdf_text(api.receipt_pdf(db, o.id))
    assert f"ABB{y}-000001" in slip and "POS No. E0123456789012" in slip
    assert _nfkc("สำเนา") not in slip
    full = _pdf_text(api.invoice_pdf(db, o.id, buyer=WALK_IN))
    assert f"INV{y}-000001" in full and f"ABB{y}-000001" in full
    assert _nfkc(f"ออกแทน Replaces ABB{y}-000001 (ยกเลิก)") in full
    with db.read() as s:
        abb = docs.find_document(s, o.id, DocumentKind.ABBREVIATED)
    assert abb is not None and abb.cancelled and f"INV{y}-000001" in abb.cancel_note
    reprint = _pdf_text(api.receipt_pdf(db, o.id))
    assert _nfkc("ยกเลิก (CANCELLED)") in reprint
    with pytest.raises(UserError) as caught:  # a cancelled slip has no replacement
        _replace_slip(db, o.id)
    assert caught.value.code == "document.cancelled"
    other = _order(db, **ADDRESS)
    api.invoice_pdf(db, other.id)  # the full invoice first: no abbreviated one after it
    with pytest.raises(UserError) as caught:
        api.receipt_pdf(db, other.id)
    assert caught.value.code == "document.full_issued"


def _replace_slip(db: Database, order_id: int) -> None:
    with db.write() as s:
        doc = docs.find_document(s, order_id, DocumentKind.ABBREVIATED)
        assert doc is not None
        docs.record_print(s, doc, "owner", replacement="หาย")


def test_the_pos_number_is_checked(db: Database) -> None:
    _shop(db)
    with pytest.raises(UserError) as caught, db.write() as s:
        shop.update_profile(s, "owner", pos_number="POS #12")
    assert caught.value.code == "shop.invalid_pos_number"


def test_label_test_page_is_a_label_from_the_shop(db: Database) -> None:
    """The label printer's test page: one 100 × 150 mm label (or an A4 sheet of four) from the
    shop to a sample recipient, saying it is a test."""
    with db.write() as s:
        shop.update_profile(s, "owner", name="ร้านป้าแดง", phone="0812345678")
    one = api.label_test_pdf(db)
    assert _page_sizes_mm(one) == [(100.0, 150.0)]
    text = _pdf_text(one)
    assert _nfkc("ร้านป้าแดง") in text and _nfkc("ทดสอบ") in text
    assert _page_sizes_mm(api.label_test_pdf(db, four_up=True)) == [(210.0, 297.0)]
