"""Reports on a VAT-registered shop made by hand, read back from the files: openpyxl for XLSX
(values, totals, number formats, frozen header, autofilter, widths), the CSV's BOM and rows,
the PDF's text and pixels; the VAT sales report's rows and sums; progress, cancel and no
partial file."""

from __future__ import annotations

import csv
import datetime as dt
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from minichat_desktop.documents import reports as report_files
from minichat_desktop.domain import shop
from minichat_desktop.domain.activity import analytics
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.models import (
    Channel,
    OrderPayment,
    OrderStatus,
    PaymentMethod,
)
from minichat_desktop.domain.reporting import reports
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales import tax_documents as documents
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.domain.shop import BANGKOK
from minichat_desktop.errors import UserError
from minichat_desktop.storage.db import Database

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
BUYER_TAX_ID = "1101700230708"


def bkk(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BANGKOK)


def place(db: Database, when: dt.datetime, channel: Channel, lines: dict[str, int], **kw: Any):
    with db.write() as s:
        return orders.place_order(
            s,
            NewOrder(
                channel=channel,
                lines=[LineInput(quantity=q, sku=k) for k, q in lines.items()],
                created_at=when,
                **kw,
            ),
            "owner",
        )


@pytest.fixture
def shop_db(db: Database) -> dict[str, Any]:
    """March 2026 (Bangkok), prices include 7 % VAT:

    - O1 03-02 LINE 2×P1 = 214.00, paid 11:00; its full tax invoice (buyer with tax ID) is
      dated at that tax point;
    - O2 03-05 counter 1×P2 = 53.50, split cash 30.00 + PromptPay 23.50;
    - O3 03-10 widget 1×P1 = 107.00, not paid;
    - O4 03-12 LINE 1×P2, cancelled;
    - O5 02-20 LINE 3×P2 = 160.50, paid, refunded 03-15 (no tax invoice printed: the refund
      issues the abbreviated one it owed, dated 02-20, and the credit note, dated 03-15);
    - O6 03-31 23:30 counter 1×P1 = 107.00 cash (16:30 UTC: still March in Bangkok);
    - O7 04-01 00:10 counter 1×P1 (17:10 UTC on 03-31: April in Bangkok).
    """
    with db.write() as s:
        shop.ensure_defaults(s)
        shop.update_profile(
            s, "owner", name="ร้านทดสอบภาษี", tax_id="0105565123452", vat_registered=True,
            prices_include_vat=True, address="1 ถนนสุขุมวิท กรุงเทพฯ",
        )  # fmt: skip
        catalog.save_product(
            s, ProductInput(sku="P1", name_th="เสื้อยืดสีแดง", price_satang=10_700,
                            cost_satang=5_000, stock=100, category="เสื้อผ้า"), "owner",
        )  # fmt: skip
        catalog.save_product(
            s, ProductInput(sku="P2", name_th="แก้วน้ำ", price_satang=5_350, stock=100), "owner"
        )
        c1 = customers.create_customer(s, "owner", name="บริษัท ก้าวหน้า จำกัด").id
        c2 = customers.create_customer(s, "owner", name="สมหญิง ใจดี", phone="0812345678").id
    o1 = place(db, bkk(3, 2), Channel.LINE, {"P1": 2}, customer_id=c1,
               customer_name="บริษัท ก้าวหน้า จำกัด", customer_tax_id=BUYER_TAX_ID,
               customer_branch="00001")  # fmt: skip
    o2 = place(db, bkk(3, 5), Channel.POS, {"P2": 1}, completed=True,
               payment_method=PaymentMethod.CASH)  # fmt: skip
    o3 = place(db, bkk(3, 10), Channel.WIDGET, {"P1": 1}, customer_id=c2,
               customer_name="สมหญิง ใจดี")  # fmt: skip
    o4 = place(db, bkk(3, 12), Channel.LINE, {"P2": 1})
    o5 = place(db, bkk(2, 20), Channel.LINE, {"P2": 3}, customer_id=c2,
               customer_name="สมหญิง ใจดี")  # fmt: skip
    o6 = place(db, bkk(3, 31, 23, 30), Channel.POS, {"P1": 1}, completed=True,
               payment_method=PaymentMethod.CASH)  # fmt: skip
    place(db, bkk(4, 1, 0, 10), Channel.POS, {"P1": 1}, completed=True,
          payment_method=PaymentMethod.CASH)  # fmt: skip
    with db.write() as s:
        orders.mark_paid(s, o1.id, "owner", paid_at=bkk(3, 2, 11))
        doc = documents.issue_document(
            s, o1.id, documents.DocumentKind.FULL, "owner",
            documents.Buyer(name="บริษัท ก้าวหน้า จำกัด", tax_id=BUYER_TAX_ID, branch="00001",
                            address="99 ถนนพระราม 4 กรุงเทพฯ 10500"),
        )  # fmt: skip
        s.add_all(
            [
                OrderPayment(order_id=o2.id, method="cash", amount_satang=3_000),
                OrderPayment(order_id=o2.id, method="promptpay", amount_satang=2_350),
            ]
        )
        orders.change_status(s, o4.id, OrderStatus.CANCELLED, "owner", "ลูกค้ายกเลิก")
        orders.mark_paid(s, o5.id, "owner", paid_at=bkk(2, 20, 12))
        orders.change_status(
            s, o5.id, OrderStatus.REFUNDED, "owner", "สินค้าชำรุด", at=bkk(3, 15),
            buyer=documents.Buyer(name="สมหญิง ใจดี", address="5 ถนนสีลม กรุงเทพฯ 10500"),
        )  # fmt: skip
        p1 = catalog.get_product_by_sku(s, "P1").id
        for when in (bkk(3, 1), bkk(3, 9), bkk(2, 1)):
            analytics.record(s, analytics.PRODUCT_VIEWED, at=when, product_id=p1)
        analytics.record(s, analytics.ADDED_TO_CART, at=bkk(3, 9), product_id=p1)
    return {"db": db, "o1": o1, "o2": o2, "o3": o3, "o5": o5, "o6": o6, "doc": doc}


def money(v: Any) -> Decimal:
    return Decimal(str(v))


def sheet_rows(ws: Any, header_row: int) -> tuple[list[Any], list[list[Any]], list[Any]]:
    """(header, data rows, totals row) below the title lines."""
    rows = [list(r) for r in ws.iter_rows(min_row=header_row, values_only=True)]
    header = rows[0]
    body = []
    for r in rows[1:]:
        if r[0] == "รวม":
            return header, body, r
        body.append(r)
    raise AssertionError("no totals row")


# ---------------------------------------------------------------------------- VAT


def test_vat_report_rows_follow_the_rules(shop_db: dict[str, Any]) -> None:
    db = shop_db["db"]
    with db.read() as s:
        from minichat_desktop.domain.sql import DriverConnection

        rows = reports.vat_rows(DriverConnection(s), *MARCH)
    o2, o5, o6, doc = (shop_db[k] for k in ("o2", "o5", "o6", "doc"))
    with db.read() as s:
        owed = documents.find_document(s, o5.id, documents.DocumentKind.ABBREVIATED)
        cn = documents.find_document(s, o5.id, documents.DocumentKind.CREDIT_NOTE)
    assert owed is not None and cn is not None
    # O3 (not paid, not delivered) has no tax point: it owes no VAT yet and is not listed.
    assert rows == [
        [dt.date(2026, 3, 2), doc.number, "บริษัท ก้าวหน้า จำกัด", BUYER_TAX_ID, "สาขาที่ 00001",
         20_000, 1_400],
        [dt.date(2026, 3, 5), o2.number, "ลูกค้าทั่วไป", "", "", 5_000, 350],
        [dt.date(2026, 3, 15), cn.number, "สมหญิง ใจดี", "", "", -15_000, -1_050],
        [dt.date(2026, 3, 31), o6.number, "ลูกค้าทั่วไป", "", "", 10_000, 700],
    ]  # fmt: skip
    with db.read() as s:
        feb = reports.vat_rows(DriverConnection(s), *reports.month_range("2026-02"))
    assert [(r[0], r[1], r[5], r[6]) for r in feb] == [
        (dt.date(2026, 2, 20), owed.number, 15_000, 1_050)
    ]
    assert owed.number == "ABB2026-000001" and cn.number == "CN2026-000001"


def test_vat_report_lists_the_credit_note_of_a_refunded_invoice(shop_db: dict[str, Any]) -> None:
    """Refunding O1 (full tax invoice in March) in April issues a credit note: April's report
    has it as a negative row at its own date and number with the invoice's buyer; March still
    has the sale."""
    from minichat_desktop.domain.sql import DriverConnection

    db, o1, doc = shop_db["db"], shop_db["o1"], shop_db["doc"]
    with db.write() as s:
        orders.change_status(
            s, o1.id, OrderStatus.REFUNDED, "owner", "คืนสินค้าทั้งหมด", at=bkk(4, 2, 10)
        )
        cn = documents.find_document(s, o1.id, documents.DocumentKind.CREDIT_NOTE)
        assert cn is not None and cn.number.startswith("CN")
    with db.read() as s:
        april = reports.vat_rows(DriverConnection(s), *reports.month_range("2026-04"))
        march = reports.vat_rows(DriverConnection(s), *MARCH)
    assert [dt.date(2026, 4, 2), cn.number, "บริษัท ก้าวหน้า จำกัด", BUYER_TAX_ID,
            "สาขาที่ 00001", -20_000, -1_400] in april  # fmt: skip
    assert [r[1] for r in march if r[1] in (doc.number, cn.number)] == [doc.number]


def test_vat_report_xlsx_reads_back(shop_db: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "vat.xlsx"
    result = report_files.write_report(shop_db["db"], "vat", *MARCH, out)
    assert (result.rows, result.tables) == (4, 1)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["รายงานภาษีขาย"]
    ws = wb["รายงานภาษีขาย"]
    titles = [ws.cell(row=r, column=1).value for r in range(1, 6)]
    assert titles == [
        "รายงานภาษีขาย",
        "เดือนภาษี มีนาคม 2569",
        "ชื่อผู้ประกอบการ ร้านทดสอบภาษี",
        "เลขประจำตัวผู้เสียภาษีอากร 0105565123452   สำนักงานใหญ่",
        "ชื่อสถานประกอบการ ร้านทดสอบภาษี   1 ถนนสุขุมวิท กรุงเทพฯ",
    ]
    assert ws["A1"].font.b and ws["A1"].font.sz == 14
    header, body, totals = sheet_rows(ws, 7)
    assert header == [c.header for c in reports.VAT_COLUMNS]
    assert all(ws.cell(row=7, column=c).font.b for c in range(1, 9))
    assert ws.freeze_panes == "A8"
    assert ws.auto_filter.ref == "A7:H11"
    assert [ws.column_dimensions[c].width for c in "ABCD"] == [8, 14, 19, 32]
    assert [r[0] for r in body] == [1, 2, 3, 4]
    assert body[0][1] == dt.datetime(2026, 3, 2)
    assert ws["B8"].number_format == "[$-1070000]dd/mm/yyyy"  # shown 02/03/2569
    assert [money(r[6]) for r in body] == [
        Decimal("200.00"), Decimal("50.00"), Decimal("-150.00"), Decimal("100.00"),
    ]  # fmt: skip
    assert ws["G8"].number_format == "#,##0.00" and ws["H8"].number_format == "#,##0.00"
    assert totals[0] == "รวม" and totals[1:6] == [None] * 5
    assert (money(totals[6]), money(totals[7])) == (Decimal("200.00"), Decimal("14.00"))
    assert ws.cell(row=12, column=7).font.b
    assert ws.cell(row=12, column=7).number_format == "#,##0.00"


def test_vat_report_csv_has_a_bom_and_plain_numbers(
    shop_db: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "vat.csv"
    report_files.write_report(shop_db["db"], "vat", *MARCH, out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][0] == "ลำดับที่"
    assert rows[1] == [
        "1", "2026-03-02", shop_db["doc"].number, "บริษัท ก้าวหน้า จำกัด", BUYER_TAX_ID,
        "สาขาที่ 00001", "200.00", "14.00",
    ]  # fmt: skip
    assert rows[3][6:] == ["-150.00", "-10.50"] and rows[3][2].startswith("CN")
    assert rows[-1] == ["รวม", "", "", "", "", "", "200.00", "14.00"]


def test_vat_report_pdf_has_the_header_and_thai_text(
    shop_db: dict[str, Any], tmp_path: Path
) -> None:
    import pypdfium2 as pdfium

    out = tmp_path / "vat.pdf"
    report_files.write_report(shop_db["db"], "vat", *MARCH, out)
    pdf = pdfium.PdfDocument(str(out))
    try:
        page = pdf[0]
        w, h = page.get_size()
        assert w > h  # landscape A4
        # pdfium gives ำ as its two shaped parts (ํ + า) and may break a line around a mark.
        text = page.get_textpage().get_text_range().replace("\u0e4d\u0e32", "\u0e33")
        text = text.replace("\r\n", " ").replace("ภาษ ี ขาย", "ภาษีขาย")
        for expected in (
            "รายงานภาษีขาย",
            "เดือนภาษี มีนาคม 2569",
            "เลขประจำตัวผู้เสียภาษีอากร 0105565123452",
            "สำนักงานใหญ่",
            "บริษัท ก้าวหน้า จำกัด",
            "สมหญิง ใจดี",
            "-150.00",
            "200.00",
            "14.00",
            "02/03/2569",
        ):
            assert expected in text, expected
        image = page.render(scale=1).to_pil().convert("L")
        # The title is drawn (dark pixels in the top band), the page is not blank.
        top = image.crop((0, 0, image.width, 60))
        assert top.getextrema()[0] < 100
    finally:
        pdf.close()


# ---------------------------------------------------------------------------- sales


def test_sales_report_xlsx_sheets_values_and_totals(
    shop_db: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "sales.xlsx"
    result = report_files.write_report(shop_db["db"], "sales", *MARCH, out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [
        "ยอดขายรายวัน", "ยอดขายตามสินค้า", "ยอดขายตามช่องทาง", "ยอดขายตามวิธีชำระเงิน",
        "รายการคำสั่งซื้อ", "รายการคืนเงิน",
    ]  # fmt: skip
    assert result.rows == 31 + 2 + 3 + 3 + 4 + 1

    days = wb["ยอดขายรายวัน"]
    assert days["A1"].value == "รายงานยอดขาย — ยอดขายรายวัน"
    assert days["A3"].value == "เดือน มีนาคม 2569"
    _, body, totals = sheet_rows(days, 5)
    assert days.freeze_panes == "A6" and days.auto_filter.ref == "A5:J36"
    assert len(body) == 31 and body[0][0] == dt.datetime(2026, 3, 1)
    # O5 (placed in February) was refunded on 03-15: the refund is March's, at its date.
    moved = {r[0].day: (r[1], money(r[5]), money(r[6]), money(r[7])) for r in body if any(r[1:])}
    assert moved == {
        2: (1, Decimal("214.00"), Decimal("0"), Decimal("214.00")),
        5: (1, Decimal("53.50"), Decimal("0"), Decimal("53.50")),
        10: (1, Decimal("107.00"), Decimal("0"), Decimal("107.00")),
        15: (0, Decimal("0"), Decimal("-160.50"), Decimal("-160.50")),
        31: (1, Decimal("107.00"), Decimal("0"), Decimal("107.00")),
    }  # fmt: skip
    assert totals[1] == 4
    assert [money(v) for v in totals[2:]] == [
        Decimal("481.50"), Decimal("0"), Decimal("0"), Decimal("481.50"), Decimal("-160.50"),
        Decimal("321.00"), Decimal("300.00"), Decimal("21.00"),
    ]  # fmt: skip
    assert days["B6"].number_format == "#,##0" and days["H6"].number_format == "#,##0.00"

    _, products, ptotals = sheet_rows(wb["ยอดขายตามสินค้า"], 5)
    assert [(*r[:6], *(money(v) for v in r[6:9])) for r in products] == [
        ("P1", "เสื้อยืดสีแดง", 4, 0, 4, 3, Decimal("428.00"), Decimal("0"), Decimal("428.00")),
        ("P2", "แก้วน้ำ", 1, -3, -2, 1, Decimal("53.50"), Decimal("-160.50"),
         Decimal("-107.00")),
    ]  # fmt: skip
    assert [money(r[9]) for r in products] == [Decimal("1.3333"), Decimal("-0.3333")]
    assert wb["ยอดขายตามสินค้า"]["J6"].number_format == "0.0%"
    assert (ptotals[2], ptotals[3], ptotals[4]) == (5, -3, 2)
    assert money(ptotals[8]) == Decimal("321.00")

    _, channels, _ = sheet_rows(wb["ยอดขายตามช่องทาง"], 5)
    assert [(r[0], r[1], *(money(v) for v in r[2:5])) for r in channels] == [
        ("หน้าร้าน", 2, Decimal("160.50"), Decimal("0"), Decimal("160.50")),
        ("แชทหน้าเว็บ", 1, Decimal("107.00"), Decimal("0"), Decimal("107.00")),
        ("LINE", 1, Decimal("214.00"), Decimal("-160.50"), Decimal("53.50")),
    ]

    _, pays, pay_totals = sheet_rows(wb["ยอดขายตามวิธีชำระเงิน"], 5)
    assert [(r[0], r[1], *(money(v) for v in r[2:])) for r in pays] == [
        ("พร้อมเพย์", 3, Decimal("237.50"), Decimal("107.00"), Decimal("344.50")),
        ("เงินสด", 2, Decimal("137.00"), Decimal("0"), Decimal("137.00")),
        ("คืนเงินให้ลูกค้า", 1, Decimal("-160.50"), Decimal("0"), Decimal("-160.50")),
    ]
    assert money(pay_totals[4]) == Decimal("321.00")

    _, listed, _ = sheet_rows(wb["รายการคำสั่งซื้อ"], 5)
    assert [r[1] for r in listed] == [shop_db[k].number for k in ("o1", "o2", "o3", "o6")]
    assert listed[3][0] == dt.datetime(2026, 3, 31)

    _, refunds, _ = sheet_rows(wb["รายการคืนเงิน"], 5)
    assert [(*r[:7], *(money(v) for v in r[7:])) for r in refunds] == [
        (dt.datetime(2026, 3, 15), shop_db["o5"].number, dt.datetime(2026, 2, 20), "สมหญิง ใจดี",
         "สินค้าชำรุด", "CN2026-000001", 3, Decimal("150.00"), Decimal("10.50"),
         Decimal("160.50")),
    ]  # fmt: skip
    notes = [c.value for row in wb["ยอดขายรายวัน"].iter_rows() for c in row if c.value]
    assert f"หมายเหตุ: {reports.NET_NOTE}" in notes


def test_sales_csv_stacks_the_tables(shop_db: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "sales.csv"
    report_files.write_report(shop_db["db"], "sales", *MARCH, out)
    text = out.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(text.decode("utf-8-sig").splitlines()))
    titles = [r[0] for i, r in enumerate(rows) if len(r) == 1 and (i == 0 or rows[i - 1] == [])]
    assert titles == [
        "ยอดขายรายวัน", "ยอดขายตามสินค้า", "ยอดขายตามช่องทาง", "ยอดขายตามวิธีชำระเงิน",
        "รายการคำสั่งซื้อ", "รายการคืนเงิน",
    ]  # fmt: skip
    assert [
        "2026-03-02", "1", "214.00", "0.00", "0.00", "214.00", "0.00", "214.00", "200.00",
        "14.00",
    ] in rows  # fmt: skip
    assert [
        "รวม", "4", "481.50", "0.00", "0.00", "481.50", "-160.50", "321.00", "300.00", "21.00",
    ] in rows  # fmt: skip


# ---------------------------------------------------------------------------- products, customers


def test_products_report(shop_db: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "products.xlsx"
    report_files.write_report(shop_db["db"], "products", *MARCH, out)
    ws = openpyxl.load_workbook(out)["ประสิทธิภาพสินค้า"]
    _, body, totals = sheet_rows(ws, 5)
    p1, p2 = body
    assert p1[:8] == ["P1", "เสื้อยืดสีแดง", "เสื้อผ้า", 2, 1, 4, 0, 3]
    assert [money(v) for v in p1[8:12]] == [
        Decimal("428.00"), Decimal("0"), Decimal("200.00"), Decimal("228.00"),
    ]  # fmt: skip
    assert p1[12] == 95  # 100 less O1, O3, O6, O7
    # O2 sold one in March; O5's three (sold in February) came back on 03-15.
    assert p2[:8] == ["P2", "แก้วน้ำ", None, 0, 0, -2, -3, 1]
    assert [money(v) for v in p2[8:10]] == [Decimal("-107.00"), Decimal("-160.50")]
    assert p2[10] is None and p2[11] is None  # no cost known: no profit shown
    assert p2[12] == 99  # the cancelled and refunded orders gave theirs back
    assert (totals[3], totals[5], totals[6], money(totals[8])) == (2, 2, -3, Decimal("321.00"))


def test_customers_report(shop_db: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "customers.csv"
    report_files.write_report(shop_db["db"], "customers", *MARCH, out)
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:5] == ["ชื่อลูกค้า", "โทรศัพท์", "เป็นลูกค้าตั้งแต่", "ออเดอร์ในช่วง",
                           "ยอดซื้อสุทธิในช่วง"]  # fmt: skip
    body = rows[1:-1]
    # สมหญิง: O3 in March (107.00) less O5's refund on 03-15 (160.50); in all time O3 and O5
    # (refunded, so it adds nothing).
    assert [(r[0], r[3], r[4], r[5], r[6], r[7], r[8]) for r in body] == [
        ("บริษัท ก้าวหน้า จำกัด", "1", "214.00", "214.00", "2026-03-02", "1", "214.00"),
        ("สมหญิง ใจดี", "1", "-53.50", "-53.50", "2026-03-10", "2", "107.00"),
    ]
    assert rows[-1][:5] == ["รวม", "", "", "2", "160.50"]


# ---------------------------------------------------------------------------- progress, cancel


def test_progress_is_reported_up_to_the_total(shop_db: dict[str, Any], tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    report_files.write_report(
        shop_db["db"],
        "sales",
        *MARCH,
        tmp_path / "s.pdf",
        progress=lambda d, t: seen.append((d, t)),
    )
    total = 31 + 2 + 3 + 3 + 1  # the PDF has all but the order list
    assert seen[-1] == (total, total)
    assert all(t == total for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "pdf"])
def test_cancel_leaves_no_file(shop_db: dict[str, Any], tmp_path: Path, fmt: str) -> None:
    stop = threading.Event()
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / f"sales.{fmt}"
    out.write_bytes(b"the previous report")  # an older file is kept as it was

    def progress(done: int, total: int) -> None:
        stop.set()

    with pytest.raises(reports.ReportCancelled):
        report_files.write_report(
            shop_db["db"], "sales", *MARCH, out, progress=progress, cancel=stop
        )
    assert out.read_bytes() == b"the previous report"
    assert sorted(p.name for p in folder.iterdir()) == [f"sales.{fmt}"]


def test_a_cancel_callable_is_accepted(shop_db: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "vat.xlsx"
    with pytest.raises(reports.ReportCancelled):
        report_files.write_report(shop_db["db"], "vat", *MARCH, out, cancel=lambda: True)
    assert not out.exists()


# ---------------------------------------------------------------------------- bad input


def test_bad_input_is_refused_with_a_code(db: Database, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    cases = [
        ("sales", MARCH, tmp_path / "x.docx", "report.unsupported_format"),
        ("stock", MARCH, tmp_path / "x.xlsx", "report.unknown_kind"),
        ("sales", (MARCH[1], MARCH[0]), tmp_path / "x.xlsx", "report.bad_range"),
        ("sales", MARCH, tmp_path / "missing" / "x.xlsx", "report.no_folder"),
    ]
    for kind, (lo, hi), out, code in cases:
        with pytest.raises(UserError) as err:
            report_files.write_report(db, kind, lo, hi, out)
        assert err.value.code == code
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(UserError) as err:
        reports.month_range("2026-13")
    assert err.value.code == "report.bad_month"
    assert reports.month_range("2024-02") == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert reports.thai_month_year(dt.date(2026, 3, 1)) == "มีนาคม 2569"
