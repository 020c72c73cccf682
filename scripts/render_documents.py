"""Render every printed document from the demo shop to PDF and PNG, to look at.

    .venv/bin/python scripts/render_documents.py OUTDIR

Makes a demo shop in a temporary folder and writes to OUTDIR: the A4 full tax invoice with
prices including VAT and excluding VAT, the A4 abbreviated tax invoice, the receipt of a shop
that is not VAT-registered (A4 and 80 mm), counter receipts on 80 and 58 mm rolls, shipping
labels (single and four to an A4 sheet), and printer test pages. Each PDF is also rendered to
PNG with poppler's ``pdftoppm``.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from minichat_desktop.demo.shop import fill_demo_shop
from minichat_desktop.documents import api
from minichat_desktop.domain import shop
from minichat_desktop.domain.models import Channel, PaymentMethod
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.storage.db import Database

NOW = dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC)


def _web_order(db: Database, skus: list[tuple[str, int]], **kw: object) -> str:
    """A paid website order with a buyer who asks for a full tax invoice."""
    with db.write() as s:
        view = orders.place_order(
            s,
            NewOrder(
                channel=Channel.WIDGET,
                lines=[LineInput(quantity=q, sku=sku) for sku, q in skus],
                payment_method=PaymentMethod.BANK_TRANSFER,
                customer_name="บริษัท ทดสอบการพิมพ์ จำกัด",
                customer_phone="0812345678",
                customer_tax_id="0105561234560",
                customer_branch="00000",
                ship_name="คุณสมศรี ใจดี",
                ship_phone="0812345678",
                ship_address="99/12 หมู่บ้านเพอร์เฟคพาร์ค ซอยรามคำแหง 24 ถนนรามคำแหง",
                ship_subdistrict="แขวงหัวหมาก",
                ship_district="เขตบางกะปิ",
                ship_province="กรุงเทพมหานคร",
                ship_postcode="10240",
                shipping_satang=4500,
                **kw,  # type: ignore[arg-type]
            ),
            "owner",
        )
        orders.mark_paid(s, view.id, "owner", reference="20261123123456789012")
        return view.number


def _skus(db: Database) -> list[str]:
    from minichat_desktop.domain.catalog import products as catalog

    with db.read() as s:
        return [v.sku for p in catalog.list_products(s) if p.active for v in p.variants][:40]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="render-documents-"))
    try:
        db = Database.open(folder, backup=False)
        fill_demo_shop(db, now=NOW)
        with db.read() as s:
            listed = orders.list_orders(s, limit=100_000)
        skus = _skus(db)
        pos = next(o for o in listed if o.channel == "pos" and o.payment_status == "paid")
        shipped = [o for o in listed if o.status == "shipped" and o.tracking_number][:3]
        cod = next(o for o in listed if o.payment_method == "cod" and o.status != "cancelled")
        waiting = next(o for o in listed if o.status == "processing")
        incl = _web_order(db, [(skus[0], 2), (skus[5], 1), (skus[12], 3)], discount_satang=5000)
        files: dict[str, bytes] = {
            "invoice-vat-included": api.invoice_pdf(db, incl),
            "invoice-abbreviated-a4": api.invoice_pdf(db, pos.id, kind="abbreviated"),
            "receipt-80mm": api.receipt_pdf(db, pos.id, width=80),
            "receipt-58mm": api.receipt_pdf(db, pos.id, width=58),
            "labels": api.labels_pdf(db, [o.id for o in shipped] + [cod.id, waiting.id]),
            "labels-4up": api.labels_pdf(
                db, [o.id for o in shipped] + [cod.id, waiting.id], four_up=True
            ),
            "test-page-80mm": api.test_page_pdf(80, shop_name="ร้านมินิแชท เซเลกต์"),
            "test-page-58mm": api.test_page_pdf(58, shop_name="ร้านมินิแชท เซเลกต์"),
        }
        with db.write() as s:
            shop.update_profile(s, "owner", prices_include_vat=False)
        excl = _web_order(db, [(skus[1], 1), (skus[7], 2)])
        files["invoice-vat-excluded"] = api.invoice_pdf(db, excl)
        with db.write() as s:
            shop.update_profile(s, "owner", vat_registered=False, prices_include_vat=True)
        plain = _web_order(db, [(skus[2], 1), (skus[3], 1)])
        files["receipt-no-vat-a4"] = api.invoice_pdf(db, plain)
        files["receipt-no-vat-80mm"] = api.receipt_pdf(db, plain, width=80)
        db.dispose()
        for name, pdf in sorted(files.items()):
            path = out / f"{name}.pdf"
            api.write_atomically(path, pdf)
            dpi = "150" if "mm" in name else "80"
            subprocess.run(["pdftoppm", "-r", dpi, "-png", str(path), str(out / name)], check=True)
            print(f"{path} ({len(pdf) // 1024} KB)")
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
