"""Export of products and orders to XLSX and CSV, read back with openpyxl and csv."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput, VariantInput
from minichat_desktop.domain.models import Channel, PaymentMethod
from minichat_desktop.domain.sales import orders
from minichat_desktop.errors import UserError
from minichat_desktop.formats import exporter
from minichat_desktop.formats.importer import COLUMNS, import_products
from minichat_desktop.storage.db import Database

UTC = dt.UTC


def seed_products(db: Database) -> None:
    with db.write() as s:
        catalog.save_product(
            s,
            ProductInput(
                sku="TEA", name_th="ชาไทย", name_en="Thai tea", price_satang=3500,
                compare_at_satang=4000, cost_satang=1850, category="เครื่องดื่ม",
                tags=["ขายดี", "เย็น"], barcode="8850999000017", stock=120,
                low_stock_threshold=10, description="หวานน้อย",
            ),
            "owner",
        )  # fmt: skip
        catalog.save_product(
            s,
            ProductInput(
                sku="SHIRT", name_th="เสื้อยืด", price_satang=125000, category="เสื้อผ้า",
                option_names=["สี", "ไซซ์"],
                variants=[
                    VariantInput(sku="SHIRT-R-M", options={"สี": "แดง", "ไซซ์": "M"}, stock=8,
                                 barcode="201"),
                    VariantInput(sku="SHIRT-R-L", options={"สี": "แดง", "ไซซ์": "L"}, stock=5,
                                 price_satang=129000),
                ],
            ),
            "owner",
        )  # fmt: skip
        catalog.save_product(
            s, ProductInput(sku="OFF", name_th="เลิกขาย", price_satang=100, active=False), "owner"
        )


def seed_orders(db: Database) -> list[str]:
    numbers = []
    with db.write() as s:
        for i, (when, lines) in enumerate(
            [
                # 2026-03-01 20:30 UTC is 2026-03-02 03:30 in Bangkok.
                (dt.datetime(2026, 3, 1, 20, 30, tzinfo=UTC), [("TEA", 2), ("SHIRT-R-L", 1)]),
                (dt.datetime(2026, 3, 5, 2, 0, tzinfo=UTC), [("SHIRT-R-M", 3)]),
                (dt.datetime(2026, 4, 1, 2, 0, tzinfo=UTC), [("TEA", 1)]),
            ]
        ):
            view = orders.place_order(
                s,
                orders.NewOrder(
                    channel=Channel.LINE if i == 0 else Channel.POS,
                    lines=[orders.LineInput(quantity=q, sku=sku) for sku, q in lines],
                    customer_name="สมชาย ใจดี" if i == 0 else "",
                    customer_phone="0812345678" if i == 0 else "",
                    shipping_satang=5000 if i == 0 else 0,
                    payment_method=PaymentMethod.PROMPTPAY if i == 0 else PaymentMethod.CASH,
                    created_at=when,
                ),
                "owner",
            )
            numbers.append(view.number)
    return numbers


def sheet_rows(ws: Any) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


# ---------------------------------------------------------------------------- products


def test_products_xlsx_has_import_headers_formats_frozen_header_and_filter(
    db: Database, tmp_path: Path
) -> None:
    """One row per simple product and per variant; money as numbers formatted #,##0.00."""
    seed_products(db)
    with db.read() as s:
        result = exporter.export_products(s, tmp_path / "p.xlsx")
    assert result.rows == 4
    wb = openpyxl.load_workbook(tmp_path / "p.xlsx")
    ws = wb.worksheets[0]
    assert ws.title == "สินค้า"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:R5"
    assert ws.column_dimensions["B"].width == 32
    rows = sheet_rows(ws)
    assert rows[0] == [c.header for c in COLUMNS]
    assert rows[1] == [
        "TEA", "ชาไทย", 35, 120, "เครื่องดื่ม", "8850999000017", "หวานน้อย", "Thai tea", 40,
        18.5, "ขายดี,เย็น", "ใช่", 10, None, None, None, None, None,
    ]  # fmt: skip
    assert rows[2][:4] == ["SHIRT-R-M", "เสื้อยืด", 1250, 8]
    assert rows[2][13:] == ["สี", "แดง", "ไซซ์", "M", "SHIRT"]
    assert rows[3][:4] == ["SHIRT-R-L", "เสื้อยืด", 1290, 5]
    assert rows[4][0] == "OFF" and rows[4][11] == "ไม่"
    assert ws["C2"].number_format == "#,##0.00"
    assert ws["J2"].number_format == "#,##0.00"
    assert ws["A1"].font.bold


def test_products_csv_starts_with_a_bom_and_has_plain_decimals(
    db: Database, tmp_path: Path
) -> None:
    """Excel needs the BOM to show Thai; money is written 1250.00 (no grouping)."""
    seed_products(db)
    with db.read() as s:
        exporter.export_products(s, tmp_path / "p.csv")
    raw = (tmp_path / "p.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][0] == "รหัสสินค้า (sku)"
    assert rows[1][:4] == ["TEA", "ชาไทย", "35.00", "120"]
    assert rows[3][:3] == ["SHIRT-R-L", "เสื้อยืด", "1290.00"]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_products_export_imports_back_unchanged(
    db: Database, new_db: Any, tmp_path: Path, suffix: str
) -> None:
    """Round trip: the export re-imports as all-unchanged, and into an empty shop it rebuilds
    the same catalog (exported again, the file has the same rows)."""
    seed_products(db)
    first = tmp_path / f"first{suffix}"
    with db.read() as s:
        exporter.export_products(s, first)
    again = import_products(db, first, "owner")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)

    fresh = new_db()
    created = import_products(fresh, first, "owner")
    assert (created.created, created.rows) == (3, 4)
    second = tmp_path / f"second{suffix}"
    with fresh.read() as s:
        exporter.export_products(s, second)
        shirt = catalog.get_product_by_sku(s, "SHIRT")
    assert [(v.sku, v.price_satang, v.stock, v.title) for v in shirt.variants] == [
        ("SHIRT-R-M", 125000, 8, "แดง / M"),
        ("SHIRT-R-L", 129000, 5, "แดง / L"),
    ]

    def read(path: Path) -> list[list[Any]]:
        if suffix == ".csv":
            return list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
        return sheet_rows(openpyxl.load_workbook(path).worksheets[0])

    assert read(second) == read(first)


# ---------------------------------------------------------------------------- orders


def test_orders_xlsx_has_one_row_per_order_and_an_items_sheet(db: Database, tmp_path: Path) -> None:
    """Orders sheet with Thai headers, Bangkok dates, baht formats; items on a second sheet."""
    seed_products(db)
    numbers = seed_orders(db)
    with db.read() as s:
        result = exporter.export_orders(s, tmp_path / "o.xlsx")
    assert (result.rows, result.items) == (3, 4)
    wb = openpyxl.load_workbook(tmp_path / "o.xlsx")
    assert wb.sheetnames == ["คำสั่งซื้อ", "รายการสินค้า"]
    ws = wb["คำสั่งซื้อ"]
    rows = sheet_rows(ws)
    assert rows[0] == [c.header for c in exporter.ORDER_COLUMNS]
    assert rows[0][:3] == ["เลขที่คำสั่งซื้อ", "วันที่ (เวลาไทย)", "ช่องทาง"]
    first = rows[1]
    assert first[0] == numbers[0]
    assert first[1] == dt.datetime(2026, 3, 2, 3, 30)  # Bangkok time
    assert first[2:7] == ["LINE", "รอดำเนินการ", "สมชาย ใจดี", "0812345678",
                          "ชาไทย ×2, เสื้อยืด (แดง / L) ×1"]  # fmt: skip
    assert first[7:12] == [1360, 0, 50, first[10], 1410]
    assert first[12:] == ["พร้อมเพย์", "ยังไม่ชำระ", None, None]
    assert [r[0] for r in rows[1:]] == numbers
    assert ws["B2"].number_format == "[$-1070000]dd/mm/yyyy hh:mm"  # B.E.
    assert all(ws.cell(row=2, column=c).number_format == "#,##0.00" for c in range(8, 13))
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:P4"
    assert ws.column_dimensions["G"].width == 48
    items = wb["รายการสินค้า"]
    assert sheet_rows(items)[1:] == [
        [numbers[0], dt.datetime(2026, 3, 2, 3, 30), "TEA", "ชาไทย", None, 2, 35, 0, 70],
        [numbers[0], dt.datetime(2026, 3, 2, 3, 30), "SHIRT-R-L", "เสื้อยืด", "แดง / L", 1, 1290,
         0, 1290],
        [numbers[1], dt.datetime(2026, 3, 5, 9, 0), "SHIRT-R-M", "เสื้อยืด", "แดง / M", 3, 1250, 0,
         3750],
        [numbers[2], dt.datetime(2026, 4, 1, 9, 0), "TEA", "ชาไทย", None, 1, 35, 0, 35],
    ]  # fmt: skip
    assert items.freeze_panes == "A2" and items.auto_filter.ref == "A1:I5"
    assert items["G2"].number_format == "#,##0.00"


def test_orders_csv_has_a_bom_bangkok_dates_and_plain_decimals(
    db: Database, tmp_path: Path
) -> None:
    """CSV: UTF-8 with BOM, one row per order, dates in Bangkok time."""
    seed_products(db)
    numbers = seed_orders(db)
    with db.read() as s:
        exporter.export_orders(s, tmp_path / "o.csv")
    raw = (tmp_path / "o.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert len(rows) == 4
    assert rows[1][:3] == [numbers[0], "2026-03-02 03:30", "LINE"]
    assert rows[1][7:12] == ["1360.00", "0.00", "50.00", rows[1][10], "1410.00"]
    assert rows[2][2:4] == ["หน้าร้าน", "รอดำเนินการ"]


def test_orders_export_filters_by_creation_time(db: Database, tmp_path: Path) -> None:
    """``created_from`` is inclusive, ``created_to`` exclusive; dates are whole Bangkok days."""
    seed_products(db)
    numbers = seed_orders(db)
    with db.read() as s:
        march = exporter.export_orders(
            s,
            tmp_path / "m.csv",
            created_from=dt.datetime(2026, 3, 1, 20, 30, tzinfo=UTC),
            created_to=dt.datetime(2026, 3, 5, 2, 0, tzinfo=UTC),
        )
        assert (march.rows, march.items) == (1, 2)
        by_day = exporter.export_orders(
            s, tmp_path / "d.xlsx", created_from=dt.date(2026, 3, 5), created_to=dt.date(2026, 4, 1)
        )
        assert (by_day.rows, by_day.items) == (2, 2)
        with pytest.raises(TypeError):
            exporter.export_orders(s, tmp_path / "x.csv", created_from=dt.datetime(2026, 3, 1))
    rows = sheet_rows(openpyxl.load_workbook(tmp_path / "d.xlsx").worksheets[0])
    assert [r[0] for r in rows[1:]] == numbers[1:]


def test_an_unknown_extension_is_a_user_error_and_writes_nothing(
    db: Database, tmp_path: Path
) -> None:
    """Only .xlsx and .csv: anything else is ``export.unsupported_format``."""
    out = tmp_path / "out"
    out.mkdir()
    with db.read() as s:
        for call in (exporter.export_products, exporter.export_orders):
            with pytest.raises(UserError) as info:
                call(s, out / "orders.pdf")
            assert info.value.code == "export.unsupported_format"
    assert list(out.iterdir()) == []


def test_an_empty_shop_exports_headers_only(db: Database, tmp_path: Path) -> None:
    """No orders: the file has its header row and an autofilter over it."""
    with db.read() as s:
        result = exporter.export_orders(s, tmp_path / "o.xlsx")
    assert (result.rows, result.items) == (0, 0)
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx").worksheets[0]
    assert len(sheet_rows(ws)) == 1 and ws.auto_filter.ref == "A1:P1"


def test_text_that_looks_like_a_formula_stays_text_in_xlsx(db: Database, tmp_path: Path) -> None:
    """A customer name starting with "=" (typed by a shopper) is exported as text, never as a
    formula Excel would run."""
    seed_products(db)
    with db.write() as s:
        orders.place_order(
            s,
            orders.NewOrder(
                channel=Channel.LINE,
                lines=[orders.LineInput(quantity=1, sku="TEA")],
                customer_name='=HYPERLINK("http://x.example","click")',
            ),
            "owner",
        )
    with db.read() as s:
        exporter.export_orders(s, tmp_path / "o.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx").worksheets[0]
    assert ws["E2"].value == '=HYPERLINK("http://x.example","click")'
    assert ws["E2"].data_type == "s"
