"""Product import: all or nothing, every problem reported by row and column, upsert by SKU."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from minichat_desktop import paths
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput, VariantInput
from minichat_desktop.domain.models import AuditEntry, Product, ProductVariant, StockMovement
from minichat_desktop.domain.thai import format_baht
from minichat_desktop.formats import importer
from minichat_desktop.formats.importer import (
    CellError,
    ImportFailed,
    import_products,
    parse_money_cell,
)
from minichat_desktop.storage.db import Database, check_integrity

HEADER = ["sku", "name", "price", "stock", "category", "barcode", "description"]

# ---------------------------------------------------------------------------- helpers


def write_csv(path: Path, rows: Sequence[Sequence[Any]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def snapshot(db: Database) -> tuple[int, str]:
    """Product count and a checksum over every table an import writes."""
    digest = hashlib.sha256()
    with db.reader.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM products")).scalar_one()
        for table in ("products", "product_variants", "stock_movements", "categories", "audit_log"):
            for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY id")):
                digest.update(repr(tuple(row)).encode())
    return int(count), digest.hexdigest()


def seed(db: Database) -> None:
    with db.write() as s:
        catalog.save_product(
            s,
            ProductInput(
                sku="OLD-1", name_th="ของเดิม", price_satang=5000, barcode="8850000000001", stock=4
            ),
            "owner",
        )


def failure(db: Database, path: Path) -> list[tuple[int, str, str]]:
    """Import ``path`` expecting failure; check nothing changed; return (row, column, code)."""
    before = snapshot(db)
    with pytest.raises(ImportFailed) as info:
        import_products(db, path, "owner")
    assert snapshot(db) == before
    assert info.value.code == "import.failed"
    return [(p.row, p.column, p.code) for p in info.value.problems]


def product(db: Database, sku: str) -> catalog.ProductView:
    with db.read() as s:
        return catalog.get_product_by_sku(s, sku)


# ---------------------------------------------------------------------------- bad input


BAD_ROWS: list[tuple[str, list[list[Any]], list[tuple[int, str, str]]]] = [
    ("empty sku", [["", "ชา", "35"]], [(2, "sku", "import.sku_required")]),
    (
        "duplicate sku",
        [["A", "ชา", "35"], ["B", "กาแฟ", "40"], ["A", "โกโก้", "45"]],
        [(4, "sku", "import.duplicate_sku")],
    ),
    ("bad price", [["A", "ชา", "12,50.x"]], [(2, "price", "import.bad_price")]),
    ("negative price", [["A", "ชา", "-5"]], [(2, "price", "import.negative_price")]),
    ("too many decimals", [["A", "ชา", "1.005"]], [(2, "price", "import.too_many_decimals")]),
    ("price over max", [["A", "ชา", "10,000,000.01"]], [(2, "price", "import.price_too_high")]),
    ("empty price", [["A", "ชา", ""]], [(2, "price", "import.price_required")]),
    ("empty name", [["A", "", "35"]], [(2, "name", "import.name_required")]),
    ("name too long", [["A", "ก" * 301, "35"]], [(2, "name", "import.name_too_long")]),
    ("sku too long", [["S" * 65, "ชา", "35"]], [(2, "sku", "import.sku_too_long")]),
]


@pytest.mark.parametrize(
    ("rows", "expected"), [c[1:] for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS]
)
def test_bad_cells_are_reported_by_row_and_column_and_nothing_is_stored(
    db: Database, tmp_path: Path, rows: list[list[Any]], expected: list[tuple[int, str, str]]
) -> None:
    """Each kind of bad cell gives its code at its row and column; the database is unchanged."""
    seed(db)
    path = write_csv(tmp_path / "p.csv", [["sku", "name", "price"], *rows])
    assert failure(db, path) == expected


BAD_OPTIONAL: list[tuple[str, str, Any, str]] = [
    ("stock text", "stock", "many", "import.bad_stock"),
    ("stock decimal", "stock", "2.5", "import.bad_stock"),
    ("stock negative", "stock", "-1", "import.negative_stock"),
    ("active", "active", "maybe", "import.bad_active"),
    ("threshold negative", "low_stock_threshold", "-3", "import.bad_threshold"),
    ("threshold text", "low_stock_threshold", "few", "import.bad_threshold"),
    ("cost", "cost", "abc", "import.bad_price"),
    ("compare at", "compare_at_price", "-1", "import.negative_price"),
    ("category too long", "category", "ห" * 101, "import.text_too_long"),
    ("option value without name", "option1_value", "แดง", "import.option_name_required"),
]


@pytest.mark.parametrize(
    ("column", "value", "code"), [c[1:] for c in BAD_OPTIONAL], ids=[c[0] for c in BAD_OPTIONAL]
)
def test_bad_optional_cells_are_reported(
    db: Database, tmp_path: Path, column: str, value: str, code: str
) -> None:
    """Optional columns are checked too: stock, active, threshold, money, lengths, options."""
    seed(db)
    reported = "option1_name" if column == "option1_value" else column
    header = ["sku", "name", "price", column]
    if column == "option1_value":
        header.append("option1_name")
    path = write_csv(tmp_path / "p.csv", [header, ["A", "ชา", "35", value]])
    assert failure(db, path) == [(2, reported, code)]


def test_every_problem_is_reported_with_the_spreadsheet_row_counting_blank_rows(
    db: Database, tmp_path: Path
) -> None:
    """Blank rows are skipped but counted; all problems come back, in file order, as text."""
    rows = [
        HEADER,
        ["A1", "ชาไทย", "35", "10", "", "", ""],
        [],
        ["", "", "", "", "", "", ""],
        ["A2", "กาแฟ", "12,50.x", "1", "", "", ""],
        ["A3", "โกโก้", "40", "2.5", "", "", ""],
        ["A1", "นม", "20", "1", "", "", ""],
    ]
    path = write_csv(tmp_path / "p.csv", rows)
    with pytest.raises(ImportFailed) as info:
        import_products(db, path, "owner")
    got = [str(p) for p in info.value.problems]
    assert got == [
        'row 5, column price: "12,50.x" is not a price (write it like 1,250.00)',
        'row 6, column stock: "2.5" is not a whole number',
        "row 7, column sku: SKU A1 is already in row 2",
    ]
    assert info.value.params["count"] == 3
    assert snapshot(db)[0] == 0


def test_xlsx_problems_name_the_column_letter_and_the_header_as_typed(
    db: Database, tmp_path: Path
) -> None:
    """In XLSX a problem says ``column C (Price)``: letter and the header as the person typed."""
    path = write_xlsx(
        tmp_path / "p.xlsx", [["SKU", "Name", "Price"], ["A", "ชา", "abc"], ["B", "กาแฟ", -3]]
    )
    with pytest.raises(ImportFailed) as info:
        import_products(db, path, "owner")
    assert [str(p) for p in info.value.problems] == [
        'row 2, column C (Price): "abc" is not a price (write it like 1,250.00)',
        'row 3, column C (Price): price cannot be negative ("-3")',
    ]
    assert [(p.letter, p.column) for p in info.value.problems] == [("C", "Price"), ("C", "Price")]


def test_missing_required_columns_are_all_named(db: Database, tmp_path: Path) -> None:
    """A file without the sku, name or price column is refused, naming each missing one."""
    path = write_csv(tmp_path / "p.csv", [["name", "stock"], ["ชา", "1"]])
    assert failure(db, path) == [
        (1, "sku", "import.missing_column"),
        (1, "price", "import.missing_column"),
    ]


def test_duplicate_header_is_a_problem_even_across_languages(db: Database, tmp_path: Path) -> None:
    """``price`` and ``ราคา`` are the same column: the second is reported in row 1."""
    path = write_csv(tmp_path / "p.csv", [["sku", "name", "price", "ราคา"], ["A", "ชา", "1", "2"]])
    assert failure(db, path) == [(1, "ราคา", "import.duplicate_column")]


def test_unknown_columns_are_ignored_with_a_warning(db: Database, tmp_path: Path) -> None:
    """An extra column does not stop the import; the result names it."""
    path = write_csv(
        tmp_path / "p.csv", [["sku", "name", "price", "หมายเหตุ"], ["A", "ชา", "35", "x"]]
    )
    result = import_products(db, path, "owner")
    assert result.created == 1
    assert result.warnings == ("column หมายเหตุ is not known and was ignored",)


def test_barcode_twice_in_the_file_is_a_problem(db: Database, tmp_path: Path) -> None:
    """Two rows with one barcode: the second is reported, pointing at the first."""
    path = write_csv(
        tmp_path / "p.csv",
        [
            HEADER,
            ["A", "ชา", "35", "", "", "885123", ""],
            ["B", "กาแฟ", "40", "", "", "885 123", ""],
        ],
    )
    assert failure(db, path) == [(3, "barcode", "import.duplicate_barcode")]


def test_barcode_of_another_product_in_the_database_is_a_problem(
    db: Database, tmp_path: Path
) -> None:
    """A barcode already used by another product in the shop is refused; nothing is stored."""
    seed(db)
    path = write_csv(
        tmp_path / "p.csv",
        [
            HEADER,
            ["NEW-1", "ชา", "35", "", "", "", ""],
            ["NEW-2", "กาแฟ", "40", "", "", "8850000000001", ""],
        ],
    )
    assert failure(db, path) == [(3, "barcode", "import.barcode_taken")]


def test_variant_sku_of_another_product_in_the_database_is_a_problem(
    db: Database, tmp_path: Path
) -> None:
    """A variant SKU that belongs to another product is refused."""
    seed(db)
    path = write_csv(
        tmp_path / "p.csv",
        [["sku", "name", "price", "parent_sku", "option1_name", "option1_value"],
         ["OLD-1", "ชุด", "35", "SET", "แบบ", "ก"]],
    )  # fmt: skip
    assert failure(db, path) == [(2, "sku", "import.sku_taken")]


def test_variants_with_inconsistent_parent_data_are_refused(db: Database, tmp_path: Path) -> None:
    """Rows of one parent_sku must agree on product-level columns and differ in options."""
    header = ["sku", "name", "price", "category", "parent_sku", "option1_name", "option1_value"]
    path = write_csv(
        tmp_path / "p.csv",
        [
            header,
            ["S-R", "เสื้อ", "100", "เสื้อผ้า", "S", "สี", "แดง"],
            ["S-B", "", "100", "ของเล่น", "S", "สี", "ฟ้า"],
            ["S-G", "", "100", "", "S", "ไซซ์", "เขียว"],
            ["S-R2", "", "100", "", "S", "", "แดง"],
            ["P", "ของ", "5", "", "", "", ""],
            ["P-1", "", "5", "", "P", "สี", "ดำ"],
        ],
    )
    assert failure(db, path) == [
        (3, "category", "import.variant_mismatch"),
        (4, "option1_name", "import.variant_mismatch"),
        (5, "option1_value", "import.duplicate_variant"),
        (7, "parent_sku", "import.variant_mismatch"),
    ]


def test_variants_with_the_same_options_are_refused(db: Database, tmp_path: Path) -> None:
    """Two variants of one product cannot have the same option values."""
    header = ["sku", "name", "price", "parent_sku", "option1_name", "option1_value"]
    path = write_csv(
        tmp_path / "p.csv",
        [header, ["S-1", "เสื้อ", "100", "S", "สี", "แดง"], ["S-2", "", "100", "S", "สี", "แดง"]],
    )
    assert failure(db, path) == [(3, "option1_value", "import.duplicate_variant")]


def test_an_empty_file_is_refused(db: Database, tmp_path: Path) -> None:
    """A 0-byte CSV and a workbook with nothing in it are ``import.empty_file``."""
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert failure(db, empty) == [(0, "", "import.empty_file")]
    assert failure(db, write_xlsx(tmp_path / "empty.xlsx", [])) == [(0, "", "import.empty_file")]


def test_a_header_without_rows_is_refused(db: Database, tmp_path: Path) -> None:
    """A header and only blank rows: ``import.no_rows``."""
    path = write_csv(tmp_path / "p.csv", [HEADER, [], ["", ""]])
    assert failure(db, path) == [(0, "", "import.no_rows")]


def test_files_that_are_not_csv_or_xlsx_are_refused(db: Database, tmp_path: Path) -> None:
    """Another extension, a damaged workbook and a binary .csv each get their code."""
    pdf = tmp_path / "p.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert failure(db, pdf) == [(0, "", "import.unsupported_file")]
    broken = tmp_path / "p.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is not a zip at all")
    assert failure(db, broken) == [(0, "", "import.corrupt_file")]
    text_as_xlsx = tmp_path / "q.xlsx"
    text_as_xlsx.write_text("sku,name,price\n")
    assert failure(db, text_as_xlsx) == [(0, "", "import.corrupt_file")]
    binary = tmp_path / "p.csv"
    binary.write_bytes(b"sku,name\x00\x01\x02")
    assert failure(db, binary) == [(0, "", "import.corrupt_file")]


def test_a_csv_in_an_unknown_encoding_is_refused(db: Database, tmp_path: Path) -> None:
    """Bytes that are neither UTF-8 nor Windows-874 (0xDB is unassigned there)."""
    path = tmp_path / "p.csv"
    path.write_bytes(b"sku,name,price\nA,\xdb\xfc,35\n")
    assert failure(db, path) == [(0, "", "import.bad_encoding")]


def test_more_than_the_row_limit_is_refused(db: Database, tmp_path: Path) -> None:
    """Over 100,000 products in one file: ``import.too_many_rows``, nothing stored."""
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("sku,name,price\n")
        f.writelines(f"S{i},n,1\n" for i in range(importer.MAX_ROWS + 1))
    assert failure(db, path) == [(0, "", "import.too_many_rows")]


def test_missing_file_is_a_user_error(db: Database, tmp_path: Path) -> None:
    """A path that does not exist: ``import.no_file``."""
    with pytest.raises(importer.UserError) as info:
        import_products(db, tmp_path / "nope.csv", "owner")
    assert info.value.code == "import.no_file"


# ---------------------------------------------------------------------------- good input


def test_thai_headers_and_thai_money_formats_are_understood(db: Database, tmp_path: Path) -> None:
    """Thai headers in any order, ``1,250.00``, ``฿1,250``, Thai digits and tags."""
    rows = [
        ["ชื่อสินค้า", "ราคา", "รหัสสินค้า", "คงเหลือ", "หมวดหมู่", "บาร์โค้ด", "ต้นทุน", "แท็ก",
         "ราคาเต็ม", "ชื่อภาษาอังกฤษ", "รายละเอียด", "เปิดขาย", "แจ้งเตือนเมื่อเหลือ"],
        ["เสื้อยืด", "1,250.00", "TS-1", "๑๒", " เสื้อผ้า ", "885 000 111", "฿600", "ใหม่, ขายดี",
         "฿1,500", "T-shirt", "ผ้าฝ้าย", "ใช่", "3"],
        ["ชาไทย", "฿35", "TEA", "1,200", "", "", "", "", "", "", "", "ไม่", ""],
    ]  # fmt: skip
    result = import_products(db, write_csv(tmp_path / "p.csv", rows), "owner")
    assert (result.created, result.updated, result.unchanged, result.rows) == (2, 0, 0, 2)
    tee = product(db, "TS-1")
    assert (tee.price_satang, tee.cost_satang, tee.compare_at_satang) == (125000, 60000, 150000)
    assert (tee.stock, tee.category, tee.barcode, tee.tags) == (
        12,
        "เสื้อผ้า",
        "885000111",
        ("ใหม่", "ขายดี"),
    )
    assert (tee.name_en, tee.description, tee.active, tee.low_stock_threshold) == (
        "T-shirt", "ผ้าฝ้าย", True, 3,
    )  # fmt: skip
    tea = product(db, "TEA")
    assert (tea.price_satang, tea.stock, tea.active, tea.low_stock_threshold) == (
        3500,
        1200,
        False,
        5,
    )


def test_bilingual_template_headers_are_understood(db: Database, tmp_path: Path) -> None:
    """Headers as the template writes them, ``ราคา (price)``, and mixed-case English."""
    rows = [
        ["รหัสสินค้า (sku)", "Name", "ราคา (price)", "Low Stock Threshold"],
        ["A", "ชา", "35", "7"],
    ]
    import_products(db, write_csv(tmp_path / "p.csv", rows), "owner")
    assert product(db, "A").low_stock_threshold == 7


def test_new_products_get_opening_stock_as_import_movements_and_one_audit_entry(
    db: Database, tmp_path: Path
) -> None:
    """Opening stock is a stock movement with reason import; the import writes one audit entry."""
    path = write_csv(tmp_path / "stock.csv", [HEADER, ["A", "ชา", "35", "10", "", "", ""]])
    import_products(db, path, "owner")
    with db.read() as s:
        moves = s.execute(
            select(StockMovement.quantity, StockMovement.reason, StockMovement.actor)
        ).all()
        audit = s.execute(select(AuditEntry.action, AuditEntry.entity_id, AuditEntry.changes)).all()
    assert [(q, str(r), a) for q, r, a in moves] == [(10, "import", "owner")]
    assert [(a, e) for a, e, _ in audit] == [("product.import", "stock.csv")]
    assert audit[0].changes["created"] == [None, 1]
    with db.read() as s:
        created = s.execute(select(Product.created_at)).scalar_one()
        moved = s.execute(select(StockMovement.created_at)).scalar_one()
    # Bulk-written times read back through the models as aware UTC, like ORM-written ones.
    assert created == moved
    assert created.tzinfo is dt.UTC
    assert abs((dt.datetime.now(dt.UTC) - created).total_seconds()) < 60


def test_reimport_updates_by_sku_and_sets_stock_levels(db: Database, tmp_path: Path) -> None:
    """Existing SKUs are updated; the stock column sets the level with one import movement."""
    first = write_csv(
        tmp_path / "a.csv",
        [
            HEADER,
            ["A", "ชา", "35", "10", "เครื่องดื่ม", "111", ""],
            ["B", "กาแฟ", "40", "5", "", "", ""],
        ],
    )
    import_products(db, first, "owner")
    second = write_csv(
        tmp_path / "b.csv",
        [HEADER, ["A", "ชาไทย", "39", "4", "เครื่องดื่ม", "111", ""],
         ["B", "กาแฟ", "40", "5", "", "", ""], ["C", "โกโก้", "45", "", "", "", ""]],
    )  # fmt: skip
    result = import_products(db, second, "owner")
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    a = product(db, "A")
    assert (a.name_th, a.price_satang, a.stock) == ("ชาไทย", 3900, 4)
    assert product(db, "C").stock == 0
    with db.read() as s:
        moves = s.execute(
            select(StockMovement.quantity, StockMovement.note).where(
                StockMovement.variant_id == a.variants[0].id
            )
        ).all()
        search = s.execute(select(Product.search_name).where(Product.sku == "A")).scalar_one()
    assert [tuple(m) for m in moves] == [(10, "opening stock"), (-6, "import b.csv")]
    assert search == "ชาไทย"


def test_columns_absent_from_the_file_are_left_alone(db: Database, tmp_path: Path) -> None:
    """A file with only sku, name, price keeps category, barcode and stock of existing products."""
    import_products(
        db,
        write_csv(tmp_path / "a.csv", [HEADER, ["A", "ชา", "35", "10", "เครื่องดื่ม", "111", "x"]]),
        "o",
    )
    import_products(
        db, write_csv(tmp_path / "b.csv", [["sku", "name", "price"], ["A", "ชา", "36"]]), "o"
    )
    a = product(db, "A")
    assert (a.price_satang, a.category, a.barcode, a.stock, a.description) == (
        3600, "เครื่องดื่ม", "111", 10, "x",
    )  # fmt: skip


def test_variants_become_one_product_with_options(db: Database, tmp_path: Path) -> None:
    """Rows sharing parent_sku make one product; each row's price is its variant's price."""
    header = [
        "sku",
        "name",
        "price",
        "stock",
        "barcode",
        "parent_sku",
        "option1_name",
        "option1_value",
        "option2_name",
        "option2_value",
        "category",
    ]
    rows = [
        header,
        ["SH-R-M", "เสื้อเชิ้ต", "1,250.00", "3", "201", "SH", "สี", "แดง", "ไซซ์", "M", "เสื้อ"],
        ["SH-R-L", "เสื้อเชิ้ต", "1,290.00", "2", "202", "SH", "สี", "แดง", "ไซซ์", "L", "เสื้อ"],
        ["SH-B-M", "", "", "0", "", "SH", "", "ฟ้า", "", "M", ""],
    ]  # fmt: skip
    result = import_products(db, write_csv(tmp_path / "v.csv", rows), "owner")
    assert (result.created, result.rows) == (1, 3)
    sh = product(db, "SH")
    assert (sh.name_th, sh.price_satang, sh.category, sh.option_names) == (
        "เสื้อเชิ้ต", 125000, "เสื้อ", ("สี", "ไซซ์"),
    )  # fmt: skip
    got = [
        (v.sku, v.title, v.price_satang, v.own_price_satang, v.stock, v.barcode)
        for v in sh.variants
    ]
    assert got == [
        ("SH-R-M", "แดง / M", 125000, None, 3, "201"),
        ("SH-R-L", "แดง / L", 129000, 129000, 2, "202"),
        ("SH-B-M", "ฟ้า / M", 125000, None, 0, None),
    ]  # fmt: skip
    # Dropping a variant from the file deactivates it, as the product form does.
    result = import_products(db, write_csv(tmp_path / "v2.csv", rows[:3]), "owner")
    assert (result.updated, result.unchanged) == (1, 0)
    assert [v.active for v in product(db, "SH").variants] == [True, True, False]


def test_search_columns_match_what_the_catalog_computes(
    db: Database, new_db: Any, tmp_path: Path
) -> None:
    """Bulk-imported products have exactly the search text save_product would give them."""
    header = [
        "sku",
        "name",
        "name_en",
        "price",
        "barcode",
        "parent_sku",
        "option1_name",
        "option1_value",
        "tags",
        "category",
    ]
    rows = [
        header,
        ["TS-M", "เสื้อยืด  สีแดง", "Red Tee", "299", "885M", "TS", "ไซส์", "M", "cotton, ขายดี",
         "เสื้อ ยืด"],
        ["TS-L", "", "", "319", "", "TS", "ไซส์", "L", "", ""],
        ["MUG", "แก้วมัค", "Mug", "150", "99", "", "", "", "", ""],
    ]  # fmt: skip
    import_products(db, write_csv(tmp_path / "s.csv", rows), "owner")
    other = new_db()
    with other.write() as s:
        catalog.save_product(
            s,
            ProductInput(
                sku="TS", name_th="เสื้อยืด  สีแดง", name_en="Red Tee", price_satang=29900,
                tags=["cotton", "ขายดี"], category="เสื้อ ยืด", option_names=["ไซส์"],
                variants=[VariantInput(sku="TS-M", options={"ไซส์": "M"}, barcode="885M"),
                          VariantInput(sku="TS-L", options={"ไซส์": "L"}, price_satang=31900)],
            ),
            "owner",
        )  # fmt: skip
        catalog.save_product(
            s,
            ProductInput(
                sku="MUG", name_th="แก้วมัค", name_en="Mug", price_satang=15000, barcode="99"
            ),
            "o",
        )

    def search_columns(d: Database) -> list[tuple[str, ...]]:
        with d.read() as s:
            stmt = select(
                Product.sku, Product.search_name, Product.search_codes, Product.search_extra
            )
            return [tuple(r) for r in s.execute(stmt.order_by(Product.sku))]

    assert search_columns(db) == search_columns(other)
    with db.read() as s:
        assert [h.sku for h in catalog.search_products(s, "สีแดง")] == ["TS"]
        assert [h.sku for h in catalog.search_products(s, "885M")] == ["TS"]


def test_search_columns_match_after_an_update_adds_a_variant(
    db: Database, new_db: Any, tmp_path: Path
) -> None:
    """Updating through the import keeps the catalog's variant order for the search text."""
    header = ["sku", "name", "price", "barcode", "parent_sku", "option1_name", "option1_value"]
    first = [
        header,
        ["C-1", "เคส", "100", "b1", "C", "รุ่น", "A"],
        ["C-2", "", "100", "", "C", "รุ่น", "B"],
    ]
    second = [header, ["C-3", "เคสใหม่", "100", "b3", "C", "รุ่น", "C"], first[1]]
    import_products(db, write_csv(tmp_path / "1.csv", first), "o")
    import_products(db, write_csv(tmp_path / "2.csv", second), "o")
    other = new_db()

    def variants(rows: list[list[str]]) -> list[VariantInput]:
        return [VariantInput(sku=r[0], options={"รุ่น": r[6]}, barcode=r[3] or None) for r in rows]

    with other.write() as s:
        catalog.save_product(
            s, ProductInput(sku="C", name_th="เคส", price_satang=10000, option_names=["รุ่น"],
                            variants=variants(first[1:])), "o")  # fmt: skip
        catalog.save_product(
            s, ProductInput(sku="C", name_th="เคสใหม่", price_satang=10000, option_names=["รุ่น"],
                            variants=variants(second[1:])), "o")  # fmt: skip
    stmt = select(Product.search_name, Product.search_codes, Product.search_extra)
    with db.read() as s1, other.read() as s2:
        assert tuple(s1.execute(stmt).one()) == tuple(s2.execute(stmt).one())


def test_cp874_csv_from_thai_excel_is_read_and_said_so(db: Database, tmp_path: Path) -> None:
    """A CSV saved by Thai Excel (Windows-874) imports; the result says which encoding."""
    path = write_csv(
        tmp_path / "p.csv", [["รหัสสินค้า", "ชื่อสินค้า", "ราคา"], ["A", "น้ำปลา", "25"]], "cp874"
    )
    result = import_products(db, path, "owner")
    assert result.encoding == "cp874"
    assert result.warnings == ("the file is not UTF-8: it was read as Thai Windows-874 (TIS-620)",)
    assert product(db, "A").name_th == "น้ำปลา"


def test_utf8_with_bom_and_semicolons(db: Database, tmp_path: Path) -> None:
    """Excel's “CSV UTF-8” (BOM) and semicolon-separated files work."""
    path = tmp_path / "p.csv"
    path.write_text("sku;name;price\nA;ชา;12\nB;กาแฟ;40\n", encoding="utf-8-sig")
    result = import_products(db, path, "owner")
    assert (result.created, result.encoding) == (2, "utf-8")


def test_xlsx_number_cells_are_read_without_float_errors(db: Database, tmp_path: Path) -> None:
    """Number cells: 19.99 is 1999 satang, formula noise 0.30000000000000004 is 30 satang,
    a barcode typed as a number stays its digits, 5.0 units is 5."""
    rows = [
        ["sku", "name", "price", "stock", "barcode", "cost"],
        [1001, "ชา", 19.99, 5.0, 8850999000017, 0.1 + 0.2],
        ["B", "กาแฟ", 1250, 3, "", 12.5],
    ]
    result = import_products(db, write_xlsx(tmp_path / "n.xlsx", rows), "owner")
    assert result.created == 2
    a = product(db, "1001")
    assert (a.price_satang, a.stock, a.barcode, a.cost_satang) == (1999, 5, "8850999000017", 30)
    b = product(db, "B")
    assert (b.price_satang, b.cost_satang) == (125000, 1250)


def test_xlsx_number_cells_with_three_decimals_are_refused(db: Database, tmp_path: Path) -> None:
    """A number cell 12.345 has too many decimals; 2.5 units is not a whole number."""
    rows = [["sku", "name", "price", "stock"], ["A", "ชา", 12.345, 2.5]]
    assert failure(db, write_xlsx(tmp_path / "n.xlsx", rows)) == [
        (2, "price", "import.too_many_decimals"),
        (2, "stock", "import.bad_stock"),
    ]


def test_template_files_import_as_they_are(db: Database, tmp_path: Path) -> None:
    """The XLSX and CSV templates are valid imports: a simple product and one with 2 variants."""
    xlsx = importer.write_template(tmp_path / "template.xlsx")
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["สินค้า", "คำอธิบาย"]
    ws = wb["สินค้า"]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].value == "รหัสสินค้า (sku)" and ws["C1"].value == "ราคา (price)"
    assert ws.column_dimensions["B"].width >= 20
    help_rows = list(wb["คำอธิบาย"].iter_rows(values_only=True))
    assert help_rows[1][0] == "รหัสสินค้า (sku)" and "SKU" in str(help_rows[1][3])
    result = import_products(db, xlsx, "owner")
    assert (result.created, result.rows) == (2, 3)
    assert [v.sku for v in product(db, "SHIRT").variants] == ["SHIRT-RED-M", "SHIRT-RED-L"]
    csv_path = importer.write_template(tmp_path / "template.csv")
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert import_products(db, csv_path, "owner").unchanged == 2
    with pytest.raises(importer.UserError) as info:
        importer.write_template(tmp_path / "template.ods")
    assert info.value.code == "export.unsupported_format"


# ---------------------------------------------------------------------------- money cells


@given(st.integers(min_value=0, max_value=importer.MAX_PRICE_SATANG))
def test_money_cells_read_back_what_format_baht_writes(satang: int) -> None:
    """Any amount written as ``1,250.00``, ``฿1,250.00`` or a Decimal reads back exactly."""
    assert parse_money_cell(format_baht(satang)) == satang
    assert parse_money_cell(format_baht(satang, symbol=True)) == satang
    assert parse_money_cell(Decimal(satang).scaleb(-2)) == satang


@given(st.integers(min_value=0, max_value=99_999_999))
def test_float_cells_with_two_decimals_read_exactly(satang: int) -> None:
    """A float an XLSX cell holds for an amount with 2 decimals gives exactly that amount."""
    value = float(f"{satang // 100}.{satang % 100:02d}")
    assert parse_money_cell(value) == satang


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=3, max_value=6))
def test_more_than_two_decimals_are_refused(whole: int, places: int) -> None:
    """``n.ddd`` with a non-zero third decimal is ``import.too_many_decimals``."""
    text = f"{whole}.{'0' * (places - 1)}1"
    with pytest.raises(CellError) as info:
        parse_money_cell(text)
    assert info.value.code in ("import.too_many_decimals", "import.price_too_high")


@settings(max_examples=200)
@given(st.text(alphabet="0123456789,.-฿x ", max_size=12))
def test_money_cells_never_crash(text_value: str) -> None:
    """Any text is an amount or a CellError with an import code, never another exception."""
    try:
        satang = parse_money_cell(text_value)
    except CellError as exc:
        assert exc.code.startswith("import.")
    else:
        assert 0 <= satang <= importer.MAX_PRICE_SATANG


# ---------------------------------------------------------------------------- crash safety

_WORKER = """
import sys
from pathlib import Path
from minichat_desktop.storage.db import Database
from minichat_desktop.formats.importer import import_products
db = Database.open(Path(sys.argv[1]), backup=False)
def progress(done, total):
    print(done, total, flush=True)
import_products(db, Path(sys.argv[2]), "kill-test", progress=progress)
print("finished", flush=True)
"""


def test_killing_the_process_mid_import_leaves_the_database_unchanged(
    db: Database, tmp_path: Path
) -> None:
    """SIGKILL while the import is writing: after reopening, nothing of it is there and the
    file passes ``PRAGMA integrity_check``."""
    seed(db)
    before = snapshot(db)
    folder = db.path.parent
    db.dispose()
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sku", "name", "price", "stock", "category", "barcode", "tags"])
        w.writerows(
            [f"K{i:06d}", f"สินค้าทดสอบ ชิ้นที่ {i}", f"{i % 5000}.50", i % 90, f"หมวด {i % 40}",
             f"99{i:011d}", "ขายดี,ใหม่"]
            for i in range(importer.MAX_ROWS)
        )  # fmt: skip
    wal = Path(f"{paths.database_path(folder)}-wal")
    proc = subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(folder), str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the first progress report: rows are being written
        assert line and line.split()[0].isdigit(), (line, proc.stderr.read() if proc.stderr else "")
        start_size = wal.stat().st_size if wal.exists() else 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if wal.exists() and wal.stat().st_size > start_size + 1_000_000:
                break
            time.sleep(0.005)
        assert proc.poll() is None, "the import finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        if proc.stderr is not None:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert wal.exists() and wal.stat().st_size > 0  # it had written, uncommitted
    reopened = Database.open(folder, backup=False)
    try:
        assert snapshot(reopened) == before
        assert check_integrity(reopened) == "ok"
        with reopened.read() as s:
            assert (
                s.scalar(select(ProductVariant.id).where(ProductVariant.sku == "K000001")) is None
            )
    finally:
        reopened.dispose()
    con = sqlite3.connect(paths.database_path(folder))
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        con.close()
