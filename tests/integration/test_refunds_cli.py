"""`minichat orders refund` and `minichat credit-note` as real processes on a real SQLite file:
a sale refunded in three steps gets three credit notes that together credit exactly its VAT;
the VAT report of each month shows each credit note once; user errors exit 2 and say what."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.models import Channel, PaymentMethod
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.storage.db import Database

_SCRIPT = Path(sys.executable).with_name("minichat")
MINICHAT = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "minichat_desktop.cli"]
PAID = dt.datetime(2026, 10, 10, 3, 0, tzinfo=dt.UTC)


def run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MINICHAT, "--data-dir", str(data), *args], capture_output=True, text=True, timeout=120
    )


def pdftext(path: Path) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(path.read_bytes())
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()
    return " ".join(unicodedata.normalize("NFKC", text).split())


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A VAT shop with one paid LINE order: 3 × P1 (321.00) + 1 × P2 (99.99), 10.01 off,
    50.00 shipping — 460.98 baht, VAT 30.16 — and a walk-in counter sale."""
    folder = tmp_path / "data"
    db = Database.open(folder)
    try:
        with db.write() as s:
            shop.ensure_defaults(s)
            shop.update_profile(
                s, "owner", name="ร้านภาษี", tax_id="0105565123452", vat_registered=True,
                prices_include_vat=True, address="1 ถนนสีลม กรุงเทพฯ 10500",
            )  # fmt: skip
            for sku, name, price in (("P1", "เสื้อ", 10_700), ("P2", "หมวก", 9_999)):
                catalog.save_product(
                    s, ProductInput(sku=sku, name_th=name, price_satang=price, stock=20), "o"
                )
            view = orders.place_order(
                s,
                NewOrder(
                    channel=Channel.LINE,
                    lines=[LineInput(quantity=3, sku="P1"), LineInput(quantity=1, sku="P2")],
                    payment_method=PaymentMethod.BANK_TRANSFER,
                    discount_satang=1_001,
                    shipping_satang=5_000,
                    created_at=PAID,
                    customer_name="สมศรี ใจดี",
                    ship_name="สมศรี ใจดี",
                    ship_address="99/1 ซอยสุขุมวิท 11",
                    ship_province="กรุงเทพมหานคร",
                    ship_postcode="10110",
                ),
                "staff",
            )
            orders.mark_paid(s, view.id, "owner", paid_at=PAID)
            orders.place_order(
                s,
                NewOrder(
                    channel=Channel.POS,
                    lines=[LineInput(quantity=2, sku="P2")],
                    payment_method=PaymentMethod.CASH,
                    completed=True,
                    created_at=PAID,
                ),
                "staff",
            )
    finally:
        db.dispose()
    return folder


def _query(data: Path, sql: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(data / "minichat.sqlite3")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_sale_refunded_in_steps_credits_exactly_its_vat(data: Path, tmp_path: Path) -> None:
    """One unit back into stock, a price reduction with the shipping, then the rest: three
    credit notes whose VAT sums to the invoice's 30.16 and whose money to the 460.98 paid."""
    first = run(
        data, "orders", "refund", "MC-2026-000001", "--line", "p1:1", "--restock",
        "--reason", "ชำรุด", "--json",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {
        "order": "MC-2026-000001",
        "amount": 104.46,
        "vat": 6.83,
        "credit_note": "CN2026-000001",
        "order_refunded": False,
        "restocked": True,
        "lines": [{"sku": "P1", "description": "เสื้อ", "quantity": 1, "amount": 104.46}],
    }
    second = run(
        data, "orders", "refund", "MC-2026-000001", "--amount", "P2:20", "--shipping",
        "--reason", "ส่งช้า ลดราคาให้",
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == (
        "refunded ฿70.00 (VAT ฿4.58) on MC-2026-000001; credit note CN2026-000002"
    )
    listed = run(data, "orders", "list", "--json")
    assert [(o["number"], o["status"], o["refunded"]) for o in json.loads(listed.stdout)] == [
        ("MC-2026-000002", "delivered", 0),
        ("MC-2026-000001", "confirmed", 174.46),  # partly refunded: still open
    ]
    rest = run(data, "orders", "refund", "MC-2026-000001", "--all", "--reason", "คืนทั้งหมด")
    assert rest.returncode == 0, rest.stderr
    assert rest.stdout.strip() == (
        "refunded ฿286.52 (VAT ฿18.75) on MC-2026-000001; credit note CN2026-000003 "
        "(the order is now refunded in full)"
    )
    assert _query(data, "SELECT sum(amount_satang), sum(vat_satang) FROM refunds") == [
        (46_098, 3_016)
    ]
    assert _query(data, "SELECT status, payment_status FROM orders WHERE id = 1") == [
        ("refunded", "refunded")
    ]
    stock = dict(_query(data, "SELECT sku, stock FROM product_variants"))  # type: ignore[arg-type]
    assert stock == {"P1": 17 + 1 + 2, "P2": 20 - 2 - 1 + 1}  # step 1 and --all restock
    out = tmp_path / "cn.pdf"
    printed = run(data, "credit-note", "CN2026-000002", str(out))
    assert printed.returncode == 0, printed.stderr
    text = pdftext(out)
    for expected in (
        "ใบลดหนี้",
        "CN2026-000002",
        "INV2026-000001",
        "หมวก — ลดราคา",
        "ค่าจัดส่ง (Shipping)",
        "ส่งช้า ลดราคาให้",
        "เจ็ดสิบบาทถ้วน",
        "ต้นฉบับ",
    ):
        assert unicodedata.normalize("NFKC", expected) in text, expected


def test_over_refunds_and_bad_arguments_exit_2_saying_what(data: Path) -> None:
    cases = [
        (["--line", "P1:4"], "4 units asked back but 3 of 3 can still be refunded"),
        (["--amount", "P2:100"], "฿100.00 asked back but ฿97.61 can still be refunded"),
        (["--line", "NOPE:1"], "has no line with SKU NOPE; its lines are P1, P2"),
        (["--line", "P1"], "--line 'P1' should be SKU:QTY"),
        (["--amount", "P2:1.005"], "at most 2 decimals (satang) allowed"),
        ([], "choose what to refund"),
    ]
    for extra, said in cases:
        done = run(data, "orders", "refund", "MC-2026-000001", *extra, "--reason", "x")
        assert done.returncode == 2, (extra, done.stderr)
        assert said in done.stderr, (said, done.stderr)
    walk_in = run(data, "orders", "refund", "MC-2026-000002", "--line", "P2:1", "--reason", "x")
    assert walk_in.returncode == 2
    assert "give them with --buyer-name and --buyer-address" in walk_in.stderr
    assert _query(data, "SELECT count(*) FROM refunds") == [(0,)]
