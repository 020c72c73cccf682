"""The hot paths written on the driver connection keep the domain's promises."""

from __future__ import annotations

import dataclasses

import pytest

from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.models import Channel, MovementReason
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.errors import OutOfStock
from minichat_desktop.storage.db import Database


def test_an_exact_code_returns_only_its_product(db: Database) -> None:
    """A scanned SKU names one product: names that merely contain it are not listed."""
    with db.write() as s:
        catalog.save_product(s, ProductInput(sku="MUG-1", name_th="แก้วมัค", price_satang=1), "o")
        catalog.save_product(
            s, ProductInput(sku="HOLD-1", name_th="ที่วาง mug-1", price_satang=1), "o"
        )
    with db.read() as s:
        assert [(h.sku, h.match) for h in catalog.search_products(s, "MUG-1")] == [
            ("MUG-1", "code")
        ]
        assert [h.sku for h in catalog.search_products(s, "mug-1")] == ["HOLD-1", "MUG-1"]


def test_several_words_rank_prefix_then_name_then_other(db: Database) -> None:
    """Every word must match; names starting with the first word come first."""
    with db.write() as s:
        for sku, name, tags in [
            ("A", "หมวกสีแดง", []),
            ("B", "สีแดงหมวก", []),
            ("C", "กระเป๋า", ["สีแดง", "หมวก"]),
            ("D", "หมวกสีดำ", []),
        ]:
            catalog.save_product(
                s, ProductInput(sku=sku, name_th=name, price_satang=1, tags=tags, stock=1), "o"
            )
    with db.read() as s:
        hits = catalog.search_products(s, "หมวก สีแดง")
    assert [(h.sku, h.match) for h in hits] == [("A", "prefix"), ("B", "name"), ("C", "other")]


def test_the_whole_phrase_in_a_name_ranks_above_words_spread_over_fields(db: Database) -> None:
    """Seen: "ไซส์ M" listed size-S jeans (the "m" matched their SKU) above the T-shirt whose
    name says "ไซส์ M", because only the first word was ranked."""
    with db.write() as s:
        for sku, name, stock in [
            ("JEAN-M01", "ยีนส์ ไซส์ S", 5),  # shorter name, "m" only in the SKU
            ("TS-WHITE", "เสื้อยืดคอกลมสีขาว ไซส์ M", 5),
            ("TS-GREY", "เสื้อยืดไซส์ใหญ่ M สีเทา", 5),  # both words, not the phrase
        ]:
            catalog.save_product(
                s, ProductInput(sku=sku, name_th=name, price_satang=1, stock=stock), "o"
            )
    with db.read() as s:
        hits = catalog.search_products(s, "ไซส์ M")
    assert [(h.sku, h.match) for h in hits] == [
        ("TS-WHITE", "name"),
        ("TS-GREY", "name"),
        ("JEAN-M01", "name"),
    ]


def test_movements_are_all_or_nothing_when_sqlite_refuses_one(db: Database) -> None:
    """With a stale read (another process sold meanwhile), the CHECK stops the insert inside
    SQLite: OutOfStock, and no variant's stock moved."""
    with db.write() as s:
        a = catalog.save_product(
            s, ProductInput(sku="A", name_th="ก", price_satang=1, stock=5), "o"
        )
        b = catalog.save_product(
            s, ProductInput(sku="B", name_th="ข", price_satang=1, stock=1), "o"
        )
    va, vb = a.variants[0].id, b.variants[0].id
    stale = {va: stock.VariantStock("A", 5, True), vb: stock.VariantStock("B", 9, True)}
    with pytest.raises(OutOfStock) as err, db.write() as s:
        stock.record_movements(s, {va: -2, vb: -3}, MovementReason.SALE, "staff", current=stale)
    assert err.value.code == "stock.insufficient"
    with db.read() as s:
        assert (stock.level(s, va).stock, stock.level(s, vb).stock) == (5, 1)
        assert stock.ledger_sums(s) == {va: 5, vb: 1}


def test_placed_order_view_equals_the_stored_order(db: Database) -> None:
    """The view place_order builds from values in hand is what reading the order gives."""
    with db.write() as s:
        shop.ensure_defaults(s)
        shop.update_profile(s, "owner", tax_id="1101700230708", vat_registered=True)
        catalog.save_product(
            s,
            ProductInput(sku="P1", name_th="สินค้า", price_satang=10700, stock=9, barcode="885"),
            "o",
        )
    for completed in (False, True):
        with db.write() as s:
            placed = orders.place_order(
                s,
                NewOrder(
                    channel=Channel.POS,
                    completed=completed,
                    note=" ห่อของขวัญ ",
                    lines=[LineInput(quantity=2, sku="885"), LineInput(quantity=1, sku="P1")],
                ),
                "staff",
            )
        with db.read() as s:
            stored = orders.get_order(s, placed.id)
        assert dataclasses.asdict(placed) == dataclasses.asdict(stored)
