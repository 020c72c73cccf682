"""`minichat invoice | receipt | label` as real processes on the demo shop (VAT-registered),
their PDFs read back with poppler (pdftotext, pdfinfo, pdftoppm) and the barcodes with zbar."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from minichat_desktop.demo.shop import SHOP_PROFILE
from minichat_desktop.domain.sales.tax_documents import format_tax_id
from minichat_desktop.domain.shop import BANGKOK
from minichat_desktop.domain.thai import bahttext

_SCRIPT = Path(sys.executable).with_name("minichat")
MINICHAT = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "minichat_desktop.cli"]


def run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MINICHAT, "--data-dir", str(data), *args], capture_output=True, text=True, timeout=120
    )


def pdftext(path: Path) -> str:
    """The PDF's text as a reader copies it (pdfium, as the unit tests read it),
    compatibility-normalised (ำ is ํ + า in a PDF), whitespace collapsed. Not pdftotext: its
    layout analysis puts a raised tone mark on a line of its own for some amounts in words
    (สี่บาท came out as สีบ / ่ าท), so the test depended on the day's demo totals."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(path.read_bytes())
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()
    return " ".join(unicodedata.normalize("NFKC", text).split())


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def pdfinfo(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return dict(
        (k.strip(), v.strip())
        for k, _, v in (line.partition(":") for line in out.stdout.splitlines())
    )


def page_mm(path: Path) -> tuple[float, float]:
    m = re.match(r"([\d.]+) x ([\d.]+) pts", pdfinfo(path)["Page size"])
    assert m is not None
    return round(float(m[1]) * 25.4 / 72, 1), round(float(m[2]) * 25.4 / 72, 1)


def barcodes(path: Path, tmp: Path) -> list[str]:
    """Every barcode zbar reads on the PDF's pages rendered at 300 dpi."""
    prefix = tmp / f"{path.stem}-scan"
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(path), str(prefix)], check=True)
    found: list[str] = []
    for png in sorted(tmp.glob(f"{prefix.name}-*.png")):
        out = subprocess.run(
            ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Scode128.enable", str(png)],
            capture_output=True,
            text=True,
        )
        found += out.stdout.split()
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    data = tmp_path_factory.mktemp("demo")
    done = run(data, "demo-data")
    assert done.returncode == 0, done.stderr
    listed = run(data, "orders", "list", "--json", "--limit", "1000")
    assert listed.returncode == 0, listed.stderr
    return data, json.loads(listed.stdout)


def _pick(rows: list[dict[str, Any]], **want: Any) -> list[dict[str, Any]]:
    return [r for r in rows if all(r[k] == v for k, v in want.items())]


def _documents(data: Path, order_number: str) -> dict[str, str]:
    """The numbers of an order's documents by kind, read straight from the database file."""
    import sqlite3

    con = sqlite3.connect(data / "minichat.sqlite3")
    try:
        rows = con.execute(
            "SELECT d.kind, d.number FROM tax_documents d JOIN orders o ON o.id = d.order_id"
            " WHERE o.number = ?",
            (order_number,),
        ).fetchall()
    finally:
        con.close()
    return dict(rows)


def _next(number: str) -> str:
    """The number after ``number`` in its kind and year (INV2026-000007 → INV2026-000008)."""
    head, tail = number.rsplit("-", 1)
    return f"{head}-{int(tail) + 1:06d}"


def _year() -> int:
    return dt.datetime.now(BANGKOK).year


def test_invoice_is_a_full_tax_invoice_with_a_running_number(
    demo: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    data, rows = demo
    first, second = _pick(rows, status="delivered", channel="line")[:2]
    out = tmp_path / "inv.pdf"
    done = run(data, "invoice", first["number"], str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"invoice for 1 order written to {out}"
    text = pdftext(out)
    number = _documents(data, first["number"])["full"]  # the demo's refunds issued some before
    assert re.fullmatch(r"INV\d{4}-\d{6}", number)
    total = Decimal(str(first["total"]))
    for expected in (
        "ใบกำกับภาษี / ใบเสร็จรับเงิน",
        str(SHOP_PROFILE["name"]),
        f"เลขประจำตัวผู้เสียภาษี {format_tax_id(str(SHOP_PROFILE['tax_id']))}",
        "สำนักงานใหญ่",
        number,
        first["number"],
        first["customer"],
        f"{total:,.2f}",
        f"({bahttext(total)})",
        "ภาษีมูลค่าเพิ่ม VAT 7%",
    ):
        assert nfkc(expected) in text, expected
    assert page_mm(out) == (210.0, 297.0)
    assert pdfinfo(out)["Pages"] == "1"

    again = tmp_path / "again.pdf"
    assert run(data, "invoice", first["number"], str(again)).returncode == 0
    assert number in pdftext(again)  # a reprint keeps its number
    other = tmp_path / "other.pdf"
    assert run(data, "invoice", second["number"], str(other)).returncode == 0
    following = _documents(data, second["number"])["full"]
    assert following in pdftext(other)
    if following[3:7] == number[3:7]:  # the same year: the very next number
        assert following == _next(number)


def test_several_orders_make_one_pdf(
    demo: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    data, rows = demo
    numbers = [r["number"] for r in _pick(rows, status="delivered", channel="widget")[:3]]
    out = tmp_path / "three.pdf"
    done = run(data, "invoice", *numbers, str(out))
    assert done.returncode == 0, done.stderr
    assert pdfinfo(out)["Pages"] == "3"
    text = pdftext(out)
    assert all(n in text for n in numbers)


@pytest.mark.parametrize("width", ["80", "58"])
def test_receipt_on_a_roll(
    demo: tuple[Path, list[dict[str, Any]]], tmp_path: Path, width: str
) -> None:
    data, rows = demo
    sale = _pick(rows, channel="pos", status="delivered")[int(width) % 7]
    out = tmp_path / f"r{width}.pdf"
    done = run(data, "receipt", sale["number"], str(out), "--width", width)
    assert done.returncode == 0, done.stderr
    w, h = page_mm(out)
    assert w == float(width) and 80 < h < 400
    text = pdftext(out)
    assert nfkc("ใบกำกับภาษีอย่างย่อ") in text
    number = re.search(rf"ABB{_year()}-\d{{6}}", text)
    assert number is not None
    assert barcodes(out, tmp_path) == [number[0]]  # the slip's number scans (for returns)
    assert sale["number"] in text
    assert nfkc(bahttext(Decimal(str(sale["total"])))) in text


def test_labels_barcodes_decode(demo: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    """The tracking number when there is one, else the order number, scans as Code 128."""
    data, rows = demo
    tracked = [r for r in _pick(rows, status="shipped") if r["tracking_number"]][:2]
    # Not shipped yet (no tracking number): the label carries the order number. Which
    # statuses the demo has today depends on the hour it was made, so any of them will do.
    waiting = [
        r
        for r in rows
        if r["channel"] in ("line", "widget")
        and r["status"] in ("processing", "confirmed", "pending")
        and not r["tracking_number"]
    ][:1]
    picked = tracked + waiting
    out = tmp_path / "labels.pdf"
    done = run(data, "label", *[r["number"] for r in picked], str(out))
    assert done.returncode == 0, done.stderr
    assert pdfinfo(out)["Pages"] == "3"
    assert page_mm(out) == (100.0, 150.0)
    expected = [r["tracking_number"] for r in tracked] + [waiting[0]["number"]]
    assert barcodes(out, tmp_path) == expected
    text = pdftext(out)
    assert "(TO)" in text and "(FROM)" in text
    assert nfkc(str(SHOP_PROFILE["name"])) in text
    assert all(r["number"] in text for r in picked)

    four = tmp_path / "four.pdf"
    done = run(data, "label", "--four-up", *[r["number"] for r in picked], str(four))
    assert done.returncode == 0, done.stderr
    assert pdfinfo(four)["Pages"] == "1" and page_mm(four) == (210.0, 297.0)
    assert sorted(barcodes(four, tmp_path)) == sorted(expected)


def test_unknown_order_exits_2_and_writes_nothing(
    demo: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    data, _ = demo
    for cmd in ("invoice", "receipt", "label"):
        out = tmp_path / f"{cmd}.pdf"
        done = run(data, cmd, "MC-2026-999999", str(out))
        assert done.returncode == 2
        assert done.stderr.strip() == "error: no order MC-2026-999999"
        assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_unpaid_order_has_no_invoice_yet(
    demo: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    data, rows = demo
    pending = _pick(rows, status="pending")[0]
    done = run(data, "invoice", pending["number"], str(tmp_path / "x.pdf"))
    assert done.returncode == 2
    assert f"order {pending['number']} is not paid yet" in done.stderr


def test_unwritable_output_is_an_environment_error(
    demo: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    data, rows = demo
    order = _pick(rows, status="shipped")[0]
    done = run(data, "label", order["number"], str(tmp_path / "missing" / "l.pdf"))
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: cannot write {tmp_path / 'missing' / 'l.pdf'}")


def test_counter_sale_invoice_takes_the_buyer_from_options(
    demo: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """A walk-in sale has no buyer: the full tax invoice asks for one, then prints it."""
    data, rows = demo
    sale = _pick(rows, channel="pos", status="delivered", customer="")[0]
    out = tmp_path / "walkin.pdf"
    done = run(data, "invoice", sale["number"], str(out))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: a full tax invoice needs the buyer's name and address; the name is missing; "
        "give them with --buyer-name and --buyer-address"
    )
    done = run(
        data,
        "invoice",
        sale["number"],
        str(out),
        "--buyer-name",
        "บริษัท ลูกค้าหน้าร้าน จำกัด",
        "--buyer-address",
        "9 ถนนสีลม บางรัก กรุงเทพมหานคร 10500",
        "--buyer-tax-id",
        "1-1017-00230-70-8",
    )
    assert done.returncode == 0, done.stderr
    text = pdftext(out)
    assert nfkc("บริษัท ลูกค้าหน้าร้าน จำกัด") in text and "1-1017-00230-70-8" in text


@pytest.mark.parametrize("cmd", ["invoice", "credit-note", "receipt", "label"])
def test_document_commands_have_help(tmp_path: Path, cmd: str) -> None:
    done = run(tmp_path, cmd, "--help")
    assert done.returncode == 0, done.stderr
    assert f"usage: minichat {cmd}" in done.stdout and "OUT.pdf" in done.stdout


def test_credit_note_of_a_refunded_invoiced_order(tmp_path: Path) -> None:
    """Refunding an order that had its tax invoice issues a credit note the command prints;
    a VAT sale refunded before its invoice was printed gets the invoice it owed and a credit
    note too; a shop that is not VAT-registered issues none (exit 2, nothing written)."""
    from minichat_desktop.domain import shop
    from minichat_desktop.domain.models import OrderStatus
    from minichat_desktop.domain.sales import orders
    from minichat_desktop.storage.db import Database

    data = tmp_path / "shop"
    assert run(data, "demo-data").returncode == 0
    rows = json.loads(run(data, "orders", "list", "--json", "--limit", "1000").stdout)
    # three sales without documents yet (the demo has refunded and invoiced ones too, which
    # ones depends on the day it is made)
    fresh = [
        r
        for r in _pick(rows, status="delivered", channel="line")
        if not _documents(data, r["number"])
    ]
    invoiced, bare, plain = fresh[:3]
    assert run(data, "invoice", invoiced["number"], str(tmp_path / "inv.pdf")).returncode == 0
    db = Database.open(data, backup=False)
    try:
        with db.write() as s:
            for row in (invoiced, bare):
                oid = orders.get_order_by_number(s, row["number"]).id
                orders.change_status(s, oid, OrderStatus.REFUNDED, "owner", "สินค้าชำรุด")
            shop.update_profile(s, "owner", vat_registered=False)
            oid = orders.get_order_by_number(s, plain["number"]).id
            orders.change_status(s, oid, OrderStatus.REFUNDED, "owner", "สินค้าชำรุด")
    finally:
        db.dispose()
    out = tmp_path / "cn.pdf"
    done = run(data, "credit-note", invoiced["number"], str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"credit note for 1 order written to {out}"
    text = pdftext(out)
    total = Decimal(str(invoiced["total"]))
    numbers = _documents(data, invoiced["number"])
    for expected in (
        "ใบลดหนี้",
        numbers["credit_note"],
        numbers["full"],
        invoiced["number"],
        f"{total:,.2f}",
        f"({bahttext(total)})",
        "สินค้าชำรุด",
    ):
        assert nfkc(expected) in text, expected
    owed = _documents(data, bare["number"])
    assert set(owed) == {"full", "credit_note"}
    assert run(data, "credit-note", bare["number"], str(tmp_path / "owed.pdf")).returncode == 0
    assert owed["credit_note"] in pdftext(tmp_path / "owed.pdf")
    missing = tmp_path / "none.pdf"
    done = run(data, "credit-note", plain["number"], str(missing))
    assert done.returncode == 2
    assert "a credit note is issued by refunding an order that has a tax invoice" in done.stderr
    assert not missing.exists()
